//! The audio engine of sipsimple-rs: its signal-processing core.
//!
//! - [`codec`]: G.711 µ-law and A-law, G.722, L16 and, with the `opus` feature (system
//!   libopus), Opus behind the [`codec::Encoder`] and [`codec::Decoder`] traits, with the
//!   [`codec::CodecInfo`] that SDP needs.
//! - [`tone`]: sine, DTMF and call-progress tone generators.
//! - [`goertzel`]: single-frequency power measurement and a DTMF detector.
//! - [`resample`]: streaming polyphase resampling between 8, 16, 32, 44.1 and 48 kHz.
//! - [`jitter`]: fixed-delay and adaptive jitter buffers with loss concealment.
//! - [`mixer`]: the conference bridge, mixing 20 ms frames between slots of any of those rates.
//!
//! Those modules are pure computation on caller-owned buffers: no threads, clocks or files,
//! and no allocation once a stream is set up. Time, where it matters (the jitter buffers), is
//! passed in.
//!
//! On top of them sits the port layer applications use (the seed's `sipsimple.audio`), which
//! does use threads, clocks and files:
//!
//! - [`engine`]: [`engine::Mixer`], the shared mixer whose clock calls each slot's
//!   [`engine::SlotIo`]; the [`engine::AudioPort`] trait and the [`engine::AudioEvent`]s.
//! - [`bridge`]: [`bridge::AudioBridge`], connecting ports in a full mesh; bridges nest.
//! - [`device`]: the [`device::AudioDevice`] port and the devices driving the clock:
//!   [`device::NullDevice`], [`device::WavFileDevice`], and with the `cpal` feature the sound
//!   card (`cpal_device`).
//! - [`wave`]: [`wave::WavePlayer`] and [`wave::WaveRecorder`].
//! - [`tone_port`]: [`tone_port::ToneGenerator`], tones and DTMF keys as a port.
//!
//! # Example
//!
//! A 20 ms frame of a DTMF key, through G.722 and back, keeps both of its tones:
//!
//! ```
//! use sipsimple_audio::codec::{Codec, CodecKind};
//! use sipsimple_audio::goertzel::tone_level;
//! use sipsimple_audio::tone::{DtmfDigit, DualTone};
//!
//! let info = CodecKind::G722.info();
//! let samples = info.samples_per_frame(20);
//! let mut key = DualTone::dtmf(DtmfDigit::new('5')?, -10.0, info.sample_rate)?;
//! let (mut encoder, mut decoder) = (CodecKind::G722.encoder(), CodecKind::G722.decoder());
//! let mut pcm = vec![0i16; samples];
//! let mut payload = vec![0u8; info.payload_len(samples)];
//! let mut decoded = vec![0i16; samples];
//! for _ in 0..10 {
//!     key.fill(&mut pcm);
//!     let bytes = encoder.encode(&pcm, &mut payload)?;
//!     decoder.decode(&payload[..bytes], &mut decoded)?;
//! }
//! assert_eq!((samples, payload.len(), info.rtp_ticks(samples)), (320, 160, 160));
//! assert!((tone_level(&decoded, info.sample_rate, 770.0) + 10.0).abs() < 1.0);
//! assert!((tone_level(&decoded, info.sample_rate, 1336.0) + 10.0).abs() < 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bridge;
pub mod codec;
#[cfg(feature = "cpal")]
pub mod cpal_device;
pub mod device;
pub mod engine;
pub mod goertzel;
pub mod jitter;
pub mod mixer;
pub mod resample;
pub mod tone;
pub mod tone_port;
pub mod wave;
