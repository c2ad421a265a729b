//! SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966) and any other absolute URI.
//!
//! A [`Uri`] keeps its exact text and the positions of its components, so parsing a URI out of
//! a header value copies nothing and serializing it reproduces the input. Components are
//! returned as written (escaped); [`percent_decode`](super::text::percent_decode) and the
//! `*_unescaped` accessors give the decoded forms. [`Uri::equivalent`] implements the
//! comparison rules of §19.1.4.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::error::UriError;
use super::params::Params;
use super::text::{
    byte_class, escapes_valid, has_byte, percent_decode, percent_encode_into, scan_class,
};

/// The scheme of a [`Uri`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `sip:` (RFC 3261 §19.1).
    Sip,
    /// `sips:` (RFC 3261 §19.1).
    Sips,
    /// `tel:` (RFC 3966).
    Tel,
    /// Any other absolute URI scheme; its text is in [`Uri::scheme_str`].
    Other,
}

/// The host of a SIP URI, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name.
    Domain(&'a str),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference (written in brackets).
    Ipv6(Ipv6Addr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Lengths are checked against u32::MAX before spans are made.
        Self {
            start: start as u32,
            end: end as u32,
        }
    }

    fn get(self, s: &str) -> &str {
        &s[self.start as usize..self.end as usize]
    }
}

/// A URI: `sip:`, `sips:`, `tel:` or another absolute URI, with its exact text.
///
/// `Uri<'a>` borrows the text it was parsed from; [`Uri::into_owned`] gives a `Uri<'static>`.
/// `PartialEq` compares the text exactly; [`Uri::equivalent`] applies RFC 3261 §19.1.4.
#[derive(Clone)]
pub struct Uri<'a> {
    text: Cow<'a, str>,
    scheme: Scheme,
    /// The user (sip/sips) or the telephone number (tel).
    user: Option<Span>,
    password: Option<Span>,
    host: Span,
    port: Option<u16>,
    /// `;…` parameters, including the leading `;`.
    params: Span,
    /// `?…` headers, without the leading `?`.
    headers: Option<Span>,
}

impl<'a> Uri<'a> {
    /// Parses a URI that spans all of `s` (no surrounding `<>` or white space).
    pub fn parse(s: &'a str) -> Result<Self, UriError> {
        let (mut uri, end) = Self::parse_parts(s)?;
        if end != s.len() {
            return Err(char_error(s, end));
        }
        uri.text = Cow::Borrowed(s);
        Ok(uri)
    }

    /// Parses the URI at the start of `s`, up to the first character that cannot continue
    /// it (the `>` of a name-addr, say); returns it with its length.
    pub(crate) fn parse_prefix(s: &'a str) -> Result<(Self, usize), UriError> {
        let (mut uri, end) = Self::parse_parts(s)?;
        uri.text = Cow::Borrowed(&s[..end]);
        Ok((uri, end))
    }

    fn parse_parts(s: &str) -> Result<(Self, usize), UriError> {
        if s.len() > u32::MAX as usize {
            return Err(UriError::TooLong);
        }
        // Nearly every URI a SIP stack meets is written `sip:`; the general scheme rules
        // below give that spelling the same answer.
        let (colon, scheme) = if s.as_bytes().starts_with(b"sip:") {
            (3, Scheme::Sip)
        } else {
            let colon = if s.len() > 4 && s.as_bytes()[3] == b':' {
                3
            } else {
                s.bytes().position(|c| c == b':').ok_or(UriError::Scheme)?
            };
            let scheme_str = &s[..colon];
            let sb = scheme_str.as_bytes();
            if sb.is_empty()
                || !sb[0].is_ascii_alphabetic()
                || !sb
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            {
                return Err(UriError::Scheme);
            }
            let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
                Scheme::Sip
            } else if scheme_str.eq_ignore_ascii_case("sips") {
                Scheme::Sips
            } else if scheme_str.eq_ignore_ascii_case("tel") {
                Scheme::Tel
            } else {
                Scheme::Other
            };
            (colon, scheme)
        };
        let mut uri = Self {
            text: Cow::Borrowed(""),
            scheme,
            user: None,
            password: None,
            host: Span::default(),
            port: None,
            params: Span::default(),
            headers: None,
        };
        let end = match scheme {
            Scheme::Sip | Scheme::Sips => uri.parse_sip(s, colon + 1)?,
            Scheme::Tel => uri.parse_tel(s, colon + 1)?,
            Scheme::Other => parse_other(s, colon + 1)?,
        };
        Ok((uri, end))
    }

    /// Parses a SIP URI after its scheme; returns where it ends.
    fn parse_sip(&mut self, s: &str, start: usize) -> Result<usize, UriError> {
        let b = s.as_bytes();
        let mut i = start;
        // One pass over what may be userinfo: it ends at `@`; any other stop means there is
        // none and the host starts at `start` (`@` cannot appear unescaped elsewhere). The
        // user part runs to the first `:`, where a password starts.
        let user_stop = scan_class(b, start, &USER);
        let (j, colon) = if b.get(user_stop) == Some(&b':') {
            (scan_class(b, user_stop, &USERINFO), Some(user_stop))
        } else {
            (user_stop, None)
        };
        if b.get(j) == Some(&b'@') {
            let at = j;
            let user_end = colon.unwrap_or(at);
            if colon.is_some() {
                check_chars(s, user_end + 1, at, &PASSWORD)?;
                self.password = Some(Span::new(user_end + 1, at));
            }
            if has_byte(&b[start..user_end], b'%') && !escapes_valid(&s[start..user_end]) {
                return Err(UriError::Escape);
            }
            self.user = Some(Span::new(start, user_end));
            i = at + 1;
        }
        let hp = scan_hostport(s, i)?;
        self.host = Span::new(i, hp.host_end);
        self.port = hp.port;
        i = hp.end;
        // Most URIs end at their hostport (the `>` of a name-addr, the end of the value).
        if !matches!(b.get(i), Some(b';' | b'?')) {
            self.params = Span::new(i, i);
            return Ok(i);
        }
        self.parse_params_and_headers(s, i)
    }

    /// Parses a tel URI after its scheme; returns where it ends.
    fn parse_tel(&mut self, s: &str, start: usize) -> Result<usize, UriError> {
        let b = s.as_bytes();
        let mut i = start;
        if b.get(i) == Some(&b'+') {
            i += 1;
        }
        while i < b.len()
            && (b[i].is_ascii_hexdigit() || matches!(b[i], b'*' | b'#' | b'-' | b'.' | b'(' | b')'))
        {
            i += 1;
        }
        let number = &s[start..i];
        if !number
            .bytes()
            .any(|c| c.is_ascii_hexdigit() || c == b'*' || c == b'#')
        {
            return Err(UriError::Tel);
        }
        self.user = Some(Span::new(start, i));
        self.host = Span::new(i, i);
        self.parse_params_and_headers(s, i)
    }

    /// Scans `*( ";" uri-parameter ) [ "?" headers ]` from `i`; returns where it stopped.
    fn parse_params_and_headers(&mut self, s: &str, mut i: usize) -> Result<usize, UriError> {
        let b = s.as_bytes();
        let ps = i;
        let run = |i: &mut usize, table: &[bool; 256]| {
            let from = *i;
            *i = scan_class(b, from, table);
            *i > from
        };
        while b.get(i) == Some(&b';') {
            i += 1;
            if !run(&mut i, &PARAM) {
                return Err(UriError::EmptyParam);
            }
            if b.get(i) == Some(&b'=') {
                i += 1;
                if !run(&mut i, &PARAM) {
                    return Err(UriError::EmptyParam);
                }
            }
        }
        let params_end = i;
        if b.get(i) == Some(&b'?') {
            i += 1;
            let hs = i;
            loop {
                // hname "=" hvalue, where hvalue may be empty.
                if !run(&mut i, &HEADER) || b.get(i) != Some(&b'=') {
                    return Err(UriError::EmptyParam);
                }
                i += 1;
                run(&mut i, &HEADER);
                if b.get(i) == Some(&b'&') {
                    i += 1;
                } else {
                    break;
                }
            }
            self.headers = Some(Span::new(hs, i));
        }
        // Only the runs of parameter and header characters can hold a `%`; the separators
        // between them cannot, so one look over the whole span finds any escape.
        if has_byte(&b[ps..i], b'%') && !escapes_valid(&s[ps..i]) {
            return Err(UriError::Escape);
        }
        self.params = Span::new(ps, params_end);
        Ok(i)
    }

    /// Builds `sip:user@host:port` (or `sips:` when `secure`); the user is escaped as needed.
    pub fn sip(
        user: Option<&str>,
        host: &str,
        port: Option<u16>,
        secure: bool,
    ) -> Result<Uri<'static>, UriError> {
        let mut s = String::with_capacity(8 + host.len() + user.map_or(0, str::len));
        s.push_str(if secure { "sips:" } else { "sip:" });
        if let Some(user) = user {
            percent_encode_into(&mut s, user.as_bytes(), |c| {
                is_user_char(c) && !matches!(c, b'%' | b'#')
            });
            s.push('@');
        }
        if host.contains(':') && !host.starts_with('[') {
            s.push('[');
            s.push_str(host);
            s.push(']');
        } else {
            s.push_str(host);
        }
        if let Some(port) = port {
            s.push(':');
            s.push_str(&port.to_string());
        }
        Uri::parse_owned(s)
    }

    /// Parses an owned string.
    pub fn parse_owned(s: String) -> Result<Uri<'static>, UriError> {
        let (mut uri, end) = Uri::parse_parts(&s)?;
        if end != s.len() {
            return Err(char_error(&s, end));
        }
        uri.text = Cow::Owned(s);
        Ok(uri.into_owned_parts())
    }

    fn into_owned_parts(self) -> Uri<'static> {
        Uri {
            text: Cow::Owned(self.text.into_owned()),
            scheme: self.scheme,
            user: self.user,
            password: self.password,
            host: self.host,
            port: self.port,
            params: self.params,
            headers: self.headers,
        }
    }

    /// Copies borrowed text so the URI outlives its source.
    pub fn into_owned(self) -> Uri<'static> {
        self.into_owned_parts()
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The scheme as written.
    pub fn scheme_str(&self) -> &str {
        &self.text[..self.text.find(':').unwrap_or(0)]
    }

    /// `true` for `sip:` and `sips:` URIs.
    pub fn is_sip(&self) -> bool {
        matches!(self.scheme, Scheme::Sip | Scheme::Sips)
    }

    /// The user part as written (escaped); for a `tel:` URI, the telephone number.
    pub fn user(&self) -> Option<&str> {
        self.user.map(|s| s.get(&self.text))
    }

    /// The user part with `%HH` escapes decoded (lossy where the bytes are not UTF-8).
    pub fn user_unescaped(&self) -> Option<Cow<'_, str>> {
        self.user().map(|u| match percent_decode(u) {
            Cow::Borrowed(b) => String::from_utf8_lossy(b),
            Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
        })
    }

    /// The password as written.
    pub fn password(&self) -> Option<&str> {
        self.password.map(|s| s.get(&self.text))
    }

    /// The host as written (an IPv6 reference keeps its brackets); empty for non-SIP URIs.
    pub fn host(&self) -> &str {
        self.host.get(&self.text)
    }

    /// The host, decoded as a domain or an IP address.
    pub fn host_kind(&self) -> Host<'_> {
        let h = self.host();
        if let Some(v6) = h.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            if let Ok(a) = v6.parse() {
                return Host::Ipv6(a);
            }
        }
        match h.parse() {
            Ok(a) => Host::Ipv4(a),
            Err(_) => Host::Domain(h),
        }
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The URI parameters.
    pub fn params(&self) -> Params<'_> {
        Params::from_uri_span(self.params.get(&self.text))
    }

    /// A URI parameter: `None` when absent, `Some(None)` for a flag such as `lr`.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        let raw = self.params.get(&self.text);
        raw.split(';')
            .skip(1)
            .map(|p| match p.find('=') {
                Some(e) => (&p[..e], Some(&p[e + 1..])),
                None => (p, None),
            })
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The `transport` parameter.
    pub fn transport(&self) -> Option<&str> {
        self.param("transport").flatten()
    }

    /// `true` when the `lr` parameter marks a loose router (RFC 3261 §16.12).
    pub fn is_loose_route(&self) -> bool {
        self.param("lr").is_some()
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.param("maddr").flatten()
    }

    /// The URI headers (`?name=value&…`) as written, without the `?`.
    pub fn headers_str(&self) -> Option<&str> {
        self.headers.map(|s| s.get(&self.text))
    }

    /// The URI headers as `(name, value)` pairs, escapes kept.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers_str()
            .into_iter()
            .flat_map(|h| h.split('&'))
            .filter_map(|kv| kv.split_once('='))
    }

    /// The URI without parameters and headers, as used for an address-of-record.
    pub fn without_params_and_headers(&self) -> Uri<'static> {
        let end = self.params.start as usize;
        let text = &self.text[..if self.is_sip() || self.scheme == Scheme::Tel {
            end
        } else {
            self.text.len()
        }];
        Uri::parse_owned(text.to_owned())
            .expect("a prefix of a valid URI ending at its params is valid")
    }

    /// The URI without its `?headers`, as a Request-URI must be (RFC 3261 §19.1.1).
    pub fn without_headers(&self) -> Uri<'static> {
        let end = match self.headers {
            // The `?` stands just before the headers.
            Some(h) => h.start as usize - 1,
            None => self.text.len(),
        };
        Uri::parse_owned(self.text[..end].to_owned())
            .expect("a valid URI cut before its headers is valid")
    }

    /// A copy with the parameter `name` set to `value` (replacing any parameter of that name).
    pub fn with_param(&self, name: &str, value: Option<&str>) -> Result<Uri<'static>, UriError> {
        if !self.is_sip() && self.scheme != Scheme::Tel {
            return Err(UriError::Scheme);
        }
        let raw = self.params.get(&self.text);
        let mut s = String::with_capacity(self.text.len() + name.len() + 8);
        s.push_str(&self.text[..self.params.start as usize]);
        for p in raw.split(';').skip(1) {
            let n = p.split('=').next().unwrap_or(p);
            if !n.eq_ignore_ascii_case(name) {
                s.push(';');
                s.push_str(p);
            }
        }
        s.push(';');
        percent_encode_into(&mut s, name.as_bytes(), |c| is_param_char(c) && c != b'%');
        if let Some(v) = value {
            s.push('=');
            percent_encode_into(&mut s, v.as_bytes(), |c| is_param_char(c) && c != b'%');
        }
        if let Some(h) = self.headers {
            s.push('?');
            s.push_str(h.get(&self.text));
        }
        Uri::parse_owned(s)
    }

    /// RFC 3261 §19.1.4 URI comparison (and RFC 3966 §4 for `tel:`).
    pub fn equivalent(&self, other: &Uri<'_>) -> bool {
        if self.scheme != other.scheme {
            return false;
        }
        match self.scheme {
            Scheme::Sip | Scheme::Sips => self.sip_equivalent(other),
            Scheme::Tel => self.tel_equivalent(other),
            Scheme::Other => {
                self.scheme_str().eq_ignore_ascii_case(other.scheme_str())
                    && percent_decode(&self.text[self.scheme_str().len()..])
                        == percent_decode(&other.text[other.scheme_str().len()..])
            }
        }
    }

    fn sip_equivalent(&self, other: &Uri<'_>) -> bool {
        fn dec(o: Option<&str>) -> Option<Cow<'_, [u8]>> {
            o.map(percent_decode)
        }
        if dec(self.user()) != dec(other.user()) || dec(self.password()) != dec(other.password()) {
            return false;
        }
        if !self.host().eq_ignore_ascii_case(other.host()) || self.port != other.port {
            return false;
        }
        // Parameters: these must match when present in either; others only when in both.
        const STRICT: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];
        for p in self.uri_params().chain(other.uri_params()) {
            let mine = self.param(p.0);
            let theirs = other.param(p.0);
            let strict = STRICT.iter().any(|s| s.eq_ignore_ascii_case(p.0));
            let matches = match (mine, theirs) {
                (Some(a), Some(b)) => value_eq_ci(a, b),
                _ => !strict,
            };
            if !matches {
                return false;
            }
        }
        // Headers are never ignored.
        let mut mine: Vec<_> = self.headers().collect();
        let mut theirs: Vec<_> = other.headers().collect();
        if mine.len() != theirs.len() {
            return false;
        }
        let key = |h: &(&str, &str)| (h.0.to_ascii_lowercase(), percent_decode(h.1).into_owned());
        mine.sort_by_key(key);
        theirs.sort_by_key(key);
        mine.iter().zip(&theirs).all(|(a, b)| {
            a.0.eq_ignore_ascii_case(b.0) && percent_decode(a.1) == percent_decode(b.1)
        })
    }

    fn tel_equivalent(&self, other: &Uri<'_>) -> bool {
        let digits = |u: &Uri<'_>| -> Vec<u8> {
            u.user()
                .unwrap_or("")
                .bytes()
                .filter(|c| !matches!(c, b'-' | b'.' | b'(' | b')'))
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        if digits(self) != digits(other) {
            return false;
        }
        let mine: Vec<_> = self.uri_params().collect();
        let theirs: Vec<_> = other.uri_params().collect();
        mine.len() == theirs.len()
            && mine
                .iter()
                .all(|(n, v)| other.param(n).is_some_and(|o| value_eq_ci(*v, o)))
    }

    fn uri_params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params
            .get(&self.text)
            .split(';')
            .skip(1)
            .map(|p| match p.find('=') {
                Some(e) => (&p[..e], Some(&p[e + 1..])),
                None => (p, None),
            })
    }
}

fn value_eq_ci(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => percent_decode(a).eq_ignore_ascii_case(&percent_decode(b)),
        _ => false,
    }
}

impl PartialEq for Uri<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Uri<'_> {}

impl std::hash::Hash for Uri<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uri({:?})", &*self.text)
    }
}

impl std::str::FromStr for Uri<'static> {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, UriError> {
        Uri::parse_owned(s.to_owned())
    }
}

/// Where a `hostport` found by [`scan_hostport`] ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostPort {
    /// End of the host (an IPv6 reference includes its brackets).
    pub(crate) host_end: usize,
    /// The port, if given.
    pub(crate) port: Option<u16>,
    /// End of the whole `hostport`.
    pub(crate) end: usize,
}

/// Scans `host [":" port]` (RFC 3261 §25.1) starting at `i`; the host is a domain name, an
/// IPv4 address or a bracketed IPv6 reference.
pub(crate) fn scan_hostport(s: &str, mut i: usize) -> Result<HostPort, UriError> {
    let b = s.as_bytes();
    let host_start = i;
    if b.get(i) == Some(&b'[') {
        let close = memchr::memchr(b']', &b[i..]).ok_or(UriError::Host)? + i;
        s[i + 1..close]
            .parse::<Ipv6Addr>()
            .map_err(|_| UriError::Host)?;
        i = close + 1;
    } else {
        i = scan_class(b, i, &HOSTNAME);
        let host = &b[host_start..i];
        let Some(first) = host.first() else {
            return Err(UriError::Host);
        };
        // A name whose labels are all numeric must be a dotted-quad address; a domain's top
        // label starts with a letter, so only a leading digit needs the full check. An
        // address settles it in one pass; anything else is refused only when it is made of
        // digits and dots alone.
        if first.is_ascii_digit()
            && !is_ipv4(host)
            && host.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        {
            return Err(UriError::Host);
        }
    }
    let host_end = i;
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let ps = i + 1;
        i = ps;
        // The value is gathered in the same pass; past five digits it may wrap, but such a
        // port is refused whatever its value.
        let mut p = 0u32;
        while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            p = p.wrapping_mul(10).wrapping_add(u32::from(d));
            i += 1;
        }
        if i == ps || i - ps > 5 {
            return Err(UriError::Port);
        }
        port = Some(u16::try_from(p).map_err(|_| UriError::Port)?);
    }
    Ok(HostPort {
        host_end,
        port,
        end: i,
    })
}

/// Checks an absolute URI of another scheme after its scheme; it ends at white space, a
/// control character or `<`, `>`, `"`. Returns where it ends.
fn parse_other(s: &str, start: usize) -> Result<usize, UriError> {
    let b = s.as_bytes();
    let end = b[start..]
        .iter()
        .position(|&c| c <= b' ' || c >= 0x7f || matches!(c, b'<' | b'>' | b'"'))
        .map_or(b.len(), |p| start + p);
    if end == start {
        return Err(if start == b.len() {
            UriError::Scheme
        } else {
            char_error(s, start)
        });
    }
    if !escapes_valid(&s[start..end]) {
        return Err(UriError::Escape);
    }
    Ok(end)
}

fn check_chars(s: &str, from: usize, to: usize, table: &[bool; 256]) -> Result<(), UriError> {
    if let Some(i) = s.as_bytes()[from..to]
        .iter()
        .position(|&c| !table[usize::from(c)])
    {
        return Err(char_error(s, from + i));
    }
    if !escapes_valid(&s[from..to]) {
        return Err(UriError::Escape);
    }
    Ok(())
}

fn char_error(s: &str, at: usize) -> UriError {
    UriError::Char {
        ch: s[at..].chars().next().unwrap_or('\0'),
        at,
    }
}

/// `unreserved` punctuation of RFC 3261 §25.1.
macro_rules! unreserved {
    ($($extra:literal)*) => {
        byte_class(&[b'-', b'_', b'.', b'!', b'~', b'*', b'\'', b'(', b')' $(, $extra)*])
    };
}

/// `user` characters: unreserved, escaped, user-unreserved; `#` is accepted because
/// telephone keypads put it in user parts that many devices send unescaped.
static USER: [bool; 256] = unreserved!(b'%' b'&' b'=' b'+' b'$' b',' b';' b'?' b'/' b'#');
/// What may stand before the `@` of a SIP URI: user and password characters and `:`.
static USERINFO: [bool; 256] = unreserved!(b'%' b'&' b'=' b'+' b'$' b',' b';' b'?' b'/' b'#' b':');
/// `password` characters: unreserved, escaped, `&=+$,`.
static PASSWORD: [bool; 256] = unreserved!(b'%' b'&' b'=' b'+' b'$' b',');
/// `paramchar`: param-unreserved, unreserved, escaped.
static PARAM: [bool; 256] = unreserved!(b'%' b'[' b']' b'/' b':' b'&' b'+' b'$');
/// `hname`/`hvalue` characters: hnv-unreserved, unreserved, escaped.
static HEADER: [bool; 256] = unreserved!(b'%' b'[' b']' b'/' b'?' b':' b'+' b'$');
/// Host name characters (`_` tolerated: some deployments use it in names).
static HOSTNAME: [bool; 256] = byte_class(b"-._");

fn is_user_char(c: u8) -> bool {
    USER[usize::from(c)]
}

fn is_param_char(c: u8) -> bool {
    PARAM[usize::from(c)]
}

/// `true` when `host` is a valid dotted-quad IPv4 address.
fn is_ipv4(host: &[u8]) -> bool {
    let (mut parts, mut digits, mut value) = (0u8, 0u8, 0u16);
    for &c in host {
        if c == b'.' {
            if digits == 0 || parts == 3 {
                return false;
            }
            parts += 1;
            (digits, value) = (0, 0);
        } else if !c.is_ascii_digit() {
            return false;
        } else {
            digits += 1;
            value = value * 10 + u16::from(c - b'0');
            if digits > 3 || value > 255 {
                return false;
            }
        }
    }
    parts == 3 && digits > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Uri<'_> {
        Uri::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn components() {
        let x = u("sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?subject=hi&x=1");
        assert_eq!(x.scheme(), Scheme::Sips);
        assert_eq!(x.user(), Some("alice"));
        assert_eq!(x.password(), Some("secret"));
        assert_eq!(x.host(), "[2001:db8::10]");
        assert!(matches!(x.host_kind(), Host::Ipv6(_)));
        assert_eq!(x.port(), Some(5061));
        assert_eq!(x.transport(), Some("tcp"));
        assert!(x.is_loose_route());
        assert_eq!(
            x.headers().collect::<Vec<_>>(),
            vec![("subject", "hi"), ("x", "1")]
        );
        let y = u("sip:example.com");
        assert_eq!(y.user(), None);
        assert_eq!(y.port(), None);
        assert!(matches!(u("sip:192.0.2.1").host_kind(), Host::Ipv4(_)));
    }

    #[test]
    fn sip_spelling_and_userinfo_shortcuts_match_the_general_rules() {
        // `sip:` takes a shortcut past the scheme rules; other spellings of the same scheme
        // take the general path and must give the same components.
        for text in [
            "sip:alice@atlanta.example.com:5070;lr",
            "SIP:alice@atlanta.example.com:5070;lr",
            "Sip:alice@atlanta.example.com:5070;lr",
        ] {
            let x = u(text);
            assert_eq!(x.scheme(), Scheme::Sip, "{text}");
            assert_eq!(x.scheme_str(), &text[..3]);
            assert_eq!(x.user(), Some("alice"), "{text}");
            assert_eq!(x.host(), "atlanta.example.com", "{text}");
            assert_eq!(x.port(), Some(5070), "{text}");
            assert!(x.is_loose_route(), "{text}");
        }
        assert_eq!(u("sips:a@b").scheme(), Scheme::Sips);
        assert_eq!(u("sipx:a@b").scheme(), Scheme::Other);
        // The user part ends at the first `:`; a colon without `@` is the port.
        let x = u("sip:a%20b:p%41ss@[2001:db8::1]:5061");
        assert_eq!(x.user(), Some("a%20b"));
        assert_eq!(x.user_unescaped().as_deref(), Some("a b"));
        assert_eq!(x.password(), Some("p%41ss"));
        assert_eq!(x.host(), "[2001:db8::1]");
        assert_eq!(x.port(), Some(5061));
        let y = u("sip:host.example:5060;user=phone");
        assert_eq!((y.user(), y.password()), (None, None));
        assert_eq!((y.host(), y.port()), ("host.example", Some(5060)));
        let z = u("sip::pw@host");
        assert_eq!((z.user(), z.password()), (Some(""), Some("pw")));
        assert_eq!(
            Uri::parse("sip:a:p;w@host"),
            Err(UriError::Char { ch: ';', at: 7 })
        );
        assert_eq!(Uri::parse("sip:a:%zz@host"), Err(UriError::Escape));
        assert_eq!(Uri::parse("sip:%4@host"), Err(UriError::Escape));
        assert!(Uri::parse("sip:a:b:c").is_err());
        // A host of digits and dots must be a dotted quad; a leading digit alone is a name.
        assert!(matches!(
            u("sip:192.0.2.10:5060").host_kind(),
            Host::Ipv4(_)
        ));
        assert_eq!(u("sip:1a.example.com").host(), "1a.example.com");
        assert_eq!(u("sip:1-2.example").host(), "1-2.example");
        assert_eq!(u("sip:1.2.3.4a").host(), "1.2.3.4a");
        let many = format!("sip:{}1", "1.".repeat(259));
        for bad in [
            "sip:1.2.3",
            "sip:1.2.3.4.5",
            "sip:1.2.3.256",
            "sip:1..2.3",
            "sip:1.2.3.4.",
            &many,
        ] {
            assert_eq!(Uri::parse(bad), Err(UriError::Host), "{bad}");
        }
        // A URI that ends at its hostport has empty parameters placed there.
        let bare = u("sip:a@h:5");
        assert!(bare.params().is_empty() && bare.headers_str().is_none());
        assert_eq!(
            bare.with_param("lr", None).unwrap().as_str(),
            "sip:a@h:5;lr"
        );
        assert_eq!(bare.without_params_and_headers().as_str(), "sip:a@h:5");
        let (short, len) = Uri::parse_prefix("sip:a@h>;tag=1").unwrap();
        assert_eq!(
            (short.as_str(), len, short.params().as_str()),
            ("sip:a@h", 7, "")
        );
        // Ports: up to five digits, at most 65535, whatever the length of a refused run.
        assert_eq!(u("sip:h:0").port(), Some(0));
        assert_eq!(u("sip:h:65535").port(), Some(65535));
        assert_eq!(u("sip:h:00080;lr").port(), Some(80));
        for bad in ["sip:h:65536", "sip:h:000080", "sip:h:4294967376", "sip:h:x"] {
            assert_eq!(Uri::parse(bad), Err(UriError::Port), "{bad}");
        }
        // Escapes in parameters and headers are checked over the whole span at once.
        assert_eq!(Uri::parse("sip:h;a=%zz"), Err(UriError::Escape));
        assert_eq!(Uri::parse("sip:h;a%4=1"), Err(UriError::Escape));
        assert_eq!(Uri::parse("sip:h;a=1?x=%4"), Err(UriError::Escape));
        assert_eq!(Uri::parse("sip:h;a;b?%="), Err(UriError::Escape));
        assert_eq!(Uri::parse("sip:h;;a=%zz"), Err(UriError::EmptyParam));
        let e = u("sip:h;a=%41;%62?x=%20&y=");
        assert_eq!(e.param("a"), Some(Some("%41")));
        assert_eq!(e.headers_str(), Some("x=%20&y="));
    }

    #[test]
    fn semicolon_in_user() {
        let x = u("sip:user;par=u%40example.net@example.com");
        assert_eq!(x.user(), Some("user;par=u%40example.net"));
        assert_eq!(
            x.user_unescaped().as_deref(),
            Some("user;par=u@example.net")
        );
        assert_eq!(x.host(), "example.com");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "sip:",
            "sip:@",
            "sip:user@",
            "sip:host:99999",
            "sip:host:",
            "sip:host;;lr",
            "sip:host; lr",
            "sip:us er@host",
            "sip:host?",
            "sip:[::1",
            "sip:%zz@host",
            "sip:1.2.3.999",
            "<sip:x@y>",
            "tel:",
            "tel:+;x",
            "tel:x",
            ":foo",
            "nobody:",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn tel_and_other() {
        let t = u("tel:+1-201-555-0123;phone-context=example.com");
        assert_eq!(t.scheme(), Scheme::Tel);
        assert_eq!(t.user(), Some("+1-201-555-0123"));
        assert!(t.equivalent(&u("tel:+12015550123;PHONE-CONTEXT=example.com")));
        let o = u("soap.beep://192.0.2.103:3002");
        assert_eq!(o.scheme(), Scheme::Other);
        assert_eq!(o.scheme_str(), "soap.beep");
        assert!(u("nobodyKnowsThisScheme:totallyopaquecontent").scheme() == Scheme::Other);
    }

    /// The equivalent and non-equivalent pairs of RFC 3261 §19.1.4.
    #[test]
    fn rfc3261_19_1_4_examples() {
        let same = [
            (
                "sip:%61lice@atlanta.com;transport=TCP",
                "sip:alice@AtLanTa.CoM;Transport=tcp",
            ),
            ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
            ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
            (
                "sip:carol@chicago.com;newparam=5",
                "sip:carol@chicago.com;security=on",
            ),
            (
                "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
            ),
            (
                "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
            ),
        ];
        for (a, b) in same {
            assert!(u(a).equivalent(&u(b)), "{a} == {b}");
            assert!(u(b).equivalent(&u(a)), "{b} == {a}");
        }
        let differ = [
            (
                "SIP:ALICE@AtLanTa.CoM;Transport=udp",
                "sip:alice@AtLanTa.CoM;Transport=UDP",
            ),
            ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
            ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
            (
                "sip:bob@biloxi.com",
                "sip:bob@biloxi.com:6000;transport=tcp",
            ),
            (
                "sip:carol@chicago.com",
                "sip:carol@chicago.com?Subject=next%20meeting",
            ),
            ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
        ];
        for (a, b) in differ {
            assert!(!u(a).equivalent(&u(b)), "{a} != {b}");
            assert!(!u(b).equivalent(&u(a)), "{b} != {a}");
        }
        // Not transitive: both equal the plain URI, but not each other.
        assert!(!u("sip:carol@chicago.com;security=on")
            .equivalent(&u("sip:carol@chicago.com;security=off")));
    }

    #[test]
    fn builders() {
        let x = Uri::sip(Some("a b@c"), "example.com", Some(5070), false).unwrap();
        assert_eq!(x.as_str(), "sip:a%20b%40c@example.com:5070");
        assert_eq!(x.user_unescaped().as_deref(), Some("a b@c"));
        let y = x
            .with_param("transport", Some("tcp"))
            .unwrap()
            .with_param("lr", None)
            .unwrap();
        assert_eq!(
            y.as_str(),
            "sip:a%20b%40c@example.com:5070;transport=tcp;lr"
        );
        assert_eq!(
            y.with_param("transport", Some("tls")).unwrap().transport(),
            Some("tls")
        );
        assert_eq!(
            y.without_params_and_headers().as_str(),
            "sip:a%20b%40c@example.com:5070"
        );
        let v6 = Uri::sip(None, "::1", None, true).unwrap();
        assert_eq!(v6.as_str(), "sips:[::1]");
    }
}
