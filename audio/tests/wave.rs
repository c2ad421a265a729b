//! WAV files as ports, with ticks driven by hand: a player's tone reaches a recorder through a
//! bridge at its level (and 6 dB lower at volume 50); loops, pauses and the initial pause
//! last the frames they should; events come once each, in order; bad files fail with their
//! typed error; recorders overwrite, create directories, refuse unwritable paths, stop cleanly
//! on a full disk and finalize on drop; `play()` completes, blocking or awaited.

mod common;

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{read_wav, record_events, write_sine_wav, Probe};
use sipsimple_audio::bridge::AudioBridge;
use sipsimple_audio::device::NullDevice;
use sipsimple_audio::engine::{AudioEvent, AudioPort, EngineError, Mixer, PortId};
use sipsimple_audio::goertzel::tone_level;
use sipsimple_audio::wave::{WaveFileError, WavePlayer, WavePlayerOptions, WaveRecorder};

/// Frames skipped before measuring, so the resamplers' delays have passed.
const SETTLE: usize = 3;

/// The player events of one port, with the tick each came in.
fn player_events(
    events: &parking_lot::Mutex<Vec<(u64, AudioEvent)>>,
    port: PortId,
) -> Vec<(u64, AudioEvent)> {
    events
        .lock()
        .iter()
        .filter(|(_, e)| match e {
            AudioEvent::WavePlayerDidStart { port: p }
            | AudioEvent::WavePlayerDidEnd { port: p }
            | AudioEvent::WavePlayerDidFail { port: p, .. } => *p == port,
            _ => false,
        })
        .cloned()
        .collect()
}

/// Plays a 1 kHz sine at -10 dBFS from a file at `file_rate` into a recorder on a mixer at
/// `clock_rate` and returns the recording's level at 1 kHz.
fn recorded_level(dir: &Path, volume: u8, file_rate: u32, clock_rate: u32) -> f64 {
    let mixer = Mixer::new(clock_rate).expect("mixer");
    let name = format!("{volume}-{file_rate}-{clock_rate}");
    let source = dir.join(format!("sine{name}.wav"));
    write_sine_wav(&source, file_rate, 1, 1000.0, -10.0, file_rate as usize);
    let target = dir.join(format!("rec{name}.wav"));
    let options = WavePlayerOptions {
        volume,
        ..WavePlayerOptions::default()
    };
    let player = WavePlayer::new(&mixer, &source, options).expect("player");
    let recorder = WaveRecorder::new(&mixer, &target);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    bridge.add(&player).expect("add");
    bridge.add(&recorder).expect("add");
    recorder.start().expect("start recorder");
    player.start().expect("start player");
    for _ in 0..40 {
        mixer.tick();
    }
    recorder.stop().expect("stop");
    let (rate, samples) = read_wav(&target);
    let frame = mixer.frame_len();
    assert_eq!((rate, samples.len()), (clock_rate, 40 * frame));
    tone_level(&samples[SETTLE * frame..], rate, 1000.0)
}

#[test]
fn a_player_reaches_a_recorder_through_a_bridge_at_its_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = recorded_level(dir.path(), 100, 16000, 32000);
    assert!((full + 10.0).abs() < 1.0, "level {full} dBFS");
    let half = recorded_level(dir.path(), 50, 16000, 32000);
    assert!(
        (half - full + 6.02).abs() < 0.2,
        "volume 50: {half} vs {full} dBFS"
    );
}

#[test]
fn files_and_mixers_at_44_1_khz_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file_rate, clock_rate) in [(44100, 16000), (8000, 44100), (44100, 44100)] {
        let level = recorded_level(dir.path(), 100, file_rate, clock_rate);
        assert!(
            (level + 10.0).abs() < 1.0,
            "{file_rate} Hz file on a {clock_rate} Hz mixer: {level} dBFS"
        );
    }
}

#[test]
fn stereo_files_are_down_mixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mixer = Mixer::new(8000).expect("mixer");
    let source = dir.path().join("stereo.wav");
    write_sine_wav(&source, 8000, 2, 1000.0, -10.0, 8000);
    let player = WavePlayer::new(&mixer, &source, WavePlayerOptions::default()).expect("player");
    let probe = Probe::new(&mixer, 8000);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    bridge.add(&player).expect("add");
    bridge.add(&probe).expect("add");
    player.start().expect("start");
    for _ in 0..10 {
        mixer.tick();
    }
    let heard: Vec<i16> = probe.heard().into_iter().flat_map(|(_, f)| f).collect();
    assert!((tone_level(&heard, 8000, 1000.0) + 10.0).abs() < 0.5);
}

/// Runs a 10-frame file with the given options on an 8 kHz mixer for `ticks` ticks, and gives
/// the ticks in which a listener heard it and the player's events.
fn timing(options: WavePlayerOptions, ticks: usize) -> (Vec<u64>, Vec<(u64, AudioEvent)>, bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("ten.wav");
    write_sine_wav(&source, 8000, 1, 1000.0, -10.0, 1600);
    let mixer = Mixer::new(8000).expect("mixer");
    let events = record_events(&mixer);
    let player = WavePlayer::new(&mixer, &source, options).expect("player");
    let probe = Probe::new(&mixer, 8000);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    bridge.add(&player).expect("add");
    bridge.add(&probe).expect("add");
    player.start().expect("start");
    for _ in 0..ticks {
        mixer.tick();
    }
    let sounding = probe
        .heard()
        .into_iter()
        .filter(|(_, f)| f.iter().any(|&s| s != 0))
        .map(|(t, _)| t)
        .collect();
    let active = player.is_active();
    (sounding, player_events(&events, player.port_id()), active)
}

#[test]
fn loops_and_pauses_last_the_frames_they_should() {
    let options = WavePlayerOptions {
        loop_count: 2,
        pause_time: Duration::from_millis(100),
        ..WavePlayerOptions::default()
    };
    let (sounding, events, active) = timing(options, 40);
    let expected: Vec<u64> = (0..10).chain(15..25).collect();
    assert_eq!(sounding, expected);
    assert!(!active);
    let kinds: Vec<_> = events
        .iter()
        .map(|(t, e)| (*t, matches!(e, AudioEvent::WavePlayerDidStart { .. })))
        .collect();
    // Started in the first tick; ended in the tick after the last frame was heard.
    assert_eq!(kinds, [(0, true), (25, false)]);
    assert!(matches!(events[1].1, AudioEvent::WavePlayerDidEnd { .. }));
}

#[test]
fn without_initial_play_the_pause_comes_first() {
    let options = WavePlayerOptions {
        loop_count: 2,
        pause_time: Duration::from_millis(90), // Rounded up to 5 frames.
        initial_play: false,
        ..WavePlayerOptions::default()
    };
    let (sounding, events, _) = timing(options, 40);
    let expected: Vec<u64> = (5..15).chain(20..30).collect();
    assert_eq!(sounding, expected);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].0, 5, "DidStart comes with the first play");
    assert_eq!(events[1].0, 30);
}

#[test]
fn loop_count_zero_plays_until_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("ten.wav");
    write_sine_wav(&source, 8000, 1, 1000.0, -10.0, 1600);
    let mixer = Mixer::new(8000).expect("mixer");
    let events = record_events(&mixer);
    let options = WavePlayerOptions {
        loop_count: 0,
        ..WavePlayerOptions::default()
    };
    let player = WavePlayer::new(&mixer, &source, options).expect("player");
    player.start().expect("start");
    assert_eq!(player.start(), Err(EngineError::AlreadyActive));
    for _ in 0..55 {
        mixer.tick();
    }
    assert!(player.is_active());
    assert!(player.producer_slot().is_some());
    player.stop();
    assert!(!player.is_active());
    assert_eq!(player.producer_slot(), None);
    player.stop(); // Stopping again reports nothing more.
    let events = player_events(&events, player.port_id());
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].1, AudioEvent::WavePlayerDidStart { .. }));
    assert!(matches!(events[1].1, AudioEvent::WavePlayerDidEnd { .. }));

    // Reusable: a second start reports a second start.
    player.start().expect("restart");
    mixer.tick();
    assert!(player.is_active());
}

#[test]
fn volumes_above_100_are_refused() {
    let mixer = Mixer::new(8000).expect("mixer");
    let options = WavePlayerOptions {
        volume: 101,
        ..WavePlayerOptions::default()
    };
    assert_eq!(
        WavePlayer::new(&mixer, "x.wav", options).map(|_| ()),
        Err(EngineError::InvalidVolume(101))
    );
}

/// Starts a player of `path` on an 8 kHz mixer, ticks 30 times, and returns its events.
fn play_file(path: &Path) -> Vec<AudioEvent> {
    let mixer = Mixer::new(8000).expect("mixer");
    let events = record_events(&mixer);
    let player = WavePlayer::new(&mixer, path, WavePlayerOptions::default()).expect("player");
    player.start().expect("start");
    for _ in 0..30 {
        mixer.tick();
    }
    assert!(!player.is_active());
    assert_eq!(player.producer_slot(), None);
    player_events(&events, player.port_id())
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

fn failure(events: &[AudioEvent]) -> WaveFileError {
    match events.last() {
        Some(AudioEvent::WavePlayerDidFail { error, .. }) => error.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn bad_files_fail_with_their_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");

    let text = dir.path().join("text.wav");
    std::fs::write(&text, "this is not a RIFF file at all").expect("write");
    let events = play_file(&text);
    assert_eq!(events.len(), 1, "only DidFail: {events:?}");
    assert!(matches!(failure(&events), WaveFileError::NotWav { .. }));

    let wide = dir.path().join("24bit.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&wide, spec).expect("create");
    for i in 0..800 {
        writer.write_sample(i * 100).expect("write");
    }
    writer.finalize().expect("finalize");
    let events = play_file(&wide);
    assert_eq!(events.len(), 1);
    assert!(matches!(
        failure(&events),
        WaveFileError::UnsupportedFormat {
            bits_per_sample: 24,
            ..
        }
    ));

    let odd_rate = dir.path().join("11025.wav");
    write_sine_wav(&odd_rate, 11025, 1, 440.0, -10.0, 2000);
    let events = play_file(&odd_rate);
    assert!(matches!(
        failure(&events),
        WaveFileError::UnsupportedFormat {
            sample_rate: 11025,
            ..
        }
    ));

    let missing = dir.path().join("missing.wav");
    let events = play_file(&missing);
    assert!(matches!(
        failure(&events),
        WaveFileError::Io {
            kind: std::io::ErrorKind::NotFound,
            ..
        }
    ));
}

#[test]
fn a_truncated_file_plays_what_it_has_then_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cut.wav");
    write_sine_wav(&path, 8000, 1, 1000.0, -10.0, 8000);
    // Keep the 44-byte header (announcing 1 s) and 5 frames of the data.
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..44 + 5 * 320]).expect("cut");
    let events = play_file(&path);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[0], AudioEvent::WavePlayerDidStart { .. }));
    assert_eq!(
        failure(&events),
        WaveFileError::Truncated { path: path.clone() }
    );
}

#[test]
fn play_completes_blocking_and_awaited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("short.wav");
    write_sine_wav(&source, 8000, 1, 1000.0, -10.0, 800); // 100 ms.
    let mixer = Mixer::new(8000).expect("mixer");
    let _device = NullDevice::start(&mixer).expect("device");
    let player = WavePlayer::new(&mixer, &source, WavePlayerOptions::default()).expect("player");

    let done = player.play().expect("play");
    assert_eq!(done.wait_timeout(Duration::from_secs(10)), Some(Ok(())));
    assert!(done.is_done() && !player.is_active());

    let done = player.play().expect("play again");
    assert_eq!(block_on(done), Ok(()));

    // A stop ends the play as well; a file that cannot be played completes with its error.
    let looping = WavePlayer::new(
        &mixer,
        &source,
        WavePlayerOptions {
            loop_count: 0,
            ..WavePlayerOptions::default()
        },
    )
    .expect("player");
    let done = looping.play().expect("play");
    assert_eq!(done.wait_timeout(Duration::from_millis(100)), None);
    looping.stop();
    assert_eq!(done.wait(), Ok(()));
    let missing =
        WavePlayer::new(&mixer, dir.path().join("none.wav"), Default::default()).expect("player");
    assert!(matches!(
        missing.play().expect("play").wait(),
        Err(WaveFileError::Io { .. })
    ));
}

/// Polls a future on this thread until it is ready, parking between wake-ups.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(Duration::from_secs(1));
    }
}

/// Ticks `frames` frames of a 1 kHz tone into `recorder`, through a bridge.
fn record_tone(mixer: &Mixer, recorder: &Arc<WaveRecorder>, frames: usize) {
    let probe = Probe::new(mixer, mixer.clock_rate());
    let bridge = AudioBridge::new(mixer).expect("bridge");
    bridge.add(&probe).expect("add");
    bridge.add(recorder).expect("add");
    let n = mixer.frame_len();
    probe.feed((0..frames).map(|_| vec![1000; n]));
    for _ in 0..frames {
        mixer.tick();
    }
}

#[test]
fn a_restarted_recorder_overwrites_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rec.wav");
    let mixer = Mixer::new(16000).expect("mixer");
    let recorder = WaveRecorder::new(&mixer, &path);
    assert!(!recorder.is_active());
    recorder.start().expect("start");
    assert!(recorder.is_active());
    assert_eq!(recorder.start(), Err(EngineError::AlreadyActive));
    record_tone(&mixer, &recorder, 20);
    recorder.stop().expect("stop");
    assert_eq!(read_wav(&path).1.len(), 20 * 320);
    recorder.start().expect("restart");
    record_tone(&mixer, &recorder, 5);
    recorder.stop().expect("stop");
    let (rate, samples) = read_wav(&path);
    assert_eq!((rate, samples.len()), (16000, 5 * 320));
    assert!(samples.iter().all(|&s| s == 1000));
    assert_eq!(recorder.filename(), path);
}

#[test]
fn a_recorder_creates_missing_directories_and_finalizes_on_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a/b/c/rec.wav");
    let mixer = Mixer::new(8000).expect("mixer");
    let recorder = WaveRecorder::new(&mixer, &path);
    recorder.start().expect("start");
    record_tone(&mixer, &recorder, 7);
    drop(recorder);
    assert_eq!(read_wav(&path).1.len(), 7 * 160);
}

#[test]
fn a_recorder_hears_nothing_outside_a_bridge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("alone.wav");
    let mixer = Mixer::new(8000).expect("mixer");
    let recorder = WaveRecorder::new(&mixer, &path);
    recorder.start().expect("start");
    for _ in 0..5 {
        mixer.tick();
    }
    recorder.stop().expect("stop");
    assert!(read_wav(&path).1.is_empty());
}

#[test]
fn an_unwritable_path_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain");
    std::fs::write(&file, "a file, not a directory").expect("write");
    let mixer = Mixer::new(8000).expect("mixer");
    let recorder = WaveRecorder::new(&mixer, file.join("sub/rec.wav"));
    assert!(matches!(
        recorder.start(),
        Err(EngineError::File(WaveFileError::Io { .. }))
    ));
    assert!(!recorder.is_active());
    assert_eq!(recorder.consumer_slot(), None);
    assert_eq!(recorder.stop(), Ok(()));
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_the_recorder_with_an_event() {
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    let mixer = Mixer::new(48000).expect("mixer");
    let events = record_events(&mixer);
    let recorder = WaveRecorder::new(&mixer, "/dev/full");
    recorder.start().expect("start");
    let slot = recorder.consumer_slot().expect("slot");
    record_tone(&mixer, &recorder, 60);
    assert!(!recorder.is_active());
    assert_eq!(recorder.consumer_slot(), None);
    let failures: Vec<_> = events
        .lock()
        .iter()
        .filter_map(|(_, e)| match e {
            AudioEvent::WaveRecorderDidFail { port, error } => Some((*port, error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, recorder.port_id());
    assert!(matches!(
        failures[0].1,
        WaveFileError::Io {
            kind: std::io::ErrorKind::StorageFull,
            ..
        }
    ));
    assert!(mixer.slot_rate(slot).is_err(), "its slot is gone");
    assert_eq!(recorder.stop(), Ok(()));
}

mod damaged_files {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Damaged headers and data never panic: the player plays or fails with an error.
        #[test]
        fn damaged_files_play_or_fail_without_panicking(
            edits in prop::collection::vec((0usize..80, any::<u8>()), 1..8),
            cut in 0usize..400,
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("damaged.wav");
            write_sine_wav(&path, 8000, 1, 1000.0, -10.0, 160);
            let mut bytes = std::fs::read(&path).expect("read");
            for (at, value) in edits {
                if at < bytes.len() {
                    bytes[at] = value;
                }
            }
            bytes.truncate(bytes.len().saturating_sub(cut));
            std::fs::write(&path, &bytes).expect("write");
            let events = play_file(&path);
            let ended = events.iter().filter(|e| matches!(
                e,
                AudioEvent::WavePlayerDidEnd { .. } | AudioEvent::WavePlayerDidFail { .. }
            )).count();
            prop_assert_eq!(ended, 1, "{:?}", events);
        }
    }
}

#[test]
fn written_tones_read_back_at_their_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    sipsimple_audio::wave::write_tone(&path, 1000.0, -12.0, 16_000, Duration::from_millis(500))
        .unwrap();
    let (samples, rate) = sipsimple_audio::wave::read_mono(&path).unwrap();
    assert_eq!((samples.len(), rate), (8000, 16_000));
    let level = sipsimple_audio::goertzel::tone_level(&samples, rate, 1000.0);
    assert!((level + 12.0).abs() < 0.5, "{level}");
    let text = dir.path().join("text.wav");
    std::fs::write(&text, b"not a wav").unwrap();
    assert!(matches!(
        sipsimple_audio::wave::read_mono(&text),
        Err(sipsimple_audio::wave::WaveFileError::NotWav { .. })
    ));
}
