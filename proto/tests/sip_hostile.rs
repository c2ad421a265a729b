//! Hostile input: huge lines, many headers, deep escapes, NULs, truncation and lying
//! Content-Lengths each give a clear error (or a bounded, correct parse), never a panic.

use sipsimple_proto::sip::headers::{Contact, Header, Via};
use sipsimple_proto::sip::{
    Frame, Framer, FramerError, HeaderError, Message, NameAddr, ParseError, ParseLimits, Uri,
};

const OPTIONS: &str = "OPTIONS sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:alice@example.com>;tag=1\r\n\
To: <sip:bob@example.com>\r\n\
Call-ID: hostile@192.0.2.1\r\n\
CSeq: 1 OPTIONS\r\n\
Max-Forwards: 70\r\n";

fn with_header(extra: &str) -> Vec<u8> {
    format!("{OPTIONS}{extra}\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

#[test]
fn one_mebibyte_header_line() {
    let big = format!("X-Big: {}", "a".repeat(1 << 20));
    let bytes = with_header(&big);
    assert!(matches!(
        Message::parse(&bytes),
        Err(ParseError::TooLarge { limit: 65536, .. })
    ));
    let mut f = Framer::new();
    for chunk in bytes.chunks(1500) {
        f.feed(chunk);
        if let Some(r) = f.next_frame() {
            assert!(matches!(
                r,
                Err(FramerError::Stream(ParseError::TooLarge { .. }))
            ));
            break;
        }
        assert!(f.buffered() <= 65536 + 1500, "framer buffer stays bounded");
    }
    assert!(f.is_failed());
    // With a limit that allows it, the line parses and round-trips.
    let limits = ParseLimits {
        max_size: 2 << 20,
        ..ParseLimits::default()
    };
    let m = Message::parse_with(&bytes, &limits).unwrap();
    assert_eq!(
        m.headers().get_by_name("x-big").map(str::len),
        Some(1 << 20)
    );
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn ten_thousand_headers() {
    let many: String = (0..10_000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let bytes = with_header(many.trim_end());
    let limits = ParseLimits {
        max_size: 1 << 20,
        max_headers: 256,
    };
    assert_eq!(
        Message::parse_with(&bytes, &limits),
        Err(ParseError::TooManyHeaders { limit: 256 })
    );
    let mut f = Framer::with_limits(limits);
    f.feed(&bytes);
    assert_eq!(
        f.next_frame(),
        Some(Err(FramerError::Stream(ParseError::TooManyHeaders {
            limit: 256
        })))
    );
    // Ten thousand Via values on one line parse lazily, one by one, without blowing up.
    let vias = vec!["SIP/2.0/UDP h;branch=z9hG4bKx"; 10_000].join(",");
    let bytes = with_header(&format!("Via: {vias}"));
    let m = Message::parse_with(
        &bytes,
        &ParseLimits {
            max_size: 1 << 20,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.via().count(), 10_001);
}

#[test]
fn deep_escapes_and_quotes() {
    let user = "%25".repeat(10_000);
    let uri = format!("sip:{user}@example.com");
    let u = Uri::parse(&uri).unwrap();
    assert_eq!(u.user_unescaped().unwrap().len(), 10_000);
    assert!(Uri::parse(&format!("sip:{}@example.com", "%".repeat(1000))).is_err());
    let quoted = format!("\"{}\" <sip:a@b>", "\\\\".repeat(10_000));
    let na = NameAddr::parse(&quoted).unwrap();
    assert_eq!(na.display_name().unwrap().len(), 10_000);
    let open = format!("\"{}", "\\\"".repeat(10_000));
    assert_eq!(NameAddr::parse(&open), Err(HeaderError::UnterminatedQuote));
    let brackets = "<".repeat(10_000);
    assert!(NameAddr::parse(&brackets).is_err());
    let params = ";a".repeat(10_000);
    let text = format!("<sip:a@b>{params}");
    let c = Contact::parse(&text).unwrap();
    assert_eq!(c.address().unwrap().params.iter().count(), 10_000);
}

#[test]
fn nuls_and_control_bytes() {
    assert!(Message::parse(b"OPTIONS\0sip:a@b SIP/2.0\r\n\r\n").is_err());
    assert!(Message::parse(b"OPTIONS sip:a@b\0 SIP/2.0\r\n\r\n").is_err());
    assert!(matches!(
        Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nX\0: y\r\n\r\n"),
        Err(ParseError::HeaderLine { line: 2, .. })
    ));
    // A NUL inside a value is kept as data and rejected by typed decoders that do not allow it.
    let m = Message::parse(&with_header("Via: SIP/2.0/UDP h\0st;branch=z9hG4bK2")).unwrap();
    assert!(m.via().any(|v| v.is_err()));
    assert!(matches!(
        Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nX: \xff\xfe\r\n\r\n"),
        Err(ParseError::InvalidUtf8 { line: 2 })
    ));
    // A multi-byte character across the first four bytes (a fuzzer's find).
    assert!(Message::parse("SG\u{0441}\u{0442} 200 OK\r\n\r\n".as_bytes()).is_err());
    assert!(Message::parse("\u{0441}\u{0442}P/2.0 200 OK\r\n\r\n".as_bytes()).is_err());
    assert_eq!(Message::parse(b""), Err(ParseError::Empty));
    assert_eq!(Message::parse(b"\r\n\r\n"), Err(ParseError::Empty));
}

#[test]
fn every_truncation_fails_cleanly_or_parses() {
    let full = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vectors/bench/invite.sip"
    ))
    .unwrap();
    let head_end = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    for n in 0..full.len() {
        match Message::parse(&full[..n]) {
            Ok(m) => panic!(
                "prefix of {n} bytes parsed: {:?}",
                m.as_request().map(|r| r.method())
            ),
            Err(e) => {
                if n >= head_end {
                    assert!(matches!(e, ParseError::BodyTruncated { .. }), "{n}: {e}");
                } else {
                    assert!(
                        matches!(e, ParseError::Truncated | ParseError::Empty),
                        "{n}: {e}"
                    );
                }
            }
        }
        let mut f = Framer::new();
        f.feed(&full[..n]);
        assert_eq!(
            f.next_frame(),
            None,
            "a stream prefix is incomplete, not an error"
        );
    }
    assert!(Message::parse(&full).is_ok());
}

#[test]
fn content_length_lies() {
    // Larger than the datagram.
    let m = format!("{OPTIONS}Content-Length: 50\r\n\r\nshort");
    assert_eq!(
        Message::parse(m.as_bytes()),
        Err(ParseError::BodyTruncated {
            declared: 50,
            available: 5
        })
    );
    // Smaller: the rest of the datagram is ignored.
    let m = format!("{OPTIONS}Content-Length: 2\r\n\r\nshort");
    assert_eq!(&Message::parse(m.as_bytes()).unwrap().body()[..], b"sh");
    // Absurd: rejected before any allocation.
    for cl in ["99999999999999999999", "1e3", "0x10", "", "+1", "1 2"] {
        let m = format!("{OPTIONS}Content-Length: {cl}\r\n\r\n");
        assert_eq!(
            Message::parse(m.as_bytes()),
            Err(ParseError::ContentLength),
            "{cl:?}"
        );
    }
    // On a stream, a length past the size limit fails at once instead of buffering.
    let mut f = Framer::new();
    f.feed(format!("{OPTIONS}Content-Length: 4000000000\r\n\r\n").as_bytes());
    assert!(matches!(
        f.next_frame(),
        Some(Err(FramerError::Stream(ParseError::TooLarge { .. })))
    ));
    // A length that eats into the next message desynchronises nothing we report as valid:
    // the first message takes the bytes it announced.
    let mut f = Framer::new();
    let first = format!("{OPTIONS}Content-Length: 10\r\n\r\n");
    f.feed(first.as_bytes());
    f.feed(b"0123456789");
    assert!(
        matches!(f.next_frame(), Some(Ok(Frame::Message(m))) if &m.body()[..] == b"0123456789")
    );
}

#[test]
fn typed_decoders_reject_garbage_without_panicking() {
    let garbage = [
        "",
        " ",
        ",",
        ";",
        "<",
        ">",
        "\"",
        "<>",
        "<sip:>",
        "sip:",
        "SIP/",
        "SIP/2.0/",
        "SIP/2.0/UDP [",
        "SIP/2.0/UDP [::1",
        "SIP/2.0/UDP h:",
        "SIP/2.0/UDP h:70000",
        "\u{00e9}",
        "<sip:a@b>;=",
        "<sip:a@b>;a=\"",
        "*;x",
        "<sip:a@[::g]>",
        "<sips:%>",
    ];
    for g in garbage {
        let _ = Via::parse(g);
        let _ = Contact::parse(g);
        let _ = NameAddr::parse(g);
        let _ = Uri::parse(g);
    }
}

#[test]
fn built_values_cannot_inject_header_lines() {
    use sipsimple_proto::sip::{headers::HeaderName, Method, RequestBuilder};
    let req = RequestBuilder::new(Method::Options, "sip:a@b".parse().unwrap())
        .raw_header("Subject", "hi\r\nVia: SIP/2.0/UDP evil;branch=z9hG4bKx")
        .raw_header("X-Folded", "one\r\n two")
        .build();
    let m = Message::parse(&req.to_bytes()).unwrap();
    assert_eq!(m.via().count(), 0, "no Via was injected");
    assert_eq!(
        m.headers().get(HeaderName::Subject),
        Some("hi  Via: SIP/2.0/UDP evil;branch=z9hG4bKx")
    );
    assert_eq!(m.headers().get_by_name("x-folded"), Some("one   two"));
}

#[test]
#[should_panic(expected = "is not a token")]
fn header_names_must_be_tokens() {
    let mut h = sipsimple_proto::sip::headers::Headers::new();
    h.push_raw("Bad: name", "x");
}
