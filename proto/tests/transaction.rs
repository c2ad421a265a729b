//! Transaction timers against the RFC 3261 tables, ACK generation, absorption of
//! retransmissions, and message-to-transaction matching.

use std::time::{Duration, Instant};

use sipsimple_proto::sip::headers::{Contact, Route, Via};
use sipsimple_proto::sip::{
    Address, Message, Method, Request, RequestBuilder, Response, StatusCode,
};
use sipsimple_proto::transaction::*;

/// One real instant as the origin of virtual time; every other instant is an offset from it.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn request(method: Method, branch: &str) -> Request {
    let uri: sipsimple_proto::sip::Uri<'static> = "sip:bob@biloxi.example.com".parse().unwrap();
    RequestBuilder::new(method, uri.clone())
        .via(&Via::new("UDP", "pc33.atlanta.example.com", None, branch))
        .route(&Route::new(
            "sip:proxy.atlanta.example.com;lr".parse().unwrap(),
        ))
        .from(Address::new("sip:alice@atlanta.example.com".parse().unwrap()).with_tag("1928301774"))
        .to(Address::new(uri))
        .call_id("a84b4c76e66710@pc33.atlanta.example.com")
        .cseq(314159)
        .contact(&Contact::new(
            "sip:alice@pc33.atlanta.example.com".parse().unwrap(),
        ))
        .build()
}

fn response_to(req: &Request, code: u16) -> Response {
    Response::for_request(req, StatusCode::new(code).unwrap()).with_to_tag("a6c85cf")
}

/// Drains the transmissions and returns how many there were.
fn sends_client(tx: &mut ClientTransaction) -> usize {
    std::iter::from_fn(|| tx.poll_transmit()).count()
}

fn events_client(tx: &mut ClientTransaction) -> Vec<ClientEvent> {
    std::iter::from_fn(|| tx.poll_event()).collect()
}

/// Runs the transaction's timers up to `until`, returning the instants (as offsets from
/// `t0`) at which something was sent.
fn run_client(tx: &mut ClientTransaction, t0: Instant, until: Duration) -> Vec<Duration> {
    let mut at = Vec::new();
    while let Some(next) = tx.poll_timeout() {
        if next > t0 + until {
            break;
        }
        tx.handle_timeout(next);
        for _ in 0..sends_client(tx) {
            at.push(next - t0);
        }
    }
    at
}

#[test]
fn invite_client_retransmits_at_t1_doubling_and_times_out_at_64_t1() {
    let t0 = origin();
    let mut tx = ClientTransaction::new(
        t0,
        request(Method::Invite, "z9hG4bK1"),
        false,
        TimerConfig::default(),
    )
    .unwrap();
    assert_eq!(tx.state(), ClientState::Calling);
    assert_eq!(sends_client(&mut tx), 1);
    let at = run_client(&mut tx, t0, Duration::from_secs(40));
    // Timer A: T1, then doubling without cap (§17.1.1.2).
    assert_eq!(
        at,
        [ms(500), ms(1500), ms(3500), ms(7500), ms(15500), ms(31500)]
    );
    // Timer B = 64*T1.
    assert_eq!(
        events_client(&mut tx),
        [ClientEvent::Timeout, ClientEvent::Terminated]
    );
    assert!(tx.is_terminated());
    assert_eq!(tx.poll_timeout(), None);
}

#[test]
fn invite_client_on_a_reliable_transport_never_retransmits() {
    let t0 = origin();
    let mut tx = ClientTransaction::new(
        t0,
        request(Method::Invite, "z9hG4bK1"),
        true,
        TimerConfig::default(),
    )
    .unwrap();
    assert_eq!(sends_client(&mut tx), 1);
    assert_eq!(tx.next_timer(), Some((Timer::B, t0 + ms(32_000))));
    assert!(run_client(&mut tx, t0, Duration::from_secs(40)).is_empty());
    assert_eq!(events_client(&mut tx)[0], ClientEvent::Timeout);
}

#[test]
fn non_invite_client_caps_retransmissions_at_t2() {
    let t0 = origin();
    let mut tx = ClientTransaction::new(
        t0,
        request(Method::Options, "z9hG4bK2"),
        false,
        TimerConfig::default(),
    )
    .unwrap();
    assert_eq!(tx.state(), ClientState::Trying);
    sends_client(&mut tx);
    let at = run_client(&mut tx, t0, Duration::from_secs(40));
    // Timer E: T1, 2T1, 4T1, then T2 (§17.1.2.2); Timer F at 64*T1.
    let expected: Vec<Duration> = [
        500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]
    .into_iter()
    .map(ms)
    .collect();
    assert_eq!(at, expected);
    assert_eq!(
        events_client(&mut tx),
        [ClientEvent::Timeout, ClientEvent::Terminated]
    );
}

#[test]
fn non_invite_client_proceeding_then_completed_then_timer_k() {
    let t0 = origin();
    let req = request(Method::Options, "z9hG4bK3");
    let mut tx = ClientTransaction::new(t0, req.clone(), false, TimerConfig::default()).unwrap();
    sends_client(&mut tx);
    tx.handle_response(t0 + ms(100), &response_to(&req, 100));
    assert_eq!(tx.state(), ClientState::Proceeding);
    // In Proceeding, E fires at T2 intervals.
    tx.handle_timeout(t0 + ms(500));
    assert_eq!(sends_client(&mut tx), 1);
    assert_eq!(tx.next_timer(), Some((Timer::E, t0 + ms(4500))));
    tx.handle_response(t0 + ms(600), &response_to(&req, 200));
    assert_eq!(tx.state(), ClientState::Completed);
    tx.handle_response(t0 + ms(700), &response_to(&req, 200));
    let ev = events_client(&mut tx);
    assert_eq!(ev.len(), 2, "the retransmitted 200 is absorbed: {ev:?}");
    assert_eq!(tx.next_timer(), Some((Timer::K, t0 + ms(5600))));
    tx.handle_timeout(t0 + ms(5600));
    assert!(tx.is_terminated());
    assert_eq!(events_client(&mut tx), [ClientEvent::Terminated]);
}

#[test]
fn invite_client_acks_non_2xx_and_absorbs_retransmissions() {
    let t0 = origin();
    let req = request(Method::Invite, "z9hG4bK4");
    let mut tx = ClientTransaction::new(t0, req.clone(), false, TimerConfig::default()).unwrap();
    sends_client(&mut tx);
    tx.handle_response(t0 + ms(200), &response_to(&req, 180));
    assert_eq!(tx.state(), ClientState::Proceeding);
    assert_eq!(
        tx.next_timer(),
        None,
        "no retransmission and no Timer B in Proceeding"
    );
    let busy = response_to(&req, 486);
    tx.handle_response(t0 + ms(900), &busy);
    assert_eq!(tx.state(), ClientState::Completed);
    let ack = tx.poll_transmit().expect("an ACK");
    let Message::Request(ack) = Message::parse(&ack).unwrap() else {
        panic!("ACK is a request")
    };
    assert_eq!(ack.method(), &Method::Ack);
    assert_eq!(ack.uri(), req.uri());
    let m = Message::Request(ack.clone());
    m.validate().unwrap();
    assert_eq!(m.via().count(), 1);
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK4"));
    assert_eq!(m.to().unwrap().tag(), Some("a6c85cf"));
    assert_eq!(m.from().unwrap().tag(), Some("1928301774"));
    assert_eq!(m.cseq().unwrap().seq, 314159);
    assert_eq!(m.headers().typed::<Route<'_>>().count(), 1);
    // A retransmitted 486 gets the same ACK again and is not passed up.
    events_client(&mut tx);
    tx.handle_response(t0 + ms(1500), &busy);
    assert_eq!(tx.poll_transmit().as_deref(), Some(&ack.to_bytes()[..]));
    assert!(events_client(&mut tx).is_empty());
    // Timer D: 32 s on unreliable transports.
    assert_eq!(tx.next_timer(), Some((Timer::D, t0 + ms(32_900))));
    tx.handle_timeout(t0 + ms(32_900));
    assert!(tx.is_terminated());
}

#[test]
fn invite_client_on_reliable_transport_terminates_right_after_the_ack() {
    let t0 = origin();
    let req = request(Method::Invite, "z9hG4bK5");
    let mut tx = ClientTransaction::new(t0, req.clone(), true, TimerConfig::default()).unwrap();
    sends_client(&mut tx);
    tx.handle_response(t0 + ms(50), &response_to(&req, 603));
    assert_eq!(sends_client(&mut tx), 1);
    assert!(tx.is_terminated());
}

#[test]
fn invite_client_accepted_passes_every_2xx_until_timer_m() {
    let t0 = origin();
    let req = request(Method::Invite, "z9hG4bK6");
    let mut tx = ClientTransaction::new(t0, req.clone(), false, TimerConfig::default()).unwrap();
    sends_client(&mut tx);
    let ok = response_to(&req, 200);
    tx.handle_response(t0 + ms(100), &ok);
    assert_eq!(tx.state(), ClientState::Accepted);
    assert_eq!(sends_client(&mut tx), 0, "the TU sends the ACK for a 2xx");
    tx.handle_response(t0 + ms(600), &ok);
    tx.handle_response(t0 + ms(700), &response_to(&req, 500));
    let ev = events_client(&mut tx);
    assert_eq!(ev.len(), 2, "both 2xx, not the 500: {ev:?}");
    assert_eq!(tx.next_timer(), Some((Timer::M, t0 + ms(32_100))));
    tx.handle_timeout(t0 + ms(32_100));
    assert!(tx.is_terminated());
}

#[test]
fn client_transport_error_and_time_going_backwards() {
    let t0 = origin();
    let req = request(Method::Options, "z9hG4bK7");
    let mut tx = ClientTransaction::new(t0 + ms(1000), req, false, TimerConfig::default()).unwrap();
    sends_client(&mut tx);
    // Early and backwards time: nothing happens.
    tx.handle_timeout(t0);
    tx.handle_timeout(t0 + ms(1100));
    assert_eq!(sends_client(&mut tx), 0);
    tx.handle_transport_error(t0 + ms(1200));
    assert_eq!(
        events_client(&mut tx),
        [ClientEvent::TransportError, ClientEvent::Terminated]
    );
    tx.handle_transport_error(t0 + ms(1300));
    assert!(events_client(&mut tx).is_empty());
}

#[test]
fn client_refuses_ack_and_requests_without_branch() {
    let t0 = origin();
    assert_eq!(
        ClientTransaction::new(
            t0,
            request(Method::Ack, "z9hG4bK8"),
            false,
            TimerConfig::default()
        )
        .unwrap_err(),
        Error::AckTransaction
    );
    let mut req = request(Method::Options, "z9hG4bK8");
    req.headers_mut()
        .remove(sipsimple_proto::sip::headers::HeaderName::Via);
    assert!(matches!(
        ClientTransaction::new(t0, req, false, TimerConfig::default()),
        Err(Error::BadRequest(_))
    ));
}

fn sends_server(tx: &mut ServerTransaction) -> Vec<Message> {
    std::iter::from_fn(|| tx.poll_transmit())
        .map(|b| Message::parse(&b).unwrap())
        .collect()
}

fn code(m: &Message) -> u16 {
    m.as_response().unwrap().status().code()
}

#[test]
fn invite_server_sends_trying_and_retransmits_non_2xx_until_ack() {
    let t0 = origin();
    let req = request(Method::Invite, "z9hG4bK9");
    let mut tx = ServerTransaction::new(t0, &req, false, TimerConfig::default()).unwrap();
    let first = sends_server(&mut tx);
    assert_eq!(first.iter().map(code).collect::<Vec<_>>(), [100]);
    tx.respond(t0 + ms(10), &response_to(&req, 180)).unwrap();
    assert_eq!(
        sends_server(&mut tx).iter().map(code).collect::<Vec<_>>(),
        [180]
    );
    // A retransmitted INVITE gets the last provisional response again.
    assert!(tx.handle_request(t0 + ms(500), &req));
    assert_eq!(
        sends_server(&mut tx).iter().map(code).collect::<Vec<_>>(),
        [180]
    );
    tx.respond(t0 + ms(1000), &response_to(&req, 486)).unwrap();
    assert_eq!(tx.state(), ServerState::Completed);
    sends_server(&mut tx);
    // Timer G: T1 doubling, capped at T2 (§17.2.1).
    let mut at = Vec::new();
    while let Some((t, when)) = tx.next_timer() {
        if t != Timer::G || when > t0 + ms(20_000) {
            break;
        }
        tx.handle_timeout(when);
        assert_eq!(
            sends_server(&mut tx).iter().map(code).collect::<Vec<_>>(),
            [486]
        );
        at.push(when - t0);
    }
    let expected: Vec<Duration> = [1500, 2500, 4500, 8500, 12500, 16500]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(at, expected);
    let mut ack = request(Method::Ack, "z9hG4bK9");
    ack.headers_mut().set(
        sipsimple_proto::sip::headers::HeaderName::CSeq,
        "314159 ACK",
    );
    assert!(tx.handle_request(t0 + ms(17_000), &ack));
    assert_eq!(tx.state(), ServerState::Confirmed);
    assert!(
        tx.handle_request(t0 + ms(17_100), &ack),
        "ACK retransmissions are absorbed"
    );
    assert_eq!(tx.next_timer(), Some((Timer::I, t0 + ms(22_000))));
    tx.handle_timeout(t0 + ms(22_000));
    assert!(tx.is_terminated());
}

#[test]
fn invite_server_times_out_without_ack_at_64_t1() {
    let t0 = origin();
    let req = request(Method::Invite, "z9hG4bK10");
    let mut tx = ServerTransaction::new(t0, &req, true, TimerConfig::default()).unwrap();
    tx.respond(t0, &response_to(&req, 404)).unwrap();
    assert_eq!(
        tx.next_timer(),
        Some((Timer::H, t0 + ms(32_000))),
        "no Timer G over TCP"
    );
    tx.handle_timeout(t0 + ms(32_000));
    assert_eq!(
        std::iter::from_fn(|| tx.poll_event()).collect::<Vec<_>>(),
        [ServerEvent::Timeout, ServerEvent::Terminated]
    );
}

#[test]
fn invite_server_accepted_absorbs_invites_but_not_acks() {
    let t0 = origin();
    let req = request(Method::Invite, "z9hG4bK11");
    let mut tx = ServerTransaction::new(t0, &req, false, TimerConfig::default()).unwrap();
    sends_server(&mut tx);
    let ok = response_to(&req, 200);
    tx.respond(t0 + ms(100), &ok).unwrap();
    assert_eq!(tx.state(), ServerState::Accepted);
    sends_server(&mut tx);
    assert!(tx.handle_request(t0 + ms(600), &req));
    assert!(
        sends_server(&mut tx).is_empty(),
        "the UA core retransmits the 2xx, not us"
    );
    tx.respond(t0 + ms(600), &ok).unwrap();
    assert_eq!(sends_server(&mut tx).len(), 1);
    let ack = request(Method::Ack, "z9hG4bK11");
    assert!(
        !tx.handle_request(t0 + ms(700), &ack),
        "the 2xx ACK goes to the dialog"
    );
    assert_eq!(
        tx.respond(t0 + ms(800), &response_to(&req, 486)),
        Err(Error::WrongState("Accepted"))
    );
    tx.handle_timeout(t0 + ms(32_100));
    assert!(tx.is_terminated());
}

#[test]
fn non_invite_server_repeats_its_response_until_timer_j() {
    let t0 = origin();
    let req = request(Method::Options, "z9hG4bK12");
    let mut tx = ServerTransaction::new(t0, &req, false, TimerConfig::default()).unwrap();
    assert!(sends_server(&mut tx).is_empty(), "no 100 for non-INVITE");
    assert!(tx.handle_request(t0 + ms(100), &req));
    assert!(sends_server(&mut tx).is_empty(), "nothing to repeat yet");
    tx.respond(t0 + ms(200), &response_to(&req, 200)).unwrap();
    assert_eq!(sends_server(&mut tx).len(), 1);
    assert!(tx.handle_request(t0 + ms(700), &req));
    assert_eq!(
        sends_server(&mut tx).iter().map(code).collect::<Vec<_>>(),
        [200]
    );
    assert_eq!(tx.next_timer(), Some((Timer::J, t0 + ms(32_200))));
    assert!(tx.respond(t0 + ms(800), &response_to(&req, 200)).is_err());
    tx.handle_timeout(t0 + ms(32_200));
    assert!(tx.is_terminated());
    // Over TCP, Timer J is zero.
    let mut tcp = ServerTransaction::new(t0, &req, true, TimerConfig::default()).unwrap();
    tcp.respond(t0, &response_to(&req, 200)).unwrap();
    assert!(tcp.is_terminated());
}

#[test]
fn keys_match_requests_responses_acks_and_cancels() {
    let invite = request(Method::Invite, "z9hG4bK13");
    let ok = response_to(&invite, 200);
    assert_eq!(
        TransactionKey::for_outgoing_request(&invite).unwrap(),
        TransactionKey::for_response(&ok).unwrap()
    );
    let server = TransactionKey::for_incoming_request(&invite).unwrap();
    assert_eq!(server.direction(), Direction::Server);
    assert!(!server.is_legacy());
    let mut ack = request(Method::Ack, "z9hG4bK13");
    ack.headers_mut().set(
        sipsimple_proto::sip::headers::HeaderName::CSeq,
        "314159 ACK",
    );
    assert_eq!(TransactionKey::for_incoming_request(&ack).unwrap(), server);
    let mut cancel = request(Method::Cancel, "z9hG4bK13");
    cancel.headers_mut().set(
        sipsimple_proto::sip::headers::HeaderName::CSeq,
        "314159 CANCEL",
    );
    assert_ne!(
        TransactionKey::for_incoming_request(&cancel).unwrap(),
        server
    );
    assert_eq!(TransactionKey::cancel_target(&cancel).unwrap(), server);
    // The CANCEL's response matches the CANCEL client transaction, not the INVITE's.
    let cancel_ok = Response::for_request(&cancel, StatusCode::OK);
    assert_eq!(
        TransactionKey::for_response(&cancel_ok).unwrap(),
        TransactionKey::for_outgoing_request(&cancel).unwrap()
    );
    // Same branch from another sent-by is another transaction (§17.2.3).
    let mut other = invite.clone();
    other.headers_mut().set(
        sipsimple_proto::sip::headers::HeaderName::Via,
        "SIP/2.0/UDP other.example.com;branch=z9hG4bK13",
    );
    assert_ne!(
        TransactionKey::for_incoming_request(&other).unwrap(),
        server
    );
}

#[test]
fn rfc2543_requests_match_by_dialog_fields() {
    let legacy = |method: Method, branch: Option<&str>| {
        let mut r = request(method.clone(), "z9hG4bKx");
        let via = match branch {
            Some(b) => format!("SIP/2.0/UDP pc33.atlanta.example.com;branch={b}"),
            None => "SIP/2.0/UDP pc33.atlanta.example.com".to_owned(),
        };
        r.headers_mut()
            .set(sipsimple_proto::sip::headers::HeaderName::Via, &via);
        r.headers_mut().set(
            sipsimple_proto::sip::headers::HeaderName::CSeq,
            &format!("314159 {method}"),
        );
        r
    };
    let invite = legacy(Method::Invite, None);
    let key = TransactionKey::for_incoming_request(&invite).unwrap();
    assert!(key.is_legacy());
    let mut ack = legacy(Method::Ack, None);
    ack.headers_mut().set(
        sipsimple_proto::sip::headers::HeaderName::To,
        "<sip:bob@biloxi.example.com>;tag=a6c85cf",
    );
    assert_eq!(TransactionKey::for_incoming_request(&ack).unwrap(), key);
    let bye = legacy(Method::Bye, None);
    assert_ne!(TransactionKey::for_incoming_request(&bye).unwrap(), key);
    // A bare magic cookie identifies nothing (RFC 4475 §3.2.1): legacy matching.
    let bare = legacy(Method::Invite, Some("z9hG4bK"));
    assert!(TransactionKey::for_incoming_request(&bare)
        .unwrap()
        .is_legacy());
}

#[test]
fn timer_config_defaults_are_rfc_3261_table_4() {
    let c = TimerConfig::default();
    assert_eq!((c.t1, c.t2, c.t4), (ms(500), ms(4000), ms(5000)));
}
