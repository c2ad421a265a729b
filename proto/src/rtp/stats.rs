//! Receive statistics of one source (RFC 3550 Appendix A.3 and A.8): interarrival jitter,
//! packets lost, fraction lost since the last report, and the RTCP report block.

use std::time::Instant;

use super::rtcp::ReportBlock;
use super::seq::{SequenceStatus, SequenceTracker};

/// What a receiver knows about one source, fed with every RTP packet's sequence number,
/// timestamp and arrival time, and with that source's sender reports.
///
/// Arrival times are converted to timestamp units at the source's clock rate counting from
/// the first packet, so jitter comes out in timestamp units as RFC 3550 §6.4.1 defines it.
/// Time that goes backwards is clamped to the first arrival.
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    ssrc: u32,
    clock_rate: u32,
    validated: bool,
    seq: Option<SequenceTracker>,
    epoch: Option<Instant>,
    last_transit: Option<u32>,
    /// Jitter scaled by 16, as in A.8, so the running average stays in integers.
    jitter_q4: u32,
    expected_prior: u32,
    received_prior: u32,
    /// The middle 32 bits of the last SR's NTP timestamp and when it arrived.
    last_sr: Option<(u32, Instant)>,
}

impl ReceiveStats {
    /// Statistics of source `ssrc` whose media clock runs at `clock_rate` Hz; new sources go
    /// through probation (RFC 3550 A.1).
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            validated: false,
            seq: None,
            epoch: None,
            last_transit: None,
            jitter_q4: 0,
            expected_prior: 0,
            received_prior: 0,
            last_sr: None,
        }
    }

    /// Statistics of a source already validated otherwise (SRTP authentication, signalling):
    /// its first packet counts.
    pub fn new_validated(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            validated: true,
            ..Self::new(ssrc, clock_rate)
        }
    }

    /// The source's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Accounts for an RTP packet of this source that arrived at `now`.
    pub fn handle_packet(&mut self, now: Instant, sequence: u16, timestamp: u32) -> SequenceStatus {
        let validated = self.validated;
        let tracker = self.seq.get_or_insert_with(|| {
            if validated {
                SequenceTracker::new_validated(sequence)
            } else {
                SequenceTracker::new(sequence)
            }
        });
        let status = tracker.update(sequence);
        match status {
            SequenceStatus::BadJump => return status,
            SequenceStatus::Restarted => {
                self.expected_prior = 0;
                self.received_prior = 0;
                self.last_transit = None;
            }
            SequenceStatus::Probation | SequenceStatus::Valid { .. } => {}
        }
        let epoch = *self.epoch.get_or_insert(now);
        let elapsed = now.saturating_duration_since(epoch);
        let arrival =
            (elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u64 as u32;
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(last) = self.last_transit {
            // RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16.
            let d = u64::from((transit.wrapping_sub(last) as i32).unsigned_abs());
            let j = u64::from(self.jitter_q4);
            let next = j + d - ((j + 8) >> 4);
            self.jitter_q4 = next.min(u64::from(u32::MAX)) as u32;
        }
        self.last_transit = Some(transit);
        status
    }

    /// Records a sender report of this source (its NTP timestamp) that arrived at `now`, for
    /// the LSR and DLSR fields of the next report block.
    pub fn handle_sender_report(&mut self, now: Instant, ntp_timestamp: u64) {
        self.last_sr = Some(((ntp_timestamp >> 16) as u32, now));
    }

    /// The interarrival jitter in timestamp units (RFC 3550 §6.4.1).
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// The highest sequence number received, extended with its wrap-around cycles, once the
    /// source is valid.
    pub fn extended_highest(&self) -> Option<u32> {
        self.seq
            .as_ref()
            .filter(|s| s.is_valid())
            .map(SequenceTracker::extended_max)
    }

    /// Packets lost since the start: expected − received, which duplicates can make negative,
    /// clamped to the 24-bit signed field of a report block (RFC 3550 A.3).
    pub fn cumulative_lost(&self) -> i32 {
        let Some(s) = self.seq.as_ref().filter(|s| s.is_valid()) else {
            return 0;
        };
        let lost = i64::from(s.expected()) - i64::from(s.received());
        lost.clamp(-0x80_0000, 0x7f_ffff) as i32
    }

    /// The report block about this source for an SR or RR sent at `now`, or `None` while the
    /// source is not valid. Resets the "since the last report" counters (fraction lost).
    pub fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let s = self.seq.as_ref().filter(|s| s.is_valid())?;
        let expected = s.expected();
        let received = s.received();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let d = now.saturating_duration_since(at);
                let units = d.as_nanos() * 65_536 / 1_000_000_000;
                (lsr, units.min(u128::from(u32::MAX)) as u32)
            }
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost(),
            extended_highest_sequence: s.extended_max(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        })
    }
}
