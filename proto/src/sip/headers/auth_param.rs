//! The `auth-param` lists shared by WWW-Authenticate, Proxy-Authenticate, Authorization,
//! Proxy-Authorization and Authentication-Info (RFC 3261 §20.6, §20.7, §20.27, §20.28,
//! §20.44, §25.1; RFC 7235 §2.1; RFC 7616 §3).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{scan, skip_lws};
use crate::sip::error::HeaderError;
use crate::sip::text::{is_token, is_token_char, quote, quoted_len, token_or_quoted, unquote};

/// One `auth-param`: `name=value`, the value as written (a quoted string keeps its quotes).
/// Names compare case-insensitively (RFC 7235 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthParam<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
}

impl<'a> AuthParam<'a> {
    /// The parameter name as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value as written, quotes included.
    pub fn value_raw(&self) -> &str {
        &self.value
    }

    /// The value with quotes removed and quoted-pairs resolved.
    pub fn value(&self) -> Cow<'_, str> {
        if self.value.starts_with('"') {
            unquote(&self.value)
        } else {
            Cow::Borrowed(&self.value)
        }
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> AuthParam<'static> {
        AuthParam {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

/// How a builder writes a parameter value (RFC 7616 §3.3–§3.5 say which are quoted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quoting {
    /// Always a `quoted-string`.
    Quoted,
    /// A token when possible, a `quoted-string` otherwise (so the result always parses).
    Token,
}

/// An ordered list of auth-params.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct AuthParams<'a>(pub(crate) Vec<AuthParam<'a>>);

impl<'a> AuthParams<'a> {
    /// Parses `auth-param *(COMMA auth-param)` spanning `s[start..]`; offsets in errors are
    /// relative to `s`.
    pub(crate) fn parse(s: &'a str, start: usize) -> Result<Self, HeaderError> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = skip_lws(b, start);
        if i == b.len() {
            return Err(HeaderError::Empty);
        }
        loop {
            let name_end = scan(b, i, is_token_char);
            if name_end == i {
                return Err(if matches!(b.get(i), None | Some(b',')) {
                    HeaderError::Param { at: i }
                } else {
                    HeaderError::Expected {
                        expected: "auth-param name",
                        at: i,
                    }
                });
            }
            let name = &s[i..name_end];
            let eq = skip_lws(b, name_end);
            if b.get(eq) != Some(&b'=') {
                return Err(HeaderError::Expected {
                    expected: "'=' after auth-param name",
                    at: eq,
                });
            }
            let vs = skip_lws(b, eq + 1);
            let ve = match b.get(vs) {
                Some(b'"') => vs + quoted_len(&s[vs..]).ok_or(HeaderError::UnterminatedQuote)?,
                // A value cannot start with `=`: `name ==` would be ambiguous with a
                // token68 once written back as `name==`.
                Some(b'=') => return Err(HeaderError::Param { at: vs }),
                _ => {
                    let ve = scan(b, vs, is_unquoted_value_char);
                    if ve == vs {
                        return Err(HeaderError::Param { at: vs });
                    }
                    ve
                }
            };
            out.push(AuthParam {
                name: Cow::Borrowed(name),
                value: Cow::Borrowed(&s[vs..ve]),
            });
            i = skip_lws(b, ve);
            match b.get(i) {
                None => return Ok(Self(out)),
                Some(b',') => i = skip_lws(b, i + 1),
                Some(_) => {
                    return Err(HeaderError::Expected {
                        expected: "',' or end of value",
                        at: i,
                    })
                }
            }
        }
    }

    /// The first parameter named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&AuthParam<'a>> {
        self.0.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The decoded value of `name`.
    pub(crate) fn value(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(AuthParam::value)
    }

    /// The value of `name` read as a boolean: `true` when it is `true` in any case, quoted or
    /// not (RFC 7616 §3.3 `stale`, `userhash`).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.value(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The value of `name` as a `nonce-count` (`8LHEX`, RFC 7616 §3.4).
    pub(crate) fn nonce_count(&self, name: &str) -> Option<u32> {
        let v = self.value(name)?;
        if v.is_empty() || v.len() > 8 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(&v, 16).ok()
    }

    /// Sets `name` to `value` written with `quoting`, in place of the first parameter of that
    /// name (others of that name are removed) or at the end.
    pub(crate) fn set(&mut self, name: &'static str, value: &str, quoting: Quoting) {
        let clean = value.replace(['\r', '\n'], " ");
        let raw = match quoting {
            Quoting::Quoted => quote(&clean),
            Quoting::Token => token_or_quoted(&clean).into_owned(),
        };
        self.set_raw(Cow::Borrowed(name), raw);
    }

    /// Sets `name` (which must be a token) to a value written as a token when possible.
    pub(crate) fn set_any(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        if !is_token(name) {
            return Err(HeaderError::Expected {
                expected: "auth-param name token",
                at: 0,
            });
        }
        let clean = value.replace(['\r', '\n'], " ");
        let raw = token_or_quoted(&clean).into_owned();
        self.set_raw(Cow::Owned(name.to_owned()), raw);
        Ok(())
    }

    fn set_raw(&mut self, name: Cow<'a, str>, raw: String) {
        let mut at = None;
        let mut k = 0;
        self.0.retain(|p| {
            let same = p.name.eq_ignore_ascii_case(&name);
            if same && at.is_none() {
                at = Some(k);
            }
            if !same {
                k += 1;
            }
            !same
        });
        let p = AuthParam {
            name,
            value: Cow::Owned(raw),
        };
        match at {
            Some(at) => self.0.insert(at, p),
            None => self.0.push(p),
        }
    }

    pub(crate) fn into_owned(self) -> AuthParams<'static> {
        AuthParams(self.0.into_iter().map(AuthParam::into_owned).collect())
    }
}

impl fmt::Display for AuthParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, p) in self.0.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={}", p.name, p.value)?;
        }
        Ok(())
    }
}

/// Characters of an unquoted auth-param value. RFC 3261 allows a token (or, for some
/// parameters, `8LHEX` or a quoted string); peers also send URIs and `token68`-like values
/// unquoted, so every visible ASCII character but the separators `,`, `"` and `\` is taken.
fn is_unquoted_value_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b',' | b'"' | b'\\')
}

/// `token68` characters (RFC 7235 §2.1), trailing `=` excluded.
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// `true` when `s` is a `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
/// *"="`.
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(is_token68_char)
}

/// `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`: the common shape of a challenge
/// (RFC 3261 §25.1 `challenge`, RFC 7235 §2.1) and of credentials (`credentials`). At most
/// one of `token68` and `params` is non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SchemeParams<'a> {
    pub(crate) scheme: Cow<'a, str>,
    pub(crate) token68: Option<Cow<'a, str>>,
    pub(crate) params: AuthParams<'a>,
}

impl<'a> SchemeParams<'a> {
    /// A scheme with no data yet.
    pub(crate) fn new(scheme: Cow<'a, str>) -> Self {
        Self {
            scheme,
            token68: None,
            params: AuthParams::default(),
        }
    }

    pub(crate) fn parse(s: &'a str) -> Result<Self, HeaderError> {
        let b = s.as_bytes();
        let start = skip_lws(b, 0);
        if start == b.len() {
            return Err(HeaderError::Empty);
        }
        let end = scan(b, start, is_token_char);
        if end == start {
            return Err(HeaderError::Expected {
                expected: "auth-scheme",
                at: start,
            });
        }
        let mut out = Self::new(Cow::Borrowed(&s[start..end]));
        let rest = skip_lws(b, end);
        if rest == b.len() {
            return Ok(out);
        }
        if rest == end {
            return Err(HeaderError::Expected {
                expected: "white space after auth-scheme",
                at: end,
            });
        }
        let tail = crate::sip::text::trim_lws(&s[rest..]);
        if is_token68(tail) {
            out.token68 = Some(Cow::Borrowed(tail));
        } else {
            out.params = AuthParams::parse(s, rest)?;
        }
        Ok(out)
    }

    /// Replaces the data by a token68.
    pub(crate) fn set_token68(&mut self, t: &str) -> Result<(), HeaderError> {
        if !is_token68(t) {
            return Err(HeaderError::Expected {
                expected: "token68",
                at: 0,
            });
        }
        self.params.0.clear();
        self.token68 = Some(Cow::Owned(t.to_owned()));
        Ok(())
    }

    /// The auth-params for changing; a token68 is dropped.
    pub(crate) fn params_mut(&mut self) -> &mut AuthParams<'a> {
        self.token68 = None;
        &mut self.params
    }

    pub(crate) fn into_owned(self) -> SchemeParams<'static> {
        SchemeParams {
            scheme: Cow::Owned(self.scheme.into_owned()),
            token68: self.token68.map(|t| Cow::Owned(t.into_owned())),
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for SchemeParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            write!(f, " {t}")
        } else if self.params.0.is_empty() {
            Ok(())
        } else {
            write!(f, " {}", self.params)
        }
    }
}

/// Checks that `scheme` is a token, for the constructors of challenges and credentials.
pub(crate) fn check_scheme(scheme: &str) -> Result<(), HeaderError> {
    if is_token(scheme) {
        Ok(())
    } else {
        Err(HeaderError::Expected {
            expected: "auth-scheme token",
            at: 0,
        })
    }
}

/// The tokens of a comma-separated list held in one value, such as
/// `qop="auth,auth-int"` (RFC 7616 §3.3); white space and empty items are skipped.
pub(crate) fn split_list(v: Cow<'_, str>) -> Vec<Cow<'_, str>> {
    fn items(s: &str) -> impl Iterator<Item = &str> {
        s.split(',')
            .map(crate::sip::text::trim_lws)
            .filter(|t| !t.is_empty())
    }
    match v {
        Cow::Borrowed(s) => items(s).map(Cow::Borrowed).collect(),
        Cow::Owned(s) => items(&s).map(|t| Cow::Owned(t.to_owned())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_with_lws_and_quotes() {
        let s = "Digest realm = \"a, b\" ,\r\n nonce=\"x\\\"y\",algorithm=MD5";
        let sp = SchemeParams::parse(s).unwrap();
        assert_eq!(sp.scheme, "Digest");
        let p = &sp.params.0;
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].name(), "realm");
        assert_eq!(p[0].value_raw(), "\"a, b\"");
        assert_eq!(p[0].value(), "a, b");
        assert_eq!(sp.params.value("NONCE").as_deref(), Some("x\"y"));
        assert_eq!(sp.params.value("algorithm").as_deref(), Some("MD5"));
    }

    #[test]
    fn token68_and_bare_scheme() {
        let sp = SchemeParams::parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(sp.token68.as_deref(), Some("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert_eq!(sp.to_string(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let mut sp = SchemeParams::parse(" Negotiate ").unwrap();
        assert_eq!(sp, SchemeParams::new(Cow::Borrowed("Negotiate")));
        assert_eq!(sp.to_string(), "Negotiate");
        assert!(sp.set_token68("a=b").is_err());
        sp.set_token68("abc=").unwrap();
        assert_eq!(sp.to_string(), "Negotiate abc=");
        sp.params_mut().set("realm", "r", Quoting::Quoted);
        assert_eq!(sp.to_string(), "Negotiate realm=\"r\"");
    }

    #[test]
    fn errors() {
        assert_eq!(SchemeParams::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            SchemeParams::parse("\"Digest\" a=b"),
            Err(HeaderError::Expected {
                expected: "auth-scheme",
                at: 0
            })
        );
        assert_eq!(
            SchemeParams::parse("Digest,realm=a"),
            Err(HeaderError::Expected {
                expected: "white space after auth-scheme",
                at: 6
            })
        );
        assert_eq!(
            SchemeParams::parse("Digest realm=\"a"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert_eq!(
            SchemeParams::parse("Digest realm=a,"),
            Err(HeaderError::Param { at: 15 })
        );
        assert_eq!(
            SchemeParams::parse("Digest realm=a,,nonce=b"),
            Err(HeaderError::Param { at: 15 })
        );
        assert_eq!(
            SchemeParams::parse("Digest realm=,nonce=b"),
            Err(HeaderError::Param { at: 13 })
        );
        assert_eq!(
            SchemeParams::parse("Digest realm ==, nonce=b"),
            Err(HeaderError::Param { at: 14 })
        );
        assert_eq!(
            SchemeParams::parse("Digest realm==")
                .unwrap()
                .token68
                .as_deref(),
            Some("realm==")
        );
        assert_eq!(
            SchemeParams::parse("Digest realm a"),
            Err(HeaderError::Expected {
                expected: "'=' after auth-param name",
                at: 13
            })
        );
        assert_eq!(
            SchemeParams::parse("Digest realm=a b=c"),
            Err(HeaderError::Expected {
                expected: "',' or end of value",
                at: 15
            })
        );
        // RFC 7235 allows several challenges on one line; SIP puts one per header line.
        assert!(SchemeParams::parse("Digest realm=a, Basic realm=b").is_err());
    }

    #[test]
    fn set_replaces_in_place() {
        let mut p = AuthParams::default();
        p.set("realm", "r", Quoting::Quoted);
        p.set("qop", "auth", Quoting::Token);
        p.set("REALM", "s", Quoting::Quoted);
        p.set("nc", "a b", Quoting::Token);
        assert_eq!(p.to_string(), "REALM=\"s\", qop=auth, nc=\"a b\"");
        assert!(p.set_any("bad name", "x").is_err());
        p.set_any("x-y", "line\r\nbreak").unwrap();
        assert_eq!(p.value("x-y").as_deref(), Some("line  break"));
    }

    #[test]
    fn list_and_counts() {
        assert_eq!(
            split_list(Cow::Borrowed(" auth ,auth-int,, ")),
            ["auth", "auth-int"]
        );
        let sp = SchemeParams::parse("Digest nc=0000000a, stale=TRUE, bad=\"\"").unwrap();
        let p = &sp.params;
        assert_eq!(p.nonce_count("nc"), Some(10));
        assert!(p.flag("stale"));
        assert!(!p.flag("bad"));
        assert!(!p.flag("missing"));
        assert_eq!(p.nonce_count("bad"), None);
    }
}
