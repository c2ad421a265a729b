//! Authentication-Info (RFC 3261 §20.6; RFC 7616 §3.5).

use std::borrow::Cow;
use std::fmt;

use super::auth_param::{AuthParam, AuthParams, Quoting};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;

/// Authentication-Info: `ainfo *(COMMA ainfo)` (RFC 3261 §20.6, §25.1), the server's mutual
/// authentication and next nonce after a successful Digest exchange.
///
/// The parameters are one comma-separated list on the line (not a list header), kept in order
/// with their values as written. The builders write the quoting of RFC 7616 §3.5:
/// `nextnonce`, `rspauth` and `cnonce` quoted; `qop` and `nc` as tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthenticationInfo<'a>(AuthParams<'a>);

impl<'a> AuthenticationInfo<'a> {
    /// A value holding only the `nextnonce` for the client's next request (RFC 3261 §20.6).
    pub fn next_nonce(nonce: &str) -> AuthenticationInfo<'static> {
        AuthenticationInfo(AuthParams::default()).with_nextnonce(nonce)
    }

    /// A mutual authentication answer (RFC 7616 §3.5): `qop`, `rspauth`, and the `cnonce`
    /// and `nc` of the request; add a `nextnonce` with [`AuthenticationInfo::with_nextnonce`].
    pub fn mutual(qop: &str, rspauth: &str, cnonce: &str, nc: u32) -> AuthenticationInfo<'static> {
        AuthenticationInfo(AuthParams::default())
            .with_qop(qop)
            .with_rspauth(rspauth)
            .with_cnonce(cnonce)
            .with_nc(nc)
    }

    /// The parameters in order.
    pub fn params(&self) -> &[AuthParam<'a>] {
        &self.0 .0
    }

    /// The decoded value of the first parameter named `name` (any case).
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.0.value(name)
    }

    /// The `nextnonce` the client uses for its next request (RFC 3261 §20.6).
    pub fn nextnonce(&self) -> Option<Cow<'_, str>> {
        self.param("nextnonce")
    }

    /// The `qop` the server applied (RFC 7616 §3.5).
    pub fn qop(&self) -> Option<Cow<'_, str>> {
        self.param("qop")
    }

    /// The `rspauth` mutual authentication digest (RFC 7616 §3.5).
    pub fn rspauth(&self) -> Option<Cow<'_, str>> {
        self.param("rspauth")
    }

    /// The `cnonce` echoed from the request (RFC 7616 §3.5).
    pub fn cnonce(&self) -> Option<Cow<'_, str>> {
        self.param("cnonce")
    }

    /// The nonce count `nc` echoed from the request (`8LHEX`); `None` when absent or not hex.
    pub fn nc(&self) -> Option<u32> {
        self.0.nonce_count("nc")
    }

    /// Builder: sets the `nextnonce` (quoted).
    pub fn with_nextnonce(self, nonce: &str) -> Self {
        self.with(Quoting::Quoted, "nextnonce", nonce)
    }

    /// Builder: sets the `qop` (unquoted when it is a token).
    pub fn with_qop(self, qop: &str) -> Self {
        self.with(Quoting::Token, "qop", qop)
    }

    /// Builder: sets `rspauth` (quoted).
    pub fn with_rspauth(self, rspauth: &str) -> Self {
        self.with(Quoting::Quoted, "rspauth", rspauth)
    }

    /// Builder: sets the `cnonce` (quoted).
    pub fn with_cnonce(self, cnonce: &str) -> Self {
        self.with(Quoting::Quoted, "cnonce", cnonce)
    }

    /// Builder: sets the nonce count, written as eight lower-case hex digits.
    pub fn with_nc(self, nc: u32) -> Self {
        self.with(Quoting::Token, "nc", &format!("{nc:08x}"))
    }

    /// Builder: sets any parameter, written as a token when possible and quoted otherwise;
    /// an error when `name` is not a token.
    pub fn with_param(mut self, name: &str, value: &str) -> Result<Self, HeaderError> {
        self.0.set_any(name, value)?;
        Ok(self)
    }

    fn with(mut self, quoting: Quoting, name: &'static str, value: &str) -> Self {
        self.0.set(name, value, quoting);
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> AuthenticationInfo<'static> {
        AuthenticationInfo(self.0.into_owned())
    }
}

impl<'a> Header<'a> for AuthenticationInfo<'a> {
    const NAME: HeaderName = HeaderName::AuthenticationInfo;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        AuthParams::parse(value, 0).map(Self)
    }
}

impl fmt::Display for AuthenticationInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc7616_example() {
        let a = AuthenticationInfo::parse(
            " nextnonce=\"47364c23432d2e131a5fb210812c\",\r\n qop=auth, \
             rspauth=\"6629fae49393a05397450978507c4ef1\",\r\n cnonce=\"0a4f113b\", \
             NC=00000001",
        )
        .unwrap();
        assert_eq!(
            a.nextnonce().as_deref(),
            Some("47364c23432d2e131a5fb210812c")
        );
        assert_eq!(a.qop().as_deref(), Some("auth"));
        assert_eq!(
            a.rspauth().as_deref(),
            Some("6629fae49393a05397450978507c4ef1")
        );
        assert_eq!(a.cnonce().as_deref(), Some("0a4f113b"));
        assert_eq!(a.nc(), Some(1));
        assert_eq!(a.params().len(), 5);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(AuthenticationInfo::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            AuthenticationInfo::parse("nextnonce=\"abc"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert_eq!(
            AuthenticationInfo::parse("Digest nextnonce=\"abc\""),
            Err(HeaderError::Expected {
                expected: "'=' after auth-param name",
                at: 7
            })
        );
        assert_eq!(
            AuthenticationInfo::parse("qop=auth,"),
            Err(HeaderError::Param { at: 9 })
        );
    }

    #[test]
    fn builds_and_round_trips() {
        let a = AuthenticationInfo::mutual("auth", "abc", "c n", 2)
            .with_nextnonce("n2")
            .with_param("x", "1")
            .unwrap();
        let s = a.to_string();
        assert_eq!(
            s,
            "qop=auth, rspauth=\"abc\", cnonce=\"c n\", nc=00000002, nextnonce=\"n2\", x=1"
        );
        assert_eq!(AuthenticationInfo::parse(&s).unwrap(), a);
        let a = AuthenticationInfo::next_nonce("a\"b").with_nextnonce("c");
        assert_eq!(a.to_string(), "nextnonce=\"c\"");
        assert_eq!(AuthenticationInfo::parse(&a.to_string()).unwrap(), a);
        assert!(AuthenticationInfo::next_nonce("x")
            .with_param("", "x")
            .is_err());
    }
}
