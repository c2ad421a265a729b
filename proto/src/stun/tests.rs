use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::rand::SeededRandom;

const ID: TransactionId = TransactionId([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

/// The origin of virtual time; the machines never read a clock.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn ice_request(key: &IntegrityKey) -> Vec<u8> {
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("local:remote")
        .priority(0x6e00_01ff)
        .ice_controlling(0x0102_0304_0506_0708)
        .use_candidate()
        .message_integrity(key)
        .fingerprint()
        .finish()
        .unwrap();
    buf
}

/// Appends a raw attribute after the end of `buf` and fixes the header's length, the way a
/// peer that ignores the ordering rules would.
fn append_raw(buf: &mut Vec<u8>, kind: u16, value: &[u8]) {
    buf.extend_from_slice(&kind.to_be_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_be_bytes());
    buf.extend_from_slice(value);
    while buf.len() % 4 != 0 {
        buf.push(0);
    }
    let len = (buf.len() - HEADER_LEN) as u16;
    buf[2..4].copy_from_slice(&len.to_be_bytes());
}

#[test]
fn message_type_layout() {
    assert_eq!(MessageType::BINDING_REQUEST.to_u16(), 0x0001);
    assert_eq!(MessageType::BINDING_INDICATION.to_u16(), 0x0011);
    assert_eq!(MessageType::BINDING_SUCCESS.to_u16(), 0x0101);
    assert_eq!(MessageType::BINDING_ERROR.to_u16(), 0x0111);
    // TURN Allocate (0x003) request, and the largest method as an error response.
    let allocate = MessageType::new(Method::new(3).unwrap(), Class::Request);
    assert_eq!(allocate.to_u16(), 0x0003);
    let top = MessageType::new(Method::new(0xfff).unwrap(), Class::ErrorResponse);
    assert_eq!(top.to_u16(), 0x3fff);
    for m in 0..=0xfff {
        for class in [
            Class::Request,
            Class::Indication,
            Class::SuccessResponse,
            Class::ErrorResponse,
        ] {
            let t = MessageType::new(Method::new(m).unwrap(), class);
            assert_eq!(MessageType::from_u16(t.to_u16()), Some(t));
        }
    }
    assert_eq!(MessageType::from_u16(0x4001), None);
    assert_eq!(Method::new(0x1000), None);
}

#[test]
fn every_attribute_round_trips() {
    let v4: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    let v6: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    let unknown = [0x00u8, 0x1e, 0x7f, 0xff];
    let attrs = [
        Attribute::MappedAddress(v4),
        Attribute::MappedAddress(v6),
        Attribute::XorMappedAddress(v4),
        Attribute::XorMappedAddress(v6),
        Attribute::Username("evtj:h6vY"),
        Attribute::Realm("example.org"),
        Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"),
        Attribute::Software("sipsimple"),
        Attribute::ErrorCode(ErrorCode {
            code: 487,
            reason: "Role Conflict",
        }),
        Attribute::UnknownAttributes(UnknownAttributes::decode(&unknown).unwrap()),
        Attribute::Priority(0x6e00_01ff),
        Attribute::UseCandidate,
        Attribute::IceControlled(0x932f_f9b1_5126_3b36),
        Attribute::IceControlling(u64::MAX),
        Attribute::Other(RawAttribute {
            kind: AttributeType(0x8055),
            value: b"opt",
            offset: 0,
        }),
        Attribute::MessageIntegrity(&[7; 20]),
        Attribute::Fingerprint(0xdead_beef),
    ];
    for a in attrs {
        let mut buf = Vec::new();
        let n = MessageBuilder::new(&mut buf, MessageType::BINDING_SUCCESS, ID)
            .attribute(&a)
            .finish()
            .unwrap();
        assert_eq!(n, buf.len());
        assert_eq!(buf.len() % 4, 0, "{a:?} is not padded");
        let m = Message::parse(&buf).unwrap();
        let decoded: Vec<_> = m.decoded().collect::<Result<_, _>>().unwrap();
        let decoded = match decoded[..] {
            // The offset of a raw attribute is where it sits, not what was given.
            [Attribute::Other(r)] => vec![Attribute::Other(RawAttribute { offset: 0, ..r })],
            _ => decoded,
        };
        assert_eq!(decoded, [a], "{a:?}");
    }
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_ERROR, ID)
        .error_code(420, "Unknown Attribute")
        .unknown_attributes(&[AttributeType(0x1e), AttributeType(0x7fff)])
        .finish()
        .unwrap();
    let m = Message::parse(&buf).unwrap();
    let u: Vec<_> = m.unknown_attributes().unwrap().unwrap().iter().collect();
    assert_eq!(u, [AttributeType(0x1e), AttributeType(0x7fff)]);
    assert_eq!(m.error_code().unwrap().unwrap().code, 420);
}

#[test]
fn getters_on_an_ice_request() {
    let key = IntegrityKey::short_term("pass");
    let buf = ice_request(&key);
    assert!(is_stun(&buf));
    assert_eq!(message_length(&buf), Some(buf.len()));
    let m = Message::parse(&buf).unwrap();
    assert_eq!(m.message_type(), MessageType::BINDING_REQUEST);
    assert_eq!(m.transaction_id(), ID);
    assert_eq!(m.username().unwrap(), Some("local:remote"));
    assert_eq!(m.priority().unwrap(), Some(0x6e00_01ff));
    assert_eq!(m.ice_controlling().unwrap(), Some(0x0102_0304_0506_0708));
    assert_eq!(m.ice_controlled().unwrap(), None);
    assert!(m.use_candidate());
    assert_eq!(m.realm().unwrap(), None);
    assert_eq!(m.verify_integrity(&key), Ok(()));
    assert_eq!(m.verify_fingerprint(), Ok(()));
    assert_eq!(m.unknown_required().count(), 0);
    let owned = MessageBuf::parse(buf.clone()).unwrap();
    assert_eq!(owned.message(), m);
    assert_eq!(MessageBuf::from_message(&m), owned);
}

#[test]
fn bad_values_fail_to_decode() {
    let cases: [(AttributeType, &[u8]); 9] = [
        (AttributeType::PRIORITY, &[1, 2, 3]),
        (AttributeType::ICE_CONTROLLING, &[1, 2, 3, 4]),
        (AttributeType::USE_CANDIDATE, &[0]),
        (AttributeType::XOR_MAPPED_ADDRESS, &[0, 1, 0, 0, 1, 2, 3]),
        (AttributeType::MAPPED_ADDRESS, &[0, 2, 0, 0, 1, 2, 3, 4]),
        (AttributeType::MAPPED_ADDRESS, &[0, 3, 0, 0, 1, 2, 3, 4]),
        (AttributeType::ERROR_CODE, &[0, 0, 7, 0]),
        (AttributeType::UNKNOWN_ATTRIBUTES, &[0, 1, 0]),
        (AttributeType::USERNAME, &[0xff, 0xfe]),
    ];
    for (kind, value) in cases {
        let mut buf = Vec::new();
        MessageBuilder::new(&mut buf, MessageType::BINDING_SUCCESS, ID)
            .raw(kind, value)
            .finish()
            .unwrap();
        let m = Message::parse(&buf).unwrap();
        let errors = m.decoded().filter(Result::is_err).count();
        assert_eq!(errors, 1, "{kind:?} {value:?} decoded");
    }
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_SUCCESS, ID)
        .raw(AttributeType::PRIORITY, &[1, 2])
        .finish()
        .unwrap();
    let m = Message::parse(&buf).unwrap();
    assert!(matches!(
        m.priority(),
        Err(Error::BadAttributeLength {
            attribute: 0x0024,
            length: 2
        })
    ));
}

#[test]
fn bad_framing_is_refused() {
    let key = IntegrityKey::short_term("pass");
    let good = ice_request(&key);
    for n in 0..good.len() {
        assert!(
            Message::parse(&good[..n]).is_err(),
            "prefix of {n} bytes parsed"
        );
        assert!(!is_stun(&good[..n]));
    }
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 4]);
    assert_eq!(
        Message::parse(&longer),
        Err(Error::BadLength {
            length: good.len() - HEADER_LEN,
            available: good.len() - HEADER_LEN + 4
        })
    );
    let mut cookie = good.clone();
    cookie[4] ^= 1;
    assert_eq!(
        Message::parse(&cookie),
        Err(Error::BadMagicCookie {
            found: MAGIC_COOKIE ^ 0x0100_0000
        })
    );
    assert!(!is_stun(&cookie));
    let mut rtp = good.clone();
    rtp[0] = 0x80;
    assert_eq!(Message::parse(&rtp), Err(Error::NotStun));
    assert!(!is_stun(&rtp));
    // An attribute whose length runs past the end of the message.
    let mut over = good.clone();
    over[HEADER_LEN + 2..HEADER_LEN + 4].copy_from_slice(&200u16.to_be_bytes());
    assert!(matches!(
        Message::parse(&over),
        Err(Error::Truncated { .. })
    ));
    // A length field that is not a multiple of four.
    let mut odd = good.clone();
    odd.pop();
    odd[2..4].copy_from_slice(&((good.len() - HEADER_LEN - 1) as u16).to_be_bytes());
    assert!(matches!(Message::parse(&odd), Err(Error::BadLength { .. })));
    // MESSAGE-INTEGRITY and FINGERPRINT of the wrong size.
    for (kind, len) in [
        (0x0008u16, 19usize),
        (0x8028, 8),
        (0x001c, 12),
        (0x001c, 18),
    ] {
        let mut buf = Vec::new();
        MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
            .finish()
            .unwrap();
        append_raw(&mut buf, kind, &vec![0; len]);
        assert_eq!(
            Message::parse(&buf),
            Err(Error::BadAttributeLength {
                attribute: kind,
                length: len
            })
        );
    }
}

#[test]
fn integrity_and_fingerprint_mismatches() {
    let key = IntegrityKey::short_term("pass");
    let good = ice_request(&key);
    let m = Message::parse(&good).unwrap();
    assert_eq!(
        m.verify_integrity(&IntegrityKey::short_term("Pass")),
        Err(Error::IntegrityMismatch("MESSAGE-INTEGRITY"))
    );
    // One flipped bit in USERNAME breaks both the HMAC and the CRC.
    let mut bad = good.clone();
    bad[HEADER_LEN + 4] ^= 0x20;
    let m = Message::parse(&bad).unwrap();
    assert_eq!(
        m.verify_integrity(&key),
        Err(Error::IntegrityMismatch("MESSAGE-INTEGRITY"))
    );
    assert!(matches!(
        m.verify_fingerprint(),
        Err(Error::FingerprintMismatch { .. })
    ));
    // A flipped bit in the tag itself.
    let mi = Message::parse(&good)
        .unwrap()
        .get(AttributeType::MESSAGE_INTEGRITY)
        .unwrap();
    let mut bad = good.clone();
    bad[mi.offset + 4 + 19] ^= 1;
    let m = Message::parse(&bad).unwrap();
    assert!(m.verify_integrity(&key).is_err());
    // Without the attributes.
    let mut bare = Vec::new();
    MessageBuilder::new(&mut bare, MessageType::BINDING_REQUEST, ID)
        .finish()
        .unwrap();
    let m = Message::parse(&bare).unwrap();
    assert_eq!(
        m.verify_integrity(&key),
        Err(Error::MissingIntegrity("MESSAGE-INTEGRITY"))
    );
    assert_eq!(
        m.verify_integrity_sha256(&key),
        Err(Error::MissingIntegrity("MESSAGE-INTEGRITY-SHA256"))
    );
    assert_eq!(m.verify_fingerprint(), Err(Error::MissingFingerprint));
}

#[test]
fn integrity_sha256_verifies_and_may_be_truncated() {
    let key = IntegrityKey::long_term("user", "realm", "pass");
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("user")
        .message_integrity(&key)
        .message_integrity_sha256(&key)
        .fingerprint()
        .finish()
        .unwrap();
    let m = Message::parse(&buf).unwrap();
    assert_eq!(m.verify_integrity(&key), Ok(()));
    assert_eq!(m.verify_integrity_sha256(&key), Ok(()));
    assert_eq!(m.verify_fingerprint(), Ok(()));
    assert!(m
        .verify_integrity_sha256(&IntegrityKey::long_term("user", "realm", "other"))
        .is_err());

    // The same tag cut to 16 bytes, as RFC 8489 §14.6 allows a sender to do.
    let mut plain = Vec::new();
    MessageBuilder::new(&mut plain, MessageType::BINDING_REQUEST, ID)
        .username("user")
        .message_integrity_sha256(&key)
        .finish()
        .unwrap();
    let full = Message::parse(&plain).unwrap();
    let at = full.get(AttributeType::MESSAGE_INTEGRITY_SHA256).unwrap();
    let tag = at.value[..16].to_vec();
    let mut cut = plain[..at.offset].to_vec();
    append_raw(&mut cut, 0x001c, &tag);
    // The length used by the HMAC covered 32 tag bytes; recompute the right one.
    let mut mac_input = cut[..at.offset].to_vec();
    mac_input[2..4].copy_from_slice(&((at.offset - HEADER_LEN + 4 + 16) as u16).to_be_bytes());
    let mut exact = Vec::new();
    {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&{
            use md5::{Digest, Md5};
            Md5::digest(b"user:realm:pass")
        })
        .unwrap();
        mac.update(&mac_input);
        exact.extend_from_slice(&mac.finalize().into_bytes()[..16]);
    }
    let len = cut.len();
    cut[len - 16..].copy_from_slice(&exact);
    let m = Message::parse(&cut).unwrap();
    assert_eq!(m.verify_integrity_sha256(&key), Ok(()));
    cut[len - 1] ^= 1;
    assert!(Message::parse(&cut)
        .unwrap()
        .verify_integrity_sha256(&key)
        .is_err());
}

#[test]
fn attributes_after_integrity_are_ignored() {
    let key = IntegrityKey::short_term("pass");
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("u")
        .message_integrity(&key)
        .finish()
        .unwrap();
    append_raw(&mut buf, AttributeType::SOFTWARE.0, b"hidden");
    append_raw(&mut buf, AttributeType::PRIORITY.0, &[0, 0, 0, 1]);
    append_raw(&mut buf, 0x0777, b"unknown but ignored");
    append_raw(&mut buf, AttributeType::MESSAGE_INTEGRITY.0, &[0; 20]);
    let m = Message::parse(&buf).unwrap();
    assert_eq!(m.software().unwrap(), None);
    assert_eq!(m.priority().unwrap(), None);
    assert_eq!(m.unknown_required().count(), 0);
    assert_eq!(m.attributes().count(), 2);
    // The HMAC covers only what precedes it, with the length as if it were last.
    assert_eq!(m.verify_integrity(&key), Ok(()));

    // FINGERPRINT after MESSAGE-INTEGRITY counts; nothing may follow it.
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("u")
        .message_integrity(&key)
        .fingerprint()
        .finish()
        .unwrap();
    let m = Message::parse(&buf).unwrap();
    assert_eq!(m.attributes().count(), 3);
    append_raw(&mut buf, AttributeType::SOFTWARE.0, b"late");
    assert_eq!(
        Message::parse(&buf),
        Err(Error::AfterFingerprint { attribute: 0x8022 })
    );

    // After MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts, even MESSAGE-INTEGRITY.
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("u")
        .message_integrity_sha256(&key)
        .finish()
        .unwrap();
    append_raw(&mut buf, AttributeType::MESSAGE_INTEGRITY.0, &[0; 20]);
    let m = Message::parse(&buf).unwrap();
    assert!(!m.has_integrity());
    assert_eq!(m.verify_integrity_sha256(&key), Ok(()));
}

#[test]
fn builder_refuses_misordered_or_oversized_attributes() {
    let key = IntegrityKey::short_term("pass");
    let mut buf = vec![0xaa];
    let r = MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .message_integrity(&key)
        .username("late")
        .fingerprint()
        .finish();
    assert_eq!(
        r,
        Err(Error::Order {
            attribute: 0x0006,
            after: "MESSAGE-INTEGRITY"
        })
    );
    assert_eq!(buf, [0xaa], "the partial message is removed");
    let r = MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .fingerprint()
        .message_integrity(&key)
        .finish();
    assert!(matches!(
        r,
        Err(Error::Order {
            attribute: 0x0008,
            ..
        })
    ));
    let long = "x".repeat(509);
    let r = MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username(&long)
        .finish();
    assert!(matches!(r, Err(Error::TooLong { limit: 508, .. })));
    let r = MessageBuilder::new(&mut buf, MessageType::BINDING_ERROR, ID)
        .error_code(700, "no")
        .finish();
    assert!(matches!(r, Err(Error::BadAttribute { .. })));
    let big = vec![0u8; 40_000];
    let r = MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .raw(AttributeType(0x8100), &big)
        .raw(AttributeType(0x8100), &big)
        .finish();
    assert!(matches!(
        r,
        Err(Error::TooLong {
            what: "message",
            ..
        })
    ));
    assert_eq!(buf, [0xaa]);
    // Several messages may share one buffer.
    let first = MessageBuilder::new(&mut buf, MessageType::BINDING_INDICATION, ID)
        .fingerprint()
        .finish()
        .unwrap();
    assert_eq!(first, 28);
    let m = Message::parse(&buf[1..]).unwrap();
    assert_eq!(m.verify_fingerprint(), Ok(()));
}

#[test]
fn unknown_attributes_are_reported_or_skipped() {
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .raw(AttributeType(0x0003), &[0; 4]) // CHANGE-REQUEST (RFC 5780): required, unknown
        .raw(AttributeType(0x8055), b"optional")
        .raw(AttributeType(0x7001), b"")
        .finish()
        .unwrap();
    let m = Message::parse(&buf).unwrap();
    let unknown: Vec<_> = m.unknown_required().collect();
    assert_eq!(unknown, [AttributeType(0x0003), AttributeType(0x7001)]);
    assert!(m.contains(AttributeType(0x8055)));
}

// ----- client transactions -----

fn request(id: TransactionId) -> Vec<u8> {
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, id)
        .fingerprint()
        .finish()
        .unwrap();
    buf
}

fn response(id: TransactionId, kind: MessageType, code: Option<u16>) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut b = MessageBuilder::new(&mut buf, kind, id);
    b.xor_mapped_address("198.51.100.1:4000".parse().unwrap());
    if let Some(code) = code {
        b.error_code(code, "x");
    }
    b.finish().unwrap();
    buf
}

fn peer() -> SocketAddr {
    "203.0.113.5:3478".parse().unwrap()
}

/// Runs a transaction to its end with no response, jumping from deadline to deadline, and
/// returns the send times and the end time in milliseconds from the start.
fn schedule(transport: Transport, config: ClientConfig) -> (Vec<u64>, u64) {
    let t0 = origin();
    let mut t = ClientTransaction::new(t0, peer(), transport, request(ID), config).unwrap();
    let mut sends = Vec::new();
    let mut now = t0;
    for _ in 0..100 {
        while let Some(x) = t.poll_transmit() {
            assert_eq!(x.payload.as_ref(), request(ID).as_slice());
            sends.push(now.duration_since(t0).as_millis() as u64);
        }
        if let Some(e) = t.poll_event() {
            assert_eq!(e.outcome, Outcome::Timeout);
            assert!(t.is_terminated());
            assert_eq!(t.poll_timeout(), None);
            return (sends, now.duration_since(t0).as_millis() as u64);
        }
        let next = t.poll_timeout().expect("a live transaction has a timer");
        assert!(next > now, "deadline not in the future");
        // An early wake does nothing.
        t.handle_timeout(next - Duration::from_millis(1));
        assert_eq!(t.poll_timeout(), Some(next));
        now = next;
        t.handle_timeout(now);
    }
    panic!("the transaction never ended");
}

#[test]
fn udp_retransmission_schedule() {
    let (sends, end) = schedule(Transport::Udp, ClientConfig::default());
    assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(end, 39_500);
    let fast = ClientConfig {
        rto: Duration::from_millis(100),
        max_transmissions: 3,
        final_wait: 4,
        ..ClientConfig::default()
    };
    let (sends, end) = schedule(Transport::Udp, fast);
    assert_eq!(sends, [0, 100, 300]);
    assert_eq!(end, 700);
}

#[test]
fn tcp_sends_once_and_times_out() {
    let (sends, end) = schedule(Transport::Tcp, ClientConfig::default());
    assert_eq!(sends, [0]);
    assert_eq!(end, 39_500);
}

#[test]
fn late_wakes_keep_the_schedule() {
    let t0 = origin();
    let mut t = ClientTransaction::new(
        t0,
        peer(),
        Transport::Udp,
        request(ID),
        ClientConfig::default(),
    )
    .unwrap();
    let _ = t.poll_transmit();
    t.handle_timeout(t0 + Duration::from_millis(700));
    assert!(t.poll_transmit().is_some());
    assert_eq!(
        t.timer(),
        Some((Timer::Retransmit, t0 + Duration::from_millis(1500)))
    );
    // Time going backwards is no time passing.
    t.handle_timeout(t0);
    assert!(t.poll_transmit().is_none());
    assert_eq!(t.transmissions(), 2);
    // Missing the sends due at 1500 and 3500 ms: one send, the schedule kept.
    t.handle_timeout(t0 + Duration::from_millis(4000));
    assert!(t.poll_transmit().is_some());
    assert!(t.poll_transmit().is_none());
    assert_eq!(t.transmissions(), 4);
    assert_eq!(
        t.timer(),
        Some((Timer::Retransmit, t0 + Duration::from_millis(7500)))
    );
}

#[test]
fn responses_are_matched() {
    let t0 = origin();
    let config = ClientConfig::default();
    let mut t = ClientTransaction::new(t0, peer(), Transport::Udp, request(ID), config).unwrap();
    let other = TransactionId([9; 12]);
    let stray = response(other, MessageType::BINDING_SUCCESS, None);
    assert!(!t.handle_response(t0, &Message::parse(&stray).unwrap()));
    let allocate = MessageType::new(Method::new(3).unwrap(), Class::SuccessResponse);
    let wrong_method = response(ID, allocate, None);
    assert!(!t.handle_response(t0, &Message::parse(&wrong_method).unwrap()));
    let not_a_response = request(ID);
    assert!(!t.handle_response(t0, &Message::parse(&not_a_response).unwrap()));
    let no_code = response(ID, MessageType::BINDING_ERROR, None);
    assert!(!t.handle_response(t0, &Message::parse(&no_code).unwrap()));
    assert!(t.poll_event().is_none());

    let ok = response(ID, MessageType::BINDING_SUCCESS, None);
    assert!(t.handle_response(t0, &Message::parse(&ok).unwrap()));
    let e = t.poll_event().unwrap();
    assert_eq!(e.id, ID);
    assert_eq!(e.destination, peer());
    let Outcome::Success(m) = e.outcome else {
        panic!("not a success: {e:?}");
    };
    assert_eq!(
        m.message().xor_mapped_address().unwrap(),
        Some("198.51.100.1:4000".parse().unwrap())
    );
    // A retransmitted response after the end changes nothing.
    assert!(!t.handle_response(t0, &Message::parse(&ok).unwrap()));
    assert!(t.poll_event().is_none());
    assert!(
        t.poll_transmit().is_none(),
        "an answered request is not sent"
    );
    assert!(t.is_terminated());

    let mut t = ClientTransaction::new(t0, peer(), Transport::Tcp, request(ID), config).unwrap();
    let err = response(ID, MessageType::BINDING_ERROR, Some(487));
    assert!(t.handle_response(t0, &Message::parse(&err).unwrap()));
    assert!(
        t.poll_transmit().is_none(),
        "an ended transaction sends nothing"
    );
    assert!(matches!(
        t.poll_event().unwrap().outcome,
        Outcome::ErrorResponse { code: 487, .. }
    ));
    t.handle_timeout(t0 + Duration::from_secs(100));
    assert!(t.poll_event().is_none());

    let indication = {
        let mut buf = Vec::new();
        MessageBuilder::new(&mut buf, MessageType::BINDING_INDICATION, ID)
            .finish()
            .unwrap();
        buf
    };
    assert_eq!(
        ClientTransaction::new(t0, peer(), Transport::Udp, indication, config).unwrap_err(),
        Error::NotARequest
    );
}

#[test]
fn client_holds_a_bounded_set() {
    let t0 = origin();
    let config = ClientConfig {
        max_outstanding: 3,
        ..ClientConfig::default()
    };
    let mut c = Client::new(config, SeededRandom::new(5));
    let ids: Vec<_> = (0..3)
        .map(|_| {
            let id = c.transaction_id();
            c.send_request(t0, peer(), Transport::Udp, request(id))
                .unwrap()
        })
        .collect();
    let id = c.transaction_id();
    assert_eq!(
        c.send_request(t0, peer(), Transport::Udp, request(id)),
        Err(Error::TooManyTransactions { limit: 3 })
    );
    assert_eq!(c.len(), 3);
    let sent: Vec<_> = std::iter::from_fn(|| c.poll_transmit())
        .map(|t| t.id)
        .collect();
    assert_eq!(sent, ids);

    // Stray and mismatched responses are dropped.
    let stray = response(TransactionId([0; 12]), MessageType::BINDING_SUCCESS, None);
    assert!(!c.handle_response(t0, &Message::parse(&stray).unwrap()));
    assert!(c.poll_event().is_none());

    let ok = response(ids[1], MessageType::BINDING_SUCCESS, None);
    assert!(c.handle_response(t0, &Message::parse(&ok).unwrap()));
    assert!(!c.handle_response(t0, &Message::parse(&ok).unwrap()));
    assert_eq!(c.len(), 2);
    // The undrained event still counts against the bound.
    let id = c.transaction_id();
    assert!(c
        .send_request(t0, peer(), Transport::Udp, request(id))
        .is_err());
    let e = c.poll_event().unwrap();
    assert_eq!(e.id, ids[1]);
    assert!(matches!(e.outcome, Outcome::Success(_)));

    assert!(c.cancel(ids[0]));
    assert!(!c.cancel(ids[0]));
    let dup = request(ids[2]);
    assert_eq!(
        c.send_request(t0, peer(), Transport::Udp, dup),
        Err(Error::DuplicateTransaction)
    );

    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(500)));
    c.handle_timeout(t0 + Duration::from_millis(500));
    assert_eq!(c.poll_transmit().map(|t| t.id), Some(ids[2]));
    assert!(c.poll_transmit().is_none());
    // A wake so late that the whole schedule has passed ends the transaction at once,
    // without a burst of retransmissions.
    c.handle_timeout(t0 + Duration::from_millis(39_500));
    assert!(c.poll_transmit().is_none());
    let e = c.poll_event().unwrap();
    assert_eq!((e.id, e.outcome), (ids[2], Outcome::Timeout));
    assert!(c.is_empty());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn transaction_ids_replay_with_the_seed() {
    let mut a = Client::new(ClientConfig::default(), SeededRandom::new(9));
    let mut b = Client::new(ClientConfig::default(), SeededRandom::new(9));
    let mut c = Client::new(ClientConfig::default(), SeededRandom::new(10));
    let (x, y, z) = (a.transaction_id(), b.transaction_id(), c.transaction_id());
    assert_eq!(x, y);
    assert_ne!(x, z);
}

// ----- server side -----

#[test]
fn server_accepts_and_answers_an_ice_check() {
    let key = IntegrityKey::short_term("local-pass");
    let req = ice_request(&key);
    let m = Message::parse(&req).unwrap();
    let verdict = check_request(&m, |u| u.starts_with("local:").then_some(&key));
    let Verdict::Accept { key: k } = verdict else {
        panic!("refused: {verdict:?}");
    };
    let source: SocketAddr = "[2001:db8::7]:50000".parse().unwrap();
    let mut out = Vec::new();
    let n = success_response(&mut out, &m, source, Some(k)).unwrap();
    assert_eq!(n, out.len());
    let r = Message::parse(&out).unwrap();
    assert_eq!(r.message_type(), MessageType::BINDING_SUCCESS);
    assert_eq!(r.transaction_id(), ID);
    assert_eq!(r.xor_mapped_address().unwrap(), Some(source));
    assert_eq!(r.verify_integrity(&key), Ok(()));
    assert_eq!(r.verify_fingerprint(), Ok(()));

    // 487 Role Conflict, as the ICE agent builds it.
    let mut out = Vec::new();
    error_response(&mut out, &m, ErrorCode::ROLE_CONFLICT, &[], Some(&key)).unwrap();
    let r = Message::parse(&out).unwrap();
    assert_eq!(r.message_type(), MessageType::BINDING_ERROR);
    assert_eq!(
        r.error_code().unwrap(),
        Some(ErrorCode {
            code: 487,
            reason: "Role Conflict"
        })
    );
    assert_eq!(r.verify_integrity(&key), Ok(()));
}

#[test]
fn server_rejects_what_it_must() {
    let key = IntegrityKey::short_term("local-pass");
    let lookup = |u: &str| (u == "local:remote").then_some(&key);
    let check = |bytes: &[u8]| {
        let m = Message::parse(bytes).unwrap();
        let v = check_request(&m, lookup);
        let mut out = Vec::new();
        let answered = v.respond(&mut out, &m).map(|r| {
            r.unwrap();
            Message::parse(&out)
                .unwrap()
                .error_code()
                .unwrap()
                .unwrap()
                .code
        });
        (v, answered)
    };

    // No MESSAGE-INTEGRITY, no USERNAME: 400.
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("local:remote")
        .fingerprint()
        .finish()
        .unwrap();
    assert_eq!(check(&buf).1, Some(400));
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .message_integrity(&key)
        .finish()
        .unwrap();
    assert_eq!(check(&buf).1, Some(400));

    // Unknown user, wrong password: 401 without MESSAGE-INTEGRITY.
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("stranger:remote")
        .message_integrity(&key)
        .finish()
        .unwrap();
    assert_eq!(check(&buf).1, Some(401));
    let req = ice_request(&IntegrityKey::short_term("guess"));
    let (v, code) = check(&req);
    assert_eq!(code, Some(401));
    let m = Message::parse(&req).unwrap();
    let mut out = Vec::new();
    v.respond(&mut out, &m).unwrap().unwrap();
    let r = Message::parse(&out).unwrap();
    assert!(!r.has_integrity());
    assert_eq!(r.verify_fingerprint(), Ok(()));

    // Authentic, with an unknown comprehension-required attribute: 420, protected.
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, ID)
        .username("local:remote")
        .raw(AttributeType(0x0003), &[0; 4])
        .raw(AttributeType(0x8055), b"ignored")
        .message_integrity(&key)
        .fingerprint()
        .finish()
        .unwrap();
    let m = Message::parse(&buf).unwrap();
    let v = check_request(&m, lookup);
    assert!(matches!(
        &v,
        Verdict::Reject {
            rejection: Rejection::UnknownAttributes(u),
            key: Some(_)
        } if u == &[AttributeType(0x0003)]
    ));
    let mut out = Vec::new();
    v.respond(&mut out, &m).unwrap().unwrap();
    let r = Message::parse(&out).unwrap();
    assert_eq!(r.error_code().unwrap().unwrap().code, 420);
    let listed: Vec<_> = r.unknown_attributes().unwrap().unwrap().iter().collect();
    assert_eq!(listed, [AttributeType(0x0003)]);
    assert_eq!(r.verify_integrity(&key), Ok(()));

    // A wrong FINGERPRINT or a response: dropped without an answer.
    let mut bad = ice_request(&key);
    let n = bad.len();
    bad[n - 1] ^= 1;
    let (v, code) = check(&bad);
    assert!(matches!(v, Verdict::Discard));
    assert_eq!(code, None);
    let resp = response(ID, MessageType::BINDING_SUCCESS, None);
    assert!(matches!(check(&resp).0, Verdict::Discard));
}
