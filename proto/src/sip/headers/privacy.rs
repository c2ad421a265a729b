//! Privacy (RFC 3323 §4.2; RFC 3325 §9.3 adds `id`).

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{is_lws, is_token, is_token_char};

/// The Privacy header: `priv-value *(";" priv-value)` on one line (RFC 3323 §4.2), each value
/// a token: `header`, `session`, `user`, `none`, `critical` (RFC 3323), `id` (RFC 3325),
/// `history` (RFC 4244) or an extension. The values are not a comma list, so one header line
/// is one value of this type. Values compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Privacy<'a> {
    values: Vec<Cow<'a, str>>,
}

impl<'a> Privacy<'a> {
    /// A Privacy header with these values; an error when there is none or one is not a token.
    pub fn new(values: &[&str]) -> Result<Privacy<'static>, HeaderError> {
        if values.is_empty() {
            return Err(HeaderError::Empty);
        }
        if let Some(i) = values.iter().position(|v| !is_token(v)) {
            return Err(HeaderError::Expected {
                expected: "priv-value token",
                at: values[..i].iter().map(|v| v.len() + 1).sum(),
            });
        }
        Ok(Privacy {
            values: values.iter().map(|v| Cow::Owned((*v).to_owned())).collect(),
        })
    }

    /// `Privacy: none`: no privacy function applies (RFC 3323 §4.2).
    pub fn none() -> Privacy<'static> {
        Privacy {
            values: vec![Cow::Borrowed("none")],
        }
    }

    /// The values in order, as written.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|v| &**v)
    }

    /// `true` when `value` is among the values (case-insensitive).
    pub fn contains(&self, value: &str) -> bool {
        self.iter().any(|v| v.eq_ignore_ascii_case(value))
    }

    /// `true` when `id` is requested: the asserted identity must not be passed to untrusted
    /// parties (RFC 3325 §9.3).
    pub fn requests_id(&self) -> bool {
        self.contains("id")
    }

    /// `true` when the `critical` value makes the privacy functions mandatory
    /// (RFC 3323 §4.2).
    pub fn is_critical(&self) -> bool {
        self.contains("critical")
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Privacy<'static> {
        Privacy {
            values: self
                .values
                .into_iter()
                .map(|v| Cow::Owned(v.into_owned()))
                .collect(),
        }
    }
}

impl<'a> Header<'a> for Privacy<'a> {
    const NAME: HeaderName = HeaderName::Privacy;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        if b.iter().all(|&c| is_lws(c)) {
            return Err(HeaderError::Empty);
        }
        let mut values = Vec::new();
        let mut start = 0;
        for part in value.split(';') {
            let lead = part.bytes().take_while(|&c| is_lws(c)).count();
            let t = crate::sip::text::trim_lws(part);
            if t.is_empty() {
                return Err(HeaderError::Param { at: start + lead });
            }
            if let Some(bad) = t.bytes().position(|c| !is_token_char(c)) {
                return Err(HeaderError::Expected {
                    expected: "priv-value token",
                    at: start + lead + bad,
                });
            }
            values.push(Cow::Borrowed(t));
            start += part.len() + 1;
        }
        Ok(Self { values })
    }
}

impl fmt::Display for Privacy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let p = Privacy::parse(" id ;\r\n User;critical ").unwrap();
        assert_eq!(p.iter().collect::<Vec<_>>(), ["id", "User", "critical"]);
        assert!(p.contains("user"));
        assert!(p.requests_id());
        assert!(p.is_critical());
        assert!(!p.contains("none"));
        let p = Privacy::parse("none").unwrap();
        assert_eq!(p, Privacy::none());
        assert!(!p.requests_id());
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Privacy::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            Privacy::parse("id;;user"),
            Err(HeaderError::Param { at: 3 })
        );
        assert_eq!(Privacy::parse("id; "), Err(HeaderError::Param { at: 4 }));
        assert_eq!(
            Privacy::parse("id, user"),
            Err(HeaderError::Expected {
                expected: "priv-value token",
                at: 2
            })
        );
        assert_eq!(
            Privacy::parse("id;us er"),
            Err(HeaderError::Expected {
                expected: "priv-value token",
                at: 5
            })
        );
        assert_eq!(Privacy::new(&[]), Err(HeaderError::Empty));
        assert_eq!(
            Privacy::new(&["id", "a b"]),
            Err(HeaderError::Expected {
                expected: "priv-value token",
                at: 3
            })
        );
    }

    #[test]
    fn round_trips() {
        for p in [
            Privacy::none(),
            Privacy::new(&["id"]).unwrap(),
            Privacy::new(&["header", "session", "user", "critical"]).unwrap(),
        ] {
            let s = p.to_string();
            assert_eq!(Privacy::parse(&s).unwrap(), p, "{s}");
        }
        assert_eq!(
            Privacy::new(&["id", "user"]).unwrap().to_string(),
            "id;user"
        );
    }
}
