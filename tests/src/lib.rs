//! End-to-end tests of sipsimple-rs.
//!
//! This crate will hold the deterministic simulation harness (several endpoints, one virtual
//! clock, a seeded lossy network), end-to-end tests over real loopback sockets, and interop
//! tests against real peers. Protocol-level tests of the message layer live beside the code in
//! `sipsimple-proto`.
#![forbid(unsafe_code)]
