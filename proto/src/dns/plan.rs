//! The lookup algorithms, written as plans over what the answers so far have told.
//!
//! A plan runs from the start every time an answer arrives: each record set it needs is either
//! known (in the [`Cache`]) or is the next question to ask ([`Step::Ask`]). When nothing is
//! missing the plan gives what it gathered ([`Step::Done`]), and [`finish`] orders it once,
//! drawing the SRV weighted selection from the random generator.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::endpoint::TransportKind;
use crate::rand::Random;

use super::error::QueryError;
use super::wire::{Answer, Record, RecordData, RecordType};
use super::{
    default_port, sip_srv_name, srv, LookupConfig, LookupResult, Route, Service, DNS_PORT,
};

/// At most this many CNAME links are followed inside one answer.
const MAX_CNAME_CHAIN: usize = 8;

/// A lookup to run.
pub(super) enum Request {
    /// RFC 3263 for a domain.
    SipProxy {
        host: String,
        mode: SipMode,
        /// The transports to consider, in the caller's order of preference.
        transports: Vec<TransportKind>,
    },
    /// SRV for a service, then A/AAAA with the default port.
    Service { host: String, service: Service },
    /// TXT at `xcap.<host>`.
    Xcap { host: String },
}

impl Request {
    fn host(&self) -> &str {
        match self {
            Self::SipProxy { host, .. } | Self::Service { host, .. } | Self::Xcap { host } => host,
        }
    }
}

/// Which branch of RFC 3263 §4 a SIP proxy lookup takes.
pub(super) enum SipMode {
    /// An explicit port: A/AAAA only (§4.2).
    Port { port: u16, transport: TransportKind },
    /// A `transport` parameter: SRV for it, then A/AAAA (§4.2).
    Transport(TransportKind),
    /// NAPTR → SRV → A/AAAA (§4.1, §4.2).
    Full,
}

/// The final outcome of one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The answer section (it holds records of the type asked for).
    Records(Vec<Record>),
    /// The name has no records of that type.
    NoAnswer,
    /// The name does not exist.
    NxDomain,
    /// No nameserver answered.
    Timeout,
    /// Every nameserver failed.
    Failed(QueryError),
}

impl Outcome {
    /// The error for the trace.
    pub(super) fn error(&self) -> Option<QueryError> {
        match self {
            Self::Records(_) => None,
            Self::NoAnswer => Some(QueryError::NoAnswer),
            Self::NxDomain => Some(QueryError::NxDomain),
            Self::Timeout => Some(QueryError::Timeout),
            Self::Failed(e) => Some(*e),
        }
    }

    fn records(&self) -> &[Record] {
        match self {
            Self::Records(r) => r,
            _ => &[],
        }
    }
}

/// What the answers of one lookup have told, by name and type.
#[derive(Debug, Default)]
pub(super) struct Cache {
    map: HashMap<(String, RecordType), Outcome>,
}

impl Cache {
    /// Records the outcome of a query.
    pub(super) fn insert(&mut self, name: &str, record_type: RecordType, outcome: Outcome) {
        self.map.insert((name.to_owned(), record_type), outcome);
    }

    fn get(&self, name: &str, record_type: RecordType) -> Option<&Outcome> {
        self.map.get(&(name.to_owned(), record_type))
    }

    /// `true` when some query of the lookup timed out.
    pub(super) fn saw_timeout(&self) -> bool {
        self.map.values().any(|o| *o == Outcome::Timeout)
    }

    /// Keeps the SRV and address records an answer's additional section holds for the names
    /// its records point at (SRV targets, NAPTR replacements, NS hosts), so that they are not
    /// asked for again (RFC 2782, RFC 3263 §4.2). Records for other names are not trusted.
    pub(super) fn harvest(&mut self, answer: &Answer) {
        let mut wanted: Vec<&str> = answer.answers.iter().filter_map(pointed_at).collect();
        let mut srv_by_owner: HashMap<&str, Vec<Record>> = HashMap::new();
        for r in &answer.additional {
            if matches!(r.data, RecordData::Srv { .. }) && wanted.contains(&r.name.as_str()) {
                srv_by_owner.entry(&r.name).or_default().push(r.clone());
            }
        }
        let srv_targets: Vec<&str> = answer
            .additional
            .iter()
            .filter(|r| srv_by_owner.contains_key(r.name.as_str()))
            .filter_map(pointed_at)
            .collect();
        wanted.extend(srv_targets);
        for (owner, records) in srv_by_owner {
            self.map
                .entry((owner.to_owned(), RecordType::Srv))
                .or_insert(Outcome::Records(records));
        }
        let mut addresses: HashMap<&str, (Vec<Record>, Vec<Record>)> = HashMap::new();
        for r in &answer.additional {
            if !wanted.contains(&r.name.as_str()) {
                continue;
            }
            match r.data {
                RecordData::A(_) => addresses.entry(&r.name).or_default().0.push(r.clone()),
                RecordData::Aaaa(_) => addresses.entry(&r.name).or_default().1.push(r.clone()),
                _ => {}
            }
        }
        for (owner, (a, aaaa)) in addresses {
            for (t, records) in [(RecordType::A, a), (RecordType::Aaaa, aaaa)] {
                self.map
                    .entry((owner.to_owned(), t))
                    .or_insert(Outcome::Records(records));
            }
        }
    }
}

/// The name a record points at, if any.
fn pointed_at(r: &Record) -> Option<&str> {
    match &r.data {
        RecordData::Srv { target, .. } => Some(target),
        RecordData::Ns(host) => Some(host),
        RecordData::Naptr { replacement, .. } => Some(replacement),
        _ => None,
    }
}

/// A query the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ask {
    pub(super) name: String,
    pub(super) record_type: RecordType,
    /// The nameservers to try, in order: the zone's first, then the configured ones.
    pub(super) servers: Vec<SocketAddr>,
    /// How many of `servers` are the zone's.
    pub(super) zone_servers: usize,
}

/// What a plan run gives.
pub(super) enum Step {
    /// Send this query.
    Ask(Ask),
    /// Everything needed is known.
    Done(Gathered),
}

/// The records a plan gathered, before ordering.
pub(super) enum Gathered {
    /// SIP proxy routes, by NAPTR (or SRV, or plain host) group.
    Routes {
        groups: Vec<Group>,
        transports: Vec<TransportKind>,
    },
    /// Service servers.
    Servers(Vec<Target>),
    /// XCAP root URIs.
    Xcap(Vec<String>),
}

/// The targets reached through one NAPTR record (or one SRV name, or the host itself).
pub(super) struct Group {
    transport: TransportKind,
    order: u16,
    preference: u16,
    targets: Vec<Target>,
}

/// One SRV target with its addresses (or the host with its default port).
pub(super) struct Target {
    priority: u16,
    weight: u16,
    port: u16,
    addresses: Vec<IpAddr>,
}

fn has_addresses(targets: &[Target]) -> bool {
    targets.iter().any(|t| !t.addresses.is_empty())
}

/// Runs the plan of `request` over `cache`.
pub(super) fn step(
    request: &Request,
    cache: &Cache,
    local: &[SocketAddr],
    dead: &[SocketAddr],
    config: &LookupConfig,
) -> Step {
    let mut planner = Planner {
        cache,
        local,
        dead,
        config,
        zone: None,
    };
    match planner.run(request) {
        Ok(gathered) => Step::Done(gathered),
        Err(ask) => Step::Ask(ask),
    }
}

/// Orders what was gathered into the result; `None` when it holds nothing.
pub(super) fn finish(gathered: Gathered, rng: &mut impl Random) -> Option<LookupResult> {
    match gathered {
        Gathered::Routes {
            mut groups,
            transports,
        } => {
            // The caller's transport preference first (the seed's contract), then NAPTR order
            // and preference (RFC 3263 §4.1); the sort is stable.
            groups.sort_by_key(|g| {
                let rank = transports.iter().position(|t| *t == g.transport);
                (rank, g.order, g.preference)
            });
            let mut routes = Vec::new();
            for group in groups {
                for target in srv::order(group.targets, |t| (t.priority, t.weight), rng) {
                    for &address in &target.addresses {
                        let route = Route {
                            address,
                            port: target.port,
                            transport: group.transport,
                        };
                        if !routes.contains(&route) {
                            routes.push(route);
                        }
                    }
                }
            }
            (!routes.is_empty()).then_some(LookupResult::Routes(routes))
        }
        Gathered::Servers(targets) => {
            let mut servers = Vec::new();
            for target in srv::order(targets, |t| (t.priority, t.weight), rng) {
                for &address in &target.addresses {
                    let server = SocketAddr::new(address, target.port);
                    if !servers.contains(&server) {
                        servers.push(server);
                    }
                }
            }
            (!servers.is_empty()).then_some(LookupResult::Servers(servers))
        }
        Gathered::Xcap(uris) => (!uris.is_empty()).then_some(LookupResult::XcapServers(uris)),
    }
}

/// The authoritative nameservers of the zone a lookup's domain is in.
struct Zone {
    name: String,
    servers: Vec<SocketAddr>,
}

struct Planner<'a> {
    cache: &'a Cache,
    local: &'a [SocketAddr],
    dead: &'a [SocketAddr],
    config: &'a LookupConfig,
    zone: Option<Zone>,
}

impl<'a> Planner<'a> {
    fn run(&mut self, request: &Request) -> Result<Gathered, Ask> {
        if self.config.authoritative_first {
            self.zone = self.zone_of(request.host())?;
        }
        match request {
            Request::SipProxy {
                host,
                mode,
                transports,
            } => self.sip_proxy(host, mode, transports),
            Request::Service { host, service } => {
                let name = format!("{}.{host}", service.srv_prefix());
                let targets = self.srv_targets(&name)?;
                if has_addresses(&targets) {
                    return Ok(Gathered::Servers(targets));
                }
                let addresses = self.addresses(host)?;
                Ok(Gathered::Servers(vec![Target {
                    priority: 0,
                    weight: 0,
                    port: service.default_port(),
                    addresses,
                }]))
            }
            Request::Xcap { host } => {
                let name = format!("xcap.{host}");
                let outcome = self.get(&name, RecordType::Txt)?;
                let uris = select(&name, outcome.records())
                    .filter_map(|d| match d {
                        RecordData::Txt(strings) => Some(strings),
                        _ => None,
                    })
                    .flatten()
                    .filter(|s| is_http_uri(s))
                    .cloned()
                    .collect();
                Ok(Gathered::Xcap(uris))
            }
        }
    }

    /// RFC 3263 §4.1 and §4.2.
    fn sip_proxy(
        &self,
        host: &str,
        mode: &SipMode,
        transports: &[TransportKind],
    ) -> Result<Gathered, Ask> {
        let routes = |groups| {
            Ok(Gathered::Routes {
                groups,
                transports: transports.to_vec(),
            })
        };
        let plain = |transport, port, addresses| Group {
            transport,
            order: 0,
            preference: 0,
            targets: vec![Target {
                priority: 0,
                weight: 0,
                port,
                addresses,
            }],
        };
        match *mode {
            SipMode::Port { port, transport } => {
                let addresses = self.addresses(host)?;
                routes(vec![plain(transport, port, addresses)])
            }
            SipMode::Transport(transport) => {
                let targets = self.srv_targets(&sip_srv_name(transport, host))?;
                if has_addresses(&targets) {
                    return routes(vec![Group {
                        transport,
                        order: 0,
                        preference: 0,
                        targets,
                    }]);
                }
                let addresses = self.addresses(host)?;
                routes(vec![plain(transport, default_port(transport), addresses)])
            }
            SipMode::Full => {
                // §4.1: NAPTR records of the supported services whose flag says SRV.
                let naptr = self.get(host, RecordType::Naptr)?;
                let mut pointers: Vec<(u16, u16, TransportKind, &str)> =
                    select(host, naptr.records())
                        .filter_map(|d| match d {
                            RecordData::Naptr {
                                order,
                                preference,
                                flags,
                                services,
                                replacement,
                                ..
                            } if flags.eq_ignore_ascii_case("s") && !replacement.is_empty() => {
                                let t = naptr_transport(services)?;
                                transports.contains(&t).then_some((
                                    *order,
                                    *preference,
                                    t,
                                    replacement.as_str(),
                                ))
                            }
                            _ => None,
                        })
                        .collect();
                pointers.sort_by_key(|p| (p.0, p.1));
                let mut groups = Vec::new();
                for (order, preference, transport, replacement) in pointers {
                    let targets = self.srv_targets(replacement)?;
                    groups.push(Group {
                        transport,
                        order,
                        preference,
                        targets,
                    });
                }
                if groups.iter().any(|g| has_addresses(&g.targets)) {
                    return routes(groups);
                }
                // §4.2 without NAPTR: SRV for each transport.
                let mut groups = Vec::new();
                for &transport in transports {
                    let targets = self.srv_targets(&sip_srv_name(transport, host))?;
                    groups.push(Group {
                        transport,
                        order: 0,
                        preference: 0,
                        targets,
                    });
                }
                if groups.iter().any(|g| has_addresses(&g.targets)) {
                    return routes(groups);
                }
                // Neither: the host itself, with the default port of each transport.
                let addresses = self.addresses(host)?;
                let groups = transports
                    .iter()
                    .map(|&t| plain(t, default_port(t), addresses.clone()))
                    .collect();
                routes(groups)
            }
        }
    }

    /// The zone `domain` is in and its nameservers' addresses: NS for the domain, then for
    /// its parents (not the top-level domain), asked of the configured nameservers.
    fn zone_of(&self, domain: &str) -> Result<Option<Zone>, Ask> {
        let mut candidate = domain;
        while candidate.contains('.') {
            let outcome = self.get_local(candidate, RecordType::Ns)?;
            match outcome {
                Outcome::Records(records) => {
                    let hosts: Vec<&str> = select(candidate, records)
                        .filter_map(|d| match d {
                            RecordData::Ns(h) if !h.is_empty() => Some(h.as_str()),
                            _ => None,
                        })
                        .collect();
                    let mut servers = Vec::new();
                    // Glue from the additional section first, for every host.
                    for &h in &hosts {
                        for kind in [RecordType::A, RecordType::Aaaa] {
                            if let Some(o) = self.cache.get(h, kind) {
                                servers.extend(ips(h, o.records()));
                            }
                        }
                    }
                    // Without glue, the address of the first host that has one.
                    if servers.is_empty() {
                        for &h in &hosts {
                            let o = self.get_local(h, RecordType::A)?;
                            servers.extend(ips(h, o.records()));
                            if !servers.is_empty() {
                                break;
                            }
                        }
                    }
                    let mut sockets: Vec<SocketAddr> = Vec::new();
                    for ip in servers {
                        let s = SocketAddr::new(ip, DNS_PORT);
                        if !sockets.contains(&s) {
                            sockets.push(s);
                        }
                    }
                    return Ok((!sockets.is_empty()).then(|| Zone {
                        name: candidate.to_owned(),
                        servers: sockets,
                    }));
                }
                Outcome::NoAnswer | Outcome::NxDomain => {}
                Outcome::Timeout | Outcome::Failed(_) => return Ok(None),
            }
            candidate = candidate.split_once('.').map_or("", |(_, parent)| parent);
            if !candidate.contains('.') {
                break;
            }
        }
        Ok(None)
    }

    /// The SRV targets at `name` with their addresses, in the answer's order.
    fn srv_targets(&self, name: &str) -> Result<Vec<Target>, Ask> {
        let outcome = self.get(name, RecordType::Srv)?;
        let mut targets = Vec::new();
        for data in select(name, outcome.records()) {
            if let RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } = data
            {
                // RFC 2782: a target of "." means the service is not available there.
                if target.is_empty() {
                    continue;
                }
                targets.push(Target {
                    priority: *priority,
                    weight: *weight,
                    port: *port,
                    addresses: self.addresses(target)?,
                });
            }
        }
        Ok(targets)
    }

    /// The IPv4 then IPv6 addresses of `host`.
    fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, Ask> {
        let mut out = ips(host, self.get(host, RecordType::A)?.records());
        if self.config.ipv6 {
            out.extend(ips(host, self.get(host, RecordType::Aaaa)?.records()));
        }
        Ok(out)
    }

    /// The outcome for `name`, or the question to ask: the zone's nameservers first when the
    /// name is inside it.
    fn get(&self, name: &str, record_type: RecordType) -> Result<&'a Outcome, Ask> {
        if let Some(o) = self.cache.get(name, record_type) {
            return Ok(o);
        }
        let mut servers: Vec<SocketAddr> = Vec::new();
        if let Some(zone) = &self.zone {
            let inside = name == zone.name || name.ends_with(&format!(".{}", zone.name));
            if inside {
                servers.extend(zone.servers.iter().filter(|s| !self.dead.contains(s)));
            }
        }
        let zone_servers = servers.len();
        for s in self.local {
            if !servers[..zone_servers].contains(s) {
                servers.push(*s);
            }
        }
        Err(Ask {
            name: name.to_owned(),
            record_type,
            servers,
            zone_servers,
        })
    }

    /// The outcome for `name`, or the question to ask of the configured nameservers.
    fn get_local(&self, name: &str, record_type: RecordType) -> Result<&'a Outcome, Ask> {
        match self.cache.get(name, record_type) {
            Some(o) => Ok(o),
            None => Err(Ask {
                name: name.to_owned(),
                record_type,
                servers: self.local.to_vec(),
                zone_servers: 0,
            }),
        }
    }
}

/// The data of the records owned by `name` or by the names its CNAME records lead to.
fn select<'r>(name: &str, records: &'r [Record]) -> impl Iterator<Item = &'r RecordData> {
    let mut names = vec![name.to_owned()];
    for _ in 0..MAX_CNAME_CHAIN {
        let next = records.iter().find_map(|r| match &r.data {
            RecordData::Cname(target) if names.contains(&r.name) && !names.contains(target) => {
                Some(target.clone())
            }
            _ => None,
        });
        match next {
            Some(n) => names.push(n),
            None => break,
        }
    }
    records
        .iter()
        .filter(move |r| names.contains(&r.name))
        .map(|r| &r.data)
}

fn ips(name: &str, records: &[Record]) -> Vec<IpAddr> {
    select(name, records)
        .filter_map(|d| match d {
            RecordData::A(a) => Some(IpAddr::V4(*a)),
            RecordData::Aaaa(a) => Some(IpAddr::V6(*a)),
            _ => None,
        })
        .collect()
}

/// The transport of a NAPTR service field (RFC 3263 §4.1).
fn naptr_transport(service: &str) -> Option<TransportKind> {
    if service.eq_ignore_ascii_case("SIP+D2U") {
        Some(TransportKind::Udp)
    } else if service.eq_ignore_ascii_case("SIP+D2T") {
        Some(TransportKind::Tcp)
    } else if service.eq_ignore_ascii_case("SIPS+D2T") {
        Some(TransportKind::Tls)
    } else {
        None
    }
}

/// `true` for an `http:` or `https:` URI with a host.
fn is_http_uri(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    rest.and_then(|r| r.split(['/', '?', '#']).next())
        .is_some_and(|authority| !authority.is_empty())
}
