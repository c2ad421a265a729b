//! Resampling quality between every pair of 8, 16, 32, 44.1 and 48 kHz: a 1 kHz tone keeps its level
//! with low distortion, tones above the target's Nyquist frequency do not alias, images of
//! upsampling are suppressed, frames join seamlessly and lengths are exact.

use proptest::prelude::*;
use sipsimple_audio::goertzel::{level_dbfs, tone_level};
use sipsimple_audio::resample::{ResampleError, Resampler};
use sipsimple_audio::tone::SineGenerator;

const RATES: [u32; 5] = [8000, 16000, 32000, 44100, 48000];

/// Runs `seconds` of a tone through a resampler in 20 ms frames.
fn convert_tone(from: u32, to: u32, freq: f64, dbfs: f64, seconds: usize) -> Vec<i16> {
    let mut sine = SineGenerator::new(freq, dbfs, from).unwrap();
    let mut resampler = Resampler::new(from, to).unwrap();
    let mut frame = vec![0i16; from as usize / 50];
    let mut out = vec![0i16; to as usize / 50];
    let mut all = Vec::new();
    for _ in 0..seconds * 50 {
        sine.fill(&mut frame);
        assert_eq!(resampler.process(&frame, &mut out), Ok(out.len()));
        all.extend_from_slice(&out);
    }
    all
}

/// Signal-to-noise-and-distortion of a 1 kHz tone: fit the best sine over whole periods and
/// compare with the rest.
fn sinad_1khz(x: &[i16], rate: u32) -> f64 {
    // The shortest run of whole periods that is also whole samples (10 periods at 44.1 kHz).
    let period = rate as usize / gcd(rate as usize, 1000);
    let x = &x[..x.len() / period * period];
    let w = std::f64::consts::TAU * 1000.0 / f64::from(rate);
    let (mut s, mut c) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        s += f64::from(v) * (w * i as f64).sin();
        c += f64::from(v) * (w * i as f64).cos();
    }
    let (a, b) = (2.0 * s / x.len() as f64, 2.0 * c / x.len() as f64);
    let (mut signal, mut residual) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let fit = a * (w * i as f64).sin() + b * (w * i as f64).cos();
        signal += fit * fit;
        residual += (f64::from(v) - fit).powi(2);
    }
    10.0 * (signal / residual).log10()
}

const fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn a_1khz_tone_survives_every_conversion() {
    for from in RATES {
        for to in RATES {
            let out = convert_tone(from, to, 1000.0, -6.0, 1);
            let steady = &out[to as usize / 10..];
            let level = tone_level(steady, to, 1000.0);
            assert!((level + 6.0).abs() < 0.05, "{from}->{to}: level {level:.3}");
            let sinad = sinad_1khz(steady, to);
            assert!(sinad > 80.0, "{from}->{to}: SINAD {sinad:.1} dB");
        }
    }
}

#[test]
fn tones_above_the_target_nyquist_do_not_alias() {
    for from in RATES {
        for to in RATES.into_iter().filter(|&to| to < from) {
            let nyquist = f64::from(to) / 2.0;
            // Half-way between the target's Nyquist and the source's, and just past the stop
            // edge; each would fold back to `to - f`.
            for freq in [nyquist * 1.05, (nyquist + f64::from(from) / 2.0) / 2.0] {
                let out = convert_tone(from, to, freq, -3.0, 1);
                let level = level_dbfs(&out[to as usize / 10..]);
                assert!(
                    level < -80.0,
                    "{from}->{to} at {freq} Hz: {level:.1} dBFS leaks"
                );
            }
        }
    }
}

#[test]
fn upsampling_suppresses_images() {
    for from in RATES {
        for to in RATES.into_iter().filter(|&to| to > from) {
            let out = convert_tone(from, to, 1000.0, -3.0, 1);
            let steady = &out[to as usize / 10..];
            let image = f64::from(from) - 1000.0;
            let level = tone_level(steady, to, image);
            assert!(
                level < -85.0,
                "{from}->{to}: image at {image} Hz is {level:.1} dBFS"
            );
        }
    }
}

#[test]
fn the_pass_band_is_flat() {
    // Up to 87.5 % of the lower Nyquist frequency, within 0.1 dB.
    for (from, to, freq) in [
        (48000, 16000, 6900.0),
        (16000, 48000, 6900.0),
        (8000, 48000, 3400.0),
    ] {
        let out = convert_tone(from, to, freq, -6.0, 1);
        let level = tone_level(&out[to as usize / 10..], to, freq);
        assert!(
            (level + 6.0).abs() < 0.1,
            "{from}->{to} at {freq} Hz: {level:.3}"
        );
    }
}

#[test]
fn framing_does_not_change_the_output() {
    let mut input = vec![0i16; 48000];
    SineGenerator::new(440.0, -3.0, 48000)
        .unwrap()
        .fill(&mut input);
    let mut whole = Resampler::new(48000, 32000).unwrap();
    let mut expected = vec![0i16; whole.max_output_len(input.len())];
    let n = whole.process(&input, &mut expected).unwrap();
    assert_eq!(n, 32000);
    let mut framed = Resampler::new(48000, 32000).unwrap();
    let mut got = Vec::new();
    let mut out = [0i16; 700];
    // Odd chunk lengths: the phase must carry across calls.
    for chunk in input.chunks(997) {
        let n = framed.process(chunk, &mut out).unwrap();
        got.extend_from_slice(&out[..n]);
    }
    assert_eq!(got, expected[..32000]);
}

#[test]
fn delay_is_reported() {
    for (from, to) in [(16000, 48000), (48000, 16000), (8000, 48000)] {
        let mut resampler = Resampler::new(from, to).unwrap();
        let mut impulse = vec![0i16; from as usize / 10];
        impulse[0] = 16000;
        let mut out = vec![0i16; to as usize / 10];
        resampler.process(&impulse, &mut out).unwrap();
        let peak = (0..out.len())
            .max_by_key(|&i| out[i].unsigned_abs())
            .unwrap();
        assert!(
            peak.abs_diff(resampler.delay()) <= 1,
            "{from}->{to}: {peak} vs {}",
            resampler.delay()
        );
    }
}

#[test]
fn misuse_is_an_error() {
    assert_eq!(
        Resampler::new(22050, 48000).err(),
        Some(ResampleError::UnsupportedRate(22050))
    );
    let mut resampler = Resampler::new(16000, 48000).unwrap();
    let mut out = [0i16; 100];
    assert_eq!(
        resampler.process(&[0; 320], &mut out),
        Err(ResampleError::OutputTooSmall {
            needed: 960,
            available: 100
        })
    );
    let mut same = Resampler::new(16000, 16000).unwrap();
    assert_eq!(same.process(&[1, 2, 3], &mut out), Ok(3));
    assert_eq!(out[..3], [1, 2, 3]);
}

proptest! {
    #[test]
    fn any_input_converts_with_exact_lengths(
        from in prop::sample::select(RATES.to_vec()),
        to in prop::sample::select(RATES.to_vec()),
        chunks in prop::collection::vec(prop::collection::vec(any::<i16>(), 0..600), 1..6),
    ) {
        let mut resampler = Resampler::new(from, to).unwrap();
        let mut total_in = 0;
        let mut total_out = 0;
        for chunk in &chunks {
            let mut out = vec![0i16; resampler.max_output_len(chunk.len())];
            let expected = resampler.output_len(chunk.len());
            let n = resampler.process(chunk, &mut out).unwrap();
            prop_assert_eq!(n, expected);
            total_in += chunk.len();
            total_out += n;
        }
        // The total tracks the ideal count to within one sample.
        let ideal = total_in as f64 * f64::from(to) / f64::from(from);
        prop_assert!((total_out as f64 - ideal).abs() <= 1.0, "{} vs {}", total_out, ideal);
    }
}
