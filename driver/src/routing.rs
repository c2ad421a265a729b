//! Where requests go: the next hop of an account's requests (RFC 3261 §8.1.2: the outbound
//! proxy, else the target's host) and its routes (RFC 3263), in the order of the transport
//! list.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use sipsimple_proto::dns::{self, LookupConfig, LookupResult};
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::request::Route;
use sipsimple_proto::sip::Uri;

use crate::configuration::{AccountSettings, Transport};
use crate::dns::{DnsLookup, DnsManager};
use crate::engine::OsRandom;
use crate::notification::NotificationCenter;

/// Which nameservers an application's lookups ask.
#[derive(Debug, Clone)]
pub(crate) enum Resolver {
    /// The system's, as the manager chose them.
    Manager(DnsManager),
    /// A fixed list, asked directly (no NS-first step).
    Fixed(Vec<SocketAddr>),
}

impl Resolver {
    /// A lookup posting to `center`.
    pub(crate) fn lookup(&self, center: NotificationCenter) -> DnsLookup {
        match self {
            Self::Manager(m) => DnsLookup::new(center, m),
            // Nameservers given by hand are asked, not the zone's own (which NS-first would
            // reach on port 53 only).
            Self::Fixed(servers) => {
                let mut lookup = DnsLookup::with_nameservers(center, servers.clone());
                lookup.set_authoritative_first(false);
                lookup
            }
        }
    }
}

/// `true` when the URI's host is an IP address: no query is needed to reach it.
pub(crate) fn is_numeric(uri: &Uri<'_>) -> bool {
    let host = uri.host().trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok()
}

/// The routes to `target` over `transports`: at once for a numeric host, else through a DNS
/// lookup (RFC 3263).
pub(crate) async fn resolve(
    lookup: Option<DnsLookup>,
    target: Uri<'static>,
    transports: Vec<TransportKind>,
) -> Result<Vec<Route>, String> {
    if is_numeric(&target) {
        return resolve_numeric(&target, &transports);
    }
    let Some(lookup) = lookup else {
        return Err(format!(
            "cannot resolve {target}: the application is not running"
        ));
    };
    let routes = lookup
        .lookup_sip_proxy(
            &target,
            &transports,
            sipsimple_proto::dns::DEFAULT_TIMEOUT,
            sipsimple_proto::dns::DEFAULT_LIFETIME,
        )
        .await
        .map_err(|e| format!("cannot resolve {target}: {e}"))?;
    request_routes(routes, &target)
}

/// The URI whose host is resolved to reach `target` (or the registrar, for `None`) from an
/// account: its outbound proxy when it has one, else the target's host, else the account's
/// domain.
pub(crate) fn next_hop(
    settings: &AccountSettings,
    target: Option<&Uri<'_>>,
) -> Result<Uri<'static>, String> {
    if let Some(proxy) = &settings.sip.outbound_proxy {
        return proxy
            .parse()
            .map_err(|e| format!("bad outbound proxy {proxy}: {e}"));
    }
    if let Some(target) = target {
        return Ok(target.clone().into_owned());
    }
    let domain = settings.id().domain();
    format!("sip:{domain}")
        .parse()
        .map_err(|e| format!("bad domain {domain}: {e}"))
}

/// The transports of `list` that run here (`running`), in the list's order.
pub(crate) fn transports(
    list: &[Transport],
    running: impl Fn(TransportKind) -> bool,
) -> Vec<TransportKind> {
    list.iter()
        .map(|t| match t {
            Transport::Udp => TransportKind::Udp,
            Transport::Tcp => TransportKind::Tcp,
            Transport::Tls => TransportKind::Tls,
        })
        .filter(|t| running(*t))
        .collect()
}

/// The routes to `target` over `transports` when its host is a numeric address: RFC 3263
/// needs no query then, and the lookup machine answers at once.
pub(crate) fn resolve_numeric(
    target: &Uri<'_>,
    transports: &[TransportKind],
) -> Result<Vec<Route>, String> {
    let mut lookup = dns::DnsLookup::new(LookupConfig::default(), Vec::new(), OsRandom);
    lookup
        .lookup_sip_proxy(Instant::now(), target, transports)
        .map_err(|e| e.to_string())?;
    let mut outcome = None;
    while let Some(event) = lookup.poll_event() {
        match event {
            dns::Event::DidSucceed(LookupResult::Routes(routes)) => outcome = Some(Ok(routes)),
            dns::Event::DidFail(e) => outcome = Some(Err(e.to_string())),
            _ => {}
        }
    }
    let routes = match outcome {
        Some(Ok(routes)) => routes,
        Some(Err(e)) => return Err(format!("cannot resolve {target}: {e}")),
        None => return Err(format!("cannot resolve {target} without a DNS query")),
    };
    request_routes(routes, target)
}

/// The routes a lookup found, as request routes; an error when there are none.
fn request_routes(found: Vec<dns::Route>, target: &Uri<'_>) -> Result<Vec<Route>, String> {
    let routes: Vec<Route> = found
        .into_iter()
        .map(|r| Route {
            destination: r.socket_addr(),
            transport: r.transport,
        })
        .collect();
    if routes.is_empty() {
        return Err(format!("no route to {target} over the running transports"));
    }
    Ok(routes)
}
