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
use sipsimple::session::{downcast_stream, AudioStream, AudioStreamFactory, MediaStream};
use sipsimple::{Session, SipApplication, StartOptions};
use sipsimple_audio::goertzel::tone_level;

mod support;

use support::{read_wav, write_sine};

const WAIT: Duration = Duration::from_secs(10);
/// The engine's rate (`audio.sample_rate`).
const RATE: u32 = support::AUDIO_RATE;
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
    // No STUN server, and no `_stun._udp` lookup: host candidates on loopback.
    settings.nat_traversal.stun_server_list = Some(Vec::new());
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

/// Alice's audio call to `uri` at `callee`, answered with the stream the offer proposes, once
/// both sides report it started: her session and stream, and the callee's session.
fn call(alice: &Party, callee: &Party, uri: &str) -> (Session, Arc<AudioStream>, Session) {
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let stream = AudioStream::new(&alice.app).unwrap();
    let outgoing = Session::new(&account);
    outgoing
        .connect(uri, vec![stream.clone() as Arc<dyn MediaStream>])
        .unwrap();
    let id = callee
        .events
        .wait_for("SIPSessionNewIncoming", WAIT)
        .unwrap()
        .get_u64("session")
        .unwrap();
    let incoming = callee.app.session_manager().get(id).unwrap();
    let proposed = incoming.proposed_streams();
    assert_eq!(proposed.len(), 1, "the callee is offered one audio stream");
    incoming.accept(proposed).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    callee.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    (outgoing, stream, incoming)
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

    let (outgoing, stream, _incoming) = call(&alice, &bob, "sip:bob@example.com");
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
    let recordings = alice
        .app
        .notification_center()
        .observe(None, Some(stream.sender()));
    assert_eq!(
        stream.start_recording(Some(recording.clone())).unwrap(),
        recording
    );
    assert_eq!(stream.recording_filename(), Some(recording.clone()));
    std::thread::sleep(Duration::from_millis(600));
    stream.stop_recording().unwrap();
    assert!(stream.stop_recording().is_err(), "nothing to stop twice");
    let names: Vec<String> = std::iter::from_fn(|| recordings.try_recv().ok())
        .filter(|n| n.name.contains("Recording"))
        .map(|n| {
            assert_eq!(n.get_str("filename"), recording.to_str());
            n.name.to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "AudioStreamWillStartRecordingAudio",
            "AudioStreamDidStartRecordingAudio",
            "AudioStreamWillStopRecordingAudio",
            "AudioStreamDidStopRecordingAudio"
        ]
    );

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

/// Alice calls Bob and Carol and joins both calls in an `AudioConference`: each of the three
/// hears the two others, and not itself; on hold, Alice leaves the mix while Bob and Carol
/// go on hearing each other.
#[test]
fn three_party_conference_mixes_both_remote_tones_into_each_leg() {
    const CAROL_HZ: f64 = 1_500.0;
    let media = Media {
        codec: "PCMU",
        srtp: SrtpEncryption::Optional,
        ice: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let alice = party(dir.path(), "alice", ALICE_HZ, media);
    let bob = party(dir.path(), "bob", BOB_HZ, media);
    let carol = party(dir.path(), "carol", CAROL_HZ, media);
    let conference = sipsimple::audio::AudioConference::new(&alice.app).unwrap();
    let mut calls = Vec::new();
    for (callee, user) in [(&bob, "bob"), (&carol, "carol")] {
        let address = callee.app.local_address(TransportKind::Udp).unwrap();
        let (session, stream, _) = call(&alice, callee, &format!("sip:{user}@{address}"));
        conference.add(&stream).unwrap();
        calls.push((session, stream));
    }
    assert!(matches!(
        conference.add(&calls[0].1),
        Err(sipsimple::audio::EngineError::AlreadyAdded)
    ));
    assert_eq!(conference.streams().len(), 2);
    let mixed = alice.started.elapsed();
    std::thread::sleep(Duration::from_millis(1200));
    conference.hold();
    assert!(conference.on_hold());
    let held = alice.started.elapsed();
    std::thread::sleep(Duration::from_millis(1000));
    for (session, _) in &calls {
        session.end().unwrap();
        alice.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    }
    for p in [&alice, &bob, &carol] {
        p.app.stop_and_wait();
    }

    let ms = Duration::from_millis;
    let check = |p: &Party, hears: &[f64], not: f64, from: Duration, to: Duration, what: &str| {
        let shift = p.started.duration_since(alice.started);
        let all = read_wav(&p.heard);
        let w = p.heard_between(&all, from.saturating_sub(shift), to.saturating_sub(shift));
        let own = level(&w, not);
        for &hz in hears {
            let l = level(&w, hz);
            assert!(l > -18.0, "{what}: {hz} Hz at {l:.1} dBFS");
            assert!(
                own < l - 25.0,
                "{what}: own {not} Hz at {own:.1} beside {l:.1}"
            );
        }
    };
    check(
        &alice,
        &[BOB_HZ, CAROL_HZ],
        ALICE_HZ,
        mixed + ms(500),
        mixed + ms(1100),
        "Alice",
    );
    check(
        &bob,
        &[ALICE_HZ, CAROL_HZ],
        BOB_HZ,
        mixed + ms(500),
        mixed + ms(1100),
        "Bob",
    );
    check(
        &carol,
        &[ALICE_HZ, BOB_HZ],
        CAROL_HZ,
        mixed + ms(500),
        mixed + ms(1100),
        "Carol",
    );
    // On hold, Bob hears Carol but no longer Alice.
    let shift = bob.started.duration_since(alice.started);
    let all = read_wav(&bob.heard);
    let w = bob.heard_between(
        &all,
        (held + ms(400)).saturating_sub(shift),
        (held + ms(900)).saturating_sub(shift),
    );
    assert!(level(&w, CAROL_HZ) > -18.0, "Bob still hears Carol");
    assert!(level(&w, ALICE_HZ) < -45.0, "Bob no longer hears Alice");
}

/// The seed's way of playing into a call and recording it: a `WavePlayer` and a
/// `WaveRecorder` in bridges of their own with the stream, beside the devices. Each
/// recording holds the peer's tone and not the local player's, and the player's
/// notifications arrive with its sender.
#[test]
fn wave_players_and_recorders_bridged_with_the_streams() {
    use sipsimple::audio::{AudioBridge, AudioPort, WavePlayer, WavePlayerOptions, WaveRecorder};

    let media = Media {
        codec: "PCMA",
        srtp: SrtpEncryption::Mandatory,
        ice: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let alice = party(dir.path(), "alice", ALICE_HZ, media);
    let bob = party(dir.path(), "bob", BOB_HZ, media);
    route(&alice, &bob, "alice");
    let (session, stream, incoming) = call(&alice, &bob, "sip:bob@example.com");
    let bob_stream: Arc<AudioStream> = downcast_stream(&incoming.streams()[0]).unwrap();

    // Each side plays its own tone file into its stream and records the stream alone.
    let mut recordings = Vec::new();
    let mut keep = Vec::new();
    for (p, hz, name) in [(&alice, 1_800.0, "alice"), (&bob, 2_400.0, "bob")] {
        let mixer = p.app.voice_audio_mixer().unwrap();
        let file = dir.path().join(format!("{name}-play.wav"));
        sipsimple_audio::wave::write_tone(&file, hz, -12.0, 8000, Duration::from_secs(1)).unwrap();
        let player = WavePlayer::new(
            &mixer,
            &file,
            WavePlayerOptions {
                loop_count: 0,
                ..WavePlayerOptions::default()
            },
        )
        .unwrap();
        let record = dir.path().join("rec").join(format!("{name}.wav"));
        let recorder = WaveRecorder::new(&mixer, &record);
        recorder.start().unwrap();
        let (to_peer, from_peer) = (
            AudioBridge::new(&mixer).unwrap(),
            AudioBridge::new(&mixer).unwrap(),
        );
        let port: Arc<dyn AudioPort> = if name == "alice" {
            stream.clone()
        } else {
            bob_stream.clone()
        };
        to_peer.add(&player).unwrap();
        to_peer.add(&port).unwrap();
        from_peer.add(&recorder).unwrap();
        from_peer.add(&port).unwrap();
        player.start().unwrap();
        recordings.push((record, hz));
        keep.push((player, recorder, to_peer, from_peer));
    }
    let started = alice.events.wait_for("WavePlayerDidStart", WAIT).unwrap();
    assert!(started.sender.as_str().starts_with("AudioPort:"));
    std::thread::sleep(Duration::from_millis(1500));
    for (player, recorder, ..) in &keep {
        player.stop();
        recorder.stop().unwrap();
    }
    alice.events.wait_for("WavePlayerDidEnd", WAIT).unwrap();
    session.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    drop(bob_stream);
    let (alice_rec, alice_hz) = &recordings[0];
    let (bob_rec, bob_hz) = &recordings[1];
    for (file, theirs, ours, who) in [
        (alice_rec, *bob_hz, *alice_hz, "Alice"),
        (bob_rec, *alice_hz, *bob_hz, "Bob"),
    ] {
        let (samples, rate) = sipsimple_audio::wave::read_mono(file).unwrap();
        let tail = &samples[samples.len() / 3..];
        let (t, o) = (tone_level(tail, rate, theirs), tone_level(tail, rate, ours));
        assert!(
            t > -20.0,
            "{who} recorded the peer's {theirs} Hz at {t:.1} dBFS"
        );
        assert!(
            o < t - 25.0,
            "{who} recorded own {ours} Hz at {o:.1} beside {t:.1}"
        );
    }
}
