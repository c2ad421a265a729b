//! Accept (RFC 3261 §20.1).

use std::fmt;

use super::grammar::{format_qvalue, parse_qvalue};
use super::{Header, HeaderName, MediaType};
use crate::sip::error::HeaderError;
use crate::sip::text::is_token;

/// One Accept value (RFC 3261 §20.1): a media range (`type/subtype`, either part may be `*`)
/// with accept parameters (`q` and extensions). A line `Accept:` with no value means that no
/// body is acceptable; an absent header means `application/sdp` (RFC 3261 §20.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Accept<'a>(pub MediaType<'a>);

impl<'a> Accept<'a> {
    /// The media range `mtype/subtype` (either may be `*`); an error when a part is not a
    /// token.
    pub fn new(mtype: &str, subtype: &str) -> Result<Accept<'static>, HeaderError> {
        if !is_token(mtype) {
            return Err(HeaderError::Expected {
                expected: "media type token",
                at: 0,
            });
        }
        if !is_token(subtype) {
            return Err(HeaderError::Expected {
                expected: "media subtype token",
                at: mtype.len() + 1,
            });
        }
        Ok(Accept(MediaType::new(mtype, subtype)))
    }

    /// The `q` preference in thousandths (`q=0.5` gives 500); `None` when absent or
    /// malformed. An absent `q` means 1000 (RFC 3261 §20.1 by reference to RFC 2616 §14.1).
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.0.params.get("q")??)
    }

    /// Builder: sets `q` from thousandths (values above 1000 are written as `1`).
    pub fn with_q(mut self, q: u16) -> Self {
        self.0.params.set("q", Some(&format_qvalue(q)));
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Accept<'static> {
        Accept(self.0.into_owned())
    }
}

impl<'a> std::ops::Deref for Accept<'a> {
    type Target = MediaType<'a>;

    fn deref(&self) -> &MediaType<'a> {
        &self.0
    }
}

impl<'a> Header<'a> for Accept<'a> {
    const NAME: HeaderName = HeaderName::Accept;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        MediaType::parse(value).map(Self)
    }
}

impl fmt::Display for Accept<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    /// RFC 3261 §20.1 example plus ranges and q-values.
    #[test]
    fn ranges_and_q() {
        let m = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\n\
              Accept: application/sdp;level=1, application/x-private,\r\n text/html\r\n\
              Accept: */* ; q = 0.1, message/*;q=1\r\n\r\n",
        )
        .unwrap();
        let a: Vec<_> = m
            .headers()
            .typed::<Accept<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(a.len(), 5);
        assert!(a[0].is("application", "SDP"));
        assert_eq!(a[0].params.get("level"), Some(Some("1")));
        assert_eq!(a[0].q(), None);
        assert!(a[3].matches("text", "plain"));
        assert_eq!(a[3].q(), Some(100));
        assert!(a[4].matches("message", "cpim"));
        assert_eq!(a[4].q(), Some(1000));
        let empty = Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nAccept:\r\n\r\n").unwrap();
        assert_eq!(empty.headers().typed::<Accept<'_>>().count(), 0);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Accept::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Accept::parse("application"),
            Err(HeaderError::Expected {
                expected: "'/'",
                at: 11
            })
        );
        assert!(Accept::parse("text/html;").is_err());
        assert!(Accept::parse("text/html junk").is_err());
        assert_eq!(Accept::parse("text/html;q=2").unwrap().q(), None);
        assert!(Accept::new("a b", "c").is_err());
        assert!(Accept::new("text", "").is_err());
    }

    #[test]
    fn round_trips() {
        for a in [
            Accept::new("application", "sdp").unwrap(),
            Accept::new("*", "*").unwrap().with_q(0),
            Accept::new("application", "pidf+xml").unwrap().with_q(750),
            Accept::new("text", "plain").unwrap().with_q(5000),
        ] {
            let s = a.to_string();
            assert_eq!(Accept::parse(&s).unwrap(), a, "{s}");
        }
        assert_eq!(
            Accept::new("text", "plain")
                .unwrap()
                .with_q(500)
                .to_string(),
            "text/plain;q=0.5"
        );
    }
}
