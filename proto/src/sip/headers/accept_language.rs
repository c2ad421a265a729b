//! Accept-Language (RFC 3261 §20.3).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{format_qvalue, is_language_tag, parse_qvalue, token_and_params};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;

/// One Accept-Language value (RFC 3261 §20.3): `language-range *(SEMI accept-param)`, a
/// language tag (`da`, `en-gb`) or `*`, with a `q` preference; the languages wanted for
/// reason phrases, session descriptions and status responses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AcceptLanguage<'a> {
    range: Cow<'a, str>,
    /// The accept parameters (`q` and extensions).
    pub params: Params<'a>,
}

impl<'a> AcceptLanguage<'a> {
    /// A value for `range` (a language tag or `*`); an error otherwise.
    pub fn new(range: &str) -> Result<AcceptLanguage<'static>, HeaderError> {
        if range != "*" && !is_language_tag(range) {
            return Err(HeaderError::Expected {
                expected: "language range",
                at: 0,
            });
        }
        Ok(AcceptLanguage {
            range: Cow::Owned(range.to_owned()),
            params: Params::new(),
        })
    }

    /// The language range as written (`*` for any).
    pub fn range(&self) -> &str {
        &self.range
    }

    /// `true` when this range covers the language tag `tag`: `*`, the same tag, or a prefix
    /// of it ending at a `-` (`en` covers `en-GB`), compared case-insensitively
    /// (RFC 2616 §14.4, which RFC 3261 §20.3 follows).
    pub fn matches(&self, tag: &str) -> bool {
        let r: &str = &self.range;
        if r == "*" {
            return true;
        }
        match tag.get(..r.len()) {
            Some(head) => {
                head.eq_ignore_ascii_case(r)
                    && (tag.len() == r.len() || tag.as_bytes().get(r.len()) == Some(&b'-'))
            }
            None => false,
        }
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
    pub fn into_owned(self) -> AcceptLanguage<'static> {
        AcceptLanguage {
            range: Cow::Owned(self.range.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for AcceptLanguage<'a> {
    const NAME: HeaderName = HeaderName::AcceptLanguage;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (range, params) = token_and_params(value, "language range")?;
        if range != "*" && !is_language_tag(range) {
            return Err(HeaderError::Expected {
                expected: "language range",
                at: value.len() - crate::sip::text::trim_lws_start(value).len(),
            });
        }
        Ok(Self {
            range: Cow::Borrowed(range),
            params,
        })
    }
}

impl fmt::Display for AcceptLanguage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.range, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    /// RFC 3261 §20.3 example.
    #[test]
    fn ranges_and_q() {
        let m = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nAccept-Language: da, en-gb;q=0.8,\r\n en;q=0.7 , *;q=0.1\r\n\r\n",
        )
        .unwrap();
        let a: Vec<_> = m
            .headers()
            .typed::<AcceptLanguage<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].range(), "da");
        assert_eq!(a[0].q(), None);
        assert_eq!(a[1].q(), Some(800));
        assert!(a[2].matches("EN-US"));
        assert!(a[2].matches("en"));
        assert!(!a[2].matches("eng"));
        assert!(!a[1].matches("en"));
        assert!(a[3].matches("fr"));
        assert_eq!(a[3].q(), Some(100));
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(AcceptLanguage::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            AcceptLanguage::parse(" en.gb"),
            Err(HeaderError::Expected {
                expected: "language range",
                at: 1
            })
        );
        assert!(AcceptLanguage::parse("en gb").is_err());
        assert!(AcceptLanguage::parse("en;;q=1").is_err());
        assert!(AcceptLanguage::new("**").is_err());
        for a in [
            AcceptLanguage::new("*").unwrap(),
            AcceptLanguage::new("en-GB").unwrap().with_q(800),
            AcceptLanguage::new("da").unwrap().with_q(1000),
        ] {
            let s = a.to_string();
            assert_eq!(AcceptLanguage::parse(&s).unwrap(), a, "{s}");
        }
    }
}
