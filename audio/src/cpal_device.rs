//! The sound card as the mixer's device, through `cpal` (the `cpal` feature).
//!
//! # Clock and buffers
//!
//! The output stream's callback drives the mixer: when the card asks for samples, the callback
//! runs as many [`Mixer::tick`]s as it takes to cover the request, each leaving one 20 ms frame
//! (converted from the clock rate to the card's) in a playback ring, and copies the request
//! out of it; whatever a request leaves over waits in the ring for the next. The capture
//! callback appends what the card recorded (down-mixed to mono) to a capture ring, from which
//! each tick takes one frame. Both rings are bounded ([`RING_FRAMES`] frames); a capture ring
//! that overflows (the output clock runs slower than the input's) drops its oldest samples,
//! one that runs dry gives silence for that frame. Without an output device, an
//! [`AudioClock`] drives the mixer instead, so exactly one clock ticks.
//!
//! The card runs at a rate the mixer's resampler takes: the clock rate when the card offers
//! it, else 48, 44.1, 16, 32 or 8 kHz; a card offering none of those is refused. Samples are
//! 16-bit integers or 32-bit floats, whichever the card prefers.
//!
//! Errors the card reports while running become [`AudioEvent::DeviceDidFail`]; none panics.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};
use parking_lot::Mutex;

use crate::device::AudioClock;
use crate::engine::{AudioEvent, DeviceAttachment, EngineError, Mixer, SilentIo, SlotIo};
use crate::mixer::RATES;
use crate::resample::Resampler;

/// The most 20 ms frames each ring holds: 200 ms, more than any card's buffer in practice.
pub const RING_FRAMES: usize = 10;

/// A sound device as [`devices`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device's name, as [`DeviceChoice::Named`] takes it.
    pub name: String,
    /// Whether it can capture.
    pub input: bool,
    /// Whether it can play.
    pub output: bool,
}

/// Which device to use for one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The system's default device.
    Default,
    /// The device of this name (see [`devices`]).
    Named(String),
    /// No device: capture is silence, or playback is discarded.
    None,
}

/// The sound devices of the default host.
///
/// # Errors
/// [`EngineError::Device`] when the host cannot list its devices.
pub fn devices() -> Result<Vec<DeviceInfo>, EngineError> {
    let host = cpal::default_host();
    let devices = host.devices().map_err(device_error)?;
    Ok(devices
        .map(|d| DeviceInfo {
            name: d.to_string(),
            input: d.supports_input(),
            output: d.supports_output(),
        })
        .collect())
}

/// The name of the default capture device, if there is one.
#[must_use]
pub fn default_input_device() -> Option<String> {
    cpal::default_host()
        .default_input_device()
        .map(|d| d.to_string())
}

/// The name of the default playback device, if there is one.
#[must_use]
pub fn default_output_device() -> Option<String> {
    cpal::default_host()
        .default_output_device()
        .map(|d| d.to_string())
}

fn device_error(error: impl fmt::Display) -> EngineError {
    EngineError::Device(error.to_string())
}

/// Finds the device for a choice; `Ok(None)` for [`DeviceChoice::None`].
fn find(choice: &DeviceChoice, input: bool) -> Result<Option<cpal::Device>, EngineError> {
    let host = cpal::default_host();
    match choice {
        DeviceChoice::None => Ok(None),
        DeviceChoice::Default => {
            let device = if input {
                host.default_input_device()
            } else {
                host.default_output_device()
            };
            device
                .map(Some)
                .ok_or_else(|| EngineError::Device("no default device".into()))
        }
        DeviceChoice::Named(name) => host
            .devices()
            .map_err(device_error)?
            .find(|d| d.to_string() == *name)
            .map(Some)
            .ok_or_else(|| EngineError::Device(format!("no device named {name:?}"))),
    }
}

/// Picks a configuration at a rate the resampler takes, preferring the clock rate.
fn pick_config(
    device: &cpal::Device,
    input: bool,
    clock_rate: u32,
) -> Result<(StreamConfig, SampleFormat), EngineError> {
    let ranges: Vec<_> = if input {
        device
            .supported_input_configs()
            .map_err(device_error)?
            .collect()
    } else {
        device
            .supported_output_configs()
            .map_err(device_error)?
            .collect()
    };
    let preferred = [clock_rate, 48000, 44100, 16000, 32000, 8000];
    for rate in preferred.into_iter().filter(|r| RATES.contains(r)) {
        for format in [SampleFormat::I16, SampleFormat::F32] {
            if let Some(range) = ranges.iter().find(|r| {
                r.sample_format() == format
                    && r.min_sample_rate() <= rate
                    && rate <= r.max_sample_rate()
            }) {
                let config = (*range).with_sample_rate(rate);
                return Ok((config.config(), format));
            }
        }
    }
    Err(EngineError::Device(format!(
        "{device} offers no 16-bit or float format at 8, 16, 32, 44.1 or 48 kHz"
    )))
}

/// The rings between the card's callbacks and the device slot's io.
struct Rings {
    /// Captured samples at the input rate, mono.
    capture: VecDeque<i16>,
    capture_limit: usize,
    /// Samples to play at the output rate, mono.
    playback: VecDeque<i16>,
    playback_limit: usize,
}

impl Rings {
    /// Appends a captured sample, dropping the oldest when the ring is full: late audio is
    /// worth less than current audio.
    fn capture(&mut self, sample: i16) {
        if self.capture.len() >= self.capture_limit {
            if self.capture_limit == 0 {
                return;
            }
            self.capture.pop_front();
        }
        self.capture.push_back(sample);
    }
}

/// The device slot's io: a frame from the capture ring, a frame into the playback ring.
struct CardIo {
    rings: Arc<Mutex<Rings>>,
    /// Input rate to clock rate, when they differ; `None` input: silence.
    input: Option<(usize, Option<Resampler>)>,
    /// Clock rate to output rate, when they differ.
    output: Option<Option<Resampler>>,
    frame: Vec<i16>,
    converted: Vec<i16>,
}

impl SlotIo for CardIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let Some((frame_len, resampler)) = &mut self.input else {
            return false;
        };
        {
            let mut rings = self.rings.lock();
            if rings.capture.len() < *frame_len {
                return false;
            }
            for (dst, src) in self.frame[..*frame_len]
                .iter_mut()
                .zip(rings.capture.drain(..*frame_len))
            {
                *dst = src;
            }
        }
        match resampler {
            Some(r) => r.process(&self.frame[..*frame_len], out).is_ok(),
            None if *frame_len == out.len() => {
                out.copy_from_slice(&self.frame[..*frame_len]);
                true
            }
            None => false,
        }
    }

    fn consume(&mut self, frame: &[i16]) {
        let Some(resampler) = &mut self.output else {
            return;
        };
        let samples: &[i16] = match resampler {
            Some(r) => match r.process(frame, &mut self.converted) {
                Ok(n) => &self.converted[..n],
                Err(_) => return,
            },
            None => frame,
        };
        let mut rings = self.rings.lock();
        let room = rings.playback_limit.saturating_sub(rings.playback.len());
        rings.playback.extend(samples.iter().take(room).copied());
    }
}

/// The sound card driving a mixer: capture into the device slot, playback of what it
/// consumes (see the [module docs](self)). Stopped on drop.
pub struct CpalDevice {
    mixer: Mixer,
    /// The clock when the output stream does not drive it; holds the attachment then.
    timer: Option<AudioClock>,
    /// The attachment when the output stream drives the clock.
    attachment: Option<Arc<DeviceAttachment>>,
    streams: Vec<cpal::Stream>,
    input_name: Option<String>,
    output_name: Option<String>,
}

impl fmt::Debug for CpalDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpalDevice")
            .field("input", &self.input_name)
            .field("output", &self.output_name)
            .finish_non_exhaustive()
    }
}

impl CpalDevice {
    /// Opens the chosen devices and starts driving `mixer`'s clock.
    ///
    /// # Errors
    /// [`EngineError::ClockBusy`] when another device drives the mixer;
    /// [`EngineError::Device`] when a device is missing, offers no usable format, or cannot
    /// open a stream.
    pub fn start(
        mixer: &Mixer,
        input: &DeviceChoice,
        output: &DeviceChoice,
    ) -> Result<Self, EngineError> {
        let attachment = mixer.attach_device(Box::new(SilentIo))?;
        let mut device = Self {
            mixer: mixer.clone(),
            timer: None,
            attachment: Some(Arc::new(attachment)),
            streams: Vec::new(),
            input_name: None,
            output_name: None,
        };
        device.open(input, output)?;
        Ok(device)
    }

    /// The capture device in use, by name.
    #[must_use]
    pub fn input_device(&self) -> Option<&str> {
        self.input_name.as_deref()
    }

    /// The playback device in use, by name.
    #[must_use]
    pub fn output_device(&self) -> Option<&str> {
        self.output_name.as_deref()
    }

    /// Switches to other devices while the mixer keeps its slots and connections;
    /// [`AudioEvent::DeviceDidChange`] reports the new pair.
    ///
    /// # Errors
    /// As [`start`](Self::start); the device is then closed (no clock runs) until a switch
    /// succeeds.
    pub fn switch(
        &mut self,
        input: &DeviceChoice,
        output: &DeviceChoice,
    ) -> Result<(), EngineError> {
        self.close();
        self.open(input, output)?;
        self.mixer.emit(AudioEvent::DeviceDidChange {
            input_device: self.input_name.clone(),
            output_device: self.output_name.clone(),
        });
        Ok(())
    }

    /// Stops the streams and the clock, and frees the mixer for another device.
    pub fn stop(&mut self) {
        self.close();
        self.attachment = None;
    }

    /// Drops the streams and the timer, keeping the clock's attachment.
    fn close(&mut self) {
        self.streams.clear();
        if let Some(mut timer) = self.timer.take() {
            timer.stop();
        }
        if let Some(attachment) = &self.attachment {
            attachment.replace_io(Box::new(SilentIo));
        }
        self.input_name = None;
        self.output_name = None;
    }

    fn open(&mut self, input: &DeviceChoice, output: &DeviceChoice) -> Result<(), EngineError> {
        let attachment = match &self.attachment {
            Some(a) => Arc::clone(a),
            None => self.mixer.attach_device(Box::new(SilentIo)).map(Arc::new)?,
        };
        let clock_rate = self.mixer.clock_rate();
        let input_device = find(input, true)?;
        let output_device = find(output, false)?;
        let input_config = input_device
            .as_ref()
            .map(|d| pick_config(d, true, clock_rate))
            .transpose()?;
        let output_config = output_device
            .as_ref()
            .map(|d| pick_config(d, false, clock_rate))
            .transpose()?;

        let frame_of = |rate: u32| (rate / 50) as usize;
        let resampler = |from: u32, to: u32| {
            (from != to).then(|| Resampler::new(from, to).expect("both rates are mixer rates"))
        };
        let rings = Arc::new(Mutex::new(Rings {
            capture: VecDeque::new(),
            capture_limit: input_config
                .as_ref()
                .map_or(0, |(c, _)| RING_FRAMES * frame_of(c.sample_rate)),
            playback: VecDeque::new(),
            playback_limit: output_config
                .as_ref()
                .map_or(0, |(c, _)| RING_FRAMES * frame_of(c.sample_rate)),
        }));
        let io = CardIo {
            rings: Arc::clone(&rings),
            input: input_config.as_ref().map(|(c, _)| {
                (
                    frame_of(c.sample_rate),
                    resampler(c.sample_rate, clock_rate),
                )
            }),
            output: output_config
                .as_ref()
                .map(|(c, _)| resampler(clock_rate, c.sample_rate)),
            frame: vec![0; 960],
            converted: vec![0; 960],
        };
        attachment.replace_io(Box::new(io));

        let mut streams = Vec::new();
        if let (Some(device), Some((config, format))) = (&input_device, &input_config) {
            let stream = match format {
                SampleFormat::F32 => build_input::<f32>(device, config, &rings, &self.mixer),
                _ => build_input::<i16>(device, config, &rings, &self.mixer),
            }?;
            streams.push(stream);
        }
        if let (Some(device), Some((config, format))) = (&output_device, &output_config) {
            let out_frame = frame_of(config.sample_rate);
            let stream = match format {
                SampleFormat::F32 => {
                    build_output::<f32>(device, config, &rings, &self.mixer, out_frame)
                }
                _ => build_output::<i16>(device, config, &rings, &self.mixer, out_frame),
            }?;
            streams.push(stream);
        }
        for stream in &streams {
            stream.play().map_err(device_error)?;
        }
        if output_device.is_none() {
            // Nothing pulls frames: a timer drives the clock. It takes the attachment over.
            drop(attachment);
            self.attachment = None;
            let io = CardIo {
                rings,
                input: input_config.as_ref().map(|(c, _)| {
                    (
                        frame_of(c.sample_rate),
                        resampler(c.sample_rate, clock_rate),
                    )
                }),
                output: None,
                frame: vec![0; 960],
                converted: vec![0; 960],
            };
            self.timer = Some(AudioClock::start(&self.mixer, Box::new(io))?);
        } else {
            self.attachment = Some(attachment);
        }
        self.streams = streams;
        self.input_name = input_device.map(|d| d.to_string());
        self.output_name = output_device.map(|d| d.to_string());
        Ok(())
    }
}

impl Drop for CpalDevice {
    fn drop(&mut self) {
        self.stop();
    }
}

fn build_input<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    rings: &Arc<Mutex<Rings>>,
    mixer: &Mixer,
) -> Result<cpal::Stream, EngineError>
where
    T: SizedSample,
    i16: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    let rings = Arc::clone(rings);
    let failures = mixer.clone();
    device
        .build_input_stream::<T, _, _>(
            *config,
            move |data: &[T], _| {
                let mut rings = rings.lock();
                for frame in data.chunks(channels) {
                    let sum: i32 = frame.iter().map(|&s| i32::from(s.to_sample::<i16>())).sum();
                    // The mean of i16 values fits an i16.
                    let mono = (sum / frame.len() as i32) as i16;
                    rings.capture(mono);
                }
            },
            move |error| {
                failures.emit(AudioEvent::DeviceDidFail {
                    error: error.to_string(),
                });
            },
            None,
        )
        .map_err(device_error)
}

fn build_output<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    rings: &Arc<Mutex<Rings>>,
    mixer: &Mixer,
    frame_len: usize,
) -> Result<cpal::Stream, EngineError>
where
    T: SizedSample + FromSample<i16>,
{
    let channels = usize::from(config.channels.max(1));
    let rings = Arc::clone(rings);
    let clock = mixer.clone();
    let failures = mixer.clone();
    device
        .build_output_stream::<T, _, _>(
            *config,
            move |data: &mut [T], _| {
                let wanted = data.len() / channels;
                // Tick until the ring covers the request; a tick in which the device slot
                // heard nobody leaves silence in its place, so this always ends.
                loop {
                    let have = rings.lock().playback.len();
                    if have >= wanted {
                        break;
                    }
                    clock.tick();
                    let mut rings = rings.lock();
                    if rings.playback.len() == have {
                        let room = rings.playback_limit.saturating_sub(have).min(frame_len);
                        if room == 0 {
                            break;
                        }
                        rings.playback.extend(std::iter::repeat_n(0, room));
                    }
                }
                let mut rings = rings.lock();
                for frame in data.chunks_mut(channels) {
                    let sample = T::from_sample(rings.playback.pop_front().unwrap_or(0));
                    frame.fill(sample);
                }
            },
            move |error| {
                failures.emit(AudioEvent::DeviceDidFail {
                    error: error.to_string(),
                });
            },
            None,
        )
        .map_err(device_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rings(frame: usize) -> Arc<Mutex<Rings>> {
        Arc::new(Mutex::new(Rings {
            capture: VecDeque::new(),
            capture_limit: RING_FRAMES * frame,
            playback: VecDeque::new(),
            playback_limit: RING_FRAMES * frame,
        }))
    }

    #[test]
    fn the_capture_ring_keeps_the_newest_samples_within_its_bound() {
        let rings = rings(160);
        let limit = RING_FRAMES * 160;
        for k in 0..limit + 50 {
            rings.lock().capture(k as i16);
        }
        let rings = rings.lock();
        assert_eq!(rings.capture.len(), limit);
        assert_eq!(rings.capture.front(), Some(&50));
    }

    #[test]
    fn the_playback_ring_stops_at_its_bound_and_frames_convert_rates() {
        let rings = rings(960);
        let mut io = CardIo {
            rings: Arc::clone(&rings),
            input: Some((960, Some(Resampler::new(48000, 16000).expect("rates")))),
            output: Some(Some(Resampler::new(16000, 48000).expect("rates"))),
            frame: vec![0; 960],
            converted: vec![0; 960],
        };
        for _ in 0..RING_FRAMES + 3 {
            io.consume(&[1000; 320]);
        }
        assert_eq!(rings.lock().playback.len(), RING_FRAMES * 960);
        // Capture: nothing until a whole frame at the card's rate is there.
        let mut out = [0i16; 320];
        assert!(!io.produce(&mut out));
        for _ in 0..960 {
            rings.lock().capture(500);
        }
        assert!(io.produce(&mut out));
        assert!(rings.lock().capture.is_empty());
    }
}
