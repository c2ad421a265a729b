//! The audio RTP path end to end on 127.0.0.1: two `RtpAudio` streams negotiated through
//! real SDP (offer, answer, both serialized and parsed back), each fed a tone on a 20 ms
//! clock, each hearing the other's.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use futures_lite::future::block_on;
use sipsimple::configuration::{PortRange, SrtpEncryption};
use sipsimple::media::{MediaEngine, MediaError, RtpAudio, RtpAudioConfig, RtpAudioEvent};
use sipsimple::proto::rtp::RtpBuilder;
use sipsimple::proto::sdp::negotiation::{
    answer, build_offer, process_answer, NegotiatedStreams, Reoffer,
};
use sipsimple::proto::sdp::{CandidateType, Origin, Session};
use sipsimple::proto::srtp::{MasterKey, Profile, SrtpContext};
use sipsimple_audio::goertzel::tone_level;
use sipsimple_audio::tone::SineGenerator;

const TONE_A: f64 = 440.0;
const TONE_B: f64 = 1000.0;
const LEVEL: f64 = -10.0;

fn localhost() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

/// One side: the stream and what it reported.
struct Side {
    audio: RtpAudio,
    events: Receiver<RtpAudioEvent>,
}

fn side(engine: &MediaEngine, codec: &str, srtp: SrtpEncryption, ice: bool) -> Side {
    side_with(engine, codec, srtp, ice, Duration::ZERO)
}

fn side_with(
    engine: &MediaEngine,
    codec: &str,
    srtp: SrtpEncryption,
    ice: bool,
    timeout: Duration,
) -> Side {
    let (tx, rx) = mpsc::sync_channel(256);
    let mut config = RtpAudioConfig::new(
        localhost(),
        Arc::new(move |event| {
            let _ = tx.try_send(event);
        }),
    );
    config.port_range = PortRange::new(42000, 43999);
    config.codecs = vec![codec.to_owned(), "PCMA".to_owned()];
    config.srtp = srtp;
    config.ice = ice;
    config.timeout = timeout;
    Side {
        audio: RtpAudio::new(engine, config).unwrap(),
        events: rx,
    }
}

fn reparse(session: &Session) -> Session {
    Session::parse(session.to_string().as_bytes()).unwrap()
}

/// The descriptions of an exchange, for the renegotiations that follow it.
struct Exchange {
    offer: Session,
    at_a: NegotiatedStreams,
}

/// Offer from `a`, answer from `b`, both started.
fn negotiate(a: &Side, b: &Side) -> Result<(), MediaError> {
    exchange(a, b).map(|_| ())
}

fn exchange(a: &Side, b: &Side) -> Result<Exchange, MediaError> {
    if let Some(gathering) = a.audio.initialize(None)? {
        block_on(gathering)?;
    }
    let offer = build_offer(
        &Origin::new("a", 1, 1, localhost()),
        &[a.audio.local_media(localhost())],
    )
    .unwrap();
    let offer = reparse(&offer);
    if let Some(gathering) = b.audio.initialize(Some(&offer.media()[0]))? {
        block_on(gathering)?;
    }
    let (answer_sdp, at_b) = answer(
        &offer,
        &Origin::new("b", 2, 2, localhost()),
        &[b.audio.local_media(localhost())],
    )
    .unwrap();
    let answer_sdp = reparse(&answer_sdp);
    let at_a = process_answer(&offer, &answer_sdp).unwrap();
    a.audio.start(at_a.accepted(0).unwrap())?;
    b.audio.start(at_b.accepted(0).unwrap())?;
    Ok(Exchange { offer, at_a })
}

/// A re-offer from `a` answered by `b` with its usual description; both updated.
fn renegotiate(a: &Side, b: &Side, reoffer: &Session) {
    let reoffer = reparse(reoffer);
    let (answer_sdp, at_b) = answer(
        &reoffer,
        &Origin::new("b", 2, 3, localhost()),
        &[b.audio.local_media(localhost())],
    )
    .unwrap();
    let at_a = process_answer(&reoffer, &reparse(&answer_sdp)).unwrap();
    a.audio.update(at_a.accepted(0).unwrap()).unwrap();
    b.audio.update(at_b.accepted(0).unwrap()).unwrap();
}

/// What each side heard, 20 ms frame by frame.
struct Heard {
    a: Vec<i16>,
    b: Vec<i16>,
}

/// Runs the 20 ms frame clock for `frames` frames: each side sends its tone (when `send`
/// says so for that frame) and keeps what it hears.
fn run_clock(a: &RtpAudio, b: &RtpAudio, frames: usize, send: impl Fn(usize) -> bool) -> Heard {
    let rate_a = a.sample_rate().unwrap();
    let rate_b = b.sample_rate().unwrap();
    let (len_a, len_b) = (rate_a as usize / 50, rate_b as usize / 50);
    let mut tone_a = SineGenerator::new(TONE_A, LEVEL, rate_a).unwrap();
    let mut tone_b = SineGenerator::new(TONE_B, LEVEL, rate_b).unwrap();
    let (mut out_a, mut out_b) = (vec![0i16; len_a], vec![0i16; len_b]);
    let (mut in_a, mut in_b) = (vec![0i16; len_a], vec![0i16; len_b]);
    let mut heard = Heard {
        a: Vec::new(),
        b: Vec::new(),
    };
    let start = Instant::now();
    for i in 0..frames {
        let due = start + Duration::from_millis(20 * i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        tone_a.fill(&mut out_a);
        tone_b.fill(&mut out_b);
        if send(i) {
            a.consume(&out_a);
            b.consume(&out_b);
        }
        a.produce(&mut in_a);
        b.produce(&mut in_b);
        heard.a.extend_from_slice(&in_a);
        heard.b.extend_from_slice(&in_b);
    }
    heard
}

/// The last `ms` milliseconds of `samples`.
fn tail(samples: &[i16], rate: u32, ms: usize) -> &[i16] {
    let n = rate as usize * ms / 1000;
    &samples[samples.len() - n..]
}

fn assert_hears(samples: &[i16], rate: u32, tone: f64, other: f64) {
    let level = tone_level(samples, rate, tone);
    assert!(
        (level - LEVEL).abs() < 2.0,
        "tone {tone} Hz at {level:.1} dBFS, sent at {LEVEL}"
    );
    let own = tone_level(samples, rate, other);
    assert!(own < LEVEL - 30.0, "tone {other} Hz leaks at {own:.1} dBFS");
}

fn events(side: &Side) -> Vec<RtpAudioEvent> {
    side.events.try_iter().collect()
}

fn call(codec: &str, srtp: SrtpEncryption, ice: bool) {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, codec, srtp, ice);
    let b = side(&engine, codec, srtp, ice);
    negotiate(&a, &b).unwrap();
    assert_eq!(a.audio.codec(), Some(codec));
    assert_eq!(b.audio.codec(), Some(codec));
    let srtp_on = srtp != SrtpEncryption::Disabled;
    assert_eq!(a.audio.srtp_active(), srtp_on);
    assert_eq!(b.audio.srtp_active(), srtp_on);
    let heard = run_clock(&a.audio, &b.audio, 75, |_| true);
    let rate = a.audio.sample_rate().unwrap();
    assert_hears(tail(&heard.a, rate, 500), rate, TONE_B, TONE_A);
    assert_hears(tail(&heard.b, rate, 500), rate, TONE_A, TONE_B);
    for s in [&a, &b] {
        let stats = s.audio.statistics();
        assert!(stats.packets_sent >= 70, "{stats:?}");
        assert!(stats.packets_received >= 70, "{stats:?}");
        assert_eq!(stats.dropped.srtp, 0, "{stats:?}");
        assert_eq!(stats.dropped.malformed, 0, "{stats:?}");
        assert_eq!(stats.dropped.payload_type, 0, "{stats:?}");
        assert_eq!(
            s.audio.remote_rtp_port_received(),
            s.audio.remote_rtp_port_sdp()
        );
    }
    assert_eq!(
        a.audio.remote_rtp_port_sdp(),
        b.audio.local_rtp_port(),
        "the answer's port"
    );
    if ice {
        for s in [&a, &b] {
            assert!(s.audio.ice_active());
            assert_eq!(
                s.audio.local_rtp_candidate_type(),
                Some(CandidateType::Host)
            );
            assert_eq!(
                s.audio.remote_rtp_candidate_type(),
                Some(CandidateType::Host)
            );
            let evs = events(s);
            let succeeded = evs
                .iter()
                .filter(|e| matches!(e, RtpAudioEvent::IceSucceeded { .. }))
                .count();
            assert_eq!(succeeded, 1, "{evs:?}");
            assert!(evs.iter().any(|e| matches!(
                e,
                RtpAudioEvent::IceStateChanged {
                    state: sipsimple::proto::ice::IceState::Completed,
                    ..
                }
            )));
        }
    } else {
        assert!(!a.audio.ice_active());
    }
    a.audio.stop();
    b.audio.stop();
}

#[test]
fn pcmu_plain() {
    call("PCMU", SrtpEncryption::Disabled, false);
}

#[test]
fn pcmu_srtp_optional() {
    call("PCMU", SrtpEncryption::Optional, false);
}

#[test]
fn pcmu_srtp_mandatory() {
    call("PCMU", SrtpEncryption::Mandatory, false);
}

#[test]
fn pcmu_plain_ice() {
    call("PCMU", SrtpEncryption::Disabled, true);
}

#[test]
fn pcmu_srtp_optional_ice() {
    call("PCMU", SrtpEncryption::Optional, true);
}

#[test]
fn pcmu_srtp_mandatory_ice() {
    call("PCMU", SrtpEncryption::Mandatory, true);
}

#[test]
fn g722_plain() {
    call("G722", SrtpEncryption::Disabled, false);
}

#[test]
fn g722_srtp_optional() {
    call("G722", SrtpEncryption::Optional, false);
}

#[test]
fn g722_srtp_mandatory() {
    call("G722", SrtpEncryption::Mandatory, false);
}

#[test]
fn g722_plain_ice() {
    call("G722", SrtpEncryption::Disabled, true);
}

#[test]
fn g722_srtp_optional_ice() {
    call("G722", SrtpEncryption::Optional, true);
}

#[test]
fn g722_srtp_mandatory_ice() {
    call("G722", SrtpEncryption::Mandatory, true);
}

/// Opus alone: the offer carries `opus/48000/2` with the mono `a=fmtp` of RFC 7587 §7, both
/// sides send 20 ms packets stamped on the 48 kHz clock (960 ticks, else the jitter buffer
/// would drop or conceal), and each hears the other's tone at its level.
#[cfg(feature = "opus")]
#[test]
fn opus_plain() {
    let engine = MediaEngine::new().unwrap();
    let opus_side = || {
        let (tx, rx) = mpsc::sync_channel(256);
        let mut config = RtpAudioConfig::new(
            localhost(),
            Arc::new(move |event| {
                let _ = tx.try_send(event);
            }),
        );
        config.port_range = PortRange::new(42000, 43999);
        config.codecs = vec!["opus".to_owned()];
        config.srtp = SrtpEncryption::Optional;
        Side {
            audio: RtpAudio::new(&engine, config).unwrap(),
            events: rx,
        }
    };
    let (a, b) = (opus_side(), opus_side());
    let offer = exchange(&a, &b).unwrap().offer.to_string();
    let rtpmap = offer
        .lines()
        .find(|l| l.starts_with("a=rtpmap:") && l.ends_with(" opus/48000/2"))
        .unwrap_or_else(|| panic!("no opus rtpmap in {offer}"));
    let pt = &rtpmap["a=rtpmap:".len()..rtpmap.len() - " opus/48000/2".len()];
    assert!(
        offer.contains(&format!("a=fmtp:{pt} stereo=0; sprop-stereo=0")),
        "{offer}"
    );
    assert_eq!(a.audio.codec(), Some("opus"));
    assert_eq!(b.audio.codec(), Some("opus"));
    assert_eq!(a.audio.sample_rate(), Some(48000));
    let heard = run_clock(&a.audio, &b.audio, 75, |_| true);
    assert_hears(tail(&heard.a, 48000, 500), 48000, TONE_B, TONE_A);
    assert_hears(tail(&heard.b, 48000, 500), 48000, TONE_A, TONE_B);
    for s in [&a, &b] {
        let stats = s.audio.statistics();
        assert!(stats.packets_sent >= 70, "{stats:?}");
        assert!(stats.packets_received >= 70, "{stats:?}");
        assert_eq!(stats.dropped.malformed, 0, "{stats:?}");
        let j = stats.jitter_buffer;
        assert_eq!(j.rejected, 0, "{j:?}");
        assert!(j.late <= 2 && j.frames_dropped <= 2, "{j:?}");
    }
    a.audio.stop();
    b.audio.stop();
}

#[test]
fn steady_stream_plays_every_packet() {
    // A peer on the same clock delivers each packet just before our frame: the jitter
    // buffer must settle, not drop and repeat frames in turn (2 % of the audio with a 20 ms
    // minimum delay). A stall of the loaded test machine may cost a frame or two.
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Optional, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Optional, false);
    negotiate(&a, &b).unwrap();
    run_clock(&a.audio, &b.audio, 150, |_| true);
    for s in [&a, &b] {
        let j = s.audio.statistics().jitter_buffer;
        assert!(j.late <= 2 && j.frames_dropped <= 2, "{j:?}");
        assert!(j.concealed_samples <= 2 * 160, "{j:?}");
    }
}

#[test]
fn optional_srtp_meets_disabled_as_plain_rtp() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Optional, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    negotiate(&a, &b).unwrap();
    assert!(!a.audio.srtp_active());
    assert!(!b.audio.srtp_active());
    let heard = run_clock(&a.audio, &b.audio, 40, |_| true);
    assert_hears(tail(&heard.b, 8000, 300), 8000, TONE_A, TONE_B);
}

#[test]
fn ice_offer_to_a_peer_without_ice_uses_the_sdp_addresses() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Optional, true);
    let b = side(&engine, "PCMU", SrtpEncryption::Optional, false);
    negotiate(&a, &b).unwrap();
    let heard = run_clock(&a.audio, &b.audio, 40, |_| true);
    assert_hears(tail(&heard.a, 8000, 300), 8000, TONE_B, TONE_A);
    assert_hears(tail(&heard.b, 8000, 300), 8000, TONE_A, TONE_B);
    assert!(!a.audio.ice_active() && !b.audio.ice_active());
    assert_eq!(a.audio.local_rtp_candidate_type(), None);
    assert_eq!(b.audio.statistics().dropped.stray_stun, 0);
}

#[test]
fn mandatory_srtp_refuses_a_plain_offer() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Mandatory, false);
    let err = negotiate(&a, &b).unwrap_err();
    assert!(matches!(err, MediaError::SrtpRequired), "{err:?}");
}

#[test]
fn disabled_srtp_refuses_a_savp_offer() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Mandatory, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let err = negotiate(&a, &b).unwrap_err();
    assert!(matches!(err, MediaError::SrtpRefused), "{err:?}");
}

#[test]
fn dtmf_digits_arrive_once_each() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Optional, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Optional, false);
    negotiate(&a, &b).unwrap();
    for digit in "19*#".chars() {
        a.audio.send_dtmf(digit).unwrap();
    }
    assert!(matches!(a.audio.send_dtmf('x'), Err(MediaError::Dtmf(_))));
    let heard = run_clock(&a.audio, &b.audio, 100, |_| true);
    let digits: String = events(&b)
        .into_iter()
        .filter_map(|e| match e {
            RtpAudioEvent::Dtmf(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(digits, "19*#");
    assert!(events(&a).is_empty());
    // Audio resumes after the key presses.
    assert_hears(tail(&heard.b, 8000, 300), 8000, TONE_A, TONE_B);
}

#[test]
fn dtmf_queue_is_bounded() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    assert!(matches!(a.audio.send_dtmf('1'), Err(MediaError::State(_))));
    negotiate(&a, &b).unwrap();
    // One key plays, 32 wait; the next is refused until the queue moves.
    for _ in 0..33 {
        a.audio.send_dtmf('5').unwrap();
    }
    assert!(matches!(a.audio.send_dtmf('5'), Err(MediaError::Dtmf(_))));
}

#[test]
fn hold_stops_media_and_unhold_resumes_it() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    negotiate(&a, &b).unwrap();
    run_clock(&a.audio, &b.audio, 10, |_| true);
    a.audio.hold();
    assert!(a.audio.on_hold_by_local());
    run_clock(&a.audio, &b.audio, 5, |_| true);
    let before = b.audio.statistics().packets_received;
    let sent = a.audio.statistics().packets_sent;
    let heard = run_clock(&a.audio, &b.audio, 25, |_| true);
    assert_eq!(a.audio.statistics().packets_sent, sent);
    assert_eq!(b.audio.statistics().packets_received, before);
    assert!(tone_level(tail(&heard.b, 8000, 300), 8000, TONE_A) < -60.0);
    // b still sends while a holds it from a's side only.
    assert!(a.audio.statistics().packets_received > 30);
    a.audio.unhold();
    let heard = run_clock(&a.audio, &b.audio, 30, |_| true);
    assert!(b.audio.statistics().packets_received > before + 20);
    assert_hears(tail(&heard.b, 8000, 200), 8000, TONE_A, TONE_B);
}

#[test]
fn timeout_fires_once_when_the_peer_goes_silent() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let b = side_with(
        &engine,
        "PCMU",
        SrtpEncryption::Disabled,
        false,
        Duration::from_millis(300),
    );
    negotiate(&a, &b).unwrap();
    // 0.5 s of media, then a stops sending for 1 s: one timeout, not before the silence.
    run_clock(&a.audio, &b.audio, 25, |_| true);
    assert!(events(&b).is_empty());
    run_clock(&a.audio, &b.audio, 60, |i| i == usize::MAX);
    let timeouts = events(&b)
        .into_iter()
        .filter(|e| *e == RtpAudioEvent::Timeout)
        .count();
    assert_eq!(timeouts, 1);
    assert!(events(&a).is_empty(), "a has no timeout configured");
}

/// Sends `datagram` to `to` from a socket of its own.
fn inject(to: SocketAddr, datagram: &[u8]) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(datagram, to).unwrap();
}

#[test]
fn garbage_and_wrong_keys_are_counted_and_dropped() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Mandatory, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Mandatory, false);
    negotiate(&a, &b).unwrap();
    let target = SocketAddr::new(localhost(), b.audio.local_rtp_port().unwrap());
    run_clock(&a.audio, &b.audio, 10, |_| true);

    // Not RTP at all (version 0), and a truncated header.
    inject(target, &[0u8; 40]);
    inject(target, &[0x80]);
    // RTP of the right payload type under a key the call never agreed.
    let profile = Profile::AesCm128HmacSha1_80;
    let key = MasterKey::new(profile, &[3; 16], &[4; 14]).unwrap();
    let mut forger = SrtpContext::new(profile, vec![key]).unwrap();
    for seq in 0..5u16 {
        let mut buf = [0u8; 172];
        let n = RtpBuilder::new(0, seq, 160 * u32::from(seq), 0x0bad_cafe)
            .payload(&[0xff; 160])
            .write(&mut buf)
            .unwrap();
        let mut packet = buf[..n].to_vec();
        forger.protect_rtp(&mut packet).unwrap();
        inject(target, &packet);
    }
    // Random bytes that happen to look like RTCP.
    inject(target, &[0x80, 200, 0, 1, 9, 9, 9, 9]);
    let heard = run_clock(&a.audio, &b.audio, 30, |_| true);

    let stats = b.audio.statistics();
    // Under SRTP the malformed datagrams fail authentication before anything is parsed.
    assert_eq!(stats.dropped.srtp, 5 + 3, "{stats:?}");
    assert_eq!(stats.dropped.malformed, 0, "{stats:?}");
    // The call goes on, still heard from the real peer's address.
    assert_hears(tail(&heard.b, 8000, 300), 8000, TONE_A, TONE_B);
    assert_eq!(b.audio.remote_rtp_port_received(), a.audio.local_rtp_port());
}

#[test]
fn garbage_on_plain_rtp_is_counted() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    negotiate(&a, &b).unwrap();
    let target = SocketAddr::new(localhost(), b.audio.local_rtp_port().unwrap());
    run_clock(&a.audio, &b.audio, 5, |_| true);
    inject(target, &[0u8; 40]);
    inject(target, &[0x80]);
    let mut buf = [0u8; 32];
    let n = RtpBuilder::new(33, 1, 1, 7)
        .payload(&[1; 20])
        .write(&mut buf)
        .unwrap();
    inject(target, &buf[..n]);
    run_clock(&a.audio, &b.audio, 10, |_| true);
    let stats = b.audio.statistics();
    assert_eq!(stats.dropped.malformed, 2, "{stats:?}");
    assert_eq!(stats.dropped.payload_type, 1, "{stats:?}");
    assert_eq!(
        b.audio.remote_rtp_port_received(),
        a.audio.local_rtp_port(),
        "a wrong payload type does not move symmetric RTP"
    );
}

#[test]
fn reinvite_switches_codec_and_reports_it() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "G722", SrtpEncryption::Optional, false);
    let b = side(&engine, "G722", SrtpEncryption::Optional, false);
    exchange(&a, &b).unwrap();
    run_clock(&a.audio, &b.audio, 10, |_| true);
    assert_eq!(a.audio.sample_rate(), Some(16000));
    let _ = (events(&a), events(&b));

    // a re-offers without G.722: both move to PCMA (the second codec of both lists).
    let mut local = a.audio.local_media(localhost());
    local.codecs.retain(|c| c.encoding_name != "G722");
    let reoffer = build_offer(&Origin::new("a", 1, 2, localhost()), &[local]).unwrap();
    renegotiate(&a, &b, &reoffer);
    for s in [&a, &b] {
        assert_eq!(s.audio.codec(), Some("PCMA"));
        assert_eq!(s.audio.sample_rate(), Some(8000));
        assert!(s.audio.srtp_active(), "the keys stay");
        assert_eq!(events(s), [RtpAudioEvent::ParametersChanged]);
    }
    let heard = run_clock(&a.audio, &b.audio, 40, |_| true);
    assert_hears(tail(&heard.a, 8000, 300), 8000, TONE_B, TONE_A);
    assert_hears(tail(&heard.b, 8000, 300), 8000, TONE_A, TONE_B);
    assert_eq!(b.audio.statistics().dropped.srtp, 0);

    // The same description again changes nothing and reports nothing.
    let mut local = a.audio.local_media(localhost());
    local.codecs.retain(|c| c.encoding_name != "G722");
    let same = build_offer(&Origin::new("a", 1, 3, localhost()), &[local]).unwrap();
    renegotiate(&a, &b, &same);
    assert!(events(&a).is_empty() && events(&b).is_empty());
    assert_eq!(a.audio.codec(), Some("PCMA"));
}

#[test]
fn peer_hold_stops_our_sending_but_not_theirs() {
    let engine = MediaEngine::new().unwrap();
    let a = side_with(
        &engine,
        "PCMU",
        SrtpEncryption::Disabled,
        false,
        Duration::from_millis(200),
    );
    let b = side(&engine, "PCMU", SrtpEncryption::Disabled, false);
    let first = exchange(&a, &b).unwrap();
    run_clock(&a.audio, &b.audio, 10, |_| true);

    // a holds b with a=sendonly: b answers recvonly and stops sending; a goes on.
    let hold = Reoffer::new(&first.offer, &first.at_a)
        .unwrap()
        .hold()
        .build();
    renegotiate(&a, &b, &hold);
    assert!(b.audio.on_hold_by_remote());
    assert!(
        !a.audio.on_hold_by_remote(),
        "b's recvonly is its answer to a's hold"
    );
    assert!(!b.audio.on_hold_by_local());
    run_clock(&a.audio, &b.audio, 3, |_| true);
    let b_sent = b.audio.statistics().packets_sent;
    let a_sent = a.audio.statistics().packets_sent;
    let heard = run_clock(&a.audio, &b.audio, 25, |_| true);
    assert_eq!(b.audio.statistics().packets_sent, b_sent);
    assert!(a.audio.statistics().packets_sent >= a_sent + 20);
    assert_hears(tail(&heard.b, 8000, 300), 8000, TONE_A, TONE_B);
    // a expects nothing while b is held: no timeout despite 0.5 s of silence.
    assert!(
        !events(&a).contains(&RtpAudioEvent::Timeout),
        "no timeout while the peer is not to send"
    );
}

#[test]
fn rtcp_reports_flow_and_bye_ends_the_stream() {
    let engine = MediaEngine::new().unwrap();
    let a = side(&engine, "PCMU", SrtpEncryption::Mandatory, false);
    let b = side(&engine, "PCMU", SrtpEncryption::Mandatory, false);
    negotiate(&a, &b).unwrap();
    // The first report comes 1.25 to 3.8 s in (RFC 3550 §6.2: half of 5 s, randomized).
    run_clock(&a.audio, &b.audio, 200, |_| true);
    let (sa, sb) = (a.audio.statistics(), b.audio.statistics());
    assert!(sa.rtcp_sent >= 1 && sb.rtcp_sent >= 1, "{sa:?} {sb:?}");
    assert!(
        sa.rtcp_received >= 1 && sb.rtcp_received >= 1,
        "{sa:?} {sb:?}"
    );
    assert!(sb.jitter < 8000, "jitter in timestamp units: {sb:?}");
    assert_eq!(sb.packets_lost, 0);
    let before = b.audio.statistics().rtcp_received;
    a.audio.stop();
    let deadline = Instant::now() + Duration::from_secs(2);
    while b.audio.statistics().rtcp_received == before && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(b.audio.statistics().rtcp_received, before + 1, "the BYE");
    assert!(matches!(a.audio.send_dtmf('1'), Err(MediaError::State(_))));
}

#[test]
fn gathering_ends_without_an_answer_from_the_stun_server() {
    let engine = MediaEngine::new().unwrap();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (tx, events) = mpsc::sync_channel(64);
    let mut config = RtpAudioConfig::new(
        localhost(),
        Arc::new(move |event| {
            let _ = tx.try_send(event);
        }),
    );
    config.port_range = PortRange::new(42000, 43999);
    config.ice = true;
    config.stun_servers = vec![silent.local_addr().unwrap()];
    let audio = RtpAudio::new(&engine, config).unwrap();
    let started = Instant::now();
    let gathering = audio.initialize(None).unwrap().expect("ICE gathers");

    // The binding request reaches the server, from the RTP socket.
    let mut buf = [0u8; 1500];
    let (n, from) = silent.recv_from(&mut buf).unwrap();
    assert!(sipsimple::proto::stun::is_stun(&buf[..n]));
    assert_eq!(Some(from.port()), audio.local_rtp_port());

    block_on(gathering).unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(8),
        "{took:?}"
    );
    let states: Vec<_> = events
        .try_iter()
        .filter_map(|e| match e {
            RtpAudioEvent::IceStateChanged { state, .. } => Some(state),
            _ => None,
        })
        .collect();
    use sipsimple::proto::ice::IceState;
    assert_eq!(states, [IceState::Gathering, IceState::Gathered]);
    // Only host candidates: the default stays the given address.
    let local = audio.local_media(localhost());
    assert_eq!(Some(local.port), audio.local_rtp_port());
    assert_eq!(local.connection.ip(), Some(localhost()));
}

#[test]
fn server_reflexive_candidate_is_the_default() {
    use sipsimple::proto::stun::{success_response, Message};

    let engine = MediaEngine::new().unwrap();
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let stun = server.local_addr().unwrap();
    // Answers every binding request with a documentation address as the mapped address,
    // port for port, as a NAT that keeps ports would.
    let responder = thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let mut answered = 0;
        while let Ok((n, from)) = server.recv_from(&mut buf) {
            let request = Message::parse(&buf[..n]).unwrap();
            let mapped = SocketAddr::new("198.51.100.7".parse().unwrap(), from.port());
            let mut out = Vec::new();
            success_response(&mut out, &request, mapped, None).unwrap();
            server.send_to(&out, from).unwrap();
            answered += 1;
        }
        answered
    });
    let mut config = RtpAudioConfig::new(localhost(), Arc::new(|_| {}));
    config.port_range = PortRange::new(42000, 43999);
    config.ice = true;
    config.stun_servers = vec![stun];
    let audio = RtpAudio::new(&engine, config).unwrap();
    let started = Instant::now();
    block_on(audio.initialize(None).unwrap().expect("ICE gathers")).unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));

    let local = audio.local_media(localhost());
    let port = audio.local_rtp_port().unwrap();
    assert_eq!(local.connection.ip(), Some("198.51.100.7".parse().unwrap()));
    assert_eq!(local.port, port);
    let srflx: Vec<_> = local
        .attributes
        .iter()
        .filter_map(|a| match a {
            sipsimple::proto::sdp::Attribute::Candidate(c)
                if c.kind == CandidateType::ServerReflexive =>
            {
                Some((c.component, c.port, c.related_port))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        srflx,
        [(1, port, Some(port)), (2, port + 1, Some(port + 1))],
        "one per component, related to its host"
    );
    assert_eq!(responder.join().unwrap(), 2);
}
