//! Glare (RFC 3261 §14.1): both phones of a call send a re-INVITE at the same instant. Each
//! answers the other's with 491 while its own is pending; each retries after its randomized
//! back-off (2.1–4 s for the caller, which owns the Call-ID; 0–2 s for the callee), so the
//! callee's goes first and is accepted, then the caller's. Both sessions end up agreeing that
//! both proposals were accepted, and the call then ends normally. Over a jittery network
//! that loses, duplicates and reorders datagrams, and 200 seeds; a seed replays exactly.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sipsimple_proto::invite::{Originator, SessionEvent, SessionState};
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

fn run(seed: u64) -> Simulation<Phone> {
    let net = NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        loss: 0.1,
        duplicate: 0.1,
        ..NetConfig::default()
    };
    let t0 = origin();
    let mut sim = Simulation::new(t0, net, seed);
    let at = Duration::from_secs(15);
    sim.add(Phone::new(
        t0,
        addr(CALLER),
        addr(CALLEE),
        seed * 2,
        vec![
            (After::Start, Duration::ZERO, Cmd::Call),
            (After::Start, at, Cmd::Propose("from-caller")),
            (After::Start, Duration::from_secs(40), Cmd::End),
        ],
    ));
    sim.add(Phone::new(
        t0,
        addr(CALLEE),
        addr(CALLER),
        seed * 2 + 1,
        vec![
            (After::Incoming, Duration::from_millis(200), Cmd::Accept),
            (After::Start, at, Cmd::Propose("from-callee")),
        ],
    ));
    sim.run_for(Duration::from_secs(120));
    sim
}

fn retries(p: &Phone) -> Vec<Duration> {
    p.event_list()
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::ProposalWillRetry { after } => Some(after),
            _ => None,
        })
        .collect()
}

#[test]
fn simultaneous_reinvites_are_resolved_over_200_seeds() {
    let (mut both_491, mut one_491) = (0, 0);
    for seed in 0..SEEDS {
        let sim = run(seed);
        let offers = ["from-caller", "from-callee"];
        for (i, phone) in sim.nodes.iter().enumerate() {
            let events = phone.event_list();
            let count = |e: &SessionEvent| events.iter().filter(|x| *x == e).count();
            // Our proposal accepted once, the peer's received once: both sides agree.
            assert_eq!(
                count(&SessionEvent::ProposalAccepted {
                    answer: Some(Bytes::from_static(b"ok"))
                }),
                1,
                "seed {seed} side {i}: {events:?}"
            );
            assert_eq!(
                count(&SessionEvent::GotProposal {
                    offer: Some(Bytes::from_static(offers[1 - i].as_bytes()))
                }),
                1,
                "seed {seed} side {i}: {events:?}"
            );
            assert!(
                !events
                    .iter()
                    .any(|e| matches!(e, SessionEvent::ProposalRejected { .. })),
                "seed {seed} side {i}: {events:?}"
            );
            // §14.1 back-off ranges.
            for after in retries(phone) {
                let range = if i == 0 {
                    Duration::from_millis(2100)..=Duration::from_secs(4)
                } else {
                    Duration::ZERO..=Duration::from_secs(2)
                };
                assert!(range.contains(&after), "seed {seed} side {i}: {after:?}");
            }
            assert_eq!(phone.state(), Some(SessionState::Terminated), "seed {seed}");
            let originator = if i == 0 {
                Originator::Local
            } else {
                Originator::Remote
            };
            assert_eq!(
                events.last(),
                Some(&SessionEvent::DidEnd {
                    originator,
                    reason: "Call completed".to_owned()
                }),
                "seed {seed} side {i}"
            );
        }
        let glared = sim.nodes.iter().filter(|p| !retries(p).is_empty()).count();
        both_491 += usize::from(glared == 2);
        one_491 += usize::from(glared == 1);
    }
    eprintln!("491 on both sides: {both_491}, on one side (a re-INVITE lost): {one_491}");
    assert!(both_491 > SEEDS as usize / 2, "{both_491}");
}

#[test]
fn a_seed_replays_exactly() {
    let outcome = |sim: &Simulation<Phone>| {
        let mut out = format!("{sim:?}");
        for p in &sim.nodes {
            out += &format!(" {:?} {:?}", p.events, p.sent);
        }
        out
    };
    for seed in 0..SEEDS {
        assert_eq!(outcome(&run(seed)), outcome(&run(seed)), "seed {seed}");
    }
}
