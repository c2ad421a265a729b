use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::registration::*;
use std::net::SocketAddr;

use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::headers::{Authorization, Challenge, WwwAuthenticate};
use sipsimple_proto::sip::headers::{
    CallId, Contact, Cseq, Expires, HeaderName, MinExpires, RetryAfter,
};
use sipsimple_proto::sip::StatusCode;
use sipsimple_proto::sip::{Method, Request, Response};

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn route(port: u16) -> Route {
    Route {
        destination: SocketAddr::from(([192, 0, 2, 1], port)),
        transport: TransportKind::Udp,
    }
}

fn config(routes: &[Route]) -> RegistrationConfig {
    let mut c = RegistrationConfig::new(
        "sip:alice@example.com".parse().unwrap(),
        "sip:alice@192.0.2.10:5060".parse().unwrap(),
    );
    c.routes = routes.to_vec();
    c.credentials = Some(Credentials {
        username: "alice".to_owned(),
        password: "secret".to_owned(),
        realm: None,
    });
    c
}

struct Harness {
    reg: Registration,
    rng: SeededRandom,
    t0: Instant,
}

impl Harness {
    fn new(config: RegistrationConfig) -> Self {
        Self {
            reg: Registration::new(config).unwrap(),
            rng: SeededRandom::new(1),
            t0: origin(),
        }
    }

    fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    fn register(&mut self, now: Instant) -> Outgoing {
        self.reg.register(now, &mut self.rng).unwrap();
        self.request()
    }

    fn request(&mut self) -> Outgoing {
        let out = self.reg.poll_request().expect("a REGISTER");
        assert!(self.reg.poll_request().is_none(), "one request at a time");
        out
    }

    fn respond(&mut self, now: Instant, response: &Response) {
        self.reg.handle_response(now, &mut self.rng, response);
    }

    fn fail(&mut self, now: Instant, failure: Failure) {
        self.reg.handle_failure(now, &mut self.rng, failure);
    }

    fn timeout(&mut self, now: Instant) {
        self.reg.handle_timeout(now, &mut self.rng);
    }

    fn events(&mut self) -> Vec<RegistrationEvent> {
        std::iter::from_fn(|| self.reg.poll_event()).collect()
    }
}

/// The `retry_after` of the last event when it is a `DidFail`.
fn last_retry_after(h: &mut Harness) -> Option<Duration> {
    match h.events().pop()? {
        RegistrationEvent::DidFail { retry_after, .. } => Some(retry_after),
        _ => None,
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::new(code).unwrap()
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

fn expires(r: &Request) -> u32 {
    r.headers().single::<Expires>().unwrap().0
}

fn contacts(r: &Request) -> Vec<Contact<'static>> {
    r.headers()
        .typed::<Contact<'_>>()
        .map(|c| c.unwrap().into_owned())
        .collect()
}

/// A 200 listing `contact` (our contact as sent, unless replaced) with `granted` seconds.
fn ok(req: &Request, granted: u32) -> Response {
    let mut c = contacts(req).remove(0);
    c.address_mut()
        .unwrap()
        .params
        .set("expires", Some(&granted.to_string()));
    Response::for_request(req, StatusCode::OK)
        .with_to_tag("reg")
        .with_header(&c)
}

fn challenge(req: &Request) -> Response {
    Response::for_request(req, StatusCode::UNAUTHORIZED).with_header(&WwwAuthenticate(
        Challenge::digest()
            .with_realm("example.com")
            .with_nonce("abcdef0123"),
    ))
}

#[test]
fn first_register_fields() {
    let mut config = config(&[route(5060)]);
    config.instance_id = Some("urn:uuid:00000000-0000-1000-8000-000a95a0e128".to_owned());
    config.reg_id = Some(1);
    let mut h = Harness::new(config);
    let now = h.at(0);
    let out = h.register(now);
    assert_eq!(h.events(), vec![RegistrationEvent::WillRegister]);
    assert_eq!(out.destination, route(5060).destination);
    let r = &out.request;
    assert_eq!(*r.method(), Method::Register);
    assert_eq!(r.uri().as_str(), "sip:example.com");
    assert!(r.headers().get(HeaderName::Via).is_none());
    assert_eq!(cseq(r), 1);
    assert_eq!(expires(r), 600);
    let from = r
        .headers()
        .single::<sipsimple_proto::sip::headers::FromHeader<'_>>()
        .unwrap();
    assert_eq!(from.0.uri().as_str(), "sip:alice@example.com");
    assert!(from.0.tag().is_some());
    let to = r
        .headers()
        .single::<sipsimple_proto::sip::headers::ToHeader<'_>>()
        .unwrap();
    assert!(to.0.tag().is_none());
    let c = contacts(r);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].expires(), Some(600));
    assert_eq!(
        c[0].sip_instance().as_deref(),
        Some("urn:uuid:00000000-0000-1000-8000-000a95a0e128")
    );
    assert_eq!(c[0].reg_id(), Some(1));
    assert_eq!(
        r.headers().get(HeaderName::Supported),
        Some("gruu, outbound")
    );
    assert_eq!(h.reg.poll_timeout(), None);
}

#[test]
fn granted_expires_schedules_refresh_and_keeps_call_id() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    let first_call = call_id(&out.request);
    h.respond(h.at(1), &ok(&out.request, 120));
    let events = h.events();
    assert!(matches!(
        &events[..],
        [
            RegistrationEvent::WillRegister,
            RegistrationEvent::GotAnswer { code: 200, .. },
            RegistrationEvent::DidSucceed { expires: 120, .. },
        ]
    ));
    assert!(h.reg.is_registered());
    // 90 % of 120 s, 12 s before expiry.
    assert_eq!(h.reg.next_timer(), Some((Timer::Refresh, h.at(1 + 108))));
    h.timeout(h.at(100));
    assert!(h.reg.poll_request().is_none());
    h.timeout(h.at(109));
    let refresh = h.request();
    assert!(matches!(
        &h.events()[..],
        [RegistrationEvent::WillRefresh { expires: 600, .. }]
    ));
    assert_eq!(call_id(&refresh.request), first_call);
    assert_eq!(cseq(&refresh.request), 2);
}

#[test]
fn refreshes_for_an_hour() {
    let mut h = Harness::new(config(&[route(5060)]));
    let mut out = h.register(h.at(0));
    let mut now = h.at(0);
    let end = h.at(3600);
    let mut refreshes = 0;
    let mut last_cseq = 0;
    loop {
        assert!(cseq(&out.request) > last_cseq);
        last_cseq = cseq(&out.request);
        h.respond(now, &ok(&out.request, 300));
        now = h.reg.poll_timeout().expect("refresh scheduled");
        if now > end {
            break;
        }
        h.timeout(now);
        out = h.request();
        refreshes += 1;
    }
    // Every 270 s: 13 refreshes in the hour.
    assert_eq!(refreshes, 13);
    assert!(h.reg.is_registered());
}

#[test]
fn digest_challenge_then_rejection() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    h.respond(h.at(0), &challenge(&out.request));
    let retry = h.request();
    assert_eq!(cseq(&retry.request), 2);
    assert_eq!(call_id(&retry.request), call_id(&out.request));
    let auth = retry
        .request
        .headers()
        .single::<Authorization<'_>>()
        .unwrap();
    assert_eq!(auth.username().as_deref(), Some("alice"));

    h.respond(h.at(1), &challenge(&retry.request));
    let events = h.events();
    let Some(RegistrationEvent::DidFail {
        error, retry_after, ..
    }) = events.last()
    else {
        panic!("{events:?}");
    };
    assert!(error.contains("authentication"), "{error}");
    assert_eq!(*retry_after, DEFAULT_RETRY_INTERVAL);
    assert_eq!(h.reg.next_timer(), Some((Timer::Retry, h.at(61))));
}

#[test]
fn refresh_carries_credentials() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    h.respond(h.at(0), &challenge(&out.request));
    let retry = h.request();
    h.respond(h.at(0), &ok(&retry.request, 600));
    h.timeout(h.reg.poll_timeout().unwrap());
    let refresh = h.request();
    assert!(refresh
        .request
        .headers()
        .get(HeaderName::Authorization)
        .is_some());
}

#[test]
fn interval_too_brief_uses_min_expires() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    let resp = Response::for_request(&out.request, status(423)).with_header(&MinExpires(1800));
    h.respond(h.at(0), &resp);
    let retry = h.request();
    assert_eq!(expires(&retry.request), 1800);
    assert_eq!(contacts(&retry.request)[0].expires(), Some(1800));
    assert_eq!(cseq(&retry.request), 2);

    // A Min-Expires that is not larger than what we asked cannot help.
    let resp = Response::for_request(&retry.request, status(423)).with_header(&MinExpires(60));
    h.respond(h.at(0), &resp);
    assert!(matches!(
        h.events().last(),
        Some(RegistrationEvent::DidFail { .. })
    ));
}

#[test]
fn service_unavailable_fails_over() {
    let mut h = Harness::new(config(&[route(5060), route(5070)]));
    let out = h.register(h.at(0));
    assert_eq!(out.destination, route(5060).destination);
    h.respond(h.at(0), &Response::for_request(&out.request, status(503)));
    let next = h.request();
    assert_eq!(next.destination, route(5070).destination);
    assert_eq!(cseq(&next.request), 2);
    h.respond(h.at(1), &ok(&next.request, 600));
    let events = h.events();
    assert!(matches!(
        events.last(),
        Some(RegistrationEvent::DidSucceed { registrar, .. }) if *registrar == route(5070)
    ));
    // The refresh goes to the registrar that answered.
    h.timeout(h.reg.poll_timeout().unwrap());
    assert_eq!(h.request().destination, route(5070).destination);
}

#[test]
fn all_routes_time_out_then_retry_with_backoff() {
    let mut h = Harness::new(config(&[route(5060), route(5070)]));
    let out = h.register(h.at(0));
    h.fail(h.at(32), Failure::Timeout);
    let next = h.request();
    assert_eq!(next.destination, route(5070).destination);
    h.fail(h.at(64), Failure::TransportError);
    assert!(h.reg.poll_request().is_none());
    let events = h.events();
    assert_eq!(
        events.last(),
        Some(&RegistrationEvent::DidFail {
            code: 503,
            error: "transport error".to_owned(),
            retry_after: Duration::from_secs(60),
        })
    );
    assert_eq!(h.reg.poll_timeout(), Some(h.at(124)));
    h.timeout(h.at(124));
    let retry = h.request();
    assert_eq!(retry.destination, route(5060).destination);
    assert_eq!(call_id(&retry.request), call_id(&out.request));
    assert_eq!(h.events(), vec![RegistrationEvent::WillRegister]);
    h.fail(h.at(150), Failure::Timeout);
    let _ = h.request();
    h.fail(h.at(180), Failure::Timeout);
    // The second failure in a row waits twice as long.
    assert_eq!(last_retry_after(&mut h), Some(Duration::from_secs(120)));
    assert_eq!(h.reg.poll_timeout(), Some(h.at(300)));
}

#[test]
fn retry_after_is_honoured() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    let resp = Response::for_request(&out.request, status(503)).with_header(&RetryAfter::new(300));
    h.respond(h.at(0), &resp);
    assert_eq!(last_retry_after(&mut h), Some(Duration::from_secs(300)));
    assert_eq!(h.reg.next_timer(), Some((Timer::Retry, h.at(300))));
}

#[test]
fn other_failure_retries() {
    let mut h = Harness::new(config(&[route(5060), route(5070)]));
    let out = h.register(h.at(0));
    h.respond(h.at(0), &Response::for_request(&out.request, status(403)));
    // No failover for a final refusal.
    assert!(h.reg.poll_request().is_none());
    assert!(matches!(
        h.events().last(),
        Some(RegistrationEvent::DidFail { error, .. }) if error.starts_with("403")
    ));
    assert_eq!(h.reg.poll_timeout(), Some(h.at(60)));
}

#[test]
fn unregister_sends_expires_zero() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    h.respond(h.at(0), &ok(&out.request, 600));
    let _ = h.events();
    h.reg.unregister(h.at(10), &mut h.rng).unwrap();
    assert_eq!(h.reg.poll_timeout(), None);
    let un = h.request();
    assert_eq!(expires(&un.request), 0);
    let c = contacts(&un.request);
    assert_eq!(c.len(), 1);
    assert!(!c[0].is_star());
    assert_eq!(c[0].expires(), Some(0));
    assert_eq!(call_id(&un.request), call_id(&out.request));
    h.respond(
        h.at(11),
        &Response::for_request(&un.request, StatusCode::OK),
    );
    assert_eq!(h.events().last(), Some(&RegistrationEvent::DidEnd));
    assert!(!h.reg.is_registered());
    assert_eq!(h.reg.poll_timeout(), None);
}

#[test]
fn unregister_failure_is_did_not_end() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    h.respond(h.at(0), &ok(&out.request, 600));
    h.reg.unregister(h.at(10), &mut h.rng).unwrap();
    let _ = h.request();
    h.fail(h.at(42), Failure::Timeout);
    assert_eq!(
        h.events().last(),
        Some(&RegistrationEvent::DidNotEnd {
            code: 408,
            reason: "Request Timeout".to_owned(),
        })
    );
    assert_eq!(h.reg.poll_timeout(), None);
}

#[test]
fn unregister_while_registering_waits() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    h.reg.unregister(h.at(0), &mut h.rng).unwrap();
    assert!(h.reg.poll_request().is_none());
    h.respond(h.at(1), &ok(&out.request, 600));
    let un = h.request();
    assert_eq!(expires(&un.request), 0);
    assert_eq!(h.reg.poll_timeout(), None);
}

#[test]
fn gruus_are_recorded() {
    let mut config = config(&[route(5060)]);
    config.instance_id = Some("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6".to_owned());
    let mut h = Harness::new(config);
    let out = h.register(h.at(0));
    // The registrar echoes the instance on a contact with different URI text.
    let mut c = Contact::new("sip:alice@192.0.2.10:5060;transport=udp".parse().unwrap());
    let p = &mut c.address_mut().unwrap().params;
    p.push_quoted(
        "+sip.instance",
        "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>",
    );
    p.push_quoted(
        "pub-gruu",
        "sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
    );
    p.push_quoted(
        "temp-gruu",
        "sip:tgruu.7hs==jd7vnzga5w7fajsc7-ajd6fabz0f8g5@example.com;gr",
    );
    p.push("expires", Some("3600"));
    let other = Contact::new("sip:alice@198.51.100.7".parse().unwrap());
    let resp = Response::for_request(&out.request, StatusCode::OK)
        .with_header(&other)
        .with_header(&c);
    h.respond(h.at(0), &resp);
    let events = h.events();
    let Some(RegistrationEvent::DidSucceed {
        contact_header,
        contact_header_list,
        expires,
        ..
    }) = events.last()
    else {
        panic!("{events:?}");
    };
    assert_eq!(*expires, 3600);
    assert_eq!(h.reg.granted_expires(), Some(3600));
    assert_eq!(contact_header_list.len(), 2);
    assert_eq!(contact_header, &c);
    assert_eq!(
        h.reg.pub_gruu().as_deref(),
        Some("sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
    );
    assert!(h.reg.temp_gruu().unwrap().starts_with("sip:tgruu."));
}

#[test]
fn ok_without_our_contact_uses_expires_header() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    let resp = Response::for_request(&out.request, StatusCode::OK)
        .with_header(&Contact::new("sip:alice@198.51.100.7".parse().unwrap()))
        .with_header(&Expires(200));
    h.respond(h.at(0), &resp);
    let events = h.events();
    let Some(RegistrationEvent::DidSucceed {
        contact_header,
        expires,
        ..
    }) = events.last()
    else {
        panic!("{events:?}");
    };
    assert_eq!(*expires, 200);
    assert_eq!(
        contact_header.uri().unwrap().as_str(),
        "sip:alice@192.0.2.10:5060"
    );
    assert_eq!(h.reg.poll_timeout(), Some(h.at(180)));
}

#[test]
fn stale_and_provisional_responses_are_ignored() {
    let mut h = Harness::new(config(&[route(5060)]));
    let out = h.register(h.at(0));
    h.respond(h.at(0), &challenge(&out.request));
    let retry = h.request();
    let _ = h.events();
    // A late answer to the first REGISTER and a 100 for the retry change nothing.
    h.respond(h.at(1), &ok(&out.request, 600));
    h.respond(
        h.at(1),
        &Response::for_request(&retry.request, StatusCode::TRYING),
    );
    assert!(h.events().is_empty());
    assert!(!h.reg.is_registered());
    h.respond(h.at(2), &ok(&retry.request, 600));
    assert!(h.reg.is_registered());
}

#[test]
fn register_without_routes_is_misuse() {
    let mut h = Harness::new(config(&[]));
    let now = h.at(0);
    assert!(matches!(
        h.reg.register(now, &mut h.rng),
        Err(Error::NoRoutes)
    ));
    h.reg.set_routes(vec![route(5060)]);
    let _ = h.register(now);
}

#[test]
fn refresh_delay_policy() {
    assert_eq!(refresh_delay(600), Duration::from_secs(540));
    assert_eq!(refresh_delay(30), Duration::from_secs(25));
    assert_eq!(refresh_delay(10), Duration::from_secs(5));
    assert_eq!(refresh_delay(3), Duration::from_millis(1500));
}

#[test]
fn set_routes_while_in_flight_keeps_the_target() {
    let mut h = Harness::new(config(&[route(5060), route(5070)]));
    let out = h.register(h.at(0));
    h.reg.set_routes(vec![route(5080)]);
    assert_eq!(out.destination, route(5060).destination);
    h.respond(h.at(0), &challenge(&out.request));
    let retry = h.request();
    assert_eq!(retry.destination, route(5060).destination);
    h.respond(h.at(0), &Response::for_request(&retry.request, status(503)));
    // Every route of the new list was tried: the retry timer runs.
    assert!(h.reg.poll_request().is_none());
    assert_eq!(h.reg.next_timer().map(|t| t.0), Some(Timer::Retry));
    h.timeout(h.at(60));
    assert_eq!(h.request().destination, route(5080).destination);
}
