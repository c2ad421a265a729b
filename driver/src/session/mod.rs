//! Sessions: the seed's `Session` and `SessionManager`, on the INVITE session machine of
//! `sipsimple-proto` and its RFC 3264 offer/answer engine.
//!
//! A [`Session`] is a handle on one call. An outgoing one is made with [`Session::new`] on
//! an account and started with [`Session::connect`]; an incoming one arrives as
//! `SIPSessionNewIncoming`, whose sender and `session` field name it for
//! [`SessionManager::get`]. Everything else is reported through the seed's `SIPSession*`
//! notifications, posted with the session as sender ([`Session::sender_id`]).
//!
//! Streams implement [`MediaStream`]; until the audio engine exists, [`SignalingStream`]
//! negotiates audio without carrying it.
//!
//! Hold and unhold, and adding and removing streams, work from either side; so does call
//! transfer, blind or attended (see [`Session::transfer`]). A session with a conference focus
//! has a [`ConferenceHandler`] to add and remove participants, and is subscribed to the
//! conference's state (`SIPSessionGotConferenceInfo`, [`Session::conference_info`]).

mod audio_stream;
mod conference;
mod stream;
mod transfer;

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::json;

pub use self::audio_stream::{AudioStream, AudioStreamError, AudioStreamFactory};
pub use self::conference::ConferenceHandler;
pub use self::stream::{
    downcast_stream, stream_sender, Initialization, InitializeDone, MediaStream,
    MediaStreamFactory, MediaStreamRegistry, SignalingStream, SignalingStreamFactory,
    StreamContext, INITIALIZE_TIMEOUT,
};
pub(crate) use self::stream::{stream_key, stream_type_of, InitializeReports};
pub use self::transfer::{TransferHandler, TransferInfo, TransferState};
pub(crate) use self::transfer::{TransferOrigin, TransferRecord};

use crate::configuration::AccountId;
use crate::engine::Input;
use crate::notification::SenderId;
use crate::{Account, SipApplication};

/// Where a session is in its life, as in the seed's state diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionState {
    /// Created, not connected yet.
    None,
    /// Outgoing, waiting for the callee.
    Connecting,
    /// Incoming, waiting for the application to accept or reject it.
    Incoming,
    /// Accepted, waiting for the ACK.
    Accepting,
    /// Established.
    Connected,
    /// Our proposal (a stream added or removed) waits for the peer's answer.
    SendingProposal,
    /// The peer's proposal waits for `accept_proposal` or `reject_proposal`.
    ReceivedProposal,
    /// Ending (a BYE or CANCEL is on its way).
    Terminating,
    /// Over.
    Terminated,
}

impl SessionState {
    /// The seed's name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Connecting => "connecting",
            Self::Incoming => "incoming",
            Self::Accepting => "accepting",
            Self::Connected => "connected",
            Self::SendingProposal => "sending_proposal",
            Self::ReceivedProposal => "received_proposal",
            Self::Terminating => "terminating",
            Self::Terminated => "terminated",
        }
    }
}

/// Which side started the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// We called.
    Outgoing,
    /// We were called.
    Incoming,
}

/// Why a [`Session`] command could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The command does not fit the session's state.
    #[error("not possible while the session is {0}")]
    WrongState(&'static str),
    /// The application is not running.
    #[error("the application is not running")]
    NotRunning,
    /// The session has no streams to offer or accept.
    #[error("a session needs at least one stream")]
    NoStreams,
}

/// What the handles of a session share with the engine.
#[derive(Debug)]
pub(crate) struct SessionInfo {
    pub(crate) account: AccountId,
    pub(crate) direction: Option<Direction>,
    pub(crate) state: SessionState,
    pub(crate) local_identity: Option<String>,
    pub(crate) remote_identity: Option<String>,
    pub(crate) transport: Option<&'static str>,
    pub(crate) start_time: Option<SystemTime>,
    pub(crate) stop_time: Option<SystemTime>,
    pub(crate) streams: Vec<Arc<dyn MediaStream>>,
    /// Held by either side.
    pub(crate) on_hold: bool,
    /// The stream types the remote party offered (incoming sessions).
    pub(crate) proposed_types: Vec<&'static str>,
    /// The streams the registry made for the remote party's offer (incoming sessions).
    pub(crate) proposed_streams: Vec<Arc<dyn MediaStream>>,
    /// The latest transfer of the session.
    pub(crate) transfer: Option<TransferRecord>,
    /// The transfer that made this session (the transferee's new session).
    pub(crate) transfer_origin: Option<TransferOrigin>,
    /// The session an incoming INVITE with Replaces replaces.
    pub(crate) replaced_session: Option<u64>,
    /// The peer is a conference focus (its Contact carries `isfocus`).
    pub(crate) remote_focus: bool,
    /// What the conference subscription told of the peer's conference.
    pub(crate) conference_info: Option<sipsimple_proto::payloads::conference::ConferenceInfo>,
    /// The peer's User-Agent (or Server).
    pub(crate) remote_user_agent: Option<String>,
    /// The Subject of the INVITE.
    pub(crate) subject: Option<String>,
}

/// What [`Session::connect_with`] takes besides the callee and the streams (the seed's
/// `routes`, `is_focus` and `subject` arguments of `connect`).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Where to send the INVITE instead of the account's outbound proxy or a lookup of the
    /// callee's host. As with looked-up routes, the call goes to the first; failing over to
    /// the next is not done yet.
    pub routes: Option<Vec<sipsimple_proto::request::Route>>,
    /// We are a conference focus: our Contact carries `isfocus` (RFC 4579).
    pub is_focus: bool,
    /// The Subject of the INVITE.
    pub subject: Option<String>,
}

/// One session (a call). Cheap to clone; every clone is the same session.
#[derive(Debug, Clone)]
pub struct Session {
    id: u64,
    app: SipApplication,
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Session {
    /// A new outgoing session on `account`, in state [`SessionState::None`].
    pub fn new(account: &Account) -> Self {
        let app = account.application().clone();
        let id = app.inner.shared.new_session(SessionInfo {
            account: account.id().clone(),
            direction: None,
            state: SessionState::None,
            local_identity: None,
            remote_identity: None,
            transport: None,
            start_time: None,
            stop_time: None,
            streams: Vec::new(),
            on_hold: false,
            proposed_types: Vec::new(),
            proposed_streams: Vec::new(),
            transfer: None,
            transfer_origin: None,
            replaced_session: None,
            remote_focus: false,
            conference_info: None,
            remote_user_agent: None,
            subject: None,
        });
        Self { id, app }
    }

    pub(crate) fn from_id(app: SipApplication, id: u64) -> Self {
        Self { id, app }
    }

    /// The session's number within its application.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The sender of this session's notifications: `Session:<id>`.
    pub fn sender_id(&self) -> SenderId {
        sender_id(self.id)
    }

    fn read<T>(&self, f: impl FnOnce(&SessionInfo) -> T) -> Option<T> {
        self.app.inner.shared.sessions().get(&self.id).map(f)
    }

    /// The state.
    pub fn state(&self) -> SessionState {
        self.read(|s| s.state).unwrap_or(SessionState::Terminated)
    }

    /// The account the session belongs to.
    pub fn account(&self) -> Option<Account> {
        let id = self.read(|s| s.account.clone())?;
        self.app.account_manager().get_account(id.as_str())
    }

    /// Who started it; `None` before [`connect`](Self::connect).
    pub fn direction(&self) -> Option<Direction> {
        self.read(|s| s.direction).flatten()
    }

    /// The transport of the session's signalling: `"udp"`, `"tcp"` or `"tls"`.
    pub fn transport(&self) -> Option<&'static str> {
        self.read(|s| s.transport).flatten()
    }

    /// When it started.
    pub fn start_time(&self) -> Option<SystemTime> {
        self.read(|s| s.start_time).flatten()
    }

    /// When it ended.
    pub fn stop_time(&self) -> Option<SystemTime> {
        self.read(|s| s.stop_time).flatten()
    }

    /// Our From or To header value.
    pub fn local_identity(&self) -> Option<String> {
        self.read(|s| s.local_identity.clone()).flatten()
    }

    /// The remote party's From or To header value.
    pub fn remote_identity(&self) -> Option<String> {
        self.read(|s| s.remote_identity.clone()).flatten()
    }

    /// The peer's software as it names it (the seed's `remote_user_agent`): its User-Agent,
    /// or the Server of its answer; `None` until it said.
    pub fn remote_user_agent(&self) -> Option<String> {
        self.read(|s| s.remote_user_agent.clone()).flatten()
    }

    /// The session's subject (the seed's `subject`): the Subject of an incoming session's
    /// INVITE, or the one [`Session::connect_with`] gave an outgoing one.
    pub fn subject(&self) -> Option<String> {
        self.read(|s| s.subject.clone()).flatten()
    }

    /// `true` while the session is on hold, by either side.
    pub fn on_hold(&self) -> bool {
        self.read(|s| s.on_hold).unwrap_or(false)
    }

    /// The active streams.
    pub fn streams(&self) -> Vec<Arc<dyn MediaStream>> {
        self.read(|s| s.streams.clone()).unwrap_or_default()
    }

    /// The streams the application's [`MediaStreamRegistry`] made for the remote party's
    /// offer (the seed's `proposed_streams`); accept with these, or a subset.
    pub fn proposed_streams(&self) -> Vec<Arc<dyn MediaStream>> {
        self.read(|s| s.proposed_streams.clone())
            .unwrap_or_default()
    }

    /// The types of the streams the remote party proposed, for an incoming session.
    pub fn proposed_stream_types(&self) -> Vec<&'static str> {
        self.read(|s| s.proposed_types.clone()).unwrap_or_default()
    }

    /// Calls `to` (a SIP URI or name-addr) offering `streams`: `SIPSessionNewOutgoing` now,
    /// then `SIPSessionGotRingIndication`/`GotProvisionalResponse`, and `WillStart` +
    /// `DidStart` or `DidFail`. The request goes through the account's outbound proxy, else
    /// to the callee's host (RFC 3263).
    ///
    /// # Errors
    ///
    /// [`SessionError`] outside the `None` state, without streams, or when not running.
    pub fn connect(
        &self,
        to: &str,
        streams: Vec<Arc<dyn MediaStream>>,
    ) -> Result<(), SessionError> {
        self.connect_with(to, streams, ConnectOptions::default())
    }

    /// [`Session::connect`] with the seed's other `connect` arguments: the routes to try in
    /// order instead of a lookup, the `isfocus` Contact of a conference focus, the Subject.
    ///
    /// # Errors
    ///
    /// As [`Session::connect`].
    pub fn connect_with(
        &self,
        to: &str,
        streams: Vec<Arc<dyn MediaStream>>,
        options: ConnectOptions,
    ) -> Result<(), SessionError> {
        if streams.is_empty() {
            return Err(SessionError::NoStreams);
        }
        self.transition(SessionState::None, SessionState::Connecting)?;
        self.app.inner.shared.update_session(self.id, |s| {
            s.direction = Some(Direction::Outgoing);
            s.streams = streams.clone();
            s.subject = options.subject.clone();
        });
        let types: Vec<&str> = streams.iter().map(|s| s.stream_type()).collect();
        self.app.notification_center().post(
            "SIPSessionNewOutgoing",
            self.sender_id(),
            json!({"streams": types, "session": self.id}),
        );
        self.send(Input::SessionConnect {
            id: self.id,
            to: to.to_owned(),
            streams,
            routes: options.routes,
            focus: options.is_focus,
        })
    }

    /// Sends 180 Ringing for an incoming session.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless incoming.
    pub fn send_ring_indication(&self) -> Result<(), SessionError> {
        self.expect(SessionState::Incoming)?;
        self.send(Input::SessionRing { id: self.id })
    }

    /// Accepts an incoming session with `streams`, answering the offer with what they can
    /// do; offered streams none of them matches are rejected (port 0). `SIPSessionWillStart`
    /// and `DidStart` follow when the ACK arrives, or `DidFail` (488 when nothing matches).
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless incoming, or without streams.
    pub fn accept(&self, streams: Vec<Arc<dyn MediaStream>>) -> Result<(), SessionError> {
        if streams.is_empty() {
            return Err(SessionError::NoStreams);
        }
        self.transition(SessionState::Incoming, SessionState::Accepting)?;
        self.send(Input::SessionAccept {
            id: self.id,
            streams,
        })
    }

    /// Rejects an incoming session with `code` (486 Busy Here, 603 Decline…);
    /// `SIPSessionDidFail` follows.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless incoming.
    pub fn reject(&self, code: u16, reason: Option<&str>) -> Result<(), SessionError> {
        self.transition(SessionState::Incoming, SessionState::Terminating)?;
        self.send(Input::SessionReject {
            id: self.id,
            code,
            reason: reason.map(str::to_owned),
        })
    }

    /// Puts the session on hold (RFC 3264 §8.4: our streams become `sendonly`, or
    /// `inactive` when the peer holds us); `SIPSessionDidChangeHoldState` follows once the
    /// peer accepts. Does nothing when already held by us or while a change is pending.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn hold(&self) -> Result<(), SessionError> {
        self.expect_established()?;
        self.send(Input::SessionHold {
            id: self.id,
            hold: true,
        })
    }

    /// Takes the session off hold (`sendrecv` again); `SIPSessionDidChangeHoldState` follows.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn unhold(&self) -> Result<(), SessionError> {
        self.expect_established()?;
        self.send(Input::SessionHold {
            id: self.id,
            hold: false,
        })
    }

    /// Proposes a new stream to the peer (a re-INVITE with one more m-line):
    /// `SIPSessionGotProposal` now, then `SIPSessionGotAcceptProposal` and
    /// `SIPSessionDidRenegotiateStreams` or `SIPSessionGotRejectProposal` (or
    /// `SIPSessionHadProposalFailure` when no re-INVITE can go out now).
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn add_stream(&self, stream: Arc<dyn MediaStream>) -> Result<(), SessionError> {
        self.expect(SessionState::Connected)?;
        self.send(Input::SessionAddStream {
            id: self.id,
            stream,
        })
    }

    /// Removes a stream from the session (its m-line gets port 0); it ends even if the peer
    /// refuses. `SIPSessionDidRenegotiateStreams` follows.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn remove_stream(&self, stream: &Arc<dyn MediaStream>) -> Result<(), SessionError> {
        self.expect(SessionState::Connected)?;
        self.send(Input::SessionRemoveStream {
            id: self.id,
            stream: Arc::clone(stream),
        })
    }

    /// Accepts the streams the peer proposed (`SIPSessionGotProposal` from the remote side)
    /// with `streams`; proposed streams none of them matches are rejected.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn accept_proposal(&self, streams: Vec<Arc<dyn MediaStream>>) -> Result<(), SessionError> {
        self.expect(SessionState::ReceivedProposal)?;
        self.send(Input::SessionAcceptProposal {
            id: self.id,
            streams,
        })
    }

    /// Cancels our pending proposal to add a stream ([`Session::add_stream`]) with a CANCEL of
    /// its re-INVITE: `SIPSessionGotRejectProposal` with code 487 follows on both sides,
    /// unless the peer's acceptance crossed the CANCEL (then the stream is added). Nothing
    /// happens when no such proposal is pending.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn cancel_proposal(&self) -> Result<(), SessionError> {
        self.expect(SessionState::SendingProposal)?;
        self.send(Input::SessionCancelProposal { id: self.id })
    }

    /// Refuses the peer's proposal with `code` (488 Not Acceptable Here, usually).
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless connected.
    pub fn reject_proposal(&self, code: u16, reason: Option<&str>) -> Result<(), SessionError> {
        self.expect(SessionState::ReceivedProposal)?;
        self.send(Input::SessionRejectProposal {
            id: self.id,
            code,
            reason: reason.map(str::to_owned),
        })
    }

    /// Ends the session: a BYE when established, a CANCEL (or 487) before.
    /// `SIPSessionWillEnd` now, then `SIPSessionDidEnd` (or `DidFail` when it never
    /// started). Does nothing once it is ending.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotRunning`] when the application stopped.
    pub fn end(&self) -> Result<(), SessionError> {
        let state = self.state();
        match state {
            SessionState::Terminating | SessionState::Terminated => return Ok(()),
            SessionState::None => {
                self.app.inner.shared.update_session(self.id, |s| {
                    s.state = SessionState::Terminated;
                });
                return Ok(());
            }
            _ => {}
        }
        self.app
            .inner
            .shared
            .update_session(self.id, |s| s.state = SessionState::Terminating);
        if state == SessionState::Connected {
            self.app
                .notification_center()
                .post("SIPSessionWillEnd", self.sender_id(), json!({}));
        }
        self.send(Input::SessionEnd { id: self.id })
    }

    fn expect(&self, state: SessionState) -> Result<(), SessionError> {
        let now = self.state();
        if now == state {
            Ok(())
        } else {
            Err(SessionError::WrongState(now.as_str()))
        }
    }

    /// Connected, or in the middle of a proposal: the dialog is up.
    pub(crate) fn expect_established(&self) -> Result<(), SessionError> {
        match self.state() {
            SessionState::Connected
            | SessionState::SendingProposal
            | SessionState::ReceivedProposal => Ok(()),
            other => Err(SessionError::WrongState(other.as_str())),
        }
    }

    fn transition(&self, from: SessionState, to: SessionState) -> Result<(), SessionError> {
        let mut sessions = self.app.inner.shared.sessions();
        let info = sessions
            .get_mut(&self.id)
            .ok_or(SessionError::WrongState("terminated"))?;
        if info.state != from {
            return Err(SessionError::WrongState(info.state.as_str()));
        }
        info.state = to;
        Ok(())
    }

    fn send(&self, input: Input) -> Result<(), SessionError> {
        if self.app.send_input(input) {
            Ok(())
        } else {
            Err(SessionError::NotRunning)
        }
    }
}

/// The sessions of one application (the seed's `SessionManager`).
#[derive(Debug, Clone)]
pub struct SessionManager {
    app: SipApplication,
}

impl SessionManager {
    pub(crate) fn new(app: SipApplication) -> Self {
        Self { app }
    }

    /// Every session that has not terminated (the seed's `sessions`).
    pub fn sessions(&self) -> Vec<Session> {
        let ids: Vec<u64> = self
            .app
            .inner
            .shared
            .sessions()
            .iter()
            .filter(|(_, s)| s.state != SessionState::Terminated && s.state != SessionState::None)
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .map(|id| Session::from_id(self.app.clone(), id))
            .collect()
    }

    /// The session with this number (the `session` field of its notifications).
    pub fn get(&self, id: u64) -> Option<Session> {
        self.app
            .inner
            .shared
            .sessions()
            .contains_key(&id)
            .then(|| Session::from_id(self.app.clone(), id))
    }
}

pub(crate) fn sender_id(id: u64) -> SenderId {
    SenderId::new(format!("Session:{id}"))
}
