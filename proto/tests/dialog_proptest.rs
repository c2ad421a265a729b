//! Dialogs under random sequences of in-dialog requests from both sides: our CSeq only grows,
//! a peer request whose CSeq goes back is refused and changes nothing, and the state never
//! goes back from Confirmed to Early.

use proptest::prelude::*;
use sipsimple_proto::dialog::{Dialog, DialogError, DialogState};
use sipsimple_proto::sip::headers::{Contact, Cseq, HeaderName, Via};
use sipsimple_proto::sip::{Address, Message, Method, RequestBuilder, Response, StatusCode, Uri};

#[derive(Debug, Clone)]
enum Op {
    /// We send a request with this method.
    Send(u8),
    /// The peer sends a request whose CSeq moves by this much from its last one.
    Receive(i8),
    /// A 2xx arrives for our INVITE.
    Confirm,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4).prop_map(Op::Send),
        (-3i8..4).prop_map(Op::Receive),
        Just(Op::Confirm),
    ]
}

fn method(n: u8) -> Method {
    [
        Method::Info,
        Method::Update,
        Method::Invite,
        Method::Message,
    ][usize::from(n % 4)]
    .clone()
}

proptest! {
    #[test]
    fn cseq_rules_hold(ops in prop::collection::vec(op(), 0..60)) {
        let uri: Uri<'static> = "sip:bob@biloxi.com".parse().unwrap();
        let invite = RequestBuilder::new(Method::Invite, uri.clone())
            .via(&Via::new("UDP", "pc33.atlanta.com", None, "z9hG4bK1"))
            .from(Address::new("sip:alice@atlanta.com".parse().unwrap()).with_tag("a"))
            .to(Address::new(uri))
            .call_id("prop")
            .cseq(100)
            .contact(&Contact::new("sip:alice@192.0.2.1".parse().unwrap()))
            .build();
        let ringing = Response::for_request(&invite, StatusCode::RINGING)
            .with_to_tag("b")
            .with_header(&Contact::new("sip:bob@192.0.2.2".parse().unwrap()));
        let mut uac = Dialog::uac(&invite, &ringing).unwrap();
        let mut uas = Dialog::uas(&invite, &ringing).unwrap();
        let mut last_local = 100u32;
        let mut confirmed = false;
        for op in ops {
            match op {
                Op::Send(m) => {
                    let req = uac.request(method(m), None).unwrap();
                    let seq = Message::Request(req.clone()).cseq().unwrap().seq;
                    prop_assert!(seq > last_local, "our CSeq went from {last_local} to {seq}");
                    last_local = seq;
                    // The peer's view accepts what we send, in order.
                    uas.handle_request(&req).unwrap();
                }
                Op::Receive(delta) => {
                    let (_, remote) = uac.cseqs();
                    let base = remote.unwrap_or(1000) as i64;
                    let seq = (base + i64::from(delta)).max(1) as u32;
                    let mut req = uas.request(Method::Info, None).unwrap();
                    req.headers_mut().set(HeaderName::CSeq, &Cseq::new(seq, Method::Info).to_string());
                    let before = uac.cseqs();
                    match uac.handle_request(&req) {
                        Ok(()) => prop_assert!(remote.is_none_or(|r| seq >= r)),
                        Err(DialogError::CseqOutOfOrder { got, last }) => {
                            prop_assert!(got < last);
                            prop_assert_eq!(uac.cseqs(), before, "a refused request changes nothing");
                        }
                        Err(e) => prop_assert!(false, "unexpected {e}"),
                    }
                }
                Op::Confirm => {
                    let ok = Response::for_request(&invite, StatusCode::OK)
                        .with_to_tag("b")
                        .with_header(&Contact::new("sip:bob@192.0.2.2".parse().unwrap()));
                    uac.handle_response(&ok).unwrap();
                    confirmed = true;
                }
            }
            if confirmed {
                prop_assert_eq!(uac.state(), DialogState::Confirmed);
            }
        }
    }
}
