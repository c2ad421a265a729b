//! The audio device as a port ([`AudioDevice`], the seed's `AudioDevice`) and the devices
//! that drive a mixer's clock: [`NullDevice`] (silence in, output discarded), [`WavFileDevice`]
//! (a WAV file in, a WAV file out) and, with the `cpal` feature, the sound card
//! (`crate::cpal_device`). Exactly one device drives a mixer: each takes the clock through
//! [`Mixer::attach_device`], which refuses a second.
//!
//! # The clock
//!
//! [`AudioClock`] runs a thread that calls [`Mixer::tick`] every 20 ms against absolute
//! deadlines (start + n · 20 ms), so sleeping late once does not shift every later frame: the
//! next frames run sooner until the clock has caught up. When it falls more than
//! [`MAX_CATCH_UP_FRAMES`] behind (the machine was suspended, or a tick took far too long), it
//! skips the missed frames instead of running a burst of them, and counts them in
//! [`ClockStats::skipped_frames`].

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::engine::{
    AudioEvent, AudioPort, DeviceAttachment, EngineError, Mixer, PortId, SilentIo, SlotChange,
    SlotIo,
};
use crate::mixer::{SlotId, FRAME_MS};
use crate::resample::Resampler;
use crate::wave::{open_for_play, WaveFileError};

/// The physical audio device of a mixer as a port (the seed's `AudioDevice`): it produces
/// what the device captures and consumes what it plays, both on the mixer's device slot.
/// Muting the input makes it stop producing (its producer slot becomes `None`), muting the
/// output stop consuming; bridges holding it reconnect accordingly.
pub struct AudioDevice {
    mixer: Mixer,
    id: PortId,
    /// (input muted, output muted).
    muted: Mutex<(bool, bool)>,
}

impl fmt::Debug for AudioDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (input_muted, output_muted) = *self.muted.lock();
        f.debug_struct("AudioDevice")
            .field("id", &self.id)
            .field("input_muted", &input_muted)
            .field("output_muted", &output_muted)
            .finish()
    }
}

impl AudioDevice {
    /// The port of `mixer`'s device, muted as asked.
    #[must_use]
    pub fn new(mixer: &Mixer, input_muted: bool, output_muted: bool) -> Arc<Self> {
        Arc::new(Self {
            mixer: mixer.clone(),
            id: PortId::new(),
            muted: Mutex::new((input_muted, output_muted)),
        })
    }

    /// Whether the port does not produce the device's capture.
    #[must_use]
    pub fn input_muted(&self) -> bool {
        self.muted.lock().0
    }

    /// Whether the port does not consume for the device's playback.
    #[must_use]
    pub fn output_muted(&self) -> bool {
        self.muted.lock().1
    }

    /// Mutes or unmutes the capture; a change is reported as a change of the producer slot.
    pub fn set_input_muted(&self, muted: bool) {
        {
            let mut state = self.muted.lock();
            if state.0 == muted {
                return;
            }
            state.0 = muted;
        }
        let change = self.change(muted);
        self.mixer.port_slots_changed(self.id, None, Some(change));
    }

    /// Mutes or unmutes the playback; a change is reported as a change of the consumer slot.
    pub fn set_output_muted(&self, muted: bool) {
        {
            let mut state = self.muted.lock();
            if state.1 == muted {
                return;
            }
            state.1 = muted;
        }
        let change = self.change(muted);
        self.mixer.port_slots_changed(self.id, Some(change), None);
    }

    fn change(&self, now_muted: bool) -> SlotChange {
        let slot = Some(self.mixer.device_slot());
        if now_muted {
            SlotChange {
                old: slot,
                new: None,
            }
        } else {
            SlotChange {
                old: None,
                new: slot,
            }
        }
    }
}

impl AudioPort for AudioDevice {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        (!self.output_muted()).then(|| self.mixer.device_slot())
    }

    fn producer_slot(&self) -> Option<SlotId> {
        (!self.input_muted()).then(|| self.mixer.device_slot())
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

impl Drop for AudioDevice {
    fn drop(&mut self) {
        // The device slot belongs to the mixer and outlives this port: the bridges must undo
        // the port's connections themselves.
        let (input_muted, output_muted) = *self.muted.lock();
        let gone = |muted: bool| (!muted).then(|| self.change(true));
        self.mixer
            .reconnect_bridges(self.id, gone(output_muted), gone(input_muted));
    }
}

/// How far behind, in frames, the clock may fall before it skips frames instead of catching
/// up with a burst of ticks.
pub const MAX_CATCH_UP_FRAMES: u64 = 5;

/// Counters of an [`AudioClock`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockStats {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that ran more than one frame after their deadline.
    pub late_ticks: u64,
    /// Frames never run because the clock fell too far behind.
    pub skipped_frames: u64,
}

#[derive(Default)]
struct Counters {
    ticks: AtomicU64,
    late_ticks: AtomicU64,
    skipped_frames: AtomicU64,
}

/// A thread calling [`Mixer::tick`] every 20 ms (see the [module docs](self)), holding the
/// mixer's clock through a [`DeviceAttachment`]. Stopped (and joined) by [`stop`](Self::stop)
/// or on drop.
pub struct AudioClock {
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
    attachment: Option<DeviceAttachment>,
}

impl fmt::Debug for AudioClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioClock")
            .field("running", &self.thread.is_some())
            .field("stats", &self.stats())
            .finish()
    }
}

impl AudioClock {
    /// Attaches `io` as the device slot's io and starts ticking `mixer`.
    ///
    /// # Errors
    /// [`EngineError::ClockBusy`] when another device drives the mixer;
    /// [`EngineError::Device`] when the thread cannot be spawned.
    pub fn start(mixer: &Mixer, io: Box<dyn SlotIo>) -> Result<Self, EngineError> {
        let attachment = mixer.attach_device(io)?;
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let thread = {
            let (mixer, stop, counters) = (mixer.clone(), Arc::clone(&stop), Arc::clone(&counters));
            std::thread::Builder::new()
                .name("audio-clock".into())
                .spawn(move || run_clock(&mixer, &stop, &counters))
                .map_err(|e| EngineError::Device(e.to_string()))?
        };
        Ok(Self {
            stop,
            counters,
            thread: Some(thread),
            attachment: Some(attachment),
        })
    }

    /// The clock's counters so far.
    #[must_use]
    pub fn stats(&self) -> ClockStats {
        ClockStats {
            ticks: self.counters.ticks.load(Ordering::Relaxed),
            late_ticks: self.counters.late_ticks.load(Ordering::Relaxed),
            skipped_frames: self.counters.skipped_frames.load(Ordering::Relaxed),
        }
    }

    /// Whether the thread is running.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.thread.is_some()
    }

    /// Replaces the device slot's io while the clock keeps running.
    pub fn replace_io(&self, io: Box<dyn SlotIo>) {
        if let Some(attachment) = &self.attachment {
            attachment.replace_io(io);
        }
    }

    /// Stops the thread, waits for it, and gives the mixer's clock back.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // A tick that panicked has already been reported by the panic hook.
            let _ = thread.join();
        }
        self.attachment = None;
    }
}

impl Drop for AudioClock {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_clock(mixer: &Mixer, stop: &AtomicBool, counters: &Counters) {
    let period = Duration::from_millis(u64::from(FRAME_MS));
    let mut next = Instant::now();
    while !stop.load(Ordering::Acquire) {
        let now = Instant::now();
        if now < next {
            std::thread::park_timeout(next - now);
            continue;
        }
        let behind = (now - next).as_nanos() / period.as_nanos();
        if behind >= 1 {
            counters.late_ticks.fetch_add(1, Ordering::Relaxed);
        }
        if behind > u128::from(MAX_CATCH_UP_FRAMES) {
            let skipped = u32::try_from(behind).unwrap_or(u32::MAX);
            counters
                .skipped_frames
                .fetch_add(u64::from(skipped), Ordering::Relaxed);
            next += period * skipped;
        }
        mixer.tick();
        counters.ticks.fetch_add(1, Ordering::Relaxed);
        next += period;
    }
}

/// A device with no sound card: its capture is silence and its playback is discarded, and
/// its [`AudioClock`] drives the mixer. What headless applications and tests run on.
#[derive(Debug)]
pub struct NullDevice {
    clock: AudioClock,
}

impl NullDevice {
    /// Starts driving `mixer`'s clock.
    ///
    /// # Errors
    /// As [`AudioClock::start`].
    pub fn start(mixer: &Mixer) -> Result<Self, EngineError> {
        Ok(Self {
            clock: AudioClock::start(mixer, Box::new(SilentIo))?,
        })
    }

    /// The clock's counters.
    #[must_use]
    pub fn stats(&self) -> ClockStats {
        self.clock.stats()
    }

    /// Stops the clock and frees the mixer for another device.
    pub fn stop(&mut self) {
        self.clock.stop();
    }
}

/// What a [`WavFileDevice`] uses as its microphone and speaker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WavFileDeviceConfig {
    /// The WAV file captured (any format a `WavePlayer` takes); `None`: silence.
    pub input: Option<PathBuf>,
    /// Whether the input starts over at its end (otherwise silence follows).
    pub loop_input: bool,
    /// The WAV file played into (mono 16-bit at the clock rate, replaced); `None`: discarded.
    pub output: Option<PathBuf>,
}

/// A device whose microphone is a WAV file and whose speaker is another, ticking on an
/// [`AudioClock`]: a whole call runs headless and leaves a recording of what the user heard.
/// A file fault is reported once as [`AudioEvent::DeviceDidFail`]; the clock keeps running
/// with that side silent, so the calls on the mixer go on.
#[derive(Debug)]
pub struct WavFileDevice {
    clock: AudioClock,
    io: Arc<Mutex<FileIoState>>,
}

struct FileIoState {
    input: Option<FileInput>,
    output: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>>,
    output_path: PathBuf,
    loop_input: bool,
    /// Whether the tick under way has not delivered its output frame yet.
    awaiting_output: bool,
    /// A frame of silence at the clock rate, for ticks the device slot heard nobody.
    silence: Vec<i16>,
}

impl fmt::Debug for FileIoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileIoState")
            .field("input", &self.input.is_some())
            .field("output", &self.output.is_some())
            .finish()
    }
}

struct FileInput {
    path: PathBuf,
    reader: hound::WavReader<std::io::BufReader<std::fs::File>>,
    channels: usize,
    remaining: u32,
    /// One frame at the file's rate, interleaved.
    raw: Vec<i16>,
    /// One frame at the file's rate, mono.
    mono: Vec<i16>,
    to_clock: Option<Resampler>,
}

impl WavFileDevice {
    /// Opens the files and starts driving `mixer`'s clock.
    ///
    /// # Errors
    /// [`EngineError::File`] when a file cannot be opened or created (or the input's format is
    /// not taken); as [`AudioClock::start`].
    pub fn start(mixer: &Mixer, config: WavFileDeviceConfig) -> Result<Self, EngineError> {
        let input = match &config.input {
            Some(path) => {
                let reader = open_for_play(path)?;
                let spec = reader.spec();
                let frame = (spec.sample_rate / (1000 / FRAME_MS)) as usize;
                let to_clock = (spec.sample_rate != mixer.clock_rate()).then(|| {
                    Resampler::new(spec.sample_rate, mixer.clock_rate())
                        .expect("both rates are mixer rates")
                });
                Some(FileInput {
                    path: path.clone(),
                    remaining: reader.len(),
                    channels: usize::from(spec.channels),
                    raw: vec![0; frame * usize::from(spec.channels)],
                    mono: vec![0; frame],
                    reader,
                    to_clock,
                })
            }
            None => None,
        };
        let output = match &config.output {
            Some(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| WaveFileError::io(parent, &e))?;
                }
                let spec = hound::WavSpec {
                    channels: 1,
                    sample_rate: mixer.clock_rate(),
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                Some(
                    hound::WavWriter::create(path, spec)
                        .map_err(|e| WaveFileError::hound(path, e))?,
                )
            }
            None => None,
        };
        let io = Arc::new(Mutex::new(FileIoState {
            input,
            output,
            output_path: config.output.clone().unwrap_or_default(),
            loop_input: config.loop_input,
            awaiting_output: false,
            silence: vec![0; mixer.frame_len()],
        }));
        let clock = AudioClock::start(
            mixer,
            Box::new(FileIo {
                state: Arc::clone(&io),
                mixer: mixer.clone(),
            }),
        )?;
        Ok(Self { clock, io })
    }

    /// The clock's counters.
    #[must_use]
    pub fn stats(&self) -> ClockStats {
        self.clock.stats()
    }

    /// Stops the clock and finalizes the output file.
    ///
    /// # Errors
    /// [`EngineError::File`] when the output's header cannot be written.
    pub fn stop(&mut self) -> Result<(), EngineError> {
        self.clock.stop();
        let mut state = self.io.lock();
        // The last tick's silence, if it heard nobody; a failure here ends like the others.
        let frame_len = state.silence.len();
        let _ = state.fill_unheard_tick(frame_len);
        let path = state.output_path.clone();
        match state.output.take() {
            Some(writer) => writer
                .finalize()
                .map_err(|e| WaveFileError::hound(&path, e).into()),
            None => Ok(()),
        }
    }
}

impl Drop for WavFileDevice {
    fn drop(&mut self) {
        // Nobody is left to hear about a failing header write.
        let _ = self.stop();
    }
}

/// The device slot's io of a [`WavFileDevice`].
struct FileIo {
    state: Arc<Mutex<FileIoState>>,
    mixer: Mixer,
}

impl FileInput {
    /// Reads the next frame at the file's rate into `self.mono`; false at the end.
    fn read(&mut self, loop_input: bool) -> Result<bool, hound::Error> {
        if self.remaining == 0 {
            if !loop_input || self.reader.len() == 0 {
                return Ok(false);
            }
            self.reader.seek(0)?;
            self.remaining = self.reader.len();
        }
        let take = self.raw.len().min(self.remaining as usize);
        let mut got = 0;
        for (dst, sample) in self
            .raw
            .iter_mut()
            .zip(self.reader.samples::<i16>().take(take))
        {
            *dst = sample?;
            got += 1;
        }
        if got < take {
            return Err(hound::Error::IoError(
                std::io::ErrorKind::UnexpectedEof.into(),
            ));
        }
        self.raw[got..].fill(0);
        self.remaining -= u32::try_from(got).expect("a frame is short");
        if self.channels == 2 {
            for (o, pair) in self.mono.iter_mut().zip(self.raw.chunks_exact(2)) {
                *o = ((i32::from(pair[0]) + i32::from(pair[1])) / 2) as i16;
            }
        } else {
            self.mono.copy_from_slice(&self.raw);
        }
        Ok(true)
    }
}

impl FileIoState {
    /// Appends a frame to the output file; on failure closes it, keeping what was written
    /// readable, and returns the failure. The device goes on without output.
    fn write_output(&mut self, frame: &[i16]) -> Option<String> {
        let writer = self.output.as_mut()?;
        let mut samples = writer.get_i16_writer(u32::try_from(frame.len()).unwrap_or(0));
        for &s in frame {
            samples.write_sample(s);
        }
        let error = samples.flush().err()?;
        if let Some(writer) = self.output.take() {
            let _ = writer.finalize();
        }
        Some(format!("{}: {error}", self.output_path.display()))
    }

    /// Writes the silence a speaker plays in a tick where the device slot heard nobody (its
    /// io then gets no frame), so the output keeps the call's timing.
    fn fill_unheard_tick(&mut self, frame_len: usize) -> Option<String> {
        if !std::mem::take(&mut self.awaiting_output) {
            return None;
        }
        self.silence.resize(frame_len, 0);
        let silence = std::mem::take(&mut self.silence);
        let failure = self.write_output(&silence);
        self.silence = silence;
        failure
    }
}

impl SlotIo for FileIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let (produced, failure) = {
            let mut state = self.state.lock();
            let mut failure = state.fill_unheard_tick(out.len());
            state.awaiting_output = true;
            let loop_input = state.loop_input;
            let produced = match &mut state.input {
                None => false,
                Some(input) => match input.read(loop_input) {
                    Ok(false) => false,
                    Ok(true) => match &mut input.to_clock {
                        Some(resampler) => match resampler.process(&input.mono, out) {
                            Ok(written) => {
                                out[written..].fill(0);
                                true
                            }
                            Err(_) => false,
                        },
                        None if input.mono.len() == out.len() => {
                            out.copy_from_slice(&input.mono);
                            true
                        }
                        None => false,
                    },
                    Err(e) => {
                        failure = Some(WaveFileError::hound(&input.path, e).to_string());
                        state.input = None;
                        false
                    }
                },
            };
            (produced, failure)
        };
        if let Some(error) = failure {
            self.mixer.emit(AudioEvent::DeviceDidFail { error });
        }
        produced
    }

    fn consume(&mut self, frame: &[i16]) {
        let failure = {
            let mut state = self.state.lock();
            state.awaiting_output = false;
            state.write_output(frame)
        };
        if let Some(error) = failure {
            self.mixer.emit(AudioEvent::DeviceDidFail { error });
        }
    }
}
