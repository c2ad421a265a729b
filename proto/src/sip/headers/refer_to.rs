//! Refer-To (RFC 3515 §2.1; RFC 3891 §3 for an embedded Replaces).

use super::{Header, HeaderName, Replaces};
use crate::sip::error::HeaderError;
use crate::sip::text::{percent_decode, percent_encode_into};
use crate::sip::uri::{Scheme, Uri};

address_header!(
    /// Refer-To (RFC 3515 §2.1): the target a REFER asks the recipient to contact, with
    /// parameters. Compact form `r`. The URI may carry embedded headers
    /// (`<sip:bob@b.example?Replaces=...>`, RFC 3515 §2.2) that the recipient copies into
    /// the request it sends; [`ReferTo::replaces`] decodes an embedded Replaces
    /// (RFC 3891 §3, attended transfer). A URI with embedded headers needs the angle
    /// brackets (RFC 3261 §20.10); [`Display`](std::fmt::Display) always writes them.
    ReferTo,
    HeaderName::ReferTo,
    list = false
);

/// `hvalue` characters kept as they are when escaping an embedded header value (RFC 3261
/// §25.1 `unreserved` minus the marks some parsers mishandle).
fn is_hvalue_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*')
}

impl ReferTo<'_> {
    /// The Replaces embedded in the URI (`?Replaces=<escaped value>`, header name compared
    /// case-insensitively): `None` when absent, an error when its value does not decode to
    /// UTF-8 or is not a valid Replaces.
    pub fn replaces(&self) -> Option<Result<Replaces<'static>, HeaderError>> {
        let (_, raw) = self
            .uri()
            .headers()
            .find(|(name, _)| name.eq_ignore_ascii_case("Replaces"))?;
        let decoded = match String::from_utf8(percent_decode(raw).into_owned()) {
            Ok(d) => d,
            Err(e) => {
                return Some(Err(HeaderError::Expected {
                    expected: "UTF-8 in the embedded Replaces",
                    at: e.utf8_error().valid_up_to(),
                }))
            }
        };
        Some(Replaces::parse(&decoded).map(Replaces::into_owned))
    }

    /// A Refer-To for an attended transfer (RFC 3891 §3): `target` (a `sip:` or `sips:` URI)
    /// with `replaces` embedded as a URI header, escaped; headers already in `target` are
    /// kept and a Replaces among them is replaced.
    pub fn with_replaces(
        target: &Uri<'_>,
        replaces: &Replaces<'_>,
    ) -> Result<ReferTo<'static>, HeaderError> {
        if !matches!(target.scheme(), Scheme::Sip | Scheme::Sips) {
            return Err(HeaderError::Uri(crate::sip::UriError::Scheme));
        }
        let text = target.as_str();
        // The headers are the end of the URI text, after a `?`.
        let base = target
            .headers_str()
            .and_then(|h| text.get(..text.len().saturating_sub(h.len() + 1)))
            .unwrap_or(text);
        let mut s = String::with_capacity(text.len() + 64);
        s.push_str(base);
        let mut sep = '?';
        for (name, value) in target.headers() {
            if !name.eq_ignore_ascii_case("Replaces") {
                s.push(sep);
                s.push_str(name);
                s.push('=');
                s.push_str(value);
                sep = '&';
            }
        }
        s.push(sep);
        s.push_str("Replaces=");
        percent_encode_into(&mut s, replaces.to_string().as_bytes(), is_hvalue_plain);
        Ok(ReferTo::new(Uri::parse_owned(s)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_target() {
        let r = ReferTo::parse(" \"Bob\" <sip:bob@biloxi.example.net> ;x=1").unwrap();
        assert_eq!(r.uri().as_str(), "sip:bob@biloxi.example.net");
        assert_eq!(r.display_name().as_deref(), Some("Bob"));
        assert!(r.params.contains("x"));
        assert!(r.replaces().is_none());
        let r = ReferTo::parse("sip:carol@cleveland.example.org").unwrap();
        assert_eq!(r.to_string(), "<sip:carol@cleveland.example.org>");
    }

    /// RFC 3891 §6.1 / RFC 5589 style attended transfer target.
    #[test]
    fn embedded_replaces() {
        let r = ReferTo::parse(
            "<sips:bob@bob.example.com?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>",
        )
        .unwrap();
        let rep = r.replaces().unwrap().unwrap();
        assert_eq!(rep.call_id(), "12345@192.168.118.3");
        assert_eq!(rep.to_tag(), "12345");
        assert_eq!(rep.from_tag(), "5FFE-3994");
        let r =
            ReferTo::parse("<sip:b@h?x=1&replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2%3Bearly-only>")
                .unwrap();
        assert!(r.replaces().unwrap().unwrap().early_only());
    }

    #[test]
    fn bad_embedded_replaces() {
        let r = ReferTo::parse("<sip:b@h?Replaces=abc%3Bto-tag%3D1>").unwrap();
        assert_eq!(
            r.replaces(),
            Some(Err(HeaderError::Expected {
                expected: "from-tag parameter",
                at: 12
            }))
        );
        let r = ReferTo::parse("<sip:b@h?Replaces=a%FF%3Bto-tag%3D1%3Bfrom-tag%3D2>").unwrap();
        assert_eq!(
            r.replaces(),
            Some(Err(HeaderError::Expected {
                expected: "UTF-8 in the embedded Replaces",
                at: 1
            }))
        );
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(ReferTo::parse(""), Err(HeaderError::Empty));
        assert!(ReferTo::parse("<sip:b@h").is_err());
        assert!(ReferTo::parse("sip:b@h?Replaces=x").is_err());
        assert!(ReferTo::parse("<sip:b@h>;").is_err());
        assert!(ReferTo::parse("<sip:b@h>, <sip:c@h>").is_err());
    }

    #[test]
    fn builds_attended_transfer() {
        let target = Uri::parse("sip:bob@b.example;transport=tcp?Subject=hi&Replaces=old").unwrap();
        let rep = Replaces::new("a84b@pc33", "t 1", "f\"2")
            .unwrap()
            .with_early_only();
        let r = ReferTo::with_replaces(&target, &rep).unwrap();
        let s = r.to_string();
        assert!(
            s.starts_with("<sip:bob@b.example;transport=tcp?Subject=hi&Replaces=a84b%40pc33%3B")
        );
        let back = ReferTo::parse(&s).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.replaces(), Some(Ok(rep)));
        assert_eq!(back.uri().transport(), Some("tcp"));
        let odd = Uri::parse("sip:we?ird@h?X=1").unwrap();
        let r = ReferTo::with_replaces(&odd, &Replaces::new("a", "b", "c").unwrap()).unwrap();
        assert_eq!(
            r.uri().as_str(),
            "sip:we?ird@h?X=1&Replaces=a%3Bto-tag%3Db%3Bfrom-tag%3Dc"
        );
        let tel = Uri::parse("tel:+1-201-555-0123").unwrap();
        assert!(ReferTo::with_replaces(&tel, &Replaces::new("a", "b", "c").unwrap()).is_err());
    }
}
