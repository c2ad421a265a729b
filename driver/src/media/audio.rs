//! One audio stream's RTP transport and session: sockets, SRTP, ICE, codec, jitter buffer,
//! RFC 4733 DTMF, RTCP and the RTP timeout.
//!
//! Three locks guard the state, always taken in the order control → tx → rx and never one
//! inside a later one in reverse: `control` (negotiation, ICE agent, RTCP timer), `tx` (what
//! [`RtpAudio::consume`] needs to encode and send a frame) and `rx` (what the receive task and
//! [`RtpAudio::produce`] share). The frame clock only ever takes `tx` or `rx`, for the time of
//! one frame, so the media thread never holds it up for long.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_channel::{Receiver, Sender};
use async_io::{Async, Timer};
use futures_lite::future;
use sipsimple_audio::codec::{Codec as _, CodecInfo, CodecKind, Encoder, L16Rate};
use sipsimple_audio::jitter::{JitterBuffer, JitterConfig, JitterError, JitterStats, Playout};
use sipsimple_proto::ice::{
    Candidate as IceCandidate, IceAgent, IceConfig, IceError, IceEvent, IceState, Role,
};
use sipsimple_proto::rand::Random;
use sipsimple_proto::rtp::{
    Compound, DtmfDigit, DtmfError, DtmfReceiver, DtmfReceiverConfig, DtmfSender, DtmfSenderConfig,
    EventSet, IntervalConfig, IntervalEvent, ReceiveStats, RtcpPacket, RtcpTimer, RtcpWriter,
    RtpBuilder, RtpPacket, SdesItem, SdesType, SenderInfo, HEADER_LEN,
};
use sipsimple_proto::sdp::negotiation::{AcceptedStream, Codec, LocalStream};
use sipsimple_proto::sdp::{
    Attribute, Attributes, CandidateType, ConnectionData, Crypto, MediaDescription, MediaType,
    Rtcp, TransportProtocol,
};
use sipsimple_proto::srtp::{self, crypto_attribute, Profile, SrtpContext};
use sipsimple_proto::stun::is_stun;
use thiserror::Error;

use super::engine::MediaEngine;
use crate::configuration::{PortRange, SrtpEncryption};
use crate::OsRandom;

/// Where a stream's events go: called on the media thread, never with a lock of the stream
/// held, so it may call back into the stream. It should return quickly (post a notification,
/// push into a channel).
pub type EventSink = Arc<dyn Fn(RtpAudioEvent) + Send + Sync>;

/// The packet duration we send and offer (`a=ptime`), and the frame of the frame interface.
const PTIME: Duration = Duration::from_millis(20);
/// How long each DTMF key press lasts on the wire.
const DTMF_DURATION: Duration = Duration::from_millis(100);
/// The largest datagram read from a media socket.
const MAX_DATAGRAM: usize = 2048;
/// Room for the largest RTP packet we build plus any SRTP trailer.
const PACKET_CAPACITY: usize = 1500 + 64;
/// IPv4 and UDP headers, counted in RTCP packet sizes (RFC 3550 §6.2).
const LOWER_HEADERS: u32 = 28;
/// Seconds from 1900 (NTP) to 1970 (Unix).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// The shortest wait of the timer task, so that a deadline that stays in the past cannot
/// make it spin.
const MIN_WAIT: Duration = Duration::from_millis(1);
/// How long the timer task waits after a socket error before reading again.
const ERROR_BACKOFF: Duration = Duration::from_millis(10);

/// What a [`RtpAudio`] is built from: the settings of the account and of the application
/// that apply to its audio streams.
#[derive(Clone)]
#[non_exhaustive]
pub struct RtpAudioConfig {
    /// The local address the sockets bind to.
    pub local_ip: IpAddr,
    /// The ports RTP may use (`rtp.port_range`): RTP on an even port, RTCP on the next.
    pub port_range: PortRange,
    /// Codec names in preference order, as the settings write them (`G722`, `PCMU`, `PCMA`,
    /// `L16` for 16 kHz, `L16/8000`, `L16/32000`); names this stream cannot carry are
    /// skipped.
    pub codecs: Vec<String>,
    /// When to use SRTP (SDES keys, RFC 4568).
    pub srtp: SrtpEncryption,
    /// Whether to use ICE (RFC 8445).
    pub ice: bool,
    /// STUN servers for server reflexive candidates, when ICE is on.
    pub stun_servers: Vec<SocketAddr>,
    /// How long without RTP or RTCP before [`RtpAudioEvent::Timeout`]; zero for never.
    pub timeout: Duration,
    /// How the jitter buffer chooses its delay.
    pub playout: Playout,
    /// Where events go.
    pub events: EventSink,
}

impl fmt::Debug for RtpAudioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtpAudioConfig")
            .field("local_ip", &self.local_ip)
            .field("port_range", &self.port_range)
            .field("codecs", &self.codecs)
            .field("srtp", &self.srtp)
            .field("ice", &self.ice)
            .field("stun_servers", &self.stun_servers)
            .field("timeout", &self.timeout)
            .field("playout", &self.playout)
            .finish_non_exhaustive()
    }
}

impl RtpAudioConfig {
    /// A configuration with the settings' defaults: ports 50000–50500, `G722`, `PCMU`,
    /// `PCMA`, optional SRTP, no ICE, a 30 s timeout and an adaptive jitter buffer of
    /// 30–200 ms.
    pub fn new(local_ip: IpAddr, events: EventSink) -> Self {
        let rtp = crate::configuration::RtpSettings::default();
        Self {
            local_ip,
            port_range: rtp.port_range,
            codecs: rtp.audio_codec_list,
            srtp: SrtpEncryption::Optional,
            ice: false,
            stun_servers: Vec::new(),
            timeout: Duration::from_secs(u64::from(rtp.timeout)),
            // Not 20 ms: when the peer's packets arrive just before our frame clock ticks (a
            // peer on the same clock, as on loopback), a 20 ms minimum puts the delay right
            // on an edge of the buffer's one-frame adjustment band, and it drops and repeats
            // a frame in turn every 200 ms. 30 ms keeps that case mid-band.
            playout: Playout::Adaptive {
                min: Duration::from_millis(30),
                max: Duration::from_millis(200),
            },
            events,
        }
    }
}

/// What a stream reports, for the seed's `AudioStream*` and `RTPTransport*` notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpAudioEvent {
    /// `RTPTransportICENegotiationStateDidChange`.
    IceStateChanged {
        /// The new state.
        state: IceState,
        /// The state before.
        prev_state: IceState,
    },
    /// `RTPTransportICENegotiationDidSucceed`: every component has its pair.
    IceSucceeded {
        /// The type of our candidate of the RTP component's pair.
        local_candidate_type: CandidateType,
        /// The type of the peer's candidate of that pair.
        remote_candidate_type: CandidateType,
        /// Our candidate's address (RTP component).
        local_address: SocketAddr,
        /// The peer's candidate's address (RTP component).
        remote_address: SocketAddr,
        /// The chosen pair of each component: ours, then the peer's (the seed's
        /// `chosen_local_candidates` and `chosen_remote_candidates`).
        chosen: Vec<(IceCandidate, IceCandidate)>,
        /// How long the checks took.
        duration: Duration,
    },
    /// `RTPTransportICENegotiationDidFail`; media goes on to the addresses of the SDP.
    IceFailed {
        /// Why, for people.
        reason: String,
        /// How long the checks ran.
        duration: Duration,
    },
    /// `AudioStreamDidChangeRTPParameters`: a renegotiation changed the codec, the payload
    /// type or the remote address.
    ParametersChanged,
    /// `AudioStreamGotDTMF`: one key press of the peer.
    Dtmf(char),
    /// `AudioStreamDidTimeout`: nothing received for the configured time while the peer
    /// was to send.
    Timeout,
}

/// Why a stream could not do what it was asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// No RTP/RTCP port pair of the range could be bound.
    #[error("no free RTP port pair in {range} on {ip}")]
    NoPorts {
        /// The address.
        ip: IpAddr,
        /// The range searched.
        range: PortRange,
    },
    /// A socket operation failed.
    #[error("media socket: {0}")]
    Io(#[from] io::Error),
    /// None of the configured codecs can be encoded, or the negotiation kept none of them.
    #[error("no usable audio codec")]
    NoCodec,
    /// SRTP is mandatory and the peer's description carries no usable `a=crypto` line.
    #[error("SRTP is mandatory but the peer offered or answered no usable crypto")]
    SrtpRequired,
    /// The peer asks for SRTP (`RTP/SAVP`) and SRTP is disabled, or none of its suites is
    /// supported.
    #[error("the peer requires SRTP, which is disabled or has no common suite")]
    SrtpRefused,
    /// The keys of a chosen `a=crypto` line are unusable.
    #[error("SRTP keys: {0}")]
    Srtp(#[from] srtp::Error),
    /// The stream is not an RTP audio stream we can carry (a DTLS-SRTP or non-RTP profile).
    #[error("unsupported media description: {0}")]
    Unsupported(String),
    /// The remote connection address is not an IP address.
    #[error("remote media address is not an IP address")]
    RemoteAddress,
    /// The ICE agent refused its input.
    #[error("ICE: {0}")]
    Ice(#[from] IceError),
    /// DTMF was refused: not a DTMF key, too many queued, or an event the peer refuses.
    #[error("DTMF: {0}")]
    Dtmf(#[from] DtmfError),
    /// The peer did not negotiate `telephone-event`.
    #[error("the peer does not accept RFC 4733 telephone events")]
    NoDtmf,
    /// The call does not fit the stream's state.
    #[error("{0}")]
    State(&'static str),
    /// The stream or the media engine stopped.
    #[error("the stream or the media engine stopped")]
    Stopped,
}

/// Packets dropped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// Datagrams that are neither STUN, RTP nor RTCP, or whose RTP or RTCP does not parse.
    pub malformed: u64,
    /// Packets SRTP or SRTCP refused (authentication, replay, truncation).
    pub srtp: u64,
    /// RTP packets of a payload type that is neither the codec's nor DTMF's.
    pub payload_type: u64,
    /// Packets that arrived before the stream was started or after it stopped.
    pub not_started: u64,
    /// STUN datagrams received without ICE.
    pub stray_stun: u64,
    /// Frames given to [`RtpAudio::consume`] of the wrong length.
    pub bad_frames: u64,
    /// Datagrams the socket would not send (buffer full, unreachable).
    pub send_failures: u64,
}

/// Counters of a stream, for the seed's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpStatistics {
    /// RTP packets sent (audio and DTMF).
    pub packets_sent: u64,
    /// RTP payload octets sent.
    pub bytes_sent: u64,
    /// RTP packets received and accepted.
    pub packets_received: u64,
    /// RTP payload octets received and accepted.
    pub bytes_received: u64,
    /// Packets of the peer's source lost (RFC 3550 A.3; duplicates can make it negative).
    pub packets_lost: i32,
    /// Interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1).
    pub jitter: u32,
    /// RTCP compounds sent.
    pub rtcp_sent: u64,
    /// RTCP compounds received and accepted.
    pub rtcp_received: u64,
    /// What was dropped, and why.
    pub dropped: DropCounts,
    /// The jitter buffer's counters.
    pub jitter_buffer: JitterStats,
}

/// Completion of [`RtpAudio::initialize`] while ICE gathers candidates: resolves once the
/// candidates are complete (the offer or answer may then be written).
pub struct Gathering {
    inner: Pin<Box<dyn Future<Output = Result<(), MediaError>> + Send>>,
}

impl fmt::Debug for Gathering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gathering").finish_non_exhaustive()
    }
}

impl Future for Gathering {
    type Output = Result<(), MediaError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

/// One audio stream's RTP transport and session (the seed's `RTPTransport` with the audio
/// session on it). See the [module documentation](super).
///
/// Life cycle: [`new`](Self::new), [`initialize`](Self::initialize) (binds the sockets,
/// gathers ICE candidates), [`local_media`](Self::local_media) for the offer or answer,
/// [`start`](Self::start) with the negotiated stream, [`update`](Self::update) after each
/// renegotiation, [`stop`](Self::stop). Meanwhile a clock thread calls
/// [`consume`](Self::consume) and [`produce`](Self::produce) every 20 ms.
///
/// RTCP: `a=rtcp-mux` is offered when ICE is off (RTP and RTCP then share the RTP socket if
/// the answer accepts it) and accepted whenever offered; with ICE on, our offers carry two
/// components, since the agent's component count is fixed before the answer comes.
///
/// The handle is cheap to clone; the stream stops when the last clone is dropped.
#[derive(Clone)]
pub struct RtpAudio {
    engine: MediaEngine,
    handle: Arc<Handle>,
}

impl fmt::Debug for RtpAudio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtpAudio")
            .field(
                "local",
                &self
                    .handle
                    .shared
                    .control()
                    .sockets
                    .as_ref()
                    .map(|s| s.rtp_addr),
            )
            .finish_non_exhaustive()
    }
}

/// Stops the stream when the last user handle goes; the tasks hold only `Shared`.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

struct Shared {
    config: RtpAudioConfig,
    /// The configured codecs we implement, in preference order.
    codecs: Vec<CodecKind>,
    stop: Sender<()>,
    stopped: Receiver<()>,
    poke: Sender<()>,
    poked: Receiver<()>,
    control: Mutex<Control>,
    tx: Mutex<Tx>,
    rx: Mutex<Rx>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    New,
    Initialized,
    Started,
    Stopped,
}

#[derive(Debug, Clone)]
struct Sockets {
    rtp: Arc<Async<UdpSocket>>,
    rtcp: Arc<Async<UdpSocket>>,
    rtp_addr: SocketAddr,
    rtcp_addr: SocketAddr,
}

/// What the negotiation settled, for the attributes and for `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Negotiated {
    codec: CodecKind,
    payload_type: u8,
    dtmf_payload_type: Option<u8>,
    remote_sdp: Option<SocketAddr>,
    /// Our `a=crypto` line and the peer's, when SRTP runs.
    crypto: Option<(Crypto, Crypto)>,
}

struct Control {
    phase: Phase,
    offerer: bool,
    protocol: TransportProtocol,
    /// Our `a=crypto` lines: all suites when offering, the chosen one when answering.
    local_crypto: Vec<Crypto>,
    /// Offered by us (offerer) or by the peer (answerer).
    mux_offered: bool,
    mux: bool,
    sockets: Option<Sockets>,
    ice: Option<IceAgent<OsRandom>>,
    ice_state: IceState,
    ice_completed: Option<(CandidateType, CandidateType)>,
    gathering: Option<Sender<Result<(), MediaError>>>,
    rtcp: Option<RtcpTimer<OsRandom>>,
    negotiated: Option<Negotiated>,
    local_hold: bool,
    /// Whether the peer is to send to us (its direction and ours allow it).
    expect_media: bool,
    /// Whether the peer's direction lets it receive: `sendonly` or `inactive` from it is
    /// its hold (RFC 3264 §8.4), `recvonly` is its answer to ours.
    remote_receives: bool,
    timeout_base: Instant,
    timed_out: bool,
    cname: String,
}

struct Tx {
    active: bool,
    /// The negotiated directions let us send.
    allowed: bool,
    held: bool,
    encoder: Option<Box<dyn Encoder + Send>>,
    info: Option<CodecInfo>,
    payload_type: u8,
    srtp: Option<SrtpContext>,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    marker_next: bool,
    dtmf: Option<DtmfSender>,
    dtmf_payload_type: u8,
    /// The event being sent: its start, which identifies it, and its RTP timestamp.
    dtmf_event: Option<(Instant, u32)>,
    rtp_socket: Option<Arc<Async<UdpSocket>>>,
    rtcp_socket: Option<Arc<Async<UdpSocket>>>,
    rtp_dest: Option<SocketAddr>,
    rtcp_dest: Option<SocketAddr>,
    packets: u64,
    octets: u64,
    rtcp_sent: u64,
    send_failures: u64,
    bad_frames: u64,
    payload: Vec<u8>,
    packet: Vec<u8>,
}

struct Rx {
    active: bool,
    srtp: Option<SrtpContext>,
    payload_type: u8,
    dtmf_payload_type: Option<u8>,
    codec: Option<CodecKind>,
    playout: Playout,
    jitter: Option<JitterBuffer>,
    stats: Option<ReceiveStats>,
    dtmf: DtmfReceiver,
    last_received: Option<Instant>,
    received_from: Option<SocketAddr>,
    packets: u64,
    octets: u64,
    rtcp_received: u64,
    drops: DropCounts,
    packet: Vec<u8>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The codec a settings name stands for: `PCMU`, `PCMA`, `G722`, `L16` (16 kHz),
/// `L16/<rate>` for 8, 16 and 32 kHz, and `opus` when the crate feature `opus` is on. The
/// settings accept `opus` either way (it is one of the known codec names); without the
/// feature it is skipped here like the other names we do not implement.
fn codec_from_name(name: &str) -> Option<CodecKind> {
    let (base, rate) = match name.split_once('/') {
        Some((base, rate)) => (base, Some(rate.parse::<u32>().ok()?)),
        None => (name, None),
    };
    match base.to_ascii_uppercase().as_str() {
        "PCMU" => Some(CodecKind::Pcmu),
        "PCMA" => Some(CodecKind::Pcma),
        "G722" => Some(CodecKind::G722),
        #[cfg(feature = "opus")]
        "OPUS" if rate.is_none() => Some(CodecKind::Opus),
        // 20 ms of L16 at 48 kHz (1920 bytes) does not fit one Ethernet frame.
        "L16" => L16Rate::from_hz(rate.unwrap_or(16000))
            .filter(|r| *r != L16Rate::Hz48000)
            .map(CodecKind::L16),
        _ => None,
    }
}

/// The SDP form of a codec: `a=rtpmap`, and `a=fmtp` for Opus.
fn sdp_codec(kind: CodecKind) -> Codec {
    let info = kind.info();
    let codec = Codec::new(info.encoding_name, info.rtp_clock_rate)
        .with_channels(u32::from(info.rtpmap_channels));
    match info.fmtp {
        Some(fmtp) => codec.with_fmtp(fmtp),
        None => codec,
    }
}

/// Now as a 64-bit NTP timestamp (RFC 3550 §4).
fn ntp_now() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// Binds RTP on an even port of the range and RTCP on the next, trying every pair once
/// from `cursor` on.
fn bind_pair(ip: IpAddr, range: PortRange, cursor: u32) -> Result<Sockets, MediaError> {
    let first = u32::from(range.start) + u32::from(range.start % 2);
    let last = u32::from(range.end);
    if first + 1 > last {
        return Err(MediaError::NoPorts { ip, range });
    }
    // RTP on first, first + 2, … as long as RTCP (one above) stays in the range.
    let pairs = (last - first).div_ceil(2);
    for i in 0..pairs {
        let port = first + ((cursor / 2).wrapping_add(i) % pairs) * 2;
        let Ok(port) = u16::try_from(port) else {
            continue;
        };
        let Ok(rtp) = UdpSocket::bind(SocketAddr::new(ip, port)) else {
            continue;
        };
        let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(ip, port + 1)) else {
            continue;
        };
        let rtp_addr = rtp.local_addr()?;
        let rtcp_addr = rtcp.local_addr()?;
        return Ok(Sockets {
            rtp: Arc::new(Async::new(rtp)?),
            rtcp: Arc::new(Async::new(rtcp)?),
            rtp_addr,
            rtcp_addr,
        });
    }
    Err(MediaError::NoPorts { ip, range })
}

/// Sends without waiting: a full socket buffer drops the datagram, as the network would.
fn send_now(socket: &Async<UdpSocket>, data: &[u8], to: SocketAddr) -> bool {
    socket.get_ref().send_to(data, to).is_ok()
}

impl RtpAudio {
    /// A stream on `engine` with `config`; nothing is bound until
    /// [`initialize`](Self::initialize).
    ///
    /// # Errors
    /// [`MediaError::NoCodec`] when no configured codec name is one we implement.
    pub fn new(engine: &MediaEngine, config: RtpAudioConfig) -> Result<Self, MediaError> {
        let mut codecs: Vec<CodecKind> = Vec::new();
        for kind in config.codecs.iter().filter_map(|n| codec_from_name(n)) {
            if !codecs.contains(&kind) {
                codecs.push(kind);
            }
        }
        if codecs.is_empty() {
            return Err(MediaError::NoCodec);
        }
        let mut rng = OsRandom;
        let (stop, stopped) = async_channel::bounded(1);
        let (poke, poked) = async_channel::bounded(1);
        let playout = config.playout;
        let shared = Shared {
            codecs,
            stop,
            stopped,
            poke,
            poked,
            control: Mutex::new(Control {
                phase: Phase::New,
                offerer: true,
                protocol: TransportProtocol::RtpAvp,
                local_crypto: Vec::new(),
                mux_offered: false,
                mux: false,
                sockets: None,
                ice: None,
                ice_state: IceState::New,
                ice_completed: None,
                gathering: None,
                rtcp: None,
                negotiated: None,
                local_hold: false,
                expect_media: false,
                remote_receives: true,
                timeout_base: Instant::now(),
                timed_out: false,
                cname: format!("{}@sipsimple", rng.token(16)),
            }),
            tx: Mutex::new(Tx {
                active: false,
                allowed: false,
                held: false,
                encoder: None,
                info: None,
                payload_type: 0,
                srtp: None,
                ssrc: rng.next_u64() as u32,
                sequence: rng.next_u64() as u16,
                timestamp: rng.next_u64() as u32,
                marker_next: true,
                dtmf: None,
                dtmf_payload_type: 0,
                dtmf_event: None,
                rtp_socket: None,
                rtcp_socket: None,
                rtp_dest: None,
                rtcp_dest: None,
                packets: 0,
                octets: 0,
                rtcp_sent: 0,
                send_failures: 0,
                bad_frames: 0,
                payload: vec![0; PACKET_CAPACITY],
                packet: Vec::with_capacity(PACKET_CAPACITY),
            }),
            rx: Mutex::new(Rx {
                active: false,
                srtp: None,
                payload_type: 0,
                dtmf_payload_type: None,
                codec: None,
                playout,
                jitter: None,
                stats: None,
                dtmf: DtmfReceiver::new(DtmfReceiverConfig::default()),
                last_received: None,
                received_from: None,
                packets: 0,
                octets: 0,
                rtcp_received: 0,
                drops: DropCounts::default(),
                packet: Vec::with_capacity(MAX_DATAGRAM),
            }),
            config,
        };
        Ok(Self {
            engine: engine.clone(),
            handle: Arc::new(Handle {
                shared: Arc::new(shared),
            }),
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Binds the sockets and, with ICE, starts gathering candidates. For an outgoing stream
    /// `offer` is `None`; for an incoming one it is the peer's offered `m=` line, whose
    /// protocol, `a=crypto` lines, `a=rtcp-mux` and ICE attributes the answer follows (a
    /// session-level `a=ice-ufrag`/`a=ice-pwd` must be copied into it by the caller).
    ///
    /// Returns `None` when the stream is ready, or a [`Gathering`] that resolves once the
    /// candidates are complete; [`local_media`](Self::local_media) is meant for after that.
    ///
    /// # Errors
    /// [`MediaError::SrtpRequired`] (mandatory SRTP, offer without usable crypto),
    /// [`MediaError::SrtpRefused`] (`RTP/SAVP` offered with SRTP disabled or no common
    /// suite), [`MediaError::Unsupported`], [`MediaError::NoPorts`], or
    /// [`MediaError::State`] when called twice.
    pub fn initialize(
        &self,
        offer: Option<&MediaDescription>,
    ) -> Result<Option<Gathering>, MediaError> {
        let shared = self.shared().clone();
        let config = &shared.config;
        let mut c = shared.control();
        if c.phase != Phase::New {
            return Err(MediaError::State("the stream was already initialized"));
        }
        let mut rng = OsRandom;
        let use_ice;
        match offer {
            None => {
                c.offerer = true;
                c.protocol = if config.srtp == SrtpEncryption::Mandatory {
                    TransportProtocol::RtpSavp
                } else {
                    TransportProtocol::RtpAvp
                };
                if config.srtp != SrtpEncryption::Disabled {
                    c.local_crypto = Profile::ALL
                        .iter()
                        .zip(1..)
                        .map(|(p, tag)| crypto_attribute(tag, *p, &mut rng))
                        .collect();
                }
                c.mux_offered = !config.ice;
                use_ice = config.ice;
            }
            Some(m) => {
                c.offerer = false;
                let protocol = m.protocol().clone();
                if *m.media_type() != MediaType::Audio
                    || !protocol.is_rtp()
                    || protocol.as_str().starts_with("UDP/TLS")
                {
                    return Err(MediaError::Unsupported(format!(
                        "{} over {}",
                        m.media_type(),
                        protocol
                    )));
                }
                let chosen = m.crypto().find(|cr| SrtpContext::from_crypto(cr).is_ok());
                match (config.srtp, chosen) {
                    (SrtpEncryption::Disabled, _) | (SrtpEncryption::Optional, None)
                        if protocol.is_srtp() =>
                    {
                        return Err(MediaError::SrtpRefused);
                    }
                    (SrtpEncryption::Mandatory, None) => return Err(MediaError::SrtpRequired),
                    (SrtpEncryption::Disabled, _) | (_, None) => {}
                    (_, Some(offered)) => {
                        let profile = Profile::from_suite(&offered.suite)
                            .expect("a crypto line that keys a context has a known suite");
                        c.local_crypto = vec![crypto_attribute(offered.tag, profile, &mut rng)];
                    }
                }
                c.protocol = protocol;
                c.mux_offered = m.attributes().rtcp_mux();
                use_ice = config.ice
                    && (m.attributes().ice_ufrag().is_some() || m.candidates().next().is_some());
            }
        }
        let sockets = bind_pair(
            config.local_ip,
            config.port_range,
            self.engine.next_port_cursor(),
        )?;
        for (socket, component, base) in [
            (sockets.rtp.clone(), 1, sockets.rtp_addr),
            (sockets.rtcp.clone(), 2, sockets.rtcp_addr),
        ] {
            self.engine
                .spawn(receive_loop(shared.clone(), socket, component, base));
        }
        self.engine.spawn(timer_loop(shared.clone()));
        c.sockets = Some(sockets.clone());
        c.phase = Phase::Initialized;
        if !use_ice {
            return Ok(None);
        }
        let now = Instant::now();
        let role = if c.offerer {
            Role::Controlling
        } else {
            Role::Controlled
        };
        let components = if c.mux_offered && !c.offerer { 1 } else { 2 };
        let mut ice_config = IceConfig::new(role, components);
        ice_config.stun_servers = config.stun_servers.clone();
        let mut agent = IceAgent::new(now, OsRandom, ice_config);
        agent.add_host(1, sockets.rtp_addr)?;
        if components == 2 {
            agent.add_host(2, sockets.rtcp_addr)?;
        }
        let (done, result) = async_channel::bounded(1);
        c.gathering = Some(done);
        agent.gather(now);
        c.ice = Some(agent);
        let mut events = Vec::new();
        shared.drain_ice(&mut c, &mut events);
        drop(c);
        shared.emit(events);
        shared.wake();
        Ok(Some(Gathering {
            inner: Box::pin(async move { result.recv().await.unwrap_or(Err(MediaError::Stopped)) }),
        }))
    }

    /// The `m=` line we offer or answer with, receiving at `address` (the `c=` line; a
    /// gathered server reflexive candidate replaces it and the port as the default
    /// candidate): our codecs in preference order and `telephone-event`, `a=ptime:20`, our
    /// `a=crypto` lines, ICE credentials and candidates, and `a=rtcp-mux` or `a=rtcp`.
    /// Before [`initialize`](Self::initialize) the port is 0.
    pub fn local_media(&self, address: IpAddr) -> LocalStream {
        let shared = self.shared();
        let c = shared.control();
        let codecs = shared
            .codecs
            .iter()
            .map(|k| sdp_codec(*k))
            .chain(std::iter::once(Codec::telephone_event()));
        let port = c.sockets.as_ref().map_or(0, |s| s.rtp_addr.port());
        let mut stream =
            LocalStream::rtp(MediaType::Audio, c.protocol.clone(), address, port, codecs);
        stream
            .attributes
            .push(Attribute::Ptime(PTIME.as_millis() as u32));
        if let Some(s) = &c.sockets {
            if c.mux_offered {
                stream.attributes.push(Attribute::RtcpMux);
            }
            if c.offerer || !c.mux_offered {
                stream
                    .attributes
                    .push(Attribute::Rtcp(Rtcp::new(s.rtcp_addr.port())));
            }
        }
        for crypto in &c.local_crypto {
            stream.attributes.push(Attribute::Crypto(crypto.clone()));
        }
        if let Some(agent) = &c.ice {
            let (ufrag, pwd) = agent.local_credentials();
            stream
                .attributes
                .push(Attribute::IceUfrag(ufrag.to_owned()));
            stream.attributes.push(Attribute::IcePwd(pwd.to_owned()));
            for candidate in agent.local_candidates() {
                stream
                    .attributes
                    .push(Attribute::Candidate(candidate.to_sdp()));
            }
            let default = agent
                .local_candidates()
                .iter()
                .find(|k| k.component == 1 && k.kind == CandidateType::ServerReflexive);
            if let Some(default) = default {
                stream.connection = ConnectionData::new(default.address.ip());
                stream.port = default.address.port();
            }
        }
        stream
    }

    /// Starts media with the negotiated stream: the codec (the first of the answer's order
    /// that we implement), DTMF, SRTP from the chosen `a=crypto` lines, ICE checks with the
    /// peer's candidates (the offerer controls), the RTCP timer and the timeout.
    ///
    /// # Errors
    /// [`MediaError::NoCodec`], [`MediaError::SrtpRequired`] (no crypto in the answer while
    /// SRTP is mandatory or the profile is `RTP/SAVP`), [`MediaError::Srtp`],
    /// [`MediaError::RemoteAddress`], or [`MediaError::State`] before `initialize` or after
    /// `stop`. The stream is left unstarted.
    pub fn start(&self, negotiated: &AcceptedStream) -> Result<(), MediaError> {
        self.shared().configure(negotiated, true)
    }

    /// Applies a renegotiation (re-INVITE): codec or payload type change, new remote
    /// address, new keys, hold directions. Reports [`RtpAudioEvent::ParametersChanged`]
    /// when the codec, payload type or remote address changed. Starts the stream if it was
    /// not started. ICE is not restarted.
    ///
    /// # Errors
    /// As [`start`](Self::start); the stream keeps its previous parameters then.
    pub fn update(&self, negotiated: &AcceptedStream) -> Result<(), MediaError> {
        self.shared().configure(negotiated, false)
    }

    /// Puts the stream on hold from our side: nothing is sent until [`unhold`](Self::unhold).
    pub fn hold(&self) {
        self.shared().set_local_hold(true);
    }

    /// Takes the stream off our hold.
    pub fn unhold(&self) {
        self.shared().set_local_hold(false);
    }

    /// Whether we hold the stream.
    pub fn on_hold_by_local(&self) -> bool {
        self.shared().control().local_hold
    }

    /// Whether the peer holds the stream: its description says `sendonly` or `inactive`
    /// (RFC 3264 §8.4), so we send nothing.
    pub fn on_hold_by_remote(&self) -> bool {
        let c = self.shared().control();
        c.phase == Phase::Started && !c.remote_receives
    }

    /// Encodes one 20 ms `frame` at [`sample_rate`](Self::sample_rate) and sends it (the
    /// first packet after silence, hold or DTMF with the marker bit), or sends the DTMF
    /// packets due instead while a key press lasts. Call it every 20 ms from the frame
    /// clock; it never waits on the network. Frames are dropped while the stream is not
    /// started or held.
    pub fn consume(&self, frame: &[i16]) {
        self.shared().consume(frame, Instant::now());
    }

    /// Fills `out` (20 ms at [`sample_rate`](Self::sample_rate)) with the next frame of the
    /// jitter buffer, concealing losses; returns whether it holds received audio (decoded or
    /// concealed) rather than silence. Call it every 20 ms from the frame clock.
    pub fn produce(&self, out: &mut [i16]) -> bool {
        self.shared().produce(out, Instant::now())
    }

    /// Sends the DTMF key `digit` (`0`–`9`, `*`, `#`, `A`–`D`) as RFC 4733 events from the
    /// frame clock, after the keys still playing.
    ///
    /// # Errors
    /// [`MediaError::Dtmf`] for another character or a full queue, [`MediaError::NoDtmf`]
    /// when the peer has no `telephone-event`, [`MediaError::State`] when not started.
    pub fn send_dtmf(&self, digit: char) -> Result<(), MediaError> {
        let digit = DtmfDigit::from_char(digit)?;
        let mut tx = lock(&self.shared().tx);
        if !tx.active {
            return Err(MediaError::State("the stream is not started"));
        }
        let Some(sender) = tx.dtmf.as_mut() else {
            return Err(MediaError::NoDtmf);
        };
        sender.send_digit(Instant::now(), digit, DTMF_DURATION)?;
        Ok(())
    }

    /// The counters of the stream.
    pub fn statistics(&self) -> RtpStatistics {
        let shared = self.shared();
        let tx = lock(&shared.tx);
        let (packets_sent, bytes_sent, rtcp_sent) = (tx.packets, tx.octets, tx.rtcp_sent);
        let (send_failures, bad_frames) = (tx.send_failures, tx.bad_frames);
        drop(tx);
        let rx = lock(&shared.rx);
        RtpStatistics {
            packets_sent,
            bytes_sent,
            packets_received: rx.packets,
            bytes_received: rx.octets,
            packets_lost: rx.stats.as_ref().map_or(0, ReceiveStats::cumulative_lost),
            jitter: rx.stats.as_ref().map_or(0, ReceiveStats::jitter),
            rtcp_sent,
            rtcp_received: rx.rtcp_received,
            dropped: DropCounts {
                send_failures,
                bad_frames,
                ..rx.drops
            },
            jitter_buffer: rx
                .jitter
                .as_ref()
                .map(JitterBuffer::stats)
                .unwrap_or_default(),
        }
    }

    /// The negotiated codec's encoding name (`PCMU`, `G722`…), once started.
    pub fn codec(&self) -> Option<&'static str> {
        self.negotiated().map(|n| n.codec.info().encoding_name)
    }

    /// The sample rate of the frames of [`consume`](Self::consume) and
    /// [`produce`](Self::produce), once started (16000 for G.722, 8000 for G.711).
    pub fn sample_rate(&self) -> Option<u32> {
        self.negotiated().map(|n| n.codec.info().sample_rate)
    }

    /// Whether SRTP protects the stream.
    pub fn srtp_active(&self) -> bool {
        self.negotiated().is_some_and(|n| n.crypto.is_some())
    }

    /// Whether ICE chose the pairs media goes over.
    pub fn ice_active(&self) -> bool {
        self.shared().control().ice_completed.is_some()
    }

    /// The local address of the RTP socket, once initialized.
    pub fn local_rtp_address(&self) -> Option<IpAddr> {
        self.local_rtp().map(|a| a.ip())
    }

    /// The local port of the RTP socket, once initialized.
    pub fn local_rtp_port(&self) -> Option<u16> {
        self.local_rtp().map(|a| a.port())
    }

    /// The address the peer's SDP gives for RTP, once started.
    pub fn remote_rtp_address_sdp(&self) -> Option<IpAddr> {
        self.negotiated().and_then(|n| n.remote_sdp).map(|a| a.ip())
    }

    /// The port the peer's SDP gives for RTP, once started.
    pub fn remote_rtp_port_sdp(&self) -> Option<u16> {
        self.negotiated()
            .and_then(|n| n.remote_sdp)
            .map(|a| a.port())
    }

    /// The address the peer's RTP comes from (symmetric RTP also sends there when ICE does
    /// not choose).
    pub fn remote_rtp_address_received(&self) -> Option<IpAddr> {
        lock(&self.shared().rx).received_from.map(|a| a.ip())
    }

    /// The port the peer's RTP comes from.
    pub fn remote_rtp_port_received(&self) -> Option<u16> {
        lock(&self.shared().rx).received_from.map(|a| a.port())
    }

    /// The type of our candidate ICE chose, `None` unless ICE succeeded.
    pub fn local_rtp_candidate_type(&self) -> Option<CandidateType> {
        self.shared()
            .control()
            .ice_completed
            .clone()
            .map(|(l, _)| l)
    }

    /// The type of the peer's candidate ICE chose, `None` unless ICE succeeded.
    pub fn remote_rtp_candidate_type(&self) -> Option<CandidateType> {
        self.shared()
            .control()
            .ice_completed
            .clone()
            .map(|(_, r)| r)
    }

    /// Ends the stream: an RTCP BYE if it was started, then the sockets close and its tasks
    /// end. Further calls do nothing.
    pub fn stop(&self) {
        self.shared().stop();
    }

    fn negotiated(&self) -> Option<Negotiated> {
        self.shared().control().negotiated.clone()
    }

    fn local_rtp(&self) -> Option<SocketAddr> {
        self.shared().control().sockets.as_ref().map(|s| s.rtp_addr)
    }
}

/// Reads one socket until the stream stops.
async fn receive_loop(
    shared: Arc<Shared>,
    socket: Arc<Async<UdpSocket>>,
    component: u16,
    base: SocketAddr,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let stopped = shared.stopped.clone();
    loop {
        let received = future::or(async { Some(socket.recv_from(&mut buf).await) }, async {
            let _ = stopped.recv().await;
            None
        })
        .await;
        match received {
            None => break,
            Some(Ok((n, source))) => shared.handle_datagram(component, base, source, &buf[..n]),
            // An ICMP error reported on the socket, say: the next datagram may be fine.
            Some(Err(_)) => {
                Timer::after(ERROR_BACKOFF).await;
            }
        }
    }
}

/// Runs the stream's timers (ICE, RTCP, DTMF end, RTP timeout) until it stops.
async fn timer_loop(shared: Arc<Shared>) {
    let stopped = shared.stopped.clone();
    let poked = shared.poked.clone();
    loop {
        let deadline = shared
            .next_deadline()
            .map(|t| t.max(Instant::now() + MIN_WAIT));
        let go = future::or(
            async {
                let _ = stopped.recv().await;
                false
            },
            future::or(async { poked.recv().await.is_ok() }, async {
                match deadline {
                    Some(t) => Timer::at(t).await,
                    None => Timer::never().await,
                };
                true
            }),
        )
        .await;
        if !go || shared.stop.is_closed() {
            break;
        }
        shared.handle_timeout(Instant::now());
    }
}

impl Shared {
    fn control(&self) -> MutexGuard<'_, Control> {
        lock(&self.control)
    }

    /// Gives the events to the sink; after `Gathered`, completes the [`Gathering`], so that
    /// its waiter finds the event already reported.
    fn emit(&self, events: Vec<RtpAudioEvent>) {
        let mut gathered = false;
        for event in events {
            gathered |= matches!(
                event,
                RtpAudioEvent::IceStateChanged {
                    state: IceState::Gathered,
                    ..
                }
            );
            (self.config.events)(event);
        }
        if gathered {
            if let Some(done) = self.control().gathering.take() {
                let _ = done.try_send(Ok(()));
            }
        }
    }

    /// Makes the timer task compute its deadline again.
    fn wake(&self) {
        let _ = self.poke.try_send(());
    }

    fn next_deadline(&self) -> Option<Instant> {
        let c = self.control();
        let mut deadlines = Vec::with_capacity(4);
        deadlines.extend(c.ice.as_ref().and_then(IceAgent::poll_timeout));
        if c.phase == Phase::Started {
            deadlines.extend(c.rtcp.as_ref().and_then(RtcpTimer::poll_timeout));
        }
        let rx = lock(&self.rx);
        if let Some(t) = self.timeout_deadline(&c, &rx) {
            deadlines.push(t);
        }
        deadlines.extend(rx.dtmf.poll_timeout());
        deadlines.into_iter().min()
    }

    fn timeout_deadline(&self, c: &Control, rx: &Rx) -> Option<Instant> {
        let timeout = self.config.timeout;
        if c.phase != Phase::Started || timeout.is_zero() || c.timed_out || !c.expect_media {
            return None;
        }
        let last = rx
            .last_received
            .map_or(c.timeout_base, |t| t.max(c.timeout_base));
        last.checked_add(timeout)
    }

    fn handle_timeout(&self, now: Instant) {
        let mut events = Vec::new();
        {
            let mut c = self.control();
            if let Some(agent) = c.ice.as_mut() {
                agent.handle_timeout(now);
            }
            self.drain_ice(&mut c, &mut events);
            if c.phase == Phase::Started {
                let mut due = 0;
                if let Some(timer) = c.rtcp.as_mut() {
                    timer.set_we_sent(lock(&self.tx).packets > 0);
                    timer.handle_timeout(now);
                    while let Some(event) = timer.poll_event() {
                        if event == IntervalEvent::SendReport {
                            due += 1;
                        }
                    }
                }
                for _ in 0..due {
                    let size = self.send_rtcp(now, &c.cname, false);
                    if let Some(timer) = c.rtcp.as_mut() {
                        timer.handle_sent(size);
                    }
                }
                let rx = lock(&self.rx);
                if self.timeout_deadline(&c, &rx).is_some_and(|t| t <= now) {
                    drop(rx);
                    c.timed_out = true;
                    events.push(RtpAudioEvent::Timeout);
                }
            }
        }
        {
            let mut rx = lock(&self.rx);
            rx.dtmf.handle_timeout(now);
            collect_dtmf(&mut rx.dtmf, &mut events);
        }
        self.emit(events);
    }

    /// Sends what the ICE agent asks to and turns its events into ours.
    fn drain_ice(&self, c: &mut Control, events: &mut Vec<RtpAudioEvent>) {
        let Control {
            ice,
            sockets,
            ice_state,
            ice_completed,
            ..
        } = c;
        let Some(agent) = ice.as_mut() else {
            return;
        };
        while let Some(t) = agent.poll_transmit() {
            if let Some(s) = sockets.as_ref() {
                let socket = if t.from == s.rtcp_addr {
                    &s.rtcp
                } else {
                    &s.rtp
                };
                send_now(socket, &t.payload, t.to);
            }
        }
        while let Some(event) = agent.poll_event() {
            match event {
                IceEvent::StateChanged(state) => {
                    let prev_state = std::mem::replace(ice_state, state);
                    // `emit` completes the gathering once this event is out.
                    events.push(RtpAudioEvent::IceStateChanged { state, prev_state });
                }
                IceEvent::Selected {
                    component, remote, ..
                } => {
                    let mut tx = lock(&self.tx);
                    if component == 1 {
                        tx.rtp_dest = Some(remote.address);
                    } else {
                        tx.rtcp_dest = Some(remote.address);
                    }
                }
                IceEvent::Completed { duration, chosen } => {
                    if let Some((local, remote)) = chosen.first() {
                        *ice_completed = Some((local.kind.clone(), remote.kind.clone()));
                        let mut tx = lock(&self.tx);
                        tx.rtp_dest = Some(remote.address);
                        if let Some((_, rtcp)) = chosen.get(1) {
                            tx.rtcp_dest = Some(rtcp.address);
                        }
                        drop(tx);
                        events.push(RtpAudioEvent::IceSucceeded {
                            local_candidate_type: local.kind.clone(),
                            remote_candidate_type: remote.kind.clone(),
                            local_address: local.address,
                            remote_address: remote.address,
                            chosen: chosen.clone(),
                            duration,
                        });
                    }
                }
                IceEvent::Failed { reason, duration } => {
                    *ice_completed = None;
                    events.push(RtpAudioEvent::IceFailed { reason, duration });
                }
                IceEvent::ConsentLost { component } => {
                    events.push(RtpAudioEvent::IceFailed {
                        reason: format!("consent lost on component {component}"),
                        duration: Duration::ZERO,
                    });
                }
                _ => {}
            }
        }
    }

    /// Writes and sends one RTCP compound (SR or RR, SDES CNAME, and BYE when leaving);
    /// returns its size for the RTCP timer.
    fn send_rtcp(&self, now: Instant, cname: &str, bye: bool) -> u32 {
        let block = lock(&self.rx)
            .stats
            .as_mut()
            .and_then(|s| s.report_block(now));
        let blocks: &[_] = match &block {
            Some(b) => std::slice::from_ref(b),
            None => &[],
        };
        let mut tx = lock(&self.tx);
        let (Some(socket), Some(dest)) = (tx.rtcp_socket.clone(), tx.rtcp_dest) else {
            return 0;
        };
        let mut buf = [0u8; 512];
        let mut w = RtcpWriter::new(&mut buf);
        let report = if tx.packets > 0 {
            let info = SenderInfo {
                ntp_timestamp: ntp_now(),
                rtp_timestamp: tx.timestamp,
                packet_count: tx.packets as u32,
                octet_count: tx.octets as u32,
            };
            w.sender_report(tx.ssrc, &info, blocks)
        } else {
            w.receiver_report(tx.ssrc, blocks)
        };
        let item = [SdesItem {
            kind: SdesType::Cname,
            value: cname.as_bytes(),
        }];
        let written = report
            .and_then(|()| w.sdes(&[(tx.ssrc, &item[..])]))
            .and_then(|()| if bye { w.bye(&[tx.ssrc], None) } else { Ok(()) })
            .and_then(|()| w.finish());
        // The buffer fits SR, one block, a CNAME of 26 bytes and BYE several times over.
        let Ok(n) = written else {
            return 0;
        };
        let mut packet = Vec::with_capacity(n + Profile::AeadAes256Gcm.max_overhead() + 16);
        packet.extend_from_slice(&buf[..n]);
        if let Some(ctx) = tx.srtp.as_mut() {
            if ctx.protect_rtcp(&mut packet).is_err() {
                return 0;
            }
        }
        if send_now(&socket, &packet, dest) {
            tx.rtcp_sent += 1;
        } else {
            tx.send_failures += 1;
        }
        packet.len() as u32 + LOWER_HEADERS
    }

    fn handle_datagram(&self, component: u16, base: SocketAddr, source: SocketAddr, data: &[u8]) {
        let now = Instant::now();
        let mut events = Vec::new();
        if is_stun(data) {
            let mut c = self.control();
            let Some(agent) = c.ice.as_mut() else {
                drop(c);
                lock(&self.rx).drops.stray_stun += 1;
                return;
            };
            agent.handle_packet(now, base, source, data);
            self.drain_ice(&mut c, &mut events);
            drop(c);
            self.wake();
            self.emit(events);
            return;
        }
        let is_rtcp = data.len() >= 2 && (192..=223).contains(&data[1]);
        let outcome = {
            let mut rx = lock(&self.rx);
            if is_rtcp {
                rx.handle_rtcp(now, data)
            } else {
                rx.handle_rtp(now, source, data, &mut events)
            }
        };
        match outcome {
            Received::Rtcp(size) => {
                if let Some(timer) = self.control().rtcp.as_mut() {
                    timer.handle_received(size + LOWER_HEADERS);
                }
            }
            Received::NewSource(from) if component == 1 => {
                // Symmetric RTP: unless ICE chooses (or may still choose) the pair, answer
                // where the peer's media comes from.
                let c = self.control();
                if c.ice.is_none() || c.ice_state == IceState::Failed {
                    let mut tx = lock(&self.tx);
                    tx.rtp_dest = Some(from);
                    if c.mux {
                        tx.rtcp_dest = Some(from);
                    }
                }
            }
            Received::Dtmf => self.wake(),
            _ => {}
        }
        self.emit(events);
    }

    fn consume(&self, frame: &[i16], now: Instant) {
        let mut tx = lock(&self.tx);
        let tx = &mut *tx;
        if !tx.active {
            return;
        }
        let Some(info) = tx.info else {
            return;
        };
        let sending = tx.allowed && !tx.held && tx.rtp_dest.is_some();
        let timestamp = tx.timestamp;
        tx.timestamp = timestamp.wrapping_add(info.rtp_ticks(info.samples_per_frame(20)));
        let mut dtmf_busy = false;
        // Taken out for the time of the frame so that packets can be sent while draining it.
        if let Some(mut sender) = tx.dtmf.take() {
            sender.handle_timeout(now);
            while let Some(t) = sender.poll_transmit() {
                let event_ts = match tx.dtmf_event {
                    Some((start, ts)) if start == t.start => ts,
                    _ => {
                        tx.dtmf_event = Some((t.start, timestamp));
                        timestamp
                    }
                };
                if sending {
                    let payload = t.event.to_bytes();
                    let pt = tx.dtmf_payload_type;
                    tx.send_rtp(pt, event_ts, t.marker, &payload);
                }
            }
            dtmf_busy = !sender.is_idle();
            tx.dtmf = Some(sender);
        }
        if !sending || dtmf_busy {
            tx.marker_next = true;
            return;
        }
        if frame.len() != info.samples_per_frame(20) {
            tx.bad_frames += 1;
            return;
        }
        let Some(encoder) = tx.encoder.as_mut() else {
            return;
        };
        let mut payload = std::mem::take(&mut tx.payload);
        if let Ok(n) = encoder.encode(frame, &mut payload) {
            let marker = std::mem::replace(&mut tx.marker_next, false);
            let pt = tx.payload_type;
            tx.send_rtp(pt, timestamp, marker, &payload[..n]);
        } else {
            tx.bad_frames += 1;
        }
        tx.payload = payload;
    }

    fn produce(&self, out: &mut [i16], now: Instant) -> bool {
        let mut rx = lock(&self.rx);
        let active = rx.active;
        let pulled = match rx.jitter.as_mut() {
            Some(jitter) if active => jitter.pull(now, out),
            _ => Err(JitterError::Config("not started")),
        };
        match pulled {
            Ok(p) => p.audio + p.concealed > 0,
            Err(_) => {
                out.fill(0);
                false
            }
        }
    }

    fn set_local_hold(&self, held: bool) {
        let mut c = self.control();
        c.local_hold = held;
        let mut tx = lock(&self.tx);
        if tx.held != held {
            tx.held = held;
            tx.marker_next = true;
        }
        drop(tx);
        c.timeout_base = Instant::now();
        drop(c);
        self.wake();
    }

    /// `start` (`first`) or `update`: applies a negotiated stream.
    fn configure(&self, accepted: &AcceptedStream, first: bool) -> Result<(), MediaError> {
        let now = Instant::now();
        let mut c = self.control();
        let starting = match c.phase {
            Phase::New => return Err(MediaError::State("the stream is not initialized")),
            Phase::Stopped => return Err(MediaError::State("the stream is stopped")),
            Phase::Initialized => true,
            Phase::Started => false,
        };
        if first && !starting {
            return Err(MediaError::State("the stream is already started"));
        }
        if !accepted.protocol.is_rtp() || accepted.media_type != MediaType::Audio {
            return Err(MediaError::Unsupported(format!(
                "{} over {}",
                accepted.media_type, accepted.protocol
            )));
        }
        let (codec, negotiated_codec) = accepted
            .codecs
            .iter()
            .find_map(|n| {
                let channels = u8::try_from(n.channels).ok()?;
                let kind = CodecKind::from_rtpmap(&n.encoding_name, n.clock_rate, channels)?;
                self.codecs.contains(&kind).then_some((kind, n))
            })
            .ok_or(MediaError::NoCodec)?;
        let crypto = self.choose_crypto(&c, accepted)?;
        let remote_sdp = match accepted.remote_connection.ip() {
            Some(ip) if ip.is_unspecified() => None,
            Some(ip) => Some(SocketAddr::new(ip, accepted.remote_port)),
            None => return Err(MediaError::RemoteAddress),
        };
        let mux = c.mux_offered && (!c.offerer || accepted.remote_attributes.rtcp_mux());
        let remote_rtcp = remote_sdp.map(|rtp| {
            if mux {
                return rtp;
            }
            match accepted.remote_attributes.rtcp() {
                Some(r) => SocketAddr::new(
                    r.connection
                        .as_ref()
                        .and_then(ConnectionData::ip)
                        .unwrap_or(rtp.ip()),
                    r.port,
                ),
                None => SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1)),
            }
        });
        let new = Negotiated {
            codec,
            payload_type: negotiated_codec.payload_type,
            dtmf_payload_type: accepted.dtmf_payload_type(),
            remote_sdp,
            crypto,
        };
        let old = c.negotiated.clone();
        let codec_changed = old.as_ref().is_none_or(|o| {
            o.codec != new.codec
                || o.payload_type != new.payload_type
                || o.dtmf_payload_type != new.dtmf_payload_type
        });
        let keys_changed = old.as_ref().is_none_or(|o| o.crypto != new.crypto);
        let address_changed = old.as_ref().is_none_or(|o| o.remote_sdp != new.remote_sdp);
        let (tx_srtp, rx_srtp) = match (&new.crypto, keys_changed) {
            (Some((ours, theirs)), true) => (
                Some(SrtpContext::from_crypto(ours)?),
                Some(SrtpContext::from_crypto(theirs)?),
            ),
            _ => (None, None),
        };
        let jitter = if codec_changed {
            Some(
                JitterBuffer::new(
                    codec.decoder(),
                    JitterConfig::for_rate(codec.info().sample_rate),
                    self.config.playout,
                )
                .map_err(|e| MediaError::Unsupported(e.to_string()))?,
            )
        } else {
            None
        };
        let dtmf = match (&accepted.dtmf, codec_changed) {
            (Some(d), true) => {
                let allowed = d
                    .remote_fmtp
                    .as_deref()
                    .and_then(|f| EventSet::parse(f).ok())
                    .unwrap_or_else(EventSet::dtmf);
                Some(DtmfSender::new(DtmfSenderConfig {
                    clock_rate: d.clock_rate,
                    allowed,
                    ..DtmfSenderConfig::default()
                })?)
            }
            _ => None,
        };
        // Everything that can fail is done: apply.
        let sockets = c
            .sockets
            .clone()
            .ok_or(MediaError::State("the stream has no sockets"))?;
        let ice_selected = c.ice_completed.is_some();
        {
            let mut tx = lock(&self.tx);
            if codec_changed {
                tx.encoder = Some(codec.encoder());
                tx.info = Some(codec.info());
                tx.payload_type = new.payload_type;
                tx.dtmf_payload_type = new.dtmf_payload_type.unwrap_or(0);
                tx.dtmf = dtmf;
                tx.dtmf_event = None;
                tx.marker_next = true;
            }
            if keys_changed {
                tx.srtp = tx_srtp;
            }
            if starting || (address_changed && !ice_selected) {
                tx.rtp_dest = remote_sdp;
                tx.rtcp_dest = remote_rtcp;
            }
            tx.rtp_socket = Some(sockets.rtp.clone());
            tx.rtcp_socket = Some(if mux {
                sockets.rtp.clone()
            } else {
                sockets.rtcp.clone()
            });
            tx.allowed = accepted.local_sends();
            tx.held = c.local_hold;
            tx.active = true;
        }
        {
            let mut rx = lock(&self.rx);
            if let Some(jitter) = jitter {
                rx.jitter = Some(jitter);
                rx.codec = Some(codec);
                rx.payload_type = new.payload_type;
                rx.dtmf_payload_type = new.dtmf_payload_type;
                rx.stats = None;
                rx.dtmf.reset();
            }
            if keys_changed {
                rx.srtp = rx_srtp;
            }
            rx.active = true;
        }
        let expect_media = accepted.local_receives();
        if expect_media && !c.expect_media {
            c.timeout_base = now;
            c.timed_out = false;
        }
        c.expect_media = expect_media;
        c.remote_receives = accepted.remote_direction.receives();
        c.mux = mux;
        let mut events = Vec::new();
        if starting {
            c.phase = Phase::Started;
            c.timeout_base = now;
            let mut timer = RtcpTimer::new(IntervalConfig::default(), OsRandom);
            timer.start(now);
            c.rtcp = Some(timer);
            self.start_ice(&mut c, accepted, now, &mut events);
        } else if codec_changed || address_changed {
            events.push(RtpAudioEvent::ParametersChanged);
        }
        c.negotiated = Some(new);
        drop(c);
        self.wake();
        self.emit(events);
        Ok(())
    }

    /// Our `a=crypto` line and the peer's for the negotiated stream, `None` for plain RTP.
    fn choose_crypto(
        &self,
        c: &Control,
        accepted: &AcceptedStream,
    ) -> Result<Option<(Crypto, Crypto)>, MediaError> {
        let remote = &accepted.remote_attributes;
        let pair = if c.offerer {
            remote.crypto().find_map(|theirs| {
                c.local_crypto
                    .iter()
                    .find(|ours| ours.tag == theirs.tag && ours.suite == theirs.suite)
                    .map(|ours| (ours.clone(), theirs.clone()))
            })
        } else {
            c.local_crypto.first().and_then(|ours| {
                remote
                    .crypto()
                    .find(|theirs| theirs.tag == ours.tag && theirs.suite == ours.suite)
                    .map(|theirs| (ours.clone(), theirs.clone()))
            })
        };
        let required = self.config.srtp == SrtpEncryption::Mandatory || accepted.protocol.is_srtp();
        if pair.is_none() && required {
            return Err(MediaError::SrtpRequired);
        }
        Ok(pair)
    }

    /// Gives the ICE agent the peer's credentials and candidates; a peer without ICE leaves
    /// media on the SDP addresses.
    fn start_ice(
        &self,
        c: &mut Control,
        accepted: &AcceptedStream,
        now: Instant,
        events: &mut Vec<RtpAudioEvent>,
    ) {
        let remote: &Attributes = &accepted.remote_attributes;
        let Some(agent) = c.ice.as_mut() else {
            return;
        };
        let (Some(ufrag), Some(pwd)) = (remote.ice_ufrag(), remote.ice_pwd()) else {
            c.ice = None;
            return;
        };
        let candidates = remote
            .candidates()
            .filter_map(|k| IceCandidate::from_sdp(k).ok())
            .collect();
        if let Err(e) = agent.set_remote(now, ufrag, pwd, remote.ice_lite(), candidates) {
            events.push(RtpAudioEvent::IceFailed {
                reason: e.to_string(),
                duration: Duration::ZERO,
            });
            c.ice = None;
            return;
        }
        self.drain_ice(c, events);
    }

    fn stop(&self) {
        let mut c = self.control();
        if c.phase == Phase::Stopped {
            return;
        }
        if c.phase == Phase::Started {
            let cname = c.cname.clone();
            self.send_rtcp(Instant::now(), &cname, true);
        }
        c.phase = Phase::Stopped;
        c.ice = None;
        c.rtcp = None;
        c.sockets = None;
        if let Some(done) = c.gathering.take() {
            let _ = done.try_send(Err(MediaError::Stopped));
        }
        {
            let mut tx = lock(&self.tx);
            tx.active = false;
            tx.rtp_socket = None;
            tx.rtcp_socket = None;
            tx.dtmf = None;
        }
        {
            let mut rx = lock(&self.rx);
            rx.active = false;
        }
        self.stop.close();
    }
}

/// What the receive path asks of the rest of the stream after a datagram.
enum Received {
    Nothing,
    /// An RTCP compound of this size was accepted.
    Rtcp(u32),
    /// Valid RTP of the codec came from a new address.
    NewSource(SocketAddr),
    /// A telephone event: the receiver's end timer may have moved.
    Dtmf,
}

fn collect_dtmf(receiver: &mut DtmfReceiver, events: &mut Vec<RtpAudioEvent>) {
    while let Some(event) = receiver.poll_event() {
        if let Some(c) = event.digit.and_then(DtmfDigit::to_char) {
            events.push(RtpAudioEvent::Dtmf(c));
        }
    }
}

impl Rx {
    fn handle_rtcp(&mut self, now: Instant, data: &[u8]) -> Received {
        if !self.active {
            self.drops.not_started += 1;
            return Received::Nothing;
        }
        self.packet.clear();
        self.packet.extend_from_slice(data);
        if let Some(ctx) = self.srtp.as_mut() {
            if ctx.unprotect_rtcp(&mut self.packet).is_err() {
                self.drops.srtp += 1;
                return Received::Nothing;
            }
        }
        let Ok(compound) = Compound::parse(&self.packet) else {
            self.drops.malformed += 1;
            return Received::Nothing;
        };
        for packet in compound.packets() {
            if let RtcpPacket::SenderReport(sr) = packet {
                if let Some(stats) = self.stats.as_mut().filter(|s| s.ssrc() == sr.ssrc()) {
                    stats.handle_sender_report(now, sr.sender_info().ntp_timestamp);
                }
            }
        }
        self.rtcp_received += 1;
        self.last_received = Some(now);
        Received::Rtcp(data.len() as u32)
    }

    fn handle_rtp(
        &mut self,
        now: Instant,
        source: SocketAddr,
        data: &[u8],
        events: &mut Vec<RtpAudioEvent>,
    ) -> Received {
        if !self.active {
            self.drops.not_started += 1;
            return Received::Nothing;
        }
        self.packet.clear();
        self.packet.extend_from_slice(data);
        if let Some(ctx) = self.srtp.as_mut() {
            if ctx.unprotect_rtp(&mut self.packet).is_err() {
                self.drops.srtp += 1;
                return Received::Nothing;
            }
        }
        let Self {
            packet,
            jitter,
            stats,
            dtmf,
            drops,
            codec,
            srtp,
            ..
        } = self;
        let Ok(p) = RtpPacket::parse(packet) else {
            drops.malformed += 1;
            return Received::Nothing;
        };
        let pt = p.payload_type();
        let is_dtmf = Some(pt) == self.dtmf_payload_type;
        if is_dtmf {
            dtmf.handle_rtp(now, &p);
            collect_dtmf(dtmf, events);
        } else if pt == self.payload_type {
            let Some(codec) = *codec else {
                return Received::Nothing;
            };
            if stats.as_ref().is_some_and(|s| s.ssrc() != p.ssrc()) {
                // A new source (the peer restarted its stream): its sequence numbers say
                // nothing of the old one's, so the buffer starts afresh.
                if let Ok(fresh) = JitterBuffer::new(
                    codec.decoder(),
                    JitterConfig::for_rate(codec.info().sample_rate),
                    self.playout,
                ) {
                    *jitter = Some(fresh);
                }
                dtmf.reset();
                *stats = None;
            }
            let clock = codec.info().rtp_clock_rate;
            let s = stats.get_or_insert_with(|| {
                if srtp.is_some() {
                    ReceiveStats::new_validated(p.ssrc(), clock)
                } else {
                    ReceiveStats::new(p.ssrc(), clock)
                }
            });
            s.handle_packet(now, p.sequence(), p.timestamp());
            if let Some(j) = jitter.as_mut() {
                j.push(p.sequence(), p.timestamp(), p.marker(), p.payload(), now);
            }
        } else {
            drops.payload_type += 1;
            return Received::Nothing;
        }
        self.packets += 1;
        self.octets += p.payload().len() as u64;
        self.last_received = Some(now);
        let new_source = self.received_from != Some(source);
        self.received_from = Some(source);
        if is_dtmf {
            Received::Dtmf
        } else if new_source {
            Received::NewSource(source)
        } else {
            Received::Nothing
        }
    }
}

impl Tx {
    /// Builds, protects and sends one RTP packet on the next sequence number.
    fn send_rtp(&mut self, payload_type: u8, timestamp: u32, marker: bool, payload: &[u8]) {
        let (Some(socket), Some(dest)) = (self.rtp_socket.as_ref(), self.rtp_dest) else {
            return;
        };
        let builder = RtpBuilder::new(payload_type, self.sequence, timestamp, self.ssrc)
            .marker(marker)
            .payload(payload);
        self.packet.clear();
        self.packet.resize(HEADER_LEN + payload.len(), 0);
        let Ok(n) = builder.write(&mut self.packet) else {
            self.bad_frames += 1;
            return;
        };
        self.packet.truncate(n);
        self.sequence = self.sequence.wrapping_add(1);
        if let Some(ctx) = self.srtp.as_mut() {
            if ctx.protect_rtp(&mut self.packet).is_err() {
                self.send_failures += 1;
                return;
            }
        }
        if send_now(socket, &self.packet, dest) {
            self.packets += 1;
            self.octets += payload.len() as u64;
        } else {
            self.send_failures += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_names_map_to_codecs() {
        assert_eq!(codec_from_name("G722"), Some(CodecKind::G722));
        assert_eq!(codec_from_name("pcmu"), Some(CodecKind::Pcmu));
        assert_eq!(codec_from_name("PCMA"), Some(CodecKind::Pcma));
        assert_eq!(
            codec_from_name("L16"),
            Some(CodecKind::L16(L16Rate::Hz16000))
        );
        assert_eq!(
            codec_from_name("L16/8000"),
            Some(CodecKind::L16(L16Rate::Hz8000))
        );
        assert_eq!(codec_from_name("L16/11025"), None);
        assert_eq!(codec_from_name("L16/48000"), None);
        #[cfg(not(feature = "opus"))]
        assert_eq!(codec_from_name("opus"), None);
        #[cfg(feature = "opus")]
        {
            assert_eq!(codec_from_name("opus"), Some(CodecKind::Opus));
            assert_eq!(codec_from_name("OPUS/48000"), None);
            let sdp = sdp_codec(CodecKind::Opus);
            assert!(sdp.same_format(&Codec::opus()));
            assert_eq!(sdp.fmtp.as_deref(), Some("stereo=0; sprop-stereo=0"));
        }
        assert_eq!(sdp_codec(CodecKind::Pcmu).channels, 1);
        assert_eq!(codec_from_name("G729a"), None);
    }

    #[test]
    fn port_pairs_start_even_and_stay_in_range() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let range = PortRange::new(41101, 41105);
        let s = bind_pair(ip, range, 7).unwrap();
        assert_eq!(s.rtp_addr.port() % 2, 0);
        assert!((41102..=41104).contains(&s.rtp_addr.port()));
        assert_eq!(s.rtcp_addr.port(), s.rtp_addr.port() + 1);
        let t = bind_pair(ip, range, 7).unwrap();
        assert_ne!(t.rtp_addr.port(), s.rtp_addr.port());
        assert!(matches!(
            bind_pair(ip, range, 7),
            Err(MediaError::NoPorts { .. })
        ));
        assert!(matches!(
            bind_pair(ip, PortRange::new(41101, 41101), 0),
            Err(MediaError::NoPorts { .. })
        ));
    }

    #[test]
    fn ntp_time_is_after_1900_offset() {
        assert!(ntp_now() >> 32 > NTP_UNIX_OFFSET);
    }
}
