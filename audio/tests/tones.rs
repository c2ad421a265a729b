//! Tone generation and detection: levels, phase continuity, cadences, and DTMF detection of
//! every key through frames, noise, G.711 and the twist and level limits.

use sipsimple_audio::codec::{ulaw_decode, ulaw_encode};
use sipsimple_audio::goertzel::{level_dbfs, tone_level, DtmfDetector, Goertzel, SILENCE_DBFS};
use sipsimple_audio::tone::{CadencedTone, DtmfDigit, DualTone, SineGenerator, ToneError};

const KEYS: &str = "123A456B789C*0#D";

/// Deterministic white noise at about `dbfs` (uniform, so RMS = peak / √3).
fn add_noise(samples: &mut [i16], dbfs: f64, seed: u64) {
    let mut state = seed;
    let peak = 32767.0 * 10f64.powf(dbfs / 20.0) * (3.0f64 / 2.0).sqrt();
    for s in samples {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        *s = (f64::from(*s) + u * peak).round() as i16;
    }
}

/// Key presses of `on_ms`, separated by `off_ms` of silence, at `dbfs` per tone.
fn dial(keys: &str, on_ms: usize, off_ms: usize, dbfs: f64, rate: u32) -> Vec<i16> {
    let per_ms = rate as usize / 1000;
    let mut out = Vec::new();
    for key in keys.chars() {
        let mut tone = DualTone::dtmf(DtmfDigit::new(key).unwrap(), dbfs, rate).unwrap();
        let start = out.len();
        out.resize(start + on_ms * per_ms, 0);
        tone.fill(&mut out[start..]);
        out.resize(out.len() + off_ms * per_ms, 0);
    }
    out
}

fn detect(samples: &[i16], rate: u32) -> String {
    let mut detector = DtmfDetector::new(rate);
    let mut keys = String::new();
    for frame in samples.chunks(rate as usize / 50) {
        detector.process(frame);
        while let Some(digit) = detector.poll_digit() {
            keys.push(digit.as_char());
        }
    }
    keys
}

#[test]
fn sine_has_the_asked_level_at_every_rate() {
    for rate in [8000, 16000, 32000, 48000] {
        let mut sine = SineGenerator::new(1000.0, -20.0, rate).unwrap();
        let mut buffer = vec![0i16; rate as usize / 5];
        sine.fill(&mut buffer);
        let level = tone_level(&buffer, rate, 1000.0);
        assert!((level + 20.0).abs() < 0.05, "{rate} Hz: tone level {level}");
        assert!(
            (level_dbfs(&buffer) + 20.0).abs() < 0.05,
            "{rate} Hz: level"
        );
        assert!(
            tone_level(&buffer, rate, 1200.0) < -80.0,
            "{rate} Hz: leakage"
        );
    }
    assert_eq!(tone_level(&[0; 160], 8000, 1000.0), SILENCE_DBFS);
    assert_eq!(level_dbfs(&[]), SILENCE_DBFS);
}

#[test]
fn phase_carries_across_frames() {
    let mut whole = SineGenerator::new(1234.5, -3.0, 16000).unwrap();
    let mut framed = whole.clone();
    let mut expected = vec![0i16; 16000];
    whole.fill(&mut expected);
    let mut got = vec![0i16; 16000];
    for frame in got.chunks_mut(320) {
        framed.fill(frame);
    }
    assert_eq!(got, expected);
}

#[test]
fn generators_refuse_impossible_tones() {
    assert!(matches!(
        SineGenerator::new(4000.0, -10.0, 8000),
        Err(ToneError::Frequency { .. })
    ));
    assert!(matches!(
        SineGenerator::new(0.0, -10.0, 8000),
        Err(ToneError::Frequency { .. })
    ));
    assert_eq!(
        SineGenerator::new(1000.0, 1.0, 8000).err(),
        Some(ToneError::Level(1.0))
    );
    assert_eq!(
        SineGenerator::new(1000.0, -3.0, 0).err(),
        Some(ToneError::SampleRate)
    );
    assert_eq!(DtmfDigit::new('E').err(), Some(ToneError::NotDtmf('E')));
}

#[test]
fn dtmf_keys_use_the_q23_pairs() {
    let expected = [
        ('1', 697.0, 1209.0),
        ('2', 697.0, 1336.0),
        ('3', 697.0, 1477.0),
        ('A', 697.0, 1633.0),
        ('4', 770.0, 1209.0),
        ('5', 770.0, 1336.0),
        ('6', 770.0, 1477.0),
        ('B', 770.0, 1633.0),
        ('7', 852.0, 1209.0),
        ('8', 852.0, 1336.0),
        ('9', 852.0, 1477.0),
        ('C', 852.0, 1633.0),
        ('*', 941.0, 1209.0),
        ('0', 941.0, 1336.0),
        ('#', 941.0, 1477.0),
        ('D', 941.0, 1633.0),
    ];
    for (key, low, high) in expected {
        let digit = DtmfDigit::new(key).unwrap();
        assert_eq!(digit.frequencies(), (low, high), "{key}");
        assert_eq!(digit.as_char(), key);
        let mut buffer = vec![0i16; 1600];
        DualTone::dtmf(digit, -10.0, 8000)
            .unwrap()
            .fill(&mut buffer);
        assert!((tone_level(&buffer, 8000, low) + 10.0).abs() < 0.1);
        assert!((tone_level(&buffer, 8000, high) + 10.0).abs() < 0.1);
    }
    assert_eq!(DtmfDigit::new('b').unwrap().as_char(), 'B');
}

#[test]
fn detects_every_key_once_at_every_rate() {
    for rate in [8000, 16000, 32000, 48000] {
        let audio = dial(KEYS, 100, 100, -10.0, rate);
        assert_eq!(detect(&audio, rate), KEYS, "{rate} Hz");
    }
}

#[test]
fn detects_through_noise_and_mulaw() {
    let mut audio = dial(KEYS, 70, 60, -20.0, 8000);
    add_noise(&mut audio, -45.0, 7);
    let coded: Vec<i16> = audio.iter().map(|&s| ulaw_decode(ulaw_encode(s))).collect();
    assert_eq!(detect(&coded, 8000), KEYS);
}

#[test]
fn a_long_press_is_one_key_and_repeats_are_separate() {
    assert_eq!(detect(&dial("5", 2000, 100, -10.0, 8000), 8000), "5");
    assert_eq!(detect(&dial("555", 80, 60, -10.0, 8000), 8000), "555");
}

#[test]
fn rejects_twist_weak_tones_single_tones_and_noise() {
    let rate = 8000;
    let mut twisted = vec![0i16; 4000];
    SineGenerator::new(697.0, -10.0, rate)
        .unwrap()
        .fill(&mut twisted);
    SineGenerator::new(1209.0, -22.0, rate)
        .unwrap()
        .mix_into(&mut twisted);
    assert_eq!(detect(&twisted, rate), "", "12 dB normal twist");

    let mut reverse = vec![0i16; 4000];
    SineGenerator::new(697.0, -20.0, rate)
        .unwrap()
        .fill(&mut reverse);
    SineGenerator::new(1209.0, -10.0, rate)
        .unwrap()
        .mix_into(&mut reverse);
    assert_eq!(detect(&reverse, rate), "", "10 dB reverse twist");

    let mut mild = vec![0i16; 4000];
    SineGenerator::new(697.0, -10.0, rate)
        .unwrap()
        .fill(&mut mild);
    SineGenerator::new(1209.0, -14.0, rate)
        .unwrap()
        .mix_into(&mut mild);
    assert_eq!(detect(&mild, rate), "1", "4 dB twist is accepted");

    assert_eq!(
        detect(&dial("1", 200, 0, -45.0, rate), rate),
        "",
        "below the level floor"
    );

    let mut single = vec![0i16; 4000];
    SineGenerator::new(941.0, -10.0, rate)
        .unwrap()
        .fill(&mut single);
    assert_eq!(detect(&single, rate), "", "one tone");

    let mut noise = vec![0i16; 8000];
    add_noise(&mut noise, -10.0, 3);
    assert_eq!(detect(&noise, rate), "", "noise");

    // A key drowned in loud noise is not the main content of the blocks.
    let mut drowned = dial("1", 300, 0, -30.0, rate);
    add_noise(&mut drowned, -20.0, 5);
    assert_eq!(detect(&drowned, rate), "");
}

#[test]
fn ringback_follows_its_cadence() {
    let rate = 8000;
    let mut ringback = CadencedTone::ringback(-13.0, rate).unwrap();
    // 12 s: two cycles of 2 s on, 4 s off, produced in 20 ms frames.
    let mut audio = vec![0i16; 12 * 8000];
    let mut on_frames = 0;
    for frame in audio.chunks_mut(160) {
        if ringback.is_on() {
            on_frames += 1;
        }
        ringback.fill(frame);
    }
    assert_eq!(on_frames, 200, "4 s on out of 12");
    let second = |s: usize| &audio[s * 8000..(s + 1) * 8000];
    for s in [0, 1, 6, 7] {
        assert!(
            (tone_level(second(s), rate, 440.0) + 13.0).abs() < 0.1,
            "second {s}"
        );
        assert!(
            (tone_level(second(s), rate, 480.0) + 13.0).abs() < 0.1,
            "second {s}"
        );
    }
    for s in [2, 3, 4, 5, 8, 9, 10, 11] {
        assert!(second(s).iter().all(|&x| x == 0), "second {s} is silent");
    }
}

#[test]
fn busy_alternates_every_half_second() {
    let mut busy = CadencedTone::busy(-10.0, 16000).unwrap();
    let mut audio = vec![0i16; 32000];
    for frame in audio.chunks_mut(320) {
        busy.fill(frame);
    }
    for half in 0..4 {
        let part = &audio[half * 8000..(half + 1) * 8000];
        let level = tone_level(part, 16000, 620.0);
        if half % 2 == 0 {
            assert!((level + 10.0).abs() < 0.1, "half {half}: {level}");
        } else {
            assert_eq!(level, SILENCE_DBFS, "half {half}");
        }
    }
}

#[test]
fn goertzel_measures_a_bin() {
    let mut buffer = vec![0i16; 205];
    SineGenerator::new(1000.0, -6.0, 8000)
        .unwrap()
        .fill(&mut buffer);
    let mut filter = Goertzel::new(1000.0, 8000);
    filter.push_samples(&buffer);
    let amplitude = 2.0 * filter.power().sqrt() / 205.0;
    let expected = 32767.0 * 10f64.powf(-6.0 / 20.0);
    assert!(
        (amplitude / expected - 1.0).abs() < 0.02,
        "{amplitude} vs {expected}"
    );
    filter.reset();
    assert_eq!(filter.power(), 0.0);
}
