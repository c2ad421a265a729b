//! `name-addr` and `addr-spec` (RFC 3261 §20.10, §25.1) with display names.

use std::borrow::Cow;
use std::fmt;

use super::error::HeaderError;
use super::params::Params;
use super::text::{is_lws, is_token_char, quote, quoted_len, skip_lws, trim_lws, unquote};
use super::uri::Uri;

/// An address: an optional display name and a URI, as in From, To, Contact and Route.
///
/// The display name is kept as written (a quoted string keeps its quotes); [`display_name`]
/// decodes it. A value parsed from the `addr-spec` form (no angle brackets) serializes in the
/// `name-addr` form, which means the same.
///
/// [`display_name`]: NameAddr::display_name
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NameAddr<'a> {
    display: Option<Cow<'a, str>>,
    uri: Uri<'a>,
}

impl<'a> NameAddr<'a> {
    /// An address without display name.
    pub fn new(uri: Uri<'a>) -> Self {
        Self { display: None, uri }
    }

    /// An address with a display name, quoted as needed.
    pub fn with_display_name(uri: Uri<'a>, name: &str) -> Self {
        let display = if !name.is_empty()
            && name
                .split(' ')
                .all(|w| !w.is_empty() && w.bytes().all(is_token_char))
        {
            name.to_owned()
        } else {
            quote(name)
        };
        Self {
            display: Some(Cow::Owned(display)),
            uri,
        }
    }

    /// The URI.
    pub fn uri(&self) -> &Uri<'a> {
        &self.uri
    }

    /// Replaces the URI.
    pub fn set_uri(&mut self, uri: Uri<'a>) {
        self.uri = uri;
    }

    /// The display name as written, quotes included.
    pub fn display_name_raw(&self) -> Option<&str> {
        self.display.as_deref()
    }

    /// The display name, unquoted and unescaped.
    pub fn display_name(&self) -> Option<Cow<'_, str>> {
        self.display.as_deref().map(|d| {
            if d.starts_with('"') {
                unquote(d)
            } else {
                Cow::Borrowed(d)
            }
        })
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> NameAddr<'static> {
        NameAddr {
            display: self.display.map(|d| Cow::Owned(d.into_owned())),
            uri: self.uri.into_owned(),
        }
    }

    /// Parses a `name-addr` or `addr-spec` at the start of `s` and returns it with the rest
    /// (header parameters, a comma, …). In the `addr-spec` form the URI ends at the first `;`,
    /// `,` or white space, which then belong to the header (RFC 3261 §20).
    pub fn parse_prefix(s: &'a str) -> Result<(Self, &'a str), HeaderError> {
        let b = s.as_bytes();
        let mut i = skip_lws(b, 0);
        let display = match b.get(i) {
            None => return Err(HeaderError::Empty),
            Some(b'"') => {
                let n = quoted_len(&s[i..]).ok_or(HeaderError::UnterminatedQuote)?;
                let d = &s[i..i + n];
                i += n;
                while i < b.len() && is_lws(b[i]) {
                    i += 1;
                }
                if b.get(i) != Some(&b'<') {
                    return Err(HeaderError::Expected {
                        expected: "'<'",
                        at: i,
                    });
                }
                Some(d)
            }
            Some(b'<') => None,
            Some(_) => {
                // Either `*(token LWS) "<"` or an addr-spec.
                let mut j = i;
                while j < b.len() && (is_token_char(b[j]) || is_lws(b[j])) {
                    j += 1;
                }
                if b.get(j) == Some(&b'<') {
                    let d = trim_lws(&s[i..j]);
                    i = j;
                    (!d.is_empty()).then_some(d)
                } else {
                    let mut end = i;
                    while end < b.len() && !matches!(b[end], b';' | b',' | b'?') && !is_lws(b[end])
                    {
                        end += 1;
                    }
                    let uri = Uri::parse(&s[i..end])?;
                    return Ok((Self { display: None, uri }, &s[end..]));
                }
            }
        };
        // At '<'.
        // The URI ends where its grammar does; a `>` must follow.
        let (uri, len) = Uri::parse_prefix(&s[i + 1..])?;
        let close = i + 1 + len;
        match b.get(close) {
            Some(b'>') => {}
            None => {
                return Err(HeaderError::Expected {
                    expected: "'>'",
                    at: b.len(),
                })
            }
            Some(_) => {
                return Err(HeaderError::Uri(crate::sip::error::UriError::Char {
                    ch: s[close..].chars().next().unwrap_or('\0'),
                    at: len,
                }))
            }
        }
        Ok((
            Self {
                display: display.map(Cow::Borrowed),
                uri,
            },
            &s[close + 1..],
        ))
    }

    /// Parses a whole value holding one address and nothing else.
    pub fn parse(s: &'a str) -> Result<Self, HeaderError> {
        let (na, rest) = Self::parse_prefix(s)?;
        if !trim_lws(rest).is_empty() {
            return Err(HeaderError::Expected {
                expected: "end of value",
                at: s.len() - rest.len(),
            });
        }
        Ok(na)
    }
}

impl fmt::Display for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{d} ")?;
        }
        write!(f, "<{}>", self.uri)
    }
}

impl fmt::Debug for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameAddr({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let (a, rest) = NameAddr::parse_prefix("\"A \\\"B\\\"\" <sip:a@b>;tag=1").unwrap();
        assert_eq!(a.display_name().as_deref(), Some("A \"B\""));
        assert_eq!(a.uri().as_str(), "sip:a@b");
        assert_eq!(rest, ";tag=1");
        let (b, rest) = NameAddr::parse_prefix("sip:a@b;tag=1").unwrap();
        assert_eq!(b.display_name(), None);
        assert_eq!(b.uri().as_str(), "sip:a@b");
        assert_eq!(rest, ";tag=1");
        let (c, _) = NameAddr::parse_prefix("Bob  Smith <sip:bob@b>").unwrap();
        assert_eq!(c.display_name().as_deref(), Some("Bob  Smith"));
        let (d, _) = NameAddr::parse_prefix("caller<sip:caller@example.com>").unwrap();
        assert_eq!(d.display_name().as_deref(), Some("caller"));
        // Leading white space, a fold included, is skipped before either form.
        let (e, rest) = NameAddr::parse_prefix(" \r\n\t<sip:e@b>;x").unwrap();
        assert_eq!((e.uri().as_str(), rest), ("sip:e@b", ";x"));
        let (f, _) = NameAddr::parse_prefix("\t\"F\" <sip:f@b>").unwrap();
        assert_eq!(f.display_name().as_deref(), Some("F"));
        assert_eq!(NameAddr::parse_prefix(" \r\n "), Err(HeaderError::Empty));
    }

    #[test]
    fn rejects() {
        assert_eq!(
            NameAddr::parse("\"open <sip:a@b>"),
            Err(HeaderError::UnterminatedQuote)
        );
        assert!(NameAddr::parse("Bell, Alexander <sip:a@b>").is_err());
        assert!(NameAddr::parse("< sip:a@b >").is_err());
        assert!(NameAddr::parse("<sip:a@b").is_err());
        assert!(NameAddr::parse("").is_err());
    }

    #[test]
    fn display_round_trip() {
        let uri = Uri::parse("sip:x@y").unwrap();
        for name in ["Alice", "Alice Liddell", "A, B", "\"q\"", ""] {
            let na = NameAddr::with_display_name(uri.clone(), name);
            let text = na.to_string();
            let back = NameAddr::parse(&text).unwrap();
            assert_eq!(back.display_name().as_deref(), Some(name), "{text}");
        }
    }
}

/// An address with header parameters: the value of From, To, Route, Record-Route, Path,
/// Service-Route, Refer-To, Referred-By and the like (`(name-addr / addr-spec) *(SEMI param)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address<'a> {
    /// The address.
    pub addr: NameAddr<'a>,
    /// The header parameters (`tag`, `lr` is a URI parameter and not here, …).
    pub params: Params<'a>,
}

impl<'a> Address<'a> {
    /// An address without display name or parameters.
    pub fn new(uri: Uri<'a>) -> Self {
        Self {
            addr: NameAddr::new(uri),
            params: Params::new(),
        }
    }

    /// Parses `(name-addr / addr-spec) *(SEMI generic-param)` spanning all of `s`.
    pub fn parse(s: &'a str) -> Result<Self, HeaderError> {
        let (addr, rest) = NameAddr::parse_prefix(s)?;
        let params = Params::parse(rest).map_err(|e| e.shifted(s.len() - rest.len()))?;
        Ok(Self { addr, params })
    }

    /// Parses the address at the start of `s` with its parameters, up to what cannot continue
    /// them (the `,` before the next value of a list header); returns it with the rest.
    pub fn parse_prefix(s: &'a str) -> Result<(Self, &'a str), HeaderError> {
        let (addr, rest) = NameAddr::parse_prefix(s)?;
        let (params, rest2) =
            Params::parse_prefix(rest).map_err(|e| e.shifted(s.len() - rest.len()))?;
        Ok((Self { addr, params }, rest2))
    }

    /// The URI.
    pub fn uri(&self) -> &Uri<'a> {
        self.addr.uri()
    }

    /// The decoded display name.
    pub fn display_name(&self) -> Option<Cow<'_, str>> {
        self.addr.display_name()
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").flatten()
    }

    /// Sets the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    /// Builder form of [`Address::set_tag`].
    pub fn with_tag(mut self, tag: &str) -> Self {
        self.set_tag(tag);
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Address<'static> {
        Address {
            addr: self.addr.into_owned(),
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.addr, self.params)
    }
}
