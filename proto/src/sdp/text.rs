//! Small scanning helpers shared by the line and attribute parsers.
//!
//! Numbers are read digit by digit (no sign, no whitespace: `u64::from_str` would take `+5`),
//! fields are separated by runs of ASCII whitespace and written back with one space.

use super::error::Fault;

/// Reads a non-empty run of ASCII digits (RFC 4566 `integer`, leading zeros tolerated).
pub(crate) fn parse_u64(s: &str, field: &'static str) -> Result<u64, Fault> {
    if s.is_empty() {
        return Err(Fault::Missing(field));
    }
    let mut value: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(Fault::Invalid(field));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(Fault::OutOfRange(field))?;
    }
    Ok(value)
}

/// [`parse_u64`] narrowed to `u32`.
pub(crate) fn parse_u32(s: &str, field: &'static str) -> Result<u32, Fault> {
    u32::try_from(parse_u64(s, field)?).map_err(|_| Fault::OutOfRange(field))
}

/// [`parse_u64`] narrowed to `u16`.
pub(crate) fn parse_u16(s: &str, field: &'static str) -> Result<u16, Fault> {
    u16::try_from(parse_u64(s, field)?).map_err(|_| Fault::OutOfRange(field))
}

/// [`parse_u64`] narrowed to `u8`.
pub(crate) fn parse_u8(s: &str, field: &'static str) -> Result<u8, Fault> {
    u8::try_from(parse_u64(s, field)?).map_err(|_| Fault::OutOfRange(field))
}

/// Reads a signed decimal (`-` allowed, `+` not).
pub(crate) fn parse_i64(s: &str, field: &'static str) -> Result<i64, Fault> {
    match s.strip_prefix('-') {
        Some(digits) => {
            let magnitude = parse_u64(digits, field)?;
            0i64.checked_sub_unsigned(magnitude)
                .ok_or(Fault::OutOfRange(field))
        }
        None => i64::try_from(parse_u64(s, field)?).map_err(|_| Fault::OutOfRange(field)),
    }
}

/// The whitespace-separated fields of a value.
pub(crate) fn fields(s: &str) -> std::str::SplitAsciiWhitespace<'_> {
    s.split_ascii_whitespace()
}

/// A value that is exactly one token: surrounding whitespace is dropped, inner whitespace is a
/// fault.
pub(crate) fn single_token(value: &str, field: &'static str) -> Result<String, Fault> {
    let mut it = fields(value);
    let token = it.next().ok_or(Fault::Missing(field))?;
    if it.next().is_some() {
        return Err(Fault::Trailing);
    }
    Ok(token.to_owned())
}

/// A value that is a non-empty list of whitespace-separated tokens.
pub(crate) fn token_list(value: &str, field: &'static str) -> Result<Vec<String>, Fault> {
    let list: Vec<String> = fields(value).map(str::to_owned).collect();
    if list.is_empty() {
        return Err(Fault::Missing(field));
    }
    Ok(list)
}

/// Splits a value into whitespace-separated items where a double-quoted run (which may hold
/// spaces) stays inside its item, as the RFC 5547 `file-selector` and `file-date` grammars need.
pub(crate) fn quoted_items(value: &str) -> Result<Vec<&str>, Fault> {
    let mut items = Vec::new();
    let mut start = None;
    let mut in_quotes = false;
    for (i, c) in value.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
            start.get_or_insert(i);
        } else if c.is_ascii_whitespace() && !in_quotes {
            if let Some(s) = start.take() {
                items.push(&value[s..i]);
            }
        } else {
            start.get_or_insert(i);
        }
    }
    if in_quotes {
        return Err(Fault::Invalid("quoted string"));
    }
    if let Some(s) = start {
        items.push(&value[s..]);
    }
    Ok(items)
}

/// Strips the surrounding double quotes of `"…"`; the inside may not hold another quote.
pub(crate) fn unquote<'a>(s: &'a str, field: &'static str) -> Result<&'a str, Fault> {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .ok_or(Fault::Invalid(field))?;
    if inner.contains('"') {
        return Err(Fault::Invalid(field));
    }
    Ok(inner)
}

/// Declares an enum of well-known protocol words with an `Other(String)` variant for the rest.
///
/// Equality and hashing go by the text, so `Other("RTP/AVP".into())` equals `RtpAvp`; parsing
/// matches the text exactly (case-sensitive), so serialization reproduces the input bytes.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Any other value, kept as written.
            Other(String),
        }

        impl $name {
            /// The text of this value as it appears in SDP.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }

            /// Maps SDP text to the matching well-known variant, or to `Other`.
            #[must_use]
            pub fn from_text(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $name {}

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_text(s)
            }
        }
    };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_digits_only() {
        assert_eq!(parse_u64("0042", "n"), Ok(42));
        assert_eq!(parse_u64("+5", "n"), Err(Fault::Invalid("n")));
        assert_eq!(parse_u64("", "n"), Err(Fault::Missing("n")));
        assert_eq!(
            parse_u64("18446744073709551616", "n"),
            Err(Fault::OutOfRange("n"))
        );
        assert_eq!(parse_u64("18446744073709551615", "n"), Ok(u64::MAX));
        assert_eq!(parse_u16("65536", "n"), Err(Fault::OutOfRange("n")));
        assert_eq!(parse_i64("-9223372036854775808", "n"), Ok(i64::MIN));
        assert_eq!(
            parse_i64("9223372036854775808", "n"),
            Err(Fault::OutOfRange("n"))
        );
        assert_eq!(parse_i64("--1", "n"), Err(Fault::Invalid("n")));
    }

    #[test]
    fn quoted_items_keep_spaces_inside_quotes() {
        assert_eq!(
            quoted_items(r#"name:"a b" size:3  x"#).unwrap(),
            vec![r#"name:"a b""#, "size:3", "x"]
        );
        assert!(quoted_items(r#"name:"a b"#).is_err());
        assert_eq!(unquote(r#""a b""#, "q"), Ok("a b"));
        assert!(unquote(r#""a"b""#, "q").is_err());
    }
}
