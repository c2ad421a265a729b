//! Session-Expires and Min-SE (RFC 4028 §4, §5): `delta-seconds *(SEMI param)`.

use std::fmt;

use super::grammar::{params_after, scan, skip_lws};
use super::{parse_decimal, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;

/// Which side refreshes the session (RFC 4028 §4 `refresher-param`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// `refresher=uac`: the user agent client of the refreshing transaction.
    Uac,
    /// `refresher=uas`: the user agent server.
    Uas,
}

impl Refresher {
    /// The parameter value (`uac` or `uas`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uac => "uac",
            Self::Uas => "uas",
        }
    }
}

/// Parses `delta-seconds *(SEMI generic-param)`.
fn seconds_and_params<'a>(
    value: &'a str,
    what: &'static str,
) -> Result<(u32, Params<'a>), HeaderError> {
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
    let seconds = parse_decimal(&value[start..end], what)?;
    Ok((seconds, params_after(value, end)?))
}

/// The Session-Expires header (RFC 4028 §4): the session interval in seconds and who
/// refreshes. Compact form `x`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionExpires<'a> {
    /// The session interval in seconds (RFC 4028 recommends at least 90; 1800 is usual).
    pub seconds: u32,
    /// The parameters (`refresher` and extensions).
    pub params: Params<'a>,
}

impl<'a> SessionExpires<'a> {
    /// An interval of `seconds` with no refresher.
    pub fn new(seconds: u32) -> SessionExpires<'static> {
        SessionExpires {
            seconds,
            params: Params::new(),
        }
    }

    /// The `refresher` parameter (compared case-insensitively); `None` when absent or
    /// neither `uac` nor `uas`.
    pub fn refresher(&self) -> Option<Refresher> {
        let v = self.params.get("refresher")??;
        if v.eq_ignore_ascii_case("uac") {
            Some(Refresher::Uac)
        } else if v.eq_ignore_ascii_case("uas") {
            Some(Refresher::Uas)
        } else {
            None
        }
    }

    /// Builder: sets the `refresher` parameter.
    pub fn with_refresher(mut self, refresher: Refresher) -> Self {
        self.params.set("refresher", Some(refresher.as_str()));
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> SessionExpires<'static> {
        SessionExpires {
            seconds: self.seconds,
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for SessionExpires<'a> {
    const NAME: HeaderName = HeaderName::SessionExpires;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (seconds, params) = seconds_and_params(value, "Session-Expires")?;
        Ok(Self { seconds, params })
    }
}

impl fmt::Display for SessionExpires<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.seconds, self.params)
    }
}

/// The Min-SE header (RFC 4028 §5): the smallest session interval the sender accepts, in
/// seconds (at least 90 by RFC 4028), sent with 422 Session Interval Too Small. RFC 4028
/// allows extension parameters after the number; they are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MinSe<'a> {
    /// The minimum session interval in seconds.
    pub seconds: u32,
    /// Extension parameters.
    pub params: Params<'a>,
}

impl<'a> MinSe<'a> {
    /// A minimum of `seconds` with no parameters.
    pub fn new(seconds: u32) -> MinSe<'static> {
        MinSe {
            seconds,
            params: Params::new(),
        }
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> MinSe<'static> {
        MinSe {
            seconds: self.seconds,
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for MinSe<'a> {
    const NAME: HeaderName = HeaderName::MinSe;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (seconds, params) = seconds_and_params(value, "Min-SE")?;
        Ok(Self { seconds, params })
    }
}

impl fmt::Display for MinSe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.seconds, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    #[test]
    fn session_expires() {
        let s = SessionExpires::parse("4000;refresher=uac").unwrap();
        assert_eq!(s.seconds, 4000);
        assert_eq!(s.refresher(), Some(Refresher::Uac));
        let s = SessionExpires::parse(" 1800 ;\r\n Refresher = UAS ; x").unwrap();
        assert_eq!(s.refresher(), Some(Refresher::Uas));
        assert!(s.params.contains("x"));
        assert_eq!(SessionExpires::parse("90").unwrap().refresher(), None);
        assert_eq!(
            SessionExpires::parse("90;refresher=both")
                .unwrap()
                .refresher(),
            None
        );
        let m = Message::parse(b"UPDATE sip:a@b SIP/2.0\r\nx: 1800\r\nMin-SE: 90\r\n\r\n").unwrap();
        assert_eq!(
            m.headers().single::<SessionExpires<'_>>().unwrap().seconds,
            1800
        );
        assert_eq!(m.headers().single::<MinSe<'_>>().unwrap().seconds, 90);
    }

    #[test]
    fn min_se() {
        let m = MinSe::parse(" 3600 ;ext=1").unwrap();
        assert_eq!(m.seconds, 3600);
        assert!(m.params.contains("ext"));
    }

    #[test]
    fn rejects_malformed() {
        let e = |expected, at| Err(HeaderError::Expected { expected, at });
        assert_eq!(SessionExpires::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            SessionExpires::parse(";refresher=uac"),
            e("delta-seconds", 0)
        );
        assert_eq!(
            SessionExpires::parse("1800 uac"),
            e("';' or end of value", 5)
        );
        assert_eq!(
            SessionExpires::parse("1800;"),
            Err(HeaderError::Param { at: 5 })
        );
        assert_eq!(
            SessionExpires::parse("99999999999"),
            Err(HeaderError::OutOfRange {
                what: "Session-Expires"
            })
        );
        assert_eq!(
            MinSe::parse("-90"),
            Err(HeaderError::Expected {
                expected: "delta-seconds",
                at: 0
            })
        );
        assert_eq!(
            MinSe::parse("4294967296"),
            Err(HeaderError::OutOfRange { what: "Min-SE" })
        );
        assert!(MinSe::parse("90 90").is_err());
    }

    #[test]
    fn round_trips() {
        for s in [
            SessionExpires::new(1800),
            SessionExpires::new(90).with_refresher(Refresher::Uas),
            SessionExpires::new(u32::MAX)
                .with_refresher(Refresher::Uas)
                .with_refresher(Refresher::Uac),
        ] {
            let t = s.to_string();
            assert_eq!(SessionExpires::parse(&t).unwrap(), s, "{t}");
        }
        assert_eq!(
            SessionExpires::new(1800)
                .with_refresher(Refresher::Uac)
                .to_string(),
            "1800;refresher=uac"
        );
        for m in [MinSe::new(90), MinSe::new(0)] {
            assert_eq!(MinSe::parse(&m.to_string()).unwrap(), m);
        }
    }
}
