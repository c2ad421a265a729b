//! Organization (RFC 3261 §20.25).

use super::HeaderName;

text_header!(
    /// Organization (RFC 3261 §20.25): the organization of the sender, free `TEXT-UTF8`; it
    /// may be empty.
    Organization,
    HeaderName::Organization
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::Header;

    #[test]
    fn text() {
        let o = Organization::parse(" Boxes by Bob ").unwrap();
        assert_eq!(o.0, "Boxes by Bob");
        assert_eq!(Organization::parse("").unwrap().0, "");
        assert_eq!(Organization::parse("A\r\n\tB").unwrap().text(), "A B");
        for t in ["Example Corp.", "", "Ünïcode"] {
            let o = Organization::new(t);
            assert_eq!(Organization::parse(&o.to_string()).unwrap(), o, "{t}");
        }
    }
}
