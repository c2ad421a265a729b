//! The stream side of sessions: the seed's `IMediaStream` as the [`MediaStream`] trait, and
//! [`SignalingStream`], a stream that negotiates like a real one but carries no media.

use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use std::sync::{Arc, Mutex, PoisonError};

use sipsimple_proto::sdp::negotiation::{AcceptedStream, Codec, LocalStream};
use sipsimple_proto::sdp::{MediaDescription, MediaType};

use super::Direction;
use crate::configuration::AccountSettings;
use sipsimple_proto::endpoint::TransportKind;

/// A stream of a session (the seed's `IMediaStream`): it says what it can do for the SDP
/// offer or answer, and is told when it is offered, accepted, renegotiated, held, and ended.
///
/// The session calls these from its engine thread; implementations hand work to their own
/// threads rather than block. The session posts the seed's `MediaStreamDidInitialize`,
/// `MediaStreamDidStart`, `MediaStreamDidFail`, `MediaStreamWillEnd` and
/// `MediaStreamDidEnd` for every stream around these calls, with the stream's own sender
/// ([`stream_sender`]) and its `session`, `index` (its m-line, once it has one) and `type`,
/// so that an implementation need not.
///
/// A session's streams are `Arc<dyn MediaStream>`; [`downcast_stream`] gives back the
/// concrete type, as an application needs to use an `AudioStream` as an audio port.
///
/// The seed's `get_local_media(for_offer)` reflects the hold state; here the session writes
/// the RFC 3264 hold directions into the description itself, and tells the stream with
/// [`MediaStream::hold`] and [`MediaStream::unhold`].
pub trait MediaStream: std::any::Any + Send + Sync + Debug {
    /// The stream's type, as the seed names it: `"audio"`, `"chat"`, `"file-transfer"`…
    fn stream_type(&self) -> &'static str;

    /// The seed's `priority`: streams of higher priority come first when an application
    /// orders them. 0 unless the stream says otherwise.
    fn priority(&self) -> i32 {
        0
    }

    /// What the stream offers, or is willing to answer with, when media is received at
    /// `address` (the seed's `get_local_media`).
    fn get_local_media(&self, address: IpAddr) -> LocalStream;

    /// The seed's `initialize`: the stream is about to be offered (`outgoing`) or was
    /// proposed by the peer and is being accepted (`incoming`); `context` says for which
    /// account and at which local address, so that the stream can bind its sockets and
    /// gather candidates there.
    ///
    /// A stream ready at once answers [`Initialization::Ready`]; one that cannot be used
    /// answers [`Initialization::Failed`], which leaves it out of the session. A stream with
    /// work to do first (gathering ICE candidates, opening a connection) answers
    /// [`Initialization::Pending`] and reports later, from any thread, through `done`. The
    /// session waits for every stream of the offer or answer, at most
    /// [`INITIALIZE_TIMEOUT`], before it sends it; `get_local_media` is asked only after.
    fn initialize(&self, context: &StreamContext, done: InitializeDone) -> Initialization {
        let _ = (context, done);
        Initialization::Ready
    }

    /// The negotiation accepted the stream with these parameters: start sending and
    /// receiving.
    fn start(&self, negotiated: &AcceptedStream);

    /// The seed's `validate_update`: the peer's re-offer changes this stream's m-line to
    /// `remote`; `false` refuses the whole re-offer (488). Must not change the stream.
    fn validate_update(&self, remote: &MediaDescription) -> bool {
        let _ = remote;
        true
    }

    /// The seed's `update`: a renegotiation kept the stream, now with these parameters.
    fn update(&self, negotiated: &AcceptedStream) {
        let _ = negotiated;
    }

    /// The seed's `hold_supported`: whether hold applies to this stream.
    fn hold_supported(&self) -> bool {
        false
    }

    /// The seed's `hold`: we put the session on hold; stop sending.
    fn hold(&self) {}

    /// The seed's `unhold`: we took the session off hold.
    fn unhold(&self) {}

    /// The seed's `on_hold_by_local`.
    fn on_hold_by_local(&self) -> bool {
        false
    }

    /// The seed's `on_hold_by_remote`.
    fn on_hold_by_remote(&self) -> bool {
        false
    }

    /// The seed's `on_hold`: held by either side.
    fn on_hold(&self) -> bool {
        self.on_hold_by_local() || self.on_hold_by_remote()
    }

    /// Sends the DTMF `digit` (`0`–`9`, `*`, `#`, `A`–`D`) in the stream's media (the seed's
    /// `AudioStream.send_dtmf`, RFC 4733 telephone-events). Streams that carry no audio
    /// refuse with the reason.
    fn send_dtmf(&self, digit: char) -> Result<(), String> {
        let _ = digit;
        Err(format!("the {} stream carries no DTMF", self.stream_type()))
    }

    /// The seed's `deactivate`: the stream is about to be removed or the session ended;
    /// the transport closing from the other side is now normal, not an error.
    fn deactivate(&self) {}

    /// The session ended (or the stream was rejected or removed): stop and let go of
    /// resources.
    fn end(&self);
}

/// What a session tells its streams when it initializes them (the seed passes the session
/// itself, from which a stream reads the account and addresses).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamContext {
    /// The session's id, as its notifications carry it.
    pub session: u64,
    /// Whether the stream is about to be offered or was offered by the peer.
    pub direction: Direction,
    /// The account the session belongs to: its codecs, SRTP, ICE and media timeout settings.
    pub account: AccountSettings,
    /// The local address the session signals from, where media should be received too.
    pub local_ip: IpAddr,
    /// The peer's identity (its From or To address), for file names such as recordings'.
    pub remote_identity: Option<String>,
    /// The transport the session signals over, when known (an outgoing call's is chosen
    /// after its streams are initialized): SDES keys travel in clear unless it is TLS.
    pub transport: Option<TransportKind>,
}

impl StreamContext {
    /// A context for a stream of `session` initialized in `direction` for `account`, with
    /// media at `local_ip`.
    pub fn new(
        session: u64,
        direction: Direction,
        account: AccountSettings,
        local_ip: IpAddr,
    ) -> Self {
        Self {
            session,
            direction,
            account,
            local_ip,
            remote_identity: None,
            transport: None,
        }
    }
}

/// `stream` as the concrete stream type `T` it is, if it is one: the `AudioStream` of a
/// session's `streams()`, say.
pub fn downcast_stream<T: MediaStream>(stream: &Arc<dyn MediaStream>) -> Option<Arc<T>> {
    let any: Arc<dyn std::any::Any + Send + Sync> = Arc::clone(stream) as _;
    any.downcast::<T>().ok()
}

/// What [`MediaStream::initialize`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initialization {
    /// The stream is ready to be offered or to answer.
    Ready,
    /// The stream cannot be used; it is left out, with this reason.
    Failed(String),
    /// The stream reports later through its [`InitializeDone`].
    Pending,
}

/// How long a session waits for streams that answered [`Initialization::Pending`]; those
/// that have not reported by then fail with "initialization timed out".
pub const INITIALIZE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The most reports waiting for the engine at once; far above the streams of all the
/// sessions being set up, so that a flood from a faulty stream is what gets dropped.
const MAX_REPORTS: usize = 1024;

/// A report of a stream's initialization: session, stream identity, outcome.
pub(crate) type InitializeReport = (u64, usize, Result<(), String>);

/// Where reports of initializations wait for the engine, and how it is woken.
#[derive(Debug)]
pub(crate) struct InitializeReports {
    queue: Mutex<std::collections::VecDeque<InitializeReport>>,
    wake: async_channel::Sender<crate::engine::Input>,
}

impl InitializeReports {
    pub(crate) fn new(wake: async_channel::Sender<crate::engine::Input>) -> Self {
        Self {
            queue: Mutex::new(std::collections::VecDeque::new()),
            wake,
        }
    }

    /// The reports that arrived since the last call.
    pub(crate) fn take(&self) -> Vec<InitializeReport> {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect()
    }
}

/// How a stream that answered [`Initialization::Pending`] reports that it is ready or that
/// it failed. It can be moved to any thread; the first report counts, later ones are
/// ignored.
#[derive(Debug, Clone)]
pub struct InitializeDone {
    reports: Arc<InitializeReports>,
    session: u64,
    stream: usize,
}

impl InitializeDone {
    pub(crate) fn new(reports: Arc<InitializeReports>, session: u64, stream: usize) -> Self {
        Self {
            reports,
            session,
            stream,
        }
    }

    /// The stream is ready (`MediaStreamDidInitialize`).
    pub fn succeeded(&self) {
        self.report(Ok(()));
    }

    /// The stream cannot be used (`MediaStreamDidFail` with `reason`); the session goes on
    /// without it.
    pub fn failed(&self, reason: impl Into<String>) {
        self.report(Err(reason.into()));
    }

    fn report(&self, outcome: Result<(), String>) {
        {
            let mut queue = self
                .reports
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if queue.len() >= MAX_REPORTS {
                return;
            }
            queue.push_back((self.session, self.stream, outcome));
        }
        // A full input queue means the engine is busy: it takes the reports after every
        // input anyway.
        let _ = self
            .reports
            .wake
            .try_send(crate::engine::Input::StreamsReported);
    }
}

/// The identity of a stream object, as its reports and notifications name it.
pub(crate) fn stream_key(stream: &Arc<dyn MediaStream>) -> usize {
    Arc::as_ptr(stream).cast::<()>() as usize
}

/// The sender of a stream's `MediaStream*` notifications: `MediaStream:<address>`, the
/// stream object's own identity, so that whoever holds the stream can observe it.
pub fn stream_sender(stream: &Arc<dyn MediaStream>) -> crate::notification::SenderId {
    crate::notification::SenderId::new(format!(
        "MediaStream:{:p}",
        Arc::as_ptr(stream).cast::<()>()
    ))
}

/// An audio stream that negotiates PCMU, PCMA and telephone-event like a real one but sends
/// and receives nothing: it lets sessions be set up, held and ended where no audio engine
/// runs, and counts how often it was started and ended.
#[derive(Debug)]
pub struct SignalingStream {
    port: u16,
    started: AtomicU32,
    updated: AtomicU32,
    ended: AtomicU32,
    held_by_local: AtomicBool,
    held_by_remote: AtomicBool,
    deactivated: AtomicBool,
}

impl SignalingStream {
    /// A stream announcing media at `port` (which it does not open).
    pub fn audio(port: u16) -> Self {
        Self {
            port,
            started: AtomicU32::new(0),
            updated: AtomicU32::new(0),
            ended: AtomicU32::new(0),
            held_by_local: AtomicBool::new(false),
            held_by_remote: AtomicBool::new(false),
            deactivated: AtomicBool::new(false),
        }
    }

    /// How often [`MediaStream::update`] was called.
    pub fn updated(&self) -> u32 {
        self.updated.load(Ordering::SeqCst)
    }

    /// Whether [`MediaStream::deactivate`] was called.
    pub fn deactivated(&self) -> bool {
        self.deactivated.load(Ordering::SeqCst)
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

impl SignalingStream {
    /// The peer holds the stream when it no longer receives on it (RFC 3264 §8.4).
    fn note_remote_hold(&self, negotiated: &AcceptedStream) {
        self.held_by_remote
            .store(!negotiated.remote_direction.receives(), Ordering::SeqCst);
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

    fn start(&self, negotiated: &AcceptedStream) {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.note_remote_hold(negotiated);
    }

    fn update(&self, negotiated: &AcceptedStream) {
        self.updated.fetch_add(1, Ordering::SeqCst);
        self.note_remote_hold(negotiated);
    }

    fn hold_supported(&self) -> bool {
        true
    }

    fn hold(&self) {
        self.held_by_local.store(true, Ordering::SeqCst);
    }

    fn unhold(&self) {
        self.held_by_local.store(false, Ordering::SeqCst);
    }

    fn on_hold_by_local(&self) -> bool {
        self.held_by_local.load(Ordering::SeqCst)
    }

    fn on_hold_by_remote(&self) -> bool {
        self.held_by_remote.load(Ordering::SeqCst)
    }

    fn deactivate(&self) {
        self.deactivated.store(true, Ordering::SeqCst);
    }

    fn send_dtmf(&self, _digit: char) -> Result<(), String> {
        Err("the signalling-only audio stream carries no media".to_owned())
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
