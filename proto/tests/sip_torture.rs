//! RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests) against the message layer.
//!
//! Valid messages must parse and mean what the RFC says they mean; invalid ones must fail with
//! a specific error, and the test records the response a UAS gives (`ParseError::status_code`)
//! where the RFC says one answers.

use sipsimple_proto::sip::headers::{Contact, Header, HeaderName, Route, Via};
use sipsimple_proto::sip::{HeaderError, Host, Message, Method, ParseError, Scheme, UriError};

fn load(dir: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../vectors/sip/{dir}/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn torture(name: &str) -> Vec<u8> {
    load("rfc4475", name)
}

fn parse(name: &str) -> Message {
    Message::parse(&torture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn valid(name: &str) -> Message {
    let m = parse(name);
    m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    m
}

fn request(m: &Message) -> &sipsimple_proto::sip::Request {
    m.as_request().expect("a request")
}

/// Parses the message and serializes it again: the bytes of the start line and the header
/// section must come back unchanged, and so must the body.
fn assert_round_trip(name: &str, bytes: &[u8]) {
    let m = Message::parse(bytes).unwrap();
    let out = m.to_bytes();
    let body_start = out.len() - m.body().len();
    assert!(
        bytes.starts_with(&out[..body_start]),
        "{name}: header section changed"
    );
    assert_eq!(&out[body_start..], &m.body()[..], "{name}: body changed");
}

// §3.1.1 valid messages

#[test]
fn wsinv_short_tortuous_invite() {
    let m = valid("wsinv");
    let r = request(&m);
    assert_eq!(r.method(), &Method::Invite);
    assert_eq!(r.uri().param("unknownparam"), Some(None));
    let to = m.to().unwrap();
    assert_eq!(to.tag(), Some("1918181833n"));
    assert_eq!(to.uri().as_str(), "sip:vivekg@chair-dnrc.example.com");
    let from = m.from().unwrap();
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(from.display_name().as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(m.max_forwards().unwrap().unwrap().0, 68);
    assert_eq!(m.cseq().unwrap().seq, 9);
    assert_eq!(m.cseq().unwrap().method, Method::Invite);
    let vias: Vec<Via<'_>> = m.via().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].host(), "192.0.2.2");
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].transport(), "TCP");
    assert_eq!(vias[1].host(), "spindle.example.com");
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].host(), "192.168.255.111");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(m.headers().get_by_name("s"), Some(""));
    assert_eq!(
        m.headers().get_by_name("newfangledheader"),
        Some("newfangled value\r\n continued newfangled value")
    );
    assert_eq!(
        m.headers().get_by_name("UnknownHeaderWithUnusualValue"),
        Some(";;,,;;,;")
    );
    let route: Vec<Route<'_>> = m
        .headers()
        .typed::<Route<'_>>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(route.len(), 1);
    assert!(route[0].uri().is_loose_route());
    let contact: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    assert_eq!(contact.len(), 1);
    assert_eq!(
        contact[0].address().unwrap().display_name().as_deref(),
        Some("Quoted string \"\"")
    );
    assert_eq!(contact[0].q(), Some(330));
    let p = &contact[0].address().unwrap().params;
    assert_eq!(p.get("newparam"), Some(Some("newvalue")));
    assert_eq!(p.get("secondparam"), Some(None));
    assert_eq!(m.body().len(), 150);
    assert_round_trip("wsinv", &torture("wsinv"));
}

#[test]
fn intmeth_wide_range_of_valid_characters() {
    let m = valid("intmeth");
    let r = request(&m);
    assert_eq!(
        r.method(),
        &Method::from_token("!interesting-Method0123456789_*+`.%indeed'~").unwrap()
    );
    assert_eq!(
        r.uri().user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        r.uri().password(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(r.uri().host(), "example.com");
    let to = m.to().unwrap();
    assert_eq!(
        to.display_name().as_deref(),
        Some("BEL:\x07 NUL:\0 DEL:\x7f")
    );
    let from = m.from().unwrap();
    assert_eq!(
        from.display_name().as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        from.params.get_unquoted("fromParam''~+*_!.-%").as_deref(),
        Some("работающий")
    );
    assert_eq!(
        m.call_id().unwrap().as_str(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(m.max_forwards().unwrap().unwrap().0, 255);
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    assert_eq!(
        m.headers().get_by_name("extensionHeader-!.%*+_`'~"),
        Some("\u{FEFF}\u{5927}\u{505C}\u{96FB}")
    );
    assert_round_trip("intmeth", &torture("intmeth"));
}

#[test]
fn esc01_valid_escapes_compare_unescaped() {
    let m = valid("esc01");
    let r = request(&m);
    assert_eq!(
        r.uri().user_unescaped().as_deref(),
        Some("sips:user@example.com")
    );
    assert_eq!(r.uri().host(), "example.net");
    let to = m.to().unwrap();
    assert!(to
        .uri()
        .equivalent(&"sip:user@example.com".parse().unwrap()));
    let from = m.from().unwrap();
    assert_eq!(
        from.uri().user_unescaped().as_deref(),
        Some("I have spaces")
    );
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    let uri = c[0].uri().unwrap();
    assert!(uri.equivalent(
        &"sip:caller@host5.example.net;lr;name=value%41"
            .parse()
            .unwrap()
    ));
    assert_eq!(m.content_type().unwrap().unwrap().subtype(), "sdp");
}

#[test]
fn escnull_escaped_nulls() {
    let m = valid("escnull");
    assert_eq!(
        m.to().unwrap().uri().user_unescaped().as_deref(),
        Some("null-\0-null")
    );
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    assert_eq!(c.len(), 2, "two distinct bindings");
    assert_eq!(c[0].uri().unwrap().user_unescaped().as_deref(), Some("\0"));
    assert_eq!(
        c[1].uri().unwrap().user_unescaped().as_deref(),
        Some("\0\0")
    );
    assert!(!c[0].uri().unwrap().equivalent(c[1].uri().unwrap()));
}

#[test]
fn esc02_percent_that_is_not_an_escape() {
    let m = valid("esc02");
    let r = request(&m);
    assert_eq!(r.method(), &Method::from_token("RE%47IST%45R").unwrap());
    assert_ne!(r.method(), &Method::Register);
    assert_eq!(m.to().unwrap().display_name().as_deref(), Some("%Z%45"));
    assert_eq!(m.contact().count(), 2, "C%6Fntact is an unknown header");
    assert_eq!(
        m.headers().get_by_name("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
}

#[test]
fn lwsdisp_no_space_before_angle() {
    let m = valid("lwsdisp");
    assert_eq!(m.from().unwrap().display_name().as_deref(), Some("caller"));
}

#[test]
fn longreq_long_values() {
    let bytes = torture("longreq");
    let m = valid("longreq");
    assert_eq!(m.via().count(), 34);
    assert!(m.from().unwrap().tag().unwrap().len() > 100);
    assert!(m.call_id().unwrap().as_str().len() > 100);
    assert!(m.to().unwrap().display_name().unwrap().len() > 100);
    assert_round_trip("longreq", &bytes);
}

#[test]
fn dblreq_trailing_octets_ignored() {
    let m = valid("dblreq");
    assert_eq!(request(&m).method(), &Method::Register);
    assert!(m.body().is_empty());
}

#[test]
fn semiuri_semicolons_in_user() {
    let m = valid("semiuri");
    let uri = request(&m).uri();
    assert_eq!(uri.user(), Some("user;par=u%40example.net"));
    assert_eq!(uri.host(), "example.com");
    assert_eq!(uri.param("par"), None);
    let accept: Vec<&str> = m.headers().get_all(HeaderName::Accept).collect();
    assert_eq!(accept.len(), 1);
    assert!(accept[0].ends_with("message/sipfrag"));
}

#[test]
fn transports_varied_and_unknown() {
    let m = valid("transports");
    let t: Vec<String> = m.via().map(|v| v.unwrap().transport().to_owned()).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
}

#[test]
fn mpart01_binary_multipart_body() {
    let bytes = torture("mpart01");
    let m = valid("mpart01");
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("multipart", "mixed"));
    let declared: usize = m
        .headers()
        .get(HeaderName::ContentLength)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(m.body().len(), declared);
    assert!(m.body().contains(&0u8));
    let mp = sipsimple_proto::sip::multipart::Multipart::parse(&ct, m.body()).unwrap();
    assert_eq!(mp.parts.len(), 2);
    assert!(mp.parts[1].body.contains(&0u8));
    assert_round_trip("mpart01", &bytes);
}

#[test]
fn unreason_unusual_reason_phrase() {
    let m = valid("unreason");
    let r = m.as_response().unwrap();
    assert_eq!(r.status().code(), 200);
    assert!(r.reason().starts_with("= 2**3 * 5**2 "));
    assert!(r.reason().contains("\u{043D}\u{043E}"));
    assert_round_trip("unreason", &torture("unreason"));
}

#[test]
fn noreason_empty_reason_phrase() {
    let m = valid("noreason");
    let r = m.as_response().unwrap();
    assert_eq!(r.status().code(), 100);
    assert_eq!(r.reason(), "");
    assert_round_trip("noreason", &torture("noreason"));
}

// §3.1.2 invalid messages

fn invalid(name: &str) -> ParseError {
    match Message::parse(&torture(name)) {
        Err(e) => e,
        Ok(m) => m.validate().expect_err(name),
    }
}

#[test]
fn badinv01_extra_separators() {
    let e = invalid("badinv01");
    assert!(
        matches!(&e, ParseError::Header { name, error: HeaderError::Param { .. } } if name == "Via"),
        "{e:?}"
    );
    assert_eq!(e.status_code(), 400);
}

#[test]
fn clerr_content_length_larger_than_message() {
    assert_eq!(
        invalid("clerr"),
        ParseError::BodyTruncated {
            declared: 9999,
            available: 154
        }
    );
}

#[test]
fn ncl_negative_content_length() {
    assert_eq!(invalid("ncl"), ParseError::ContentLength);
}

#[test]
fn scalar02_overlarge_request_scalars() {
    let m = parse("scalar02");
    let e = m.validate().unwrap_err();
    assert!(
        matches!(&e, ParseError::Header { name, error: HeaderError::OutOfRange { .. } } if name == "CSeq"),
        "{e:?}"
    );
    assert_eq!(e.status_code(), 400);
    // Max-Forwards 300 and the huge Expires are out of range on their own too.
    assert!(matches!(
        m.max_forwards(),
        Some(Err(ParseError::Header {
            error: HeaderError::OutOfRange { .. },
            ..
        }))
    ));
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    assert_eq!(
        c[0].expires(),
        Some(u32::MAX),
        "saturates like RFC 3261 §20.19 allows"
    );
}

#[test]
fn scalarlg_overlarge_response_scalars_dropped() {
    let m = parse("scalarlg");
    assert!(!m.is_request());
    assert!(matches!(
        m.validate(),
        Err(ParseError::Header {
            error: HeaderError::OutOfRange { .. },
            ..
        })
    ));
}

#[test]
fn quotbal_unterminated_quote() {
    let e = invalid("quotbal");
    assert!(
        matches!(&e, ParseError::Header { name, error: HeaderError::UnterminatedQuote } if name == "To"),
        "{e:?}"
    );
}

#[test]
fn ltgtruri_angle_brackets_around_request_uri() {
    assert_eq!(
        invalid("ltgtruri"),
        ParseError::RequestUri(UriError::Scheme)
    );
}

#[test]
fn lwsruri_space_in_request_uri() {
    assert!(matches!(invalid("lwsruri"), ParseError::StartLine { .. }));
}

#[test]
fn lwsstart_multiple_spaces_in_request_line() {
    assert!(matches!(invalid("lwsstart"), ParseError::StartLine { .. }));
}

#[test]
fn trws_trailing_spaces_after_version() {
    assert!(matches!(invalid("trws"), ParseError::StartLine { .. }));
}

#[test]
fn escruri_headers_in_request_uri() {
    assert_eq!(
        invalid("escruri"),
        ParseError::RequestUri(UriError::HeadersNotAllowed)
    );
}

#[test]
fn baddate_is_ignored_unless_read() {
    // The RFC allows rejecting or ignoring it; the Date header is only decoded on demand.
    let m = valid("baddate");
    assert_eq!(
        m.headers().get(HeaderName::Date),
        Some("Fri, 01 Jan 2010 16:00:00 EST")
    );
    let e = m.headers().check().unwrap_err();
    assert!(
        matches!(&e, ParseError::Header { name, .. } if name == "Date"),
        "{e:?}"
    );
}

/// Every valid torture message passes the full typed check of every header it carries.
#[test]
fn valid_messages_pass_the_full_header_check() {
    for name in [
        "wsinv",
        "intmeth",
        "esc01",
        "escnull",
        "esc02",
        "lwsdisp",
        "longreq",
        "dblreq",
        "semiuri",
        "transports",
        "mpart01",
        "unreason",
        "noreason",
        "unkscm",
        "novelsc",
        "unksm2",
        "bext01",
        "invut",
        "regaut01",
        "bcast",
        "zeromf",
        "cparam01",
        "cparam02",
        "regescrt",
        "sdp01",
        "inv2543",
    ] {
        parse(name)
            .headers()
            .check()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn regbadct_contact_with_header_not_in_brackets() {
    let e = invalid("regbadct");
    assert!(
        matches!(&e, ParseError::Header { name, .. } if name == "Contact"),
        "{e:?}"
    );
}

#[test]
fn badaspec_spaces_inside_angle_brackets() {
    let e = invalid("badaspec");
    assert!(
        matches!(&e, ParseError::Header { name, error: HeaderError::Uri(_) } if name == "To"),
        "{e:?}"
    );
}

#[test]
fn baddn_unquoted_display_name_with_comma() {
    // The archive's message also lacks the blank line that ends the header section.
    assert_eq!(invalid("baddn"), ParseError::Truncated);
    let mut fixed = torture("baddn");
    fixed.extend_from_slice(b"\r\n");
    let e = Message::parse(&fixed).unwrap().validate().unwrap_err();
    assert!(
        matches!(&e, ParseError::Header { name, .. } if name == "From"),
        "{e:?}"
    );
}

#[test]
fn badvers_unknown_version_505() {
    let e = invalid("badvers");
    assert_eq!(e, ParseError::UnsupportedVersion { major: 7, minor: 0 });
    assert_eq!(e.status_code(), 505);
}

#[test]
fn mismatch01_cseq_method_differs() {
    assert_eq!(invalid("mismatch01"), ParseError::CseqMethodMismatch);
}

#[test]
fn mismatch02_unknown_method_with_cseq_mismatch() {
    let e = invalid("mismatch02");
    assert_eq!(e, ParseError::CseqMethodMismatch);
    assert_eq!(e.status_code(), 400);
}

#[test]
fn bigcode_overlarge_status_code() {
    assert_eq!(invalid("bigcode"), ParseError::StatusCode);
}

// §3.2 transaction layer semantics

#[test]
fn badbranch_bare_magic_cookie() {
    let m = valid("badbranch");
    let via = m.top_via().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK"));
    assert!(!via.has_rfc3261_branch(), "falls back to RFC 2543 matching");
}

// §3.3 application layer semantics

#[test]
fn insuf_missing_required_headers() {
    let m = parse("insuf");
    assert_eq!(
        m.validate(),
        Err(ParseError::MissingHeader { name: "From" })
    );
}

#[test]
fn unkscm_unknown_request_uri_scheme_parses_for_416() {
    let m = valid("unkscm");
    let uri = request(&m).uri();
    assert_eq!(uri.scheme(), Scheme::Other);
    assert_eq!(uri.scheme_str(), "nobodyKnowsThisScheme");
}

#[test]
fn novelsc_known_but_atypical_scheme() {
    let m = valid("novelsc");
    assert_eq!(request(&m).uri().scheme_str(), "soap.beep");
}

#[test]
fn unksm2_unknown_schemes_in_headers() {
    let m = valid("unksm2");
    assert_eq!(m.to().unwrap().uri().scheme_str(), "isbn");
    assert_eq!(m.from().unwrap().uri().scheme_str(), "http");
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    assert_eq!(c[0].uri().unwrap().scheme_str(), "name");
}

#[test]
fn bext01_unknown_option_tags_for_420() {
    let m = valid("bext01");
    let require: Vec<&str> = m.headers().get_all(HeaderName::Require).collect();
    let proxy_require: Vec<&str> = m.headers().get_all(HeaderName::ProxyRequire).collect();
    assert!(!require.is_empty());
    assert!(!proxy_require.is_empty());
}

#[test]
fn invut_unknown_content_type_for_415() {
    let m = valid("invut");
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("application", "unknownformat"));
}

#[test]
fn regaut01_unknown_authorization_scheme() {
    let m = valid("regaut01");
    assert!(m
        .headers()
        .get(HeaderName::Authorization)
        .unwrap()
        .starts_with("NoOneKnowsThisScheme"));
}

#[test]
fn multi01_multiple_single_value_headers() {
    let m = parse("multi01");
    let e = m.validate().unwrap_err();
    assert!(matches!(e, ParseError::MultipleValues { .. }), "{e:?}");
    assert!(matches!(
        m.call_id(),
        Err(ParseError::MultipleValues { name: "Call-ID" })
    ));
    assert!(matches!(
        m.cseq(),
        Err(ParseError::MultipleValues { name: "CSeq" })
    ));
    assert!(matches!(
        m.to(),
        Err(ParseError::MultipleValues { name: "To" })
    ));
}

#[test]
fn mcl01_conflicting_content_lengths() {
    assert_eq!(invalid("mcl01"), ParseError::ConflictingContentLength);
}

#[test]
fn bcast_broadcast_via_parses() {
    let m = valid("bcast");
    let vias: Vec<Via<'_>> = m.via().map(Result::unwrap).collect();
    assert_eq!(vias[1].host(), "255.255.255.255");
}

#[test]
fn zeromf_max_forwards_zero() {
    let m = valid("zeromf");
    assert_eq!(m.max_forwards().unwrap().unwrap().0, 0);
}

#[test]
fn cparam01_contact_param_not_uri_param() {
    let m = valid("cparam01");
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    assert_eq!(c[0].uri().unwrap().param("unknownparam"), None);
    assert!(c[0].address().unwrap().params.contains("unknownparam"));
}

#[test]
fn cparam02_uri_param_kept() {
    let m = valid("cparam02");
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    assert_eq!(c[0].uri().unwrap().param("unknownparam"), Some(None));
}

#[test]
fn regescrt_escaped_header_in_contact_uri() {
    let m = valid("regescrt");
    let c: Vec<Contact<'_>> = m.contact().map(Result::unwrap).collect();
    let h: Vec<(&str, &str)> = c[0].uri().unwrap().headers().collect();
    assert_eq!(h, [("Route", "%3Csip:sip.example.com%3E")]);
}

#[test]
fn sdp01_accept_without_sdp_for_406() {
    let m = valid("sdp01");
    assert_eq!(
        m.headers().get(HeaderName::Accept),
        Some("text/nobodyKnowsThis")
    );
}

// §3.4 backward compatibility

#[test]
fn inv2543_rfc2543_syntax() {
    let m = valid("inv2543");
    assert_eq!(m.from().unwrap().tag(), None);
    assert!(m.top_via().unwrap().branch().is_none());
    assert!(m.max_forwards().is_none());
    assert!(m.headers().get(HeaderName::ContentLength).is_none());
    assert!(!m.body().is_empty(), "the body is the rest of the datagram");
}

#[test]
fn test_dat_extra_archive_file_is_malformed() {
    assert!(matches!(
        Message::parse(&torture("test")),
        Err(ParseError::HeaderLine {
            reason: "missing colon",
            ..
        })
    ));
}

// RFC 5118

fn v6(name: &str) -> Result<Message, ParseError> {
    let m = Message::parse(&load("rfc5118", name))?;
    m.validate()?;
    Ok(m)
}

#[test]
fn rfc5118_valid_messages() {
    let m = v6("ipv6-good").unwrap();
    assert!(matches!(request(&m).uri().host_kind(), Host::Ipv6(_)));
    let m = v6("port-ambiguous").unwrap();
    assert_eq!(
        request(&m).uri().port(),
        None,
        "[2001:db8::10:5070] has no port"
    );
    let m = v6("port-unambiguous").unwrap();
    assert_eq!(request(&m).uri().port(), Some(5070));
    let m = v6("via-received-param-with-delim").unwrap();
    assert_eq!(m.top_via().unwrap().received(), Some("[2001:db8::9:255]"));
    let m = v6("via-received-param-no-delim").unwrap();
    assert_eq!(m.top_via().unwrap().received(), Some("2001:db8::9:255"));
    let m = v6("mult-ip-in-header").unwrap();
    assert_eq!(m.via().count(), 3);
    let m = v6("ipv4-mapped-ipv6").unwrap();
    assert_eq!(m.top_via().unwrap().host(), "[::ffff:192.0.2.10]");
    v6("ipv6-correct-abnf-2-colons").unwrap();
    // Declared Content-Length shorter than the SDP present: the body is cut at it.
    for (name, declared) in [
        ("ipv6-in-sdp", 241),
        ("mult-ip-in-sdp", 181),
        ("ipv4-mapped-ipv6", 236),
    ] {
        assert_eq!(v6(name).unwrap().body().len(), declared, "{name}");
    }
}

#[test]
fn rfc5118_invalid_messages() {
    assert!(matches!(
        v6("ipv6-bad"),
        Err(ParseError::RequestUri(UriError::Host))
    ));
    let e = v6("ipv6-bug-abnf-3-colons").unwrap_err();
    assert!(
        matches!(
            e,
            ParseError::RequestUri(UriError::Host) | ParseError::Header { .. }
        ),
        "{e:?}"
    );
}

/// Every torture message either parses and round-trips, or fails with an error whose status
/// code is one a UAS can send; none panics.
#[test]
fn every_torture_message_round_trips_or_fails_cleanly() {
    for dir in ["rfc4475", "rfc5118"] {
        let path = format!("{}/../vectors/sip/{dir}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(&path).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "sip") {
                let bytes = std::fs::read(&p).unwrap();
                match Message::parse(&bytes) {
                    Ok(m) => {
                        let again = Message::parse(&m.to_bytes()).unwrap();
                        assert_eq!(again, m, "{}", p.display());
                    }
                    Err(e) => assert!([400, 505, 513].contains(&e.status_code())),
                }
            }
        }
    }
}

#[allow(dead_code)]
fn _typed_header_names_are_consistent() {
    assert_eq!(<Via<'_> as Header<'_>>::NAME, HeaderName::Via);
}
