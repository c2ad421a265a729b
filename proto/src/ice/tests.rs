//! Two agents (or an agent and a STUN server) over an in-memory wire with a virtual clock,
//! a fixed latency and seeded loss.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::rand::{Random, SeededRandom};
use crate::stun::{Message, MessageBuilder, MessageType};

const A: &str = "10.0.0.1:1000";
const A2: &str = "10.0.0.1:1001";
const B: &str = "10.0.0.2:2000";
const B2: &str = "10.0.0.2:2001";
const STUN: &str = "192.0.2.100:3478";
const MAPPED: &str = "203.0.113.5:4000";

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

struct Wire {
    t0: Instant,
    now: Instant,
    agents: [IceAgent<SeededRandom>; 2],
    events: [Vec<IceEvent>; 2],
    /// In flight: when, from, to, bytes.
    flight: Vec<(Instant, SocketAddr, SocketAddr, Vec<u8>)>,
    latency: Duration,
    /// Percent of datagrams lost.
    loss: u64,
    rng: SeededRandom,
    /// Addresses whose datagrams vanish (a cut link).
    cut: Vec<SocketAddr>,
    /// A STUN server answering Binding requests with [`MAPPED`].
    server: bool,
    /// Requests the server got.
    server_requests: usize,
}

impl Wire {
    fn new(seed: u64, a: IceConfig, b: IceConfig) -> Self {
        let t0 = origin();
        let agents = [
            IceAgent::new(t0, SeededRandom::new(seed * 2 + 1), a),
            IceAgent::new(t0, SeededRandom::new(seed * 2 + 2), b),
        ];
        Self {
            t0,
            now: t0,
            agents,
            events: [Vec::new(), Vec::new()],
            flight: Vec::new(),
            latency: Duration::from_millis(10),
            loss: 0,
            rng: SeededRandom::new(seed ^ 0x5eed),
            cut: Vec::new(),
            server: false,
            server_requests: 0,
        }
    }

    /// Both agents with one host each per component, gathered, descriptions exchanged.
    fn pair(seed: u64, a: IceConfig, b: IceConfig) -> Self {
        let components = a.components;
        let mut w = Self::new(seed, a, b);
        w.agents[0].add_host(1, sa(A)).unwrap();
        w.agents[1].add_host(1, sa(B)).unwrap();
        if components == 2 {
            w.agents[0].add_host(2, sa(A2)).unwrap();
            w.agents[1].add_host(2, sa(B2)).unwrap();
        }
        w.gather_all();
        w.exchange();
        w
    }

    fn gather_all(&mut self) {
        let now = self.now;
        for a in &mut self.agents {
            a.gather(now);
        }
        self.drain();
    }

    fn exchange(&mut self) {
        let now = self.now;
        let describe = |a: &IceAgent<SeededRandom>| {
            let (u, p) = a.local_credentials();
            (
                u.to_owned(),
                p.to_owned(),
                a.is_lite(),
                a.local_candidates().to_vec(),
            )
        };
        let da = describe(&self.agents[0]);
        let db = describe(&self.agents[1]);
        self.agents[0]
            .set_remote(now, &db.0, &db.1, db.2, db.3)
            .unwrap();
        self.agents[1]
            .set_remote(now, &da.0, &da.1, da.2, da.3)
            .unwrap();
        self.drain();
    }

    fn owner(&self, to: SocketAddr) -> Option<usize> {
        (0..2).find(|&i| {
            self.agents[i]
                .local_candidates()
                .iter()
                .any(|c| c.base == to && c.kind == crate::sdp::CandidateType::Host)
        })
    }

    fn drain(&mut self) {
        for i in 0..2 {
            while let Some(t) = self.agents[i].poll_transmit() {
                let lost = self.loss > 0 && self.rng.next_u64() % 100 < self.loss;
                if !lost && !self.cut.contains(&t.from) && !self.cut.contains(&t.to) {
                    self.flight
                        .push((self.now + self.latency, t.from, t.to, t.payload.to_vec()));
                }
            }
            while let Some(e) = self.agents[i].poll_event() {
                self.events[i].push(e);
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        for round in 0.. {
            assert!(round < 1_000_000, "the agents do not settle");
            self.drain();
            let next_flight = self.flight.iter().map(|f| f.0).min();
            let next = [
                next_flight,
                self.agents[0].poll_timeout(),
                self.agents[1].poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next.filter(|t| *t <= end) else {
                break;
            };
            self.now = self.now.max(next);
            let now = self.now;
            let (due, rest): (Vec<_>, Vec<_>) = self.flight.drain(..).partition(|f| f.0 <= now);
            self.flight = rest;
            for (_, from, to, bytes) in due {
                if self.server && to == sa(STUN) {
                    self.serve(from, &bytes);
                    continue;
                }
                if let Some(i) = self.owner(to) {
                    assert!(self.agents[i].handle_packet(now, to, from, &bytes));
                }
            }
            for a in &mut self.agents {
                if a.poll_timeout().is_some_and(|t| t <= now) {
                    a.handle_timeout(now);
                }
            }
        }
        self.now = end;
    }

    /// The STUN server: a Binding success with [`MAPPED`], back to the sender.
    fn serve(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.server_requests += 1;
        let request = Message::parse(bytes).unwrap();
        let mut out = Vec::new();
        MessageBuilder::response(&mut out, &request, crate::stun::Class::SuccessResponse)
            .xor_mapped_address(sa(MAPPED))
            .fingerprint()
            .finish()
            .unwrap();
        self.flight
            .push((self.now + self.latency, sa(STUN), from, out));
    }

    fn completed(&self, i: usize) -> bool {
        self.agents[i].state() == IceState::Completed
    }

    /// Both agents agree on each component's pair.
    fn assert_same_pairs(&self, components: u16) {
        for c in 1..=components {
            let (al, ar) = self.agents[0].selected(c).expect("A selected");
            let (bl, br) = self.agents[1].selected(c).expect("B selected");
            assert_eq!(al.base, br.address, "component {c}");
            assert_eq!(bl.base, ar.address, "component {c}");
        }
    }
}

#[test]
fn two_agents_complete_on_the_host_pair() {
    let mut w = Wire::pair(
        1,
        IceConfig::new(Role::Controlling, 1),
        IceConfig::new(Role::Controlled, 1),
    );
    w.run_for(Duration::from_secs(2));
    assert!(w.completed(0) && w.completed(1), "{:#?}", w.events);
    w.assert_same_pairs(1);
    let states: Vec<IceState> = w.events[0]
        .iter()
        .filter_map(|e| match e {
            IceEvent::StateChanged(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            IceState::Gathering,
            IceState::Gathered,
            IceState::Checking,
            IceState::Completed
        ]
    );
    let done = w.events[0]
        .iter()
        .find_map(|e| match e {
            IceEvent::Completed { duration, .. } => Some(*duration),
            _ => None,
        })
        .unwrap();
    let chosen = w.events[0]
        .iter()
        .find_map(|e| match e {
            IceEvent::Completed { chosen, .. } => Some(chosen.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(chosen.len(), 1);
    assert_eq!((chosen[0].0.base, chosen[0].1.address), (sa(A), sa(B)));
    // A check and its answer, then the nominating check and its answer: about 4 × 10 ms.
    assert!(done <= Duration::from_millis(100), "{done:?}");
    assert_eq!(
        w.events[0]
            .iter()
            .filter(|e| matches!(e, IceEvent::Selected { .. }))
            .count(),
        1
    );
}

#[test]
fn aggressive_nomination_and_two_components() {
    let mut a = IceConfig::new(Role::Controlling, 2);
    a.nomination = Nomination::Aggressive;
    let mut w = Wire::pair(2, a, IceConfig::new(Role::Controlled, 2));
    w.run_for(Duration::from_secs(2));
    assert!(w.completed(0) && w.completed(1), "{:#?}", w.events);
    w.assert_same_pairs(2);
    assert_eq!(w.agents[0].selected(2).unwrap().0.base, sa(A2));
}

#[test]
fn lossy_links_still_complete_on_the_same_pair() {
    let mut slowest = Duration::ZERO;
    for seed in 0..200 {
        let mut w = Wire::pair(
            seed,
            IceConfig::new(Role::Controlling, 2),
            IceConfig::new(Role::Controlled, 2),
        );
        w.loss = 20;
        w.run_for(Duration::from_secs(20));
        assert!(
            w.completed(0) && w.completed(1),
            "seed {seed}: {:#?}",
            w.events
        );
        w.assert_same_pairs(2);
        let t = w.events[0]
            .iter()
            .find_map(|e| match e {
                IceEvent::Completed { duration, .. } => Some(*duration),
                _ => None,
            })
            .unwrap();
        slowest = slowest.max(t);
        // Consent keeps the pairs alive through the loss.
        w.run_for(Duration::from_secs(60));
        assert!(
            !w.events[0]
                .iter()
                .chain(&w.events[1])
                .any(|e| matches!(e, IceEvent::ConsentLost { .. } | IceEvent::Failed { .. })),
            "seed {seed}"
        );
    }
    eprintln!("slowest completion over 200 seeds at 20 % loss: {slowest:?}");
    assert!(slowest < Duration::from_secs(10), "{slowest:?}");
}

#[test]
fn role_conflicts_are_resolved_by_the_tie_breaker() {
    for (ra, rb) in [
        (Role::Controlling, Role::Controlling),
        (Role::Controlled, Role::Controlled),
    ] {
        for seed in 0..20 {
            let mut w = Wire::pair(seed, IceConfig::new(ra, 1), IceConfig::new(rb, 1));
            w.run_for(Duration::from_secs(5));
            assert!(
                w.completed(0) && w.completed(1),
                "seed {seed}: {:#?}",
                w.events
            );
            assert_ne!(w.agents[0].role(), w.agents[1].role(), "seed {seed}");
            w.assert_same_pairs(1);
            let switched = w
                .events
                .iter()
                .flatten()
                .filter(|e| matches!(e, IceEvent::RoleChanged(_)))
                .count();
            assert!(switched >= 1, "seed {seed}");
        }
    }
}

#[test]
fn a_full_agent_controls_a_lite_peer() {
    let mut lite = IceConfig::new(Role::Controlling, 1);
    lite.lite = true;
    // Told to be controlled, the full agent controls a lite peer (RFC 8445 §6.1.1).
    let mut w = Wire::pair(3, IceConfig::new(Role::Controlled, 1), lite);
    assert_eq!(w.agents[0].role(), Role::Controlling);
    assert_eq!(w.agents[1].role(), Role::Controlled);
    w.loss = 10;
    w.run_for(Duration::from_secs(10));
    assert!(w.completed(0) && w.completed(1), "{:#?}", w.events);
    w.assert_same_pairs(1);
    assert!(w.agents[0].remote_is_lite());
}

#[test]
fn a_peer_reflexive_candidate_is_learnt_from_checks() {
    let mut w = Wire::new(
        4,
        IceConfig::new(Role::Controlling, 1),
        IceConfig::new(Role::Controlled, 1),
    );
    w.agents[0].add_host(1, sa(A)).unwrap();
    w.agents[1].add_host(1, sa(B)).unwrap();
    w.gather_all();
    let now = w.now;
    let (ua, pa) = {
        let (u, p) = w.agents[0].local_credentials();
        (u.to_owned(), p.to_owned())
    };
    let (ub, pb) = {
        let (u, p) = w.agents[1].local_credentials();
        (u.to_owned(), p.to_owned())
    };
    // B says it is somewhere it is not: A learns where it is from B's checks.
    let wrong = Candidate::host(sa("10.0.0.2:9999"), 1, 65535, "1".to_owned());
    w.agents[0]
        .set_remote(now, &ub, &pb, false, vec![wrong])
        .unwrap();
    let a_candidates = w.agents[0].local_candidates().to_vec();
    w.agents[1]
        .set_remote(now, &ua, &pa, false, a_candidates)
        .unwrap();
    w.run_for(Duration::from_secs(5));
    assert!(w.completed(0) && w.completed(1), "{:#?}", w.events);
    let (_, remote) = w.agents[0].selected(1).unwrap();
    assert_eq!(remote.address, sa(B));
    assert_eq!(remote.kind, crate::sdp::CandidateType::PeerReflexive);
}

#[test]
fn server_reflexive_candidates_come_from_the_stun_server() {
    let mut config = IceConfig::new(Role::Controlling, 1);
    config.stun_servers = vec![sa(STUN), sa("[2001:db8::1]:3478")];
    let mut w = Wire::new(5, config, IceConfig::new(Role::Controlled, 1));
    w.server = true;
    w.agents[0].add_host(1, sa(A)).unwrap();
    w.agents[1].add_host(1, sa(B)).unwrap();
    w.gather_all();
    assert_eq!(w.agents[0].state(), IceState::Gathering);
    w.run_for(Duration::from_millis(100));
    assert_eq!(w.agents[0].state(), IceState::Gathered);
    // Only the IPv4 server is asked from an IPv4 base.
    assert_eq!(w.server_requests, 1);
    let srflx = &w.agents[0].local_candidates()[1];
    assert_eq!(srflx.kind, crate::sdp::CandidateType::ServerReflexive);
    assert_eq!(srflx.address, sa(MAPPED));
    assert_eq!(srflx.related, Some(sa(A)));
    assert!(w.events[0].contains(&IceEvent::CandidateGathered(srflx.clone())));
    // Checks still go from the base; the reflexive pair is pruned as redundant.
    w.exchange();
    w.run_for(Duration::from_secs(2));
    assert!(w.completed(0) && w.completed(1));
    assert_eq!(w.agents[0].check_list().unwrap().pairs().len(), 1);
}

#[test]
fn an_unresponsive_server_ends_gathering_after_its_retransmissions() {
    let mut config = IceConfig::new(Role::Controlling, 1);
    config.stun_servers = vec![sa(STUN)];
    let mut w = Wire::new(6, config, IceConfig::new(Role::Controlled, 1));
    w.agents[0].add_host(1, sa(A)).unwrap();
    w.gather_all();
    w.run_for(Duration::from_millis(4900));
    assert_eq!(w.agents[0].state(), IceState::Gathering);
    w.run_for(Duration::from_millis(200));
    assert_eq!(w.agents[0].state(), IceState::Gathered);
    assert_eq!(w.agents[0].local_candidates().len(), 1);
}

#[test]
fn a_dead_peer_fails_the_checks_and_a_silent_one_loses_consent() {
    let mut w = Wire::pair(
        7,
        IceConfig::new(Role::Controlling, 1),
        IceConfig::new(Role::Controlled, 1),
    );
    w.cut = vec![sa(B)];
    w.run_for(Duration::from_secs(60));
    let failed = w.events[0].iter().find_map(|e| match e {
        IceEvent::Failed { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(failed.is_some(), "{:#?}", w.events[0]);
    assert_eq!(w.agents[0].state(), IceState::Failed);

    let mut w = Wire::pair(
        8,
        IceConfig::new(Role::Controlling, 1),
        IceConfig::new(Role::Controlled, 1),
    );
    w.run_for(Duration::from_secs(2));
    assert!(w.completed(0));
    let cut_at = w.now;
    w.cut = vec![sa(B)];
    w.run_for(Duration::from_secs(40));
    let lost = w.events[0]
        .iter()
        .position(|e| *e == IceEvent::ConsentLost { component: 1 })
        .expect("consent lost");
    assert!(w.events[0][lost..].contains(&IceEvent::StateChanged(IceState::Failed)));
    let _ = cut_at;
}

#[test]
fn bad_packets_and_wrong_credentials_are_refused() {
    let mut w = Wire::pair(
        9,
        IceConfig::new(Role::Controlling, 1),
        IceConfig::new(Role::Controlled, 1),
    );
    let now = w.now;
    let a = &mut w.agents[0];
    // Media and garbage are not STUN; a truncated STUN header is consumed and dropped.
    assert!(!a.handle_packet(now, sa(A), sa(B), &[0x80, 0, 0, 1, 2, 3]));
    assert!(!a.handle_packet(now, sa(A), sa(B), &[]));
    let mut truncated = vec![0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42];
    truncated.extend([9; 12]);
    // A STUN header whose length does not match is not STUN either.
    assert!(!a.handle_packet(now, sa(A), sa(B), &truncated));
    assert!(a.poll_transmit().is_none());
    // A check with the wrong password gets 401 and changes nothing.
    let mut buf = Vec::new();
    let (ufrag, _) = a.local_credentials();
    let username = format!("{ufrag}:peer");
    MessageBuilder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        crate::stun::TransactionId([7; 12]),
    )
    .username(&username)
    .priority(1)
    .ice_controlled(1)
    .message_integrity(&crate::stun::IntegrityKey::short_term(
        "wrong-password-wrong-pw",
    ))
    .fingerprint()
    .finish()
    .unwrap();
    while a.poll_transmit().is_some() {}
    assert!(a.handle_packet(now, sa(A), sa("10.9.9.9:9"), &buf));
    let answer = a.poll_transmit().expect("an answer");
    let m = Message::parse(&answer.payload).unwrap();
    assert_eq!(m.error_code().unwrap().unwrap().code, 401);
    assert!(!a
        .check_list()
        .unwrap()
        .pairs()
        .iter()
        .any(|p| p.remote.address == sa("10.9.9.9:9")));
    // Misuse is an error.
    assert_eq!(a.add_host(3, sa("10.0.0.1:5")), Err(IceError::Component(3)));
    assert_eq!(a.add_host(1, sa(A)), Err(IceError::DuplicateHost(sa(A))));
    assert_eq!(
        a.set_remote(now, "ab", "short", false, Vec::new()),
        Err(IceError::Credentials)
    );
}

#[test]
fn an_ice_restart_negotiates_again() {
    let mut w = Wire::pair(
        10,
        IceConfig::new(Role::Controlling, 1),
        IceConfig::new(Role::Controlled, 1),
    );
    w.run_for(Duration::from_secs(2));
    assert!(w.completed(0) && w.completed(1));
    let now = w.now;
    w.agents[0].restart(
        now,
        "newA".to_owned(),
        "aaaaaaaaaaaaaaaaaaaaaaaa".to_owned(),
    );
    w.agents[1].restart(
        now,
        "newB".to_owned(),
        "bbbbbbbbbbbbbbbbbbbbbbbb".to_owned(),
    );
    assert_eq!(w.agents[0].state(), IceState::Gathered);
    // Media keeps its pair meanwhile.
    assert!(w.agents[0].selected(1).is_some());
    w.exchange();
    w.run_for(Duration::from_secs(2));
    assert!(w.completed(0) && w.completed(1), "{:#?}", w.events);
    assert_eq!(
        w.events[0]
            .iter()
            .filter(|e| matches!(e, IceEvent::Completed { .. }))
            .count(),
        2
    );
    let _ = w.t0;
}
