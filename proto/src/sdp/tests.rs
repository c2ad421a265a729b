//! Whole-session tests: line order, limits, hostile input, inheritance rules.

use super::*;

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";

fn parse(text: &str) -> Result<Session, ParseError> {
    Session::parse(text.as_bytes())
}

/// Parses, checks that serialization round-trips on the model, and returns the session.
fn parse_ok(text: &str) -> Session {
    let session = parse(text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    let again = Session::parse(&session.to_bytes()).expect("serialized form parses");
    assert_eq!(again, session);
    session
}

#[test]
fn direction_inherits_from_session_then_defaults_to_sendrecv() {
    let s = parse_ok(&format!(
        "{HEAD}t=0 0\r\na=recvonly\r\nm=audio 1 RTP/AVP 0\r\nm=video 2 RTP/AVP 31\r\na=inactive\r\n"
    ));
    assert_eq!(s.direction(), Some(Direction::RecvOnly));
    assert_eq!(s.media()[0].direction(), None);
    assert_eq!(
        s.effective_directions().collect::<Vec<_>>(),
        [Direction::RecvOnly, Direction::Inactive]
    );
    let s = parse_ok(&format!("{HEAD}t=0 0\r\nm=audio 1 RTP/AVP 0\r\n"));
    assert_eq!(s.media()[0].effective_direction(&s), Direction::SendRecv);
}

#[test]
fn rfc3264_answer_from_offer_directions() {
    let offer = parse_ok(&format!(
        "{HEAD}t=0 0\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\nm=audio 2 RTP/AVP 0\r\na=recvonly\r\n\
         m=audio 3 RTP/AVP 0\r\na=inactive\r\nm=audio 4 RTP/AVP 0\r\n"
    ));
    let answered: Vec<_> = offer
        .effective_directions()
        .map(|d| Direction::answer(d, Direction::SendRecv))
        .collect();
    assert_eq!(
        answered,
        [
            Direction::RecvOnly,
            Direction::SendOnly,
            Direction::Inactive,
            Direction::SendRecv
        ]
    );
    let mut answer = offer.clone();
    for (media, direction) in answer.media_mut().iter_mut().zip(answered) {
        media.set_direction(direction);
    }
    answer.origin_mut().increment_version();
    let answer = parse_ok(&answer.to_string());
    assert_eq!(answer.media()[3].direction(), Some(Direction::SendRecv));
    assert_eq!(answer.origin().session_version, 2);
}

#[test]
fn multicast_connection_lines() {
    let s = parse_ok(&format!(
        "{HEAD}c=IN IP4 224.2.1.1/127/3\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n\
         c=IN IP6 FF15::101/3\r\nc=IN IP4 224.2.1.2/16\r\n"
    ));
    let c = s.connection().unwrap();
    assert_eq!((c.ttl, c.address_count), (Some(127), Some(3)));
    let media = &s.media()[0];
    assert_eq!(media.connections().len(), 2);
    assert_eq!(media.connections()[0].address_count, Some(3));
    assert_eq!(media.effective_connection(&s).unwrap().address, "FF15::101");
    assert_eq!(
        parse(&format!("{HEAD}c=IN IP4 224.2.1.1/300\r\n")),
        Err(ParseError::BadLine {
            line: 4,
            kind: 'c',
            reason: Fault::OutOfRange("ttl")
        })
    );
}

#[test]
fn unknown_attributes_round_trip_byte_exact() {
    let text = format!(
        "{HEAD}t=0 0\r\na=foo\r\na=foo:\r\na=x-custom:with: colons  and  spaces\r\n\
         m=audio 1 RTP/AVP 0\r\na=bar\r\na=rtcp-fb:* nack\r\na=ssrc:1 cname:x\r\n"
    );
    let s = parse_ok(&text);
    assert_eq!(s.to_string(), text);
    assert_eq!(s.attribute("foo").unwrap().value(), None);
    assert_eq!(
        s.attribute_value("x-custom").as_deref(),
        Some("with: colons  and  spaces")
    );
    assert_eq!(s.attributes().all("foo").count(), 2);
    assert!(s.media()[0].has_attribute("bar"));
}

#[test]
fn malformed_known_attribute_does_not_reject_the_session() {
    let text = format!(
        "{HEAD}t=0 0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:***\r\n\
         a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
         a=rtpmap:x y\r\na=candidate:garbage\r\n"
    );
    let s = parse_ok(&text);
    assert_eq!(s.to_string(), text);
    let media = &s.media()[0];
    assert_eq!(media.crypto().map(|c| c.tag).collect::<Vec<_>>(), [2]);
    assert_eq!(media.rtpmaps().count(), 0);
    assert_eq!(media.candidates().count(), 0);
    let malformed: Vec<_> = media
        .attributes()
        .malformed()
        .map(|m| m.raw.name.as_str())
        .collect();
    assert_eq!(malformed, ["crypto", "rtpmap", "candidate"]);
    assert_eq!(
        media.attribute("crypto").and_then(Attribute::malformed),
        Some(&Fault::Invalid("key||salt"))
    );
}

#[test]
fn line_ends_and_blank_lines() {
    let crlf = format!("{HEAD}t=0 0\r\nm=audio 1 RTP/AVP 0\r\n");
    let expected = parse_ok(&crlf);
    let lf = crlf.replace("\r\n", "\n");
    assert_eq!(parse_ok(&lf), expected);
    assert_eq!(parse_ok(crlf.trim_end()), expected);
    assert_eq!(parse_ok(&format!("{crlf}\r\n\r\n")), expected);
    assert_eq!(parse_ok(&format!("\r\n{crlf}")), expected);
    assert_eq!(parse_ok(&format!("{}\r", crlf.trim_end())), expected);
    assert_eq!(expected.to_string(), crlf);
}

#[test]
fn mandatory_lines_and_order() {
    assert_eq!(parse(""), Err(ParseError::MissingLine { kind: 'v' }));
    assert_eq!(parse("\r\n\n"), Err(ParseError::MissingLine { kind: 'v' }));
    assert_eq!(parse("v=0\r\n"), Err(ParseError::MissingLine { kind: 'o' }));
    assert_eq!(
        parse("o=- 1 1 IN IP4 h\r\nv=0\r\n"),
        Err(ParseError::Unexpected {
            line: 1,
            kind: 'o',
            expected: 'v'
        })
    );
    assert_eq!(
        parse("v=0\r\ns=x\r\n"),
        Err(ParseError::Unexpected {
            line: 2,
            kind: 's',
            expected: 'o'
        })
    );
    assert_eq!(
        parse("v=0\r\no=- 1 1 IN IP4 h\r\n"),
        Err(ParseError::MissingLine { kind: 's' })
    );
    assert_eq!(
        parse("v=1\r\n"),
        Err(ParseError::BadLine {
            line: 1,
            kind: 'v',
            reason: Fault::Invalid("version")
        })
    );
    // Session-level lines in a non-RFC order are accepted and serialized in RFC order.
    let s = parse_ok(&format!(
        "{HEAD}a=tool:x\r\nt=0 0\r\nc=IN IP4 h\r\nb=AS:1\r\ni=info\r\n"
    ));
    assert_eq!(
        s.to_string(),
        format!("{HEAD}i=info\r\nc=IN IP4 h\r\nb=AS:1\r\nt=0 0\r\na=tool:x\r\n")
    );
    // No t= at all is tolerated.
    assert!(parse_ok(HEAD).timings().is_empty());
    for (text, kind) in [
        ("t=0 0", 't'),
        ("r=1 1 0", 'r'),
        ("e=x", 'e'),
        ("z=0 0", 'z'),
    ] {
        assert_eq!(
            parse(&format!("{HEAD}t=0 0\r\nm=audio 1 RTP/AVP 0\r\n{text}\r\n")),
            Err(ParseError::LineOrder { line: 6, kind }),
            "{text}"
        );
    }
    assert_eq!(
        parse(&format!("{HEAD}r=7d 1h 0\r\n")),
        Err(ParseError::LineOrder { line: 4, kind: 'r' })
    );
}

#[test]
fn repeats_attach_to_latest_timing() {
    let text = format!(
        "{HEAD}t=3034423619 3042462419\r\nr=7d 1h 0 25h\r\nr=604800 3600 0 90000\r\nt=0 0\r\n\
         z=2882844526 -1h 2898848070 0\r\n"
    );
    let s = parse_ok(&text);
    assert_eq!(s.timings().len(), 2);
    assert_eq!(s.timings()[0].repeats.len(), 2);
    assert_eq!(s.timings()[0].repeats[0].interval.seconds(), Some(604_800));
    assert_eq!(s.time_zones()[0].offset.seconds(), Some(-3600));
    assert_eq!(s.to_string(), text);
}

#[test]
fn duplicates_are_refused() {
    let cases = [
        ("v=0", 'v'),
        ("o=- 1 1 IN IP4 h", 'o'),
        ("s=again", 's'),
        ("i=a\r\ni=b", 'i'),
        ("c=IN IP4 a\r\nc=IN IP4 b", 'c'),
        ("k=prompt\r\nk=prompt", 'k'),
        ("z=0 0\r\nz=0 0", 'z'),
        ("u=a\r\nu=b", 'u'),
    ];
    for (lines, kind) in cases {
        let result = parse(&format!("{HEAD}{lines}\r\n"));
        assert!(
            matches!(result, Err(ParseError::DuplicateLine { kind: k, .. }) if k == kind),
            "{lines}: {result:?}"
        );
    }
    let media = format!("{HEAD}m=audio 1 RTP/AVP 0\r\n");
    for (lines, kind) in [("i=a\r\ni=b", 'i'), ("k=a\r\nk=b", 'k'), ("v=0", 'v')] {
        let result = parse(&format!("{media}{lines}\r\n"));
        assert!(
            matches!(result, Err(ParseError::DuplicateLine { kind: k, .. }) if k == kind),
            "{lines}: {result:?}"
        );
    }
}

#[test]
fn malformed_lines() {
    assert_eq!(
        parse(&format!("{HEAD}x=1\r\n")),
        Err(ParseError::UnknownLineType { line: 4, kind: 'x' })
    );
    assert_eq!(
        parse(&format!("{HEAD}garbage\r\n")),
        Err(ParseError::Malformed { line: 4 })
    );
    assert_eq!(
        parse(&format!("{HEAD}a\r\n")),
        Err(ParseError::Malformed { line: 4 })
    );
    assert_eq!(
        parse(&format!("{HEAD}A=x\r\n")),
        Err(ParseError::UnknownLineType { line: 4, kind: 'A' })
    );
    assert_eq!(
        parse(&format!("{HEAD}é=x\r\n")),
        Err(ParseError::UnknownLineType {
            line: 4, kind: 'é'
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}a=\r\n")),
        Err(ParseError::BadLine {
            line: 4,
            kind: 'a',
            reason: Fault::Missing("attribute name")
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}a=:x\r\n")),
        Err(ParseError::BadLine {
            line: 4,
            kind: 'a',
            reason: Fault::Missing("attribute name")
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio x RTP/AVP 0\r\n")),
        Err(ParseError::BadLine {
            line: 4,
            kind: 'm',
            reason: Fault::Invalid("port")
        })
    );
}

#[test]
fn hostile_input_is_refused_cleanly() {
    // 1 MiB line.
    let huge = format!("{HEAD}a=x:{}\r\n", "y".repeat(1 << 20));
    assert!(matches!(
        parse(&huge),
        Err(ParseError::TooLarge { limit: 65_536, .. })
    ));

    // 100k attributes: over the size limit by default, over the attribute limit when the size
    // limit is raised.
    let many = format!("{HEAD}{}", "a=x\r\n".repeat(100_000));
    assert!(matches!(parse(&many), Err(ParseError::TooLarge { .. })));
    let limits = Limits::default().with_max_size(usize::MAX);
    assert_eq!(
        Session::parse_with(many.as_bytes(), &limits),
        Err(ParseError::TooManyAttributes {
            line: 4100,
            limit: 4096
        })
    );
    let media = format!("{HEAD}{}", "m=audio 0 RTP/AVP 0\r\n".repeat(2000));
    assert_eq!(
        Session::parse_with(media.as_bytes(), &limits),
        Err(ParseError::TooManyMedia {
            line: 1028,
            limit: 1024
        })
    );

    // NULs, stray CR, non-UTF-8.
    assert_eq!(
        parse(&format!("{HEAD}s\0=x\r\n")),
        Err(ParseError::ControlCharacter { line: 4 })
    );
    assert_eq!(
        parse(&format!("{HEAD}i=a\rb\r\n")),
        Err(ParseError::ControlCharacter { line: 4 })
    );
    let mut bytes = format!("{HEAD}i=").into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\r', b'\n']);
    assert_eq!(
        Session::parse(&bytes),
        Err(ParseError::InvalidUtf8 { line: 4 })
    );

    // Truncated input: every prefix either parses or gives an error, never a panic.
    let full = format!(
        "{HEAD}c=IN IP4 224.2.1.1/127/3\r\nt=0 0\r\nm=audio 49170 RTP/SAVP 0\r\n\
         a=crypto:1 AES_CM_128_HMAC_SHA1_80 \
         inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n\
         a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host\r\n"
    );
    for end in 0..=full.len() {
        if let Ok(s) = Session::parse(&full.as_bytes()[..end]) {
            assert_eq!(Session::parse(&s.to_bytes()).as_ref(), Ok(&s));
        }
    }

    // Huge numbers.
    assert_eq!(
        parse("v=0\r\no=- 99999999999999999999 1 IN IP4 h\r\ns=-\r\n"),
        Err(ParseError::BadLine {
            line: 2,
            kind: 'o',
            reason: Fault::OutOfRange("sess-id")
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}t=0 184467440737095516160\r\n")),
        Err(ParseError::BadLine {
            line: 4,
            kind: 't',
            reason: Fault::OutOfRange("stop-time")
        })
    );
    assert_eq!(
        parse(&format!("{HEAD}m=audio 1/99999 RTP/AVP 0\r\n")),
        Err(ParseError::BadLine {
            line: 4,
            kind: 'm',
            reason: Fault::OutOfRange("number of ports")
        })
    );
    let s = parse_ok(&format!(
        "{HEAD}m=audio 1 RTP/AVP 0\r\na=max-size:99999999999999999999999\r\n"
    ));
    assert_eq!(s.media()[0].attributes().max_size(), None);
    assert!(s.media()[0]
        .attribute("max-size")
        .unwrap()
        .malformed()
        .is_some());
}

#[test]
fn size_limit_counts_crlf_so_reserialization_fits() {
    // A body of bare-LF lines just under the limit in raw bytes but over it with CRLF.
    let limits = Limits::default().with_max_size(200);
    let body = format!("{HEAD}{}", "a=x\n".repeat(40));
    assert!(body.len() <= 200);
    assert!(matches!(
        Session::parse_with(body.as_bytes(), &limits),
        Err(ParseError::TooLarge { .. })
    ));
    let fits = format!("{HEAD}{}", "a=x\n".repeat(30));
    let s = Session::parse_with(fits.as_bytes(), &limits).unwrap();
    assert!(s.to_bytes().len() <= 200);
    assert_eq!(Session::parse_with(&s.to_bytes(), &limits), Ok(s));
}

#[test]
fn builder_produces_parseable_offer() {
    let origin = Origin::new("alice", 42, 1, "192.0.2.10".parse().unwrap());
    let key = InlineKey::new(&[7u8; 30]);
    let mut audio = MediaDescription::new(
        MediaType::Audio,
        50_000,
        TransportProtocol::RtpSavp,
        ["0", "101"],
    )
    .with_attribute(Attribute::Rtpmap(Rtpmap::new(0, "PCMU", 8000)))
    .with_attribute(Attribute::Rtpmap(Rtpmap::new(101, "telephone-event", 8000)))
    .with_attribute(Attribute::Fmtp(Fmtp::new("101", "0-15")))
    .with_attribute(Attribute::Crypto(Crypto::new(
        1,
        CryptoSuite::AesCm128HmacSha1_80,
        key,
    )))
    .with_attribute(Attribute::RtcpMux);
    audio
        .set_direction(Direction::SendRecv)
        .set_information(Some("voice".into()));
    let chat = MediaDescription::new(
        MediaType::Message,
        2855,
        TransportProtocol::TcpTlsMsrp,
        ["*"],
    )
    .with_attribute(Attribute::Path(vec![
        "msrps://192.0.2.10:2855/abc;tcp".into()
    ]))
    .with_attribute(Attribute::AcceptTypes(vec![
        "message/cpim".into(),
        "text/plain".into(),
    ]))
    .with_attribute(Attribute::Setup(Setup::Actpass))
    .with_attribute(Attribute::other("x-flag", None::<String>));
    let session = Session::new(origin, "-")
        .with_connection(ConnectionData::new("192.0.2.10".parse().unwrap()))
        .with_media(audio)
        .with_media(chat);
    let text = session.to_string();
    assert!(text.starts_with(
        "v=0\r\no=alice 42 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    ));
    let parsed = Session::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed, session);
    let audio = &parsed.media()[0];
    assert_eq!(audio.fmtp("101").unwrap().params, "0-15");
    assert_eq!(
        audio
            .crypto()
            .next()
            .unwrap()
            .inline_keys()
            .next()
            .unwrap()
            .key_salt_bytes(),
        Some(vec![7u8; 30])
    );
    assert!(audio.attributes().rtcp_mux());
    assert_eq!(parsed.media()[1].attributes().setup(), Some(Setup::Actpass));
}

#[test]
fn rejected_stream() {
    let mut m = MediaDescription::new(MediaType::Video, 5000, TransportProtocol::RtpAvp, ["31"]);
    m.set_port_count(Some(2));
    m.reject();
    assert!(m.is_rejected());
    assert_eq!(m.port_count(), None);
    assert_eq!(m.formats(), ["31"]);
}
