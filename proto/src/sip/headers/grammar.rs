//! Grammar pieces shared by several typed headers: a leading token followed by parameters,
//! comments, q-values (RFC 3261 §20.1) and language tags (RFC 3261 §20.13).

use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::is_token_char;

pub(crate) use crate::sip::text::{scan, skip_lws};

/// Parses `LWS token *(SEMI generic-param) LWS` spanning all of `s`; `expected` names the
/// token in the error when it is missing.
pub(crate) fn token_and_params<'a>(
    s: &'a str,
    expected: &'static str,
) -> Result<(&'a str, Params<'a>), HeaderError> {
    let b = s.as_bytes();
    let start = skip_lws(b, 0);
    if start == b.len() {
        return Err(HeaderError::Empty);
    }
    let end = scan(b, start, is_token_char);
    if end == start {
        return Err(HeaderError::Expected {
            expected,
            at: start,
        });
    }
    let params = params_after(s, end)?;
    Ok((&s[start..end], params))
}

/// Parses the parameters that follow a leading element ending at `end`; anything other than
/// white space and `;param`s is an error that points at it.
pub(crate) fn params_after(s: &str, end: usize) -> Result<Params<'_>, HeaderError> {
    let rest = s.get(end..).unwrap_or("");
    let (params, tail) = Params::parse_prefix(rest).map_err(|e| shift(e, end))?;
    let t = skip_lws(tail.as_bytes(), 0);
    if t < tail.len() {
        return Err(HeaderError::Expected {
            expected: "';' or end of value",
            at: s.len() - tail.len() + t,
        });
    }
    Ok(params)
}

/// Moves the offset of an error found in a suffix starting at `by` to the whole value.
pub(crate) fn shift(e: HeaderError, by: usize) -> HeaderError {
    match e {
        HeaderError::Expected { expected, at } => HeaderError::Expected {
            expected,
            at: at + by,
        },
        HeaderError::Param { at } => HeaderError::Param { at: at + by },
        other => other,
    }
}

/// Length of the `comment` (RFC 3261 §25.1) at the start of `s`, which must start with `(`:
/// `"(" *(ctext / quoted-pair / comment) ")"`, nesting included.
pub(crate) fn comment_len(s: &str) -> Result<usize, HeaderError> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    Err(HeaderError::Expected {
        expected: "')' closing the comment",
        at: b.len(),
    })
}

/// Encodes `text` as the content of a comment: `(`, `)` and `\` are escaped as quoted-pairs
/// and CR or LF become spaces, so the result always scans as one comment.
pub(crate) fn escape_comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Decodes the content of a comment: resolves quoted-pairs, keeps nested parentheses.
pub(crate) fn unescape_comment(inner: &str) -> std::borrow::Cow<'_, str> {
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Decodes a `qvalue` (RFC 3261 §20.10, §25.1: `"0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]`)
/// into thousandths: `0.5` gives 500, `1` gives 1000. `None` when malformed.
pub(crate) fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" if frac.bytes().all(|b| b == b'0') => 1,
        _ => return None,
    };
    let mut milli: u16 = 0;
    for (d, scale) in frac.bytes().zip([100u16, 10, 1]) {
        milli += u16::from(d - b'0') * scale;
    }
    Some(whole * 1000 + milli)
}

/// Writes thousandths as the shortest `qvalue`: 1000 gives `1`, 500 gives `0.5`, 0 gives `0`.
/// Values above 1000 are written as `1`.
pub(crate) fn format_qvalue(q: u16) -> String {
    if q >= 1000 {
        return "1".to_owned();
    }
    if q == 0 {
        return "0".to_owned();
    }
    let s = format!("0.{q:03}");
    s.trim_end_matches('0').to_owned()
}

/// `true` for a language tag: `1*8ALPHA *("-" 1*8alphanum)`. RFC 3261 §20.13 writes the
/// subtags as `1*8ALPHA` after RFC 2616; digits are also accepted in subtags, as RFC 5646
/// tags such as `es-419` carry them.
pub(crate) fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = |p: &str, digits: bool| {
        (1..=8).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_alphabetic() || (digits && b.is_ascii_digit()))
    };
    ok(primary, false) && parts.all(|p| ok(p, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_params_and_errors() {
        let (t, p) = token_and_params("  render ;handling=optional ", "x").unwrap();
        assert_eq!(t, "render");
        assert_eq!(p.get("handling"), Some(Some("optional")));
        assert_eq!(token_and_params("  ", "x"), Err(HeaderError::Empty));
        assert_eq!(
            token_and_params("@", "x"),
            Err(HeaderError::Expected {
                expected: "x",
                at: 0
            })
        );
        assert_eq!(
            token_and_params("a b", "x"),
            Err(HeaderError::Expected {
                expected: "';' or end of value",
                at: 2
            })
        );
        assert_eq!(
            token_and_params("a;;b", "x"),
            Err(HeaderError::Param { at: 2 })
        );
    }

    #[test]
    fn param_values_round_trip() {
        for v in ["tok", "two words", "\"q\"", "\"open", "[x", "a\r\nb", ""] {
            let p = Params::new().with("n", Some(v));
            let back = Params::parse(p.as_str()).unwrap();
            let want = v.replace(['\r', '\n'], " ");
            assert_eq!(
                back.get_unquoted("n").as_deref(),
                Some(want.as_str()),
                "{v}"
            );
        }
    }

    #[test]
    fn comments() {
        assert_eq!(comment_len("(a (b) \\) c) rest"), Ok(12));
        assert!(comment_len("(open (nested)").is_err());
        assert!(comment_len("(trailing \\").is_err());
        let raw = escape_comment("a (b) \\ c\r\nd");
        assert_eq!(raw, "a \\(b\\) \\\\ c  d");
        assert_eq!(comment_len(&format!("({raw})")), Ok(raw.len() + 2));
        assert_eq!(unescape_comment(&raw), "a (b) \\ c  d");
    }

    #[test]
    fn qvalues() {
        for (s, q) in [
            ("0", 0),
            ("0.", 0),
            ("0.5", 500),
            ("0.123", 123),
            ("1", 1000),
        ] {
            assert_eq!(parse_qvalue(s), Some(q), "{s}");
        }
        for s in ["1.5", "2", "0.1234", "", ".5", "1.001", "0.a"] {
            assert_eq!(parse_qvalue(s), None, "{s}");
        }
        for q in [0, 1, 10, 100, 120, 500, 999, 1000] {
            assert_eq!(parse_qvalue(&format_qvalue(q)), Some(q), "{q}");
        }
        assert_eq!(format_qvalue(500), "0.5");
        assert_eq!(format_qvalue(2000), "1");
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "en-US", "es-419", "i-klingon", "abcdefgh"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e1", "en-", "-en", "abcdefghi", "en--us", "en_US", "*"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
