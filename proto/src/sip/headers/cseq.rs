//! CSeq (RFC 3261 §20.16).

use std::fmt;

use super::{parse_decimal, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::method::Method;
use crate::sip::text::{is_lws, trim_lws};

/// The CSeq: a sequence number (a 32-bit unsigned integer, RFC 3261 §8.1.1.5) and a method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cseq {
    /// The sequence number.
    pub seq: u32,
    /// The method; it must equal the request method.
    pub method: Method,
}

impl Cseq {
    /// A CSeq value.
    pub fn new(seq: u32, method: Method) -> Self {
        Self { seq, method }
    }
}

impl<'a> Header<'a> for Cseq {
    const NAME: HeaderName = HeaderName::CSeq;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let v = trim_lws(value);
        let split = v.bytes().position(is_lws).ok_or(HeaderError::Expected {
            expected: "method after sequence number",
            at: v.len(),
        })?;
        let seq = parse_decimal::<u32>(&v[..split], "CSeq number")?;
        let m = trim_lws(&v[split..]);
        let method = Method::from_token(m).ok_or(HeaderError::Expected {
            expected: "method token",
            at: v.len() - m.len(),
        })?;
        Ok(Self { seq, method })
    }
}

impl fmt::Display for Cseq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            Cseq::parse("0009 \r\n INVITE").unwrap(),
            Cseq::new(9, Method::Invite)
        );
        assert_eq!(Cseq::parse("4294967295 ACK").unwrap().seq, u32::MAX);
        assert_eq!(
            Cseq::parse("36893488147419103232 INVITE"),
            Err(HeaderError::OutOfRange {
                what: "CSeq number"
            })
        );
        assert!(Cseq::parse("1").is_err());
        assert!(Cseq::parse("x INVITE").is_err());
        assert!(Cseq::parse("-1 INVITE").is_err());
    }
}
