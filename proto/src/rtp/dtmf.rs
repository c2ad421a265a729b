//! RFC 4733 telephone events: the 4-byte event payload, DTMF digit codes, the
//! `telephone-event` fmtp event list, and the sender and receiver machines.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use super::error::DtmfError;
use super::packet::RtpPacket;
use super::seq::sequence_is_newer;

/// The telephone-event payload (RFC 4733 §2.3): one event report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// The event code (0–15 for DTMF, 16 for flash, see [`DtmfDigit`]).
    pub event: u8,
    /// The E bit: this report ends the event.
    pub end: bool,
    /// The power level in −dBm0, 0 to 63 (larger is quieter); only DTMF uses it.
    pub volume: u8,
    /// Duration of the event so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Length of the payload.
    pub const LEN: usize = 4;

    /// Reads the first event of a telephone-event payload. The reserved R bit is ignored
    /// (RFC 4733 §2.3.3); bytes after the first 4 (further events, RFC 4733 §2.5.1.5) are not
    /// read.
    pub fn parse(payload: &[u8]) -> Result<Self, DtmfError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(DtmfError::TooShort(payload.len()));
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The 4 payload bytes. A volume above 63 is written as 63, the quietest level the
    /// 6-bit field holds.
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | self.volume.min(63),
            d[0],
            d[1],
        ]
    }
}

/// The DTMF events of RFC 4733 §3.2 with their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfDigit {
    /// `0`, code 0.
    Zero,
    /// `1`, code 1.
    One,
    /// `2`, code 2.
    Two,
    /// `3`, code 3.
    Three,
    /// `4`, code 4.
    Four,
    /// `5`, code 5.
    Five,
    /// `6`, code 6.
    Six,
    /// `7`, code 7.
    Seven,
    /// `8`, code 8.
    Eight,
    /// `9`, code 9.
    Nine,
    /// `*`, code 10.
    Star,
    /// `#`, code 11.
    Pound,
    /// `A`, code 12.
    A,
    /// `B`, code 13.
    B,
    /// `C`, code 14.
    C,
    /// `D`, code 15.
    D,
    /// Hook flash, code 16.
    Flash,
}

const DIGITS: [DtmfDigit; 17] = [
    DtmfDigit::Zero,
    DtmfDigit::One,
    DtmfDigit::Two,
    DtmfDigit::Three,
    DtmfDigit::Four,
    DtmfDigit::Five,
    DtmfDigit::Six,
    DtmfDigit::Seven,
    DtmfDigit::Eight,
    DtmfDigit::Nine,
    DtmfDigit::Star,
    DtmfDigit::Pound,
    DtmfDigit::A,
    DtmfDigit::B,
    DtmfDigit::C,
    DtmfDigit::D,
    DtmfDigit::Flash,
];
const DIGIT_CHARS: &[u8; 16] = b"0123456789*#ABCD";

impl DtmfDigit {
    /// The event code.
    pub fn code(self) -> u8 {
        DIGITS
            .iter()
            .position(|&d| d == self)
            .map_or(16, |p| p as u8)
    }

    /// The digit of an event code 0–16.
    pub fn from_code(code: u8) -> Option<Self> {
        DIGITS.get(usize::from(code)).copied()
    }

    /// The digit of a character `0`–`9`, `*`, `#`, `A`–`D` (either case). Flash has no
    /// character.
    pub fn from_char(c: char) -> Result<Self, DtmfError> {
        let upper = c.to_ascii_uppercase();
        DIGIT_CHARS
            .iter()
            .position(|&d| char::from(d) == upper)
            .map(|p| DIGITS[p])
            .ok_or(DtmfError::NotADigit(c))
    }

    /// The character of the digit, `None` for flash.
    pub fn to_char(self) -> Option<char> {
        DIGIT_CHARS
            .get(usize::from(self.code()))
            .map(|&b| char::from(b))
    }
}

/// The set of events a `telephone-event` payload type carries: the fmtp value, such as
/// `0-15` or `0-11,16` (RFC 4733 §7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EventSet {
    bits: [u64; 4],
}

impl EventSet {
    /// No event.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every event code 0–255.
    pub fn all() -> Self {
        Self {
            bits: [u64::MAX; 4],
        }
    }

    /// The DTMF events 0–15, assumed when the fmtp is absent (RFC 4733 §7.1.1).
    pub fn dtmf() -> Self {
        let mut s = Self::empty();
        s.insert_range(0, 15);
        s
    }

    /// Adds one event.
    pub fn insert(&mut self, event: u8) {
        self.bits[usize::from(event >> 6)] |= 1 << (event & 63);
    }

    /// Adds the events `first..=last`.
    pub fn insert_range(&mut self, first: u8, last: u8) {
        for e in first..=last {
            self.insert(e);
        }
    }

    /// Whether `event` is in the set.
    pub fn contains(&self, event: u8) -> bool {
        self.bits[usize::from(event >> 6)] & (1 << (event & 63)) != 0
    }

    /// Whether the set has no event.
    pub fn is_empty(&self) -> bool {
        self.bits == [0; 4]
    }

    /// Parses an fmtp value: comma-separated event codes and ranges `a-b` with `a <= b`, each
    /// at most 255; spaces around items are allowed.
    pub fn parse(value: &str) -> Result<Self, DtmfError> {
        let bad = || DtmfError::BadFmtp(value.to_owned());
        let number = |s: &str| -> Result<u8, DtmfError> {
            let s = s.trim();
            if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse::<u8>().map_err(|_| bad())
        };
        let mut set = Self::empty();
        for item in value.split(',') {
            match item.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (number(a)?, number(b)?);
                    if a > b {
                        return Err(bad());
                    }
                    set.insert_range(a, b);
                }
                None => set.insert(number(item)?),
            }
        }
        Ok(set)
    }
}

impl fmt::Display for EventSet {
    /// Writes the set in the shortest fmtp form: ranges of three or more as `a-b`, pairs and
    /// single events as numbers, comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut e: u16 = 0;
        while e < 256 {
            if !self.contains(e as u8) {
                e += 1;
                continue;
            }
            let start = e;
            while e + 1 < 256 && self.contains((e + 1) as u8) {
                e += 1;
            }
            let sep = if first { "" } else { "," };
            first = false;
            match e - start {
                0 => write!(f, "{sep}{start}")?,
                1 => write!(f, "{sep}{start},{e}")?,
                _ => write!(f, "{sep}{start}-{e}")?,
            }
            e += 1;
        }
        Ok(())
    }
}

/// Parameters of a [`DtmfSender`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSenderConfig {
    /// The telephone-event clock rate in Hz (the `rtpmap` rate, usually 8000).
    pub clock_rate: u32,
    /// Time between packets of an event (RFC 4733 §2.5.1.2; 50 ms is usual).
    pub interval: Duration,
    /// Volume of the tones, in −dBm0 (0–63).
    pub volume: u8,
    /// Digits that may wait while one is playing.
    pub queue_limit: usize,
    /// The events the peer accepts (its fmtp).
    pub allowed: EventSet,
}

impl Default for DtmfSenderConfig {
    fn default() -> Self {
        Self {
            clock_rate: 8000,
            interval: Duration::from_millis(50),
            volume: 10,
            queue_limit: 32,
            allowed: EventSet::all(),
        }
    }
}

/// One telephone-event packet for the caller to send in the audio stream's RTP session.
///
/// The sender does not own the stream's sequence numbers or timestamps. The caller gives
/// each transmit the stream's next sequence number, sets the M bit from
/// [`marker`](Self::marker), and uses one RTP timestamp for every packet of one event: the
/// stream's timestamp at [`start`](Self::start) (all packets of an event share `start`;
/// [`rtp_timestamp`](Self::rtp_timestamp) maps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfTransmit {
    /// The payload.
    pub event: TelephoneEvent,
    /// Whether the M bit is set: the first packet of the event.
    pub marker: bool,
    /// When the event began; it identifies the event and gives its RTP timestamp.
    pub start: Instant,
}

impl DtmfTransmit {
    /// The RTP timestamp of the event given a reference point of the stream's clock: the
    /// stream had `reference_timestamp` at `reference` and runs at `clock_rate`.
    pub fn rtp_timestamp(
        &self,
        reference: Instant,
        reference_timestamp: u32,
        clock_rate: u32,
    ) -> u32 {
        let units = match self.start.checked_duration_since(reference) {
            Some(d) => units(d, clock_rate) as u32,
            None => (units(reference - self.start, clock_rate) as u32).wrapping_neg(),
        };
        reference_timestamp.wrapping_add(units)
    }
}

/// Timestamp units in a duration at a clock rate.
fn units(d: Duration, clock_rate: u32) -> u64 {
    (d.as_nanos() * u128::from(clock_rate) / 1_000_000_000).min(u128::from(u64::MAX)) as u64
}

/// `at + d`, or `at` when the sum does not fit an `Instant`.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d).unwrap_or(at)
}

/// Most transmits kept for a caller that does not drain them; the oldest updates go first.
const TRANSMIT_LIMIT: usize = 16;
/// Packets with the E bit that end each event (RFC 4733 §2.5.1.4: the final packet is sent
/// three times).
const END_PACKETS: u8 = 3;

#[derive(Debug, Clone)]
struct Playing {
    event: u8,
    start: Instant,
    total: u16,
    next_tick: Instant,
    first_sent: bool,
    ends_sent: u8,
}

/// Sends telephone events (RFC 4733 §2.5.1).
///
/// A digit given to [`send_digit`](Self::send_digit) plays at once, or after the digits
/// before it (up to [`DtmfSenderConfig::queue_limit`] wait). Each interval after the start
/// a packet reports the event with its duration so far, the first with the M bit; once the
/// duration is reached, the final report with the E bit is sent three times, an interval
/// apart, and the next digit starts. All packets of one event share its RTP timestamp.
///
/// Inputs: `send_digit`/`send_event` (commands with `now`),
/// [`handle_timeout`](Self::handle_timeout). Outputs: [`poll_transmit`](Self::poll_transmit)
/// yields [`DtmfTransmit`]s, [`poll_timeout`](Self::poll_timeout) the next packet's time.
/// Drain `poll_transmit` after every input. Events longer than 65535 timestamp units are
/// refused rather than segmented (RFC 4733 §2.5.1.3).
///
/// ```no_run
/// use std::error::Error;
/// use std::time::{Duration, Instant};
///
/// use sipsimple_proto::rtp::{DtmfDigit, DtmfSender, DtmfSenderConfig, RtpBuilder};
///
/// /// Plays "123#": `clock` reads the driver's clock, `send` writes a datagram, and the
/// /// stream's sequence, SSRC and timestamp origin come with `seq`, `ssrc`, `epoch`.
/// fn play(
///     clock: impl Fn() -> Instant,
///     send: impl Fn(&[u8]),
///     mut seq: u16,
///     ssrc: u32,
///     (epoch, epoch_ts): (Instant, u32),
/// ) -> Result<(), Box<dyn Error>> {
///     let mut dtmf = DtmfSender::new(DtmfSenderConfig::default())?;
///     for c in "123#".chars() {
///         dtmf.send_digit(clock(), DtmfDigit::from_char(c)?, Duration::from_millis(100))?;
///     }
///     while let Some(deadline) = dtmf.poll_timeout() {
///         // … sleep until `deadline` …
///         dtmf.handle_timeout(clock());
///         while let Some(t) = dtmf.poll_transmit() {
///             seq = seq.wrapping_add(1);
///             let ts = t.rtp_timestamp(epoch, epoch_ts, 8000);
///             let mut buf = [0u8; 16];
///             let n = RtpBuilder::new(101, seq, ts, ssrc)
///                 .marker(t.marker)
///                 .payload(&t.event.to_bytes())
///                 .write(&mut buf)?;
///             send(&buf[..n]);
///         }
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct DtmfSender {
    config: DtmfSenderConfig,
    queue: VecDeque<(u8, u16)>,
    playing: Option<Playing>,
    transmits: VecDeque<DtmfTransmit>,
}

impl DtmfSender {
    /// A sender with these parameters.
    pub fn new(config: DtmfSenderConfig) -> Result<Self, DtmfError> {
        if config.clock_rate == 0 {
            return Err(DtmfError::Config("clock rate is zero"));
        }
        if config.interval.is_zero() {
            return Err(DtmfError::Config("packet interval is zero"));
        }
        Ok(Self {
            config,
            queue: VecDeque::new(),
            playing: None,
            transmits: VecDeque::new(),
        })
    }

    /// Plays a DTMF digit for `duration`.
    pub fn send_digit(
        &mut self,
        now: Instant,
        digit: DtmfDigit,
        duration: Duration,
    ) -> Result<(), DtmfError> {
        self.send_event(now, digit.code(), duration)
    }

    /// Plays any event code for `duration`.
    pub fn send_event(
        &mut self,
        now: Instant,
        event: u8,
        duration: Duration,
    ) -> Result<(), DtmfError> {
        if !self.config.allowed.contains(event) {
            return Err(DtmfError::NotAllowed(event));
        }
        let n = units(duration, self.config.clock_rate);
        let Ok(total) = u16::try_from(n) else {
            return Err(DtmfError::Duration { units: n });
        };
        if total == 0 {
            return Err(DtmfError::Duration { units: 0 });
        }
        if self.playing.is_none() {
            self.begin(now, event, total);
            return Ok(());
        }
        if self.queue.len() >= self.config.queue_limit {
            return Err(DtmfError::QueueFull(self.config.queue_limit));
        }
        self.queue.push_back((event, total));
        Ok(())
    }

    fn begin(&mut self, now: Instant, event: u8, total: u16) {
        self.playing = Some(Playing {
            event,
            start: now,
            total,
            next_tick: later(now, self.config.interval),
            first_sent: false,
            ends_sent: 0,
        });
    }

    /// Whether nothing is playing or waiting.
    pub fn is_idle(&self) -> bool {
        self.playing.is_none() && self.queue.is_empty()
    }

    /// Digits waiting behind the one playing.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// When the next packet is due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.playing.as_ref().map(|p| p.next_tick)
    }

    /// The next packet to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<DtmfTransmit> {
        self.transmits.pop_front()
    }

    /// Sends what is due at `now`. A late call skips the updates it missed (each carries the
    /// whole duration so far) but never the end packets.
    pub fn handle_timeout(&mut self, now: Instant) {
        let interval = self.config.interval;
        let rate = self.config.clock_rate;
        let volume = self.config.volume;
        while let Some(p) = self.playing.as_mut() {
            if now < p.next_tick {
                break;
            }
            let (duration, end) = if p.ends_sent == 0 {
                let elapsed = now.saturating_duration_since(p.start);
                let k = (elapsed.as_nanos() / interval.as_nanos()).max(1);
                let reached = units(
                    interval.saturating_mul(k.min(u128::from(u32::MAX)) as u32),
                    rate,
                );
                p.next_tick = later(
                    p.start,
                    interval.saturating_mul((k + 1).min(u128::from(u32::MAX)) as u32),
                );
                if reached >= u64::from(p.total) {
                    (p.total, true)
                } else {
                    (reached as u16, false)
                }
            } else {
                p.next_tick = later(p.next_tick, interval);
                (p.total, true)
            };
            if end {
                p.ends_sent += 1;
            }
            let transmit = DtmfTransmit {
                event: TelephoneEvent {
                    event: p.event,
                    end,
                    volume,
                    duration,
                },
                marker: !p.first_sent,
                start: p.start,
            };
            p.first_sent = true;
            let done = p.ends_sent >= END_PACKETS;
            if self.transmits.len() >= TRANSMIT_LIMIT {
                self.transmits.pop_front();
            }
            self.transmits.push_back(transmit);
            if done {
                self.playing = None;
                if let Some((event, total)) = self.queue.pop_front() {
                    self.begin(now, event, total);
                }
            }
        }
    }
}

/// How a received event was known to be over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventEnd {
    /// A packet with the E bit arrived.
    EndPacket,
    /// A packet of a newer event arrived before any end packet.
    Superseded,
    /// No packet of the event arrived for [`DtmfReceiverConfig::timeout`].
    TimedOut,
}

/// One event received, reported once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedEvent {
    /// The event code.
    pub event: u8,
    /// The DTMF digit of the code, if it is one.
    pub digit: Option<DtmfDigit>,
    /// The event's RTP timestamp.
    pub timestamp: u32,
    /// The longest duration reported, in timestamp units; for an event sent in segments
    /// (RFC 4733 §2.5.1.3), the segments' durations added up.
    pub duration: u32,
    /// The volume of the last report.
    pub volume: u8,
    /// How the end was detected.
    pub end: EventEnd,
}

/// Parameters of a [`DtmfReceiver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfReceiverConfig {
    /// Silence after which an event whose end packets were all lost is reported.
    pub timeout: Duration,
    /// The events we accept; others are dropped.
    pub allowed: EventSet,
}

impl Default for DtmfReceiverConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(500),
            allowed: EventSet::all(),
        }
    }
}

/// Timestamps this far behind the last event, or less, belong to old events; farther ones
/// are taken as the stream's timestamp having jumped (about 8.7 minutes at 8 kHz).
const STALE_WINDOW: u32 = 1 << 22;
/// Most reported events kept for a caller that does not drain them.
const EVENT_LIMIT: usize = 32;

#[derive(Debug, Clone)]
struct Current {
    /// The timestamp of the event's first segment, which the report carries.
    first_timestamp: u32,
    /// Units of the segments before the current one.
    earlier: u32,
    timestamp: u32,
    event: u8,
    duration: u16,
    volume: u8,
    sequence: u16,
    deadline: Instant,
}

/// Receives telephone events (RFC 4733 §2.5.2) and reports each exactly once, when it ends:
/// at its first end packet, when a packet with a newer timestamp starts another event, or
/// after [`DtmfReceiverConfig::timeout`] without packets. Updates and retransmitted end
/// packets of an event already reported are dropped, recognized by their timestamp. A
/// segment of a long event (same event, timestamp right after a full 0xFFFF previous
/// segment, RFC 4733 §2.5.1.3) continues the event rather than starting another.
///
/// Inputs: [`handle_packet`](Self::handle_packet) (or [`handle_rtp`](Self::handle_rtp)) for
/// every packet of the telephone-event payload type, [`handle_timeout`](Self::handle_timeout).
/// Outputs: [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout). A
/// malformed payload or a disallowed event is dropped, never an error.
///
/// ```
/// # use std::time::Instant;
/// # use sipsimple_proto::rtp::{DtmfDigit, DtmfReceiver, DtmfReceiverConfig, EventEnd};
/// # #[allow(clippy::disallowed_methods)]
/// # let now = Instant::now();
/// let mut rx = DtmfReceiver::new(DtmfReceiverConfig::default());
/// // RFC 4733 Table 5: the end of "9" and its retransmission.
/// assert!(rx.handle_packet(now, 0, 5, &[0x09, 0x94, 0x06, 0x40]));
/// assert!(!rx.handle_packet(now, 0, 6, &[0x09, 0x94, 0x06, 0x40]));
/// let ev = rx.poll_event().unwrap();
/// assert_eq!((ev.digit, ev.duration, ev.end), (Some(DtmfDigit::Nine), 1600, EventEnd::EndPacket));
/// assert!(rx.poll_event().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    config: DtmfReceiverConfig,
    current: Option<Current>,
    /// The timestamp of the last event reported.
    last: Option<u32>,
    events: VecDeque<ReceivedEvent>,
}

impl DtmfReceiver {
    /// A receiver with these parameters.
    pub fn new(config: DtmfReceiverConfig) -> Self {
        Self {
            config,
            current: None,
            last: None,
            events: VecDeque::new(),
        }
    }

    /// Forgets the event in progress and the history, for a new source.
    pub fn reset(&mut self) {
        self.current = None;
        self.last = None;
    }

    /// Feeds a telephone-event RTP packet.
    pub fn handle_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) -> bool {
        self.handle_packet(now, packet.timestamp(), packet.sequence(), packet.payload())
    }

    /// Feeds a telephone-event payload with its packet's RTP timestamp and sequence number;
    /// returns whether it was used (not malformed, disallowed, stale or a duplicate of an
    /// event already reported).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        timestamp: u32,
        sequence: u16,
        payload: &[u8],
    ) -> bool {
        let Ok(ev) = TelephoneEvent::parse(payload) else {
            return false;
        };
        if !self.config.allowed.contains(ev.event) {
            return false;
        }
        if self
            .last
            .is_some_and(|last| last.wrapping_sub(timestamp) < STALE_WINDOW)
        {
            return false;
        }
        let deadline = later(now, self.config.timeout);
        if let Some(c) = self.current.as_mut() {
            if c.timestamp == timestamp {
                if sequence_is_newer(c.sequence, sequence) && !ev.end {
                    // A reordered update older than one already seen.
                    return true;
                }
                c.duration = c.duration.max(ev.duration);
                c.volume = ev.volume;
                c.sequence = sequence;
                c.deadline = deadline;
                if ev.end {
                    self.finish(EventEnd::EndPacket);
                }
                return true;
            }
            if c.timestamp.wrapping_sub(timestamp) < STALE_WINDOW {
                return false;
            }
            // RFC 4733 §2.5.1.3: an event longer than the duration field holds goes on in a
            // new segment whose timestamp follows the full previous one.
            if ev.event == c.event
                && c.duration == u16::MAX
                && timestamp == c.timestamp.wrapping_add(u32::from(u16::MAX))
            {
                c.earlier = c.earlier.saturating_add(u32::from(u16::MAX));
                c.timestamp = timestamp;
                c.duration = ev.duration;
                c.volume = ev.volume;
                c.sequence = sequence;
                c.deadline = deadline;
                if ev.end {
                    self.finish(EventEnd::EndPacket);
                }
                return true;
            }
            self.finish(EventEnd::Superseded);
        }
        self.current = Some(Current {
            first_timestamp: timestamp,
            earlier: 0,
            timestamp,
            event: ev.event,
            duration: ev.duration,
            volume: ev.volume,
            sequence,
            deadline,
        });
        if ev.end {
            self.finish(EventEnd::EndPacket);
        }
        true
    }

    fn finish(&mut self, end: EventEnd) {
        let Some(c) = self.current.take() else {
            return;
        };
        self.last = Some(c.timestamp);
        if self.events.len() >= EVENT_LIMIT {
            self.events.pop_front();
        }
        self.events.push_back(ReceivedEvent {
            event: c.event,
            digit: DtmfDigit::from_code(c.event),
            timestamp: c.first_timestamp,
            duration: c.earlier.saturating_add(u32::from(c.duration)),
            volume: c.volume,
            end,
        });
    }

    /// Reports an event whose packets stopped for the timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.current.as_ref().is_some_and(|c| now >= c.deadline) {
            self.finish(EventEnd::TimedOut);
        }
    }

    /// When an event in progress would time out.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.as_ref().map(|c| c.deadline)
    }

    /// The next event received.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ReceivedEvent> {
        self.events.pop_front()
    }
}
