//! Route and Record-Route (RFC 3261 §20.34, §20.30).

use super::HeaderName;

address_header!(
    /// One Route value: a hop the request must visit (loose routers carry `lr` in the URI).
    Route,
    HeaderName::Route,
    list = true
);

address_header!(
    /// One Record-Route value: a proxy that wants to stay on the dialog's path.
    RecordRoute,
    HeaderName::RecordRoute,
    list = true
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    #[test]
    fn list_across_lines_and_commas() {
        let m = Message::parse(
            b"BYE sip:b@c SIP/2.0\r\nRoute: <sip:p1;lr>, <sip:p2;lr>\r\nRoute: <sip:p3>\r\n\r\n",
        )
        .unwrap();
        let r: Vec<_> = m
            .headers()
            .typed::<Route<'_>>()
            .map(|r| r.unwrap().uri().to_string())
            .collect();
        assert_eq!(r, ["sip:p1;lr", "sip:p2;lr", "sip:p3"]);
    }
}
