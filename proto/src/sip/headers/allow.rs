//! Allow (RFC 3261 §20.5).

use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::method::Method;
use crate::sip::text::{trim_lws, trim_lws_start};

/// One Allow value (RFC 3261 §20.5): a method the sender supports. Methods are
/// case-sensitive (§7.1), so `invite` is an extension method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Allow(pub Method);

impl Allow {
    /// The methods a SIMPLE user agent of this SDK commonly lists, in the usual order:
    /// INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, MESSAGE, SUBSCRIBE,
    /// NOTIFY, PUBLISH.
    pub fn common() -> Vec<Self> {
        [
            Method::Invite,
            Method::Ack,
            Method::Cancel,
            Method::Bye,
            Method::Options,
            Method::Prack,
            Method::Update,
            Method::Info,
            Method::Refer,
            Method::Message,
            Method::Subscribe,
            Method::Notify,
            Method::Publish,
        ]
        .into_iter()
        .map(Self)
        .collect()
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.0
    }
}

impl From<Method> for Allow {
    fn from(m: Method) -> Self {
        Self(m)
    }
}

impl<'a> Header<'a> for Allow {
    const NAME: HeaderName = HeaderName::Allow;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let v = trim_lws(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        Method::from_token(v)
            .map(Self)
            .ok_or(HeaderError::Expected {
                expected: "method token",
                at: value.len() - trim_lws_start(value).len(),
            })
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Message;

    #[test]
    fn methods() {
        let m = Message::parse(
            b"SIP/2.0 405 Method Not Allowed\r\n\
              Allow: INVITE, ACK,\r\n\tBYE,NEWMETHOD\r\nAllow: invite\r\n\r\n",
        )
        .unwrap();
        let a: Vec<_> = m
            .headers()
            .typed::<Allow>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(a[0], Allow(Method::Invite));
        assert_eq!(a[2].method(), &Method::Bye);
        assert_eq!(a[3], Allow(Method::from_token("NEWMETHOD").unwrap()));
        assert_eq!(a[4], Allow(Method::from_token("invite").unwrap()));
    }

    #[test]
    fn rejects_and_round_trips() {
        assert_eq!(Allow::parse(" "), Err(HeaderError::Empty));
        assert_eq!(
            Allow::parse(" IN VITE"),
            Err(HeaderError::Expected {
                expected: "method token",
                at: 1
            })
        );
        for a in Allow::common() {
            assert_eq!(Allow::parse(&a.to_string()).unwrap(), a);
        }
        let a = Allow::from(Method::from_token("X-FOO").unwrap());
        assert_eq!(Allow::parse(&a.to_string()).unwrap(), a);
    }
}
