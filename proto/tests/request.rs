//! The non-dialog request client: digest challenges, failover, Retry-After, CSeq rules, and
//! MESSAGE building and checking.

use std::net::SocketAddr;
use std::time::Duration;

use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::request::message::{self, IncomingMessage};
use sipsimple_proto::request::{
    new_request, Credentials, Error, Failure, Outcome, RequestClient, RequestFailure, Route,
};
use sipsimple_proto::sip::headers::{
    Accept, Authorization, CallId, Challenge, Cseq, FromHeader, HeaderName, MediaType,
    ProxyAuthenticate, ToHeader, WwwAuthenticate,
};
use sipsimple_proto::sip::{Address, Method, Request, Response, StatusCode};

fn route(port: u16) -> Route {
    Route {
        destination: SocketAddr::from(([192, 0, 2, 1], port)),
        transport: TransportKind::Udp,
    }
}

fn client(routes: &[Route]) -> RequestClient {
    let mut c = RequestClient::new(routes.to_vec());
    c.set_credentials(&Credentials {
        username: "alice".to_owned(),
        password: "secret".to_owned(),
        realm: None,
    });
    c
}

fn options(rng: &mut SeededRandom) -> Request {
    new_request(
        rng,
        Method::Options,
        "sip:example.com".parse().unwrap(),
        Address::new("sip:alice@example.com".parse().unwrap()),
        Address::new("sip:example.com".parse().unwrap()),
    )
    .build()
}

fn cseq(r: &Request) -> u32 {
    r.headers().single::<Cseq>().unwrap().seq
}

fn call_id(r: &Request) -> String {
    r.headers()
        .single::<CallId<'_>>()
        .unwrap()
        .as_str()
        .to_owned()
}

fn status(req: &Request, code: u16) -> Response {
    Response::for_request(req, StatusCode::new(code).unwrap())
}

fn challenge(req: &Request, nonce: &str) -> Response {
    status(req, 401).with_header(&WwwAuthenticate(
        Challenge::digest()
            .with_realm("example.com")
            .with_nonce(nonce),
    ))
}

/// Sends one request and returns what went out.
fn start(c: &mut RequestClient, rng: &mut SeededRandom) -> (Request, Route) {
    let req = options(rng);
    c.send(rng, req).unwrap();
    next(c)
}

fn next(c: &mut RequestClient) -> (Request, Route) {
    let out = c.poll_request().expect("a request");
    assert!(c.poll_request().is_none(), "one request at a time");
    (
        out.request,
        Route {
            destination: out.destination,
            transport: out.transport,
        },
    )
}

#[test]
fn new_request_is_outside_any_dialog() {
    let mut rng = SeededRandom::new(1);
    let a = options(&mut rng);
    let b = options(&mut rng);
    assert_eq!(*a.method(), Method::Options);
    assert_eq!(cseq(&a), 1);
    assert_ne!(call_id(&a), call_id(&b), "a fresh Call-ID per request");
    let from = a.headers().single::<FromHeader<'_>>().unwrap();
    assert!(from.0.tag().is_some_and(|t| t.len() >= 8));
    let to = a.headers().single::<ToHeader<'_>>().unwrap();
    assert!(to.0.tag().is_none());
    assert!(a.headers().get(HeaderName::Via).is_none());
}

#[test]
fn success_on_the_first_route() {
    let mut rng = SeededRandom::new(1);
    let mut c = client(&[route(5060), route(5070)]);
    let (req, to) = start(&mut c, &mut rng);
    assert_eq!(to, route(5060));
    assert!(c.is_busy());
    assert_eq!(c.handle_response(&mut rng, &status(&req, 100)), None);
    assert!(c.is_busy(), "a provisional response ends nothing");
    let outcome = c.handle_response(&mut rng, &status(&req, 200)).unwrap();
    assert!(matches!(
        outcome,
        Outcome::Succeeded { ref response, route: r } if response.status() == StatusCode::OK && r == route(5060)
    ));
    assert!(!c.is_busy());
    assert_eq!(c.handle_response(&mut rng, &status(&req, 200)), None);
}

#[test]
fn challenge_answered_with_the_next_cseq_then_success() {
    let mut rng = SeededRandom::new(2);
    let mut c = client(&[route(5060)]);
    let (first, _) = start(&mut c, &mut rng);
    let outcome = c
        .handle_response(&mut rng, &challenge(&first, "n1"))
        .unwrap();
    assert!(matches!(
        outcome,
        Outcome::Retrying {
            code: 401,
            response: Some(_),
            ..
        }
    ));
    let (second, to) = next(&mut c);
    assert_eq!(to, route(5060));
    assert_eq!(call_id(&second), call_id(&first));
    assert_eq!(cseq(&second), cseq(&first) + 1);
    let auth = second
        .headers()
        .first::<Authorization<'_>>()
        .unwrap()
        .unwrap();
    assert_eq!(auth.username().as_deref(), Some("alice"));
    assert_eq!(auth.realm().as_deref(), Some("example.com"));
    assert_eq!(c.last_cseq(), Some(cseq(&second)));
    let outcome = c.handle_response(&mut rng, &status(&second, 200)).unwrap();
    assert!(matches!(outcome, Outcome::Succeeded { .. }));
}

#[test]
fn a_second_challenge_for_the_same_answer_fails() {
    let mut rng = SeededRandom::new(3);
    let mut c = client(&[route(5060)]);
    let (first, _) = start(&mut c, &mut rng);
    c.handle_response(&mut rng, &challenge(&first, "n1"));
    let (second, _) = next(&mut c);
    let Some(Outcome::Failed(f)) = c.handle_response(&mut rng, &challenge(&second, "n2")) else {
        panic!("a rejected answer ends the attempt");
    };
    assert_eq!(f.code, 401);
    assert!(f.error.starts_with("authentication failed"), "{}", f.error);
    assert!(f.response.is_some());
    assert!(c.poll_request().is_none());
}

#[test]
fn a_challenge_without_credentials_fails() {
    let mut rng = SeededRandom::new(4);
    let mut c = RequestClient::new(vec![route(5060)]);
    let (req, _) = start(&mut c, &mut rng);
    let proxy = status(&req, 407).with_header(&ProxyAuthenticate(
        Challenge::digest().with_realm("proxy").with_nonce("n"),
    ));
    let Some(Outcome::Failed(f)) = c.handle_response(&mut rng, &proxy) else {
        panic!("no credentials");
    };
    assert_eq!(f.code, 407);
    assert!(f.error.contains("authentication failed"), "{}", f.error);
}

#[test]
fn a_503_moves_to_the_next_route_and_the_last_one_reports_retry_after() {
    let mut rng = SeededRandom::new(5);
    let mut c = client(&[route(5060), route(5070)]);
    let (first, _) = start(&mut c, &mut rng);
    let busy = |r: &Request| status(r, 503).with_field(HeaderName::RetryAfter, "120");
    let outcome = c.handle_response(&mut rng, &busy(&first)).unwrap();
    assert!(matches!(
        outcome,
        Outcome::Retrying { code: 503, route: r, .. } if r == route(5060)
    ));
    let (second, to) = next(&mut c);
    assert_eq!(to, route(5070));
    assert_eq!(cseq(&second), cseq(&first) + 1, "not a merged request");
    assert_eq!(call_id(&second), call_id(&first));
    let Some(Outcome::Failed(f)) = c.handle_response(&mut rng, &busy(&second)) else {
        panic!("every route answered 503");
    };
    assert_eq!(
        (f.code, f.retry_after, f.route),
        (503, Some(Duration::from_secs(120)), route(5070))
    );
}

#[test]
fn timeouts_and_transport_errors_fail_over_then_fail() {
    let mut rng = SeededRandom::new(6);
    let mut c = client(&[route(5060), route(5070)]);
    let (first, _) = start(&mut c, &mut rng);
    let outcome = c.handle_failure(&mut rng, Failure::Timeout).unwrap();
    assert_eq!(
        outcome,
        Outcome::Retrying {
            code: 408,
            reason: "Request Timeout".to_owned(),
            response: None,
            route: route(5060),
        }
    );
    let (second, to) = next(&mut c);
    assert_eq!((to, cseq(&second)), (route(5070), cseq(&first) + 1));
    let Some(Outcome::Failed(f)) = c.handle_failure(&mut rng, Failure::TransportError) else {
        panic!("both routes failed");
    };
    assert_eq!(
        f,
        RequestFailure {
            code: 503,
            reason: "Service Unavailable".to_owned(),
            error: "transport error".to_owned(),
            retry_after: None,
            response: None,
            route: route(5070),
        }
    );
    assert_eq!(c.handle_failure(&mut rng, Failure::Timeout), None);
}

#[test]
fn the_route_that_answered_is_tried_first_next_time() {
    let mut rng = SeededRandom::new(7);
    let mut c = client(&[route(5060), route(5070), route(5080)]);
    start(&mut c, &mut rng);
    c.handle_failure(&mut rng, Failure::Timeout);
    let (second, _) = next(&mut c);
    c.handle_response(&mut rng, &status(&second, 200));
    let (third, to) = start(&mut c, &mut rng);
    assert_eq!(to, route(5070));
    // Failover wraps around: 5070 → 5080 → 5060, then gives up.
    c.handle_failure(&mut rng, Failure::Timeout);
    assert_eq!(next(&mut c).1, route(5080));
    c.handle_failure(&mut rng, Failure::Timeout);
    assert_eq!(next(&mut c).1, route(5060));
    assert!(matches!(
        c.handle_failure(&mut rng, Failure::Timeout),
        Some(Outcome::Failed(_))
    ));
    assert!(c.poll_request().is_none());
    drop(third);
}

#[test]
fn other_final_responses_fail_with_their_status() {
    let mut rng = SeededRandom::new(8);
    let mut c = client(&[route(5060), route(5070)]);
    let (req, _) = start(&mut c, &mut rng);
    let Some(Outcome::Failed(f)) = c.handle_response(&mut rng, &status(&req, 404)) else {
        panic!("404 is final");
    };
    assert_eq!((f.code, f.error.as_str()), (404, "404 Not Found"));
    assert!(c.poll_request().is_none(), "a 404 does not fail over");
}

#[test]
fn responses_to_other_requests_are_ignored() {
    let mut rng = SeededRandom::new(9);
    let mut c = client(&[route(5060)]);
    let (req, _) = start(&mut c, &mut rng);
    let other = options(&mut rng);
    assert_eq!(c.handle_response(&mut rng, &status(&other, 200)), None);
    let mut old = req.clone();
    old.headers_mut()
        .set_typed(&Cseq::new(cseq(&req) + 5, Method::Options));
    assert_eq!(c.handle_response(&mut rng, &status(&old, 200)), None);
    assert!(c.is_busy());
}

#[test]
fn misuse_is_a_typed_error() {
    let mut rng = SeededRandom::new(10);
    let mut empty = RequestClient::new(Vec::new());
    assert_eq!(
        {
            let r = options(&mut rng);
            empty.send(&mut rng, r)
        },
        Err(Error::NoRoutes)
    );
    let mut c = client(&[route(5060)]);
    assert_eq!(
        {
            let r = options(&mut rng);
            c.retry(&mut rng, r)
        },
        Err(Error::NothingToRetry)
    );
    start(&mut c, &mut rng);
    assert_eq!(
        {
            let r = options(&mut rng);
            c.send(&mut rng, r)
        },
        Err(Error::Busy)
    );
    assert_eq!(
        {
            let r = options(&mut rng);
            c.retry(&mut rng, r)
        },
        Err(Error::Busy)
    );
}

#[test]
fn retry_follows_up_on_the_route_that_answered() {
    let mut rng = SeededRandom::new(11);
    let mut c = client(&[route(5060), route(5070)]);
    start(&mut c, &mut rng);
    c.handle_failure(&mut rng, Failure::Timeout);
    let (second, _) = next(&mut c);
    let outcome = c.handle_response(&mut rng, &status(&second, 423));
    assert!(matches!(
        outcome,
        Some(Outcome::Failed(RequestFailure { code: 423, .. }))
    ));
    {
        let r = options(&mut rng);
        c.retry(&mut rng, r)
    }
    .unwrap();
    let (_, to) = next(&mut c);
    assert_eq!(to, route(5070));
    // The follow-up belongs to the same attempt: its failure does not try 5060 again.
    assert!(matches!(
        c.handle_failure(&mut rng, Failure::Timeout),
        Some(Outcome::Failed(_))
    ));
}

#[test]
fn credentials_are_sent_again_within_the_call_id() {
    let mut rng = SeededRandom::new(12);
    let mut c = client(&[route(5060)]);
    let (first, _) = start(&mut c, &mut rng);
    c.handle_response(&mut rng, &challenge(&first, "n1"));
    let (second, _) = next(&mut c);
    c.handle_response(&mut rng, &status(&second, 200));
    // A later request with the same Call-ID (a PUBLISH refresh, say) carries credentials at
    // once, with the next nonce count.
    let mut later = second.clone();
    later.headers_mut().remove(HeaderName::Authorization);
    later
        .headers_mut()
        .set_typed(&Cseq::new(cseq(&second) + 1, Method::Options));
    c.send(&mut rng, later).unwrap();
    let (third, _) = next(&mut c);
    assert!(third.headers().get(HeaderName::Authorization).is_some());
}

#[test]
fn abandon_forgets_the_request_in_flight() {
    let mut rng = SeededRandom::new(13);
    let mut c = client(&[route(5060)]);
    let (req, _) = start(&mut c, &mut rng);
    c.abandon();
    assert!(!c.is_busy());
    assert_eq!(c.handle_response(&mut rng, &status(&req, 200)), None);
    start(&mut c, &mut rng);
}

#[test]
fn set_routes_keeps_the_request_in_flight_on_its_route() {
    let mut rng = SeededRandom::new(14);
    let mut c = client(&[route(5060)]);
    let (req, _) = start(&mut c, &mut rng);
    c.set_routes(vec![route(6000), route(6001)]);
    let Some(Outcome::Succeeded { route: r, .. }) = c.handle_response(&mut rng, &status(&req, 200))
    else {
        panic!("answered");
    };
    assert_eq!(r, route(5060));
    assert_eq!(start(&mut c, &mut rng).1, route(6000));
}

// MESSAGE (RFC 3428).

fn text_plain() -> Vec<MediaType<'static>> {
    vec![
        MediaType::new("text", "plain"),
        MediaType::new("message", "cpim"),
    ]
}

fn message(rng: &mut SeededRandom, content_type: &str, body: &'static str) -> Request {
    message::build(
        rng,
        Address::parse("\"Alice\" <sip:alice@example.com>")
            .unwrap()
            .into_owned(),
        Address::new("sip:bob@example.org".parse().unwrap()),
        content_type,
        body,
    )
}

#[test]
fn message_build_and_accept() {
    let mut rng = SeededRandom::new(20);
    let req = message(&mut rng, "text/plain;charset=utf-8", "Watson, come here.");
    assert_eq!(*req.method(), Method::Message);
    assert_eq!(req.uri().as_str(), "sip:bob@example.org");
    assert_eq!(
        req.headers().get(HeaderName::ContentType),
        Some("text/plain;charset=utf-8")
    );
    let wire = sipsimple_proto::sip::Message::parse(&req.to_bytes()).unwrap();
    let reparsed = wire.as_request().unwrap();
    let got: IncomingMessage = message::accept(reparsed, &text_plain()).unwrap();
    assert_eq!(got.sender.uri().as_str(), "sip:alice@example.com");
    assert_eq!(got.recipient.uri().as_str(), "sip:bob@example.org");
    assert!(got.content_type.is("text", "plain"));
    assert_eq!(got.content_type.params.get("charset"), Some(Some("utf-8")));
    assert_eq!(&got.body[..], b"Watson, come here.");
}

#[test]
fn message_with_an_unaccepted_type_gets_415_with_accept() {
    let mut rng = SeededRandom::new(21);
    let req = message(&mut rng, "application/im-iscomposing+xml", "<x/>");
    let refusal = message::accept(&req, &text_plain()).unwrap_err();
    assert_eq!(refusal.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let accepted: Vec<String> = refusal
        .headers()
        .typed::<Accept<'_>>()
        .map(|a| a.unwrap().0.to_string())
        .collect();
    assert_eq!(accepted, ["text/plain", "message/cpim"]);
    // A media range takes the whole type.
    let any_text = [MediaType::new("text", "*")];
    let html = message(&mut rng, "text/html", "<b>hi</b>");
    assert!(message::accept(&html, &any_text).is_ok());
    assert!(message::accept(&html, &[MediaType::new("*", "*")]).is_ok());
}

#[test]
fn message_with_an_unknown_encoding_gets_415() {
    let mut rng = SeededRandom::new(22);
    let mut req = message(&mut rng, "text/plain", "xx");
    req.headers_mut().push(HeaderName::ContentEncoding, "gzip");
    let refusal = message::accept(&req, &text_plain()).unwrap_err();
    assert_eq!(refusal.status().code(), 415);
    assert_eq!(
        refusal.headers().get(HeaderName::AcceptEncoding),
        Some("identity")
    );
    let mut identity = message(&mut rng, "text/plain", "xx");
    identity
        .headers_mut()
        .push(HeaderName::ContentEncoding, "identity");
    assert!(message::accept(&identity, &text_plain()).is_ok());
}

#[test]
fn malformed_messages_get_400_naming_the_fault() {
    let mut rng = SeededRandom::new(23);
    let cases: Vec<(Request, &str)> = vec![
        (options(&mut rng), "Not a MESSAGE"),
        (
            new_request(
                &mut rng,
                Method::Message,
                "sip:bob@example.org".parse().unwrap(),
                Address::new("sip:alice@example.com".parse().unwrap()),
                Address::new("sip:bob@example.org".parse().unwrap()),
            )
            .build(),
            "MESSAGE Without Body",
        ),
        (
            {
                let mut r = message(&mut rng, "text/plain", "x");
                r.headers_mut().remove(HeaderName::ContentType);
                r
            },
            "Missing Content-Type",
        ),
        (
            {
                let mut r = message(&mut rng, "text/plain", "x");
                r.headers_mut().set(HeaderName::ContentType, "text");
                r
            },
            "Bad Content-Type",
        ),
        (
            {
                let mut r = message(&mut rng, "text/plain", "x");
                r.headers_mut().set(HeaderName::From, "<<<");
                r
            },
            "Bad From or To",
        ),
    ];
    for (req, reason) in cases {
        let refusal = message::accept(&req, &text_plain()).unwrap_err();
        assert_eq!(refusal.status(), StatusCode::BAD_REQUEST);
        assert_eq!(refusal.reason(), reason);
    }
}
