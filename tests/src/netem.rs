//! A sans-IO network emulator: datagrams in, datagrams out at their delivery instants, with
//! seeded latency, jitter, loss, duplication, reordering and an MTU.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::rand::{Random, SeededRandom};

/// How the emulated network treats datagrams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetConfig {
    /// One-way delay before jitter.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter`; larger than the gap between two
    /// datagrams, it reorders them.
    pub jitter: Duration,
    /// Probability that a datagram is lost (0.0..=1.0).
    pub loss: f64,
    /// Probability that a delivered datagram is delivered twice.
    pub duplicate: f64,
    /// Datagrams larger than this are dropped, as an IP path without fragmentation would.
    pub mtu: usize,
}

impl Default for NetConfig {
    /// A clean LAN: 5 ms, no jitter, no loss, 1500-byte MTU.
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(5),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            mtu: 1500,
        }
    }
}

/// A datagram in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Sender.
    pub from: SocketAddr,
    /// Receiver.
    pub to: SocketAddr,
    /// Payload.
    pub data: Vec<u8>,
}

/// What the network did, for the scenario's record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Datagrams handed to the network.
    pub sent: u64,
    /// Datagrams lost on purpose.
    pub lost: u64,
    /// Extra copies delivered.
    pub duplicated: u64,
    /// Datagrams dropped for exceeding the MTU.
    pub too_big: u64,
}

/// The emulator: a priority queue of deliveries driven by a seeded generator.
#[derive(Debug)]
pub struct NetworkEmulator {
    config: NetConfig,
    rng: SeededRandom,
    queue: BinaryHeap<Reverse<(Instant, u64, DatagramSlot)>>,
    seq: u64,
    stats: NetStats,
}

/// Ordering wrapper so the heap can hold datagrams (ties broken by send order).
#[derive(Debug, Clone, PartialEq, Eq)]
struct DatagramSlot(Datagram);

impl PartialOrd for DatagramSlot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DatagramSlot {
    fn cmp(&self, _other: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl NetworkEmulator {
    /// An emulator with this behaviour and seed.
    pub fn new(config: NetConfig, seed: u64) -> Self {
        Self {
            config,
            rng: SeededRandom::new(seed ^ 0x6e65_7465_6d00),
            queue: BinaryHeap::new(),
            seq: 0,
            stats: NetStats::default(),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn delay(&mut self) -> Duration {
        let jitter = self.config.jitter.as_nanos() as u64;
        let extra = if jitter == 0 {
            0
        } else {
            self.rng.next_u64() % (jitter + 1)
        };
        self.config.latency + Duration::from_nanos(extra)
    }

    /// Hands a datagram to the network at `now`.
    pub fn send(&mut self, now: Instant, datagram: Datagram) {
        self.stats.sent += 1;
        if datagram.data.len() > self.config.mtu {
            self.stats.too_big += 1;
            return;
        }
        if self.chance(self.config.loss) {
            self.stats.lost += 1;
            return;
        }
        let copies = if self.chance(self.config.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = now + self.delay();
            self.seq += 1;
            self.queue
                .push(Reverse((at, self.seq, DatagramSlot(datagram.clone()))));
        }
    }

    /// When the next datagram arrives.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    /// The next datagram due at `now`.
    pub fn deliver(&mut self, now: Instant) -> Option<Datagram> {
        if self.next_delivery()? > now {
            return None;
        }
        self.queue.pop().map(|Reverse((_, _, d))| d.0)
    }

    /// What the network has done so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }
}
