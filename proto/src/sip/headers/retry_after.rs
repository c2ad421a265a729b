//! Retry-After (RFC 3261 §20.33).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{
    comment_len, escape_comment, params_after, scan, shift, skip_lws, unescape_comment,
};
use super::{parse_decimal, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;

/// The Retry-After header (RFC 3261 §20.33): `delta-seconds [ comment ] *( SEMI
/// retry-param )`, how long the service is expected to be unavailable, with an optional
/// comment and a `duration` (how long the callee will be reachable after that).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetryAfter<'a> {
    seconds: u32,
    /// The comment without its outer parentheses, quoted-pairs kept as written.
    comment: Option<Cow<'a, str>>,
    /// The parameters (`duration` and extensions).
    pub params: Params<'a>,
}

impl<'a> RetryAfter<'a> {
    /// `seconds` with no comment or parameters.
    pub fn new(seconds: u32) -> RetryAfter<'static> {
        RetryAfter {
            seconds,
            comment: None,
            params: Params::new(),
        }
    }

    /// The delay in seconds.
    pub fn seconds(&self) -> u32 {
        self.seconds
    }

    /// The comment, quoted-pairs resolved (`I'm in a meeting`).
    pub fn comment(&self) -> Option<Cow<'_, str>> {
        self.comment.as_deref().map(unescape_comment)
    }

    /// The `duration` parameter in seconds; `None` when absent or not a 32-bit number.
    pub fn duration(&self) -> Option<u32> {
        parse_decimal(self.params.get("duration").flatten()?, "duration").ok()
    }

    /// Builder: sets the comment (parentheses and backslashes are escaped).
    pub fn with_comment(mut self, comment: &str) -> Self {
        self.comment = Some(Cow::Owned(escape_comment(comment)));
        self
    }

    /// Builder: sets the `duration` parameter.
    pub fn with_duration(mut self, seconds: u32) -> Self {
        self.params.set("duration", Some(&seconds.to_string()));
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> RetryAfter<'static> {
        RetryAfter {
            seconds: self.seconds,
            comment: self.comment.map(|c| Cow::Owned(c.into_owned())),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for RetryAfter<'a> {
    const NAME: HeaderName = HeaderName::RetryAfter;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        let start = skip_lws(b, 0);
        if start == b.len() {
            return Err(HeaderError::Empty);
        }
        let end = scan(b, start, |c| c.is_ascii_digit());
        if end == start {
            return Err(HeaderError::Expected {
                expected: "delta-seconds",
                at: start,
            });
        }
        let seconds = parse_decimal(&value[start..end], "Retry-After")?;
        let mut comment = None;
        let mut after = end;
        let c = skip_lws(b, end);
        if b.get(c) == Some(&b'(') {
            let n = comment_len(&value[c..]).map_err(|e| shift(e, c))?;
            comment = value.get(c + 1..c + n - 1).map(Cow::Borrowed);
            after = c + n;
        }
        let params = params_after(value, after)?;
        Ok(Self {
            seconds,
            comment,
            params,
        })
    }
}

impl fmt::Display for RetryAfter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.seconds)?;
        if let Some(c) = &self.comment {
            write!(f, " ({c})")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3261 §20.33 examples.
    #[test]
    fn rfc3261_examples() {
        let r = RetryAfter::parse("18000;duration=3600").unwrap();
        assert_eq!(r.seconds(), 18000);
        assert_eq!(r.duration(), Some(3600));
        assert_eq!(r.comment(), None);
        let r = RetryAfter::parse("120 (I'm in a meeting)").unwrap();
        assert_eq!(r.seconds(), 120);
        assert_eq!(r.comment().as_deref(), Some("I'm in a meeting"));
        assert_eq!(r.duration(), None);
        let r = RetryAfter::parse(" 0\r\n (a \\) (b)) ;\r\n duration = 5 ; x").unwrap();
        assert_eq!(r.comment().as_deref(), Some("a ) (b)"));
        assert_eq!(r.duration(), Some(5));
        assert!(r.params.contains("x"));
        assert_eq!(
            RetryAfter::parse("5(x)").unwrap().comment().as_deref(),
            Some("x")
        );
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(RetryAfter::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            RetryAfter::parse("soon"),
            Err(HeaderError::Expected {
                expected: "delta-seconds",
                at: 0
            })
        );
        assert_eq!(
            RetryAfter::parse("99999999999"),
            Err(HeaderError::OutOfRange {
                what: "Retry-After"
            })
        );
        assert_eq!(
            RetryAfter::parse("10 (open"),
            Err(HeaderError::Expected {
                expected: "')' closing the comment",
                at: 8
            })
        );
        assert_eq!(
            RetryAfter::parse("10 junk"),
            Err(HeaderError::Expected {
                expected: "';' or end of value",
                at: 3
            })
        );
        assert_eq!(RetryAfter::parse("10;"), Err(HeaderError::Param { at: 3 }));
        assert!(RetryAfter::parse("10 (a) (b)").is_err());
        assert!(RetryAfter::parse("-1").is_err());
    }

    #[test]
    fn round_trips() {
        for r in [
            RetryAfter::new(0),
            RetryAfter::new(120).with_comment("I'm in a meeting"),
            RetryAfter::new(u32::MAX)
                .with_comment("odd (text) \\ here\r\n")
                .with_duration(60)
                .with_duration(61),
        ] {
            let s = r.to_string();
            assert_eq!(RetryAfter::parse(&s).unwrap(), r, "{s}");
        }
        let r = RetryAfter::new(1).with_comment("a(b)");
        assert_eq!(r.to_string(), "1 (a\\(b\\))");
        assert_eq!(r.comment().as_deref(), Some("a(b)"));
    }
}
