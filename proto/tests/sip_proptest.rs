//! Property tests of the SIP message layer: messages built from the model survive
//! serialize → parse → equal, and no input makes the parser, the framer or a typed header
//! decoder panic.

use proptest::prelude::*;
use sipsimple_proto::fuzz;
use sipsimple_proto::sip::headers::{Contact, HeaderName, Route, Via};
use sipsimple_proto::sip::{
    Address, Frame, Framer, Message, Method, NameAddr, Request, RequestBuilder, Response,
    StatusCode, Uri,
};

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,12}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        any::<[u16; 8]>().prop_map(|s| format!("[{}]", std::net::Ipv6Addr::from(s))),
    ]
}

fn uri() -> impl Strategy<Value = Uri<'static>> {
    (
        prop::option::of("[a-zA-Z0-9 @:;?&=+$,/_.-]{1,16}"),
        host(),
        prop::option::of(any::<u16>()),
        any::<bool>(),
        prop::collection::vec((token(), prop::option::of("[a-zA-Z0-9_.-]{1,8}")), 0..3),
    )
        .prop_map(|(user, host, port, secure, params)| {
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let mut u = Uri::sip(user.as_deref(), &host, port, secure).unwrap();
            for (n, v) in params {
                u = u.with_param(&n, v.as_deref()).unwrap();
            }
            u
        })
}

fn display_name() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[ -~\u{e0}-\u{ff}]{0,16}")
}

fn address() -> impl Strategy<Value = Address<'static>> {
    (uri(), display_name(), prop::option::of(token())).prop_map(|(u, d, tag)| {
        let addr = match d {
            Some(d) => NameAddr::with_display_name(u, &d),
            None => NameAddr::new(u),
        };
        let mut a = Address {
            addr,
            params: Default::default(),
        };
        if let Some(t) = tag {
            a.set_tag(&t);
        }
        a
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Invite),
        Just(Method::Ack),
        Just(Method::Bye),
        Just(Method::Options),
        Just(Method::Register),
        Just(Method::Subscribe),
        Just(Method::Notify),
        Just(Method::Message),
        "[A-Z][A-Z0-9-]{0,10}".prop_map(|m| Method::from_token(&m).unwrap()),
    ]
}

fn extension_header() -> impl Strategy<Value = (String, String)> {
    ("X-[A-Za-z0-9-]{1,12}", "[ -~]{0,40}").prop_map(|(n, v)| (n, v.trim().to_owned()))
}

prop_compose! {
    fn request()(
        method in method(),
        ruri in uri(),
        vias in prop::collection::vec((prop_oneof![Just("UDP"), Just("TCP"), Just("TLS")], host(), prop::option::of(any::<u16>()), token()), 1..4),
        from in address(),
        to in address(),
        call_id in "[a-zA-Z0-9.!%*_+`'~-]{1,20}(@[a-z0-9.]{1,10})?",
        seq in 0u32..=u32::MAX,
        max_forwards in any::<u8>(),
        contacts in prop::collection::vec(address(), 0..3),
        routes in prop::collection::vec(uri(), 0..3),
        extra in prop::collection::vec(extension_header(), 0..4),
        body in prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
    ) -> Request {
        let mut b = RequestBuilder::new(method, ruri);
        for (t, h, p, br) in &vias {
            b = b.via(&Via::new(t, h.trim_start_matches('[').trim_end_matches(']'), *p, &format!("z9hG4bK{br}")));
        }
        b = b.max_forwards(max_forwards).from(from).to(to).call_id(&call_id).cseq(seq);
        for c in contacts {
            b = b.contact(&Contact::Address(c));
        }
        for r in routes {
            b = b.route(&Route::new(r.with_param("lr", None).unwrap()));
        }
        for (n, v) in &extra {
            b = b.raw_header(n, v);
        }
        if let Some(body) = body {
            b = b.body("application/octet-stream", body);
        }
        b.build()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn built_requests_round_trip(req in request()) {
        let bytes = req.to_bytes();
        let parsed = Message::parse(&bytes).unwrap();
        parsed.validate().unwrap();
        prop_assert_eq!(&parsed, &Message::Request(req.clone()));
        prop_assert_eq!(parsed.to_bytes(), bytes.clone());
        // The same bytes through the stream framer, split at an arbitrary point.
        let mut f = Framer::new();
        let cut = bytes.len() / 3;
        f.feed(&bytes[..cut]);
        prop_assert!(f.next_frame().is_none() || cut == bytes.len());
        f.feed(&bytes[cut..]);
        let frame = f.next_frame().unwrap().unwrap();
        prop_assert_eq!(frame, Frame::Message(parsed.clone()));
        // The fuzz oracle: every typed header decodes and the core ones round-trip.
        fuzz::sip_message(&bytes);
        // The typed values equal the model.
        prop_assert_eq!(parsed.via().count(), req.headers().get_all(HeaderName::Via).count());
    }

    #[test]
    fn responses_for_built_requests_round_trip(req in request(), code in 100u16..=699, tag in token(), reason in "[ -~]{0,20}") {
        let resp = Response::for_request(&req, StatusCode::new(code).unwrap())
            .with_to_tag(&tag)
            .with_reason(reason.trim());
        let bytes = resp.to_bytes();
        let parsed = Message::parse(&bytes).unwrap();
        parsed.validate().unwrap();
        prop_assert_eq!(&parsed, &Message::Response(resp));
        prop_assert_eq!(parsed.to().unwrap().tag().is_some(), true);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        fuzz::sip_message(&data);
        fuzz::sip_framer(&data);
    }

    #[test]
    fn mutated_messages_never_panic(req in request(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = req.to_bytes();
        for (idx, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = idx.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        fuzz::sip_message(&bytes);
    }
}
