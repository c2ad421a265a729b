//! Jitter buffers: ordering, duplicates, loss concealment, late packets, wrap-around,
//! talkspurts, bounds, packet sizes other than the frame, adaptation to measured jitter, and
//! property tests over random arrival orders.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sipsimple_audio::codec::{Codec, CodecError, CodecInfo, CodecKind, Decoder, L16Rate};
use sipsimple_audio::goertzel::tone_level;
use sipsimple_audio::jitter::{
    Insertion, JitterBuffer, JitterConfig, JitterError, Playout, Pulled, CODEC_PLC_FRAMES,
};
use sipsimple_audio::tone::SineGenerator;

const FRAME: usize = 160;
const MS20: Duration = Duration::from_millis(20);

fn l16_buffer(playout: Playout) -> JitterBuffer {
    JitterBuffer::new(
        CodecKind::L16(L16Rate::Hz8000).decoder(),
        JitterConfig::for_rate(8000),
        playout,
    )
    .unwrap()
}

/// A 20 ms L16 payload whose samples all carry `value`.
fn payload(value: i16, samples: usize) -> Vec<u8> {
    (0..samples).flat_map(|_| value.to_be_bytes()).collect()
}

fn value_of(seq: u16) -> i16 {
    1000 + (seq % 8000) as i16
}

struct Run {
    frames: Vec<Vec<i16>>,
    pulled: Vec<Pulled>,
}

/// Pulls `count` frames at 20 ms intervals starting at `start`, after pushing every packet
/// whose arrival is due, in the order given.
fn play(
    buffer: &mut JitterBuffer,
    packets: &[(u16, u32, bool, Vec<u8>, Instant)],
    start: Instant,
    count: usize,
) -> Run {
    let mut run = Run {
        frames: Vec::new(),
        pulled: Vec::new(),
    };
    let mut next = 0;
    for k in 0..count {
        let now = start + MS20 * k as u32;
        while next < packets.len() && packets[next].4 <= now {
            let (seq, ts, marker, data, arrival) = &packets[next];
            buffer.push(*seq, *ts, *marker, data, *arrival);
            next += 1;
        }
        let mut frame = vec![0i16; FRAME];
        run.pulled.push(buffer.pull(now, &mut frame).unwrap());
        run.frames.push(frame);
    }
    run
}

/// Packets `seqs` of a steady 20 ms stream starting at `first_seq`/`first_ts`, arriving at t0 +
/// 20 ms per sequence step + `extra(seq)`.
fn stream(
    t0: Instant,
    first_seq: u16,
    first_ts: u32,
    count: u16,
    extra: impl Fn(u16) -> Duration,
) -> Vec<(u16, u32, bool, Vec<u8>, Instant)> {
    let mut packets: Vec<_> = (0..count)
        .map(|i| {
            let seq = first_seq.wrapping_add(i);
            let ts = first_ts.wrapping_add(u32::from(i) * 160);
            (
                seq,
                ts,
                false,
                payload(value_of(seq), FRAME),
                t0 + MS20 * u32::from(i) + extra(i),
            )
        })
        .collect();
    packets.sort_by_key(|p| p.4);
    packets
}

fn full_audio(p: &Pulled) -> bool {
    *p == Pulled {
        audio: FRAME,
        concealed: 0,
        silence: 0,
    }
}

#[test]
fn plays_in_order_after_the_fixed_delay() {
    let t0 = Instant::now();
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(60)));
    let run = play(
        &mut buffer,
        &stream(t0, 100, 5000, 50, |_| Duration::ZERO),
        t0,
        50,
    );
    for k in 0..3 {
        assert_eq!(
            run.pulled[k],
            Pulled {
                audio: 0,
                concealed: 0,
                silence: FRAME
            },
            "frame {k}"
        );
    }
    for k in 3..50 {
        assert!(full_audio(&run.pulled[k]), "frame {k}: {:?}", run.pulled[k]);
        assert!(
            run.frames[k]
                .iter()
                .all(|&s| s == value_of(100 + k as u16 - 3)),
            "frame {k}"
        );
    }
}

#[test]
fn undoes_reordering_and_drops_duplicates() {
    let t0 = Instant::now();
    // Odd packets overtake even ones by 30 ms; every packet also arrives twice.
    let mut packets = stream(t0, 0, 0, 40, |i| {
        if i % 2 == 0 {
            MS20 * 2
        } else {
            Duration::ZERO
        }
    });
    let copies = packets.clone();
    packets.extend(copies.into_iter().map(|mut p| {
        p.4 += Duration::from_millis(5);
        p
    }));
    packets.sort_by_key(|p| p.4);
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(80)));
    let run = play(&mut buffer, &packets, t0, 44);
    let played: Vec<i16> = run
        .frames
        .iter()
        .zip(&run.pulled)
        .filter(|(_, p)| p.audio > 0)
        .map(|(f, _)| f[0])
        .collect();
    let expected: Vec<i16> = (0..played.len() as u16).map(value_of).collect();
    assert_eq!(played, expected);
    assert!(played.len() >= 38);
    assert!(run.pulled.iter().all(|p| p.concealed == 0));
    assert_eq!(buffer.stats().duplicates + buffer.stats().late, 40);
}

#[test]
fn conceals_loss_by_fading_the_last_frame_then_silence() {
    let t0 = Instant::now();
    let mut packets = stream(t0, 0, 0, 30, |_| Duration::ZERO);
    packets.retain(|p| p.0 != 10 && !(15..18).contains(&p.0));
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(40)));
    let run = play(&mut buffer, &packets, t0, 30);
    let frame_of = |seq: usize| seq + 2;
    // One lost frame: the last one repeats, fading from full level.
    let lost = frame_of(10);
    assert_eq!(
        run.pulled[lost],
        Pulled {
            audio: 0,
            concealed: FRAME,
            silence: 0
        }
    );
    assert_eq!(run.frames[lost][0], value_of(9));
    assert!(run.frames[lost][FRAME - 1] < value_of(9) && run.frames[lost][FRAME - 1] > 0);
    assert!(full_audio(&run.pulled[frame_of(11)]));
    assert_eq!(run.frames[frame_of(11)][0], value_of(11));
    // Three lost frames: fade over two, then zeros.
    let first = frame_of(15);
    assert!(run.frames[first][0] == value_of(14));
    assert!(run.frames[first + 1][0] > 0 && run.frames[first + 1][0] < value_of(14) / 2 + 10);
    assert!(run.frames[first + 2].iter().all(|&s| s == 0));
    assert_eq!(run.pulled[first + 2].concealed, FRAME);
    assert_eq!(run.frames[frame_of(18)][0], value_of(18));
    assert_eq!(buffer.stats().concealed_samples, 4 * FRAME as u64);
}

#[test]
fn a_packet_after_its_time_is_late() {
    let t0 = Instant::now();
    let mut packets = stream(
        t0,
        0,
        0,
        20,
        |i| if i == 5 { MS20 * 5 } else { Duration::ZERO },
    );
    packets.sort_by_key(|p| p.4);
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(40)));
    let run = play(&mut buffer, &packets, t0, 20);
    assert_eq!(run.pulled[7].concealed, FRAME);
    assert_eq!(buffer.stats().late, 1);
    let again = buffer.push(5, 800, false, &payload(1, FRAME), t0 + MS20 * 30);
    assert_eq!(again, Insertion::Late);
}

#[test]
fn sequence_and_timestamp_wrap_around() {
    let t0 = Instant::now();
    let packets = stream(t0, 65_530, u32::MAX - 3 * 160 + 1, 20, |_| Duration::ZERO);
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(20)));
    let run = play(&mut buffer, &packets, t0, 21);
    for k in 1..21 {
        assert!(full_audio(&run.pulled[k]), "frame {k}: {:?}", run.pulled[k]);
        assert_eq!(
            run.frames[k][0],
            value_of(65_530u16.wrapping_add(k as u16 - 1))
        );
    }
}

#[test]
fn a_marker_or_timestamp_jump_starts_a_new_talkspurt() {
    let t0 = Instant::now();
    let mut packets = stream(t0, 0, 0, 10, |_| Duration::ZERO);
    // After 1 s of silence suppression, a marked talkspurt whose timestamps continue.
    let t1 = t0 + Duration::from_millis(1200);
    let mut second = stream(t1, 10, 1200 * 8, 10, |_| Duration::ZERO);
    second[0].2 = true;
    // Then, without a marker, a timestamp jump of about an hour.
    let t2 = t0 + Duration::from_millis(2000);
    let third = stream(t2, 20, 30_000_000, 10, |_| Duration::ZERO);
    packets.extend(second);
    packets.extend(third);
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(40)));
    let run = play(&mut buffer, &packets, t0, 120);
    let first_audio_at = |value: i16| {
        run.frames
            .iter()
            .zip(&run.pulled)
            .position(|(f, p)| p.audio == FRAME && f[0] == value)
    };
    assert_eq!(first_audio_at(value_of(0)), Some(2));
    // Each talkspurt starts 40 ms after its first packet arrived.
    assert_eq!(first_audio_at(value_of(10)), Some(60 + 2));
    assert_eq!(first_audio_at(value_of(20)), Some(100 + 2));
    // The silence between talkspurts is not loss: only the fade after the first one's end.
    assert!(run.pulled[30].silence == FRAME || run.pulled[30].concealed == FRAME);
    for k in 62..72 {
        assert!(full_audio(&run.pulled[k]), "frame {k}");
    }
    for k in 102..112 {
        assert!(full_audio(&run.pulled[k]), "frame {k}");
    }
}

#[test]
fn holds_a_bounded_number_of_packets() {
    let t0 = Instant::now();
    let mut buffer = l16_buffer(Playout::Fixed(Duration::from_millis(60)));
    let data = payload(1, FRAME);
    for i in 0..1000u16 {
        let outcome = buffer.push(i, u32::from(i) * 160, false, &data, t0);
        assert!(matches!(
            outcome,
            Insertion::Queued | Insertion::QueuedDroppedOldest
        ));
        assert!(buffer.len() <= 64);
    }
    assert_eq!(buffer.stats().overflow, 1000 - 64);
    assert_eq!(buffer.push(0, 0, false, &data, t0), Insertion::Overflow);
    assert_eq!(
        buffer.push(5000, 0, false, &vec![0; 1502], t0),
        Insertion::TooLarge
    );
}

#[test]
fn packets_longer_than_the_frame_play_seamlessly() {
    // 30 ms packets (240 samples) pulled as 20 ms frames, through G.711.
    let t0 = Instant::now();
    let mut sine = SineGenerator::new(1000.0, -10.0, 8000).unwrap();
    let mut encoder = CodecKind::Pcmu.encoder();
    let mut packets = Vec::new();
    for i in 0..40u16 {
        let mut pcm = [0i16; 240];
        sine.fill(&mut pcm);
        let mut bytes = vec![0u8; 240];
        encoder.encode(&pcm, &mut bytes).unwrap();
        packets.push((
            i,
            u32::from(i) * 240,
            false,
            bytes,
            t0 + Duration::from_millis(30) * u32::from(i),
        ));
    }
    let mut buffer = JitterBuffer::new(
        CodecKind::Pcmu.decoder(),
        JitterConfig::for_rate(8000),
        Playout::Fixed(Duration::from_millis(40)),
    )
    .unwrap();
    let run = play(&mut buffer, &packets, t0, 55);
    for k in 2..55 {
        assert!(full_audio(&run.pulled[k]), "frame {k}: {:?}", run.pulled[k]);
    }
    let audio: Vec<i16> = run.frames[2..].concat();
    assert!((tone_level(&audio, 8000, 1000.0) + 10.0).abs() < 0.2);
}

#[test]
fn g722_plays_on_its_8khz_rtp_clock() {
    let t0 = Instant::now();
    let mut sine = SineGenerator::new(1000.0, -10.0, 16000).unwrap();
    let mut encoder = CodecKind::G722.encoder();
    let mut packets = Vec::new();
    for i in 0..50u16 {
        let mut pcm = [0i16; 320];
        sine.fill(&mut pcm);
        let mut bytes = vec![0u8; 160];
        encoder.encode(&pcm, &mut bytes).unwrap();
        packets.push((
            i,
            u32::from(i) * 160,
            false,
            bytes,
            t0 + MS20 * u32::from(i),
        ));
    }
    let mut buffer = JitterBuffer::new(
        CodecKind::G722.decoder(),
        JitterConfig::for_rate(16000),
        Playout::Fixed(Duration::from_millis(20)),
    )
    .unwrap();
    let mut audio = Vec::new();
    let mut next = 0;
    for k in 0..50u32 {
        let now = t0 + MS20 * k;
        while next < packets.len() && packets[next].4 <= now {
            let (seq, ts, marker, data, arrival) = &packets[next];
            buffer.push(*seq, *ts, *marker, data, *arrival);
            next += 1;
        }
        let mut frame = [0i16; 320];
        let pulled = buffer.pull(now, &mut frame).unwrap();
        if k >= 1 {
            assert_eq!(pulled.audio, 320, "frame {k}");
        }
        audio.extend_from_slice(&frame);
    }
    assert!((tone_level(&audio[3200..], 16000, 1000.0) + 10.0).abs() < 0.3);
}

/// A deterministic jitter of up to `spread_ms`.
fn jitter_of(seed: u64, spread_ms: u64) -> impl Fn(u16) -> Duration {
    move |i| {
        let x = (u64::from(i) + seed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(17)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        Duration::from_millis((x >> 33) % (spread_ms + 1))
    }
}

#[test]
fn adaptive_delay_follows_jitter_within_bounds() {
    let adaptive = Playout::Adaptive {
        min: Duration::from_millis(20),
        max: Duration::from_millis(200),
    };
    for (spread, low, high) in [(0u64, 20u64, 20u64), (60, 55, 75), (400, 200, 200)] {
        let t0 = Instant::now();
        let packets = stream(t0, 7, 0, 500, jitter_of(spread, spread));
        let mut buffer = l16_buffer(adaptive);
        let run = play(&mut buffer, &packets, t0, 520);
        let target = buffer.target_delay().as_millis() as u64;
        assert!(
            (low..=high).contains(&target),
            "spread {spread}: target {target} ms"
        );
        // After the first two seconds the delay has converged: almost nothing is concealed.
        let concealed: usize = run.pulled[100..500].iter().map(|p| p.concealed).sum();
        let limit = if spread > 200 { 400 * FRAME } else { 4 * FRAME };
        assert!(
            concealed <= limit,
            "spread {spread}: {concealed} samples concealed"
        );
    }
}

#[test]
fn adaptive_delay_shrinks_when_jitter_goes_away() {
    let adaptive = Playout::Adaptive {
        min: Duration::from_millis(20),
        max: Duration::from_millis(200),
    };
    let t0 = Instant::now();
    // 2 s of 100 ms spread, then 10 s steady.
    let packets = stream(t0, 0, 0, 600, |i| {
        if i < 100 {
            jitter_of(1, 100)(i)
        } else {
            Duration::ZERO
        }
    });
    let mut buffer = l16_buffer(adaptive);
    let run = play(&mut buffer, &packets, t0, 605);
    assert!(buffer.stats().frames_inserted > 0);
    assert!(buffer.stats().frames_dropped > 0);
    assert_eq!(buffer.target_delay(), Duration::from_millis(20));
    // At the end the newest audio plays within about two frames of arriving.
    let last_value = value_of(599);
    let at = run
        .frames
        .iter()
        .position(|f| f[0] == last_value)
        .expect("last packet played");
    assert!(at <= 599 + 3, "last packet played at frame {at}");
}

#[test]
fn misuse_is_an_error() {
    let mut buffer = l16_buffer(Playout::Fixed(MS20));
    let mut short = [0i16; 100];
    assert_eq!(
        buffer.pull(Instant::now(), &mut short),
        Err(JitterError::FrameLength {
            expected: FRAME,
            got: 100
        })
    );
    let bad = JitterBuffer::new(
        CodecKind::Pcmu.decoder(),
        JitterConfig {
            frame_samples: 0,
            max_packets: 1,
            max_payload: 1,
        },
        Playout::Fixed(MS20),
    );
    assert!(matches!(bad, Err(JitterError::Config(_))));
}

proptest! {
    #[test]
    fn never_invents_audio_for_any_arrival_order(
        events in prop::collection::vec(
            (0u16..80, any::<bool>(), 0u64..300, prop::bool::weighted(0.05), 0usize..3),
            1..200,
        ),
        adaptive in any::<bool>(),
        wrap_base in any::<u16>(),
        ts_base in any::<u32>(),
    ) {
        let playout = if adaptive {
            Playout::Adaptive { min: Duration::from_millis(20), max: Duration::from_millis(200) }
        } else {
            Playout::Fixed(Duration::from_millis(60))
        };
        let mut buffer = l16_buffer(playout);
        let t0 = Instant::now();
        // (sequence offset, dropped?, delay, marker, payload size class)
        let mut packets: Vec<_> = events
            .iter()
            .filter(|e| !e.1)
            .map(|&(offset, _, delay, marker, size)| {
                let seq = wrap_base.wrapping_add(offset);
                let ts = ts_base.wrapping_add(u32::from(offset) * 160);
                let samples = [160, 80, 241][size];
                let bytes = if size == 2 { vec![0u8; 481] } else { payload(1, samples) };
                (seq, ts, marker, bytes, t0 + MS20 * u32::from(offset) + Duration::from_millis(delay))
            })
            .collect();
        packets.sort_by_key(|p| p.4);
        let run = play(&mut buffer, &packets, t0, 120);
        let mut unique = std::collections::HashSet::new();
        let mut offered = 0;
        for p in &packets {
            if unique.insert(p.0) {
                offered += p.3.len() / 2;
            }
        }
        let mut audio = 0;
        for pulled in &run.pulled {
            prop_assert_eq!(pulled.audio + pulled.concealed + pulled.silence, FRAME);
            audio += pulled.audio;
        }
        prop_assert!(audio <= offered, "{} audio samples from {} offered", audio, offered);
        prop_assert!(buffer.len() <= 64);
        for frame in &run.frames {
            prop_assert!(frame.iter().all(|&s| (0..=1).contains(&s)), "only payload values or fades");
        }
    }
}

proptest! {
    /// Hostile streams: sequence numbers, timestamps, markers and payload sizes unrelated to each
    /// other, and pull instants that may go backwards. Nothing panics, every pull fills exactly
    /// one frame, and the bound on held packets holds.
    #[test]
    fn survives_incoherent_streams(
        steps in prop::collection::vec(
            (any::<u16>(), any::<u32>(), any::<bool>(), 0usize..700, 0u64..400, any::<bool>()),
            1..150,
        ),
        adaptive in any::<bool>(),
    ) {
        let playout = if adaptive {
            Playout::Adaptive { min: Duration::from_millis(20), max: Duration::from_millis(200) }
        } else {
            Playout::Fixed(Duration::from_millis(40))
        };
        let mut buffer = JitterBuffer::new(
            CodecKind::G722.decoder(),
            JitterConfig { frame_samples: 320, max_packets: 16, max_payload: 640 },
            playout,
        )
        .unwrap();
        let t0 = Instant::now();
        let mut frame = [0i16; 320];
        for (seq, ts, marker, len, ms, pull) in steps {
            let at = t0 + Duration::from_millis(ms * 10);
            if pull {
                let pulled = buffer.pull(at, &mut frame).unwrap();
                prop_assert_eq!(pulled.audio + pulled.concealed + pulled.silence, 320);
            } else {
                buffer.push(seq, ts, marker, &vec![0x5A; len], at);
            }
            prop_assert!(buffer.len() <= 16);
        }
    }
}

/// L16 at 8 kHz with a concealment of its own that writes [`PLC_VALUE`] in 80-sample steps.
#[derive(Debug)]
struct L16WithPlc(Box<dyn Decoder + Send>);

const PLC_VALUE: i16 = 1234;

impl Decoder for L16WithPlc {
    fn info(&self) -> CodecInfo {
        self.0.info()
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        self.0.decode(payload, out)
    }

    fn conceal(&mut self, out: &mut [i16]) -> usize {
        let n = out.len() / 80 * 80;
        out[..n].fill(PLC_VALUE);
        n
    }

    fn reset(&mut self) {}
}

#[test]
fn a_codec_with_its_own_concealment_conceals_for_a_bounded_time() {
    let t0 = Instant::now();
    let mut buffer = JitterBuffer::new(
        Box::new(L16WithPlc(CodecKind::L16(L16Rate::Hz8000).decoder())),
        JitterConfig::for_rate(8000),
        Playout::Fixed(MS20),
    )
    .unwrap();
    // Packets 0–2 arrive, 3–12 are lost, 13 onwards arrive.
    let mut packets = stream(t0, 0, 0, 20, |_| Duration::ZERO);
    packets.retain(|p| !(3..13).contains(&p.0));
    let run = play(&mut buffer, &packets, t0, 21);
    for k in 4..=(3 + CODEC_PLC_FRAMES) {
        assert_eq!(run.pulled[k].concealed, FRAME, "frame {k}");
        assert!(run.frames[k].iter().all(|&s| s == PLC_VALUE), "frame {k}");
    }
    // Past the codec's share, silence rather than a repetition of the concealment.
    for k in (4 + CODEC_PLC_FRAMES)..=13 {
        assert_eq!(run.pulled[k].concealed, FRAME, "frame {k}");
        assert!(run.frames[k].iter().all(|&s| s == 0), "frame {k}");
    }
    assert_eq!(run.pulled[14].audio, FRAME);
    assert_eq!(run.frames[14][0], value_of(13));
    assert_eq!(buffer.stats().concealed_samples, 10 * FRAME as u64);
}

#[test]
fn a_codec_concealment_shorter_than_its_step_falls_back_to_repetition() {
    // A 50-sample gap (less than the codec's 80-sample step) after a 110-sample packet is
    // filled by the buffer's own faded repetition.
    let t0 = Instant::now();
    let mut buffer = JitterBuffer::new(
        Box::new(L16WithPlc(CodecKind::L16(L16Rate::Hz8000).decoder())),
        JitterConfig::for_rate(8000),
        Playout::Fixed(MS20),
    )
    .unwrap();
    buffer.push(0, 0, true, &payload(300, 160), t0);
    buffer.push(1, 160, false, &payload(500, 110), t0 + MS20);
    buffer.push(2, 320, false, &payload(700, 160), t0 + MS20 * 2);
    let mut frame = [0i16; FRAME];
    let pulled = buffer.pull(t0 + MS20, &mut frame).unwrap();
    assert_eq!(pulled.audio, FRAME);
    let pulled = buffer.pull(t0 + MS20 * 2, &mut frame).unwrap();
    assert_eq!((pulled.audio, pulled.concealed), (110, 50));
    // The repetition of packet 0's tail, faded.
    assert!(
        frame[110..].iter().all(|&s| s > 200 && s <= 300),
        "{:?}",
        &frame[110..]
    );
}
