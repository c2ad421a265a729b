//! Reason (RFC 3326 §2).

use std::borrow::Cow;
use std::fmt;

use super::grammar::token_and_params;
use super::{parse_decimal, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::is_token;

/// One Reason value (RFC 3326 §2): `protocol *(SEMI reason-params)`, why a request (a BYE,
/// a CANCEL) was sent: the protocol (`SIP`, `Q.850` or another token), the `cause` (a
/// status code or a Q.850 cause value) and a quoted `text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reason<'a> {
    protocol: Cow<'a, str>,
    /// The parameters (`cause`, `text` and extensions).
    pub params: Params<'a>,
}

impl<'a> Reason<'a> {
    /// A reason for `protocol` with `cause` and an optional text; an error when `protocol`
    /// is not a token.
    pub fn new(
        protocol: &str,
        cause: u16,
        text: Option<&str>,
    ) -> Result<Reason<'static>, HeaderError> {
        if !is_token(protocol) {
            return Err(HeaderError::Expected {
                expected: "protocol token",
                at: 0,
            });
        }
        Ok(build(Cow::Owned(protocol.to_owned()), cause, text))
    }

    /// `SIP;cause=<code>;text="<text>"`, for example the code of the final response that
    /// made a forking proxy cancel the other branches (RFC 3326 §2).
    pub fn sip(code: u16, text: Option<&str>) -> Reason<'static> {
        build(Cow::Borrowed("SIP"), code, text)
    }

    /// `Q.850;cause=<cause>;text="<text>"`, an ISDN cause value (RFC 3326 §2).
    pub fn q850(cause: u16, text: Option<&str>) -> Reason<'static> {
        build(Cow::Borrowed("Q.850"), cause, text)
    }

    /// The protocol as written (`SIP`, `Q.850`).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// `true` for the protocol `SIP` (case-insensitive).
    pub fn is_sip(&self) -> bool {
        self.protocol.eq_ignore_ascii_case("SIP")
    }

    /// `true` for the protocol `Q.850` (case-insensitive).
    pub fn is_q850(&self) -> bool {
        self.protocol.eq_ignore_ascii_case("Q.850")
    }

    /// The `cause` parameter; `None` when absent or not a number that fits 16 bits.
    pub fn cause(&self) -> Option<u16> {
        parse_decimal(self.params.get("cause").flatten()?, "cause").ok()
    }

    /// The `text` parameter, unquoted.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        self.params.get_unquoted("text")
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Reason<'static> {
        Reason {
            protocol: Cow::Owned(self.protocol.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

/// A reason with a protocol known to be a token; the text is always quoted
/// (RFC 3326 §2 `reason-text = "text" EQUAL quoted-string`).
fn build(protocol: Cow<'static, str>, cause: u16, text: Option<&str>) -> Reason<'static> {
    let mut params = Params::new().with("cause", Some(&cause.to_string()));
    if let Some(t) = text {
        params.push_quoted("text", t);
    }
    Reason { protocol, params }
}

impl<'a> Header<'a> for Reason<'a> {
    const NAME: HeaderName = HeaderName::Reason;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (protocol, params) = token_and_params(value, "protocol")?;
        Ok(Self {
            protocol: Cow::Borrowed(protocol),
            params,
        })
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.protocol, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    /// RFC 3326 §2 examples.
    #[test]
    fn rfc3326_examples() {
        let m = Message::parse(
            b"BYE sip:a@b SIP/2.0\r\n\
              Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\"\r\n\
              Reason: Q.850 ;cause=16 ;text=\"Terminated\", SIP;cause=600\r\n\r\n",
        )
        .unwrap();
        let r: Vec<_> = m
            .headers()
            .typed::<Reason<'_>>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(r.len(), 3);
        assert!(r[0].is_sip());
        assert_eq!(r[0].cause(), Some(200));
        assert_eq!(r[0].text().as_deref(), Some("Call completed elsewhere"));
        assert!(r[1].is_q850());
        assert_eq!(r[1].cause(), Some(16));
        assert_eq!(r[2].cause(), Some(600));
        assert_eq!(r[2].text(), None);
        let r = Reason::parse("preemption ;cause=1 ;text=\"UA Preemption\"").unwrap();
        assert_eq!(r.protocol(), "preemption");
        assert_eq!(Reason::parse("SIP;cause=99999").unwrap().cause(), None);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Reason::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            Reason::parse(";cause=1"),
            Err(HeaderError::Expected {
                expected: "protocol",
                at: 0
            })
        );
        assert_eq!(
            Reason::parse("SIP;text=\"open"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert!(Reason::parse("SIP cause=1").is_err());
        assert!(Reason::new("S I P", 1, None).is_err());
    }

    #[test]
    fn round_trips() {
        for r in [
            Reason::sip(200, Some("Call completed elsewhere")),
            Reason::q850(16, None),
            Reason::sip(487, Some("\"quoted\" \\ and\r\nbroken")),
            Reason::new("preemption", 1, Some("")).unwrap(),
        ] {
            let s = r.to_string();
            assert_eq!(Reason::parse(&s).unwrap(), r, "{s}");
        }
        let r = Reason::sip(200, Some("Call completed elsewhere"));
        assert_eq!(
            r.to_string(),
            "SIP;cause=200;text=\"Call completed elsewhere\""
        );
        assert_eq!(Reason::sip(1, Some("a\"b")).text().as_deref(), Some("a\"b"));
    }
}
