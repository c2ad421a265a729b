//! The stream side of sessions: the seed's `IMediaStream` as the [`MediaStream`] trait, and
//! [`SignalingStream`], a stream that negotiates like a real one but carries no media.

use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use sipsimple_proto::sdp::negotiation::{AcceptedStream, Codec, LocalStream};
use sipsimple_proto::sdp::MediaType;

/// A stream of a session (the seed's `IMediaStream`): it says what it can do for the SDP
/// offer or answer, and is told when the negotiation accepted it and when it ends.
///
/// The session calls these from its engine thread; implementations hand work to their own
/// threads rather than block.
pub trait MediaStream: Send + Sync + Debug {
    /// The stream's type, as the seed names it: `"audio"`, `"chat"`, `"file-transfer"`…
    fn stream_type(&self) -> &'static str;

    /// What the stream offers, or is willing to answer with, when media is received at
    /// `address` (the seed's `get_local_media`).
    fn get_local_media(&self, address: IpAddr) -> LocalStream;

    /// The negotiation accepted the stream with these parameters: start sending and
    /// receiving.
    fn start(&self, negotiated: &AcceptedStream);

    /// The session ended (or the stream was rejected or removed): stop and let go of
    /// resources.
    fn end(&self);
}

/// An audio stream that negotiates PCMU, PCMA and telephone-event like a real one but sends
/// and receives nothing: it lets sessions be set up, held and ended where no audio engine
/// runs, and counts how often it was started and ended.
#[derive(Debug)]
pub struct SignalingStream {
    port: u16,
    started: AtomicU32,
    ended: AtomicU32,
}

impl SignalingStream {
    /// A stream announcing media at `port` (which it does not open).
    pub fn audio(port: u16) -> Self {
        Self {
            port,
            started: AtomicU32::new(0),
            ended: AtomicU32::new(0),
        }
    }

    /// How often [`MediaStream::start`] was called.
    pub fn started(&self) -> u32 {
        self.started.load(Ordering::SeqCst)
    }

    /// How often [`MediaStream::end`] was called.
    pub fn ended(&self) -> u32 {
        self.ended.load(Ordering::SeqCst)
    }
}

impl MediaStream for SignalingStream {
    fn stream_type(&self) -> &'static str {
        "audio"
    }

    fn get_local_media(&self, address: IpAddr) -> LocalStream {
        LocalStream::audio(
            address,
            self.port,
            [Codec::pcmu(), Codec::pcma(), Codec::telephone_event()],
        )
    }

    fn start(&self, _negotiated: &AcceptedStream) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }

    fn end(&self) {
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
}

/// The seed's stream type name for an m-line's media type.
pub(crate) fn stream_type_of(media: &MediaType) -> &'static str {
    match media.to_string().as_str() {
        "audio" => "audio",
        "video" => "video",
        "message" => "chat",
        "application" => "application",
        _ => "other",
    }
}
