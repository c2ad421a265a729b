//! DNS lookups for SIP proxies (RFC 3263), MSRP relays and STUN servers (SRV, RFC 2782) and
//! XCAP servers (TXT), as a sans-IO machine: the seed's `DNSLookup`.
//!
//! A [`DnsLookup`] runs one lookup at a time. It asks for queries to be sent, is told the
//! answers, and ends with a [`LookupResult`] or a [`LookupError`]. It never touches a socket or
//! a clock: the driver sends each [`Transmit`] to its nameserver over UDP (over TCP when
//! [`Transmit::retry_over_tcp`] says so, with the two-byte length prefix of RFC 1035 §4.2.2),
//! feeds back what arrives, and wakes the machine at [`DnsLookup::poll_timeout`].
//!
//! # What is looked up
//!
//! - [`DnsLookup::lookup_sip_proxy`] (RFC 3263 §4): a numeric host gives its route at once; an
//!   explicit port means A/AAAA queries only; a `transport` parameter means SRV for that
//!   transport, then A/AAAA with the default port; otherwise NAPTR (`SIP+D2U`, `SIP+D2T`,
//!   `SIPS+D2T`, flag `S`, for the supported transports only) → SRV → A/AAAA, falling back to
//!   SRV on `_sip._udp`, `_sip._tcp` and `_sips._tcp`, then to A/AAAA on the host with the
//!   default port for every supported transport. A `sips:` URI uses TLS only. The routes come
//!   ordered by `supported_transports`, then by NAPTR order and preference, then by SRV
//!   priority and weighted random selection (RFC 2782).
//! - [`DnsLookup::lookup_service`]: SRV on `_msrps._tcp.<host>` ([`Service::MsrpRelay`]) or
//!   `_stun._udp.<host>` ([`Service::Stun`]) → A/AAAA; without SRV results, A/AAAA on the host
//!   with the service's default port.
//! - [`DnsLookup::lookup_xcap_server`]: TXT on `xcap.<host>`, keeping the `http`/`https` URIs.
//!
//! Before those queries the lookup asks for the NS records of the domain (walking up to its
//! parents until a zone answers) and the addresses of one of its nameservers; the queries
//! inside that zone then go to the authoritative nameserver first and to the configured
//! (local) nameservers after it, since some home routers answer NAPTR and SRV badly. A zone
//! server that times out, fails or answers without authority is skipped for the next one
//! ([`LookupConfig::authoritative_first`] turns this off). Address records that an answer
//! already carries in its additional section are used without asking again.
//!
//! # Inputs, outputs, time
//!
//! - Commands: [`DnsLookup::lookup_sip_proxy`], [`DnsLookup::lookup_service`],
//!   [`DnsLookup::lookup_xcap_server`]; each starts a lookup at `now`.
//! - Inputs: [`DnsLookup::handle_answer`] with the bytes of a DNS message that arrived (over
//!   TCP without its length prefix), [`DnsLookup::handle_timeout`] when the deadline of
//!   [`DnsLookup::poll_timeout`] is reached. Answers that are malformed, for another query or
//!   for another question are ignored (the returned [`AnswerStatus`] says why).
//! - Outputs, pulled after every input in this order: [`DnsLookup::poll_transmit`] (a query to
//!   send), [`DnsLookup::poll_event`] (an [`Event::Trace`] per completed query, then one
//!   [`Event::DidSucceed`] or [`Event::DidFail`]), [`DnsLookup::poll_timeout`].
//!
//! One query is in flight at a time. It waits [`LookupConfig::timeout`] for each nameserver,
//! trying them in order; the whole lookup ends with [`LookupError::Timeout`] when
//! [`LookupConfig::lifetime`] has passed since the command. Time that goes backwards is clamped
//! to the latest `now` seen; early or repeated [`DnsLookup::handle_timeout`] calls do nothing.
//! Query ids and the SRV weighted selection draw on the [`Random`] given at construction.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::time::Instant;
//!
//! use sipsimple_proto::dns::{DnsLookup, Event, LookupConfig};
//! use sipsimple_proto::endpoint::TransportKind;
//! use sipsimple_proto::rand::SeededRandom;
//!
//! # fn send(_: SocketAddr, _: &[u8], _tcp: bool) {}
//! # fn wait_for_answer_until(deadline: Option<Instant>) -> (Instant, Option<Vec<u8>>) {
//! #     (deadline.expect("a lookup in progress has a deadline"), None)
//! # }
//! # fn run(now: Instant) -> Result<(), Box<dyn std::error::Error>> {
//! let nameservers = vec!["192.0.2.53:53".parse()?];
//! let mut lookup = DnsLookup::new(LookupConfig::default(), nameservers, SeededRandom::new(7));
//! let uri = "sip:alice@example.com".parse()?;
//! lookup.lookup_sip_proxy(now, &uri, &[TransportKind::Tls, TransportKind::Tcp])?;
//! loop {
//!     while let Some(t) = lookup.poll_transmit() {
//!         send(t.nameserver, &t.bytes, t.retry_over_tcp);
//!     }
//!     while let Some(event) = lookup.poll_event() {
//!         match event {
//!             Event::Trace(trace) => println!("{} {}: {:?}", trace.query_type, trace.query_name, trace.error),
//!             Event::DidSucceed(result) => { println!("{result:?}"); return Ok(()); }
//!             Event::DidFail(error) => return Err(error.into()),
//!             _ => {}
//!         }
//!     }
//!     match wait_for_answer_until(lookup.poll_timeout()) {
//!         (now, Some(bytes)) => { lookup.handle_answer(now, &bytes); }
//!         (now, None) => lookup.handle_timeout(now),
//!     }
//! }
//! # }
//! ```

mod error;
mod plan;
mod resolv_conf;
mod srv;
mod wire;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::endpoint::TransportKind;
use crate::rand::Random;
use crate::sip::{Host, Scheme, Uri};

pub use self::error::{AnswerError, Error, LookupError, QueryError};
pub use self::resolv_conf::{parse_resolv_conf, DNS_PORT};
pub use self::wire::{
    encode_query, Answer, NameError, Record, RecordData, RecordType, ResponseCode,
};

use self::plan::{Ask, Cache, Outcome, Request, SipMode, Step};

/// How long to wait for one nameserver, as the seed's `timeout=3.0`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a whole lookup may take, as the seed's `lifetime=15.0`.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(15);
/// The default port of SIP over UDP and TCP (RFC 3261 §19.1.2).
pub const SIP_PORT: u16 = 5060;
/// The default port of SIP over TLS (RFC 3261 §19.1.2).
pub const SIPS_PORT: u16 = 5061;

/// The parameters of a [`DnsLookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LookupConfig {
    /// How long to wait for an answer from one nameserver before trying the next.
    pub timeout: Duration,
    /// How long the whole lookup may take.
    pub lifetime: Duration,
    /// Ask the domain's authoritative nameservers (found with NS queries) before the
    /// configured ones, as the seed does. On by default.
    pub authoritative_first: bool,
    /// Ask for AAAA records besides A records. On by default; the IPv4 addresses of a host
    /// come before its IPv6 addresses.
    pub ipv6: bool,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            lifetime: DEFAULT_LIFETIME,
            authoritative_first: true,
            ipv6: true,
        }
    }
}

/// Where to send SIP requests: the seed's `Route`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The address of the proxy.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// The transport to use.
    pub transport: TransportKind,
}

impl Route {
    /// The socket address of the proxy.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }

    /// A SIP URI naming the address, port and transport (`sip:192.0.2.1:5061;transport=tls`),
    /// for a Route header: the seed's `get_uri`.
    pub fn uri(&self) -> Uri<'static> {
        let transport = self.transport.as_str().to_ascii_lowercase();
        let text = match self.address {
            IpAddr::V4(a) => format!("sip:{a}:{};transport={transport}", self.port),
            IpAddr::V6(a) => format!("sip:[{a}]:{};transport={transport}", self.port),
        };
        Uri::parse_owned(text).expect("an address, a port and a transport token form a SIP URI")
    }
}

/// A service located with [`DnsLookup::lookup_service`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// MSRP relays (RFC 4976): SRV `_msrps._tcp`, default port 2855.
    MsrpRelay,
    /// STUN servers (RFC 5389): SRV `_stun._udp`, default port 3478.
    Stun,
}

impl Service {
    /// The seed's name of the service: `"msrprelay"` or `"stun"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MsrpRelay => "msrprelay",
            Self::Stun => "stun",
        }
    }

    /// The service by its seed name (`"msrprelay"`, `"stun"`, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::MsrpRelay, Self::Stun]
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The SRV service and protocol labels, such as `_msrps._tcp`.
    pub fn srv_prefix(self) -> &'static str {
        match self {
            Self::MsrpRelay => "_msrps._tcp",
            Self::Stun => "_stun._udp",
        }
    }

    /// The port used when DNS names no port.
    pub fn default_port(self) -> u16 {
        match self {
            Self::MsrpRelay => 2855,
            Self::Stun => 3478,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which command a lookup runs: the `context` of a `DNSLookupTrace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Context {
    /// [`DnsLookup::lookup_sip_proxy`].
    LookupSipProxy,
    /// [`DnsLookup::lookup_service`].
    LookupService,
    /// [`DnsLookup::lookup_xcap_server`].
    LookupXcapServer,
}

impl Context {
    /// The seed's method name, such as `"lookup_sip_proxy"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LookupSipProxy => "lookup_sip_proxy",
            Self::LookupService => "lookup_service",
            Self::LookupXcapServer => "lookup_xcap_server",
        }
    }
}

/// The result of a lookup: the `result` of a `DNSLookupDidSucceed`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupResult {
    /// From [`DnsLookup::lookup_sip_proxy`]: the routes in order of preference.
    Routes(Vec<Route>),
    /// From [`DnsLookup::lookup_service`]: the servers' addresses and ports in order of
    /// preference.
    Servers(Vec<SocketAddr>),
    /// From [`DnsLookup::lookup_xcap_server`]: the XCAP root URIs (`http` or `https`).
    XcapServers(Vec<String>),
}

/// One query of a lookup, once it has completed: the seed's `DNSLookupTrace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The type asked for.
    pub query_type: RecordType,
    /// The name asked for.
    pub query_name: String,
    /// The nameservers the query was to go to, in order.
    pub nameservers: Vec<SocketAddr>,
    /// The records of the answer section; `None` when the query failed.
    pub answer: Option<Vec<Record>>,
    /// Why the query failed; `None` when it got an answer.
    pub error: Option<QueryError>,
    /// The command the query belongs to.
    pub context: Context,
    /// The service, for [`Context::LookupService`].
    pub service: Option<Service>,
    /// The URI the lookup is for.
    pub uri: String,
    /// From the first send of the query to its completion, in the caller's time.
    pub duration: Duration,
}

/// What a [`DnsLookup`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A query completed: the seed's `DNSLookupTrace`.
    Trace(Trace),
    /// The lookup found a result: the seed's `DNSLookupDidSucceed`.
    DidSucceed(LookupResult),
    /// The lookup failed: the seed's `DNSLookupDidFail`.
    DidFail(LookupError),
}

/// A query to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The query id; the answer carries it back.
    pub id: u16,
    /// The nameserver to send to.
    pub nameserver: SocketAddr,
    /// The type asked for.
    pub record_type: RecordType,
    /// The name asked for.
    pub name: String,
    /// The UDP answer to this same query was truncated (TC bit): send it over TCP, framed
    /// with the two-byte length prefix (RFC 1035 §4.2.2, RFC 7766).
    pub retry_over_tcp: bool,
    /// The DNS message, without a TCP length prefix.
    pub bytes: Vec<u8>,
}

/// What [`DnsLookup::handle_answer`] did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum AnswerStatus {
    /// The message answered the query in flight.
    Accepted,
    /// The message was dropped, for the reason given; the query keeps waiting.
    Ignored(AnswerError),
}

/// The timers of a [`DnsLookup`], for [`DnsLookup::next_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// The nameserver asked has not answered within [`LookupConfig::timeout`].
    Query,
    /// The lookup has run for [`LookupConfig::lifetime`].
    Lifetime,
}

/// A sans-IO DNS lookup for SIP proxies, services and XCAP servers; see the
/// [module documentation](self) for the inputs, outputs, poll order and time contract.
///
/// After a lookup ends (with [`Event::DidSucceed`] or [`Event::DidFail`]) the same object may
/// run another one.
pub struct DnsLookup<R> {
    rng: R,
    config: LookupConfig,
    nameservers: Vec<SocketAddr>,
    now: Option<Instant>,
    job: Option<Job>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl<R> fmt::Debug for DnsLookup<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsLookup")
            .field("config", &self.config)
            .field("nameservers", &self.nameservers)
            .field("running", &self.job.is_some())
            .finish_non_exhaustive()
    }
}

/// A running lookup.
struct Job {
    request: Request,
    context: Context,
    service: Option<Service>,
    uri: String,
    /// What is looked for, for error messages.
    what: String,
    lifetime_deadline: Instant,
    cache: Cache,
    /// Zone nameservers that timed out or failed: not asked again.
    dead: Vec<SocketAddr>,
    query: Option<Query>,
}

/// The query in flight.
struct Query {
    id: u16,
    name: String,
    record_type: RecordType,
    bytes: Vec<u8>,
    servers: Vec<SocketAddr>,
    /// How many of `servers` are the zone's authoritative nameservers (they come first).
    zone_servers: usize,
    index: usize,
    over_tcp: bool,
    started: Instant,
    deadline: Instant,
    last_failure: QueryError,
}

impl<R: Random> DnsLookup<R> {
    /// A lookup object that asks `nameservers` (the local ones, in order of preference), with
    /// the timeouts of `config` and the randomness of `rng`.
    pub fn new(config: LookupConfig, nameservers: Vec<SocketAddr>, rng: R) -> Self {
        Self {
            rng,
            config,
            nameservers,
            now: None,
            job: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configured nameservers.
    pub fn nameservers(&self) -> &[SocketAddr] {
        &self.nameservers
    }

    /// Replaces the configured nameservers (the seed's `DNSNameserversDidChange`); a running
    /// lookup uses them from its next query on.
    pub fn set_nameservers(&mut self, nameservers: Vec<SocketAddr>) {
        self.nameservers = nameservers;
    }

    /// `true` while a lookup runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Starts an RFC 3263 lookup of the proxies for `uri` (its host, port, `transport`
    /// parameter and scheme are used), for the transports in `supported_transports` in order
    /// of preference. The result is [`LookupResult::Routes`].
    pub fn lookup_sip_proxy(
        &mut self,
        now: Instant,
        uri: &Uri<'_>,
        supported_transports: &[TransportKind],
    ) -> Result<(), Error> {
        self.check_idle()?;
        let now = self.clamp(now);
        let what = format!("routes for SIP URI {uri}");
        match sip_request(uri, supported_transports) {
            Ok(SipStart::Done(route)) => {
                self.events
                    .push_back(Event::DidSucceed(LookupResult::Routes(vec![route])));
            }
            Ok(SipStart::Lookup(request)) => {
                self.begin(now, uri, Context::LookupSipProxy, None, what, request);
            }
            Err(e) => self.events.push_back(Event::DidFail(e)),
        }
        Ok(())
    }

    /// Starts a lookup of the servers of `service` for the domain of `uri` (only its host is
    /// used, and its port when the host is an IP address). The result is
    /// [`LookupResult::Servers`].
    pub fn lookup_service(
        &mut self,
        now: Instant,
        uri: &Uri<'_>,
        service: Service,
    ) -> Result<(), Error> {
        self.check_idle()?;
        let now = self.clamp(now);
        let what = format!("{service} servers for domain {}", uri.host());
        match uri.host_kind() {
            Host::Ipv4(a) => self.succeed_at_once(SocketAddr::new(
                a.into(),
                uri.port().unwrap_or(service.default_port()),
            )),
            Host::Ipv6(a) => self.succeed_at_once(SocketAddr::new(
                a.into(),
                uri.port().unwrap_or(service.default_port()),
            )),
            Host::Domain(host) => match valid_domain(host) {
                Ok(host) => {
                    let request = Request::Service { host, service };
                    self.begin(
                        now,
                        uri,
                        Context::LookupService,
                        Some(service),
                        what,
                        request,
                    );
                }
                Err(e) => self.events.push_back(Event::DidFail(e)),
            },
        }
        Ok(())
    }

    /// Starts a lookup of the XCAP servers of the domain of `uri` (only its host is used): TXT
    /// records at `xcap.<host>`. The result is [`LookupResult::XcapServers`].
    pub fn lookup_xcap_server(&mut self, now: Instant, uri: &Uri<'_>) -> Result<(), Error> {
        self.check_idle()?;
        let now = self.clamp(now);
        let what = format!("XCAP servers for domain {}", uri.host());
        match uri.host_kind() {
            Host::Ipv4(_) | Host::Ipv6(_) => {
                let e = LookupError::HostIsAddress(uri.host().to_owned());
                self.events.push_back(Event::DidFail(e));
            }
            Host::Domain(host) => match valid_domain(host) {
                Ok(host) => {
                    let request = Request::Xcap { host };
                    self.begin(now, uri, Context::LookupXcapServer, None, what, request);
                }
                Err(e) => self.events.push_back(Event::DidFail(e)),
            },
        }
        Ok(())
    }

    /// Takes a DNS message that arrived from a nameserver (over TCP: without the length
    /// prefix). Anything that is not the answer to the query in flight is ignored.
    pub fn handle_answer(&mut self, now: Instant, bytes: &[u8]) -> AnswerStatus {
        let now = self.clamp(now);
        let Some(query) = self.job.as_mut().and_then(|j| j.query.as_mut()) else {
            return AnswerStatus::Ignored(AnswerError::NoQueryInFlight);
        };
        let Some((id, response, truncated)) = wire::peek_header(bytes) else {
            return AnswerStatus::Ignored(AnswerError::Malformed(
                "shorter than a DNS header".into(),
            ));
        };
        if id != query.id {
            return AnswerStatus::Ignored(AnswerError::IdMismatch {
                expected: query.id,
                got: id,
            });
        }
        if !response {
            return AnswerStatus::Ignored(AnswerError::NotAResponse);
        }
        if truncated && query.over_tcp {
            // A duplicate of the UDP answer, or a broken server: wait for the TCP answer (the
            // timeout moves on if none comes).
            return AnswerStatus::Ignored(AnswerError::Truncated);
        }
        if truncated {
            // RFC 1035 §4.2.1, RFC 7766 §5: ask the same server again over TCP.
            query.over_tcp = true;
            query.deadline = now + self.config.timeout;
            let t = Transmit {
                id: query.id,
                nameserver: query.servers[query.index],
                record_type: query.record_type,
                name: query.name.clone(),
                retry_over_tcp: true,
                bytes: query.bytes.clone(),
            };
            self.transmits.push_back(t);
            return AnswerStatus::Accepted;
        }
        let answer = match Answer::parse(bytes) {
            Ok(a) => a,
            Err(e) => return AnswerStatus::Ignored(e),
        };
        if answer.questions.len() != 1
            || answer.questions[0].0 != query.name
            || answer.questions[0].1 != Some(query.record_type)
        {
            return AnswerStatus::Ignored(AnswerError::QuestionMismatch {
                name: query.name.clone(),
                record_type: query.record_type,
            });
        }
        let from_zone = query.index < query.zone_servers;
        match classify(&answer, query.record_type, from_zone) {
            Ok(outcome) => self.complete(now, outcome, Some(answer)),
            Err(failure) => self.next_server(now, failure),
        }
        AnswerStatus::Accepted
    }

    /// Does the timer work due at `now`: moves to the next nameserver when one has not
    /// answered in time, ends the lookup when its lifetime has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        let Some(job) = &self.job else { return };
        if now >= job.lifetime_deadline {
            self.expire(now);
        } else if job.query.as_ref().is_some_and(|q| now >= q.deadline) {
            self.next_server(now, QueryError::Timeout);
        }
    }

    /// The next query to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`DnsLookup::handle_timeout`] should next be called; `None` when no lookup runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(at, _)| at)
    }

    /// The next deadline and the timer it belongs to, for debugging.
    pub fn next_timer(&self) -> Option<(Instant, Timer)> {
        let job = self.job.as_ref()?;
        let lifetime = (job.lifetime_deadline, Timer::Lifetime);
        Some(match &job.query {
            Some(q) if q.deadline < job.lifetime_deadline => (q.deadline, Timer::Query),
            _ => lifetime,
        })
    }

    fn check_idle(&self) -> Result<(), Error> {
        if self.job.is_some() {
            Err(Error::LookupInProgress)
        } else {
            Ok(())
        }
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        let now = self.now.map_or(now, |last| last.max(now));
        self.now = Some(now);
        now
    }

    /// Starts a lookup that needs DNS.
    fn begin(
        &mut self,
        now: Instant,
        uri: &Uri<'_>,
        context: Context,
        service: Option<Service>,
        what: String,
        request: Request,
    ) {
        self.job = Some(Job {
            request,
            context,
            service,
            uri: uri.to_string(),
            what,
            lifetime_deadline: now + self.config.lifetime,
            cache: Cache::default(),
            dead: Vec::new(),
            query: None,
        });
        self.advance(now);
    }

    /// The lifetime has run out: the query in flight (if any) and the lookup fail.
    fn expire(&mut self, now: Instant) {
        if let Some(query) = self.job.as_ref().and_then(|j| j.query.as_ref()) {
            let trace = self.trace(query, None, Some(QueryError::Timeout), now);
            self.events.push_back(Event::Trace(trace));
        }
        let job = self.job.take().expect("only a running lookup expires");
        self.events
            .push_back(Event::DidFail(LookupError::Timeout { what: job.what }));
    }

    fn succeed_at_once(&mut self, server: SocketAddr) {
        self.events
            .push_back(Event::DidSucceed(LookupResult::Servers(vec![server])));
    }

    /// Runs the plan until it needs a query or has a result.
    fn advance(&mut self, now: Instant) {
        let Some(job) = &self.job else { return };
        let step = plan::step(
            &job.request,
            &job.cache,
            &self.nameservers,
            &job.dead,
            &self.config,
        );
        match step {
            Step::Ask(ask) => self.start_query(now, ask),
            Step::Done(gathered) => {
                let job = self.job.take().expect("checked above");
                let result = plan::finish(gathered, &mut self.rng);
                let event = match result {
                    Some(result) => Event::DidSucceed(result),
                    None if job.cache.saw_timeout() => {
                        Event::DidFail(LookupError::Timeout { what: job.what })
                    }
                    None => Event::DidFail(LookupError::NotFound { what: job.what }),
                };
                self.events.push_back(event);
            }
        }
    }

    fn start_query(&mut self, now: Instant, ask: Ask) {
        if self
            .job
            .as_ref()
            .is_some_and(|j| now >= j.lifetime_deadline)
        {
            return self.expire(now);
        }
        if ask.servers.is_empty() {
            self.job = None;
            self.events
                .push_back(Event::DidFail(LookupError::NoNameservers));
            return;
        }
        let id = (self.rng.next_u64() & 0xffff) as u16;
        let Ok(bytes) = encode_query(id, &ask.name, ask.record_type) else {
            // A name from an answer that cannot be asked for: nothing to find there.
            let job = self
                .job
                .as_mut()
                .expect("a query is only started for a job");
            job.cache
                .insert(&ask.name, ask.record_type, Outcome::NxDomain);
            return self.advance(now);
        };
        let job = self
            .job
            .as_mut()
            .expect("a query is only started for a job");
        let query = Query {
            id,
            name: ask.name,
            record_type: ask.record_type,
            bytes,
            servers: ask.servers,
            zone_servers: ask.zone_servers,
            index: 0,
            over_tcp: false,
            started: now,
            deadline: now + self.config.timeout,
            last_failure: QueryError::Timeout,
        };
        self.transmits.push_back(Transmit {
            id,
            nameserver: query.servers[0],
            record_type: query.record_type,
            name: query.name.clone(),
            retry_over_tcp: false,
            bytes: query.bytes.clone(),
        });
        job.query = Some(query);
    }

    /// The nameserver asked failed with `failure`: ask the next one, or give up on the query.
    fn next_server(&mut self, now: Instant, failure: QueryError) {
        let job = self
            .job
            .as_mut()
            .expect("a query is only in flight for a job");
        let query = job
            .query
            .as_mut()
            .expect("a failure is only for a query in flight");
        if query.index < query.zone_servers {
            job.dead.push(query.servers[query.index]);
        }
        query.last_failure = failure;
        query.index += 1;
        query.over_tcp = false;
        if let Some(&nameserver) = query.servers.get(query.index) {
            query.deadline = now + self.config.timeout;
            self.transmits.push_back(Transmit {
                id: query.id,
                nameserver,
                record_type: query.record_type,
                name: query.name.clone(),
                retry_over_tcp: false,
                bytes: query.bytes.clone(),
            });
            return;
        }
        let outcome = match failure {
            QueryError::Timeout => Outcome::Timeout,
            _ => Outcome::Failed(failure),
        };
        self.complete(now, outcome, None);
    }

    /// The query in flight has its final outcome: trace it, remember it, go on.
    fn complete(&mut self, now: Instant, outcome: Outcome, answer: Option<Answer>) {
        let job = self
            .job
            .as_mut()
            .expect("a query is only in flight for a job");
        let query = job.query.take().expect("only a query in flight completes");
        let error = outcome.error();
        let records = match (&outcome, error) {
            (_, Some(_)) => None,
            (_, None) => answer.as_ref().map(|a| a.answers.clone()),
        };
        let trace = self.trace(&query, records, error, now);
        self.events.push_back(Event::Trace(trace));
        let job = self.job.as_mut().expect("still running");
        if let Some(answer) = &answer {
            job.cache.harvest(answer);
        }
        job.cache.insert(&query.name, query.record_type, outcome);
        self.advance(now);
    }

    fn trace(
        &self,
        query: &Query,
        answer: Option<Vec<Record>>,
        error: Option<QueryError>,
        now: Instant,
    ) -> Trace {
        let job = self.job.as_ref().expect("traces are for a running job");
        Trace {
            query_type: query.record_type,
            query_name: query.name.clone(),
            nameservers: query.servers.clone(),
            answer,
            error,
            context: job.context,
            service: job.service,
            uri: job.uri.clone(),
            duration: now.saturating_duration_since(query.started),
        }
    }
}

/// What an answer with a matching question means for its query: a final outcome, or a failure
/// of this nameserver (ask the next one).
fn classify(
    answer: &Answer,
    record_type: RecordType,
    from_zone: bool,
) -> Result<Outcome, QueryError> {
    // A zone server that is not authoritative for the name (a referral, a lame delegation)
    // knows nothing final about it.
    let definitive = !from_zone || answer.authoritative;
    match answer.response_code {
        ResponseCode::NoError => {
            let has_records = answer
                .answers
                .iter()
                .any(|r| r.data.record_type() == Some(record_type));
            if has_records {
                Ok(Outcome::Records(answer.answers.clone()))
            } else if definitive {
                Ok(Outcome::NoAnswer)
            } else {
                Err(QueryError::NoAnswer)
            }
        }
        ResponseCode::NameError if definitive => Ok(Outcome::NxDomain),
        ResponseCode::NameError => Err(QueryError::NxDomain),
        other => Err(QueryError::ServerFailure(other)),
    }
}

/// How a SIP proxy lookup starts.
enum SipStart {
    /// A numeric host: the route is known.
    Done(Route),
    /// A domain: DNS is needed.
    Lookup(Request),
}

/// RFC 3263 §4.1 (transport) and §4.2 (port) for `uri`, before any query.
fn sip_request(uri: &Uri<'_>, supported: &[TransportKind]) -> Result<SipStart, LookupError> {
    let mut transports: Vec<TransportKind> = Vec::new();
    for &t in supported {
        if !transports.contains(&t) {
            transports.push(t);
        }
    }
    if transports.is_empty() {
        return Err(LookupError::NoTransports);
    }
    let secure = uri.scheme() == Scheme::Sips;
    let param = match uri.transport() {
        Some(p) => Some(match parse_transport(p) {
            Some(t) if secure && t != TransportKind::Tls => {
                return Err(LookupError::InsecureTransportForSips(
                    p.to_ascii_lowercase(),
                ));
            }
            Some(t) if transports.contains(&t) => t,
            _ => return Err(LookupError::UnsupportedTransport(p.to_ascii_lowercase())),
        }),
        None => None,
    };
    // With a numeric host or a port, the transport is the parameter's, else TLS for `sips`,
    // else UDP (§4.1).
    let direct_transport = || {
        let t = param.unwrap_or(if secure {
            TransportKind::Tls
        } else {
            TransportKind::Udp
        });
        if transports.contains(&t) {
            Ok(t)
        } else {
            Err(LookupError::UnsupportedTransport(
                t.as_str().to_ascii_lowercase(),
            ))
        }
    };
    let address = match uri.host_kind() {
        Host::Ipv4(a) => Some(IpAddr::V4(a)),
        Host::Ipv6(a) => Some(IpAddr::V6(a)),
        Host::Domain(_) => None,
    };
    if let Some(address) = address {
        let transport = direct_transport()?;
        let port = uri.port().unwrap_or(default_port(transport));
        return Ok(SipStart::Done(Route {
            address,
            port,
            transport,
        }));
    }
    let host = valid_domain(uri.host())?;
    let mode = if let Some(port) = uri.port() {
        SipMode::Port {
            port,
            transport: direct_transport()?,
        }
    } else if let Some(t) = param {
        SipMode::Transport(t)
    } else if secure {
        if !transports.contains(&TransportKind::Tls) {
            return Err(LookupError::UnsupportedTransport("tls".into()));
        }
        transports = vec![TransportKind::Tls];
        SipMode::Full
    } else {
        SipMode::Full
    };
    Ok(SipStart::Lookup(Request::SipProxy {
        host,
        mode,
        transports,
    }))
}

fn parse_transport(s: &str) -> Option<TransportKind> {
    [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
}

/// The default port of a SIP transport.
pub fn default_port(transport: TransportKind) -> u16 {
    match transport {
        TransportKind::Tls => SIPS_PORT,
        _ => SIP_PORT,
    }
}

/// The SRV name of a SIP transport at `domain` (RFC 3263 §4.1): `_sip._udp`, `_sip._tcp` or
/// `_sips._tcp`.
pub fn sip_srv_name(transport: TransportKind, domain: &str) -> String {
    let prefix = match transport {
        TransportKind::Udp => "_sip._udp",
        TransportKind::Tcp => "_sip._tcp",
        TransportKind::Tls => "_sips._tcp",
    };
    format!("{prefix}.{domain}")
}

/// A host name that can be asked for, normalized.
fn valid_domain(host: &str) -> Result<String, LookupError> {
    let name = wire::normalize(host);
    match encode_query(0, &name, RecordType::A) {
        Ok(_) => Ok(name),
        Err(_) => Err(LookupError::InvalidName(host.to_owned())),
    }
}
