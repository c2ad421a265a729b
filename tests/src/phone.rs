//! A phone for simulations: an [`Endpoint`] with one [`InviteSession`] and a script of
//! commands run at given delays after the start, after an incoming call, or after the call
//! started, or after a REFER came; offers and proposals are answered at once (unless
//! proposals are to be left unanswered).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sipsimple_proto::endpoint::{Endpoint, EndpointConfig, TransportKind};
use sipsimple_proto::invite::{
    IncomingConfig, InviteConfig, InviteSession, SessionEvent, SessionState, SessionTimerConfig,
};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::request::Route;
use sipsimple_proto::sdp::negotiation::{
    answer, build_offer, process_answer, set_version_after, Codec, LocalStream, NegotiatedStreams,
    Reoffer,
};
use sipsimple_proto::sdp::{Direction, Origin, Session as Sdp};
use sipsimple_proto::sip::headers::ReferTo;
use sipsimple_proto::sip::{Address, Method};

use crate::sim::Node;

/// A command of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Call the peer, with an offer.
    Call,
    /// Send 180.
    Ring,
    /// Answer 200 with an answer.
    Accept,
    /// Refuse with this code.
    Reject(u16),
    /// Cancel the call.
    Cancel,
    /// Hang up.
    End,
    /// Send a re-INVITE with this offer.
    Propose(&'static str),
    /// Cancel our re-INVITE.
    CancelProposal,
    /// Transfer the peer to this URI (REFER).
    Refer(&'static str),
    /// Accept the peer's REFER.
    AcceptRefer,
    /// Refuse the peer's REFER with this code.
    RejectRefer(u16),
    /// Report the status of the referred call in a NOTIFY.
    Notify(u16, &'static str),
    /// Put the call on hold (RFC 3264 §8.4 re-offer; SDP mode only).
    Hold,
    /// Take it off hold (SDP mode only).
    Unhold,
}

/// When a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// After the start of the simulation.
    Start,
    /// After the session was created from an incoming INVITE.
    Incoming,
    /// After the session started.
    Started,
    /// After the peer's REFER came.
    Referred,
}

/// One phone.
#[derive(Debug)]
pub struct Phone {
    addr: SocketAddr,
    peer: SocketAddr,
    t0: Instant,
    /// The endpoint.
    pub endpoint: Endpoint<SeededRandom>,
    /// The call, once there is one.
    pub session: Option<InviteSession>,
    rng: SeededRandom,
    script: Vec<(After, Duration, Cmd)>,
    due: Vec<(Instant, Cmd)>,
    /// What the session reported, with the virtual time since the start.
    pub events: Vec<(Duration, SessionEvent)>,
    /// The `DidProcessTransaction` events, kept apart from `events`.
    pub transactions: Vec<SessionEvent>,
    /// Drop every ACK this phone sends (to test the missing ACK).
    pub drop_acks: bool,
    /// Leave the peer's re-INVITEs unanswered (to test cancelling them).
    pub hold_proposals: bool,
    /// Refuse the peer's re-INVITEs with this code instead of accepting them.
    pub refuse_proposals: Option<u16>,
    /// Real session descriptions (one audio stream, the RFC 3264 engine) instead of opaque
    /// bodies, once [`Phone::use_sdp`] was called.
    pub sdp: Option<SdpState>,
    /// Drop every request this phone sends from this virtual time on (a peer gone silent).
    pub silent_after: Option<Duration>,
    /// The session timers of its calls (RFC 4028); the default ones unless changed.
    pub session_timer: Option<SessionTimerConfig>,
    /// Messages sent, by the first word of their start line (method or status code), with
    /// the virtual time since the start.
    pub sent: Vec<(Duration, String)>,
    latest: Instant,
}

/// What a phone in SDP mode knows of its session descriptions.
#[derive(Debug, Default)]
pub struct SdpState {
    sent: Option<Sdp>,
    negotiated: Option<NegotiatedStreams>,
    remote_offer: Option<Sdp>,
    pending: Option<Sdp>,
    /// Every description sent or received, with the virtual time, what it was (`"sent
    /// offer"`, `"got answer"`…) and the direction of its audio stream.
    pub directions: Vec<(Duration, &'static str, Direction)>,
}

fn direction_of(sdp: &Sdp) -> Direction {
    sdp.media()
        .first()
        .and_then(|m| m.direction())
        .unwrap_or(Direction::SendRecv)
}

impl Phone {
    /// Speak real SDP from now on (call before the simulation runs).
    pub fn use_sdp(&mut self) {
        self.sdp = Some(SdpState::default());
    }

    fn local_media(&self) -> LocalStream {
        LocalStream::audio(self.addr.ip(), 40_000, [Codec::pcmu(), Codec::pcma()])
    }

    fn origin(&self) -> Origin {
        Origin::new("-", 1, 1, self.addr.ip())
    }

    fn note(&mut self, now: Instant, what: &'static str, sdp: &Sdp) {
        let at = now - self.t0;
        if let Some(state) = self.sdp.as_mut() {
            state.directions.push((at, what, direction_of(sdp)));
        }
    }

    /// SDP mode: the offer of our INVITE.
    fn initial_offer(&mut self, now: Instant) -> Option<Bytes> {
        self.sdp.as_ref()?;
        let offer = build_offer(&self.origin(), &[self.local_media()]).ok()?;
        self.note(now, "sent offer", &offer);
        let bytes = Bytes::from(offer.to_bytes());
        self.sdp.as_mut()?.sent = Some(offer);
        Some(bytes)
    }

    /// SDP mode: our answer to the offer of the INVITE or of a re-INVITE.
    fn answer_offer(&mut self, now: Instant, offer: &[u8], initial: bool) -> Option<Bytes> {
        let offer = Sdp::parse(offer).ok()?;
        self.note(now, "got offer", &offer);
        let local = self.local_media();
        let state = self.sdp.as_mut()?;
        let origin = match (&state.sent, initial) {
            (Some(previous), false) => previous.origin().clone(),
            _ => Origin::new("-", 1, 1, self.addr.ip()),
        };
        let (mut sdp, negotiated) = answer(&offer, &origin, &[local]).ok()?;
        if let (Some(previous), false) = (&state.sent, initial) {
            set_version_after(previous, &mut sdp);
        }
        let bytes = Bytes::from(sdp.to_bytes());
        state.negotiated = Some(negotiated);
        state.sent = Some(sdp.clone());
        self.note(now, "sent answer", &sdp);
        Some(bytes)
    }

    /// SDP mode: the answer to our offer (`pending` for a re-offer, else the INVITE's).
    fn take_answer(&mut self, now: Instant, answer: &[u8]) {
        let Ok(answer) = Sdp::parse(answer) else {
            return;
        };
        self.note(now, "got answer", &answer);
        let Some(state) = self.sdp.as_mut() else {
            return;
        };
        let offer = state.pending.take().or_else(|| state.sent.clone());
        if let Some(offer) = offer {
            if let Ok(negotiated) = process_answer(&offer, &answer) {
                state.negotiated = Some(negotiated);
                state.sent = Some(offer);
            }
        }
    }

    /// SDP mode: a hold or unhold re-offer. While another offer is under way (ours, or the
    /// peer's, or a glare back-off) it is tried again a second later, as an application
    /// would queue it.
    fn hold(&mut self, now: Instant, hold: bool) {
        let cmd = if hold { Cmd::Hold } else { Cmd::Unhold };
        let Some(state) = self.sdp.as_mut() else {
            return;
        };
        let offer = match (&state.pending, &state.sent, &state.negotiated) {
            (None, Some(sent), Some(negotiated)) => {
                Reoffer::new(sent, negotiated).ok().map(|mut r| {
                    if hold {
                        r.hold();
                    } else {
                        r.unhold();
                    }
                    r.build()
                })
            }
            _ => None,
        };
        let sent = match (offer, self.session.as_mut()) {
            (Some(offer), Some(s)) => s
                .propose(now, &mut self.rng, Some(Bytes::from(offer.to_bytes())))
                .is_ok()
                .then_some(offer),
            _ => None,
        };
        match sent {
            Some(offer) => {
                self.note(now, "sent offer", &offer);
                if let Some(state) = self.sdp.as_mut() {
                    state.pending = Some(offer);
                }
            }
            None if self.state() == Some(SessionState::Connected) => {
                self.due.push((now + Duration::from_secs(1), cmd));
            }
            None => {}
        }
    }

    /// A phone at `addr` that calls or answers `peer`, following `script`.
    pub fn new(
        t0: Instant,
        addr: SocketAddr,
        peer: SocketAddr,
        seed: u64,
        script: Vec<(After, Duration, Cmd)>,
    ) -> Self {
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
        endpoint.add_transport(TransportKind::Udp, addr);
        let mut phone = Self {
            addr,
            peer,
            t0,
            endpoint,
            session: None,
            rng: SeededRandom::new(seed ^ 0x5eed),
            script,
            due: Vec::new(),
            events: Vec::new(),
            transactions: Vec::new(),
            drop_acks: false,
            hold_proposals: false,
            refuse_proposals: None,
            sdp: None,
            silent_after: None,
            session_timer: Some(SessionTimerConfig::default()),
            sent: Vec::new(),
            latest: t0,
        };
        phone.schedule(t0, After::Start);
        phone
    }

    /// The session's state (`None` before there is a session).
    pub fn state(&self) -> Option<SessionState> {
        self.session.as_ref().map(InviteSession::state)
    }

    /// The events without their times.
    pub fn event_list(&self) -> Vec<SessionEvent> {
        self.events.iter().map(|(_, e)| e.clone()).collect()
    }

    /// How many messages starting with `word` this phone sent.
    pub fn count_sent(&self, word: &str) -> usize {
        self.sent.iter().filter(|(_, w)| w == word).count()
    }

    fn schedule(&mut self, now: Instant, when: After) {
        for (after, delay, cmd) in &self.script {
            if *after == when {
                self.due.push((now + *delay, cmd.clone()));
            }
        }
    }

    fn run(&mut self, now: Instant, cmd: &Cmd) {
        if *cmd == Cmd::Call {
            let config = InviteConfig::new(
                Address::new(format!("sip:me@{}", self.addr).parse().expect("a URI")),
                Address::new(format!("sip:you@{}", self.peer).parse().expect("a URI")),
                format!("sip:me@{}", self.addr).parse().expect("a URI"),
                Route {
                    destination: self.peer,
                    transport: TransportKind::Udp,
                },
            )
            .with_offer(
                self.initial_offer(now)
                    .unwrap_or_else(|| Bytes::from_static(b"offer")),
            )
            .with_session_timer(self.session_timer);
            self.session =
                Some(InviteSession::connect(now, &mut self.rng, config).expect("a call"));
            return;
        }
        if matches!(cmd, Cmd::Hold | Cmd::Unhold) {
            self.hold(now, *cmd == Cmd::Hold);
            return;
        }
        let body = match cmd {
            Cmd::Accept => {
                let offer = self
                    .sdp
                    .as_mut()
                    .and_then(|state| state.remote_offer.take())
                    .map(|o| o.to_bytes());
                offer.and_then(|o| self.answer_offer(now, &o, true))
            }
            _ => None,
        };
        let Some(s) = self.session.as_mut() else {
            return;
        };
        // A command the session's state no longer allows (the peer was faster) is dropped.
        let _ = match cmd {
            Cmd::Call => Ok(()),
            Cmd::Ring => s.ring(now),
            Cmd::Accept => s.accept(
                now,
                Some(body.unwrap_or_else(|| Bytes::from_static(b"answer"))),
            ),
            Cmd::Hold | Cmd::Unhold => Ok(()),
            Cmd::Reject(code) => s.reject(now, *code, None),
            Cmd::Cancel => s.cancel(now),
            Cmd::End => s.end(now),
            Cmd::Propose(offer) => s.propose(
                now,
                &mut self.rng,
                Some(Bytes::from_static(offer.as_bytes())),
            ),
            Cmd::CancelProposal => s.cancel_proposal(now),
            Cmd::Refer(uri) => {
                let target = ReferTo::new(uri.parse().expect("a URI"));
                s.refer(now, &mut self.rng, &target, None)
            }
            Cmd::AcceptRefer => s.accept_refer(now),
            Cmd::RejectRefer(code) => s.reject_refer(now, *code),
            Cmd::Notify(code, reason) => s.notify_refer(now, *code, reason),
        };
    }

    /// Moves everything along at `now`: due commands, endpoint events, session outputs.
    fn pump(&mut self, now: Instant) {
        self.latest = now;
        let mut i = 0;
        while i < self.due.len() {
            if self.due[i].0 <= now {
                let (_, cmd) = self.due.remove(i);
                self.run(now, &cmd);
            } else {
                i += 1;
            }
        }
        loop {
            if let Some(s) = self.session.as_mut() {
                let _ = s.drive(now, &mut self.endpoint);
            }
            let mut started = false;
            let mut incoming = false;
            let mut referred = false;
            let polled: Vec<SessionEvent> = match self.session.as_mut() {
                Some(s) => std::iter::from_fn(|| s.poll_event()).collect(),
                None => Vec::new(),
            };
            for e in polled {
                match &e {
                    SessionEvent::DidStart => started = true,
                    SessionEvent::NewIncoming { offer } => {
                        incoming = true;
                        if let (Some(state), Some(offer)) = (self.sdp.as_mut(), offer) {
                            state.remote_offer = Sdp::parse(offer).ok();
                        }
                    }
                    SessionEvent::GotProposal { offer } if !self.hold_proposals => {
                        let body = match (self.refuse_proposals, offer, self.sdp.is_some()) {
                            (Some(_), ..) => None,
                            (None, Some(offer), true) => self.answer_offer(now, offer, false),
                            _ => Some(Bytes::from_static(b"ok")),
                        };
                        if let Some(s) = self.session.as_mut() {
                            let _ = match (self.refuse_proposals, body) {
                                (Some(code), _) => s.reject_proposal(now, code),
                                (None, Some(body)) => s.accept_proposal(now, Some(body)),
                                (None, None) => s.reject_proposal(now, 488),
                            };
                        }
                    }
                    SessionEvent::GotAnswer { answer }
                    | SessionEvent::ProposalAccepted {
                        answer: Some(answer),
                    } if self.sdp.is_some() => self.take_answer(now, answer),
                    SessionEvent::ProposalRejected { .. } => {
                        if let Some(state) = self.sdp.as_mut() {
                            state.pending = None;
                        }
                    }
                    SessionEvent::GotRefer { .. } => referred = true,
                    SessionEvent::GotOffer { .. } => {
                        if let Some(s) = self.session.as_mut() {
                            let _ = s.answer(now, Bytes::from_static(b"answer"));
                        }
                    }
                    SessionEvent::DidProcessTransaction { .. } => {
                        self.transactions.push(e);
                        continue;
                    }
                    _ => {}
                }
                self.events.push((now - self.t0, e));
            }
            if let Some(s) = self.session.as_mut() {
                let _ = s.drive(now, &mut self.endpoint);
            }
            if started {
                self.schedule(now, After::Started);
            }
            if incoming {
                self.schedule(now, After::Incoming);
            }
            if referred {
                self.schedule(now, After::Referred);
            }
            let Some(ev) = self.endpoint.poll_event() else {
                if let Some(s) = self.session.as_mut() {
                    if s.poll_timeout().is_some_and(|t| t <= now) {
                        s.handle_timeout(now, &mut self.rng);
                        continue;
                    }
                }
                if self.endpoint.poll_timeout().is_some_and(|t| t <= now) {
                    self.endpoint.handle_timeout(now);
                    continue;
                }
                return;
            };
            let taken = match self.session.as_mut() {
                Some(s) => s.handle_event(now, &mut self.rng, &ev),
                None => false,
            };
            if taken {
                continue;
            }
            match ev {
                sipsimple_proto::endpoint::Event::Request {
                    tx,
                    request,
                    source,
                    transport,
                } if self.session.is_none() && *request.method() == Method::Invite => {
                    self.session = Some(
                        InviteSession::incoming(
                            now,
                            &mut self.rng,
                            IncomingConfig::new(
                                format!("sip:me@{}", self.addr).parse().expect("a URI"),
                            )
                            .with_session_timer(self.session_timer),
                            tx,
                            request,
                            Route {
                                destination: source,
                                transport,
                            },
                        )
                        .expect("an initial INVITE"),
                    );
                }
                // Stray answers (a CANCEL's 200 after the call ended…) are of no interest.
                _ => {}
            }
        }
    }
}

impl Node for Phone {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.endpoint
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.pump(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        if let Some(s) = self.session.as_mut() {
            s.handle_timeout(now, &mut self.rng);
        }
        self.pump(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        loop {
            let t = self.endpoint.poll_transmit()?;
            let word = t
                .payload
                .split(|b| *b == b' ')
                .nth(usize::from(t.payload.starts_with(b"SIP/2.0")))
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .unwrap_or_default();
            if self.drop_acks && word == "ACK" {
                self.sent
                    .push((self.latest - self.t0, "lost ACK".to_owned()));
                continue;
            }
            let is_request = !t.payload.starts_with(b"SIP/2.0");
            if is_request
                && self
                    .silent_after
                    .is_some_and(|after| self.latest - self.t0 >= after)
            {
                self.sent
                    .push((self.latest - self.t0, format!("lost {word}")));
                continue;
            }
            self.sent.push((self.latest - self.t0, word));
            return Some((t.destination, t.payload.to_vec()));
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        [
            self.endpoint.poll_timeout(),
            self.session.as_ref().and_then(InviteSession::poll_timeout),
            self.due.iter().map(|d| d.0).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
