//! Event and Allow-Events (RFC 6665 §8.2.1, §8.2.2, §8.4).

use std::borrow::Cow;
use std::fmt;

use super::grammar::{params_after, scan, skip_lws};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::{is_token_char, trim_lws};

/// Checks an `event-type` (RFC 6665 §8.4): `event-package *( "." event-template )`, each
/// part a non-empty `token-nodot`. Returns the offset of the first fault.
fn check_event_type(s: &str) -> Result<(), usize> {
    let mut at = 0;
    for part in s.split('.') {
        if part.is_empty() {
            return Err(at);
        }
        if let Some(bad) = part.bytes().position(|b| !is_token_char(b)) {
            return Err(at + bad);
        }
        at += part.len() + 1;
    }
    Ok(())
}

fn event_type_error(at: usize) -> HeaderError {
    HeaderError::Expected {
        expected: "event type (package.template)",
        at,
    }
}

/// The Event header (RFC 6665 §8.2.1): the event package of a SUBSCRIBE or NOTIFY, with its
/// templates (`presence.winfo`) and parameters (`id` distinguishes several subscriptions in one
/// dialog). Compact form `o`.
///
/// For matching a NOTIFY to its SUBSCRIBE, event types and `id` values compare byte for byte
/// (RFC 6665 §8.2.1); [`Event::is`] and [`Event::matches`] do that.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    event_type: Cow<'a, str>,
    /// The parameters (`id` and package-specific ones).
    pub params: Params<'a>,
}

impl<'a> Event<'a> {
    /// An Event for `event_type` (`presence`, `presence.winfo`, `refer`…) without
    /// parameters; an error when it is not an event type.
    pub fn new(event_type: &str) -> Result<Event<'static>, HeaderError> {
        check_event_type(event_type).map_err(event_type_error)?;
        Ok(Event {
            event_type: Cow::Owned(event_type.to_owned()),
            params: Params::new(),
        })
    }

    /// The whole event type as written (`presence.winfo`).
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// `true` when the event type is exactly `event_type`.
    pub fn is(&self, event_type: &str) -> bool {
        *self.event_type == *event_type
    }

    /// The event package (`presence` of `presence.winfo`).
    pub fn package(&self) -> &str {
        self.event_type.split('.').next().unwrap_or("")
    }

    /// The event templates, in order (`winfo` of `presence.winfo`).
    pub fn templates(&self) -> impl Iterator<Item = &str> {
        self.event_type.split('.').skip(1)
    }

    /// The `id` parameter (RFC 6665 §8.2.1), unquoted.
    pub fn id(&self) -> Option<Cow<'_, str>> {
        self.params.get_unquoted("id")
    }

    /// Builder: sets the `id` parameter.
    pub fn with_id(mut self, id: &str) -> Self {
        self.params.set("id", Some(id));
        self
    }

    /// `true` when `self` and `other` name the same subscription: equal event types and equal
    /// `id` parameters, both absent counting as equal (RFC 6665 §8.2.1).
    pub fn matches(&self, other: &Event<'_>) -> bool {
        self.event_type == other.event_type && self.id() == other.id()
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            event_type: Cow::Owned(self.event_type.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for Event<'a> {
    const NAME: HeaderName = HeaderName::Event;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let b = value.as_bytes();
        let start = skip_lws(b, 0);
        if start == b.len() {
            return Err(HeaderError::Empty);
        }
        let end = scan(b, start, is_token_char);
        let event_type = &value[start..end];
        check_event_type(event_type).map_err(|at| event_type_error(start + at))?;
        let params = params_after(value, end)?;
        Ok(Self {
            event_type: Cow::Borrowed(event_type),
            params,
        })
    }
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.event_type, self.params)
    }
}

/// One Allow-Events value (RFC 6665 §8.2.2): an event type the sender accepts subscriptions
/// to. Compact form `u`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AllowEvents<'a>(Cow<'a, str>);

impl<'a> AllowEvents<'a> {
    /// A value holding `event_type`; an error when it is not an event type.
    pub fn new(event_type: &str) -> Result<AllowEvents<'static>, HeaderError> {
        check_event_type(event_type).map_err(event_type_error)?;
        Ok(AllowEvents(Cow::Owned(event_type.to_owned())))
    }

    /// The event type.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The event package (`presence` of `presence.winfo`).
    pub fn package(&self) -> &str {
        self.0.split('.').next().unwrap_or("")
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> AllowEvents<'static> {
        AllowEvents(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> Header<'a> for AllowEvents<'a> {
    const NAME: HeaderName = HeaderName::AllowEvents;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let v = trim_lws(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let lead = value.len() - crate::sip::text::trim_lws_start(value).len();
        check_event_type(v).map_err(|at| event_type_error(lead + at))?;
        Ok(Self(Cow::Borrowed(v)))
    }
}

impl fmt::Display for AllowEvents<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    #[test]
    fn event_parts_and_id() {
        let e = Event::parse(" presence.winfo.x ;\r\n id = 77 ; other").unwrap();
        assert_eq!(e.event_type(), "presence.winfo.x");
        assert_eq!(e.package(), "presence");
        assert_eq!(e.templates().collect::<Vec<_>>(), ["winfo", "x"]);
        assert_eq!(e.id().as_deref(), Some("77"));
        assert!(e.params.contains("other"));
        let r = Event::parse("refer").unwrap();
        assert_eq!(r.templates().count(), 0);
        assert_eq!(r.id(), None);
        assert!(r.is("refer") && !r.is("Refer"));
        assert!(Event::parse("refer;id=1")
            .unwrap()
            .matches(&Event::parse("refer ; ID=1").unwrap()));
        assert!(!r.matches(&Event::parse("refer;id=1").unwrap()));
    }

    #[test]
    fn event_errors() {
        assert_eq!(Event::parse(" "), Err(HeaderError::Empty));
        assert_eq!(Event::parse(".presence"), Err(event_type_error(0)));
        assert_eq!(Event::parse(" presence..x"), Err(event_type_error(10)));
        assert_eq!(Event::parse("presence."), Err(event_type_error(9)));
        assert_eq!(Event::parse(";id=1"), Err(event_type_error(0)));
        let flag = Event::parse("presence;id").unwrap();
        assert!(flag.params.contains("id") && flag.id().is_none());
        assert_eq!(
            Event::parse("presence winfo"),
            Err(HeaderError::Expected {
                expected: "';' or end of value",
                at: 9
            })
        );
        assert_eq!(
            Event::parse("presence;=1"),
            Err(HeaderError::Param { at: 9 })
        );
        assert!(Event::new("a b").is_err());
    }

    #[test]
    fn event_round_trips() {
        for e in [
            Event::new("presence").unwrap(),
            Event::new("presence.winfo").unwrap().with_id("a b"),
            Event::new("presence.winfo").unwrap().with_id("\"x"),
            Event::new("dialog").unwrap().with_id("42").with_id("43"),
        ] {
            let s = e.to_string();
            assert_eq!(Event::parse(&s).unwrap(), e, "{s}");
        }
        assert_eq!(
            Event::new("dialog").unwrap().with_id("a b").id().as_deref(),
            Some("a b")
        );
    }

    #[test]
    fn allow_events_list() {
        let m = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nAllow-Events: presence, dialog,\r\n message-summary\r\nu: presence.winfo\r\n\r\n",
        )
        .unwrap();
        let v: Vec<_> = m
            .headers()
            .typed::<AllowEvents<'_>>()
            .map(|e| e.unwrap().to_string())
            .collect();
        assert_eq!(
            v,
            ["presence", "dialog", "message-summary", "presence.winfo"]
        );
        assert_eq!(
            AllowEvents::parse("presence.winfo").unwrap().package(),
            "presence"
        );
        assert_eq!(AllowEvents::parse(""), Err(HeaderError::Empty));
        assert_eq!(AllowEvents::parse(" a;b"), Err(event_type_error(2)));
        let a = AllowEvents::new("conference").unwrap();
        assert_eq!(AllowEvents::parse(&a.to_string()).unwrap(), a);
        assert!(AllowEvents::new("a..b").is_err());
    }
}
