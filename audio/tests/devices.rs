//! The devices driving the clock and the tone port: the clock thread ticks about 50 times a
//! second and only one device drives a mixer; the WAV-file device captures one file and plays
//! into another, headless; the tone generator's DTMF keys are detected at the other end.

mod common;

use std::time::{Duration, Instant};

use common::{read_wav, record_events, write_sine_wav, Probe};
use sipsimple_audio::bridge::AudioBridge;
use sipsimple_audio::device::{
    AudioDevice, NullDevice, WavFileDevice, WavFileDeviceConfig, MAX_CATCH_UP_FRAMES,
};
use sipsimple_audio::engine::{AudioEvent, AudioPort, EngineError, Mixer};
use sipsimple_audio::goertzel::{tone_level, DtmfDetector};
use sipsimple_audio::tone::ToneError;
use sipsimple_audio::tone_port::{ToneGenerator, TONE_QUEUE_LIMIT};
use sipsimple_audio::wave::{WavePlayer, WavePlayerOptions, WaveRecorder};

#[test]
fn the_clock_ticks_about_fifty_times_a_second() {
    let mixer = Mixer::new(16000).expect("mixer");
    let mut device = NullDevice::start(&mixer).expect("device");
    assert_eq!(
        NullDevice::start(&mixer).map(|_| ()),
        Err(EngineError::ClockBusy),
        "one device drives a mixer"
    );
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(1000));
    let elapsed = started.elapsed().as_secs_f64();
    let stats = device.stats();
    device.stop();
    let expected = elapsed * 50.0;
    // Loose bounds: a loaded machine may delay the thread, never make it tick twice as often.
    assert!(
        stats.ticks as f64 > expected * 0.6 && (stats.ticks as f64) < expected * 1.2 + 2.0,
        "{stats:?} in {elapsed} s"
    );
    let after = mixer.ticks();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(mixer.ticks(), after, "stopped means stopped");
    // The clock is free again.
    let again = NullDevice::start(&mixer).expect("a second device after the first stopped");
    drop(again);
}

/// A slot that stalls the tick once, as a stuck disk would.
struct Stall {
    calls: u32,
}

impl sipsimple_audio::engine::SlotIo for Stall {
    fn produce(&mut self, _out: &mut [i16]) -> bool {
        self.calls += 1;
        if self.calls == 5 {
            std::thread::sleep(Duration::from_millis(300));
        }
        false
    }
}

#[test]
fn a_stalled_clock_skips_ahead_instead_of_bursting() {
    let mixer = Mixer::new(8000).expect("mixer");
    let _stall = mixer
        .add_slot(8000, Box::new(Stall { calls: 0 }))
        .expect("slot");
    let mut device = NullDevice::start(&mixer).expect("device");
    std::thread::sleep(Duration::from_millis(600));
    let stats = device.stats();
    device.stop();
    // 300 ms is 15 frames: more than the clock catches up, so most of them are skipped.
    assert!(stats.late_ticks >= 1, "{stats:?}");
    assert!(
        stats.skipped_frames >= 15 - MAX_CATCH_UP_FRAMES - 1,
        "{stats:?}"
    );
    // Without a burst: the ticks run stay below what 600 ms would hold.
    assert!(stats.ticks < 30, "{stats:?}");
}

#[test]
fn the_wav_file_device_captures_one_file_and_plays_into_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mic = dir.path().join("mic.wav");
    write_sine_wav(&mic, 8000, 1, 1000.0, -10.0, 1600); // 200 ms, looped.
    let music = dir.path().join("music.wav");
    write_sine_wav(&music, 16000, 1, 440.0, -10.0, 16000);
    let speaker = dir.path().join("out/speaker.wav");
    let heard = dir.path().join("heard.wav");

    let mixer = Mixer::new(16000).expect("mixer");
    let events = record_events(&mixer);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let device = AudioDevice::new(&mixer, false, false);
    let player = WavePlayer::new(
        &mixer,
        &music,
        WavePlayerOptions {
            loop_count: 0,
            ..WavePlayerOptions::default()
        },
    )
    .expect("player");
    let recorder = WaveRecorder::new(&mixer, &heard);
    bridge.add(&device).expect("add");
    bridge.add(&player).expect("add");
    bridge.add(&recorder).expect("add");
    recorder.start().expect("record");
    player.start().expect("play");
    let mut file_device = WavFileDevice::start(
        &mixer,
        WavFileDeviceConfig {
            input: Some(mic),
            loop_input: true,
            output: Some(speaker.clone()),
        },
    )
    .expect("device");
    while mixer.ticks() < 30 {
        std::thread::sleep(Duration::from_millis(20));
    }
    file_device.stop().expect("stop");
    recorder.stop().expect("stop");
    assert!(
        !events
            .lock()
            .iter()
            .any(|(_, e)| matches!(e, AudioEvent::DeviceDidFail { .. })),
        "{:?}",
        events.lock()
    );

    // The speaker got the music and not its own microphone; the recorder got both.
    let (rate, out) = read_wav(&speaker);
    assert_eq!(rate, 16000);
    assert_eq!(out.len() as u64, mixer.ticks() * 320, "one frame per tick");
    let tail = &out[5 * 320..];
    assert!((tone_level(tail, rate, 440.0) + 10.0).abs() < 1.0);
    assert!(tone_level(tail, rate, 1000.0) < -60.0);
    let (_, rec) = read_wav(&heard);
    let tail = &rec[5 * 320..];
    assert!((tone_level(tail, 16000, 440.0) + 10.0).abs() < 1.0);
    assert!((tone_level(tail, 16000, 1000.0) + 10.0).abs() < 1.0);
}

#[test]
fn the_speaker_file_keeps_time_while_nobody_is_heard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let speaker = dir.path().join("speaker.wav");
    let mixer = Mixer::new(8000).expect("mixer");
    let mut device = WavFileDevice::start(
        &mixer,
        WavFileDeviceConfig {
            output: Some(speaker.clone()),
            ..WavFileDeviceConfig::default()
        },
    )
    .expect("device");
    while mixer.ticks() < 10 {
        std::thread::sleep(Duration::from_millis(20));
    }
    device.stop().expect("stop");
    let (_, out) = read_wav(&speaker);
    assert_eq!(out.len() as u64, mixer.ticks() * 160);
    assert!(out.iter().all(|&s| s == 0));
}

#[test]
fn a_missing_input_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mixer = Mixer::new(8000).expect("mixer");
    let result = WavFileDevice::start(
        &mixer,
        WavFileDeviceConfig {
            input: Some(dir.path().join("none.wav")),
            ..WavFileDeviceConfig::default()
        },
    );
    assert!(matches!(result, Err(EngineError::File(_))));
    // Nothing was attached: another device may drive the mixer.
    NullDevice::start(&mixer).expect("device");
}

#[test]
fn dtmf_keys_from_the_tone_generator_are_detected() {
    let mixer = Mixer::new(16000).expect("mixer");
    let tones = ToneGenerator::new(&mixer);
    assert_eq!(tones.play_dtmf('1'), Err(EngineError::NotActive));
    let listener = Probe::new(&mixer, 8000);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    bridge.add(&tones).expect("add");
    bridge.add(&listener).expect("add");
    tones.start().expect("start");
    assert!(tones.producer_slot().is_some());
    for key in ['5', '#', '5', 'D'] {
        tones.play_dtmf(key).expect("key");
    }
    assert_eq!(
        tones.play_dtmf('x'),
        Err(EngineError::Tone(ToneError::NotDtmf('x')))
    );
    let mut detector = DtmfDetector::new(8000);
    for _ in 0..60 {
        mixer.tick();
    }
    assert!(!tones.is_busy(), "four keys of 250 ms fit in 1.2 s");
    for (_, frame) in listener.heard() {
        detector.process(&frame);
    }
    let keys: String = std::iter::from_fn(|| detector.poll_digit())
        .map(|d| d.as_char())
        .collect();
    assert_eq!(keys, "5#5D");
    // With the queue empty the generator is silent.
    mixer.tick();
    assert!(listener
        .heard()
        .iter()
        .all(|(_, f)| f.iter().all(|&s| s == 0)));
}

#[test]
fn the_tone_queue_is_bounded_and_checks_frequencies() {
    let mixer = Mixer::new(8000).expect("mixer");
    let tones = ToneGenerator::new(&mixer);
    tones.start().expect("start");
    assert_eq!(tones.start(), Err(EngineError::AlreadyActive));
    let second = Duration::from_secs(1);
    assert!(matches!(
        tones.play_tones(&[(5000.0, 0.0, second)]),
        Err(EngineError::Tone(ToneError::Frequency { .. }))
    ));
    let many = vec![(440.0, 0.0, second); TONE_QUEUE_LIMIT];
    tones.play_tones(&many).expect("fits");
    assert_eq!(
        tones.play_tones(&[(0.0, 0.0, second)]),
        Err(EngineError::ToneQueueFull {
            max: TONE_QUEUE_LIMIT
        })
    );
    // A single tone and a pause, through a listener: 440 Hz for 100 ms, then silence.
    tones.stop();
    assert!(!tones.is_busy() && tones.producer_slot().is_none());
    tones.start().expect("start");
    let listener = Probe::new(&mixer, 8000);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    bridge.add(&tones).expect("add");
    bridge.add(&listener).expect("add");
    tones
        .play_tones(&[
            (440.0, 0.0, Duration::from_millis(100)),
            (0.0, 0.0, Duration::from_millis(40)),
        ])
        .expect("tones");
    for _ in 0..10 {
        mixer.tick();
    }
    let heard = listener.heard();
    let loud: Vec<_> = heard
        .iter()
        .filter(|(_, f)| f.iter().any(|&s| s != 0))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(loud, [0, 1, 2, 3, 4]);
    let tone: Vec<i16> = heard[..5].iter().flat_map(|(_, f)| f.clone()).collect();
    assert!((tone_level(&tone, 8000, 440.0) + 13.0).abs() < 0.5);
}
