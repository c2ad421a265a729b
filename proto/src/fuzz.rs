//! Fuzz entry points with their oracles, shared by the cargo-fuzz targets in `fuzz/` and by
//! the corpus replay test that runs on stable. Each function panics only when an oracle
//! fails, which is what a fuzzer reports.

use crate::sip::{Frame, Framer, Message};

/// Parses a datagram; a message that parses must validate or fail cleanly, decode every
/// typed header without panicking, and survive serialize → parse unchanged.
pub fn sip_message(data: &[u8]) {
    let Ok(m) = Message::parse(data) else {
        return;
    };
    let _ = m.validate();
    exercise(&m);
    let bytes = m.to_bytes();
    let again = Message::parse(&bytes).expect("a serialized message parses");
    assert_eq!(again, m, "parse ∘ serialize changed the message");
    assert_eq!(again.to_bytes(), bytes, "serialization is not stable");
}

/// Feeds a stream to the framer in chunks whose size the first byte picks; every framed
/// message must round-trip, and the framer's buffer must stay within its limit.
pub fn sip_framer(data: &[u8]) {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64) + 1;
    let mut framer = Framer::new();
    for chunk in stream.chunks(step) {
        framer.feed(chunk);
        while let Some(frame) = framer.next_frame() {
            if let Ok(Frame::Message(m)) = frame {
                exercise(&m);
                let bytes = m.to_bytes();
                let mut again = Framer::new();
                again.feed(&bytes);
                match again.next_frame() {
                    Some(Ok(Frame::Message(m2))) => assert_eq!(m2, m, "framed message changed"),
                    other => panic!("a serialized message does not frame again: {other:?}"),
                }
            }
        }
        assert!(
            framer.buffered() <= 64 * 1024 + step,
            "framer buffer exceeds its limit"
        );
    }
}

/// Parses an SDP body; one that parses must survive serialize → parse unchanged.
pub fn sdp(data: &[u8]) {
    let Ok(s) = crate::sdp::Session::parse(data) else {
        return;
    };
    let bytes = s.to_bytes();
    let again = crate::sdp::Session::parse(&bytes).expect("a serialized SDP parses");
    assert_eq!(again, s, "parse ∘ serialize changed the session");
}

/// Parses a conference-info document. One that parses must survive `to_xml` → parse
/// unchanged; taken as the next partial notification of a view built from itself, it must
/// apply, and the merged view must survive `to_xml` → parse too.
pub fn conference_info(data: &[u8]) {
    use crate::payloads::conference::{ConferenceInfo, State};

    let Ok(info) = ConferenceInfo::parse(data) else {
        return;
    };
    let xml = info.to_xml();
    let again = ConferenceInfo::parse(xml.as_bytes()).expect("a serialized document parses");
    assert_eq!(again, info, "parse ∘ to_xml changed the document");

    let mut view = ConferenceInfo {
        state: State::Full,
        version: Some(1),
        ..info.clone()
    };
    let update = ConferenceInfo {
        state: State::Partial,
        version: Some(2),
        ..info
    };
    view.apply(update)
        .expect("the next partial version of the same conference applies");
    assert_eq!((view.state, view.version), (State::Full, Some(2)));
    let merged = ConferenceInfo::parse(view.to_xml().as_bytes()).expect("a merged view parses");
    assert_eq!(merged, view, "parse ∘ to_xml changed the merged view");
}

/// Decodes every header field with its typed form and reads what an application reads; the
/// core typed values must survive `Display` → parse.
fn exercise(m: &Message) {
    use crate::sip::headers::*;
    for f in m.headers().iter() {
        let _ = check_field(&f);
    }
    macro_rules! round_trip {
        ($($t:ty),*) => {$(
            for v in m.headers().typed::<$t>().flatten() {
                let text = v.to_string();
                let again = <$t>::parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
                assert_eq!(again, v, "{text:?} does not round-trip");
            }
        )*};
    }
    round_trip!(
        Via<'_>,
        FromHeader<'_>,
        ToHeader<'_>,
        CallId<'_>,
        Cseq,
        Contact<'_>,
        Route<'_>,
        RecordRoute<'_>,
        ContentType<'_>,
        MaxForwards
    );
    for v in m.via().flatten() {
        let _ = (v.branch(), v.rport(), v.received(), v.ttl());
    }
    for c in m.contact().flatten() {
        let _ = (c.expires(), c.q(), c.sip_instance(), c.pub_gruu());
        if let Some(u) = c.uri() {
            let _ = (
                u.user_unescaped(),
                u.host_kind(),
                u.transport(),
                u.equivalent(u),
            );
        }
    }
    if let Some(Ok(ct)) = m.content_type() {
        let _ = crate::sip::multipart::Multipart::parse(&ct, m.body());
        if ct.is("application", "sdp") {
            let _ = crate::sdp::Session::parse(m.body());
        }
    }
}

/// Feeds an endpoint a sequence of operations read from `data`: received datagrams (from
/// two peers, over UDP or a stream connection), time steps, requests to send, responses
/// from the user, cancels and connection reports. Oracles: no panic, no deadline in the
/// past, and every transaction gone once enough time has passed. `t0` is the origin of the
/// virtual time (the caller reads a clock; this module never does).
pub fn endpoint(t0: std::time::Instant, data: &[u8]) {
    use std::time::Duration;

    use crate::endpoint::{Endpoint, EndpointConfig, Event, TransportKind};
    use crate::rand::SeededRandom;
    use crate::sip::{Address, Method, RequestBuilder, Response, StatusCode, Uri};

    let mut now = t0;
    let mut e = Endpoint::new(EndpointConfig::default(), SeededRandom::new(1));
    let local = std::net::SocketAddr::from(([192, 0, 2, 1], 5060));
    e.add_transport(TransportKind::Udp, local);
    e.add_transport(TransportKind::Tcp, local);
    let peers = [
        std::net::SocketAddr::from(([198, 51, 100, 7], 5060)),
        std::net::SocketAddr::from(([198, 51, 100, 8], 40000)),
    ];
    let mut requests = Vec::new();
    let mut clients = Vec::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 8 {
            // A datagram of the next `len` bytes.
            0..=2 => {
                let len = usize::from(rest.first().copied().unwrap_or(0)) * 8;
                let body = rest.get(1..).unwrap_or_default();
                let n = len.min(body.len());
                let (msg, tail) = body.split_at(n);
                rest = tail;
                let transport = if op & 0x10 == 0 {
                    TransportKind::Udp
                } else {
                    TransportKind::Tcp
                };
                e.handle_message(now, peers[usize::from(op >> 7)], transport, None, msg);
            }
            3 => now += Duration::from_millis(u64::from(op) * 97),
            4 => {
                let uri: Uri<'static> = "sip:bob@198.51.100.7".parse().expect("a valid URI");
                let method = [Method::Invite, Method::Message, Method::Options]
                    [usize::from(op >> 6) % 3]
                    .clone();
                let req = RequestBuilder::new(method, uri.clone())
                    .from(Address::new(uri.clone()).with_tag("f"))
                    .to(Address::new(uri))
                    .call_id("fuzz")
                    .cseq(1)
                    .build();
                if let Ok(tx) = e.send_request(now, req, peers[0], TransportKind::Udp) {
                    clients.push(tx);
                }
            }
            5 => {
                if let Some((tx, req)) = requests.pop() {
                    let code = [100u16, 180, 200, 486][usize::from(op >> 6)];
                    let status = StatusCode::new(code).expect("a valid status code");
                    let _ = e.respond(
                        now,
                        tx,
                        &Response::for_request(&req, status).with_to_tag("t"),
                    );
                }
            }
            6 => {
                if let Some(&tx) = clients.last() {
                    let _ = e.cancel(now, tx);
                }
            }
            _ => {
                if let Some(crate::endpoint::Action::Connect { id, .. }) = e.poll_action() {
                    if op & 0x80 == 0 {
                        e.handle_connection_up(id);
                    } else {
                        e.handle_connection_failed(now, id);
                    }
                }
            }
        }
        e.handle_timeout(now);
        while e.poll_transmit().is_some() {}
        while let Some(ev) = e.poll_event() {
            if let Event::Request { tx, request, .. } = ev {
                requests.push((tx, request));
            }
        }
        if let Some(deadline) = e.poll_timeout() {
            assert!(deadline >= t0, "a deadline before the start");
        }
    }
    // Every transaction ends within 64*T1 plus T4 and the D wait once nothing new arrives,
    // except INVITE server transactions the user never answered (the user's to end).
    for (tx, req) in requests.drain(..) {
        let ok = Response::for_request(&req, StatusCode::OK).with_to_tag("t");
        let _ = e.respond(now, tx, &ok);
    }
    for _ in 0..64 {
        let Some(deadline) = e.poll_timeout() else {
            break;
        };
        now = now.max(deadline);
        e.handle_timeout(now);
        while e.poll_transmit().is_some() {}
        while e.poll_event().is_some() {}
    }
    let (client, _) = e.transaction_count();
    // Client INVITEs that got a provisional response wait for their user (Timer C is the
    // session's); all others are gone.
    assert!(client <= clients.len(), "client transactions leaked");
}

/// Drives a DNS lookup with operations read from `data`. The first byte picks the lookup (a
/// SIP proxy for one of several URIs, a service, an XCAP server) and whether the NS step
/// runs; each operation after it is one byte: `0x00..=0x3f` a time step of that many 100 ms;
/// `0x40..=0x7f` a raw answer of the next `len` bytes; `0x80..=0xbf` the same with the id of
/// the last query sent; `0xc0..` the last query turned into a response (QR set, the answer
/// count and RCODE from the operation byte) followed by the next `len` bytes as records.
/// Oracles: no panic, no deadline in the past, at most one end event per lookup, and no
/// lookup left running once its lifetime has passed. `t0` is the origin of virtual time.
pub fn dns_lookup(t0: std::time::Instant, data: &[u8]) {
    use std::time::Duration;

    use crate::dns::{DnsLookup, Event, LookupConfig, Service};
    use crate::endpoint::TransportKind;
    use crate::rand::SeededRandom;
    use crate::sip::Uri;

    let Some((&kind, mut rest)) = data.split_first() else {
        return;
    };
    let config = LookupConfig {
        authoritative_first: kind & 0x80 != 0,
        ipv6: kind & 0x40 != 0,
        ..LookupConfig::default()
    };
    let lifetime = config.lifetime;
    let nameservers = vec![
        std::net::SocketAddr::from(([192, 0, 2, 53], 53)),
        std::net::SocketAddr::from(([192, 0, 2, 54], 53)),
    ];
    let mut lookup = DnsLookup::new(config, nameservers, SeededRandom::new(u64::from(kind)));
    let uris = [
        "sip:example.com",
        "sips:example.com",
        "sip:example.com;transport=tcp",
        "sip:sip.example.com:5070",
        "sip:192.0.2.1",
    ];
    let uri: Uri<'static> = uris[usize::from(kind & 0x0f) % uris.len()]
        .parse()
        .expect("a valid URI");
    let transports = [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls];
    let started = match (kind >> 4) & 0x03 {
        0 | 1 => lookup.lookup_sip_proxy(t0, &uri, &transports),
        2 => lookup.lookup_service(t0, &uri, Service::Stun),
        _ => lookup.lookup_xcap_server(t0, &uri),
    };
    started.expect("a fresh lookup object is idle");
    let mut now = t0;
    let mut last = None;
    let mut ends = 0;
    let take = |rest: &mut &[u8]| -> Vec<u8> {
        let (&len, tail) = rest.split_first().unwrap_or((&0, &[]));
        let n = usize::from(len).min(tail.len());
        let (bytes, tail) = tail.split_at(n);
        *rest = tail;
        bytes.to_vec()
    };
    loop {
        while let Some(t) = lookup.poll_transmit() {
            last = Some(t);
        }
        while let Some(event) = lookup.poll_event() {
            if matches!(event, Event::DidSucceed(_) | Event::DidFail(_)) {
                ends += 1;
            }
        }
        assert!(ends <= 1, "a lookup ended twice");
        if let Some(deadline) = lookup.poll_timeout() {
            assert!(deadline >= now, "deadline in the past");
        }
        if now >= t0 + lifetime {
            assert!(!lookup.is_running(), "a lookup outlived its lifetime");
        }
        let Some((&op, tail)) = rest.split_first() else {
            break;
        };
        rest = tail;
        match op {
            0x00..=0x3f => {
                now += Duration::from_millis(u64::from(op) * 100);
                lookup.handle_timeout(now);
            }
            0x40..=0xbf => {
                let mut bytes = take(&mut rest);
                if let (true, Some(t), true) = (op >= 0x80, &last, bytes.len() >= 2) {
                    bytes[..2].copy_from_slice(&t.id.to_be_bytes());
                }
                let _ = lookup.handle_answer(now, &bytes);
            }
            _ => {
                let records = take(&mut rest);
                if let Some(t) = &last {
                    let mut bytes = t.bytes.clone();
                    bytes[2] |= 0x80;
                    bytes[3] = op & 0x0f;
                    bytes[7] = (op >> 4) & 0x03;
                    bytes.extend_from_slice(&records);
                    let _ = lookup.handle_answer(now, &bytes);
                }
            }
        }
    }
}

/// Parses a STUN datagram. A message that parses must be recognized by `is_stun`, decode
/// every attribute or fail cleanly, survive building again from its decoded attributes
/// unchanged, answer the integrity and fingerprint checks without panicking, and, taken as
/// a request by the server helper, get an answer that parses; taken as a response, a client
/// transaction must end at most once. `t0` is the origin of the virtual time (the caller
/// reads a clock; this module never does).
pub fn stun(t0: std::time::Instant, data: &[u8]) {
    use crate::stun::{
        check_request, success_response, Attribute, Class, ClientConfig, ClientTransaction, Error,
        IntegrityKey, Message, MessageBuilder, MessageType, RawAttribute, Transport, Verdict,
    };

    let Ok(m) = Message::parse(data) else {
        return;
    };
    assert!(crate::stun::is_stun(data), "a parsed message is not STUN");
    let key = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
    let _ = (m.verify_integrity(&key), m.verify_integrity_sha256(&key));
    let _ = m.verify_fingerprint();
    let _ = (
        m.username(),
        m.realm(),
        m.nonce(),
        m.software(),
        m.error_code(),
    );
    let _ = (
        m.xor_mapped_address(),
        m.mapped_address(),
        m.unknown_attributes(),
    );
    let _ = (
        m.priority(),
        m.ice_controlling(),
        m.ice_controlled(),
        m.use_candidate(),
    );
    assert!(m.unknown_required().all(|k| k.is_comprehension_required()));

    // Build the decodable attributes again; they must decode to the same values.
    let normalize = |a: Attribute<'_>| match a {
        Attribute::Other(r) => format!("{:?}", RawAttribute { offset: 0, ..r }),
        other => format!("{other:?}"),
    };
    let decoded: Vec<Attribute<'_>> = m.decoded().filter_map(Result::ok).collect();
    let mut buf = Vec::new();
    let mut b = MessageBuilder::new(&mut buf, m.message_type(), m.transaction_id());
    for a in &decoded {
        b.attribute(a);
    }
    match b.finish() {
        Ok(_) => {
            let again = Message::parse(&buf).expect("a built message parses");
            let redecoded: Vec<String> = again
                .decoded()
                .map(|a| normalize(a.expect("a built attribute decodes")))
                .collect();
            let original: Vec<String> = decoded.iter().copied().map(normalize).collect();
            assert_eq!(redecoded, original, "decode ∘ build changed the attributes");
        }
        // Text longer than the builder allows may still arrive.
        Err(Error::TooLong { .. }) => {}
        Err(e) => panic!("building decoded attributes failed: {e}"),
    }

    // The server helper answers every request it does not drop.
    let source = std::net::SocketAddr::from(([192, 0, 2, 1], 32853));
    let verdict = check_request(&m, |_| Some(&key));
    let mut out = Vec::new();
    match &verdict {
        Verdict::Accept { key } => {
            success_response(&mut out, &m, source, Some(key)).expect("a response fits");
        }
        Verdict::Reject { .. } => {
            verdict
                .respond(&mut out, &m)
                .expect("a rejection answers")
                .expect("a response fits");
        }
        Verdict::Discard => {}
    }
    if !out.is_empty() {
        let r = Message::parse(&out).expect("a response parses");
        assert_eq!(r.transaction_id(), m.transaction_id());
        assert!(matches!(
            r.class(),
            Class::SuccessResponse | Class::ErrorResponse
        ));
    }

    // As a response to a Binding request with the same id.
    let mut req = Vec::new();
    MessageBuilder::new(&mut req, MessageType::BINDING_REQUEST, m.transaction_id())
        .finish()
        .expect("an empty request fits");
    let peer = std::net::SocketAddr::from(([198, 51, 100, 7], 3478));
    let mut t = ClientTransaction::new(t0, peer, Transport::Udp, req, ClientConfig::default())
        .expect("a Binding request starts a transaction");
    let _ = t.poll_transmit();
    let ended = t.handle_response(t0, &m);
    assert_eq!(
        ended,
        matches!(m.class(), Class::SuccessResponse)
            || (m.class() == Class::ErrorResponse && matches!(m.error_code(), Ok(Some(_))))
    );
    assert_eq!(t.poll_event().is_some(), ended);
    assert!(!t.handle_response(t0, &m), "a transaction ended twice");
    assert!(t.poll_event().is_none());
}
