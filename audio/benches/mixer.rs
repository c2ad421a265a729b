//! Cost of one 20 ms frame of the conference bridge at 16 kHz (every slot at 16 kHz): `put`
//! for every slot, `mix`, then `get` for every slot.
//!
//! - `full_mesh/N`: N slots all talking, each hearing every other (the total-minus-own path).
//! - `half_mesh/100`: 100 talking slots, each hearing the 49 after it: the direct-sum path,
//!   for comparison with the full mesh.
//! - `conference/100`: 100 slots each hearing every other, as in a real conference where only
//!   3 talk and the others send nothing (silence suppression or muted microphones).
//! - `ports_in_bridge/10`: the port layer's [`Mixer::tick`] with 10 ports in one
//!   [`AudioBridge`], each a [`SlotIo`] producing a tone frame and taking its mixed frame: the
//!   full-mesh frame plus the callbacks, locks and the bridge's two delay slots.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::sync::Arc;

use sipsimple_audio::bridge::AudioBridge;
use sipsimple_audio::engine::{AudioPort, Mixer, PortId, Slot, SlotIo};
use sipsimple_audio::mixer::{AudioMixer, SlotId};
use sipsimple_audio::tone::SineGenerator;

const RATE: u32 = 16000;
const FRAME: usize = (RATE / 50) as usize;

/// A mixer of `slots` slots where `hears(producer, consumer)` says who hears whom, and a
/// distinct tone frame for each slot.
fn setup(
    slots: usize,
    hears: impl Fn(usize, usize) -> bool,
) -> (AudioMixer, Vec<SlotId>, Vec<Vec<i16>>) {
    let mut mixer = AudioMixer::new(RATE).expect("mixer");
    let ids: Vec<_> = (0..slots)
        .map(|_| mixer.add_slot(RATE).expect("slot"))
        .collect();
    for (p, &producer) in ids.iter().enumerate() {
        for (c, &consumer) in ids.iter().enumerate() {
            if hears(p, c) {
                mixer.connect(producer, consumer).expect("connect");
            }
        }
    }
    let frames = (0..slots)
        .map(|k| {
            let mut frame = vec![0i16; FRAME];
            SineGenerator::new(200.0 + 30.0 * k as f64, -30.0, RATE)
                .expect("tone")
                .fill(&mut frame);
            frame
        })
        .collect();
    (mixer, ids, frames)
}

/// One frame: `put` for the talkers, `mix`, `get` for everyone.
fn frame(
    mixer: &mut AudioMixer,
    ids: &[SlotId],
    frames: &[Vec<i16>],
    talkers: usize,
    out: &mut [i16],
) {
    for (id, frame) in ids.iter().zip(frames).take(talkers) {
        mixer.put(*id, black_box(frame)).expect("put");
    }
    mixer.mix();
    for id in ids {
        mixer.get(*id, out).expect("get");
        black_box(&out);
    }
}

fn mixer(c: &mut Criterion) {
    let mut out = vec![0i16; FRAME];
    let mut group = c.benchmark_group("mixer_20ms_16k");
    for slots in [2, 10, 100] {
        let (mut mixer, ids, frames) = setup(slots, |p, c| p != c);
        group.bench_function(BenchmarkId::new("full_mesh", slots), |b| {
            b.iter(|| frame(&mut mixer, &ids, &frames, slots, &mut out));
        });
    }
    let (mut mixer, ids, frames) = setup(100, |p, c| p != c && (p + 100 - c) % 100 < 50);
    group.bench_function(BenchmarkId::new("half_mesh", 100), |b| {
        b.iter(|| frame(&mut mixer, &ids, &frames, 100, &mut out));
    });
    let (mut mixer, ids, frames) = setup(100, |p, c| p != c);
    group.bench_function(BenchmarkId::new("conference", 100), |b| {
        b.iter(|| frame(&mut mixer, &ids, &frames, 3, &mut out));
    });
    group.finish();
}

/// A port playing a fixed frame and discarding what it hears, as an RTP stream would with
/// its codec work left out.
struct TonePort {
    mixer: Mixer,
    id: PortId,
    slot: Slot,
}

struct ToneIo {
    frame: Vec<i16>,
}

impl SlotIo for ToneIo {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        out.copy_from_slice(&self.frame);
        true
    }

    fn consume(&mut self, frame: &[i16]) {
        black_box(frame);
    }
}

impl AudioPort for TonePort {
    fn mixer(&self) -> &Mixer {
        &self.mixer
    }

    fn consumer_slot(&self) -> Option<SlotId> {
        Some(self.slot.id())
    }

    fn producer_slot(&self) -> Option<SlotId> {
        Some(self.slot.id())
    }

    fn port_id(&self) -> PortId {
        self.id
    }
}

fn ports(c: &mut Criterion) {
    let mut group = c.benchmark_group("mixer_20ms_16k");
    let mixer = Mixer::new(RATE).expect("mixer");
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let (_, _, frames) = setup(10, |_, _| false);
    let ports: Vec<_> = frames
        .into_iter()
        .map(|frame| {
            let slot = mixer
                .add_slot(RATE, Box::new(ToneIo { frame }))
                .expect("slot");
            Arc::new(TonePort {
                mixer: mixer.clone(),
                id: PortId::new(),
                slot,
            })
        })
        .collect();
    for port in &ports {
        bridge.add(port).expect("add");
    }
    group.bench_function(BenchmarkId::new("ports_in_bridge", 10), |b| {
        b.iter(|| mixer.tick());
    });
    group.finish();
}

criterion_group!(benches, mixer, ports);
criterion_main!(benches);
