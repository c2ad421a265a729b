//! sipsimple: a SIP SIMPLE client SDK.
//!
//! This crate wires the sans-IO cores of [`sipsimple_proto`] to the world on smol behind the
//! middleware API of the SIP SIMPLE client SDK. Today:
//!
//! - [`SipApplication`]: one engine thread per application with UDP and TCP transports on
//!   the address it is given, started and stopped with the SDK's `SIPApplication*`
//!   notifications; MESSAGE (RFC 3428) out with digest authentication and failover, and in
//!   as `SIPEngineGotMessage`.
//! - [`notification`]: the [`NotificationCenter`](notification::NotificationCenter) every
//!   component posts to, observed by name and/or sender.
//! - [`configuration`]: typed settings (`SipSimpleSettings`, accounts, the Bonjour account)
//!   with validation, persisted through a [`storage`] backend; each save reports the
//!   modified keys with their old and new values (`CFGSettingsObjectDidChange`).
//! - [`storage`]: `FileStorage` (atomic writes, a backup of the last good copy, damaged files
//!   reported and never replaced) and `MemoryStorage`.
//! - [`dns`]: the `DnsManager` (system nameservers, probing, fallback) and `DnsLookup` (RFC
//!   3263 SIP proxies, MSRP relays, STUN and XCAP servers over UDP and TCP), with the SDK's
//!   `DNSLookup*`, `DNSResolverDidInitialize` and `DNSNameserversDidChange` notifications.
//!
//! Accounts, registration, TLS and the rest of the middleware follow. The
//! `sipsimple` command-line tool ships with the crate; its `check` subcommand parses and
//! validates SIP messages and SDP bodies.
#![forbid(unsafe_code)]

pub mod account;
mod application;
pub mod audio;
pub mod configuration;
pub mod dns;
mod engine;
pub mod media;
pub mod notification;
mod routing;
pub mod runtime;
pub mod session;
pub mod storage;
pub mod tls;

pub use account::{Account, AccountManager};
pub use application::{local_ip, local_ipv6, SipApplication, StartError, StartOptions};
pub use engine::{KeepAlive, MessageDelivery, MessageError, OsRandom};
pub use session::{Session, SessionManager};
pub use sipsimple_proto as proto;
