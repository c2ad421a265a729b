//! Client transactions (RFC 3261 §17.1, RFC 6026 §8.4).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::timer::{Timer, Timers};
use super::{Error, TimerConfig};
use crate::sip::headers::{Cseq, HeaderName};
use crate::sip::{Method, Request, Response};

/// The states of a client transaction (RFC 3261 Figures 5 and 6, RFC 6026 Figure 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// INVITE sent, nothing received.
    Calling,
    /// Non-INVITE request sent, nothing received.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived (any for non-INVITE, 300–699 for INVITE); absorbing
    /// retransmissions.
    Completed,
    /// A 2xx to INVITE arrived; further 2xx are passed up until Timer M (RFC 6026).
    Accepted,
    /// Done.
    Terminated,
}

/// What a client transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A response for the transaction user: every provisional response, the final response,
    /// and for INVITE every 2xx (retransmissions and forks included, RFC 6026).
    Response(Response),
    /// No final response in time (Timer B or F): the TU treats it as a 408 (§8.1.3.1).
    Timeout,
    /// The transport reported a failure (§17.1.4): the TU treats it as a 503.
    TransportError,
    /// The transaction ended; the endpoint forgets it.
    Terminated,
}

/// One client transaction: retransmits the request on unreliable transports, generates the
/// ACK for non-2xx final responses to INVITE, absorbs retransmitted responses and reports
/// timeouts. See the [module documentation](super) for the run loop.
#[derive(Debug)]
pub struct ClientTransaction {
    invite: bool,
    reliable: bool,
    config: TimerConfig,
    state: ClientState,
    request: Request,
    wire: Bytes,
    ack: Option<Bytes>,
    interval: Duration,
    timers: Timers,
    last_now: Instant,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ClientEvent>,
}

impl ClientTransaction {
    /// Starts a transaction for `request` (which must carry a top Via with a branch and a
    /// CSeq) and queues its first transmission. `reliable` is true for TCP, TLS and SCTP.
    pub fn new(
        now: Instant,
        request: Request,
        reliable: bool,
        config: TimerConfig,
    ) -> Result<Self, Error> {
        if *request.method() == Method::Ack {
            return Err(Error::AckTransaction);
        }
        let via = request
            .headers()
            .first::<crate::sip::headers::Via<'_>>()
            .and_then(Result::ok)
            .ok_or(Error::BadRequest("no top Via"))?;
        if via.branch().is_none() {
            return Err(Error::BadRequest("top Via has no branch"));
        }
        request
            .headers()
            .single::<Cseq>()
            .map_err(|_| Error::BadRequest("no valid CSeq"))?;
        let invite = *request.method() == Method::Invite;
        let wire = Bytes::from(request.to_bytes());
        let mut tx = Self {
            invite,
            reliable,
            config,
            state: if invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            request,
            wire: wire.clone(),
            ack: None,
            interval: config.t1,
            timers: Timers::default(),
            last_now: now,
            transmits: VecDeque::from([wire]),
            events: VecDeque::new(),
        };
        let (retransmit, timeout) = if invite {
            (Timer::A, Timer::B)
        } else {
            (Timer::E, Timer::F)
        };
        if !reliable {
            tx.timers.set(retransmit, now + config.t1);
        }
        tx.timers.set(timeout, now + 64 * config.t1);
        Ok(tx)
    }

    /// The state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// `true` once the transaction has ended.
    pub fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    /// The request this transaction sends.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Feeds a response matched to this transaction.
    pub fn handle_response(&mut self, now: Instant, response: &Response) {
        let now = self.clamp(now);
        let code = response.status().code();
        match (self.invite, self.state) {
            (_, ClientState::Terminated) => {}
            (true, ClientState::Calling | ClientState::Proceeding) => {
                self.timers.clear(Timer::A);
                self.timers.clear(Timer::B);
                self.events
                    .push_back(ClientEvent::Response(response.clone()));
                if code < 200 {
                    self.state = ClientState::Proceeding;
                } else if code < 300 {
                    // RFC 6026 §8.4: wait for further 2xx (forks, retransmissions).
                    self.state = ClientState::Accepted;
                    self.timers.set(Timer::M, now + 64 * self.config.t1);
                } else {
                    // §17.1.1.3: ACK the non-2xx final response ourselves.
                    let ack = Bytes::from(self.build_ack(response).to_bytes());
                    self.transmits.push_back(ack.clone());
                    self.ack = Some(ack);
                    self.state = ClientState::Completed;
                    let wait = if self.reliable {
                        Duration::ZERO
                    } else {
                        Duration::from_secs(32).max(64 * self.config.t1)
                    };
                    self.timers.set(Timer::D, now + wait);
                }
            }
            (true, ClientState::Accepted) if (200..300).contains(&code) => {
                self.events
                    .push_back(ClientEvent::Response(response.clone()));
            }
            (true, ClientState::Completed) if code >= 300 => {
                if let Some(ack) = &self.ack {
                    self.transmits.push_back(ack.clone());
                }
            }
            (false, ClientState::Trying | ClientState::Proceeding) => {
                self.events
                    .push_back(ClientEvent::Response(response.clone()));
                if code < 200 {
                    self.state = ClientState::Proceeding;
                } else {
                    self.state = ClientState::Completed;
                    self.timers.clear(Timer::E);
                    self.timers.clear(Timer::F);
                    let wait = if self.reliable {
                        Duration::ZERO
                    } else {
                        self.config.t4
                    };
                    self.timers.set(Timer::K, now + wait);
                }
            }
            // Retransmitted finals in Completed, anything in a state that cannot take it.
            _ => {}
        }
        self.handle_timeout(now);
    }

    /// Reports a transport failure for this transaction's messages (§17.1.4).
    pub fn handle_transport_error(&mut self, now: Instant) {
        let _ = self.clamp(now);
        if self.state != ClientState::Terminated {
            self.events.push_back(ClientEvent::TransportError);
            self.terminate();
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        while let Some(t) = self.timers.pop_expired(now) {
            match t {
                Timer::A => {
                    self.transmits.push_back(self.wire.clone());
                    self.interval *= 2;
                    self.timers.set(Timer::A, now + self.interval);
                }
                Timer::E => {
                    self.transmits.push_back(self.wire.clone());
                    self.interval = if self.state == ClientState::Proceeding {
                        self.config.t2
                    } else {
                        (self.interval * 2).min(self.config.t2)
                    };
                    self.timers.set(Timer::E, now + self.interval);
                }
                Timer::B | Timer::F => {
                    self.events.push_back(ClientEvent::Timeout);
                    self.terminate();
                }
                Timer::D | Timer::K | Timer::M => self.terminate(),
                // Server timers are never armed here.
                Timer::G | Timer::H | Timer::I | Timer::J | Timer::L => {}
            }
        }
    }

    /// The next bytes to send to the transaction's destination.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// The next event for the transaction user.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When to call [`ClientTransaction::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next().map(|(_, at)| at)
    }

    /// Which timer the next deadline belongs to, for debugging.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        self.timers.next()
    }

    fn terminate(&mut self) {
        self.timers.clear_all();
        self.state = ClientState::Terminated;
        self.events.push_back(ClientEvent::Terminated);
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            self.last_now = now;
        }
        self.last_now
    }

    /// The ACK for a non-2xx final response (§17.1.1.3): Request-URI, Call-ID, From, CSeq
    /// number, the top Via and the Route headers of the INVITE; To from the response.
    fn build_ack(&self, response: &Response) -> Request {
        let mut ack = Request::new(Method::Ack, self.request.uri().clone());
        let req = self.request.headers();
        let h = ack.headers_mut();
        if let Some(via) = req.get(HeaderName::Via) {
            // The top Via value alone (a line may hold several, comma-separated).
            let top = crate::sip::text::split_commas(via).next().unwrap_or(via);
            h.push(HeaderName::Via, top);
        }
        for (name, value) in req
            .iter()
            .filter(|f| {
                matches!(
                    f.name,
                    HeaderName::From | HeaderName::CallId | HeaderName::Route
                )
            })
            .map(|f| (f.name, f.value))
        {
            h.push(name, value);
        }
        match response.headers().get(HeaderName::To) {
            Some(to) => h.push(HeaderName::To, to),
            None => {
                if let Some(to) = req.get(HeaderName::To) {
                    h.push(HeaderName::To, to);
                }
            }
        }
        let seq = req.single::<Cseq>().map_or(0, |c| c.seq);
        h.push_typed(&Cseq::new(seq, Method::Ack));
        h.push(HeaderName::MaxForwards, "70");
        h.push(HeaderName::ContentLength, "0");
        ack
    }
}
