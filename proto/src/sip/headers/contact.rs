//! Contact (RFC 3261 §20.10; RFC 5626 `+sip.instance`, `reg-id`; RFC 5627 GRUUs).

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::name_addr::Address;
use crate::sip::text::{trim_lws, trim_lws_start};
use crate::sip::uri::Uri;

/// One Contact value: an address with parameters, or `*` (remove all bindings, only in a
/// REGISTER with `Expires: 0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Contact<'a> {
    /// `Contact: *`.
    Star,
    /// An address with its contact parameters.
    Address(Address<'a>),
}

impl<'a> Contact<'a> {
    /// A contact for `uri` without parameters.
    pub fn new(uri: Uri<'a>) -> Self {
        Self::Address(Address::new(uri))
    }

    /// `true` for `*`.
    pub fn is_star(&self) -> bool {
        matches!(self, Self::Star)
    }

    /// The address, unless this is `*`.
    pub fn address(&self) -> Option<&Address<'a>> {
        match self {
            Self::Star => None,
            Self::Address(a) => Some(a),
        }
    }

    /// The address for changing, unless this is `*`.
    pub fn address_mut(&mut self) -> Option<&mut Address<'a>> {
        match self {
            Self::Star => None,
            Self::Address(a) => Some(a),
        }
    }

    /// The URI, unless this is `*`.
    pub fn uri(&self) -> Option<&Uri<'a>> {
        self.address().map(Address::uri)
    }

    fn param(&self, name: &str) -> Option<Option<&str>> {
        self.address()?.params.get(name)
    }

    /// Whether the `isfocus` feature parameter is present: the contact is a conference focus
    /// (RFC 4579 §3.3, RFC 3840).
    pub fn is_focus(&self) -> bool {
        self.address().is_some_and(|a| a.params.contains("isfocus"))
    }

    /// Builder: adds the `isfocus` feature parameter (RFC 4579 §3.3); a `*` is unchanged.
    pub fn with_focus(mut self) -> Self {
        if let Some(a) = self.address_mut() {
            if !a.params.contains("isfocus") {
                a.params.push("isfocus", None);
            }
        }
        self
    }

    /// The `expires` parameter in seconds; values beyond `u32` saturate (RFC 3261 §20.19
    /// allows implementations to treat very large values as 2^32-1).
    pub fn expires(&self) -> Option<u32> {
        let v = self.param("expires")??;
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(v.parse().unwrap_or(u32::MAX))
    }

    /// The `q` preference (0.0..=1.0) in thousandths: `q=0.5` gives 500.
    pub fn q(&self) -> Option<u16> {
        super::grammar::parse_qvalue(self.param("q")??)
    }

    /// The `+sip.instance` parameter (RFC 5626 §4.1) without its quotes and angle brackets,
    /// for example `urn:uuid:…`.
    pub fn sip_instance(&self) -> Option<Cow<'_, str>> {
        let v = self.address()?.params.get_unquoted("+sip.instance")?;
        Some(match v {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim_start_matches('<').trim_end_matches('>')),
            Cow::Owned(o) => Cow::Owned(o.trim_start_matches('<').trim_end_matches('>').to_owned()),
        })
    }

    /// The `reg-id` parameter (RFC 5626).
    pub fn reg_id(&self) -> Option<u32> {
        self.param("reg-id")??.parse().ok()
    }

    /// The public GRUU a registrar returned (RFC 5627 `pub-gruu`), unquoted.
    pub fn pub_gruu(&self) -> Option<Cow<'_, str>> {
        self.address()?.params.get_unquoted("pub-gruu")
    }

    /// The temporary GRUU a registrar returned (RFC 5627 `temp-gruu`), unquoted.
    pub fn temp_gruu(&self) -> Option<Cow<'_, str>> {
        self.address()?.params.get_unquoted("temp-gruu")
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Contact<'static> {
        match self {
            Self::Star => Contact::Star,
            Self::Address(a) => Contact::Address(a.into_owned()),
        }
    }
}

impl<'a> Header<'a> for Contact<'a> {
    const NAME: HeaderName = HeaderName::Contact;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        if trim_lws(value) == "*" {
            return Ok(Self::Star);
        }
        Address::parse(value).map(Self::Address)
    }

    fn parse_element(s: &'a str) -> Result<(Self, &'a str), HeaderError> {
        // `*` is also a token, so `* <sip:a>` is an address whose display name is `*`.
        if let Some(rest) = trim_lws(s).strip_prefix('*') {
            let after = trim_lws_start(rest);
            if after.is_empty() || after.starts_with(',') {
                return Ok((Self::Star, rest));
            }
        }
        Address::parse_prefix(s).map(|(a, rest)| (Self::Address(a), rest))
    }
}

impl fmt::Display for Contact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Star => f.write_str("*"),
            Self::Address(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_display_name_is_an_address() {
        let mut h = crate::sip::headers::Headers::default();
        h.push(HeaderName::Contact, "* <sip:a>, *");
        let all: Vec<_> = h.typed::<Contact<'_>>().collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), 2);
        assert!(matches!(&all[0], Contact::Address(a) if a.display_name() == Some("*".into())));
        assert_eq!(all[1], Contact::Star);
    }

    #[test]
    fn focus() {
        let c = Contact::parse("<sip:conf@focus.example;transport=tcp>;isfocus").unwrap();
        assert!(c.is_focus());
        assert!(!Contact::parse("<sip:bob@b.example>").unwrap().is_focus());
        let made = Contact::new("sip:conf@focus.example".parse().unwrap())
            .with_focus()
            .with_focus();
        assert_eq!(made.to_string(), "<sip:conf@focus.example>;isfocus");
        assert!(!Contact::Star.with_focus().is_focus());
    }

    #[test]
    fn parameters() {
        let c = Contact::parse(
            "<sip:alice@192.0.2.10;transport=udp>;expires=3600;q=0.7;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1;pub-gruu=\"sip:alice@example.com;gr=urn:uuid:1\"",
        )
        .unwrap();
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(c.q(), Some(700));
        assert_eq!(
            c.sip_instance().as_deref(),
            Some("urn:uuid:00000000-0000-1000-8000-000A95A0E128")
        );
        assert_eq!(c.reg_id(), Some(1));
        assert_eq!(
            c.pub_gruu().as_deref(),
            Some("sip:alice@example.com;gr=urn:uuid:1")
        );
        assert_eq!(c.uri().unwrap().transport(), Some("udp"));
        assert!(Contact::parse(" * ").unwrap().is_star());
        assert_eq!(
            Contact::parse("<sip:a@b>;expires=10000000000")
                .unwrap()
                .expires(),
            Some(u32::MAX)
        );
        assert_eq!(Contact::parse("<sip:a@b>;q=1.5").unwrap().q(), None);
    }

    /// RFC 4475 §3.3.12: without angle brackets, `;unknownparam` belongs to the header.
    #[test]
    fn addr_spec_params_belong_to_header() {
        let c = Contact::parse("sip:user@host.example.com;unknownparam").unwrap();
        assert_eq!(c.uri().unwrap().as_str(), "sip:user@host.example.com");
        assert!(c.address().unwrap().params.contains("unknownparam"));
    }
}
