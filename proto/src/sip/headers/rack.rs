//! RAck (RFC 3262 §7.2).

use std::fmt;

use super::grammar::{scan, skip_lws};
use super::{parse_decimal, Cseq, Header, HeaderName, RSeq};
use crate::sip::error::HeaderError;
use crate::sip::method::Method;
use crate::sip::text::{is_lws, is_token_char};

/// The RAck header of a PRACK (RFC 3262 §7.2): `response-num LWS CSeq-num LWS Method`, the
/// RSeq of the acknowledged provisional response and the CSeq number and method of its
/// request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RAck {
    /// The RSeq of the acknowledged response.
    pub rseq: u32,
    /// The CSeq number of the request the response answered.
    pub cseq: u32,
    /// The method of that request.
    pub method: Method,
}

impl RAck {
    /// A RAck value.
    pub fn new(rseq: u32, cseq: u32, method: Method) -> Self {
        Self { rseq, cseq, method }
    }

    /// The RAck that acknowledges a reliable provisional response with `rseq` and `cseq`
    /// (RFC 3262 §7.2).
    pub fn for_response(rseq: RSeq, cseq: &Cseq) -> Self {
        Self::new(rseq.get(), cseq.seq, cseq.method.clone())
    }

    /// `true` when this RAck acknowledges the response with `rseq` and `cseq` (RFC 3262 §3
    /// matching rule).
    pub fn acknowledges(&self, rseq: RSeq, cseq: &Cseq) -> bool {
        self.rseq == rseq.get() && self.cseq == cseq.seq && self.method == cseq.method
    }
}

impl<'a> Header<'a> for RAck {
    const NAME: HeaderName = HeaderName::RAck;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        let mut i = skip_lws(b, 0);
        if i == b.len() {
            return Err(HeaderError::Empty);
        }
        let mut nums = [0u32; 2];
        for (n, (expected, what)) in nums.iter_mut().zip([
            ("response-num", "RAck response-num"),
            ("CSeq-num", "RAck CSeq-num"),
        ]) {
            let e = scan(b, i, |c| c.is_ascii_digit());
            if e == i {
                return Err(HeaderError::Expected { expected, at: i });
            }
            *n = parse_decimal(&value[i..e], what)?;
            let next = skip_lws(b, e);
            if next == e {
                return Err(HeaderError::Expected {
                    expected: "white space",
                    at: e,
                });
            }
            i = next;
        }
        let e = scan(b, i, is_token_char);
        let method = Method::from_token(&value[i..e]).ok_or(HeaderError::Expected {
            expected: "method token",
            at: i,
        })?;
        if !b[e..].iter().all(|&c| is_lws(c)) {
            return Err(HeaderError::Expected {
                expected: "end of value",
                at: e,
            });
        }
        Ok(Self {
            rseq: nums[0],
            cseq: nums[1],
            method,
        })
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3262 §7.2 example.
    #[test]
    fn rfc3262_example() {
        let r = RAck::parse("776656 1 INVITE").unwrap();
        assert_eq!(r, RAck::new(776_656, 1, Method::Invite));
        let r = RAck::parse(" 1\r\n 0002  UPDATE ").unwrap();
        assert_eq!((r.rseq, r.cseq, r.method), (1, 2, Method::Update));
        let cseq = Cseq::new(1, Method::Invite);
        let rseq = RSeq::new(776_656).unwrap();
        assert!(RAck::parse("776656 1 INVITE")
            .unwrap()
            .acknowledges(rseq, &cseq));
        assert!(!RAck::parse("776656 1 invite")
            .unwrap()
            .acknowledges(rseq, &cseq));
        assert_eq!(
            RAck::for_response(rseq, &cseq),
            RAck::new(776_656, 1, Method::Invite)
        );
    }

    #[test]
    fn rejects_malformed() {
        let e = |expected, at| Err(HeaderError::Expected { expected, at });
        assert_eq!(RAck::parse(""), Err(HeaderError::Empty));
        assert_eq!(RAck::parse("x 1 INVITE"), e("response-num", 0));
        assert_eq!(RAck::parse("1 INVITE"), e("CSeq-num", 2));
        assert_eq!(RAck::parse("1 2"), e("white space", 3));
        assert_eq!(RAck::parse("1 2 "), e("method token", 4));
        assert_eq!(RAck::parse("1 2INVITE"), e("white space", 3));
        assert_eq!(RAck::parse("1 2 INVITE x"), e("end of value", 10));
        assert_eq!(RAck::parse("1 2 INV\"ITE"), e("end of value", 7));
        assert_eq!(
            RAck::parse("4294967296 1 INVITE"),
            Err(HeaderError::OutOfRange {
                what: "RAck response-num"
            })
        );
        assert_eq!(
            RAck::parse("1 4294967296 INVITE"),
            Err(HeaderError::OutOfRange {
                what: "RAck CSeq-num"
            })
        );
    }

    #[test]
    fn round_trips() {
        for r in [
            RAck::new(1, 1, Method::Invite),
            RAck::new(u32::MAX, 0, Method::Update),
            RAck::new(5, 7, Method::from_token("FOO").unwrap()),
        ] {
            assert_eq!(RAck::parse(&r.to_string()), Ok(r.clone()));
        }
    }
}
