//! The DNS driver against fake nameservers on 127.0.0.1: `DnsLookup` (the RFC 3263 chain,
//! services, XCAP, failover, TCP after truncation, NXDOMAIN, hostile datagrams) and
//! `DnsManager` (resolv.conf, probing, fallback, `DNSResolverDidInitialize`,
//! `DNSNameserversDidChange`).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use simple_dns::rdata::{RData, A, NAPTR, SRV, TXT};
use simple_dns::TYPE;
use simple_dns::{CharacterString, Name, Packet, PacketFlag, ResourceRecord, CLASS, QTYPE, RCODE};
use sipsimple::dns::{DnsLookup, DnsLookupError, DnsManager, DnsManagerConfig};
use sipsimple::notification::{Notification, NotificationCenter, Observer};
use sipsimple::proto::dns::{LookupError, Route, Service};
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::proto::sip::Uri;

const TIMEOUT: Duration = Duration::from_millis(500);
const LIFETIME: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// A fake authoritative nameserver.

/// Record data in a test zone.
#[derive(Debug, Clone)]
enum Rd {
    A(Ipv4Addr),
    Srv(u16, u16, u16, &'static str),
    /// Order, preference, service, replacement (flag `S`).
    Naptr(u16, u16, &'static str, &'static str),
    Txt(&'static str),
}

impl Rd {
    fn record_type(&self) -> TYPE {
        match self {
            Self::A(_) => TYPE::A,
            Self::Srv(..) => TYPE::SRV,
            Self::Naptr(..) => TYPE::NAPTR,
            Self::Txt(_) => TYPE::TXT,
        }
    }

    fn rdata(&self) -> RData<'_> {
        match self {
            Self::A(a) => RData::A(A {
                address: u32::from(*a),
            }),
            Self::Srv(priority, weight, port, target) => RData::SRV(SRV {
                priority: *priority,
                weight: *weight,
                port: *port,
                target: Name::new_unchecked(target),
            }),
            Self::Naptr(order, preference, services, replacement) => RData::NAPTR(NAPTR {
                order: *order,
                preference: *preference,
                flags: CharacterString::new(b"S").expect("short"),
                services: CharacterString::new(services.as_bytes()).expect("short"),
                regexp: CharacterString::new(b"").expect("short"),
                replacement: Name::new_unchecked(replacement),
            }),
            Self::Txt(text) => RData::TXT(TXT::new().with_string(text).expect("short")),
        }
    }
}

/// The records a fake nameserver serves; names it has no record for are NXDOMAIN.
#[derive(Debug, Clone, Default)]
struct Zone {
    records: Vec<(&'static str, Rd)>,
    /// Answer every UDP query with an empty, truncated (TC) answer.
    truncate_udp: bool,
}

impl Zone {
    fn new(records: &[(&'static str, Rd)]) -> Self {
        Self {
            records: records.to_vec(),
            truncate_udp: false,
        }
    }

    /// The answer to `query` and a log line (`udp SRV _sip._udp.example.com`).
    fn answer(&self, query: &[u8], tcp: bool) -> Option<(Vec<u8>, String)> {
        let packet = Packet::parse(query).ok()?;
        let question = packet.questions.first()?.clone();
        let name = question.qname.to_string();
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let QTYPE::TYPE(qtype) = question.qtype else {
            return None;
        };
        let line = format!("{} {qtype:?} {name}", if tcp { "tcp" } else { "udp" });
        let mut reply = Packet::new_reply(packet.id());
        reply.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
        reply.questions.push(question);
        if self.truncate_udp && !tcp {
            reply.set_flags(PacketFlag::TRUNCATION);
            return Some((reply.build_bytes_vec().ok()?, line));
        }
        if !self.records.iter().any(|(n, _)| *n == name) {
            *reply.rcode_mut() = RCODE::NameError;
        }
        for (owner, rd) in &self.records {
            if *owner == name && rd.record_type() == qtype {
                reply.answers.push(ResourceRecord::new(
                    Name::new_unchecked(owner),
                    CLASS::IN,
                    300,
                    rd.rdata(),
                ));
            }
        }
        Some((reply.build_bytes_vec().ok()?, line))
    }
}

/// A nameserver on 127.0.0.1 serving a [`Zone`] over UDP and TCP (same port) from threads
/// that stop when it is dropped.
struct FakeServer {
    addr: SocketAddr,
    /// What it was asked, in order.
    log: Arc<Mutex<Vec<String>>>,
    /// When false, it reads queries and never answers.
    answering: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl FakeServer {
    fn start(zone: Zone) -> Self {
        let (udp, tcp) = bind_pair();
        let addr = udp.local_addr().expect("bound");
        let log = Arc::new(Mutex::new(Vec::new()));
        let answering = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let zone = Arc::new(zone);
        {
            let (zone, log, answering) = (zone.clone(), log.clone(), answering.clone());
            serve_udp(udp, stop.clone(), move |socket, from, query| {
                if !answering.load(Ordering::SeqCst) {
                    return;
                }
                if let Some((reply, line)) = zone.answer(query, false) {
                    log.lock().unwrap().push(line);
                    let _ = socket.send_to(&reply, from);
                }
            });
        }
        serve_tcp(tcp, stop.clone(), zone, log.clone());
        Self {
            addr,
            log,
            answering,
            stop,
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A UDP socket and a TCP listener on the same port of 127.0.0.1.
fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let addr = udp.local_addr().expect("bound");
        if let Ok(tcp) = TcpListener::bind(addr) {
            return (udp, tcp);
        }
    }
    panic!("no port free for both UDP and TCP");
}

/// Calls `handle` for every datagram `socket` receives until `stop`.
fn serve_udp(
    socket: UdpSocket,
    stop: Arc<AtomicBool>,
    mut handle: impl FnMut(&UdpSocket, SocketAddr, &[u8]) + Send + 'static,
) {
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::SeqCst) {
            if let Ok((n, from)) = socket.recv_from(&mut buf) {
                handle(&socket, from, &buf[..n]);
            }
        }
    });
}

/// Answers one length-prefixed query per connection until `stop`.
fn serve_tcp(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    zone: Arc<Zone>,
    log: Arc<Mutex<Vec<String>>>,
) {
    listener.set_nonblocking(true).expect("nonblocking");
    thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let Ok((mut stream, _)) = listener.accept() else {
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut prefix = [0u8; 2];
            if stream.read_exact(&mut prefix).is_err() {
                continue;
            }
            let mut query = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            if stream.read_exact(&mut query).is_err() {
                continue;
            }
            if let Some((reply, line)) = zone.answer(&query, true) {
                log.lock().unwrap().push(line);
                let len = u16::try_from(reply.len()).expect("small").to_be_bytes();
                let _ = stream.write_all(&len);
                let _ = stream.write_all(&reply);
            }
        }
    });
}

fn drain(observer: &Observer) -> Vec<Notification> {
    std::iter::from_fn(|| observer.try_recv().ok()).collect()
}

fn uri(text: &str) -> Uri<'static> {
    text.parse().expect("a valid URI")
}

fn example_zone() -> Zone {
    Zone::new(&[
        (
            "example.com",
            Rd::Naptr(10, 10, "SIP+D2T", "_sip._tcp.example.com"),
        ),
        (
            "example.com",
            Rd::Naptr(20, 10, "SIP+D2U", "_sip._udp.example.com"),
        ),
        (
            "example.com",
            Rd::Naptr(30, 10, "SIPS+D2T", "_sips._tcp.example.com"),
        ),
        ("example.com", Rd::A(Ipv4Addr::new(192, 0, 2, 10))),
        (
            "_sip._tcp.example.com",
            Rd::Srv(0, 0, 5060, "tcp.example.com"),
        ),
        (
            "_sip._udp.example.com",
            Rd::Srv(0, 0, 5060, "udp.example.com"),
        ),
        (
            "_sips._tcp.example.com",
            Rd::Srv(0, 0, 5061, "tls.example.com"),
        ),
        ("udp.example.com", Rd::A(Ipv4Addr::new(192, 0, 2, 1))),
        ("tcp.example.com", Rd::A(Ipv4Addr::new(192, 0, 2, 2))),
        ("tls.example.com", Rd::A(Ipv4Addr::new(192, 0, 2, 3))),
        (
            "_stun._udp.example.com",
            Rd::Srv(0, 0, 3478, "stun.example.com"),
        ),
        ("stun.example.com", Rd::A(Ipv4Addr::new(192, 0, 2, 9))),
        (
            "xcap.example.com",
            Rd::Txt("https://xcap.example.com/xcap-root"),
        ),
        (
            "xcap.example.com",
            Rd::Txt("ftp://xcap.example.com/not-http"),
        ),
    ])
}

fn route(address: [u8; 4], port: u16, transport: TransportKind) -> Route {
    Route {
        address: Ipv4Addr::from(address).into(),
        port,
        transport,
    }
}

// ---------------------------------------------------------------------------------------------
// DnsLookup

#[test]
fn naptr_srv_a_chain_is_ordered_by_supported_transports_and_traced() {
    let server = FakeServer::start(example_zone());
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![server.addr]);
    let observer = center.observe(None, Some(lookup.sender().clone()));

    let transports = [TransportKind::Tls, TransportKind::Udp];
    let routes = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sip:alice@example.com"),
        &transports,
        TIMEOUT,
        LIFETIME,
    ))
    .expect("routes");
    assert_eq!(
        routes,
        [
            route([192, 0, 2, 3], 5061, TransportKind::Tls),
            route([192, 0, 2, 1], 5060, TransportKind::Udp),
        ]
    );

    let notifications = drain(&observer);
    let (last, traces) = notifications.split_last().expect("notifications");
    // One trace per query the nameserver received, in order.
    let asked = server.log();
    assert_eq!(traces.len(), asked.len(), "{asked:?}");
    assert!(traces.iter().all(|n| &*n.name == "DNSLookupTrace"));
    for (trace, line) in traces.iter().zip(&asked) {
        let expected = format!(
            "udp {} {}",
            trace.get_str("query_type").unwrap(),
            trace.get_str("query_name").unwrap()
        );
        assert_eq!(expected, *line);
        assert_eq!(trace.get_str("context"), Some("lookup_sip_proxy"));
        assert_eq!(trace.get_str("uri"), Some("sip:alice@example.com"));
        assert_eq!(
            trace.get("nameservers"),
            Some(&json!([server.addr.to_string()]))
        );
        assert!(trace.get("service").is_none());
    }
    assert_eq!(traces[0].get_str("query_type"), Some("NS"));
    let naptr = traces
        .iter()
        .find(|t| t.get_str("query_type") == Some("NAPTR"))
        .expect("a NAPTR query");
    assert_eq!(naptr.get("error"), Some(&json!(null)));
    assert_eq!(
        naptr.get("answer").and_then(|a| a.as_array()).map(Vec::len),
        Some(3)
    );
    let srv = traces
        .iter()
        .find(|t| t.get_str("query_name") == Some("_sips._tcp.example.com"))
        .expect("the TLS SRV query");
    assert_eq!(
        srv.get("answer"),
        Some(&json!([{
            "name": "_sips._tcp.example.com", "ttl": 300, "type": "SRV",
            "data": "0 0 5061 tls.example.com.",
        }]))
    );
    // No query for the transport the application does not support.
    assert!(!asked.iter().any(|l| l.contains("_sip._tcp")));

    assert_eq!(&*last.name, "DNSLookupDidSucceed");
    assert_eq!(
        last.get("result"),
        Some(&json!([
            {"address": "192.0.2.3", "port": 5061, "transport": "tls"},
            {"address": "192.0.2.1", "port": 5060, "transport": "udp"},
        ]))
    );
}

#[test]
fn service_and_xcap_lookups() {
    let server = FakeServer::start(example_zone());
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![server.addr]);
    let observer = center.observe(None, Some(lookup.sender().clone()));
    let domain = uri("sip:example.com");

    let stun = smol::block_on(lookup.lookup_service(&domain, Service::Stun, TIMEOUT, LIFETIME));
    assert_eq!(stun, Ok(vec!["192.0.2.9:3478".parse().unwrap()]));
    let notifications = drain(&observer);
    let last = notifications.last().expect("notifications");
    assert_eq!(last.get("result"), Some(&json!([["192.0.2.9", 3478]])));
    let trace = &notifications[0];
    assert_eq!(trace.get_str("context"), Some("lookup_service"));
    assert_eq!(trace.get_str("service"), Some("stun"));

    // No `_msrps._tcp` SRV: the host's address with the default port.
    let relays =
        smol::block_on(lookup.lookup_service(&domain, Service::MsrpRelay, TIMEOUT, LIFETIME));
    assert_eq!(relays, Ok(vec!["192.0.2.10:2855".parse().unwrap()]));

    let xcap = smol::block_on(lookup.lookup_xcap_server(&domain, TIMEOUT, LIFETIME));
    assert_eq!(
        xcap,
        Ok(vec!["https://xcap.example.com/xcap-root".to_owned()])
    );
    let last = drain(&observer).pop().expect("notifications");
    assert_eq!(
        last.get("result"),
        Some(&json!(["https://xcap.example.com/xcap-root"]))
    );
}

#[test]
fn numeric_host_needs_no_query() {
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), Vec::new());
    let observer = center.observe(None, Some(lookup.sender().clone()));
    let routes = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sip:192.0.2.7:5080;transport=tcp"),
        &[TransportKind::Udp, TransportKind::Tcp],
        TIMEOUT,
        LIFETIME,
    ));
    assert_eq!(
        routes,
        Ok(vec![route([192, 0, 2, 7], 5080, TransportKind::Tcp)])
    );
    let notifications = drain(&observer);
    assert_eq!(notifications.len(), 1);
    assert_eq!(&*notifications[0].name, "DNSLookupDidSucceed");
}

#[test]
fn silent_nameserver_fails_over_to_the_next_one() {
    // Bound, never read: queries to it go unanswered.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let silent_addr = silent.local_addr().unwrap();
    let server = FakeServer::start(example_zone());
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![silent_addr, server.addr]);
    let observer = center.observe(Some("DNSLookupTrace"), Some(lookup.sender().clone()));

    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    // An explicit port: NS, A and AAAA only.
    let routes = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sip:example.com:5070"),
        &[TransportKind::Udp],
        timeout,
        LIFETIME,
    ));
    let elapsed = started.elapsed();
    assert_eq!(
        routes,
        Ok(vec![route([192, 0, 2, 10], 5070, TransportKind::Udp)])
    );
    let traces = drain(&observer);
    assert_eq!(traces.len(), 3);
    assert_eq!(server.log().len(), 3);
    for t in &traces {
        let servers = json!([silent_addr.to_string(), server.addr.to_string()]);
        assert_eq!(t.get("nameservers"), Some(&servers));
    }
    // Each query waited `timeout` for the silent server, and no longer.
    assert!(elapsed >= timeout * 3, "{elapsed:?}");
    assert!(elapsed < LIFETIME, "{elapsed:?}");
}

#[test]
fn only_silent_nameservers_time_out_within_the_lifetime() {
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![silent.local_addr().unwrap()]);
    let observer = center.observe(Some("DNSLookupDidFail"), Some(lookup.sender().clone()));
    // The lifetime ends the lookup long before the per-nameserver timeout.
    let lifetime = Duration::from_millis(300);
    let started = Instant::now();
    let result = smol::block_on(lookup.lookup_xcap_server(
        &uri("sip:example.com"),
        Duration::from_secs(10),
        lifetime,
    ));
    let elapsed = started.elapsed();
    assert!(matches!(
        result,
        Err(DnsLookupError::Lookup(LookupError::Timeout { .. }))
    ));
    assert!(
        elapsed >= lifetime && elapsed < lifetime + Duration::from_secs(1),
        "{elapsed:?}"
    );
    let failed = observer.try_recv().expect("DNSLookupDidFail");
    assert_eq!(
        failed.get_str("error"),
        Some("timeout in lookup for XCAP servers for domain example.com")
    );
}

#[test]
fn truncated_udp_answer_is_asked_again_over_tcp() {
    let mut zone = example_zone();
    zone.truncate_udp = true;
    let server = FakeServer::start(zone);
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![server.addr]);
    let xcap =
        smol::block_on(lookup.lookup_xcap_server(&uri("sip:bob@example.com"), TIMEOUT, LIFETIME));
    assert_eq!(
        xcap,
        Ok(vec!["https://xcap.example.com/xcap-root".to_owned()])
    );
    let log = server.log();
    assert_eq!(
        log,
        [
            "udp NS example.com",
            "tcp NS example.com",
            "udp TXT xcap.example.com",
            "tcp TXT xcap.example.com",
        ]
    );
}

#[test]
fn refused_tcp_retry_moves_on_after_the_timeout() {
    // Truncates over UDP and has no TCP listener: the retry's connection is refused.
    let mut truncating = example_zone();
    truncating.truncate_udp = true;
    let (socket, tcp) = bind_pair();
    drop(tcp);
    let broken = socket.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    serve_udp(socket, stop.clone(), move |socket, from, query| {
        if let Some((bytes, _)) = truncating.answer(query, false) {
            let _ = socket.send_to(&bytes, from);
        }
    });
    let server = FakeServer::start(example_zone());
    let center = NotificationCenter::new();
    let mut lookup = DnsLookup::with_nameservers(center.clone(), vec![broken, server.addr]);
    lookup.set_authoritative_first(false);
    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let xcap =
        smol::block_on(lookup.lookup_xcap_server(&uri("sip:example.com"), timeout, LIFETIME));
    stop.store(true, Ordering::SeqCst);
    assert_eq!(
        xcap,
        Ok(vec!["https://xcap.example.com/xcap-root".to_owned()])
    );
    assert_eq!(server.log(), ["udp TXT xcap.example.com"]);
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
}

#[test]
fn nxdomain_fails_with_a_clear_error() {
    let server = FakeServer::start(Zone::default());
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![server.addr]);
    let observer = center.observe(None, Some(lookup.sender().clone()));
    let result = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sip:nowhere.example"),
        &[TransportKind::Udp],
        TIMEOUT,
        LIFETIME,
    ));
    let Err(DnsLookupError::Lookup(error @ LookupError::NotFound { .. })) = result else {
        panic!("expected NotFound, got {result:?}");
    };
    let notifications = drain(&observer);
    let (last, traces) = notifications.split_last().expect("notifications");
    assert!(!traces.is_empty());
    for t in traces {
        assert_eq!(t.get("answer"), Some(&json!(null)));
        assert_eq!(
            t.get_str("error"),
            Some("the DNS query name does not exist")
        );
    }
    assert_eq!(&*last.name, "DNSLookupDidFail");
    assert_eq!(last.get_str("error"), Some(error.to_string().as_str()));
    assert_eq!(
        error.to_string(),
        "no routes for SIP URI sip:nowhere.example found"
    );
}

#[test]
fn no_nameservers_fails_at_once() {
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), Vec::new());
    let result = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sip:example.com"),
        &[TransportKind::Udp],
        TIMEOUT,
        LIFETIME,
    ));
    assert_eq!(result, Err(LookupError::NoNameservers.into()));
}

#[test]
fn garbage_and_datagrams_from_other_addresses_are_ignored() {
    let real = Zone::new(&[("example.com", Rd::A(Ipv4Addr::new(192, 0, 2, 10)))]);
    let forged = Zone::new(&[("example.com", Rd::A(Ipv4Addr::new(10, 6, 6, 6)))]);
    let (socket, _tcp) = bind_pair();
    let addr = socket.local_addr().unwrap();
    let spoofer = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let stop = Arc::new(AtomicBool::new(false));
    serve_udp(socket, stop.clone(), move |socket, from, query| {
        let id = [query[0], query[1]];
        // A well-formed answer with the right id, from another port.
        if let Some((bytes, _)) = forged.answer(query, false) {
            let _ = spoofer.send_to(&bytes, from);
        }
        // Garbage from the right address: too short, a header with the right id and QR set
        // followed by junk, random bytes, and the forged answer under another id.
        let _ = socket.send_to(&[0x00], from);
        let mut junk = vec![id[0], id[1], 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
        junk.extend_from_slice(&[0xff; 40]);
        let _ = socket.send_to(&junk, from);
        let _ = socket.send_to(&[0x5a; 300], from);
        if let Some((mut bytes, _)) = forged.answer(query, false) {
            bytes[1] ^= 0x01;
            let _ = socket.send_to(&bytes, from);
        }
        thread::sleep(Duration::from_millis(20));
        if let Some((bytes, _)) = real.answer(query, false) {
            let _ = socket.send_to(&bytes, from);
        }
    });

    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![addr]);
    let routes = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sip:example.com:5070"),
        &[TransportKind::Udp],
        TIMEOUT,
        LIFETIME,
    ));
    stop.store(true, Ordering::SeqCst);
    assert_eq!(
        routes,
        Ok(vec![route([192, 0, 2, 10], 5070, TransportKind::Udp)])
    );
}

#[test]
fn lookups_are_send_and_can_be_spawned() {
    let server = FakeServer::start(example_zone());
    let center = NotificationCenter::new();
    let lookup = DnsLookup::with_nameservers(center.clone(), vec![server.addr]);
    let observer = center.observe(Some("DNSLookupDidSucceed"), None);
    let task = smol::spawn(lookup.lookup_service(
        &uri("sip:example.com"),
        Service::Stun,
        TIMEOUT,
        LIFETIME,
    ));
    drop(lookup);
    let servers = smol::block_on(task).expect("servers");
    assert_eq!(servers, ["192.0.2.9:3478".parse::<SocketAddr>().unwrap()]);
    assert!(observer.try_recv().is_ok());
}

// ---------------------------------------------------------------------------------------------
// DnsManager

fn manager_config(dir: &tempfile::TempDir, text: &str, port: u16) -> DnsManagerConfig {
    let path = dir.path().join("resolv.conf");
    std::fs::write(&path, text).expect("write resolv.conf");
    let mut config = DnsManagerConfig::default();
    config.resolv_conf = path;
    config.nameserver_port = port;
    config.fallback = vec!["192.0.2.53:53".parse().unwrap()];
    config.probe_timeout = Duration::from_millis(300);
    config
}

#[test]
fn manager_uses_the_system_nameserver_that_answers() {
    let server = FakeServer::start(example_zone());
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "# generated\nsearch example.com\nnameserver 127.0.0.1\noptions ndots:1\n";
    let config = manager_config(&dir, text, server.addr.port());
    let center = NotificationCenter::new();
    let manager = DnsManager::with_config(center.clone(), config);
    let observer = center.observe(None, Some(manager.sender().clone()));
    assert_eq!(manager.system_nameservers(), [server.addr]);

    let chosen = smol::block_on(manager.start());
    assert_eq!(chosen, [server.addr]);
    assert_eq!(manager.nameservers(), [server.addr]);
    let n = observer.try_recv().expect("DNSResolverDidInitialize");
    assert_eq!(&*n.name, "DNSResolverDidInitialize");
    assert_eq!(
        n.get("nameservers"),
        Some(&json!([server.addr.to_string()]))
    );
    assert!(server.log().iter().any(|l| l.starts_with("udp NS")));

    // A lookup through the manager asks the chosen nameserver.
    let lookup = DnsLookup::new(center.clone(), &manager);
    assert_eq!(lookup.nameservers(), [server.addr]);
    let routes = smol::block_on(lookup.lookup_sip_proxy(
        &uri("sips:example.com"),
        &[TransportKind::Udp, TransportKind::Tls],
        TIMEOUT,
        LIFETIME,
    ));
    assert_eq!(
        routes,
        Ok(vec![route([192, 0, 2, 3], 5061, TransportKind::Tls)])
    );

    // The same answer again changes nothing.
    smol::block_on(manager.probe());
    assert!(observer.try_recv().is_err());
}

#[test]
fn manager_falls_back_when_silent_and_reports_changes() {
    let server = FakeServer::start(example_zone());
    server.answering.store(false, Ordering::SeqCst);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = manager_config(&dir, "nameserver 127.0.0.1\n", server.addr.port());
    let fallback = config.fallback.clone();
    let center = NotificationCenter::new();
    let manager = DnsManager::with_config(center.clone(), config);
    let observer = center.observe(None, Some(manager.sender().clone()));

    // Before any probe: the system nameservers.
    assert_eq!(manager.nameservers(), [server.addr]);
    let started = Instant::now();
    assert_eq!(smol::block_on(manager.start()), fallback);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let n = observer.try_recv().expect("DNSResolverDidInitialize");
    assert_eq!(&*n.name, "DNSResolverDidInitialize");
    assert_eq!(n.get("nameservers"), Some(&json!(["192.0.2.53:53"])));
    assert_eq!(manager.nameservers(), fallback);

    // The local nameserver comes back: it is preferred again.
    server.answering.store(true, Ordering::SeqCst);
    assert_eq!(smol::block_on(manager.probe()), [server.addr]);
    let n = observer.try_recv().expect("DNSNameserversDidChange");
    assert_eq!(&*n.name, "DNSNameserversDidChange");
    assert_eq!(
        n.get("nameservers"),
        Some(&json!([server.addr.to_string()]))
    );

    // It goes silent again: the periodic probing notices, and stop ends the loop.
    server.answering.store(false, Ordering::SeqCst);
    smol::block_on(futures_lite::future::zip(
        manager.run(Duration::from_millis(50)),
        async {
            let n = observer.recv().await;
            assert_eq!(&*n.name, "DNSNameserversDidChange");
            assert_eq!(n.get("nameservers"), Some(&json!(["192.0.2.53:53"])));
            manager.stop();
        },
    ));
    // Stopped: `run` returns at once until the next start.
    smol::block_on(manager.run(Duration::from_secs(60)));
}

#[test]
fn manager_without_resolv_conf_uses_the_fallback() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = manager_config(&dir, "", 53);
    config.resolv_conf = dir.path().join("missing");
    let center = NotificationCenter::new();
    let manager = DnsManager::with_config(center.clone(), config);
    let observer = center.observe(Some("DNSResolverDidInitialize"), None);
    assert!(manager.system_nameservers().is_empty());
    assert_eq!(
        manager.nameservers(),
        ["192.0.2.53:53".parse::<SocketAddr>().unwrap()]
    );
    let started = Instant::now();
    smol::block_on(manager.start());
    assert!(started.elapsed() < Duration::from_millis(300));
    assert!(observer.try_recv().is_ok());
}

/// An audio stream with ICE and no STUN server configured asks DNS for the `_stun._udp`
/// servers of its account's domain, and gathers from the one found before the offer goes
/// out: the server sees a Binding request from the stream's RTP socket.
#[test]
fn an_audio_stream_finds_its_stun_server_through_srv() {
    use sipsimple::configuration::{AccountId, AccountSettings};
    use sipsimple::session::{AudioStream, MediaStream};
    use sipsimple::{Session, SipApplication, StartOptions};

    // A STUN server on loopback that answers every Binding request and notes its source.
    let stun = UdpSocket::bind("127.0.0.1:0").unwrap();
    stun.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let stun_port = stun.local_addr().unwrap().port();
    let sources = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    {
        let (sources, stop) = (sources.clone(), stop.clone());
        thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stop.load(Ordering::SeqCst) {
                let Ok((n, from)) = stun.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(request) = sipsimple::proto::stun::Message::parse(&buf[..n]) else {
                    continue;
                };
                sources.lock().unwrap().push(from);
                let mut reply = Vec::new();
                if sipsimple::proto::stun::success_response(&mut reply, &request, from, None)
                    .is_ok()
                {
                    let _ = stun.send_to(&reply, from);
                }
            }
        });
    }
    let server = FakeServer::start(Zone::new(&[
        (
            "_stun._udp.example.com",
            Rd::Srv(0, 0, stun_port, "stun.example.com"),
        ),
        ("stun.example.com", Rd::A(Ipv4Addr::LOCALHOST)),
    ]));

    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let mut options = StartOptions::loopback();
    options.nameservers = Some(vec![server.addr]);
    app.start_with(sipsimple::storage::MemoryStorage::new(), options)
        .unwrap();
    events.wait_for("SIPApplicationDidStart", LIFETIME).unwrap();
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    settings.sip.outbound_proxy = Some("sip:127.0.0.1:9".to_owned());
    settings.nat_traversal.use_ice = true;
    app.account_manager().add_account(settings).unwrap();
    let account = app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();

    let stream = AudioStream::new(&app).unwrap();
    let session = Session::new(&account);
    session
        .connect(
            "sip:bob@example.com",
            vec![stream.clone() as Arc<dyn MediaStream>],
        )
        .unwrap();
    let started = Instant::now();
    events
        .wait_for("MediaStreamDidInitialize", LIFETIME)
        .unwrap();
    // Gathering ended with the server's answer, not its 5 s time limit.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(server
        .log()
        .contains(&"udp SRV _stun._udp.example.com".to_owned()));
    let rtp = stream.local_rtp_port().unwrap();
    assert!(
        sources.lock().unwrap().iter().any(|s| s.port() == rtp),
        "no Binding request from the RTP port {rtp}: {:?}",
        sources.lock().unwrap()
    );
    let _ = session.end();
    stop.store(true, Ordering::SeqCst);
    app.stop_and_wait();
}
