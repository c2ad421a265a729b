//! Tests across the typed headers added beside Via, Contact and CSeq: the RFC 4475 torture
//! messages in `vectors/sip/rfc4475`, and property tests (no input makes a decoder panic,
//! every decoded value and every built value survives `Display` → `parse` unchanged).

use proptest::prelude::*;

use super::*;

/// Decodes `$s` as each of the types; every value that decodes must decode again, equal,
/// from its `Display` text.
macro_rules! round_trip_all {
    ($s:expr; $($ty:ty),* $(,)?) => {{
        $(
            if let Ok(v) = <$ty as Header<'_>>::parse($s) {
                let shown = v.to_string();
                match <$ty as Header<'_>>::parse(&shown) {
                    Ok(again) => prop_assert_eq!(
                        &again,
                        &v,
                        "{}: {:?} → {:?}",
                        stringify!($ty),
                        $s,
                        shown
                    ),
                    Err(e) => {
                        return Err(TestCaseError::fail(format!(
                            "{}: {:?} → {:?} does not parse: {e}",
                            stringify!($ty),
                            $s,
                            shown
                        )))
                    }
                }
            }
        )*
    }};
}

fn check_all(s: &str) -> Result<(), TestCaseError> {
    round_trip_all!(s;
        Accept<'_>, AcceptEncoding<'_>, AcceptLanguage<'_>, Allow, AllowEvents<'_>,
        AuthenticationInfo<'_>, Authorization<'_>, ContentDisposition<'_>, ContentEncoding<'_>,
        ContentLanguage<'_>, Date, Event<'_>, Expires, MinExpires, MinSe<'_>, Organization<'_>,
        PAssertedIdentity<'_>, PPreferredIdentity<'_>, Path<'_>, Priority<'_>, Privacy<'_>,
        ProxyAuthenticate<'_>, ProxyAuthorization<'_>, ProxyRequire<'_>, RAck, Reason<'_>,
        ReferTo<'_>, ReferredBy<'_>, Replaces<'_>, Require<'_>, RetryAfter<'_>, RSeq,
        Server<'_>, ServiceRoute<'_>, SessionExpires<'_>, SipETag<'_>, SipIfMatch<'_>,
        Subject<'_>, SubscriptionState<'_>, Supported<'_>, Timestamp<'_>, Unsupported<'_>,
        UserAgent<'_>, Warning<'_>, WwwAuthenticate<'_>,
    );
    if let Ok(r) = ReferTo::parse(s) {
        // Decoding an embedded Replaces must not panic either.
        let _ = r.replaces();
    }
    Ok(())
}

/// Header-like text: pieces of the grammars glued in random order.
fn header_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Digest ".to_owned()),
        Just(" ".to_owned()),
        Just("\r\n ".to_owned()),
        Just(",".to_owned()),
        Just(";".to_owned()),
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("/".to_owned()),
        Just(":".to_owned()),
        Just(".".to_owned()),
        Just("-".to_owned()),
        Just("*".to_owned()),
        Just("?".to_owned()),
        Just("%3B".to_owned()),
        Just("sip:a@b".to_owned()),
        Just("<sip:a@b?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>".to_owned()),
        Just("Sat, 13 Nov 2010 23:29:00 GMT".to_owned()),
        Just("to-tag=1;from-tag=2".to_owned()),
        Just("é".to_owned()),
        "[0-9]{1,12}",
        "[a-zA-Z][a-zA-Z0-9-]{0,6}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_panic_and_display_reparses(s in header_text()) {
        check_all(&s)?;
    }

    #[test]
    fn no_panic_on_any_text(s in "[ -~\r\n\t\u{80}-\u{10ffff}]{0,48}") {
        check_all(&s)?;
    }
}

/// Decodes `s` as the type of `_like` (the lifetime shortened to that of `s`).
fn reparse<'s, T: Header<'s>>(_like: &T, s: &'s str) -> Result<T, HeaderError> {
    T::parse(s)
}

/// Checks that a value built through the public constructors decodes, equal, from its
/// `Display` text.
macro_rules! built {
    ($v:expr) => {{
        let v = $v;
        let shown = v.to_string();
        match reparse(&v, &shown) {
            Ok(again) => prop_assert_eq!(&again, &v, "{:?}", shown),
            Err(e) => {
                return Err(TestCaseError::fail(format!(
                    "{shown:?} does not parse: {e}"
                )))
            }
        }
    }};
}

fn any_text() -> impl Strategy<Value = String> {
    "[ -~\r\n\t\u{80}-\u{3ff}]{0,16}"
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9.!%*_+`'~-]{1,10}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn built_auth_values_round_trip(
        a in any_text(),
        b in any_text(),
        c in any_text(),
        d in any_text(),
        n in any::<u32>(),
        flag in any::<bool>(),
    ) {
        let cred = Credentials::digest()
            .with_username(&a)
            .with_realm(&b)
            .with_nonce(&c)
            .with_uri(&d)
            .with_response(&a)
            .with_algorithm(&b)
            .with_cnonce(&c)
            .with_opaque(&d)
            .with_qop(&a)
            .with_nc(n)
            .with_userhash(flag);
        prop_assert_eq!(cred.nc(), Some(n));
        built!(Authorization(cred.clone()));
        if let Ok(c2) = cred.with_param(&a, &b) {
            built!(ProxyAuthorization(c2));
        }
        let ch = Challenge::digest()
            .with_realm(&a)
            .with_domain(&b)
            .with_nonce(&c)
            .with_opaque(&d)
            .with_stale(flag)
            .with_algorithm(&a)
            .with_qop(&[&b, &c])
            .with_charset(&d)
            .with_userhash(!flag);
        prop_assert_eq!(ch.stale(), flag);
        built!(WwwAuthenticate(ch));
        built!(AuthenticationInfo::mutual(&a, &b, &c, n).with_nextnonce(&d));
    }

    #[test]
    fn built_values_round_trip(
        a in any_text(),
        b in any_text(),
        t in token(),
        n in any::<u32>(),
        code in 0u16..1000,
        secs in 0u64..253_402_300_800,
    ) {
        built!(Warning::new(code, &t, &a).unwrap());
        built!(Reason::sip(code, Some(&a)));
        built!(Reason::new(&t, code, None).unwrap());
        let r = Replaces::new("a84b4c76e66710@pc33.atlanta.com", &a, &b).unwrap();
        prop_assert_eq!(r.to_tag(), a.replace(['\r', '\n'], " "));
        built!(r);
        let package = t.replace('.', "x");
        built!(Event::new(&format!("{package}.{package}")).unwrap().with_id(&a));
        built!(AllowEvents::new(&package).unwrap());
        built!(RetryAfter::new(n).with_comment(&a).with_duration(n));
        built!(SubscriptionState::terminated(Some(SubscriptionReason::Other(&a)))
            .with_retry_after(n));
        built!(SubscriptionState::new(&t).unwrap().with_expires(n));
        let uri = crate::sip::Uri::parse("sip:referrer@referrer.example").unwrap();
        built!(ReferredBy::new(uri).with_cid(&a));
        built!(ContentDisposition::new(&t).unwrap().with_handling(n % 2 == 0));
        built!(AcceptEncoding::new(&t).unwrap().with_q((n % 1500) as u16));
        built!(Priority::new(&t).unwrap());
        built!(SipETag::new(&t).unwrap());
        built!(Privacy::new(&[&t, &t]).unwrap());
        built!(UserAgent::product(&t, Some(&t)).unwrap());
        built!(SessionExpires::new(n).with_refresher(Refresher::Uas));
        built!(MinSe::new(n));
        built!(RAck::new(n, n, crate::sip::Method::Prack));
        let ts = Timestamp::from_duration(std::time::Duration::from_millis(secs))
            .with_delay(std::time::Duration::from_micros(secs));
        built!(ts);
        let date = Date::from_unix(secs).unwrap();
        prop_assert_eq!(u64::try_from(date.unix_time()).ok(), Some(secs));
        built!(date);
    }
}

/// The bytes of the RFC 4475 vector `name`.
fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../vectors/sip/rfc4475/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value of the first header line named `name` in a vector, read from the raw text (some
/// vectors are meant to fail as whole messages).
fn raw_header(bytes: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// RFC 4475 §3.1.1.1 (`wsinv`): `s :` with nothing is an empty Subject.
#[test]
fn rfc4475_wsinv_empty_subject() {
    let m = crate::sip::Message::parse(&vector("wsinv")).unwrap();
    let s = m.headers().single::<Subject<'_>>().unwrap();
    assert_eq!(s.0, "");
}

/// RFC 4475 §3.1.2.4 (`scalar02`): an Expires beyond 32 bits is reported, not clamped; the
/// caller may apply RFC 3261 §20.19 through `Expires::parse_saturating`.
#[test]
fn rfc4475_scalar02_expires() {
    let v = raw_header(&vector("scalar02"), "Expires");
    assert_eq!(
        Expires::parse(&v),
        Err(HeaderError::OutOfRange { what: "Expires" })
    );
    assert_eq!(Expires::parse_saturating(&v), Ok(Expires(u32::MAX)));
}

/// RFC 4475 §3.1.2.10 (`scalarlg`): a four-digit warn-code.
#[test]
fn rfc4475_scalarlg_warning() {
    let v = raw_header(&vector("scalarlg"), "Warning");
    assert_eq!(
        Warning::parse(&v),
        Err(HeaderError::OutOfRange { what: "warn-code" })
    );
}

/// RFC 4475 §3.1.2.15 (`baddate`): a Date in EST.
#[test]
fn rfc4475_baddate() {
    let v = raw_header(&vector("baddate"), "Date");
    assert_eq!(
        Date::parse(&v),
        Err(HeaderError::Expected {
            expected: "GMT",
            at: 26
        })
    );
}

/// RFC 4475 §3.3.10 (`regaut01`): credentials of an unknown scheme parse with their
/// parameters.
#[test]
fn rfc4475_regaut01_unknown_scheme() {
    let m = crate::sip::Message::parse(&vector("regaut01")).unwrap();
    let a = m.headers().single::<Authorization<'_>>().unwrap();
    assert_eq!(a.scheme(), "NoOneKnowsThisScheme");
    assert!(!a.is_digest());
    assert_eq!(a.param("opaque-data").as_deref(), Some("here"));
}

/// RFC 4475 §3.3.3 (`bext01`): unknown option tags in Require and Proxy-Require.
#[test]
fn rfc4475_bext01_option_tags() {
    let m = crate::sip::Message::parse(&vector("bext01")).unwrap();
    let req: Vec<String> = m
        .headers()
        .typed::<Require<'_>>()
        .map(|r| r.unwrap().to_string())
        .collect();
    assert_eq!(req, ["nothingSupportsThis", "nothingSupportsThisEither"]);
    let preq: Vec<String> = m
        .headers()
        .typed::<ProxyRequire<'_>>()
        .map(|r| r.unwrap().to_string())
        .collect();
    assert_eq!(preq, ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]);
}

/// Every header value of every RFC 4475 message that parses, and each of its comma
/// elements, goes through every typed decoder without a panic and round-trips when it
/// decodes.
#[test]
fn rfc4475_all_values_decode_safely() {
    let dir = format!("{}/../vectors/sip/rfc4475", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("sip") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let Ok(m) = crate::sip::Message::parse(&bytes) else {
            continue;
        };
        for f in m.headers().iter() {
            check_all(f.value).unwrap();
            for part in crate::sip::text::split_commas(f.value) {
                check_all(part).unwrap();
            }
            seen += 1;
        }
    }
    assert!(seen > 100, "only {seen} header values checked");
}
