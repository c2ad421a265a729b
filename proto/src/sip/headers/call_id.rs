//! Call-ID (RFC 3261 §20.8).

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{byte_class, scan_class, trim_lws};

/// The Call-ID: `word ["@" word]`, compared byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId<'a>(pub Cow<'a, str>);

impl<'a> CallId<'a> {
    /// A Call-ID with this text (the caller makes it unique, RFC 3261 §8.1.1.4).
    pub fn new(id: impl Into<Cow<'a, str>>) -> Self {
        Self(id.into())
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> CallId<'static> {
        CallId(Cow::Owned(self.0.into_owned()))
    }
}

/// `word` characters of RFC 3261 §25.1.
static WORD: [bool; 256] = byte_class(b"-.!%*_+`'~()<>:\\\"/[]?{}");

impl<'a> Header<'a> for CallId<'a> {
    const NAME: HeaderName = HeaderName::CallId;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let v = trim_lws(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        // callid = word [ "@" word ]
        let bytes = v.as_bytes();
        let end = scan_class(bytes, 0, &WORD);
        let end = match bytes.get(end) {
            Some(b'@') if end > 0 => {
                let host_end = scan_class(bytes, end + 1, &WORD);
                if host_end == end + 1 {
                    return Err(HeaderError::Expected {
                        expected: "word after '@'",
                        at: end + 1,
                    });
                }
                host_end
            }
            _ => end,
        };
        if end != bytes.len() {
            return Err(HeaderError::Expected {
                expected: "Call-ID word character",
                at: end,
            });
        }
        Ok(Self(Cow::Borrowed(v)))
    }
}

impl fmt::Display for CallId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            CallId::parse(" a84b4c76e66710@pc33.atlanta.com ")
                .unwrap()
                .as_str(),
            "a84b4c76e66710@pc33.atlanta.com"
        );
        assert!(CallId::parse("0ha0isndaksdj@10.0.0.1").is_ok());
        assert!(CallId::parse("a@b@c").is_err());
        assert!(CallId::parse("a b").is_err());
        assert!(CallId::parse("").is_err());
    }
}
