//! Subscription-State (RFC 6665 §8.2.3, §4.1.3).

use std::borrow::Cow;
use std::fmt;

use super::grammar::token_and_params;
use super::{parse_decimal, Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::is_token;

/// The state of a subscription (RFC 6665 §8.2.3 `substate-value`), compared
/// case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubState<'a> {
    /// `active`: the subscription was accepted.
    Active,
    /// `pending`: the subscription was received but not yet authorized.
    Pending,
    /// `terminated`: the subscription is over (see [`SubscriptionState::reason`]).
    Terminated,
    /// An `extension-substate`, as written; RFC 6665 §4.1.3 treats it as `active` if it
    /// carries `expires`, otherwise ignores it.
    Other(&'a str),
}

/// Why a subscription was terminated or deferred (RFC 6665 §4.1.3 `event-reason-value`),
/// compared case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionReason<'a> {
    /// `deactivated`: retry immediately with a new subscription.
    Deactivated,
    /// `probation`: retry later (after `retry-after` if given).
    Probation,
    /// `rejected`: the subscription was refused; do not retry.
    Rejected,
    /// `timeout`: the subscription was not refreshed in time; retry immediately.
    Timeout,
    /// `giveup`: the notifier could not get authorization in time; retry later.
    Giveup,
    /// `noresource`: the resource does not exist any more; do not retry.
    Noresource,
    /// `invariant`: the resource state will never change; do not retry.
    Invariant,
    /// An `event-reason-extension`, as written.
    Other(&'a str),
}

impl<'a> SubscriptionReason<'a> {
    fn from_token(t: &'a str) -> Self {
        const KNOWN: [(&str, SubscriptionReason<'static>); 7] = [
            ("deactivated", SubscriptionReason::Deactivated),
            ("probation", SubscriptionReason::Probation),
            ("rejected", SubscriptionReason::Rejected),
            ("timeout", SubscriptionReason::Timeout),
            ("giveup", SubscriptionReason::Giveup),
            ("noresource", SubscriptionReason::Noresource),
            ("invariant", SubscriptionReason::Invariant),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| t.eq_ignore_ascii_case(name))
            .map_or(Self::Other(t), |&(_, r)| r)
    }

    /// The reason token (the canonical spelling for known reasons).
    pub fn as_str(&self) -> &'a str {
        match *self {
            Self::Deactivated => "deactivated",
            Self::Probation => "probation",
            Self::Rejected => "rejected",
            Self::Timeout => "timeout",
            Self::Giveup => "giveup",
            Self::Noresource => "noresource",
            Self::Invariant => "invariant",
            Self::Other(t) => t,
        }
    }

    /// `true` when RFC 6665 §4.1.3 allows the subscriber to retry: `deactivated`, `timeout`
    /// (at once), `probation`, `giveup` (later) and unknown reasons (as `probation` would).
    pub fn may_retry(&self) -> bool {
        !matches!(self, Self::Rejected | Self::Noresource | Self::Invariant)
    }
}

/// The Subscription-State header of a NOTIFY (RFC 6665 §8.2.3): `substate-value
/// *( SEMI subexp-params )`, with `reason`, `expires` and `retry-after` among the parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionState<'a> {
    state: Cow<'a, str>,
    /// The parameters (`reason`, `expires`, `retry-after` and extensions).
    pub params: Params<'a>,
}

impl<'a> SubscriptionState<'a> {
    /// `active;expires=<expires>`.
    pub fn active(expires: u32) -> SubscriptionState<'static> {
        Self::with_state("active").with_u32("expires", expires)
    }

    /// `pending;expires=<expires>`.
    pub fn pending(expires: u32) -> SubscriptionState<'static> {
        Self::with_state("pending").with_u32("expires", expires)
    }

    /// `terminated`, with a `reason` when given.
    pub fn terminated(reason: Option<SubscriptionReason<'_>>) -> SubscriptionState<'static> {
        let mut s = Self::with_state("terminated");
        if let Some(r) = reason {
            s.params.set("reason", Some(r.as_str()));
        }
        s
    }

    /// A state of any name; an error when `state` is not a token.
    pub fn new(state: &str) -> Result<SubscriptionState<'static>, HeaderError> {
        if !is_token(state) {
            return Err(HeaderError::Expected {
                expected: "subscription state token",
                at: 0,
            });
        }
        Ok(SubscriptionState {
            state: Cow::Owned(state.to_owned()),
            params: Params::new(),
        })
    }

    fn with_state(state: &'static str) -> SubscriptionState<'static> {
        SubscriptionState {
            state: Cow::Borrowed(state),
            params: Params::new(),
        }
    }

    fn with_u32(mut self, name: &str, v: u32) -> Self {
        self.params.set(name, Some(&v.to_string()));
        self
    }

    /// Builder: sets `expires` (seconds left).
    pub fn with_expires(self, expires: u32) -> Self {
        self.with_u32("expires", expires)
    }

    /// Builder: sets `retry-after` (seconds).
    pub fn with_retry_after(self, seconds: u32) -> Self {
        self.with_u32("retry-after", seconds)
    }

    /// The state as written.
    pub fn state_str(&self) -> &str {
        &self.state
    }

    /// The state.
    pub fn state(&self) -> SubState<'_> {
        let s: &str = &self.state;
        if s.eq_ignore_ascii_case("active") {
            SubState::Active
        } else if s.eq_ignore_ascii_case("pending") {
            SubState::Pending
        } else if s.eq_ignore_ascii_case("terminated") {
            SubState::Terminated
        } else {
            SubState::Other(s)
        }
    }

    /// The `reason` parameter.
    pub fn reason(&self) -> Option<SubscriptionReason<'_>> {
        self.params
            .get("reason")
            .flatten()
            .map(SubscriptionReason::from_token)
    }

    /// The `expires` parameter in seconds; `None` when absent or not a 32-bit number.
    pub fn expires(&self) -> Option<u32> {
        parse_decimal(self.params.get("expires").flatten()?, "expires").ok()
    }

    /// The `retry-after` parameter in seconds; `None` when absent or not a 32-bit number.
    pub fn retry_after(&self) -> Option<u32> {
        parse_decimal(self.params.get("retry-after").flatten()?, "retry-after").ok()
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> SubscriptionState<'static> {
        SubscriptionState {
            state: Cow::Owned(self.state.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl<'a> Header<'a> for SubscriptionState<'a> {
    const NAME: HeaderName = HeaderName::SubscriptionState;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (state, params) = token_and_params(value, "subscription state")?;
        Ok(Self {
            state: Cow::Borrowed(state),
            params,
        })
    }
}

impl fmt::Display for SubscriptionState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.state, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_params() {
        let s = SubscriptionState::parse(" Active ;\r\n expires = 3600").unwrap();
        assert_eq!(s.state(), SubState::Active);
        assert_eq!(s.state_str(), "Active");
        assert_eq!(s.expires(), Some(3600));
        assert_eq!(s.reason(), None);
        let s = SubscriptionState::parse("terminated;reason=NoResource;retry-after=60").unwrap();
        assert_eq!(s.state(), SubState::Terminated);
        assert_eq!(s.reason(), Some(SubscriptionReason::Noresource));
        assert!(!s.reason().unwrap().may_retry());
        assert_eq!(s.retry_after(), Some(60));
        let s = SubscriptionState::parse("pending;reason=x-new;expires=99999999999").unwrap();
        assert_eq!(s.state(), SubState::Pending);
        assert_eq!(s.reason(), Some(SubscriptionReason::Other("x-new")));
        assert!(s.reason().unwrap().may_retry());
        assert_eq!(s.expires(), None);
        let s = SubscriptionState::parse("waiting").unwrap();
        assert_eq!(s.state(), SubState::Other("waiting"));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(SubscriptionState::parse(""), Err(HeaderError::Empty));
        assert_eq!(
            SubscriptionState::parse(";expires=1"),
            Err(HeaderError::Expected {
                expected: "subscription state",
                at: 0
            })
        );
        assert_eq!(
            SubscriptionState::parse("active;expires="),
            Err(HeaderError::Param { at: 15 })
        );
        assert!(SubscriptionState::parse("active expires=1").is_err());
        assert!(SubscriptionState::new("act ive").is_err());
    }

    #[test]
    fn round_trips() {
        for s in [
            SubscriptionState::active(600),
            SubscriptionState::pending(0).with_expires(30),
            SubscriptionState::terminated(None),
            SubscriptionState::terminated(Some(SubscriptionReason::Probation)).with_retry_after(5),
            SubscriptionState::terminated(Some(SubscriptionReason::Other("x"))),
            SubscriptionState::new("x-state").unwrap(),
        ] {
            let text = s.to_string();
            assert_eq!(SubscriptionState::parse(&text).unwrap(), s, "{text}");
        }
        assert_eq!(
            SubscriptionState::terminated(Some(SubscriptionReason::Timeout)).to_string(),
            "terminated;reason=timeout"
        );
        assert_eq!(
            SubscriptionState::active(600).to_string(),
            "active;expires=600"
        );
    }
}
