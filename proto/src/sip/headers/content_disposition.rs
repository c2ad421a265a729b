//! Content-Disposition (RFC 3261 §20.11).

use std::borrow::Cow;
use std::fmt;

use super::grammar::token_and_params;
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::is_token;

/// How the recipient treats a body part of a disposition it does not understand
/// (RFC 3261 §20.11 `handling-param`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handling<'a> {
    /// `handling=optional`: the part may be ignored.
    Optional,
    /// `handling=required` (also assumed when the parameter is absent): the request fails
    /// with 415 if the part is not understood.
    Required,
    /// An extension handling value, as written.
    Other(&'a str),
}

/// The Content-Disposition: `disp-type *( SEMI disp-param )` (RFC 3261 §20.11), such as
/// `session`, `render`, `icon`, `alert` or an extension token. The type compares
/// case-insensitively through [`ContentDisposition::is`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentDisposition<'a> {
    disp_type: Cow<'a, str>,
    /// The parameters (`handling` and extensions).
    pub params: Params<'a>,
}

impl<'a> ContentDisposition<'a> {
    /// A disposition of type `disp_type` without parameters; an error when the type is not a
    /// token.
    pub fn new(disp_type: &str) -> Result<ContentDisposition<'static>, HeaderError> {
        if !is_token(disp_type) {
            return Err(HeaderError::Expected {
                expected: "disposition type token",
                at: 0,
            });
        }
        Ok(ContentDisposition {
            disp_type: Cow::Owned(disp_type.to_owned()),
            params: Params::new(),
        })
    }

    /// `session`: the body describes a session (SDP), RFC 3261 §20.11.
    pub fn session() -> ContentDisposition<'static> {
        ContentDisposition {
            disp_type: Cow::Borrowed("session"),
            params: Params::new(),
        }
    }

    /// `render`: the body is to be shown to the user, RFC 3261 §20.11.
    pub fn render() -> ContentDisposition<'static> {
        ContentDisposition {
            disp_type: Cow::Borrowed("render"),
            params: Params::new(),
        }
    }

    /// The disposition type as written.
    pub fn disp_type(&self) -> &str {
        &self.disp_type
    }

    /// `true` when the type is `disp_type`, compared case-insensitively.
    pub fn is(&self, disp_type: &str) -> bool {
        self.disp_type.eq_ignore_ascii_case(disp_type)
    }

    /// The `handling` parameter; [`Handling::Required`] when absent, as RFC 3261 §20.11 says.
    pub fn handling(&self) -> Handling<'_> {
        match self.params.get("handling").flatten() {
            None => Handling::Required,
            Some(v) if v.eq_ignore_ascii_case("optional") => Handling::Optional,
            Some(v) if v.eq_ignore_ascii_case("required") => Handling::Required,
            Some(v) => Handling::Other(v),
        }
    }

    /// Builder: sets `handling=optional` or `handling=required`.
    pub fn with_handling(mut self, optional: bool) -> Self {
        let v = if optional { "optional" } else { "required" };
        self.params.set("handling", Some(v));
        self
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> ContentDisposition<'static> {
        ContentDisposition {
            disp_type: Cow::Owned(self.disp_type.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for ContentDisposition<'a> {
    const NAME: HeaderName = HeaderName::ContentDisposition;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (disp_type, params) = token_and_params(value, "disposition type")?;
        Ok(Self {
            disp_type: Cow::Borrowed(disp_type),
            params,
        })
    }
}

impl fmt::Display for ContentDisposition<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.disp_type, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_and_handling() {
        let d = ContentDisposition::parse(" Session ;\r\n Handling = OPTIONAL ").unwrap();
        assert!(d.is("session"));
        assert_eq!(d.disp_type(), "Session");
        assert_eq!(d.handling(), Handling::Optional);
        let d = ContentDisposition::parse("render").unwrap();
        assert_eq!(d.handling(), Handling::Required);
        let d = ContentDisposition::parse("icon;handling=maybe;size=2").unwrap();
        assert_eq!(d.handling(), Handling::Other("maybe"));
        assert_eq!(d.params.get("size"), Some(Some("2")));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(ContentDisposition::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            ContentDisposition::parse("\"session\""),
            Err(HeaderError::Expected {
                expected: "disposition type",
                at: 0
            })
        );
        assert_eq!(
            ContentDisposition::parse("session;"),
            Err(HeaderError::Param { at: 8 })
        );
        assert_eq!(
            ContentDisposition::parse("session render"),
            Err(HeaderError::Expected {
                expected: "';' or end of value",
                at: 8
            })
        );
        assert!(ContentDisposition::new("a b").is_err());
    }

    #[test]
    fn round_trips() {
        for d in [
            ContentDisposition::session(),
            ContentDisposition::render().with_handling(true),
            ContentDisposition::new("x-custom")
                .unwrap()
                .with_handling(false),
        ] {
            let s = d.to_string();
            assert_eq!(ContentDisposition::parse(&s).unwrap(), d, "{s}");
        }
        assert_eq!(
            ContentDisposition::render().with_handling(true).to_string(),
            "render;handling=optional"
        );
    }
}
