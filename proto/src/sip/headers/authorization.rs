//! Authorization and Proxy-Authorization (RFC 3261 §20.7, §20.28, §22; RFC 7616 §3.4;
//! RFC 7235 §4.2, §4.4).

use std::borrow::Cow;
use std::fmt;

use super::auth_param::{check_scheme, AuthParam, Quoting, SchemeParams};
use super::HeaderName;
use crate::sip::error::HeaderError;

/// Credentials answering a challenge: `auth-scheme [ 1*SP ( token68 / auth-param *(COMMA
/// auth-param) ) ]` (RFC 3261 §25.1 `credentials`, RFC 7235 §2.1).
///
/// The auth-params are kept in order with their values as written; the accessors decode the
/// Digest parameters of RFC 7616 §3.4. Any scheme parses (RFC 4475 §3.3.10 `regaut01` sends
/// `NoOneKnowsThisScheme opaque-data=here`).
///
/// The builders write the quoting RFC 7616 §3.4 asks for: `username`, `realm`, `nonce`,
/// `uri`, `response`, `cnonce` and `opaque` quoted; `algorithm`, `qop`, `nc` and `userhash`
/// as tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credentials<'a>(SchemeParams<'a>);

impl<'a> Credentials<'a> {
    /// Empty `Digest` credentials, to be filled with the `with_*` builders.
    pub fn digest() -> Credentials<'static> {
        Credentials(SchemeParams::new(Cow::Borrowed("Digest")))
    }

    /// Empty credentials of scheme `scheme`; an error when it is not a token.
    pub fn new(scheme: &str) -> Result<Credentials<'static>, HeaderError> {
        check_scheme(scheme)?;
        Ok(Credentials(SchemeParams::new(Cow::Owned(
            scheme.to_owned(),
        ))))
    }

    /// Parses credentials spanning all of `s`.
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

    /// The auth-params in order (empty for `token68` credentials).
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

    /// The `username` (RFC 7616 §3.4; a hash when [`Credentials::userhash`] is set).
    pub fn username(&self) -> Option<Cow<'_, str>> {
        self.param("username")
    }

    /// The `realm` (RFC 7616 §3.4).
    pub fn realm(&self) -> Option<Cow<'_, str>> {
        self.param("realm")
    }

    /// The `nonce` the credentials answer (RFC 7616 §3.4).
    pub fn nonce(&self) -> Option<Cow<'_, str>> {
        self.param("nonce")
    }

    /// The digest `uri` (RFC 7616 §3.4; the Request-URI in SIP, RFC 3261 §22.4).
    pub fn uri(&self) -> Option<Cow<'_, str>> {
        self.param("uri")
    }

    /// The `response` digest (RFC 7616 §3.4).
    pub fn response(&self) -> Option<Cow<'_, str>> {
        self.param("response")
    }

    /// The `algorithm` (RFC 7616 §3.4). Absent means MD5.
    pub fn algorithm(&self) -> Option<Cow<'_, str>> {
        self.param("algorithm")
    }

    /// The client nonce `cnonce` (RFC 7616 §3.4).
    pub fn cnonce(&self) -> Option<Cow<'_, str>> {
        self.param("cnonce")
    }

    /// The `opaque` value copied from the challenge (RFC 7616 §3.4).
    pub fn opaque(&self) -> Option<Cow<'_, str>> {
        self.param("opaque")
    }

    /// The chosen `qop` (`auth` or `auth-int`, RFC 7616 §3.4).
    pub fn qop(&self) -> Option<Cow<'_, str>> {
        self.param("qop")
    }

    /// The nonce count `nc` (`8LHEX`, RFC 7616 §3.4); `None` when absent or not hex.
    pub fn nc(&self) -> Option<u32> {
        self.0.params.nonce_count("nc")
    }

    /// `userhash=true`: the username is hashed (RFC 7616 §3.4.4).
    pub fn userhash(&self) -> bool {
        self.0.params.flag("userhash")
    }

    /// Builder: sets the `username` (quoted).
    pub fn with_username(self, username: &str) -> Self {
        self.with(Quoting::Quoted, "username", username)
    }

    /// Builder: sets the digest `uri` (quoted).
    pub fn with_uri(self, uri: &str) -> Self {
        self.with(Quoting::Quoted, "uri", uri)
    }

    /// Builder: sets the `response` (quoted).
    pub fn with_response(self, response: &str) -> Self {
        self.with(Quoting::Quoted, "response", response)
    }

    /// Builder: sets the `cnonce` (quoted).
    pub fn with_cnonce(self, cnonce: &str) -> Self {
        self.with(Quoting::Quoted, "cnonce", cnonce)
    }

    /// Builder: sets the `qop` (unquoted when it is a token).
    pub fn with_qop(self, qop: &str) -> Self {
        self.with(Quoting::Token, "qop", qop)
    }

    /// Builder: sets the nonce count, written as eight lower-case hex digits (`nc=0000000a`).
    pub fn with_nc(self, nc: u32) -> Self {
        self.with(Quoting::Token, "nc", &format!("{nc:08x}"))
    }

    scheme_params_builders!(Credentials);
}

impl fmt::Display for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

auth_header!(
    /// Authorization (RFC 3261 §20.7): credentials for a UAS or registrar. One set of
    /// credentials per header line.
    Authorization(Credentials),
    HeaderName::Authorization
);

auth_header!(
    /// Proxy-Authorization (RFC 3261 §20.28): credentials for a proxy. One set of
    /// credentials per header line.
    ProxyAuthorization(Credentials),
    HeaderName::ProxyAuthorization
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::Header;
    use crate::sip::Message;

    /// RFC 7616 §3.9.1 example, folded.
    #[test]
    fn rfc7616_example() {
        let a = Authorization::parse(
            "Digest username=\"Mufasa\",\r\n realm=\"http-auth@example.org\",\r\n \
             uri=\"/dir/index.html\",\r\n algorithm=MD5,\r\n \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n nc=00000001,\r\n \
             cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n qop=auth,\r\n \
             response=\"8ca523f5e9506fed4657c9700eebdbec\",\r\n \
             opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        )
        .unwrap();
        assert!(a.is_digest());
        assert_eq!(a.username().as_deref(), Some("Mufasa"));
        assert_eq!(a.realm().as_deref(), Some("http-auth@example.org"));
        assert_eq!(a.uri().as_deref(), Some("/dir/index.html"));
        assert_eq!(a.algorithm().as_deref(), Some("MD5"));
        assert_eq!(
            a.nonce().as_deref(),
            Some("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v")
        );
        assert_eq!(a.nc(), Some(1));
        assert_eq!(
            a.cnonce().as_deref(),
            Some("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
        );
        assert_eq!(a.qop().as_deref(), Some("auth"));
        assert_eq!(
            a.response().as_deref(),
            Some("8ca523f5e9506fed4657c9700eebdbec")
        );
        assert_eq!(
            a.opaque().as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
        assert!(!a.userhash());
    }

    /// RFC 4475 §3.3.10 (`regaut01`): an unknown scheme with its parameters.
    #[test]
    fn unknown_scheme() {
        let m = Message::parse(
            b"REGISTER sip:example.com SIP/2.0\r\n\
              Authorization: NoOneKnowsThisScheme opaque-data=here\r\n\r\n",
        )
        .unwrap();
        let a = m.headers().single::<Authorization<'_>>().unwrap();
        assert_eq!(a.scheme(), "NoOneKnowsThisScheme");
        assert!(!a.is_digest());
        assert_eq!(a.params().len(), 1);
        assert_eq!(a.params()[0].name(), "opaque-data");
        assert_eq!(a.param("opaque-data").as_deref(), Some("here"));
        assert_eq!(a.to_string(), "NoOneKnowsThisScheme opaque-data=here");
    }

    #[test]
    fn lenient_values_and_case() {
        // Unquoted URIs and quoted tokens are seen in the field.
        let a = ProxyAuthorization::parse(
            "DIGEST USERNAME=bob, uri=sip:bob@example.com, qop=\"auth\", NC=ffffffff, \
             userhash=TRUE",
        )
        .unwrap();
        assert!(a.is_digest());
        assert_eq!(a.username().as_deref(), Some("bob"));
        assert_eq!(a.uri().as_deref(), Some("sip:bob@example.com"));
        assert_eq!(a.qop().as_deref(), Some("auth"));
        assert_eq!(a.nc(), Some(u32::MAX));
        assert!(a.userhash());
        assert_eq!(
            Authorization::parse("Digest nc=123456789").unwrap().nc(),
            None
        );
        assert_eq!(Authorization::parse("Digest nc=zz").unwrap().nc(), None);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Authorization::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            Authorization::parse("Digest username=\"bob"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert_eq!(
            Authorization::parse("Digest username=\"bob\" realm=\"x\""),
            Err(HeaderError::Expected {
                expected: "',' or end of value",
                at: 22
            })
        );
        assert_eq!(
            Authorization::parse("Digest =x"),
            Err(HeaderError::Expected {
                expected: "auth-param name",
                at: 7
            })
        );
        assert!(Credentials::new("").is_err());
    }

    #[test]
    fn builds_with_rfc7616_quoting() {
        let c = Credentials::digest()
            .with_username("alice")
            .with_realm("atlanta.com")
            .with_nonce("n1")
            .with_uri("sip:bob@biloxi.com")
            .with_response("0123456789abcdef")
            .with_algorithm("MD5")
            .with_cnonce("c\\n")
            .with_opaque("op")
            .with_qop("auth")
            .with_nc(10)
            .with_userhash(false);
        let s = c.to_string();
        assert_eq!(
            s,
            "Digest username=\"alice\", realm=\"atlanta.com\", nonce=\"n1\", \
             uri=\"sip:bob@biloxi.com\", response=\"0123456789abcdef\", algorithm=MD5, \
             cnonce=\"c\\\\n\", opaque=\"op\", qop=auth, nc=0000000a, userhash=false"
        );
        let back = Authorization::parse(&s).unwrap();
        assert_eq!(back, Authorization(c.clone()));
        assert_eq!(back.cnonce().as_deref(), Some("c\\n"));
        assert_eq!(back.nc(), Some(10));
        for c in [
            Credentials::digest(),
            Credentials::digest().with_nc(u32::MAX).with_nc(1),
            Credentials::new("Basic")
                .unwrap()
                .with_token68("QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
                .unwrap(),
            Credentials::digest()
                .with_param("x", "y,z")
                .unwrap()
                .with_qop("not a token"),
        ] {
            let s = c.to_string();
            assert_eq!(
                ProxyAuthorization::parse(&s).unwrap(),
                ProxyAuthorization(c),
                "{s}"
            );
        }
    }
}
