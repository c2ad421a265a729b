//! Helpers shared by the port-layer tests: an event recorder, a probe port with its own slot,
//! and WAV file writers.
#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part.

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use sipsimple_audio::engine::{AudioEvent, AudioPort, Mixer, PortId, Slot, SlotChange, SlotIo};
use sipsimple_audio::mixer::SlotId;
use sipsimple_audio::tone::SineGenerator;

/// Installs a sink on `mixer` that keeps every event with the tick it came in.
pub fn record_events(mixer: &Mixer) -> Arc<Mutex<Vec<(u64, AudioEvent)>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let (sink, clock) = (Arc::clone(&events), mixer.clone());
    mixer.set_event_sink(Arc::new(move |event| {
        sink.lock().push((clock.ticks(), event));
    }));
    events
}

/// What a [`Probe`]'s slot does each tick.
#[derive(Default)]
pub struct ProbeState {
    /// Frames to produce, one per tick, front first; nothing when empty.
    pub to_produce: Vec<Vec<i16>>,
    /// Frames consumed, with the tick they came in.
    pub consumed: Vec<(u64, Vec<i16>)>,
}

struct ProbeIo {
    state: Arc<Mutex<ProbeState>>,
    mixer: Mixer,
}

impl SlotIo for ProbeIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let mut state = self.state.lock();
        if state.to_produce.is_empty() {
            return false;
        }
        let frame = state.to_produce.remove(0);
        out.copy_from_slice(&frame);
        true
    }

    fn consume(&mut self, frame: &[i16]) {
        let tick = self.mixer.ticks();
        self.state.lock().consumed.push((tick, frame.to_vec()));
    }
}

/// A port producing and consuming on one slot of its own, as the driver's RTP stream does:
/// the test feeds its frames and reads what it heard.
pub struct Probe {
    mixer: Mixer,
    id: PortId,
    slot: Mutex<Option<Slot>>,
    pub state: Arc<Mutex<ProbeState>>,
    rate: u32,
}

impl Probe {
    pub fn new(mixer: &Mixer, rate: u32) -> Arc<Self> {
        let state = Arc::new(Mutex::new(ProbeState::default()));
        let slot = mixer
            .add_slot(
                rate,
                Box::new(ProbeIo {
                    state: Arc::clone(&state),
                    mixer: mixer.clone(),
                }),
            )
            .expect("slot");
        Arc::new(Self {
            mixer: mixer.clone(),
            id: PortId::new(),
            slot: Mutex::new(Some(slot)),
            state,
            rate,
        })
    }

    pub fn slot(&self) -> SlotId {
        self.slot.lock().as_ref().expect("has a slot").id()
    }

    /// Moves to a fresh slot, reporting the change as an implementor in another crate would.
    pub fn replace_slot(&self) -> (SlotId, SlotId) {
        let new = self
            .mixer
            .add_slot(
                self.rate,
                Box::new(ProbeIo {
                    state: Arc::clone(&self.state),
                    mixer: self.mixer.clone(),
                }),
            )
            .expect("slot");
        let new_id = new.id();
        let old = self.slot.lock().replace(new).expect("had a slot");
        let old_id = old.id();
        drop(old);
        let change = SlotChange {
            old: Some(old_id),
            new: Some(new_id),
        };
        self.mixer
            .port_slots_changed(self.id, Some(change), Some(change));
        (old_id, new_id)
    }

    pub fn feed(&self, frames: impl IntoIterator<Item = Vec<i16>>) {
        self.state.lock().to_produce.extend(frames);
    }

    pub fn heard(&self) -> Vec<(u64, Vec<i16>)> {
        std::mem::take(&mut self.state.lock().consumed)
    }
}

impl AudioPort for Probe {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        self.slot.lock().as_ref().map(Slot::id)
    }

    fn producer_slot(&self) -> Option<SlotId> {
        self.slot.lock().as_ref().map(Slot::id)
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

/// Writes a mono (or, with `channels` 2, identical stereo) 16-bit WAV of a sine.
pub fn write_sine_wav(
    path: &Path,
    rate: u32,
    channels: u16,
    frequency: f64,
    level_dbfs: f64,
    samples: usize,
) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("create");
    let mut tone = SineGenerator::new(frequency, level_dbfs, rate).expect("tone");
    let mut buf = vec![0i16; samples];
    tone.fill(&mut buf);
    for s in buf {
        for _ in 0..channels {
            writer.write_sample(s).expect("write");
        }
    }
    writer.finalize().expect("finalize");
}

/// Reads a mono 16-bit WAV: its rate and samples.
pub fn read_wav(path: &Path) -> (u32, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).expect("open");
    let rate = reader.spec().sample_rate;
    let samples = reader
        .samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .expect("samples");
    (rate, samples)
}
