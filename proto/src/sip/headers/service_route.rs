//! Service-Route (RFC 3608 §5).

use super::HeaderName;

address_header!(
    /// One Service-Route value (RFC 3608 §5): a proxy a registrar asks the user agent to
    /// route its out-of-dialog requests through, returned in the 2xx to REGISTER. Same grammar
    /// as Route (`name-addr *(SEMI rr-param)`).
    ServiceRoute,
    HeaderName::ServiceRoute,
    list = true
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::error::HeaderError;
    use crate::sip::headers::Header;
    use crate::sip::{Message, Uri};

    /// RFC 3608 §6.1 example.
    #[test]
    fn list_values() {
        let m = Message::parse(
            b"SIP/2.0 200 OK\r\n\
              Service-Route: <sip:P2.HOME.EXAMPLE.COM;lr>,\r\n  <sip:HSP.HOME.EXAMPLE.COM;lr>\r\n\r\n",
        )
        .unwrap();
        let r: Vec<_> = m
            .headers()
            .typed::<ServiceRoute<'_>>()
            .map(|r| r.unwrap().uri().to_string())
            .collect();
        assert_eq!(
            r,
            ["sip:P2.HOME.EXAMPLE.COM;lr", "sip:HSP.HOME.EXAMPLE.COM;lr"]
        );
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(ServiceRoute::parse(" "), Err(HeaderError::Empty));
        assert!(ServiceRoute::parse("<sip:p;lr> x").is_err());
        assert!(matches!(
            ServiceRoute::parse("<p;lr>"),
            Err(HeaderError::Uri(_))
        ));
        let r = ServiceRoute::new(Uri::parse("sip:orig@scscf.example;lr").unwrap());
        assert_eq!(ServiceRoute::parse(&r.to_string()).unwrap(), r);
    }
}
