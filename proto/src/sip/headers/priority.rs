//! Priority (RFC 3261 §20.26).

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{is_token, trim_lws, trim_lws_start};

/// The urgency a Priority value names (RFC 3261 §20.26), compared case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriorityKind<'a> {
    /// `emergency`.
    Emergency,
    /// `urgent`.
    Urgent,
    /// `normal`.
    Normal,
    /// `non-urgent`.
    NonUrgent,
    /// An `other-priority` token, as written.
    Other(&'a str),
}

/// The Priority header (RFC 3261 §20.26): the urgency of the request as perceived by the
/// client, a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Priority<'a>(Cow<'a, str>);

impl Priority<'static> {
    /// `emergency`.
    pub const EMERGENCY: Self = Self(Cow::Borrowed("emergency"));
    /// `urgent`.
    pub const URGENT: Self = Self(Cow::Borrowed("urgent"));
    /// `normal`.
    pub const NORMAL: Self = Self(Cow::Borrowed("normal"));
    /// `non-urgent`.
    pub const NON_URGENT: Self = Self(Cow::Borrowed("non-urgent"));
}

impl<'a> Priority<'a> {
    /// A priority of any name; an error when `token` is not a token.
    pub fn new(token: &str) -> Result<Priority<'static>, HeaderError> {
        if !is_token(token) {
            return Err(HeaderError::Expected {
                expected: "priority token",
                at: 0,
            });
        }
        Ok(Priority(Cow::Owned(token.to_owned())))
    }

    /// The token as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The urgency.
    pub fn kind(&self) -> PriorityKind<'_> {
        let t: &str = &self.0;
        if t.eq_ignore_ascii_case("emergency") {
            PriorityKind::Emergency
        } else if t.eq_ignore_ascii_case("urgent") {
            PriorityKind::Urgent
        } else if t.eq_ignore_ascii_case("normal") {
            PriorityKind::Normal
        } else if t.eq_ignore_ascii_case("non-urgent") {
            PriorityKind::NonUrgent
        } else {
            PriorityKind::Other(t)
        }
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Priority<'static> {
        Priority(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> Header<'a> for Priority<'a> {
    const NAME: HeaderName = HeaderName::Priority;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let v = trim_lws(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        if !is_token(v) {
            return Err(HeaderError::Expected {
                expected: "priority token",
                at: value.len() - trim_lws_start(value).len(),
            });
        }
        Ok(Self(Cow::Borrowed(v)))
    }
}

impl fmt::Display for Priority<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(
            Priority::parse(" Emergency ").unwrap().kind(),
            PriorityKind::Emergency
        );
        assert_eq!(
            Priority::parse("URGENT").unwrap().kind(),
            PriorityKind::Urgent
        );
        assert_eq!(
            Priority::parse("normal").unwrap().kind(),
            PriorityKind::Normal
        );
        assert_eq!(
            Priority::parse("non-urgent").unwrap().kind(),
            PriorityKind::NonUrgent
        );
        assert_eq!(
            Priority::parse("x-low").unwrap().kind(),
            PriorityKind::Other("x-low")
        );
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(Priority::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Priority::parse(" non urgent"),
            Err(HeaderError::Expected {
                expected: "priority token",
                at: 1
            })
        );
        assert!(Priority::new("a;b").is_err());
        for p in [
            Priority::EMERGENCY,
            Priority::URGENT,
            Priority::NORMAL,
            Priority::NON_URGENT,
            Priority::new("x-low").unwrap(),
        ] {
            assert_eq!(Priority::parse(&p.to_string()).unwrap(), p);
        }
    }
}
