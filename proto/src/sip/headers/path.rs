//! Path (RFC 3327 §4).

use super::HeaderName;

address_header!(
    /// One Path value (RFC 3327 §4): a proxy on the path between a registering user agent
    /// and the registrar, which wants requests to the contact routed through it. Same grammar
    /// as Route (`name-addr *(SEMI rr-param)`).
    Path,
    HeaderName::Path,
    list = true
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::error::HeaderError;
    use crate::sip::headers::Header;
    use crate::sip::{Message, Uri};

    /// RFC 3327 §5 example.
    #[test]
    fn list_values() {
        let m = Message::parse(
            b"REGISTER sip:example.com SIP/2.0\r\n\
              Path: <sip:P3.EXAMPLEHOME.COM;lr>,<sip:P1.EXAMPLEVISITED.COM;lr>\r\n\
              Path: <sip:P0.example.com;lr> ;x=1\r\n\r\n",
        )
        .unwrap();
        let p: Vec<_> = m
            .headers()
            .typed::<Path<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].uri().is_loose_route());
        assert_eq!(p[1].uri().host(), "P1.EXAMPLEVISITED.COM");
        assert!(p[2].params.contains("x"));
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(Path::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Path::parse("<sip:p;lr"),
            Err(HeaderError::Expected {
                expected: "'>'",
                at: 9
            })
        );
        assert!(Path::parse("<sip:p;lr>;;").is_err());
        let p = Path::new(Uri::parse("sip:p.example.com;lr").unwrap());
        assert_eq!(p.to_string(), "<sip:p.example.com;lr>");
        assert_eq!(Path::parse(&p.to_string()).unwrap(), p);
    }
}
