//! Warning (RFC 3261 §20.43).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{scan, skip_lws};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{is_lws, is_token, quote, quoted_len, unquote};
use crate::sip::uri::scan_hostport;

/// One Warning value (RFC 3261 §20.43): `warn-code SP warn-agent SP warn-text`, a three-digit
/// code (3xx for session description problems, 399 miscellaneous), the host (or pseudonym)
/// that added it, and a quoted text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning<'a> {
    code: u16,
    agent: Cow<'a, str>,
    /// The quoted text as written, quotes included.
    text: Cow<'a, str>,
}

/// `true` when `agent` is a `warn-agent`: `hostport` or a `pseudonym` token.
fn is_warn_agent(agent: &str) -> bool {
    is_token(agent) || scan_hostport(agent, 0).is_ok_and(|hp| hp.end == agent.len())
}

impl<'a> Warning<'a> {
    /// A warning; an error when `code` has more than three digits or `agent` is neither a
    /// `hostport` nor a token. Codes below 100 are written with leading zeros. CR and LF in
    /// `text` become spaces.
    pub fn new(code: u16, agent: &str, text: &str) -> Result<Warning<'static>, HeaderError> {
        if code > 999 {
            return Err(HeaderError::OutOfRange { what: "warn-code" });
        }
        if !is_warn_agent(agent) {
            return Err(HeaderError::Expected {
                expected: "warn-agent (hostport or token)",
                at: 0,
            });
        }
        Ok(Warning {
            code,
            agent: Cow::Owned(agent.to_owned()),
            text: Cow::Owned(quote(&text.replace(['\r', '\n'], " "))),
        })
    }

    /// The warn-code, 0..=999 (RFC 3261 §20.43 lists 300..=399).
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The warn-agent as written.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The warn-text, unquoted.
    pub fn text(&self) -> Cow<'_, str> {
        unquote(&self.text)
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Warning<'static> {
        Warning {
            code: self.code,
            agent: Cow::Owned(self.agent.into_owned()),
            text: Cow::Owned(self.text.into_owned()),
        }
    }
}

impl<'a> Header<'a> for Warning<'a> {
    const NAME: HeaderName = HeaderName::Warning;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        let start = skip_lws(b, 0);
        if start == b.len() {
            return Err(HeaderError::Empty);
        }
        let ce = scan(b, start, |c| c.is_ascii_digit());
        // RFC 4475 §3.1.2.10 (`scalarlg`) sends the four-digit code 1812.
        if ce - start > 3 {
            return Err(HeaderError::OutOfRange { what: "warn-code" });
        }
        if ce - start < 3 {
            return Err(HeaderError::Expected {
                expected: "three-digit warn-code",
                at: start,
            });
        }
        let code = b[start..ce]
            .iter()
            .fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
        let as_ = skip_lws(b, ce);
        if as_ == ce {
            return Err(HeaderError::Expected {
                expected: "white space after warn-code",
                at: ce,
            });
        }
        let ae = scan(b, as_, |c| !is_lws(c) && c != b'"');
        let agent = &value[as_..ae];
        if agent.is_empty() || !is_warn_agent(agent) {
            return Err(HeaderError::Expected {
                expected: "warn-agent (hostport or token)",
                at: as_,
            });
        }
        let ts = skip_lws(b, ae);
        if ts == ae || b.get(ts) != Some(&b'"') {
            return Err(HeaderError::Expected {
                expected: "white space and quoted warn-text",
                at: ts,
            });
        }
        let te = ts + quoted_len(&value[ts..]).ok_or(HeaderError::UnterminatedQuote)?;
        if skip_lws(b, te) != b.len() {
            return Err(HeaderError::Expected {
                expected: "end of value",
                at: te,
            });
        }
        Ok(Self {
            code,
            agent: Cow::Borrowed(agent),
            text: Cow::Borrowed(&value[ts..te]),
        })
    }
}

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {} {}", self.code, self.agent, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    /// RFC 3261 §20.43 examples.
    #[test]
    fn rfc3261_examples() {
        let m = Message::parse(
            b"SIP/2.0 488 Not Acceptable Here\r\n\
              Warning: 307 isi.edu \"Session parameter 'foo' not understood\"\r\n\
              Warning: 301 isi.edu \"Incompatible network address type 'E.164'\",\r\n \
              399 [2001:db8::1]:5060 \"a, b\"\r\n\r\n",
        )
        .unwrap();
        let w: Vec<_> = m
            .headers()
            .typed::<Warning<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].code(), 307);
        assert_eq!(w[0].agent(), "isi.edu");
        assert_eq!(w[0].text(), "Session parameter 'foo' not understood");
        assert_eq!(w[1].code(), 301);
        assert_eq!(w[2].agent(), "[2001:db8::1]:5060");
        assert_eq!(w[2].text(), "a, b");
        let w = Warning::parse(" 399\r\n devnull \"a \\\"b\\\"\" ").unwrap();
        assert_eq!(w.agent(), "devnull");
        assert_eq!(w.text(), "a \"b\"");
    }

    /// RFC 4475 §3.1.2.10 (`scalarlg`): a four-digit warn-code.
    #[test]
    fn rfc4475_scalarlg() {
        assert_eq!(
            Warning::parse("1812 overture \"In Progress\""),
            Err(HeaderError::OutOfRange { what: "warn-code" })
        );
    }

    #[test]
    fn rejects_malformed() {
        let e = |expected, at| Err(HeaderError::Expected { expected, at });
        assert_eq!(Warning::parse(""), Err(HeaderError::Empty));
        assert_eq!(Warning::parse("30 a \"b\""), e("three-digit warn-code", 0));
        assert_eq!(
            Warning::parse("300a \"b\""),
            e("white space after warn-code", 3)
        );
        assert_eq!(
            Warning::parse("300 a:b:c \"b\""),
            e("warn-agent (hostport or token)", 4)
        );
        assert_eq!(
            Warning::parse("300 host"),
            e("white space and quoted warn-text", 8)
        );
        assert_eq!(
            Warning::parse("300 host text"),
            e("white space and quoted warn-text", 9)
        );
        assert_eq!(
            Warning::parse("300 host\"t\""),
            e("white space and quoted warn-text", 8)
        );
        assert_eq!(
            Warning::parse("300 host \"open"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert_eq!(Warning::parse("300 host \"t\" x"), e("end of value", 12));
        assert_eq!(
            Warning::new(1000, "h", "t"),
            Err(HeaderError::OutOfRange { what: "warn-code" })
        );
        assert!(Warning::new(399, "a b", "t").is_err());
        assert!(Warning::new(399, "", "t").is_err());
    }

    #[test]
    fn round_trips() {
        for w in [
            Warning::new(370, "pc33.atlanta.com", "Insufficient bandwidth").unwrap(),
            Warning::new(399, "192.0.2.1:5060", "quote \" and \\ and\r\nbreak").unwrap(),
            Warning::new(7, "anonymous", "").unwrap(),
            Warning::new(399, "[::1]", "x").unwrap(),
        ] {
            let s = w.to_string();
            assert_eq!(Warning::parse(&s).unwrap(), w, "{s}");
        }
        assert_eq!(
            Warning::new(7, "h", "t").unwrap().to_string(),
            "007 h \"t\""
        );
    }
}
