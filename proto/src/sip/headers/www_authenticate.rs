//! WWW-Authenticate and Proxy-Authenticate (RFC 3261 §20.44, §20.27, §22; RFC 7616 §3.3;
//! RFC 7235 §2.1, §4.1).

use std::borrow::Cow;
use std::fmt;

use super::auth_param::{check_scheme, split_list, AuthParam, Quoting, SchemeParams};
use super::HeaderName;
use crate::sip::error::HeaderError;

/// One authentication challenge: `auth-scheme [ 1*SP ( token68 / auth-param *(COMMA
/// auth-param) ) ]` (RFC 3261 §25.1 `challenge`, RFC 7235 §2.1).
///
/// The auth-params are kept in order with their values as written; the accessors decode the
/// Digest parameters of RFC 7616 §3.3 (RFC 3261 §20.44 for the SIP use). Any scheme parses,
/// so an unknown one can be skipped by the caller. A header line carries one challenge: a
/// second challenge after a comma, which RFC 7235 would allow, is an error (RFC 3261 §20.44
/// gives each challenge its own header field).
///
/// The builders write the quoting RFC 7616 §3.3 asks for: `realm`, `domain`, `nonce`,
/// `opaque` and `qop` quoted; `stale`, `algorithm`, `charset` and `userhash` as tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Challenge<'a>(SchemeParams<'a>);

impl<'a> Challenge<'a> {
    /// An empty `Digest` challenge, to be filled with the `with_*` builders.
    pub fn digest() -> Challenge<'static> {
        Challenge(SchemeParams::new(Cow::Borrowed("Digest")))
    }

    /// An empty challenge of scheme `scheme`; an error when it is not a token.
    pub fn new(scheme: &str) -> Result<Challenge<'static>, HeaderError> {
        check_scheme(scheme)?;
        Ok(Challenge(SchemeParams::new(Cow::Owned(scheme.to_owned()))))
    }

    /// Parses one challenge spanning all of `s`.
    pub fn parse(s: &'a str) -> Result<Self, HeaderError> {
        SchemeParams::parse(s).map(Self)
    }

    /// The scheme as written (`Digest`).
    pub fn scheme(&self) -> &str {
        &self.0.scheme
    }

    /// `true` for the `Digest` scheme (compared case-insensitively, RFC 7235 §2.1).
    pub fn is_digest(&self) -> bool {
        self.0.scheme.eq_ignore_ascii_case("Digest")
    }

    /// The auth-params in order (empty for a `token68` challenge).
    pub fn params(&self) -> &[AuthParam<'a>] {
        &self.0.params.0
    }

    /// The `token68` of schemes that use one instead of auth-params (RFC 7235 §2.1).
    pub fn token68(&self) -> Option<&str> {
        self.0.token68.as_deref()
    }

    /// The decoded value of the first auth-param named `name` (any case).
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.0.params.value(name)
    }

    /// The `realm` (RFC 7616 §3.3).
    pub fn realm(&self) -> Option<Cow<'_, str>> {
        self.param("realm")
    }

    /// The `nonce` (RFC 7616 §3.3).
    pub fn nonce(&self) -> Option<Cow<'_, str>> {
        self.param("nonce")
    }

    /// The `opaque` value the client returns unchanged (RFC 7616 §3.3).
    pub fn opaque(&self) -> Option<Cow<'_, str>> {
        self.param("opaque")
    }

    /// The `algorithm` (`MD5`, `SHA-256`, `MD5-sess`…; RFC 7616 §3.3). Absent means MD5.
    pub fn algorithm(&self) -> Option<Cow<'_, str>> {
        self.param("algorithm")
    }

    /// The `domain`: a space-separated list of URIs protected by the same credentials
    /// (RFC 7616 §3.3).
    pub fn domain(&self) -> Option<Cow<'_, str>> {
        self.param("domain")
    }

    /// The `charset` (only `UTF-8` is defined, RFC 7616 §3.3).
    pub fn charset(&self) -> Option<Cow<'_, str>> {
        self.param("charset")
    }

    /// The qop options of `qop="auth,auth-int"` as tokens; empty when absent (RFC 7616 §3.3,
    /// RFC 3261 §20.44).
    pub fn qop(&self) -> Vec<Cow<'_, str>> {
        self.param("qop").map(split_list).unwrap_or_default()
    }

    /// `true` when the server offers the qop option `option` (case-insensitive).
    pub fn offers_qop(&self, option: &str) -> bool {
        self.qop().iter().any(|q| q.eq_ignore_ascii_case(option))
    }

    /// `stale=true` (any case): the nonce was stale and the credentials were otherwise valid,
    /// so the client retries with the new nonce without asking the user (RFC 7616 §3.3).
    pub fn stale(&self) -> bool {
        self.0.params.flag("stale")
    }

    /// `userhash=true`: the server supports hashed user names (RFC 7616 §3.3).
    pub fn userhash(&self) -> bool {
        self.0.params.flag("userhash")
    }

    /// Builder: sets the `domain` (quoted).
    pub fn with_domain(self, domain: &str) -> Self {
        self.with(Quoting::Quoted, "domain", domain)
    }

    /// Builder: sets `stale=true` or `stale=false` (unquoted).
    pub fn with_stale(self, stale: bool) -> Self {
        self.with(
            Quoting::Token,
            "stale",
            if stale { "true" } else { "false" },
        )
    }

    /// Builder: sets the qop options, written as one quoted list (`qop="auth,auth-int"`).
    pub fn with_qop(self, options: &[&str]) -> Self {
        self.with(Quoting::Quoted, "qop", &options.join(","))
    }

    /// Builder: sets the `charset` (unquoted when it is a token).
    pub fn with_charset(self, charset: &str) -> Self {
        self.with(Quoting::Token, "charset", charset)
    }

    scheme_params_builders!(Challenge);
}

impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

auth_header!(
    /// WWW-Authenticate (RFC 3261 §20.44): a challenge of a UAS or registrar, sent in a 401.
    /// One challenge per header line.
    WwwAuthenticate(Challenge),
    HeaderName::WwwAuthenticate
);

auth_header!(
    /// Proxy-Authenticate (RFC 3261 §20.27): a challenge of a proxy, sent in a 407. One
    /// challenge per header line.
    ProxyAuthenticate(Challenge),
    HeaderName::ProxyAuthenticate
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::Header;
    use crate::sip::Message;

    /// RFC 3261 §20.44 example, folded as in the RFC.
    #[test]
    fn rfc3261_example() {
        let m = Message::parse(
            b"SIP/2.0 401 Unauthorized\r\n\
              WWW-Authenticate: Digest realm=\"atlanta.com\",\r\n \
              domain=\"sip:boxesbybob.com\", qop=\"auth\",\r\n \
              nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n \
              opaque=\"\", stale=FALSE, algorithm=MD5\r\n\r\n",
        )
        .unwrap();
        let c = m.headers().single::<WwwAuthenticate<'_>>().unwrap();
        assert!(c.is_digest());
        assert_eq!(c.realm().as_deref(), Some("atlanta.com"));
        assert_eq!(c.domain().as_deref(), Some("sip:boxesbybob.com"));
        assert_eq!(c.qop(), ["auth"]);
        assert_eq!(c.nonce().as_deref(), Some("f84f1cec41e6cbe5aea9c8e88d359"));
        assert_eq!(c.opaque().as_deref(), Some(""));
        assert!(!c.stale());
        assert_eq!(c.algorithm().as_deref(), Some("MD5"));
        assert_eq!(c.params().len(), 7);
        assert_eq!(c.params()[6].value_raw(), "MD5");
    }

    /// RFC 7616 §3.9.1 example.
    #[test]
    fn rfc7616_example() {
        let c = ProxyAuthenticate::parse(
            "Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n \
             algorithm=SHA-256,\r\n nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n \
             opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", STALE=\"True\", \
             userhash=true, charset=UTF-8",
        )
        .unwrap();
        assert_eq!(c.qop(), ["auth", "auth-int"]);
        assert!(c.offers_qop("AUTH-INT"));
        assert_eq!(c.algorithm().as_deref(), Some("SHA-256"));
        assert!(c.stale());
        assert!(c.userhash());
        assert_eq!(c.charset().as_deref(), Some("UTF-8"));
    }

    #[test]
    fn other_schemes() {
        let c = WwwAuthenticate::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert!(!c.is_digest());
        assert_eq!(c.scheme(), "NoOneKnowsThisScheme");
        assert_eq!(c.param("OPAQUE-DATA").as_deref(), Some("here"));
        assert_eq!(c.realm(), None);
        assert!(c.qop().is_empty());
        let c = WwwAuthenticate::parse("Basic realm=\"simple\", charset=\"UTF-8\"").unwrap();
        assert_eq!(c.charset().as_deref(), Some("UTF-8"));
        let c = WwwAuthenticate::parse("Negotiate").unwrap();
        assert!(c.params().is_empty() && c.token68().is_none());
        let c = WwwAuthenticate::parse("Negotiate YIIGhgYJKoZIhvc=").unwrap();
        assert_eq!(c.token68(), Some("YIIGhgYJKoZIhvc="));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(WwwAuthenticate::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            WwwAuthenticate::parse("Digest realm=\"x"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert_eq!(
            WwwAuthenticate::parse("Digest realm=\"x\", Basic realm=\"y\""),
            Err(HeaderError::Expected {
                expected: "'=' after auth-param name",
                at: 24
            })
        );
        assert_eq!(
            WwwAuthenticate::parse("Digest realm=\"x\",,"),
            Err(HeaderError::Param { at: 17 })
        );
        assert!(Challenge::new("Di gest").is_err());
        assert!(Challenge::digest().with_param("a b", "c").is_err());
        assert!(Challenge::digest().with_token68("a b").is_err());
    }

    #[test]
    fn builds_with_rfc7616_quoting() {
        let c = Challenge::digest()
            .with_realm("atlanta.com")
            .with_nonce("abc\"def")
            .with_qop(&["auth", "auth-int"])
            .with_algorithm("SHA-256")
            .with_stale(true)
            .with_opaque("")
            .with_domain("sip:a.example.com sip:b.example.com")
            .with_charset("UTF-8")
            .with_userhash(false)
            .with_param("x-extra", "two words")
            .unwrap();
        let s = c.to_string();
        assert_eq!(
            s,
            "Digest realm=\"atlanta.com\", nonce=\"abc\\\"def\", qop=\"auth,auth-int\", \
             algorithm=SHA-256, stale=true, opaque=\"\", \
             domain=\"sip:a.example.com sip:b.example.com\", charset=UTF-8, userhash=false, \
             x-extra=\"two words\""
        );
        let h = WwwAuthenticate(c.clone());
        let back = WwwAuthenticate::parse(&s).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.nonce().as_deref(), Some("abc\"def"));
        let c = c.with_realm("other");
        assert_eq!(c.realm().as_deref(), Some("other"));
        assert_eq!(c.params()[0].name(), "realm");
        for c in [
            Challenge::digest(),
            Challenge::new("Basic")
                .unwrap()
                .with_token68("QQ==")
                .unwrap(),
            Challenge::new("Basic").unwrap().with_realm("r\r\nx"),
        ] {
            let s = c.to_string();
            assert_eq!(
                ProxyAuthenticate::parse(&s).unwrap(),
                ProxyAuthenticate(c),
                "{s}"
            );
        }
    }
}
