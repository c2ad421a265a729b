//! Two ICE agents, each on one host address, over the network emulator with jitter, loss,
//! duplication and reordering, each scenario over 200 seeds: they reach `Completed` on the
//! same pair and keep consent for a minute afterwards. A full agent facing a lite one, and
//! two agents that both start controlling (a role conflict), do the same.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::ice::{IceAgent, IceConfig, IceEvent, IceState, Role};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

const SEEDS: u64 = 200;

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

/// An agent on one address, and everything it reported.
struct IceNode {
    addr: SocketAddr,
    agent: IceAgent<SeededRandom>,
    events: Vec<(Instant, IceEvent)>,
}

impl IceNode {
    fn new(t0: Instant, addr: &str, seed: u64, config: IceConfig) -> Self {
        let addr: SocketAddr = addr.parse().unwrap();
        let mut agent = IceAgent::new(t0, SeededRandom::new(seed), config);
        agent.add_host(1, addr).unwrap();
        agent.gather(t0);
        let mut node = Self {
            addr,
            agent,
            events: Vec::new(),
        };
        node.collect(t0);
        node
    }

    fn collect(&mut self, now: Instant) {
        while let Some(e) = self.agent.poll_event() {
            self.events.push((now, e));
        }
    }

    fn events(&self) -> impl Iterator<Item = &IceEvent> {
        self.events.iter().map(|(_, e)| e)
    }
}

impl Node for IceNode {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        assert!(
            self.agent.handle_packet(now, self.addr, from, data),
            "only STUN here"
        );
        self.collect(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.agent.poll_timeout().is_some_and(|t| t <= now) {
            self.agent.handle_timeout(now);
        }
        self.collect(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        let t = self.agent.poll_transmit()?;
        assert_eq!(t.from, self.addr);
        Some((t.to, t.payload.to_vec()))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.agent.poll_timeout()
    }
}

/// Tells each agent the other's description.
fn exchange(t0: Instant, a: &mut IceNode, b: &mut IceNode) {
    let describe = |n: &IceNode| {
        let (u, p) = n.agent.local_credentials();
        (
            u.to_owned(),
            p.to_owned(),
            n.agent.is_lite(),
            n.agent.local_candidates().to_vec(),
        )
    };
    let (da, db) = (describe(a), describe(b));
    a.agent.set_remote(t0, &db.0, &db.1, db.2, db.3).unwrap();
    b.agent.set_remote(t0, &da.0, &da.1, da.2, da.3).unwrap();
    a.collect(t0);
    b.collect(t0);
}

/// Runs two agents for 70 s and checks the outcome; returns when A completed.
fn run(seed: u64, a: IceConfig, b: IceConfig) -> Duration {
    let t0 = origin();
    let mut sim = Simulation::new(
        t0,
        NetConfig {
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(40),
            loss: 0.1,
            duplicate: 0.1,
            ..NetConfig::default()
        },
        seed,
    );
    let mut na = IceNode::new(t0, "192.0.2.1:40000", seed * 2 + 1, a);
    let mut nb = IceNode::new(t0, "192.0.2.2:40002", seed * 2 + 2, b);
    exchange(t0, &mut na, &mut nb);
    sim.add(na);
    sim.add(nb);
    sim.run_for(Duration::from_secs(70));
    let [a, b] = &sim.nodes[..] else {
        unreachable!()
    };
    for n in [a, b] {
        assert_eq!(
            n.agent.state(),
            IceState::Completed,
            "seed {seed}: {:#?}",
            n.events
        );
        assert!(
            !n.events()
                .any(|e| matches!(e, IceEvent::ConsentLost { .. } | IceEvent::Failed { .. })),
            "seed {seed}"
        );
        assert_eq!(
            n.events()
                .filter(|e| matches!(e, IceEvent::Completed { .. }))
                .count(),
            1,
            "seed {seed}"
        );
    }
    let (al, ar) = a.agent.selected(1).unwrap();
    let (bl, br) = b.agent.selected(1).unwrap();
    assert_eq!((al.base, ar.address), (br.address, bl.base), "seed {seed}");
    assert_ne!(a.agent.role(), b.agent.role(), "seed {seed}");
    a.events
        .iter()
        .find(|(_, e)| matches!(e, IceEvent::Completed { .. }))
        .map(|(t, _)| *t - t0)
        .unwrap()
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    eprintln!(
        "{name}: completed in {:?} median, {:?} worst over {SEEDS} seeds",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

#[test]
fn two_full_agents_complete_and_keep_consent() {
    let mut times: Vec<Duration> = (0..SEEDS)
        .map(|seed| {
            run(
                seed,
                IceConfig::new(Role::Controlling, 1),
                IceConfig::new(Role::Controlled, 1),
            )
        })
        .collect();
    report("full/full", &mut times);
}

#[test]
fn a_full_agent_and_a_lite_one_complete() {
    let mut times: Vec<Duration> = (0..SEEDS)
        .map(|seed| {
            let mut lite = IceConfig::new(Role::Controlled, 1);
            lite.lite = true;
            run(seed, IceConfig::new(Role::Controlled, 1), lite)
        })
        .collect();
    report("full/lite", &mut times);
}

#[test]
fn two_controlling_agents_resolve_the_conflict() {
    let mut times: Vec<Duration> = (0..SEEDS)
        .map(|seed| {
            run(
                seed,
                IceConfig::new(Role::Controlling, 1),
                IceConfig::new(Role::Controlling, 1),
            )
        })
        .collect();
    report("role conflict", &mut times);
}
