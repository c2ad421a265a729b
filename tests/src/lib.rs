//! End-to-end and simulation tests of sipsimple-rs.
//!
//! - [`agent`]: a user agent for three-party scenarios: one endpoint, several sessions, a
//!   script, and the automatic behaviour of a transferee, a transfer target and a focus.
//! - [`digest`]: a digest-checking server side (challenge, verify) for scenarios.
//! - [`forker`]: a forking proxy.
//! - [`netem`]: a sans-IO network emulator (latency, jitter, loss, duplication, reordering,
//!   MTU), seeded.
//! - [`phone`]: a phone for INVITE scenarios: an endpoint, one session and a script, with
//!   opaque bodies or real SDP.
//! - [`sim`]: endpoints on one virtual clock joined by the emulator; the loop always jumps to
//!   the earliest deadline or delivery, caps its steps and names the seed of a failing run.
//!
//! Scenario tests live in `tests/`, one per file.
#![forbid(unsafe_code)]

pub mod agent;
pub mod digest;
pub mod forker;
pub mod netem;
pub mod phone;
pub mod sim;
