//! Expires and Min-Expires (RFC 3261 §20.19, §20.23): `delta-seconds`.
//!
//! RFC 3261 §20.19 lets a recipient treat a value beyond 2^32-1 as 2^32-1. [`Header::parse`](super::Header::parse)
//! does not: it reports such a value as [`HeaderError::OutOfRange`] (RFC 4475 §3.1.2.4,
//! `scalar02`, sends `Expires: 10000000000`), and the caller decides: reject with 400, or use
//! [`Expires::parse_saturating`], which applies the RFC 3261 reading.

use super::{parse_decimal, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::trim_lws;

integer_header!(
    /// Expires (RFC 3261 §20.19): the lifetime in seconds of a registration, subscription,
    /// publication or invitation.
    Expires,
    HeaderName::Expires,
    u32
);

integer_header!(
    /// Min-Expires (RFC 3261 §20.23): the shortest refresh interval a registrar (or notifier,
    /// RFC 6665) accepts, sent with 423 Interval Too Brief.
    MinExpires,
    HeaderName::MinExpires,
    u32
);

/// Parses `delta-seconds`, reading a value beyond `u32::MAX` as `u32::MAX`.
fn saturating(value: &str, what: &'static str) -> Result<u32, HeaderError> {
    let v = trim_lws(value);
    match parse_decimal::<u32>(v, what) {
        Err(HeaderError::OutOfRange { .. }) => Ok(u32::MAX),
        other => other,
    }
}

impl Expires {
    /// Parses like [`Header::parse`](super::Header::parse) but reads a number beyond 2^32-1 as 2^32-1, as RFC 3261
    /// §20.19 allows; other faults are still errors.
    pub fn parse_saturating(value: &str) -> Result<Self, HeaderError> {
        saturating(value, "Expires").map(Self)
    }

    /// The lifetime as a [`std::time::Duration`].
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.0))
    }
}

impl MinExpires {
    /// Parses like [`Header::parse`](super::Header::parse) but reads a number beyond 2^32-1 as 2^32-1
    /// (RFC 3261 §20.19 for `delta-seconds`).
    pub fn parse_saturating(value: &str) -> Result<Self, HeaderError> {
        saturating(value, "MinExpires").map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::Header;

    #[test]
    fn values() {
        assert_eq!(Expires::parse(" 3600 "), Ok(Expires(3600)));
        assert_eq!(Expires::parse("\r\n 0"), Ok(Expires(0)));
        assert_eq!(Expires::parse("007"), Ok(Expires(7)));
        assert_eq!(MinExpires::parse("60"), Ok(MinExpires(60)));
        assert_eq!(Expires::parse("4294967295"), Ok(Expires(u32::MAX)));
        assert_eq!(Expires(30).duration().as_secs(), 30);
    }

    /// RFC 4475 §3.1.2.4 (`scalar02`): an Expires beyond 32 bits.
    #[test]
    fn out_of_range_is_reported() {
        assert_eq!(
            Expires::parse("10000000000"),
            Err(HeaderError::OutOfRange { what: "Expires" })
        );
        assert_eq!(
            Expires::parse_saturating("10000000000"),
            Ok(Expires(u32::MAX))
        );
        assert_eq!(
            MinExpires::parse_saturating("99999999999999999999999"),
            Ok(MinExpires(u32::MAX))
        );
        assert_eq!(Expires::parse_saturating(" 5 "), Ok(Expires(5)));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Expires::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Expires::parse("-1"),
            Err(HeaderError::Expected {
                expected: "decimal digit",
                at: 0
            })
        );
        assert!(Expires::parse("1 2").is_err());
        assert!(Expires::parse_saturating("1x").is_err());
        assert!(MinExpires::parse("Thu, 01 Dec 1994 16:00:00 GMT").is_err());
    }

    #[test]
    fn round_trips() {
        for v in [0, 1, 3600, u32::MAX] {
            assert_eq!(Expires::parse(&Expires(v).to_string()), Ok(Expires(v)));
            assert_eq!(
                MinExpires::parse(&MinExpires(v).to_string()),
                Ok(MinExpires(v))
            );
        }
    }
}
