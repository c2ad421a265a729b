//! Sans-IO protocol cores of sipsimple-rs.
//!
//! Every module here is pure: it takes bytes, commands and time in and gives actions out, and
//! never touches a socket, a clock, a thread, a file or a global random number generator. The
//! `sipsimple` crate wires these cores to the world.
//!
//! - [`sip`]: SIP messages (RFC 3261): parsing, serialization, URIs, typed headers, the stream
//!   framer for TCP/TLS, builders and multipart bodies.
//! - [`dialog`]: SIP dialogs (RFC 3261 §12): route sets, targets, CSeq rules, in-dialog requests.
//! - [`dns`]: DNS lookups of SIP proxies (RFC 3263), MSRP relays, STUN and XCAP servers.
//! - [`endpoint`]: the SIP endpoint: transports, Via, transaction routing, core answers.
//! - [`ice`]: ICE (RFC 8445): candidates, priorities, foundations, check lists.
//! - [`invite`]: INVITE sessions (RFC 3261 §13–§15): calls as caller and callee, CANCEL, ACK
//!   and 2xx retransmission, re-INVITE with glare handling, session timers (RFC 4028), UPDATE
//!   received (RFC 3311), call transfer (REFER, RFC 3515), BYE.
//! - [`payloads`]: bodies of event packages and REFER: RFC 4575 conference state with partial
//!   notifications, RFC 3420 `message/sipfrag`.
//! - [`rand`]: the injected source of randomness every machine takes.
//! - [`registration`]: the REGISTER client (RFC 3261 §10, RFC 5626, RFC 5627): bindings,
//!   refreshes, digest challenges, failover and retries.
//! - [`request`]: requests outside dialogs (MESSAGE, OPTIONS, PUBLISH, …): one at a time
//!   through digest challenges and failover; MESSAGE building and checking (RFC 3428).
//! - [`sdp`]: session descriptions (RFC 4566) with typed attributes (RTP, SRTP SDES, ICE, MSRP,
//!   file transfer) and the RFC 3264 offer/answer engine ([`sdp::negotiation`]: offers,
//!   answers, checking answers, re-offers for hold, added and removed streams).
//! - [`stun`]: STUN messages and attributes (RFC 8489, with the ICE attributes of RFC 8445),
//!   MESSAGE-INTEGRITY and FINGERPRINT, client transactions and the server's answers.
//! - [`subscription`]: event subscriptions, subscriber side (RFC 6665): SUBSCRIBE, NOTIFY,
//!   refresh, unsubscribe.
//! - [`transaction`]: SIP client and server transactions with their timers (RFC 3261 §17).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod dialog;
pub mod dns;
pub mod endpoint;
pub mod ice;
pub mod invite;
pub mod payloads;
pub mod rand;
pub mod registration;
pub mod request;
pub mod sdp;
pub mod sip;
pub mod stun;
pub mod subscription;
pub mod transaction;

#[cfg(feature = "fuzzing")]
pub mod fuzz;
