//! Opus through libopus (feature `opus`): its SDP description, tone fidelity, the frame lengths
//! it encodes and the durations its packets report, typed errors for malformed payloads (and no
//! panic on any byte string), and the jitter buffer concealing a lost packet with libopus's own
//! concealment.
#![cfg(feature = "opus")]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sipsimple_audio::codec::{
    Codec, CodecError, CodecKind, Decoder, OpusDecoder, OPUS_MAX_PACKET_SAMPLES,
};
use sipsimple_audio::goertzel::tone_level;
use sipsimple_audio::jitter::{Insertion, JitterBuffer, JitterConfig, Playout};
use sipsimple_audio::tone::SineGenerator;

const FRAME: usize = 960;
const MS20: Duration = Duration::from_millis(20);

/// `count` 20 ms Opus payloads of a 1 kHz tone at `dbfs`.
fn tone_packets(dbfs: f64, count: usize) -> Vec<Vec<u8>> {
    let mut sine = SineGenerator::new(1000.0, dbfs, 48000).unwrap();
    let mut encoder = CodecKind::Opus.encoder();
    let info = CodecKind::Opus.info();
    (0..count)
        .map(|_| {
            let mut pcm = [0i16; FRAME];
            sine.fill(&mut pcm);
            let mut out = vec![0u8; info.payload_len(FRAME)];
            let n = encoder.encode(&pcm, &mut out).unwrap();
            out.truncate(n);
            out
        })
        .collect()
}

#[test]
fn info_is_rfc_7587() {
    let info = CodecKind::Opus.info();
    assert_eq!(
        (
            info.encoding_name,
            info.sample_rate,
            info.rtp_clock_rate,
            info.channels,
            info.rtpmap_channels,
            info.fmtp,
            info.static_payload_type,
        ),
        (
            "opus",
            48000,
            48000,
            1,
            2,
            Some("stereo=0; sprop-stereo=0"),
            None
        )
    );
    assert_eq!(info.samples_per_frame(20), 960);
    assert_eq!(info.rtp_ticks(960), 960);
    // A 20 ms buffer holds the largest single-frame packet (1 + 1275 bytes).
    assert!(info.payload_len(960) >= 1276);
    assert_eq!(
        CodecKind::from_rtpmap("OPUS", 48000, 2),
        Some(CodecKind::Opus)
    );
    assert_eq!(CodecKind::from_rtpmap("opus", 48000, 1), None);
    assert_eq!(CodecKind::from_rtpmap("opus", 16000, 2), None);
}

#[test]
fn a_tone_keeps_its_level() {
    let mut decoder = CodecKind::Opus.decoder();
    let mut audio = Vec::new();
    for packet in tone_packets(-10.0, 50) {
        let mut pcm = [0i16; FRAME];
        assert_eq!(decoder.decode(&packet, &mut pcm).unwrap(), FRAME);
        audio.extend_from_slice(&pcm);
    }
    // The first frames hold the encoder's look-ahead and its start-up.
    let level = tone_level(&audio[5 * FRAME..], 48000, 1000.0);
    assert!((level + 10.0).abs() < 1.0, "level {level:.2} dBFS");
    // Nothing but the tone: 3 kHz stays far below.
    assert!(tone_level(&audio[5 * FRAME..], 48000, 3000.0) < -40.0);
}

#[test]
fn every_frame_length_encodes_and_reports_its_duration() {
    let info = CodecKind::Opus.info();
    for ms in [2.5f64, 5.0, 10.0, 20.0, 40.0, 60.0] {
        let samples = (48.0 * ms) as usize;
        let mut sine = SineGenerator::new(440.0, -20.0, 48000).unwrap();
        let mut pcm = vec![0i16; samples];
        sine.fill(&mut pcm);
        let mut encoder = CodecKind::Opus.encoder();
        let mut decoder = CodecKind::Opus.decoder();
        let mut payload = vec![0u8; info.payload_len(samples)];
        let n = encoder.encode(&pcm, &mut payload).unwrap();
        assert!(n > 0 && n <= payload.len(), "{ms} ms: {n} bytes");
        assert_eq!(decoder.samples_in_payload(&payload[..n]), Ok(samples));
        let mut out = vec![0i16; OPUS_MAX_PACKET_SAMPLES];
        assert_eq!(decoder.decode(&payload[..n], &mut out), Ok(samples));
        // The decoder refuses a buffer shorter than the packet instead of truncating.
        assert_eq!(
            decoder.decode(&payload[..n], &mut out[..samples - 1]),
            Err(CodecError::OutputTooSmall {
                needed: samples,
                available: samples - 1
            })
        );
    }
    let mut encoder = CodecKind::Opus.encoder();
    assert_eq!(
        encoder.encode(&[0; 1440], &mut [0u8; 4000]),
        Err(CodecError::FrameLength { len: 1440 })
    );
}

#[test]
fn garbage_payloads_are_typed_errors() {
    let mut decoder = OpusDecoder::new();
    let mut out = vec![0i16; OPUS_MAX_PACKET_SAMPLES];
    for garbage in [
        // Code 3 with 63 frames of 20 ms: far beyond 120 ms (RFC 6716 §3.2.5).
        &[0xFF, 0xFF][..],
        // Code 1 (two frames of equal size) with an odd remainder (RFC 6716 §3.2.3).
        &[0x01, 0x00][..],
        // Code 2 whose first frame's length runs past the end (RFC 6716 §3.2.4).
        &[0x02, 0xFB, 0x01][..],
    ] {
        assert!(
            matches!(
                decoder.decode(garbage, &mut out),
                Err(CodecError::Malformed(_))
            ),
            "{garbage:02x?}"
        );
    }
    assert!(matches!(
        decoder.decode(&[], &mut out),
        Err(CodecError::Malformed(_))
    ));
    assert!(decoder.samples_in_payload(&[]).is_err());
    // The decoder still works after refusing them.
    let packets = tone_packets(-10.0, 1);
    assert_eq!(decoder.decode(&packets[0], &mut out), Ok(FRAME));
}

#[test]
fn a_lost_packet_is_concealed_by_libopus() {
    let t0 = Instant::now();
    let packets = tone_packets(-10.0, 30);
    let mut buffer = JitterBuffer::new(
        CodecKind::Opus.decoder(),
        JitterConfig::for_rate(48000),
        Playout::Fixed(MS20),
    )
    .unwrap();
    // A malformed packet is refused at the door and never reaches the decoder.
    assert_eq!(
        buffer.push(999, 0, false, &[0xFF, 0xFF], t0),
        Insertion::Malformed
    );
    // Two packets in a row are lost.
    let lost = 15;
    let mut frames = Vec::new();
    for k in 0..30u16 {
        let now = t0 + MS20 * u32::from(k);
        if usize::from(k) != lost && usize::from(k) != lost + 1 {
            let seq = k;
            let ts = u32::from(k) * FRAME as u32;
            let inserted = buffer.push(seq, ts, k == 0, &packets[usize::from(k)], now);
            assert_eq!(inserted, Insertion::Queued);
        }
        let mut frame = [0i16; FRAME];
        let pulled = buffer.pull(now + MS20, &mut frame).unwrap();
        frames.push((pulled, frame));
    }
    for (k, (pulled, _)) in frames.iter().enumerate().skip(1) {
        let expected = if k == lost || k == lost + 1 {
            (0, FRAME)
        } else {
            (FRAME, 0)
        };
        assert_eq!((pulled.audio, pulled.concealed), expected, "frame {k}");
    }
    // The concealed frames are libopus's own concealment, not the buffer's faded repetition:
    // a decoder given the same packets and losses gives the same samples, and the decoder
    // state that concealment left carries on into the packets after the gap.
    let mut reference = OpusDecoder::new();
    for (k, (_, frame)) in frames.iter().enumerate() {
        let mut expected = [0i16; FRAME];
        if k == lost || k == lost + 1 {
            assert_eq!(reference.conceal(&mut expected), FRAME);
        } else {
            assert_eq!(reference.decode(&packets[k], &mut expected), Ok(FRAME));
        }
        assert!(expected == *frame, "frame {k}");
    }
    let after: Vec<i16> = frames[lost + 3..]
        .iter()
        .flat_map(|(_, f)| f.iter().copied())
        .collect();
    let level = tone_level(&after, 48000, 1000.0);
    assert!(
        (level + 10.0).abs() < 1.0,
        "level after the loss {level:.2}"
    );
    assert_eq!(buffer.stats().rejected, 1);
}

proptest! {
    #[test]
    fn any_bytes_decode_or_fail_without_panic(payload in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut decoder = OpusDecoder::new();
        let mut out = vec![0i16; OPUS_MAX_PACKET_SAMPLES];
        match decoder.decode(&payload, &mut out) {
            Ok(n) => prop_assert_eq!(Ok(n), decoder.samples_in_payload(&payload)),
            Err(e) => prop_assert!(matches!(e, CodecError::Malformed(_)), "{e:?}"),
        }
    }
}
