//! The timers of RFC 3261 §17 (Table 4) and RFC 6026 kept by one transaction.

use std::time::Instant;

/// A transaction timer, named as RFC 3261 Table 4 and RFC 6026 §8.4 name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE request retransmit interval (unreliable transports).
    A,
    /// INVITE transaction timeout.
    B,
    /// Wait time for response retransmissions after a non-2xx final response to INVITE.
    D,
    /// Non-INVITE request retransmit interval (unreliable transports).
    E,
    /// Non-INVITE transaction timeout.
    F,
    /// INVITE final response retransmit interval.
    G,
    /// Wait time for ACK receipt.
    H,
    /// Wait time for ACK retransmissions.
    I,
    /// Wait time for non-INVITE request retransmissions.
    J,
    /// Wait time for non-INVITE response retransmissions.
    K,
    /// Wait time for INVITE request retransmissions after a 2xx (RFC 6026).
    L,
    /// Wait time for 2xx retransmissions (RFC 6026).
    M,
}

const ALL: [Timer; 12] = [
    Timer::A,
    Timer::B,
    Timer::D,
    Timer::E,
    Timer::F,
    Timer::G,
    Timer::H,
    Timer::I,
    Timer::J,
    Timer::K,
    Timer::L,
    Timer::M,
];

/// The armed timers of one transaction: a slot per timer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timers {
    slots: [Option<Instant>; 12],
}

impl Timers {
    fn index(t: Timer) -> usize {
        ALL.iter()
            .position(|&x| x == t)
            .expect("every timer is in ALL")
    }

    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.slots[Self::index(t)] = Some(at);
    }

    pub(crate) fn clear(&mut self, t: Timer) {
        self.slots[Self::index(t)] = None;
    }

    pub(crate) fn clear_all(&mut self) {
        self.slots = [None; 12];
    }

    /// The earliest armed timer.
    pub(crate) fn next(&self) -> Option<(Timer, Instant)> {
        ALL.iter()
            .zip(&self.slots)
            .filter_map(|(&t, at)| at.map(|at| (t, at)))
            .min_by_key(|&(_, at)| at)
    }

    /// Disarms and returns the earliest timer due at `now`.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (t, at) = self.next()?;
        if at <= now {
            self.clear(t);
            Some(t)
        } else {
            None
        }
    }
}
