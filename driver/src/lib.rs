//! sipsimple: a SIP SIMPLE client SDK.
//!
//! This crate will wire the sans-IO cores of [`sipsimple_proto`] to the world on smol —
//! sockets, timers, DNS, storage and the audio engine — behind the middleware API
//! (`SipApplication`, accounts, sessions, streams, notifications). Today it re-exports the
//! protocol cores and ships the `sipsimple` command-line tool, whose `check` subcommand
//! parses and validates SIP messages and SDP bodies.
#![forbid(unsafe_code)]

pub use sipsimple_proto as proto;

pub mod configuration;
pub mod storage;
