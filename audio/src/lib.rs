//! The audio engine of sipsimple-rs.
//!
//! This crate will hold the conference mixer (`AudioMixer`) running in 20 ms frames, the
//! `AudioPort` trait and its implementations (devices, bridges, WAV players and recorders,
//! tone generators), the G.711/G.722/L16 codecs and the jitter buffer. It has no content yet:
//! the message and session layers it serves come first.
#![forbid(unsafe_code)]
