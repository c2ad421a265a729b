//! Replaces (RFC 3891 §6.1).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{params_after, scan, skip_lws};
use super::{CallId, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::is_lws;

/// The Replaces header: `callid *(SEMI replaces-param)` with exactly one `to-tag` and one
/// `from-tag` (RFC 3891 §6.1), naming the dialog an INVITE replaces; the `early-only` flag
/// limits the replacement to an early dialog.
///
/// The tags are from the point of view of the recipient of the Replaces: `to-tag` is its
/// local tag for that dialog when it is the UAS of the dialog (RFC 3891 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Replaces<'a> {
    call_id: Cow<'a, str>,
    /// The parameters (`to-tag`, `from-tag`, `early-only`, extensions).
    pub params: Params<'a>,
}

impl<'a> Replaces<'a> {
    /// A Replaces naming the dialog `call_id`, `to_tag`, `from_tag`; an error when the
    /// Call-ID is not a valid `callid` (RFC 3261 §25.1).
    pub fn new(
        call_id: &str,
        to_tag: &str,
        from_tag: &str,
    ) -> Result<Replaces<'static>, HeaderError> {
        let id = CallId::parse(call_id)?;
        if id.as_str().len() != call_id.len() {
            return Err(HeaderError::Expected {
                expected: "Call-ID without surrounding white space",
                at: 0,
            });
        }
        Ok(Replaces {
            call_id: Cow::Owned(call_id.to_owned()),
            params: Params::new()
                .with("to-tag", Some(to_tag))
                .with("from-tag", Some(from_tag)),
        })
    }

    /// The Call-ID of the dialog.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The `to-tag`, unquoted.
    pub fn to_tag(&self) -> Cow<'_, str> {
        self.params.get_unquoted("to-tag").unwrap_or_default()
    }

    /// The `from-tag`, unquoted.
    pub fn from_tag(&self) -> Cow<'_, str> {
        self.params.get_unquoted("from-tag").unwrap_or_default()
    }

    /// `true` when the `early-only` flag is present: only an early dialog may be replaced
    /// (RFC 3891 §3).
    pub fn early_only(&self) -> bool {
        self.params.contains("early-only")
    }

    /// Builder: adds the `early-only` flag.
    pub fn with_early_only(mut self) -> Self {
        if !self.early_only() {
            self.params.push("early-only", None);
        }
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Replaces<'static> {
        Replaces {
            call_id: Cow::Owned(self.call_id.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for Replaces<'a> {
    const NAME: HeaderName = HeaderName::Replaces;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        let start = skip_lws(b, 0);
        if start == b.len() {
            return Err(HeaderError::Empty);
        }
        let end = scan(b, start, |c| c != b';' && !is_lws(c));
        let call_id = &value[start..end];
        CallId::parse(call_id).map_err(|e| match e {
            HeaderError::Expected { expected, at } => HeaderError::Expected {
                expected,
                at: start + at,
            },
            HeaderError::Empty => HeaderError::Expected {
                expected: "Call-ID",
                at: start,
            },
            other => other,
        })?;
        let params = params_after(value, end)?;
        for (name, expected) in [
            ("to-tag", "to-tag parameter"),
            ("from-tag", "from-tag parameter"),
        ] {
            if params.get(name).flatten().is_none() {
                return Err(HeaderError::Expected {
                    expected,
                    at: value.len(),
                });
            }
        }
        Ok(Self {
            call_id: Cow::Borrowed(call_id),
            params,
        })
    }
}

impl fmt::Display for Replaces<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.call_id, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3891 §6.1 examples.
    #[test]
    fn rfc3891_examples() {
        let r = Replaces::parse("98732@sip.example.com\r\n ;from-tag=r33th4x0r\r\n ;to-tag=ff87ff")
            .unwrap();
        assert_eq!(r.call_id(), "98732@sip.example.com");
        assert_eq!(r.from_tag(), "r33th4x0r");
        assert_eq!(r.to_tag(), "ff87ff");
        assert!(!r.early_only());
        let r = Replaces::parse("12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only").unwrap();
        assert!(r.early_only());
        let r = Replaces::parse("87134@171.161.34.23;to-tag=24796;from-tag=0").unwrap();
        assert_eq!(r.from_tag(), "0");
        let r = Replaces::parse(" a ; TO-TAG = \"x y\" ; From-Tag=z").unwrap();
        assert_eq!(r.to_tag(), "x y");
        assert_eq!(r.from_tag(), "z");
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Replaces::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            Replaces::parse("abc;from-tag=1"),
            Err(HeaderError::Expected {
                expected: "to-tag parameter",
                at: 14
            })
        );
        assert_eq!(
            Replaces::parse("abc;to-tag=1;from-tag"),
            Err(HeaderError::Expected {
                expected: "from-tag parameter",
                at: 21
            })
        );
        assert_eq!(
            Replaces::parse(";to-tag=1;from-tag=2"),
            Err(HeaderError::Expected {
                expected: "Call-ID",
                at: 0
            })
        );
        assert_eq!(
            Replaces::parse(" a,b;to-tag=1;from-tag=2"),
            Err(HeaderError::Expected {
                expected: "Call-ID word character",
                at: 2
            })
        );
        assert!(Replaces::parse("a b;to-tag=1;from-tag=2").is_err());
        assert!(Replaces::parse("a;to-tag=1;from-tag=2;").is_err());
        assert!(Replaces::new("a b", "1", "2").is_err());
        assert!(Replaces::new(" a", "1", "2").is_err());
        assert!(Replaces::new("", "1", "2").is_err());
    }

    #[test]
    fn round_trips() {
        for r in [
            Replaces::new("425928@bobster.example.org", "7743", "6472").unwrap(),
            Replaces::new("x", "a b", "\"q")
                .unwrap()
                .with_early_only()
                .with_early_only(),
        ] {
            let s = r.to_string();
            assert_eq!(Replaces::parse(&s).unwrap(), r, "{s}");
        }
        let r = Replaces::new("x", "a b", "\"q").unwrap();
        assert_eq!(r.to_tag(), "a b");
        assert_eq!(r.from_tag(), "\"q");
        assert_eq!(
            Replaces::new("1@h", "t", "f")
                .unwrap()
                .with_early_only()
                .to_string(),
            "1@h;to-tag=t;from-tag=f;early-only"
        );
    }
}
