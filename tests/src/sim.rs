//! The deterministic simulation: endpoints on one virtual clock, joined by a
//! [`NetworkEmulator`], always jumping to the earliest deadline or delivery.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::netem::{Datagram, NetConfig, NetStats, NetworkEmulator};

/// An endpoint the simulation drives: a sans-IO machine with an address.
pub trait Node {
    /// The address other nodes send to.
    fn addr(&self) -> SocketAddr;
    /// A datagram arrived.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]);
    /// Time passed; run what is due.
    fn handle_timeout(&mut self, now: Instant);
    /// The next datagram to send, with its destination.
    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)>;
    /// When the node wants [`Node::handle_timeout`] next.
    fn poll_timeout(&self) -> Option<Instant>;
}

/// Several nodes, one clock, one network.
pub struct Simulation<N: Node> {
    /// The nodes, in the order they were added.
    pub nodes: Vec<N>,
    net: NetworkEmulator,
    start: Instant,
    now: Instant,
    seed: u64,
    steps: u64,
    max_steps: u64,
}

impl<N: Node> std::fmt::Debug for Simulation<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("nodes", &self.nodes.len())
            .field("elapsed", &self.elapsed())
            .field("seed", &self.seed)
            .field("steps", &self.steps)
            .field("net", &self.net.stats())
            .finish()
    }
}

impl<N: Node> Simulation<N> {
    /// A simulation whose clock starts at `start`, with this network and seed.
    pub fn new(start: Instant, config: NetConfig, seed: u64) -> Self {
        Self {
            nodes: Vec::new(),
            net: NetworkEmulator::new(config, seed),
            start,
            now: start,
            seed,
            steps: 0,
            max_steps: 100_000,
        }
    }

    /// Adds a node.
    pub fn add(&mut self, node: N) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The virtual time elapsed since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// The current virtual instant.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// What the network did.
    pub fn net_stats(&self) -> NetStats {
        self.net.stats()
    }

    fn flush(&mut self) {
        for i in 0..self.nodes.len() {
            let from = self.nodes[i].addr();
            while let Some((to, data)) = self.nodes[i].poll_transmit() {
                self.net.send(self.now, Datagram { from, to, data });
            }
        }
    }

    /// Advances to the next thing that happens (a delivery or a node deadline) and handles
    /// it. Returns `false` when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.step_before(None)
    }

    /// [`Simulation::step`], but only when the next thing happens no later than `limit`.
    fn step_before(&mut self, limit: Option<Instant>) -> bool {
        self.steps += 1;
        assert!(
            self.steps <= self.max_steps,
            "simulation did not settle after {} steps (seed {})",
            self.max_steps,
            self.seed
        );
        self.flush();
        let next_node = self.nodes.iter().filter_map(N::poll_timeout).min();
        let next = match (next_node, self.net.next_delivery()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return false,
        };
        if limit.is_some_and(|l| next > l) {
            return false;
        }
        if next > self.now {
            self.now = next;
        }
        while let Some(d) = self.net.deliver(self.now) {
            if let Some(node) = self.nodes.iter_mut().find(|n| n.addr() == d.to) {
                node.handle_datagram(self.now, d.from, &d.data);
            }
        }
        for node in &mut self.nodes {
            if node.poll_timeout().is_some_and(|t| t <= self.now) {
                node.handle_timeout(self.now);
            }
        }
        self.flush();
        true
    }

    /// Runs until nothing is left to happen or `limit` of virtual time has passed.
    pub fn run_for(&mut self, limit: Duration) {
        let end = self.start + limit;
        while self.step_before(Some(end)) {}
        self.now = self.now.max(end);
    }

    /// Runs until `done` holds (checked after every step), failing loudly with the seed when
    /// it does not within `limit` of virtual time.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) {
        let end = self.now + limit;
        while !done(self) {
            assert!(
                self.now <= end && self.step(),
                "condition not reached after {:?} (seed {})",
                self.elapsed(),
                self.seed
            );
        }
    }
}
