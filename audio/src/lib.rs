//! The audio engine of sipsimple-rs: its signal-processing core.
//!
//! - [`codec`]: G.711 µ-law and A-law, G.722 and L16 behind the [`codec::Encoder`] and
//!   [`codec::Decoder`] traits, with the [`codec::CodecInfo`] that SDP needs.
//! - [`tone`]: sine, DTMF and call-progress tone generators.
//! - [`goertzel`]: single-frequency power measurement and a DTMF detector.
//! - [`resample`]: streaming polyphase resampling between 8, 16, 32 and 48 kHz.
//! - [`jitter`]: fixed-delay and adaptive jitter buffers with loss concealment.
//!
//! Everything here is pure computation on caller-owned buffers: no threads, clocks or files,
//! and no allocation once a stream is set up. Time, where it matters (the jitter buffers), is
//! passed in. The mixer, audio ports, devices and WAV files build on these parts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod goertzel;
pub mod jitter;
pub mod resample;
pub mod tone;
