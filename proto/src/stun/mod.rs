//! STUN (RFC 8489, and RFC 5389 which it obsoletes) with the ICE attributes of RFC 8445.
//!
//! - Messages: [`Message`] is a zero-copy view of a received message that validates the
//!   header and the attribute framing once and then iterates attributes without allocating;
//!   [`MessageBuilder`] appends a message to a caller's buffer. [`is_stun`] tells STUN
//!   packets apart from RTP/RTCP/DTLS on a shared socket.
//! - Attributes: [`Attribute`] decodes and encodes the attributes a client, a server and an
//!   ICE agent use; unknown comprehension-required attributes are reported
//!   ([`Message::unknown_required`]) so that a server can answer 420, and unknown
//!   comprehension-optional ones are skipped.
//! - Integrity: [`IntegrityKey`] holds the keyed HMAC states for MESSAGE-INTEGRITY and
//!   MESSAGE-INTEGRITY-SHA256 (short-term or long-term credentials); FINGERPRINT is CRC-32.
//! - Client transactions (RFC 8489 §6.2): [`ClientTransaction`] retransmits one request and
//!   reports its outcome; [`Client`] holds a bounded set of them keyed by [`TransactionId`].
//! - Server side (RFC 8489 §6.3, RFC 8445 §7.3): [`check_request`] authenticates a request
//!   with short-term credentials and says how to answer; [`success_response`] and
//!   [`error_response`] build the answers.
//!
//! # Inputs, outputs, time
//!
//! The transaction machines follow the crate's shape: `handle_response(now, …)` and
//! `handle_timeout(now)` only enqueue; `poll_transmit`, `poll_event` and `poll_timeout` pull
//! the results. Drain transmits, then events, then read the timeout. An early or repeated
//! `handle_timeout` does nothing, and time that goes backwards counts as no time passing.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::time::Instant;
//!
//! use sipsimple_proto::rand::SeededRandom;
//! use sipsimple_proto::stun::{
//!     Client, ClientConfig, IntegrityKey, Message, MessageBuilder, MessageType, Transport,
//! };
//!
//! /// One ICE connectivity check driven to its end: `now` reads the driver's clock, `send`
//! /// writes a datagram, `receive` waits for one until the deadline.
//! fn check(
//!     peer: SocketAddr,
//!     now: impl Fn() -> Instant,
//!     send: impl Fn(SocketAddr, &[u8]),
//!     receive: impl Fn(Option<Instant>) -> Option<Vec<u8>>,
//! ) {
//!     let key = IntegrityKey::short_term("remote-password");
//!     let mut client = Client::new(ClientConfig::default(), SeededRandom::new(7));
//!     let id = client.transaction_id();
//!     let mut buf = Vec::new();
//!     MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, id)
//!         .username("remote:local")
//!         .priority(0x6e00_01ff)
//!         .ice_controlling(0x1234_5678_9abc_def0)
//!         .use_candidate()
//!         .message_integrity(&key)
//!         .fingerprint()
//!         .finish()
//!         .expect("a small request fits");
//!     client.send_request(now(), peer, Transport::Udp, buf).expect("room for one request");
//!     loop {
//!         while let Some(t) = client.poll_transmit() {
//!             send(t.destination, &t.payload);
//!         }
//!         if let Some(event) = client.poll_event() {
//!             println!("{event:?}");
//!             return;
//!         }
//!         match receive(client.poll_timeout()) {
//!             Some(bytes) => {
//!                 // Integrity is checked before the transaction sees the response.
//!                 if let Ok(m) = Message::parse(&bytes) {
//!                     if m.verify_integrity(&key).is_ok() {
//!                         client.handle_response(now(), &m);
//!                     }
//!                 }
//!             }
//!             None => client.handle_timeout(now()),
//!         }
//!     }
//! }
//! ```

mod attribute;
mod error;
mod integrity;
mod message;
mod server;
mod transaction;

#[cfg(test)]
mod tests;

pub use self::attribute::{Attribute, AttributeType, ErrorCode, UnknownAttributes};
pub use self::error::Error;
pub use self::integrity::{fingerprint, IntegrityKey};
pub use self::message::{
    is_stun, message_length, Attributes, Class, Message, MessageBuf, MessageBuilder, MessageType,
    Method, RawAttribute, TransactionId, HEADER_LEN, MAGIC_COOKIE,
};
pub use self::server::{check_request, error_response, success_response, Rejection, Verdict};
pub use self::transaction::{
    Client, ClientConfig, ClientTransaction, Event, Outcome, Timer, Transmit, Transport,
};
