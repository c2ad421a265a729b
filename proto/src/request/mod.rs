//! Requests outside dialogs — MESSAGE, OPTIONS, PUBLISH, an initial SUBSCRIBE, REGISTER — as a
//! sans-IO transaction user that carries one request at a time through digest challenges and
//! failover.
//!
//! A [`RequestClient`] is what every non-dialog feature shares: it sends a request to the first
//! of the routes an RFC 3263 lookup gave, answers 401/407 with the [`DigestClient`] it owns
//! (RFC 3261 §22.2), moves to the next route after a 503, a timeout or a transport error
//! (RFC 3263 §4.3), and reports the final outcome with the Retry-After the server asked for.
//! What the answer means (a binding granted, a publication refreshed, a message delivered) is
//! the caller's business: [`Registration`](crate::registration::Registration) is built on it,
//! and PUBLISH and SUBSCRIBE build on it the same way.
//!
//! # Inputs, outputs
//!
//! - Commands: [`RequestClient::send`] a new request, [`RequestClient::retry`] a follow-up on
//!   the route that answered last (for example after 423 Interval Too Brief).
//! - Inputs: [`RequestClient::handle_response`] with a response to the request in flight
//!   ([`Event::Response`]) and
//!   [`RequestClient::handle_failure`] when its transaction ended without one
//!   ([`Event::Timeout`],
//!   [`Event::TransportError`]). Each returns the
//!   [`Outcome`] of that input.
//! - Output: [`RequestClient::poll_request`], the next request to hand to
//!   [`Endpoint::send_request`](crate::endpoint::Endpoint::send_request). At most one is in
//!   flight.
//!
//! The client has no timers: the transaction layer times requests out, and waiting for a
//! Retry-After is up to the caller. Randomness (digest cnonces) comes from the [`Random`] given
//! to the inputs that may need it. Requests carry no Via: the endpoint adds one with a fresh
//! branch to every request, so a retry is a new transaction.
//!
//! # CSeq
//!
//! Every request the client sends after the first of an attempt — an answer to a challenge or
//! the same request towards the next route — has a CSeq one higher than the one before. A
//! failover request with the old CSeq would be a merged request (RFC 3261 §8.2.2.2, 482) at a
//! server that got the first copy after all, and a REGISTER must raise its CSeq anyway
//! (§10.2).
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use sipsimple_proto::endpoint::TransportKind;
//! use sipsimple_proto::rand::SeededRandom;
//! use sipsimple_proto::request::{new_request, Outcome, RequestClient, Route};
//! use sipsimple_proto::sip::{Address, Method, Response, StatusCode};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = SeededRandom::new(7);
//! let route = Route {
//!     destination: "192.0.2.1:5060".parse::<SocketAddr>()?,
//!     transport: TransportKind::Udp,
//! };
//! let mut client = RequestClient::new(vec![route]);
//! let request = new_request(
//!     &mut rng,
//!     Method::Message,
//!     "sip:bob@example.com".parse()?,
//!     Address::new("sip:alice@example.com".parse()?),
//!     Address::new("sip:bob@example.com".parse()?),
//! )
//! .body("text/plain", "Hello")
//! .build();
//! client.send(&mut rng, request)?;
//! let out = client.poll_request().expect("the MESSAGE");
//! // … hand `out` to the endpoint; its answer comes back:
//! let ok = Response::for_request(&out.request, StatusCode::OK);
//! assert!(matches!(
//!     client.handle_response(&mut rng, &ok),
//!     Some(Outcome::Succeeded { .. })
//! ));
//! # Ok(())
//! # }
//! ```

pub mod message;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

use crate::endpoint::{ClientTxId, Event, TransportKind};
use crate::rand::Random;
use crate::sip::auth::DigestClient;
use crate::sip::headers::{CallId, Cseq, RetryAfter};
use crate::sip::{Address, Method, Request, RequestBuilder, Response, Uri};

/// Length of the Call-IDs [`new_request`] makes.
pub const CALL_ID_LEN: usize = 24;
/// Length of the From tags [`new_request`] makes.
pub const TAG_LEN: usize = 12;

/// One address of the server, with the transport to reach it (from RFC 3263 resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// Where to send.
    pub destination: SocketAddr,
    /// How to send.
    pub transport: TransportKind,
}

/// A user name and password for digest authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The realm these credentials are for; `None` answers any realm.
    pub realm: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"…")
            .field("realm", &self.realm)
            .finish()
    }
}

/// Why the transaction of the request in flight ended without a final response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// No final response in time (Timer B or F).
    Timeout,
    /// The transport reported an error.
    TransportError,
}

impl Failure {
    /// The status code and reason phrase RFC 3261 §8.1.3.1 says to act on: 408 Request
    /// Timeout for a timeout, 503 Service Unavailable for a transport error.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            Self::Timeout => (408, "Request Timeout"),
            Self::TransportError => (503, "Service Unavailable"),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Timeout => "request timed out",
            Self::TransportError => "transport error",
        }
    }
}

/// What the endpoint said about a client transaction, in the terms a [`RequestClient`]
/// takes: a response, or the end of the transaction without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxReport<'a> {
    /// A response ([`Event::Response`]).
    Response(&'a Response),
    /// A timeout or transport error ([`Event::Timeout`], [`Event::TransportError`]).
    Failure(Failure),
}

impl<'a> TxReport<'a> {
    /// The transaction an endpoint event is about and what it says, for the events a
    /// request client takes; `None` for the others.
    pub fn from_event(event: &'a Event) -> Option<(ClientTxId, Self)> {
        match event {
            Event::Response { tx, response } => Some((*tx, Self::Response(response))),
            Event::Timeout { tx } => Some((*tx, Self::Failure(Failure::Timeout))),
            Event::TransportError { tx } => Some((*tx, Self::Failure(Failure::TransportError))),
            _ => None,
        }
    }
}

/// A request to send: pass it to
/// [`Endpoint::send_request`](crate::endpoint::Endpoint::send_request).
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The request, without Via.
    pub request: Request,
    /// Where to send it.
    pub destination: SocketAddr,
    /// How to send it.
    pub transport: TransportKind,
}

/// Misuse of a [`RequestClient`].
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No server address is known: give routes with [`RequestClient::set_routes`].
    #[error("no route to the server")]
    NoRoutes,
    /// A request is in flight; wait for its outcome.
    #[error("a request is in flight")]
    Busy,
    /// [`RequestClient::retry`] without an earlier request to follow up.
    #[error("no earlier request to follow up")]
    NothingToRetry,
}

/// How one attempt ended, when the client did not carry on by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFailure {
    /// The status code: the response's, or 408/503 for a timeout or transport error
    /// ([`Failure::status`]).
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// What went wrong, for people: `"404 Not Found"`, `"request timed out"`,
    /// `"authentication failed: …"`.
    pub error: String,
    /// How long the server asked us to wait (Retry-After, RFC 3261 §20.33).
    pub retry_after: Option<Duration>,
    /// The final response, when there was one.
    pub response: Option<Response>,
    /// The route the failing request went to.
    pub route: Route,
}

/// What one input to a [`RequestClient`] led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The request ended without success and the client sent another by itself — credentials
    /// for a challenge, or the same request towards the next route. It is in
    /// [`RequestClient::poll_request`].
    Retrying {
        /// The status code: the response's, or 408/503 for a timeout or transport error.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// The final response, when there was one.
        response: Option<Response>,
        /// The route the ended request went to.
        route: Route,
    },
    /// A 2xx.
    Succeeded {
        /// The response.
        response: Response,
        /// The route that answered.
        route: Route,
    },
    /// The attempt failed: a final response the client cannot handle, a challenge it cannot
    /// answer, or every route failed.
    Failed(RequestFailure),
}

#[derive(Debug)]
struct Attempt {
    request: Request,
    /// The index of the route it went to in `routes` when it was sent.
    route: usize,
    /// That route (kept: `set_routes` may change the list meanwhile).
    target: Route,
    /// Routes tried in this attempt, this one included.
    tried: usize,
}

/// One request at a time to a server known by its routes, through digest challenges and
/// failover. See the [module documentation](self).
#[derive(Debug)]
pub struct RequestClient {
    routes: Vec<Route>,
    /// The route an attempt starts with: the one that answered last.
    preferred: usize,
    auth: DigestClient,
    in_flight: Option<Attempt>,
    /// The attempt that ended last, for [`RequestClient::retry`].
    last: Option<Attempt>,
    requests: VecDeque<Outgoing>,
}

impl RequestClient {
    /// A client for the server at `routes`, in failover order, without credentials.
    pub fn new(routes: Vec<Route>) -> Self {
        Self {
            routes,
            preferred: 0,
            auth: DigestClient::new(),
            in_flight: None,
            last: None,
            requests: VecDeque::new(),
        }
    }

    /// Sets the credentials for digest challenges (for their realm, or for any realm).
    pub fn set_credentials(&mut self, credentials: &Credentials) {
        self.auth.set_credentials(
            credentials.realm.as_deref(),
            &credentials.username,
            &credentials.password,
        );
    }

    /// The digest client, for finer control (several realms, credentials across Call-IDs).
    pub fn auth_mut(&mut self) -> &mut DigestClient {
        &mut self.auth
    }

    /// The server addresses in failover order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Replaces the server addresses (after a new DNS lookup). A request in flight keeps its
    /// address; the next attempt starts with the first new route.
    pub fn set_routes(&mut self, routes: Vec<Route>) {
        self.routes = routes;
        self.preferred = 0;
    }

    /// `true` while a request is in flight.
    pub fn is_busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The request in flight.
    pub fn in_flight(&self) -> Option<&Request> {
        self.in_flight.as_ref().map(|a| &a.request)
    }

    /// The CSeq number of the latest request sent.
    pub fn last_cseq(&self) -> Option<u32> {
        let attempt = self.in_flight.as_ref().or(self.last.as_ref())?;
        attempt
            .request
            .headers()
            .single::<Cseq>()
            .ok()
            .map(|c| c.seq)
    }

    /// Forgets the request in flight: its outcome is no longer reported. The transaction
    /// itself runs on in the endpoint.
    pub fn abandon(&mut self) {
        self.requests.clear();
        self.last = self.in_flight.take();
    }

    /// Sends `request` (without Via) to the preferred route: the one that answered last, else
    /// the first. Credentials for realms that challenged this Call-ID before are added.
    ///
    /// # Errors
    ///
    /// [`Error::NoRoutes`] without routes, [`Error::Busy`] while a request is in flight.
    pub fn send(&mut self, rng: &mut impl Random, mut request: Request) -> Result<(), Error> {
        if self.in_flight.is_some() {
            return Err(Error::Busy);
        }
        if self.routes.is_empty() {
            return Err(Error::NoRoutes);
        }
        if self.preferred >= self.routes.len() {
            self.preferred = 0;
        }
        self.auth.authorize_again(rng, &mut request);
        let route = self.preferred;
        let target = self.routes[route];
        self.dispatch(Attempt {
            request,
            route,
            target,
            tried: 1,
        });
        Ok(())
    }

    /// Sends `request` (without Via) as a follow-up of the attempt that ended last, to the
    /// same route: a REGISTER with a longer lifetime after 423, a request with a header the
    /// server asked for. Credentials are added as in [`send`](Self::send).
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] while a request is in flight, [`Error::NothingToRetry`] before any
    /// request ended.
    pub fn retry(&mut self, rng: &mut impl Random, mut request: Request) -> Result<(), Error> {
        if self.in_flight.is_some() {
            return Err(Error::Busy);
        }
        let Some(last) = self.last.take() else {
            return Err(Error::NothingToRetry);
        };
        self.auth.authorize_again(rng, &mut request);
        self.dispatch(Attempt { request, ..last });
        Ok(())
    }

    /// Takes a response to the request in flight and says what it led to. Provisional
    /// responses and responses to anything else (another Call-ID or CSeq) give `None`.
    pub fn handle_response(
        &mut self,
        rng: &mut impl Random,
        response: &Response,
    ) -> Option<Outcome> {
        let attempt = self.in_flight.as_ref()?;
        if !answers(&attempt.request, response) || response.status().is_provisional() {
            return None;
        }
        let attempt = self.in_flight.take().expect("checked above");
        let status = response.status();
        let route = attempt.target;
        let retrying = |response: &Response| Outcome::Retrying {
            code: status.code(),
            reason: response.reason().to_owned(),
            response: Some(response.clone()),
            route,
        };

        if status.is_success() {
            if self.routes.get(attempt.route) == Some(&attempt.target) {
                self.preferred = attempt.route;
            }
            self.last = Some(attempt);
            return Some(Outcome::Succeeded {
                response: response.clone(),
                route,
            });
        }
        let outcome = match status.code() {
            // RFC 3261 §22.2: answer the challenge with the same Call-ID and CSeq + 1.
            401 | 407 => match self.auth.authorize(rng, &attempt.request, response) {
                Ok(request) => {
                    self.dispatch(Attempt { request, ..attempt });
                    return Some(retrying(response));
                }
                Err(e) => failure(response, format!("authentication failed: {e}"), route),
            },
            // RFC 3263 §4.3: a 503 moves on to the next address.
            503 if self.next_route(&attempt).is_some() => {
                self.fail_over(rng, attempt);
                return Some(retrying(response));
            }
            code => failure(response, format!("{code} {}", response.reason()), route),
        };
        self.last = Some(attempt);
        Some(Outcome::Failed(outcome))
    }

    /// Takes the end of the request's transaction without a final response: the same
    /// request goes to the next route, or the attempt fails when every route was tried.
    /// `None` when nothing is in flight.
    pub fn handle_failure(&mut self, rng: &mut impl Random, failure: Failure) -> Option<Outcome> {
        let attempt = self.in_flight.take()?;
        let (code, reason) = failure.status();
        let route = attempt.target;
        if self.next_route(&attempt).is_some() {
            self.fail_over(rng, attempt);
            return Some(Outcome::Retrying {
                code,
                reason: reason.to_owned(),
                response: None,
                route,
            });
        }
        self.last = Some(attempt);
        Some(Outcome::Failed(RequestFailure {
            code,
            reason: reason.to_owned(),
            error: failure.describe().to_owned(),
            retry_after: None,
            response: None,
            route,
        }))
    }

    /// Takes what the endpoint said about the request in flight:
    /// [`handle_response`](Self::handle_response) or [`handle_failure`](Self::handle_failure).
    pub fn handle_report(
        &mut self,
        rng: &mut impl Random,
        report: TxReport<'_>,
    ) -> Option<Outcome> {
        match report {
            TxReport::Response(response) => self.handle_response(rng, response),
            TxReport::Failure(failure) => self.handle_failure(rng, failure),
        }
    }

    /// The next request to send.
    #[must_use]
    pub fn poll_request(&mut self) -> Option<Outgoing> {
        self.requests.pop_front()
    }

    fn dispatch(&mut self, attempt: Attempt) {
        self.requests.push_back(Outgoing {
            request: attempt.request.clone(),
            destination: attempt.target.destination,
            transport: attempt.target.transport,
        });
        self.in_flight = Some(attempt);
    }

    fn next_route(&self, attempt: &Attempt) -> Option<usize> {
        (attempt.tried < self.routes.len()).then(|| (attempt.route + 1) % self.routes.len())
    }

    /// The same request with the next CSeq towards the next route.
    fn fail_over(&mut self, rng: &mut impl Random, attempt: Attempt) {
        let route = self.next_route(&attempt).expect("checked by the caller");
        let mut request = attempt.request;
        if let Ok(cseq) = request.headers().single::<Cseq>() {
            let next = Cseq::new(cseq.seq.saturating_add(1), cseq.method.clone());
            request.headers_mut().set_typed(&next);
        }
        self.auth.authorize_again(rng, &mut request);
        self.dispatch(Attempt {
            request,
            route,
            target: self.routes[route],
            tried: attempt.tried + 1,
        });
    }
}

fn failure(response: &Response, error: String, route: Route) -> RequestFailure {
    RequestFailure {
        code: response.status().code(),
        reason: response.reason().to_owned(),
        error,
        retry_after: retry_after(response),
        response: Some(response.clone()),
        route,
    }
}

/// The delay a response's Retry-After asks for (RFC 3261 §20.33), if it has a valid one.
pub fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .first::<RetryAfter<'_>>()
        .and_then(Result::ok)
        .map(|r| Duration::from_secs(u64::from(r.seconds())))
}

/// `true` when `response` answers `request`: the same Call-ID and CSeq.
pub fn answers(request: &Request, response: &Response) -> bool {
    let (req, resp) = (request.headers(), response.headers());
    let same_call = match (req.single::<CallId<'_>>(), resp.single::<CallId<'_>>()) {
        (Ok(a), Ok(b)) => a.as_str() == b.as_str(),
        _ => false,
    };
    let same_cseq = match (req.single::<Cseq>(), resp.single::<Cseq>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    same_call && same_cseq
}

/// A builder for a request outside any dialog (RFC 3261 §8.1.1): a fresh Call-ID, a From tag
/// (replacing one `from` may carry), no To tag, CSeq 1. Add a Contact, a body or other headers
/// before [`build`](RequestBuilder::build).
pub fn new_request(
    rng: &mut impl Random,
    method: Method,
    request_uri: Uri<'static>,
    from: Address<'_>,
    to: Address<'_>,
) -> RequestBuilder {
    let call_id = rng.token(CALL_ID_LEN);
    let tag = rng.token(TAG_LEN);
    RequestBuilder::new(method, request_uri)
        .from(from.with_tag(&tag))
        .to(to)
        .call_id(&call_id)
        .cseq(1)
}
