//! STUN client transactions (RFC 8489 §6.2): retransmissions over UDP, one send and a timeout
//! over TCP/TLS, responses matched by transaction id.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Class, Error, IntegrityKey, Message, MessageBuf, TransactionId};
use crate::rand::Random;

/// The transport a request goes over, which decides how it is retransmitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// An unreliable transport: retransmit at RTO, 2×RTO, … (RFC 8489 §6.2.1).
    Udp,
    /// A reliable transport (TCP, TLS): one send, then wait Ti (RFC 8489 §6.2.2).
    Tcp,
}

/// The timing of client transactions (RFC 8489 §6.2.1, §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// The initial retransmission timeout, RTO (default 500 ms; RFC 8445 §14.3 lets ICE
    /// derive it from the pacing). Values above a minute are taken as a minute.
    pub rto: Duration,
    /// Rc: how many times a request is sent over UDP in all (default 7).
    pub max_transmissions: u32,
    /// Rm: after the last send, the transaction waits Rm × RTO (default 16).
    pub final_wait: u32,
    /// Ti: how long a request over TCP waits for its response (default 39.5 s).
    pub reliable_timeout: Duration,
    /// The longest gap between two retransmissions (default: no limit, the RFC's
    /// doubling). ICE connectivity checks cap it (RFC 8445 §14.3 leaves their timing to the
    /// agent) so that a check still gets its Rc tries within seconds on a lossy path.
    pub max_rto: Duration,
    /// How many transactions a [`Client`] holds at once, counting those whose outcome
    /// has not been polled yet (default 256).
    pub max_outstanding: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_transmissions: 7,
            final_wait: 16,
            reliable_timeout: Duration::from_millis(39_500),
            max_rto: Duration::MAX,
            max_outstanding: 256,
        }
    }
}

/// The timer a transaction waits on, for debugging and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The next retransmission of the request.
    Retransmit,
    /// The end of the transaction without a response.
    Timeout,
}

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The transaction the request belongs to.
    pub id: TransactionId,
    /// Where to send it.
    pub destination: SocketAddr,
    /// Over which transport.
    pub transport: Transport,
    /// The request, the same bytes on every retransmission.
    pub payload: Bytes,
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A success response.
    Success(MessageBuf),
    /// An error response with its ERROR-CODE.
    ErrorResponse {
        /// The error code (300..=699).
        code: u16,
        /// The whole response (for UNKNOWN-ATTRIBUTES, REALM, NONCE, …).
        response: MessageBuf,
    },
    /// No response came in time.
    Timeout,
}

/// The end of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The transaction.
    pub id: TransactionId,
    /// Where its request went.
    pub destination: SocketAddr,
    /// How it ended.
    pub outcome: Outcome,
}

/// One STUN request and its retransmissions, until a response or a timeout (RFC 8489 §6.2).
///
/// Inputs: [`Self::handle_response`], [`Self::handle_timeout`]. A request sent with
/// credentials is given their key with [`Self::require_integrity`], and then a response
/// without a matching MESSAGE-INTEGRITY (or MESSAGE-INTEGRITY-SHA256) is dropped as if never
/// received, retransmissions going on (RFC 8489 §9.1.4, §9.2.5); without it, the caller
/// checks integrity before handing the response over. Outputs: [`Self::poll_transmit`] (the
/// request, first right after construction), [`Self::poll_event`] (once, at the end),
/// [`Self::poll_timeout`].
/// Over UDP the request goes out at 0, RTO, 3×RTO, 7×RTO, … until Rc sends, and the
/// transaction times out Rm×RTO after the last; over TCP it goes out once and times out
/// after Ti.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    id: TransactionId,
    destination: SocketAddr,
    transport: Transport,
    request: Bytes,
    request_type: super::MessageType,
    config: ClientConfig,
    /// Transmissions so far, counting the one pending.
    sent: u32,
    /// The gap before the next retransmission.
    interval: Duration,
    timer: Option<(Timer, Instant)>,
    transmit_pending: bool,
    event: Option<Event>,
    /// The key responses must be protected with.
    key: Option<IntegrityKey>,
}

impl ClientTransaction {
    /// Starts a transaction for `request` (an encoded STUN request) to `destination`.
    pub fn new(
        now: Instant,
        destination: SocketAddr,
        transport: Transport,
        request: impl Into<Bytes>,
        config: ClientConfig,
    ) -> Result<Self, Error> {
        let request = request.into();
        let m = Message::parse(&request)?;
        if m.class() != Class::Request {
            return Err(Error::NotARequest);
        }
        let config = ClientConfig {
            rto: config.rto.min(Duration::from_secs(60)),
            max_transmissions: config.max_transmissions.max(1),
            ..config
        };
        let timer = match transport {
            Transport::Udp if config.max_transmissions > 1 => {
                (Timer::Retransmit, later(now, config.rto))
            }
            Transport::Udp => (Timer::Timeout, later(now, final_wait(&config))),
            Transport::Tcp => (Timer::Timeout, later(now, config.reliable_timeout)),
        };
        Ok(Self {
            id: m.transaction_id(),
            destination,
            transport,
            request_type: m.message_type(),
            request,
            config,
            sent: 1,
            interval: config.rto,
            timer: Some(timer),
            transmit_pending: true,
            event: None,
            key: None,
        })
    }

    /// Accepts only responses protected with `key`: the key of the credentials the request
    /// was sent with (for ICE, the remote password).
    #[must_use]
    pub fn require_integrity(mut self, key: IntegrityKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The transaction id.
    #[must_use]
    pub fn id(&self) -> TransactionId {
        self.id
    }

    /// Where the request goes.
    #[must_use]
    pub fn destination(&self) -> SocketAddr {
        self.destination
    }

    /// The timer waited on and when it fires; `None` once the transaction has ended.
    #[must_use]
    pub fn timer(&self) -> Option<(Timer, Instant)> {
        self.timer
    }

    /// How many times the request has been handed out for sending (or is about to be).
    #[must_use]
    pub fn transmissions(&self) -> u32 {
        self.sent
    }

    /// Whether the transaction has ended and its event has been polled.
    #[must_use]
    pub fn is_terminated(&self) -> bool {
        self.timer.is_none() && self.event.is_none() && !self.transmit_pending
    }

    /// Takes a response. Returns true if it belongs here (same transaction id and method,
    /// a response class, for an error response a valid ERROR-CODE, and the required
    /// integrity) and so ends the transaction; anything else is ignored.
    pub fn handle_response(&mut self, _now: Instant, response: &Message<'_>) -> bool {
        if self.timer.is_none()
            || response.transaction_id() != self.id
            || response.method() != self.request_type.method
        {
            return false;
        }
        let outcome = match response.class() {
            Class::SuccessResponse => Outcome::Success(MessageBuf::from_message(response)),
            Class::ErrorResponse => match response.error_code() {
                Ok(Some(e)) => Outcome::ErrorResponse {
                    code: e.code,
                    response: MessageBuf::from_message(response),
                },
                // RFC 8489 §6.3.4: a response that cannot be processed is discarded.
                _ => return false,
            },
            Class::Request | Class::Indication => return false,
        };
        if let Some(key) = &self.key {
            let verified = if response.has_integrity_sha256() {
                response.verify_integrity_sha256(key)
            } else {
                response.verify_integrity(key)
            };
            if verified.is_err() {
                return false;
            }
        }
        self.finish(outcome);
        true
    }

    /// Fires the timer if it is due: a retransmission or the timeout. Early or repeated calls
    /// do nothing. A wake so late that several retransmissions were due sends the request
    /// once and counts them all, so that the transaction still ends when the RFC schedule
    /// says and no deadline is left in the past.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((timer, at)) = self.timer {
            if now < at {
                return;
            }
            match timer {
                Timer::Retransmit => {
                    self.transmit_pending = true;
                    self.sent += 1;
                    self.interval = self.interval.saturating_mul(2).min(self.config.max_rto);
                    // Scheduled from the due time, not from `now`, so that a late wake does
                    // not shift every later retransmission.
                    self.timer = Some(if self.sent < self.config.max_transmissions {
                        (Timer::Retransmit, later(at, self.interval))
                    } else {
                        (Timer::Timeout, later(at, final_wait(&self.config)))
                    });
                }
                Timer::Timeout => self.finish(Outcome::Timeout),
            }
        }
    }

    /// The request to send, if one is due.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if !std::mem::take(&mut self.transmit_pending) {
            return None;
        }
        Some(Transmit {
            id: self.id,
            destination: self.destination,
            transport: self.transport,
            payload: self.request.clone(),
        })
    }

    /// The outcome, once.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.event.take()
    }

    /// When to call [`Self::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|(_, at)| at)
    }

    fn finish(&mut self, outcome: Outcome) {
        self.timer = None;
        self.transmit_pending = false;
        self.event = Some(Event {
            id: self.id,
            destination: self.destination,
            outcome,
        });
    }
}

/// Several client transactions keyed by transaction id, with a bound on how many are
/// outstanding: what an ICE agent or a STUN/TURN client drives.
///
/// Inputs: [`Self::send_request`] and [`Self::send_authenticated_request`] (commands),
/// [`Self::handle_response`],
/// [`Self::handle_timeout`], [`Self::cancel`]. Outputs: [`Self::poll_transmit`],
/// [`Self::poll_event`], [`Self::poll_timeout`], drained in that order. The transmit queue
/// holds at most Rc entries per transaction and the event queue one per transaction, both
/// within [`ClientConfig::max_outstanding`].
#[derive(Debug)]
pub struct Client<R> {
    config: ClientConfig,
    rng: R,
    transactions: BTreeMap<TransactionId, ClientTransaction>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl<R: Random> Client<R> {
    /// A client with no transactions; transaction ids come from `rng`.
    pub fn new(config: ClientConfig, rng: R) -> Self {
        Self {
            config,
            rng,
            transactions: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A fresh random transaction id, not in use here, for the next request to build.
    pub fn transaction_id(&mut self) -> TransactionId {
        let mut id = TransactionId::random(&mut self.rng);
        // 96 random bits collide only with a broken generator; a few tries keep this bounded
        // and `send_request` refuses the duplicate then.
        for _ in 0..4 {
            if !self.transactions.contains_key(&id) {
                break;
            }
            id = TransactionId::random(&mut self.rng);
        }
        id
    }

    /// Starts a transaction for `request`, an encoded STUN request (its transaction id from
    /// [`Self::transaction_id`]). Errors: not a request, an id already in use, or the client
    /// full.
    pub fn send_request(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        transport: Transport,
        request: impl Into<Bytes>,
    ) -> Result<TransactionId, Error> {
        self.start(now, destination, transport, request.into(), None)
    }

    /// Like [`Self::send_request`] for a request protected with `key`: responses must be
    /// protected with it too, or they are dropped (see
    /// [`ClientTransaction::require_integrity`]). What an ICE agent uses for its checks.
    pub fn send_authenticated_request(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        transport: Transport,
        request: impl Into<Bytes>,
        key: &IntegrityKey,
    ) -> Result<TransactionId, Error> {
        self.start(now, destination, transport, request.into(), Some(key))
    }

    fn start(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        transport: Transport,
        request: Bytes,
        key: Option<&IntegrityKey>,
    ) -> Result<TransactionId, Error> {
        let limit = self.config.max_outstanding;
        if self.transactions.len() + self.events.len() >= limit {
            return Err(Error::TooManyTransactions { limit });
        }
        let mut t = ClientTransaction::new(now, destination, transport, request, self.config)?;
        if let Some(key) = key {
            t = t.require_integrity(key.clone());
        }
        let id = t.id();
        if self.transactions.contains_key(&id) {
            return Err(Error::DuplicateTransaction);
        }
        self.transmits.extend(t.poll_transmit());
        self.transactions.insert(id, t);
        Ok(id)
    }

    /// Stops a transaction without an event (its request is no longer wanted). Returns
    /// whether it was outstanding.
    pub fn cancel(&mut self, id: TransactionId) -> bool {
        self.transmits.retain(|t| t.id != id);
        self.transactions.remove(&id).is_some()
    }

    /// Takes a response (for transactions started with [`Self::send_request`], one whose
    /// integrity the caller has checked). Returns true if it ended an outstanding
    /// transaction; stray, duplicate, mismatched or unauthenticated responses are ignored.
    pub fn handle_response(&mut self, now: Instant, response: &Message<'_>) -> bool {
        let id = response.transaction_id();
        let Some(t) = self.transactions.get_mut(&id) else {
            return false;
        };
        if !t.handle_response(now, response) {
            return false;
        }
        self.transmits.retain(|t| t.id != id);
        self.events.extend(t.poll_event());
        self.transactions.remove(&id);
        true
    }

    /// Fires every due timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut ended = Vec::new();
        for (id, t) in &mut self.transactions {
            t.handle_timeout(now);
            self.transmits.extend(t.poll_transmit());
            if let Some(e) = t.poll_event() {
                self.events.push_back(e);
                ended.push(*id);
            }
        }
        for id in ended {
            self.transmits.retain(|t| t.id != id);
            self.transactions.remove(&id);
        }
    }

    /// The next request to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next ended transaction.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest timer of the outstanding transactions.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.transactions
            .values()
            .filter_map(ClientTransaction::poll_timeout)
            .min()
    }

    /// An outstanding transaction.
    #[must_use]
    pub fn transaction(&self, id: TransactionId) -> Option<&ClientTransaction> {
        self.transactions.get(&id)
    }

    /// How many transactions are outstanding.
    #[must_use]
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether no transaction is outstanding.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }
}

fn final_wait(config: &ClientConfig) -> Duration {
    config.rto.saturating_mul(config.final_wait)
}

/// `t + d`, or `t` if the sum is not representable (the timer then fires at once rather
/// than never).
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or(t)
}
