//! Interactive Connectivity Establishment (RFC 8445) for the media streams: candidates with
//! their priorities, foundations and SDP form (RFC 8839), and the check list of a data stream
//! with the order of checks and the effect of their outcomes.
//!
//! The agent that sends the connectivity checks (over STUN), nominates, keeps
//! consent (RFC 7675) and reports the seed's `RTPTransportICENegotiation*` events builds on
//! these parts.

mod candidate;
mod checklist;

pub use self::candidate::{
    local_preference, priority, type_preference, Candidate, CandidateError, Foundations, Role,
};
pub use self::checklist::{pair_priority, CheckList, Pair, PairState, MAX_PAIRS};
