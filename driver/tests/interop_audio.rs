//! Audio calls with real user agents through kamailio, heard through WAV-file devices: our
//! microphone is a 440 Hz sine, our speaker a WAV file read back after the call; pjsua2
//! (`interop/pjsua2/ua.py`) and baresip (`interop/baresip/`) send a 1000 Hz sine and record
//! what they receive. Each side must hear the other's tone and not its own, with SDES-SRTP,
//! and RFC 4733 digits must cross each way exactly once.
//!
//! Ignored by default: kamailio must run and the peers be installed (`interop/install.sh
//! peers`); `.ci/run` does both, then runs
//! `cargo test -p sipsimple --test interop_audio -- --ignored --test-threads=1`.
//! The levels measured are printed (`--nocapture` shows them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipsimple::audio::AudioBackend;
use sipsimple::configuration::{AccountId, AccountSettings, SrtpEncryption};
use sipsimple::notification::{Notification, Observer, SenderId};
use sipsimple::session::{downcast_stream, AudioStream, AudioStreamFactory, MediaStream};
use sipsimple::{Session, SipApplication, StartOptions};
use sipsimple_audio::goertzel::tone_level;

mod support;

use support::{read_wav, write_sine};

const WAIT: Duration = Duration::from_secs(20);
/// The engine's rate (`audio.sample_rate`), also the rate of our microphone and speaker files.
const RATE: u32 = support::AUDIO_RATE;
const OUR_HZ: f64 = 440.0;
/// Where our speaker is measured, after the call started: past the peers' digits (sent at
/// once or a second in; a peer sends no audio while it sends a digit) and before ours.
const TALK: (Duration, Duration) = (Duration::from_millis(2000), Duration::from_millis(3200));
const THEIR_HZ: f64 = 1_000.0;
/// Ports of the peers started here, clear of `interop_calls`, `peers-check.sh` and
/// `audio/selftest.sh` (and of 15062/15070/15080, which the test zone needs dead).
const PJSUA_SIP_PORT: &str = "15160";
const PJSUA_RTP_PORT: &str = "17400";
const BARESIP_SIP_PORT: &str = "15150";
const BARESIP_CTRL_PORT: &str = "15448";
const BARESIP_RTP_PORTS: &str = "16200-16299";
const BARESIP: &str = "audio-rs";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn domain() -> String {
    env_or("INTEROP_DOMAIN", "sipsimple.test")
}

fn kamailio() -> String {
    format!("sip:127.0.0.1:{}", env_or("INTEROP_SIP_PORT", "15060"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Our side: an application whose microphone is a 440 Hz WAV and whose speaker a WAV file,
/// with `user` registered at kamailio over UDP, SDES-SRTP mandatory, only `codecs`.
struct Us {
    app: SipApplication,
    events: Observer,
    /// When the speaker file started, near enough.
    started: Instant,
    heard: PathBuf,
}

impl Us {
    fn start(dir: &Path, user: &str, codecs: &[&str]) -> Self {
        let mic = dir.join(format!("{user}-mic.wav"));
        let heard = dir.join(format!("{user}-heard.wav"));
        write_sine(&mic, OUR_HZ);
        let app = SipApplication::new();
        let events = app.notification_center().observe(None, None);
        let storage = support::settings_storage(serde_json::json!({
            "sip": {"transport_list": ["udp"]},
            "audio": {"sample_rate": RATE},
        }));
        let mut options = StartOptions::loopback();
        options.audio = AudioBackend::WavFiles {
            input: Some(mic),
            output: Some(heard.clone()),
        };
        let started = Instant::now();
        app.start_with(storage, options).unwrap();
        app.media_stream_registry()
            .register(Arc::new(AudioStreamFactory::new(&app)));
        let id = AccountId::new(format!("{user}@{}", domain())).unwrap();
        let mut settings = AccountSettings::new(id);
        settings.enabled = true;
        settings.auth.password = env_or("INTEROP_PASSWORD", "secret").as_str().into();
        settings.sip.outbound_proxy = Some(kamailio());
        settings.rtp.audio_codec_list = Some(codecs.iter().map(|c| (*c).to_owned()).collect());
        settings.rtp.srtp_encryption = SrtpEncryption::Mandatory;
        settings.rtp.use_srtp_without_tls = true;
        app.account_manager().add_account(settings).unwrap();
        events
            .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
            .unwrap();
        Self {
            app,
            events,
            started,
            heard,
        }
    }

    fn account(&self, user: &str) -> sipsimple::Account {
        self.app
            .account_manager()
            .get_account(&format!("{user}@{}", domain()))
            .unwrap()
    }

    /// Time since the speaker file started.
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stops the application (which closes the speaker file) and returns what it heard
    /// from `from` to `to` after the device started.
    fn stop_and_hear(self, from: Duration, to: Duration) -> Vec<i16> {
        self.app.stop_and_wait();
        let samples = read_wav(&self.heard);
        let at = |d: Duration| ((d.as_secs_f64() * f64::from(RATE)) as usize).min(samples.len());
        samples[at(from)..at(to)].to_vec()
    }
}

/// The level of `hz` in `samples`, in dBFS of a full-scale sine: the mean power over 0.1 s
/// blocks, as `interop/audio/tone.py` measures. A peer's clock is not ours, so the jitter
/// buffer drops or repeats a frame now and then; that breaks one long filter's phase but
/// costs one block only.
fn level(samples: &[i16], hz: f64) -> f64 {
    let block = RATE as usize / 10;
    let powers: Vec<f64> = samples
        .chunks_exact(block)
        .map(|b| 10f64.powf(tone_level(b, RATE, hz) / 10.0))
        .collect();
    10.0 * (powers.iter().sum::<f64>() / powers.len().max(1) as f64).log10()
}

/// Our speaker holds the peer's 1000 Hz above -20 dBFS and our own 440 Hz at least 20 dB
/// below it.
fn assert_we_hear(samples: &[i16], what: &str) {
    assert!(
        samples.len() >= RATE as usize,
        "{what}: only {} samples heard in the window",
        samples.len()
    );
    let (theirs, ours) = (level(samples, THEIR_HZ), level(samples, OUR_HZ));
    println!(
        "{what}: we heard {THEIR_HZ} Hz at {theirs:.1} dBFS, our {OUR_HZ} Hz at {ours:.1} dBFS"
    );
    assert!(
        theirs > -20.0,
        "{what}: the peer's {THEIR_HZ} Hz at {theirs:.1} dBFS"
    );
    assert!(
        ours < theirs - 20.0,
        "{what}: our own {OUR_HZ} Hz at {ours:.1} dBFS beside {theirs:.1}"
    );
}

/// The peer's recording `file` holds our 440 Hz and not its own 1000 Hz, as
/// `interop/audio/tone.py` measures it (0.1 s blocks, the first second skipped).
fn assert_peer_heard(file: &Path, what: &str) {
    let out = Command::new("python3")
        .arg(repo().join("interop/audio/tone.py"))
        .arg(file)
        .args(["--expect", "440", "--absent", "1000", "--min-dbfs", "-20"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{what}: the peer's recording\n{text}");
    assert!(
        out.status.success(),
        "{what}: tone.py on {}:\n{text}",
        file.display()
    );
}

/// pjsua2's `ua.py` registered as `user` on the ports of these tests, with `args`.
fn pjsua(user: &str, args: &[&str]) -> Child {
    Command::new(repo().join("interop/.venv/bin/python"))
        .arg(repo().join("interop/pjsua2/ua.py"))
        .args(["-u", user, "--register", "--duration", "30"])
        .args(["--port", PJSUA_SIP_PORT, "--rtp-port", PJSUA_RTP_PORT])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("interop/.venv with pjsua2 (interop/install.sh peers)")
}

/// Whether this build of pjsua2 has `codec`: ua.py refuses a codec it does not have before
/// doing anything else.
fn pjsua_has(codec: &str) -> bool {
    let out = Command::new(repo().join("interop/.venv/bin/python"))
        .arg(repo().join("interop/pjsua2/ua.py"))
        .args(["-u", "probe", "--duration", "0", "--codec", codec])
        .args(["--port", PJSUA_SIP_PORT, "--rtp-port", PJSUA_RTP_PORT])
        .stderr(Stdio::null())
        .output()
        .expect("interop/.venv with pjsua2 (interop/install.sh peers)");
    !String::from_utf8_lossy(&out.stdout).contains("no codec")
}

/// Waits for a child to exit (40 s at most): whether it succeeded, and its stdout.
fn finish(mut child: Child) -> (bool, String) {
    let deadline = Instant::now() + Duration::from_secs(40);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "the peer did not finish:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The next notification `name` from `sender`; a failed session fails the test.
fn wait(events: &Observer, sender: SenderId, name: &str) -> Notification {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = events
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {name} from {sender}"));
        if n.sender == sender {
            if &*n.name == "SIPSessionDidFail" && name != "SIPSessionDidFail" {
                panic!("the session failed: {n}");
            }
            if &*n.name == name {
                return n;
            }
        }
    }
}

/// Calls `user` with a new audio stream until it answers (pjsua2 registers at its own
/// pace).
fn call_until_answered(
    us: &Us,
    account: &sipsimple::Account,
    user: &str,
) -> (Session, Arc<AudioStream>) {
    let deadline = Instant::now() + WAIT;
    loop {
        let stream = AudioStream::new(&us.app).unwrap();
        let session = Session::new(account);
        session
            .connect(
                &format!("sip:{user}@{}", domain()),
                vec![stream.clone() as Arc<dyn MediaStream>],
            )
            .unwrap();
        let outcome = loop {
            let n = us.events.recv_timeout(WAIT).unwrap();
            if n.sender == session.sender_id()
                && matches!(&*n.name, "SIPSessionDidStart" | "SIPSessionDidFail")
            {
                break n;
            }
        };
        if &*outcome.name == "SIPSessionDidStart" {
            return (session, stream);
        }
        assert!(
            Instant::now() < deadline,
            "{user} never answered: {outcome}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The digits `dtmf` reports within `within`, in order.
fn digits(dtmf: &Observer, within: Duration) -> String {
    let deadline = Instant::now() + within;
    let mut got = String::new();
    while let Ok(n) = dtmf.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        got.push_str(n.get_str("digit").unwrap_or("?"));
    }
    got
}

/// Sends `keys` on `stream`, one after the other.
fn send_digits(stream: &AudioStream, keys: &str) {
    for key in keys.chars() {
        stream.send_dtmf(key).unwrap();
    }
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn we_call_pjsua2_with_srtp_pcmu_tones_and_dtmf() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("pjsua2-heard.wav");
    let ua = pjsua(
        "dave",
        &[
            "--answer",
            "--calls",
            "1",
            "--tone",
            "1000",
            "--record",
            recording.to_str().unwrap(),
            "--srtp",
            "mandatory",
            "--codec",
            "PCMU",
            "--dtmf",
            "47",
            "--expect-dtmf",
            "1#",
        ],
    );
    let us = Us::start(dir.path(), "alice", &["PCMU"]);
    let dtmf = us
        .app
        .notification_center()
        .observe(Some("AudioStreamGotDTMF"), None);
    let account = us.account("alice");
    let (session, stream) = call_until_answered(&us, &account, "dave");
    let talk = us.now();
    std::thread::sleep(TALK.1 + Duration::from_millis(100));
    assert!(stream.srtp_active(), "SRTP is on");
    assert_eq!(stream.codec(), Some("PCMU"));
    send_digits(&stream, "1#");
    // pjsua2 sent 4 and 7 once its media was up; each must have come exactly once.
    let got = digits(&dtmf, Duration::from_millis(1500));
    println!("we got DTMF {got:?} from pjsua2");
    assert_eq!(got, "47", "the digits pjsua2 sent, each once");
    session.end().unwrap();
    let ended = wait(&us.events, session.sender_id(), "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("local"));
    let (ok, out) = finish(ua);
    println!("ua.py:\n{out}");
    assert!(ok && out.contains("END ok"), "{out}");
    assert!(out.contains("MEDIA active srtp=yes codec=PCMU"), "{out}");
    assert!(
        out.contains("DTMF digit=1") && out.contains("DTMF digit=#"),
        "{out}"
    );
    let heard = us.stop_and_hear(talk + TALK.0, talk + TALK.1);
    assert_we_hear(&heard, "we call pjsua2, PCMU, SRTP");
    assert_peer_heard(&recording, "we call pjsua2, PCMU, SRTP");
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn pjsua2_calls_us_with_srtp_tones_and_dtmf() {
    let codec = if pjsua_has("G722") { "G722" } else { "PCMA" };
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("pjsua2-heard.wav");
    let us = Us::start(dir.path(), "bob", &[codec]);
    let dtmf = us
        .app
        .notification_center()
        .observe(Some("AudioStreamGotDTMF"), None);
    let ua = pjsua(
        "dave",
        &[
            "--call",
            &format!("sip:bob@{}", domain()),
            "--hangup-after",
            "6",
            "--tone",
            "1000",
            "--record",
            recording.to_str().unwrap(),
            "--srtp",
            "mandatory",
            "--codec",
            codec,
            "--dtmf",
            "47",
            "--expect-dtmf",
            "1#",
        ],
    );
    let incoming = us.events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let session = us
        .app
        .session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap();
    let proposed = session.proposed_streams();
    assert_eq!(proposed.len(), 1, "one audio stream is proposed");
    assert_eq!(proposed[0].stream_type(), "audio");
    let stream: Arc<AudioStream> = downcast_stream(&proposed[0]).expect("an AudioStream");
    session.accept(proposed).unwrap();
    wait(&us.events, session.sender_id(), "SIPSessionDidStart");
    assert!(stream.srtp_active(), "SRTP on our side");
    assert_eq!(stream.codec(), Some(codec));
    let talk = us.now();
    std::thread::sleep(TALK.1 + Duration::from_millis(100));
    for key in "1#".chars() {
        stream.send_dtmf(key).unwrap();
    }
    let got = digits(&dtmf, Duration::from_millis(1500));
    println!("we got DTMF {got:?} from pjsua2");
    assert_eq!(got, "47", "the digits pjsua2 sent, each once");
    let ended = wait(&us.events, session.sender_id(), "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("remote"));
    let (ok, out) = finish(ua);
    println!("ua.py:\n{out}");
    assert!(ok && out.contains("END ok"), "{out}");
    assert!(
        out.contains(&format!("MEDIA active srtp=yes codec={codec}")),
        "{out}"
    );
    // With G.722 pjsua2's tone reaches us about 6 dB low and ours reaches it 6 dB high:
    // pjmedia's PCM shift, not our codec (interop/README.md, "Audio calls").
    let what = format!("pjsua2 calls us, {codec}, SRTP");
    let heard = us.stop_and_hear(talk + TALK.0, talk + TALK.1);
    assert_peer_heard(&recording, &what);
    assert_we_hear(&heard, &what);
}

/// A baresip instance of these tests registered as `user`: SDES-SRTP mandatory, a 1000 Hz
/// sine, recording; stopped when dropped.
struct Baresip;

impl Baresip {
    fn start(user: &str, codecs: &str) -> Self {
        let status = Command::new(repo().join("interop/baresip/start.sh"))
            .arg(BARESIP)
            .envs(baresip_ports())
            .env("BARESIP_USER", user)
            .env("BARESIP_MEDIAENC", "srtp-mand")
            .env("BARESIP_TONE", "1000")
            .env("BARESIP_RECORD", "1")
            .env("BARESIP_CODECS", codecs)
            .status()
            .unwrap();
        assert!(status.success(), "baresip did not start");
        Self
    }

    /// `interop/baresip/ctrl.py` on this instance with `steps`, in the background, its
    /// output in `out`; returns once it is connected (events go only to connected clients).
    fn ctrl(&self, out: &Path, steps: &[&str]) -> Child {
        let child = Command::new("python3")
            .arg(repo().join("interop/baresip/ctrl.py"))
            .arg(BARESIP)
            .envs(baresip_ports())
            .args(["--timeout", "20"])
            .args(steps)
            .stdout(std::fs::File::create(out).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(out)
            .unwrap_or_default()
            .contains("CONNECTED")
        {
            assert!(Instant::now() < deadline, "ctrl.py did not connect");
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// The newest recording of what baresip received.
    fn last_recording(&self) -> PathBuf {
        let out = Command::new(repo().join("interop/baresip/last-recording.sh"))
            .arg(BARESIP)
            .envs(baresip_ports())
            .output()
            .unwrap();
        assert!(out.status.success(), "baresip made no recording");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("interop/baresip/stop.sh"))
            .arg(BARESIP)
            .status();
    }
}

fn baresip_ports() -> [(&'static str, &'static str); 3] {
    [
        ("INTEROP_BARESIP_SIP_PORT", BARESIP_SIP_PORT),
        ("INTEROP_BARESIP_CTRL_PORT", BARESIP_CTRL_PORT),
        ("INTEROP_BARESIP_RTP_PORTS", BARESIP_RTP_PORTS),
    ]
}

/// We call baresip with `codec` (ours; `codecs` is baresip's `audio_codecs`): tones both
/// ways, SRTP, and 4 and 7 from baresip, 1 and # from us.
fn we_call_baresip(codec: &str, codecs: &str) {
    let dir = tempfile::tempdir().unwrap();
    let baresip = Baresip::start("carol", codecs);
    let us = Us::start(dir.path(), "alice", &[codec]);
    let dtmf = us
        .app
        .notification_center()
        .observe(Some("AudioStreamGotDTMF"), None);
    // baresip answers by itself, sends 4 and 7 a second later, and must get 1 and # from us.
    let events = dir.path().join("baresip.out");
    let ctrl = baresip.ctrl(
        &events,
        &[
            "-w",
            "CALL_ESTABLISHED",
            "-s",
            "1",
            "-c",
            "sndcode 47",
            "-d",
            "1#",
            "-w",
            "CALL_CLOSED",
        ],
    );
    let account = us.account("alice");
    let (session, stream) = call_until_answered(&us, &account, "carol");
    let talk = us.now();
    std::thread::sleep(TALK.1 + Duration::from_millis(100));
    assert!(stream.srtp_active(), "SRTP is on");
    assert_eq!(stream.codec(), Some(codec));
    send_digits(&stream, "1#");
    let got = digits(&dtmf, Duration::from_millis(1500));
    println!("we got DTMF {got:?} from baresip");
    assert_eq!(got, "47", "the digits baresip sent, each once");
    session.end().unwrap();
    wait(&us.events, session.sender_id(), "SIPSessionDidEnd");
    let (ok, _) = finish(ctrl);
    let out = std::fs::read_to_string(&events).unwrap();
    println!("ctrl.py:\n{out}");
    assert!(ok, "baresip's digits or call events:\n{out}");
    assert!(
        out.contains("DTMF digit=1") && out.contains("DTMF digit=#"),
        "{out}"
    );
    // The suite is the first of our offer that baresip knows (AEAD_AES_256_GCM for 1.0).
    assert!(
        out.lines()
            .any(|l| l.starts_with("EVENT CALL_MENC") && l.contains(",audio,")),
        "baresip reports SRTP:\n{out}"
    );
    let what = format!("we call baresip, {codec}, SRTP");
    let heard = us.stop_and_hear(talk + TALK.0, talk + TALK.1);
    assert_peer_heard(&baresip.last_recording(), &what);
    assert_we_hear(&heard, &what);
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn we_call_baresip_with_srtp_pcmu_tones_and_dtmf() {
    we_call_baresip("PCMU", "pcmu,pcma");
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn we_call_baresip_with_srtp_g722_tones_and_dtmf() {
    we_call_baresip("G722", "g722/16000/1,pcmu");
}
