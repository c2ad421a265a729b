//! Dialogs built from the RFC 3261 §24.2 call flow and its variations.

use super::*;
use crate::sip::headers::Via;
use crate::sip::{Message, RequestBuilder, StatusCode};

fn invite() -> Request {
    let uri: Uri<'static> = "sip:bob@biloxi.com".parse().unwrap();
    RequestBuilder::new(Method::Invite, uri.clone())
        .via(&Via::new("UDP", "pc33.atlanta.com", None, "z9hG4bKnashds8"))
        .raw_header("Record-Route", "<sip:p1.atlanta.com;lr>")
        .raw_header("Record-Route", "<sip:p2.biloxi.com;lr>")
        .from(Address::new("sip:alice@atlanta.com".parse().unwrap()).with_tag("1928301774"))
        .to(Address::new(uri))
        .call_id("a84b4c76e66710")
        .cseq(314159)
        .contact(&Contact::new("sip:alice@pc33.atlanta.com".parse().unwrap()))
        .build()
}

fn answer(req: &Request, code: u16, contact: &str) -> Response {
    let mut r = Response::for_request(req, StatusCode::new(code).unwrap()).with_to_tag("a6c85cf");
    // The response carries the Record-Route of the request back (§12.1.1).
    for rr in req
        .headers()
        .get_all(HeaderName::RecordRoute)
        .collect::<Vec<_>>()
    {
        r = r.with_header(&RecordRoute::parse_for_test(rr));
    }
    r.with_header(&Contact::new(contact.parse().unwrap()))
}

trait ParseForTest {
    fn parse_for_test(s: &str) -> RecordRoute<'static>;
}

impl ParseForTest for RecordRoute<'static> {
    fn parse_for_test(s: &str) -> RecordRoute<'static> {
        use crate::sip::headers::Header;
        RecordRoute::parse(s).unwrap().into_owned()
    }
}

#[test]
fn uac_and_uas_see_the_same_dialog_from_both_ends() {
    let req = invite();
    let ok = answer(&req, 200, "sip:bob@192.0.2.4");
    let uac = Dialog::uac(&req, &ok).unwrap();
    let uas = Dialog::uas(&req, &ok).unwrap();
    assert_eq!(uac.state(), DialogState::Confirmed);
    assert_eq!(
        uac.id(),
        &DialogId::new("a84b4c76e66710", "1928301774", "a6c85cf")
    );
    assert_eq!(
        uas.id(),
        &DialogId::new("a84b4c76e66710", "a6c85cf", "1928301774")
    );
    assert_eq!(DialogId::for_response(&ok).as_ref(), Some(uac.id()));
    assert_eq!(uac.remote_target().as_str(), "sip:bob@192.0.2.4");
    assert_eq!(uas.remote_target().as_str(), "sip:alice@pc33.atlanta.com");
    // The UAC reverses the Record-Route; the UAS keeps its order (§12.1.1, §12.1.2).
    let hosts = |d: &Dialog| {
        d.route_set()
            .iter()
            .map(|r| r.uri().host().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(hosts(&uac), ["p2.biloxi.com", "p1.atlanta.com"]);
    assert_eq!(hosts(&uas), ["p1.atlanta.com", "p2.biloxi.com"]);
    assert_eq!(uac.cseqs(), (Some(314159), None));
    assert_eq!(uas.cseqs(), (None, Some(314159)));
}

#[test]
fn in_dialog_request_uses_loose_routing_and_the_next_cseq() {
    let req = invite();
    let mut uac = Dialog::uac(&req, &answer(&req, 200, "sip:bob@192.0.2.4")).unwrap();
    let bye = uac.request(Method::Bye, None).unwrap();
    let m = Message::Request(bye.clone());
    assert_eq!(bye.uri().as_str(), "sip:bob@192.0.2.4");
    let routes: Vec<String> = m
        .headers()
        .typed::<Route<'_>>()
        .map(|r| r.unwrap().uri().to_string())
        .collect();
    assert_eq!(routes, ["sip:p2.biloxi.com;lr", "sip:p1.atlanta.com;lr"]);
    assert_eq!(m.cseq().unwrap(), Cseq::new(314160, Method::Bye));
    assert_eq!(m.from().unwrap().tag(), Some("1928301774"));
    assert_eq!(m.to().unwrap().tag(), Some("a6c85cf"));
    assert_eq!(m.call_id().unwrap().as_str(), "a84b4c76e66710");
    // ACK for the INVITE keeps the INVITE's CSeq number.
    let ack = uac.request(Method::Ack, Some(314159)).unwrap();
    assert_eq!(
        Message::Request(ack).cseq().unwrap(),
        Cseq::new(314159, Method::Ack)
    );
    assert_eq!(uac.cseqs().0, Some(314160));
}

#[test]
fn strict_router_takes_the_request_uri() {
    let uri: Uri<'static> = "sip:bob@biloxi.com".parse().unwrap();
    let req = RequestBuilder::new(Method::Invite, uri.clone())
        .via(&Via::new("UDP", "pc33.atlanta.com", None, "z9hG4bK1"))
        .from(Address::new("sip:alice@atlanta.com".parse().unwrap()).with_tag("1"))
        .to(Address::new(uri))
        .call_id("strict")
        .cseq(1)
        .build();
    let ok = Response::for_request(&req, StatusCode::OK)
        .with_to_tag("2")
        .with_header(&RecordRoute::parse_for_test(
            "<sip:strict.example.com;maddr=192.0.2.9>",
        ))
        .with_header(&Contact::new("sip:bob@192.0.2.4".parse().unwrap()));
    let mut d = Dialog::uac(&req, &ok).unwrap();
    let bye = d.request(Method::Bye, None).unwrap();
    // §12.2.1.1: the strict router is the Request-URI, the remote target the last Route.
    assert_eq!(bye.uri().as_str(), "sip:strict.example.com;maddr=192.0.2.9");
    let routes: Vec<String> = Message::Request(bye)
        .headers()
        .typed::<Route<'_>>()
        .map(|r| r.unwrap().uri().to_string())
        .collect();
    assert_eq!(routes, ["sip:bob@192.0.2.4"]);
}

#[test]
fn early_dialog_is_confirmed_and_rerouted_by_the_2xx() {
    let req = invite();
    let ringing = answer(&req, 180, "sip:bob@192.0.2.4");
    let mut d = Dialog::uac(&req, &ringing).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    // The 2xx comes with another Contact and a shorter Record-Route.
    let ok = Response::for_request(&req, StatusCode::OK)
        .with_to_tag("a6c85cf")
        .with_header(&RecordRoute::parse_for_test("<sip:p9.example.com;lr>"))
        .with_header(&Contact::new("sip:bob@192.0.2.5".parse().unwrap()));
    d.handle_response(&ok).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target().as_str(), "sip:bob@192.0.2.5");
    assert_eq!(d.route_set().len(), 1);
    assert!(
        Dialog::uac(&req, &Response::for_request(&req, StatusCode::RINGING)).is_err(),
        "no To tag, no dialog"
    );
    assert_eq!(
        Dialog::uac(&req, &answer(&req, 486, "sip:x@y")),
        Err(DialogError::NotDialogCreating)
    );
}

#[test]
fn remote_cseq_must_not_go_back_and_target_refresh_applies() {
    let req = invite();
    let ok = answer(&req, 200, "sip:bob@192.0.2.4");
    let mut uas = Dialog::uas(&req, &ok).unwrap();
    let mut uac = Dialog::uac(&req, &ok).unwrap();
    let mut reinvite = uac.request(Method::Invite, None).unwrap();
    reinvite
        .headers_mut()
        .push_typed(&Contact::new("sip:alice@192.0.2.77".parse().unwrap()));
    uas.handle_request(&reinvite).unwrap();
    assert_eq!(uas.remote_target().as_str(), "sip:alice@192.0.2.77");
    assert_eq!(uas.cseqs().1, Some(314160));
    // An older request is out of order: 500 (§12.2.2).
    let mut old = reinvite.clone();
    old.headers_mut().set(HeaderName::CSeq, "314159 INFO");
    assert_eq!(
        uas.handle_request(&old),
        Err(DialogError::CseqOutOfOrder {
            got: 314159,
            last: 314160
        })
    );
    // ACK and CANCEL do not move the CSeq.
    let ack = uac.request(Method::Ack, Some(314160)).unwrap();
    uas.handle_request(&ack).unwrap();
    assert_eq!(
        DialogId::for_incoming_request(&ack).as_ref(),
        Some(uas.id())
    );
    uas.terminate();
    assert_eq!(uas.handle_request(&ack), Err(DialogError::Terminated));
    assert_eq!(uas.request(Method::Bye, None), Err(DialogError::Terminated));
}

#[test]
fn uas_first_request_starts_its_own_cseq_space() {
    let req = invite();
    let mut uas = Dialog::uas(&req, &answer(&req, 200, "sip:bob@192.0.2.4")).unwrap();
    let bye = uas.request(Method::Bye, None).unwrap();
    let m = Message::Request(bye.clone());
    assert_eq!(m.cseq().unwrap().seq, 1);
    assert_eq!(bye.uri().as_str(), "sip:alice@pc33.atlanta.com");
    assert_eq!(m.from().unwrap().tag(), Some("a6c85cf"));
    assert_eq!(m.to().unwrap().tag(), Some("1928301774"));
}

#[test]
fn a_forked_invite_makes_one_early_dialog_per_to_tag() {
    let req = invite();
    let early = |tag: &str, contact: &str| {
        Response::for_request(&req, StatusCode::RINGING)
            .with_to_tag(tag)
            .with_header(&Contact::new(contact.parse().unwrap()))
    };
    let mut a = Dialog::uac(&req, &early("fork-a", "sip:bob@192.0.2.21")).unwrap();
    let b = Dialog::uac(&req, &early("fork-b", "sip:bob@192.0.2.22")).unwrap();
    assert_ne!(a.id(), b.id(), "each branch is its own early dialog");
    assert_eq!(
        (a.state(), b.state()),
        (DialogState::Early, DialogState::Early)
    );
    assert_eq!(b.remote_target().as_str(), "sip:bob@192.0.2.22");
    // The 2xx from branch A confirms that dialog only; its id matches A, not B.
    let ok = Response::for_request(&req, StatusCode::OK)
        .with_to_tag("fork-a")
        .with_header(&Contact::new("sip:bob@192.0.2.21".parse().unwrap()));
    assert_eq!(DialogId::for_response(&ok).as_ref(), Some(a.id()));
    a.handle_response(&ok).unwrap();
    assert_eq!(a.state(), DialogState::Confirmed);
    assert_eq!(b.state(), DialogState::Early);
}
