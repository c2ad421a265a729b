//! The REGISTER client (RFC 3261 §10, RFC 5626 instance ids, RFC 5627 GRUUs) as a sans-IO
//! transaction user.
//!
//! A [`Registration`] keeps one binding of our Contact to an address-of-record alive: it builds
//! the REGISTER requests, answers digest challenges, follows 423 Interval Too Brief, fails over
//! between the registrar addresses DNS gave (RFC 3263 order), refreshes the binding before it
//! expires and retries after failures. It does not own transactions: the caller sends each
//! request through [`Endpoint::send_request`](crate::endpoint::Endpoint::send_request) and
//! reports what the endpoint says about that transaction.
//!
//! # Inputs, outputs, time
//!
//! - Commands: [`Registration::register`], [`Registration::unregister`],
//!   [`Registration::set_routes`].
//! - Inputs: [`Registration::handle_response`] for a response to the REGISTER in flight
//!   ([`Event::Response`](crate::endpoint::Event::Response)),
//!   [`Registration::handle_failure`] when its transaction timed out or its transport failed
//!   ([`Event::Timeout`](crate::endpoint::Event::Timeout),
//!   [`Event::TransportError`](crate::endpoint::Event::TransportError)), and
//!   [`Registration::handle_timeout`] when the deadline of [`Registration::poll_timeout`] is
//!   reached.
//! - Outputs, pulled after every input in this order: [`Registration::poll_request`] (a
//!   REGISTER to hand to the endpoint; at most one is in flight), [`Registration::poll_event`]
//!   (what the user should learn), then [`Registration::poll_timeout`].
//!
//! Every input that can start a timer takes `now`; the machine never reads a clock, and time
//! that goes backwards is clamped to the latest `now` seen. Randomness (Call-ID, From tag,
//! digest cnonces) comes from the [`Random`] given to the inputs that may need it.
//!
//! The requests carry no Via: the endpoint adds one with a fresh branch to every request it
//! sends, so a digest retry (which is a new transaction) gets its own branch there.
//!
//! # Refresh policy
//!
//! A binding granted for `e` seconds is refreshed when 90 % of `e` has passed, but at least
//! 5 s before it expires; a binding of 10 s or less is refreshed half-way. See
//! [`refresh_delay`].
//!
//! ```no_run
//! use std::time::Instant;
//!
//! use sipsimple_proto::endpoint::{Endpoint, Event, TransportKind};
//! use sipsimple_proto::rand::Random;
//! use sipsimple_proto::registration::{
//!     Failure, Registration, RegistrationConfig, RegistrationEvent, Route,
//! };
//!
//! fn run<R: Random>(endpoint: &mut Endpoint<R>, rng: &mut impl Random, now: Instant)
//! -> Result<(), Box<dyn std::error::Error>> {
//!     let mut config = RegistrationConfig::new(
//!         "sip:alice@example.com".parse()?,
//!         "sip:alice@192.0.2.10:5060".parse()?,
//!     );
//!     config.routes.push(Route {
//!         destination: "192.0.2.1:5060".parse()?,
//!         transport: TransportKind::Udp,
//!     });
//!     let mut reg = Registration::new(config)?;
//!     reg.register(now, rng)?;
//!     let mut in_flight = None;
//!     loop {
//!         while let Some(out) = reg.poll_request() {
//!             in_flight =
//!                 Some(endpoint.send_request(now, out.request, out.destination, out.transport)?);
//!         }
//!         while let Some(event) = reg.poll_event() {
//!             if let RegistrationEvent::DidSucceed { expires, .. } = event {
//!                 println!("registered for {expires} s");
//!             }
//!         }
//!         // … wait for the endpoint or for `reg.poll_timeout()`, then feed one of:
//!         match endpoint.poll_event() {
//!             Some(Event::Response { tx, response }) if Some(tx) == in_flight => {
//!                 reg.handle_response(now, rng, &response);
//!             }
//!             Some(Event::Timeout { tx }) if Some(tx) == in_flight => {
//!                 reg.handle_failure(now, rng, Failure::Timeout);
//!             }
//!             Some(Event::TransportError { tx }) if Some(tx) == in_flight => {
//!                 reg.handle_failure(now, rng, Failure::TransportError);
//!             }
//!             _ => reg.handle_timeout(now, rng),
//!         }
//!     }
//! }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::endpoint::TransportKind;
use crate::rand::Random;
pub use crate::request::{Credentials, Failure, Outgoing, Route, TxReport};
use crate::request::{Outcome, RequestClient, RequestFailure, CALL_ID_LEN, TAG_LEN};
use crate::sip::headers::{Contact, Expires, HeaderName, MinExpires};
use crate::sip::{Address, Method, Request, RequestBuilder, Response, Scheme, Uri, UriError};

/// The lifetime asked for when the configuration says nothing else (seconds).
pub const DEFAULT_EXPIRES: u32 = 600;
/// The first retry interval after a failure.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(60);
/// The longest retry interval the backoff reaches.
pub const DEFAULT_MAX_RETRY_INTERVAL: Duration = Duration::from_secs(3600);

/// What a [`Registration`] registers, where and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistrationConfig {
    /// The address-of-record, the From and To of every REGISTER.
    pub aor: Uri<'static>,
    /// The Request-URI; `None` means the AOR's domain (`sip:domain`, or `sips:` for a `sips`
    /// AOR), as RFC 3261 §10.2 says.
    pub registrar: Option<Uri<'static>>,
    /// Our Contact URI.
    pub contact: Uri<'static>,
    /// The `+sip.instance` URN (RFC 5626 §4.1), for example `urn:uuid:…`, without angle
    /// brackets. With it the REGISTER says `Supported: gruu` (RFC 5627 §4.1).
    pub instance_id: Option<String>,
    /// The `reg-id` (RFC 5626 §4.2.1); only sent together with `instance_id`, and then with
    /// `Supported: outbound`.
    pub reg_id: Option<u32>,
    /// The lifetime asked for, in seconds.
    pub expires: u32,
    /// Credentials for digest challenges.
    pub credentials: Option<Credentials>,
    /// The registrar addresses in failover order.
    pub routes: Vec<Route>,
    /// The first retry interval after a failure; it doubles with every failure in a row.
    pub retry_interval: Duration,
    /// The longest retry interval.
    pub max_retry_interval: Duration,
}

impl RegistrationConfig {
    /// A configuration for `aor` with our `contact` and the defaults: the AOR's domain as
    /// registrar, [`DEFAULT_EXPIRES`], [`DEFAULT_RETRY_INTERVAL`] doubling up to
    /// [`DEFAULT_MAX_RETRY_INTERVAL`], no credentials, no routes.
    pub fn new(aor: Uri<'static>, contact: Uri<'static>) -> Self {
        Self {
            aor,
            registrar: None,
            contact,
            instance_id: None,
            reg_id: None,
            expires: DEFAULT_EXPIRES,
            credentials: None,
            routes: Vec::new(),
            retry_interval: DEFAULT_RETRY_INTERVAL,
            max_retry_interval: DEFAULT_MAX_RETRY_INTERVAL,
        }
    }
}

/// Misuse of a [`Registration`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// No registrar address is known: call [`Registration::set_routes`] first.
    #[error("no route to a registrar")]
    NoRoutes,
    /// The registrar URI could not be derived from the AOR.
    #[error("cannot derive the registrar URI from the AOR")]
    InvalidRegistrar(#[source] UriError),
}

/// What a [`Registration`] reports; named after the notifications of the SIP SIMPLE client
/// SDK (`SIPAccountWillRegister`, `SIPAccountRegistrationDidSucceed`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationEvent {
    /// A registration starts (a command or a retry after a failure).
    WillRegister,
    /// The binding is about to be refreshed.
    WillRefresh {
        /// Our Contact as the registrar last returned it.
        contact_header: Contact<'static>,
        /// The lifetime asked for, in seconds.
        expires: u32,
    },
    /// The registrar accepted the binding.
    DidSucceed {
        /// Our Contact as the registrar returned it (with `pub-gruu`/`temp-gruu` when it
        /// assigned GRUUs).
        contact_header: Contact<'static>,
        /// Every Contact of the 2xx: all bindings of the AOR.
        contact_header_list: Vec<Contact<'static>>,
        /// The lifetime granted, in seconds.
        expires: u32,
        /// The registrar address that answered.
        registrar: Route,
    },
    /// The registration failed on every route; it is retried after `retry_after` unless
    /// [`Registration::unregister`] is called.
    DidFail {
        /// The status code of the failure: the registrar's final response, 408 for a
        /// timeout, 503 for a transport error (RFC 3261 §8.1.3.1), 200 when a 2xx granted
        /// no lifetime.
        code: u16,
        /// What went wrong.
        error: String,
        /// When the retry is due, from now.
        retry_after: Duration,
    },
    /// The binding was removed.
    DidEnd,
    /// Removing the binding failed.
    DidNotEnd {
        /// The status code (408 for a timeout and 503 for a transport error, RFC 3261
        /// §8.1.3.1).
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A final response arrived.
    GotAnswer {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// The registrar address that answered.
        registrar: Route,
    },
}

/// The timers of a registration, for [`Registration::next_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Registration refresh (RFC 3261 §10.2.4).
    Refresh,
    /// Retry after a failed registration.
    Retry,
}

/// When to refresh a binding granted for `expires` seconds: once 90 % of it has passed but at
/// least 5 s before it expires; half-way for 10 s or less.
pub fn refresh_delay(expires: u32) -> Duration {
    let total = Duration::from_secs(u64::from(expires));
    if expires <= 10 {
        return total / 2;
    }
    let margin = (total / 10).max(Duration::from_secs(5));
    total - margin
}

/// What the request in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Register,
    Unregister,
}

#[derive(Debug, Clone)]
struct Binding {
    contact: Contact<'static>,
    expires: u32,
}

/// A REGISTER client: one binding of our Contact to an AOR.
///
/// Getters: [`is_registered`](Self::is_registered), [`contact_header`](Self::contact_header),
/// [`granted_expires`](Self::granted_expires),
/// [`pub_gruu`](Self::pub_gruu), [`temp_gruu`](Self::temp_gruu),
/// [`call_id`](Self::call_id), [`routes`](Self::routes), [`next_timer`](Self::next_timer).
/// Commands, inputs and outputs are described in the [module documentation](self).
#[derive(Debug)]
pub struct Registration {
    aor: Uri<'static>,
    registrar: Uri<'static>,
    contact: Uri<'static>,
    instance_id: Option<String>,
    reg_id: Option<u32>,
    /// The lifetime asked for; raised by 423 responses.
    expires: u32,
    retry_interval: Duration,
    max_retry_interval: Duration,
    /// Challenges, failover and the request in flight.
    client: RequestClient,

    call_id: Option<String>,
    from_tag: Option<String>,
    cseq: u32,
    /// What the request in flight is for.
    in_flight: Option<Purpose>,
    /// A command given while a request was in flight, run when it completes.
    pending: Option<Purpose>,
    /// `true` between `register` and `unregister`: failures are retried.
    wanted: bool,
    binding: Option<Binding>,
    failures: u32,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    last_now: Option<Instant>,

    events: VecDeque<RegistrationEvent>,
}

impl Registration {
    /// A registration for `config`; nothing is sent before [`register`](Self::register).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegistrar`] when no registrar is configured and `sip:domain` cannot be
    /// built from the AOR.
    pub fn new(config: RegistrationConfig) -> Result<Self, Error> {
        let registrar = match config.registrar {
            Some(r) => r,
            None => Uri::sip(
                None,
                config.aor.host(),
                None,
                config.aor.scheme() == Scheme::Sips,
            )
            .map_err(Error::InvalidRegistrar)?,
        };
        let mut client = RequestClient::new(config.routes);
        if let Some(c) = &config.credentials {
            client.set_credentials(c);
        }
        Ok(Self {
            aor: config.aor,
            registrar,
            contact: config.contact,
            instance_id: config.instance_id,
            reg_id: config.reg_id,
            expires: config.expires,
            retry_interval: config.retry_interval,
            max_retry_interval: config.max_retry_interval.max(config.retry_interval),
            client,
            call_id: None,
            from_tag: None,
            cseq: 0,
            in_flight: None,
            pending: None,
            wanted: false,
            binding: None,
            failures: 0,
            refresh_at: None,
            retry_at: None,
            last_now: None,
            events: VecDeque::new(),
        })
    }

    // Getters.

    /// `true` while the registrar holds our binding (after a 2xx, until it ends or a refresh
    /// fails).
    pub fn is_registered(&self) -> bool {
        self.binding.is_some()
    }

    /// `true` while a REGISTER is in flight (a registration, a refresh or the removal).
    pub fn is_busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Our Contact as the registrar last returned it.
    pub fn contact_header(&self) -> Option<&Contact<'static>> {
        self.binding.as_ref().map(|b| &b.contact)
    }

    /// The lifetime the registrar granted last, in seconds.
    pub fn granted_expires(&self) -> Option<u32> {
        self.binding.as_ref().map(|b| b.expires)
    }

    /// The public GRUU the registrar assigned (RFC 5627 §5.1).
    pub fn pub_gruu(&self) -> Option<String> {
        self.contact_header()?.pub_gruu().map(|g| g.into_owned())
    }

    /// The latest temporary GRUU the registrar assigned (RFC 5627 §5.1).
    pub fn temp_gruu(&self) -> Option<String> {
        self.contact_header()?.temp_gruu().map(|g| g.into_owned())
    }

    /// The Call-ID of every REGISTER of this registration, once the first was built.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// The registrar addresses in failover order.
    pub fn routes(&self) -> &[Route] {
        self.client.routes()
    }

    /// The next deadline and why, for debugging.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        let refresh = self.refresh_at.map(|t| (Timer::Refresh, t));
        let retry = self.retry_at.map(|t| (Timer::Retry, t));
        match (refresh, retry) {
            (Some(a), Some(b)) => Some(if b.1 < a.1 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    // Commands.

    /// Registers (or re-registers at once) our Contact. While a REGISTER is in flight the
    /// command runs when it completes.
    ///
    /// # Errors
    ///
    /// [`Error::NoRoutes`] when no registrar address is known.
    pub fn register(&mut self, now: Instant, rng: &mut impl Random) -> Result<(), Error> {
        if self.client.routes().is_empty() {
            return Err(Error::NoRoutes);
        }
        let now = self.clamp(now);
        self.wanted = true;
        self.retry_at = None;
        self.refresh_at = None;
        if self.in_flight.is_some() {
            self.pending = Some(Purpose::Register);
            return Ok(());
        }
        self.events.push_back(RegistrationEvent::WillRegister);
        self.start(now, rng, Purpose::Register);
        Ok(())
    }

    /// Removes our binding: a REGISTER with `Expires: 0` and only our Contact (RFC 3261
    /// §10.2.2). Refresh and retry timers stop. Without any REGISTER sent before,
    /// [`RegistrationEvent::DidEnd`] follows at once.
    ///
    /// # Errors
    ///
    /// [`Error::NoRoutes`] when a request must be sent and no registrar address is known.
    pub fn unregister(&mut self, now: Instant, rng: &mut impl Random) -> Result<(), Error> {
        let now = self.clamp(now);
        self.wanted = false;
        self.retry_at = None;
        self.refresh_at = None;
        if self.in_flight.is_some() {
            self.pending = Some(Purpose::Unregister);
            return Ok(());
        }
        if self.call_id.is_none() {
            self.events.push_back(RegistrationEvent::DidEnd);
            return Ok(());
        }
        if self.client.routes().is_empty() {
            return Err(Error::NoRoutes);
        }
        self.start(now, rng, Purpose::Unregister);
        Ok(())
    }

    /// Replaces the registrar addresses (after a new DNS lookup). A request in flight keeps
    /// its address; the next attempt starts with the first new route.
    pub fn set_routes(&mut self, routes: Vec<Route>) {
        self.client.set_routes(routes);
    }

    // Inputs.

    /// Takes a response to the REGISTER in flight; responses to anything else (an earlier
    /// REGISTER, another Call-ID) and provisional responses are ignored.
    pub fn handle_response(&mut self, now: Instant, rng: &mut impl Random, response: &Response) {
        let now = self.clamp(now);
        let Some(purpose) = self.in_flight else {
            return;
        };
        if let Some(outcome) = self.client.handle_response(rng, response) {
            self.take_outcome(now, rng, purpose, outcome);
        }
    }

    /// Takes the end of the REGISTER's transaction without a final response: fails over to
    /// the next route, or fails when every route was tried.
    pub fn handle_failure(&mut self, now: Instant, rng: &mut impl Random, failure: Failure) {
        let now = self.clamp(now);
        let Some(purpose) = self.in_flight else {
            return;
        };
        if let Some(outcome) = self.client.handle_failure(rng, failure) {
            self.take_outcome(now, rng, purpose, outcome);
        }
    }

    /// Takes what the endpoint said about the REGISTER in flight:
    /// [`handle_response`](Self::handle_response) or [`handle_failure`](Self::handle_failure).
    pub fn handle_report(&mut self, now: Instant, rng: &mut impl Random, report: TxReport<'_>) {
        match report {
            TxReport::Response(response) => self.handle_response(now, rng, response),
            TxReport::Failure(failure) => self.handle_failure(now, rng, failure),
        }
    }

    /// Fires the refresh or retry timer when due; early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl Random) {
        let now = self.clamp(now);
        if self.in_flight.is_some() {
            return;
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            if let Some(b) = &self.binding {
                self.events.push_back(RegistrationEvent::WillRefresh {
                    contact_header: b.contact.clone(),
                    expires: self.expires,
                });
            }
            self.start(now, rng, Purpose::Register);
        } else if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            self.events.push_back(RegistrationEvent::WillRegister);
            self.start(now, rng, Purpose::Register);
        }
    }

    // Outputs.

    /// The next REGISTER to send.
    #[must_use]
    pub fn poll_request(&mut self) -> Option<Outgoing> {
        self.client.poll_request()
    }

    /// The next event for the user.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<RegistrationEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(_, t)| t)
    }

    // Internals.

    fn clamp(&mut self, now: Instant) -> Instant {
        let now = self.last_now.map_or(now, |l| l.max(now));
        self.last_now = Some(now);
        now
    }

    /// What the request client made of a response or failure of the REGISTER in flight.
    fn take_outcome(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        purpose: Purpose,
        outcome: Outcome,
    ) {
        match outcome {
            Outcome::Retrying {
                code,
                reason,
                response,
                route,
            } => {
                if response.is_some() {
                    self.events.push_back(RegistrationEvent::GotAnswer {
                        code,
                        reason,
                        registrar: route,
                    });
                }
            }
            Outcome::Succeeded { response, route } => {
                self.in_flight = None;
                self.events.push_back(RegistrationEvent::GotAnswer {
                    code: response.status().code(),
                    reason: response.reason().to_owned(),
                    registrar: route,
                });
                match purpose {
                    Purpose::Register => self.succeeded(now, &response, route),
                    Purpose::Unregister => {
                        self.binding = None;
                        self.failures = 0;
                        self.events.push_back(RegistrationEvent::DidEnd);
                    }
                }
                self.run_pending(now, rng);
            }
            Outcome::Failed(failure) => {
                self.in_flight = None;
                if failure.response.is_some() {
                    self.events.push_back(RegistrationEvent::GotAnswer {
                        code: failure.code,
                        reason: failure.reason.clone(),
                        registrar: failure.route,
                    });
                }
                if failure.code == 423 && purpose == Purpose::Register {
                    self.interval_too_brief(now, rng, failure);
                } else {
                    self.attempt_failed(now, rng, purpose, failure);
                }
            }
        }
    }

    /// RFC 3261 §10.2.8: ask again, on the same route, with at least Min-Expires.
    fn interval_too_brief(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        mut failure: RequestFailure,
    ) {
        let min = failure.response.as_ref().and_then(|r| {
            r.headers()
                .get(HeaderName::MinExpires)
                .and_then(|v| MinExpires::parse_saturating(v).ok())
        });
        match min {
            Some(MinExpires(min)) if min > self.expires => {
                self.expires = min;
                let request = self.build(rng, self.expires);
                match self.client.retry(rng, request) {
                    Ok(()) => self.in_flight = Some(Purpose::Register),
                    Err(e) => {
                        failure.error = e.to_string();
                        self.attempt_failed(now, rng, Purpose::Register, failure);
                    }
                }
            }
            _ => {
                failure.error = "interval too brief without a usable Min-Expires".to_owned();
                self.attempt_failed(now, rng, Purpose::Register, failure);
            }
        }
    }

    /// Starts an attempt on the preferred route.
    fn start(&mut self, now: Instant, rng: &mut impl Random, purpose: Purpose) {
        let expires = match purpose {
            Purpose::Register => self.expires,
            Purpose::Unregister => 0,
        };
        let request = self.build(rng, expires);
        if let Err(e) = self.client.send(rng, request) {
            let (code, reason) = Failure::TransportError.status();
            self.attempt_failed(
                now,
                rng,
                purpose,
                RequestFailure {
                    code,
                    reason: reason.to_owned(),
                    error: e.to_string(),
                    retry_after: None,
                    response: None,
                    route: Route {
                        destination: SocketAddr::from(([0, 0, 0, 0], 0)),
                        transport: TransportKind::Udp,
                    },
                },
            );
            return;
        }
        self.in_flight = Some(purpose);
    }

    /// A new REGISTER (RFC 3261 §10.2): same Call-ID and From tag as before, the next CSeq
    /// after every one sent. The request client adds credentials for realms that challenged
    /// this registration before.
    fn build(&mut self, rng: &mut impl Random, expires: u32) -> Request {
        let call_id = self
            .call_id
            .get_or_insert_with(|| rng.token(CALL_ID_LEN))
            .clone();
        let tag = self
            .from_tag
            .get_or_insert_with(|| rng.token(TAG_LEN))
            .clone();
        self.cseq = self.cseq.max(self.client.last_cseq().unwrap_or(0)) + 1;
        let mut builder = RequestBuilder::new(Method::Register, self.registrar.clone())
            .from(Address::new(self.aor.clone()).with_tag(&tag))
            .to(Address::new(self.aor.clone()))
            .call_id(&call_id)
            .cseq(self.cseq)
            .contact(&self.our_contact(expires))
            .header(&Expires(expires));
        if self.instance_id.is_some() {
            let options = if self.reg_id.is_some() {
                "gruu, outbound"
            } else {
                "gruu"
            };
            builder = builder.raw_header("Supported", options);
        }
        builder.build()
    }

    fn our_contact(&self, expires: u32) -> Contact<'static> {
        let mut contact = Contact::new(self.contact.clone());
        let params = &mut contact.address_mut().expect("not a star").params;
        params.push("expires", Some(&expires.to_string()));
        if let Some(instance) = &self.instance_id {
            params.push_quoted("+sip.instance", &format!("<{instance}>"));
            if let Some(reg_id) = self.reg_id {
                params.push("reg-id", Some(&reg_id.to_string()));
            }
        }
        contact
    }

    /// `true` when `contact` is our binding: the same `+sip.instance` (and `reg-id`) when we
    /// send one, else an equivalent URI (RFC 3261 §19.1.4).
    fn is_ours(&self, contact: &Contact<'_>) -> bool {
        if let (Some(ours), Some(theirs)) = (&self.instance_id, contact.sip_instance()) {
            return *ours == theirs && contact.reg_id() == self.reg_id;
        }
        contact.uri().is_some_and(|u| u.equivalent(&self.contact))
    }

    /// A 2xx to a REGISTER (RFC 3261 §10.2.4).
    ///
    /// The lifetime is our Contact's `expires`, else the Expires header, else what we asked.
    /// A 2xx that does not list our Contact (a registrar fault: §10.3 step 8 says it lists
    /// every binding) counts as success with our Contact as sent and the Expires header or
    /// the lifetime asked: failing would retry a registration the registrar accepted.
    fn succeeded(&mut self, now: Instant, response: &Response, registrar: Route) {
        let list: Vec<Contact<'static>> = response
            .headers()
            .typed::<Contact<'_>>()
            .filter_map(Result::ok)
            .map(Contact::into_owned)
            .collect();
        let header_expires = response.headers().first::<Expires>().and_then(Result::ok);
        let ours = list.iter().find(|c| self.is_ours(c)).cloned();
        let expires = ours
            .as_ref()
            .and_then(Contact::expires)
            .or(header_expires.map(|e| e.0))
            .unwrap_or(self.expires);
        let contact = ours.unwrap_or_else(|| self.our_contact(expires));
        if expires == 0 {
            // The registrar removed what we asked to keep.
            self.binding = None;
            let retry_after = self.backoff();
            self.schedule_retry(now, retry_after);
            self.events.push_back(RegistrationEvent::DidFail {
                code: 200,
                error: "registrar granted no lifetime".to_owned(),
                retry_after,
            });
            return;
        }
        self.failures = 0;
        self.binding = Some(Binding {
            contact: contact.clone(),
            expires,
        });
        if self.wanted && self.pending.is_none() {
            self.refresh_at = Some(now + refresh_delay(expires));
        }
        self.events.push_back(RegistrationEvent::DidSucceed {
            contact_header: contact,
            contact_header_list: list,
            expires,
            registrar,
        });
    }

    /// Every route failed, or the failure is final for this attempt.
    fn attempt_failed(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        purpose: Purpose,
        failure: RequestFailure,
    ) {
        match purpose {
            Purpose::Register => {
                self.binding = None;
                self.refresh_at = None;
                let retry_after = failure.retry_after.unwrap_or_else(|| self.backoff());
                self.failures = self.failures.saturating_add(1);
                self.events.push_back(RegistrationEvent::DidFail {
                    code: failure.code,
                    error: failure.error,
                    retry_after,
                });
                if self.wanted && self.pending.is_none() {
                    self.schedule_retry(now, retry_after);
                }
            }
            Purpose::Unregister => {
                self.events.push_back(RegistrationEvent::DidNotEnd {
                    code: failure.code,
                    reason: failure.reason,
                });
            }
        }
        self.run_pending(now, rng);
    }

    fn schedule_retry(&mut self, now: Instant, after: Duration) {
        self.retry_at = Some(now + after);
    }

    /// The retry interval after `failures` failures in a row: doubling, capped.
    fn backoff(&self) -> Duration {
        let factor = 1u32 << self.failures.min(16);
        self.retry_interval
            .saturating_mul(factor)
            .min(self.max_retry_interval)
    }

    fn run_pending(&mut self, now: Instant, rng: &mut impl Random) {
        let Some(purpose) = self.pending.take() else {
            return;
        };
        if self.in_flight.is_some() {
            self.pending = Some(purpose);
            return;
        }
        if purpose == Purpose::Register {
            self.events.push_back(RegistrationEvent::WillRegister);
        }
        self.start(now, rng, purpose);
    }
}
