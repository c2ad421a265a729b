//! The direction attributes `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`
//! (RFC 4566 §6) and the RFC 3264 rules built on them.

use std::fmt;

/// Which way media flows, from the point of view of the side that wrote the description
/// (RFC 4566 §6, RFC 3264 §5.1).
///
/// Absent at media level, a stream takes the session-level attribute, and absent there too,
/// `sendrecv` (RFC 4566 §6): see
/// [`MediaDescription::effective_direction`](crate::sdp::MediaDescription::effective_direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `sendrecv`: send and receive (the default).
    #[default]
    SendRecv,
    /// `sendonly`: send only.
    SendOnly,
    /// `recvonly`: receive only.
    RecvOnly,
    /// `inactive`: neither.
    Inactive,
}

impl Direction {
    /// The attribute name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction named by an attribute name, if it is one of the four.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The direction with the given capabilities.
    #[must_use]
    pub fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// True if the writer of the description sends media.
    #[must_use]
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// True if the writer of the description receives media.
    #[must_use]
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same flow seen from the other side: `sendonly` ⇄ `recvonly`; `sendrecv` and
    /// `inactive` stay.
    #[must_use]
    pub fn reverse(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// What both directions allow.
    #[must_use]
    pub fn intersect(self, other: Self) -> Self {
        Self::from_flags(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }

    /// The direction to answer an `offered` stream with, given what the answerer is willing to
    /// do (`local`, from its own point of view): RFC 3264 §6.1 — a `sendonly` offer is answered
    /// `recvonly` or `inactive`, a `recvonly` offer `sendonly` or `inactive`, an `inactive`
    /// offer `inactive`, and a `sendrecv` offer with any of the four.
    #[must_use]
    pub fn answer(offered: Self, local: Self) -> Self {
        offered.reverse().intersect(local)
    }

    /// The direction to offer to put a stream on hold (RFC 3264 §8.4): `sendonly` if it was
    /// `sendrecv`, `inactive` if it was `recvonly`; `sendonly` and `inactive` stay.
    #[must_use]
    pub fn on_hold(self) -> Self {
        Self::from_flags(self.sends(), false)
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::{self, *};

    const ALL: [Direction; 4] = [SendRecv, SendOnly, RecvOnly, Inactive];

    #[test]
    fn rfc3264_s6_1_answer_rules() {
        // An answerer willing to do anything mirrors the offer.
        assert_eq!(Direction::answer(SendOnly, SendRecv), RecvOnly);
        assert_eq!(Direction::answer(RecvOnly, SendRecv), SendOnly);
        assert_eq!(Direction::answer(SendRecv, SendRecv), SendRecv);
        assert_eq!(Direction::answer(Inactive, SendRecv), Inactive);
        for local in ALL {
            assert!(matches!(
                Direction::answer(SendOnly, local),
                RecvOnly | Inactive
            ));
            assert!(matches!(
                Direction::answer(RecvOnly, local),
                SendOnly | Inactive
            ));
            assert_eq!(Direction::answer(Inactive, local), Inactive);
            assert_eq!(Direction::answer(SendRecv, local), local);
        }
    }

    #[test]
    fn reverse_is_an_involution() {
        for d in ALL {
            assert_eq!(d.reverse().reverse(), d);
            assert_eq!(Direction::from_name(d.as_str()), Some(d));
        }
        assert_eq!(SendOnly.reverse(), RecvOnly);
        assert_eq!(Direction::from_name("SENDRECV"), None);
    }

    #[test]
    fn rfc3264_s8_4_hold() {
        assert_eq!(SendRecv.on_hold(), SendOnly);
        assert_eq!(RecvOnly.on_hold(), Inactive);
        assert_eq!(SendOnly.on_hold(), SendOnly);
        assert_eq!(Inactive.on_hold(), Inactive);
    }
}
