//! From and To (RFC 3261 §20.20, §20.39).

use super::HeaderName;

address_header!(
    /// The From header: the initiator of the request, with its `tag`.
    FromHeader,
    HeaderName::From,
    list = false
);

address_header!(
    /// The To header: the logical recipient, with the `tag` the UAS adds.
    ToHeader,
    HeaderName::To,
    list = false
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::Header;

    #[test]
    fn tag_and_display_name() {
        let f =
            FromHeader::parse("\"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774")
                .unwrap();
        assert_eq!(f.tag(), Some("1928301774"));
        assert_eq!(f.display_name().as_deref(), Some("Alice Liddell"));
        assert_eq!(f.uri().user(), Some("alice"));
        let t = ToHeader::parse("sip:bob@biloxi.com ; tag = a6c85cf").unwrap();
        assert_eq!(t.tag(), Some("a6c85cf"));
        let t = t.into_owned().0.with_tag("x y");
        assert_eq!(t.to_string(), "<sip:bob@biloxi.com>;tag=\"x y\"");
    }
}
