//! Header fields: the ordered collection kept in every message, the [`Header`] trait of typed
//! headers, and one file per typed header.
//!
//! A [`Headers`] keeps each field's exact text (name as written, folding, spacing), so
//! unknown headers, their order and their spelling survive a parse → serialize round trip.
//! Typed values are decoded on demand from that text and borrow from it:
//!
//! ```
//! use sipsimple_proto::sip::{Message, headers::Via};
//!
//! let msg = Message::parse(
//!     b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
//!       v: SIP/2.0/UDP host.example.com;branch=z9hG4bK1, SIP/2.0/TCP p.example.com;branch=z9hG4bK2\r\n\
//!       Max-Forwards: 70\r\n\
//!       X-Custom :  kept as is\r\n\r\n",
//! )
//! .unwrap();
//! let vias: Vec<Via<'_>> = msg.headers().typed::<Via<'_>>().collect::<Result<_, _>>().unwrap();
//! assert_eq!(vias[1].host(), "p.example.com");
//! assert_eq!(msg.headers().get_by_name("x-custom"), Some("kept as is"));
//! ```

#[macro_use]
mod macros;
mod name;

mod accept;
mod accept_encoding;
mod accept_language;
mod allow;
mod auth_param;
mod authentication_info;
mod authorization;
mod call_id;
mod contact;
mod content_disposition;
mod content_encoding;
mod content_language;
mod content_length;
mod content_type;
mod cseq;
mod date;
mod event;
mod expires;
mod from_to;
mod grammar;
mod max_forwards;
mod option_tags;
mod organization;
mod p_identity;
mod path;
mod priority;
mod privacy;
mod rack;
mod reason;
mod refer_to;
mod referred_by;
mod replaces;
mod retry_after;
mod route;
mod rseq;
mod service_route;
mod session_expires;
mod sip_etag;
mod subject;
mod subscription_state;
mod timestamp;
#[cfg(test)]
mod typed_tests;
mod user_agent;
mod via;
mod warning;
mod www_authenticate;

use std::fmt;
use std::marker::PhantomData;

pub use self::accept::Accept;
pub use self::accept_encoding::AcceptEncoding;
pub use self::accept_language::AcceptLanguage;
pub use self::allow::Allow;
pub use self::auth_param::AuthParam;
pub use self::authentication_info::AuthenticationInfo;
pub use self::authorization::{Authorization, Credentials, ProxyAuthorization};
pub use self::call_id::CallId;
pub use self::contact::Contact;
pub use self::content_disposition::{ContentDisposition, Handling};
pub use self::content_encoding::ContentEncoding;
pub use self::content_language::ContentLanguage;
pub use self::content_length::ContentLength;
pub use self::content_type::{ContentType, MediaType};
pub use self::cseq::Cseq;
pub use self::date::{Date, Month, Weekday};
pub use self::event::{AllowEvents, Event};
pub use self::expires::{Expires, MinExpires};
pub use self::from_to::{FromHeader, ToHeader};
pub use self::max_forwards::MaxForwards;
pub use self::name::HeaderName;
pub use self::option_tags::{ProxyRequire, Require, Supported, Unsupported};
pub use self::organization::Organization;
pub use self::p_identity::{PAssertedIdentity, PPreferredIdentity};
pub use self::path::Path;
pub use self::priority::{Priority, PriorityKind};
pub use self::privacy::Privacy;
pub use self::rack::RAck;
pub use self::reason::Reason;
pub use self::refer_to::ReferTo;
pub use self::referred_by::ReferredBy;
pub use self::replaces::Replaces;
pub use self::retry_after::RetryAfter;
pub use self::route::{RecordRoute, Route};
pub use self::rseq::RSeq;
pub use self::service_route::ServiceRoute;
pub use self::session_expires::{MinSe, Refresher, SessionExpires};
pub use self::sip_etag::{SipETag, SipIfMatch};
pub use self::subject::Subject;
pub use self::subscription_state::{SubState, SubscriptionReason, SubscriptionState};
pub use self::timestamp::Timestamp;
pub use self::user_agent::{ProductItem, ProductItems, Server, UserAgent};
pub use self::via::{Via, BRANCH_MAGIC_COOKIE};
pub use self::warning::Warning;
pub use self::www_authenticate::{Challenge, ProxyAuthenticate, WwwAuthenticate};
use super::error::{HeaderError, ParseError};
use super::text::{first_element, split_commas, trim_lws_start};

/// A typed header value.
///
/// For list headers (`LIST == true`: Via, Contact, Route, Allow, Supported, …) a value is one
/// element of the comma-separated list, so a line `Via: a, b` yields two values; other headers
/// yield one value per line. `Display` writes the value alone, without name.
pub trait Header<'a>: Sized + fmt::Display {
    /// The header this type decodes.
    const NAME: HeaderName;
    /// Whether one line may carry several comma-separated values (RFC 3261 §7.3.1).
    const LIST: bool;

    /// Decodes one value (one list element for list headers).
    fn parse(value: &'a str) -> Result<Self, HeaderError>;

    /// Decodes the list element at the start of `s` and returns it with the text after it,
    /// which is empty or starts with the `,` before the next element. The default finds the
    /// comma first; headers whose grammar ends each element by itself (Via, addresses)
    /// decode in one pass.
    fn parse_element(s: &'a str) -> Result<(Self, &'a str), HeaderError> {
        let (element, rest) = first_element(s);
        if element.is_empty() {
            return Err(HeaderError::Empty);
        }
        Self::parse(element).map(|v| (v, rest))
    }
}

/// Where one header field lies in the text of a [`Headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: HeaderName,
    /// Start of the line (the name).
    pub(crate) start: u32,
    /// End of the name as written.
    pub(crate) name_end: u32,
    /// Start of the value (after the colon and white space).
    pub(crate) value_start: u32,
    /// End of the value, trailing white space excluded.
    pub(crate) value_end: u32,
    /// End of the line, terminator excluded.
    pub(crate) end: u32,
}

/// The header fields of a message, in order, with their exact text.
#[derive(Clone, Default)]
pub struct Headers {
    /// Arena holding the text of every field; fields reference it by position, and text of
    /// removed fields stays until [`Headers::compact`] runs.
    text: String,
    entries: Vec<Entry>,
}

/// One header field as it appears in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The classified name.
    pub name: HeaderName,
    /// The name as written (for example `v` or `VIA`).
    pub name_str: &'a str,
    /// The value as written, leading and trailing white space removed, folds kept.
    pub value: &'a str,
    /// The whole line as written, without its terminator.
    pub line: &'a str,
}

impl Headers {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty collection with room for `fields` fields of about 40 bytes each.
    pub fn with_capacity(fields: usize) -> Self {
        Self {
            text: String::with_capacity(fields * 40),
            entries: Vec::with_capacity(fields),
        }
    }

    /// Adopts a header block found by the message parser; `entries` index into `text`.
    pub(crate) fn from_parts(text: String, entries: Vec<Entry>) -> Self {
        Self { text, entries }
    }

    /// Number of header fields (lines).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when there is no header field.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn field(&self, e: &Entry) -> HeaderField<'_> {
        let t = &self.text;
        HeaderField {
            name: e.name,
            name_str: &t[e.start as usize..e.name_end as usize],
            value: &t[e.value_start as usize..e.value_end as usize],
            line: &t[e.start as usize..e.end as usize],
        }
    }

    /// Iterates over the fields in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = HeaderField<'_>> + ExactSizeIterator {
        self.entries.iter().map(|e| self.field(e))
    }

    /// The raw values of every field named `name`, in order.
    pub fn get_all(&self, name: HeaderName) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(move |e| e.name == name)
            .map(|e| &self.text[e.value_start as usize..e.value_end as usize])
    }

    /// The raw value of the first field named `name`.
    pub fn get(&self, name: HeaderName) -> Option<&str> {
        self.get_all(name).next()
    }

    /// `true` when a field named `name` is present.
    pub fn contains(&self, name: HeaderName) -> bool {
        self.entries.iter().any(|e| e.name == name)
    }

    /// The raw values of every field whose name matches `name` (any case; compact and long
    /// forms of known headers are the same header).
    pub fn get_all_by_name<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        let kind = HeaderName::from_name(name.as_bytes());
        self.iter()
            .filter(move |f| {
                f.name == kind
                    && (kind != HeaderName::Other || f.name_str.eq_ignore_ascii_case(name))
            })
            .map(|f| f.value)
    }

    /// The raw value of the first field whose name matches `name`.
    pub fn get_by_name<'s>(&'s self, name: &'s str) -> Option<&'s str> {
        self.get_all_by_name(name).next()
    }

    /// Decodes every value of the typed header `T`, in order; list headers yield one item per
    /// list element. A line with an empty value yields nothing for a list header (`Supported:`
    /// is legal), but an empty element between commas is an error.
    pub fn typed<'a, T: Header<'a>>(&'a self) -> Typed<'a, T> {
        Typed {
            headers: self,
            next_entry: 0,
            current: None,
            _marker: PhantomData,
        }
    }

    /// The first value of `T`, if any.
    pub fn first<'a, T: Header<'a>>(&'a self) -> Option<Result<T, ParseError>> {
        self.typed::<T>().next()
    }

    /// The one value of `T`: an error when absent ([`ParseError::MissingHeader`]) or present
    /// more than once ([`ParseError::MultipleValues`]).
    pub fn single<'a, T: Header<'a>>(&'a self) -> Result<T, ParseError> {
        let name = T::NAME.canonical().unwrap_or("extension");
        let mut found = None;
        for e in &self.entries {
            if e.name == T::NAME {
                if found.is_some() {
                    return Err(ParseError::MultipleValues { name });
                }
                found = Some(e);
            }
        }
        let e = found.ok_or(ParseError::MissingHeader { name })?;
        let value = &self.text[e.value_start as usize..e.value_end as usize];
        if T::LIST {
            let mut parts = split_commas(value);
            let first = parts.next().unwrap_or("");
            if parts.next().is_some() {
                return Err(ParseError::MultipleValues { name });
            }
            if first.is_empty() {
                return Err(ParseError::MissingHeader { name });
            }
            return T::parse(first).map_err(|error| self.error_at(e, error));
        }
        T::parse(value).map_err(|error| self.error_at(e, error))
    }

    fn error_at(&self, e: &Entry, error: HeaderError) -> ParseError {
        header_error(&self.text[e.start as usize..e.name_end as usize], error)
    }

    /// Decodes every field that has a typed form ([`check_field`]) and reports the first that
    /// fails, with its name as written.
    pub fn check(&self) -> Result<(), ParseError> {
        for e in &self.entries {
            check_field(&self.field(e)).map_err(|error| self.error_at(e, error))?;
        }
        Ok(())
    }

    /// Appends a field with the canonical spelling of `name`. CR and LF in `value` become
    /// spaces, so a value can never add a header line of its own.
    ///
    /// # Panics
    /// If `name` is [`HeaderName::Other`]; use [`Headers::push_raw`] for those.
    pub fn push(&mut self, name: HeaderName, value: &str) {
        let canon = name
            .canonical()
            .expect("HeaderName::Other has no canonical spelling; use push_raw");
        self.push_line(name, canon, value, self.entries.len());
    }

    /// Appends a field with any name; the value is taken as is (see [`Headers::push`] for
    /// line breaks).
    ///
    /// # Panics
    /// If `name` is not a token: header names come from code, never from peers.
    pub fn push_raw(&mut self, name: &str, value: &str) {
        assert!(
            super::text::is_token(name),
            "header name {name:?} is not a token"
        );
        let kind = HeaderName::from_name(name.as_bytes());
        self.push_line(kind, name, value, self.entries.len());
    }

    /// Appends a typed value.
    pub fn push_typed<'a, T: Header<'a>>(&mut self, value: &T) {
        let v = value.to_string();
        self.push(T::NAME, &v);
    }

    /// Inserts a typed value before every other field of the same name (a new top Via).
    pub fn prepend_typed<'a, T: Header<'a>>(&mut self, value: &T) {
        let v = value.to_string();
        let at = self
            .entries
            .iter()
            .position(|e| e.name == T::NAME)
            .unwrap_or(self.entries.len());
        let canon = T::NAME.canonical().unwrap_or("X");
        self.push_line(T::NAME, canon, &v, at);
    }

    /// Inserts a field at position `index` (0 is first).
    pub fn insert(&mut self, index: usize, name: HeaderName, value: &str) {
        let canon = name
            .canonical()
            .expect("HeaderName::Other has no canonical spelling; use push_raw");
        self.push_line(name, canon, value, index.min(self.entries.len()));
    }

    fn push_line(&mut self, kind: HeaderName, name: &str, value: &str, at: usize) {
        let start = self.text.len();
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(": ");
        let value_start = self.text.len();
        // A line break in a value would end the field and start another one (header
        // injection); a fold means a space anyway (RFC 3261 §7.3.1).
        if value.contains(['\r', '\n']) {
            self.text
                .push_str(value.replace(['\r', '\n'], " ").trim_end());
        } else {
            self.text.push_str(value);
        }
        let end = self.text.len();
        let entry = Entry {
            name: kind,
            start: start as u32,
            name_end: name_end as u32,
            value_start: value_start as u32,
            value_end: end as u32,
            end: end as u32,
        };
        self.entries.insert(at, entry);
    }

    /// Replaces every field named `name` by one field with `value`, at the position of the
    /// first one (or at the end).
    pub fn set(&mut self, name: HeaderName, value: &str) {
        let at = self.entries.iter().position(|e| e.name == name);
        self.remove(name);
        let canon = name
            .canonical()
            .expect("HeaderName::Other has no canonical spelling; use push_raw");
        self.push_line(name, canon, value, at.unwrap_or(self.entries.len()));
    }

    /// Replaces the value of the first field named `name` in place (the top Via, say); returns
    /// whether there was one. CR and LF in `value` become spaces.
    pub fn set_first(&mut self, name: HeaderName, value: &str) -> bool {
        let Some(i) = self.entries.iter().position(|e| e.name == name) else {
            return false;
        };
        let old = self.entries.remove(i);
        let name_text = self.text[old.start as usize..old.name_end as usize].to_owned();
        self.push_line(name, &name_text, value, i);
        true
    }

    /// Replaces every field of `T` by one typed value.
    pub fn set_typed<'a, T: Header<'a>>(&mut self, value: &T) {
        let v = value.to_string();
        self.set(T::NAME, &v);
    }

    /// Removes every field named `name`; returns how many were removed.
    pub fn remove(&mut self, name: HeaderName) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.name != name);
        let removed = before - self.entries.len();
        self.maybe_compact();
        removed
    }

    /// Removes the first field named `name` (the top Via, say); returns whether one was there.
    pub fn remove_first(&mut self, name: HeaderName) -> bool {
        match self.entries.iter().position(|e| e.name == name) {
            Some(i) => {
                self.entries.remove(i);
                self.maybe_compact();
                true
            }
            None => false,
        }
    }

    /// Removes every field whose name matches `name` as written (any case, compact forms).
    pub fn remove_by_name(&mut self, name: &str) -> usize {
        let kind = HeaderName::from_name(name.as_bytes());
        let before = self.entries.len();
        let text = &self.text;
        self.entries.retain(|e| {
            !(e.name == kind
                && (kind != HeaderName::Other
                    || text[e.start as usize..e.name_end as usize].eq_ignore_ascii_case(name)))
        });
        before - self.entries.len()
    }

    fn live_bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|e| (e.end - e.start) as usize)
            .sum()
    }

    fn maybe_compact(&mut self) {
        if self.text.len() > 4096 && self.text.len() > 2 * self.live_bytes() {
            self.compact();
        }
    }

    /// Drops the text of removed fields.
    pub fn compact(&mut self) {
        let mut text = String::with_capacity(self.live_bytes());
        for e in &mut self.entries {
            let base = text.len() as u32;
            text.push_str(&self.text[e.start as usize..e.end as usize]);
            let shift = |x: u32| x - e.start + base;
            *e = Entry {
                name: e.name,
                start: base,
                name_end: shift(e.name_end),
                value_start: shift(e.value_start),
                value_end: shift(e.value_end),
                end: shift(e.end),
            };
        }
        self.text = text;
    }

    /// Writes every field followed by CRLF.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for e in &self.entries {
            out.extend_from_slice(&self.text.as_bytes()[e.start as usize..e.end as usize]);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The serialized size of the fields, CRLFs included.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .iter()
            .map(|e| (e.end - e.start) as usize + 2)
            .sum()
    }
}

impl PartialEq for Headers {
    /// Two collections are equal when they hold the same lines in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.line == b.line)
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|h| h.line)).finish()
    }
}

fn header_error(name: &str, error: HeaderError) -> ParseError {
    ParseError::Header {
        name: name.to_owned(),
        error,
    }
}

/// Iterator over the decoded values of one typed header, from [`Headers::typed`].
#[derive(Debug)]
pub struct Typed<'a, T> {
    headers: &'a Headers,
    next_entry: usize,
    /// What is left of the current line (list headers), with that line's entry.
    current: Option<(&'a str, &'a Entry)>,
    _marker: PhantomData<fn() -> T>,
}

impl<'a, T: Header<'a>> Iterator for Typed<'a, T> {
    type Item = Result<T, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let h = self.headers;
        loop {
            if let Some((rest, e)) = self.current.take() {
                let rest = trim_lws_start(rest);
                // An empty element: between two commas, or after a trailing one.
                if rest.is_empty() || rest.starts_with(',') {
                    self.current = rest.strip_prefix(',').map(|r| (r, e));
                    return Some(Err(h.error_at(e, HeaderError::Empty)));
                }
                return Some(match T::parse_element(rest) {
                    Ok((value, after)) => {
                        let after = trim_lws_start(after);
                        if after.is_empty() {
                            Ok(value)
                        } else if let Some(next) = after.strip_prefix(',') {
                            self.current = Some((next, e));
                            Ok(value)
                        } else {
                            // The element stopped short of a comma: skip to the next one.
                            self.current = first_element(after).1.strip_prefix(',').map(|r| (r, e));
                            Err(h.error_at(
                                e,
                                HeaderError::Expected {
                                    expected: "',' or end of value",
                                    at: h.text[e.value_start as usize..e.value_end as usize].len()
                                        - after.len(),
                                },
                            ))
                        }
                    }
                    Err(error) => {
                        self.current = first_element(rest).1.strip_prefix(',').map(|r| (r, e));
                        Err(h.error_at(e, error))
                    }
                });
            }
            let offset = h.entries[self.next_entry..]
                .iter()
                .position(|e| e.name == T::NAME)?;
            let e = &h.entries[self.next_entry + offset];
            self.next_entry += offset + 1;
            let value = &h.text[e.value_start as usize..e.value_end as usize];
            if !T::LIST {
                return Some(T::parse(value).map_err(|error| h.error_at(e, error)));
            }
            if !value.is_empty() {
                self.current = Some((value, e));
            }
        }
    }
}

/// Decodes one field with the typed header of its name — every list element for list
/// headers — and reports the first fault. Fields without a typed form are `Ok`. Diagnostics
/// and fuzzing use it; applications decode the headers they need with [`Headers::typed`].
pub fn check_field(field: &HeaderField<'_>) -> Result<(), HeaderError> {
    fn check<'a, T: Header<'a>>(value: &'a str) -> Result<(), HeaderError> {
        if !T::LIST {
            return T::parse(value).map(drop);
        }
        if value.is_empty() {
            return Ok(());
        }
        for v in split_commas(value) {
            if v.is_empty() {
                return Err(HeaderError::Empty);
            }
            T::parse(v)?;
        }
        Ok(())
    }
    fn dispatch<'a>(name: HeaderName, value: &'a str) -> Result<(), HeaderError> {
        macro_rules! by_name {
            ($($t:ty,)*) => {
                $(if name == <$t as Header<'a>>::NAME {
                    return check::<$t>(value);
                })*
            };
        }
        by_name!(
            Accept<'a>,
            AcceptEncoding<'a>,
            AcceptLanguage<'a>,
            Allow,
            AuthenticationInfo<'a>,
            Authorization<'a>,
            ProxyAuthorization<'a>,
            CallId<'a>,
            Contact<'a>,
            ContentDisposition<'a>,
            ContentEncoding<'a>,
            ContentLanguage<'a>,
            ContentLength,
            ContentType<'a>,
            Cseq,
            Date,
            AllowEvents<'a>,
            Event<'a>,
            Expires,
            MinExpires,
            FromHeader<'a>,
            ToHeader<'a>,
            MaxForwards,
            ProxyRequire<'a>,
            Require<'a>,
            Supported<'a>,
            Unsupported<'a>,
            Organization<'a>,
            PAssertedIdentity<'a>,
            PPreferredIdentity<'a>,
            Path<'a>,
            Priority<'a>,
            Privacy<'a>,
            RAck,
            Reason<'a>,
            ReferTo<'a>,
            ReferredBy<'a>,
            Replaces<'a>,
            RetryAfter<'a>,
            RecordRoute<'a>,
            Route<'a>,
            RSeq,
            ServiceRoute<'a>,
            MinSe<'a>,
            SessionExpires<'a>,
            SipETag<'a>,
            SipIfMatch<'a>,
            Subject<'a>,
            SubscriptionState<'a>,
            Timestamp<'a>,
            Server<'a>,
            UserAgent<'a>,
            Via<'a>,
            Warning<'a>,
            ProxyAuthenticate<'a>,
            WwwAuthenticate<'a>,
        );
        Ok(())
    }
    dispatch(field.name, field.value)
}

/// Parses `1*DIGIT` (leading zeros allowed, RFC 4475 §3.1.1.1) into `T`; a value that does not
/// fit is [`HeaderError::OutOfRange`] (RFC 4475 §3.1.2.4).
pub(crate) fn parse_decimal<T: TryFrom<u64>>(
    s: &str,
    what: &'static str,
) -> Result<T, HeaderError> {
    if s.is_empty() {
        return Err(HeaderError::Empty);
    }
    let mut acc: u64 = 0;
    for (i, b) in s.bytes().enumerate() {
        if !b.is_ascii_digit() {
            return Err(HeaderError::Expected {
                expected: "decimal digit",
                at: i,
            });
        }
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(b - b'0')))
            .ok_or(HeaderError::OutOfRange { what })?;
    }
    T::try_from(acc).map_err(|_| HeaderError::OutOfRange { what })
}
