//! Lexical rules of RFC 3261 §25.1 shared by every SIP grammar in this module.
//!
//! Header values reach the typed parsers with their line folding intact (the exact received
//! text is kept for round trips). A CR or LF inside a header value can only be part of a fold
//! (`CRLF 1*WSP`), so the whitespace skippers here treat CR and LF as linear white space.

use std::borrow::Cow;

/// A byte-membership table: ASCII letters and digits plus the bytes of `extra`. Lookups in
/// such tables keep the per-byte loops of the parsers to one load and one branch.
pub(crate) const fn byte_class(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

static TOKEN: [bool; 256] = byte_class(b"-.!%*_+`'~");

/// The complement of a byte set: every byte not in `set`.
pub(crate) const fn all_but(set: &[u8]) -> [bool; 256] {
    let mut t = [true; 256];
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = false;
        i += 1;
    }
    t
}

/// Bytes with no meaning to the splitting of a list header at commas.
static LIST_PLAIN: [bool; 256] = all_but(b",\"<");

/// Returns `true` for the `token` characters of RFC 3261 §25.1.
#[inline]
pub fn is_token_char(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// Returns `true` when `s` is a non-empty `token`.
#[inline]
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// Returns `true` for linear white space, including the CR and LF of a header fold.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The index of the first `x` in `b`. Eight bytes are tested per step with the SWAR zero-byte
/// test; a header line is usually found before a vectorised search would have finished
/// setting up, and lines past 256 bytes are left to `memchr`.
#[inline]
pub(crate) fn find_byte(b: &[u8], x: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(x);
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("an 8-byte slice"));
        let v = word ^ pattern;
        // The lowest set bit marks the first zero byte of `v`: the first `x`.
        let found = v.wrapping_sub(LO) & !v & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
        if i >= 256 {
            return memchr::memchr(x, &b[i..]).map(|p| i + p);
        }
    }
    b[i..].iter().position(|&c| c == x).map(|p| i + p)
}

/// `true` when `b` contains `x`.
#[inline]
pub(crate) fn has_byte(b: &[u8], x: u8) -> bool {
    find_byte(b, x).is_some()
}

/// The end of the run of bytes matching `pred` that starts at `i` (`i` itself when none do,
/// `b.len()` when all do).
#[inline]
pub(crate) fn scan(b: &[u8], i: usize, pred: impl Fn(u8) -> bool) -> usize {
    match b.get(i..) {
        Some(rest) => rest
            .iter()
            .position(|&c| !pred(c))
            .map_or(b.len(), |p| i + p),
        None => i,
    }
}

/// The end of the run of bytes in `table` (a [`byte_class`]) that starts at `i`. Four bytes
/// are tested per step while they all match: one branch instead of four on the long runs of
/// host names, tokens and URI parts.
#[inline]
pub(crate) fn scan_class(b: &[u8], mut i: usize, table: &[bool; 256]) -> usize {
    let t = |c: u8| table[usize::from(c)];
    while let Some(&[c0, c1, c2, c3]) = b.get(i..i + 4) {
        if !(t(c0) & t(c1) & t(c2) & t(c3)) {
            break;
        }
        i += 4;
    }
    while i < b.len() && t(b[i]) {
        i += 1;
    }
    i
}

/// The index of the first byte at or after `i` that is not linear white space.
#[inline]
pub(crate) fn skip_lws(b: &[u8], i: usize) -> usize {
    scan(b, i, is_lws)
}

/// The end of the token that starts at `i`.
#[inline]
pub(crate) fn scan_token(b: &[u8], i: usize) -> usize {
    scan_class(b, i, &TOKEN)
}

/// Removes leading and trailing linear white space.
#[inline]
pub(crate) fn trim_lws(s: &str) -> &str {
    trim_lws_end(trim_lws_start(s))
}

/// Removes leading linear white space.
#[inline]
pub(crate) fn trim_lws_start(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_lws(b[i]) {
        i += 1;
    }
    // White space is ASCII, so `i` is on a character boundary.
    &s[i..]
}

/// Removes trailing linear white space.
#[inline]
pub(crate) fn trim_lws_end(s: &str) -> &str {
    let b = s.as_bytes();
    let mut e = b.len();
    while e > 0 && is_lws(b[e - 1]) {
        e -= 1;
    }
    &s[..e]
}

/// Length of the `quoted-string` at the start of `s` (which must start with `"`), including
/// both quotes, or `None` when the closing quote is missing. Only `"` and `\` matter inside
/// one, so memchr's vector search skips the rest (instance ids, URNs and display names run
/// to dozens of bytes).
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    debug_assert_eq!(b.first(), Some(&b'"'));
    let mut i = 1;
    loop {
        let p = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        match b[p] {
            b'"' => return Some(p + 1),
            // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
            _ => i = p + 2,
        }
    }
}

/// Decodes the content of a `quoted-string` given with its quotes: removes the quotes,
/// resolves `quoted-pair`s and turns folds into a single space.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    if !inner.bytes().any(|b| matches!(b, b'\\' | b'\r' | b'\n')) {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '\r' => {}
            '\n' => {
                // A fold (CRLF 1*WSP) with the white space around it is one space.
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                while chars.next_if(|c| matches!(c, ' ' | '\t')).is_some() {}
                out.push(' ');
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Encodes `s` as a `quoted-string`: `"` and `\` and control characters become quoted-pairs,
/// and CR and LF (which no quoted-pair may carry) become spaces, so the result cannot break
/// the header line it goes into.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            '"' | '\\' | '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Returns `s` as is when it is a token, otherwise as a `quoted-string`.
pub fn token_or_quoted(s: &str) -> Cow<'_, str> {
    if is_token(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(quote(s))
    }
}

/// Replaces folds (`CRLF 1*WSP`) in a header value by a single space, as RFC 3261 §7.3.1
/// allows a recipient to do before interpreting the value.
pub fn unfold(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'\r' | b'\n')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(['\r', '\n']) {
        out.push_str(trim_lws_end(&rest[..pos]));
        out.push(' ');
        rest = trim_lws_start(&rest[pos..]);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%HH` escapes (RFC 3261 §25.1 `escaped`). A `%` not followed by two hex digits is
/// kept as it is. The result is bytes: an escape may encode any octet, NUL included.
pub fn percent_decode(s: &str) -> Cow<'_, [u8]> {
    let b = s.as_bytes();
    if !has_byte(b, b'%') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// Returns `true` when every `%` in `s` starts a valid `%HH` escape.
pub(crate) fn escapes_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'%', &b[i..]) {
        let p = i + off;
        if p + 2 >= b.len() {
            return false;
        }
        if hex_val(b[p + 1]).is_none() || hex_val(b[p + 2]).is_none() {
            return false;
        }
        i = p + 3;
    }
    true
}

/// Appends `s` to `out`, escaping every byte for which `keep` is false as `%HH`.
pub(crate) fn percent_encode_into(out: &mut String, s: &[u8], keep: impl Fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
}

/// Splits `s` at commas that are outside quoted strings and angle brackets, the way list
/// headers (`#element`) of RFC 3261 §7.3.1 combine several values on one line. Empty elements
/// are reported as empty strings so callers can reject them (RFC 4475 `badinv01`).
pub(crate) fn split_commas(s: &str) -> CommaSplit<'_> {
    CommaSplit { rest: Some(s) }
}

/// The first comma-separated element of `s` (trimmed) and the text after it, which is empty or
/// starts with the separating `,`.
pub(crate) fn first_element(s: &str) -> (&str, &str) {
    let mut it = split_commas(s);
    let first = it.next().unwrap_or("");
    match it.rest {
        Some(after) => (first, &s[s.len() - after.len() - 1..]),
        None => (first, ""),
    }
}

/// Iterator returned by [`split_commas`].
#[derive(Debug, Clone)]
pub(crate) struct CommaSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let b = s.as_bytes();
        // Most lines hold one element: without a comma there is nothing to split.
        if find_byte(b, b',').is_none() {
            self.rest = None;
            return Some(trim_lws(s));
        }
        let mut i = 0;
        let mut angle = false;
        loop {
            let found = if angle {
                find_byte(&b[i..], b'>').map(|off| i + off)
            } else {
                Some(scan_class(b, i, &LIST_PLAIN)).filter(|&p| p < b.len())
            };
            let Some(p) = found else {
                i = b.len();
                break;
            };
            match b[p] {
                b'"' => match quoted_len(&s[p..]) {
                    Some(n) => i = p + n,
                    None => {
                        i = b.len();
                        break;
                    }
                },
                b'<' => {
                    angle = true;
                    i = p + 1;
                }
                b'>' => {
                    angle = false;
                    i = p + 1;
                }
                _ => {
                    self.rest = Some(&s[p + 1..]);
                    return Some(trim_lws(&s[..p]));
                }
            }
        }
        self.rest = None;
        Some(trim_lws(&s[..i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_len_finds_the_closing_quote_past_pairs() {
        // A byte-by-byte reading of the grammar, as the oracle.
        fn by_bytes(s: &str) -> Option<usize> {
            let b = s.as_bytes();
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'"' => return Some(i + 1),
                    b'\\' => i += 2,
                    _ => i += 1,
                }
            }
            None
        }
        let mut cases = vec![
            "\"\"".to_owned(),
            "\"".to_owned(),
            "\"a\\\"b\" rest".to_owned(),
            "\"a\\\\\"b".to_owned(),
            "\"ends in a backslash\\".to_owned(),
            "\"ends in a pair\\\"".to_owned(),
        ];
        for n in [15, 16, 31, 32, 33, 64, 100] {
            let body = "x".repeat(n);
            cases.push(format!("\"{body}\",tail"));
            cases.push(format!("\"{body}\\\"{body}\""));
            cases.push(format!("\"{body}"));
            cases.push(format!("\"{body}\\"));
        }
        for c in &cases {
            assert_eq!(quoted_len(c), by_bytes(c), "{c:?}");
        }
    }

    #[test]
    fn unquote_resolves_pairs_and_folds() {
        assert_eq!(unquote(r#""a\"b\\c""#), "a\"b\\c");
        assert_eq!(unquote("\"a\r\n  b\""), "a b");
        assert_eq!(unquote("\"plain\""), "plain");
    }

    #[test]
    fn quote_round_trips() {
        for s in [
            "",
            "x",
            "a\"b",
            "\\",
            "J. Rosenberg \\\"Jdrosen\\\"",
            "bel\x07 nul\0",
        ] {
            assert_eq!(unquote(&quote(s)), s);
        }
        assert_eq!(quote("a\r\nb"), "\"a  b\"");
    }

    #[test]
    fn percent_decode_keeps_bad_escapes() {
        assert_eq!(&*percent_decode("a%41%2"), b"aA%2");
        assert_eq!(&*percent_decode("%00x"), b"\0x");
        assert_eq!(&*percent_decode("%Z%45"), b"%ZE");
        assert!(escapes_valid("a%41b"));
        assert!(!escapes_valid("a%4"));
        assert!(!escapes_valid("a%"));
        assert!(!escapes_valid("%GG"));
    }

    #[test]
    fn split_commas_respects_quotes_and_brackets() {
        let v: Vec<_> = split_commas(r#""a,b" <sip:x,y@z>;p=1 , <sip:w>,"#).collect();
        assert_eq!(v, vec![r#""a,b" <sip:x,y@z>;p=1"#, "<sip:w>", ""]);
    }

    #[test]
    fn find_byte_agrees_with_a_plain_search() {
        let mut data: Vec<u8> = (0..600u32).map(|i| (i * 7 % 251) as u8).collect();
        for x in [0u8, b'\n', 0x80, 0xff, b':'] {
            for start in [0, 1, 5, 8, 9, 300] {
                let hay = &data[start..];
                assert_eq!(
                    find_byte(hay, x),
                    hay.iter().position(|&c| c == x),
                    "{x} {start}"
                );
            }
        }
        data.clear();
        assert_eq!(find_byte(&data, b'\n'), None);
        assert_eq!(find_byte(b"\x80\x81\n", b'\n'), Some(2));
        assert_eq!(find_byte(b"\x01\x00\x0b\x0a", 0x0a), Some(3));
    }

    #[test]
    fn unfold_joins_lines() {
        assert_eq!(unfold("a\r\n  b\r\n\tc"), "a b c");
    }
}
