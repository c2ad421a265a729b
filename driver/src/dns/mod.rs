//! DNS in the driver: the seed's `DNSManager` and `DNSLookup` ("Address Resolution") over real
//! sockets, around the sans-IO machine [`sipsimple_proto::dns::DnsLookup`].
//!
//! - [`DnsManager`] chooses the nameservers: those of `/etc/resolv.conf` that answer a probe
//!   query, else a fallback list (Google's public nameservers by default). It posts
//!   `DNSResolverDidInitialize` the first time it sets them and `DNSNameserversDidChange` when a
//!   later probe finds a different set. Probing happens when the application asks
//!   ([`DnsManager::start`], [`DnsManager::probe`]) or in [`DnsManager::run`], a loop the
//!   application spawns on its executor; the manager has no thread of its own.
//! - [`DnsLookup`] runs lookups: [`DnsLookup::lookup_sip_proxy`] (RFC 3263),
//!   [`DnsLookup::lookup_service`] (MSRP relays, STUN servers) and
//!   [`DnsLookup::lookup_xcap_server`]. Each returns a future that resolves to the result and
//!   posts, on behalf of the lookup object, a `DNSLookupTrace` for every query and then
//!   `DNSLookupDidSucceed` or `DNSLookupDidFail`.
//!
//! Queries go over UDP from an ephemeral port, one query in flight at a time; only datagrams
//! from the nameserver the query went to are read. A truncated answer is asked again over TCP
//! with the two-byte length prefix of RFC 1035 §4.2.2. The futures need an async-io reactor,
//! which every smol executor (and `smol::block_on`) provides; they are `Send + 'static`, so
//! they can also be spawned and left to report through notifications only.
//!
//! # Notification data
//!
//! Nameservers are socket address strings (`"192.0.2.53:53"`, `"[2001:db8::53]:53"`).
//!
//! - `DNSLookupTrace`: `query_type` (`"NAPTR"`, `"SRV"`, `"A"`, `"AAAA"`, `"NS"`, `"TXT"`),
//!   `query_name`, `nameservers`, `answer` (`null` when the query failed, else a list of
//!   `{name, ttl, type, data}` objects with `data` in zone-file presentation format, such as
//!   `"10 5 5060 sip.example.com."`), `error` (`null` or a message), `context`
//!   (`"lookup_sip_proxy"`, `"lookup_service"` or `"lookup_xcap_server"`), `service` (only for
//!   `lookup_service`: `"msrprelay"` or `"stun"`) and `uri`.
//! - `DNSLookupDidSucceed`: `result`. For `lookup_sip_proxy` a list of route objects
//!   `{"address": "192.0.2.1", "port": 5061, "transport": "tls"}` (transport in lower case;
//!   [`Route::uri`](sipsimple_proto::dns::Route::uri) gives the URI form); for
//!   `lookup_service` a list of `[address, port]` pairs, as the seed's `(host, port)` tuples;
//!   for `lookup_xcap_server` a list of URI strings.
//! - `DNSLookupDidFail`: `error`, the message of the [`LookupError`].
//! - `DNSResolverDidInitialize`, `DNSNameserversDidChange`: `nameservers`.
//!
//! # Example
//!
//! ```no_run
//! use sipsimple::dns::{DnsLookup, DnsManager};
//! use sipsimple::notification::NotificationCenter;
//! use sipsimple::proto::dns::{DEFAULT_LIFETIME, DEFAULT_TIMEOUT};
//! use sipsimple::proto::endpoint::TransportKind;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let center = NotificationCenter::new();
//! let manager = DnsManager::new(center.clone());
//! let lookup = DnsLookup::new(center.clone(), &manager);
//! let uri = "sip:alice@example.com".parse()?;
//! let routes = smol::block_on(async {
//!     manager.start().await;
//!     let transports = [TransportKind::Tls, TransportKind::Tcp, TransportKind::Udp];
//!     lookup
//!         .lookup_sip_proxy(&uri, &transports, DEFAULT_TIMEOUT, DEFAULT_LIFETIME)
//!         .await
//! })?;
//! for route in routes {
//!     println!("{} {}:{}", route.transport.as_str(), route.address, route.port);
//! }
//! # Ok(())
//! # }
//! ```

mod exchange;
mod manager;
mod render;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipsimple_proto::dns::Service;
use sipsimple_proto::dns::{self as proto_dns, LookupConfig, LookupError, LookupResult, Route};
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::sip::Uri;

use crate::engine::OsRandom;
use crate::notification::{NotificationCenter, SenderId};

pub use self::manager::{DnsManager, DnsManagerConfig, DEFAULT_FALLBACK_NAMESERVERS};

/// Why a lookup of a [`DnsLookup`] failed; its message is the `error` of the
/// `DNSLookupDidFail` that was posted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsLookupError {
    /// The lookup found no result, timed out, or could not start (see [`LookupError`]).
    #[error(transparent)]
    Lookup(#[from] LookupError),
}

/// Where a [`DnsLookup`] takes its nameservers from.
#[derive(Debug, Clone)]
enum Nameservers {
    /// The manager's current choice, read when each lookup starts.
    Manager(DnsManager),
    /// A fixed list.
    Fixed(Arc<[SocketAddr]>),
}

/// The seed's `DNSLookup`: runs DNS lookups for SIP proxies, MSRP relays, STUN servers and XCAP
/// servers, reporting through the [`NotificationCenter`] on behalf of [`DnsLookup::sender`].
///
/// Cloning gives another handle to the same lookup object (same sender). Several lookups may
/// run at once, each with its own sockets; their notifications then interleave.
#[derive(Debug, Clone)]
pub struct DnsLookup {
    center: NotificationCenter,
    sender: SenderId,
    nameservers: Nameservers,
    authoritative_first: bool,
    ipv6: bool,
}

/// Numbers the lookup objects of the process, for their sender names.
static NEXT_LOOKUP: AtomicU64 = AtomicU64::new(1);

impl DnsLookup {
    /// A lookup object that asks the nameservers `manager` has chosen (read when each lookup
    /// starts, so a later [`DnsManager::probe`] takes effect on the next lookup).
    pub fn new(center: NotificationCenter, manager: &DnsManager) -> Self {
        Self::with_source(center, Nameservers::Manager(manager.clone()))
    }

    /// A lookup object that always asks `nameservers`, in order.
    pub fn with_nameservers(center: NotificationCenter, nameservers: Vec<SocketAddr>) -> Self {
        Self::with_source(center, Nameservers::Fixed(nameservers.into()))
    }

    fn with_source(center: NotificationCenter, nameservers: Nameservers) -> Self {
        let n = NEXT_LOOKUP.fetch_add(1, Ordering::Relaxed);
        Self {
            center,
            sender: SenderId::new(format!("DNSLookup:{n}")),
            nameservers,
            authoritative_first: true,
            ipv6: true,
        }
    }

    /// The sender of this object's notifications (`DNSLookup:<n>`), to observe only them.
    pub fn sender(&self) -> &SenderId {
        &self.sender
    }

    /// The nameservers the next lookup will ask.
    pub fn nameservers(&self) -> Vec<SocketAddr> {
        match &self.nameservers {
            Nameservers::Manager(m) => m.nameservers(),
            Nameservers::Fixed(list) => list.to_vec(),
        }
    }

    /// Whether lookups first find the domain's authoritative nameservers with NS queries and
    /// ask them before the configured ones, as the seed does (on by default; see
    /// [`LookupConfig::authoritative_first`]).
    pub fn set_authoritative_first(&mut self, on: bool) {
        self.authoritative_first = on;
    }

    /// Whether lookups ask for AAAA records besides A records (on by default).
    pub fn set_ipv6(&mut self, on: bool) {
        self.ipv6 = on;
    }

    /// RFC 3263 lookup of the SIP proxies for `uri` (its host, port, `transport` parameter
    /// and scheme are used), for `supported_transports` in the application's order of
    /// preference; the routes come in that order. `timeout` bounds the wait for each
    /// nameserver and `lifetime` the whole lookup (the seed's defaults are
    /// [`DEFAULT_TIMEOUT`](sipsimple_proto::dns::DEFAULT_TIMEOUT), 3 s, and
    /// [`DEFAULT_LIFETIME`](sipsimple_proto::dns::DEFAULT_LIFETIME), 15 s).
    ///
    /// The lookup starts when this is called; the returned future drives it.
    ///
    /// # Errors
    ///
    /// [`DnsLookupError::Lookup`] when nothing was found, the nameservers did not answer in
    /// time, or the URI asks for an unsupported transport.
    pub fn lookup_sip_proxy(
        &self,
        uri: &Uri<'_>,
        supported_transports: &[TransportKind],
        timeout: Duration,
        lifetime: Duration,
    ) -> impl Future<Output = Result<Vec<Route>, DnsLookupError>> + Send + 'static {
        let what = format!("routes for SIP URI {uri}");
        let mut machine = self.machine(timeout, lifetime);
        // A new machine runs no lookup, so the command cannot find one in progress.
        let _ = machine.lookup_sip_proxy(Instant::now(), uri, supported_transports);
        let run = self.drive(machine);
        async move {
            match run.await? {
                LookupResult::Routes(routes) => Ok(routes),
                _ => Err(LookupError::NotFound { what }.into()),
            }
        }
    }

    /// SRV lookup of the servers of `service` (`_msrps._tcp` relays or `_stun._udp` servers)
    /// for the host of `uri`, then A/AAAA; without SRV records the host's addresses with the
    /// service's default port. The result is the servers in order of preference.
    /// `timeout` and `lifetime` as for [`DnsLookup::lookup_sip_proxy`].
    ///
    /// # Errors
    ///
    /// [`DnsLookupError::Lookup`] when nothing was found or the nameservers did not answer in
    /// time.
    pub fn lookup_service(
        &self,
        uri: &Uri<'_>,
        service: Service,
        timeout: Duration,
        lifetime: Duration,
    ) -> impl Future<Output = Result<Vec<SocketAddr>, DnsLookupError>> + Send + 'static {
        let what = format!("{service} servers for domain {}", uri.host());
        let mut machine = self.machine(timeout, lifetime);
        // A new machine runs no lookup, so the command cannot find one in progress.
        let _ = machine.lookup_service(Instant::now(), uri, service);
        let run = self.drive(machine);
        async move {
            match run.await? {
                LookupResult::Servers(servers) => Ok(servers),
                _ => Err(LookupError::NotFound { what }.into()),
            }
        }
    }

    /// TXT lookup at `xcap.<host of uri>`, keeping the values that are `http` or `https`
    /// URIs. `timeout` and `lifetime` as for [`DnsLookup::lookup_sip_proxy`].
    ///
    /// # Errors
    ///
    /// [`DnsLookupError::Lookup`] when nothing was found, the nameservers did not answer in
    /// time, or the host is an IP address.
    pub fn lookup_xcap_server(
        &self,
        uri: &Uri<'_>,
        timeout: Duration,
        lifetime: Duration,
    ) -> impl Future<Output = Result<Vec<String>, DnsLookupError>> + Send + 'static {
        let what = format!("XCAP servers for domain {}", uri.host());
        let mut machine = self.machine(timeout, lifetime);
        // A new machine runs no lookup, so the command cannot find one in progress.
        let _ = machine.lookup_xcap_server(Instant::now(), uri);
        let run = self.drive(machine);
        async move {
            match run.await? {
                LookupResult::XcapServers(uris) => Ok(uris),
                _ => Err(LookupError::NotFound { what }.into()),
            }
        }
    }

    /// A machine for one lookup, asking the current nameservers.
    fn machine(&self, timeout: Duration, lifetime: Duration) -> proto_dns::DnsLookup<OsRandom> {
        let mut config = LookupConfig::default();
        config.timeout = timeout;
        config.lifetime = lifetime;
        config.authoritative_first = self.authoritative_first;
        config.ipv6 = self.ipv6;
        proto_dns::DnsLookup::new(config, self.nameservers(), OsRandom)
    }

    /// The future that drives `machine`, its command given, to its end. Should the command
    /// not have started a lookup, the future fails with a lookup error.
    fn drive(
        &self,
        machine: proto_dns::DnsLookup<OsRandom>,
    ) -> impl Future<Output = Result<LookupResult, LookupError>> + Send + 'static {
        exchange::run(machine, self.center.clone(), self.sender.clone())
    }
}
