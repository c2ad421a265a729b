//! Timestamp (RFC 3261 §20.38, §8.2.6.1).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use super::grammar::{scan, skip_lws};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;

/// The Timestamp header: `1*DIGIT ["." *DIGIT] [LWS delay]` with `delay = *DIGIT ["."
/// *DIGIT]` (RFC 3261 §20.38). The client's time value is opaque to the server, which echoes
/// it with the delay it added (§8.2.6.1), so both are kept as text, with numeric accessors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp<'a> {
    time: Cow<'a, str>,
    delay: Option<Cow<'a, str>>,
}

/// Scans `*DIGIT ["." *DIGIT]` from `i`; returns its end and whether it held a digit.
fn decimal_end(b: &[u8], i: usize) -> (usize, bool) {
    let int_end = scan(b, i, |c| c.is_ascii_digit());
    let mut end = int_end;
    if b.get(end) == Some(&b'.') {
        end = scan(b, end + 1, |c| c.is_ascii_digit());
    }
    let digits = int_end > i || end > int_end + 1;
    (end, digits)
}

/// Reads validated decimal text as seconds.
fn to_f64(s: &str) -> f64 {
    // `1.`, `.5` and digit strings all parse; the text was validated, so a failure cannot
    // happen, and infinity stands for an absurdly long number.
    s.parse().unwrap_or(f64::INFINITY)
}

impl<'a> Timestamp<'a> {
    /// A timestamp with the time value `time` (digits with an optional fraction); an error
    /// otherwise.
    pub fn new(time: &str) -> Result<Timestamp<'static>, HeaderError> {
        let b = time.as_bytes();
        let int_end = scan(b, 0, |c| c.is_ascii_digit());
        let (end, _) = decimal_end(b, 0);
        if int_end == 0 || end != b.len() {
            return Err(HeaderError::Expected {
                expected: "decimal time value",
                at: if int_end == 0 { 0 } else { end },
            });
        }
        Ok(Timestamp {
            time: Cow::Owned(time.to_owned()),
            delay: None,
        })
    }

    /// A timestamp for `since_epoch` written as seconds with millisecond precision
    /// (`1289690940.250`).
    pub fn from_duration(since_epoch: Duration) -> Timestamp<'static> {
        Timestamp {
            time: Cow::Owned(format!(
                "{}.{:03}",
                since_epoch.as_secs(),
                since_epoch.subsec_millis()
            )),
            delay: None,
        }
    }

    /// The echo a UAS sends back (RFC 3261 §8.2.6.1): the same time value with the `delay`
    /// between receiving the request and sending the response, in seconds with millisecond
    /// precision.
    pub fn with_delay(self, delay: Duration) -> Self {
        Self {
            time: self.time,
            delay: Some(Cow::Owned(format!(
                "{}.{:03}",
                delay.as_secs(),
                delay.subsec_millis()
            ))),
        }
    }

    /// The time value as written.
    pub fn time_str(&self) -> &str {
        &self.time
    }

    /// The time value as a number (its unit is the client's choice; seconds by convention).
    pub fn time(&self) -> f64 {
        to_f64(&self.time)
    }

    /// The delay as written, if any.
    pub fn delay_str(&self) -> Option<&str> {
        self.delay.as_deref()
    }

    /// The delay in seconds, if any.
    pub fn delay(&self) -> Option<f64> {
        self.delay.as_deref().map(to_f64)
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Timestamp<'static> {
        Timestamp {
            time: Cow::Owned(self.time.into_owned()),
            delay: self.delay.map(|d| Cow::Owned(d.into_owned())),
        }
    }
}

impl<'a> Header<'a> for Timestamp<'a> {
    const NAME: HeaderName = HeaderName::Timestamp;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        let start = skip_lws(b, 0);
        if start == b.len() {
            return Err(HeaderError::Empty);
        }
        if !b[start].is_ascii_digit() {
            return Err(HeaderError::Expected {
                expected: "decimal time value",
                at: start,
            });
        }
        let (end, _) = decimal_end(b, start);
        let time = &value[start..end];
        let ds = skip_lws(b, end);
        if ds == b.len() {
            return Ok(Self {
                time: Cow::Borrowed(time),
                delay: None,
            });
        }
        let (de, digits) = decimal_end(b, ds);
        if ds == end || !digits {
            return Err(HeaderError::Expected {
                expected: "white space and delay",
                at: if ds == end { end } else { ds },
            });
        }
        if skip_lws(b, de) != b.len() {
            return Err(HeaderError::Expected {
                expected: "end of value",
                at: de,
            });
        }
        Ok(Self {
            time: Cow::Borrowed(time),
            delay: Some(Cow::Borrowed(&value[ds..de])),
        })
    }
}

impl fmt::Display for Timestamp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.time)?;
        if let Some(d) = &self.delay {
            write!(f, " {d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let t = Timestamp::parse(" 54 ").unwrap();
        assert_eq!(t.time_str(), "54");
        assert_eq!(t.time(), 54.0);
        assert_eq!(t.delay(), None);
        let t = Timestamp::parse("1289690940.25\r\n 0.5").unwrap();
        assert_eq!(t.time(), 1_289_690_940.25);
        assert_eq!(t.delay_str(), Some("0.5"));
        assert_eq!(t.delay(), Some(0.5));
        let t = Timestamp::parse("12. .5").unwrap();
        assert_eq!(t.time(), 12.0);
        assert_eq!(t.delay(), Some(0.5));
        assert_eq!(Timestamp::parse("1 2.").unwrap().delay(), Some(2.0));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Timestamp::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Timestamp::parse(".5"),
            Err(HeaderError::Expected {
                expected: "decimal time value",
                at: 0
            })
        );
        assert_eq!(
            Timestamp::parse("1 ."),
            Err(HeaderError::Expected {
                expected: "white space and delay",
                at: 2
            })
        );
        assert_eq!(
            Timestamp::parse("1.5x"),
            Err(HeaderError::Expected {
                expected: "white space and delay",
                at: 3
            })
        );
        assert_eq!(
            Timestamp::parse("1 2 3"),
            Err(HeaderError::Expected {
                expected: "end of value",
                at: 3
            })
        );
        assert!(Timestamp::parse("1.2.3").is_err());
        assert!(Timestamp::new("").is_err());
        assert!(Timestamp::new("1 2").is_err());
        assert!(Timestamp::new(".1").is_err());
    }

    #[test]
    fn round_trips() {
        for t in [
            Timestamp::new("54").unwrap(),
            Timestamp::new("1.").unwrap(),
            Timestamp::from_duration(Duration::from_millis(1_289_690_940_250)),
            Timestamp::new("54")
                .unwrap()
                .with_delay(Duration::from_micros(1_500_900)),
        ] {
            let s = t.to_string();
            assert_eq!(Timestamp::parse(&s).unwrap(), t, "{s}");
        }
        let t = Timestamp::new("54")
            .unwrap()
            .with_delay(Duration::from_millis(2));
        assert_eq!(t.to_string(), "54 0.002");
        assert_eq!(
            Timestamp::from_duration(Duration::from_millis(1500)).to_string(),
            "1.500"
        );
    }
}
