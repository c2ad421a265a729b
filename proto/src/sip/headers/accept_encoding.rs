//! Accept-Encoding (RFC 3261 §20.2).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{format_qvalue, parse_qvalue, token_and_params};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::is_token;

/// One Accept-Encoding value (RFC 3261 §20.2): `codings *(SEMI accept-param)`, a content
/// coding (`gzip`, `identity`) or `*`, with a `q` preference. An empty header means only
/// `identity` is acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AcceptEncoding<'a> {
    coding: Cow<'a, str>,
    /// The accept parameters (`q` and extensions).
    pub params: Params<'a>,
}

impl<'a> AcceptEncoding<'a> {
    /// A value for `coding` (a token or `*`); an error when it is not a token.
    pub fn new(coding: &str) -> Result<AcceptEncoding<'static>, HeaderError> {
        if !is_token(coding) {
            return Err(HeaderError::Expected {
                expected: "content-coding token",
                at: 0,
            });
        }
        Ok(AcceptEncoding {
            coding: Cow::Owned(coding.to_owned()),
            params: Params::new(),
        })
    }

    /// The content coding as written (`*` for any).
    pub fn coding(&self) -> &str {
        &self.coding
    }

    /// `true` when this value names `coding` (case-insensitive) or is `*`.
    pub fn matches(&self, coding: &str) -> bool {
        &*self.coding == "*" || self.coding.eq_ignore_ascii_case(coding)
    }

    /// The `q` preference in thousandths; `None` when absent (meaning 1000) or malformed.
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.params.get("q")??)
    }

    /// Builder: sets `q` from thousandths (values above 1000 are written as `1`).
    pub fn with_q(mut self, q: u16) -> Self {
        self.params.set("q", Some(&format_qvalue(q)));
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> AcceptEncoding<'static> {
        AcceptEncoding {
            coding: Cow::Owned(self.coding.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for AcceptEncoding<'a> {
    const NAME: HeaderName = HeaderName::AcceptEncoding;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (coding, params) = token_and_params(value, "content-coding")?;
        Ok(Self {
            coding: Cow::Borrowed(coding),
            params,
        })
    }
}

impl fmt::Display for AcceptEncoding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.coding, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    #[test]
    fn codings_and_q() {
        let m = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nAccept-Encoding: gzip ; q=0.8,\r\n identity, *;q=0\r\n\r\n",
        )
        .unwrap();
        let a: Vec<_> = m
            .headers()
            .typed::<AcceptEncoding<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(a[0].coding(), "gzip");
        assert_eq!(a[0].q(), Some(800));
        assert!(a[1].matches("IDENTITY"));
        assert_eq!(a[1].q(), None);
        assert!(a[2].matches("deflate"));
        assert_eq!(a[2].q(), Some(0));
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(AcceptEncoding::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            AcceptEncoding::parse(";q=1"),
            Err(HeaderError::Expected {
                expected: "content-coding",
                at: 0
            })
        );
        assert_eq!(AcceptEncoding::parse("gzip;q").unwrap().q(), None);
        assert!(AcceptEncoding::parse("gzip deflate").is_err());
        assert!(AcceptEncoding::new("g zip").is_err());
        for a in [
            AcceptEncoding::new("gzip").unwrap(),
            AcceptEncoding::new("*").unwrap().with_q(0),
            AcceptEncoding::new("identity")
                .unwrap()
                .with_q(1000)
                .with_q(125),
        ] {
            let s = a.to_string();
            assert_eq!(AcceptEncoding::parse(&s).unwrap(), a, "{s}");
        }
    }
}
