//! A user agent for three-party simulations: one [`Endpoint`] holding several
//! [`InviteSession`]s, numbered in the order they were created, driven by a script of
//! commands run at given delays after a trigger, and by automatic behaviour:
//!
//! - incoming calls are answered (180, then 200 with [`SDP`]) when [`Behaviour::answer`]
//!   says so; offers and proposals of the peer are answered with [`SDP`] at once;
//! - a REFER is accepted when [`Behaviour::accept_refers`] says so (else refused with 603):
//!   the agent calls the Refer-To target (its embedded Replaces and the REFER's Referred-By
//!   copied into the INVITE) and reports that call in NOTIFYs (each provisional status once,
//!   then 200 when it starts or its failure status);
//! - an INVITE with Replaces (RFC 3891) naming one of its established dialogs is accepted at
//!   once and the replaced session ended when the new one starts; one naming no dialog (or
//!   an early one) gets 481, one naming a dialog ending, over or already being replaced 603;
//! - as a conference focus ([`Behaviour::focus`], Contact with `isfocus`), a REFER whose
//!   Refer-To carries `method=BYE` asks to remove that participant: the focus ends its
//!   session with it and notifies 200 once it ended, or refuses the REFER with 404 when it has
//!   no such session; any other REFER adds the participant (a call, as above).
//!
//! Every session event is recorded with its virtual time and session number, and every
//! message sent or received with its time and destination or source. Commands the sessions' states no longer
//! allow (the peer was faster) are dropped and recorded. At most [`MAX_SESSIONS`] sessions
//! exist; an INVITE beyond them gets 486, a REFER 503.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sipsimple_proto::endpoint::{Endpoint, EndpointConfig, Event, ServerTxId, TransportKind};
use sipsimple_proto::invite::{
    IncomingConfig, InviteConfig, InviteSession, SessionEvent, SessionState,
};
use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_proto::request::{Route, TAG_LEN};
use sipsimple_proto::sip::headers::{
    FromHeader, HeaderName, ReferTo, ReferredBy, Replaces, ToHeader,
};
use sipsimple_proto::sip::{Address, Host, Method, Request, Response, StatusCode, Uri};

use crate::sim::Node;

/// The session description every call offers and every answer carries.
pub const SDP: &[u8] =
    b"v=0\r\no=- 1 1 IN IP4 192.0.2.0\r\ns=-\r\nc=IN IP4 192.0.2.0\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";

/// The most sessions one agent holds.
pub const MAX_SESSIONS: usize = 16;

/// How many inputs one wake-up handles at most before yielding to the simulation.
const MAX_ROUNDS: usize = 10_000;

/// A command of a script. Sessions are named by their number at this agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Call `sip:<user>@<addr>`, sending the INVITE (with [`SDP`]) to `addr`.
    Call {
        /// The user part of the callee's URI.
        user: String,
        /// The callee's address.
        addr: SocketAddr,
    },
    /// Send 180 in this incoming session.
    Ring(usize),
    /// Answer this incoming session with 200 and [`SDP`].
    Accept(usize),
    /// End this session (CANCEL, 603 or BYE, as its state allows).
    End(usize),
    /// Ask the peer of this session to call this URI (a REFER naming us in Referred-By): a
    /// blind transfer, or a conference request to a focus (`;method=BYE` to remove).
    Refer(usize, String),
    /// An attended transfer: ask the peer of `session` to call the peer of `target`, with a
    /// Replaces naming `target`'s dialog as that peer sees it.
    ReferWithReplaces {
        /// The session whose peer is referred.
        session: usize,
        /// The session whose peer is the target and whose dialog is replaced.
        target: usize,
    },
}

/// What a script line waits for; each line runs once, after the first time its trigger
/// happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// The start of the simulation.
    Start,
    /// This session started.
    Started(usize),
    /// This session's REFER succeeded (the final NOTIFY reported a 2xx).
    ReferSucceeded(usize),
    /// This session ended or failed.
    Ended(usize),
}

/// How incoming calls are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The delay from the INVITE to the 180.
    pub ring: Duration,
    /// The delay from the INVITE to the 200.
    pub accept: Duration,
}

/// The automatic behaviour of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// Answer incoming calls (ones with a matching Replaces are always accepted at once);
    /// `None` leaves them to the script.
    pub answer: Option<Answer>,
    /// Accept a REFER and make the call it asks for; `false` refuses REFERs with 603.
    pub accept_refers: bool,
    /// Act as a conference focus: Contact with `isfocus`, REFERs add or remove participants.
    pub focus: bool,
}

impl Default for Behaviour {
    /// Rings at once, answers after one second, accepts REFERs, no focus.
    fn default() -> Self {
        Self {
            answer: Some(Answer {
                ring: Duration::ZERO,
                accept: Duration::from_secs(1),
            }),
            accept_refers: true,
            focus: false,
        }
    }
}

/// One session of an agent and what ties it to the others.
#[derive(Debug)]
pub struct Call {
    /// The session.
    pub session: InviteSession,
    /// The peer's URI: the one we called, or the From of the INVITE we took.
    pub peer: Uri<'static>,
    /// The session this one replaces (RFC 3891), ended once this one started.
    pub replaces: Option<usize>,
    /// The session whose REFER asked for this call; its NOTIFYs report how this call goes.
    pub referred_from: Option<usize>,
    /// The session whose REFER (`method=BYE`, focus) asked to remove this participant; it
    /// is notified 200 once this session is over.
    pub removal_for: Option<usize>,
    /// The provisional statuses already reported to `referred_from`.
    notified: Vec<u16>,
}

/// One simulated user agent; see the [module documentation](self).
#[derive(Debug)]
pub struct Agent {
    name: String,
    addr: SocketAddr,
    t0: Instant,
    latest: Instant,
    /// The endpoint.
    pub endpoint: Endpoint<SeededRandom>,
    rng: SeededRandom,
    /// The automatic behaviour.
    pub behaviour: Behaviour,
    /// The sessions, by number.
    pub calls: Vec<Call>,
    script: Vec<(After, Duration, Cmd)>,
    due: Vec<(Instant, Cmd)>,
    /// Every session event: virtual time since the start, session number, event.
    pub events: Vec<(Duration, usize, SessionEvent)>,
    /// Messages sent: virtual time, destination, first word of the start line (method or
    /// status code).
    pub sent: Vec<(Duration, SocketAddr, String)>,
    /// Messages received: virtual time, source, first word of the start line.
    pub received: Vec<(Duration, SocketAddr, String)>,
    /// Commands dropped because the session's state no longer allowed them (or named no
    /// session), with their virtual time.
    pub dropped: Vec<(Duration, Cmd)>,
}

impl Agent {
    /// An agent `sip:<name>@<addr>` at `addr`, seeded with `seed`, following `script`.
    pub fn new(
        t0: Instant,
        name: &str,
        addr: SocketAddr,
        seed: u64,
        behaviour: Behaviour,
        script: Vec<(After, Duration, Cmd)>,
    ) -> Self {
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
        endpoint.add_transport(TransportKind::Udp, addr);
        let mut agent = Self {
            name: name.to_owned(),
            addr,
            t0,
            latest: t0,
            endpoint,
            rng: SeededRandom::new(seed ^ 0xa6e7),
            behaviour,
            calls: Vec::new(),
            script,
            due: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
            received: Vec::new(),
            dropped: Vec::new(),
        };
        agent.trigger(t0, After::Start);
        agent
    }

    /// Our URI (`sip:<name>@<addr>`), also our Contact.
    pub fn uri(&self) -> Uri<'static> {
        agent_uri(&self.name, self.addr)
    }

    /// The session numbered `i`, if there is one.
    pub fn session(&self, i: usize) -> Option<&InviteSession> {
        self.calls.get(i).map(|c| &c.session)
    }

    /// The state of session `i` (`None` when there is no such session).
    pub fn state(&self, i: usize) -> Option<SessionState> {
        self.session(i).map(InviteSession::state)
    }

    /// How many sessions are not terminated.
    pub fn live(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| c.session.state() != SessionState::Terminated)
            .count()
    }

    /// The events of session `i`, in order, without their times.
    pub fn events_of(&self, i: usize) -> Vec<SessionEvent> {
        self.events
            .iter()
            .filter(|(_, s, _)| *s == i)
            .map(|(_, _, e)| e.clone())
            .collect()
    }

    /// When session `i` first reported an event matching `f`.
    pub fn time_of(&self, i: usize, f: impl Fn(&SessionEvent) -> bool) -> Option<Duration> {
        self.events
            .iter()
            .find(|(_, s, e)| *s == i && f(e))
            .map(|(t, _, _)| *t)
    }

    /// How many messages starting with `word` this agent sent.
    pub fn count_sent(&self, word: &str) -> usize {
        self.sent.iter().filter(|(_, _, w)| w == word).count()
    }

    /// Moves the script lines waiting for `when` to the due commands.
    fn trigger(&mut self, now: Instant, when: After) {
        let mut i = 0;
        while i < self.script.len() {
            if self.script[i].0 == when {
                let (_, delay, cmd) = self.script.remove(i);
                self.due.push((now + delay, cmd));
            } else {
                i += 1;
            }
        }
    }

    fn drop_cmd(&mut self, now: Instant, cmd: Cmd) {
        self.dropped.push((now - self.t0, cmd));
    }

    fn run(&mut self, now: Instant, cmd: Cmd) {
        let done = match &cmd {
            Cmd::Call { user, addr } => {
                let target = agent_uri(user, *addr);
                self.call(now, target, *addr, None, None, None).is_some()
            }
            Cmd::Ring(i) => self
                .calls
                .get_mut(*i)
                .is_some_and(|c| c.session.ring(now).is_ok()),
            Cmd::Accept(i) => self
                .calls
                .get_mut(*i)
                .is_some_and(|c| c.session.accept(now, Some(Bytes::from_static(SDP))).is_ok()),
            Cmd::End(i) => self
                .calls
                .get_mut(*i)
                .is_some_and(|c| c.session.end(now).is_ok()),
            Cmd::Refer(i, target) => match Uri::parse_owned(target.clone()) {
                Ok(uri) => self.refer(now, *i, &ReferTo::new(uri)),
                Err(_) => false,
            },
            Cmd::ReferWithReplaces { session, target } => {
                let refer_to = self
                    .session(*target)
                    .and_then(InviteSession::dialog)
                    .and_then(|d| {
                        // As the target sees its dialog: its tag is the to-tag, ours the from-tag.
                        let id = d.id();
                        let replaces =
                            Replaces::new(id.call_id(), id.remote_tag(), id.local_tag()).ok()?;
                        ReferTo::with_replaces(&d.remote_target().without_headers(), &replaces).ok()
                    });
                refer_to.is_some_and(|r| self.refer(now, *session, &r))
            }
        };
        if !done {
            self.drop_cmd(now, cmd);
        }
    }

    /// Sends a REFER in session `i`, naming us in Referred-By.
    fn refer(&mut self, now: Instant, i: usize, refer_to: &ReferTo<'_>) -> bool {
        let by = ReferredBy::new(self.uri());
        self.calls.get_mut(i).is_some_and(|c| {
            c.session
                .refer(now, &mut self.rng, refer_to, Some(&by))
                .is_ok()
        })
    }

    /// Starts a call to `target` at `destination`; its number, or `None` when no more
    /// sessions are allowed or the session could not be made.
    fn call(
        &mut self,
        now: Instant,
        target: Uri<'static>,
        destination: SocketAddr,
        replaces: Option<Replaces<'static>>,
        referred_by: Option<ReferredBy<'static>>,
        referred_from: Option<usize>,
    ) -> Option<usize> {
        if self.calls.len() >= MAX_SESSIONS {
            return None;
        }
        let mut config = InviteConfig::new(
            Address::new(self.uri()),
            Address::new(target.clone()),
            self.uri(),
            Route {
                destination,
                transport: TransportKind::Udp,
            },
        )
        .with_offer(Bytes::from_static(SDP));
        config.replaces = replaces;
        config.referred_by = referred_by;
        config.focus = self.behaviour.focus;
        let session = InviteSession::connect(now, &mut self.rng, config).ok()?;
        self.calls.push(Call {
            session,
            peer: target,
            replaces: None,
            referred_from,
            removal_for: None,
            notified: Vec::new(),
        });
        Some(self.calls.len() - 1)
    }

    /// Answers a request no session took.
    fn refuse(&mut self, now: Instant, tx: ServerTxId, request: &Request, code: u16) {
        let Some(status) = StatusCode::new(code) else {
            return;
        };
        let mut response =
            Response::for_request(request, status).with_to_tag(&self.rng.token(TAG_LEN));
        if code == 405 {
            response
                .headers_mut()
                .push(HeaderName::Allow, "INVITE, ACK, CANCEL, BYE, REFER, NOTIFY");
        }
        let _ = self.endpoint.respond(now, tx, &response);
    }

    /// An INVITE outside any dialog: a new incoming session, maybe replacing one of ours.
    fn take_invite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
        transport: TransportKind,
    ) {
        if self.calls.len() >= MAX_SESSIONS {
            self.refuse(now, tx, &request, 486);
            return;
        }
        let replaces = if request.headers().contains(HeaderName::Replaces) {
            let found = request
                .headers()
                .single::<Replaces<'_>>()
                .map_err(|_| 400)
                .and_then(|r| self.replaced(&r));
            match found {
                Ok(i) => Some(i),
                Err(code) => {
                    self.refuse(now, tx, &request, code);
                    return;
                }
            }
        } else {
            None
        };
        let peer = request
            .headers()
            .single::<FromHeader<'_>>()
            .map_or_else(|_| self.uri(), |f| f.uri().clone().into_owned());
        let mut config = IncomingConfig::new(self.uri());
        config.focus = self.behaviour.focus;
        let route = Route {
            destination: source,
            transport,
        };
        let Ok(session) = InviteSession::incoming(now, &mut self.rng, config, tx, request, route)
        else {
            return;
        };
        self.calls.push(Call {
            session,
            peer,
            replaces,
            referred_from: None,
            removal_for: None,
            notified: Vec::new(),
        });
        let i = self.calls.len() - 1;
        if replaces.is_some() {
            // RFC 3891 §3: the user already agreed to the replaced call; no alerting.
            self.due.push((now, Cmd::Accept(i)));
        } else if let Some(a) = self.behaviour.answer {
            self.due.push((now + a.ring, Cmd::Ring(i)));
            self.due.push((now + a.accept, Cmd::Accept(i)));
        }
    }

    /// The session a Replaces names (its dialog seen from our side), or the status refusing
    /// the INVITE (RFC 3891 §3): 481 when it names no dialog or one still early, 603 when the
    /// dialog is ending, over, or already being replaced. A confirmed dialog whose ACK has
    /// not come yet is taken like an established one.
    fn replaced(&self, r: &Replaces<'_>) -> Result<usize, u16> {
        let found = self.calls.iter().position(|c| {
            c.session.dialog().is_some_and(|d| {
                let id = d.id();
                id.call_id() == r.call_id()
                    && id.local_tag() == r.to_tag()
                    && id.remote_tag() == r.from_tag()
            })
        });
        let Some(i) = found else {
            return Err(481);
        };
        let taken = self
            .calls
            .iter()
            .any(|c| c.replaces == Some(i) && c.session.state() != SessionState::Terminated);
        match self.calls[i].session.state() {
            SessionState::Connected | SessionState::Connecting if !taken => Ok(i),
            SessionState::Incoming | SessionState::Early | SessionState::Outgoing => Err(481),
            _ => Err(603),
        }
    }

    /// Reports a status of the call asked for by session `i`'s REFER.
    fn notify(&mut self, now: Instant, i: usize, code: u16, reason: &str) {
        if let Some(c) = self.calls.get_mut(i) {
            // The subscription may be gone (the session ended): nothing to report to.
            let _ = c.session.notify_refer(now, code, reason);
        }
    }

    /// The peer of session `i` sent a REFER.
    fn on_refer(
        &mut self,
        now: Instant,
        i: usize,
        refer_to: &ReferTo<'static>,
        referred_by: Option<ReferredBy<'static>>,
    ) {
        let reject = |agent: &mut Self, code: u16| {
            let _ = agent.calls[i].session.reject_refer(now, code);
        };
        if !self.behaviour.accept_refers {
            return reject(self, 603);
        }
        let uri = refer_to.uri();
        let method = uri.param("method").flatten().map(str::to_ascii_uppercase);
        match method.as_deref() {
            Some("BYE") if self.behaviour.focus => {
                let gone = self.calls.iter().position(|c| {
                    !matches!(
                        c.session.state(),
                        SessionState::Ending | SessionState::Terminated
                    ) && c.removal_for.is_none()
                        && (same_party(&c.peer, uri)
                            || c.session
                                .dialog()
                                .is_some_and(|d| same_party(d.remote_target(), uri)))
                });
                let Some(j) = gone.filter(|j| *j != i) else {
                    return reject(self, 404);
                };
                if self.calls[i].session.accept_refer(now).is_err() {
                    return;
                }
                self.calls[j].removal_for = Some(i);
                if self.calls[j].session.end(now).is_err() {
                    self.calls[j].removal_for = None;
                    self.notify(now, i, 500, "Server Internal Error");
                }
            }
            Some("BYE") => reject(self, 603),
            Some(m) if m != "INVITE" => reject(self, 501),
            _ => {
                let replaces = match refer_to.replaces() {
                    None => None,
                    Some(Ok(r)) => Some(r),
                    Some(Err(_)) => return reject(self, 400),
                };
                let Some(destination) = destination(uri) else {
                    return reject(self, 404);
                };
                if self.calls.len() >= MAX_SESSIONS {
                    return reject(self, 503);
                }
                if self.calls[i].session.accept_refer(now).is_err() {
                    return;
                }
                let target = uri.without_headers();
                if self
                    .call(now, target, destination, replaces, referred_by, Some(i))
                    .is_none()
                {
                    self.notify(now, i, 500, "Server Internal Error");
                }
            }
        }
    }

    /// What the agent does about event `e` of session `i`.
    fn react(&mut self, now: Instant, i: usize, e: &SessionEvent) {
        let referred_from = self.calls[i].referred_from;
        match e {
            SessionEvent::DidStart => {
                if let Some(old) = self.calls[i].replaces {
                    // RFC 3891 §3: the replaced session ends once its replacement is up.
                    let _ = self.calls[old].session.end(now);
                }
                if let Some(r) = referred_from {
                    self.notify(now, r, 200, "OK");
                }
                self.trigger(now, After::Started(i));
            }
            SessionEvent::GotProvisionalResponse { code, reason, .. } => {
                if let Some(r) = referred_from {
                    if !self.calls[i].notified.contains(code) {
                        self.calls[i].notified.push(*code);
                        self.notify(now, r, *code, reason);
                    }
                }
            }
            SessionEvent::DidFail { code, reason, .. } => {
                if let Some(r) = referred_from {
                    let code = if *code >= 300 { *code } else { 500 };
                    self.notify(now, r, code, reason);
                }
                if let Some(r) = self.calls[i].removal_for {
                    self.notify(now, r, 200, "OK");
                }
                self.trigger(now, After::Ended(i));
            }
            SessionEvent::DidEnd { .. } => {
                if let Some(r) = self.calls[i].removal_for {
                    self.notify(now, r, 200, "OK");
                }
                self.trigger(now, After::Ended(i));
            }
            SessionEvent::GotRefer {
                refer_to,
                referred_by,
            } => {
                let by = referred_by.as_deref().cloned();
                self.on_refer(now, i, refer_to, by);
            }
            SessionEvent::ReferSucceeded { .. } => self.trigger(now, After::ReferSucceeded(i)),
            SessionEvent::GotOffer { .. } => {
                let _ = self.calls[i].session.answer(now, Bytes::from_static(SDP));
            }
            SessionEvent::GotProposal { .. } => {
                let _ = self.calls[i]
                    .session
                    .accept_proposal(now, Some(Bytes::from_static(SDP)));
            }
            _ => {}
        }
    }

    /// An endpoint event: to the session it concerns, else a new call or a refusal.
    fn dispatch(&mut self, now: Instant, ev: Event) {
        for c in &mut self.calls {
            if c.session.handle_event(now, &mut self.rng, &ev) {
                return;
            }
        }
        // Stray answers (a CANCEL's 200 after the call ended…) are of no interest.
        if let Event::Request {
            tx,
            request,
            source,
            transport,
        } = ev
        {
            let to_tag = request
                .headers()
                .single::<ToHeader<'_>>()
                .is_ok_and(|t| t.tag().is_some());
            if to_tag {
                self.refuse(now, tx, &request, 481);
            } else if *request.method() == Method::Invite {
                self.take_invite(now, tx, request, source, transport);
            } else {
                self.refuse(now, tx, &request, 405);
            }
        }
    }

    /// Moves everything along at `now`: due commands, session outputs and events, endpoint
    /// events, timers.
    fn pump(&mut self, now: Instant) {
        self.latest = self.latest.max(now);
        for _ in 0..MAX_ROUNDS {
            let next = self
                .due
                .iter()
                .enumerate()
                .filter(|(_, d)| d.0 <= now)
                .min_by_key(|(_, d)| d.0)
                .map(|(k, _)| k);
            if let Some(k) = next {
                let (_, cmd) = self.due.remove(k);
                self.run(now, cmd);
                continue;
            }
            let mut happened = Vec::new();
            for (i, c) in self.calls.iter_mut().enumerate() {
                let _ = c.session.drive(now, &mut self.endpoint);
                while let Some(e) = c.session.poll_event() {
                    happened.push((i, e));
                }
            }
            if !happened.is_empty() {
                for (i, e) in happened {
                    self.events.push((now - self.t0, i, e.clone()));
                    self.react(now, i, &e);
                }
                continue;
            }
            if let Some(ev) = self.endpoint.poll_event() {
                self.dispatch(now, ev);
                continue;
            }
            if let Some(c) = self
                .calls
                .iter_mut()
                .find(|c| c.session.poll_timeout().is_some_and(|t| t <= now))
            {
                c.session.handle_timeout(now, &mut self.rng);
                continue;
            }
            if self.endpoint.poll_timeout().is_some_and(|t| t <= now) {
                self.endpoint.handle_timeout(now);
                continue;
            }
            return;
        }
    }
}

impl Node for Agent {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.received
            .push((now.max(self.latest) - self.t0, from, first_word(data)));
        self.endpoint
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.pump(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        for c in &mut self.calls {
            if c.session.poll_timeout().is_some_and(|t| t <= now) {
                c.session.handle_timeout(now, &mut self.rng);
            }
        }
        self.pump(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        let t = self.endpoint.poll_transmit()?;
        let word = first_word(&t.payload);
        self.sent.push((self.latest - self.t0, t.destination, word));
        Some((t.destination, t.payload.to_vec()))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.calls
            .iter()
            .filter_map(|c| c.session.poll_timeout())
            .chain(self.endpoint.poll_timeout())
            .chain(self.due.iter().map(|d| d.0))
            .min()
    }
}

/// The method of a request, the status code of a response.
fn first_word(message: &[u8]) -> String {
    message
        .split(|b| *b == b' ')
        .nth(usize::from(message.starts_with(b"SIP/2.0")))
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .unwrap_or_default()
}

/// `sip:<user>@<addr>`.
fn agent_uri(user: &str, addr: SocketAddr) -> Uri<'static> {
    Uri::parse_owned(format!("sip:{user}@{addr}"))
        .unwrap_or_else(|_| Uri::parse_owned(format!("sip:{addr}")).expect("an address URI"))
}

/// Where a request for `uri` goes: its host when it is an IP address, its port or 5060.
fn destination(uri: &Uri<'_>) -> Option<SocketAddr> {
    let ip: IpAddr = match uri.host_kind() {
        Host::Ipv4(a) => a.into(),
        Host::Ipv6(a) => a.into(),
        Host::Domain(_) => return None,
    };
    Some(SocketAddr::new(ip, uri.port().unwrap_or(5060)))
}

/// Whether two URIs name the same user at the same address.
fn same_party(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    a.user() == b.user()
        && a.host().eq_ignore_ascii_case(b.host())
        && a.port().unwrap_or(5060) == b.port().unwrap_or(5060)
}
