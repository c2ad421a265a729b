//! Three-party call control between simulated user agents over a jittery network that loses,
//! duplicates and reorders datagrams, each over 200 seeds:
//!
//! - a blind transfer (A calls B, refers B to C, B calls C): the transferor learns the
//!   outcome once, after the acceptance, and hangs up; the transferee ends up talking to the
//!   target, whose call names the transferor in Referred-By;
//! - an attended transfer (A talks to B and to C, refers B to C with Replaces naming the
//!   A–C dialog): the target takes B's call in place of A's and ends A's, every old call ends
//!   exactly once on each side, and B ends up talking to C;
//! - a transfer whose replaced call has already ended: the target refuses B's INVITE with 603
//!   and the transferor learns of the failure once, its call going on;
//! - a conference (A calls a focus F, asks it to add P, then to remove P with
//!   `method=BYE`): A sees the focus, each request succeeds once, P's call is ended by the
//!   focus before A learns of the removal, and A stays in the conference;
//! - the removal of a participant the focus does not have: refused with 404, once.
//!
//! Whatever the network does, final outcomes are exact; progress (which a later NOTIFY may
//! overtake) is reported at most once per status and never after the outcome.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::invite::{Originator, SessionEvent, SessionState};
use sipsimple_proto::sip::headers::{ReferredBy, Replaces};
use sipsimple_tests::agent::{After, Agent, Behaviour, Cmd};
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::Simulation;

const A: &str = "192.0.2.1:5060";
const B: &str = "192.0.2.2:5060";
const C: &str = "192.0.2.3:5060";
const SEEDS: u64 = 200;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn call(user: &str, at: &str) -> Cmd {
    Cmd::Call {
        user: user.to_owned(),
        addr: addr(at),
    }
}

/// One agent of a scenario: its name, address, behaviour and script.
type Spec = (
    &'static str,
    &'static str,
    Behaviour,
    Vec<(After, Duration, Cmd)>,
);

/// The agents on the lossy network for 30 s of virtual time.
fn run(seed: u64, agents: Vec<Spec>) -> Simulation<Agent> {
    let t0 = origin();
    let mut sim = Simulation::new(
        t0,
        NetConfig {
            latency: ms(20),
            jitter: ms(80),
            loss: 0.1,
            duplicate: 0.1,
            ..NetConfig::default()
        },
        seed,
    );
    for (k, (name, at, behaviour, script)) in agents.into_iter().enumerate() {
        sim.add(Agent::new(
            t0,
            name,
            addr(at),
            seed * 8 + k as u64,
            behaviour,
            script,
        ));
    }
    sim.run_for(Duration::from_secs(30));
    sim
}

fn count(events: &[SessionEvent], f: impl Fn(&SessionEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

/// How session `i` of `agent` ended (or failed): each entry is one report.
fn ends(agent: &Agent, i: usize) -> Vec<Originator> {
    agent
        .events_of(i)
        .iter()
        .filter_map(|e| match e {
            SessionEvent::DidEnd { originator, .. } | SessionEvent::DidFail { originator, .. } => {
                Some(*originator)
            }
            _ => None,
        })
        .collect()
}

/// The transfer outcomes of session `i`: acceptances and final results, in order.
fn outcomes(agent: &Agent, i: usize) -> Vec<SessionEvent> {
    agent
        .events_of(i)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                SessionEvent::ReferAccepted
                    | SessionEvent::ReferSucceeded { .. }
                    | SessionEvent::ReferFailed { .. }
            )
        })
        .collect()
}

/// The progress statuses session `i` reported, in order.
fn progress(agent: &Agent, i: usize) -> Vec<u16> {
    agent
        .events_of(i)
        .iter()
        .filter_map(|e| match e {
            SessionEvent::ReferProgress { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

fn succeeded() -> SessionEvent {
    SessionEvent::ReferSucceeded {
        code: 200,
        reason: "OK".to_owned(),
    }
}

/// Progress of session `i`'s one transfer: statuses of the referred call at most once each,
/// all before the outcome.
fn assert_progress(agent: &Agent, i: usize, seed: u64) {
    let codes = progress(agent, i);
    for (k, code) in codes.iter().enumerate() {
        assert!(
            [100, 180].contains(code) && !codes[..k].contains(code),
            "seed {seed}: {codes:?}"
        );
    }
    let events = agent.events_of(i);
    if let Some(done) = events.iter().position(|e| *e == succeeded()) {
        assert!(
            events[done..]
                .iter()
                .all(|e| !matches!(e, SessionEvent::ReferProgress { .. })),
            "seed {seed}: {events:?}"
        );
    }
}

/// The user of the peer's URI in session `i`'s dialog.
fn remote_user(agent: &Agent, i: usize) -> Option<String> {
    agent
        .session(i)
        .and_then(|s| s.dialog())
        .and_then(|d| d.remote().uri().user().map(str::to_owned))
}

/// The user named by the Referred-By of session `i`'s INVITE.
fn referred_by_user(agent: &Agent, i: usize) -> Option<String> {
    let s = agent.session(i)?;
    let by = s.invite().headers().single::<ReferredBy<'_>>().ok()?;
    by.uri().user().map(str::to_owned)
}

#[test]
fn a_blind_transfer_connects_the_transferee_to_the_target() {
    let mut rang = 0;
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![
                (
                    "a",
                    A,
                    Behaviour::default(),
                    vec![
                        (After::Start, Duration::ZERO, call("b", B)),
                        (
                            After::Started(0),
                            ms(500),
                            Cmd::Refer(0, format!("sip:c@{C}")),
                        ),
                        (After::ReferSucceeded(0), ms(200), Cmd::End(0)),
                    ],
                ),
                ("b", B, Behaviour::default(), Vec::new()),
                ("c", C, Behaviour::default(), Vec::new()),
            ],
        );
        let [a, b, c] = &sim.nodes[..] else {
            unreachable!()
        };
        let a_events = a.events_of(0);
        assert!(a.dropped.is_empty(), "seed {seed}: {:?}", a.dropped);
        assert_eq!(a.calls.len(), 1, "seed {seed}");
        assert_eq!(a.live(), 0, "seed {seed}: {a_events:?}");
        assert_eq!(
            outcomes(a, 0),
            [SessionEvent::ReferAccepted, succeeded()],
            "seed {seed}: {a_events:?}"
        );
        assert_progress(a, 0, seed);
        assert_eq!(ends(a, 0), [Originator::Local], "seed {seed}");

        // The transferee: its call with A ended by A, its call with C up.
        assert_eq!(b.calls.len(), 2, "seed {seed}");
        let refers: Vec<String> = b
            .events_of(0)
            .iter()
            .filter_map(|e| match e {
                SessionEvent::GotRefer { refer_to, .. } => Some(refer_to.uri().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(refers, [format!("sip:c@{C}")], "seed {seed}");
        assert_eq!(ends(b, 0), [Originator::Remote], "seed {seed}");
        assert_eq!(b.state(1), Some(SessionState::Connected), "seed {seed}");
        assert!(ends(b, 1).is_empty(), "seed {seed}");

        // The target: one call, from B, referred by A.
        assert_eq!(c.calls.len(), 1, "seed {seed}");
        assert_eq!(c.state(0), Some(SessionState::Connected), "seed {seed}");
        assert_eq!(remote_user(c, 0).as_deref(), Some("b"), "seed {seed}");
        assert_eq!(referred_by_user(c, 0).as_deref(), Some("a"), "seed {seed}");
        assert_eq!(
            count(&c.events_of(0), |e| *e == SessionEvent::DidStart),
            1,
            "seed {seed}"
        );
        rang += usize::from(progress(a, 0).contains(&180));
    }
    eprintln!("the transferor saw the target ring: {rang} of {SEEDS}");
    assert!(rang > SEEDS as usize / 2, "{rang}");
}

#[test]
fn an_attended_transfer_replaces_the_consultation_call() {
    let mut bye_first = 0;
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![
                (
                    "a",
                    A,
                    Behaviour::default(),
                    vec![
                        (After::Start, Duration::ZERO, call("b", B)),
                        (After::Started(0), ms(500), call("c", C)),
                        (
                            After::Started(1),
                            ms(1000),
                            Cmd::ReferWithReplaces {
                                session: 0,
                                target: 1,
                            },
                        ),
                        (After::ReferSucceeded(0), ms(200), Cmd::End(0)),
                    ],
                ),
                ("b", B, Behaviour::default(), Vec::new()),
                ("c", C, Behaviour::default(), Vec::new()),
            ],
        );
        let [a, b, c] = &sim.nodes[..] else {
            unreachable!()
        };
        let a_events = a.events_of(0);
        assert!(a.dropped.is_empty(), "seed {seed}: {:?}", a.dropped);
        assert_eq!(a.calls.len(), 2, "seed {seed}");
        assert_eq!(a.live(), 0, "seed {seed}");
        assert_eq!(
            outcomes(a, 0),
            [SessionEvent::ReferAccepted, succeeded()],
            "seed {seed}: {a_events:?}"
        );
        assert_progress(a, 0, seed);
        // A hangs up on B; C hangs up on A.
        assert_eq!(ends(a, 0), [Originator::Local], "seed {seed}");
        assert_eq!(ends(a, 1), [Originator::Remote], "seed {seed}");

        // The transferee called C with the Replaces naming the A–C dialog as C sees it.
        assert_eq!(b.calls.len(), 2, "seed {seed}");
        assert_eq!(ends(b, 0), [Originator::Remote], "seed {seed}");
        assert_eq!(b.state(1), Some(SessionState::Connected), "seed {seed}");
        assert!(ends(b, 1).is_empty(), "seed {seed}");
        let c_dialog = c.session(0).and_then(|s| s.dialog()).expect("A–C dialog");
        let expected = Replaces::new(
            c_dialog.id().call_id(),
            c_dialog.id().local_tag(),
            c_dialog.id().remote_tag(),
        )
        .unwrap();
        let sent = b
            .session(1)
            .and_then(|s| s.invite().headers().single::<Replaces<'_>>().ok())
            .map(Replaces::into_owned);
        assert_eq!(sent, Some(expected), "seed {seed}");

        // The target took B's call in place of A's, and ended A's once B's started.
        assert_eq!(c.calls.len(), 2, "seed {seed}");
        assert_eq!(c.calls[1].replaces, Some(0), "seed {seed}");
        assert_eq!(ends(c, 0), [Originator::Local], "seed {seed}");
        assert_eq!(c.state(1), Some(SessionState::Connected), "seed {seed}");
        assert!(ends(c, 1).is_empty(), "seed {seed}");
        assert_eq!(remote_user(c, 1).as_deref(), Some("b"), "seed {seed}");
        assert_eq!(referred_by_user(c, 1).as_deref(), Some("a"), "seed {seed}");
        let started = c.time_of(1, |e| *e == SessionEvent::DidStart).unwrap();
        let ended = c
            .time_of(0, |e| matches!(e, SessionEvent::DidEnd { .. }))
            .unwrap();
        assert!(started <= ended, "seed {seed}");

        // Which of C's BYE and B's final NOTIFY reached A first varies with the network.
        let a_c_gone = a
            .time_of(1, |e| matches!(e, SessionEvent::DidEnd { .. }))
            .unwrap();
        let done = a.time_of(0, |e| *e == succeeded()).unwrap();
        bye_first += usize::from(a_c_gone < done);
    }
    eprintln!("the replaced call ended at A before the transfer succeeded: {bye_first} of {SEEDS}");
    assert!(bye_first > 0 && bye_first < SEEDS as usize, "{bye_first}");
}

#[test]
fn a_transfer_replacing_an_ended_call_fails_once() {
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![
                (
                    "a",
                    A,
                    Behaviour::default(),
                    vec![
                        (After::Start, Duration::ZERO, call("b", B)),
                        (After::Started(0), ms(500), call("c", C)),
                        (After::Started(1), ms(500), Cmd::End(1)),
                        (
                            After::Ended(1),
                            ms(500),
                            Cmd::ReferWithReplaces {
                                session: 0,
                                target: 1,
                            },
                        ),
                    ],
                ),
                ("b", B, Behaviour::default(), Vec::new()),
                ("c", C, Behaviour::default(), Vec::new()),
            ],
        );
        let [a, b, c] = &sim.nodes[..] else {
            unreachable!()
        };
        assert!(a.dropped.is_empty(), "seed {seed}: {:?}", a.dropped);
        assert_eq!(
            outcomes(a, 0),
            [
                SessionEvent::ReferAccepted,
                SessionEvent::ReferFailed {
                    code: 603,
                    reason: "Decline".to_owned()
                }
            ],
            "seed {seed}: {:?}",
            a.events_of(0)
        );
        assert_eq!(a.state(0), Some(SessionState::Connected), "seed {seed}");
        assert_eq!(b.state(0), Some(SessionState::Connected), "seed {seed}");
        assert_eq!(ends(a, 1), [Originator::Local], "seed {seed}");
        assert_eq!(ends(c, 0), [Originator::Remote], "seed {seed}");
        // The INVITE was refused before any session was made at C.
        assert_eq!(c.calls.len(), 1, "seed {seed}");
        // (Again for each copy of the INVITE the network duplicated.)
        assert!(c.count_sent("603") >= 1, "seed {seed}: {:?}", c.sent);
        assert!(
            c.sent
                .iter()
                .all(|(_, to, word)| word != "603" || *to == addr(B)),
            "seed {seed}: {:?}",
            c.sent
        );
        assert_eq!(
            ends(b, 1),
            [Originator::Remote],
            "seed {seed}: {:?}",
            b.events_of(1)
        );
    }
}

const F: &str = "192.0.2.4:5060";
const P: &str = "192.0.2.5:5060";

fn focus() -> Behaviour {
    Behaviour {
        focus: true,
        ..Behaviour::default()
    }
}

#[test]
fn a_focus_adds_then_removes_a_participant() {
    let mut rang = 0;
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![
                (
                    "a",
                    A,
                    Behaviour::default(),
                    vec![
                        (After::Start, Duration::ZERO, call("conf", F)),
                        (
                            After::Started(0),
                            ms(500),
                            Cmd::Refer(0, format!("sip:p@{P}")),
                        ),
                        (
                            After::ReferSucceeded(0),
                            ms(2000),
                            Cmd::Refer(0, format!("sip:p@{P};method=BYE")),
                        ),
                    ],
                ),
                ("conf", F, focus(), Vec::new()),
                ("p", P, Behaviour::default(), Vec::new()),
            ],
        );
        let [a, f, p] = &sim.nodes[..] else {
            unreachable!()
        };
        let a_events = a.events_of(0);
        assert!(a.dropped.is_empty(), "seed {seed}: {:?}", a.dropped);
        assert!(a.session(0).unwrap().remote_focus(), "seed {seed}");
        assert_eq!(a.state(0), Some(SessionState::Connected), "seed {seed}");
        assert_eq!(
            outcomes(a, 0),
            [
                SessionEvent::ReferAccepted,
                succeeded(),
                SessionEvent::ReferAccepted,
                succeeded()
            ],
            "seed {seed}: {a_events:?}"
        );
        // Each REFER reports its own progress, once per status and before its outcome: the
        // addition 100 and the new participant's 180, the removal its 100 only.
        let first = a_events.iter().position(|e| *e == succeeded()).unwrap();
        let codes = |events: &[SessionEvent]| -> Vec<u16> {
            events
                .iter()
                .filter_map(|e| match e {
                    SessionEvent::ReferProgress { code, .. } => Some(*code),
                    _ => None,
                })
                .collect()
        };
        let added = codes(&a_events[..first]);
        for (k, code) in added.iter().enumerate() {
            assert!(
                [100, 180].contains(code) && !added[..k].contains(code),
                "seed {seed}: {added:?}"
            );
        }
        let last = a_events.iter().rposition(|e| *e == succeeded()).unwrap();
        let removed = codes(&a_events[first..last]);
        assert!(
            removed.is_empty() || removed == [100],
            "seed {seed}: {removed:?}"
        );
        assert!(codes(&a_events[last..]).is_empty(), "seed {seed}");

        // The focus: A's call up, its call with P started then ended by itself.
        assert_eq!(f.calls.len(), 2, "seed {seed}");
        assert_eq!(f.state(0), Some(SessionState::Connected), "seed {seed}");
        assert_eq!(
            count(&f.events_of(0), |e| matches!(
                e,
                SessionEvent::GotRefer { .. }
            )),
            2,
            "seed {seed}"
        );
        assert_eq!(f.calls[1].removal_for, Some(0), "seed {seed}");
        assert_eq!(
            count(&f.events_of(1), |e| *e == SessionEvent::DidStart),
            1,
            "seed {seed}"
        );
        assert_eq!(ends(f, 1), [Originator::Local], "seed {seed}");

        // The participant saw a focus, and was hung up on before A learnt of it.
        assert_eq!(p.calls.len(), 1, "seed {seed}");
        assert!(p.session(0).unwrap().remote_focus(), "seed {seed}");
        assert_eq!(ends(p, 0), [Originator::Remote], "seed {seed}");
        assert_eq!(p.state(0), Some(SessionState::Terminated), "seed {seed}");
        assert_eq!(referred_by_user(p, 0).as_deref(), Some("a"), "seed {seed}");
        let hung_up = p
            .time_of(0, |e| matches!(e, SessionEvent::DidEnd { .. }))
            .unwrap();
        let told = a
            .events
            .iter()
            .filter(|(_, i, e)| *i == 0 && *e == succeeded())
            .map(|(t, ..)| *t)
            .nth(1)
            .unwrap();
        assert!(hung_up < told, "seed {seed}");
        rang += usize::from(added.contains(&180));
    }
    eprintln!("A saw the new participant ring: {rang} of {SEEDS}");
    assert!(rang > SEEDS as usize / 2, "{rang}");
}

#[test]
fn removing_an_absent_participant_is_refused_once() {
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![
                (
                    "a",
                    A,
                    Behaviour::default(),
                    vec![
                        (After::Start, Duration::ZERO, call("conf", F)),
                        (
                            After::Started(0),
                            ms(500),
                            Cmd::Refer(0, format!("sip:p@{P};method=BYE")),
                        ),
                    ],
                ),
                ("conf", F, focus(), Vec::new()),
            ],
        );
        let [a, f] = &sim.nodes[..] else {
            unreachable!()
        };
        assert_eq!(
            outcomes(a, 0),
            [SessionEvent::ReferFailed {
                code: 404,
                reason: "Not Found".to_owned()
            }],
            "seed {seed}: {:?}",
            a.events_of(0)
        );
        assert_eq!(a.state(0), Some(SessionState::Connected), "seed {seed}");
        assert_eq!(f.calls.len(), 1, "seed {seed}");
        assert_eq!(f.state(0), Some(SessionState::Connected), "seed {seed}");
    }
}
