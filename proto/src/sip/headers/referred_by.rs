//! Referred-By (RFC 3892 §3).

use std::borrow::Cow;

use super::HeaderName;

address_header!(
    /// Referred-By (RFC 3892 §3): the referrer, copied by the referee into the triggered
    /// request, with an optional `cid` naming a body part that carries a signed Referred-By
    /// token. Compact form `b`.
    ReferredBy,
    HeaderName::ReferredBy,
    list = false
);

impl ReferredBy<'_> {
    /// The `cid` parameter (RFC 3892 §3 `referredby-id-param`), unquoted: the Content-ID of
    /// the body part holding the Referred-By token, such as `20398823.2UWQFN309shb3@ref.example`.
    pub fn cid(&self) -> Option<Cow<'_, str>> {
        self.params.get_unquoted("cid")
    }

    /// Builder: sets the `cid` parameter, quoted as RFC 3892 §3 requires.
    pub fn with_cid(mut self, cid: &str) -> Self {
        self.params.remove("cid");
        self.params.push_quoted("cid", cid);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::error::HeaderError;
    use crate::sip::headers::Header;
    use crate::sip::Uri;

    /// RFC 3892 §3 example.
    #[test]
    fn rfc3892_example() {
        let r = ReferredBy::parse(
            "<sip:referrer@referrer.example>\r\n ;cid=\"20398823.2UWQFN309shb3@referrer.example\"",
        )
        .unwrap();
        assert_eq!(r.uri().as_str(), "sip:referrer@referrer.example");
        assert_eq!(
            r.cid().as_deref(),
            Some("20398823.2UWQFN309shb3@referrer.example")
        );
        let r = ReferredBy::parse("sip:a@b").unwrap();
        assert_eq!(r.cid(), None);
        let r = ReferredBy::parse("Alice <sip:a@b>;CID=x").unwrap();
        assert_eq!(r.cid().as_deref(), Some("x"));
        assert_eq!(r.display_name().as_deref(), Some("Alice"));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(ReferredBy::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            ReferredBy::parse("<sip:a@b>;cid=\"x"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert!(ReferredBy::parse("<sip:a@b> junk").is_err());
        assert!(matches!(
            ReferredBy::parse("<nocolon>"),
            Err(HeaderError::Uri(_))
        ));
    }

    #[test]
    fn round_trips() {
        let uri = Uri::parse("sip:referrer@referrer.example").unwrap();
        for r in [
            ReferredBy::new(uri.clone()),
            ReferredBy::new(uri.clone()).with_cid("1@referrer.example"),
            ReferredBy::new(uri.clone())
                .with_cid("a\"b")
                .with_cid("c\r\nd"),
        ] {
            let s = r.to_string();
            assert_eq!(ReferredBy::parse(&s).unwrap(), r, "{s}");
        }
        let r = ReferredBy::new(uri).with_cid("a\"b");
        assert_eq!(r.cid().as_deref(), Some("a\"b"));
    }
}
