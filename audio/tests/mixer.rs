//! The conference bridge routes tones where its connection matrix says, at the right
//! frequency and level, across sample rates, with gains, saturation, removal and bounds; and
//! its per-frame calls allocate nothing.

use proptest::prelude::*;
use sipsimple_audio::goertzel::{tone_level, SILENCE_DBFS};
use sipsimple_audio::mixer::{AudioMixer, MixerError, SlotId, MAX_GAIN, MAX_SLOTS};
use sipsimple_audio::tone::SineGenerator;

mod counting;

use counting::allocations_in;

/// Frames run before measuring, so the resamplers' delays have passed.
const SETTLE_FRAMES: usize = 5;
/// Frames measured: 100 ms, enough for `tone_level` to separate tones 200 Hz apart.
const MEASURED_FRAMES: usize = 5;

/// A tone below this level counts as absent.
const ABSENT_DBFS: f64 = -70.0;

/// One slot of a scenario: what it plays (if anything) and what it heard in the measured frames.
struct Party {
    id: SlotId,
    rate: u32,
    tone: Option<SineGenerator>,
    heard: Vec<i16>,
}

impl Party {
    fn new(mixer: &mut AudioMixer, rate: u32, tone: Option<(f64, f64)>) -> Self {
        let id = mixer.add_slot(rate).expect("slot");
        Self {
            id,
            rate,
            tone: tone.map(|(f, dbfs)| SineGenerator::new(f, dbfs, rate).expect("tone")),
            heard: Vec::new(),
        }
    }

    /// The level in dBFS of `frequency` in what this party heard.
    fn level(&self, frequency: f64) -> f64 {
        tone_level(&self.heard, self.rate, frequency)
    }
}

/// Runs the frames of a scenario: every party with a tone puts a frame, then every party gets
/// one; the last `MEASURED_FRAMES` are kept.
fn run(mixer: &mut AudioMixer, parties: &mut [Party]) {
    for party in parties.iter_mut() {
        party.heard.clear();
    }
    for frame_no in 0..SETTLE_FRAMES + MEASURED_FRAMES {
        for party in parties.iter_mut() {
            if let Some(tone) = &mut party.tone {
                let mut frame = vec![0i16; (party.rate / 50) as usize];
                tone.fill(&mut frame);
                mixer.put(party.id, &frame).expect("put");
            }
        }
        mixer.mix();
        for party in parties.iter_mut() {
            let mut frame = vec![0i16; (party.rate / 50) as usize];
            mixer.get(party.id, &mut frame).expect("get");
            if frame_no >= SETTLE_FRAMES {
                party.heard.extend_from_slice(&frame);
            }
        }
    }
}

fn assert_near(measured: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (measured - expected).abs() <= tolerance,
        "{what}: {measured:.2} dBFS, expected {expected:.2} ± {tolerance}"
    );
}

#[test]
fn two_slots_connected_both_ways_hear_each_other_and_not_themselves() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let mut p = [
        Party::new(&mut mixer, 16000, Some((440.0, -10.0))),
        Party::new(&mut mixer, 16000, Some((1000.0, -10.0))),
    ];
    mixer.connect(p[0].id, p[1].id).expect("connect");
    mixer.connect(p[1].id, p[0].id).expect("connect");
    assert!(mixer.connected(p[0].id, p[1].id) && mixer.connected(p[1].id, p[0].id));
    assert!(!mixer.connected(p[0].id, p[0].id));
    run(&mut mixer, &mut p);
    assert_near(p[0].level(1000.0), -10.0, 0.1, "A hears B");
    assert_near(p[1].level(440.0), -10.0, 0.1, "B hears A");
    assert!(p[0].level(440.0) < ABSENT_DBFS, "A does not hear itself");
    assert!(p[1].level(1000.0) < ABSENT_DBFS, "B does not hear itself");
    // The sum of a -10 dBFS sine is exact at the same rate: the frames are the input samples.
    assert_near(
        mixer.produced_level(p[0].id).expect("level"),
        -10.0,
        0.1,
        "A's meter",
    );
    assert_near(
        mixer.received_level(p[0].id).expect("level"),
        -10.0,
        0.1,
        "A's ear",
    );
}

#[test]
fn three_slots_all_connected_each_hear_the_two_others() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let freqs = [400.0, 1000.0, 2500.0];
    let mut p: Vec<_> = freqs
        .iter()
        .map(|&f| Party::new(&mut mixer, 16000, Some((f, -12.0))))
        .collect();
    for a in 0..3 {
        for b in 0..3 {
            if a != b {
                mixer.connect(p[a].id, p[b].id).expect("connect");
            }
        }
    }
    run(&mut mixer, &mut p);
    for (b, party) in p.iter().enumerate() {
        for (a, &f) in freqs.iter().enumerate() {
            if a == b {
                assert!(party.level(f) < ABSENT_DBFS, "slot {b} hears itself");
            } else {
                assert_near(party.level(f), -12.0, 0.1, &format!("slot {b} hears {a}"));
            }
        }
    }
}

#[test]
fn a_conference_of_many_hears_everyone_but_itself() {
    // Eight slots, all hearing all others: the mixer takes its total-minus-own path here.
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let freqs: Vec<f64> = (0..8).map(|k| 300.0 + 450.0 * f64::from(k)).collect();
    let mut p: Vec<_> = freqs
        .iter()
        .map(|&f| Party::new(&mut mixer, 16000, Some((f, -30.0))))
        .collect();
    for a in &p {
        for b in &p {
            if a.id != b.id {
                mixer.connect(a.id, b.id).expect("connect");
            }
        }
    }
    run(&mut mixer, &mut p);
    for (b, party) in p.iter().enumerate() {
        for (a, &f) in freqs.iter().enumerate() {
            let level = party.level(f);
            if a == b {
                assert!(level < ABSENT_DBFS, "slot {b} hears itself at {level}");
            } else {
                assert_near(level, -30.0, 0.1, &format!("slot {b} hears {a}"));
            }
        }
    }
}

#[test]
fn disconnect_stops_the_sound() {
    let mut mixer = AudioMixer::new(8000).expect("mixer");
    let mut p = [
        Party::new(&mut mixer, 8000, Some((600.0, -6.0))),
        Party::new(&mut mixer, 8000, None),
    ];
    mixer.connect(p[0].id, p[1].id).expect("connect");
    run(&mut mixer, &mut p);
    assert_near(p[1].level(600.0), -6.0, 0.1, "before");
    assert_eq!(mixer.disconnect(p[0].id, p[1].id), Ok(true));
    assert_eq!(mixer.disconnect(p[0].id, p[1].id), Ok(false));
    assert!(!mixer.connected(p[0].id, p[1].id));
    run(&mut mixer, &mut p);
    assert!(
        p[1].heard.iter().all(|&s| s == 0),
        "silence after disconnect"
    );
    assert_eq!(mixer.received_level(p[1].id), Ok(SILENCE_DBFS));
    // The producer still shows on its own meter: it is talking, only nobody listens.
    assert_near(
        mixer.produced_level(p[0].id).expect("level"),
        -6.0,
        0.1,
        "meter",
    );
}

#[test]
fn a_missing_frame_counts_as_silence() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let (a, b) = (
        mixer.add_slot(16000).expect("a"),
        mixer.add_slot(16000).expect("b"),
    );
    mixer.connect(a, b).expect("connect");
    mixer.put(a, &[1000; 320]).expect("put");
    mixer.mix();
    let mut out = [0i16; 320];
    mixer.get(b, &mut out).expect("get");
    assert!(out.iter().all(|&s| s == 1000));
    mixer.mix();
    mixer.get(b, &mut out).expect("get");
    assert!(out.iter().all(|&s| s == 0), "the frame is not repeated");
    assert_eq!(mixer.produced_level(a), Ok(SILENCE_DBFS));
}

#[test]
fn input_and_output_gains_scale_and_mute() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let mut p = [
        Party::new(&mut mixer, 16000, Some((1000.0, -10.0))),
        Party::new(&mut mixer, 16000, None),
    ];
    mixer.connect(p[0].id, p[1].id).expect("connect");
    let minus_6db = 10f32.powf(-6.0 / 20.0);

    mixer.set_input_gain(p[0].id, minus_6db).expect("gain");
    run(&mut mixer, &mut p);
    assert_near(p[1].level(1000.0), -16.0, 0.05, "input gain -6 dB");
    assert_near(
        mixer.produced_level(p[0].id).expect("level"),
        -16.0,
        0.05,
        "meter",
    );

    mixer.set_input_gain(p[0].id, 1.0).expect("gain");
    mixer.set_output_gain(p[1].id, minus_6db).expect("gain");
    run(&mut mixer, &mut p);
    assert_near(p[1].level(1000.0), -16.0, 0.05, "output gain -6 dB");

    // -6 dB halves the amplitude, sample by sample (to rounding).
    mixer.set_output_gain(p[1].id, 0.5).expect("gain");
    let (a, b) = (p[0].id, p[1].id);
    let mut frame = [0i16; 320];
    for (i, s) in frame.iter_mut().enumerate() {
        *s = (i as i16 - 160) * 101;
    }
    mixer.put(a, &frame).expect("put");
    mixer.mix();
    let mut out = [0i16; 320];
    mixer.get(b, &mut out).expect("get");
    for (&x, &y) in frame.iter().zip(&out) {
        assert!((i32::from(x) - 2 * i32::from(y)).abs() <= 1, "{x} -> {y}");
    }

    mixer.set_output_gain(b, 0.0).expect("mute");
    run(&mut mixer, &mut p);
    assert!(p[1].heard.iter().all(|&s| s == 0), "output muted");
    mixer.set_output_gain(b, 1.0).expect("gain");
    mixer.set_input_gain(a, 0.0).expect("mute");
    run(&mut mixer, &mut p);
    assert!(p[1].heard.iter().all(|&s| s == 0), "input muted");
    assert_eq!(mixer.produced_level(a), Ok(SILENCE_DBFS));
}

#[test]
fn full_scale_sums_saturate_instead_of_wrapping() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let ids: Vec<_> = (0..3)
        .map(|_| mixer.add_slot(16000).expect("slot"))
        .collect();
    for &p in &ids[..2] {
        mixer.connect(p, ids[2]).expect("connect");
    }
    // Two full-scale square waves in phase: the sum is twice full scale.
    let mut square = [0i16; 320];
    for (i, s) in square.iter_mut().enumerate() {
        *s = if (i / 8) % 2 == 0 { i16::MAX } else { i16::MIN };
    }
    for &p in &ids[..2] {
        mixer.put(p, &square).expect("put");
    }
    mixer.mix();
    let mut out = [0i16; 320];
    mixer.get(ids[2], &mut out).expect("get");
    assert_eq!(
        out, square,
        "clipped at the rails, same signs as the inputs"
    );
    assert_eq!(mixer.received_level(ids[2]), Ok(0.0));

    // The maximum gain on a full-scale input also clips rather than wraps.
    mixer.set_input_gain(ids[0], MAX_GAIN).expect("gain");
    mixer.disconnect(ids[1], ids[2]).expect("disconnect");
    mixer.put(ids[0], &[10000; 320]).expect("put");
    mixer.mix();
    mixer.get(ids[2], &mut out).expect("get");
    assert!(out.iter().all(|&s| s == i16::MAX));

    // A positive and a negative full-scale frame cancel exactly: no intermediate clipping.
    mixer.set_input_gain(ids[0], 1.0).expect("gain");
    mixer.connect(ids[1], ids[2]).expect("connect");
    mixer.put(ids[0], &[i16::MAX; 320]).expect("put");
    mixer.put(ids[1], &[-i16::MAX; 320]).expect("put");
    mixer.mix();
    mixer.get(ids[2], &mut out).expect("get");
    assert!(out.iter().all(|&s| s == 0));
}

#[test]
fn slots_at_8_and_48_khz_on_a_16_khz_mixer_hear_each_other() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let mut p = [
        Party::new(&mut mixer, 8000, Some((700.0, -10.0))),
        Party::new(&mut mixer, 48000, Some((1900.0, -10.0))),
    ];
    mixer.connect(p[0].id, p[1].id).expect("connect");
    mixer.connect(p[1].id, p[0].id).expect("connect");
    run(&mut mixer, &mut p);
    assert_eq!(p[0].heard.len(), 160 * MEASURED_FRAMES);
    assert_eq!(p[1].heard.len(), 960 * MEASURED_FRAMES);
    assert_near(p[0].level(1900.0), -10.0, 0.2, "8 kHz slot hears 1900 Hz");
    assert_near(p[1].level(700.0), -10.0, 0.2, "48 kHz slot hears 700 Hz");
    assert!(p[0].level(700.0) < ABSENT_DBFS, "8 kHz slot hears itself");
    assert!(p[1].level(1900.0) < ABSENT_DBFS, "48 kHz slot hears itself");
    // Nothing lands anywhere else: the image of 700 Hz at 16 kHz - 700 Hz is filtered out.
    assert!(p[1].level(15300.0) < ABSENT_DBFS, "no image");
}

#[test]
fn a_slot_connected_to_itself_hears_itself() {
    let mut mixer = AudioMixer::new(32000).expect("mixer");
    let mut p = [Party::new(&mut mixer, 32000, Some((1000.0, -20.0)))];
    mixer
        .connect(p[0].id, p[0].id)
        .expect("self connection is allowed");
    run(&mut mixer, &mut p);
    assert_near(p[0].level(1000.0), -20.0, 0.1, "echo");
}

#[test]
fn removing_a_slot_drops_its_connections() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let p = [
        Party::new(&mut mixer, 16000, Some((500.0, -10.0))),
        Party::new(&mut mixer, 16000, Some((1500.0, -10.0))),
        Party::new(&mut mixer, 16000, None),
    ];
    for a in 0..2 {
        mixer.connect(p[a].id, p[2].id).expect("connect");
        mixer.connect(p[2].id, p[a].id).expect("connect");
    }
    let gone = p[0].id;
    mixer.remove_slot(gone).expect("remove");
    assert_eq!(mixer.slot_count(), 2);
    assert!(!mixer.connected(gone, p[2].id) && !mixer.connected(p[2].id, gone));
    assert_eq!(mixer.remove_slot(gone), Err(MixerError::UnknownSlot(gone)));
    assert_eq!(
        mixer.connect(gone, p[2].id),
        Err(MixerError::UnknownSlot(gone))
    );
    assert_eq!(
        mixer.put(gone, &[0; 320]),
        Err(MixerError::UnknownSlot(gone))
    );

    // A new slot in the removed one's place inherits none of its connections.
    let newcomer = Party::new(&mut mixer, 16000, Some((500.0, -10.0)));
    assert_eq!(newcomer.id.index(), gone.index());
    assert!(!mixer.connected(newcomer.id, p[2].id) && !mixer.connected(p[2].id, newcomer.id));
    let [_, talker, listener] = p;
    let mut rest = [newcomer, talker, listener];
    run(&mut mixer, &mut rest);
    assert!(
        rest[2].level(500.0) < ABSENT_DBFS,
        "the newcomer is not heard"
    );
    assert_near(
        rest[2].level(1500.0),
        -10.0,
        0.1,
        "the remaining producer is",
    );
    assert!(
        rest[0].heard.iter().all(|&s| s == 0),
        "the newcomer hears nobody"
    );
}

#[test]
fn bounds_and_errors() {
    assert_eq!(
        AudioMixer::new(22050).map(|_| ()),
        Err(MixerError::UnsupportedRate(22050))
    );
    let mut mixer = AudioMixer::new(48000).expect("mixer");
    assert_eq!((mixer.clock_rate(), mixer.frame_len()), (48000, 960));
    assert_eq!(
        mixer.add_slot(11025),
        Err(MixerError::UnsupportedRate(11025))
    );
    let ids: Vec<_> = (0..MAX_SLOTS)
        .map(|_| mixer.add_slot(48000).expect("within the bound"))
        .collect();
    assert_eq!(
        mixer.add_slot(48000),
        Err(MixerError::TooManySlots { max: MAX_SLOTS })
    );
    mixer.remove_slot(ids[17]).expect("remove");
    let again = mixer.add_slot(8000).expect("a place is free again");
    assert_eq!(mixer.slot_rate(again), Ok(8000));
    assert_eq!(mixer.slot_frame_len(again), Ok(160));

    assert_eq!(
        mixer.put(again, &[0; 320]),
        Err(MixerError::FrameLength {
            expected: 160,
            actual: 320
        })
    );
    let mut short = [0i16; 100];
    assert_eq!(
        mixer.get(again, &mut short),
        Err(MixerError::FrameLength {
            expected: 160,
            actual: 100
        })
    );
    for bad in [-1.0, f32::NAN, f32::INFINITY, MAX_GAIN * 1.01] {
        assert!(matches!(
            mixer.set_input_gain(again, bad),
            Err(MixerError::InvalidGain(_))
        ));
        assert!(matches!(
            mixer.set_output_gain(again, bad),
            Err(MixerError::InvalidGain(_))
        ));
    }
    assert_eq!(
        mixer.get(ids[17], &mut short),
        Err(MixerError::UnknownSlot(ids[17]))
    );
    assert!(!mixer.connected(ids[17], again));
    // Before any mix a consumer hears silence.
    let mut out = [1i16; 160];
    mixer.get(again, &mut out).expect("get");
    assert!(out.iter().all(|&s| s == 0));
}

#[test]
fn the_full_bound_of_slots_mixes_at_full_scale_without_overflow() {
    // 256 producers at full scale with the maximum gain: the i32 sum stays in range.
    let mut mixer = AudioMixer::new(8000).expect("mixer");
    let ids: Vec<_> = (0..MAX_SLOTS)
        .map(|_| mixer.add_slot(8000).expect("slot"))
        .collect();
    for &p in &ids {
        mixer.connect(p, ids[0]).expect("connect");
        mixer.set_input_gain(p, MAX_GAIN).expect("gain");
    }
    for (k, &p) in ids.iter().enumerate() {
        let value = if k % 2 == 0 { i16::MIN } else { i16::MIN + 1 };
        mixer.put(p, &[value; 160]).expect("put");
    }
    mixer.mix();
    let mut out = [0i16; 160];
    mixer.get(ids[0], &mut out).expect("get");
    assert!(out.iter().all(|&s| s == i16::MIN));
}

#[test]
fn frames_do_not_allocate_once_slots_are_set_up() {
    let mut mixer = AudioMixer::new(16000).expect("mixer");
    let rates = [8000, 16000, 32000, 48000, 16000, 8000];
    let ids: Vec<_> = rates
        .iter()
        .map(|&r| mixer.add_slot(r).expect("slot"))
        .collect();
    // A conference (total minus own) among the first four, direct sums for the others.
    for &a in &ids[..4] {
        for &b in &ids[..4] {
            if a != b {
                mixer.connect(a, b).expect("connect");
            }
        }
    }
    mixer.connect(ids[0], ids[4]).expect("connect");
    mixer.connect(ids[4], ids[5]).expect("connect");
    mixer.set_output_gain(ids[5], 0.7).expect("gain");
    let mut tones: Vec<_> = rates
        .iter()
        .map(|&r| SineGenerator::new(440.0, -10.0, r).expect("tone"))
        .collect();
    let mut frames: Vec<Vec<i16>> = rates.iter().map(|&r| vec![0; r as usize / 50]).collect();
    let mut levels = 0.0;

    let count = allocations_in(|| {
        for frame_no in 0..50 {
            for (k, &id) in ids.iter().enumerate() {
                // Slot 1 skips every third frame: missing frames take their own path.
                if k != 1 || frame_no % 3 != 0 {
                    tones[k].fill(&mut frames[k]);
                    mixer.put(id, &frames[k]).expect("put");
                }
            }
            mixer.mix();
            for (k, &id) in ids.iter().enumerate() {
                mixer.get(id, &mut frames[k]).expect("get");
                levels += mixer.received_level(id).expect("level");
                levels += mixer.produced_level(id).expect("level");
            }
        }
    });
    assert_eq!(count, 0, "allocations per frame");
    assert!(levels.is_finite());
    // The counter works: an allocation under it is seen.
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![0u8; 16]))),
        1
    );
}

/// One step of a random session against the mixer and a plain reference model.
#[derive(Debug, Clone)]
enum Op {
    Connect(usize, usize),
    Disconnect(usize, usize),
    InputGain(usize, usize),
    OutputGain(usize, usize),
    /// Removes a slot and adds a new one in its place.
    Replace(usize),
    /// One frame: for each slot, no frame or a frame from this seed (0 gives silence).
    Frame(Vec<Option<u16>>),
}

/// Slots of the random sessions: few, so that both summing paths come up often.
const PROP_SLOTS: usize = 6;

/// Gains of the random sessions, from mute to the maximum, and their exact Q16 values.
const GAINS: [(f32, i64); 5] = [
    (0.0, 0),
    (0.5, 32768),
    (1.0, 65536),
    (2.0, 131072),
    (10.0, 655360),
];

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..PROP_SLOTS;
    prop_oneof![
        3 => (slot.clone(), slot.clone()).prop_map(|(p, c)| Op::Connect(p, c)),
        1 => (slot.clone(), slot.clone()).prop_map(|(p, c)| Op::Disconnect(p, c)),
        1 => (slot.clone(), 0..GAINS.len()).prop_map(|(s, g)| Op::InputGain(s, g)),
        1 => (slot.clone(), 0..GAINS.len()).prop_map(|(s, g)| Op::OutputGain(s, g)),
        1 => slot.prop_map(Op::Replace),
        3 => prop::collection::vec(prop::option::weighted(0.7, any::<u16>()), PROP_SLOTS)
            .prop_map(Op::Frame),
    ]
}

/// A loud pseudo-random frame from `seed`, all zeros for seed 0.
fn seeded_frame(seed: u16) -> Vec<i16> {
    let mut state = u32::from(seed);
    (0..320)
        .map(|_| {
            if seed == 0 {
                return 0;
            }
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 16) as u16 as i16
        })
        .collect()
}

proptest! {
    /// Whatever the sequence of connections, gains, replacements and frames, each consumer gets
    /// exactly the saturated sum of its producers' gained frames, whichever path the mixer
    /// takes to compute it.
    #[test]
    fn every_output_is_the_saturated_sum_of_what_the_slot_hears(
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut mixer = AudioMixer::new(16000).expect("mixer");
        let mut ids: Vec<_> = (0..PROP_SLOTS).map(|_| mixer.add_slot(16000).expect("slot")).collect();
        let mut hears = [[false; PROP_SLOTS]; PROP_SLOTS]; // [consumer][producer]
        let mut input_gain = [65536i64; PROP_SLOTS];
        let mut output_gain = [65536i64; PROP_SLOTS];
        for op in ops {
            match op {
                Op::Connect(p, c) => {
                    mixer.connect(ids[p], ids[c]).expect("connect");
                    hears[c][p] = true;
                }
                Op::Disconnect(p, c) => {
                    prop_assert_eq!(mixer.disconnect(ids[p], ids[c]), Ok(hears[c][p]));
                    hears[c][p] = false;
                }
                Op::InputGain(s, g) => {
                    mixer.set_input_gain(ids[s], GAINS[g].0).expect("gain");
                    input_gain[s] = GAINS[g].1;
                }
                Op::OutputGain(s, g) => {
                    mixer.set_output_gain(ids[s], GAINS[g].0).expect("gain");
                    output_gain[s] = GAINS[g].1;
                }
                Op::Replace(s) => {
                    mixer.remove_slot(ids[s]).expect("remove");
                    ids[s] = mixer.add_slot(16000).expect("slot");
                    hears[s] = [false; PROP_SLOTS];
                    for row in &mut hears {
                        row[s] = false;
                    }
                    input_gain[s] = 65536;
                    output_gain[s] = 65536;
                }
                Op::Frame(seeds) => {
                    let frames: Vec<Option<Vec<i16>>> =
                        seeds.iter().map(|s| s.map(seeded_frame)).collect();
                    for (k, frame) in frames.iter().enumerate() {
                        if let Some(frame) = frame {
                            mixer.put(ids[k], frame).expect("put");
                        }
                    }
                    mixer.mix();
                    let mut out = [0i16; 320];
                    for c in 0..PROP_SLOTS {
                        mixer.get(ids[c], &mut out).expect("get");
                        for (i, &got) in out.iter().enumerate() {
                            let sum: i64 = (0..PROP_SLOTS)
                                .filter(|&p| hears[c][p])
                                .filter_map(|p| {
                                    let x = i64::from(frames[p].as_ref()?[i]);
                                    Some((x * input_gain[p] + 32768) >> 16)
                                })
                                .sum();
                            let want = ((sum * output_gain[c] + 32768) >> 16)
                                .clamp(i64::from(i16::MIN), i64::from(i16::MAX));
                            prop_assert_eq!(i64::from(got), want, "slot {} sample {}", c, i);
                        }
                    }
                }
            }
        }
    }
}

/// A slot io producing a tone and measuring what it hears, without allocating.
struct ToneSlot {
    tone: SineGenerator,
    heard_peak: i16,
}

impl sipsimple_audio::engine::SlotIo for ToneSlot {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        self.tone.fill(out);
        true
    }

    fn consume(&mut self, frame: &[i16]) {
        self.heard_peak = frame.iter().map(|s| s.saturating_abs()).max().unwrap_or(0);
    }
}

#[test]
fn port_layer_ticks_do_not_allocate_once_set_up() {
    use sipsimple_audio::bridge::AudioBridge;
    use sipsimple_audio::device::AudioDevice;
    use sipsimple_audio::engine::Mixer;

    let mixer = Mixer::new(16000).expect("mixer");
    let outer = AudioBridge::new(&mixer).expect("bridge");
    let inner = AudioBridge::new(&mixer).expect("bridge");
    let device = AudioDevice::new(&mixer, false, false);
    outer.add(&device).expect("add");
    outer.add(&inner).expect("add");
    let slots: Vec<_> = [8000, 16000, 48000]
        .iter()
        .enumerate()
        .map(|(k, &rate)| {
            let io = ToneSlot {
                tone: SineGenerator::new(300.0 + 200.0 * k as f64, -20.0, rate).expect("tone"),
                heard_peak: 0,
            };
            mixer.add_slot(rate, Box::new(io)).expect("slot")
        })
        .collect();
    // The tone slots talk with the device slot (reached through both bridges) both ways.
    let device_slot = mixer.device_slot();
    for slot in &slots {
        mixer.connect(slot.id(), device_slot).expect("connect");
        mixer.connect(device_slot, slot.id()).expect("connect");
        for other in &slots {
            if other.id() != slot.id() {
                mixer.connect(slot.id(), other.id()).expect("connect");
            }
        }
    }
    // The first ticks size the tick's own buffers.
    for _ in 0..3 {
        mixer.tick();
    }
    let count = allocations_in(|| {
        for _ in 0..50 {
            mixer.tick();
        }
    });
    assert_eq!(count, 0, "allocations in 50 ticks");
    assert!(mixer.received_level(slots[0].id()).expect("level") > -40.0);
}
