//! `a=fmtp` (RFC 4566 §6).

use std::fmt;
use std::str::FromStr;

use crate::sdp::error::Fault;

/// `a=fmtp:<format> <format specific parameters>`: parameters of one format of the `m=` line
/// (RFC 4566 §6).
///
/// The parameter text is kept exactly as written (everything after the first whitespace that
/// follows the format), since its syntax belongs to each format;
/// [`parameters`](Self::parameters) reads the common `key=value;key=value` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format (payload type for RTP) these parameters apply to.
    pub format: String,
    /// The format specific parameters, as written.
    pub params: String,
}

impl Fmtp {
    /// Parameters for a format.
    #[must_use]
    pub fn new(format: impl Into<String>, params: impl Into<String>) -> Self {
        Self {
            format: format.into(),
            params: params.into(),
        }
    }

    /// The `;`-separated parameters as `(name, value)` pairs, trimmed; a parameter without `=`
    /// has no value (`0-15` in `a=fmtp:101 0-15`). Empty items are skipped.
    pub fn parameters(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (p, None),
            })
    }

    /// The value of the first parameter named `name` (compared without regard to ASCII case).
    #[must_use]
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v)
    }
}

impl FromStr for Fmtp {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let (format, params) = match value.find(|c: char| c.is_ascii_whitespace()) {
            Some(i) => {
                let sep = value[i..].chars().next().map_or(1, char::len_utf8);
                (&value[..i], &value[i + sep..])
            }
            None => (value, ""),
        };
        if format.is_empty() {
            return Err(Fault::Missing("format"));
        }
        Ok(Self::new(format, params))
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format)?;
        if !self.params.is_empty() {
            write!(f, " {}", self.params)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parameters() {
        let f: Fmtp = "96 profile-level-id=42e01f; packetization-mode=1 ;;x"
            .parse()
            .unwrap();
        assert_eq!(f.format, "96");
        assert_eq!(
            f.parameters().collect::<Vec<_>>(),
            [
                ("profile-level-id", Some("42e01f")),
                ("packetization-mode", Some("1")),
                ("x", None)
            ]
        );
        assert_eq!(f.parameter("PACKETIZATION-MODE"), Some("1"));
        assert_eq!(f.parameter("x"), None);
    }

    #[test]
    fn keeps_parameter_text() {
        for text in ["101 0-15", "101", "101  spaced ", "96 a=b;c"] {
            let f: Fmtp = text.parse().unwrap();
            assert_eq!(f.to_string(), text);
        }
        let f: Fmtp = "101 ".parse().unwrap();
        assert_eq!((f.params.as_str(), f.to_string().as_str()), ("", "101"));
        assert_eq!(" ".parse::<Fmtp>(), Err(Fault::Missing("format")));
    }
}
