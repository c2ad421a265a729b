//! The session rules, each on a pair of endpoints joined by a lossless, instant wire that a
//! test may filter, on a virtual clock.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::endpoint::{Endpoint, EndpointConfig, TransportKind};
use crate::rand::SeededRandom;
use crate::sip::headers::{MinSe, ReferTo, Refresher, Require, SessionExpires, Supported};
use crate::sip::{Message, Method};

const A: &str = "192.0.2.1:5060";
const B: &str = "192.0.2.2:5060";
const T1: Duration = Duration::from_millis(500);

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Decides whether a message on the wire is lost: (the side that sent it, the message).
type Filter = Box<dyn FnMut(usize, &Message) -> bool>;

struct Side {
    endpoint: Endpoint<SeededRandom>,
    session: Option<InviteSession>,
    events: Vec<(Duration, SessionEvent)>,
    /// The `DidProcessTransaction` events, kept apart from `events`.
    transactions: Vec<SessionEvent>,
    rng: SeededRandom,
    /// Endpoint events the session did not take.
    unclaimed: Vec<Event>,
}

/// Caller at A, callee at B.
struct Pair {
    t0: Instant,
    now: Instant,
    sides: [Side; 2],
    /// Drops a message on the wire when it returns `true`: (from side, message).
    drop: Filter,
    /// Messages that crossed the wire: (from side, start line).
    wire: Vec<(usize, Duration, String)>,
    /// The callee's side answers an INVITE without Proxy-Authorization with this 407.
    challenge: Option<crate::sip::headers::ProxyAuthenticate<'static>>,
    /// The callee's session timers.
    callee_timer: Option<SessionTimerConfig>,
    /// Accept every re-INVITE at once with the answer `"answer"`.
    auto_accept: bool,
    /// The callee is a conference focus.
    callee_focus: bool,
    /// Messages that crossed the wire (not the lost ones): (from side, message).
    messages: Vec<(usize, Message)>,
}

fn side(at: &str, seed: u64) -> Side {
    let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
    endpoint.add_transport(TransportKind::Udp, addr(at));
    Side {
        endpoint,
        session: None,
        events: Vec::new(),
        transactions: Vec::new(),
        rng: SeededRandom::new(seed + 100),
        unclaimed: Vec::new(),
    }
}

fn start_line(m: &Message) -> String {
    match m {
        Message::Request(r) => format!(
            "{} {}",
            r.method().as_str(),
            r.headers().single::<Cseq>().map(|c| c.seq).unwrap_or(0)
        ),
        Message::Response(r) => format!(
            "{} {}",
            r.status().code(),
            r.headers()
                .single::<Cseq>()
                .map(|c| c.method.as_str().to_owned())
                .unwrap_or_default()
        ),
    }
}

impl Pair {
    fn new(offer: Option<&'static str>) -> Self {
        Self::with_drop(offer, Box::new(|_, _| false))
    }

    fn with_drop(offer: Option<&'static str>, drop: Filter) -> Self {
        Self::with(offer, drop, |_| {}, None)
    }

    fn with(
        offer: Option<&'static str>,
        drop: Filter,
        tweak: impl FnOnce(&mut InviteConfig),
        challenge: Option<crate::sip::headers::ProxyAuthenticate<'static>>,
    ) -> Self {
        Self::with_timers(
            offer,
            drop,
            tweak,
            challenge,
            Some(SessionTimerConfig::default()),
        )
    }

    fn with_timers(
        offer: Option<&'static str>,
        drop: Filter,
        tweak: impl FnOnce(&mut InviteConfig),
        challenge: Option<crate::sip::headers::ProxyAuthenticate<'static>>,
        callee_timer: Option<SessionTimerConfig>,
    ) -> Self {
        let mut pair = Self::unsettled(offer, drop, tweak, challenge, callee_timer);
        pair.settle();
        pair
    }

    /// The pair before the INVITE went out.
    fn unsettled(
        offer: Option<&'static str>,
        drop: Filter,
        tweak: impl FnOnce(&mut InviteConfig),
        challenge: Option<crate::sip::headers::ProxyAuthenticate<'static>>,
        callee_timer: Option<SessionTimerConfig>,
    ) -> Self {
        let t0 = origin();
        let mut caller = side(A, 1);
        let mut config = InviteConfig::new(
            Address::new("sip:alice@example.com".parse().unwrap()),
            Address::new(format!("sip:bob@{B}").parse().unwrap()),
            format!("sip:alice@{A}").parse().unwrap(),
            Route {
                destination: addr(B),
                transport: TransportKind::Udp,
            },
        );
        config.offer = offer.map(|o| Bytes::from_static(o.as_bytes()));
        tweak(&mut config);
        caller.session = Some(InviteSession::connect(t0, &mut caller.rng, config).unwrap());
        Self {
            t0,
            now: t0,
            sides: [caller, side(B, 2)],
            drop,
            wire: Vec::new(),
            challenge,
            callee_timer,
            auto_accept: false,
            callee_focus: false,
            messages: Vec::new(),
        }
    }

    fn session(&mut self, i: usize) -> &mut InviteSession {
        self.sides[i].session.as_mut().expect("a session")
    }

    /// Runs a command on a side's session, then lets everything settle.
    fn act(&mut self, i: usize, f: impl FnOnce(&mut InviteSession, Instant, &mut SeededRandom)) {
        let now = self.now;
        let side = &mut self.sides[i];
        f(side.session.as_mut().unwrap(), now, &mut side.rng);
        self.settle();
    }

    /// Delivers everything at the current instant until nothing moves.
    fn settle(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            for i in 0..2 {
                let now = self.now;
                let elapsed = now - self.t0;
                let side = &mut self.sides[i];
                if let Some(s) = side.session.as_mut() {
                    let _ = s.drive(now, &mut side.endpoint);
                    while let Some(e) = s.poll_event() {
                        if self.auto_accept && matches!(e, SessionEvent::GotProposal { .. }) {
                            s.accept_proposal(now, sdp("answer")).unwrap();
                            moved = true;
                        }
                        if matches!(e, SessionEvent::DidProcessTransaction { .. }) {
                            side.transactions.push(e);
                        } else {
                            side.events.push((elapsed, e));
                        }
                    }
                }
                while let Some(ev) = side.endpoint.poll_event() {
                    moved = true;
                    let taken = match side.session.as_mut() {
                        Some(s) => s.handle_event(now, &mut side.rng, &ev),
                        None => false,
                    };
                    if !taken {
                        let challenged = match (&ev, &self.challenge) {
                            (Event::Request { tx, request, .. }, Some(challenge))
                                if !request.headers().contains(
                                    crate::sip::headers::HeaderName::ProxyAuthorization,
                                ) =>
                            {
                                let refusal = Response::for_request(
                                    request,
                                    StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                                )
                                .with_to_tag("proxy")
                                .with_header(challenge);
                                side.endpoint.respond(now, *tx, &refusal).unwrap();
                                true
                            }
                            _ => false,
                        };
                        if challenged {
                        } else if let (
                            Event::Request {
                                tx,
                                request,
                                source,
                                transport,
                            },
                            true,
                        ) = (
                            &ev,
                            side.session
                                .as_ref()
                                .is_none_or(|s| s.state() == SessionState::Terminated),
                        ) {
                            let mut config =
                                IncomingConfig::new(format!("sip:bob@{B}").parse().unwrap())
                                    .with_session_timer(self.callee_timer);
                            config.focus = self.callee_focus;
                            side.session = Some(
                                InviteSession::incoming(
                                    now,
                                    &mut side.rng,
                                    config,
                                    *tx,
                                    request.clone(),
                                    Route {
                                        destination: *source,
                                        transport: *transport,
                                    },
                                )
                                .unwrap(),
                            );
                        } else {
                            side.unclaimed.push(ev);
                        }
                    }
                    if let Some(s) = side.session.as_mut() {
                        let _ = s.drive(now, &mut side.endpoint);
                    }
                }
                while let Some(t) = self.sides[i].endpoint.poll_transmit() {
                    moved = true;
                    let m = Message::parse(&t.payload).unwrap();
                    if (self.drop)(i, &m) {
                        self.wire
                            .push((i, elapsed, format!("lost {}", start_line(&m))));
                        continue;
                    }
                    self.wire.push((i, elapsed, start_line(&m)));
                    self.messages.push((i, m));
                    let from = addr(if i == 0 { A } else { B });
                    self.sides[1 - i].endpoint.handle_message(
                        now,
                        from,
                        TransportKind::Udp,
                        None,
                        &t.payload,
                    );
                }
            }
            if !moved {
                return;
            }
        }
        panic!("did not settle");
    }

    fn deadline(&self) -> Option<Instant> {
        self.sides
            .iter()
            .flat_map(|s| {
                [
                    s.endpoint.poll_timeout(),
                    s.session.as_ref().and_then(InviteSession::poll_timeout),
                ]
            })
            .flatten()
            .min()
    }

    /// Runs timers until `limit` after the start.
    fn run_until(&mut self, limit: Duration) {
        let end = self.t0 + limit;
        while let Some(at) = self.deadline().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            for side in &mut self.sides {
                side.endpoint.handle_timeout(self.now);
                if let Some(s) = side.session.as_mut() {
                    s.handle_timeout(self.now, &mut side.rng);
                }
            }
            self.settle();
        }
        self.now = self.now.max(end);
    }

    fn events(&self, i: usize) -> Vec<SessionEvent> {
        self.sides[i]
            .events
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    fn sent(&self, i: usize, line: &str) -> Vec<Duration> {
        self.wire
            .iter()
            .filter(|(s, _, l)| *s == i && l == line)
            .map(|(_, t, _)| *t)
            .collect()
    }

    fn state(&self, i: usize) -> SessionState {
        self.sides[i].session.as_ref().unwrap().state()
    }
}

fn ended_local() -> SessionEvent {
    local_end()
}

fn ended_remote() -> SessionEvent {
    SessionEvent::DidEnd {
        originator: Originator::Remote,
        reason: "Call completed".to_owned(),
    }
}

fn sdp(s: &'static str) -> Option<Bytes> {
    Some(Bytes::from_static(s.as_bytes()))
}

/// A call answered at once, its offer in the INVITE.
fn connected() -> Pair {
    let mut p = Pair::new(Some("offer"));
    p.act(1, |s, now, _| s.ring(now).unwrap());
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
    p
}

#[test]
fn basic_call_carries_offer_and_answer_and_ends_with_bye_from_the_caller() {
    let mut p = Pair::new(Some("offer"));
    assert_eq!(p.state(0), SessionState::Outgoing);
    assert_eq!(
        p.events(1),
        [SessionEvent::NewIncoming {
            offer: sdp("offer")
        }]
    );
    p.act(1, |s, now, _| s.ring(now).unwrap());
    assert_eq!(p.state(0), SessionState::Early);
    assert_eq!(p.session(0).early_dialogs().len(), 1);
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(
        p.events(0),
        [
            SessionEvent::GotProvisionalResponse {
                code: 180,
                reason: "Ringing".to_owned(),
                body: None
            },
            SessionEvent::GotRingIndication,
            SessionEvent::GotAnswer {
                answer: Bytes::from_static(b"answer")
            },
            SessionEvent::DidStart,
        ]
    );
    assert_eq!(p.events(1)[1..], [SessionEvent::DidStart]);
    p.act(0, |s, now, _| s.end(now).unwrap());
    assert_eq!(p.state(0), SessionState::Terminated);
    assert_eq!(p.state(1), SessionState::Terminated);
    assert_eq!(p.events(0).last(), Some(&ended_local()));
    assert_eq!(p.events(1).last(), Some(&ended_remote()));
    // No timer left once the ACK came: no 2xx retransmission.
    p.run_until(Duration::from_secs(60));
    assert_eq!(p.sent(1, "200 INVITE").len(), 1);
    assert!(p.sides.iter().all(|s| s.unclaimed.is_empty()));
}

#[test]
fn the_callee_hangs_up() {
    let mut p = connected();
    p.act(1, |s, now, _| s.end(now).unwrap());
    assert_eq!(p.events(1).last(), Some(&ended_local()));
    assert_eq!(p.events(0).last(), Some(&ended_remote()));
    assert_eq!(p.sent(1, "BYE 1").len(), 1);
}

#[test]
fn a_late_offer_comes_in_the_2xx_and_the_answer_in_the_ack() {
    let mut p = Pair::new(None);
    assert_eq!(p.events(1), [SessionEvent::NewIncoming { offer: None }]);
    p.act(1, |s, now, _| s.accept(now, sdp("offer")).unwrap());
    assert_eq!(p.state(0), SessionState::Connecting);
    assert_eq!(
        p.events(0),
        [SessionEvent::GotOffer {
            offer: Bytes::from_static(b"offer")
        }]
    );
    p.act(0, |s, now, _| {
        s.answer(now, Bytes::from_static(b"answer")).unwrap()
    });
    assert_eq!(p.events(0).last(), Some(&SessionEvent::DidStart));
    assert_eq!(
        p.events(1)[1..],
        [
            SessionEvent::GotAnswer {
                answer: Bytes::from_static(b"answer")
            },
            SessionEvent::DidStart
        ]
    );
}

#[test]
fn reject_486_fails_the_call_on_both_sides() {
    let mut p = Pair::new(Some("offer"));
    p.act(1, |s, now, _| s.reject(now, 486, None).unwrap());
    assert_eq!(
        p.events(0),
        [SessionEvent::DidFail {
            originator: Originator::Remote,
            code: 486,
            reason: "Busy Here".to_owned()
        }]
    );
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::DidFail {
            originator: Originator::Local,
            code: 486,
            reason: "Busy Here".to_owned()
        })
    );
    let now = p.now;
    // The endpoint ACKs the non-2xx itself.
    assert_eq!(p.sent(0, "ACK 1").len(), 1);
    assert_eq!(
        p.session(1).reject(now, 603, None),
        Err(Error::WrongState {
            command: "reject",
            state: SessionState::Terminated
        })
    );
}

#[test]
fn cancel_waits_for_a_provisional_response_and_ends_with_487() {
    // The 100 Trying is lost: no provisional response yet.
    let mut p = Pair::with_drop(
        Some("offer"),
        Box::new(|i, m| i == 1 && matches!(m, Message::Response(r) if r.status().code() == 100)),
    );
    p.act(0, |s, now, _| s.cancel(now).unwrap());
    // No provisional yet: the CANCEL waits (§9.1).
    assert!(p.sent(0, "CANCEL 1").is_empty());
    assert_eq!(p.state(0), SessionState::Ending);
    p.act(1, |s, now, _| s.ring(now).unwrap());
    assert_eq!(p.sent(0, "CANCEL 1").len(), 1);
    assert_eq!(p.sent(1, "487 INVITE").len(), 1);
    let failed = |o| SessionEvent::DidFail {
        originator: o,
        code: 487,
        reason: "cancelled".to_owned(),
    };
    assert_eq!(p.events(0), [failed(Originator::Local)]);
    assert_eq!(p.events(1).last(), Some(&failed(Originator::Remote)));
    assert_eq!(p.state(1), SessionState::Terminated);
}

#[test]
fn a_2xx_crossing_the_cancel_is_acked_and_ended_with_bye() {
    let mut p = Pair::new(Some("offer"));
    p.act(1, |s, now, _| s.ring(now).unwrap());
    // The CANCEL is lost; the callee answers.
    p.drop = Box::new(|_, m| matches!(m, Message::Request(r) if *r.method() == Method::Cancel));
    p.act(0, |s, now, _| s.cancel(now).unwrap());
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.sent(0, "ACK 1").len(), 1);
    assert_eq!(p.sent(0, "BYE 2").len(), 1);
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::DidFail {
            originator: Originator::Local,
            code: 487,
            reason: "cancelled".to_owned()
        })
    );
    assert_eq!(p.events(1).last(), Some(&ended_remote()));
}

#[test]
fn no_answer_fails_with_408_at_timer_b() {
    let mut p = Pair::with_drop(Some("offer"), Box::new(|i, _| i == 0));
    p.run_until(Duration::from_secs(40));
    let fail = p.sides[0].events.last().cloned().unwrap();
    assert_eq!(fail.0, 64 * T1);
    assert_eq!(
        fail.1,
        SessionEvent::DidFail {
            originator: Originator::Local,
            code: 408,
            reason: "Request Timeout".to_owned()
        }
    );
}

#[test]
fn the_2xx_is_retransmitted_at_t1_doubling_to_t2_and_a_missing_ack_ends_with_bye() {
    let mut p = Pair::new(Some("offer"));
    p.drop = Box::new(|_, m| matches!(m, Message::Request(r) if *r.method() == Method::Ack));
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(
        p.session(1).next_timer().map(|t| t.0),
        Some(Timer::Retransmit2xx)
    );
    p.run_until(Duration::from_secs(60));
    let ms = |v: &[u64]| {
        v.iter()
            .map(|m| Duration::from_millis(*m))
            .collect::<Vec<_>>()
    };
    // Sent at 0, then after 500 ms, 1 s, 2 s, 4 s, 4 s … (§13.3.1.4).
    assert_eq!(
        p.sent(1, "200 INVITE"),
        ms(&[0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
    );
    // Every one of them was ACKed (and the ACKs lost).
    assert_eq!(p.sent(0, "lost ACK 1").len(), 11);
    // 64·T1 = 32 s without ACK: BYE, and the call fails with "missing ACK".
    assert_eq!(p.sent(1, "BYE 1"), ms(&[32_000]));
    let last = p.sides[1].events.last().cloned().unwrap();
    assert_eq!(
        last,
        (
            Duration::from_secs(32),
            SessionEvent::DidFail {
                originator: Originator::Local,
                code: 408,
                reason: MISSING_ACK.to_owned()
            }
        )
    );
    assert_eq!(p.events(0).last(), Some(&ended_remote()));
    assert_eq!(p.session(1).poll_timeout(), None);
}

#[test]
fn a_bye_overtaking_the_ack_confirms_and_ends_the_call() {
    let mut p = Pair::new(Some("offer"));
    p.drop = Box::new(|_, m| matches!(m, Message::Request(r) if *r.method() == Method::Ack));
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    p.act(0, |s, now, _| s.end(now).unwrap());
    assert_eq!(p.events(1)[1..], [SessionEvent::DidStart, ended_remote()]);
    assert_eq!(p.events(0).last(), Some(&ended_local()));
    assert_eq!(p.session(1).poll_timeout(), None);
}

#[test]
fn reinvite_accepted_from_either_side() {
    let mut p = connected();
    for (from, to) in [(0, 1), (1, 0)] {
        p.act(from, |s, now, rng| {
            s.propose(now, rng, sdp("hold")).unwrap()
        });
        assert_eq!(
            p.events(to).last(),
            Some(&SessionEvent::GotProposal { offer: sdp("hold") })
        );
        p.act(to, |s, now, _| s.accept_proposal(now, sdp("held")).unwrap());
        assert_eq!(
            p.events(from).last(),
            Some(&SessionEvent::ProposalAccepted {
                answer: sdp("held")
            })
        );
        assert!(
            p.session(to)
                .next_timer()
                .is_none_or(|(t, _)| matches!(t, Timer::SessionRefresh | Timer::SessionExpiry)),
            "the ACK stopped the 2xx"
        );
    }
    assert_eq!(p.sent(0, "INVITE 2").len(), 1);
    assert_eq!(p.sent(1, "INVITE 1").len(), 1);
}

#[test]
fn reinvite_refused_with_488_leaves_the_session_as_it_was() {
    let mut p = connected();
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("video")).unwrap());
    p.act(1, |s, now, _| s.reject_proposal(now, 488).unwrap());
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::ProposalRejected {
            code: 488,
            reason: "Not Acceptable Here".to_owned()
        })
    );
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
    // A new proposal may follow.
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("audio")).unwrap());
    assert_eq!(p.sent(0, "INVITE 3").len(), 1);
}

#[test]
fn glare_gets_491_on_both_sides_and_retries_after_the_14_1_backoff() {
    let mut p = connected();
    // Both re-INVITEs leave before either arrives: hold them on the wire.
    let now = p.now;
    for i in 0..2 {
        let side = &mut p.sides[i];
        let s = side.session.as_mut().unwrap();
        s.propose(now, &mut side.rng, sdp(if i == 0 { "a" } else { "b" }))
            .unwrap();
        s.drive(now, &mut side.endpoint).unwrap();
    }
    p.settle();
    assert_eq!(p.sent(0, "491 INVITE").len(), 1);
    assert_eq!(p.sent(1, "491 INVITE").len(), 1);
    let retry = |i: usize, p: &Pair| {
        p.events(i)
            .iter()
            .find_map(|e| match e {
                SessionEvent::ProposalWillRetry { after } => Some(*after),
                _ => None,
            })
            .unwrap()
    };
    // The caller owns the Call-ID: 2.1–4 s; the callee 0–2 s.
    let (a, b) = (retry(0, &p), retry(1, &p));
    assert!(
        a >= Duration::from_millis(2100) && a <= Duration::from_secs(4),
        "{a:?}"
    );
    assert!(b <= Duration::from_secs(2), "{b:?}");
    assert_eq!(
        p.session(0).next_timer().map(|t| t.0),
        Some(Timer::GlareRetry)
    );
    // The callee retries first; the caller gets the proposal, accepts it, and then retries.
    p.run_until(b + Duration::from_millis(1));
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::GotProposal { offer: sdp("b") })
    );
    p.act(0, |s, now, _| s.accept_proposal(now, sdp("b-ok")).unwrap());
    p.run_until(Duration::from_secs(10));
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::GotProposal { offer: sdp("a") })
    );
    p.act(1, |s, now, _| s.accept_proposal(now, sdp("a-ok")).unwrap());
    assert!(p.events(0).contains(&SessionEvent::ProposalAccepted {
        answer: sdp("a-ok")
    }));
    assert!(p.events(1).contains(&SessionEvent::ProposalAccepted {
        answer: sdp("b-ok")
    }));
}

#[test]
fn a_second_reinvite_while_one_is_unanswered_gets_500_with_retry_after() {
    let mut p = connected();
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("x")).unwrap());
    // Forge a second re-INVITE from the caller's dialog, outside its session.
    let mut d = p.session(0).dialog().unwrap().clone();
    let mut again = d.request(Method::Invite, None).unwrap();
    again.headers_mut().set(HeaderName::CSeq, "5 INVITE");
    again
        .headers_mut()
        .push_typed(&Contact::new(format!("sip:alice@{A}").parse().unwrap()));
    let now = p.now;
    p.sides[0]
        .endpoint
        .send_request(now, again, addr(B), TransportKind::Udp)
        .unwrap();
    p.settle();
    assert_eq!(p.sent(1, "500 INVITE").len(), 1);
    assert_eq!(p.state(1), SessionState::Connected);
}

#[test]
fn an_in_dialog_request_answered_481_ends_the_session() {
    let mut p = connected();
    // The callee forgets the dialog behind its session's back: the endpoint answers 481.
    let id = p.session(1).dialog().unwrap().id().clone();
    p.sides[1].endpoint.remove_dialog(&id);
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("x")).unwrap());
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::DidEnd {
            originator: Originator::Remote,
            reason: "481 Call/Transaction Does Not Exist".to_owned()
        })
    );
    assert_eq!(p.state(0), SessionState::Terminated);
}

#[test]
fn a_reinvite_that_times_out_ends_the_session() {
    let mut p = connected();
    p.drop = Box::new(|i, _| i == 0);
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("x")).unwrap());
    p.run_until(Duration::from_secs(60));
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::DidEnd {
            originator: Originator::Local,
            reason: "408 Request Timeout".to_owned()
        })
    );
}

#[test]
fn commands_out_of_place_are_errors() {
    let mut p = Pair::new(Some("offer"));
    let now = p.now;
    let mut rng = SeededRandom::new(9);
    assert!(matches!(
        p.session(0).ring(now),
        Err(Error::WrongRole { .. })
    ));
    assert_eq!(
        p.session(1).reject(now, 200, None),
        Err(Error::BadStatus(200))
    );
    assert!(matches!(
        p.session(1).cancel(now),
        Err(Error::WrongRole { .. })
    ));
    assert!(matches!(
        p.session(0).propose(now, &mut rng, None),
        Err(Error::WrongState { .. })
    ));
    assert_eq!(
        p.session(1).accept_proposal(now, None),
        Err(Error::NothingPending("accept"))
    );
    assert_eq!(
        p.session(0).answer(now, Bytes::new()),
        Err(Error::NothingPending("answer"))
    );
}

#[test]
fn an_in_dialog_invite_is_not_an_initial_invite() {
    let p = connected();
    let mut d = p.sides[0]
        .session
        .as_ref()
        .unwrap()
        .dialog()
        .unwrap()
        .clone();
    let reinvite = d.request(Method::Invite, None).unwrap();
    // Any server transaction id will do: one from a MESSAGE run through an endpoint.
    let mut e = Endpoint::new(EndpointConfig::default(), SeededRandom::new(3));
    e.add_transport(TransportKind::Udp, addr(B));
    let message = b"MESSAGE sip:bob@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\r\n\
From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\
Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    e.handle_message(p.now, addr(A), TransportKind::Udp, None, message);
    let Some(Event::Request { tx, .. }) = e.poll_event() else {
        panic!("no request");
    };
    let err = InviteSession::incoming(
        p.now,
        &mut SeededRandom::new(1),
        IncomingConfig::new(format!("sip:bob@{B}").parse().unwrap()),
        tx,
        reinvite,
        Route {
            destination: addr(A),
            transport: TransportKind::Udp,
        },
    )
    .unwrap_err();
    assert_eq!(err, Error::NotAnInitialInvite);
}

#[test]
fn time_going_backwards_is_clamped() {
    let mut p = Pair::new(Some("offer"));
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    let earlier = p.t0.checked_sub(Duration::from_secs(1)).unwrap_or(p.t0);
    let s = p.session(1);
    let before = s.poll_timeout();
    s.handle_timeout(earlier, &mut SeededRandom::new(1));
    assert_eq!(s.poll_timeout(), before);
}

#[test]
fn a_proxy_challenge_is_answered_once_with_the_credentials() {
    use crate::sip::headers::{Challenge, ProxyAuthenticate, ProxyAuthorization};
    let challenge = ProxyAuthenticate(
        Challenge::digest()
            .with_realm("example.com")
            .with_nonce("n0nce")
            .with_qop(&["auth"]),
    );
    let mut p = Pair::with(
        Some("offer"),
        Box::new(|_, _| false),
        |c| {
            c.credentials = Some(crate::request::Credentials {
                username: "alice".to_owned(),
                password: "secret".to_owned(),
                realm: None,
            });
        },
        Some(challenge.clone()),
    );
    // The first INVITE was challenged and ACKed; the second carries the answer with the
    // next CSeq, and the call goes on.
    assert_eq!(p.sent(0, "INVITE 1").len(), 1);
    assert_eq!(p.sent(0, "INVITE 2").len(), 1);
    assert_eq!(p.sent(1, "407 INVITE").len(), 1);
    assert_eq!(p.sent(0, "ACK 1").len(), 1);
    let invite = p.sides[1]
        .session
        .as_ref()
        .expect("the authorized INVITE reached the callee")
        .invite()
        .clone();
    let auth = invite
        .headers()
        .first::<ProxyAuthorization<'_>>()
        .unwrap()
        .unwrap();
    assert_eq!(auth.username().as_deref(), Some("alice"));
    assert_eq!(auth.realm().as_deref(), Some("example.com"));
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.state(0), SessionState::Connected);

    // Without credentials the 407 fails the call.
    let mut p = Pair::with(
        Some("offer"),
        Box::new(|_, _| false),
        |_| {},
        Some(challenge),
    );
    assert!(p.sides[1].session.is_none());
    assert!(
        p.events(0)
            .iter()
            .any(|e| matches!(e, SessionEvent::DidFail { code: 407, .. })),
        "{:?}",
        p.events(0)
    );
    assert_eq!(p.session(0).state(), SessionState::Terminated);
}

// Session timers (RFC 4028).

/// A call with these session timers on each side, answered at once, re-INVITEs accepted.
fn timed(caller: Option<SessionTimerConfig>, callee: Option<SessionTimerConfig>) -> Pair {
    let mut p = Pair::with_timers(
        Some("offer"),
        Box::new(|_, _| false),
        |c| c.session_timer = caller,
        None,
        callee,
    );
    p.auto_accept = true;
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
    p
}

/// The last message of `method` (its request, or a response to it with `code`) a side sent.
fn last_sent(p: &Pair, i: usize, method: Method, code: Option<u16>) -> Message {
    p.messages
        .iter()
        .rev()
        .find(|(from, m)| {
            *from == i
                && match m {
                    Message::Request(r) => code.is_none() && *r.method() == method,
                    Message::Response(r) => {
                        Some(r.status().code()) == code
                            && r.headers().single::<Cseq>().unwrap().method == method
                    }
                }
        })
        .map(|(_, m)| m.clone())
        .expect("such a message")
}

fn se(m: &Message) -> Option<SessionExpires<'static>> {
    m.headers()
        .single::<SessionExpires<'_>>()
        .ok()
        .map(SessionExpires::into_owned)
}

fn timer_tag<'a, T: crate::sip::headers::Header<'a> + std::fmt::Display>(m: &'a Message) -> bool {
    m.headers()
        .typed::<T>()
        .any(|t| t.is_ok_and(|t| t.to_string().eq_ignore_ascii_case("timer")))
}

fn interval(secs: u64, refresher: Originator) -> Option<SessionInterval> {
    Some(SessionInterval {
        interval: Duration::from_secs(secs),
        refresher,
    })
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn both_sides_support_timers_and_the_caller_refreshes() {
    let d = Some(SessionTimerConfig::default());
    let p = timed(d, d);
    let invite = last_sent(&p, 0, Method::Invite, None);
    assert!(timer_tag::<Supported<'_>>(&invite));
    assert_eq!(se(&invite), Some(SessionExpires::new(1800)));
    assert_eq!(invite.headers().single::<MinSe<'_>>().unwrap().seconds, 90);
    let ok = last_sent(&p, 1, Method::Invite, Some(200));
    assert_eq!(
        se(&ok),
        Some(SessionExpires::new(1800).with_refresher(Refresher::Uac))
    );
    assert!(timer_tag::<Require<'_>>(&ok));
    assert_eq!(
        p.sides[0].session.as_ref().unwrap().session_interval(),
        interval(1800, Originator::Local)
    );
    assert_eq!(
        p.sides[1].session.as_ref().unwrap().session_interval(),
        interval(1800, Originator::Remote)
    );
    assert_eq!(
        p.sides[0].session.as_ref().unwrap().next_timer(),
        Some((Timer::SessionRefresh, p.t0 + secs(900)))
    );
    // 1800 − min(32, 600) s.
    assert_eq!(
        p.sides[1].session.as_ref().unwrap().next_timer(),
        Some((Timer::SessionExpiry, p.t0 + secs(1768)))
    );
}

#[test]
fn only_the_caller_supports_timers_no_timer_runs() {
    let p = timed(Some(SessionTimerConfig::default()), None);
    let ok = last_sent(&p, 1, Method::Invite, Some(200));
    assert_eq!(se(&ok), None);
    assert!(!timer_tag::<Require<'_>>(&ok));
    for i in 0..2 {
        let s = p.sides[i].session.as_ref().unwrap();
        assert_eq!(s.session_interval(), None);
        assert_eq!(s.poll_timeout(), None);
    }
}

#[test]
fn only_the_callee_supports_timers_and_refreshes_itself() {
    let mut p = timed(None, Some(SessionTimerConfig::new(300, 90)));
    let invite = last_sent(&p, 0, Method::Invite, None);
    assert_eq!(se(&invite), None);
    assert!(!timer_tag::<Supported<'_>>(&invite));
    let ok = last_sent(&p, 1, Method::Invite, Some(200));
    // §9: the UAC does not support timers: the UAS refreshes, no Require.
    assert_eq!(
        se(&ok),
        Some(SessionExpires::new(300).with_refresher(Refresher::Uas))
    );
    assert!(!timer_tag::<Require<'_>>(&ok));
    assert_eq!(
        p.session(1).session_interval(),
        interval(300, Originator::Local)
    );
    assert_eq!(p.session(0).session_interval(), None);
    // The callee's refresh at 150 s, taken by the caller as any re-INVITE.
    p.run_until(secs(151));
    assert_eq!(p.sent(1, "INVITE 1"), [secs(150)]);
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::GotProposal {
            offer: sdp("answer")
        })
    );
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::DidRefresh {
            answer: sdp("answer")
        })
    );
    assert_eq!(p.state(1), SessionState::Connected);
}

#[test]
fn the_callee_grants_a_shorter_interval_and_keeps_the_refresher_a_reinvite_names() {
    let p_caller = SessionTimerConfig::new(3600, 90);
    let mut p = timed(Some(p_caller), Some(SessionTimerConfig::new(600, 90)));
    // §9: the UAS may lower the interval (not below Min-SE).
    assert_eq!(
        p.session(0).session_interval(),
        interval(600, Originator::Local)
    );
    // The callee's re-INVITE asks the caller (its UAS) to go on refreshing.
    p.act(1, |s, now, rng| s.propose(now, rng, sdp("hold")).unwrap());
    let reinvite = last_sent(&p, 1, Method::Invite, None);
    assert_eq!(
        se(&reinvite),
        Some(SessionExpires::new(600).with_refresher(Refresher::Uas))
    );
    let ok = last_sent(&p, 0, Method::Invite, Some(200));
    assert_eq!(
        se(&ok),
        Some(SessionExpires::new(600).with_refresher(Refresher::Uas))
    );
    assert_eq!(
        p.session(0).session_interval(),
        interval(600, Originator::Local)
    );
    assert_eq!(
        p.session(1).session_interval(),
        interval(600, Originator::Remote)
    );
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::ProposalAccepted {
            answer: sdp("answer")
        })
    );
}

#[test]
fn a_422_makes_the_caller_ask_again_with_the_min_se() {
    let mut p = Pair::with_timers(
        Some("offer"),
        Box::new(|_, _| false),
        |c| c.session_timer = Some(SessionTimerConfig::new(100, 90)),
        None,
        Some(SessionTimerConfig::new(1800, 400)),
    );
    assert_eq!(p.sent(0, "INVITE 1").len(), 1);
    assert_eq!(p.sent(1, "422 INVITE").len(), 1);
    assert_eq!(p.sent(0, "ACK 1").len(), 1);
    let refusal = last_sent(&p, 1, Method::Invite, Some(422));
    assert_eq!(
        refusal.headers().single::<MinSe<'_>>().unwrap().seconds,
        400
    );
    assert_eq!(p.sent(0, "INVITE 2").len(), 1);
    let again = last_sent(&p, 0, Method::Invite, None);
    assert_eq!(se(&again), Some(SessionExpires::new(400)));
    assert_eq!(again.headers().single::<MinSe<'_>>().unwrap().seconds, 400);
    assert_eq!(p.events(0), []);
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.events(0).last(), Some(&SessionEvent::DidStart));
    assert_eq!(
        p.session(0).session_interval(),
        interval(400, Originator::Local)
    );
}

#[test]
fn a_422_that_does_not_raise_the_interval_fails_the_call() {
    // A 422 whose Min-SE is no more than what we asked for: asking again cannot help.
    let mut p = Pair::with_timers(Some("offer"), Box::new(|_, _| false), |_| {}, None, None);
    let invite = p.session(1).invite().clone();
    let refusal = Response::for_request(&invite, SESSION_INTERVAL_TOO_SMALL)
        .with_to_tag("x")
        .with_header(&MinSe::new(90));
    let tx = p.sides[1]
        .session
        .as_ref()
        .unwrap()
        .invite_server_tx
        .unwrap();
    let now = p.now;
    p.sides[1].endpoint.respond(now, tx, &refusal).unwrap();
    p.settle();
    assert_eq!(p.sent(0, "INVITE 2").len(), 0);
    assert!(matches!(
        p.events(0).last(),
        Some(SessionEvent::DidFail { code: 422, .. })
    ));
}

#[test]
fn the_caller_refreshes_at_half_the_interval_with_its_last_offer() {
    let c = Some(SessionTimerConfig::new(300, 90));
    let mut p = timed(c, c);
    p.run_until(secs(1000));
    // Every 150 s; each 2xx starts the timer again.
    let at: Vec<_> = (2..=7).map(|n| p.sent(0, &format!("INVITE {n}"))).collect();
    assert_eq!(at, [150, 300, 450, 600, 750, 900].map(|s| vec![secs(s)]));
    let refreshes = p
        .events(0)
        .iter()
        .filter(|e| {
            **e == SessionEvent::DidRefresh {
                answer: sdp("answer"),
            }
        })
        .count();
    assert_eq!(refreshes, 6);
    // The refresh carries the caller's last description; the callee answers it as any
    // re-INVITE.
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::GotProposal {
            offer: sdp("offer")
        })
    );
    let refresh = last_sent(&p, 0, Method::Invite, None);
    assert_eq!(
        se(&refresh),
        Some(SessionExpires::new(300).with_refresher(Refresher::Uac))
    );
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
    assert_eq!(
        p.session(1).next_timer(),
        Some((Timer::SessionExpiry, p.t0 + secs(900 + 268)))
    );
}

#[test]
fn a_users_proposal_refreshes_the_session_too() {
    let c = Some(SessionTimerConfig::new(300, 90));
    let mut p = timed(c, c);
    p.run_until(secs(100));
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("hold")).unwrap());
    p.run_until(secs(260));
    // No refresh at 150 s: the proposal at 100 s restarted the timer.
    assert_eq!(p.sent(0, "INVITE 3"), [secs(250)]);
    let refresh = last_sent(&p, 0, Method::Invite, None);
    assert_eq!(refresh.body().as_ref(), b"hold");
}

#[test]
fn the_callee_ends_the_call_when_refreshes_stop() {
    let c = Some(SessionTimerConfig::new(300, 90));
    let mut p = timed(c, c);
    // From now on every request of the caller is lost.
    p.drop = Box::new(|i, m| i == 0 && matches!(m, Message::Request(_)));
    p.run_until(secs(400));
    // 300 − min(32, 100) = 268 s after the 2xx: BYE.
    assert_eq!(p.sent(1, "BYE 1"), [secs(268)]);
    let (at, event) = p.sides[1].events.last().cloned().unwrap();
    assert_eq!(at, secs(268));
    assert_eq!(
        event,
        SessionEvent::DidEnd {
            originator: Originator::Local,
            reason: SESSION_EXPIRED.to_owned()
        }
    );
    // The caller's refresh at 150 s timed out (64·T1): it ended with BYE (lost too).
    assert_eq!(p.sent(0, "lost INVITE 2").first(), Some(&secs(150)));
    assert_eq!(p.sent(0, "lost BYE 3").first(), Some(&secs(182)));
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::DidEnd {
            originator: Originator::Local,
            reason: "408 Request Timeout".to_owned()
        })
    );
    assert_eq!(p.state(0), SessionState::Terminated);
    assert_eq!(p.state(1), SessionState::Terminated);
}

#[test]
fn a_refresh_answered_481_ends_the_call() {
    let c = Some(SessionTimerConfig::new(300, 90));
    let mut p = timed(c, c);
    let id = p.session(1).dialog().unwrap().id().clone();
    p.sides[1].endpoint.remove_dialog(&id);
    p.run_until(secs(200));
    assert_eq!(p.sent(1, "481 INVITE"), [secs(150)]);
    let (at, event) = p.sides[0].events.last().cloned().unwrap();
    assert_eq!(at, secs(150));
    assert_eq!(
        event,
        SessionEvent::DidEnd {
            originator: Originator::Remote,
            reason: "481 Call/Transaction Does Not Exist".to_owned()
        }
    );
}

#[test]
fn a_reinvite_below_our_min_se_gets_422() {
    let mut p = timed(
        Some(SessionTimerConfig::default()),
        Some(SessionTimerConfig::default()),
    );
    // The caller's session now wants at least 2000 s; the callee asks for 1800.
    p.session(0).min_se = 2000;
    p.act(1, |s, now, rng| s.propose(now, rng, sdp("hold")).unwrap());
    assert_eq!(p.sent(0, "422 INVITE").len(), 1);
    // The callee asks again with 2000 s and the proposal goes through.
    assert_eq!(p.sent(1, "INVITE 2").len(), 1);
    assert_eq!(
        se(&last_sent(&p, 1, Method::Invite, None)),
        Some(SessionExpires::new(2000).with_refresher(Refresher::Uas))
    );
    assert_eq!(
        p.session(1).session_interval(),
        interval(2000, Originator::Remote)
    );
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::ProposalAccepted {
            answer: sdp("answer")
        })
    );
}

fn processed(
    originator: Originator,
    method: Method,
    code: u16,
    reason: &str,
    ack_received: Option<AckReceived>,
) -> SessionEvent {
    SessionEvent::DidProcessTransaction {
        originator,
        method,
        code,
        reason: reason.to_owned(),
        ack_received,
    }
}

#[test]
fn every_transaction_is_reported_once_when_it_completes() {
    // The first ACK is lost: the 2xx comes again and is ACKed again, but the INVITE
    // transactions are reported once, the callee's when the second ACK comes.
    let mut lost = false;
    let mut p = Pair::with_drop(
        Some("offer"),
        Box::new(move |_, m| {
            let ack = matches!(m, Message::Request(r) if *r.method() == Method::Ack);
            let drop = ack && !lost;
            lost |= ack;
            drop
        }),
    );
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert!(p.sides[1].transactions.is_empty(), "no ACK yet");
    p.run_until(Duration::from_secs(1));
    assert_eq!(p.sent(1, "200 INVITE").len(), 2);
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("video")).unwrap());
    p.act(1, |s, now, _| s.reject_proposal(now, 488).unwrap());
    p.act(0, |s, now, _| s.end(now).unwrap());
    use Originator::{Local, Remote};
    assert_eq!(
        p.sides[0].transactions,
        [
            processed(Local, Method::Invite, 200, "OK", Some(AckReceived::Unknown)),
            processed(
                Local,
                Method::Invite,
                488,
                "Not Acceptable Here",
                Some(AckReceived::Unknown)
            ),
            processed(Local, Method::Bye, 200, "OK", None),
        ]
    );
    assert_eq!(
        p.sides[1].transactions,
        [
            processed(Remote, Method::Invite, 200, "OK", Some(AckReceived::Yes)),
            processed(
                Remote,
                Method::Invite,
                488,
                "Not Acceptable Here",
                Some(AckReceived::Unknown)
            ),
            processed(Remote, Method::Bye, 200, "OK", None),
        ]
    );
}

#[test]
fn a_missing_ack_is_reported_with_ack_received_false() {
    let mut p = Pair::new(Some("offer"));
    p.drop = Box::new(|_, m| matches!(m, Message::Request(r) if *r.method() == Method::Ack));
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    p.run_until(Duration::from_secs(60));
    assert_eq!(
        p.sides[1].transactions,
        [
            processed(
                Originator::Remote,
                Method::Invite,
                200,
                "OK",
                Some(AckReceived::No)
            ),
            processed(Originator::Local, Method::Bye, 200, "OK", None),
        ]
    );
}

#[test]
fn a_refused_call_and_a_timeout_are_reported_as_transactions() {
    let mut p = Pair::new(Some("offer"));
    p.act(1, |s, now, _| s.reject(now, 486, None).unwrap());
    let busy = |o| {
        processed(
            o,
            Method::Invite,
            486,
            "Busy Here",
            Some(AckReceived::Unknown),
        )
    };
    assert_eq!(p.sides[0].transactions, [busy(Originator::Local)]);
    assert_eq!(p.sides[1].transactions, [busy(Originator::Remote)]);

    // Nobody answers: Timer B reports the INVITE as a 408.
    let mut p = Pair::with_drop(Some("offer"), Box::new(|i, _| i == 1));
    p.run_until(Duration::from_secs(40));
    assert_eq!(
        p.sides[0].transactions,
        [processed(
            Originator::Local,
            Method::Invite,
            408,
            "Request Timeout",
            Some(AckReceived::Unknown)
        )]
    );
}

fn terminated_487() -> SessionEvent {
    SessionEvent::ProposalRejected {
        code: 487,
        reason: "Request Terminated".to_owned(),
    }
}

#[test]
fn a_cancelled_reinvite_gets_487_and_the_session_goes_on() {
    let mut p = connected();
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("video")).unwrap());
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::GotProposal {
            offer: sdp("video")
        })
    );
    // The callee's endpoint sent 100 Trying: the CANCEL may go at once.
    p.act(0, |s, now, _| s.cancel_proposal(now).unwrap());
    assert_eq!(p.sent(0, "CANCEL 2").len(), 1);
    assert_eq!(p.sent(1, "487 INVITE").len(), 1);
    assert_eq!(p.events(0).last(), Some(&terminated_487()));
    assert_eq!(p.events(1).last(), Some(&SessionEvent::ProposalCancelled));
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
    let invite_487 = |o| {
        processed(
            o,
            Method::Invite,
            487,
            "Request Terminated",
            Some(AckReceived::Unknown),
        )
    };
    assert!(p.sides[0].transactions.contains(&processed(
        Originator::Local,
        Method::Cancel,
        200,
        "OK",
        None
    )));
    assert!(p.sides[0]
        .transactions
        .contains(&invite_487(Originator::Local)));
    assert_eq!(
        p.sides[1].transactions.last(),
        Some(&invite_487(Originator::Remote))
    );
    // Answering the cancelled proposal is an error; a new one may follow.
    p.act(1, |s, now, _| {
        assert!(s.accept_proposal(now, sdp("late")).is_err());
    });
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("audio")).unwrap());
    assert_eq!(p.sent(0, "INVITE 3").len(), 1);
    p.act(1, |s, now, _| s.accept_proposal(now, sdp("ok")).unwrap());
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::ProposalAccepted { answer: sdp("ok") })
    );
}

#[test]
fn a_cancel_waits_for_a_provisional_and_a_final_answer_settles_it() {
    // The 100 Trying of the re-INVITE is lost: no CANCEL may go (§9.1).
    let mut p = connected();
    p.drop =
        Box::new(|i, m| i == 1 && matches!(m, Message::Response(r) if r.status().code() == 100));
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("video")).unwrap());
    p.act(0, |s, now, _| s.cancel_proposal(now).unwrap());
    // Asking twice changes nothing.
    p.act(0, |s, now, _| s.cancel_proposal(now).unwrap());
    assert!(p.sent(0, "CANCEL 2").is_empty());
    p.act(1, |s, now, _| s.reject_proposal(now, 488).unwrap());
    assert!(p.sent(0, "CANCEL 2").is_empty());
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::ProposalRejected {
            code: 488,
            reason: "Not Acceptable Here".to_owned()
        })
    );
    assert_eq!(p.state(0), SessionState::Connected);
}

#[test]
fn a_proposal_waiting_out_a_glare_is_dropped_at_once() {
    let mut p = connected();
    let now = p.now;
    for i in 0..2 {
        let side = &mut p.sides[i];
        let s = side.session.as_mut().unwrap();
        s.propose(now, &mut side.rng, sdp("x")).unwrap();
        s.drive(now, &mut side.endpoint).unwrap();
    }
    p.settle();
    assert_eq!(
        p.session(0).next_timer().map(|t| t.0),
        Some(Timer::GlareRetry)
    );
    p.act(0, |s, now, _| s.cancel_proposal(now).unwrap());
    assert_eq!(p.events(0).last(), Some(&terminated_487()));
    assert_ne!(
        p.session(0).next_timer().map(|t| t.0),
        Some(Timer::GlareRetry)
    );
    // Nothing left to cancel.
    p.act(0, |s, now, _| {
        assert_eq!(s.cancel_proposal(now), Err(Error::NothingPending("cancel")));
    });
    p.run_until(Duration::from_secs(10));
    assert_eq!(p.sent(0, "INVITE 3").len(), 0, "{:?}", p.wire);
}

fn refer_to(uri: &str) -> ReferTo<'static> {
    ReferTo::new(uri.parse::<crate::sip::Uri<'_>>().unwrap().into_owned())
}

fn last_message(p: &Pair, from: usize, method: Method) -> Request {
    p.messages
        .iter()
        .rev()
        .find_map(|(i, m)| match m {
            Message::Request(r) if *i == from && *r.method() == method => Some(r.clone()),
            _ => None,
        })
        .expect("sent")
}

#[test]
fn a_blind_transfer_reports_the_referred_call_through_notifies() {
    let mut p = connected();
    let by = crate::sip::headers::ReferredBy::new("sip:alice@example.com".parse().unwrap());
    p.act(0, |s, now, rng| {
        s.refer(now, rng, &refer_to("sip:carol@example.com"), Some(&by))
            .unwrap();
    });
    // One transfer at a time.
    p.act(0, |s, now, rng| {
        assert!(s
            .refer(now, rng, &refer_to("sip:dave@example.com"), None)
            .is_err());
    });
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::GotRefer {
            refer_to: Box::new(refer_to("sip:carol@example.com")),
            referred_by: Some(Box::new(by.clone())),
        })
    );
    p.act(1, |s, now, _| s.accept_refer(now).unwrap());
    assert_eq!(p.sent(1, "202 REFER").len(), 1);
    let first = last_message(&p, 1, Method::Notify);
    assert_eq!(&first.body()[..], b"SIP/2.0 100 Trying\r\n");
    assert_eq!(
        first
            .headers()
            .get(crate::sip::headers::HeaderName::SubscriptionState),
        Some("active;expires=180")
    );
    p.act(1, |s, now, _| s.notify_refer(now, 180, "Ringing").unwrap());
    p.act(1, |s, now, _| s.notify_refer(now, 200, "OK").unwrap());
    let last = last_message(&p, 1, Method::Notify);
    assert_eq!(&last.body()[..], b"SIP/2.0 200 OK\r\n");
    assert_eq!(
        last.headers()
            .get(crate::sip::headers::HeaderName::SubscriptionState),
        Some("terminated;reason=noresource")
    );
    assert_eq!(
        last.headers()
            .get(crate::sip::headers::HeaderName::ContentType),
        Some("message/sipfrag;version=2.0")
    );
    assert_eq!(p.sent(0, "200 NOTIFY").len(), 3);
    let progress = |code, reason: &str| SessionEvent::ReferProgress {
        code,
        reason: reason.to_owned(),
    };
    assert_eq!(
        p.events(0)[p.events(0).len() - 4..],
        [
            SessionEvent::ReferAccepted,
            progress(100, "Trying"),
            progress(180, "Ringing"),
            SessionEvent::ReferSucceeded {
                code: 200,
                reason: "OK".to_owned()
            },
        ]
    );
    // The subscription is over on both sides.
    p.act(1, |s, now, _| {
        assert_eq!(
            s.notify_refer(now, 200, "OK"),
            Err(Error::NothingPending("notify_refer"))
        );
    });
    assert_ne!(
        p.session(0).next_timer().map(|t| t.0),
        Some(Timer::ReferTimeout)
    );
    assert_eq!(p.state(0), SessionState::Connected);
    assert!(p.sides[0].transactions.contains(&processed(
        Originator::Local,
        Method::Refer,
        202,
        "Accepted",
        None
    )));
    // A second transfer may follow.
    p.act(0, |s, now, rng| {
        s.refer(now, rng, &refer_to("sip:dave@example.com"), None)
            .unwrap();
    });
    assert_eq!(p.sent(0, "REFER 3").len(), 1);
}

#[test]
fn a_refused_or_failed_transfer_is_reported_with_its_status() {
    let mut p = connected();
    p.act(0, |s, now, rng| {
        s.refer(now, rng, &refer_to("sip:carol@example.com"), None)
            .unwrap();
    });
    p.act(1, |s, now, _| {
        assert_eq!(s.reject_refer(now, 200), Err(Error::BadStatus(200)));
        s.reject_refer(now, 603).unwrap();
    });
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::ReferFailed {
            code: 603,
            reason: "Decline".to_owned()
        })
    );
    // Accepted, then the referred call fails: its final status fails the transfer.
    p.act(0, |s, now, rng| {
        s.refer(now, rng, &refer_to("sip:carol@example.com"), None)
            .unwrap();
    });
    p.act(1, |s, now, _| s.accept_refer(now).unwrap());
    p.act(1, |s, now, _| {
        s.notify_refer(now, 486, "Busy Here").unwrap()
    });
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::ReferFailed {
            code: 486,
            reason: "Busy Here".to_owned()
        })
    );
    assert_eq!(p.state(0), SessionState::Connected);
}

#[test]
fn an_accepted_transfer_without_a_final_notify_fails_in_time() {
    let mut p = connected();
    p.act(0, |s, now, rng| {
        s.refer(now, rng, &refer_to("sip:carol@example.com"), None)
            .unwrap();
    });
    p.act(1, |s, now, _| s.accept_refer(now).unwrap());
    let accepted_at = p.now - p.t0;
    assert_eq!(
        p.session(0).next_timer().map(|t| t.0),
        Some(Timer::ReferTimeout)
    );
    p.run_until(accepted_at + secs(u64::from(REFER_SUBSCRIPTION_SECS)) + secs(1));
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::ReferFailed {
            code: 408,
            reason: "no final transfer status".to_owned()
        })
    );
    // The transferee's late final NOTIFY now gets 481.
    p.act(1, |s, now, _| s.notify_refer(now, 200, "OK").unwrap());
    assert_eq!(p.sent(0, "481 NOTIFY").len(), 1);
    // And the transferee stops notifying.
    p.act(1, |s, now, _| {
        assert!(s.notify_refer(now, 200, "OK").is_err());
    });
}

#[test]
fn hanging_up_during_a_transfer_fails_it() {
    let mut p = connected();
    p.act(0, |s, now, rng| {
        s.refer(now, rng, &refer_to("sip:carol@example.com"), None)
            .unwrap();
    });
    p.act(1, |s, now, _| s.accept_refer(now).unwrap());
    p.act(1, |s, now, _| s.end(now).unwrap());
    let events = p.events(0);
    assert_eq!(
        events[events.len() - 2..],
        [
            SessionEvent::ReferFailed {
                code: 487,
                reason: "the session ended".to_owned()
            },
            ended_remote()
        ]
    );
}

#[test]
fn bad_refers_and_stray_notifies_are_refused() {
    let mut p = connected();
    // A NOTIFY for no transfer of ours: 481; a REFER without Refer-To: 400.
    for (method, expect) in [(Method::Notify, "481 NOTIFY"), (Method::Refer, "400 REFER")] {
        let now = p.now;
        let side = &mut p.sides[1];
        let mut request = side
            .session
            .as_mut()
            .unwrap()
            .dialog
            .as_mut()
            .unwrap()
            .request(method.clone(), None)
            .unwrap();
        if method == Method::Notify {
            request
                .headers_mut()
                .push_typed(&crate::sip::headers::Event::new("refer").unwrap());
        }
        side.endpoint
            .send_request(now, request, addr(A), TransportKind::Udp)
            .unwrap();
        p.settle();
        assert_eq!(p.sent(0, expect).len(), 1, "{:?}", p.wire);
    }
    assert_eq!(p.state(0), SessionState::Connected);
    assert!(p
        .events(0)
        .iter()
        .all(|e| !matches!(e, SessionEvent::GotRefer { .. })));
}

#[test]
fn an_invite_requiring_timers_gets_420_when_ours_are_off() {
    let t0 = origin();
    let mut e = Endpoint::new(
        EndpointConfig {
            supported: vec!["timer".to_owned()],
            ..EndpointConfig::default()
        },
        SeededRandom::new(3),
    );
    e.add_transport(TransportKind::Udp, addr(B));
    let invite = b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKt\r\n\
From: <sip:a@x>;tag=1\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: timer-required\r\n\
CSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.1>\r\nMax-Forwards: 70\r\n\
Supported: timer\r\nRequire: timer\r\nSession-Expires: 1800\r\nContent-Length: 0\r\n\r\n";
    e.handle_message(t0, addr(A), TransportKind::Udp, None, invite);
    let Some(Event::Request { tx, request, .. }) = e.poll_event() else {
        panic!("no request");
    };
    let mut s = InviteSession::incoming(
        t0,
        &mut SeededRandom::new(1),
        IncomingConfig::new(format!("sip:bob@{B}").parse().unwrap()).with_session_timer(None),
        tx,
        request,
        Route {
            destination: addr(A),
            transport: TransportKind::Udp,
        },
    )
    .unwrap();
    let Some(Action::Respond { response, .. }) = s.poll_action() else {
        panic!("no answer");
    };
    assert_eq!(response.status().code(), 420);
    assert_eq!(
        response
            .headers()
            .get(crate::sip::headers::HeaderName::Unsupported),
        Some("timer")
    );
    assert_eq!(s.state(), SessionState::Terminated);
    let events: Vec<SessionEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(events.contains(&SessionEvent::DidFail {
        originator: Originator::Remote,
        code: 420,
        reason: "Bad Extension".to_owned()
    }));
}

/// Sends `request` from side `from` to the other side as a raw in-dialog request.
fn send_raw(p: &mut Pair, from: usize, request: Request) {
    let now = p.now;
    let to = addr(if from == 0 { B } else { A });
    p.sides[from]
        .endpoint
        .send_request(now, request, to, TransportKind::Udp)
        .unwrap();
    p.settle();
}

fn in_dialog(p: &mut Pair, i: usize, method: Method) -> Request {
    p.session(i)
        .dialog
        .as_mut()
        .unwrap()
        .request(method, None)
        .unwrap()
}

#[test]
fn an_update_with_an_offer_is_a_proposal_answered_without_an_ack() {
    let mut p = connected();
    let mut update = in_dialog(&mut p, 1, Method::Update);
    update.set_body(Some("application/sdp"), Bytes::from_static(b"update-offer"));
    send_raw(&mut p, 1, update);
    assert_eq!(
        p.events(0).last(),
        Some(&SessionEvent::GotProposal {
            offer: sdp("update-offer")
        })
    );
    p.act(0, |s, now, _| {
        s.accept_proposal(now, sdp("update-answer")).unwrap()
    });
    let ok = p
        .messages
        .iter()
        .rev()
        .find_map(|(i, m)| match m {
            Message::Response(r) if *i == 0 && r.status().code() == 200 => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(&ok.body()[..], b"update-answer");
    assert!(ok
        .headers()
        .get(crate::sip::headers::HeaderName::Allow)
        .unwrap()
        .contains("UPDATE"));
    // No 2xx retransmission: an UPDATE has no ACK.
    p.run_until(Duration::from_secs(20));
    assert_eq!(p.sent(0, "200 UPDATE").len(), 1);
    assert_eq!(p.state(0), SessionState::Connected);
    // A refused one leaves the session as it was.
    let mut update = in_dialog(&mut p, 1, Method::Update);
    update.set_body(Some("application/sdp"), Bytes::from_static(b"bad"));
    send_raw(&mut p, 1, update);
    p.act(0, |s, now, _| s.reject_proposal(now, 488).unwrap());
    assert_eq!(p.sent(0, "488 UPDATE").len(), 1);
    assert_eq!(p.state(0), SessionState::Connected);
}

#[test]
fn an_update_without_an_offer_refreshes_the_session_at_once() {
    let mut p = timed(
        Some(SessionTimerConfig::default()),
        Some(SessionTimerConfig::default()),
    );
    let before = p.events(1).len();
    let mut update = in_dialog(&mut p, 0, Method::Update);
    update
        .headers_mut()
        .push_typed(&SessionExpires::new(1200).with_refresher(Refresher::Uac));
    update
        .headers_mut()
        .push_typed(&Supported::new("timer").unwrap());
    send_raw(&mut p, 0, update);
    assert_eq!(p.sent(1, "200 UPDATE").len(), 1);
    assert_eq!(p.events(1).len(), before, "no proposal");
    // The callee now expects the caller's refresh within the new interval.
    assert_eq!(
        p.session(1).session_interval(),
        interval(1200, Originator::Remote)
    );
    let ok = last_sent(&p, 1, Method::Update, Some(200));
    assert_eq!(
        se(&ok),
        Some(SessionExpires::new(1200).with_refresher(Refresher::Uac))
    );
}

#[test]
fn an_update_before_the_ack_and_in_dialog_options_are_answered() {
    // Every ACK is lost: the callee stays Connecting.
    let mut p = Pair::with_drop(
        Some("offer"),
        Box::new(|_, m| matches!(m, Message::Request(r) if *r.method() == Method::Ack)),
    );
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.state(1), SessionState::Connecting);
    let mut update = in_dialog(&mut p, 0, Method::Update);
    update.set_body(Some("application/sdp"), Bytes::from_static(b"early-update"));
    send_raw(&mut p, 0, update);
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::GotProposal {
            offer: sdp("early-update")
        })
    );
    p.act(1, |s, now, _| s.accept_proposal(now, sdp("ok")).unwrap());
    assert_eq!(p.sent(1, "200 UPDATE").len(), 1);
    let options = in_dialog(&mut p, 0, Method::Options);
    send_raw(&mut p, 0, options);
    let ok = last_sent(&p, 1, Method::Options, Some(200));
    assert!(ok
        .headers()
        .get(crate::sip::headers::HeaderName::Allow)
        .unwrap()
        .contains("REFER"));
    // Our INVITE lists what we take, too.
    let invite = last_sent(&p, 0, Method::Invite, None);
    assert_eq!(
        invite.headers().get(crate::sip::headers::HeaderName::Allow),
        Some("INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY")
    );
}

#[test]
fn a_proposal_during_a_refresh_in_flight_follows_its_answer() {
    let c = Some(SessionTimerConfig::new(300, 90));
    let mut p = timed(c, c);
    // The first 2xx of the refresh (CSeq 2) is lost: the refresh stays in flight for T1.
    let mut lost = false;
    p.drop = Box::new(move |i, m| {
        let first = i == 1
            && !lost
            && matches!(m, Message::Response(r)
                if r.status().code() == 200
                    && r.headers().single::<Cseq>().is_ok_and(|c| c.seq == 2));
        lost |= first;
        first
    });
    p.run_until(secs(150));
    assert_eq!(p.sent(0, "INVITE 2"), [secs(150)]);
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("video")).unwrap());
    // Queued: nothing new on the wire yet, and one queued proposal at a time.
    assert!(p.sent(0, "INVITE 3").is_empty());
    p.act(0, |s, now, rng| {
        assert!(s.propose(now, rng, sdp("again")).is_err());
    });
    p.run_until(secs(152));
    let events = p.events(0);
    assert_eq!(
        events[events.len() - 2..],
        [
            SessionEvent::DidRefresh {
                answer: sdp("answer")
            },
            SessionEvent::ProposalAccepted {
                answer: sdp("answer")
            },
        ]
    );
    assert_eq!(p.sent(0, "INVITE 3").len(), 1);
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::GotProposal {
            offer: sdp("video")
        })
    );
}

#[test]
fn a_queued_proposal_can_be_cancelled() {
    let c = Some(SessionTimerConfig::new(300, 90));
    let mut p = timed(c, c);
    p.drop = Box::new(|i, m| {
        i == 1
            && matches!(m, Message::Response(r)
                if r.status().code() == 200
                    && r.headers().single::<Cseq>().is_ok_and(|c| c.seq == 2))
    });
    p.run_until(secs(150));
    p.act(0, |s, now, rng| s.propose(now, rng, sdp("video")).unwrap());
    p.act(0, |s, now, _| s.cancel_proposal(now).unwrap());
    assert_eq!(p.events(0).last(), Some(&terminated_487()));
    p.drop = Box::new(|_, _| false);
    p.run_until(secs(160));
    assert!(p.sent(0, "INVITE 3").is_empty(), "{:?}", p.wire);
}

#[test]
fn a_focus_says_so_in_its_contact_and_the_peer_knows_it() {
    // The caller is the focus: the callee learns it from the INVITE.
    let mut p = Pair::with(
        Some("offer"),
        Box::new(|_, _| false),
        |c| c.focus = true,
        None,
    );
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert!(p.session(1).remote_focus());
    assert!(!p.session(0).remote_focus());
    let invite = last_sent(&p, 0, Method::Invite, None);
    assert!(invite.headers().single::<Contact<'_>>().unwrap().is_focus());

    // The callee is the focus: the caller learns it from the 2xx.
    let mut p = Pair::unsettled(Some("offer"), Box::new(|_, _| false), |_| {}, None, None);
    p.callee_focus = true;
    p.settle();
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert!(p.session(0).remote_focus());
    assert!(!p.session(1).remote_focus());
    let ok = last_sent(&p, 1, Method::Invite, Some(200));
    assert!(ok.headers().single::<Contact<'_>>().unwrap().is_focus());
}

fn reliable_pair(drop: Filter) -> Pair {
    Pair::with(Some("offer"), drop, |c| c.reliable_provisional = true, None)
}

#[test]
fn a_reliable_180_is_acknowledged_with_prack_and_no_longer_resent() {
    let mut p = reliable_pair(Box::new(|_, _| false));
    let invite = last_sent(&p, 0, Method::Invite, None);
    assert_eq!(
        invite
            .headers()
            .get(crate::sip::headers::HeaderName::Supported),
        Some("100rel")
    );
    p.act(1, |s, now, _| s.ring(now).unwrap());
    let ringing = last_sent(&p, 1, Method::Invite, Some(180));
    assert_eq!(
        ringing
            .headers()
            .get(crate::sip::headers::HeaderName::Require),
        Some("100rel")
    );
    assert_eq!(
        ringing.headers().get(crate::sip::headers::HeaderName::RSeq),
        Some("1")
    );
    let prack = last_sent(&p, 0, Method::Prack, None);
    assert_eq!(
        prack.headers().get(crate::sip::headers::HeaderName::RAck),
        Some("1 1 INVITE")
    );
    assert_eq!(p.sent(1, "200 PRACK").len(), 1);
    assert_eq!(p.session(1).next_timer(), None);
    p.run_until(secs(5));
    assert_eq!(p.sent(1, "180 INVITE").len(), 1);
    assert!(p.events(0).contains(&SessionEvent::GotRingIndication));
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
}

#[test]
fn without_prack_the_callee_resends_the_180_then_refuses_with_500() {
    let mut p = reliable_pair(Box::new(
        |_, m| matches!(m, Message::Request(r) if *r.method() == Method::Prack),
    ));
    p.act(1, |s, now, _| s.ring(now).unwrap());
    p.run_until(secs(40));
    // At 0, T1, 3·T1, 7·T1, then every T2 (4 s) until 64·T1 = 32 s.
    let ms = |v: &[u64]| {
        v.iter()
            .map(|m| Duration::from_millis(*m))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        p.sent(1, "180 INVITE"),
        ms(&[0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
    );
    assert_eq!(p.sent(1, "500 INVITE"), [secs(32)]);
    assert_eq!(
        p.events(1).last(),
        Some(&SessionEvent::DidFail {
            originator: Originator::Local,
            code: 500,
            reason: "no PRACK".to_owned()
        })
    );
    assert_eq!(p.state(0), SessionState::Terminated);
}

#[test]
fn an_answer_in_a_reliable_183_completes_the_offer_answer_early() {
    let mut p = reliable_pair(Box::new(|_, _| false));
    // The callee sends a reliable 183 with its answer (early media), as a UAS may.
    let now = p.now;
    let side = &mut p.sides[1];
    let s = side.session.as_mut().unwrap();
    let tx = s.invite_server_tx.unwrap();
    let progress = StatusCode::new(183).unwrap();
    let dialog = Dialog::uas(&s.invite, &s.response(progress, None)).unwrap();
    s.set_dialog(dialog);
    let mut early = s.response(progress, sdp("early-answer"));
    early
        .headers_mut()
        .push_typed(&Require::new("100rel").unwrap());
    early
        .headers_mut()
        .set_typed(&crate::sip::headers::RSeq::new(7).unwrap());
    side.endpoint.respond(now, tx, &early).unwrap();
    p.settle();
    assert!(p.events(0).contains(&SessionEvent::GotAnswer {
        answer: Bytes::from_static(b"early-answer")
    }));
    let prack = last_sent(&p, 0, Method::Prack, None);
    assert_eq!(
        prack.headers().get(crate::sip::headers::HeaderName::RAck),
        Some("7 1 INVITE")
    );
    // A retransmission of the 183 is not acknowledged again; nor is one out of order.
    let now = p.now;
    let side = &mut p.sides[1];
    side.endpoint.respond(now, tx, &early).unwrap();
    p.settle();
    assert_eq!(p.sent(0, "PRACK 2").len(), 1);
    assert!(p.sent(0, "PRACK 3").is_empty());
    // The 2xx repeats the answer: it is not reported twice.
    p.act(1, |s, now, _| s.accept(now, sdp("early-answer")).unwrap());
    let answers = p
        .events(0)
        .iter()
        .filter(|e| matches!(e, SessionEvent::GotAnswer { .. }))
        .count();
    assert_eq!(answers, 1);
    assert_eq!(p.state(0), SessionState::Connected);
}

#[test]
fn a_prack_crossing_the_2xx_is_still_acknowledged() {
    let mut p = reliable_pair(Box::new(|_, _| false));
    p.act(1, |s, now, _| {
        s.ring(now).unwrap();
        s.accept(now, sdp("answer")).unwrap();
    });
    assert_eq!(p.sent(0, "PRACK 2").len(), 1);
    assert_eq!(p.sent(1, "200 PRACK").len(), 1);
    assert_eq!(p.state(0), SessionState::Connected);
    // A second PRACK for it finds nothing to acknowledge.
    let mut again = in_dialog(&mut p, 0, Method::Prack);
    again
        .headers_mut()
        .set_typed(&crate::sip::headers::RAck::new(1, 1, Method::Invite));
    send_raw(&mut p, 0, again);
    assert_eq!(p.sent(1, "481 PRACK").len(), 1);
}

#[test]
fn a_long_call_keeps_its_transaction_list_short() {
    // Refreshes every 45 s for two hours: 160 re-INVITEs, plus some REFERs.
    let c = Some(SessionTimerConfig::new(90, 90));
    let mut p = timed(c, c);
    p.run_until(secs(7200));
    assert!(
        p.sent(0, "INVITE 160").len() == 1,
        "{:?}",
        &p.wire[p.wire.len() - 3..]
    );
    assert!(
        p.session(0).txs.len() <= KEPT_ACKS + 1,
        "{}",
        p.session(0).txs.len()
    );
    assert_eq!(p.state(0), SessionState::Connected);
}

#[test]
fn early_media_in_a_reliable_183_holds_the_2xx_until_its_prack() {
    // The first PRACK is lost: the caller's transaction sends it again after T1.
    let mut lost = false;
    let mut p = reliable_pair(Box::new(move |_, m| {
        let prack = matches!(m, Message::Request(r) if *r.method() == Method::Prack);
        let drop = prack && !lost;
        lost |= prack;
        drop
    }));
    p.act(1, |s, now, _| {
        s.progress(now, Bytes::from_static(b"early")).unwrap()
    });
    assert!(p.events(0).contains(&SessionEvent::GotAnswer {
        answer: Bytes::from_static(b"early")
    }));
    let progress = last_sent(&p, 1, Method::Invite, Some(183));
    assert_eq!(&progress.body()[..], b"early");
    p.act(1, |s, now, _| s.accept(now, sdp("early")).unwrap());
    assert!(
        p.sent(1, "200 INVITE").is_empty(),
        "the 2xx waits for the PRACK"
    );
    p.run_until(Duration::from_millis(600));
    assert_eq!(p.sent(1, "200 PRACK").len(), 1);
    assert_eq!(p.sent(1, "200 INVITE").len(), 1);
    assert_eq!(p.state(0), SessionState::Connected);
    assert_eq!(p.state(1), SessionState::Connected);
    let answers = p
        .events(0)
        .iter()
        .filter(|e| matches!(e, SessionEvent::GotAnswer { .. }))
        .count();
    assert_eq!(answers, 1);

    // Without 100rel, the 183 goes once, unreliably, and the 2xx does not wait.
    let mut p = Pair::new(Some("offer"));
    p.act(1, |s, now, _| {
        s.progress(now, Bytes::from_static(b"early")).unwrap()
    });
    assert_eq!(
        last_sent(&p, 1, Method::Invite, Some(183))
            .headers()
            .get(crate::sip::headers::HeaderName::RSeq),
        None
    );
    p.act(1, |s, now, _| s.accept(now, sdp("answer")).unwrap());
    assert_eq!(p.state(0), SessionState::Connected);
}
