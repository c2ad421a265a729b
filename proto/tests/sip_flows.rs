//! The example flows of RFC 3261 §24 and RFC 3665: every message parses, validates, keeps its
//! exact text through a round trip, and carries the values the flows rely on.

use sipsimple_proto::sip::headers::{Contact, HeaderName, RecordRoute, Via};
use sipsimple_proto::sip::{Message, ParseError};

fn dir(name: &str) -> String {
    format!("{}/../vectors/sip/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn files(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir(name))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn rfc3665_every_message_parses_validates_and_round_trips() {
    let all = files("rfc3665");
    assert_eq!(all.len(), 193);
    for (name, bytes) in &all {
        let m = Message::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&m.to_bytes()[..], &bytes[..], "{name}");
        for c in m.contact() {
            c.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for r in m.headers().typed::<RecordRoute<'_>>() {
            r.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if let Some(r) = m.as_request() {
            assert_eq!(m.cseq().unwrap().method, *r.method(), "{name}");
        }
    }
}

#[test]
fn rfc3665_registration_challenge_and_binding() {
    let all = files("rfc3665");
    let get = |n: &str| {
        let (_, b) = all.iter().find(|(f, _)| f.starts_with(n)).unwrap();
        Message::parse(b).unwrap()
    };
    let f2 = get("2.01_sip-client-new-registration-F2");
    assert_eq!(f2.as_response().unwrap().status().code(), 401);
    let challenge = f2.headers().get(HeaderName::WwwAuthenticate).unwrap();
    assert!(challenge.starts_with("Digest"));
    let f3 = get("2.01_sip-client-new-registration-F3");
    assert!(f3
        .headers()
        .get(HeaderName::Authorization)
        .unwrap()
        .contains("response="));
    let f4 = get("2.01_sip-client-new-registration-F4");
    let c: Vec<Contact<'_>> = f4.contact().map(Result::unwrap).collect();
    assert_eq!(c.len(), 1);
    assert_eq!(
        c[0].expires().or_else(|| f4
            .headers()
            .get(HeaderName::Expires)
            .and_then(|e| e.parse().ok())),
        Some(3600)
    );
}

/// The RFC 3261 §24 messages omit their SDP bodies but keep the Content-Length; with a body
/// of that length supplied they parse, validate and round-trip.
#[test]
fn rfc3261_section24_flows() {
    let all = files("rfc3261-sec24");
    assert_eq!(all.len(), 16);
    for (name, bytes) in &all {
        let m = match Message::parse(bytes) {
            Ok(m) => m,
            Err(ParseError::BodyTruncated {
                declared,
                available: 0,
            }) => {
                let mut full = bytes.clone();
                full.resize(bytes.len() + declared, b'x');
                Message::parse(&full).unwrap()
            }
            Err(e) => panic!("{name}: {e}"),
        };
        m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = m.to_bytes();
        assert!(out.starts_with(bytes), "{name}");
    }
    let f5 = Message::parse(&{
        let (_, b) = all.iter().find(|(n, _)| n.starts_with("24.2-F5")).unwrap();
        let mut b = b.clone();
        b.resize(b.len() + 142, b'x');
        b
    })
    .unwrap();
    let vias: Vec<Via<'_>> = f5.via().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].host(), "server10.biloxi.com");
    assert_eq!(vias[2].received(), Some("192.0.2.1"));
    // The `received` parameters sit on folded continuation lines.
    assert_eq!(vias[1].received(), Some("192.0.2.2"));
    assert_eq!(vias[1].branch(), Some("z9hG4bK77ef4c2312983.1"));
}

#[test]
fn bench_messages_parse_and_round_trip() {
    for name in ["invite", "ok", "options", "register"] {
        let bytes = std::fs::read(format!(
            "{}/../vectors/bench/{name}.sip",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let m = Message::parse(&bytes).unwrap();
        m.validate().unwrap();
        assert_eq!(m.to_bytes(), bytes, "{name}");
    }
}
