//! RSeq (RFC 3262 §7.1).

use std::fmt;

use super::{parse_decimal, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::trim_lws;

/// The RSeq header (RFC 3262 §7.1): the sequence number of a reliable provisional response.
///
/// RFC 3262 §3 bounds the *first* number of a transaction to 1..=2^31-1 and makes each later
/// one one higher, so a received value may exceed 2^31-1; parsing accepts 1..=2^32-1 and
/// [`RSeq::initial`] applies the bound for the first number. Zero is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RSeq(u32);

impl RSeq {
    /// The largest first number of a transaction (RFC 3262 §3).
    pub const MAX_INITIAL: u32 = (1 << 31) - 1;

    /// A sequence number; `None` for zero.
    pub fn new(n: u32) -> Option<Self> {
        (n >= 1).then_some(Self(n))
    }

    /// The first sequence number of a transaction; `None` outside 1..=2^31-1 (RFC 3262 §3
    /// recommends choosing it uniformly in that range).
    pub fn initial(n: u32) -> Option<Self> {
        (1..=Self::MAX_INITIAL).contains(&n).then_some(Self(n))
    }

    /// The number of the next reliable provisional response; `None` on overflow.
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(Self)
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<'a> Header<'a> for RSeq {
    const NAME: HeaderName = HeaderName::RSeq;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let n: u32 = parse_decimal(trim_lws(value), "RSeq")?;
        Self::new(n).ok_or(HeaderError::OutOfRange { what: "RSeq" })
    }
}

impl fmt::Display for RSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(RSeq::parse(" 988789 ").unwrap().get(), 988_789);
        assert_eq!(RSeq::parse("\r\n 1").unwrap().get(), 1);
        assert_eq!(RSeq::parse("4294967295").unwrap().get(), u32::MAX);
        assert_eq!(
            RSeq::parse("0"),
            Err(HeaderError::OutOfRange { what: "RSeq" })
        );
        assert_eq!(
            RSeq::parse("4294967296"),
            Err(HeaderError::OutOfRange { what: "RSeq" })
        );
        assert_eq!(RSeq::parse(""), Err(HeaderError::Empty));
        assert!(RSeq::parse("1 2").is_err());
        assert!(RSeq::parse("+1").is_err());
    }

    #[test]
    fn constructors_and_round_trips() {
        assert_eq!(RSeq::new(0), None);
        assert_eq!(RSeq::initial(0), None);
        assert_eq!(RSeq::initial(1 << 31), None);
        assert!(RSeq::initial(RSeq::MAX_INITIAL).is_some());
        let r = RSeq::initial(RSeq::MAX_INITIAL).unwrap().next().unwrap();
        assert_eq!(r.get(), 1 << 31);
        assert_eq!(RSeq::new(u32::MAX).unwrap().next(), None);
        for n in [1, 776_656, RSeq::MAX_INITIAL, u32::MAX] {
            let r = RSeq::new(n).unwrap();
            assert_eq!(RSeq::parse(&r.to_string()), Ok(r));
        }
    }
}
