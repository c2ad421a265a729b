//! SIP transactions (RFC 3261 §17, with the INVITE "Accepted" states of RFC 6026).
//!
//! Four machines — [`ClientTransaction`] and [`ServerTransaction`], each for INVITE or any
//! other method — that keep the retransmission and timeout timers of one transaction. They
//! know nothing of addresses: the endpoint sends what [`ClientTransaction::poll_transmit`]
//! gives to the transaction's destination and feeds back the responses and requests that
//! [`TransactionKey`] matched to it.
//!
//! # Inputs, outputs, time
//!
//! Inputs are `handle_*` methods and the server's `respond`; each takes `now` and only
//! enqueues work. Outputs are pulled: `poll_transmit` (bytes to send), `poll_event` (what the
//! transaction user must learn) and `poll_timeout` (the next instant at which to call
//! `handle_timeout`). Drain transmits, then events, then read the timeout. An early or repeated
//! `handle_timeout` does nothing; time that goes backwards is treated as no time passing.
//!
//! ```no_run
//! use std::time::Instant;
//!
//! use sipsimple_proto::sip::Response;
//! use sipsimple_proto::transaction::ClientTransaction;
//!
//! /// The driver's loop for one transaction: `now` reads its clock, `receive` waits for a
//! /// matched response until the deadline.
//! fn drive(
//!     mut tx: ClientTransaction,
//!     now: impl Fn() -> Instant,
//!     send: impl Fn(&[u8]),
//!     receive: impl Fn(Option<Instant>) -> Option<Response>,
//! ) {
//!     loop {
//!         while let Some(bytes) = tx.poll_transmit() {
//!             send(&bytes);
//!         }
//!         while let Some(event) = tx.poll_event() {
//!             println!("{event:?}");
//!         }
//!         if tx.is_terminated() {
//!             break;
//!         }
//!         match receive(tx.poll_timeout()) {
//!             Some(response) => tx.handle_response(now(), &response),
//!             None => tx.handle_timeout(now()),
//!         }
//!     }
//! }
//! ```

mod client;
mod key;
mod server;
mod timer;

use std::time::Duration;

use thiserror::Error;

pub use self::client::{ClientEvent, ClientState, ClientTransaction};
pub use self::key::{Direction, TransactionKey};
pub use self::server::{ServerEvent, ServerState, ServerTransaction};
pub use self::timer::Timer;

/// The timer base values of RFC 3261 §17.1.1.1 and Table 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Maximum retransmission interval for non-INVITE requests and INVITE responses
    /// (default 4 s).
    pub t2: Duration,
    /// Maximum duration a message remains in the network (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// Misuse of a transaction by its caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The request lacks what a transaction needs (a top Via with a branch, a CSeq).
    #[error("request cannot start a transaction: {0}")]
    BadRequest(&'static str),
    /// ACK never starts a client transaction (RFC 3261 §17.1).
    #[error("ACK is sent outside transactions")]
    AckTransaction,
    /// The response does not fit the transaction's state (a second final response, a
    /// provisional response after a final one, a 100 from the TU on INVITE).
    #[error("response not allowed in state {0}")]
    WrongState(&'static str),
}
