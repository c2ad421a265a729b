//! Content-Type (RFC 3261 §20.15) and the media type grammar it shares with Accept.

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::{is_lws, is_token_char};

/// A media type or media range: `type/subtype *(;parameter)`; in Accept either part may be
/// `*`. Type and subtype compare case-insensitively through [`MediaType::is`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaType<'a> {
    mtype: Cow<'a, str>,
    subtype: Cow<'a, str>,
    /// The parameters (`charset`, `boundary`, `q` in Accept, …).
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// A media type without parameters.
    pub fn new(mtype: &str, subtype: &str) -> MediaType<'static> {
        MediaType {
            mtype: Cow::Owned(mtype.to_owned()),
            subtype: Cow::Owned(subtype.to_owned()),
            params: Params::new(),
        }
    }

    /// The top-level type (`application`).
    pub fn mtype(&self) -> &str {
        &self.mtype
    }

    /// The subtype (`sdp`).
    pub fn subtype(&self) -> &str {
        &self.subtype
    }

    /// `true` when this is `mtype/subtype`, compared case-insensitively.
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// `true` when this media range (which may hold `*`) covers `mtype/subtype`.
    pub fn matches(&self, mtype: &str, subtype: &str) -> bool {
        (self.mtype == "*" || self.mtype.eq_ignore_ascii_case(mtype))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype))
    }

    /// The `boundary` parameter of a multipart type, unquoted.
    pub fn boundary(&self) -> Option<Cow<'_, str>> {
        self.params.get_unquoted("boundary")
    }

    /// Parses `type/subtype *(;parameter)` spanning all of `s`.
    pub fn parse(s: &'a str) -> Result<Self, HeaderError> {
        let b = s.as_bytes();
        let token = |mut i: usize| -> Result<(usize, usize), HeaderError> {
            while i < b.len() && is_lws(b[i]) {
                i += 1;
            }
            let start = i;
            while i < b.len() && is_token_char(b[i]) {
                i += 1;
            }
            if i == start {
                return Err(if b.is_empty() {
                    HeaderError::Empty
                } else {
                    HeaderError::Expected {
                        expected: "media type token",
                        at: start,
                    }
                });
            }
            Ok((start, i))
        };
        let (ts, te) = token(0)?;
        let mut i = te;
        while i < b.len() && is_lws(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'/') {
            return Err(HeaderError::Expected {
                expected: "'/'",
                at: i,
            });
        }
        let (ss, se) = token(i + 1)?;
        let params = Params::parse(&s[se..])?;
        Ok(Self {
            mtype: Cow::Borrowed(&s[ts..te]),
            subtype: Cow::Borrowed(&s[ss..se]),
            params,
        })
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> MediaType<'static> {
        MediaType {
            mtype: Cow::Owned(self.mtype.into_owned()),
            subtype: Cow::Owned(self.subtype.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.mtype, self.subtype, self.params)
    }
}

/// The Content-Type of the body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType<'a>(pub MediaType<'a>);

impl ContentType<'_> {
    /// `application/sdp`.
    pub fn sdp() -> ContentType<'static> {
        ContentType(MediaType::new("application", "sdp"))
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> ContentType<'static> {
        ContentType(self.0.into_owned())
    }
}

impl<'a> std::ops::Deref for ContentType<'a> {
    type Target = MediaType<'a>;

    fn deref(&self) -> &MediaType<'a> {
        &self.0
    }
}

impl<'a> Header<'a> for ContentType<'a> {
    const NAME: HeaderName = HeaderName::ContentType;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        MediaType::parse(value).map(Self)
    }
}

impl fmt::Display for ContentType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let c = ContentType::parse("multipart/mixed ; boundary=\"unique-boundary-1\"").unwrap();
        assert!(c.is("Multipart", "MIXED"));
        assert_eq!(c.boundary().as_deref(), Some("unique-boundary-1"));
        assert!(ContentType::parse("application").is_err());
        assert!(ContentType::parse("").is_err());
        assert!(MediaType::parse("*/*").unwrap().matches("text", "plain"));
        assert!(MediaType::parse("text/*").unwrap().matches("text", "html"));
        assert!(!MediaType::parse("text/*")
            .unwrap()
            .matches("application", "sdp"));
    }
}
