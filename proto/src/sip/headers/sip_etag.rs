//! SIP-ETag and SIP-If-Match (RFC 3903 §11.3.1, §11.3.2): one `entity-tag` token.

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{is_token, is_token_char, trim_lws, trim_lws_start};

/// Parses `LWS token LWS`.
fn entity_tag(value: &str) -> Result<&str, HeaderError> {
    let v = trim_lws(value);
    if v.is_empty() {
        return Err(HeaderError::Empty);
    }
    match v.bytes().position(|b| !is_token_char(b)) {
        None => Ok(v),
        Some(bad) => Err(HeaderError::Expected {
            expected: "entity-tag token",
            at: value.len() - trim_lws_start(value).len() + bad,
        }),
    }
}

macro_rules! etag_header {
    ($(#[$doc:meta])* $ty:ident, $name:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(Cow<'a, str>);

        impl<'a> $ty<'a> {
            /// A value holding the entity-tag `tag`; an error when it is not a token.
            pub fn new(tag: &str) -> Result<$ty<'static>, HeaderError> {
                if is_token(tag) {
                    Ok($ty(Cow::Owned(tag.to_owned())))
                } else {
                    Err(HeaderError::Expected {
                        expected: "entity-tag token",
                        at: 0,
                    })
                }
            }

            /// The entity-tag (compared byte for byte, RFC 3903 §4.1).
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Copies borrowed text so the value outlives its source.
            pub fn into_owned(self) -> $ty<'static> {
                $ty(Cow::Owned(self.0.into_owned()))
            }
        }

        impl<'a> Header<'a> for $ty<'a> {
            const NAME: HeaderName = $name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, HeaderError> {
                entity_tag(value).map(|t| Self(Cow::Borrowed(t)))
            }
        }

        impl fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

etag_header!(
    /// SIP-ETag (RFC 3903 §11.3.1): the entity-tag an event state compositor assigns to a
    /// publication, sent in the 2xx to PUBLISH.
    SipETag,
    HeaderName::SipETag
);

etag_header!(
    /// SIP-If-Match (RFC 3903 §11.3.2): the entity-tag of the publication a PUBLISH
    /// refreshes, modifies or removes.
    SipIfMatch,
    HeaderName::SipIfMatch
);

impl<'a> From<SipETag<'a>> for SipIfMatch<'a> {
    /// The SIP-If-Match that refers to a received SIP-ETag (RFC 3903 §4.1).
    fn from(e: SipETag<'a>) -> Self {
        Self(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(SipETag::parse(" dx200xyz ").unwrap().as_str(), "dx200xyz");
        assert_eq!(
            SipIfMatch::parse("\r\n kwj449x").unwrap().as_str(),
            "kwj449x"
        );
        assert_eq!(SipETag::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            SipETag::parse(" a b"),
            Err(HeaderError::Expected {
                expected: "entity-tag token",
                at: 2
            })
        );
        assert!(SipIfMatch::parse("\"quoted\"").is_err());
        assert!(SipETag::new("a;b").is_err());
        let e = SipETag::new("Ab-1.x").unwrap();
        assert_eq!(SipETag::parse(&e.to_string()).unwrap(), e);
        let m = SipIfMatch::from(e);
        assert_eq!(m.as_str(), "Ab-1.x");
        assert_eq!(SipIfMatch::parse(&m.to_string()).unwrap(), m);
    }
}
