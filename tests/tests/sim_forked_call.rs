//! A forked call at the session level (§13.2.2.4): the caller's INVITE reaches two phones
//! through a forking proxy; both ring and both answer. The caller's session starts once,
//! with the first 2xx, acknowledges every 2xx and ends the other fork's dialog with BYE; the
//! losing phone's call ends right away, the winner's when the caller hangs up. Over a jittery
//! network that loses, duplicates and reorders datagrams, and 200 seeds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::invite::{Originator, SessionEvent, SessionState};
use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_tests::forker::Forker;
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::phone::{After, Cmd, Phone};
use sipsimple_tests::sim::{Node, Simulation};

const CALLER: &str = "192.0.2.1:5060";
const PROXY: &str = "192.0.2.10:5060";
const PHONES: [&str; 2] = ["192.0.2.2:5060", "192.0.2.3:5060"];
const HANG_UP: Duration = Duration::from_secs(20);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

/// A phone, or the proxy.
enum Host {
    Phone(Box<Phone>),
    Proxy(Box<Forker>),
}

impl Host {
    fn phone(&self) -> &Phone {
        match self {
            Self::Phone(p) => p,
            Self::Proxy(_) => panic!("the proxy is no phone"),
        }
    }
}

impl Node for Host {
    fn addr(&self) -> SocketAddr {
        match self {
            Self::Phone(p) => p.addr(),
            Self::Proxy(p) => p.addr(),
        }
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        match self {
            Self::Phone(p) => p.handle_datagram(now, from, data),
            Self::Proxy(p) => p.handle_datagram(now, from, data),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Self::Phone(p) => p.handle_timeout(now),
            Self::Proxy(p) => p.handle_timeout(now),
        }
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        match self {
            Self::Phone(p) => p.poll_transmit(),
            Self::Proxy(p) => p.poll_transmit(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Phone(p) => p.poll_timeout(),
            Self::Proxy(p) => p.poll_timeout(),
        }
    }
}

fn run(seed: u64) -> Simulation<Host> {
    let net = NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        loss: 0.1,
        duplicate: 0.1,
        ..NetConfig::default()
    };
    let t0 = origin();
    let mut rng = SeededRandom::new(seed);
    let mut sim = Simulation::new(t0, net, seed);
    sim.add(Host::Phone(Box::new(Phone::new(
        t0,
        addr(CALLER),
        addr(PROXY),
        seed * 4,
        vec![
            (After::Start, Duration::ZERO, Cmd::Call),
            (After::Started, HANG_UP, Cmd::End),
        ],
    ))));
    sim.add(Host::Proxy(Box::new(Forker::new(
        addr(PROXY),
        PHONES.iter().map(|p| addr(p)).collect(),
        seed * 4 + 1,
    ))));
    for (i, phone) in PHONES.iter().enumerate() {
        let answer_after = Duration::from_millis(200 + rng.next_u64() % 400);
        sim.add(Host::Phone(Box::new(Phone::new(
            t0,
            addr(phone),
            addr(CALLER),
            seed * 4 + 2 + i as u64,
            vec![
                (After::Incoming, Duration::from_millis(100), Cmd::Ring),
                (After::Incoming, answer_after, Cmd::Accept),
            ],
        ))));
    }
    sim.run_for(Duration::from_secs(60));
    sim
}

#[test]
fn a_forked_call_starts_once_and_ends_the_other_fork_over_200_seeds() {
    let mut two_early = 0;
    for seed in 0..200u64 {
        let sim = run(seed);
        let caller = sim.nodes[0].phone();
        let events = caller.event_list();
        let starts = events
            .iter()
            .filter(|e| **e == SessionEvent::DidStart)
            .count();
        assert_eq!(starts, 1, "seed {seed}: {events:?}");
        assert_eq!(
            events.last(),
            Some(&SessionEvent::DidEnd {
                originator: Originator::Local,
                reason: "Call completed".to_owned()
            }),
            "seed {seed}"
        );
        // The losing fork's dialog was ended by BYE soon after its 2xx, the winner's when
        // the caller hung up.
        let mut ends: Vec<Duration> = sim.nodes[2..]
            .iter()
            .map(|n| {
                let phone = n.phone();
                assert_eq!(phone.state(), Some(SessionState::Terminated), "seed {seed}");
                let (at, last) = phone.events.last().cloned().unwrap();
                assert_eq!(
                    last,
                    SessionEvent::DidEnd {
                        originator: Originator::Remote,
                        reason: "Call completed".to_owned()
                    },
                    "seed {seed}"
                );
                at
            })
            .collect();
        ends.sort();
        assert!(ends[0] < HANG_UP, "seed {seed}: {ends:?}");
        assert!(ends[1] >= HANG_UP, "seed {seed}: {ends:?}");
        assert!(caller.count_sent("BYE") >= 2, "seed {seed}");
        // Only the INVITE went through the proxy; the dialogs' requests went end to end.
        let Host::Proxy(proxy) = &sim.nodes[1] else {
            unreachable!("the proxy is the second node")
        };
        assert_eq!(proxy.strays, 0, "seed {seed}");
        two_early += usize::from(
            events
                .iter()
                .filter(|e| **e == SessionEvent::GotRingIndication)
                .count()
                >= 2,
        );
    }
    eprintln!("rung by both forks before the answer: {two_early} of 200");
    assert!(two_early > 100, "{two_early}");
}
