//! P-Asserted-Identity and P-Preferred-Identity (RFC 3325 §9.1, §9.2).

use super::HeaderName;

address_header!(
    /// One P-Asserted-Identity value (RFC 3325 §9.1): an identity of the user that a trusted
    /// element asserts (at most one SIP or SIPS URI and one tel URI). RFC 3325 gives the value
    /// no parameters; parameters are accepted and kept.
    PAssertedIdentity,
    HeaderName::PAssertedIdentity,
    list = true
);

address_header!(
    /// One P-Preferred-Identity value (RFC 3325 §9.2): the identity a user agent asks a
    /// trusted proxy to assert. RFC 3325 gives the value no parameters; parameters are
    /// accepted and kept.
    PPreferredIdentity,
    HeaderName::PPreferredIdentity,
    list = true
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::error::HeaderError;
    use crate::sip::headers::Header;
    use crate::sip::{Message, Scheme, Uri};

    /// RFC 3325 §9.1 example, as two lines and as one comma list.
    #[test]
    fn identities() {
        let m = Message::parse(
            b"INVITE sip:b@c SIP/2.0\r\n\
              P-Asserted-Identity: \"Cullen Jennings\" <sip:fluffy@cisco.com>\r\n\
              P-Asserted-Identity: tel:+14085264000\r\n\
              P-Preferred-Identity: <sip:a@b>, \"A, B\" <tel:+1234>\r\n\r\n",
        )
        .unwrap();
        let ids: Vec<_> = m
            .headers()
            .typed::<PAssertedIdentity<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0].display_name().as_deref(), Some("Cullen Jennings"));
        assert_eq!(ids[1].uri().scheme(), Scheme::Tel);
        let pref: Vec<_> = m
            .headers()
            .typed::<PPreferredIdentity<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(pref.len(), 2);
        assert_eq!(pref[1].display_name().as_deref(), Some("A, B"));
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(PAssertedIdentity::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            PAssertedIdentity::parse("<sip:a@b"),
            Err(HeaderError::Expected {
                expected: "'>'",
                at: 8
            })
        );
        assert_eq!(
            PPreferredIdentity::parse("\"x <sip:a@b>"),
            Err(HeaderError::UnterminatedQuote)
        );
        let p = PAssertedIdentity::new(Uri::parse("sip:alice@atlanta.example.com").unwrap());
        assert_eq!(PAssertedIdentity::parse(&p.to_string()).unwrap(), p);
        let p = PPreferredIdentity::new(Uri::parse("tel:+14085264000").unwrap());
        assert_eq!(PPreferredIdentity::parse(&p.to_string()).unwrap(), p);
    }
}
