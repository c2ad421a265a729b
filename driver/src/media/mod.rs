//! The media engine and the audio RTP path under the audio stream.
//!
//! [`MediaEngine`] owns one thread running an async executor on which every media socket's
//! receive task and every stream's timers (ICE, RTCP, DTMF, RTP timeout) run, on real time.
//! [`RtpAudio`] is one audio stream's transport and RTP session (the seed's `RTPTransport`
//! with the audio session on it): it binds the sockets, gathers ICE candidates, describes the
//! stream for the SDP offer or answer, starts SRTP, ICE checks and RTCP once negotiated, and
//! exchanges 20 ms PCM frames with its user through [`RtpAudio::consume`] and
//! [`RtpAudio::produce`], called from the user's own clock thread.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use sipsimple::media::{MediaEngine, RtpAudio, RtpAudioConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = MediaEngine::new()?;
//! let config = RtpAudioConfig::new("127.0.0.1".parse()?, Arc::new(|event| println!("{event:?}")));
//! let audio = RtpAudio::new(&engine, config)?;
//! if let Some(gathering) = audio.initialize(None)? {
//!     futures_lite::future::block_on(gathering)?;
//! }
//! let offer = audio.local_media("127.0.0.1".parse()?);
//! # let _ = offer;
//! # Ok(())
//! # }
//! ```

mod audio;
mod engine;

pub use self::audio::{
    DropCounts, EventSink, Gathering, MediaError, RtpAudio, RtpAudioConfig, RtpAudioEvent,
    RtpStatistics,
};
pub use self::engine::MediaEngine;
