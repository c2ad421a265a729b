//! Interactive Connectivity Establishment (RFC 8445) for the media streams: candidates with
//! their priorities, foundations and SDP form (RFC 8839), and the check list of a data stream
//! with the order of checks and the effect of their outcomes.
//!
//! [`IceAgent`] runs the negotiation over them: gathering, connectivity checks over
//! [`crate::stun`], nomination, role conflicts, consent freshness (RFC 7675) and restarts,
//! with events from which the driver makes the seed's `RTPTransportICENegotiation*`
//! notifications.

mod agent;
mod candidate;
mod checklist;
#[cfg(test)]
mod tests;

pub use self::agent::{IceAgent, IceConfig, IceError, IceEvent, IceState, Nomination, Transmit};
pub use self::candidate::{
    local_preference, priority, type_preference, Candidate, CandidateError, Foundations, Role,
};
pub use self::checklist::{pair_priority, CheckList, Pair, PairState, MAX_PAIRS};
