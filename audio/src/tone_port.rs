//! [`ToneGenerator`]: a port that plays queued tones and DTMF keys (the seed core's
//! `ToneGenerator`), built on [`crate::tone`].

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::engine::{AudioPort, EngineError, Mixer, PortId, Slot, SlotChange, SlotIo};
use crate::mixer::SlotId;
use crate::tone::{DtmfDigit, DualTone};

/// The most tones waiting in a [`ToneGenerator`]'s queue.
pub const TONE_QUEUE_LIMIT: usize = 64;

/// The level of each frequency of a tone, in dBFS (the pair peaks 6 dB higher).
pub const TONE_LEVEL_DBFS: f64 = -13.0;

/// How long [`ToneGenerator::play_dtmf`] sounds a key, and the silence after it, so that
/// keys played back to back are told apart (ITU-T Q.24 asks for at least 40 ms of each).
pub const DTMF_ON: Duration = Duration::from_millis(200);
/// The silence after a key played by [`ToneGenerator::play_dtmf`].
pub const DTMF_OFF: Duration = Duration::from_millis(50);

/// One queued tone: a generator (`None`: silence) and the samples left to play.
struct Queued {
    tone: Option<DualTone>,
    samples: usize,
}

struct ToneState {
    slot: Option<Slot>,
    generation: u64,
    queue: VecDeque<Queued>,
}

/// A port producing tones at the mixer's clock rate: nothing while its queue is empty, so it
/// can stay in a bridge between tones. Built with [`ToneGenerator::new`], used through its
/// `Arc`; it produces only between [`start`](Self::start) and [`stop`](Self::stop).
pub struct ToneGenerator {
    mixer: Mixer,
    id: PortId,
    state: Arc<Mutex<ToneState>>,
}

impl fmt::Debug for ToneGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToneGenerator")
            .field("id", &self.id)
            .field("queued", &self.state.lock().queue.len())
            .finish_non_exhaustive()
    }
}

impl ToneGenerator {
    /// A stopped generator on `mixer`.
    #[must_use]
    pub fn new(mixer: &Mixer) -> Arc<Self> {
        Arc::new(Self {
            mixer: mixer.clone(),
            id: PortId::new(),
            state: Arc::new(Mutex::new(ToneState {
                slot: None,
                generation: 0,
                queue: VecDeque::new(),
            })),
        })
    }

    /// Whether the generator is started.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.state.lock().slot.is_some()
    }

    /// Whether tones are still queued or playing.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        !self.state.lock().queue.is_empty()
    }

    /// Gives the generator its producer slot, at the mixer's clock rate.
    ///
    /// # Errors
    /// [`EngineError::AlreadyActive`]; [`EngineError::Mixer`] when the mixer is full.
    pub fn start(&self) -> Result<(), EngineError> {
        let mut state = self.state.lock();
        if state.slot.is_some() {
            return Err(EngineError::AlreadyActive);
        }
        state.generation += 1;
        let io = ToneIo {
            state: Arc::clone(&self.state),
            generation: state.generation,
        };
        let slot = self.mixer.add_slot(self.mixer.clock_rate(), Box::new(io))?;
        let id = slot.id();
        state.slot = Some(slot);
        drop(state);
        self.mixer.port_slots_changed(
            self.id,
            None,
            Some(SlotChange {
                old: None,
                new: Some(id),
            }),
        );
        Ok(())
    }

    /// Drops the queue and the producer slot.
    pub fn stop(&self) {
        let slot = {
            let mut state = self.state.lock();
            state.queue.clear();
            state.slot.take()
        };
        if let Some(slot) = slot {
            let old = slot.id();
            drop(slot);
            self.mixer.port_slots_changed(
                self.id,
                None,
                Some(SlotChange {
                    old: Some(old),
                    new: None,
                }),
            );
        }
    }

    /// Queues tones after those already queued: each `(first, second, duration)` plays the two
    /// frequencies in Hz together; a frequency of 0 leaves it out, so `(f, 0, d)` is a single
    /// sine and `(0, 0, d)` a pause.
    ///
    /// # Errors
    /// [`EngineError::NotActive`] before `start`; [`EngineError::Tone`] for a frequency not
    /// below half the clock rate; [`EngineError::ToneQueueFull`] when they would not all fit
    /// in [`TONE_QUEUE_LIMIT`]. Nothing is queued on error.
    pub fn play_tones(&self, tones: &[(f64, f64, Duration)]) -> Result<(), EngineError> {
        let rate = self.mixer.clock_rate();
        let mut built = Vec::with_capacity(tones.len());
        for &(first, second, duration) in tones {
            let tone = match (first != 0.0, second != 0.0) {
                (false, false) => None,
                (true, false) => Some(DualTone::single(first, TONE_LEVEL_DBFS, rate)?),
                (false, true) => Some(DualTone::single(second, TONE_LEVEL_DBFS, rate)?),
                (true, true) => Some(DualTone::new(first, second, TONE_LEVEL_DBFS, rate)?),
            };
            let samples = usize::try_from(duration.as_micros() * u128::from(rate) / 1_000_000)
                .unwrap_or(usize::MAX);
            built.push(Queued { tone, samples });
        }
        self.enqueue(built)
    }

    /// Queues a DTMF key: [`DTMF_ON`] of its tone, then [`DTMF_OFF`] of silence.
    ///
    /// # Errors
    /// As [`play_tones`](Self::play_tones), and [`EngineError::Tone`] for a character that is
    /// not a key.
    pub fn play_dtmf(&self, digit: char) -> Result<(), EngineError> {
        let digit = DtmfDigit::new(digit)?;
        let (low, high) = digit.frequencies();
        self.play_tones(&[(low, high, DTMF_ON), (0.0, 0.0, DTMF_OFF)])
    }

    fn enqueue(&self, tones: Vec<Queued>) -> Result<(), EngineError> {
        let mut state = self.state.lock();
        if state.slot.is_none() {
            return Err(EngineError::NotActive);
        }
        if state.queue.len() + tones.len() > TONE_QUEUE_LIMIT {
            return Err(EngineError::ToneQueueFull {
                max: TONE_QUEUE_LIMIT,
            });
        }
        state.queue.extend(tones);
        Ok(())
    }
}

impl AudioPort for ToneGenerator {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        None
    }

    fn producer_slot(&self) -> Option<SlotId> {
        self.state.lock().slot.as_ref().map(Slot::id)
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

impl Drop for ToneGenerator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The generator's slot io: plays the head of the queue.
struct ToneIo {
    state: Arc<Mutex<ToneState>>,
    generation: u64,
}

impl SlotIo for ToneIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let mut state = self.state.lock();
        if state.generation != self.generation || state.queue.is_empty() {
            return false;
        }
        let mut filled = 0;
        while filled < out.len() {
            let Some(head) = state.queue.front_mut() else {
                break;
            };
            let n = head.samples.min(out.len() - filled);
            let part = &mut out[filled..filled + n];
            match &mut head.tone {
                Some(tone) => tone.fill(part),
                None => part.fill(0),
            }
            head.samples -= n;
            filled += n;
            if head.samples == 0 {
                state.queue.pop_front();
            }
        }
        out[filled..].fill(0);
        true
    }
}
