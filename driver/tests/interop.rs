//! Interop with real third-party servers on 127.0.0.1: unbound, authoritative for the test
//! zones of `interop/dns/`, and kamailio as registrar and proxy with digest authentication
//! (`interop/kamailio/`).
//!
//! Every test is ignored by default: the servers must be running. `.ci/run` installs and
//! starts them, then runs
//! `cargo test -p sipsimple --test interop -- --ignored --test-threads=1`; by hand, see
//! `interop/README.md`. Ports, domain, users and password come from the `INTEROP_*`
//! environment variables of `interop/env.sh`, with the same defaults as there.

use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use sipsimple::proto::dns::{
    self, DnsLookup, Event, LookupConfig, LookupError, LookupResult, Service,
};
use sipsimple::proto::endpoint::TransportKind::{self, Tcp, Tls, Udp};
use sipsimple::proto::endpoint::{ClientTxId, Endpoint, EndpointConfig, Event as EndpointEvent};
use sipsimple::proto::rand::SeededRandom;
use sipsimple::proto::registration::{
    Failure, Registration, RegistrationConfig, RegistrationEvent,
};
use sipsimple::proto::request::{Credentials, Route};
use sipsimple::proto::sip::{Address, Method, Response, StatusCode, Uri};
use sipsimple::storage::{Document, MemoryStorage};
use sipsimple::{MessageDelivery, MessageError, SipApplication, StartOptions};

/// How long any one operation may take before the test calls it a hang.
const WAIT: Duration = Duration::from_secs(20);

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_port(name: &str, default: u16) -> u16 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a port"))
    })
}

fn sip_port() -> u16 {
    env_port("INTEROP_SIP_PORT", 15060)
}

fn tls_port() -> u16 {
    env_port("INTEROP_TLS_PORT", 15061)
}

fn dns_server() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], env_port("INTEROP_DNS_PORT", 15353)))
}

fn domain() -> String {
    env_or("INTEROP_DOMAIN", "sipsimple.test")
}

fn password() -> String {
    env_or("INTEROP_PASSWORD", "secret")
}

fn uri(text: &str) -> Uri<'static> {
    Uri::parse_owned(text.to_owned()).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

// ---------------------------------------------------------------------------------------
// DNS: the sans-IO lookup driven over blocking std sockets against unbound.

/// The configured nameserver is the test server. The zone's NS record points at 127.0.0.1,
/// which the lookup machine would ask on port 53 (NS records carry no port), so the tests
/// that check results turn the authoritative-first step off; `ns_first_...` checks it on.
fn direct() -> LookupConfig {
    let mut config = LookupConfig::default();
    config.authoritative_first = false;
    config.timeout = Duration::from_secs(2);
    config
}

/// Runs one lookup to its end: sends every query to its nameserver (UDP, or TCP with the
/// two-byte length prefix when the machine asks for it), feeds back the answers, and wakes
/// the machine at its deadlines.
fn run_lookup(
    config: LookupConfig,
    seed: u64,
    start: impl FnOnce(&mut DnsLookup<SeededRandom>, Instant) -> Result<(), dns::Error>,
) -> Result<LookupResult, LookupError> {
    let mut lookup = DnsLookup::new(config, vec![dns_server()], SeededRandom::new(seed));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    start(&mut lookup, Instant::now()).unwrap();
    let give_up = Instant::now() + WAIT;
    let mut buf = vec![0u8; 65535];
    loop {
        assert!(
            Instant::now() < give_up,
            "the lookup did not end in {WAIT:?}"
        );
        while let Some(t) = lookup.poll_transmit() {
            if t.retry_over_tcp {
                if let Some(answer) = tcp_exchange(t.nameserver, &t.bytes) {
                    let _ = lookup.handle_answer(Instant::now(), &answer);
                }
            } else {
                socket.send_to(&t.bytes, t.nameserver).unwrap();
            }
        }
        while let Some(event) = lookup.poll_event() {
            match event {
                Event::DidSucceed(result) => return Ok(result),
                Event::DidFail(error) => return Err(error),
                _ => {}
            }
        }
        let Some(deadline) = lookup.poll_timeout() else {
            panic!("no lookup running and no result");
        };
        let now = Instant::now();
        if deadline <= now {
            lookup.handle_timeout(now);
            continue;
        }
        socket
            .set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))))
            .unwrap();
        match socket.recv_from(&mut buf) {
            Ok((n, _from)) => {
                let _ = lookup.handle_answer(Instant::now(), &buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                lookup.handle_timeout(Instant::now());
            }
            // ICMP errors from an earlier send (nothing listening): keep waiting.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
            Err(e) => panic!("recv_from: {e}"),
        }
    }
}

/// One DNS query over TCP (RFC 1035 §4.2.2); `None` if the server cannot be reached.
fn tcp_exchange(server: SocketAddr, query: &[u8]) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&server, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut framed = u16::try_from(query.len()).ok()?.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream.write_all(&framed).ok()?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut answer).ok()?;
    Some(answer)
}

fn sip_routes(
    config: LookupConfig,
    seed: u64,
    target: &str,
    transports: &[TransportKind],
) -> Vec<dns::Route> {
    let target = uri(target);
    match run_lookup(config, seed, |l, now| {
        l.lookup_sip_proxy(now, &target, transports)
    }) {
        Ok(LookupResult::Routes(routes)) => routes,
        other => panic!("lookup_sip_proxy({target}, {transports:?}): {other:?}"),
    }
}

fn route(address: &str, port: u16, transport: TransportKind) -> dns::Route {
    dns::Route {
        address: address.parse().unwrap(),
        port,
        transport,
    }
}

/// The routes of each transport at sipsimple.test, as `interop/dns/sipsimple.test.zone` has
/// them: SRV priority first, the IPv4 then the IPv6 address of each target.
fn zone_routes(transport: TransportKind) -> Vec<dns::Route> {
    let (sip, tls) = (sip_port(), tls_port());
    match transport {
        Udp => vec![
            route("127.0.0.1", sip, Udp),
            route("::1", sip, Udp),
            route("127.0.0.1", 15070, Udp),
        ],
        Tcp => vec![route("127.0.0.1", sip, Tcp), route("::1", sip, Tcp)],
        Tls => vec![route("127.0.0.1", tls, Tls), route("::1", tls, Tls)],
    }
}

fn concat(transports: &[TransportKind]) -> Vec<dns::Route> {
    transports.iter().flat_map(|&t| zone_routes(t)).collect()
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn naptr_srv_routes_in_the_order_of_the_supported_transports() {
    let target = format!("sip:{}", domain());
    for transports in [
        vec![Tls, Tcp, Udp],
        vec![Udp, Tcp, Tls],
        vec![Tcp, Udp],
        vec![Udp],
    ] {
        let routes = sip_routes(direct(), 1, &target, &transports);
        assert_eq!(routes, concat(&transports), "{transports:?}");
    }
    // A sips: URI only ever uses TLS.
    let routes = sip_routes(direct(), 1, &format!("sips:{}", domain()), &[Udp, Tcp, Tls]);
    assert_eq!(routes, zone_routes(Tls));
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_transport_parameter_asks_for_that_srv_only() {
    let routes = sip_routes(
        direct(),
        1,
        &format!("sip:alice@{};transport=tcp", domain()),
        &[Udp, Tcp, Tls],
    );
    assert_eq!(routes, zone_routes(Tcp));
    let routes = sip_routes(
        direct(),
        1,
        &format!("sip:{};transport=udp", domain()),
        &[Tcp, Udp],
    );
    assert_eq!(routes, zone_routes(Udp));
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_domain_with_only_an_a_record_gets_the_default_ports() {
    let routes = sip_routes(direct(), 1, "sip:bob@fallback.test", &[Udp, Tcp, Tls]);
    assert_eq!(
        routes,
        [
            route("127.0.0.1", 5060, Udp),
            route("127.0.0.1", 5060, Tcp),
            route("127.0.0.1", 5061, Tls),
        ]
    );
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn srv_weights_within_a_priority_and_priorities_between() {
    // _sip._udp.weighted: priority 10 with weights 10 (:15062) and 90 (:15060), then
    // priority 20 (:15070). No NAPTR there: the SRV fallback of RFC 3263 §4.2.
    let target = format!("sip:weighted.{}", domain());
    let (heavy, light, backup) = (
        route("127.0.0.1", 15060, Udp),
        route("127.0.0.1", 15062, Udp),
        route("127.0.0.1", 15070, Udp),
    );
    let runs = 100;
    let mut heavy_first = 0;
    for seed in 0..runs {
        let routes = sip_routes(direct(), seed, &target, &[Udp, Tcp]);
        assert_eq!(routes.len(), 3, "{routes:?}");
        assert_eq!(
            BTreeSet::from([routes[0].port, routes[1].port]),
            BTreeSet::from([heavy.port, light.port]),
            "{routes:?}"
        );
        assert_eq!(routes[2], backup);
        if routes[0] == heavy {
            heavy_first += 1;
        }
    }
    // Weight 90 of 100: first about 90 % of the time.
    assert!(
        (70..runs).contains(&heavy_first),
        "weight 90 came first in {heavy_first} of {runs} lookups"
    );
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_name_that_does_not_exist_is_not_found() {
    let target = uri(&format!("sip:nowhere.{}", domain()));
    let result = run_lookup(direct(), 1, |l, now| {
        l.lookup_sip_proxy(now, &target, &[Udp, Tcp])
    });
    assert!(
        matches!(result, Err(LookupError::NotFound { .. })),
        "{result:?}"
    );
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn ns_first_falls_back_to_the_configured_nameserver() {
    // Default configuration: NS sipsimple.test → ns.sipsimple.test, glue 127.0.0.1, asked on
    // port 53 where the test server is not. Whatever is there (nothing, or a server that does
    // not know the zone), the lookup goes on with the configured server and gets the same
    // routes.
    let mut config = LookupConfig::default();
    config.timeout = Duration::from_millis(300);
    let routes = sip_routes(config, 1, &format!("sip:{}", domain()), &[Tls, Tcp, Udp]);
    assert_eq!(routes, concat(&[Tls, Tcp, Udp]));
}

fn servers(target: &str, service: Service) -> Vec<SocketAddr> {
    let target = uri(target);
    match run_lookup(direct(), 1, |l, now| {
        l.lookup_service(now, &target, service)
    }) {
        Ok(LookupResult::Servers(servers)) => servers,
        other => panic!("lookup_service({target}, {service}): {other:?}"),
    }
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn msrp_relay_and_stun_servers_from_srv() {
    let d = domain();
    let v4 = |port| SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port);
    let v6 = |port| SocketAddr::new("::1".parse().unwrap(), port);
    assert_eq!(
        servers(&format!("sip:alice@{d}"), Service::MsrpRelay),
        [v4(2855), v6(2856)]
    );
    assert_eq!(servers(&format!("sip:{d}"), Service::Stun), [v4(3479)]);
    // No SRV: the host's address with the service's default port.
    assert_eq!(servers("sip:bob@fallback.test", Service::Stun), [v4(3478)]);
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn xcap_roots_from_txt_keep_only_http_and_https() {
    let d = domain();
    let target = uri(&format!("sip:alice@{d}"));
    let result = run_lookup(direct(), 1, |l, now| l.lookup_xcap_server(now, &target));
    let Ok(LookupResult::XcapServers(uris)) = result else {
        panic!("lookup_xcap_server: {result:?}");
    };
    // TXT records form a set: their order carries no meaning.
    let got: BTreeSet<String> = uris.iter().cloned().collect();
    assert_eq!(uris.len(), got.len(), "{uris:?}");
    assert_eq!(
        got,
        BTreeSet::from([
            format!("http://xcap.{d}:15080/xcap-root"),
            format!("https://xcap.{d}/xcap-root"),
        ])
    );
}

// ---------------------------------------------------------------------------------------
// kamailio: MESSAGE through the proxy, with digest authentication.

/// Settings with UDP and TCP on ports the system picks; lookups ask the test nameserver.
fn options() -> (MemoryStorage, StartOptions) {
    let serde_json::Value::Object(map) = serde_json::json!({
        "SIPSimpleSettings": {"sip": {"transport_list": ["udp", "tcp"]}}
    }) else {
        unreachable!()
    };
    let options = StartOptions {
        nameservers: Some(vec![dns_server()]),
        ..StartOptions::loopback()
    };
    (
        MemoryStorage::with_document(Document::from_map(map)),
        options,
    )
}

fn started() -> SipApplication {
    let app = SipApplication::new();
    let (storage, options) = options();
    app.start_with(storage, options).unwrap();
    app
}

fn kamailio(transport: TransportKind) -> Route {
    Route {
        destination: SocketAddr::from(([127, 0, 0, 1], sip_port())),
        transport,
    }
}

fn credentials(username: &str, password: &str) -> Option<Credentials> {
    Some(Credentials {
        username: username.to_owned(),
        password: password.to_owned(),
        realm: None,
    })
}

/// Sends a MESSAGE from alice to `to`; panics if there is no outcome within [`WAIT`].
fn message(
    app: &SipApplication,
    to: &str,
    routes: Vec<Route>,
    credentials: Option<Credentials>,
) -> Result<MessageDelivery, MessageError> {
    let from = Address::new(uri(&format!("sip:alice@{}", domain())));
    let to = Address::new(uri(to));
    let send = app.send_message(
        from,
        to,
        "text/plain",
        "hello kamailio",
        routes,
        credentials,
    );
    smol::block_on(smol::future::or(async { Some(send.await) }, async {
        smol::Timer::after(WAIT).await;
        None
    }))
    .unwrap_or_else(|| panic!("no outcome for the MESSAGE in {WAIT:?}"))
}

fn assert_failed(result: &Result<MessageDelivery, MessageError>, codes: &[u16]) {
    match result {
        Err(MessageError::Failed { code, .. }) if codes.contains(code) => {}
        other => panic!("expected a failure with one of {codes:?}, got {other:?}"),
    }
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn without_credentials_kamailio_challenges_with_407() {
    let app = started();
    for transport in [Udp, Tcp] {
        let result = message(
            &app,
            &format!("sip:bob@{}", domain()),
            vec![kamailio(transport)],
            None,
        );
        assert_failed(&result, &[407]);
    }
    app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn an_authenticated_message_to_an_unregistered_user_is_404() {
    // 407 without credentials (above); with them the challenge is answered and kamailio
    // looks the user up: nobody registers as `nobody` (the peers and other tests register
    // the real users).
    let app = started();
    for transport in [Udp, Tcp] {
        let result = message(
            &app,
            &format!("sip:nobody@{}", domain()),
            vec![kamailio(transport)],
            credentials("alice", &password()),
        );
        assert_failed(&result, &[404]);
    }
    app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_wrong_password_fails_with_the_challenge_not_a_hang() {
    let app = started();
    for transport in [Udp, Tcp] {
        let result = message(
            &app,
            &format!("sip:bob@{}", domain()),
            vec![kamailio(transport)],
            credentials("alice", "not-the-password"),
        );
        assert_failed(&result, &[407, 403]);
    }
    app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn kamailio_refuses_to_relay_to_another_domain() {
    let app = started();
    let result = message(
        &app,
        "sip:bob@example.org",
        vec![kamailio(Udp)],
        credentials("alice", &password()),
    );
    assert_failed(&result, &[403]);
    app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_message_goes_to_kamailio_through_the_naptr_srv_routes() {
    // The routes of the domain from unbound (TCP first, then UDP), handed to the driver.
    let routes: Vec<Route> = sip_routes(direct(), 1, &format!("sip:{}", domain()), &[Tcp, Udp])
        .into_iter()
        .map(|r| Route {
            destination: r.socket_addr(),
            transport: r.transport,
        })
        .collect();
    assert_eq!(routes[0], kamailio(Tcp));
    let app = started();
    let result = message(
        &app,
        &format!("sip:nobody@{}", domain()),
        routes,
        credentials("alice", &password()),
    );
    assert_failed(&result, &[404]);
    app.stop_and_wait();
}

// ---------------------------------------------------------------------------------------
// A registered user agent built from the sans-IO cores (the driver has no accounts yet):
// `Registration` + `Endpoint` over a blocking UDP socket, answering MESSAGE with 200.

/// What the user agent thread reports.
#[derive(Debug)]
enum UaReport {
    Registered { expires: u32 },
    GotMessage { body: String },
    Unregistered,
}

struct RawUa {
    socket: UdpSocket,
    endpoint: Endpoint<SeededRandom>,
    registration: Registration,
    rng: SeededRandom,
    in_flight: Option<ClientTxId>,
}

impl RawUa {
    fn new(user: &str) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let local = socket.local_addr().unwrap();
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(11));
        endpoint.add_transport(Udp, local);
        let mut config = RegistrationConfig::new(
            uri(&format!("sip:{user}@{}", domain())),
            uri(&format!("sip:{user}@{local}")),
        );
        config.expires = 60;
        config.credentials = credentials(user, &password());
        config.routes = vec![kamailio(Udp)];
        Self {
            socket,
            endpoint,
            registration: Registration::new(config).unwrap(),
            rng: SeededRandom::new(12),
            in_flight: None,
        }
    }

    /// One turn: sends what the machines want sent, waits up to 50 ms for a datagram (or a
    /// deadline), feeds it. Returns the registration's events and the MESSAGE bodies answered.
    fn turn(&mut self) -> (Vec<RegistrationEvent>, Vec<String>) {
        let now = Instant::now();
        while let Some(out) = self.registration.poll_request() {
            let tx = self
                .endpoint
                .send_request(now, out.request, out.destination, out.transport)
                .unwrap();
            self.in_flight = Some(tx);
        }
        while let Some(t) = self.endpoint.poll_transmit() {
            self.socket.send_to(&t.payload, t.destination).unwrap();
        }
        let events: Vec<RegistrationEvent> =
            std::iter::from_fn(|| self.registration.poll_event()).collect();
        let deadline = [
            self.endpoint.poll_timeout(),
            self.registration.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let mut wait = Duration::from_millis(50);
        if let Some(d) = deadline {
            wait = wait.min(d.saturating_duration_since(now));
        }
        self.socket
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .unwrap();
        let mut buf = vec![0u8; 65535];
        match self.socket.recv_from(&mut buf) {
            Ok((n, source)) => {
                self.endpoint
                    .handle_message(Instant::now(), source, Udp, None, &buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
            Err(e) => panic!("recv_from: {e}"),
        }
        let now = Instant::now();
        self.endpoint.handle_timeout(now);
        self.registration.handle_timeout(now, &mut self.rng);
        let mut bodies = Vec::new();
        while let Some(event) = self.endpoint.poll_event() {
            match event {
                EndpointEvent::Response { tx, response } if Some(tx) == self.in_flight => {
                    if response.status().code() >= 200 {
                        self.in_flight = None;
                    }
                    self.registration
                        .handle_response(now, &mut self.rng, &response);
                }
                EndpointEvent::Timeout { tx } if Some(tx) == self.in_flight => {
                    self.in_flight = None;
                    self.registration
                        .handle_failure(now, &mut self.rng, Failure::Timeout);
                }
                EndpointEvent::TransportError { tx } if Some(tx) == self.in_flight => {
                    self.in_flight = None;
                    self.registration
                        .handle_failure(now, &mut self.rng, Failure::TransportError);
                }
                EndpointEvent::Request { tx, request, .. } => {
                    let code = if *request.method() == Method::Message {
                        bodies.push(String::from_utf8_lossy(request.body()).into_owned());
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_IMPLEMENTED
                    };
                    let response = Response::for_request(&request, code).with_to_tag("raw-ua");
                    self.endpoint.respond(now, tx, &response).unwrap();
                }
                _ => {}
            }
        }
        (events, bodies)
    }
}

/// Runs a user agent for `user` on its own thread: registers with kamailio, answers MESSAGE
/// until `stop` says so, then unregisters. Everything it sees goes to the returned receiver.
fn spawn_ua(
    user: &'static str,
) -> (
    std::sync::mpsc::Receiver<UaReport>,
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let (report, reports) = std::sync::mpsc::channel();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let mut ua = RawUa::new(user);
        ua.registration
            .register(Instant::now(), &mut ua.rng)
            .unwrap();
        let give_up = Instant::now() + 4 * WAIT;
        let mut unregistering = false;
        while Instant::now() < give_up {
            if !unregistering && stopped.try_recv().is_ok() {
                ua.registration
                    .unregister(Instant::now(), &mut ua.rng)
                    .unwrap();
                unregistering = true;
            }
            let (events, bodies) = ua.turn();
            for body in bodies {
                let _ = report.send(UaReport::GotMessage { body });
            }
            for event in events {
                match event {
                    RegistrationEvent::DidSucceed { expires, .. } => {
                        let _ = report.send(UaReport::Registered { expires });
                    }
                    RegistrationEvent::DidEnd => {
                        let _ = report.send(UaReport::Unregistered);
                        return;
                    }
                    RegistrationEvent::DidFail { error, .. } => {
                        panic!("{user}: registration failed: {error}")
                    }
                    RegistrationEvent::DidNotEnd { code, reason } => {
                        panic!("{user}: unregistration failed: {code} {reason}")
                    }
                    _ => {}
                }
            }
        }
        panic!("{user}: the user agent ran out of time");
    });
    (reports, stop, thread)
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_message_reaches_a_registered_user_through_kamailio() {
    let (reports, stop, thread) = spawn_ua("carol");
    let registered = reports.recv_timeout(WAIT).expect("carol registers");
    assert!(
        matches!(registered, UaReport::Registered { expires } if expires > 0 && expires <= 60),
        "{registered:?}"
    );
    let app = started();
    let to = format!("sip:carol@{}", domain());
    for transport in [Udp, Tcp] {
        let delivery = message(
            &app,
            &to,
            vec![kamailio(transport)],
            credentials("alice", &password()),
        )
        .unwrap_or_else(|e| panic!("{transport:?}: {e:?}"));
        assert_eq!(delivery.code, 200, "{transport:?}");
        let got = reports.recv_timeout(WAIT).expect("carol gets the MESSAGE");
        assert!(
            matches!(&got, UaReport::GotMessage { body } if body == "hello kamailio"),
            "{got:?}"
        );
    }
    // Unregistered, carol is unknown again.
    stop.send(()).unwrap();
    let end = reports.recv_timeout(WAIT).expect("carol unregisters");
    assert!(matches!(end, UaReport::Unregistered), "{end:?}");
    thread.join().unwrap();
    let result = message(
        &app,
        &to,
        vec![kamailio(Udp)],
        credentials("alice", &password()),
    );
    assert_failed(&result, &[404]);
    app.stop_and_wait();
}

// ---------------------------------------------------------------------------------------
// Accounts of the driver against kamailio: registration over every transport and through
// DNS, a wrong password, and MESSAGE between two registered accounts.

/// An application with these transports, trusting kamailio's certificate, asking the test
/// nameserver.
fn application(transports: &[&str]) -> (SipApplication, sipsimple::notification::Observer) {
    let ca = format!(
        "{}/kamailio/ca.crt",
        env_or("INTEROP_RUN_DIR", "/tmp/sipsimple-interop")
    );
    let serde_json::Value::Object(map) = serde_json::json!({
        "SIPSimpleSettings": {
            "sip": {"transport_list": transports},
            "tls": {"ca_list": ca},
        }
    }) else {
        unreachable!()
    };
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let options = StartOptions {
        nameservers: Some(vec![dns_server()]),
        ..StartOptions::loopback()
    };
    app.start_with(
        MemoryStorage::with_document(Document::from_map(map)),
        options,
    )
    .unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    (app, events)
}

fn account_settings(
    user: &str,
    password: &str,
    proxy: Option<String>,
) -> sipsimple::configuration::AccountSettings {
    let id = sipsimple::configuration::AccountId::new(format!("{user}@{}", domain())).unwrap();
    let mut settings = sipsimple::configuration::AccountSettings::new(id);
    settings.enabled = true;
    settings.auth.password = password.into();
    settings.sip.outbound_proxy = proxy;
    settings
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn an_account_registers_over_udp_tcp_and_tls_and_unregisters() {
    for (transport, port) in [
        ("udp", sip_port()),
        ("tcp", sip_port()),
        ("tls", tls_port()),
    ] {
        let (app, events) = application(&[transport]);
        let proxy = format!("sip:127.0.0.1:{port};transport={transport}");
        let account = app
            .account_manager()
            .add_account(account_settings("alice", &password(), Some(proxy)))
            .unwrap();
        let ok = events
            .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
            .unwrap_or_else(|e| panic!("{transport}: {e}"));
        assert!(account.registered(), "{transport}");
        assert_eq!(ok.get("registrar").unwrap()["transport"], transport);
        assert_eq!(ok.get("registrar").unwrap()["port"], port);
        let contact = ok.get_str("contact_header").unwrap();
        assert!(contact.contains("127.0.0.1"), "{transport}: {contact}");
        assert!(ok.get_u64("expires").unwrap() > 0);
        app.stop();
        let ended = events
            .wait_for("SIPAccountRegistrationDidEnd", WAIT)
            .unwrap_or_else(|e| panic!("{transport}: no unregistration: {e}"));
        assert_eq!(ended.sender, account.sender_id());
        app.stop_and_wait();
    }
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn a_wrong_password_fails_the_registration_with_the_code() {
    let (app, events) = application(&["udp"]);
    let proxy = format!("sip:127.0.0.1:{}", sip_port());
    app.account_manager()
        .add_account(account_settings("alice", "not-the-password", Some(proxy)))
        .unwrap();
    let failed = events
        .wait_for("SIPAccountRegistrationDidFail", WAIT)
        .unwrap();
    assert_eq!(failed.get_u64("code"), Some(401), "{failed}");
    assert!(
        failed
            .get_str("error")
            .unwrap()
            .contains("authentication failed"),
        "{failed}"
    );
    assert!(failed.get("retry_after").unwrap().as_f64().unwrap() > 0.0);
    app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn an_account_finds_its_registrar_through_naptr_and_srv() {
    let (app, events) = application(&["tcp", "udp"]);
    let account = app
        .account_manager()
        .add_account(account_settings("dave", &password(), None))
        .unwrap();
    let ok = events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    // NAPTR prefers TLS, which does not run here; TCP comes next, at the SRV's port.
    assert_eq!(ok.get("registrar").unwrap()["transport"], "tcp");
    assert_eq!(ok.get("registrar").unwrap()["port"], sip_port());
    assert!(account.registered());
    app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn two_registered_accounts_exchange_a_message_through_kamailio() {
    let (bob_app, bob_events) = application(&["udp"]);
    bob_app
        .account_manager()
        .add_account(account_settings(
            "bob",
            &password(),
            Some(format!("sip:127.0.0.1:{}", sip_port())),
        ))
        .unwrap();
    bob_events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    let (alice_app, alice_events) = application(&["tcp"]);
    let alice = alice_app
        .account_manager()
        .add_account(account_settings(
            "alice",
            &password(),
            Some(format!("sip:127.0.0.1:{};transport=tcp", sip_port())),
        ))
        .unwrap();
    alice_events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    let to = format!("sip:bob@{}", domain());
    let delivery =
        smol::block_on(alice.send_message(&to, "text/plain", "Hello through kamailio")).unwrap();
    assert_eq!(delivery.code, 200);
    let got = bob_events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
    assert_eq!(got.get_str("body"), Some("Hello through kamailio"));
    assert!(got.get_str("from_header").unwrap().contains("alice@"));
    alice_app.stop_and_wait();
    bob_app.stop_and_wait();
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn the_lookup_command_prints_the_routes_in_order() {
    let nameserver = dns_server().to_string();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipsimple"))
            .args(args)
            .args(["--nameserver", &nameserver])
            .output()
            .unwrap()
    };
    let o = run(&["lookup", &domain(), "--transports", "tcp,udp"]);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines.first().map(String::as_str),
        Some(format!("tcp  sip:127.0.0.1:{};transport=tcp", sip_port()).as_str())
    );
    assert!(lines.iter().any(|l| l.starts_with("udp ")));
    let o = run(&["lookup", &domain(), "--service", "xcap"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
    let o = run(&["lookup", &format!("nowhere.{}", domain())]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
#[ignore = "needs the interop servers: see interop/README.md"]
fn an_account_refreshes_its_registration_before_it_expires() {
    let (app, events) = application(&["udp"]);
    let mut settings = account_settings(
        "carol",
        &password(),
        Some(format!("sip:127.0.0.1:{}", sip_port())),
    );
    // The shortest lifetime the settings allow; refreshed 5 s before it ends.
    settings.sip.register_interval = 30;
    let account = app.account_manager().add_account(settings).unwrap();
    let first = events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    assert_eq!(first.get_u64("expires"), Some(30));
    let started = Instant::now();
    events
        .wait_for("SIPAccountRegistrationWillRefresh", Duration::from_secs(40))
        .unwrap();
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(20)..Duration::from_secs(30)).contains(&waited),
        "refreshed after {waited:?}"
    );
    let again = events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    assert_eq!(again.get_u64("expires"), Some(30));
    assert!(account.registered());
    app.stop_and_wait();
}
