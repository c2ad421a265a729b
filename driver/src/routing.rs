//! Where requests go: the next hop of an account's requests (RFC 3261 §8.1.2: the outbound
//! proxy, else the target's host) and its routes, in the order of the transport list.

use std::time::Instant;

use sipsimple_proto::dns::{self, DnsLookup, LookupConfig, LookupResult};
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::request::Route;
use sipsimple_proto::sip::Uri;

use crate::configuration::{AccountSettings, Transport};
use crate::engine::OsRandom;

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
/// needs no query then, and the lookup machine answers at once. A host name fails with a
/// clear error until DNS lookups run in the driver.
pub(crate) fn resolve_numeric(
    target: &Uri<'_>,
    transports: &[TransportKind],
) -> Result<Vec<Route>, String> {
    let mut lookup = DnsLookup::new(LookupConfig::default(), Vec::new(), OsRandom);
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
        None => {
            return Err(format!(
                "cannot resolve {target}: only numeric hosts resolve until DNS lookups run in \
                 the driver"
            ))
        }
    };
    let routes: Vec<Route> = routes
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
