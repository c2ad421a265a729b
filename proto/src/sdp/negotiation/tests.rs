//! Offer/answer tests: scenarios modeled on RFC 4317's (the SDP there is written for these
//! tests, not copied from the RFC), the RFC 3264 §6.1 direction table, payload type
//! mapping, faulty answers, re-offers and their versions, MSRP, and a property test.

use std::net::IpAddr;

use proptest::prelude::*;

use super::*;
use crate::sdp::{MediaType, TransportProtocol};

/// Parses SDP written with `\n` line ends.
fn sdp(text: &str) -> Session {
    let text = text.trim_start().replace('\n', "\r\n");
    Session::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn host(name: &str) -> ConnectionData {
    format!("IN IP4 {name}").parse().unwrap()
}

fn origin(user: &str, id: u64, host_name: &str) -> Origin {
    Origin {
        address: host_name.to_owned(),
        ..Origin::new(user, id, id, ip("192.0.2.1"))
    }
}

/// Serializes and parses again, so that tests compare what goes on the wire.
fn wire(session: &Session) -> Session {
    Session::parse(&session.to_bytes()).expect("own output parses")
}

const ALICE_AV: &str = "
v=0
o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com
s=-
c=IN IP4 host.atlanta.example.com
t=0 0
m=audio 49170 RTP/AVP 0 8 97
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:97 iLBC/8000
m=video 51372 RTP/AVP 31 32
a=rtpmap:31 H261/90000
a=rtpmap:32 MPV/90000
";

fn bob_audio(port: u16, codecs: impl IntoIterator<Item = Codec>) -> LocalStream {
    LocalStream::audio(ip("192.0.2.2"), port, codecs)
        .with_connection(host("host.biloxi.example.com"))
}

fn bob_video(port: u16, codecs: impl IntoIterator<Item = Codec>) -> LocalStream {
    LocalStream::rtp(
        MediaType::Video,
        TransportProtocol::RtpAvp,
        ip("192.0.2.2"),
        port,
        codecs,
    )
    .with_connection(host("host.biloxi.example.com"))
}

fn bob_origin() -> Origin {
    origin("bob", 2_808_844_564, "host.biloxi.example.com")
}

/// Modeled on RFC 4317 §2.1: audio and video, each answered with one of the offered codecs.
#[test]
fn audio_and_video_like_rfc4317_2_1() {
    let offer = sdp(ALICE_AV);
    let local = [
        bob_audio(49174, [Codec::pcmu()]),
        bob_video(49170, [Codec::new("MPV", 90000)]),
    ];
    let (answer_sdp, at_bob) = answer(&offer, &bob_origin(), &local).unwrap();
    let expected = sdp("
v=0
o=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com
s=-
c=IN IP4 host.biloxi.example.com
t=0 0
m=audio 49174 RTP/AVP 0
a=rtpmap:0 PCMU/8000
m=video 49170 RTP/AVP 32
a=rtpmap:32 MPV/90000
");
    assert_eq!(wire(&answer_sdp), expected);
    assert_eq!(answer_sdp.to_bytes(), expected.to_bytes());
    let audio = at_bob.accepted(0).unwrap();
    assert_eq!(audio.remote_port, 49170);
    assert_eq!(audio.remote_connection.address, "host.atlanta.example.com");
    assert_eq!(audio.codecs.len(), 1);
    assert_eq!(
        (
            audio.codecs[0].payload_type,
            audio.codecs[0].encoding_name.as_str()
        ),
        (0, "PCMU")
    );
    assert_eq!(at_bob.accepted(1).unwrap().codecs[0].payload_type, 32);

    let at_alice = process_answer(&offer, &answer_sdp).unwrap();
    assert_eq!(at_alice.len(), 2);
    assert_eq!(at_alice.accepted(0).unwrap().remote_port, 49174);
    assert_eq!(at_alice.accepted(1).unwrap().remote_port, 49170);
}

/// Modeled on RFC 4317 §2.2: the answerer has no video; the video stream is rejected with port 0 and
/// the `m=` line kept.
#[test]
fn video_rejected_like_rfc4317_2_2() {
    let offer = sdp(ALICE_AV);
    let local = [bob_audio(49172, [Codec::new("iLBC", 8000), Codec::pcmu()])];
    let (answer_sdp, at_bob) = answer(&offer, &bob_origin(), &local).unwrap();
    let expected = sdp("
v=0
o=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com
s=-
c=IN IP4 host.biloxi.example.com
t=0 0
m=audio 49172 RTP/AVP 0 97
a=rtpmap:0 PCMU/8000
a=rtpmap:97 iLBC/8000
m=video 0 RTP/AVP 31 32
");
    assert_eq!(answer_sdp.to_bytes(), expected.to_bytes());
    assert!(at_bob.accepted(0).is_some());
    assert!(!at_bob.get(1).unwrap().is_accepted());
    assert_eq!(at_bob.get(1).unwrap().media_type(), &MediaType::Video);
    let at_alice = process_answer(&offer, &answer_sdp).unwrap();
    assert!(matches!(
        at_alice.get(1),
        Some(NegotiatedStream::Rejected(_))
    ));
    // The offerer's codec order is kept (PCMU before iLBC), not the answerer's.
    let names: Vec<_> = at_alice
        .accepted(0)
        .unwrap()
        .codecs
        .iter()
        .map(|c| c.payload_type)
        .collect();
    assert_eq!(names, [0, 97]);
}

/// RFC 4317 §2.4 style: two audio streams; one local audio stream accepts only the first.
#[test]
fn two_audio_streams_take_one_local_stream_each() {
    let offer = sdp("
v=0
o=alice 1 1 IN IP4 198.51.100.1
s=-
c=IN IP4 198.51.100.1
t=0 0
m=audio 49170 RTP/AVP 0
m=audio 49172 RTP/AVP 98
a=rtpmap:98 telephone-event/8000
a=rtpmap:0 PCMU/8000
");
    let one = [bob_audio(3000, [Codec::pcmu(), Codec::telephone_event()])];
    let (a, n) = answer(&offer, &bob_origin(), &one).unwrap();
    assert_eq!(a.media()[0].port(), 3000);
    // The second stream offers only telephone-event: never accepted by itself.
    assert!(a.media()[1].is_rejected());
    assert!(n.accepted(1).is_none());
    process_answer(&offer, &a).unwrap();
}

/// Codec intersection in the offerer's order, under the offerer's numbers, with DTMF kept when
/// both sides have it and the answerer's own `a=fmtp`.
#[test]
fn codec_intersection_and_dtmf() {
    let alice = ip("198.51.100.1");
    let offer = build_offer(
        &Origin::new("alice", 5, 5, alice),
        &[LocalStream::audio(
            alice,
            4000,
            [
                Codec::opus(),
                Codec::g722(),
                Codec::pcmu(),
                Codec::pcma(),
                Codec::telephone_event().with_fmtp("0-16"),
            ],
        )],
    )
    .unwrap();
    assert_eq!(offer.media()[0].formats(), ["96", "9", "0", "8", "97"]);
    let text = offer.to_string();
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:97 telephone-event/8000\r\na=fmtp:97 0-16\r\n"));

    let bob = ip("203.0.113.9");
    let local = LocalStream::audio(
        bob,
        5000,
        [Codec::pcma(), Codec::pcmu(), Codec::telephone_event()],
    );
    let (a, n) = answer(
        &offer,
        &Origin::new("bob", 9, 9, bob),
        std::slice::from_ref(&local),
    )
    .unwrap();
    assert_eq!(a.media()[0].formats(), ["0", "8", "97"]);
    assert_eq!(a.media()[0].fmtp("97").unwrap().params, "0-15");
    let s = n.accepted(0).unwrap();
    assert_eq!(s.dtmf_payload_type(), Some(97));
    assert_eq!(
        s.dtmf.as_ref().unwrap().remote_fmtp.as_deref(),
        Some("0-16")
    );
    assert_eq!(
        s.codecs.iter().map(|c| c.payload_type).collect::<Vec<_>>(),
        [0, 8]
    );
    assert_eq!(
        s.remote_socket_addr(),
        Some("198.51.100.1:4000".parse().unwrap())
    );
    assert!(s.local_sends() && s.local_receives());

    let at_alice = process_answer(&offer, &a).unwrap();
    let s = at_alice.accepted(0).unwrap();
    assert_eq!(s.dtmf_payload_type(), Some(97));
    assert_eq!(
        s.dtmf.as_ref().unwrap().remote_fmtp.as_deref(),
        Some("0-15")
    );

    // Without telephone-event locally, DTMF is dropped.
    let mut no_dtmf = local.clone();
    no_dtmf.codecs.pop();
    let (a, n) = answer(&offer, &Origin::new("bob", 9, 9, bob), &[no_dtmf]).unwrap();
    assert_eq!(a.media()[0].formats(), ["0", "8"]);
    assert_eq!(n.accepted(0).unwrap().dtmf_payload_type(), None);

    // Nothing in common: no stream can be accepted, the caller answers 488.
    let g729 = LocalStream::audio(
        bob,
        5000,
        [Codec::new("G729", 8000), Codec::telephone_event()],
    );
    assert_eq!(
        answer(&offer, &Origin::new("bob", 9, 9, bob), &[g729]).unwrap_err(),
        NegotiationError::NoAcceptableStream
    );
    assert_eq!(
        answer(&offer, &Origin::new("bob", 9, 9, bob), &[]).unwrap_err(),
        NegotiationError::NoAcceptableStream
    );
}

/// The answerer numbers its codecs differently: the answer uses the offerer's numbers.
#[test]
fn answer_uses_the_offerers_payload_types() {
    let offer = sdp("
v=0
o=alice 1 1 IN IP4 198.51.100.1
s=-
c=IN IP4 198.51.100.1
t=0 0
m=audio 49170 RTP/AVP 111 18 126
a=rtpmap:111 opus/48000/2
a=fmtp:111 useinbandfec=1
a=rtpmap:18 G729/8000
a=rtpmap:126 telephone-event/8000
");
    let bob = ip("203.0.113.9");
    let local = LocalStream::audio(
        bob,
        7000,
        [
            Codec::opus()
                .with_payload_type(96)
                .with_fmtp("maxplaybackrate=16000"),
            Codec::telephone_event().with_payload_type(101),
        ],
    );
    let (a, n) = answer(&offer, &Origin::new("bob", 1, 1, bob), &[local]).unwrap();
    let m = &a.media()[0];
    assert_eq!(m.formats(), ["111", "126"]);
    assert_eq!(m.rtpmap(111).unwrap().to_string(), "111 opus/48000/2");
    assert_eq!(m.fmtp("111").unwrap().params, "maxplaybackrate=16000");
    assert!(m.rtpmap(96).is_none() && m.rtpmap(101).is_none());
    let s = n.accepted(0).unwrap();
    assert_eq!(s.codecs[0].payload_type, 111);
    assert_eq!(s.codecs[0].remote_fmtp.as_deref(), Some("useinbandfec=1"));
    assert_eq!(s.dtmf_payload_type(), Some(126));
    process_answer(&offer, &a).unwrap();
}

const ALL: [Direction; 4] = [
    Direction::SendRecv,
    Direction::SendOnly,
    Direction::RecvOnly,
    Direction::Inactive,
];

/// The answers RFC 3264 §6.1 allows for an offered direction.
fn allowed(offered: Direction) -> &'static [Direction] {
    match offered {
        Direction::SendRecv => &ALL,
        Direction::SendOnly => &[Direction::RecvOnly, Direction::Inactive],
        Direction::RecvOnly => &[Direction::SendOnly, Direction::Inactive],
        Direction::Inactive => &[Direction::Inactive],
    }
}

fn audio_offer(direction: Direction) -> Session {
    let alice = ip("198.51.100.1");
    build_offer(
        &Origin::new("alice", 1, 1, alice),
        &[LocalStream::audio(alice, 4000, [Codec::pcmu()]).with_direction(direction)],
    )
    .unwrap()
}

/// RFC 3264 §6.1, every offered direction against every local willingness, and
/// `process_answer` against every answered direction.
#[test]
fn rfc3264_direction_table() {
    let bob = ip("203.0.113.9");
    let expected = |offered, local| match (offered, local) {
        (Direction::SendRecv, local) => local,
        (Direction::SendOnly, Direction::SendRecv | Direction::RecvOnly) => Direction::RecvOnly,
        (Direction::RecvOnly, Direction::SendRecv | Direction::SendOnly) => Direction::SendOnly,
        _ => Direction::Inactive,
    };
    for offered in ALL {
        let offer = audio_offer(offered);
        assert_eq!(offer.media()[0].effective_direction(&offer), offered);
        for local in ALL {
            let stream = LocalStream::audio(bob, 5000, [Codec::pcmu()]).with_direction(local);
            let (a, n) = answer(&offer, &Origin::new("bob", 1, 1, bob), &[stream]).unwrap();
            let answered = a.media()[0].effective_direction(&a);
            assert_eq!(answered, expected(offered, local), "{offered} / {local}");
            assert!(allowed(offered).contains(&answered));
            // sendrecv is the default and not written.
            assert_eq!(
                a.media()[0].direction().is_none(),
                answered == Direction::SendRecv
            );
            let s = n.accepted(0).unwrap();
            assert_eq!((s.local_direction, s.remote_direction), (answered, offered));
            let at_alice = process_answer(&offer, &a).unwrap();
            let s = at_alice.accepted(0).unwrap();
            assert_eq!((s.local_direction, s.remote_direction), (offered, answered));
        }
        for answered in ALL {
            let mut a = audio_offer(Direction::SendRecv);
            a.media_mut()[0].set_direction(answered);
            let result = process_answer(&offer, &a);
            if allowed(offered).contains(&answered) {
                assert!(result.is_ok(), "{offered} answered {answered}");
            } else {
                assert_eq!(
                    result.unwrap_err(),
                    NegotiationError::DirectionMismatch {
                        index: 0,
                        offered,
                        answered
                    }
                );
            }
        }
    }
}

/// RFC 3264 §8.4: an old-style hold offer with `c=0.0.0.0` is read as "does not receive".
#[test]
fn rfc2543_hold_address_is_understood() {
    let offer = sdp("
v=0
o=alice 1 2 IN IP4 198.51.100.1
s=-
c=IN IP4 0.0.0.0
t=0 0
m=audio 49170 RTP/AVP 0
");
    let bob = ip("203.0.113.9");
    let (a, n) = answer(
        &offer,
        &Origin::new("bob", 1, 1, bob),
        &[LocalStream::audio(bob, 5000, [Codec::pcmu()])],
    )
    .unwrap();
    assert_eq!(a.media()[0].direction(), Some(Direction::RecvOnly));
    let s = n.accepted(0).unwrap();
    assert_eq!(s.remote_direction, Direction::SendOnly);
    assert!(!s.local_sends() && s.local_receives());
}

/// Answers that break RFC 3264 §6 are refused with a typed error.
#[test]
fn bad_answers_are_refused() {
    let offer = sdp(ALICE_AV);
    let good = sdp("
v=0
o=bob 1 1 IN IP4 192.0.2.2
s=-
c=IN IP4 192.0.2.2
t=0 0
m=audio 3000 RTP/AVP 0
m=video 3002 RTP/AVP 31
");
    process_answer(&offer, &good).unwrap();
    let edit = |f: &dyn Fn(&mut Session)| {
        let mut a = good.clone();
        f(&mut a);
        process_answer(&offer, &a).unwrap_err()
    };
    // A codec that was not offered.
    assert_eq!(
        edit(&|a| a.media_mut()[0].formats_mut().push("18".into())),
        NegotiationError::UnofferedFormat {
            index: 0,
            format: "18".into()
        }
    );
    // An offered number mapped to another codec.
    assert_eq!(
        edit(&|a| {
            let m = &mut a.media_mut()[0];
            m.formats_mut().push("97".into());
            m.push_attribute(Attribute::Rtpmap(crate::sdp::Rtpmap::new(
                97, "speex", 8000,
            )));
        }),
        NegotiationError::FormatMismatch {
            index: 0,
            payload_type: 97
        }
    );
    // Wrong number of m-lines.
    assert_eq!(
        edit(&|a| {
            a.media_mut().pop();
        }),
        NegotiationError::MediaCountMismatch {
            offered: 2,
            answered: 1
        }
    );
    assert_eq!(
        edit(&|a| {
            let extra = a.media()[1].clone();
            a.push_media(extra);
        }),
        NegotiationError::MediaCountMismatch {
            offered: 2,
            answered: 3
        }
    );
    // Wrong media type, or the m-lines swapped.
    assert_eq!(
        edit(&|a| a.media_mut().swap(0, 1)),
        NegotiationError::MediaTypeMismatch {
            index: 0,
            offered: MediaType::Audio,
            answered: MediaType::Video
        }
    );
    // Another protocol.
    assert_eq!(
        edit(&|a| {
            a.media_mut()[1].set_protocol(TransportProtocol::RtpSavp);
        }),
        NegotiationError::ProtocolMismatch {
            index: 1,
            offered: TransportProtocol::RtpAvp,
            answered: TransportProtocol::RtpSavp
        }
    );
    // No format at all.
    assert_eq!(
        edit(&|a| a.media_mut()[0].formats_mut().clear()),
        NegotiationError::NoFormats { index: 0 }
    );
    // No connection data.
    assert_eq!(
        edit(&|a| {
            a.set_connection(None);
        }),
        NegotiationError::MissingConnection { index: 0 }
    );
    // Accepting a stream the offer disabled.
    let mut disabled = offer.clone();
    disabled.media_mut()[1].reject();
    assert_eq!(
        process_answer(&disabled, &good).unwrap_err(),
        NegotiationError::AcceptedDisabledStream { index: 1 }
    );
    // Rejecting is always allowed.
    let mut rejected = good.clone();
    rejected.media_mut()[0].reject();
    let n = process_answer(&offer, &rejected).unwrap();
    assert!(n.accepted(0).is_none() && n.accepted(1).is_some());
}

/// An offer with a stream lacking connection data cannot be answered.
#[test]
fn offer_without_connection_is_refused() {
    let offer = sdp("
v=0
o=alice 1 1 IN IP4 198.51.100.1
s=-
t=0 0
m=audio 49170 RTP/AVP 0
");
    let bob = ip("203.0.113.9");
    assert_eq!(
        answer(
            &offer,
            &Origin::new("bob", 1, 1, bob),
            &[LocalStream::audio(bob, 5000, [Codec::pcmu()])]
        )
        .unwrap_err(),
        NegotiationError::MissingConnection { index: 0 }
    );
}

/// An offer whose streams are all disabled is answered with all of them disabled.
#[test]
fn disabled_streams_are_answered_disabled() {
    let mut offer = sdp(ALICE_AV);
    for m in offer.media_mut() {
        m.reject();
    }
    let (a, n) = answer(&offer, &bob_origin(), &[bob_audio(3000, [Codec::pcmu()])]).unwrap();
    assert_eq!(a.media().len(), 2);
    assert!(a.media().iter().all(MediaDescription::is_rejected));
    assert!(n.iter_accepted().next().is_none());
    process_answer(&offer, &a).unwrap();
}

/// Alice and Bob after a first exchange: Alice's offer, Bob's answer, both states.
struct Call {
    offer: Session,
    answer: Session,
    alice: NegotiatedStreams,
    bob: NegotiatedStreams,
    bob_streams: Vec<LocalStream>,
}

fn call() -> Call {
    let alice = ip("198.51.100.1");
    let offer = build_offer(
        &Origin::new("alice", 100, 100, alice),
        &[LocalStream::audio(
            alice,
            4000,
            [Codec::pcmu(), Codec::telephone_event()],
        )],
    )
    .unwrap();
    let bob = ip("203.0.113.9");
    let bob_streams = vec![
        LocalStream::audio(bob, 5000, [Codec::pcmu(), Codec::telephone_event()]),
        LocalStream::rtp(
            MediaType::Video,
            TransportProtocol::RtpAvp,
            bob,
            5002,
            [Codec::new("H261", 90000)],
        ),
    ];
    let (answer_sdp, at_bob) =
        answer(&offer, &Origin::new("bob", 200, 200, bob), &bob_streams).unwrap();
    let at_alice = process_answer(&offer, &answer_sdp).unwrap();
    Call {
        offer,
        answer: answer_sdp,
        alice: at_alice,
        bob: at_bob,
        bob_streams,
    }
}

/// Bob answers a re-offer: same origin, version by [`set_version_after`].
fn bob_answers(call: &Call, offer: &Session) -> (Session, NegotiatedStreams) {
    let (mut a, n) = answer(offer, call.answer.origin(), &call.bob_streams).unwrap();
    set_version_after(&call.answer, &mut a);
    (a, n)
}

/// RFC 4317 §3.1 / RFC 3264 §8.4: hold with sendonly, answered recvonly; resume with
/// sendrecv. Versions go up by exactly one per change.
#[test]
fn hold_and_unhold() {
    let c = call();
    let hold = Reoffer::new(&c.offer, &c.alice).unwrap().hold().build();
    assert_eq!(hold.origin().session_version, 101);
    assert_eq!(hold.origin().session_id, 100);
    assert_eq!(hold.media()[0].direction(), Some(Direction::SendOnly));
    assert_eq!(hold.media()[0].port(), 4000);
    assert_eq!(hold.media()[0].formats(), c.offer.media()[0].formats());

    let (a, at_bob) = bob_answers(&c, &hold);
    assert_eq!(a.media()[0].direction(), Some(Direction::RecvOnly));
    assert_eq!(a.origin().session_version, 201);
    assert!(!at_bob.accepted(0).unwrap().local_sends());
    let held = process_answer(&hold, &a).unwrap();
    assert!(held.accepted(0).unwrap().local_sends());
    assert!(!held.accepted(0).unwrap().local_receives());

    // Holding again changes nothing: same version.
    let again = Reoffer::new(&hold, &held).unwrap().hold().build();
    assert_eq!(again, hold);
    assert_eq!(again.origin().session_version, 101);
    let (same, _) = answer(&again, a.origin(), &c.bob_streams).unwrap();
    let mut same_answer = same;
    set_version_after(&a, &mut same_answer);
    assert_eq!(same_answer.origin().session_version, 201);

    let unhold = Reoffer::new(&hold, &held).unwrap().unhold().build();
    assert_eq!(unhold.origin().session_version, 102);
    assert_eq!(unhold.media()[0].direction(), None);
    assert_eq!(
        unhold.media()[0].effective_direction(&unhold),
        Direction::SendRecv
    );
    // Back to the original description apart from the version.
    let mut original = c.offer.clone();
    original.origin_mut().session_version = 102;
    assert_eq!(unhold, original);
    let (a2, _) = bob_answers(&c, &unhold);
    let n = process_answer(&unhold, &a2).unwrap();
    assert_eq!(n.accepted(0).unwrap().remote_direction, Direction::SendRecv);
}

/// RFC 3264 §8.4: holding a peer that already holds us gives `inactive`; so does holding from
/// the answerer's side after being held.
#[test]
fn hold_when_already_held_is_inactive() {
    let c = call();
    // Bob holds Alice: his re-offer from his last answer.
    let bob_hold = Reoffer::new(&c.answer, &c.bob).unwrap().hold().build();
    assert_eq!(bob_hold.media()[0].direction(), Some(Direction::SendOnly));
    assert_eq!(bob_hold.origin().session_version, 201);
    let alice_streams = [LocalStream::audio(
        ip("198.51.100.1"),
        4000,
        [Codec::pcmu(), Codec::telephone_event()],
    )];
    let (mut alice_answer, at_alice) = answer(&bob_hold, c.offer.origin(), &alice_streams).unwrap();
    set_version_after(&c.offer, &mut alice_answer);
    assert_eq!(
        alice_answer.media()[0].direction(),
        Some(Direction::RecvOnly)
    );
    assert_eq!(alice_answer.origin().session_version, 101);
    // Now Alice holds Bob too: inactive.
    let alice_hold = Reoffer::new(&alice_answer, &at_alice)
        .unwrap()
        .hold()
        .build();
    assert_eq!(alice_hold.media()[0].direction(), Some(Direction::Inactive));
    assert_eq!(alice_hold.origin().session_version, 102);
    let at_bob_side = process_answer(&bob_hold, &alice_answer).unwrap();
    let (bob_answer, _) = answer(&alice_hold, bob_hold.origin(), &c.bob_streams).unwrap();
    assert_eq!(bob_answer.media()[0].direction(), Some(Direction::Inactive));
    assert!(at_bob_side.accepted(0).unwrap().local_sends());
    // One stream at a time, with a bad index refused.
    let mut r = Reoffer::new(&alice_answer, &at_alice).unwrap();
    assert_eq!(
        r.hold_stream(3).unwrap_err(),
        NegotiationError::NoSuchStream { index: 3 }
    );
    r.hold_stream(0).unwrap();
    assert_eq!(r.build(), alice_hold);
}

/// RFC 4317 §4.2 / RFC 3264 §8.1: a video stream added at the end of a re-offer.
#[test]
fn adding_a_stream() {
    let c = call();
    let mut r = Reoffer::new(&c.offer, &c.alice).unwrap();
    let video = LocalStream::rtp(
        MediaType::Video,
        TransportProtocol::RtpAvp,
        ip("198.51.100.1"),
        4002,
        [Codec::new("H261", 90000), Codec::new("VP8", 90000)],
    );
    assert_eq!(r.add_stream(&video).unwrap(), 1);
    let offer = r.build();
    assert_eq!(offer.origin().session_version, 101);
    assert_eq!(offer.media().len(), 2);
    assert_eq!(offer.media()[0], c.offer.media()[0]);
    assert_eq!(offer.media()[1].formats(), ["31", "96"]);
    // Same address as the session: no media-level c=.
    assert!(offer.media()[1].connections().is_empty());
    let (a, at_bob) = bob_answers(&c, &offer);
    assert_eq!(a.media()[1].port(), 5002);
    assert_eq!(a.media()[1].formats(), ["31"]);
    assert_eq!(a.media()[0], c.answer.media()[0]);
    assert_eq!(a.origin().session_version, 201);
    assert_eq!(at_bob.accepted(1).unwrap().remote_port, 4002);
    let n = process_answer(&offer, &a).unwrap();
    assert_eq!(n.accepted(1).unwrap().codecs[0].encoding_name, "H261");
}

/// RFC 4317 §4.3 / RFC 3264 §8.2: a stream removed by port 0; its m-line stays.
#[test]
fn removing_a_stream() {
    let c = call();
    let mut r = Reoffer::new(&c.offer, &c.alice).unwrap();
    r.add_stream(&LocalStream::rtp(
        MediaType::Video,
        TransportProtocol::RtpAvp,
        ip("198.51.100.1"),
        4002,
        [Codec::new("H261", 90000)],
    ))
    .unwrap();
    let with_video = r.build();
    let (a, _) = bob_answers(&c, &with_video);
    let n = process_answer(&with_video, &a).unwrap();

    let mut r = Reoffer::new(&with_video, &n).unwrap();
    r.remove_stream(1).unwrap();
    assert_eq!(
        r.remove_stream(2).unwrap_err(),
        NegotiationError::NoSuchStream { index: 2 }
    );
    let offer = r.build();
    assert_eq!(offer.origin().session_version, 102);
    assert_eq!(offer.media().len(), 2);
    let video = &offer.media()[1];
    assert!(video.is_rejected());
    assert_eq!(video.media_type(), &MediaType::Video);
    assert_eq!(video.formats(), ["31"]);
    assert!(video.attributes().is_empty());
    let (a2, at_bob) = answer(&offer, a.origin(), &c.bob_streams).unwrap();
    assert_eq!(a2.media().len(), 2);
    assert!(a2.media()[1].is_rejected());
    assert!(at_bob.accepted(1).is_none());
    let n2 = process_answer(&offer, &a2).unwrap();
    assert!(n2.accepted(0).is_some() && n2.accepted(1).is_none());
    // The next re-offer keeps the disabled line as it is.
    let next = Reoffer::new(&offer, &n2).unwrap().build();
    assert_eq!(next, offer);
}

/// A stream the answer rejected is disabled in the next offer (RFC 3264 §8.2).
#[test]
fn rejected_stream_is_disabled_in_the_next_offer() {
    let offer = sdp(ALICE_AV);
    let (a, _) = answer(&offer, &bob_origin(), &[bob_audio(3000, [Codec::pcmu()])]).unwrap();
    let n = process_answer(&offer, &a).unwrap();
    let next = Reoffer::new(&offer, &n).unwrap().build();
    assert_eq!(next.origin().session_version, 2_890_844_527);
    assert!(next.media()[1].is_rejected());
    assert_eq!(next.media()[1].formats(), ["31", "32"]);
    assert_eq!(next.media()[0], offer.media()[0]);
    assert_eq!(
        Reoffer::new(
            &offer,
            &NegotiatedStreams {
                streams: Vec::new(),
                remote_session_attributes: Default::default()
            }
        )
        .unwrap_err(),
        NegotiationError::StateMismatch {
            previous: 2,
            state: 0
        }
    );
}

/// RFC 4317 §5.1 style: a new port (and address) for a stream, everything else unchanged.
#[test]
fn changing_the_port() {
    let c = call();
    let offer = Reoffer::new(&c.offer, &c.alice)
        .unwrap()
        .set_port(0, 6000)
        .unwrap()
        .build();
    assert_eq!(offer.origin().session_version, 101);
    assert_eq!(offer.media()[0].port(), 6000);
    let mut expected = c.offer.clone();
    expected.media_mut()[0].set_port(6000);
    expected.origin_mut().session_version = 101;
    assert_eq!(offer, expected);
    let (a, at_bob) = bob_answers(&c, &offer);
    // Bob's answer does not change: it keeps its version.
    assert_eq!(a.origin().session_version, 200);
    assert_eq!(a, c.answer);
    assert_eq!(at_bob.accepted(0).unwrap().remote_port, 6000);

    let moved = Reoffer::new(&offer, &process_answer(&offer, &a).unwrap())
        .unwrap()
        .set_connection(0, ConnectionData::new(ip("198.51.100.7")))
        .unwrap()
        .build();
    assert_eq!(moved.origin().session_version, 102);
    assert_eq!(moved.media()[0].connections()[0].address, "198.51.100.7");
    let (_, at_bob) = bob_answers(&c, &moved);
    assert_eq!(
        at_bob.accepted(0).unwrap().remote_socket_addr(),
        Some("198.51.100.7:6000".parse().unwrap())
    );
}

/// RFC 3264 §8: a re-offer without change keeps its version; each change adds exactly one.
#[test]
fn reoffer_version_rules() {
    let c = call();
    let same = Reoffer::new(&c.offer, &c.alice).unwrap().build();
    assert_eq!(same, c.offer);
    let mut r = Reoffer::new(&c.offer, &c.alice).unwrap();
    r.hold().set_port(0, 4100).unwrap();
    r.unhold();
    // Several changes in one offer still add one.
    assert_eq!(r.build().origin().session_version, 101);
    // Hold then unhold in the same re-offer is no change at all.
    let mut r = Reoffer::new(&c.offer, &c.alice).unwrap();
    r.hold().unhold();
    assert_eq!(r.build(), c.offer);
    // The version wraps rather than overflowing.
    let mut top = c.offer.clone();
    top.origin_mut().session_version = u64::MAX;
    let next = Reoffer::new(&top, &c.alice).unwrap().hold().build();
    assert_eq!(next.origin().session_version, 0);
}

fn msrp_offer(protocol: TransportProtocol, accept_types: &[&str]) -> Session {
    let alice = ip("198.51.100.1");
    build_offer(
        &Origin::new("alice", 1, 1, alice),
        &[LocalStream::msrp(
            protocol,
            alice,
            2855,
            ["msrp://198.51.100.1:2855/s111271;tcp".to_owned()],
            accept_types.iter().map(|t| (*t).to_owned()),
        )],
    )
    .unwrap()
}

fn bob_msrp(protocol: TransportProtocol, accept_types: &[&str]) -> LocalStream {
    LocalStream::msrp(
        protocol,
        ip("203.0.113.9"),
        2856,
        ["msrp://203.0.113.9:2856/bob99;tcp".to_owned()],
        accept_types.iter().map(|t| (*t).to_owned()),
    )
}

/// RFC 4975 §8: an MSRP chat stream accepted with `*`, its path given to the stream layer.
#[test]
fn msrp_stream_accepted() {
    let offer = msrp_offer(TransportProtocol::TcpMsrp, &["message/cpim", "text/plain"]);
    let text = offer.to_string();
    assert!(text.contains("m=message 2855 TCP/MSRP *\r\n"), "{text}");
    assert!(text.contains("a=accept-types:message/cpim text/plain\r\n"));
    assert!(text.contains("a=path:msrp://198.51.100.1:2855/s111271;tcp\r\n"));
    let bob = ip("203.0.113.9");
    let (a, at_bob) = answer(
        &offer,
        &Origin::new("bob", 1, 1, bob),
        &[
            bob_audio(3000, [Codec::pcmu()]),
            bob_msrp(TransportProtocol::TcpMsrp, &["message/*"]),
        ],
    )
    .unwrap();
    assert_eq!(a.media()[0].formats(), ["*"]);
    assert_eq!(a.media()[0].port(), 2856);
    assert_eq!(
        a.media()[0].attributes().path().unwrap(),
        ["msrp://203.0.113.9:2856/bob99;tcp"]
    );
    let s = at_bob.accepted(0).unwrap();
    assert_eq!(
        s.remote_attributes.path().unwrap(),
        ["msrp://198.51.100.1:2855/s111271;tcp"]
    );
    assert!(s.codecs.is_empty() && s.dtmf.is_none());
    let at_alice = process_answer(&offer, &a).unwrap();
    assert_eq!(
        at_alice
            .accepted(0)
            .unwrap()
            .remote_attributes
            .accept_types()
            .unwrap(),
        ["message/*"]
    );
    // `*` accepts anything.
    let (a, _) = answer(
        &offer,
        &Origin::new("bob", 1, 1, bob),
        &[bob_msrp(TransportProtocol::TcpMsrp, &["*"])],
    )
    .unwrap();
    assert!(!a.media()[0].is_rejected());
}

/// MSRP streams are rejected on another protocol or when no accepted type is shared.
#[test]
fn msrp_stream_rejected() {
    let bob = Origin::new("bob", 1, 1, ip("203.0.113.9"));
    let tls = msrp_offer(TransportProtocol::TcpTlsMsrp, &["text/plain"]);
    assert_eq!(
        answer(
            &tls,
            &bob,
            &[bob_msrp(TransportProtocol::TcpMsrp, &["text/plain"])]
        )
        .unwrap_err(),
        NegotiationError::NoAcceptableStream
    );
    let plain = msrp_offer(TransportProtocol::TcpMsrp, &["text/plain"]);
    assert_eq!(
        answer(
            &plain,
            &bob,
            &[bob_msrp(TransportProtocol::TcpMsrp, &["image/*"])]
        )
        .unwrap_err(),
        NegotiationError::NoAcceptableStream
    );
    // Alongside an accepted audio stream, the MSRP line gets port 0.
    let mut offer = audio_offer(Direction::SendRecv);
    offer.push_media(plain.media()[0].clone());
    let (a, n) = answer(
        &offer,
        &bob,
        &[
            bob_audio(3000, [Codec::pcmu()]),
            bob_msrp(TransportProtocol::TcpMsrp, &["image/*"]),
        ],
    )
    .unwrap();
    assert!(a.media()[1].is_rejected());
    assert_eq!(a.media()[1].formats(), ["*"]);
    assert!(n.accepted(1).is_none());
    process_answer(&offer, &a).unwrap();
}

/// Payload type assignment and the placement of `c=` lines in offers.
#[test]
fn build_offer_payload_types_and_connections() {
    let a = ip("198.51.100.1");
    let o = Origin::new("alice", 1, 1, a);
    let offer = build_offer(
        &o,
        &[
            LocalStream::audio(
                a,
                4000,
                [
                    Codec::new("speex", 16000),
                    Codec::pcma(),
                    Codec::new("iLBC", 8000).with_payload_type(96),
                    Codec::new("L16", 44100).with_channels(2),
                ],
            ),
            LocalStream::audio(ip("198.51.100.2"), 4002, [Codec::pcmu()])
                .with_direction(Direction::RecvOnly),
        ],
    )
    .unwrap();
    assert_eq!(offer.media()[0].formats(), ["97", "8", "96", "10"]);
    assert_eq!(
        offer.media()[0].rtpmap(10).unwrap().to_string(),
        "10 L16/44100/2"
    );
    assert_eq!(offer.connection().unwrap().address, "198.51.100.1");
    assert!(offer.media()[0].connections().is_empty());
    assert_eq!(offer.media()[1].connections()[0].address, "198.51.100.2");
    assert_eq!(offer.media()[1].direction(), Some(Direction::RecvOnly));
    assert_eq!(wire(&offer), offer);

    let many: Vec<_> = (0..33).map(|i| Codec::new(format!("x{i}"), 8000)).collect();
    assert_eq!(
        build_offer(&o, &[LocalStream::audio(a, 4000, many)]).unwrap_err(),
        NegotiationError::PayloadTypesExhausted { index: 0 }
    );
    let twice = [
        Codec::pcmu().with_payload_type(96),
        Codec::pcma().with_payload_type(96),
    ];
    assert_eq!(
        build_offer(&o, &[LocalStream::audio(a, 4000, twice)]).unwrap_err(),
        NegotiationError::PayloadTypesExhausted { index: 0 }
    );
    assert_eq!(
        build_offer(&o, &[LocalStream::audio(a, 4000, [])]).unwrap_err(),
        NegotiationError::NoFormats { index: 0 }
    );
    // No stream: the origin's address for c=.
    let empty = build_offer(&o, &[]).unwrap();
    assert_eq!(empty.connection().unwrap().address, "198.51.100.1");
    assert!(empty.media().is_empty());
}

fn codec_pool() -> Vec<(MediaType, Codec)> {
    vec![
        (MediaType::Audio, Codec::pcmu()),
        (MediaType::Audio, Codec::pcma()),
        (MediaType::Audio, Codec::g722()),
        (MediaType::Audio, Codec::opus()),
        (MediaType::Audio, Codec::new("iLBC", 8000)),
        (MediaType::Audio, Codec::telephone_event()),
        (MediaType::Audio, Codec::new("telephone-event", 48000)),
        (MediaType::Video, Codec::new("H261", 90000)),
        (MediaType::Video, Codec::new("VP8", 90000)),
        (
            MediaType::Video,
            Codec::new("H264", 90000).with_fmtp("packetization-mode=1"),
        ),
    ]
}

/// A random local stream: audio, video or MSRP, random codecs (some with requested dynamic
/// numbers), port, direction.
fn stream_strategy() -> impl Strategy<Value = LocalStream> {
    let pool = codec_pool();
    (
        0..3_u8,
        any::<bool>(),
        prop_oneof![Just(0_u16), 1024..65535_u16],
        proptest::sample::select(ALL.to_vec()),
        proptest::collection::vec(
            (any::<bool>(), proptest::option::of(96..128_u8)),
            pool.len(),
        ),
        proptest::sample::subsequence(vec!["text/plain", "message/cpim", "image/*", "*"], 1..3),
    )
        .prop_map(move |(kind, secure, port, direction, picks, types)| {
            let address = ip("192.0.2.10");
            let stream = match kind {
                0 | 1 => {
                    let media_type = if kind == 0 {
                        MediaType::Audio
                    } else {
                        MediaType::Video
                    };
                    let mut used = Vec::new();
                    let codecs = pool
                        .iter()
                        .zip(&picks)
                        .filter(|((t, _), (pick, _))| *t == media_type && *pick)
                        .map(|((_, c), (_, pt))| {
                            let mut c = c.clone();
                            if let Some(pt) = pt.filter(|pt| !used.contains(pt)) {
                                used.push(pt);
                                c.payload_type = Some(pt);
                            }
                            c
                        })
                        .collect::<Vec<_>>();
                    let codecs = if codecs.is_empty() {
                        vec![Codec::pcmu()]
                    } else {
                        codecs
                    };
                    let protocol = if secure {
                        TransportProtocol::RtpSavp
                    } else {
                        TransportProtocol::RtpAvp
                    };
                    LocalStream::rtp(media_type, protocol, address, port, codecs)
                }
                _ => {
                    let protocol = if secure {
                        TransportProtocol::TcpTlsMsrp
                    } else {
                        TransportProtocol::TcpMsrp
                    };
                    LocalStream::msrp(
                        protocol,
                        address,
                        port,
                        ["msrp://192.0.2.10/x;tcp".to_owned()],
                        types.into_iter().map(str::to_owned),
                    )
                }
            };
            stream.with_direction(direction)
        })
}

proptest! {
    /// Any answer `answer` produces passes `process_answer` against its offer, has the
    /// offer's m-line count and media types, and lists only offered formats.
    #[test]
    fn answers_are_valid(
        offered in proptest::collection::vec(stream_strategy(), 0..5),
        others in proptest::collection::vec(stream_strategy(), 0..3),
        mirrored in proptest::collection::vec(any::<bool>(), 5),
    ) {
        // The answerer supports some of the offered streams (codecs in reverse order, its own
        // numbers, another port and direction) and some random ones.
        let mut local: Vec<LocalStream> = offered
            .iter()
            .zip(&mirrored)
            .enumerate()
            .filter(|(_, (_, m))| **m)
            .map(|(i, (s, _))| {
                let mut s = s.clone();
                s.port = 40000 + u16::try_from(i).unwrap();
                s.codecs.reverse();
                for c in &mut s.codecs {
                    c.payload_type = None;
                }
                s.direction = ALL[i % 4];
                s
            })
            .collect();
        local.extend(others);
        let alice = ip("198.51.100.1");
        let offer = build_offer(&Origin::new("alice", 1, 1, alice), &offered).unwrap();
        let offer = wire(&offer);
        let bob = Origin::new("bob", 2, 2, ip("203.0.113.9"));
        match answer(&offer, &bob, &local) {
            Ok((a, at_bob)) => {
                let a = wire(&a);
                prop_assert_eq!(a.media().len(), offer.media().len());
                prop_assert_eq!(at_bob.len(), offer.media().len());
                for (o, m) in offer.media().iter().zip(a.media()) {
                    prop_assert_eq!(o.media_type(), m.media_type());
                    prop_assert!(!m.formats().is_empty());
                    if !m.is_rejected() {
                        prop_assert!(m.formats().iter().all(|f| o.formats().contains(f)));
                        for pt in m.payload_types() {
                            prop_assert_eq!(
                                m.rtpmap(pt).map(|r| r.encoding_name.clone()),
                                o.rtpmap(pt).map(|r| r.encoding_name.clone())
                            );
                        }
                    }
                }
                let at_alice = process_answer(&offer, &a);
                prop_assert!(at_alice.is_ok(), "{:?}", at_alice);
                let at_alice = at_alice.unwrap();
                for (i, s) in at_bob.streams().iter().enumerate() {
                    prop_assert_eq!(s.is_accepted(), at_alice.get(i).unwrap().is_accepted());
                }
                // Answering the same offer again is no change: the version stays.
                let (mut again, _) = answer(&offer, &bob, &local).unwrap();
                set_version_after(&a, &mut again);
                prop_assert_eq!(again.origin().session_version, 2);
                // Re-offering from the negotiated state is valid too.
                let next = Reoffer::new(&offer, &at_alice).unwrap().hold().build();
                prop_assert_eq!(next.media().len(), offer.media().len());
                prop_assert!(next.origin().session_version - offer.origin().session_version <= 1);
            }
            Err(e) => {
                prop_assert_eq!(e, NegotiationError::NoAcceptableStream);
                prop_assert!(offer.media().iter().any(|m| !m.is_rejected()));
            }
        }
    }
}

#[test]
fn session_level_ice_credentials_reach_each_stream() {
    let offer = Session::parse(
        b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
a=ice-ufrag:sessufrag\r\na=ice-pwd:sessionpasswordsessionpass\r\na=ice-lite\r\n\
m=audio 5000 RTP/AVP 0\r\na=candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host\r\n\
m=audio 5002 RTP/AVP 0\r\na=ice-ufrag:mediaufrag\r\na=ice-pwd:mediapasswordmediapassword\r\n",
    )
    .unwrap();
    let media = super::media_with_session_ice(&offer);
    assert_eq!(media[0].attributes().ice_ufrag(), Some("sessufrag"));
    assert!(media[0].attributes().ice_lite());
    // A media-level value overrides the session's, which is then not added.
    assert_eq!(media[1].attributes().ice_ufrag(), Some("mediaufrag"));
    assert_eq!(
        media[1]
            .attributes()
            .iter()
            .filter(|a| a.name() == "ice-ufrag")
            .count(),
        1
    );
    let local = LocalStream::audio("192.0.2.9".parse().unwrap(), 6000, [Codec::pcmu()]);
    let (_, negotiated) = answer(
        &offer,
        &Origin::new("-", 2, 2, "192.0.2.9".parse().unwrap()),
        &[local],
    )
    .unwrap();
    let accepted = negotiated.accepted(0).unwrap();
    assert_eq!(accepted.remote_attributes.ice_ufrag(), Some("sessufrag"));
    assert!(accepted.remote_attributes.ice_lite());
}
