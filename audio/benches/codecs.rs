//! Cost per 20 ms frame of each codec's encoder and decoder (Opus with the `opus` feature), and of resampling 16→48 kHz and
//! 48→16 kHz (the mixer's common conversions), compared with rubato's synchronous FFT
//! resampler on the same frames.

use std::hint::black_box;

use audioadapter::AdapterMut;
use audioadapter_buffers::owned::InterleavedOwned;
use criterion::{criterion_group, criterion_main, Criterion};
use rubato::{Fft, FixedSync, Resampler as _};
use sipsimple_audio::codec::{Codec, CodecKind, L16Rate};
use sipsimple_audio::resample::Resampler;
use sipsimple_audio::tone::SineGenerator;

fn tone(rate: u32, samples: usize) -> Vec<i16> {
    let mut out = vec![0i16; samples];
    SineGenerator::new(1000.0, -10.0, rate)
        .expect("valid tone")
        .fill(&mut out);
    out
}

fn codecs(c: &mut Criterion) {
    let kinds = [
        ("pcmu", CodecKind::Pcmu),
        ("pcma", CodecKind::Pcma),
        ("g722", CodecKind::G722),
        ("l16_16k", CodecKind::L16(L16Rate::Hz16000)),
        ("l16_48k", CodecKind::L16(L16Rate::Hz48000)),
        #[cfg(feature = "opus")]
        ("opus", CodecKind::Opus),
    ];
    for (name, kind) in kinds {
        let info = kind.info();
        let samples = info.samples_per_frame(20);
        let pcm = tone(info.sample_rate, samples);
        let mut payload = vec![0u8; info.payload_len(samples)];
        let mut encoder = kind.encoder();
        c.bench_function(&format!("encode_20ms/{name}"), |b| {
            b.iter(|| encoder.encode(black_box(&pcm), &mut payload).expect("fits"));
        });
        // Opus payloads vary: decode one packet of the tone, as long as the encoder made it.
        let len = encoder.encode(&pcm, &mut payload).expect("fits");
        let mut decoder = kind.decoder();
        let mut out = vec![0i16; samples];
        c.bench_function(&format!("decode_20ms/{name}"), |b| {
            b.iter(|| {
                decoder
                    .decode(black_box(&payload[..len]), &mut out)
                    .expect("fits")
            });
        });
    }
}

fn resampling(c: &mut Criterion) {
    for (from, to) in [(16000u32, 48000u32), (48000, 16000)] {
        let input = tone(from, from as usize / 50);
        let mut out = vec![0i16; to as usize / 50];
        let mut ours = Resampler::new(from, to).expect("supported rates");
        c.bench_function(
            &format!("resample_20ms/{}k_to_{}k/polyphase", from / 1000, to / 1000),
            |b| {
                b.iter(|| ours.process(black_box(&input), &mut out).expect("fits"));
            },
        );

        let frames_in = input.len();
        let mut theirs = Fft::<f32>::new(from as usize, to as usize, frames_in, 1, FixedSync::Both)
            .expect("rubato resampler");
        let mut buffer_in = InterleavedOwned::new(0.0f32, 1, theirs.input_frames_max());
        for (i, &s) in input.iter().enumerate().take(theirs.input_frames_max()) {
            buffer_in.write_sample(0, i, &(f32::from(s) / 32768.0));
        }
        let mut buffer_out = InterleavedOwned::new(0.0f32, 1, theirs.output_frames_max());
        c.bench_function(
            &format!(
                "resample_20ms/{}k_to_{}k/rubato_fft",
                from / 1000,
                to / 1000
            ),
            |b| {
                b.iter(|| {
                    theirs
                        .process_into_buffer(black_box(&buffer_in), &mut buffer_out, None)
                        .expect("rubato")
                });
            },
        );
    }
}

criterion_group!(benches, codecs, resampling);
criterion_main!(benches);
