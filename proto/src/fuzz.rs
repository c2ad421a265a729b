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
    let answers = m.method() == crate::stun::Method::BINDING
        && (m.class() == Class::SuccessResponse
            || (m.class() == Class::ErrorResponse && matches!(m.error_code(), Ok(Some(_)))));
    assert_eq!(ended, answers, "response matching");
    assert_eq!(t.poll_event().is_some(), ended);
    assert!(!t.handle_response(t0, &m), "a transaction ended twice");
    assert!(t.poll_event().is_none());
}

/// SRTP and SRTCP with one fixed key per profile. The first byte picks the profile (bits 0–1),
/// an MKI (bit 2), RTCP instead of RTP (bit 3) and unencrypted SRTCP (bit 4); the rest is a
/// packet. Unprotecting it must fail cleanly and leave it unchanged (nobody can forge the
/// tag), and when it protects as a plaintext packet, the result must unprotect back to it,
/// be refused as a duplicate when replayed, and be refused with any one byte flipped.
pub fn srtp_unprotect(data: &[u8]) {
    use crate::srtp::{Error, MasterKey, Profile, SrtpContext};

    let Some((&mode, packet)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(mode & 3)];
    let rtcp = mode & 8 != 0;
    let mut key = MasterKey::new(
        profile,
        &[0x42; 32][..profile.master_key_len()],
        &[0x24; 14][..profile.master_salt_len()],
    )
    .expect("lengths of the profile");
    if mode & 4 != 0 {
        key = key.with_mki(&[0, 1]).expect("a 2-byte MKI");
    }
    let context = || SrtpContext::new(profile, vec![key.clone()]).expect("one key");
    let unprotect = |ctx: &mut SrtpContext, p: &mut Vec<u8>| {
        if rtcp {
            ctx.unprotect_rtcp(p)
        } else {
            ctx.unprotect_rtp(p)
        }
    };

    let mut rx = context();
    let mut bytes = packet.to_vec();
    let result = unprotect(&mut rx, &mut bytes);
    assert!(result.is_err(), "unprotected a packet nobody protected");
    assert_eq!(bytes, packet, "a refused packet was changed");

    let mut tx = context().with_rtcp_encryption(mode & 16 == 0);
    let mut protected = packet.to_vec();
    let sent = if rtcp {
        tx.protect_rtcp(&mut protected)
    } else {
        tx.protect_rtp(&mut protected)
    };
    if sent.is_err() {
        assert_eq!(protected, packet, "a refused packet was changed");
        return;
    }
    let mut back = protected.clone();
    unprotect(&mut rx, &mut back).expect("a protected packet unprotects");
    assert_eq!(back, packet, "protect ∘ unprotect changed the packet");
    let mut again = protected.clone();
    assert!(
        matches!(unprotect(&mut rx, &mut again), Err(Error::Duplicate { .. })),
        "a replayed packet was accepted"
    );
    let flip = usize::from(mode) * 7 % protected.len();
    let mut forged = protected;
    forged[flip] ^= 0x01;
    assert!(
        unprotect(&mut context(), &mut forged).is_err(),
        "a packet with byte {flip} flipped was accepted"
    );
}

/// Parses an RTP packet and walks every accessor and extension element; one that parses is
/// rebuilt from its fields (extension kept raw, padding of the same length) and must parse
/// back to the same fields and payload. The payload, when 4 bytes or more, is also fed to the
/// telephone-event parser and a receiver, whose virtual time starts at `t0`.
pub fn rtp(t0: std::time::Instant, data: &[u8]) {
    use crate::rtp::{Extension, RtpBuilder, RtpPacket};

    let Ok(p) = RtpPacket::parse(data) else {
        return;
    };
    let csrcs: Vec<u32> = p.csrcs().collect();
    let ext = p.extension();
    if let Some(e) = ext {
        // The walk ends within the block, and stops after an error.
        let mut walk = e.elements();
        let mut steps = 0;
        while let Some(el) = walk.next() {
            steps += 1;
            assert!(steps <= e.data().len(), "more elements than bytes");
            match el {
                Ok(el) => assert!(el.data.len() <= e.data().len(), "element beyond its block"),
                Err(_) => assert!(walk.next().is_none(), "elements after an error"),
            }
        }
    }
    let padding = u8::try_from(p.padding_len()).expect("padding count is one byte");
    let mut b = RtpBuilder::new(p.payload_type(), p.sequence(), p.timestamp(), p.ssrc())
        .marker(p.marker())
        .csrcs(&csrcs)
        .padding(padding)
        .payload(p.payload());
    if let Some(e) = ext {
        b = b.extension(Extension::Raw {
            profile: e.profile(),
            data: e.data(),
        });
    }
    let mut buf = vec![0u8; data.len()];
    let n = b.write(&mut buf).expect("a parsed packet rebuilds");
    assert_eq!(n, data.len(), "rebuilt length differs");
    let q = RtpPacket::parse(&buf).expect("a rebuilt packet parses");
    assert_eq!(
        (
            q.marker(),
            q.payload_type(),
            q.sequence(),
            q.timestamp(),
            q.ssrc()
        ),
        (
            p.marker(),
            p.payload_type(),
            p.sequence(),
            p.timestamp(),
            p.ssrc()
        )
    );
    assert!(q.csrcs().eq(p.csrcs()), "CSRCs changed");
    assert_eq!(q.extension(), p.extension(), "extension changed");
    assert_eq!(q.payload(), p.payload(), "payload changed");
    assert_eq!(q.padding_len(), p.padding_len(), "padding changed");

    let now = t0;
    let mut r = crate::rtp::DtmfReceiver::new(crate::rtp::DtmfReceiverConfig::default());
    let _ = r.handle_rtp(now, &p);
    let _ = r.handle_rtp(now, &p);
    r.handle_timeout(now + std::time::Duration::from_secs(1));
    assert!(
        r.poll_event().is_some() == (p.payload().len() >= 4),
        "event count"
    );
    assert!(r.poll_event().is_none(), "an event reported twice");
}

/// Parses an RTCP compound and walks every packet; each SR, RR, SDES, BYE and APP is written
/// again on its own (reduced-size) and must parse back to the same fields.
pub fn rtcp(data: &[u8]) {
    use crate::rtp::{Compound, RtcpPacket, RtcpWriter, SdesItem};

    let Ok(c) = Compound::parse(data) else {
        return;
    };
    let _ = c.is_reduced_size();
    let mut buf = vec![0u8; data.len() + 4];
    for p in c.packets() {
        let mut w = RtcpWriter::reduced_size(&mut buf);
        match p {
            RtcpPacket::SenderReport(sr) => {
                let blocks: Vec<_> = sr.report_blocks().collect();
                w.sender_report(sr.ssrc(), &sr.sender_info(), &blocks)
                    .expect("an SR rewrites");
            }
            RtcpPacket::ReceiverReport(rr) => {
                let blocks: Vec<_> = rr.report_blocks().collect();
                w.receiver_report(rr.ssrc(), &blocks)
                    .expect("an RR rewrites");
            }
            RtcpPacket::Sdes(s) => {
                let chunks: Vec<(u32, Vec<SdesItem<'_>>)> = s
                    .chunks()
                    .map(|c| (c.ssrc(), c.items().collect()))
                    .collect();
                let refs: Vec<(u32, &[SdesItem<'_>])> =
                    chunks.iter().map(|(s, i)| (*s, &i[..])).collect();
                w.sdes(&refs).expect("an SDES rewrites");
            }
            RtcpPacket::Bye(b) => {
                let sources: Vec<u32> = b.sources().collect();
                w.bye(&sources, b.reason()).expect("a BYE rewrites");
            }
            RtcpPacket::App(a) => {
                // APP data need not be word-aligned when padding was stripped: skip those.
                if a.data().len() % 4 != 0 {
                    continue;
                }
                w.app(a.subtype(), a.ssrc(), a.name(), a.data())
                    .expect("an APP rewrites");
            }
            RtcpPacket::Unknown(_) => continue,
        }
        let n = w.finish().expect("one packet written");
        let again = Compound::parse(&buf[..n]).expect("a rewritten packet parses");
        let q = again.packets().next().expect("one packet");
        match (p, q) {
            (RtcpPacket::SenderReport(a), RtcpPacket::SenderReport(b)) => {
                assert_eq!(a.ssrc(), b.ssrc());
                assert_eq!(a.sender_info(), b.sender_info());
                assert!(a.report_blocks().eq(b.report_blocks()), "SR blocks changed");
            }
            (RtcpPacket::ReceiverReport(a), RtcpPacket::ReceiverReport(b)) => {
                assert_eq!(a.ssrc(), b.ssrc());
                assert!(a.report_blocks().eq(b.report_blocks()), "RR blocks changed");
            }
            (RtcpPacket::Sdes(a), RtcpPacket::Sdes(b)) => {
                assert!(
                    a.chunks()
                        .zip(b.chunks())
                        .all(|(x, y)| x.ssrc() == y.ssrc() && x.items().eq(y.items())),
                    "SDES changed"
                );
                assert_eq!(a.chunks().count(), b.chunks().count());
            }
            (RtcpPacket::Bye(a), RtcpPacket::Bye(b)) => {
                assert!(a.sources().eq(b.sources()), "BYE sources changed");
                assert_eq!(a.reason(), b.reason());
            }
            (RtcpPacket::App(a), RtcpPacket::App(b)) => assert_eq!(a, b),
            (a, b) => panic!("packet type changed: {a:?} → {b:?}"),
        }
    }
}

/// An ICE agent driven by the input as a script of steps: time passing, arbitrary datagrams
/// from the peer or from elsewhere, and checks built with the right credentials whose role,
/// tie-breaker, priority and nomination the input picks (so that the agent's deeper states
/// are reached). Oracles: no panic; after `handle_timeout(now)` no deadline is left at or
/// before `now` (a past deadline would spin a driver); transmits and events stay bounded.
pub fn ice_agent(t0: std::time::Instant, data: &[u8]) {
    use std::net::SocketAddr;
    use std::time::Duration;

    use crate::ice::{Candidate, IceAgent, IceConfig, Role};
    use crate::rand::SeededRandom;
    use crate::stun::{IntegrityKey, MessageBuilder, MessageType, TransactionId};

    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let role = if mode & 1 == 0 {
        Role::Controlling
    } else {
        Role::Controlled
    };
    let mut config = IceConfig::new(role, 1 + u16::from(mode >> 1 & 1));
    config.lite = mode & 4 != 0;
    if mode & 8 != 0 {
        config.stun_servers = vec![SocketAddr::from(([192, 0, 2, 99], 3478))];
    }
    let components = config.components;
    let local = SocketAddr::from(([10, 0, 0, 1], 1000));
    let peer = SocketAddr::from(([10, 0, 0, 2], 2000));
    let mut agent = IceAgent::new(t0, SeededRandom::new(u64::from(mode)), config);
    agent.add_host(1, local).expect("a first host");
    if components == 2 {
        agent
            .add_host(2, SocketAddr::from(([10, 0, 0, 1], 1001)))
            .expect("a second host");
    }
    agent.gather(t0);
    let peer_pwd = "peerpasswordpeerpassword";
    let remote = vec![Candidate::host(peer, 1, 65535, "1".to_owned())];
    agent
        .set_remote(t0, "peer", peer_pwd, mode & 16 != 0, remote)
        .expect("valid credentials");
    let (ufrag, _) = agent.local_credentials();
    let ufrag = ufrag.to_owned();
    let key = IntegrityKey::short_term(agent.local_credentials().1);
    let _ = peer_pwd;
    let mut now = t0;
    let mut outputs = 0usize;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let take = |rest: &mut &[u8], n: usize| {
            let (a, b) = rest.split_at(n.min(rest.len()));
            *rest = b;
            a.to_vec()
        };
        match op % 4 {
            0 => {
                let step = take(&mut rest, 1).first().copied().unwrap_or(0);
                now += Duration::from_millis(u64::from(step) * 20);
                agent.handle_timeout(now);
                assert!(
                    agent.poll_timeout().is_none_or(|t| t > now),
                    "a deadline left in the past"
                );
            }
            1 | 2 => {
                let len = usize::from(take(&mut rest, 1).first().copied().unwrap_or(0));
                let bytes = take(&mut rest, len);
                let from = if op % 4 == 1 {
                    peer
                } else {
                    SocketAddr::from(([10, 0, 0, 3], u16::from(op)))
                };
                let _ = agent.handle_packet(now, local, from, &bytes);
            }
            _ => {
                let p = take(&mut rest, 9);
                let mut id = [0u8; 12];
                id[..p.len().min(12)].copy_from_slice(&p[..p.len().min(12)]);
                let flags = p.first().copied().unwrap_or(0);
                let tie = p.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
                let mut buf = Vec::new();
                let username = format!("{ufrag}:peer");
                let mut b =
                    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(id));
                b.username(&username).priority(u32::from(flags) << 16 | 1);
                if flags & 1 != 0 {
                    b.ice_controlling(tie);
                } else {
                    b.ice_controlled(tie);
                }
                if flags & 2 != 0 {
                    b.use_candidate();
                }
                b.message_integrity(&key).fingerprint();
                if b.finish().is_ok() {
                    let from = if flags & 4 != 0 {
                        peer
                    } else {
                        SocketAddr::from(([10, 0, 0, 4], u16::from(flags)))
                    };
                    assert!(
                        agent.handle_packet(now, local, from, &buf),
                        "a check is STUN"
                    );
                }
            }
        }
        while agent.poll_transmit().is_some() {
            outputs += 1;
        }
        while agent.poll_event().is_some() {
            outputs += 1;
        }
        assert!(
            outputs <= 64 * (data.len() + 16),
            "outputs grow without bound"
        );
    }
}
