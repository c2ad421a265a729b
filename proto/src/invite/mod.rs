//! INVITE sessions (RFC 3261 §13–§15): the call on both sides — the INVITE and its answers,
//! early and confirmed dialogs, the ACK, CANCEL, re-INVITE with glare handling, session
//! timers (RFC 4028) and BYE — as a sans-IO transaction user over the [`Endpoint`] and the
//! [`Dialog`].
//!
//! One [`InviteSession`] is one call. It is created as the caller
//! ([`InviteSession::connect`]) or as the callee of an INVITE the endpoint passed up
//! ([`InviteSession::incoming`]). Session descriptions are opaque: the session carries
//! `application/sdp` bodies (the offer in the INVITE or, for a late offer, in the 2xx with the
//! answer in the ACK), reports the ones it receives in its events and takes ours from its
//! caller. The RFC 3264 rules are the caller's business.
//!
//! # Inputs, outputs, time
//!
//! - Commands: [`ring`](InviteSession::ring), [`accept`](InviteSession::accept),
//!   [`reject`](InviteSession::reject) (callee), [`cancel`](InviteSession::cancel),
//!   [`answer`](InviteSession::answer) (caller, late offer), [`end`](InviteSession::end),
//!   [`propose`](InviteSession::propose), [`cancel_proposal`](InviteSession::cancel_proposal),
//!   [`accept_proposal`](InviteSession::accept_proposal),
//!   [`reject_proposal`](InviteSession::reject_proposal), [`refer`](InviteSession::refer),
//!   [`accept_refer`](InviteSession::accept_refer),
//!   [`reject_refer`](InviteSession::reject_refer),
//!   [`notify_refer`](InviteSession::notify_refer) (either side, once connected).
//! - Inputs: [`InviteSession::handle_event`] with every endpoint [`Event`] (it returns `true`
//!   for the ones that concern this session and were consumed), and
//!   [`InviteSession::handle_timeout`] when [`InviteSession::poll_timeout`] is reached.
//! - Outputs, pulled after every input in this order: [`InviteSession::poll_action`] (what to
//!   do with the endpoint: send a request, an ACK, a response, a CANCEL; add or remove a
//!   dialog), [`InviteSession::poll_event`] (what the user should learn), then
//!   [`InviteSession::poll_timeout`]. [`InviteSession::drive`] executes every pending action
//!   on an endpoint; a caller executing them itself reports the client transaction of each
//!   [`Action::SendRequest`] and [`Action::Cancel`], in order, with
//!   [`InviteSession::handle_sent`] (or [`InviteSession::handle_send_failed`]).
//!
//! Every input that can start a timer takes `now`; the session never reads a clock and time
//! that goes backwards is clamped to the latest `now` seen. Its own timers are the 2xx
//! retransmission and the missing ACK of the callee (§13.3.1.4), the glare back-off (§14.1),
//! the wait for the final response after a CANCEL (§9.1) and the session refresh and expiry
//! (RFC 4028 §10); the transactions' timers
//! (Timer B, F…) run in the endpoint and come back as [`Event::Timeout`]. Randomness (Call-ID,
//! tags, glare back-off, digest cnonces) comes from the [`Random`] given to the inputs.
//!
//! # Session timers (RFC 4028)
//!
//! On by default ([`SessionTimerConfig::default`]: Session-Expires 1800 s, Min-SE 90 s;
//! `session_timer: None` in [`InviteConfig`] or [`IncomingConfig`] turns them off).
//!
//! - Our INVITEs and re-INVITEs carry `Supported: timer`, Session-Expires (in a re-INVITE the
//!   running interval and its refresher, §7.4) and Min-SE. A 422 whose Min-SE is above what
//!   we asked for makes us ask again with it (next CSeq); a 422 that cannot help fails the
//!   INVITE (or rejects the proposal). The 2xx decides (§7.2): its Session-Expires sets the
//!   interval and its `refresher` who refreshes (we do when it names none); without one no
//!   timer runs.
//! - As UAS we refuse a request that supports timers and asks for less than our Min-SE with
//!   422 and our Min-SE (§9), before any event. Our 2xx carries `Session-Expires:
//!   N;refresher=…` — the interval asked for, lowered to ours, never below either Min-SE;
//!   the refresher the request named, the UAC when it left the choice open, ourselves when it
//!   does not support timers — and `Require: timer` when it supports them.
//! - Every 2xx of an INVITE or re-INVITE, in either direction, starts the timer anew
//!   ([`InviteSession::session_interval`]). The refresher sends the refresh at half the
//!   interval ([`Timer::SessionRefresh`]): a re-INVITE the session makes by itself with our
//!   last session description (the offer or answer we last sent) unchanged, reported with
//!   [`SessionEvent::DidRefresh`] once accepted; a refresh due while another offer is pending
//!   waits for it, and a proposal of the user's made while our refresh is in flight follows
//!   its answer (or takes its place while it waits out a glare). A refresh answered 408 or timing out ends the session with BYE, one
//!   answered 481 ends it at once, one refused otherwise leaves the session to expire. The
//!   other side ends the session with BYE and [`SESSION_EXPIRED`] when no refresh came by the
//!   interval minus min(32 s, interval/3) ([`Timer::SessionExpiry`], §10).
//! - The peer's refreshes are re-INVITEs like any other: they come as
//!   [`SessionEvent::GotProposal`] and the user answers them (with its last answer again when
//!   nothing changed). A refresh by UPDATE without a body is answered at once with the timer
//!   granted. We refresh with re-INVITEs only.
//!
//! In-dialog requests go to the first route of the route set, else the remote target, when
//! its host is an IP address; otherwise to the address the session started with (the
//! configured destination of the caller, the source of the INVITE for the callee). Resolving
//! host names (RFC 3263) is left to later work.
//!
//! # UPDATE, OPTIONS, REFER
//!
//! Our INVITEs and their answers carry `Allow` with the methods a dialog takes here. An
//! UPDATE from the peer (RFC 3311), confirmed dialog only, is a proposal when it carries an
//! offer ([`SessionEvent::GotProposal`], answered without an ACK to wait for) and a target
//! and session refresh answered 200 at once when it does not; the glare rules are those of
//! re-INVITE. An OPTIONS in the dialog gets 200 with Allow. Call transfer (REFER with its
//! implicit subscription, RFC 3515) is in [`InviteSession::refer`] and the methods around it.
//!
//! # Reliable provisional responses (RFC 3262)
//!
//! With [`InviteConfig::reliable_provisional`] our INVITE offers `100rel`. As caller we
//! acknowledge every reliable 18x (Require: 100rel, RSeq) with a PRACK in its early dialog,
//! ignore retransmissions and ones out of order, and take an answer it carries (early
//! media); a 2xx repeating that answer is not reported again. As callee, when the INVITE
//! supports or requires 100rel, [`InviteSession::ring`] sends the 180 and
//! [`InviteSession::progress`] a 183 with early media reliably, again at T1 doubling to T2
//! until its PRACK, and refuses the call with 500 (`"no PRACK"`) at 64·T1; a 2xx accepted
//! while a 183 with an answer is unacknowledged waits for its PRACK, and a PRACK crossing
//! our 2xx is still acknowledged.
//!
//! Not here yet: sending UPDATE; a focus's own conference logic (a focus marks its Contact
//! with `focus` in its configuration).
//!
//! ```no_run
//! use std::time::Instant;
//!
//! use bytes::Bytes;
//! use sipsimple_proto::endpoint::{Endpoint, TransportKind};
//! use sipsimple_proto::invite::{InviteConfig, InviteSession, SessionEvent};
//! use sipsimple_proto::rand::Random;
//! use sipsimple_proto::request::Route;
//! use sipsimple_proto::sip::Address;
//!
//! fn call<R: Random>(endpoint: &mut Endpoint<R>, rng: &mut impl Random, now: Instant)
//! -> Result<(), Box<dyn std::error::Error>> {
//!     let config = InviteConfig::new(
//!         Address::new("sip:alice@example.com".parse()?),
//!         Address::new("sip:bob@example.com".parse()?),
//!         "sip:alice@192.0.2.10:5060".parse()?,
//!         Route { destination: "192.0.2.1:5060".parse()?, transport: TransportKind::Udp },
//!     )
//!     .with_offer(Bytes::from_static(b"v=0\r\n"));
//!     let mut session = InviteSession::connect(now, rng, config)?;
//!     loop {
//!         session.drive(now, endpoint)?;
//!         while let Some(event) = session.poll_event() {
//!             if let SessionEvent::DidStart = event {
//!                 session.end(now)?;
//!             }
//!         }
//!         // … wait for the endpoint or for `session.poll_timeout()`, then feed one of:
//!         match endpoint.poll_event() {
//!             Some(event) => {
//!                 session.handle_event(now, rng, &event);
//!             }
//!             None => session.handle_timeout(now, rng),
//!         }
//!     }
//! }
//! ```

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use crate::dialog::{Dialog, DialogError, DialogId};
use crate::endpoint::{ClientTxId, Endpoint, Event, ServerTxId, TransportKind};
use crate::rand::Random;
use crate::request::{Credentials, Route, CALL_ID_LEN, TAG_LEN};
use crate::sip::auth::DigestClient;
use crate::sip::headers::{
    Contact, Cseq, HeaderName, Headers, MinSe, ReferTo, ReferredBy, Refresher, Replaces, Require,
    RetryAfter, SessionExpires, Supported, ToHeader, Unsupported,
};
use crate::sip::{Address, Method, Request, RequestBuilder, Response, StatusCode, Uri};
use crate::transaction::TimerConfig;

mod prack;
mod refer;
pub use refer::REFER_SUBSCRIPTION_SECS;

/// The Content-Type of the session descriptions the session carries.
pub const SDP: &str = "application/sdp";

/// The reason of the session that ends because the ACK of its 2xx never came (§13.3.1.4).
pub const MISSING_ACK: &str = "missing ACK";

/// The reason of the session we end with BYE because the refresher let the session timer
/// run out (RFC 4028 §10).
pub const SESSION_EXPIRED: &str = "session timer expired";

/// What a caller's session starts with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InviteConfig {
    /// Our address (a tag is added).
    pub from: Address<'static>,
    /// The callee's address.
    pub to: Address<'static>,
    /// The Request-URI; [`InviteConfig::new`] takes the URI of `to`.
    pub request_uri: Uri<'static>,
    /// Our Contact URI.
    pub contact: Uri<'static>,
    /// Where the INVITE goes (an outbound proxy or the callee) and how.
    pub destination: Route,
    /// A preloaded route set (Route headers of the INVITE, in order).
    pub route_set: Vec<Address<'static>>,
    /// Credentials for digest challenges.
    pub credentials: Option<Credentials>,
    /// The offer of the INVITE; `None` asks the callee for an offer in its 2xx (late offer).
    pub offer: Option<Bytes>,
    /// The transaction timers (T1, T2) the session's own timers derive from.
    pub timers: TimerConfig,
    /// Session timers (RFC 4028); `None` leaves them out of our requests and ignores them in
    /// the answers. [`InviteConfig::new`] takes [`SessionTimerConfig::default`].
    pub session_timer: Option<SessionTimerConfig>,
    /// The dialog this call replaces (RFC 3891), for the call an attended transfer asks for.
    pub replaces: Option<Replaces<'static>>,
    /// Who referred us to the callee (RFC 3892), for the call a transfer asks for.
    pub referred_by: Option<ReferredBy<'static>>,
    /// We are a conference focus: our Contact carries `isfocus` (RFC 4579 §3.3).
    pub focus: bool,
    /// Offer reliable provisional responses (`Supported: 100rel`, RFC 3262); off by
    /// default. Those the callee sends reliably are acknowledged either way.
    pub reliable_provisional: bool,
    /// The Subject of the INVITE (RFC 3261 §20.36).
    pub subject: Option<String>,
}

impl InviteConfig {
    /// A configuration calling `to` at its URI from `from`, with our `contact`, sent to
    /// `destination`; no route set, credentials or offer, the default timers.
    pub fn new(
        from: Address<'static>,
        to: Address<'static>,
        contact: Uri<'static>,
        destination: Route,
    ) -> Self {
        Self {
            request_uri: to.uri().clone(),
            from,
            to,
            contact,
            destination,
            route_set: Vec::new(),
            credentials: None,
            offer: None,
            timers: TimerConfig::default(),
            session_timer: Some(SessionTimerConfig::default()),
            replaces: None,
            referred_by: None,
            focus: false,
            reliable_provisional: false,
            subject: None,
        }
    }

    /// The same with an offer in the INVITE.
    pub fn with_offer(mut self, offer: Bytes) -> Self {
        self.offer = Some(offer);
        self
    }

    /// The same with these session timers (`None`: none).
    pub fn with_session_timer(mut self, session_timer: Option<SessionTimerConfig>) -> Self {
        self.session_timer = session_timer;
        self
    }
}

/// What a callee's session needs besides the INVITE.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IncomingConfig {
    /// Our Contact URI.
    pub contact: Uri<'static>,
    /// The transaction timers (T1, T2) the session's own timers derive from.
    pub timers: TimerConfig,
    /// Session timers (RFC 4028); `None` ignores them in the peer's requests (no 422, no
    /// Session-Expires in our 2xx). [`IncomingConfig::new`] takes
    /// [`SessionTimerConfig::default`].
    pub session_timer: Option<SessionTimerConfig>,
    /// We are a conference focus: our Contact carries `isfocus` (RFC 4579 §3.3).
    pub focus: bool,
}

impl IncomingConfig {
    /// A configuration with our `contact`, the default timers and session timers.
    pub fn new(contact: Uri<'static>) -> Self {
        Self {
            contact,
            timers: TimerConfig::default(),
            session_timer: Some(SessionTimerConfig::default()),
            focus: false,
        }
    }

    /// The same with these session timers (`None`: none).
    pub fn with_session_timer(mut self, session_timer: Option<SessionTimerConfig>) -> Self {
        self.session_timer = session_timer;
        self
    }
}

/// The smallest session interval RFC 4028 allows (§4, §5), in seconds.
pub const MIN_SESSION_INTERVAL: u32 = 90;

/// Our side of the session timers (RFC 4028): the interval we ask for and the smallest we
/// accept. Either side may be the refresher; the callee lets the caller choose and takes the
/// refresh itself when the caller does not support timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SessionTimerConfig {
    /// The session interval we ask for in our INVITEs (Session-Expires), and the longest we
    /// grant as callee, in seconds.
    pub session_expires: u32,
    /// The smallest session interval we accept (Min-SE), in seconds; a request asking for
    /// less is refused with 422.
    pub min_se: u32,
}

impl SessionTimerConfig {
    /// Session-Expires `session_expires` and Min-SE `min_se` seconds; Min-SE is raised to
    /// [`MIN_SESSION_INTERVAL`] and Session-Expires to Min-SE when lower.
    pub fn new(session_expires: u32, min_se: u32) -> Self {
        let min_se = min_se.max(MIN_SESSION_INTERVAL);
        Self {
            session_expires: session_expires.max(min_se),
            min_se,
        }
    }
}

impl Default for SessionTimerConfig {
    /// Session-Expires 1800 s (the RFC 4028 §4 recommendation), Min-SE 90 s.
    fn default() -> Self {
        Self::new(1800, MIN_SESSION_INTERVAL)
    }
}

/// A negotiated session timer (RFC 4028): how long the session lives without a refresh and
/// which side sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionInterval {
    /// The session interval.
    pub interval: Duration,
    /// The side that refreshes: [`Originator::Local`] when we do.
    pub refresher: Originator,
}

/// Which side of the call this session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the INVITE (and own the Call-ID).
    Caller,
    /// We received it.
    Callee,
}

/// Who made something happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Originator {
    /// This side.
    Local,
    /// The peer.
    Remote,
}

/// The states of a session, after the seed's session diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Caller: the INVITE is out, no early dialog yet.
    Outgoing,
    /// Callee: the INVITE arrived and is not answered yet.
    Incoming,
    /// An early dialog exists (the caller got a 1xx with a To tag, the callee sent one).
    Early,
    /// The 2xx is sent or received but the exchange is not complete: the callee waits for the
    /// ACK, the caller for the answer it must put in the ACK (late offer).
    Connecting,
    /// The dialog is confirmed and the session runs.
    Connected,
    /// We are ending it: a CANCEL or a BYE is out.
    Ending,
    /// It has ended.
    Terminated,
}

/// The session's own timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The callee sends its 2xx again: T1, then doubling up to T2 (§13.3.1.4).
    Retransmit2xx,
    /// The callee gives up waiting for the ACK of its 2xx after 64·T1 (§13.3.1.4).
    MissingAck,
    /// The caller retries a re-INVITE refused with 491 (§14.1).
    GlareRetry,
    /// No final response 64·T1 after our CANCEL: the INVITE counts as cancelled (§9.1).
    CancelGuard,
    /// We are the refresher: send the refresh re-INVITE at half the session interval
    /// (RFC 4028 §10).
    SessionRefresh,
    /// The peer is the refresher and no refresh came: end with BYE at the session interval
    /// minus min(32 s, interval/3) (RFC 4028 §10).
    SessionExpiry,
    /// Our accepted REFER got no final NOTIFY in time (or no answer at all): the transfer
    /// fails ([`SessionEvent::ReferFailed`]).
    ReferTimeout,
    /// Callee: our reliable 18x is sent again (T1, doubling to T2), or, 64·T1 without its
    /// PRACK, the call is refused with 500 (RFC 3262 §3).
    ReliableProvisional,
}

/// What the caller must do with the endpoint for the session.
pub use crate::dialog::DialogAction as Action;

/// What a session reports; named after the seed's `SIPSession…` notifications where one fits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// Callee: the session was created from an INVITE (`SIPSessionNewIncoming`).
    NewIncoming {
        /// The offer of the INVITE; `None` when we must make the offer in the 2xx.
        offer: Option<Bytes>,
    },
    /// Caller: a provisional response other than 100.
    GotProvisionalResponse {
        /// Its status code.
        code: u16,
        /// Its reason phrase.
        reason: String,
        /// Its SDP body (early media preview; not an answer without 100rel).
        body: Option<Bytes>,
    },
    /// Caller: the callee rings (180).
    GotRingIndication,
    /// The answer to our offer: in the 2xx (caller, our offer in the INVITE or re-INVITE) or
    /// in the ACK (callee, our offer in the 2xx).
    GotAnswer {
        /// The answer.
        answer: Bytes,
    },
    /// Caller: the 2xx carries an offer (we sent an INVITE or re-INVITE without one). Answer
    /// with [`InviteSession::answer`], which sends the ACK.
    GotOffer {
        /// The offer.
        offer: Bytes,
    },
    /// The session started: the dialog is confirmed and the offer/answer exchange complete.
    DidStart,
    /// The session failed before it started.
    DidFail {
        /// Who ended it.
        originator: Originator,
        /// The status code: the final response, 408 for a timeout or a missing ACK, 487 for a
        /// cancellation, 503 for a transport error.
        code: u16,
        /// The reason phrase, [`MISSING_ACK`], or `"cancelled"` when the caller cancelled.
        reason: String,
    },
    /// The session ended after it started.
    DidEnd {
        /// Who ended it.
        originator: Originator,
        /// Why: `"Call completed"` for a BYE, [`MISSING_ACK`], [`SESSION_EXPIRED`], or the
        /// status of an in-dialog request answered 408/481 (or timed out).
        reason: String,
    },
    /// The peer sent a re-INVITE. Answer with [`InviteSession::accept_proposal`] or
    /// [`InviteSession::reject_proposal`].
    GotProposal {
        /// Its offer; `None` when our 2xx must carry one (the answer comes in the ACK).
        offer: Option<Bytes>,
    },
    /// Our re-INVITE was accepted.
    ProposalAccepted {
        /// The answer in the 2xx (`None` when we sent no offer: see
        /// [`SessionEvent::GotOffer`]).
        answer: Option<Bytes>,
    },
    /// Our re-INVITE was refused; the session goes on as before.
    ProposalRejected {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The peer cancelled its re-INVITE ([`SessionEvent::GotProposal`]) before we answered;
    /// the endpoint answered it 487, and the proposal is gone.
    ProposalCancelled,
    /// Our re-INVITE met the peer's (491, glare) and is sent again after `after` (§14.1).
    ProposalWillRetry {
        /// The randomized back-off.
        after: Duration,
    },
    /// Our session refresh (RFC 4028), a re-INVITE the session sent by itself with our last
    /// session description, was accepted; [`InviteSession::session_interval`] tells the
    /// timer now running.
    DidRefresh {
        /// The answer in the 2xx (normally the peer's last description again).
        answer: Option<Bytes>,
    },
    /// Transferee: the peer sent a REFER (RFC 3515) asking us to call `refer_to`. Answer with
    /// [`InviteSession::accept_refer`] or [`InviteSession::reject_refer`].
    GotRefer {
        /// The target, with an embedded Replaces for an attended transfer
        /// ([`ReferTo::replaces`]).
        refer_to: Box<ReferTo<'static>>,
        /// Who asked (RFC 3892), if the REFER said.
        referred_by: Option<Box<ReferredBy<'static>>>,
    },
    /// Transferor: the peer accepted our REFER (2xx, or a NOTIFY that overtook it).
    ReferAccepted,
    /// Transferor: a provisional status of the referred call (a NOTIFY).
    ReferProgress {
        /// The status code of the sipfrag.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// Transferor: the referred call was answered (a NOTIFY with a 2xx sipfrag); the
    /// transfer is done.
    ReferSucceeded {
        /// The status code of the sipfrag.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// Transferor: the transfer failed: the REFER was refused or timed out, the referred
    /// call failed (the final sipfrag), the subscription ended without a final status
    /// (487), no final status came in time (408), or the session ended first (487).
    ReferFailed {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A transaction of the session completed (`SIPSessionDidProcessTransaction`): one of
    /// ours got its final response (or timed out, as 408, or failed to send, as 503), or we
    /// sent the final response to one of the peer's. A peer's INVITE answered 2xx completes
    /// when its ACK comes or is given up on (§13.3.1.4).
    DidProcessTransaction {
        /// Who sent the request.
        originator: Originator,
        /// Its method.
        method: Method,
        /// The final status code.
        code: u16,
        /// The final reason phrase.
        reason: String,
        /// For INVITE transactions only: whether the peer's ACK came.
        ack_received: Option<AckReceived>,
    },
}

/// Whether the ACK of an INVITE transaction came (the seed's `ack_received`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckReceived {
    /// The peer's ACK of our 2xx came.
    Yes,
    /// The peer's ACK of our 2xx never came (64·T1 passed).
    No,
    /// Not known here: the ACK of a non-2xx is absorbed by the transaction layer, the ACK of
    /// an INVITE we sent is ours, and a 2xx left unacknowledged when the session ended (a BYE
    /// overtaking the ACK) was never decided.
    Unknown,
}

/// Misuse of an [`InviteSession`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The command does not apply in this state.
    #[error("{command} is not possible in state {state:?}")]
    WrongState {
        /// The command.
        command: &'static str,
        /// The session's state.
        state: SessionState,
    },
    /// The command does not apply to this side of the call.
    #[error("{command} is only for the {role:?}")]
    WrongRole {
        /// The command.
        command: &'static str,
        /// The side it is for.
        role: Role,
    },
    /// A status code out of the range the command takes.
    #[error("status code {0} does not fit")]
    BadStatus(u16),
    /// No proposal or 2xx waits for this.
    #[error("nothing to {0}")]
    NothingPending(&'static str),
    /// The request given to [`InviteSession::incoming`] is not an initial INVITE.
    #[error("not an initial INVITE")]
    NotAnInitialInvite,
    /// The dialog refused to build a request.
    #[error(transparent)]
    Dialog(#[from] DialogError),
}

/// What a client transaction of the session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Invite,
    ReInvite,
    Bye,
    /// The BYE of a dialog a second fork confirmed.
    ForkBye,
    Cancel,
    Refer,
    Notify,
    Prack,
}

/// An ACK we sent, kept to answer retransmissions of its 2xx.
#[derive(Debug, Clone)]
struct SentAck {
    remote_tag: String,
    seq: u32,
    request: Request,
    hop: Route,
}

/// A 2xx we send again until its ACK (§13.3.1.4).
#[derive(Debug, Clone)]
struct Pending2xx {
    tx: ServerTxId,
    response: Response,
    seq: u32,
    /// For the initial INVITE (else a re-INVITE).
    initial: bool,
    interval: Duration,
    next: Instant,
    give_up: Instant,
}

/// A 2xx with an offer that our ACK must answer.
#[derive(Debug, Clone)]
struct AwaitingAnswer {
    seq: u32,
    initial: bool,
}

/// Our re-INVITE.
#[derive(Debug, Clone)]
struct OutgoingProposal {
    offer: Option<Bytes>,
    /// Sent and not answered yet (else waiting for the glare back-off).
    in_flight: bool,
    /// A session refresh the session sent by itself (RFC 4028), not the user's proposal.
    refresh: bool,
    /// The re-INVITE's client transaction, once sent.
    tx: Option<ClientTxId>,
    /// A provisional response came, so that a CANCEL may go (§9.1).
    provisional: bool,
    /// The user cancelled it ([`InviteSession::cancel_proposal`]).
    cancelled: bool,
}

/// One INVITE session; see the [module documentation](self).
#[derive(Debug)]
pub struct InviteSession {
    role: Role,
    state: SessionState,
    timers: TimerConfig,
    contact: Uri<'static>,
    /// Where in-dialog requests go when the next hop is not an IP address.
    fallback: Route,
    latest: Instant,
    /// The INVITE: the latest we sent (caller) or the one received (callee).
    invite: Request,
    invite_client_tx: Option<ClientTxId>,
    invite_server_tx: Option<ServerTxId>,
    /// The callee's To tag.
    local_tag: Option<String>,
    offer_in_invite: bool,
    /// Caller: the early dialogs, one per fork that answered with a To tag.
    early: Vec<Dialog>,
    /// The dialog of the session: confirmed, or the callee's early one.
    dialog: Option<Dialog>,
    dialog_added: bool,
    auth: DigestClient,
    has_credentials: bool,
    got_provisional: bool,
    cancel_requested: bool,
    cancel_sent: bool,
    started: bool,
    /// End with a BYE once the ACK comes (callee ended before it).
    end_after_ack: bool,
    /// The event reported when the session reaches `Terminated` after our BYE.
    terminal: Option<SessionEvent>,
    acks: Vec<SentAck>,
    awaiting_answer: Option<AwaitingAnswer>,
    pending_2xx: Option<Pending2xx>,
    outgoing_proposal: Option<OutgoingProposal>,
    incoming_proposal: Option<(ServerTxId, Request)>,
    /// The user's proposal waiting for our session refresh in flight to be answered: its
    /// offer.
    queued_proposal: Option<Option<Bytes>>,
    /// Callee: our reliable provisional response waiting for its PRACK (RFC 3262).
    reliable: Option<prack::Reliable>,
    /// Callee: the RSeq of our last reliable provisional response.
    last_rseq: Option<crate::sip::headers::RSeq>,
    /// Callee: the RSeq of our reliable provisional response not acknowledged yet.
    unacked: Option<crate::sip::headers::RSeq>,
    /// Caller: the last RSeq acknowledged, per early dialog.
    acked: Vec<prack::Acked>,
    /// Caller: the early dialog whose reliable 18x carried the answer.
    early_answer: Option<String>,
    /// Callee: the body of the 2xx accepted while our reliable 18x with an answer waits for
    /// its PRACK.
    deferred_2xx: Option<Option<Bytes>>,
    /// We are a conference focus (our Contact carries `isfocus`).
    focus: bool,
    /// The peer's Contact carries `isfocus` (RFC 4579): it is a conference focus.
    remote_focus: bool,
    /// The peer's User-Agent (or, in a response, Server) header, the first one seen.
    remote_user_agent: Option<String>,
    /// Our REFER (transferor), until its final NOTIFY.
    outgoing_refer: Option<refer::OutgoingRefer>,
    /// The peer's REFER (transferee), until our final NOTIFY.
    incoming_refer: Option<refer::IncomingRefer>,
    glare_at: Option<Instant>,
    cancel_guard: Option<Instant>,
    /// Our client transactions: what each is for, and whether its completion was reported.
    txs: Vec<(ClientTxId, Purpose, bool)>,
    unassigned: VecDeque<Purpose>,
    actions: VecDeque<Action>,
    events: VecDeque<SessionEvent>,
    /// Our session timer settings; `None` when we do not take part.
    session_timer: Option<SessionTimerConfig>,
    /// Our Min-SE, raised by the 422 responses we got.
    min_se: u32,
    /// The Session-Expires of our next INVITE or re-INVITE when no timer runs yet.
    se_ask: u32,
    /// The negotiated session timer.
    interval: Option<SessionInterval>,
    refresh_at: Option<Instant>,
    expire_at: Option<Instant>,
    /// Our latest session description (offer or answer), carried again by session refreshes.
    local_sdp: Option<Bytes>,
}

/// How many ACKs are kept for retransmitted 2xx.
const KEPT_ACKS: usize = 8;

impl InviteSession {
    fn base(
        role: Role,
        now: Instant,
        invite: Request,
        contact: Uri<'static>,
        t: TimerConfig,
        fallback: Route,
    ) -> Self {
        Self {
            role,
            state: match role {
                Role::Caller => SessionState::Outgoing,
                Role::Callee => SessionState::Incoming,
            },
            timers: t,
            contact,
            fallback,
            latest: now,
            offer_in_invite: sdp_body(invite.headers(), invite.body()).is_some(),
            invite,
            invite_client_tx: None,
            invite_server_tx: None,
            local_tag: None,
            early: Vec::new(),
            dialog: None,
            dialog_added: false,
            auth: DigestClient::new(),
            has_credentials: false,
            got_provisional: false,
            cancel_requested: false,
            cancel_sent: false,
            started: false,
            end_after_ack: false,
            terminal: None,
            acks: Vec::new(),
            awaiting_answer: None,
            pending_2xx: None,
            outgoing_proposal: None,
            incoming_proposal: None,
            queued_proposal: None,
            reliable: None,
            last_rseq: None,
            unacked: None,
            acked: Vec::new(),
            early_answer: None,
            deferred_2xx: None,
            focus: false,
            remote_focus: false,
            remote_user_agent: None,
            outgoing_refer: None,
            incoming_refer: None,
            glare_at: None,
            cancel_guard: None,
            txs: Vec::new(),
            unassigned: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            session_timer: None,
            min_se: MIN_SESSION_INTERVAL,
            se_ask: 0,
            interval: None,
            refresh_at: None,
            expire_at: None,
            local_sdp: None,
        }
    }

    fn set_session_timer(&mut self, config: Option<SessionTimerConfig>) {
        self.session_timer = config;
        if let Some(c) = config {
            self.min_se = c.min_se;
            self.se_ask = c.session_expires;
        }
    }

    /// Starts a call: builds the INVITE (new Call-ID and From tag, CSeq 1, our Contact, the
    /// offer) and queues it in [`InviteSession::poll_action`].
    pub fn connect(
        now: Instant,
        rng: &mut impl Random,
        config: InviteConfig,
    ) -> Result<Self, Error> {
        let call_id = rng.token(CALL_ID_LEN);
        let tag = rng.token(TAG_LEN);
        let mut builder = RequestBuilder::new(Method::Invite, config.request_uri.clone())
            .from(config.from.clone().with_tag(&tag))
            .to(config.to.clone())
            .call_id(&call_id)
            .cseq(1)
            .contact(&if config.focus {
                Contact::new(config.contact.clone()).with_focus()
            } else {
                Contact::new(config.contact.clone())
            });
        for r in &config.route_set {
            builder = builder.route(&crate::sip::headers::Route(r.clone()));
        }
        if let Some(offer) = &config.offer {
            builder = builder.body(SDP, offer.clone());
        }
        let mut invite = builder.build();
        invite.headers_mut().push(HeaderName::Allow, ALLOW);
        if config.reliable_provisional {
            prack::supported_100rel(&mut invite);
        }
        if let Some(replaces) = &config.replaces {
            invite.headers_mut().push_typed(replaces);
        }
        if let Some(by) = &config.referred_by {
            invite.headers_mut().push_typed(by);
        }
        if let Some(subject) = &config.subject {
            // A header line holds no line break: they become spaces.
            let flat: String = subject
                .chars()
                .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                .collect();
            invite.headers_mut().push(HeaderName::Subject, flat.trim());
        }
        let mut s = Self::base(
            Role::Caller,
            now,
            invite.clone(),
            config.contact,
            config.timers,
            config.destination,
        );
        s.set_session_timer(config.session_timer);
        s.focus = config.focus;
        s.add_timer_headers(&mut invite);
        s.invite = invite.clone();
        s.local_sdp = config.offer;
        if let Some(c) = &config.credentials {
            s.auth
                .set_credentials(c.realm.as_deref(), &c.username, &c.password);
            s.has_credentials = true;
        }
        s.send(Purpose::Invite, invite, config.destination);
        Ok(s)
    }

    /// Takes an initial INVITE the endpoint passed up ([`Event::Request`]) in server
    /// transaction `tx`, received from `source`. Reports [`SessionEvent::NewIncoming`]. An
    /// INVITE that cannot form a dialog (no Contact, bad From) is answered 400 and the
    /// session is terminated at once.
    ///
    /// # Errors
    ///
    /// [`Error::NotAnInitialInvite`] for another method or a request with a To tag.
    pub fn incoming(
        now: Instant,
        rng: &mut impl Random,
        config: IncomingConfig,
        tx: ServerTxId,
        request: Request,
        source: Route,
    ) -> Result<Self, Error> {
        let has_to_tag = request
            .headers()
            .single::<ToHeader<'_>>()
            .map(|t| t.tag().is_some())
            .unwrap_or(false);
        if *request.method() != Method::Invite || has_to_tag {
            return Err(Error::NotAnInitialInvite);
        }
        let mut s = Self::base(
            Role::Callee,
            now,
            request,
            config.contact,
            config.timers,
            source,
        );
        s.invite_server_tx = Some(tx);
        s.local_tag = Some(rng.token(TAG_LEN));
        s.set_session_timer(config.session_timer);
        s.focus = config.focus;
        if let Some(refusal) = s.timer_refusal(&s.invite) {
            // RFC 4028 §9 (RFC 3261 §8.2.2.3 for the 420): timers required while ours are
            // off, or an interval below our minimum.
            let refusal = refusal.with_to_tag(s.local_tag.as_deref().unwrap_or_default());
            let (code, reason) = (refusal.status().code(), refusal.reason().to_owned());
            s.respond(tx, refusal);
            s.state = SessionState::Terminated;
            s.events.push_back(SessionEvent::DidFail {
                originator: Originator::Remote,
                code,
                reason,
            });
            return Ok(s);
        }
        // Whether a dialog can be formed: try with a 180 we do not send.
        let probe = s.response(StatusCode::RINGING, None);
        if let Err(e) = Dialog::uas(&s.invite, &probe) {
            let bad = Response::for_request(&s.invite, StatusCode::BAD_REQUEST)
                .with_to_tag(s.local_tag.as_deref().unwrap_or_default())
                .with_reason(&e.to_string());
            s.respond(tx, bad);
            s.state = SessionState::Terminated;
            s.events.push_back(SessionEvent::DidFail {
                originator: Originator::Remote,
                code: 400,
                reason: e.to_string(),
            });
            return Ok(s);
        }
        s.remote_focus = contact_is_focus(s.invite.headers());
        s.remote_user_agent = s
            .invite
            .headers()
            .get(HeaderName::UserAgent)
            .map(str::to_owned);
        let offer = sdp_body(s.invite.headers(), s.invite.body());
        s.events.push_back(SessionEvent::NewIncoming { offer });
        Ok(s)
    }

    // Getters.

    /// The state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Which side of the call we are.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The session's dialog once there is one (confirmed, or the callee's early dialog).
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// The caller's early dialogs (one per fork that sent a 1xx with a To tag), until a 2xx
    /// confirms one.
    pub fn early_dialogs(&self) -> &[Dialog] {
        &self.early
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        self.invite.headers().get(HeaderName::CallId).unwrap_or("")
    }

    /// The INVITE: the latest we sent, or the one we received.
    pub fn invite(&self) -> &Request {
        &self.invite
    }

    /// The peer's software as it names it: the User-Agent of its INVITE (callee), or the
    /// Server (else User-Agent) of its first response with a To tag (caller).
    pub fn remote_user_agent(&self) -> Option<&str> {
        self.remote_user_agent.as_deref()
    }

    /// Whether the peer is a conference focus: its Contact carries `isfocus` (RFC 4579 §3.3),
    /// in the INVITE for the callee, in the 2xx for the caller.
    pub fn remote_focus(&self) -> bool {
        self.remote_focus
    }

    /// The negotiated session timer (RFC 4028), while one runs.
    pub fn session_interval(&self) -> Option<SessionInterval> {
        self.interval
    }

    /// The next deadline and the timer it belongs to, for debugging.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        [
            (
                Timer::MissingAck,
                self.pending_2xx.as_ref().map(|p| p.give_up),
            ),
            (
                Timer::Retransmit2xx,
                self.pending_2xx.as_ref().map(|p| p.next),
            ),
            (Timer::GlareRetry, self.glare_at),
            (Timer::CancelGuard, self.cancel_guard),
            (Timer::SessionRefresh, self.refresh_at),
            (Timer::SessionExpiry, self.expire_at),
        ]
        .into_iter()
        .filter_map(|(t, at)| at.map(|at| (t, at)))
        .chain(self.refer_deadline())
        .chain(self.reliable_deadline())
        .min_by_key(|(_, at)| *at)
    }

    // Commands.

    /// Callee: sends 180 Ringing (with our To tag and Contact), forming the early dialog.
    pub fn ring(&mut self, now: Instant) -> Result<(), Error> {
        self.clamp(now);
        self.callee_only("ring")?;
        if !matches!(self.state, SessionState::Incoming | SessionState::Early) {
            return Err(self.wrong_state("ring"));
        }
        let ringing = self.response(StatusCode::RINGING, None);
        if self.dialog.is_none() {
            let dialog = Dialog::uas(&self.invite, &ringing)?;
            self.set_dialog(dialog);
        }
        if self.wants_reliable() {
            self.send_reliable(now, ringing)?;
        } else {
            self.respond_invite(ringing);
        }
        self.state = SessionState::Early;
        Ok(())
    }

    /// Callee: sends 183 Session Progress with `answer`, the answer to the INVITE's offer for
    /// early media: reliably when the INVITE supports 100rel (then the 2xx of a later
    /// [`InviteSession::accept`] waits for its PRACK), else as a preview the caller may use.
    ///
    /// # Errors
    ///
    /// [`Error::WrongRole`] for the caller, [`Error::WrongState`] once answered.
    pub fn progress(&mut self, now: Instant, answer: Bytes) -> Result<(), Error> {
        self.clamp(now);
        self.callee_only("progress")?;
        if !matches!(self.state, SessionState::Incoming | SessionState::Early) {
            return Err(self.wrong_state("progress"));
        }
        let progress = self.response(SESSION_PROGRESS, Some(answer.clone()));
        if self.dialog.is_none() {
            let dialog = Dialog::uas(&self.invite, &progress)?;
            self.set_dialog(dialog);
        }
        self.local_sdp = Some(answer);
        if self.wants_reliable() {
            self.send_reliable(now, progress)?;
        } else {
            self.respond_invite(progress);
        }
        self.state = SessionState::Early;
        Ok(())
    }

    /// Callee: accepts the call with 200 and `body` (the answer to the INVITE's offer, or our
    /// offer when it had none). The 200 is sent again at T1, 2·T1 … up to T2 until the ACK;
    /// after 64·T1 without one the session sends BYE and fails with [`MISSING_ACK`].
    pub fn accept(&mut self, now: Instant, body: Option<Bytes>) -> Result<(), Error> {
        let now = self.clamp(now);
        self.callee_only("accept")?;
        if !matches!(self.state, SessionState::Incoming | SessionState::Early)
            || self.deferred_2xx.is_some()
        {
            return Err(self.wrong_state("accept"));
        }
        if self.reliable.as_ref().is_some_and(prack::Reliable::has_sdp) {
            // RFC 3262 §3: a 2xx waits for the PRACK of a reliable 18x with an answer.
            self.deferred_2xx = Some(body);
            return Ok(());
        }
        self.send_2xx(now, body)
    }

    /// Callee: sends the 2xx of the INVITE (see [`InviteSession::accept`]).
    fn send_2xx(&mut self, now: Instant, body: Option<Bytes>) -> Result<(), Error> {
        let mut ok = self.response(StatusCode::OK, body.clone());
        let timer = self.grant_timer(&self.invite);
        if let Some(t) = timer {
            add_granted_headers(&mut ok, t);
        }
        let dialog = Dialog::uas(&self.invite, &ok)?;
        self.set_dialog(dialog);
        if body.is_some() {
            self.local_sdp = body;
        }
        self.start_session_timer(now, timer.map(Granted::as_interval));
        let seq = cseq_of(self.invite.headers()).unwrap_or(0);
        let tx = self
            .invite_server_tx
            .expect("a callee has its server transaction");
        // A final response ends the retransmission of our reliable 18x (RFC 3262 §3: one
        // without a session description need not have been acknowledged).
        self.reliable = None;
        self.respond_invite(ok.clone());
        self.start_2xx(now, tx, ok, seq, true);
        self.state = SessionState::Connecting;
        Ok(())
    }

    /// Callee: refuses the call with a final `code` of 300–699 (486 Busy Here, 603 Decline,
    /// 488 Not Acceptable Here…) and an optional reason phrase.
    pub fn reject(&mut self, now: Instant, code: u16, reason: Option<&str>) -> Result<(), Error> {
        self.clamp(now);
        self.callee_only("reject")?;
        if !matches!(self.state, SessionState::Incoming | SessionState::Early) {
            return Err(self.wrong_state("reject"));
        }
        let status = StatusCode::new(code)
            .filter(|s| (300..700).contains(&s.code()))
            .ok_or(Error::BadStatus(code))?;
        let mut response = self.response(status, None);
        if let Some(r) = reason {
            response.set_reason(r);
        }
        let reason = response.reason().to_owned();
        self.reliable = None;
        self.respond_invite(response);
        self.terminate(SessionEvent::DidFail {
            originator: Originator::Local,
            code,
            reason,
        });
        Ok(())
    }

    /// Caller: cancels the call before its final response (§9.1). The CANCEL goes once a
    /// provisional response has come; the final response (487) then ends the session. A 2xx
    /// that crosses the CANCEL is acknowledged and the dialog ended with BYE.
    pub fn cancel(&mut self, now: Instant) -> Result<(), Error> {
        let now = self.clamp(now);
        if self.role != Role::Caller {
            return Err(Error::WrongRole {
                command: "cancel",
                role: Role::Caller,
            });
        }
        if !matches!(self.state, SessionState::Outgoing | SessionState::Early) {
            return Err(self.wrong_state("cancel"));
        }
        self.cancel_requested = true;
        self.state = SessionState::Ending;
        if self.got_provisional {
            self.send_cancel(now);
        }
        Ok(())
    }

    /// Caller: answers the offer of a 2xx ([`SessionEvent::GotOffer`]) in the ACK.
    pub fn answer(&mut self, now: Instant, answer: Bytes) -> Result<(), Error> {
        self.clamp(now);
        let pending = self
            .awaiting_answer
            .take()
            .ok_or(Error::NothingPending("answer"))?;
        self.send_ack(pending.seq, Some(answer.clone()))?;
        self.local_sdp = Some(answer);
        if pending.initial && self.state == SessionState::Connecting {
            self.state = SessionState::Connected;
            self.started = true;
            self.events.push_back(SessionEvent::DidStart);
        }
        Ok(())
    }

    /// Ends the session the way its state allows: CANCEL while the caller waits for the final
    /// response, 603 Decline for a callee that has not answered, BYE in the confirmed dialog
    /// (the callee waits for the ACK of its 2xx first, or for its absence). Nothing once the
    /// session is ending.
    pub fn end(&mut self, now: Instant) -> Result<(), Error> {
        let now = self.clamp(now);
        match (self.role, self.state) {
            (_, SessionState::Ending | SessionState::Terminated) => Ok(()),
            (Role::Caller, SessionState::Outgoing | SessionState::Early) => self.cancel(now),
            (Role::Callee, SessionState::Incoming | SessionState::Early) => {
                self.reject(now, 603, None)
            }
            (Role::Callee, SessionState::Connecting)
                if self.pending_2xx.as_ref().is_some_and(|p| p.initial) =>
            {
                self.end_after_ack = true;
                Ok(())
            }
            (Role::Caller, SessionState::Connecting) => {
                // The answer never came from our user: ACK without one, then BYE.
                if let Some(p) = self.awaiting_answer.take() {
                    self.send_ack(p.seq, None)?;
                }
                self.started = true;
                self.send_bye(local_end());
                Ok(())
            }
            _ => {
                self.send_bye(local_end());
                Ok(())
            }
        }
    }

    /// Sends a re-INVITE with `offer` in the confirmed dialog (`None`: ask the peer for an
    /// offer in its 2xx). One proposal at a time; the outcome is
    /// [`SessionEvent::ProposalAccepted`] (or [`SessionEvent::GotOffer`]),
    /// [`SessionEvent::ProposalRejected`], or after glare [`SessionEvent::ProposalWillRetry`].
    pub fn propose(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        offer: Option<Bytes>,
    ) -> Result<(), Error> {
        self.clamp(now);
        if self.state != SessionState::Connected {
            return Err(self.wrong_state("propose"));
        }
        // A session refresh still waiting for its glare back-off gives way: the proposal
        // refreshes the session as well.
        if self
            .outgoing_proposal
            .as_ref()
            .is_some_and(|p| p.refresh && !p.in_flight)
        {
            self.outgoing_proposal = None;
            self.glare_at = None;
        }
        let refresh_in_flight = self
            .outgoing_proposal
            .as_ref()
            .is_some_and(|p| p.refresh && p.in_flight);
        if refresh_in_flight
            && self.queued_proposal.is_none()
            && self.incoming_proposal.is_none()
            && self.awaiting_answer.is_none()
        {
            // Our session refresh is on its way: the proposal follows its answer.
            self.queued_proposal = Some(offer);
            return Ok(());
        }
        if self.outgoing_proposal.is_some()
            || self.incoming_proposal.is_some()
            || self.awaiting_answer.is_some()
            || self.pending_2xx.is_some()
        {
            return Err(Error::WrongState {
                command: "propose while another offer is pending",
                state: self.state,
            });
        }
        self.outgoing_proposal = Some(OutgoingProposal {
            offer,
            in_flight: false,
            refresh: false,
            tx: None,
            provisional: false,
            cancelled: false,
        });
        self.send_reinvite(rng)
    }

    /// Cancels our re-INVITE ([`InviteSession::propose`]) with a CANCEL, sent once a
    /// provisional response came (§9.1); the peer's 487 is then reported as
    /// [`SessionEvent::ProposalRejected`]. A proposal still waiting for its glare back-off is
    /// dropped at once with the same event. A 2xx that crossed the CANCEL still accepts it.
    pub fn cancel_proposal(&mut self, now: Instant) -> Result<(), Error> {
        self.clamp(now);
        if self.state != SessionState::Connected {
            return Err(self.wrong_state("cancel_proposal"));
        }
        if self.queued_proposal.take().is_some() {
            self.events.push_back(SessionEvent::ProposalRejected {
                code: 487,
                reason: "Request Terminated".to_owned(),
            });
            return Ok(());
        }
        let Some(p) = self.outgoing_proposal.as_mut().filter(|p| !p.refresh) else {
            return Err(Error::NothingPending("cancel"));
        };
        if !p.in_flight {
            self.outgoing_proposal = None;
            self.glare_at = None;
            self.events.push_back(SessionEvent::ProposalRejected {
                code: 487,
                reason: "Request Terminated".to_owned(),
            });
            return Ok(());
        }
        if !p.cancelled {
            p.cancelled = true;
            self.cancel_reinvite();
        }
        Ok(())
    }

    /// Accepts the peer's re-INVITE ([`SessionEvent::GotProposal`]) with 200 and `body` (our
    /// answer, or our offer when it had none). The 200 is sent again until its ACK, as for the
    /// initial INVITE.
    pub fn accept_proposal(&mut self, now: Instant, body: Option<Bytes>) -> Result<(), Error> {
        let now = self.clamp(now);
        let (tx, request) = self
            .incoming_proposal
            .take()
            .ok_or(Error::NothingPending("accept"))?;
        let mut ok =
            Response::for_request(&request, StatusCode::OK).with_header(&self.our_contact());
        let timer = self.grant_timer(&request);
        if let Some(t) = timer {
            add_granted_headers(&mut ok, t);
        }
        if let Some(b) = body {
            ok.set_body(Some(SDP), b.clone());
            self.local_sdp = Some(b);
        }
        // RFC 4028 §9: the 2xx of a re-INVITE sets the session timer anew.
        self.start_session_timer(now, timer.map(Granted::as_interval));
        ok.headers_mut().push(HeaderName::Allow, ALLOW);
        if *request.method() == Method::Update {
            // RFC 3311 §5.2: the answer is in the 2xx; no ACK follows.
            self.respond(tx, ok);
            return Ok(());
        }
        let seq = cseq_of(request.headers()).unwrap_or(0);
        self.actions.push_back(Action::Respond {
            tx,
            response: ok.clone(),
        });
        self.start_2xx(now, tx, ok, seq, false);
        Ok(())
    }

    /// Refuses the peer's re-INVITE with a final `code` of 300–699 (488 Not Acceptable Here
    /// for an offer we cannot take); the session goes on as before.
    pub fn reject_proposal(&mut self, now: Instant, code: u16) -> Result<(), Error> {
        self.clamp(now);
        let status = StatusCode::new(code)
            .filter(|s| (300..700).contains(&s.code()))
            .ok_or(Error::BadStatus(code))?;
        let (tx, request) = self
            .incoming_proposal
            .take()
            .ok_or(Error::NothingPending("reject"))?;
        self.respond(tx, Response::for_request(&request, status));
        Ok(())
    }

    // Inputs.

    /// Takes an endpoint event; returns `true` when it concerns this session (its client
    /// transactions, requests and ACKs in its dialog, the CANCEL of its INVITE) and was
    /// consumed, `false` otherwise.
    pub fn handle_event(&mut self, now: Instant, rng: &mut impl Random, event: &Event) -> bool {
        let now = self.clamp(now);
        match event {
            Event::Response { tx, response } => {
                let Some(purpose) = self.purpose(*tx) else {
                    return false;
                };
                if response.status().is_final() {
                    self.processed_local(*tx, response.status().code(), response.reason());
                }
                self.on_response(now, rng, purpose, response);
                true
            }
            Event::Timeout { tx } | Event::TransportError { tx } => {
                let Some(purpose) = self.purpose(*tx) else {
                    return false;
                };
                let (code, reason) = if matches!(event, Event::Timeout { .. }) {
                    (408, "Request Timeout")
                } else {
                    (503, "Service Unavailable")
                };
                self.processed_local(*tx, code, reason);
                self.on_failure(purpose, code, reason);
                true
            }
            Event::Request { tx, request, .. } => {
                if !self.in_our_dialog(request) {
                    return false;
                }
                self.on_request(now, rng, *tx, request);
                true
            }
            Event::Ack { request, .. } => {
                if !self.in_our_dialog(request) {
                    return false;
                }
                self.on_ack(request);
                true
            }
            Event::Cancelled { tx } => {
                if self.incoming_proposal.as_ref().is_some_and(|p| p.0 == *tx) {
                    // The endpoint answered the re-INVITE 487.
                    self.incoming_proposal = None;
                    self.processed(
                        Originator::Remote,
                        Method::Invite,
                        487,
                        "Request Terminated",
                        Some(AckReceived::Unknown),
                    );
                    self.events.push_back(SessionEvent::ProposalCancelled);
                    return true;
                }
                if Some(*tx) != self.invite_server_tx {
                    return false;
                }
                if matches!(
                    self.state,
                    SessionState::Incoming | SessionState::Early | SessionState::Connecting
                ) && !self.started
                {
                    if self.pending_2xx.is_none() {
                        // The endpoint answered the INVITE 487.
                        self.processed(
                            Originator::Remote,
                            Method::Invite,
                            487,
                            "Request Terminated",
                            Some(AckReceived::Unknown),
                        );
                    }
                    self.settle_2xx(AckReceived::Unknown);
                    self.terminate(SessionEvent::DidFail {
                        originator: Originator::Remote,
                        code: 487,
                        reason: "cancelled".to_owned(),
                    });
                }
                true
            }
            Event::AckTimeout { tx } => {
                Some(*tx) == self.invite_server_tx
                    || self.incoming_proposal.as_ref().is_some_and(|p| p.0 == *tx)
            }
        }
    }

    /// Runs the timers due at `now`; early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl Random) {
        let now = self.clamp(now);
        if self.pending_2xx.as_ref().is_some_and(|p| p.give_up <= now) {
            // §13.3.1.4: no ACK after 64·T1: end the dialog with BYE.
            let p = self.settle_2xx(AckReceived::No).expect("checked above");
            let event = if p.initial && !self.started {
                self.started = true;
                SessionEvent::DidFail {
                    originator: Originator::Local,
                    code: 408,
                    reason: MISSING_ACK.to_owned(),
                }
            } else {
                SessionEvent::DidEnd {
                    originator: Originator::Local,
                    reason: MISSING_ACK.to_owned(),
                }
            };
            if self.state != SessionState::Ending {
                self.send_bye(event);
            }
        }
        if let Some(p) = self.pending_2xx.as_mut().filter(|p| p.next <= now) {
            self.actions.push_back(Action::Respond {
                tx: p.tx,
                response: p.response.clone(),
            });
            p.interval = (p.interval * 2).min(self.timers.t2);
            p.next = now + p.interval;
        }
        if self.glare_at.is_some_and(|t| t <= now) {
            self.glare_at = None;
            if self.state == SessionState::Connected && self.outgoing_proposal.is_some() {
                if self.incoming_proposal.is_some() || self.pending_2xx.is_some() {
                    // The peer's proposal is not settled yet: wait once more.
                    self.glare_at = Some(now + self.glare_delay(rng));
                } else {
                    let _ = self.send_reinvite(rng);
                }
            }
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            self.refresh(now, rng);
        }
        if self.expire_at.is_some_and(|t| t <= now) {
            // RFC 4028 §10: the refresher let the session expire.
            self.expire_at = None;
            self.interval = None;
            if matches!(
                self.state,
                SessionState::Connected | SessionState::Connecting
            ) {
                self.send_bye(SessionEvent::DidEnd {
                    originator: Originator::Local,
                    reason: SESSION_EXPIRED.to_owned(),
                });
            }
        }
        self.refer_timed_out(now);
        self.reliable_timeout(now);
        if self.cancel_guard.is_some_and(|t| t <= now) {
            self.cancel_guard = None;
            if self.state == SessionState::Ending && self.dialog.is_none() {
                self.early.clear();
                self.terminate(SessionEvent::DidFail {
                    originator: Originator::Local,
                    code: 487,
                    reason: "cancelled".to_owned(),
                });
            }
        }
    }

    /// Reports the client transaction the endpoint gave the oldest [`Action::SendRequest`] or
    /// [`Action::Cancel`] not reported yet.
    pub fn handle_sent(&mut self, tx: ClientTxId) {
        if let Some(purpose) = self.unassigned.pop_front() {
            if purpose == Purpose::Invite {
                self.invite_client_tx = Some(tx);
            }
            if purpose == Purpose::ReInvite {
                if let Some(p) = self.outgoing_proposal.as_mut() {
                    p.tx = Some(tx);
                    p.provisional = false;
                }
            }
            self.txs.push((tx, purpose, false));
        }
    }

    /// Reports that the endpoint refused the oldest [`Action::SendRequest`] or
    /// [`Action::Cancel`] not reported yet; it counts as a transport error.
    pub fn handle_send_failed(&mut self, now: Instant) {
        self.clamp(now);
        if let Some(purpose) = self.unassigned.pop_front() {
            if let Some((method, ack)) = transaction_method(purpose) {
                self.processed(Originator::Local, method, 503, "Service Unavailable", ack);
            }
            self.on_failure(purpose, 503, "Service Unavailable");
        }
    }

    /// Executes every pending action on `endpoint`, reporting the transactions it gives.
    /// Carries on past a failing action and returns the first error.
    pub fn drive<R: Random>(
        &mut self,
        now: Instant,
        endpoint: &mut Endpoint<R>,
    ) -> Result<(), crate::endpoint::Error> {
        crate::dialog::drive(self, now, endpoint)
    }

    // Outputs.

    /// The next thing to do with the endpoint.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the user.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When to call [`InviteSession::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(_, at)| at)
    }

    // Internals.

    fn clamp(&mut self, now: Instant) -> Instant {
        self.latest = self.latest.max(now);
        self.latest
    }

    fn wrong_state(&self, command: &'static str) -> Error {
        Error::WrongState {
            command,
            state: self.state,
        }
    }

    fn callee_only(&self, command: &'static str) -> Result<(), Error> {
        if self.role == Role::Callee {
            Ok(())
        } else {
            Err(Error::WrongRole {
                command,
                role: Role::Callee,
            })
        }
    }

    fn purpose(&self, tx: ClientTxId) -> Option<Purpose> {
        self.txs.iter().find(|(t, ..)| *t == tx).map(|(_, p, _)| *p)
    }

    fn in_our_dialog(&self, request: &Request) -> bool {
        let Some(dialog) = &self.dialog else {
            return false;
        };
        DialogId::for_incoming_request(request).as_ref() == Some(dialog.id())
    }

    fn set_dialog(&mut self, dialog: Dialog) {
        if !self.dialog_added {
            self.actions
                .push_back(Action::AddDialog(dialog.id().clone()));
            self.dialog_added = true;
        }
        self.dialog = Some(dialog);
    }

    /// A response of the callee to the INVITE, with our tag and Contact.
    fn response(&self, status: StatusCode, body: Option<Bytes>) -> Response {
        let mut r = Response::for_request(&self.invite, status)
            .with_to_tag(self.local_tag.as_deref().unwrap_or_default())
            .with_header(&self.our_contact());
        r.headers_mut().push(HeaderName::Allow, ALLOW);
        if let Some(b) = body {
            r.set_body(Some(SDP), b);
        }
        r
    }

    /// Our Contact header, with `isfocus` when we are a conference focus.
    fn our_contact(&self) -> Contact<'static> {
        let contact = Contact::new(self.contact.clone());
        if self.focus {
            contact.with_focus()
        } else {
            contact
        }
    }

    fn respond_invite(&mut self, response: Response) {
        let tx = self
            .invite_server_tx
            .expect("a callee has its server transaction");
        self.respond(tx, response);
    }

    /// Sends a response to one of the peer's requests, reporting the transaction complete when
    /// the response is final, except a 2xx to an INVITE: that completes with its ACK.
    fn respond(&mut self, tx: ServerTxId, response: Response) {
        let status = response.status();
        if status.is_final() {
            let method = response
                .headers()
                .single::<Cseq>()
                .map(|c| c.method.clone());
            match method {
                Ok(Method::Invite) if status.is_success() => {}
                Ok(method) => {
                    let ack = (method == Method::Invite).then_some(AckReceived::Unknown);
                    self.processed(
                        Originator::Remote,
                        method,
                        status.code(),
                        response.reason(),
                        ack,
                    );
                }
                Err(_) => {}
            }
        }
        self.actions.push_back(Action::Respond { tx, response });
    }

    /// Reports the completion of our client transaction `tx`, once.
    fn processed_local(&mut self, tx: ClientTxId, code: u16, reason: &str) {
        let Some(entry) = self.txs.iter_mut().find(|(t, ..)| *t == tx) else {
            return;
        };
        if entry.2 {
            return;
        }
        entry.2 = true;
        let purpose = entry.1;
        if let Some((method, ack)) = transaction_method(purpose) {
            self.processed(Originator::Local, method, code, reason, ack);
        }
        // Bounded over a long call: a finished non-INVITE transaction is forgotten (the
        // endpoint absorbs its retransmissions); finished INVITEs are kept, the last
        // KEPT_ACKS of them, to answer their 2xx retransmissions with the ACK again.
        if matches!(purpose, Purpose::Invite | Purpose::ReInvite) {
            let is_done_invite = |e: &(ClientTxId, Purpose, bool)| {
                e.2 && matches!(e.1, Purpose::Invite | Purpose::ReInvite)
            };
            if self.txs.iter().filter(|e| is_done_invite(e)).count() > KEPT_ACKS {
                if let Some(oldest) = self.txs.iter().position(is_done_invite) {
                    self.txs.remove(oldest);
                }
            }
        } else {
            self.txs.retain(|(t, ..)| *t != tx);
        }
    }

    /// Drops the 2xx we were sending again, reporting its INVITE transaction complete.
    fn settle_2xx(&mut self, ack: AckReceived) -> Option<Pending2xx> {
        let p = self.pending_2xx.take()?;
        let (code, reason) = (p.response.status().code(), p.response.reason().to_owned());
        self.processed(Originator::Remote, Method::Invite, code, &reason, Some(ack));
        Some(p)
    }

    fn processed(
        &mut self,
        originator: Originator,
        method: Method,
        code: u16,
        reason: &str,
        ack_received: Option<AckReceived>,
    ) {
        self.events.push_back(SessionEvent::DidProcessTransaction {
            originator,
            method,
            code,
            reason: reason.to_owned(),
            ack_received,
        });
    }

    fn start_2xx(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: Response,
        seq: u32,
        initial: bool,
    ) {
        self.pending_2xx = Some(Pending2xx {
            tx,
            response,
            seq,
            initial,
            interval: self.timers.t1,
            next: now + self.timers.t1,
            give_up: now + 64 * self.timers.t1,
        });
    }

    fn send(&mut self, purpose: Purpose, request: Request, hop: Route) {
        self.actions.push_back(Action::SendRequest {
            request,
            destination: hop.destination,
            transport: hop.transport,
        });
        self.unassigned.push_back(purpose);
    }

    /// Sends the CANCEL of our re-INVITE when it was asked for and may go now.
    fn cancel_reinvite(&mut self) {
        let Some(p) = self.outgoing_proposal.as_mut() else {
            return;
        };
        if let (true, true, Some(tx)) = (p.cancelled, p.provisional, p.tx) {
            // Sent once: `tx` is forgotten.
            p.tx = None;
            self.actions.push_back(Action::Cancel { tx });
            self.unassigned.push_back(Purpose::Cancel);
        }
    }

    fn send_cancel(&mut self, now: Instant) {
        if self.cancel_sent {
            return;
        }
        if let Some(tx) = self.invite_client_tx {
            self.cancel_sent = true;
            self.actions.push_back(Action::Cancel { tx });
            self.unassigned.push_back(Purpose::Cancel);
            self.cancel_guard = Some(now + 64 * self.timers.t1);
        }
    }

    /// Where an in-dialog request goes: the first route, else the remote target, when its
    /// host is an IP address; else the address the session started with.
    fn next_hop(&self, dialog: &Dialog) -> Route {
        let uri = dialog
            .route_set()
            .first()
            .map_or(dialog.remote_target(), |r| r.uri());
        let host = uri.host().trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) => {
                let port = uri
                    .port()
                    .unwrap_or(if self.fallback.transport == TransportKind::Tls {
                        5061
                    } else {
                        5060
                    });
                Route {
                    destination: SocketAddr::new(ip, port),
                    transport: self.fallback.transport,
                }
            }
            Err(_) => self.fallback,
        }
    }

    /// Sends the ACK of the 2xx with CSeq `seq` in the session's dialog.
    fn send_ack(&mut self, seq: u32, body: Option<Bytes>) -> Result<(), Error> {
        let dialog = self.dialog.as_mut().ok_or(DialogError::Terminated)?;
        let mut ack = dialog.request(Method::Ack, Some(seq))?;
        if let Some(b) = body {
            ack.set_body(Some(SDP), b);
        }
        let tag = dialog.id().remote_tag().to_owned();
        let hop = self.next_hop(self.dialog.as_ref().expect("checked above"));
        self.push_ack(tag, seq, ack, hop);
        Ok(())
    }

    fn push_ack(&mut self, remote_tag: String, seq: u32, request: Request, hop: Route) {
        self.actions.push_back(Action::SendAck {
            request: request.clone(),
            destination: hop.destination,
            transport: hop.transport,
        });
        if self.acks.len() >= KEPT_ACKS {
            self.acks.remove(0);
        }
        self.acks.push(SentAck {
            remote_tag,
            seq,
            request,
            hop,
        });
    }

    /// Sends the BYE; `event` is reported when it is answered (or times out).
    fn send_bye(&mut self, event: SessionEvent) {
        self.glare_at = None;
        self.stop_session_timer();
        self.outgoing_proposal = None;
        self.awaiting_answer = None;
        if let Some((tx, request)) = self.incoming_proposal.take() {
            self.respond(
                tx,
                Response::for_request(&request, StatusCode::REQUEST_TERMINATED),
            );
        }
        let Some(dialog) = self.dialog.as_mut() else {
            self.terminate(event);
            return;
        };
        match dialog.request(Method::Bye, None) {
            Ok(bye) => {
                let hop = self.next_hop(self.dialog.as_ref().expect("checked above"));
                self.terminal = Some(event);
                self.state = SessionState::Ending;
                self.send(Purpose::Bye, bye, hop);
            }
            Err(_) => self.terminate(event),
        }
    }

    fn send_reinvite(&mut self, rng: &mut impl Random) -> Result<(), Error> {
        let offer = self
            .outgoing_proposal
            .as_ref()
            .and_then(|p| p.offer.clone());
        let dialog = self.dialog.as_mut().ok_or(DialogError::Terminated)?;
        let mut invite = dialog.request(Method::Invite, None)?;
        invite.headers_mut().push_typed(&self.our_contact());
        invite.headers_mut().push(HeaderName::Allow, ALLOW);
        self.add_timer_headers(&mut invite);
        if let Some(o) = offer {
            invite.set_body(Some(SDP), o);
        }
        self.auth.authorize_again(rng, &mut invite);
        let hop = self.next_hop(self.dialog.as_ref().expect("checked above"));
        if let Some(p) = self.outgoing_proposal.as_mut() {
            p.in_flight = true;
        }
        self.send(Purpose::ReInvite, invite, hop);
        Ok(())
    }

    /// Sends the user's proposal that waited for our refresh, once nothing is in the way.
    fn send_queued_proposal(&mut self, rng: &mut impl Random) {
        if self
            .outgoing_proposal
            .as_ref()
            .is_some_and(|p| p.refresh && !p.in_flight && self.queued_proposal.is_some())
        {
            // The refresh met a glare and waits: the user's proposal refreshes the session
            // as well, so it goes in its place.
            self.outgoing_proposal = None;
            self.glare_at = None;
        }
        if self.queued_proposal.is_none() || self.outgoing_proposal.is_some() {
            return;
        }
        let offer = self.queued_proposal.take().expect("checked above");
        if self.state != SessionState::Connected {
            return;
        }
        self.outgoing_proposal = Some(OutgoingProposal {
            offer,
            in_flight: false,
            refresh: false,
            tx: None,
            provisional: false,
            cancelled: false,
        });
        if self.incoming_proposal.is_some() || self.pending_2xx.is_some() {
            // The peer's offer came meanwhile: ours waits as after a glare.
            self.glare_at = Some(self.latest + self.glare_delay(rng));
            return;
        }
        if self.send_reinvite(rng).is_err() {
            self.outgoing_proposal = None;
        }
    }

    /// The Session-Expires of our next INVITE or re-INVITE: the running interval, else the
    /// one we ask for, never below our Min-SE.
    fn se_value(&self) -> u32 {
        self.interval
            .map_or(self.se_ask, |i| duration_secs(i.interval))
            .max(self.min_se)
    }

    /// RFC 4028 §7.1, §7.4: `Supported: timer`, Session-Expires (with the current refresher
    /// in a re-INVITE) and Min-SE in our INVITEs.
    fn add_timer_headers(&self, request: &mut Request) {
        if self.session_timer.is_none() {
            return;
        }
        let mut se = SessionExpires::new(self.se_value());
        if let Some(i) = self.interval {
            se = se.with_refresher(match i.refresher {
                Originator::Local => Refresher::Uac,
                Originator::Remote => Refresher::Uas,
            });
        }
        let h = request.headers_mut();
        h.push_typed(&Supported::new("timer").expect("a token"));
        h.set_typed(&se);
        h.set_typed(&MinSe::new(self.min_se));
    }

    /// The 420 for a request that requires session timers (`Require: timer`) while ours are
    /// off (RFC 3261 §8.2.2.3), naming the extension in Unsupported.
    fn timer_required(&self, request: &Request) -> Option<Response> {
        if self.session_timer.is_some() {
            return None;
        }
        let requires = request
            .headers()
            .typed::<Require<'_>>()
            .any(|t| t.is_ok_and(|t| t.is("timer")));
        requires.then(|| {
            Response::for_request(request, BAD_EXTENSION)
                .with_header(&Unsupported::new("timer").expect("a token"))
        })
    }

    /// RFC 4028 §9: our Min-SE when `request` supports timers and asks for less.
    fn too_small(&self, request: &Request) -> Option<u32> {
        self.session_timer?;
        let se = request.headers().single::<SessionExpires<'_>>().ok()?;
        (se.seconds < self.min_se && supports_timer(request.headers())).then_some(self.min_se)
    }

    /// RFC 4028 §9: the session timer our 2xx to `request` grants. The interval asked for
    /// (ours when shorter, never below either Min-SE); the refresher asked for, the UAC when
    /// it left the choice to us, ourselves when it does not support timers.
    fn grant_timer(&self, request: &Request) -> Option<Granted> {
        let ours = self.session_timer?;
        let h = request.headers();
        let supports = supports_timer(h);
        let asked = h.single::<SessionExpires<'_>>().ok();
        let floor = h
            .single::<MinSe<'_>>()
            .map_or(MIN_SESSION_INTERVAL, |m| m.seconds)
            .max(self.min_se);
        let seconds = asked
            .as_ref()
            .map_or(ours.session_expires, |se| {
                se.seconds.min(ours.session_expires)
            })
            .max(floor);
        let refresher = if supports {
            asked
                .and_then(|se| se.refresher())
                .unwrap_or(Refresher::Uac)
        } else {
            Refresher::Uas
        };
        Some(Granted {
            seconds,
            refresher,
            require: supports,
        })
    }

    /// RFC 4028 §7.2: the session timer the 2xx of our INVITE or re-INVITE sets; none when it
    /// has no Session-Expires, we the refresher unless it names the UAS.
    fn timer_of_2xx(&self, response: &Response) -> Option<SessionInterval> {
        self.session_timer?;
        let se = response.headers().single::<SessionExpires<'_>>().ok()?;
        Some(SessionInterval {
            interval: Duration::from_secs(u64::from(se.seconds.max(MIN_SESSION_INTERVAL))),
            refresher: match se.refresher() {
                Some(Refresher::Uas) => Originator::Remote,
                _ => Originator::Local,
            },
        })
    }

    /// Runs the session timer `timer` from `now` (RFC 4028 §10): the refresh at half the
    /// interval when we refresh, else the expiry at the interval minus min(32 s, interval/3).
    fn start_session_timer(&mut self, now: Instant, timer: Option<SessionInterval>) {
        self.stop_session_timer();
        let Some(t) = timer else {
            return;
        };
        self.interval = timer;
        match t.refresher {
            Originator::Local => self.refresh_at = Some(now + t.interval / 2),
            Originator::Remote => {
                let margin = (t.interval / 3).min(Duration::from_secs(32));
                self.expire_at = Some(now + t.interval - margin);
            }
        }
    }

    fn stop_session_timer(&mut self) {
        self.interval = None;
        self.refresh_at = None;
        self.expire_at = None;
    }

    /// RFC 4028 §10: the refresh re-INVITE, with our last session description again.
    fn refresh(&mut self, now: Instant, rng: &mut impl Random) {
        if self.state != SessionState::Connected
            || self
                .interval
                .is_none_or(|i| i.refresher != Originator::Local)
        {
            return;
        }
        if self.outgoing_proposal.is_some()
            || self.incoming_proposal.is_some()
            || self.awaiting_answer.is_some()
            || self.pending_2xx.is_some()
        {
            // Another offer is under way; its 2xx refreshes the session, else try again.
            self.refresh_at = Some(now + REFRESH_RETRY);
            return;
        }
        self.outgoing_proposal = Some(OutgoingProposal {
            offer: self.local_sdp.clone(),
            in_flight: false,
            refresh: true,
            tx: None,
            provisional: false,
            cancelled: false,
        });
        if self.send_reinvite(rng).is_err() {
            self.outgoing_proposal = None;
        }
    }

    /// RFC 4028 §7.1: takes the Min-SE of a 422; `true` when it raises the interval we ask
    /// for, so that asking again can succeed (once per distinct, growing Min-SE).
    fn raise_min_se(&mut self, response: &Response) -> bool {
        if self.session_timer.is_none() {
            return false;
        }
        let Ok(min) = response.headers().single::<MinSe<'_>>() else {
            return false;
        };
        if min.seconds <= self.se_value() {
            return false;
        }
        self.min_se = min.seconds;
        self.se_ask = self.se_ask.max(min.seconds);
        true
    }

    /// The INVITE again after a 422: next CSeq, Session-Expires and Min-SE raised.
    fn raise_interval(
        &mut self,
        rng: &mut impl Random,
        invite: &Request,
        response: &Response,
    ) -> Option<Request> {
        if !self.raise_min_se(response) {
            return None;
        }
        let mut again = invite.clone();
        let seq = cseq_of(again.headers())?.checked_add(1)?;
        let h = again.headers_mut();
        h.set_typed(&Cseq::new(seq, Method::Invite));
        h.set_typed(&SessionExpires::new(self.se_value()));
        h.set_typed(&MinSe::new(self.min_se));
        self.auth.authorize_again(rng, &mut again);
        Some(again)
    }

    /// The §14.1 back-off: 2.1–4 s when we own the Call-ID, else 0–2 s, in 10 ms units.
    fn glare_delay(&self, rng: &mut impl Random) -> Duration {
        let units = match self.role {
            Role::Caller => 210 + rng.next_u64() % 191,
            Role::Callee => rng.next_u64() % 201,
        };
        Duration::from_millis(units * 10)
    }

    /// Ends the session now, reporting `event`.
    fn terminate(&mut self, event: SessionEvent) {
        if self.state == SessionState::Terminated {
            return;
        }
        self.state = SessionState::Terminated;
        self.settle_2xx(AckReceived::Unknown);
        self.end_refers();
        self.reliable = None;
        self.deferred_2xx = None;
        self.glare_at = None;
        self.stop_session_timer();
        self.cancel_guard = None;
        self.terminal = None;
        if let Some(d) = self.dialog.as_mut() {
            d.terminate();
            if self.dialog_added {
                self.actions.push_back(Action::RemoveDialog(d.id().clone()));
            }
        }
        self.events.push_back(event);
    }

    fn on_response(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        purpose: Purpose,
        response: &Response,
    ) {
        match purpose {
            Purpose::Invite => self.on_invite_response(now, rng, response),
            Purpose::ReInvite => {
                self.on_reinvite_response(now, rng, response);
                self.send_queued_proposal(rng);
            }
            Purpose::Bye => {
                if response.status().is_final() {
                    self.finish_bye();
                }
            }
            Purpose::Refer => {
                self.on_refer_response(response.status().code(), response.reason());
            }
            Purpose::Notify => self.on_notify_response(response.status().code()),
            Purpose::ForkBye | Purpose::Cancel | Purpose::Prack => {}
        }
    }

    fn on_failure(&mut self, purpose: Purpose, code: u16, reason: &str) {
        match purpose {
            Purpose::Invite => {
                if self.dialog.is_none() && self.state != SessionState::Terminated {
                    self.early.clear();
                    self.terminate(SessionEvent::DidFail {
                        originator: Originator::Local,
                        code,
                        reason: reason.to_owned(),
                    });
                }
            }
            Purpose::ReInvite
                if code == 408 && self.outgoing_proposal.as_ref().is_some_and(|p| p.refresh) =>
            {
                // RFC 4028 §10: a refresh that times out ends the session with BYE.
                self.outgoing_proposal = None;
                self.send_bye(SessionEvent::DidEnd {
                    originator: Originator::Local,
                    reason: format!("{code} {reason}"),
                });
            }
            Purpose::ReInvite => self.end_dialog(Originator::Local, code, reason),
            Purpose::Bye => self.finish_bye(),
            Purpose::Refer => self.on_refer_response(code, reason),
            Purpose::Notify => self.on_notify_response(code),
            Purpose::ForkBye | Purpose::Cancel | Purpose::Prack => {}
        }
    }

    fn finish_bye(&mut self) {
        let event = self.terminal.take().unwrap_or_else(local_end);
        self.terminate(event);
    }

    /// §12.2.1.2: a 408 or 481 (or no answer) to an in-dialog request ends the dialog.
    fn end_dialog(&mut self, originator: Originator, code: u16, reason: &str) {
        if self.state == SessionState::Terminated {
            return;
        }
        self.outgoing_proposal = None;
        let reason = format!("{code} {reason}");
        let event = if self.started {
            SessionEvent::DidEnd { originator, reason }
        } else {
            SessionEvent::DidFail {
                originator,
                code,
                reason,
            }
        };
        self.terminate(event);
    }

    fn on_invite_response(&mut self, now: Instant, rng: &mut impl Random, response: &Response) {
        let code = response.status().code();
        let tag = response
            .headers()
            .single::<ToHeader<'_>>()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned));
        if self.remote_user_agent.is_none() && tag.is_some() {
            let h = response.headers();
            self.remote_user_agent = h
                .get(HeaderName::Server)
                .or_else(|| h.get(HeaderName::UserAgent))
                .map(str::to_owned);
        }
        if code < 200 {
            // Any provisional response, 100 included, lets a CANCEL go (§9.1).
            self.got_provisional = true;
            if self.cancel_requested {
                self.send_cancel(now);
                return;
            }
            if code == 100 {
                return;
            }
            if !matches!(self.state, SessionState::Outgoing | SessionState::Early) {
                return;
            }
            if let Some(tag) = tag {
                match self.early.iter_mut().find(|d| d.id().remote_tag() == tag) {
                    Some(d) => {
                        let _ = d.handle_response(response);
                    }
                    None => {
                        if let Ok(d) = Dialog::uac(&self.invite, response) {
                            self.early.push(d);
                            self.state = SessionState::Early;
                        }
                    }
                }
                if !self.on_reliable(response, &tag) {
                    return;
                }
            }
            self.events.push_back(SessionEvent::GotProvisionalResponse {
                code,
                reason: response.reason().to_owned(),
                body: sdp_body(response.headers(), response.body()),
            });
            if code == 180 {
                self.events.push_back(SessionEvent::GotRingIndication);
            }
            return;
        }
        if code < 300 {
            if self.dialog.is_none() {
                self.remote_focus = contact_is_focus(response.headers());
            }
            self.on_invite_2xx(response, tag);
            return;
        }
        if self.dialog.is_some() || self.state == SessionState::Terminated {
            return;
        }
        // RFC 4028 §7.1: ask again with at least the Min-SE of the 422.
        if code == 422 && !self.cancel_requested {
            if let Some(again) = self.raise_interval(rng, &self.invite.clone(), response) {
                self.invite = again.clone();
                self.early.clear();
                self.got_provisional = false;
                self.state = SessionState::Outgoing;
                self.send(Purpose::Invite, again, self.fallback);
                return;
            }
        }
        // §22.2: answer a challenge once with our credentials.
        if matches!(code, 401 | 407) && self.has_credentials && !self.cancel_requested {
            if let Ok(again) = self.auth.authorize(rng, &self.invite, response) {
                self.invite = again.clone();
                self.early.clear();
                self.got_provisional = false;
                self.state = SessionState::Outgoing;
                self.send(Purpose::Invite, again, self.fallback);
                return;
            }
        }
        self.early.clear();
        let originator = if self.cancel_requested {
            Originator::Local
        } else {
            Originator::Remote
        };
        self.terminate(SessionEvent::DidFail {
            originator,
            code,
            reason: if self.cancel_requested {
                "cancelled".to_owned()
            } else {
                response.reason().to_owned()
            },
        });
    }

    fn on_invite_2xx(&mut self, response: &Response, tag: Option<String>) {
        let Some(tag) = tag else {
            return;
        };
        let seq = cseq_of(response.headers()).unwrap_or(0);
        // A retransmission, or a duplicate: the same ACK again (§13.2.2.4).
        if let Some(a) = self
            .acks
            .iter()
            .find(|a| a.remote_tag == tag && a.seq == seq)
            .cloned()
        {
            self.actions.push_back(Action::SendAck {
                request: a.request,
                destination: a.hop.destination,
                transport: a.hop.transport,
            });
            return;
        }
        let early = self
            .early
            .iter()
            .position(|d| d.id().remote_tag() == tag)
            .map(|i| self.early.remove(i));
        let dialog = match early {
            Some(mut d) => d.handle_response(response).map(|()| d),
            None => Dialog::uac(&self.invite, response),
        };
        let Ok(mut dialog) = dialog else {
            return;
        };
        if self.dialog.is_some() || self.state == SessionState::Terminated {
            // §13.2.2.4: a second fork answered: ACK it, then BYE it.
            let hop = self.next_hop(&dialog);
            if let Ok(ack) = dialog.request(Method::Ack, Some(seq)) {
                self.push_ack(tag, seq, ack, hop);
            }
            if let Ok(bye) = dialog.request(Method::Bye, None) {
                self.send(Purpose::ForkBye, bye, hop);
            }
            return;
        }
        self.early.clear();
        self.cancel_guard = None;
        self.set_dialog(dialog);
        let timer = self.timer_of_2xx(response);
        self.start_session_timer(self.latest, timer);
        let body = sdp_body(response.headers(), response.body());
        if self.cancel_requested {
            // §9.1: the 2xx crossed our CANCEL: ACK, then BYE.
            let _ = self.send_ack(seq, None);
            self.send_bye(SessionEvent::DidFail {
                originator: Originator::Local,
                code: 487,
                reason: "cancelled".to_owned(),
            });
            return;
        }
        if !self.offer_in_invite {
            if let Some(offer) = body {
                self.awaiting_answer = Some(AwaitingAnswer { seq, initial: true });
                self.state = SessionState::Connecting;
                self.events.push_back(SessionEvent::GotOffer { offer });
                return;
            }
        } else if let Some(answer) = body {
            // The answer came in a reliable 18x of this dialog already (RFC 3262 §5).
            if self.early_answer.as_deref() != Some(tag.as_str()) {
                self.events.push_back(SessionEvent::GotAnswer { answer });
            }
        }
        let _ = self.send_ack(seq, None);
        self.state = SessionState::Connected;
        self.started = true;
        self.events.push_back(SessionEvent::DidStart);
    }

    fn on_reinvite_response(&mut self, now: Instant, rng: &mut impl Random, response: &Response) {
        let code = response.status().code();
        if code < 200 {
            if let Some(p) = self.outgoing_proposal.as_mut() {
                p.provisional = true;
            }
            self.cancel_reinvite();
            return;
        }
        let seq = cseq_of(response.headers()).unwrap_or(0);
        if code < 300 {
            let tag = self
                .dialog
                .as_ref()
                .map(|d| d.id().remote_tag().to_owned())
                .unwrap_or_default();
            if let Some(a) = self
                .acks
                .iter()
                .find(|a| a.remote_tag == tag && a.seq == seq)
                .cloned()
            {
                self.actions.push_back(Action::SendAck {
                    request: a.request,
                    destination: a.hop.destination,
                    transport: a.hop.transport,
                });
                return;
            }
            if let Some(d) = self.dialog.as_mut() {
                let _ = d.handle_response(response);
            }
            let proposal = self.outgoing_proposal.take();
            // RFC 4028 §7.2: the 2xx of our re-INVITE sets the session timer anew.
            let timer = self.timer_of_2xx(response);
            self.start_session_timer(now, timer);
            let body = sdp_body(response.headers(), response.body());
            if let Some(offer) = proposal.as_ref().and_then(|p| p.offer.clone()) {
                self.local_sdp = Some(offer);
            }
            if proposal.as_ref().is_some_and(|p| p.offer.is_none()) {
                if let Some(offer) = body {
                    self.awaiting_answer = Some(AwaitingAnswer {
                        seq,
                        initial: false,
                    });
                    self.events.push_back(SessionEvent::GotOffer { offer });
                    return;
                }
            }
            let _ = self.send_ack(seq, None);
            if self.state == SessionState::Connected {
                match proposal {
                    Some(p) if p.refresh => {
                        self.events
                            .push_back(SessionEvent::DidRefresh { answer: body });
                    }
                    Some(_) => {
                        self.events
                            .push_back(SessionEvent::ProposalAccepted { answer: body });
                    }
                    None => {}
                }
            }
            return;
        }
        let Some(refresh) = self.outgoing_proposal.as_ref().map(|p| p.refresh) else {
            return;
        };
        if self.outgoing_proposal.as_ref().is_some_and(|p| p.cancelled)
            && code != 408
            && code != 481
        {
            // Cancelled: no retry after a glare, a challenge or a 422.
            self.outgoing_proposal = None;
            self.events.push_back(SessionEvent::ProposalRejected {
                code,
                reason: response.reason().to_owned(),
            });
            return;
        }
        match code {
            491 => {
                let after = self.glare_delay(rng);
                if let Some(p) = self.outgoing_proposal.as_mut() {
                    p.in_flight = false;
                }
                self.glare_at = Some(now + after);
                if !refresh {
                    self.events
                        .push_back(SessionEvent::ProposalWillRetry { after });
                }
            }
            422 if self.raise_min_se(response) => {
                let _ = self.send_reinvite(rng);
            }
            408 if refresh => {
                // RFC 4028 §10: a refresh that gets 408 ends the session with BYE.
                self.outgoing_proposal = None;
                self.send_bye(SessionEvent::DidEnd {
                    originator: Originator::Local,
                    reason: format!("{code} {}", response.reason()),
                });
            }
            408 | 481 => {
                let originator = if code == 481 {
                    Originator::Remote
                } else {
                    Originator::Local
                };
                self.end_dialog(originator, code, response.reason());
            }
            401 | 407 if self.has_credentials => {
                let Some(sent) = self.sent_request(seq) else {
                    return;
                };
                if self.auth.authorize(rng, &sent, response).is_ok() {
                    let _ = self.send_reinvite(rng);
                } else {
                    self.outgoing_proposal = None;
                    self.events.push_back(SessionEvent::ProposalRejected {
                        code,
                        reason: response.reason().to_owned(),
                    });
                }
            }
            _ => {
                self.outgoing_proposal = None;
                if !refresh {
                    self.events.push_back(SessionEvent::ProposalRejected {
                        code,
                        reason: response.reason().to_owned(),
                    });
                }
            }
        }
    }

    /// A stand-in for the re-INVITE with CSeq `seq`, enough for the digest client to learn
    /// the challenge: same dialog headers, method and CSeq.
    fn sent_request(&self, seq: u32) -> Option<Request> {
        let dialog = self.dialog.as_ref()?;
        let mut r = dialog.clone().request(Method::Invite, Some(seq)).ok()?;
        r.headers_mut().set_typed(&Cseq::new(seq, Method::Invite));
        Some(r)
    }

    fn on_request(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        tx: ServerTxId,
        request: &Request,
    ) {
        let respond = |status: StatusCode| Response::for_request(request, status);
        let checked = match self.dialog.as_mut() {
            Some(d) => d.handle_request(request),
            None => Err(DialogError::Terminated),
        };
        match checked {
            Ok(()) => {}
            Err(DialogError::CseqOutOfOrder { .. }) => {
                self.respond(tx, respond(StatusCode::SERVER_INTERNAL_ERROR));
                return;
            }
            Err(_) => {
                self.respond(tx, respond(StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST));
                return;
            }
        }
        match request.method() {
            Method::Bye => {
                self.respond(tx, respond(StatusCode::OK));
                if self.state == SessionState::Ending {
                    // Both sides hung up at once.
                    self.finish_bye();
                    return;
                }
                // A BYE overtaking the ACK of our 2xx confirms the dialog all the same.
                if self.pending_2xx.as_ref().is_some_and(|p| p.initial) && !self.started {
                    self.started = true;
                    self.events.push_back(SessionEvent::DidStart);
                }
                if let Some((ptx, preq)) = self.incoming_proposal.take() {
                    self.respond(
                        ptx,
                        Response::for_request(&preq, StatusCode::REQUEST_TERMINATED),
                    );
                }
                let event = if self.started {
                    SessionEvent::DidEnd {
                        originator: Originator::Remote,
                        reason: "Call completed".to_owned(),
                    }
                } else {
                    SessionEvent::DidFail {
                        originator: Originator::Remote,
                        code: 200,
                        reason: "Call completed".to_owned(),
                    }
                };
                self.terminate(event);
            }
            Method::Invite => self.on_reinvite(rng, tx, request),
            Method::Update => self.on_update(now, rng, tx, request),
            Method::Options => {
                let mut ok = respond(StatusCode::OK);
                ok.headers_mut().push(HeaderName::Allow, ALLOW);
                self.respond(tx, ok);
            }
            Method::Refer => self.on_refer(tx, request),
            Method::Prack => self.on_prack(tx, request),
            Method::Notify => self.on_notify(tx, request),
            _ => self.respond(tx, respond(StatusCode::NOT_IMPLEMENTED)),
        }
    }

    /// §14.2: a re-INVITE from the peer.
    fn on_reinvite(&mut self, rng: &mut impl Random, tx: ServerTxId, request: &Request) {
        if let Some(response) = self.proposal_refusal(rng, request) {
            self.respond(tx, response);
            return;
        }
        let offer = sdp_body(request.headers(), request.body());
        self.incoming_proposal = Some((tx, request.clone()));
        self.events.push_back(SessionEvent::GotProposal { offer });
    }

    /// RFC 3311: an UPDATE from the peer. One with an offer is a proposal like a re-INVITE's
    /// (answered by [`InviteSession::accept_proposal`] without an ACK to wait for); one
    /// without refreshes the target and the session timer and gets 200 at once.
    fn on_update(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        tx: ServerTxId,
        request: &Request,
    ) {
        let offer = sdp_body(request.headers(), request.body());
        if offer.is_none() {
            let refusal = if matches!(
                self.state,
                SessionState::Connected | SessionState::Connecting
            ) {
                self.timer_refusal(request)
            } else {
                Some(Response::for_request(
                    request,
                    StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
                ))
            };
            if let Some(response) = refusal {
                self.respond(tx, response);
                return;
            }
            let mut ok =
                Response::for_request(request, StatusCode::OK).with_header(&self.our_contact());
            ok.headers_mut().push(HeaderName::Allow, ALLOW);
            let timer = self.grant_timer(request);
            if let Some(t) = timer {
                add_granted_headers(&mut ok, t);
            }
            self.start_session_timer(now, timer.map(Granted::as_interval));
            self.respond(tx, ok);
            return;
        }
        if let Some(response) = self.proposal_refusal(rng, request) {
            self.respond(tx, response);
            return;
        }
        self.incoming_proposal = Some((tx, request.clone()));
        self.events.push_back(SessionEvent::GotProposal { offer });
    }

    /// Why a peer's offer in a re-INVITE or UPDATE cannot be taken now, as the response that
    /// says so; `None` when it can.
    fn proposal_refusal(&self, rng: &mut impl Random, request: &Request) -> Option<Response> {
        let respond = |status: StatusCode| Response::for_request(request, status);
        // An UPDATE may come before the ACK of our 2xx: the dialog is confirmed already.
        let ready = self.state == SessionState::Connected
            || (*request.method() == Method::Update && self.state == SessionState::Connecting);
        if !ready {
            return Some(if self.state == SessionState::Ending {
                respond(StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST)
            } else {
                respond(REQUEST_PENDING)
            });
        }
        // Our 2xx waiting for its ACK holds an offer when it answers a re-INVITE or an INVITE
        // without one (the answer comes in the ACK); it blocks another INVITE in any case.
        let unacked_offer = self.pending_2xx.as_ref().is_some_and(|p| {
            !p.initial
                || *request.method() == Method::Invite
                || sdp_body(self.invite.headers(), self.invite.body()).is_none()
        });
        if self.incoming_proposal.is_some() {
            // Their earlier offer is still unanswered: 500 with Retry-After 0–10 s.
            let wait = (rng.next_u64() % 11) as u32;
            Some(respond(StatusCode::SERVER_INTERNAL_ERROR).with_header(&RetryAfter::new(wait)))
        } else if self.outgoing_proposal.as_ref().is_some_and(|p| p.in_flight)
            || self.awaiting_answer.is_some()
            || unacked_offer
        {
            // Glare: our offer is pending.
            Some(respond(REQUEST_PENDING))
        } else {
            self.timer_refusal(request)
        }
    }

    /// RFC 4028: the 420 for a request requiring timers we have off, or the 422 for one
    /// asking for less than our Min-SE.
    fn timer_refusal(&self, request: &Request) -> Option<Response> {
        self.timer_required(request).or_else(|| {
            self.too_small(request).map(|min_se| {
                Response::for_request(request, SESSION_INTERVAL_TOO_SMALL)
                    .with_header(&MinSe::new(min_se))
            })
        })
    }

    fn on_ack(&mut self, request: &Request) {
        let seq = cseq_of(request.headers()).unwrap_or(0);
        if self.pending_2xx.as_ref().is_none_or(|p| p.seq != seq) {
            return;
        }
        let p = self.settle_2xx(AckReceived::Yes).expect("checked above");
        if let Some(answer) = sdp_body(request.headers(), request.body()) {
            self.events.push_back(SessionEvent::GotAnswer { answer });
        }
        if p.initial && self.state == SessionState::Connecting {
            self.state = SessionState::Connected;
            self.started = true;
            self.events.push_back(SessionEvent::DidStart);
            if self.end_after_ack {
                self.send_bye(local_end());
            }
        }
    }
}

/// The method a client transaction of the session reports itself under, and its
/// `ack_received`; `None` for the BYE of a fork we never took up, outside the session's dialog.
fn transaction_method(purpose: Purpose) -> Option<(Method, Option<AckReceived>)> {
    match purpose {
        // The ACK of a 2xx to our INVITE is ours: whether it reached the peer is unknown.
        Purpose::Invite | Purpose::ReInvite => Some((Method::Invite, Some(AckReceived::Unknown))),
        Purpose::Bye => Some((Method::Bye, None)),
        Purpose::Cancel => Some((Method::Cancel, None)),
        Purpose::Refer => Some((Method::Refer, None)),
        Purpose::Notify => Some((Method::Notify, None)),
        Purpose::Prack => Some((Method::Prack, None)),
        Purpose::ForkBye => None,
    }
}

/// 491 Request Pending (RFC 3261 §21.4.27).
pub(crate) const REQUEST_PENDING: StatusCode = match StatusCode::new(491) {
    Some(s) => s,
    None => panic!("491 is a status code"),
};

/// The methods our dialogs take, for Allow in our INVITEs and their answers: a peer sends
/// UPDATE, REFER or NOTIFY only to a UA that lists them.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY";

/// 183 Session Progress (RFC 3261 §21.1.5).
const SESSION_PROGRESS: StatusCode = match StatusCode::new(183) {
    Some(s) => s,
    None => panic!("183 is a status code"),
};

/// 420 Bad Extension (RFC 3261 §21.4.15).
const BAD_EXTENSION: StatusCode = match StatusCode::new(420) {
    Some(s) => s,
    None => panic!("420 is a status code"),
};

/// 422 Session Interval Too Small (RFC 4028 §6).
const SESSION_INTERVAL_TOO_SMALL: StatusCode = match StatusCode::new(422) {
    Some(s) => s,
    None => panic!("422 is a status code"),
};

/// How long a due refresh waits for another offer to settle.
const REFRESH_RETRY: Duration = Duration::from_secs(1);

/// The session timer our 2xx grants (RFC 4028 §9).
#[derive(Debug, Clone, Copy)]
struct Granted {
    seconds: u32,
    /// The refresher, relative to the request we answer.
    refresher: Refresher,
    /// The UAC supports timers: the 2xx carries `Require: timer`.
    require: bool,
}

impl Granted {
    /// The timer from our side, the UAS of the request.
    fn as_interval(self) -> SessionInterval {
        SessionInterval {
            interval: Duration::from_secs(u64::from(self.seconds)),
            refresher: match self.refresher {
                Refresher::Uac => Originator::Remote,
                Refresher::Uas => Originator::Local,
            },
        }
    }
}

/// Session-Expires with the refresher and, when the UAC supports timers, `Require: timer`.
fn add_granted_headers(response: &mut Response, granted: Granted) {
    let h = response.headers_mut();
    h.set_typed(&SessionExpires::new(granted.seconds).with_refresher(granted.refresher));
    if granted.require {
        h.push_typed(&Require::new("timer").expect("a token"));
    }
}

/// Whether the message lists `timer` in Supported.
/// Whether the Contact of a message carries `isfocus` (RFC 4579 §3.3).
fn contact_is_focus(headers: &Headers) -> bool {
    headers
        .typed::<Contact<'_>>()
        .any(|c| c.is_ok_and(|c| c.is_focus()))
}

fn supports_timer(headers: &Headers) -> bool {
    headers
        .typed::<Supported<'_>>()
        .any(|t| t.is_ok_and(|t| t.is("timer")))
}

fn duration_secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// The event of a session we hung up.
fn local_end() -> SessionEvent {
    SessionEvent::DidEnd {
        originator: Originator::Local,
        reason: "Call completed".to_owned(),
    }
}

fn cseq_of(headers: &Headers) -> Option<u32> {
    headers.single::<Cseq>().ok().map(|c| c.seq)
}

/// The body when it is a session description.
fn sdp_body(headers: &Headers, body: &Bytes) -> Option<Bytes> {
    if body.is_empty() {
        return None;
    }
    let ct = headers.get(HeaderName::ContentType)?;
    let media = ct.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case(SDP).then(|| body.clone())
}

impl crate::dialog::DialogUser for InviteSession {
    fn next_action(&mut self) -> Option<Action> {
        self.poll_action()
    }

    fn sent(&mut self, tx: ClientTxId) {
        self.handle_sent(tx);
    }

    fn send_failed(&mut self, now: Instant) {
        self.handle_send_failed(now);
    }
}

#[cfg(test)]
mod tests;
