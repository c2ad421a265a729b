//! Audio calls between two applications over real loopback sockets, heard through their
//! devices: each side's microphone is a WAV file of a sine at its own frequency, and its
//! speaker a WAV file that the test reads back. Each side must hear the other's tone and not
//! its own, with G.711 and G.722, with and without SRTP and ICE; DTMF digits arrive exactly
//! once; hold silences both directions and unhold brings the tones back; a call recording
//! holds both sides.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipsimple::audio::AudioBackend;
use sipsimple::configuration::{AccountId, AccountSettings, SrtpEncryption};
use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::session::{AudioStream, AudioStreamFactory, MediaStream};
use sipsimple::{Session, SipApplication, StartOptions};
use sipsimple_audio::goertzel::tone_level;

mod support;

const WAIT: Duration = Duration::from_secs(10);
/// The engine's rate (`audio.sample_rate`).
const RATE: u32 = 16_000;
const ALICE_HZ: f64 = 440.0;
const BOB_HZ: f64 = 1_000.0;

/// How a call is set up.
#[derive(Clone, Copy, Debug)]
struct Media {
    codec: &'static str,
    srtp: SrtpEncryption,
    ice: bool,
}

struct Party {
    app: SipApplication,
    events: Observer,
    /// When the speaker file started, near enough.
    started: Instant,
    heard: PathBuf,
}

impl Party {
    /// The speaker's samples from `from` to `to` after the device started.
    fn heard_between(&self, samples: &[i16], from: Duration, to: Duration) -> Vec<i16> {
        let at = |d: Duration| ((d.as_secs_f64() * f64::from(RATE)) as usize).min(samples.len());
        samples[at(from)..at(to)].to_vec()
    }
}

fn write_sine(path: &Path, hz: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    // One second, a whole number of periods of both tones, loops without a click.
    for n in 0..RATE {
        let x = (2.0 * std::f64::consts::PI * hz * f64::from(n) / f64::from(RATE)).sin();
        w.write_sample((x * 10_000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn read_wav(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).unwrap();
    assert_eq!(r.spec().sample_rate, RATE);
    r.samples::<i16>().map(Result::unwrap).collect()
}

fn party(dir: &Path, user: &str, hz: f64, media: Media) -> Party {
    let mic = dir.join(format!("{user}-mic.wav"));
    let heard = dir.join(format!("{user}-heard.wav"));
    write_sine(&mic, hz);
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
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    app.media_stream_registry()
        .register(Arc::new(AudioStreamFactory::new(&app)));
    let mut settings = AccountSettings::new(AccountId::new(format!("{user}@example.com")).unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    settings.rtp.audio_codec_list = Some(vec![media.codec.to_owned()]);
    settings.rtp.srtp_encryption = media.srtp;
    settings.rtp.use_srtp_without_tls = true;
    settings.nat_traversal.use_ice = media.ice;
    app.account_manager().add_account(settings).unwrap();
    Party {
        app,
        events,
        started,
        heard,
    }
}

fn route(from: &Party, to: &Party, user: &str) {
    let account = from
        .app
        .account_manager()
        .get_account(&format!("{user}@example.com"))
        .unwrap();
    let mut settings = account.settings().unwrap();
    let address = to.app.local_address(TransportKind::Udp).unwrap();
    settings.sip.outbound_proxy = Some(format!("sip:{address}"));
    account.save(&settings).unwrap();
}

/// The level of `hz` in `samples`, in dBFS of a full-scale sine.
fn level(samples: &[i16], hz: f64) -> f64 {
    tone_level(samples, RATE, hz)
}

/// The tone of the peer is there, at a level near what was sent (10,000 of 32,767 is
/// -10.3 dBFS), and ours is at least 25 dB below it.
fn assert_hears(samples: &[i16], theirs: f64, ours: f64, what: &str) {
    let (t, o) = (level(samples, theirs), level(samples, ours));
    assert!(t > -16.0, "{what}: the peer's {theirs} Hz at {t:.1} dBFS");
    assert!(
        o < t - 25.0,
        "{what}: our own {ours} Hz at {o:.1} dBFS beside {t:.1}"
    );
}

fn assert_silent(samples: &[i16], tones: [f64; 2], what: &str) {
    for hz in tones {
        let l = level(samples, hz);
        assert!(l < -45.0, "{what}: {hz} Hz at {l:.1} dBFS during hold");
    }
}

/// A call from Alice to Bob with `media`, run through talk, DTMF, hold, unhold and hang-up,
/// with each side's speaker checked in each phase.
fn tone_call(media: Media) {
    let dir = tempfile::tempdir().unwrap();
    let alice = party(dir.path(), "alice", ALICE_HZ, media);
    let bob = party(dir.path(), "bob", BOB_HZ, media);
    route(&alice, &bob, "alice");
    route(&bob, &alice, "bob");
    let dtmf = bob
        .app
        .notification_center()
        .observe(Some("AudioStreamGotDTMF"), None);

    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let stream = AudioStream::new(&alice.app).unwrap();
    let outgoing = Session::new(&account);
    outgoing
        .connect(
            "sip:bob@example.com",
            vec![stream.clone() as Arc<dyn MediaStream>],
        )
        .unwrap();
    let id = bob
        .events
        .wait_for("SIPSessionNewIncoming", WAIT)
        .unwrap()
        .get_u64("session")
        .unwrap();
    let incoming = bob.app.session_manager().get(id).unwrap();
    let proposed = incoming.proposed_streams();
    assert_eq!(proposed.len(), 1, "Bob is offered one audio stream");
    incoming.accept(proposed).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    if media.ice {
        let ok = alice
            .events
            .wait_for("AudioStreamICENegotiationDidSucceed", WAIT)
            .unwrap();
        assert_eq!(
            ok.get("chosen_local_candidates")
                .and_then(|v| v.as_array())
                .map(Vec::len),
            Some(2)
        );
    }
    let talk = alice.started.elapsed();
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(stream.codec(), Some(media.codec));
    assert_eq!(stream.srtp_active(), media.srtp != SrtpEncryption::Disabled);
    assert_eq!(stream.ice_active(), media.ice);
    assert!(stream.remote_rtp_port_received().is_some());

    for digit in ['1', '#', '9'] {
        stream.send_dtmf(digit).unwrap();
        let got = dtmf.wait_for("AudioStreamGotDTMF", WAIT).unwrap();
        assert_eq!(got.get_str("digit"), Some(digit.to_string().as_str()));
    }
    assert!(
        dtmf.recv_timeout(Duration::from_millis(300)).is_err(),
        "each digit arrives once"
    );

    let recording = dir.path().join("calls").join("alice.wav");
    stream.start_recording(Some(recording.clone())).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    stream.stop_recording().unwrap();

    outgoing.hold().unwrap();
    alice
        .events
        .wait_for("SIPSessionDidChangeHoldState", WAIT)
        .unwrap();
    bob.events
        .wait_for("SIPSessionDidChangeHoldState", WAIT)
        .unwrap();
    let held = alice.started.elapsed();
    std::thread::sleep(Duration::from_millis(1000));
    outgoing.unhold().unwrap();
    alice
        .events
        .wait_for("SIPSessionDidChangeHoldState", WAIT)
        .unwrap();
    let resumed = alice.started.elapsed();
    std::thread::sleep(Duration::from_millis(1200));
    outgoing.end().unwrap();
    alice.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();

    let what = format!("{media:?}");
    // Bob's clock started a little after Alice's: his windows are shifted by the difference.
    let offset = bob.started.duration_since(alice.started);
    let ms = Duration::from_millis;
    let heard = [read_wav(&alice.heard), read_wav(&bob.heard)];
    for (i, (party, theirs, ours)) in [(&alice, BOB_HZ, ALICE_HZ), (&bob, ALICE_HZ, BOB_HZ)]
        .into_iter()
        .enumerate()
    {
        let shift = if i == 0 { Duration::ZERO } else { offset };
        let window = |from: Duration, to: Duration| {
            party.heard_between(
                &heard[i],
                from.saturating_sub(shift),
                to.saturating_sub(shift),
            )
        };
        let who = if i == 0 { "Alice" } else { "Bob" };
        assert_hears(
            &window(talk + ms(400), talk + ms(1100)),
            theirs,
            ours,
            &format!("{who} talking, {what}"),
        );
        assert_silent(
            &window(held + ms(400), held + ms(900)),
            [theirs, ours],
            &format!("{who} on hold, {what}"),
        );
        assert_hears(
            &window(resumed + ms(500), resumed + ms(1100)),
            theirs,
            ours,
            &format!("{who} after unhold, {what}"),
        );
    }
    let call = read_wav(&recording);
    assert!(call.len() > RATE as usize / 4, "the recording has audio");
    let tail = &call[call.len() / 4..];
    assert!(
        level(tail, ALICE_HZ) > -22.0 && level(tail, BOB_HZ) > -22.0,
        "the recording holds both sides"
    );
}

#[test]
fn pcmu_plain() {
    tone_call(Media {
        codec: "PCMU",
        srtp: SrtpEncryption::Disabled,
        ice: false,
    });
}

#[test]
fn pcmu_srtp_ice() {
    tone_call(Media {
        codec: "PCMU",
        srtp: SrtpEncryption::Mandatory,
        ice: true,
    });
}

#[test]
fn g722_srtp() {
    tone_call(Media {
        codec: "G722",
        srtp: SrtpEncryption::Optional,
        ice: false,
    });
}

#[test]
fn g722_ice() {
    tone_call(Media {
        codec: "G722",
        srtp: SrtpEncryption::Disabled,
        ice: true,
    });
}
