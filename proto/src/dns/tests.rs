//! The lookup machine driven with hand-built answers.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use simple_dns::rdata::{RData, A, AAAA, CNAME, NAPTR, NS, SRV, TXT};
use simple_dns::{CharacterString, Name, Packet, PacketFlag, ResourceRecord, CLASS, RCODE};

use super::*;
use crate::rand::SeededRandom;

const LOCAL: &str = "192.0.2.53:53";
const LOCAL2: &str = "192.0.2.54:53";

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn uri(s: &str) -> Uri<'static> {
    s.parse().unwrap()
}

/// No NS step, no AAAA: the plain RFC 3263 flows.
fn plain() -> LookupConfig {
    LookupConfig {
        authoritative_first: false,
        ipv6: false,
        ..LookupConfig::default()
    }
}

fn lookup(config: LookupConfig) -> DnsLookup<SeededRandom> {
    DnsLookup::new(config, vec![sa(LOCAL), sa(LOCAL2)], SeededRandom::new(1))
}

fn route(addr: &str, port: u16, transport: TransportKind) -> Route {
    Route {
        address: ip(addr),
        port,
        transport,
    }
}

// ---- answers ----------------------------------------------------------------------------

fn rr(name: &'static str, rdata: RData<'static>) -> ResourceRecord<'static> {
    ResourceRecord::new(Name::new_unchecked(name), CLASS::IN, 300, rdata)
}

fn a(name: &'static str, addr: &str) -> ResourceRecord<'static> {
    rr(name, RData::A(A::from(addr.parse::<Ipv4Addr>().unwrap())))
}

fn aaaa(name: &'static str, addr: &str) -> ResourceRecord<'static> {
    rr(
        name,
        RData::AAAA(AAAA::from(addr.parse::<Ipv6Addr>().unwrap())),
    )
}

fn cname(name: &'static str, target: &'static str) -> ResourceRecord<'static> {
    rr(name, RData::CNAME(CNAME(Name::new_unchecked(target))))
}

fn ns(name: &'static str, host: &'static str) -> ResourceRecord<'static> {
    rr(name, RData::NS(NS(Name::new_unchecked(host))))
}

fn srv(
    name: &'static str,
    priority: u16,
    weight: u16,
    port: u16,
    target: &'static str,
) -> ResourceRecord<'static> {
    rr(
        name,
        RData::SRV(SRV {
            priority,
            weight,
            port,
            target: Name::new_unchecked(target),
        }),
    )
}

fn naptr(
    name: &'static str,
    order: u16,
    preference: u16,
    services: &'static str,
    replacement: &'static str,
) -> ResourceRecord<'static> {
    rr(
        name,
        RData::NAPTR(NAPTR {
            order,
            preference,
            flags: CharacterString::new(b"S").unwrap(),
            services: CharacterString::new(services.as_bytes()).unwrap(),
            regexp: CharacterString::new(b"").unwrap(),
            replacement: Name::new_unchecked(replacement),
        }),
    )
}

fn txt(name: &'static str, strings: &[&'static str]) -> ResourceRecord<'static> {
    let mut t = TXT::new();
    for s in strings {
        t.add_string(s).unwrap();
    }
    rr(name, RData::TXT(t))
}

/// What a test nameserver does with one question.
#[derive(Clone)]
enum Reply {
    Records(Vec<ResourceRecord<'static>>, Vec<ResourceRecord<'static>>),
    Code(RCODE),
}

/// An answer to `t`: its question, the given rcode and sections, and flags.
fn answer_bytes(
    t: &Transmit,
    rcode: RCODE,
    answers: &[ResourceRecord<'static>],
    additional: &[ResourceRecord<'static>],
    flags: PacketFlag,
) -> Vec<u8> {
    let query = Packet::parse(&t.bytes).unwrap();
    let mut p = Packet::new_reply(query.id());
    p.set_flags(flags | PacketFlag::RECURSION_AVAILABLE);
    *p.rcode_mut() = rcode;
    p.questions = query.questions.clone();
    p.answers = answers.to_vec();
    p.additional_records = additional.to_vec();
    p.build_bytes_vec().unwrap()
}

/// A set of records served by every nameserver, unknown names are NXDOMAIN.
#[derive(Default, Clone)]
struct Zone {
    replies: HashMap<(String, RecordType), Reply>,
    /// Nameservers that never answer.
    silent: Vec<SocketAddr>,
}

impl Zone {
    fn with(mut self, name: &str, t: RecordType, reply: Reply) -> Self {
        self.replies.insert((name.to_owned(), t), reply);
        self
    }

    fn records(self, name: &str, t: RecordType, answers: Vec<ResourceRecord<'static>>) -> Self {
        self.with(name, t, Reply::Records(answers, vec![]))
    }

    fn answer(&self, t: &Transmit) -> Option<Vec<u8>> {
        if self.silent.contains(&t.nameserver) {
            return None;
        }
        let reply = self
            .replies
            .get(&(t.name.clone(), t.record_type))
            .cloned()
            .unwrap_or(Reply::Code(RCODE::NameError));
        match reply {
            Reply::Records(an, ad) => Some(answer_bytes(
                t,
                RCODE::NoError,
                &an,
                &ad,
                PacketFlag::AUTHORITATIVE_ANSWER,
            )),
            Reply::Code(code) => Some(answer_bytes(
                t,
                code,
                &[],
                &[],
                PacketFlag::AUTHORITATIVE_ANSWER,
            )),
        }
    }
}

/// What a run saw.
struct Run {
    transmits: Vec<Transmit>,
    traces: Vec<Trace>,
    end: Event,
    elapsed: Duration,
}

impl Run {
    fn routes(&self) -> Vec<Route> {
        match &self.end {
            Event::DidSucceed(LookupResult::Routes(r)) => r.clone(),
            other => panic!("expected routes, got {other:?}"),
        }
    }

    fn asked(&self) -> Vec<(RecordType, String)> {
        self.transmits
            .iter()
            .map(|t| (t.record_type, t.name.clone()))
            .collect()
    }
}

/// Drives `lookup` against `answer` until it ends, jumping time to its deadlines.
fn drive(
    lookup: &mut DnsLookup<impl Random>,
    start: Instant,
    mut answer: impl FnMut(&Transmit) -> Option<Vec<u8>>,
) -> Run {
    let mut now = start;
    let mut transmits = Vec::new();
    let mut traces = Vec::new();
    for _ in 0..1000 {
        while let Some(t) = lookup.poll_transmit() {
            transmits.push(t.clone());
            if let Some(bytes) = answer(&t) {
                assert_eq!(lookup.handle_answer(now, &bytes), AnswerStatus::Accepted);
            }
        }
        while let Some(event) = lookup.poll_event() {
            match event {
                Event::Trace(t) => traces.push(t),
                end => {
                    assert!(!lookup.is_running());
                    assert_eq!(lookup.poll_timeout(), None);
                    return Run {
                        transmits,
                        traces,
                        end,
                        elapsed: now - start,
                    };
                }
            }
        }
        let deadline = lookup
            .poll_timeout()
            .expect("a running lookup has a deadline");
        assert!(deadline >= now, "deadline in the past");
        now = deadline;
        lookup.handle_timeout(now);
    }
    panic!("the lookup did not end");
}

fn run_sip(config: LookupConfig, zone: &Zone, target: &str, transports: &[TransportKind]) -> Run {
    let mut l = lookup(config);
    let now = origin();
    l.lookup_sip_proxy(now, &uri(target), transports).unwrap();
    drive(&mut l, now, |t| zone.answer(t))
}

use TransportKind::{Tcp, Tls, Udp};

// ---- RFC 3263 branches ------------------------------------------------------------------

#[test]
fn numeric_hosts_need_no_query() {
    let zone = Zone::default();
    let r = run_sip(plain(), &zone, "sip:192.0.2.1", &[Udp, Tcp]);
    assert_eq!(r.routes(), [route("192.0.2.1", 5060, Udp)]);
    assert!(r.transmits.is_empty());

    let r = run_sip(
        plain(),
        &zone,
        "sip:[2001:db8::1]:5070;transport=TCP",
        &[Udp, Tcp],
    );
    assert_eq!(r.routes(), [route("2001:db8::1", 5070, Tcp)]);

    let r = run_sip(plain(), &zone, "sips:192.0.2.1", &[Udp, Tls]);
    assert_eq!(r.routes(), [route("192.0.2.1", 5061, Tls)]);

    let r = run_sip(plain(), &zone, "sip:192.0.2.1;transport=tcp", &[Udp]);
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::UnsupportedTransport("tcp".into()))
    );
    let r = run_sip(plain(), &zone, "sip:192.0.2.1", &[]);
    assert_eq!(r.end, Event::DidFail(LookupError::NoTransports));
}

#[test]
fn explicit_port_asks_only_for_addresses() {
    let zone = Zone::default()
        .records(
            "example.com",
            RecordType::A,
            vec![a("example.com", "192.0.2.10")],
        )
        .records(
            "example.com",
            RecordType::Aaaa,
            vec![aaaa("example.com", "2001:db8::10")],
        );
    let config = LookupConfig {
        ipv6: true,
        ..plain()
    };
    let r = run_sip(config, &zone, "sip:example.com:5080", &[Udp, Tcp]);
    assert_eq!(
        r.asked(),
        [
            (RecordType::A, "example.com".into()),
            (RecordType::Aaaa, "example.com".into())
        ]
    );
    assert_eq!(
        r.routes(),
        [
            route("192.0.2.10", 5080, Udp),
            route("2001:db8::10", 5080, Udp)
        ]
    );
    let r = run_sip(plain(), &zone, "sips:example.com:5081", &[Udp, Tls]);
    assert_eq!(r.routes(), [route("192.0.2.10", 5081, Tls)]);
}

#[test]
fn transport_parameter_asks_srv_for_it_and_uses_additional_addresses() {
    let zone = Zone::default().with(
        "_sip._tcp.example.com",
        RecordType::Srv,
        Reply::Records(
            vec![srv("_sip._tcp.example.com", 10, 0, 5070, "pbx.example.com")],
            vec![
                a("pbx.example.com", "192.0.2.20"),
                a("evil.example.org", "203.0.113.66"),
            ],
        ),
    );
    let r = run_sip(plain(), &zone, "sip:example.com;transport=tcp", &[Udp, Tcp]);
    // The target's address came with the SRV answer: no A query.
    assert_eq!(
        r.asked(),
        [(RecordType::Srv, "_sip._tcp.example.com".into())]
    );
    assert_eq!(r.routes(), [route("192.0.2.20", 5070, Tcp)]);

    // Without SRV records: the host's addresses with the transport's default port.
    let zone = Zone::default().records(
        "example.com",
        RecordType::A,
        vec![a("example.com", "192.0.2.10")],
    );
    let r = run_sip(plain(), &zone, "sip:example.com;transport=tls", &[Udp, Tls]);
    assert_eq!(r.routes(), [route("192.0.2.10", 5061, Tls)]);
    assert_eq!(
        r.asked()[0],
        (RecordType::Srv, "_sips._tcp.example.com".into())
    );

    let r = run_sip(
        plain(),
        &zone,
        "sip:example.com;transport=sctp",
        &[Udp, Tls],
    );
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::UnsupportedTransport("sctp".into()))
    );
}

fn full_zone() -> Zone {
    Zone::default()
        .records(
            "example.com",
            RecordType::Naptr,
            vec![
                naptr("example.com", 10, 10, "SIPS+D2T", "_sips._tcp.example.com"),
                naptr("example.com", 20, 10, "SIP+D2T", "_sip._tcp.example.com"),
                naptr("example.com", 30, 10, "SIP+D2U", "_sip._udp.example.com"),
                naptr("example.com", 5, 10, "SIP+D2S", "_sip._sctp.example.com"),
            ],
        )
        .records(
            "_sips._tcp.example.com",
            RecordType::Srv,
            vec![srv(
                "_sips._tcp.example.com",
                10,
                0,
                5061,
                "tls.example.com",
            )],
        )
        .records(
            "_sip._tcp.example.com",
            RecordType::Srv,
            vec![srv("_sip._tcp.example.com", 10, 0, 5060, "tcp.example.com")],
        )
        .records(
            "_sip._udp.example.com",
            RecordType::Srv,
            vec![srv("_sip._udp.example.com", 10, 0, 5060, "udp.example.com")],
        )
        .records(
            "tls.example.com",
            RecordType::A,
            vec![a("tls.example.com", "192.0.2.3")],
        )
        .records(
            "tcp.example.com",
            RecordType::A,
            vec![a("tcp.example.com", "192.0.2.2")],
        )
        .records(
            "udp.example.com",
            RecordType::A,
            vec![a("udp.example.com", "192.0.2.1")],
        )
}

#[test]
fn naptr_srv_a_chain_ordered_by_supported_transports() {
    let r = run_sip(
        plain(),
        &full_zone(),
        "sip:alice@example.com",
        &[Udp, Tcp, Tls],
    );
    assert_eq!(
        r.asked(),
        [
            (RecordType::Naptr, "example.com".into()),
            (RecordType::Srv, "_sips._tcp.example.com".into()),
            (RecordType::A, "tls.example.com".into()),
            (RecordType::Srv, "_sip._tcp.example.com".into()),
            (RecordType::A, "tcp.example.com".into()),
            (RecordType::Srv, "_sip._udp.example.com".into()),
            (RecordType::A, "udp.example.com".into()),
        ]
    );
    assert_eq!(
        r.routes(),
        [
            route("192.0.2.1", 5060, Udp),
            route("192.0.2.2", 5060, Tcp),
            route("192.0.2.3", 5061, Tls)
        ]
    );
    assert_eq!(r.traces.len(), 7);
    assert!(r.traces.iter().all(|t| t.context == Context::LookupSipProxy
        && t.uri == "sip:alice@example.com"
        && t.error.is_none()
        && t.answer.as_ref().is_some_and(|a| !a.is_empty())));

    // Only the supported services are followed.
    let r = run_sip(plain(), &full_zone(), "sip:example.com", &[Tcp]);
    assert_eq!(r.routes(), [route("192.0.2.2", 5060, Tcp)]);
    assert!(!r
        .asked()
        .iter()
        .any(|(_, n)| n.contains("_sips") || n.contains("_udp")));

    // sips: TLS only.
    let r = run_sip(plain(), &full_zone(), "sips:example.com", &[Udp, Tcp, Tls]);
    assert_eq!(r.routes(), [route("192.0.2.3", 5061, Tls)]);
    let r = run_sip(plain(), &full_zone(), "sips:example.com", &[Udp, Tcp]);
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::UnsupportedTransport("tls".into()))
    );
    let r = run_sip(
        plain(),
        &full_zone(),
        "sips:example.com;transport=udp",
        &[Udp, Tls],
    );
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::InsecureTransportForSips("udp".into()))
    );
}

#[test]
fn fallbacks_naptr_to_srv_to_addresses() {
    // No NAPTR: SRV for each supported transport.
    let zone = full_zone().with(
        "example.com",
        RecordType::Naptr,
        Reply::Code(RCODE::NameError),
    );
    let r = run_sip(plain(), &zone, "sip:example.com", &[Tcp, Udp]);
    assert_eq!(
        r.asked()[1],
        (RecordType::Srv, "_sip._tcp.example.com".into())
    );
    assert_eq!(
        r.routes(),
        [route("192.0.2.2", 5060, Tcp), route("192.0.2.1", 5060, Udp)]
    );

    // NAPTR whose SRV name is empty: SRV directly.
    let zone = Zone::default()
        .records(
            "example.com",
            RecordType::Naptr,
            vec![naptr(
                "example.com",
                10,
                10,
                "SIP+D2U",
                "_sip._udp.missing.example.com",
            )],
        )
        .records(
            "_sip._udp.example.com",
            RecordType::Srv,
            vec![srv("_sip._udp.example.com", 0, 0, 5062, "udp.example.com")],
        )
        .records(
            "udp.example.com",
            RecordType::A,
            vec![a("udp.example.com", "192.0.2.1")],
        );
    let r = run_sip(plain(), &zone, "sip:example.com", &[Udp]);
    assert_eq!(r.routes(), [route("192.0.2.1", 5062, Udp)]);

    // Neither NAPTR nor SRV: the host with the default port of each transport, in order.
    let zone = Zone::default()
        .with(
            "example.com",
            RecordType::Naptr,
            Reply::Records(vec![], vec![]),
        )
        .records(
            "example.com",
            RecordType::A,
            vec![a("example.com", "192.0.2.10")],
        );
    let r = run_sip(plain(), &zone, "sip:example.com", &[Udp, Tls]);
    assert_eq!(
        r.asked(),
        [
            (RecordType::Naptr, "example.com".into()),
            (RecordType::Srv, "_sip._udp.example.com".into()),
            (RecordType::Srv, "_sips._tcp.example.com".into()),
            (RecordType::A, "example.com".into()),
        ]
    );
    assert_eq!(
        r.routes(),
        [
            route("192.0.2.10", 5060, Udp),
            route("192.0.2.10", 5061, Tls)
        ]
    );
    assert_eq!(r.traces[0].error, Some(QueryError::NoAnswer));
}

#[test]
fn srv_dot_target_and_cname_chains() {
    let zone = Zone::default()
        .records(
            "_sip._udp.example.com",
            RecordType::Srv,
            vec![
                srv("_sip._udp.example.com", 0, 0, 5060, "."),
                srv("_sip._udp.example.com", 1, 0, 5060, "alias.example.com"),
            ],
        )
        .records(
            "alias.example.com",
            RecordType::A,
            vec![
                cname("alias.example.com", "real.example.net"),
                a("real.example.net", "192.0.2.44"),
                a("unrelated.example.net", "203.0.113.1"),
            ],
        );
    let r = run_sip(plain(), &zone, "sip:example.com;transport=udp", &[Udp]);
    assert_eq!(r.routes(), [route("192.0.2.44", 5060, Udp)]);
}

#[test]
fn nxdomain_everywhere_fails_with_not_found() {
    let r = run_sip(plain(), &Zone::default(), "sip:nowhere.example", &[Udp]);
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::NotFound {
            what: "routes for SIP URI sip:nowhere.example".into()
        })
    );
    assert!(r
        .traces
        .iter()
        .all(|t| t.error == Some(QueryError::NxDomain) && t.answer.is_none()));
    assert_eq!(r.traces.len(), 3); // NAPTR, SRV, A
}

// ---- SRV selection ------------------------------------------------------------------------

#[test]
fn srv_weights_are_respected_statistically() {
    let zone = Zone::default().with(
        "_sip._udp.example.com",
        RecordType::Srv,
        Reply::Records(
            vec![
                srv("_sip._udp.example.com", 20, 100, 5060, "backup.example.com"),
                srv("_sip._udp.example.com", 10, 60, 5060, "a.example.com"),
                srv("_sip._udp.example.com", 10, 30, 5060, "b.example.com"),
                srv("_sip._udp.example.com", 10, 10, 5060, "c.example.com"),
            ],
            vec![
                a("a.example.com", "192.0.2.1"),
                a("b.example.com", "192.0.2.2"),
                a("c.example.com", "192.0.2.3"),
                a("backup.example.com", "192.0.2.9"),
            ],
        ),
    );
    let mut rng = SeededRandom::new(2782);
    let mut first: HashMap<IpAddr, u32> = HashMap::new();
    const RUNS: u32 = 3000;
    for _ in 0..RUNS {
        let mut l = DnsLookup::new(plain(), vec![sa(LOCAL)], &mut rng);
        let now = origin();
        l.lookup_sip_proxy(now, &uri("sip:example.com;transport=udp"), &[Udp])
            .unwrap();
        let routes = drive(&mut l, now, |t| zone.answer(t)).routes();
        assert_eq!(routes.len(), 4);
        // Priority first: the backup is always last.
        assert_eq!(routes[3].address, ip("192.0.2.9"));
        *first.entry(routes[0].address).or_default() += 1;
    }
    let share = |a: &str| f64::from(first.get(&ip(a)).copied().unwrap_or(0)) / f64::from(RUNS);
    assert!((share("192.0.2.1") - 0.6).abs() < 0.04, "{first:?}");
    assert!((share("192.0.2.2") - 0.3).abs() < 0.04, "{first:?}");
    assert!((share("192.0.2.3") - 0.1).abs() < 0.03, "{first:?}");
}

#[test]
fn srv_order_puts_priorities_first_and_rarely_picks_zero_weights() {
    let mut rng = SeededRandom::new(9);
    let mut zero_first = 0;
    for _ in 0..2000 {
        let items = vec![(1u16, 0u16, 'z'), (1, 100, 'h'), (0, 0, 'p')];
        let out = srv::order(items, |t| (t.0, t.1), &mut rng);
        assert_eq!(out[0].2, 'p');
        if out[1].2 == 'z' {
            zero_first += 1;
        }
    }
    // Weight 0 wins only when the draw is exactly 0: about 1 in 101.
    assert!(zero_first > 0 && zero_first < 60, "{zero_first}");
}

// ---- nameservers, time --------------------------------------------------------------------

#[test]
fn a_silent_nameserver_is_skipped_after_the_timeout() {
    let zone = Zone {
        silent: vec![sa(LOCAL)],
        ..Zone::default()
    }
    .records(
        "example.com",
        RecordType::A,
        vec![a("example.com", "192.0.2.10")],
    );
    let r = run_sip(plain(), &zone, "sip:example.com:5060", &[Udp]);
    assert_eq!(r.routes(), [route("192.0.2.10", 5060, Udp)]);
    assert_eq!(r.transmits.len(), 2);
    assert_eq!(r.transmits[0].nameserver, sa(LOCAL));
    assert_eq!(r.transmits[1].nameserver, sa(LOCAL2));
    // The same query goes to the next server.
    assert_eq!(r.transmits[0].bytes, r.transmits[1].bytes);
    assert_eq!(r.traces[0].nameservers, [sa(LOCAL), sa(LOCAL2)]);
    assert_eq!(r.traces[0].duration, DEFAULT_TIMEOUT);
    assert_eq!(r.elapsed, DEFAULT_TIMEOUT);
}

#[test]
fn server_failure_moves_on_at_once() {
    let mut l = lookup(plain());
    let now = origin();
    l.lookup_sip_proxy(now, &uri("sip:example.com:5060"), &[Udp])
        .unwrap();
    let first = l.poll_transmit().unwrap();
    let bytes = answer_bytes(&first, RCODE::ServerFailure, &[], &[], PacketFlag::empty());
    assert_eq!(l.handle_answer(now, &bytes), AnswerStatus::Accepted);
    let second = l.poll_transmit().unwrap();
    assert_eq!(second.nameserver, sa(LOCAL2));
    let bytes = answer_bytes(&second, RCODE::Refused, &[], &[], PacketFlag::empty());
    let _ = l.handle_answer(now, &bytes);
    match l.poll_event() {
        Some(Event::Trace(t)) => {
            assert_eq!(
                t.error,
                Some(QueryError::ServerFailure(ResponseCode::Refused))
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        l.poll_event(),
        Some(Event::DidFail(LookupError::NotFound { .. }))
    ));
}

#[test]
fn all_nameservers_silent_fails_with_timeout() {
    let zone = Zone {
        silent: vec![sa(LOCAL), sa(LOCAL2)],
        ..Zone::default()
    };
    let r = run_sip(plain(), &zone, "sip:example.com", &[Udp]);
    assert!(matches!(r.end, Event::DidFail(LookupError::Timeout { .. })));
    // NAPTR and SRV time out (6 s each), then the lifetime (15 s) ends the A query.
    assert_eq!(r.elapsed, DEFAULT_LIFETIME);
    assert_eq!(r.traces.last().unwrap().error, Some(QueryError::Timeout));
    assert_eq!(r.traces.len(), 3);
}

#[test]
fn timers_are_clamped_and_early_timeouts_do_nothing() {
    let mut l = lookup(plain());
    let now = origin();
    assert_eq!(l.poll_timeout(), None);
    l.lookup_sip_proxy(now, &uri("sip:example.com:5060"), &[Udp])
        .unwrap();
    let _ = l.poll_transmit().unwrap();
    assert_eq!(l.next_timer(), Some((now + DEFAULT_TIMEOUT, Timer::Query)));
    l.handle_timeout(now + Duration::from_secs(1));
    assert!(l.poll_transmit().is_none());
    // Time going backwards is clamped to the latest `now`.
    l.handle_timeout(now);
    assert!(l.poll_transmit().is_none());
    assert_eq!(
        l.lookup_xcap_server(now, &uri("sip:example.com")),
        Err(Error::LookupInProgress)
    );
}

#[test]
fn no_nameservers_fails() {
    let mut l = DnsLookup::new(plain(), vec![], SeededRandom::new(0));
    l.lookup_sip_proxy(origin(), &uri("sip:example.com"), &[Udp])
        .unwrap();
    assert_eq!(
        l.poll_event(),
        Some(Event::DidFail(LookupError::NoNameservers))
    );
    // The object can run another lookup afterwards.
    l.set_nameservers(vec![sa(LOCAL)]);
    l.lookup_sip_proxy(origin(), &uri("sip:example.com"), &[Udp])
        .unwrap();
    assert!(l.poll_transmit().is_some());
}

// ---- hostile and odd answers -------------------------------------------------------------

#[test]
fn malformed_mismatched_and_unsolicited_answers_are_ignored() {
    let mut l = lookup(plain());
    let now = origin();
    assert_eq!(
        l.handle_answer(now, b"\x00\x01\x81\x80"),
        AnswerStatus::Ignored(AnswerError::NoQueryInFlight)
    );
    l.lookup_sip_proxy(now, &uri("sip:example.com:5060"), &[Udp])
        .unwrap();
    let t = l.poll_transmit().unwrap();
    let good = answer_bytes(
        &t,
        RCODE::NoError,
        &[a("example.com", "192.0.2.10")],
        &[],
        PacketFlag::empty(),
    );

    assert!(matches!(
        l.handle_answer(now, b"\x01"),
        AnswerStatus::Ignored(AnswerError::Malformed(_))
    ));
    // The right id, then garbage.
    let mut garbage = good[..2].to_vec();
    garbage.extend_from_slice(&[0x81, 0x80, 0, 5, 0, 9, 0xff, 0xff, 0, 0, 0xc0]);
    assert!(matches!(
        l.handle_answer(now, &garbage),
        AnswerStatus::Ignored(AnswerError::Malformed(_))
    ));
    // A cut answer.
    assert!(matches!(
        l.handle_answer(now, &good[..good.len() - 3]),
        AnswerStatus::Ignored(AnswerError::Malformed(_))
    ));
    // Another id.
    let mut other_id = good.clone();
    other_id[0] ^= 0xff;
    assert!(matches!(
        l.handle_answer(now, &other_id),
        AnswerStatus::Ignored(AnswerError::IdMismatch { .. })
    ));
    // The query itself, echoed.
    assert_eq!(
        l.handle_answer(now, &t.bytes),
        AnswerStatus::Ignored(AnswerError::NotAResponse)
    );
    // The right id for another question.
    let mut other = t.clone();
    other.bytes = encode_query(t.id, "example.org", RecordType::A).unwrap();
    let wrong = answer_bytes(
        &other,
        RCODE::NoError,
        &[a("example.org", "203.0.113.1")],
        &[],
        PacketFlag::empty(),
    );
    assert!(matches!(
        l.handle_answer(now, &wrong),
        AnswerStatus::Ignored(AnswerError::QuestionMismatch { .. })
    ));
    assert!(l.poll_event().is_none());
    assert_eq!(l.handle_answer(now, &good), AnswerStatus::Accepted);
    assert!(matches!(l.poll_event(), Some(Event::Trace(_))));
    assert_eq!(
        l.poll_event(),
        Some(Event::DidSucceed(LookupResult::Routes(vec![route(
            "192.0.2.10",
            5060,
            Udp
        )])))
    );
}

#[test]
fn truncated_answers_are_asked_again_over_tcp() {
    let mut l = lookup(plain());
    let now = origin();
    l.lookup_sip_proxy(now, &uri("sip:example.com:5060"), &[Udp])
        .unwrap();
    let udp = l.poll_transmit().unwrap();
    assert!(!udp.retry_over_tcp);
    let mut cut = answer_bytes(&udp, RCODE::NoError, &[], &[], PacketFlag::TRUNCATION);
    cut.truncate(20); // a truncated UDP answer may end anywhere
    assert_eq!(l.handle_answer(now, &cut), AnswerStatus::Accepted);
    let tcp = l.poll_transmit().unwrap();
    assert!(tcp.retry_over_tcp);
    assert_eq!(
        (tcp.id, &tcp.bytes, tcp.nameserver),
        (udp.id, &udp.bytes, udp.nameserver)
    );
    let full = answer_bytes(
        &tcp,
        RCODE::NoError,
        &[a("example.com", "192.0.2.10")],
        &[],
        PacketFlag::empty(),
    );
    assert_eq!(l.handle_answer(now, &full), AnswerStatus::Accepted);
    assert!(matches!(l.poll_event(), Some(Event::Trace(_))));
    assert!(matches!(l.poll_event(), Some(Event::DidSucceed(_))));

    // A truncated answer while waiting over TCP is ignored; the timeout moves on to the next
    // nameserver, over UDP.
    let mut l = lookup(plain());
    l.lookup_sip_proxy(now, &uri("sip:example.com:5060"), &[Udp])
        .unwrap();
    let udp = l.poll_transmit().unwrap();
    let tc = answer_bytes(&udp, RCODE::NoError, &[], &[], PacketFlag::TRUNCATION);
    let _ = l.handle_answer(now, &tc);
    let _tcp = l.poll_transmit().unwrap();
    assert_eq!(
        l.handle_answer(now, &tc),
        AnswerStatus::Ignored(AnswerError::Truncated)
    );
    assert!(l.poll_transmit().is_none());
    l.handle_timeout(now + DEFAULT_TIMEOUT);
    let next = l.poll_transmit().unwrap();
    assert_eq!((next.nameserver, next.retry_over_tcp), (sa(LOCAL2), false));
}

proptest! {
    #[test]
    fn random_answers_never_panic(
        junk in proptest::collection::vec(any::<u8>(), 0..600),
        keep_id in any::<bool>(),
        flags in any::<u8>(),
    ) {
        let _ = Answer::parse(&junk);
        let mut l = DnsLookup::new(LookupConfig::default(), vec![sa(LOCAL)], SeededRandom::new(3));
        let now = origin();
        l.lookup_sip_proxy(now, &uri("sip:example.com"), &[Udp, Tcp, Tls]).unwrap();
        let t = l.poll_transmit().unwrap();
        let mut bytes = junk.clone();
        if keep_id && bytes.len() >= 3 {
            bytes[..2].copy_from_slice(&t.id.to_be_bytes());
            bytes[2] = flags | 0x80;
        }
        let _ = l.handle_answer(now, &bytes);
        // A valid header and question followed by junk.
        let mut framed = t.bytes.clone();
        framed[2] |= 0x80;
        framed.extend_from_slice(&junk);
        if framed.len() >= 8 {
            framed[7] = flags; // answer count
        }
        let _ = l.handle_answer(now, &framed);
        while l.poll_transmit().is_some() {}
        while l.poll_event().is_some() {}
        if let Some(d) = l.poll_timeout() {
            prop_assert!(d >= now);
            l.handle_timeout(d);
        }
    }
}

// ---- services and XCAP --------------------------------------------------------------------

fn run_other(zone: &Zone, start: impl FnOnce(&mut DnsLookup<SeededRandom>, Instant)) -> Run {
    let mut l = lookup(plain());
    let now = origin();
    start(&mut l, now);
    drive(&mut l, now, |t| zone.answer(t))
}

#[test]
fn service_lookup_uses_srv_then_the_default_port() {
    let zone = Zone::default()
        .with(
            "_msrps._tcp.example.com",
            RecordType::Srv,
            Reply::Records(
                vec![srv(
                    "_msrps._tcp.example.com",
                    0,
                    0,
                    2856,
                    "relay.example.com",
                )],
                vec![a("relay.example.com", "192.0.2.30")],
            ),
        )
        .records(
            "example.com",
            RecordType::A,
            vec![a("example.com", "192.0.2.10")],
        );
    let r = run_other(&zone, |l, now| {
        l.lookup_service(now, &uri("sip:alice@example.com"), Service::MsrpRelay)
            .unwrap()
    });
    assert_eq!(
        r.end,
        Event::DidSucceed(LookupResult::Servers(vec![sa("192.0.2.30:2856")]))
    );
    assert_eq!(r.traces[0].service, Some(Service::MsrpRelay));
    assert_eq!(r.traces[0].context, Context::LookupService);

    let r = run_other(&zone, |l, now| {
        l.lookup_service(now, &uri("sip:example.com"), Service::Stun)
            .unwrap()
    });
    assert_eq!(
        r.asked(),
        [
            (RecordType::Srv, "_stun._udp.example.com".into()),
            (RecordType::A, "example.com".into())
        ]
    );
    assert_eq!(
        r.end,
        Event::DidSucceed(LookupResult::Servers(vec![sa("192.0.2.10:3478")]))
    );

    let r = run_other(&zone, |l, now| {
        l.lookup_service(now, &uri("sip:192.0.2.7"), Service::Stun)
            .unwrap()
    });
    assert_eq!(
        r.end,
        Event::DidSucceed(LookupResult::Servers(vec![sa("192.0.2.7:3478")]))
    );

    let r = run_other(&Zone::default(), |l, now| {
        l.lookup_service(now, &uri("sip:example.net"), Service::MsrpRelay)
            .unwrap()
    });
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::NotFound {
            what: "msrprelay servers for domain example.net".into()
        })
    );
    assert_eq!(Service::from_name("STUN"), Some(Service::Stun));
}

#[test]
fn xcap_lookup_keeps_http_uris_from_txt() {
    let zone = Zone::default().records(
        "xcap.example.com",
        RecordType::Txt,
        vec![
            txt(
                "xcap.example.com",
                &[
                    "https://xcap.example.com/xcap-root",
                    "ftp://files.example.com/",
                ],
            ),
            txt(
                "xcap.example.com",
                &["http://192.0.2.5:8080/xcap?x=1", "v=spf1 -all", "https://"],
            ),
        ],
    );
    let r = run_other(&zone, |l, now| {
        l.lookup_xcap_server(now, &uri("sip:alice@example.com"))
            .unwrap()
    });
    assert_eq!(
        r.end,
        Event::DidSucceed(LookupResult::XcapServers(vec![
            "https://xcap.example.com/xcap-root".into(),
            "http://192.0.2.5:8080/xcap?x=1".into()
        ]))
    );
    assert_eq!(r.traces[0].query_type.as_str(), "TXT");

    let r = run_other(&zone, |l, now| {
        l.lookup_xcap_server(now, &uri("sip:192.0.2.1")).unwrap()
    });
    assert_eq!(
        r.end,
        Event::DidFail(LookupError::HostIsAddress("192.0.2.1".into()))
    );
    let r = run_other(&zone, |l, now| {
        l.lookup_xcap_server(now, &uri("sip:example.org")).unwrap()
    });
    assert!(matches!(
        r.end,
        Event::DidFail(LookupError::NotFound { .. })
    ));
}

// ---- NS first -----------------------------------------------------------------------------

#[test]
fn authoritative_nameservers_are_asked_first_then_the_local_ones() {
    let auth = sa("198.51.100.1:53");
    let zone = full_zone()
        .with(
            "sip.example.com",
            RecordType::Ns,
            Reply::Records(vec![], vec![]),
        )
        .with(
            "example.com",
            RecordType::Ns,
            Reply::Records(
                vec![
                    ns("example.com", "ns1.example.com"),
                    ns("example.com", "ns2.example.net"),
                ],
                vec![a("ns1.example.com", "198.51.100.1")],
            ),
        )
        .records(
            "_sip._udp.sip.example.com",
            RecordType::Srv,
            vec![srv(
                "_sip._udp.sip.example.com",
                0,
                0,
                5060,
                "udp.example.com",
            )],
        );
    let config = LookupConfig {
        ipv6: false,
        ..LookupConfig::default()
    };

    // The zone server answers: NAPTR and SRV go to it first.
    let r = run_sip(
        config.clone(),
        &zone,
        "sip:sip.example.com;transport=udp",
        &[Udp],
    );
    assert_eq!(r.routes(), [route("192.0.2.1", 5060, Udp)]);
    let sent: Vec<_> = r
        .transmits
        .iter()
        .map(|t| (t.record_type, t.name.as_str(), t.nameserver))
        .collect();
    assert_eq!(
        sent,
        [
            (RecordType::Ns, "sip.example.com", sa(LOCAL)),
            (RecordType::Ns, "example.com", sa(LOCAL)),
            (RecordType::Srv, "_sip._udp.sip.example.com", auth),
            (RecordType::A, "udp.example.com", auth),
        ]
    );
    assert_eq!(r.traces[2].nameservers, [auth, sa(LOCAL), sa(LOCAL2)]);
    assert_eq!(r.traces[0].query_type, RecordType::Ns);

    // The zone server is silent: the local ones answer, and it is not asked again.
    let silent = Zone {
        silent: vec![auth],
        ..zone.clone()
    };
    let r = run_sip(
        config.clone(),
        &silent,
        "sip:sip.example.com;transport=udp",
        &[Udp],
    );
    assert_eq!(r.routes(), [route("192.0.2.1", 5060, Udp)]);
    let to: Vec<_> = r.transmits.iter().map(|t| t.nameserver).collect();
    assert_eq!(to, [sa(LOCAL), sa(LOCAL), auth, sa(LOCAL), sa(LOCAL)]);

    // Names outside the zone go to the local nameservers only.
    let zone = zone
        .records(
            "_sip._udp.sip.example.com",
            RecordType::Srv,
            vec![srv(
                "_sip._udp.sip.example.com",
                0,
                0,
                5060,
                "proxy.provider.net",
            )],
        )
        .records(
            "proxy.provider.net",
            RecordType::A,
            vec![a("proxy.provider.net", "203.0.113.9")],
        );
    let r = run_sip(config, &zone, "sip:sip.example.com;transport=udp", &[Udp]);
    assert_eq!(r.routes(), [route("203.0.113.9", 5060, Udp)]);
    assert_eq!(r.transmits.last().unwrap().nameserver, sa(LOCAL));
}

#[test]
fn a_zone_server_without_authority_is_passed_over() {
    let auth = sa("198.51.100.1:53");
    let zone = Zone::default()
        .with(
            "example.com",
            RecordType::Ns,
            Reply::Records(vec![ns("example.com", "ns1.example.com")], vec![]),
        )
        .records(
            "ns1.example.com",
            RecordType::A,
            vec![a("ns1.example.com", "198.51.100.1")],
        );
    let mut l = lookup(LookupConfig {
        ipv6: false,
        ..LookupConfig::default()
    });
    let now = origin();
    l.lookup_sip_proxy(now, &uri("sip:example.com:5060"), &[Udp])
        .unwrap();
    // NS, then the NS host's address (no glue), then A at the zone server.
    for _ in 0..2 {
        let t = l.poll_transmit().unwrap();
        assert_eq!(t.nameserver, sa(LOCAL));
        let _ = l.handle_answer(now, &zone.answer(&t).unwrap());
    }
    let t = l.poll_transmit().unwrap();
    assert_eq!((t.record_type, t.nameserver), (RecordType::A, auth));
    // A referral: no answer, no AA bit.
    let referral = answer_bytes(&t, RCODE::NoError, &[], &[], PacketFlag::empty());
    assert_eq!(l.handle_answer(now, &referral), AnswerStatus::Accepted);
    let t = l.poll_transmit().unwrap();
    assert_eq!(t.nameserver, sa(LOCAL));
    let ok = answer_bytes(
        &t,
        RCODE::NoError,
        &[a("example.com", "192.0.2.10")],
        &[],
        PacketFlag::empty(),
    );
    let _ = l.handle_answer(now, &ok);
    let events: Vec<_> = std::iter::from_fn(|| l.poll_event()).collect();
    assert_eq!(
        events.last(),
        Some(&Event::DidSucceed(LookupResult::Routes(vec![route(
            "192.0.2.10",
            5060,
            Udp
        )])))
    );
}

// ---- helpers ------------------------------------------------------------------------------

#[test]
fn resolv_conf_nameservers() {
    let text = "\
# generated
domain example.com
search example.com example.net
nameserver 192.0.2.53
nameserver   2001:db8::53   # trailing comment
nameserver fe80::1%2
nameserver fe80::1%eth0
nameserver not-an-address
nameserver
;nameserver 192.0.2.99
options edns0 trust-ad
nameserver 192.0.2.53
";
    let servers = parse_resolv_conf(text);
    assert_eq!(servers.len(), 3);
    assert_eq!(servers[0], sa("192.0.2.53:53"));
    assert_eq!(servers[1], sa("[2001:db8::53]:53"));
    assert_eq!(servers[2], sa("[fe80::1%2]:53"));
    assert!(parse_resolv_conf("").is_empty());
}

#[test]
fn route_uri_and_query_encoding() {
    assert_eq!(
        route("192.0.2.1", 5061, Tls).uri().to_string(),
        "sip:192.0.2.1:5061;transport=tls"
    );
    assert_eq!(
        route("2001:db8::1", 5060, Udp).uri().to_string(),
        "sip:[2001:db8::1]:5060;transport=udp"
    );
    let q = encode_query(0x1234, "Example.COM.", RecordType::Naptr).unwrap();
    let p = Packet::parse(&q).unwrap();
    assert_eq!(p.id(), 0x1234);
    assert!(p.has_flags(PacketFlag::RECURSION_DESIRED));
    assert_eq!(p.questions[0].qname.to_string(), "Example.COM");
    assert!(encode_query(1, "a..b", RecordType::A).is_err());
    assert!(encode_query(1, &"x".repeat(64), RecordType::A).is_err());
    assert_eq!(
        run_sip(plain(), &Zone::default(), "sip:bad..host", &[Udp]).end,
        Event::DidFail(LookupError::InvalidName("bad..host".into()))
    );
}
