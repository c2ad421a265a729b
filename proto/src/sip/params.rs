//! Header parameters (`*( SEMI generic-param )`, RFC 3261 §25.1).

use std::borrow::Cow;
use std::fmt;

use super::error::HeaderError;
use super::text::{
    all_but, byte_class, is_lws, is_token, quote, quoted_len, scan_class, scan_token, skip_lws,
    token_or_quoted, trim_lws, unquote,
};

/// The parameters of a header value, kept as their exact text (`;name=value;flag…`) and decoded
/// on lookup. Names compare case-insensitively; values are returned as written, quotes
/// included, with [`Params::get_unquoted`] for the decoded form.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Params<'a> {
    raw: Cow<'a, str>,
}

/// One parameter: a name and an optional value as written (quoted values keep their quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The parameter name.
    pub name: &'a str,
    /// The value as written, if any.
    pub value: Option<&'a str>,
}

impl<'a> Params<'a> {
    /// No parameters.
    pub const fn new() -> Self {
        Self {
            raw: Cow::Borrowed(""),
        }
    }

    /// Parses the parameters at the start of `s` (which must be empty or start with `;`) up to
    /// the end of `s` or the first character that cannot continue them (such as `,` or `?`);
    /// returns them with the rest of `s`.
    pub(crate) fn parse_prefix(s: &'a str) -> Result<(Self, &'a str), HeaderError> {
        let b = s.as_bytes();
        let mut i = 0;
        loop {
            let j = skip_lws(b, i);
            if j >= b.len() || b[j] != b';' {
                let end = i;
                return Ok((
                    Self {
                        raw: Cow::Borrowed(&s[..end]),
                    },
                    &s[end..],
                ));
            }
            i = skip_lws(b, j + 1);
            let name_start = i;
            i = scan_token(b, i);
            if i == name_start {
                return Err(HeaderError::Param { at: name_start });
            }
            let k = skip_lws(b, i);
            if k < b.len() && b[k] == b'=' {
                i = skip_lws(b, k + 1);
                i = value_end(s, i)?;
            }
        }
    }

    /// Wraps the already validated parameters of a URI.
    pub(crate) fn from_uri_span(raw: &'a str) -> Self {
        Self {
            raw: Cow::Borrowed(raw),
        }
    }

    /// Parses a whole string of parameters; anything left over is an error.
    pub fn parse(s: &'a str) -> Result<Self, HeaderError> {
        let (p, rest) = Self::parse_prefix(s)?;
        if !trim_lws(rest).is_empty() {
            return Err(HeaderError::Param {
                at: s.len() - rest.len(),
            });
        }
        Ok(p)
    }

    /// The exact text as received (white space around `;` included) or as built.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// `true` when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Iterates over the parameters in order.
    pub fn iter(&self) -> ParamIter<'_> {
        ParamIter { rest: &self.raw }
    }

    /// The first parameter named `name`: `None` when absent, `Some(None)` for a flag.
    #[inline]
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        // A parameter's name runs from the first non-white byte after `;` to the next `=`,
        // `;` or `"`, trailing white space trimmed, so a `name` holding one of those bytes or
        // ending in white space names nothing. Inlined, this check folds away for the
        // literal names callers pass, as does the test for upper case.
        let n = name.as_bytes();
        if !n.iter().all(|&c| NAME_PART[usize::from(c)]) || n.last().is_some_and(|&c| is_lws(c)) {
            return None;
        }
        self.get_checked(n, !n.iter().any(u8::is_ascii_uppercase))
    }

    /// [`Params::get`] for a `name` that can name a parameter; `lower` when `n` has no upper
    /// case letter, so that only the candidate needs folding to compare.
    fn get_checked(&self, n: &[u8], lower: bool) -> Option<Option<&str>> {
        let same = |c: &[u8]| {
            if lower {
                c.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b)
            } else {
                c.eq_ignore_ascii_case(n)
            }
        };
        // One pass that stops at the match. `n` matches where it equals, in any case, the
        // bytes after `;` and white space, and only white space lies between them and the
        // name's end: comparing in place spares finding that end and trimming first.
        let raw: &str = &self.raw;
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            i = scan_class(b, i, &NOT_SEMI_OR_QUOTE);
            match b.get(i) {
                Some(b';') => {}
                Some(_) => {
                    i += quoted_len(&raw[i..]).unwrap_or(b.len() - i);
                    continue;
                }
                None => break,
            }
            let start = skip_lws(b, i + 1);
            i = start;
            if !b.get(start..start + n.len()).is_some_and(same) {
                continue;
            }
            let end = skip_lws(b, start + n.len());
            match b.get(end) {
                Some(b'=') => {}
                Some(b';' | b'"') | None => return Some(None),
                Some(_) => continue,
            }
            let vs = skip_lws(b, end + 1);
            let mut ve = vs;
            loop {
                ve = scan_class(b, ve, &NOT_SEMI_OR_QUOTE);
                match b.get(ve) {
                    Some(b'"') => ve += quoted_len(&raw[ve..]).unwrap_or(b.len() - ve),
                    _ => break,
                }
            }
            return Some(Some(trim_lws(&raw[vs..ve.min(b.len())])));
        }
        None
    }

    /// `true` when a parameter named `name` is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of `name` with quotes removed and escapes resolved.
    pub fn get_unquoted(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).flatten().map(unquote)
    }

    /// Appends `;name` or `;name=value`. The value is the decoded one: a token or an IPv6
    /// reference is written as is, anything else as a quoted string (see
    /// [`quote`](super::text::quote)).
    ///
    /// # Panics
    /// If `name` is not a token: parameter names come from code, never from peers.
    pub fn push(&mut self, name: &str, value: Option<&str>) {
        assert!(is_token(name), "parameter name {name:?} is not a token");
        let raw = self.raw.to_mut();
        raw.push(';');
        raw.push_str(name);
        if let Some(v) = value {
            raw.push('=');
            if is_ipv6_reference(v) {
                raw.push_str(v);
            } else {
                raw.push_str(&token_or_quoted(v));
            }
        }
    }

    /// Appends `;name="value"`, quoted even when the value is a token, for grammars that
    /// require a quoted-string (RFC 3326 `text`, RFC 3892 `cid`).
    ///
    /// # Panics
    /// If `name` is not a token.
    pub fn push_quoted(&mut self, name: &str, value: &str) {
        assert!(is_token(name), "parameter name {name:?} is not a token");
        let raw = self.raw.to_mut();
        raw.push(';');
        raw.push_str(name);
        raw.push('=');
        raw.push_str(&quote(value));
    }

    /// Builder form of [`Params::push`].
    pub fn with(mut self, name: &str, value: Option<&str>) -> Self {
        self.push(name, value);
        self
    }

    /// Sets `name` to `value` (decoded, as in [`Params::push`]), replacing every parameter of
    /// that name.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        self.remove(name);
        self.push(name, value);
    }

    /// Removes every parameter named `name`.
    pub fn remove(&mut self, name: &str) {
        if !self.contains(name) {
            return;
        }
        let mut out = Params::new();
        for p in self.iter().filter(|p| !p.name.eq_ignore_ascii_case(name)) {
            let raw = out.raw.to_mut();
            raw.push(';');
            raw.push_str(p.name);
            if let Some(v) = p.value {
                raw.push('=');
                raw.push_str(v);
            }
        }
        *self = out.into_owned();
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Params<'static> {
        Params {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.raw, f)
    }
}

impl fmt::Display for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        loop {
            let s = self.rest;
            let b = s.as_bytes();
            // Skip to just past the next `;`.
            let mut i = 0;
            while i < b.len() && b[i] != b';' {
                i += 1;
            }
            if i == b.len() {
                self.rest = "";
                return None;
            }
            let start = i + 1;
            // The parameter ends at the next `;` outside a quoted string; note the first `=`.
            let mut j = start;
            let mut eq = None;
            while j < b.len() && b[j] != b';' {
                match b[j] {
                    b'"' => j += quoted_len(&s[j..]).unwrap_or(b.len() - j),
                    b'=' if eq.is_none() => {
                        eq = Some(j);
                        j += 1;
                    }
                    _ => j += 1,
                }
            }
            let j = j.min(b.len());
            self.rest = &s[j..];
            let (name, value) = match eq {
                Some(e) => (trim_lws(&s[start..e]), Some(trim_lws(&s[e + 1..j]))),
                None => (trim_lws(&s[start..j]), None),
            };
            if !name.is_empty() {
                return Some(Param { name, value });
            }
        }
    }
}

impl<'a, 'p> IntoIterator for &'p Params<'a> {
    type Item = Param<'p>;
    type IntoIter = ParamIter<'p>;

    fn into_iter(self) -> ParamIter<'p> {
        self.iter()
    }
}

/// Bytes that neither separate parameters nor open a quoted string.
static NOT_SEMI_OR_QUOTE: [bool; 256] = all_but(b";\"");
/// Bytes that may stand in a parameter name as [`ParamIter`] splits it.
static NAME_PART: [bool; 256] = all_but(b"=;\"");
/// Unquoted parameter values: token characters and `:` (see [`value_end`]).
static VALUE: [bool; 256] = byte_class(b"-.!%*_+`'~:");

/// `true` for `[IPv6address]`.
fn is_ipv6_reference(v: &str) -> bool {
    v.strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
}

/// Scans a `gen-value` (token, host or quoted-string) starting at `i`; returns its end.
fn value_end(s: &str, i: usize) -> Result<usize, HeaderError> {
    let b = s.as_bytes();
    match b.get(i) {
        Some(b'"') => quoted_len(&s[i..])
            .map(|n| i + n)
            .ok_or(HeaderError::UnterminatedQuote),
        Some(b'[') => memchr::memchr(b']', &b[i..])
            .map(|n| i + n + 1)
            .ok_or(HeaderError::Param { at: i }),
        _ => {
            // A host value may carry `:` only inside an IPv6 reference, so tokens suffice;
            // `:` is also accepted here for the `received`/`maddr` values some stacks send
            // without brackets.
            let j = scan_class(b, i, &VALUE);
            if j == i {
                Err(HeaderError::Param { at: i })
            } else {
                Ok(j)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_lookup() {
        let (p, rest) = Params::parse_prefix(" ; tag = abc ;lr; x=\"a;b\" , next").unwrap();
        assert_eq!(rest, " , next");
        assert_eq!(p.get("TAG"), Some(Some("abc")));
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(p.get("x"), Some(Some("\"a;b\"")));
        assert_eq!(p.get_unquoted("x").as_deref(), Some("a;b"));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn lookup_ignores_separators_inside_quotes() {
        let (p, _) = Params::parse_prefix(";x=\"a;tag=evil\";tag=real;flag").unwrap();
        assert_eq!(p.get("tag"), Some(Some("real")));
        assert_eq!(p.get("flag"), Some(None));
        let (q, _) = Params::parse_prefix(";tagx=1;tag;t=2").unwrap();
        assert_eq!(q.get("tag"), Some(None));
        assert_eq!(q.get("T"), Some(Some("2")));
        assert_eq!(q.get("ta"), None);
    }

    /// The lookup as it was before names were compared in place: find where the name ends,
    /// trim it, compare. Kept as the oracle for [`Params::get`].
    fn get_by_splitting<'a>(raw: &'a str, name: &str) -> Option<Option<&'a str>> {
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            i = scan_class(b, i, &NOT_SEMI_OR_QUOTE);
            match b.get(i) {
                Some(b';') => {}
                Some(_) => {
                    i += quoted_len(&raw[i..]).unwrap_or(b.len() - i);
                    continue;
                }
                None => break,
            }
            let start = skip_lws(b, i + 1);
            let end = scan_class(b, start, &NAME_PART);
            if trim_lws(&raw[start..end]).eq_ignore_ascii_case(name) {
                if b.get(end) != Some(&b'=') {
                    return Some(None);
                }
                let vs = skip_lws(b, end + 1);
                let mut ve = vs;
                loop {
                    ve = scan_class(b, ve, &NOT_SEMI_OR_QUOTE);
                    match b.get(ve) {
                        Some(b'"') => ve += quoted_len(&raw[ve..]).unwrap_or(b.len() - ve),
                        _ => break,
                    }
                }
                return Some(Some(trim_lws(&raw[vs..ve.min(b.len())])));
            }
            i = end;
        }
        None
    }

    #[test]
    fn lookup_agrees_with_splitting() {
        // Case variants, names next to white space, a name cut by a quote, and names that
        // can never match (stop bytes, surrounding white space, prefixes, the empty name).
        let raws = [
            ";tag=1;TAG=2",
            "; Tag =x ;lr",
            ";tag x=1;tag",
            ";tagx=1;tag;t=2",
            ";x=\"a;tag=evil\";tag=real",
            ";tag\"q\";b=1",
            ";tag \r\n =v",
            ";a=b=c;lr ;maddr=[::1]",
            "; =v;tag",
            ";ta",
            ";tag=\"open",
        ];
        let names = [
            "tag", "TAG", "Tag", "t", "ta", "tagx", "tag x", "tag ", " tag", "a=b", "a", "b", "x",
            "lr", "LR", "maddr", "", "tag\"q", "tag\r\n",
        ];
        for raw in raws {
            let p = Params::from_uri_span(raw);
            for name in names {
                assert_eq!(p.get(name), get_by_splitting(raw, name), "{raw:?} {name:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn lookup_agrees_with_splitting_on_any_text(
            raw in "[;=\"a-cA-C \t\r\n\\\\]{0,24}",
            name in "[a-cA-C =;\" ]{0,3}",
        ) {
            let p = Params::from_uri_span(&raw);
            proptest::prop_assert_eq!(p.get(&name), get_by_splitting(&raw, &name));
        }
    }

    #[test]
    fn rejects_empty_params() {
        assert!(Params::parse(";;a").is_err());
        assert!(Params::parse(";").is_err());
        assert!(Params::parse(";a=").is_err());
        assert!(Params::parse(";a=\"open").is_err());
    }

    #[test]
    fn build_and_edit() {
        let mut p = Params::new().with("tag", Some("1")).with("lr", None);
        p.set("tag", Some("two words"));
        assert_eq!(p.as_str(), ";lr;tag=\"two words\"");
        p.remove("lr");
        assert_eq!(p.as_str(), ";tag=\"two words\"");
        assert_eq!(Params::parse(p.as_str()).unwrap(), p);
    }
}
