//! Calls between two phones over a jittery network that loses, duplicates and reorders
//! datagrams, each scenario over 200 seeds: a call hung up by either side, a call refused
//! with 486, a call cancelled before the answer, a call nobody answers (Timer B), and a call
//! whose ACKs are all lost (the callee ends it with BYE and "missing ACK" at 64·T1). Each
//! transaction of a call is reported once, when it completes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::invite::{AckReceived, Originator, SessionEvent, SessionState, MISSING_ACK};
use sipsimple_proto::sip::Method;
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::phone::{After, Cmd, Phone};
use sipsimple_tests::sim::Simulation;

const CALLER: &str = "192.0.2.1:5060";
const CALLEE: &str = "192.0.2.2:5060";
const SEEDS: u64 = 200;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn lossy() -> NetConfig {
    NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        loss: 0.1,
        duplicate: 0.1,
        ..NetConfig::default()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One run: a caller with `caller` and, unless `callee` is `None`, a callee at the address
/// called; `drop_acks` makes the caller's ACKs vanish.
fn run(
    seed: u64,
    caller: Vec<(After, Duration, Cmd)>,
    callee: Option<Vec<(After, Duration, Cmd)>>,
    drop_acks: bool,
) -> Simulation<Phone> {
    let t0 = origin();
    let mut sim = Simulation::new(t0, lossy(), seed);
    let mut a = Phone::new(t0, addr(CALLER), addr(CALLEE), seed * 2, caller);
    a.drop_acks = drop_acks;
    sim.add(a);
    if let Some(script) = callee {
        sim.add(Phone::new(
            t0,
            addr(CALLEE),
            addr(CALLER),
            seed * 2 + 1,
            script,
        ));
    }
    sim.run_for(Duration::from_secs(120));
    sim
}

fn answering() -> Vec<(After, Duration, Cmd)> {
    vec![
        (After::Incoming, ms(100), Cmd::Ring),
        (After::Incoming, ms(300), Cmd::Accept),
    ]
}

fn calling() -> Vec<(After, Duration, Cmd)> {
    vec![(After::Start, Duration::ZERO, Cmd::Call)]
}

fn ended(originator: Originator) -> SessionEvent {
    SessionEvent::DidEnd {
        originator,
        reason: "Call completed".to_owned(),
    }
}

fn processed(originator: Originator, method: Method, ack: Option<AckReceived>) -> SessionEvent {
    SessionEvent::DidProcessTransaction {
        originator,
        method,
        code: 200,
        reason: "OK".to_owned(),
        ack_received: ack,
    }
}

fn check_hangup(hangs_up: usize) {
    let mut late_acks = 0;
    for seed in 0..SEEDS {
        let mut caller = calling();
        let mut callee = answering();
        let script = if hangs_up == 0 {
            &mut caller
        } else {
            &mut callee
        };
        script.push((After::Started, Duration::from_secs(5), Cmd::End));
        let sim = run(seed, caller, Some(callee), false);
        for (i, phone) in sim.nodes.iter().enumerate() {
            let events = phone.event_list();
            assert_eq!(phone.state(), Some(SessionState::Terminated), "seed {seed}");
            assert_eq!(
                events
                    .iter()
                    .filter(|e| **e == SessionEvent::DidStart)
                    .count(),
                1,
                "seed {seed}: {events:?}"
            );
            let originator = if i == hangs_up {
                Originator::Local
            } else {
                Originator::Remote
            };
            assert_eq!(events.last(), Some(&ended(originator)), "seed {seed}");
            // Each side reports the INVITE and the BYE transactions, once each.
            let (invite_by, ack) = if i == 0 {
                (Originator::Local, AckReceived::Unknown)
            } else {
                (Originator::Remote, AckReceived::Yes)
            };
            assert_eq!(
                phone.transactions,
                [
                    processed(invite_by, Method::Invite, Some(ack)),
                    processed(originator, Method::Bye, None),
                ],
                "seed {seed}"
            );
        }
        assert!(
            sim.nodes[0]
                .event_list()
                .contains(&SessionEvent::GotAnswer {
                    answer: bytes::Bytes::from_static(b"answer")
                }),
            "seed {seed}"
        );
        late_acks += usize::from(sim.nodes[0].count_sent("ACK") > 1);
    }
    eprintln!("2xx retransmitted before the ACK came: {late_acks} of {SEEDS}");
    assert!(late_acks > 5, "{late_acks}");
}

#[test]
fn a_call_hung_up_by_the_caller() {
    check_hangup(0);
}

#[test]
fn a_call_hung_up_by_the_callee() {
    check_hangup(1);
}

#[test]
fn a_call_refused_with_486() {
    for seed in 0..SEEDS {
        let callee = vec![(After::Incoming, ms(200), Cmd::Reject(486))];
        let sim = run(seed, calling(), Some(callee), false);
        let fail = |originator| SessionEvent::DidFail {
            originator,
            code: 486,
            reason: "Busy Here".to_owned(),
        };
        assert_eq!(
            sim.nodes[0].event_list().last(),
            Some(&fail(Originator::Remote)),
            "seed {seed}"
        );
        assert_eq!(
            sim.nodes[1].event_list().last(),
            Some(&fail(Originator::Local)),
            "seed {seed}"
        );
        assert!(
            sim.nodes
                .iter()
                .all(|p| p.state() == Some(SessionState::Terminated)),
            "seed {seed}"
        );
    }
}

#[test]
fn a_call_cancelled_before_the_answer() {
    let mut crossed = 0;
    for seed in 0..SEEDS {
        let mut caller = calling();
        caller.push((After::Start, Duration::from_secs(2), Cmd::Cancel));
        let callee = vec![(After::Incoming, Duration::ZERO, Cmd::Ring)];
        let sim = run(seed, caller, Some(callee), false);
        let fail = |originator| SessionEvent::DidFail {
            originator,
            code: 487,
            reason: "cancelled".to_owned(),
        };
        assert_eq!(
            sim.nodes[0].event_list().last(),
            Some(&fail(Originator::Local)),
            "seed {seed}"
        );
        assert_eq!(
            sim.nodes[1].event_list().last(),
            Some(&fail(Originator::Remote)),
            "seed {seed}"
        );
        assert_eq!(sim.nodes[0].count_sent("BYE"), 0, "seed {seed}");
        crossed += usize::from(sim.nodes[0].count_sent("CANCEL") > 1);
    }
    eprintln!("CANCEL retransmitted: {crossed} of {SEEDS}");
}

#[test]
fn a_call_nobody_answers_fails_with_408_at_timer_b() {
    for seed in 0..SEEDS {
        let sim = run(seed, calling(), None, false);
        let (at, event) = sim.nodes[0].events.last().cloned().expect("an event");
        assert_eq!(at, Duration::from_secs(32), "seed {seed}");
        assert_eq!(
            event,
            SessionEvent::DidFail {
                originator: Originator::Local,
                code: 408,
                reason: "Request Timeout".to_owned()
            },
            "seed {seed}"
        );
    }
}

#[test]
fn lost_acks_end_the_call_with_bye_and_missing_ack_at_64_t1() {
    for seed in 0..SEEDS {
        let sim = run(seed, calling(), Some(answering()), true);
        let callee = &sim.nodes[1];
        let incoming = callee.events[0].0;
        let (_, event) = callee.events.last().cloned().unwrap();
        // Accepted 300 ms after the INVITE came; the BYE 64·T1 = 32 s later.
        let bye = callee.sent.iter().find(|(_, w)| w == "BYE").expect("a BYE");
        assert_eq!(
            bye.0,
            incoming + ms(300) + Duration::from_secs(32),
            "seed {seed}"
        );
        assert_eq!(
            event,
            SessionEvent::DidFail {
                originator: Originator::Local,
                code: 408,
                reason: MISSING_ACK.to_owned()
            },
            "seed {seed}"
        );
        // The 200 and its 10 retransmissions (T1, 2·T1 … capped at T2 until 32 s).
        assert_eq!(callee.count_sent("200"), 11, "seed {seed}");
        assert_eq!(
            callee.transactions[0],
            processed(Originator::Remote, Method::Invite, Some(AckReceived::No)),
            "seed {seed}"
        );
        assert_eq!(
            sim.nodes[0].event_list().last(),
            Some(&ended(Originator::Remote)),
            "seed {seed}"
        );
    }
}

/// Everything a run did that depends on the order of events.
fn outcome(sim: &Simulation<Phone>) -> String {
    let mut out = format!("{sim:?}");
    for p in &sim.nodes {
        out += &format!(" {:?} {:?}", p.events, p.sent);
    }
    out
}

#[test]
fn a_seed_replays_exactly() {
    for seed in 0..SEEDS {
        let script = || {
            let mut c = calling();
            c.push((After::Started, Duration::from_secs(5), Cmd::End));
            c
        };
        let a = outcome(&run(seed, script(), Some(answering()), false));
        let b = outcome(&run(seed, script(), Some(answering()), false));
        assert_eq!(a, b, "seed {seed}");
    }
}
