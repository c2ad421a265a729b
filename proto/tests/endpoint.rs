//! The endpoint as a UA core sees it: Via handling, transaction routing, absorption of
//! retransmissions and strays, the answers it gives by itself, CANCEL, and connections.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::*;
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::headers::{Allow, Cseq, HeaderName, Unsupported, Via};
use sipsimple_proto::sip::{
    Address, Message, Method, Request, RequestBuilder, Response, StatusCode, Uri,
};

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

const LOCAL: &str = "192.0.2.10:5060";
const PEER: &str = "198.51.100.7:5060";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn endpoint() -> Endpoint<SeededRandom> {
    let mut e = Endpoint::new(EndpointConfig::default(), SeededRandom::new(7));
    e.add_transport(TransportKind::Udp, addr(LOCAL));
    e.add_transport(TransportKind::Tcp, addr(LOCAL));
    e
}

/// A request as a peer would send it, with its own Via.
fn peer_request(method: Method, branch: &str, to_tag: Option<&str>) -> Request {
    let uri: Uri<'static> = "sip:alice@192.0.2.10".parse().unwrap();
    let mut to = Address::new(uri.clone());
    if let Some(t) = to_tag {
        to.set_tag(t);
    }
    RequestBuilder::new(method, uri)
        .via(&Via::new("UDP", "10.0.0.1", Some(5060), branch))
        .from(Address::new("sip:bob@biloxi.example.com".parse().unwrap()).with_tag("b1"))
        .to(to)
        .call_id("call-1@biloxi")
        .cseq(10)
        .build()
}

fn our_request(method: Method) -> Request {
    let uri: Uri<'static> = "sip:bob@biloxi.example.com".parse().unwrap();
    RequestBuilder::new(method, uri.clone())
        .from(Address::new("sip:alice@atlanta.example.com".parse().unwrap()).with_tag("a1"))
        .to(Address::new(uri))
        .call_id("call-2@atlanta")
        .cseq(1)
        .build()
}

fn transmits(e: &mut Endpoint<SeededRandom>) -> Vec<Transmit> {
    std::iter::from_fn(|| e.poll_transmit()).collect()
}

fn events(e: &mut Endpoint<SeededRandom>) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

fn parse(t: &Transmit) -> Message {
    Message::parse(&t.payload).unwrap()
}

fn status(t: &Transmit) -> u16 {
    parse(t).as_response().unwrap().status().code()
}

fn receive(e: &mut Endpoint<SeededRandom>, now: Instant, m: &impl ToBytes) {
    e.handle_message(now, addr(PEER), TransportKind::Udp, None, &m.bytes());
}

trait ToBytes {
    fn bytes(&self) -> Vec<u8>;
}

impl ToBytes for Request {
    fn bytes(&self) -> Vec<u8> {
        self.to_bytes()
    }
}

impl ToBytes for Response {
    fn bytes(&self) -> Vec<u8> {
        self.to_bytes()
    }
}

#[test]
fn outgoing_requests_get_a_via_with_branch_and_rport() {
    let t0 = origin();
    let mut e = endpoint();
    let tx = e
        .send_request(
            t0,
            our_request(Method::Options),
            addr(PEER),
            TransportKind::Udp,
        )
        .unwrap();
    let out = transmits(&mut e);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].destination, addr(PEER));
    let m = parse(&out[0]);
    let via = m.top_via().unwrap();
    assert_eq!(via.transport(), "UDP");
    assert_eq!((via.host(), via.port()), ("192.0.2.10", Some(5060)));
    assert!(via.has_rfc3261_branch());
    assert_eq!(via.rport(), Some(None));
    assert_eq!(m.max_forwards().unwrap().unwrap().0, 70);
    // The response comes back; a retransmission of it and a stray are absorbed.
    let req = m.as_request().unwrap().clone();
    let ok = Response::for_request(&req, StatusCode::OK).with_to_tag("x");
    receive(&mut e, t0 + Duration::from_millis(20), &ok);
    receive(&mut e, t0 + Duration::from_millis(30), &ok);
    let mut stray = ok.clone();
    stray.headers_mut().set(
        HeaderName::Via,
        "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnotours",
    );
    receive(&mut e, t0 + Duration::from_millis(40), &stray);
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        matches!(&ev[0], Event::Response { tx: t, response } if *t == tx && response.status().code() == 200)
    );
}

#[test]
fn incoming_requests_surface_once_and_retransmissions_get_the_last_response() {
    let t0 = origin();
    let mut e = endpoint();
    let req = peer_request(Method::Message, "z9hG4bKm1", None);
    receive(&mut e, t0, &req);
    let ev = events(&mut e);
    let Event::Request {
        tx,
        request,
        source,
        transport,
    } = &ev[0]
    else {
        panic!("{ev:?}")
    };
    assert_eq!((*source, *transport), (addr(PEER), TransportKind::Udp));
    // §18.2.1: the sent-by differs from the source, so `received` is added.
    let via = Message::Request(request.clone())
        .top_via()
        .unwrap()
        .into_owned();
    assert_eq!(via.received(), Some("198.51.100.7"));
    receive(&mut e, t0 + Duration::from_millis(500), &req);
    assert!(
        events(&mut e).is_empty(),
        "a retransmission is not a new request"
    );
    assert!(
        transmits(&mut e).is_empty(),
        "nothing to repeat before the user answers"
    );
    let ok = Response::for_request(request, StatusCode::OK).with_to_tag("t1");
    e.respond(t0 + Duration::from_millis(600), *tx, &ok)
        .unwrap();
    let out = transmits(&mut e);
    assert_eq!(out.len(), 1);
    // No rport: the response goes to the source IP and the sent-by port.
    assert_eq!(out[0].destination, addr("198.51.100.7:5060"));
    receive(&mut e, t0 + Duration::from_millis(900), &req);
    assert_eq!(
        transmits(&mut e).iter().map(status).collect::<Vec<_>>(),
        [200]
    );
    assert!(events(&mut e).is_empty());
}

#[test]
fn rport_sends_responses_back_to_the_source_port() {
    let t0 = origin();
    let mut e = endpoint();
    let mut req = peer_request(Method::Message, "z9hG4bKnat", None);
    req.headers_mut().set(
        HeaderName::Via,
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnat;rport",
    );
    e.handle_message(
        t0,
        addr("198.51.100.7:40000"),
        TransportKind::Udp,
        None,
        &req.to_bytes(),
    );
    let ev = events(&mut e);
    let Event::Request { tx, request, .. } = &ev[0] else {
        panic!()
    };
    let via = Message::Request(request.clone())
        .top_via()
        .unwrap()
        .into_owned();
    assert_eq!(via.rport(), Some(Some(40000)));
    assert_eq!(via.received(), Some("198.51.100.7"));
    let ok = Response::for_request(request, StatusCode::OK).with_to_tag("t1");
    e.respond(t0, *tx, &ok).unwrap();
    assert_eq!(transmits(&mut e)[0].destination, addr("198.51.100.7:40000"));
}

fn answer_to(e: &mut Endpoint<SeededRandom>, req: &Request) -> (Vec<Transmit>, Vec<Event>) {
    receive(e, origin(), req);
    (transmits(e), events(e))
}

#[test]
fn the_core_answers_what_it_must() {
    let mut e = endpoint();
    // 405 with Allow for a known method we do not handle.
    let (out, ev) = answer_to(&mut e, &peer_request(Method::Publish, "z9hG4bKa", None));
    assert!(ev.is_empty());
    let m = parse(&out[0]);
    assert_eq!(m.as_response().unwrap().status().code(), 405);
    assert!(m
        .headers()
        .typed::<Allow>()
        .any(|a| a.unwrap().0 == Method::Invite));
    // 501 for an unknown method.
    let (out, _) = answer_to(
        &mut e,
        &peer_request(Method::from_token("FOO").unwrap(), "z9hG4bKb", None),
    );
    assert_eq!(status(&out[0]), 501);
    // 416 for an unknown Request-URI scheme (RFC 4475 §3.3.2).
    let mut odd = peer_request(Method::Message, "z9hG4bKc", None);
    odd.set_uri(
        "nobodyKnowsThisScheme:totallyopaquecontent"
            .parse()
            .unwrap(),
    );
    let (out, _) = answer_to(&mut e, &odd);
    assert_eq!(status(&out[0]), 416);
    // 420 with Unsupported for an unknown Require (RFC 4475 §3.3.5).
    let mut req = peer_request(Method::Message, "z9hG4bKd", None);
    req.headers_mut().push(
        HeaderName::Require,
        "nothingSupportsThis, nothingSupportsThisEither",
    );
    let (out, _) = answer_to(&mut e, &req);
    let m = parse(&out[0]);
    assert_eq!(m.as_response().unwrap().status().code(), 420);
    let unsupported: Vec<String> = m
        .headers()
        .typed::<Unsupported<'_>>()
        .map(|u| u.unwrap().as_str().to_owned())
        .collect();
    assert_eq!(
        unsupported,
        ["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    // 481 for a request in a dialog we do not know.
    let (out, _) = answer_to(&mut e, &peer_request(Method::Bye, "z9hG4bKe", Some("nope")));
    assert_eq!(status(&out[0]), 481);
    // A known dialog passes.
    e.add_dialog(sipsimple_proto::dialog::DialogId::new(
        "call-1@biloxi",
        "mine",
        "b1",
    ));
    let (_, ev) = answer_to(&mut e, &peer_request(Method::Bye, "z9hG4bKf", Some("mine")));
    assert!(matches!(ev[0], Event::Request { .. }));
    // OPTIONS: 200 with what we support.
    let (out, ev) = answer_to(&mut e, &peer_request(Method::Options, "z9hG4bKg", None));
    assert!(ev.is_empty());
    let m = parse(&out[0]);
    assert_eq!(m.as_response().unwrap().status().code(), 200);
    assert!(m
        .headers()
        .get(HeaderName::Accept)
        .unwrap()
        .contains("application/sdp"));
    assert!(
        m.to().unwrap().tag().is_some(),
        "final responses carry a To tag"
    );
}

#[test]
fn merged_requests_get_482() {
    let mut e = endpoint();
    let first = peer_request(Method::Message, "z9hG4bKfork1", None);
    let (_, ev) = answer_to(&mut e, &first);
    assert_eq!(ev.len(), 1);
    // The same request by another path: another branch, same Call-ID, From tag and CSeq.
    let second = peer_request(Method::Message, "z9hG4bKfork2", None);
    let (out, ev) = answer_to(&mut e, &second);
    assert!(ev.is_empty());
    assert_eq!(status(&out[0]), 482);
}

#[test]
fn malformed_requests_get_400_naming_the_fault_and_bad_versions_505() {
    let mut e = endpoint();
    let mut req = peer_request(Method::Message, "z9hG4bKbad", None);
    req.headers_mut().remove(HeaderName::CallId);
    let (out, ev) = answer_to(&mut e, &req);
    assert!(ev.is_empty());
    let m = parse(&out[0]);
    let r = m.as_response().unwrap();
    assert_eq!(r.status().code(), 400);
    assert_eq!(r.reason(), "missing Call-ID header");
    let text = String::from_utf8(peer_request(Method::Message, "z9hG4bKv", None).to_bytes())
        .unwrap()
        .replacen("SIP/2.0\r\n", "SIP/3.0\r\n", 1);
    e.handle_message(
        origin(),
        addr(PEER),
        TransportKind::Udp,
        None,
        text.as_bytes(),
    );
    assert_eq!(
        transmits(&mut e).iter().map(status).collect::<Vec<_>>(),
        [505]
    );
    // Garbage is dropped without an answer.
    e.handle_message(
        origin(),
        addr(PEER),
        TransportKind::Udp,
        None,
        b"\x00\x01garbage",
    );
    assert!(transmits(&mut e).is_empty());
}

#[test]
fn invite_gets_100_trying_and_cancel_ends_it_with_487() {
    let t0 = origin();
    let mut e = endpoint();
    let invite = peer_request(Method::Invite, "z9hG4bKinv", None);
    receive(&mut e, t0, &invite);
    assert_eq!(
        transmits(&mut e).iter().map(status).collect::<Vec<_>>(),
        [100]
    );
    let ev = events(&mut e);
    let Event::Request { tx, request, .. } = &ev[0] else {
        panic!()
    };
    let ringing = Response::for_request(request, StatusCode::RINGING).with_to_tag("ring1");
    e.respond(t0, *tx, &ringing).unwrap();
    transmits(&mut e);
    let mut cancel = peer_request(Method::Cancel, "z9hG4bKinv", None);
    cancel.headers_mut().set(HeaderName::CSeq, "10 CANCEL");
    receive(&mut e, t0 + Duration::from_millis(100), &cancel);
    let out = transmits(&mut e);
    assert_eq!(out.iter().map(status).collect::<Vec<_>>(), [200, 487]);
    assert_eq!(
        parse(&out[1]).to().unwrap().tag(),
        Some("ring1"),
        "same early dialog"
    );
    assert_eq!(events(&mut e), [Event::Cancelled { tx: *tx }]);
    // The user's late answer is refused: the INVITE is complete.
    assert!(e.respond(t0, *tx, &ringing).is_err());
    // A CANCEL that matches nothing gets 481.
    let mut lost = peer_request(Method::Cancel, "z9hG4bKnothing", None);
    lost.headers_mut().set(HeaderName::CSeq, "10 CANCEL");
    receive(&mut e, t0, &lost);
    assert_eq!(
        transmits(&mut e).iter().map(status).collect::<Vec<_>>(),
        [481]
    );
}

#[test]
fn acks_for_2xx_reach_the_user_and_acks_for_non_2xx_do_not() {
    let t0 = origin();
    let mut e = endpoint();
    let invite = peer_request(Method::Invite, "z9hG4bKi2", None);
    receive(&mut e, t0, &invite);
    let ev = events(&mut e);
    let Event::Request { tx, request, .. } = &ev[0] else {
        panic!()
    };
    e.respond(
        t0,
        *tx,
        &Response::for_request(request, StatusCode::BUSY_HERE).with_to_tag("t"),
    )
    .unwrap();
    let mut ack = peer_request(Method::Ack, "z9hG4bKi2", Some("t"));
    ack.headers_mut().set(HeaderName::CSeq, "10 ACK");
    receive(&mut e, t0, &ack);
    assert!(
        events(&mut e).is_empty(),
        "the non-2xx ACK ends the transaction"
    );
    // An ACK for a 2xx has its own branch and goes to the dialog.
    let mut ack2 = peer_request(Method::Ack, "z9hG4bKother", Some("t"));
    ack2.headers_mut().set(HeaderName::CSeq, "11 ACK");
    receive(&mut e, t0, &ack2);
    assert!(matches!(events(&mut e)[..], [Event::Ack { .. }]));
}

#[test]
fn client_cancel_follows_a_provisional_response() {
    let t0 = origin();
    let mut e = endpoint();
    let tx = e
        .send_request(
            t0,
            our_request(Method::Invite),
            addr(PEER),
            TransportKind::Udp,
        )
        .unwrap();
    let sent = parse(&transmits(&mut e)[0]);
    assert_eq!(e.cancel(t0, tx), Err(Error::NotCancellable));
    let ringing =
        Response::for_request(sent.as_request().unwrap(), StatusCode::RINGING).with_to_tag("r");
    receive(&mut e, t0, &ringing);
    let ctx = e.cancel(t0, tx).unwrap();
    assert_ne!(ctx, tx);
    let cancel = parse(&transmits(&mut e)[0]);
    assert_eq!(cancel.as_request().unwrap().method(), &Method::Cancel);
    assert_eq!(
        cancel.top_via().unwrap().branch(),
        sent.top_via().unwrap().branch()
    );
    assert_eq!(cancel.cseq().unwrap(), Cseq::new(1, Method::Cancel));
    assert_eq!(
        cancel.to().unwrap().tag(),
        None,
        "the CANCEL's To is the INVITE's"
    );
}

#[test]
fn client_timeout_surfaces_once() {
    let t0 = origin();
    let mut e = endpoint();
    let tx = e
        .send_request(
            t0,
            our_request(Method::Message),
            addr(PEER),
            TransportKind::Udp,
        )
        .unwrap();
    let mut sends = 0;
    while let Some(t) = e.poll_timeout() {
        e.handle_timeout(t);
        sends += transmits(&mut e).len();
    }
    assert_eq!(sends, 1 + 10, "ten retransmissions before Timer F");
    assert_eq!(events(&mut e), [Event::Timeout { tx }]);
    assert_eq!(e.transaction_count(), (0, 0));
}

#[test]
fn stream_transports_wait_for_their_connection() {
    let t0 = origin();
    let mut e = endpoint();
    let tx = e
        .send_request(
            t0,
            our_request(Method::Message),
            addr(PEER),
            TransportKind::Tcp,
        )
        .unwrap();
    let Some(Action::Connect {
        id,
        destination,
        transport,
    }) = e.poll_action()
    else {
        panic!("a connection is requested")
    };
    assert_eq!((destination, transport), (addr(PEER), TransportKind::Tcp));
    assert!(
        transmits(&mut e).is_empty(),
        "nothing goes out before the connection is up"
    );
    e.handle_connection_up(id);
    let out = transmits(&mut e);
    assert_eq!(out[0].connection, Some(id));
    assert_eq!(parse(&out[0]).top_via().unwrap().transport(), "TCP");
    // A second request reuses the connection.
    e.send_request(
        t0,
        our_request(Method::Message),
        addr(PEER),
        TransportKind::Tcp,
    )
    .unwrap();
    assert!(e.poll_action().is_none());
    assert_eq!(transmits(&mut e)[0].connection, Some(id));
    e.handle_connection_failed(t0, id);
    let ev = events(&mut e);
    assert!(ev.contains(&Event::TransportError { tx }), "{ev:?}");
}

#[test]
fn misuse_is_an_error() {
    let t0 = origin();
    let mut e = Endpoint::new(EndpointConfig::default(), SeededRandom::new(1));
    assert_eq!(
        e.send_request(
            t0,
            our_request(Method::Message),
            addr(PEER),
            TransportKind::Udp
        ),
        Err(Error::NoTransport(TransportKind::Udp))
    );
    let mut e = endpoint();
    assert!(e
        .send_request(t0, our_request(Method::Ack), addr(PEER), TransportKind::Udp)
        .is_err());
    // A transaction that has ended is unknown: over TCP a final answer ends it at once.
    let req = peer_request(Method::Message, "z9hG4bKend", None);
    e.handle_message(t0, addr(PEER), TransportKind::Tcp, None, &req.to_bytes());
    let Some(Event::Request { tx, request, .. }) = e.poll_event() else {
        panic!("a request")
    };
    let ok = Response::for_request(&request, StatusCode::OK).with_to_tag("x");
    e.respond(t0, tx, &ok).unwrap();
    assert_eq!(e.respond(t0, tx, &ok), Err(Error::UnknownTransaction));
}

#[test]
fn large_requests_switch_from_udp_to_tcp() {
    let t0 = origin();
    let mut e = endpoint();
    let big = our_request(Method::Message);
    let mut big = big;
    big.set_body(Some("text/plain"), vec![b'x'; 1400].into());
    e.send_request(t0, big, addr(PEER), TransportKind::Udp)
        .unwrap();
    assert!(
        matches!(
            e.poll_action(),
            Some(Action::Connect {
                transport: TransportKind::Tcp,
                ..
            })
        ),
        "RFC 3261 §18.1.1: a request over 1300 bytes goes over TCP"
    );
    // A small one stays on UDP.
    e.send_request(
        t0,
        our_request(Method::Message),
        addr(PEER),
        TransportKind::Udp,
    )
    .unwrap();
    let out = transmits(&mut e);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].transport, TransportKind::Udp);
    // Without a TCP transport the big request stays on UDP.
    let mut udp_only = Endpoint::new(EndpointConfig::default(), SeededRandom::new(3));
    udp_only.add_transport(TransportKind::Udp, addr(LOCAL));
    let mut big = our_request(Method::Message);
    big.set_body(Some("text/plain"), vec![b'x'; 1400].into());
    udp_only
        .send_request(t0, big, addr(PEER), TransportKind::Udp)
        .unwrap();
    assert_eq!(
        udp_only.poll_transmit().unwrap().transport,
        TransportKind::Udp
    );
}

#[test]
fn without_rport_responses_go_to_the_sent_by_port() {
    let t0 = origin();
    let mut e = endpoint();
    // The peer sends from port 40000 but its Via says 5060 and it did not ask for rport.
    let req = peer_request(Method::Message, "z9hG4bKport", None);
    e.handle_message(
        t0,
        addr("198.51.100.7:40000"),
        TransportKind::Udp,
        None,
        &req.to_bytes(),
    );
    let Some(Event::Request { tx, request, .. }) = e.poll_event() else {
        panic!("a request")
    };
    let ok = Response::for_request(&request, StatusCode::OK).with_to_tag("t");
    e.respond(t0, tx, &ok).unwrap();
    assert_eq!(transmits(&mut e)[0].destination, addr("198.51.100.7:5060"));
}

#[test]
fn a_notify_may_come_before_the_subscribe_answer() {
    let mut e = endpoint();
    // Our SUBSCRIBE went out with Call-ID call-1@biloxi and our tag "mine"; the NOTIFY
    // overtakes the 200 (RFC 6665 §4.1.2.4).
    let notify = peer_request(Method::Notify, "z9hG4bKn1", Some("mine"));
    let (out, ev) = answer_to(&mut e, &notify);
    assert_eq!(
        out.iter().map(status).collect::<Vec<_>>(),
        [481],
        "unknown until told"
    );
    e.add_forming_dialog("call-1@biloxi", "mine");
    let notify = peer_request(Method::Notify, "z9hG4bKn2", Some("mine"));
    let (out, ev2) = answer_to(&mut e, &notify);
    assert!(out.is_empty());
    assert!(matches!(ev2[..], [Event::Request { .. }]));
    assert!(ev.is_empty());
    e.remove_forming_dialog("call-1@biloxi", "mine");
    let notify = peer_request(Method::Notify, "z9hG4bKn3", Some("mine"));
    let (out, _) = answer_to(&mut e, &notify);
    assert_eq!(out.iter().map(status).collect::<Vec<_>>(), [481]);
}

#[test]
fn a_malformed_request_line_still_gets_its_400() {
    let mut e = endpoint();
    // RFC 4475 §3.1.2.7 (ltgtruri) and §3.1.2.8 (lwsruri): answer 400, never pass up.
    for name in ["ltgtruri", "lwsruri", "lwsstart", "trws"] {
        let data = std::fs::read(format!(
            "{}/../vectors/sip/rfc4475/{name}.sip",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        e.handle_message(origin(), addr(PEER), TransportKind::Udp, None, &data);
        let out = transmits(&mut e);
        assert_eq!(out.len(), 1, "{name}");
        let m = parse(&out[0]);
        let r = m.as_response().unwrap();
        assert_eq!(r.status().code(), 400, "{name}");
        assert!(
            r.reason().starts_with("malformed"),
            "{name}: {}",
            r.reason()
        );
        assert!(
            m.cseq().is_ok() && m.call_id().is_ok(),
            "{name}: the 400 matches the request"
        );
        assert!(events(&mut e).is_empty());
    }
    // A response that does not parse is dropped without an answer.
    e.handle_message(
        origin(),
        addr(PEER),
        TransportKind::Udp,
        None,
        b"SIP/2.0 999999 x\r\n\r\n",
    );
    assert!(transmits(&mut e).is_empty());
    // Without a Via, or with headers that do not parse either, there is nowhere to answer.
    for data in [
        &b"INVITE <sip:a@b> SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n"[..],
        b"INVITE <sip:a@b> SIP/2.0\r\nVia SIP/2.0/UDP h\r\n\r\n",
    ] {
        e.handle_message(origin(), addr(PEER), TransportKind::Udp, None, data);
        assert!(transmits(&mut e).is_empty());
        assert!(events(&mut e).is_empty());
    }
}

#[test]
fn a_request_over_the_configured_size_gets_513() {
    let config = EndpointConfig {
        max_message_size: 1000,
        ..EndpointConfig::default()
    };
    let mut e = Endpoint::new(config, SeededRandom::new(7));
    e.add_transport(TransportKind::Udp, addr(LOCAL));
    let small = peer_request(Method::Message, "z9hG4bKs1", None);
    let (out, ev) = answer_to(&mut e, &small);
    assert!(
        out.is_empty() && ev.len() == 1,
        "a small request reaches the user"
    );
    let mut big = peer_request(Method::Message, "z9hG4bKs2", None);
    big.set_body(Some("text/plain"), vec![b'x'; 1200].into());
    let (out, ev) = answer_to(&mut e, &big);
    assert!(ev.is_empty());
    assert_eq!(out.iter().map(status).collect::<Vec<_>>(), [513]);
    let m = parse(&out[0]);
    let reason = m.as_response().unwrap().reason().to_owned();
    assert!(
        reason.contains("exceeds the limit of 1000 bytes"),
        "{reason}"
    );
    // A response that large is dropped (§18.1.2), never surfaced.
    let tx = e
        .send_request(
            origin(),
            our_request(Method::Message),
            addr(PEER),
            TransportKind::Udp,
        )
        .unwrap();
    let sent = parse(&transmits(&mut e)[0]);
    let mut ok = Response::for_request(sent.as_request().unwrap(), StatusCode::OK);
    ok.set_body(Some("text/plain"), vec![b'y'; 1200].into());
    receive(&mut e, origin(), &ok);
    assert!(events(&mut e).is_empty(), "{tx:?}");
    assert!(transmits(&mut e).is_empty());
}

#[test]
fn the_via_names_the_local_address_of_the_peers_family() {
    let now = origin();
    let mut e = endpoint();
    e.add_transport(TransportKind::Udp, addr("[2001:db8::10]:5062"));
    for (peer, sent_by) in [
        ("198.51.100.7:5060", "192.0.2.10"),
        ("[2001:db8::7]:5060", "[2001:db8::10]"),
    ] {
        e.send_request(
            now,
            our_request(Method::Options),
            addr(peer),
            TransportKind::Udp,
        )
        .unwrap();
        let t = transmits(&mut e).pop().unwrap();
        let Message::Request(r) = parse(&t) else {
            panic!("a request")
        };
        let via = r.headers().first::<Via<'_>>().unwrap().unwrap();
        assert_eq!(via.host(), sent_by, "to {peer}");
    }
    // Only IPv4 over TCP: an IPv6 peer still gets a request, from the address there is.
    e.send_request(
        now,
        our_request(Method::Message),
        addr("[2001:db8::7]:5060"),
        TransportKind::Tcp,
    )
    .unwrap();
}
