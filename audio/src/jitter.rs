//! Jitter buffers for received RTP audio: fixed-delay and adaptive.
//!
//! Packets go in as they arrive ([`JitterBuffer::push`], with the sequence number, timestamp,
//! marker bit, payload and arrival instant) and PCM comes out one frame per frame time
//! ([`JitterBuffer::pull`], with the current instant). Between the two the buffer:
//!
//! - orders packets by (extended) sequence number, so reordering is undone, and drops
//!   duplicates and packets whose time has already been played;
//! - extends 16-bit sequence numbers and 32-bit timestamps across wrap-around;
//! - decodes in order with the stream's [`Decoder`] (G.722's adaptive state needs every packet
//!   in order), placing audio by timestamp, so packets may be 10, 20, 30 or 60 ms long whatever
//!   the frame size;
//! - conceals lost audio with the codec's own concealment when it has one
//!   ([`Decoder::conceal`], Opus) for up to [`CODEC_PLC_FRAMES`] frames, and otherwise by
//!   repeating the last frame of real audio with a linear fade to zero over [`FADE_FRAMES`]
//!   frames; then silence;
//! - treats a packet with the marker bit, or a timestamp far from the playout point (a jump
//!   larger than the largest delay), as the start of a new talkspurt: it plays once the delay has
//!   passed since its arrival, so silence suppression does not count as loss and the buffer
//!   re-synchronises after a timestamp jump;
//! - holds at most a configured number of packets (the oldest is dropped when full) and only
//!   payloads up to a configured size, in buffers allocated at construction.
//!
//! The fixed buffer plays each talkspurt a fixed time after its first packet arrived: it is
//! deterministic and meant for tests. The adaptive buffer measures each packet's transit (arrival
//! time minus media time) over the last [`TRANSIT_WINDOW`] packets, aims for a delay equal to the
//! spread of those transits plus a small margin, within its bounds, and moves towards it one
//! frame at a time (dropping or repeating a frame, at most every 200 ms), besides using the target
//! at each talkspurt start. No clock is read: every instant comes from the caller.

use std::time::{Duration, Instant};

use thiserror::Error;

use crate::codec::Decoder;

/// Frames over which concealment fades the repeated audio to silence.
pub const FADE_FRAMES: usize = 2;
/// Frames of a loss concealed by the codec's own concealment, when it has one, before silence:
/// 100 ms of 20 ms frames, past which a continued voice sounds more wrong than a gap.
pub const CODEC_PLC_FRAMES: usize = 5;
/// Packets whose transit the adaptive buffer remembers to estimate jitter.
pub const TRANSIT_WINDOW: usize = 128;
/// Margin added to the measured jitter spread by the adaptive buffer.
const ADAPTIVE_MARGIN_US: i64 = 5_000;
/// Least time between two adaptive adjustments.
const ADJUST_INTERVAL_US: i64 = 200_000;

/// Caller mistakes in configuring or using a jitter buffer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JitterError {
    /// The frame passed to [`JitterBuffer::pull`] is not the configured frame length.
    #[error("frame of {got} samples, the buffer was configured for {expected}")]
    FrameLength {
        /// The configured frame length.
        expected: usize,
        /// The length passed.
        got: usize,
    },
    /// A configuration value is unusable.
    #[error("invalid jitter buffer configuration: {0}")]
    Config(&'static str),
}

/// Sizes and bounds shared by both kinds of buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Samples per pulled frame (320 for 20 ms of G.722 at 16 kHz).
    pub frame_samples: usize,
    /// Most packets held at once.
    pub max_packets: usize,
    /// Largest payload accepted, in bytes.
    pub max_payload: usize,
}

impl JitterConfig {
    /// 20 ms frames at `sample_rate`, up to 64 packets of up to 1500 bytes.
    #[must_use]
    pub const fn for_rate(sample_rate: u32) -> Self {
        Self {
            frame_samples: sample_rate as usize / 50,
            max_packets: 64,
            max_payload: 1500,
        }
    }
}

/// How the playout delay is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playout {
    /// Each talkspurt plays this long after its first packet arrived.
    Fixed(Duration),
    /// The delay follows the measured jitter within these bounds.
    Adaptive {
        /// The least delay.
        min: Duration,
        /// The greatest delay.
        max: Duration,
    },
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insertion {
    /// Queued for playout.
    Queued,
    /// Queued, and the oldest held packet was dropped to make room.
    QueuedDroppedOldest,
    /// Dropped: the same sequence number is already held.
    Duplicate,
    /// Dropped: its sequence number or its time has already been played.
    Late,
    /// Dropped: the buffer is full of packets that play earlier.
    Overflow,
    /// Dropped: the payload is larger than [`JitterConfig::max_payload`].
    TooLarge,
    /// Dropped: the decoder cannot tell the payload's duration (a malformed Opus packet).
    Malformed,
}

/// What one pulled frame is made of, in samples (they add up to the frame length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pulled {
    /// Samples of decoded audio.
    pub audio: usize,
    /// Samples made up for lost or late audio (faded repetition, then zeros).
    pub concealed: usize,
    /// Samples of silence while nothing is due: before the first packet, between talkspurts.
    pub silence: usize,
}

/// Counters since construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Packets queued.
    pub queued: u64,
    /// Packets dropped as duplicates.
    pub duplicates: u64,
    /// Packets dropped as arriving after their time, or skipped at playout for that reason.
    pub late: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// Packets dropped for an oversized or malformed payload, or that the decoder refused.
    pub rejected: u64,
    /// Samples concealed.
    pub concealed_samples: u64,
    /// Frames dropped by the adaptive buffer to shorten its delay.
    pub frames_dropped: u64,
    /// Frames repeated by the adaptive buffer to lengthen its delay.
    pub frames_inserted: u64,
}

#[derive(Debug)]
struct Packet {
    seq: i64,
    /// Media time of the first sample, in samples (extended).
    start: i64,
    /// Media time after the last sample.
    end: i64,
    arrival: Instant,
    talkspurt: bool,
    payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing playing: the next packet starts a talkspurt.
    Waiting,
    /// Playing; `position` is the media time of the next sample.
    Playing,
}

/// A jitter buffer for one received RTP audio stream; see the module documentation.
#[derive(Debug)]
pub struct JitterBuffer {
    config: JitterConfig,
    playout: Playout,
    decoder: Box<dyn Decoder + Send>,
    /// Samples per RTP timestamp tick (2 for G.722, else 1).
    samples_per_tick: i64,
    sample_rate: i64,
    state: State,
    position: i64,
    packets: Vec<Packet>,
    pool: Vec<Vec<u8>>,
    highest: Option<(i64, i64)>,
    last_played_seq: Option<i64>,
    decoded: Vec<i16>,
    decoded_start: i64,
    decoded_len: usize,
    /// Whether `decoded` holds the codec's concealment rather than received audio.
    decoded_concealed: bool,
    /// The last frame of real audio, as a ring starting at `history_next`.
    history: Vec<i16>,
    history_next: usize,
    conceal_run: usize,
    epoch: Option<Instant>,
    transits: [i64; TRANSIT_WINDOW],
    transit_count: usize,
    last_adjust_us: i64,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer decoding with `decoder`, sized by `config`, delaying as `playout` says.
    ///
    /// # Errors
    /// [`JitterError::Config`] for a zero frame, packet or payload bound, a codec whose sample
    /// rate is not a whole multiple of its RTP clock, or adaptive bounds with `min > max`.
    pub fn new(
        decoder: Box<dyn Decoder + Send>,
        config: JitterConfig,
        playout: Playout,
    ) -> Result<Self, JitterError> {
        if config.frame_samples == 0 || config.max_packets == 0 || config.max_payload == 0 {
            return Err(JitterError::Config(
                "frame, packet and payload bounds must be positive",
            ));
        }
        if let Playout::Adaptive { min, max } = playout {
            if min > max {
                return Err(JitterError::Config("adaptive minimum above maximum"));
            }
        }
        let info = decoder.info();
        if info.rtp_clock_rate == 0 || info.sample_rate % info.rtp_clock_rate != 0 {
            return Err(JitterError::Config(
                "sample rate not a multiple of the RTP clock",
            ));
        }
        let max_samples = decoder.max_samples(config.max_payload);
        Ok(Self {
            samples_per_tick: i64::from(info.sample_rate / info.rtp_clock_rate),
            sample_rate: i64::from(info.sample_rate),
            decoder,
            state: State::Waiting,
            position: 0,
            packets: Vec::with_capacity(config.max_packets),
            pool: (0..config.max_packets)
                .map(|_| Vec::with_capacity(config.max_payload))
                .collect(),
            highest: None,
            last_played_seq: None,
            decoded: vec![0; max_samples],
            decoded_start: 0,
            decoded_len: 0,
            decoded_concealed: false,
            history: vec![0; config.frame_samples],
            history_next: 0,
            conceal_run: 0,
            epoch: None,
            transits: [0; TRANSIT_WINDOW],
            transit_count: 0,
            last_adjust_us: i64::MIN / 2,
            stats: JitterStats::default(),
            config,
            playout,
        })
    }

    /// The counters since construction.
    #[must_use]
    pub const fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Packets held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The delay the buffer aims for now.
    #[must_use]
    pub fn target_delay(&self) -> Duration {
        Duration::from_micros(self.target_us().unsigned_abs())
    }

    /// Queues a received packet.
    pub fn push(
        &mut self,
        sequence: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        arrival: Instant,
    ) -> Insertion {
        if payload.len() > self.config.max_payload {
            self.stats.rejected += 1;
            return Insertion::TooLarge;
        }
        let Ok(samples) = self.decoder.samples_in_payload(payload) else {
            self.stats.rejected += 1;
            return Insertion::Malformed;
        };
        let samples = samples as i64;
        let (seq, ticks) = match self.highest {
            None => (i64::from(sequence), i64::from(timestamp)),
            Some((hseq, hticks)) => (
                hseq + i64::from(sequence.wrapping_sub(hseq as u16) as i16),
                hticks + i64::from(timestamp.wrapping_sub(hticks as u32) as i32),
            ),
        };
        let start = ticks * self.samples_per_tick;
        let jump_limit = (self.max_delay_us() * 2).max(1_000_000) * self.sample_rate / 1_000_000;
        let far = self.state == State::Playing && (start - self.position).abs() > jump_limit;
        let Err(index) = self.packets.binary_search_by_key(&seq, |p| p.seq) else {
            self.stats.duplicates += 1;
            return Insertion::Duplicate;
        };
        if far {
            // A new time base: transits measured against the old one say nothing of jitter.
            self.transit_count = 0;
        }
        // Late packets count too: they are the jitter the adaptive delay must cover.
        self.record_transit(start, arrival);
        if self.highest.is_none_or(|(hseq, _)| seq > hseq) {
            self.highest = Some((seq, ticks));
        }
        let already_played = self.last_played_seq.is_some_and(|played| seq <= played);
        let past =
            self.state == State::Playing && !marker && !far && start + samples <= self.position;
        if already_played || past {
            self.stats.late += 1;
            return Insertion::Late;
        }

        let mut outcome = Insertion::Queued;
        let mut index = index;
        if self.packets.len() == self.config.max_packets {
            if index == 0 {
                self.stats.overflow += 1;
                return Insertion::Overflow;
            }
            let oldest = self.packets.remove(0);
            self.pool.push(oldest.payload);
            self.stats.overflow += 1;
            index -= 1;
            outcome = Insertion::QueuedDroppedOldest;
        }
        let mut buffer = self.pool.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(payload);
        self.packets.insert(
            index,
            Packet {
                seq,
                start,
                end: start + samples,
                arrival,
                talkspurt: marker || far,
                payload: buffer,
            },
        );
        self.stats.queued += 1;
        outcome
    }

    /// Fills `out` (exactly [`JitterConfig::frame_samples`] long) with the next frame of audio.
    ///
    /// # Errors
    /// [`JitterError::FrameLength`] when `out` has another length.
    pub fn pull(&mut self, now: Instant, out: &mut [i16]) -> Result<Pulled, JitterError> {
        let frame = self.config.frame_samples;
        if out.len() != frame {
            return Err(JitterError::FrameLength {
                expected: frame,
                got: out.len(),
            });
        }
        let mut pulled = Pulled::default();
        if self.adapt(now) {
            // Lengthen the delay by one frame: conceal without moving the playout point.
            let saved = self.conceal_run;
            self.conceal(out);
            self.conceal_run = saved;
            pulled.concealed = frame;
            self.stats.concealed_samples += frame as u64;
            return Ok(pulled);
        }
        let mut filled = 0;
        while filled < frame {
            let rest = &mut out[filled..];
            match self.state {
                State::Waiting => {
                    let due = self.packets.first().is_some_and(|p| {
                        self.us_since_epoch(now)
                            >= self.us_since_epoch(p.arrival) + self.target_us()
                    });
                    if !due {
                        rest.fill(0);
                        pulled.silence += rest.len();
                        break;
                    }
                    self.position = self.packets[0].start;
                    self.packets[0].talkspurt = false;
                    self.decoded_len = 0;
                    self.state = State::Playing;
                }
                State::Playing => {
                    let decoded_end = self.decoded_start + self.decoded_len as i64;
                    if self.decoded_start <= self.position && self.position < decoded_end {
                        let offset = (self.position - self.decoded_start) as usize;
                        let n = rest.len().min(self.decoded_len - offset);
                        rest[..n].copy_from_slice(&self.decoded[offset..offset + n]);
                        if self.decoded_concealed {
                            self.conceal_run += n;
                            pulled.concealed += n;
                            self.stats.concealed_samples += n as u64;
                        } else {
                            self.remember(&rest[..n]);
                            pulled.audio += n;
                        }
                        self.position += n as i64;
                        filled += n;
                        continue;
                    }
                    let Some(next) = self.packets.first() else {
                        if self.codec_conceal(frame) {
                            continue;
                        }
                        let n = rest.len();
                        self.conceal_and_advance(rest, n, &mut pulled);
                        filled += n;
                        continue;
                    };
                    if next.talkspurt && next.start != self.position {
                        self.state = State::Waiting;
                        continue;
                    }
                    if next.end <= self.position {
                        self.discard_first(true);
                        continue;
                    }
                    if next.start <= self.position {
                        self.decode_first();
                        continue;
                    }
                    let gap = (next.start - self.position) as usize;
                    if self.codec_conceal(gap) {
                        continue;
                    }
                    let n = rest.len().min(gap);
                    self.conceal_and_advance(rest, n, &mut pulled);
                    filled += n;
                }
            }
        }
        // After a long outage, start afresh with the next packet.
        if self.packets.is_empty() && self.conceal_run > (FADE_FRAMES + 25) * frame {
            self.state = State::Waiting;
        }
        Ok(pulled)
    }

    fn conceal_and_advance(&mut self, out: &mut [i16], n: usize, pulled: &mut Pulled) {
        self.conceal(&mut out[..n]);
        self.position += n as i64;
        pulled.concealed += n;
        self.stats.concealed_samples += n as u64;
    }

    /// Has the codec conceal up to `gap` samples from the playout point into `decoded`, where
    /// playout takes them as it takes decoded audio. False when the codec has no concealment,
    /// the gap is shorter than its step, or the loss has lasted [`CODEC_PLC_FRAMES`] already.
    fn codec_conceal(&mut self, gap: usize) -> bool {
        let frame = self.config.frame_samples;
        if self.conceal_run >= CODEC_PLC_FRAMES * frame {
            return false;
        }
        let want = gap.min(frame).min(self.decoded.len());
        let n = self.decoder.conceal(&mut self.decoded[..want]).min(want);
        if n == 0 {
            return false;
        }
        self.decoded_start = self.position;
        self.decoded_len = n;
        self.decoded_concealed = true;
        true
    }

    /// Repeats the last frame of real audio with a fade to zero, then zeros.
    fn conceal(&mut self, out: &mut [i16]) {
        let frame = self.config.frame_samples;
        let fade = (FADE_FRAMES * frame) as f32;
        for o in out.iter_mut() {
            *o = if self.conceal_run < FADE_FRAMES * frame {
                let sample = self.history[(self.history_next + self.conceal_run) % frame];
                let gain = 1.0 - self.conceal_run as f32 / fade;
                (f32::from(sample) * gain) as i16
            } else {
                0
            };
            self.conceal_run += 1;
        }
    }

    fn remember(&mut self, audio: &[i16]) {
        self.conceal_run = 0;
        let frame = self.config.frame_samples;
        for &s in audio {
            self.history[self.history_next] = s;
            self.history_next = (self.history_next + 1) % frame;
        }
    }

    fn discard_first(&mut self, late: bool) {
        let packet = self.packets.remove(0);
        self.last_played_seq = Some(packet.seq);
        if late {
            self.stats.late += 1;
        }
        self.pool.push(packet.payload);
    }

    fn decode_first(&mut self) {
        let packet = self.packets.remove(0);
        self.last_played_seq = Some(packet.seq);
        match self.decoder.decode(&packet.payload, &mut self.decoded) {
            Ok(n) => {
                self.decoded_start = packet.start;
                self.decoded_len = n;
                self.decoded_concealed = false;
            }
            Err(_) => {
                // A payload the codec cannot read is lost audio, concealed like any loss.
                self.stats.rejected += 1;
                self.decoded_len = 0;
            }
        }
        self.pool.push(packet.payload);
    }

    fn us_since_epoch(&self, t: Instant) -> i64 {
        self.epoch
            .map_or(0, |e| t.saturating_duration_since(e).as_micros() as i64)
    }

    fn record_transit(&mut self, start: i64, arrival: Instant) {
        if self.epoch.is_none() {
            self.epoch = Some(arrival);
        }
        let media_us = start * 1_000_000 / self.sample_rate;
        let transit = self.us_since_epoch(arrival) - media_us;
        self.transits[self.transit_count % TRANSIT_WINDOW] = transit;
        self.transit_count += 1;
    }

    fn transit_range(&self) -> Option<(i64, i64)> {
        let held = &self.transits[..self.transit_count.min(TRANSIT_WINDOW)];
        Some((*held.iter().min()?, *held.iter().max()?))
    }

    fn max_delay_us(&self) -> i64 {
        match self.playout {
            Playout::Fixed(d) | Playout::Adaptive { max: d, .. } => d.as_micros() as i64,
        }
    }

    fn target_us(&self) -> i64 {
        match self.playout {
            Playout::Fixed(d) => d.as_micros() as i64,
            Playout::Adaptive { min, max } => {
                let spread = self.transit_range().map_or(0, |(lo, hi)| hi - lo);
                (spread + ADAPTIVE_MARGIN_US).clamp(min.as_micros() as i64, max.as_micros() as i64)
            }
        }
    }

    /// Moves an adaptive buffer's delay one frame towards its target. Returns true when this
    /// frame must be a repeated one.
    fn adapt(&mut self, now: Instant) -> bool {
        if !matches!(self.playout, Playout::Adaptive { .. }) || self.state != State::Playing {
            return false;
        }
        let Some((min_transit, _)) = self.transit_range() else {
            return false;
        };
        let now_us = self.us_since_epoch(now);
        if now_us - self.last_adjust_us < ADJUST_INTERVAL_US {
            return false;
        }
        let frame = self.config.frame_samples as i64;
        let frame_us = frame * 1_000_000 / self.sample_rate;
        let delay = now_us - self.position * 1_000_000 / self.sample_rate - min_transit;
        let target = self.target_us();
        // The band [target, target + frame] is as wide as one step, so steps do not oscillate.
        if delay > target + frame_us {
            self.position += frame;
            self.last_adjust_us = now_us;
            self.stats.frames_dropped += 1;
            false
        } else if delay < target {
            self.last_adjust_us = now_us;
            self.stats.frames_inserted += 1;
            true
        } else {
            false
        }
    }
}
