//! Require, Supported, Unsupported and Proxy-Require (RFC 3261 §20.32, §20.37, §20.40,
//! §20.29): lists of option tags (`option-tag = token`, §19.2). Tokens compare
//! case-insensitively (RFC 3261 §7.3.1); [`Require::is`] and its siblings do that.

use super::HeaderName;

token_list_header!(
    /// One Require value (RFC 3261 §20.32): an extension the UAS must support to process the
    /// request (answered with 420 Bad Extension otherwise).
    Require,
    HeaderName::Require
);

token_list_header!(
    /// One Supported value (RFC 3261 §20.37): an extension the sender supports (`100rel`,
    /// `timer`, `replaces`, `path`, `gruu`, `outbound`…). Compact form `k`.
    Supported,
    HeaderName::Supported
);

token_list_header!(
    /// One Unsupported value (RFC 3261 §20.40): a required extension the UAS does not
    /// support, listed in a 420 response.
    Unsupported,
    HeaderName::Unsupported
);

token_list_header!(
    /// One Proxy-Require value (RFC 3261 §20.29): an extension every proxy must support.
    ProxyRequire,
    HeaderName::ProxyRequire
);

macro_rules! option_tag_is {
    ($($ty:ident),*) => {
        $(
            impl $ty<'_> {
                /// `true` when the option tag is `tag`, compared case-insensitively
                /// (RFC 3261 §7.3.1 compares tokens case-insensitively).
                pub fn is(&self, tag: &str) -> bool {
                    self.0.eq_ignore_ascii_case(tag)
                }
            }
        )*
    };
}

option_tag_is!(Require, Supported, Unsupported, ProxyRequire);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::error::HeaderError;
    use crate::sip::headers::Header;
    use crate::sip::Message;

    /// RFC 4475 §3.3.3 (`bext01`): unknown option tags parse; the UAS answers 420 listing them.
    #[test]
    fn rfc4475_bext01() {
        let m = Message::parse(
            b"OPTIONS sip:user@example.com SIP/2.0\r\n\
              Require: nothingSupportsThis, nothingSupportsThisEither\r\n\
              Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n\r\n",
        )
        .unwrap();
        let req: Vec<_> = m
            .headers()
            .typed::<Require<'_>>()
            .map(|r| r.unwrap().to_string())
            .collect();
        assert_eq!(req, ["nothingSupportsThis", "nothingSupportsThisEither"]);
        let preq: Vec<_> = m
            .headers()
            .typed::<ProxyRequire<'_>>()
            .map(|r| r.unwrap().to_string())
            .collect();
        assert_eq!(preq, ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]);
    }

    #[test]
    fn supported_lists() {
        let m = Message::parse(
            b"INVITE sip:a@b SIP/2.0\r\nSupported:\r\nk: 100rel,\r\n Timer , replaces\r\n\r\n",
        )
        .unwrap();
        let s: Vec<_> = m
            .headers()
            .typed::<Supported<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(s.len(), 3);
        assert!(s[1].is("timer"));
        assert_eq!(s[1].as_str(), "Timer");
        let m = Message::parse(b"INVITE sip:a@b SIP/2.0\r\nSupported: a,,b\r\n\r\n").unwrap();
        assert!(m.headers().typed::<Supported<'_>>().any(|r| r.is_err()));
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(Unsupported::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Require::parse("a b"),
            Err(HeaderError::Expected {
                expected: "token",
                at: 1
            })
        );
        assert!(ProxyRequire::parse("\"sec-agree\"").is_err());
        for t in ["100rel", "sec-agree", "x.y"] {
            let r = Require::new(t).unwrap();
            assert_eq!(Require::parse(&r.to_string()).unwrap(), r);
            let u = Unsupported::new(t).unwrap();
            assert_eq!(Unsupported::parse(&u.to_string()).unwrap(), u);
        }
    }
}
