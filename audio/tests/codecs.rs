//! Codec conformance: G.711 against its reference tables, G.722 bit-exact against an independent
//! implementation and for tone fidelity, L16 byte order, and property tests on random PCM.

use proptest::prelude::*;
use sipsimple_audio::codec::{
    alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, Codec, CodecError, CodecKind, L16Rate,
};

fn s16le(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn sine(freq: f64, dbfs: f64, rate: f64, len: usize) -> Vec<i16> {
    let amp = 32767.0 * 10f64.powf(dbfs / 20.0);
    (0..len)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin()).round() as i16)
        .collect()
}

/// SNR of `out` against `reference` after the codec's delay, taken as the lag (up to
/// `max_lag`) with the best SNR.
fn snr_db(reference: &[i16], out: &[i16], max_lag: usize, skip: usize) -> f64 {
    (0..=max_lag)
        .map(|lag| {
            let (mut sig, mut err) = (0.0, 0.0);
            for i in skip..reference.len() - max_lag {
                let r = f64::from(reference[i]);
                let e = f64::from(out[i + lag]) - r;
                sig += r * r;
                err += e * e;
            }
            10.0 * (sig / err.max(1e-9)).log10()
        })
        .fold(f64::MIN, f64::max)
}

#[test]
fn g711_decode_tables_match_reference() {
    let ulaw = s16le(include_bytes!("data/g711-ulaw-decode.s16le"));
    let alaw = s16le(include_bytes!("data/g711-alaw-decode.s16le"));
    for code in 0..=255u8 {
        assert_eq!(
            ulaw_decode(code),
            ulaw[usize::from(code)],
            "µ-law {code:#04x}"
        );
        assert_eq!(
            alaw_decode(code),
            alaw[usize::from(code)],
            "A-law {code:#04x}"
        );
    }
    // Fixed points of the Recommendation's tables.
    assert_eq!((ulaw_decode(0xFF), ulaw_decode(0x7F)), (0, 0));
    assert_eq!((ulaw_decode(0x80), ulaw_decode(0x00)), (32124, -32124));
    assert_eq!((alaw_decode(0xD5), alaw_decode(0x55)), (8, -8));
    assert_eq!((alaw_decode(0xAA), alaw_decode(0x2A)), (32256, -32256));
}

#[test]
fn alaw_encodes_every_sample_like_reference() {
    let reference = include_bytes!("data/g711-alaw-encode-all.u8");
    for (i, x) in (i16::MIN..=i16::MAX).enumerate() {
        assert_eq!(alaw_encode(x), reference[i], "sample {x}");
    }
}

#[test]
fn ulaw_encodes_every_sample_like_g191() {
    let reference = include_bytes!("data/g711-ulaw-encode-all.u8");
    let at = |x: i32| reference[(x + 32768) as usize];
    for x in i32::from(i16::MIN)..=i32::from(i16::MAX) {
        let ours = ulaw_encode(x as i16);
        if x >= 0 {
            assert_eq!(ours, at(x), "sample {x}");
        } else if x <= -5 {
            // G.191 quantizes ~x = -x-1, the sign-magnitude reference -x: one 14-bit step apart.
            assert_eq!(ours, at(x + 4), "sample {x}");
        } else {
            assert_eq!(ours, 0x7F, "sample {x} is negative zero");
        }
    }
}

type Compress = fn(i16) -> u8;
type Expand = fn(u8) -> i16;

#[test]
fn g711_quantizes_to_the_enclosing_interval() {
    for law in [CodecKind::Pcmu, CodecKind::Pcma] {
        let (enc, dec): (Compress, Expand) = match law {
            CodecKind::Pcmu => (ulaw_encode, ulaw_decode),
            _ => (alaw_encode, alaw_decode),
        };
        let mut previous = i16::MIN;
        for x in i16::MIN..=i16::MAX {
            let y = dec(enc(x));
            assert!(
                y >= previous,
                "{law:?}: reconstruction not monotonic at {x}"
            );
            previous = y;
            // Half the step of the segment the value falls in, plus the truncated low bits.
            let magnitude = i32::from(x).abs();
            let half_step = if magnitude < 256 {
                8
            } else {
                (magnitude >> 5).max(8)
            };
            if magnitude < 32000 {
                assert!(
                    (i32::from(y) - i32::from(x)).abs() <= half_step + 8,
                    "{law:?}: {x} -> {y}"
                );
            }
        }
    }
}

#[test]
fn g711_frames_through_the_trait() {
    let pcm = sine(1000.0, -10.0, 8000.0, 160);
    for kind in [CodecKind::Pcmu, CodecKind::Pcma] {
        let mut enc = kind.encoder();
        let mut dec = kind.decoder();
        let mut payload = [0u8; 160];
        assert_eq!(enc.encode(&pcm, &mut payload), Ok(160));
        let mut out = [0i16; 160];
        assert_eq!(dec.decode(&payload, &mut out), Ok(160));
        assert!(snr_db(&pcm, &out, 0, 0) > 35.0, "{kind:?}");
        assert_eq!(
            enc.encode(&pcm, &mut payload[..100]),
            Err(CodecError::OutputTooSmall {
                needed: 160,
                available: 100
            })
        );
    }
}

#[test]
fn codec_infos_describe_rfc3551() {
    let pcmu = CodecKind::Pcmu.info();
    assert_eq!(
        (pcmu.encoding_name, pcmu.static_payload_type),
        ("PCMU", Some(0))
    );
    assert_eq!(
        (pcmu.sample_rate, pcmu.rtp_clock_rate, pcmu.channels),
        (8000, 8000, 1)
    );
    assert_eq!(CodecKind::Pcma.info().static_payload_type, Some(8));
    let g722 = CodecKind::G722.info();
    assert_eq!(
        (g722.encoding_name, g722.static_payload_type),
        ("G722", Some(9))
    );
    assert_eq!((g722.sample_rate, g722.rtp_clock_rate), (16000, 8000));
    assert_eq!(g722.samples_per_frame(20), 320);
    assert_eq!(g722.payload_len(320), 160);
    assert_eq!(g722.rtp_ticks(320), 160);
    assert_eq!(g722.default_ptime_ms, 20);
    let l16 = CodecKind::L16(L16Rate::Hz48000).info();
    assert_eq!(
        (l16.encoding_name, l16.sample_rate, l16.rtp_clock_rate),
        ("L16", 48000, 48000)
    );
    assert_eq!(
        (l16.static_payload_type, l16.payload_len(960)),
        (None, 1920)
    );
    assert_eq!(
        CodecKind::from_rtpmap("g722", 8000, 1),
        Some(CodecKind::G722)
    );
    assert_eq!(
        CodecKind::from_rtpmap("L16", 16000, 1),
        Some(CodecKind::L16(L16Rate::Hz16000))
    );
    assert_eq!(CodecKind::from_rtpmap("L16", 44100, 2), None);
    assert_eq!(CodecKind::from_rtpmap("PCMU", 16000, 1), None);
    assert_eq!(
        CodecKind::from_static_payload_type(8),
        Some(CodecKind::Pcma)
    );
    assert_eq!(CodecKind::from_static_payload_type(3), None);
}

#[test]
fn g722_encoder_is_bit_exact_with_reference() {
    let input = s16le(include_bytes!("data/g722-input-16k.s16le"));
    let expected = include_bytes!("data/g722-encoded-64k.g722");
    let mut enc = CodecKind::G722.encoder();
    let mut out = vec![0u8; expected.len()];
    // 20 ms frames: state must carry across frames exactly.
    for (pcm, bytes) in input.chunks(320).zip(out.chunks_mut(160)) {
        assert_eq!(enc.encode(pcm, bytes), Ok(160));
    }
    assert_eq!(out.as_slice(), expected.as_slice());
}

#[test]
fn g722_decoder_is_bit_exact_with_reference() {
    for (codes, expected) in [
        (
            &include_bytes!("data/g722-encoded-64k.g722")[..],
            s16le(include_bytes!("data/g722-decoded-16k.s16le")),
        ),
        (
            &include_bytes!("data/g722-random-codes.g722")[..],
            s16le(include_bytes!("data/g722-random-decoded-16k.s16le")),
        ),
    ] {
        let mut dec = CodecKind::G722.decoder();
        let mut out = vec![0i16; expected.len()];
        for (bytes, pcm) in codes.chunks(80).zip(out.chunks_mut(160)) {
            assert_eq!(dec.decode(bytes, pcm), Ok(160));
        }
        assert_eq!(out, expected);
    }
}

#[test]
fn g722_keeps_a_1khz_tone() {
    let pcm = sine(1000.0, -10.0, 16000.0, 16000);
    let mut enc = CodecKind::G722.encoder();
    let mut dec = CodecKind::G722.decoder();
    let mut out = vec![0i16; pcm.len()];
    let mut payload = [0u8; 160];
    for (frame, decoded) in pcm.chunks(320).zip(out.chunks_mut(320)) {
        let n = enc.encode(frame, &mut payload).unwrap();
        assert_eq!(dec.decode(&payload[..n], decoded), Ok(320));
    }
    // The QMF pair delays by 23 samples; skip the adaptation start.
    let snr = snr_db(&pcm, &out, 40, 800);
    assert!(snr > 30.0, "SNR {snr:.1} dB");
    let level = sipsimple_audio_level(&out[800..]);
    assert!((level - -10.0).abs() < 0.5, "level {level:.2} dBFS");
}

fn sipsimple_audio_level(x: &[i16]) -> f64 {
    let rms = (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    20.0 * (rms * 2f64.sqrt() / 32767.0).log10()
}

#[test]
fn g722_reset_restarts_the_stream() {
    let pcm = sine(440.0, -6.0, 16000.0, 640);
    let mut enc = CodecKind::G722.encoder();
    let mut first = [0u8; 320];
    let mut second = [0u8; 320];
    enc.encode(&pcm, &mut first).unwrap();
    enc.reset();
    enc.encode(&pcm, &mut second).unwrap();
    assert_eq!(first, second);
    assert_eq!(
        enc.encode(&pcm[..3], &mut second),
        Err(CodecError::PartialFrame {
            len: 3,
            multiple: 2
        })
    );
}

#[test]
fn l16_is_big_endian() {
    let mut enc = CodecKind::L16(L16Rate::Hz16000).encoder();
    let mut out = [0u8; 4];
    assert_eq!(enc.encode(&[0x1234, -2], &mut out), Ok(4));
    assert_eq!(out, [0x12, 0x34, 0xFF, 0xFE]);
    let mut dec = CodecKind::L16(L16Rate::Hz16000).decoder();
    let mut pcm = [0i16; 2];
    assert_eq!(dec.decode(&out, &mut pcm), Ok(2));
    assert_eq!(pcm, [0x1234, -2]);
    assert_eq!(
        dec.decode(&out[..3], &mut pcm),
        Err(CodecError::PartialFrame {
            len: 3,
            multiple: 2
        })
    );
}

proptest! {
    #[test]
    fn g711_round_trip_error_is_bounded(pcm in prop::collection::vec(any::<i16>(), 0..400)) {
        for kind in [CodecKind::Pcmu, CodecKind::Pcma] {
            let mut payload = vec![0u8; pcm.len()];
            let mut out = vec![0i16; pcm.len()];
            kind.encoder().encode(&pcm, &mut payload).unwrap();
            kind.decoder().decode(&payload, &mut out).unwrap();
            for (&x, &y) in pcm.iter().zip(&out) {
                // Log companding: error within 1/16 of the magnitude plus the smallest step.
                let bound = (i32::from(x).abs() / 16).max(16) + 8;
                prop_assert!((i32::from(x) - i32::from(y)).abs() <= bound, "{:?} {} -> {}", kind, x, y);
            }
        }
    }

    #[test]
    fn l16_round_trip_is_exact(pcm in prop::collection::vec(any::<i16>(), 0..400)) {
        let kind = CodecKind::L16(L16Rate::Hz8000);
        let mut payload = vec![0u8; pcm.len() * 2];
        let mut out = vec![0i16; pcm.len()];
        kind.encoder().encode(&pcm, &mut payload).unwrap();
        kind.decoder().decode(&payload, &mut out).unwrap();
        prop_assert_eq!(pcm, out);
    }

    /// The lower sub-band (0–4 kHz) gets 6 bits a sample, the upper one 2: a fine grid
    /// found at least 32 dB below 3.6 kHz and 18.7 dB above (at 4566 Hz, -24 dBFS); the
    /// bounds leave room for the points between the grid's.
    #[test]
    fn g722_round_trip_keeps_tones(freq in 200.0f64..3600.0, dbfs in -30.0f64..-3.0) {
        prop_assert!(g722_snr(freq, dbfs) > 25.0, "{} Hz at {} dBFS", freq, dbfs);
    }

    #[test]
    fn g722_round_trip_keeps_upper_band_tones(freq in 3600.0f64..6800.0, dbfs in -30.0f64..-3.0) {
        prop_assert!(g722_snr(freq, dbfs) > 14.0, "{} Hz at {} dBFS", freq, dbfs);
    }

    #[test]
    fn g722_decoder_takes_any_bytes(codes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut out = vec![0i16; codes.len() * 2];
        prop_assert_eq!(CodecKind::G722.decoder().decode(&codes, &mut out), Ok(codes.len() * 2));
    }
}

/// The SNR of a tone through G.722 and back.
fn g722_snr(freq: f64, dbfs: f64) -> f64 {
    let pcm = sine(freq, dbfs, 16000.0, 3200);
    let mut payload = vec![0u8; 1600];
    let mut out = vec![0i16; 3200];
    CodecKind::G722
        .encoder()
        .encode(&pcm, &mut payload)
        .unwrap();
    CodecKind::G722
        .decoder()
        .decode(&payload, &mut out)
        .unwrap();
    snr_db(&pcm, &out, 40, 1600)
}
