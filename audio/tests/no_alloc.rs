//! The per-frame paths allocate nothing once a stream is set up: encoding, decoding,
//! resampling, tone generation and detection, and the jitter buffer's push and pull.
//!
//! A counting global allocator watches this test binary. It counts only the allocations of
//! the thread that asked for it: libtest's main thread may set up its channel to the test
//! thread while the test counts (it did, 4 allocations, when the machine was loaded), so a
//! global count was flaky.

use std::time::{Duration, Instant};

use sipsimple_audio::codec::{Codec, CodecKind, L16Rate};
use sipsimple_audio::goertzel::DtmfDetector;
use sipsimple_audio::jitter::{JitterBuffer, JitterConfig, Playout};
use sipsimple_audio::resample::Resampler;
use sipsimple_audio::tone::{CadencedTone, DtmfDigit, DualTone};

mod counting;

use counting::allocations_in;

#[test]
fn frame_paths_do_not_allocate() {
    // Set-up: everything that may allocate.
    let kinds = [
        CodecKind::Pcmu,
        CodecKind::Pcma,
        CodecKind::G722,
        CodecKind::L16(L16Rate::Hz48000),
    ];
    let mut coders: Vec<_> = kinds
        .iter()
        .map(|k| (k.info(), k.encoder(), k.decoder()))
        .collect();
    let mut pcm = vec![0i16; 960];
    let mut payload = vec![0u8; 1920];
    let mut decoded = vec![0i16; 960];
    let mut up = Resampler::new(16000, 48000).unwrap();
    let mut down = Resampler::new(48000, 8000).unwrap();
    let mut wide = vec![0i16; 960];
    let mut narrow = vec![0i16; 160];
    let mut dtmf = DualTone::dtmf(DtmfDigit::new('7').unwrap(), -10.0, 16000).unwrap();
    let mut ringback = CadencedTone::ringback(-13.0, 16000).unwrap();
    let mut detector = DtmfDetector::new(16000);
    let mut jitter = JitterBuffer::new(
        CodecKind::G722.decoder(),
        JitterConfig::for_rate(16000),
        Playout::Adaptive {
            min: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
    )
    .unwrap();
    let mut g722 = CodecKind::G722.encoder();
    let mut packet = [0u8; 160];
    let mut frame = [0i16; 320];
    let t0 = Instant::now();

    let count = allocations_in(|| {
        for i in 0..500u16 {
            let pcm16 = &mut pcm[..320];
            if i % 50 < 10 {
                dtmf.fill(pcm16);
            } else {
                ringback.fill(pcm16);
            }
            detector.process(pcm16);
            while detector.poll_digit().is_some() {}
            up.process(pcm16, &mut wide).unwrap();
            down.process(&wide, &mut narrow).unwrap();
            for (info, encoder, decoder) in &mut coders {
                let samples = info.samples_per_frame(20);
                let bytes = encoder.encode(&wide[..samples], &mut payload).unwrap();
                decoder.decode(&payload[..bytes], &mut decoded).unwrap();
            }
            g722.encode(pcm16, &mut packet).unwrap();
            // Reordered pairs, a duplicate now and then, some loss.
            let seq = i ^ 1;
            let arrival = t0 + Duration::from_millis(20 * u64::from(i) + u64::from(i % 7) * 3);
            if i % 13 != 0 {
                jitter.push(seq, u32::from(seq) * 160, false, &packet, arrival);
            }
            if i % 17 == 0 {
                jitter.push(seq, u32::from(seq) * 160, false, &packet, arrival);
            }
            jitter
                .pull(t0 + Duration::from_millis(20 * u64::from(i)), &mut frame)
                .unwrap();
        }
    });
    assert_eq!(count, 0, "allocations during 500 frames");
    assert!(jitter.stats().queued > 400);
    // The counter works: an allocation under it is seen.
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![0u8; 16]))),
        1
    );
}
