//! `sipsimple call` as a user runs it: a real process calling an application in the test,
//! and answering one.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::session::{AudioStreamFactory, MediaStream, SignalingStream};
use sipsimple::{Session, SipApplication, StartOptions};
use sipsimple_audio::goertzel::tone_level;

mod support;

use support::write_sine;

const WAIT: Duration = Duration::from_secs(15);
/// The audio engine's rate in the CLI's configurations.
const RATE: u32 = support::AUDIO_RATE;

/// An application in the test with account `user`, not registering.
fn app(user: &str) -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": ["udp"]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    // Offers become real audio streams (on the null device), as the CLI's do.
    app.media_stream_registry()
        .register(Arc::new(AudioStreamFactory::new(&app)));
    let mut settings = AccountSettings::new(AccountId::new(format!("{user}@example.com")).unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    app.account_manager().add_account(settings).unwrap();
    (app, events)
}

/// A configuration directory for the CLI: UDP on `port` (0: any), account `user` sending
/// everything to `proxy`.
fn config(dir: &Path, port: u16, user: &str, proxy: &str) {
    let document = serde_json::json!({
        "SIPSimpleSettings": {
            "sip": {"transport_list": ["udp"], "udp_port": port},
            "audio": {"sample_rate": RATE},
        },
        "Accounts": {
            format!("{user}@example.com"): {
                "enabled": true,
                "sip": {"register": false, "outbound_proxy": proxy},
            }
        }
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&document).unwrap(),
    )
    .unwrap();
}

fn cli(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sipsimple"))
        .arg("--config-dir")
        .arg(dir)
        .args(["--bind", "127.0.0.1"])
        .args(args)
        // No test depends on a sound card.
        .args(
            if args.first() == Some(&"call")
                && !args.iter().any(|a| {
                    a.starts_with("--play")
                        || a.starts_with("--null-audio")
                        || a.starts_with("--device")
                })
            {
                &["--null-audio"][..]
            } else {
                &[]
            },
        )
        // Kept open: closing standard input hangs up.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the process to end (killing it after `WAIT`); its status, stdout and stderr.
fn finish(mut child: Child) -> (Option<i32>, String, String) {
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, out, err)
}

fn audio() -> Vec<Arc<dyn MediaStream>> {
    vec![Arc::new(SignalingStream::audio(40_000))]
}

#[test]
fn the_cli_calls_and_hangs_up_after_the_duration() {
    let (bob, events) = app("bob");
    let bob_addr = bob.local_address(TransportKind::Udp).unwrap();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), 0, "alice", &format!("sip:{bob_addr}"));
    let child = cli(dir.path(), &["call", "bob@example.com", "--duration", "1"]);
    let incoming = events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let session = bob
        .session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap();
    session.accept(audio()).unwrap();
    events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    let ended = events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(ended.get_str("originator"), Some("remote"));
    let (status, out, err) = finish(child);
    assert_eq!(status, Some(0), "{out}{err}");
    assert!(
        out.contains("SIPSessionDidStart streams [\"audio\"]"),
        "{out}"
    );
    assert!(out.contains("SIPSessionDidEnd by local"), "{out}");
    bob.stop_and_wait();
}

#[test]
fn a_refused_call_exits_1_with_the_reason() {
    let (bob, events) = app("bob");
    let bob_addr = bob.local_address(TransportKind::Udp).unwrap();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), 0, "alice", &format!("sip:{bob_addr}"));
    let child = cli(dir.path(), &["call", "bob@example.com"]);
    let incoming = events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    bob.session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap()
        .reject(486, None)
        .unwrap();
    let (status, out, err) = finish(child);
    assert_eq!(status, Some(1), "{out}{err}");
    assert!(err.contains("the call failed: 486 Busy Here"), "{err}");
    bob.stop_and_wait();
}

#[test]
fn the_cli_answers_a_call_and_hangs_up_after_the_duration() {
    let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), port, "bob", "sip:127.0.0.1:9");
    let mut child = cli(dir.path(), &["call", "--auto-answer", "--duration", "1"]);
    let (alice, events) = app("alice");
    let account = alice
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let mut settings = account.settings().unwrap();
    settings.sip.outbound_proxy = Some(format!("sip:127.0.0.1:{port}"));
    account.save(&settings).unwrap();
    // The CLI needs a moment to start listening; call until it answers.
    let deadline = Instant::now() + WAIT;
    let started = loop {
        let session = Session::new(&account);
        session.connect("sip:bob@example.com", audio()).unwrap();
        let outcome = loop {
            let n = events.recv_timeout(WAIT).unwrap();
            if n.sender == session.sender_id()
                && matches!(&*n.name, "SIPSessionDidStart" | "SIPSessionDidFail")
            {
                break n;
            }
        };
        if &*outcome.name == "SIPSessionDidStart" {
            break true;
        }
        assert!(Instant::now() < deadline, "the CLI never answered");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(started);
    let ended = events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(ended.get_str("originator"), Some("remote"));
    drop(child.stdin.take());
    let (status, out, err) = finish(child);
    assert_eq!(status, Some(0), "{out}{err}");
    assert!(out.contains("SIPSessionNewIncoming"), "{out}");
    assert!(out.contains("SIPSessionDidEnd by local"), "{out}");
    assert!(
        out.contains("SIPSessionDidProcessTransaction INVITE 200 OK (remote)"),
        "{out}"
    );
    assert!(
        out.contains("SIPSessionDidProcessTransaction BYE 200 OK (local)"),
        "{out}"
    );
    alice.stop_and_wait();
}

#[test]
fn typed_commands_hold_unhold_and_hang_up() {
    use std::io::Write;
    let (bob, events) = app("bob");
    let bob_addr = bob.local_address(TransportKind::Udp).unwrap();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), 0, "alice", &format!("sip:{bob_addr}"));
    let dtmf = bob
        .notification_center()
        .observe(Some("AudioStreamGotDTMF"), None);
    let mut child = cli(dir.path(), &["call", "bob@example.com"]);
    let incoming = events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let session = bob
        .session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap();
    session.accept(session.proposed_streams()).unwrap();
    events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for (command, held) in [("hold", true), ("unhold", false)] {
        writeln!(stdin, "{command}").unwrap();
        let change = events
            .wait_for("SIPSessionDidChangeHoldState", WAIT)
            .unwrap();
        assert_eq!(change.get_str("originator"), Some("remote"));
        assert_eq!(change.get("on_hold"), Some(&serde_json::json!(held)));
    }
    writeln!(stdin, "dtmf 5").unwrap();
    writeln!(stdin, "dtmf X").unwrap();
    let got = dtmf.wait_for("AudioStreamGotDTMF", WAIT).unwrap();
    assert_eq!(got.get_str("digit"), Some("5"));
    writeln!(stdin, "hangup").unwrap();
    let ended = events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(ended.get_str("originator"), Some("remote"));
    drop(stdin);
    let (status, out, err) = finish(child);
    assert_eq!(status, Some(0), "{out}{err}");
    assert!(!err.contains("cannot send DTMF"), "{err}");
    assert!(err.contains("unknown command \"dtmf X\""), "{err}");
    assert!(
        out.contains("SIPSessionDidChangeHoldState on hold by local"),
        "{out}"
    );
    assert!(
        out.contains("SIPSessionDidChangeHoldState off hold by local"),
        "{out}"
    );
    bob.stop_and_wait();
}

#[test]
fn typed_transfer_moves_the_peer_to_another_party() {
    use std::io::Write;
    let (bob, bob_events) = app("bob");
    bob.media_stream_registry().register(Arc::new(
        sipsimple::session::SignalingStreamFactory::new(46_000),
    ));
    let (carol, carol_events) = app("carol");
    let bob_addr = bob.local_address(TransportKind::Udp).unwrap();
    let carol_addr = carol.local_address(TransportKind::Udp).unwrap();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), 0, "alice", &format!("sip:{bob_addr}"));
    let mut child = cli(dir.path(), &["call", "bob@example.com"]);
    let incoming = bob_events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let session = bob
        .session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap();
    session.accept(audio()).unwrap();
    bob_events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "transfer sip:carol@{carol_addr}").unwrap();
    bob_events
        .wait_for("SIPSessionTransferNewIncoming", WAIT)
        .unwrap();
    session.accept_transfer().unwrap();
    let call = carol_events
        .wait_for("SIPSessionNewIncoming", WAIT)
        .unwrap();
    let to_carol = carol
        .session_manager()
        .get(call.get_u64("session").unwrap())
        .unwrap();
    to_carol.accept(audio()).unwrap();
    // The CLI's call ends once the transfer succeeded; Bob and Carol go on.
    let ended = bob_events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(ended.sender, session.sender_id());
    assert_eq!(ended.get_str("originator"), Some("remote"));
    drop(stdin);
    let (status, out, err) = finish(child);
    assert_eq!(status, Some(0), "{out}{err}");
    assert!(
        out.contains(&format!(
            "SIPSessionTransferNewOutgoing to sip:carol@{carol_addr} from sip:alice@example.com"
        )),
        "{out}"
    );
    assert!(out.contains("SIPSessionTransferDidEnd"), "{out}");
    assert_eq!(
        to_carol.state(),
        sipsimple::session::SessionState::Connected
    );
    to_carol.end().unwrap();
    bob.stop_and_wait();
    carol.stop_and_wait();
}

/// A free UDP port on loopback, and a wait until a process has bound it.
fn free_port() -> u16 {
    let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    free.local_addr().unwrap().port()
}

fn wait_until_bound(port: u16) {
    let deadline = Instant::now() + WAIT;
    while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Two real `sipsimple call` processes: the caller records, the callee answers and plays a
/// 1 kHz tone in place of its microphone. The caller's recording holds the tone that
/// crossed RTP (its own microphone is silent), the digits typed on the caller's standard
/// input are printed by the callee once each, both print their media and counters, and
/// both exit 0.
#[test]
fn two_clis_carry_a_tone_and_dtmf() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (callee_dir, caller_dir) = (dir.path().join("bob"), dir.path().join("alice"));
    std::fs::create_dir(&callee_dir).unwrap();
    std::fs::create_dir(&caller_dir).unwrap();
    let port = free_port();
    config(&callee_dir, port, "bob", "sip:127.0.0.1:9");
    config(&caller_dir, 0, "alice", &format!("sip:127.0.0.1:{port}"));
    let tone = dir.path().join("tone.wav");
    write_sine(&tone, 1_000.0);
    let recording = dir.path().join("A.wav");
    let answered_recording = dir.path().join("B.wav");

    let tone_arg = tone.to_str().unwrap();
    let callee = cli(
        &callee_dir,
        &[
            "call",
            "--auto-answer",
            "--null-audio",
            "--play",
            tone_arg,
            "--record",
            answered_recording.to_str().unwrap(),
        ],
    );
    wait_until_bound(port);
    let mut caller = cli(
        &caller_dir,
        &[
            "call",
            "bob@example.com",
            "--null-audio",
            "--record",
            recording.to_str().unwrap(),
            "--duration",
            "3",
        ],
    );
    // Typed before the answer: sent once the call is up.
    let mut stdin = caller.stdin.take().unwrap();
    writeln!(stdin, "dtmf 12").unwrap();
    let (status, out, err) = finish(caller);
    drop(stdin);
    assert_eq!(status, Some(0), "{out}{err}");
    let mut callee = callee;
    drop(callee.stdin.take());
    let (callee_status, callee_out, callee_err) = finish(callee);
    assert_eq!(callee_status, Some(0), "{callee_out}{callee_err}");

    assert!(
        out.contains("audio: G722 at 16000 Hz, SRTP off, ICE off, RTP 127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains(&format!("recorded {}", recording.display())),
        "{out}"
    );
    let counters = out
        .lines()
        .find_map(|l| l.strip_prefix("RTP statistics: "))
        .unwrap_or_else(|| panic!("no counters: {out}"));
    let numbers: Vec<u64> = counters
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    // 3 s of 20 ms packets each way, give or take the start.
    assert!(
        numbers.len() == 3 && numbers[0] > 100 && numbers[1] > 100,
        "{counters}"
    );
    // The answered call's stream is described and recorded as well.
    assert!(
        callee_out.contains("audio: G722 at 16000 Hz"),
        "{callee_out}"
    );
    assert!(
        callee_out.contains(&format!("recorded {}", answered_recording.display())),
        "{callee_out}"
    );
    assert!(answered_recording.exists());
    for digit in ["1", "2"] {
        let line = format!("AudioStreamGotDTMF {digit}");
        assert_eq!(
            callee_out.lines().filter(|l| *l == line).count(),
            1,
            "{callee_out}"
        );
    }

    let mut reader = hound::WavReader::open(&recording).unwrap();
    assert_eq!(reader.spec().sample_rate, RATE);
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    assert!(
        samples.len() > RATE as usize * 2,
        "{} samples",
        samples.len()
    );
    // Past the first half second, the tone is there at near the level sent (10,000 of
    // 32,767 is -10.3 dBFS), well above a tone that was not sent.
    let heard = &samples[RATE as usize / 2..];
    let (tone_db, other_db) = (
        tone_level(heard, RATE, 1_000.0),
        tone_level(heard, RATE, 440.0),
    );
    assert!(tone_db > -16.0, "1 kHz at {tone_db:.1} dBFS");
    assert!(other_db < tone_db - 25.0, "440 Hz at {other_db:.1} dBFS");
}

#[test]
fn audio_options_that_contradict_each_other_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &[
            "call",
            "--auto-answer",
            "--play",
            "x.wav",
            "--device",
            "card",
        ][..],
        &["call", "--auto-answer", "--null-audio", "--device", "card"][..],
    ] {
        let (status, out, err) = finish(cli(dir.path(), args));
        assert_eq!(status, Some(2), "{args:?}: {out}{err}");
        assert!(err.contains("cannot be used with"), "{err}");
    }
}

#[test]
fn a_missing_file_to_play_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), 0, "alice", "sip:127.0.0.1:9");
    let missing = dir.path().join("missing.wav");
    let (status, out, err) = finish(cli(
        dir.path(),
        &["call", "--auto-answer", "--play", missing.to_str().unwrap()],
    ));
    assert_eq!(status, Some(2), "{out}{err}");
    assert!(err.contains("missing.wav"), "{err}");
}

#[cfg(not(feature = "cpal"))]
#[test]
fn listing_devices_without_sound_card_support_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (status, out, err) = finish(cli(dir.path(), &["audio", "devices"]));
    assert_eq!(status, Some(2), "{out}{err}");
    assert!(err.contains("no sound card support"), "{err}");
}
