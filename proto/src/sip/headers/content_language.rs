//! Content-Language (RFC 3261 §20.13).

use std::borrow::Cow;
use std::fmt;

use super::grammar::is_language_tag;
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::text::{trim_lws, trim_lws_start};

/// One Content-Language value (RFC 3261 §20.13): a `language-tag`
/// (`primary-tag *( "-" subtag )`, such as `en` or `fr-CA`) naming the language of the body.
/// Tags compare case-insensitively through [`ContentLanguage::is`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentLanguage<'a>(Cow<'a, str>);

impl<'a> ContentLanguage<'a> {
    /// A value holding `tag`; an error when it is not a language tag.
    pub fn new(tag: &str) -> Result<ContentLanguage<'static>, HeaderError> {
        ContentLanguage::parse(tag).map(ContentLanguage::into_owned)
    }

    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` when the tag is `tag`, compared case-insensitively.
    pub fn is(&self, tag: &str) -> bool {
        self.0.eq_ignore_ascii_case(tag)
    }

    /// The primary tag (`en` of `en-US`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or("")
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> ContentLanguage<'static> {
        ContentLanguage(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> Header<'a> for ContentLanguage<'a> {
    const NAME: HeaderName = HeaderName::ContentLanguage;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let v = trim_lws(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        if !is_language_tag(v) {
            return Err(HeaderError::Expected {
                expected: "language tag",
                at: value.len() - trim_lws_start(value).len(),
            });
        }
        Ok(Self(Cow::Borrowed(v)))
    }
}

impl fmt::Display for ContentLanguage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    #[test]
    fn tags() {
        let l = ContentLanguage::parse(" fr-CA ").unwrap();
        assert_eq!(l.as_str(), "fr-CA");
        assert!(l.is("FR-ca"));
        assert_eq!(l.primary(), "fr");
        assert_eq!(ContentLanguage::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            ContentLanguage::parse(" en_US"),
            Err(HeaderError::Expected {
                expected: "language tag",
                at: 1
            })
        );
        assert!(ContentLanguage::parse("toolongtag").is_err());
        assert!(ContentLanguage::new("1en").is_err());
        let m =
            Message::parse(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Language: en,\r\n\tes-419\r\n\r\n")
                .unwrap();
        let v: Vec<_> = m
            .headers()
            .typed::<ContentLanguage<'_>>()
            .map(|c| c.unwrap().to_string())
            .collect();
        assert_eq!(v, ["en", "es-419"]);
        let l = ContentLanguage::new("de-AT").unwrap();
        assert_eq!(ContentLanguage::parse(&l.to_string()).unwrap(), l);
    }
}
