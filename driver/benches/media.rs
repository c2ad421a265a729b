//! Cost of one call's 20 ms of audio through the whole RTP path, G.711 µ-law with SRTP
//! (AES_CM_128_HMAC_SHA1_80 or AEAD_AES_256_GCM, whichever the offer lists first and the
//! answer keeps): two `RtpAudio` streams on 127.0.0.1, each encoding, protecting and sending
//! one frame, the media thread receiving, unprotecting and queueing it in the jitter buffer,
//! and each pulling and decoding one frame.
//!
//! - `call_frame_cpu/N`: CPU time of every thread of the process (the frame clock, which is
//!   the bench's own thread, and the media thread) per call frame, both directions, with N
//!   calls running: every call sends a batch of 16 frames each way, then every frame is
//!   pulled. With one call everything stays in the caches; with 200 the streams' state and
//!   jitter buffers (2 MB per 20 streams) do not. Waiting for a batch sleeps and costs next
//!   to nothing. Calls per core = 20 ms / this.
//! - `consume`: wall time of one `consume` (encode, protect, send) on the frame clock.
//!
//! CPU time is read from `/proc/self/task/*/schedstat` (Linux); elsewhere the wall time of
//! the same loop is reported, which counts the waits too.

use std::hint::black_box;
use std::net::IpAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use futures_lite::future::block_on;
use sipsimple::configuration::{PortRange, SrtpEncryption};
use sipsimple::media::{MediaEngine, RtpAudio, RtpAudioConfig};
use sipsimple::proto::sdp::negotiation::{answer, build_offer, process_answer};
use sipsimple::proto::sdp::Origin;
use sipsimple_audio::jitter::Playout;
use sipsimple_audio::tone::SineGenerator;

const BATCH: u64 = 16;
const FRAME: usize = 160;

fn stream(engine: &MediaEngine) -> RtpAudio {
    let ip: IpAddr = "127.0.0.1".parse().expect("address");
    let mut config = RtpAudioConfig::new(ip, Arc::new(|_| {}));
    config.port_range = PortRange::new(44000, 45999);
    config.codecs = vec!["PCMU".into()];
    config.srtp = SrtpEncryption::Mandatory;
    // Frames are pulled as soon as their batch arrived: no playout delay.
    config.playout = Playout::Fixed(Duration::ZERO);
    RtpAudio::new(engine, config).expect("stream")
}

fn call(engine: &MediaEngine) -> (RtpAudio, RtpAudio) {
    let ip: IpAddr = "127.0.0.1".parse().expect("address");
    let (a, b) = (stream(engine), stream(engine));
    assert!(a.initialize(None).expect("initialize").is_none());
    let offer = build_offer(&Origin::new("a", 1, 1, ip), &[a.local_media(ip)]).expect("offer");
    if let Some(g) = b.initialize(Some(&offer.media()[0])).expect("initialize") {
        block_on(g).expect("gathering");
    }
    let (answer_sdp, at_b) =
        answer(&offer, &Origin::new("b", 1, 1, ip), &[b.local_media(ip)]).expect("answer");
    let at_a = process_answer(&offer, &answer_sdp).expect("process answer");
    a.start(at_a.accepted(0).expect("accepted")).expect("start");
    b.start(at_b.accepted(0).expect("accepted")).expect("start");
    assert!(a.srtp_active() && b.srtp_active());
    (a, b)
}

/// On-CPU time of every thread of the process so far, if the kernel tells it.
fn process_cpu() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn received(streams: &[(RtpAudio, RtpAudio)]) -> u64 {
    streams
        .iter()
        .map(|(a, b)| a.statistics().packets_received + b.statistics().packets_received)
        .sum()
}

fn wait_received(streams: &[(RtpAudio, RtpAudio)], count: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while received(streams) < count {
        assert!(Instant::now() < deadline, "packets lost on loopback");
        thread::sleep(Duration::from_micros(200) * streams.len() as u32);
    }
}

fn bench_calls(c: &mut Criterion, engine: &MediaEngine, calls: usize) {
    let pairs: Vec<_> = (0..calls).map(|_| call(engine)).collect();
    let mut tone = SineGenerator::new(440.0, -10.0, 8000).expect("tone");
    let mut frame = [0i16; FRAME];
    tone.fill(&mut frame);
    let mut out = [0i16; FRAME];
    let per_round = BATCH * calls as u64;
    let mut group = c.benchmark_group("call_frame_cpu");
    // A round of 200 calls takes tens of milliseconds: ten samples fit the usual time.
    group.sample_size(if calls > 1 { 10 } else { 100 });
    group.bench_function(calls.to_string(), |bencher| {
        bencher.iter_custom(|iters| {
            let rounds = iters.div_ceil(per_round);
            let wall = Instant::now();
            let cpu = process_cpu();
            for _ in 0..rounds {
                let before = received(&pairs);
                for _ in 0..BATCH {
                    for (a, b) in &pairs {
                        a.consume(&frame);
                        b.consume(&frame);
                    }
                }
                wait_received(&pairs, before + 2 * per_round);
                for _ in 0..BATCH {
                    for (a, b) in &pairs {
                        black_box(a.produce(&mut out));
                        black_box(b.produce(&mut out));
                    }
                }
            }
            let spent = match (cpu, process_cpu()) {
                (Some(before), Some(after)) => after.saturating_sub(before),
                _ => wall.elapsed(),
            };
            // Scale to the call frames asked for (the last round may run over).
            spent.mul_f64(iters as f64 / (rounds * per_round) as f64)
        });
    });
    group.finish();
    for (a, b) in pairs {
        a.stop();
        b.stop();
    }
}

fn bench(c: &mut Criterion) {
    let engine = MediaEngine::new().expect("engine");
    bench_calls(c, &engine, 1);
    bench_calls(c, &engine, 200);

    let (a, b) = call(&engine);
    let mut frame = [0i16; FRAME];
    SineGenerator::new(440.0, -10.0, 8000)
        .expect("tone")
        .fill(&mut frame);
    c.bench_function("consume", |bencher| {
        bencher.iter(|| a.consume(black_box(&frame)));
    });
    a.stop();
    b.stop();
}

criterion_group!(benches, bench);
criterion_main!(benches);
