//! Subject (RFC 3261 §20.36).

use super::HeaderName;

text_header!(
    /// Subject (RFC 3261 §20.36): a summary of the call or message, free `TEXT-UTF8`; it may
    /// be empty (RFC 4475 §3.1.1.1 `wsinv` sends `s:` with nothing). Compact form `s`.
    Subject,
    HeaderName::Subject
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::Header;
    use crate::sip::Message;

    #[test]
    fn text_and_empty() {
        let s = Subject::parse("  Need more boxes\r\n  now ").unwrap();
        assert_eq!(s.0, "Need more boxes\r\n  now");
        assert_eq!(s.text(), "Need more boxes now");
        assert_eq!(Subject::parse("").unwrap().0, "");
        assert_eq!(Subject::parse(" \r\n ").unwrap().0, "");
        let m = Message::parse(b"MESSAGE sip:a@b SIP/2.0\r\ns:\r\nSubject: caf\xc3\xa9\r\n\r\n")
            .unwrap();
        let v: Vec<_> = m
            .headers()
            .typed::<Subject<'_>>()
            .map(|s| s.unwrap().to_string())
            .collect();
        assert_eq!(v, ["", "café"]);
    }

    #[test]
    fn round_trips() {
        for t in ["Lunch?", "", "line\r\nbreak", "a (b) \"c\""] {
            let s = Subject::new(t);
            assert_eq!(Subject::parse(&s.to_string()).unwrap(), s, "{t}");
        }
    }
}
