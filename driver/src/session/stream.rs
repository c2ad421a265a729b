//! The stream side of sessions: the seed's `IMediaStream` as the [`MediaStream`] trait, and
//! [`SignalingStream`], a stream that negotiates like a real one but carries no media.

use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use std::sync::{Arc, Mutex, PoisonError};

use sipsimple_proto::sdp::negotiation::{AcceptedStream, Codec, LocalStream};
use sipsimple_proto::sdp::{MediaDescription, MediaType};

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

/// Makes streams of one kind from a peer's offer: what the seed's `IMediaStream.new_from_sdp`
/// does, registered explicitly in a [`MediaStreamRegistry`] instead of through a metaclass.
pub trait MediaStreamFactory: Send + Sync + Debug {
    /// A stream for the offered m-line, or `None` when this kind does not take it.
    fn new_from_sdp(&self, media: &MediaDescription) -> Option<Arc<dyn MediaStream>>;
}

/// The stream kinds an application knows, asked in order of registration when an offer
/// arrives: each offered m-line gets a stream from the first factory that takes it, and the
/// incoming session's `proposed_streams` are those.
#[derive(Debug, Clone, Default)]
pub struct MediaStreamRegistry {
    factories: Arc<Mutex<Vec<Arc<dyn MediaStreamFactory>>>>,
}

impl MediaStreamRegistry {
    /// Adds a stream kind; kinds registered earlier are asked first.
    pub fn register(&self, factory: Arc<dyn MediaStreamFactory>) {
        self.factories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(factory);
    }

    /// The streams for the m-lines of an offer, one per m-line that a factory takes (lines
    /// offered with port 0 are skipped).
    pub fn streams_for(&self, media: &[MediaDescription]) -> Vec<Arc<dyn MediaStream>> {
        let factories = self
            .factories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        media
            .iter()
            .filter(|m| m.port() != 0)
            .filter_map(|m| factories.iter().find_map(|f| f.new_from_sdp(m)))
            .collect()
    }
}

/// Makes a [`SignalingStream`] for every offered audio m-line, announcing ports from `base`
/// upwards.
#[derive(Debug)]
pub struct SignalingStreamFactory {
    next_port: std::sync::atomic::AtomicU16,
}

impl SignalingStreamFactory {
    /// A factory whose streams announce ports from `base` (two apart, as RTP and RTCP).
    pub fn new(base: u16) -> Self {
        Self {
            next_port: std::sync::atomic::AtomicU16::new(base),
        }
    }
}

impl MediaStreamFactory for SignalingStreamFactory {
    fn new_from_sdp(&self, media: &MediaDescription) -> Option<Arc<dyn MediaStream>> {
        if stream_type_of(media.media_type()) != "audio" {
            return None;
        }
        let port = self.next_port.fetch_add(2, Ordering::Relaxed);
        Some(Arc::new(SignalingStream::audio(port)))
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
