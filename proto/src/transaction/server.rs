//! Server transactions (RFC 3261 §17.2, RFC 6026 §8.5–8.7).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::timer::{Timer, Timers};
use super::{Error, TimerConfig};
use crate::sip::{Method, Request, Response, StatusCode};

/// The states of a server transaction (RFC 3261 Figures 7 and 8, RFC 6026 Figure 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Non-INVITE request received, no response yet.
    Trying,
    /// A provisional response was sent (INVITE starts here, having sent 100 Trying).
    Proceeding,
    /// A final response was sent (any for non-INVITE, 300–699 for INVITE).
    Completed,
    /// The ACK for a non-2xx final response arrived (INVITE).
    Confirmed,
    /// A 2xx was sent to INVITE; INVITE retransmissions are absorbed until Timer L (RFC 6026).
    Accepted,
    /// Done.
    Terminated,
}

/// What a server transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// No ACK arrived for a non-2xx final response to INVITE (Timer H, §17.2.1).
    Timeout,
    /// The transport reported a failure (§17.2.4).
    TransportError,
    /// The transaction ended; the endpoint forgets it.
    Terminated,
}

/// One server transaction: answers retransmitted requests with the last response,
/// retransmits non-2xx final responses to INVITE until the ACK arrives, and keeps the
/// transaction around long enough to absorb late retransmissions. An INVITE server
/// transaction queues `100 Trying` as soon as it is created (§17.2.1).
#[derive(Debug)]
pub struct ServerTransaction {
    invite: bool,
    reliable: bool,
    config: TimerConfig,
    state: ServerState,
    last_response: Option<Bytes>,
    interval: Duration,
    timers: Timers,
    last_now: Instant,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ServerEvent>,
}

impl ServerTransaction {
    /// Starts a transaction for a received request. ACK never starts one (§17.2.3: an ACK
    /// matches the INVITE transaction it acknowledges, or goes to the UA core for a 2xx).
    pub fn new(
        now: Instant,
        request: &Request,
        reliable: bool,
        config: TimerConfig,
    ) -> Result<Self, Error> {
        if *request.method() == Method::Ack {
            return Err(Error::AckTransaction);
        }
        let invite = *request.method() == Method::Invite;
        let mut tx = Self {
            invite,
            reliable,
            config,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            last_response: None,
            interval: config.t1,
            timers: Timers::default(),
            last_now: now,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        if invite {
            let trying = Response::for_request(request, StatusCode::TRYING);
            tx.send(Bytes::from(trying.to_bytes()));
        }
        Ok(tx)
    }

    /// The state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// `true` once the transaction has ended.
    pub fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    /// Feeds a request matched to this transaction: a retransmission of the original
    /// request, or (INVITE) the ACK of a non-2xx final response. Returns `true` when the
    /// transaction absorbed it; an ACK in `Accepted` is not absorbed, since it acknowledges a
    /// 2xx and belongs to the dialog.
    pub fn handle_request(&mut self, now: Instant, request: &Request) -> bool {
        let now = self.clamp(now);
        let ack = *request.method() == Method::Ack;
        match self.state {
            ServerState::Terminated => false,
            ServerState::Completed if ack && self.invite => {
                // §17.2.1: the ACK confirms the non-2xx final response.
                self.timers.clear(Timer::G);
                self.timers.clear(Timer::H);
                self.state = ServerState::Confirmed;
                let wait = if self.reliable {
                    Duration::ZERO
                } else {
                    self.config.t4
                };
                self.timers.set(Timer::I, now + wait);
                self.handle_timeout(now);
                true
            }
            ServerState::Confirmed => true,
            ServerState::Accepted => !ack,
            _ if ack => false,
            ServerState::Proceeding | ServerState::Completed => {
                if let Some(last) = &self.last_response {
                    self.transmits.push_back(last.clone());
                }
                true
            }
            ServerState::Trying => true,
        }
    }

    /// Sends a response from the transaction user. For INVITE: provisional responses keep
    /// the transaction in `Proceeding`, a 2xx moves it to `Accepted` (the UA core
    /// retransmits 2xx itself and may pass further 2xx here), 300–699 to `Completed`. For
    /// other methods any final response moves it to `Completed`.
    pub fn respond(&mut self, now: Instant, response: &Response) -> Result<(), Error> {
        let now = self.clamp(now);
        let code = response.status().code();
        let bytes = || Bytes::from(response.to_bytes());
        match (self.invite, self.state) {
            (true, ServerState::Proceeding) => {
                self.send(bytes());
                if (200..300).contains(&code) {
                    self.state = ServerState::Accepted;
                    self.timers.set(Timer::L, now + 64 * self.config.t1);
                } else if code >= 300 {
                    self.state = ServerState::Completed;
                    if !self.reliable {
                        self.timers.set(Timer::G, now + self.config.t1);
                    }
                    self.timers.set(Timer::H, now + 64 * self.config.t1);
                }
            }
            (true, ServerState::Accepted) if (200..300).contains(&code) => {
                self.transmits.push_back(bytes());
            }
            (false, ServerState::Trying | ServerState::Proceeding) => {
                self.send(bytes());
                if code < 200 {
                    self.state = ServerState::Proceeding;
                } else {
                    self.state = ServerState::Completed;
                    let wait = if self.reliable {
                        Duration::ZERO
                    } else {
                        64 * self.config.t1
                    };
                    self.timers.set(Timer::J, now + wait);
                }
            }
            (_, state) => return Err(Error::WrongState(state_name(state))),
        }
        self.handle_timeout(now);
        Ok(())
    }

    /// Reports a transport failure while sending a response (§17.2.4).
    pub fn handle_transport_error(&mut self, now: Instant) {
        let _ = self.clamp(now);
        if self.state != ServerState::Terminated {
            self.events.push_back(ServerEvent::TransportError);
            self.terminate();
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        while let Some(t) = self.timers.pop_expired(now) {
            match t {
                Timer::G => {
                    if let Some(last) = &self.last_response {
                        self.transmits.push_back(last.clone());
                    }
                    self.interval = (self.interval * 2).min(self.config.t2);
                    self.timers.set(Timer::G, now + self.interval);
                }
                Timer::H => {
                    self.events.push_back(ServerEvent::Timeout);
                    self.terminate();
                }
                Timer::I | Timer::J | Timer::L => self.terminate(),
                // Client timers are never armed here.
                Timer::A | Timer::B | Timer::D | Timer::E | Timer::F | Timer::K | Timer::M => {}
            }
        }
    }

    /// The next bytes to send to the request's source (RFC 3261 §18.2.2).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// The next event for the transaction user.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When to call [`ServerTransaction::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next().map(|(_, at)| at)
    }

    /// Which timer the next deadline belongs to, for debugging.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        self.timers.next()
    }

    fn send(&mut self, bytes: Bytes) {
        self.transmits.push_back(bytes.clone());
        self.last_response = Some(bytes);
    }

    fn terminate(&mut self) {
        self.timers.clear_all();
        self.state = ServerState::Terminated;
        self.events.push_back(ServerEvent::Terminated);
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            self.last_now = now;
        }
        self.last_now
    }
}

fn state_name(s: ServerState) -> &'static str {
    match s {
        ServerState::Trying => "Trying",
        ServerState::Proceeding => "Proceeding",
        ServerState::Completed => "Completed",
        ServerState::Confirmed => "Confirmed",
        ServerState::Accepted => "Accepted",
        ServerState::Terminated => "Terminated",
    }
}
