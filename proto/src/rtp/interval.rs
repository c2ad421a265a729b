//! RTCP transmission interval (RFC 3550 §6.2, §6.3 and Appendix A.7): the randomized,
//! bandwidth-scaled interval with timer reconsideration, as a sans-IO timer machine.

use std::time::{Duration, Instant};

use crate::rand::Random;

/// The fixed minimum interval (RFC 3550 §6.2).
pub const RTCP_MIN_TIME: Duration = Duration::from_secs(5);
/// e − 3/2: compensates for the timer reconsideration bias (RFC 3550 A.7).
const COMPENSATION: f64 = std::f64::consts::E - 1.5;
/// Share of the RTCP bandwidth for senders when they are at most a quarter of the members.
const SENDER_BW_FRACTION: f64 = 0.25;
const RECEIVER_BW_FRACTION: f64 = 1.0 - SENDER_BW_FRACTION;

/// Parameters of an [`RtcpTimer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalConfig {
    /// The session bandwidth in bits per second (the `b=AS` value, or the codec's rate).
    pub session_bandwidth: u32,
    /// Share of the session bandwidth RTCP may use (RFC 3550 §6.2: 5 %).
    pub rtcp_fraction: f64,
    /// Use the reduced minimum 360 / (session bandwidth in kbit/s) seconds instead of 5 s
    /// (RFC 3550 §6.2), never more than 5 s.
    pub reduced_minimum: bool,
    /// Estimated size of our first compound packets in bytes, lower-layer headers included
    /// (the starting `avg_rtcp_size`).
    pub initial_packet_size: u32,
}

impl Default for IntervalConfig {
    fn default() -> Self {
        Self {
            session_bandwidth: 64_000,
            rtcp_fraction: 0.05,
            reduced_minimum: false,
            initial_packet_size: 100,
        }
    }
}

/// Computes the deterministic part of the RTCP interval, in seconds, before randomization
/// (RFC 3550 A.7 `rtcp_interval` up to the minimum): the caller scales it by a random factor
/// in [0.5, 1.5) and divides by e − 3/2.
///
/// `rtcp_bandwidth` is in octets per second and `avg_rtcp_size` in octets.
pub fn deterministic_interval(
    members: u32,
    senders: u32,
    rtcp_bandwidth: f64,
    we_sent: bool,
    avg_rtcp_size: f64,
    min_time: f64,
) -> f64 {
    let mut bw = rtcp_bandwidth;
    let mut n = f64::from(members.max(1));
    let senders = f64::from(senders.min(members.max(1)));
    if senders <= n * SENDER_BW_FRACTION {
        if we_sent {
            bw *= SENDER_BW_FRACTION;
            n = senders.max(1.0);
        } else {
            bw *= RECEIVER_BW_FRACTION;
            n = (n - senders).max(1.0);
        }
    }
    let t = if bw > 0.0 {
        avg_rtcp_size * n / bw
    } else {
        f64::INFINITY
    };
    if t.is_finite() {
        t.max(min_time)
    } else {
        // No RTCP bandwidth at all: report as rarely as the interval type allows, one day.
        86_400.0
    }
}

/// What an [`RtcpTimer`] asks of its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalEvent {
    /// Send a compound RTCP packet now, then call [`RtcpTimer::handle_sent`] with its size.
    SendReport,
    /// Send the BYE asked for with [`RtcpTimer::leave`]; the timer is then finished.
    SendBye,
}

/// Below this many members a participant leaving sends its BYE at once (RFC 3550 §6.3.7).
const BYE_RECONSIDERATION_MEMBERS: u32 = 50;

/// The RTCP transmission timer of one participant (RFC 3550 §6.3, A.7).
///
/// Inputs: [`start`](Self::start) once, [`handle_timeout`](Self::handle_timeout) when the
/// deadline of [`poll_timeout`](Self::poll_timeout) passes, [`handle_sent`](Self::handle_sent)
/// after each report is sent, [`handle_received`](Self::handle_received) for every RTCP
/// packet received, [`set_members`](Self::set_members) when the member or sender count
/// changes, [`set_we_sent`](Self::set_we_sent), and [`leave`](Self::leave) to send a BYE.
/// Outputs: [`poll_event`](Self::poll_event) yields [`IntervalEvent::SendReport`] when a
/// report is due and [`IntervalEvent::SendBye`] when the BYE is. An early or repeated
/// `handle_timeout` does nothing; time that goes backwards is clamped.
///
/// ```no_run
/// use std::time::Instant;
///
/// use sipsimple_proto::rand::SeededRandom;
/// use sipsimple_proto::rtp::{IntervalConfig, IntervalEvent, RtcpTimer};
///
/// /// Reports for as long as the stream lives; `clock` reads the driver's clock.
/// fn run(clock: impl Fn() -> Instant) {
///     let mut timer = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(1));
///     timer.start(clock());
///     loop {
///         // … sleep until `timer.poll_timeout()` …
///         timer.handle_timeout(clock());
///         while let Some(IntervalEvent::SendReport) = timer.poll_event() {
///             let size = 120; // build and send the compound, then report its size
///             timer.handle_sent(size);
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RtcpTimer<R> {
    config: IntervalConfig,
    rng: R,
    /// Last transmission time (`tp`).
    last_sent: Option<Instant>,
    /// Next scheduled transmission (`tn`).
    next: Option<Instant>,
    /// The latest `now` seen, so time never goes backwards.
    latest: Option<Instant>,
    members: u32,
    pmembers: u32,
    senders: u32,
    avg_rtcp_size: f64,
    we_sent: bool,
    initial: bool,
    pending: Option<IntervalEvent>,
    /// Leaving: the next expiry sends the BYE (RFC 3550 §6.3.7).
    leaving: bool,
}

impl<R: Random> RtcpTimer<R> {
    /// A timer drawing its random factors from `rng`. Nothing is scheduled until
    /// [`start`](Self::start).
    pub fn new(config: IntervalConfig, rng: R) -> Self {
        Self {
            config,
            rng,
            last_sent: None,
            next: None,
            latest: None,
            members: 1,
            pmembers: 1,
            senders: 0,
            avg_rtcp_size: f64::from(config.initial_packet_size),
            we_sent: false,
            initial: true,
            pending: None,
            leaving: false,
        }
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        let now = match self.latest {
            Some(l) if l > now => l,
            _ => now,
        };
        self.latest = Some(now);
        now
    }

    /// The RTCP bandwidth in octets per second.
    fn rtcp_bandwidth(&self) -> f64 {
        f64::from(self.config.session_bandwidth) * self.config.rtcp_fraction / 8.0
    }

    /// The minimum interval in seconds, halved before the first report (RFC 3550 §6.2).
    fn min_time(&self) -> f64 {
        let mut min = RTCP_MIN_TIME.as_secs_f64();
        if self.config.reduced_minimum && self.config.session_bandwidth > 0 {
            let kbps = f64::from(self.config.session_bandwidth) / 1000.0;
            min = min.min(360.0 / kbps);
        }
        if self.initial {
            min / 2.0
        } else {
            min
        }
    }

    /// A fresh randomized interval (RFC 3550 A.7 `rtcp_interval`).
    pub fn interval(&mut self) -> Duration {
        let t = deterministic_interval(
            self.members,
            self.senders,
            self.rtcp_bandwidth(),
            self.we_sent,
            self.avg_rtcp_size,
            self.min_time(),
        );
        // A uniform factor in [0.5, 1.5) from 53 random bits.
        let unit = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let t = t * (unit + 0.5) / COMPENSATION;
        Duration::try_from_secs_f64(t).unwrap_or(Duration::from_secs(86_400))
    }

    /// Starts the session at `now`: the first report is scheduled after an initial interval
    /// computed with the halved minimum.
    pub fn start(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.leaving {
            return;
        }
        self.last_sent = Some(now);
        self.pmembers = self.members;
        let t = self.interval();
        self.next = now.checked_add(t);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    /// The next request of the timer.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<IntervalEvent> {
        self.pending.take()
    }

    /// Runs the timer at `now`: with timer reconsideration (RFC 3550 §6.3.6), the interval is
    /// computed again from the current counts; if the transmission time it gives has passed,
    /// a report is due, otherwise the timer is set again for it.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        let (Some(next), Some(tp)) = (self.next, self.last_sent) else {
            return;
        };
        if now < next || self.pending.is_some() {
            return;
        }
        let t = self.interval();
        let tn = tp.checked_add(t).unwrap_or(now);
        if tn <= now && self.leaving {
            self.pending = Some(IntervalEvent::SendBye);
            self.next = None;
        } else if tn <= now {
            self.pending = Some(IntervalEvent::SendReport);
            self.last_sent = Some(now);
            self.initial = false;
            self.pmembers = self.members;
            let t = self.interval();
            self.next = now.checked_add(t);
        } else {
            self.next = Some(tn);
        }
    }

    /// Accounts for a report we sent of `size` octets (lower-layer headers included).
    pub fn handle_sent(&mut self, size: u32) {
        self.update_avg(size);
    }

    /// Accounts for an RTCP packet received of `size` octets. While leaving, only BYE packets
    /// count ([`handle_bye_received`](Self::handle_bye_received)).
    pub fn handle_received(&mut self, size: u32) {
        if !self.leaving {
            self.update_avg(size);
        }
    }

    /// Accounts for a received RTCP packet of `size` octets holding a BYE. While we are
    /// leaving, each one counts as a member, so that many participants leaving together
    /// spread their BYEs out (RFC 3550 §6.3.7); otherwise it is an ordinary packet and the
    /// caller lowers the member count with [`set_members`](Self::set_members).
    pub fn handle_bye_received(&mut self, size: u32) {
        if self.leaving {
            self.members = self.members.saturating_add(1);
        }
        self.update_avg(size);
    }

    /// Leaves the session: a BYE of `bye_size` octets is to be sent (RFC 3550 §6.3.7). With
    /// fewer than 50 members, or before [`start`](Self::start), it is due at once; otherwise
    /// the timer starts again as if we had just joined, counting only the BYEs received,
    /// and yields [`IntervalEvent::SendBye`] when it expires. Reports are no longer due.
    pub fn leave(&mut self, now: Instant, bye_size: u32) {
        let now = self.clamp(now);
        if self.leaving {
            return;
        }
        self.leaving = true;
        if self.members < BYE_RECONSIDERATION_MEMBERS || self.last_sent.is_none() {
            self.pending = Some(IntervalEvent::SendBye);
            self.next = None;
            return;
        }
        self.pending = None;
        self.members = 1;
        self.pmembers = 1;
        self.senders = 0;
        self.we_sent = false;
        self.initial = true;
        self.avg_rtcp_size = f64::from(bye_size);
        self.last_sent = Some(now);
        let t = self.interval();
        self.next = now.checked_add(t);
    }

    fn update_avg(&mut self, size: u32) {
        self.avg_rtcp_size = f64::from(size) / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
    }

    /// Sets the member and sender counts (ourselves included). When members leave, the next
    /// transmission is brought forward in proportion (reverse reconsideration, RFC 3550
    /// §6.3.4).
    pub fn set_members(&mut self, now: Instant, members: u32, senders: u32) {
        let now = self.clamp(now);
        if self.leaving {
            // Only BYEs count once we leave.
            return;
        }
        let members = members.max(1);
        if members < self.pmembers {
            if let (Some(tn), Some(tp)) = (self.next, self.last_sent) {
                let ratio = f64::from(members) / f64::from(self.pmembers);
                let ahead = tn.saturating_duration_since(now).mul_f64(ratio);
                let behind = now.saturating_duration_since(tp).mul_f64(ratio);
                self.next = now.checked_add(ahead);
                self.last_sent = Some(now.checked_sub(behind).unwrap_or(tp));
            }
            self.pmembers = members;
        }
        self.members = members;
        self.senders = senders.min(members);
    }

    /// Says whether we sent RTP since the report before last, which moves us between the
    /// sender and receiver shares of the bandwidth.
    pub fn set_we_sent(&mut self, we_sent: bool) {
        self.we_sent = we_sent;
    }

    /// The average compound packet size in octets (`avg_rtcp_size`).
    pub fn avg_rtcp_size(&self) -> f64 {
        self.avg_rtcp_size
    }
}
