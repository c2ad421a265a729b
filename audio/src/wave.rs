//! WAV files as audio ports: [`WavePlayer`] plays one into the mixer, [`WaveRecorder`]
//! writes what it hears into one (the seed's `WavePlayer` and `WaveRecorder`), through the
//! `hound` crate.
//!
//! # Formats
//!
//! A player reads 16-bit integer PCM, mono or stereo (stereo is down-mixed by averaging), at
//! 8, 16, 32, 44.1 or 48 kHz: its slot runs at the file's rate and the mixer converts. Anything else
//! is a [`WaveFileError`], reported as [`AudioEvent::WavePlayerDidFail`]. A recorder writes
//! mono 16-bit PCM at the mixer's clock rate.
//!
//! # Threads
//!
//! Both do their file work on the mixer clock's thread, inside their slot's [`SlotIo`]: a
//! player reads one frame per tick through hound's buffered reader (8 KiB, so one read call
//! every few frames); a recorder writes through a buffered writer. A slow disk therefore
//! delays the tick — the price of not keeping a second thread and queue per file; local files
//! are read and written well within the frame. Their state is shared with the port object
//! under a mutex of its own, never held while calling the mixer or the event sink.
//!
//! # What a failed recording leaves
//!
//! hound writes the header when the file is created, with a zero data length, and rewrites
//! the lengths on every `flush` and on `finalize`. A recorder flushes once a second, so if
//! the process dies the file is valid up to the last second. When a write fails (a full disk)
//! the recorder stops and tries to finalize: if the header can still be written, the file is
//! valid up to the samples hound counted as written — which may include the tail of the last
//! buffer that did not reach the disk, so a reader may see a short data chunk there; earlier
//! data is never touched.

use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use thiserror::Error;

use crate::engine::{AudioEvent, AudioPort, EngineError, Mixer, PortId, Slot, SlotChange, SlotIo};
use crate::mixer::{SlotId, FRAME_MS, RATES};

/// Why a WAV file could not be played or recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WaveFileError {
    /// The file could not be opened, created, read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The kind of failure (`NotFound`, `StorageFull`, …).
        kind: io::ErrorKind,
        /// The system's description.
        message: String,
    },
    /// The file is not a WAV file, or its header is damaged.
    #[error("{}: not a WAV file: {reason}", path.display())]
    NotWav {
        /// The file.
        path: PathBuf,
        /// What the parser found wrong.
        reason: String,
    },
    /// The file is WAV, in a format the player does not take.
    #[error(
        "{}: unsupported WAV format ({channels} channels, {bits_per_sample}-bit{}, {sample_rate} Hz); \
         16-bit integer PCM, 1 or 2 channels, 8/16/32/44.1/48 kHz are",
        path.display(), if *float { " float" } else { "" }
    )]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// Channels in the file.
        channels: u16,
        /// Bits per sample in the file.
        bits_per_sample: u16,
        /// The file's sample rate, in Hz.
        sample_rate: u32,
        /// Whether the samples are floating point.
        float: bool,
    },
    /// The file ends before the data its header announces.
    #[error("{}: the file ends inside its audio data", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
    },
}

impl WaveFileError {
    pub(crate) fn io(path: &Path, error: &io::Error) -> Self {
        // hound reports a short read as an `Other` error of its own making, without an OS
        // error code; the standard library says `UnexpectedEof`.
        let short_read = error.kind() == io::ErrorKind::Other && error.raw_os_error().is_none();
        if error.kind() == io::ErrorKind::UnexpectedEof || short_read {
            return Self::Truncated {
                path: path.to_owned(),
            };
        }
        Self::Io {
            path: path.to_owned(),
            kind: error.kind(),
            message: error.to_string(),
        }
    }

    pub(crate) fn hound(path: &Path, error: hound::Error) -> Self {
        match error {
            hound::Error::IoError(e) => Self::io(path, &e),
            hound::Error::UnfinishedSample => Self::Truncated {
                path: path.to_owned(),
            },
            other => Self::NotWav {
                path: path.to_owned(),
                reason: other.to_string(),
            },
        }
    }
}

/// The outcome of one [`WavePlayer::play`], to wait for blocking ([`wait`](Self::wait)) or
/// asynchronously (it is a [`Future`], with any executor).
pub struct Completion {
    shared: Arc<CompletionShared>,
}

#[derive(Default)]
struct CompletionShared {
    result: Mutex<Option<Result<(), WaveFileError>>>,
    done: Condvar,
    /// The one task awaiting the future; a `Completion` is not `Clone`, so one is enough.
    waker: Mutex<Option<Waker>>,
}

impl CompletionShared {
    fn complete(&self, result: Result<(), WaveFileError>) {
        {
            let mut slot = self.result.lock();
            if slot.is_some() {
                return;
            }
            *slot = Some(result);
        }
        self.done.notify_all();
        if let Some(waker) = self.waker.lock().take() {
            waker.wake();
        }
    }
}

impl fmt::Debug for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completion")
            .field("result", &*self.shared.result.lock())
            .finish()
    }
}

impl Completion {
    fn new() -> Self {
        Self {
            shared: Arc::new(CompletionShared::default()),
        }
    }

    /// Blocks until the play ends: `Ok` after its last loop or a `stop()`, the file's error
    /// when it failed.
    ///
    /// # Errors
    /// The [`WaveFileError`] that ended the play.
    pub fn wait(&self) -> Result<(), WaveFileError> {
        let mut result = self.shared.result.lock();
        loop {
            if let Some(r) = &*result {
                return r.clone();
            }
            self.shared.done.wait(&mut result);
        }
    }

    /// Like [`wait`](Self::wait), giving up after `timeout` (`None`: still playing).
    #[must_use]
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<(), WaveFileError>> {
        let mut result = self.shared.result.lock();
        if result.is_none() {
            let _ = self.shared.done.wait_for(&mut result, timeout);
        }
        result.clone()
    }

    /// Whether the play has ended.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.shared.result.lock().is_some()
    }
}

impl Future for Completion {
    type Output = Result<(), WaveFileError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The waker is stored before the result is checked, so a completion between the two
        // still wakes this task.
        *self.shared.waker.lock() = Some(cx.waker().clone());
        match &*self.shared.result.lock() {
            Some(result) => Poll::Ready(result.clone()),
            None => Poll::Pending,
        }
    }
}

/// How a [`WavePlayer`] plays its file; the seed's constructor arguments and their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavePlayerOptions {
    /// The playing volume, 0..=100 (100: as recorded, 50: -6 dB). Default 100.
    pub volume: u8,
    /// How many times to play the file; 0 plays it until stopped. Default 1.
    pub loop_count: u32,
    /// Silence between two plays (rounded up to 20 ms frames). Default 0.
    pub pause_time: Duration,
    /// Whether the first play starts at once, or after `pause_time`. Default true.
    pub initial_play: bool,
}

impl Default for WavePlayerOptions {
    fn default() -> Self {
        Self {
            volume: 100,
            loop_count: 1,
            pause_time: Duration::ZERO,
            initial_play: true,
        }
    }
}

type Reader = hound::WavReader<BufReader<File>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Silence, for this many more frames, before the next play.
    Pause(u32),
    /// Playing the file.
    Play,
    /// The last play ended in the previous frame: the next tick tears down, so that frame
    /// was still heard.
    Finished,
}

struct PlayerState {
    path: PathBuf,
    loop_count: u32,
    /// Frames of silence between plays.
    pause: u32,
    active: bool,
    /// Tells this start's io from that of an earlier one still finishing a tick.
    generation: u64,
    slot: Option<Slot>,
    reader: Option<Reader>,
    channels: usize,
    /// Interleaved samples of the current play not read yet.
    remaining: u32,
    phase: Phase,
    plays_done: u32,
    started_reported: bool,
    completion: Option<Arc<CompletionShared>>,
    /// One frame of interleaved samples as read.
    scratch: Vec<i16>,
}

/// What leaves the state lock to be done without it.
#[derive(Default)]
struct Teardown {
    slot: Option<Slot>,
    completion: Option<Arc<CompletionShared>>,
    result: Option<Result<(), WaveFileError>>,
}

/// Plays a WAV file into its producer slot (the seed's `WavePlayer`); reusable: start and
/// stop it any number of times. Built with [`WavePlayer::new`], used through its `Arc`;
/// dropping the last `Arc` stops it.
pub struct WavePlayer {
    mixer: Mixer,
    id: PortId,
    filename: PathBuf,
    options: WavePlayerOptions,
    state: Arc<Mutex<PlayerState>>,
}

impl fmt::Debug for WavePlayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WavePlayer")
            .field("id", &self.id)
            .field("filename", &self.filename)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl WavePlayer {
    /// A stopped player of `filename` on `mixer`. The file is opened by [`start`](Self::start).
    ///
    /// # Errors
    /// [`EngineError::InvalidVolume`] for a volume above 100.
    pub fn new(
        mixer: &Mixer,
        filename: impl Into<PathBuf>,
        options: WavePlayerOptions,
    ) -> Result<Arc<Self>, EngineError> {
        if options.volume > 100 {
            return Err(EngineError::InvalidVolume(options.volume));
        }
        let filename = filename.into();
        Ok(Arc::new(Self {
            mixer: mixer.clone(),
            id: PortId::new(),
            filename: filename.clone(),
            options,
            state: Arc::new(Mutex::new(PlayerState {
                path: filename.clone(),
                loop_count: options.loop_count,
                pause: pause_frames(options.pause_time),
                active: false,
                generation: 0,
                slot: None,
                reader: None,
                channels: 1,
                remaining: 0,
                phase: Phase::Play,
                plays_done: 0,
                started_reported: false,
                completion: None,
                scratch: Vec::new(),
            })),
        }))
    }

    /// The file played.
    #[must_use]
    pub fn filename(&self) -> &Path {
        &self.filename
    }

    /// How the file is played.
    #[must_use]
    pub fn options(&self) -> WavePlayerOptions {
        self.options
    }

    /// Whether the player is started (playing or pausing between plays).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.state.lock().active
    }

    /// Opens the file and starts playing it from the next tick (or after `pause_time` when
    /// `initial_play` is false). A file that cannot be played is reported by
    /// [`AudioEvent::WavePlayerDidFail`], not as an error.
    ///
    /// # Errors
    /// [`EngineError::AlreadyActive`]; [`EngineError::Mixer`] when the mixer has no free slot.
    pub fn start(&self) -> Result<(), EngineError> {
        self.start_with(None)
    }

    /// Starts playing and returns the play's [`Completion`], to wait on or await.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn play(&self) -> Result<Completion, EngineError> {
        let completion = Completion::new();
        self.start_with(Some(Arc::clone(&completion.shared)))?;
        Ok(completion)
    }

    /// Stops playing at once; [`AudioEvent::WavePlayerDidEnd`] follows when it was playing.
    pub fn stop(&self) {
        let teardown = {
            let mut state = self.state.lock();
            if !state.active {
                return;
            }
            finish(&mut state, Ok(()))
        };
        self.run_teardown(teardown);
    }

    fn start_with(&self, completion: Option<Arc<CompletionShared>>) -> Result<(), EngineError> {
        let mut state = self.state.lock();
        if state.active {
            return Err(EngineError::AlreadyActive);
        }
        let reader = match open_for_play(&self.filename) {
            Ok(reader) => reader,
            Err(error) => {
                drop(state);
                self.mixer.emit(AudioEvent::WavePlayerDidFail {
                    port: self.id,
                    error: error.clone(),
                });
                if let Some(completion) = completion {
                    completion.complete(Err(error));
                }
                return Ok(());
            }
        };
        let spec = reader.spec();
        state.generation += 1;
        let io = PlayerIo {
            state: Arc::clone(&self.state),
            generation: state.generation,
            mixer: self.mixer.clone(),
            port: self.id,
        };
        let slot = self.mixer.add_slot(spec.sample_rate, Box::new(io))?;
        self.mixer
            .set_input_gain(slot.id(), f32::from(self.options.volume) / 100.0)?;
        let slot_id = slot.id();
        let pause = state.pause;
        state.active = true;
        state.channels = usize::from(spec.channels);
        state.remaining = reader.len();
        state.reader = Some(reader);
        state.scratch = vec![0; (spec.sample_rate / (1000 / FRAME_MS)) as usize * state.channels];
        state.phase = if self.options.initial_play || pause == 0 {
            Phase::Play
        } else {
            Phase::Pause(pause)
        };
        state.plays_done = 0;
        state.started_reported = false;
        state.completion = completion;
        state.slot = Some(slot);
        drop(state);
        self.mixer.port_slots_changed(
            self.id,
            None,
            Some(SlotChange {
                old: None,
                new: Some(slot_id),
            }),
        );
        Ok(())
    }

    fn run_teardown(&self, teardown: Teardown) {
        run_teardown(&self.mixer, self.id, teardown);
    }
}

/// Frames of silence in `pause`, rounded up.
fn pause_frames(pause: Duration) -> u32 {
    let frame = u128::from(FRAME_MS) * 1_000_000;
    u32::try_from(pause.as_nanos().div_ceil(frame)).unwrap_or(u32::MAX)
}

/// Stops the player under its lock, handing back what must be done without it.
fn finish(state: &mut PlayerState, result: Result<(), WaveFileError>) -> Teardown {
    state.active = false;
    state.reader = None;
    Teardown {
        slot: state.slot.take(),
        completion: state.completion.take(),
        result: Some(result),
    }
}

/// Removes the player's slot, reports it, then reports the end and completes the play.
fn run_teardown(mixer: &Mixer, port: PortId, teardown: Teardown) {
    if let Some(slot) = teardown.slot {
        let old = slot.id();
        drop(slot);
        mixer.port_slots_changed(
            port,
            None,
            Some(SlotChange {
                old: Some(old),
                new: None,
            }),
        );
    }
    let Some(result) = teardown.result else {
        return;
    };
    match &result {
        Ok(()) => mixer.emit(AudioEvent::WavePlayerDidEnd { port }),
        Err(error) => mixer.emit(AudioEvent::WavePlayerDidFail {
            port,
            error: error.clone(),
        }),
    }
    if let Some(completion) = teardown.completion {
        completion.complete(result);
    }
}

/// Opens a WAV file and checks that the player takes its format.
pub(crate) fn open_for_play(path: &Path) -> Result<Reader, WaveFileError> {
    let reader = hound::WavReader::open(path).map_err(|e| WaveFileError::hound(path, e))?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
        || !(1..=2).contains(&spec.channels)
        || !RATES.contains(&spec.sample_rate)
    {
        return Err(WaveFileError::UnsupportedFormat {
            path: path.to_owned(),
            channels: spec.channels,
            bits_per_sample: spec.bits_per_sample,
            sample_rate: spec.sample_rate,
            float: spec.sample_format == hound::SampleFormat::Float,
        });
    }
    Ok(reader)
}

/// The player's slot io: reads one frame per tick.
struct PlayerIo {
    state: Arc<Mutex<PlayerState>>,
    generation: u64,
    mixer: Mixer,
    port: PortId,
}

impl SlotIo for PlayerIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let mut started = false;
        let (produced, teardown) = {
            let mut guard = self.state.lock();
            let state = &mut *guard;
            if !state.active || state.generation != self.generation {
                return false;
            }
            match state.phase {
                Phase::Finished => (false, finish(state, Ok(()))),
                Phase::Pause(left) => {
                    state.phase = if left <= 1 {
                        Phase::Play
                    } else {
                        Phase::Pause(left - 1)
                    };
                    (false, Teardown::default())
                }
                Phase::Play => {
                    if !state.started_reported {
                        state.started_reported = true;
                        started = true;
                    }
                    match read_frame(state, out) {
                        Ok(()) => (true, Teardown::default()),
                        Err(error) => (false, finish(state, Err(error))),
                    }
                }
            }
        };
        if started {
            self.mixer
                .emit(AudioEvent::WavePlayerDidStart { port: self.port });
        }
        run_teardown(&self.mixer, self.port, teardown);
        produced
    }
}

/// Reads the next frame of the play into `out` (zero-padded at the end of the file), and moves
/// to the pause, the next play or the end when the file is exhausted.
fn read_frame(state: &mut PlayerState, out: &mut [i16]) -> Result<(), WaveFileError> {
    let reader = state
        .reader
        .as_mut()
        .expect("an active player has a reader");
    let wanted = out.len() * state.channels;
    let take = wanted.min(state.remaining as usize);
    let scratch = &mut state.scratch[..wanted];
    let mut got = 0;
    for (dst, sample) in scratch.iter_mut().zip(reader.samples::<i16>().take(take)) {
        *dst = sample.map_err(|e| WaveFileError::hound(&state.path, e))?;
        got += 1;
    }
    if got < take {
        return Err(WaveFileError::Truncated {
            path: state.path.clone(),
        });
    }
    scratch[got..].fill(0);
    state.remaining -= u32::try_from(got).expect("a frame is short");
    if state.channels == 2 {
        for (o, pair) in out.iter_mut().zip(scratch.chunks_exact(2)) {
            // The average of two i16 fits an i16.
            *o = ((i32::from(pair[0]) + i32::from(pair[1])) / 2) as i16;
        }
    } else {
        out.copy_from_slice(scratch);
    }
    if state.remaining == 0 {
        state.plays_done += 1;
        if state.loop_count != 0 && state.plays_done >= state.loop_count {
            state.phase = Phase::Finished;
        } else {
            let reader = state
                .reader
                .as_mut()
                .expect("an active player has a reader");
            reader
                .seek(0)
                .map_err(|e| WaveFileError::io(&state.path, &e))?;
            state.remaining = reader.len();
            state.phase = if state.pause == 0 {
                Phase::Play
            } else {
                Phase::Pause(state.pause)
            };
        }
    }
    Ok(())
}

impl AudioPort for WavePlayer {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        None
    }

    fn producer_slot(&self) -> Option<SlotId> {
        self.state.lock().slot.as_ref().map(Slot::id)
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

impl Drop for WavePlayer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The recorder's state, shared with its slot io.
struct RecorderState {
    generation: u64,
    slot: Option<Slot>,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    frames_since_flush: u32,
}

/// Frames between two header updates: one second.
const FLUSH_FRAMES: u32 = 1000 / FRAME_MS;

/// Records what it hears into a WAV file (the seed's `WaveRecorder`): mono 16-bit PCM at the
/// mixer's clock rate. Reusable: a new `start()` overwrites the file. Only frames that reach
/// its consumer slot are written, so a recorder in no bridge writes nothing. Built with
/// [`WaveRecorder::new`], used through its `Arc`; dropping the last `Arc` finalizes the file.
pub struct WaveRecorder {
    mixer: Mixer,
    id: PortId,
    filename: PathBuf,
    state: Arc<Mutex<RecorderState>>,
}

impl fmt::Debug for WaveRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaveRecorder")
            .field("id", &self.id)
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}

impl WaveRecorder {
    /// A stopped recorder into `filename` on `mixer`; nothing is created before
    /// [`start`](Self::start).
    #[must_use]
    pub fn new(mixer: &Mixer, filename: impl Into<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            mixer: mixer.clone(),
            id: PortId::new(),
            filename: filename.into(),
            state: Arc::new(Mutex::new(RecorderState {
                generation: 0,
                slot: None,
                writer: None,
                frames_since_flush: 0,
            })),
        })
    }

    /// The file written.
    #[must_use]
    pub fn filename(&self) -> &Path {
        &self.filename
    }

    /// Whether the recorder is started.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.state.lock().writer.is_some()
    }

    /// Creates the file's directories and the file (replacing an earlier one), and starts
    /// recording from the next tick.
    ///
    /// # Errors
    /// [`EngineError::AlreadyActive`]; [`EngineError::File`] when the directories or the file
    /// cannot be created; [`EngineError::Mixer`] when the mixer has no free slot.
    pub fn start(&self) -> Result<(), EngineError> {
        let mut state = self.state.lock();
        if state.writer.is_some() {
            return Err(EngineError::AlreadyActive);
        }
        let path = &self.filename;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| WaveFileError::io(parent, &e))?;
        }
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.mixer.clock_rate(),
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer =
            hound::WavWriter::create(path, spec).map_err(|e| WaveFileError::hound(path, e))?;
        state.generation += 1;
        let io = RecorderIo {
            state: Arc::clone(&self.state),
            generation: state.generation,
            mixer: self.mixer.clone(),
            port: self.id,
            path: path.clone(),
        };
        let slot = self.mixer.add_slot(self.mixer.clock_rate(), Box::new(io))?;
        let slot_id = slot.id();
        state.writer = Some(writer);
        state.slot = Some(slot);
        state.frames_since_flush = 0;
        drop(state);
        self.mixer.port_slots_changed(
            self.id,
            Some(SlotChange {
                old: None,
                new: Some(slot_id),
            }),
            None,
        );
        Ok(())
    }

    /// Stops recording and finalizes the file (its header gets the final lengths). Stopping a
    /// stopped recorder does nothing.
    ///
    /// # Errors
    /// [`EngineError::File`] when the header could not be written.
    pub fn stop(&self) -> Result<(), EngineError> {
        let (writer, slot) = {
            let mut state = self.state.lock();
            state.generation += 1;
            (state.writer.take(), state.slot.take())
        };
        release_slot(&self.mixer, self.id, slot);
        match writer {
            Some(writer) => writer
                .finalize()
                .map_err(|e| WaveFileError::hound(&self.filename, e).into()),
            None => Ok(()),
        }
    }
}

/// Removes a recorder's slot and reports the change.
fn release_slot(mixer: &Mixer, port: PortId, slot: Option<Slot>) {
    if let Some(slot) = slot {
        let old = slot.id();
        drop(slot);
        mixer.port_slots_changed(
            port,
            Some(SlotChange {
                old: Some(old),
                new: None,
            }),
            None,
        );
    }
}

impl AudioPort for WaveRecorder {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        self.state.lock().slot.as_ref().map(Slot::id)
    }

    fn producer_slot(&self) -> Option<SlotId> {
        None
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

impl Drop for WaveRecorder {
    fn drop(&mut self) {
        // Nobody is left to hear about a failing header write.
        let _ = self.stop();
    }
}

/// The recorder's slot io: writes each consumed frame.
struct RecorderIo {
    state: Arc<Mutex<RecorderState>>,
    generation: u64,
    mixer: Mixer,
    port: PortId,
    path: PathBuf,
}

impl RecorderIo {
    fn write(state: &mut RecorderState, frame: &[i16]) -> Result<(), hound::Error> {
        let writer = state.writer.as_mut().expect("checked by the caller");
        let mut samples = writer.get_i16_writer(u32::try_from(frame.len()).unwrap_or(0));
        for &s in frame {
            samples.write_sample(s);
        }
        samples.flush()?;
        state.frames_since_flush += 1;
        if state.frames_since_flush >= FLUSH_FRAMES {
            state.frames_since_flush = 0;
            writer.flush()?;
        }
        Ok(())
    }
}

impl SlotIo for RecorderIo {
    fn consume(&mut self, frame: &[i16]) {
        let failed = {
            let mut state = self.state.lock();
            if state.generation != self.generation || state.writer.is_none() {
                return;
            }
            match Self::write(&mut state, frame) {
                Ok(()) => return,
                Err(error) => {
                    state.generation += 1;
                    let writer = state.writer.take();
                    let slot = state.slot.take();
                    (error, writer, slot)
                }
            }
        };
        let (error, writer, slot) = failed;
        if let Some(writer) = writer {
            // Keeps what reached the disk readable when the header can still be written.
            let _ = writer.finalize();
        }
        release_slot(&self.mixer, self.port, slot);
        self.mixer.emit(AudioEvent::WaveRecorderDidFail {
            port: self.port,
            error: WaveFileError::hound(&self.path, error),
        });
    }
}

/// Writes `duration` of a sine of `frequency` Hz at `level_dbfs` as a mono 16-bit WAV file at
/// `sample_rate`: the test signals of demos and tests, and a tone to play with a
/// [`WavePlayer`].
///
/// # Errors
/// [`WaveFileError::Io`] when the file cannot be written; [`WaveFileError::UnsupportedFormat`]
/// for a rate or tone the generator refuses.
pub fn write_tone(
    path: &Path,
    frequency: f64,
    level_dbfs: f64,
    sample_rate: u32,
    duration: Duration,
) -> Result<(), WaveFileError> {
    let unsupported = || WaveFileError::UnsupportedFormat {
        path: path.to_owned(),
        channels: 1,
        bits_per_sample: 16,
        sample_rate,
        float: false,
    };
    let mut tone = crate::tone::SineGenerator::new(frequency, level_dbfs, sample_rate)
        .map_err(|_| unsupported())?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer =
        hound::WavWriter::create(path, spec).map_err(|e| WaveFileError::hound(path, e))?;
    let total = (duration.as_secs_f64() * f64::from(sample_rate)).round() as usize;
    let mut block = vec![0i16; (sample_rate / 50) as usize];
    let mut written = 0;
    while written < total {
        let n = block.len().min(total - written);
        tone.fill(&mut block[..n]);
        for &s in &block[..n] {
            writer
                .write_sample(s)
                .map_err(|e| WaveFileError::hound(path, e))?;
        }
        written += n;
    }
    writer.finalize().map_err(|e| WaveFileError::hound(path, e))
}

/// Reads a 16-bit WAV file as mono samples (channels averaged) with its sample rate: for
/// checking recordings, as the demo and tests do with [`crate::goertzel::tone_level`].
///
/// # Errors
/// As for playing: [`WaveFileError::Io`], [`WaveFileError::NotWav`],
/// [`WaveFileError::UnsupportedFormat`] (not 16-bit integer PCM, or more than 2 channels),
/// [`WaveFileError::Truncated`].
pub fn read_mono(path: &Path) -> Result<(Vec<i16>, u32), WaveFileError> {
    let mut reader = hound::WavReader::open(path).map_err(|e| WaveFileError::hound(path, e))?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
        || !(1..=2).contains(&spec.channels)
    {
        return Err(WaveFileError::UnsupportedFormat {
            path: path.to_owned(),
            channels: spec.channels,
            bits_per_sample: spec.bits_per_sample,
            sample_rate: spec.sample_rate,
            float: spec.sample_format == hound::SampleFormat::Float,
        });
    }
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .map_err(|e| WaveFileError::hound(path, e))?;
    let mono = if spec.channels == 2 {
        samples
            .chunks_exact(2)
            .map(|p| ((i32::from(p[0]) + i32::from(p[1])) / 2) as i16)
            .collect()
    } else {
        samples
    };
    Ok((mono, spec.sample_rate))
}
