//! REGISTER with digest authentication between a UA and a registrar that checks every
//! response, over a lossy network and over an hour of virtual time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::{ClientTxId, Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_proto::registration::{
    Credentials, Registration, RegistrationConfig, RegistrationEvent, Route, TxReport,
};
use sipsimple_proto::sip::auth::Algorithm;
use sipsimple_proto::sip::headers::{Contact, Expires, MinExpires};
use sipsimple_proto::sip::{Response, StatusCode};
use sipsimple_tests::digest::DigestServer;
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

const UA: &str = "192.0.2.10:5060";
const REGISTRAR: &str = "192.0.2.1:5060";
const PASSWORD: &str = "secret";

/// A registrar: challenges every REGISTER without valid credentials, refuses a lifetime
/// under `min_expires` with 423, and grants 300 s (or `min_expires` when larger).
struct Registrar {
    addr: SocketAddr,
    endpoint: Endpoint<SeededRandom>,
    digest: DigestServer,
    min_expires: Option<u32>,
    too_brief: usize,
    accepted: usize,
    rejected: usize,
}

impl Registrar {
    fn serve(&mut self, now: Instant) {
        while let Some(ev) = self.endpoint.poll_event() {
            let Event::Request { tx, request, .. } = ev else {
                continue;
            };
            let asked = request
                .headers()
                .first::<Expires>()
                .and_then(Result::ok)
                .map_or(3600, |e| e.0);
            let answer = if !self.digest.verify(&request) {
                self.rejected += 1;
                self.digest.challenge(&request, "reg")
            } else if let Some(min) = self.min_expires.filter(|&m| asked < m) {
                self.too_brief += 1;
                Response::for_request(&request, StatusCode::new(423).unwrap())
                    .with_to_tag("reg")
                    .with_header(&MinExpires(min))
            } else {
                self.accepted += 1;
                let granted = self.min_expires.unwrap_or(300).max(300).to_string();
                let contact = request
                    .headers()
                    .first::<Contact<'_>>()
                    .and_then(Result::ok);
                let mut ok = Response::for_request(&request, StatusCode::OK).with_to_tag("reg");
                if let Some(c) = contact {
                    let mut c = c.into_owned();
                    if let Some(a) = c.address_mut() {
                        a.params.set("expires", Some(&granted));
                    }
                    ok = ok.with_header(&c);
                }
                ok
            };
            self.endpoint.respond(now, tx, &answer).unwrap();
        }
    }
}

/// The UA: an endpoint and a registration machine wired together.
struct Ua {
    addr: SocketAddr,
    endpoint: Endpoint<SeededRandom>,
    registration: Registration,
    rng: SeededRandom,
    in_flight: Option<ClientTxId>,
    events: Vec<(Duration, RegistrationEvent)>,
    start: Instant,
}

impl Ua {
    fn pump(&mut self, now: Instant) {
        loop {
            while let Some(out) = self.registration.poll_request() {
                let tx = self
                    .endpoint
                    .send_request(now, out.request, out.destination, out.transport)
                    .unwrap();
                self.in_flight = Some(tx);
            }
            let mut progressed = false;
            while let Some(ev) = self.endpoint.poll_event() {
                progressed = true;
                if let Some((tx, report)) = TxReport::from_event(&ev) {
                    if Some(tx) == self.in_flight {
                        self.registration.handle_report(now, &mut self.rng, report);
                    }
                }
            }
            while let Some(ev) = self.registration.poll_event() {
                self.events.push((now - self.start, ev));
            }
            if !progressed {
                break;
            }
        }
    }

    fn successes(&self) -> usize {
        self.events
            .iter()
            .filter(|(_, e)| matches!(e, RegistrationEvent::DidSucceed { .. }))
            .count()
    }
}

enum Peer {
    Ua(Box<Ua>),
    Registrar(Box<Registrar>),
}

impl Peer {
    fn endpoint(&mut self) -> &mut Endpoint<SeededRandom> {
        match self {
            Self::Ua(u) => &mut u.endpoint,
            Self::Registrar(r) => &mut r.endpoint,
        }
    }

    fn after_input(&mut self, now: Instant) {
        match self {
            Self::Ua(u) => u.pump(now),
            Self::Registrar(r) => r.serve(now),
        }
    }
}

impl Node for Peer {
    fn addr(&self) -> SocketAddr {
        match self {
            Self::Ua(u) => u.addr,
            Self::Registrar(r) => r.addr,
        }
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.endpoint()
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.after_input(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint().handle_timeout(now);
        if let Self::Ua(u) = self {
            if u.registration.poll_timeout().is_some_and(|t| t <= now) {
                u.registration.handle_timeout(now, &mut u.rng);
            }
        }
        self.after_input(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.endpoint()
            .poll_transmit()
            .map(|t| (t.destination, t.payload.to_vec()))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Ua(u) => [u.endpoint.poll_timeout(), u.registration.poll_timeout()]
                .into_iter()
                .flatten()
                .min(),
            Self::Registrar(r) => r.endpoint.poll_timeout(),
        }
    }
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn world(net: NetConfig, seed: u64, algorithm: Algorithm) -> Simulation<Peer> {
    world_with(net, seed, algorithm, None)
}

fn world_with(
    net: NetConfig,
    seed: u64,
    algorithm: Algorithm,
    min_expires: Option<u32>,
) -> Simulation<Peer> {
    let t0 = origin();
    let mut sim = Simulation::new(t0, net, seed);
    let mut rng = SeededRandom::new(seed ^ 0x5eed);
    let mut config = EndpointConfig::default();
    config.allow.push(sipsimple_proto::sip::Method::Register);
    let mut reg_ep = Endpoint::new(config, SeededRandom::new(seed + 1));
    reg_ep.add_transport(TransportKind::Udp, REGISTRAR.parse().unwrap());
    sim.add(Peer::Registrar(Box::new(Registrar {
        addr: REGISTRAR.parse().unwrap(),
        endpoint: reg_ep,
        digest: DigestServer {
            realm: "example.com".to_owned(),
            nonce: rng.token(24),
            algorithm,
            password: PASSWORD.to_owned(),
        },
        min_expires,
        too_brief: 0,
        accepted: 0,
        rejected: 0,
    })));
    let mut ua_ep = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed + 2));
    ua_ep.add_transport(TransportKind::Udp, UA.parse().unwrap());
    let mut config = RegistrationConfig::new(
        "sip:alice@example.com".parse().unwrap(),
        format!("sip:alice@{UA}").parse().unwrap(),
    );
    config.credentials = Some(Credentials {
        username: "alice".to_owned(),
        password: PASSWORD.to_owned(),
        realm: None,
    });
    config.routes.push(Route {
        destination: REGISTRAR.parse().unwrap(),
        transport: TransportKind::Udp,
    });
    let mut ua = Ua {
        addr: UA.parse().unwrap(),
        endpoint: ua_ep,
        registration: Registration::new(config).unwrap(),
        rng: SeededRandom::new(seed + 3),
        in_flight: None,
        events: Vec::new(),
        start: t0,
    };
    ua.registration.register(t0, &mut ua.rng).unwrap();
    ua.pump(t0);
    sim.add(Peer::Ua(Box::new(ua)));
    sim
}

fn ua(sim: &Simulation<Peer>) -> &Ua {
    match &sim.nodes[1] {
        Peer::Ua(u) => u,
        Peer::Registrar(_) => unreachable!("node 1 is the UA"),
    }
}

#[test]
fn register_with_digest_through_30_percent_loss_over_200_seeds() {
    let net = NetConfig {
        latency: Duration::from_millis(25),
        jitter: Duration::from_millis(30),
        loss: 0.3,
        duplicate: 0.05,
        ..NetConfig::default()
    };
    for seed in 0..200 {
        let algorithm = if seed % 2 == 0 {
            Algorithm::Md5
        } else {
            Algorithm::Sha256
        };
        let mut sim = world(net, seed, algorithm);
        // A failed attempt is retried after 60 s; within ten minutes every seed registers.
        sim.run_until(Duration::from_secs(600), |s| ua(s).successes() >= 1);
        let u = ua(&sim);
        let ok = u
            .events
            .iter()
            .find_map(|(_, e)| match e {
                RegistrationEvent::DidSucceed { expires, .. } => Some(*expires),
                _ => None,
            })
            .unwrap();
        assert_eq!(ok, 300, "seed {seed}: the granted expires");
    }
}

#[test]
fn registration_refreshes_for_an_hour() {
    let mut sim = world(NetConfig::default(), 42, Algorithm::Sha256);
    sim.run_for(Duration::from_secs(3600));
    let u = ua(&sim);
    // Granted 300 s, refreshed at 270 s: the initial registration plus 13 refreshes.
    assert_eq!(u.successes(), 14, "{:#?}", u.events);
    let refreshes = u
        .events
        .iter()
        .filter(|(_, e)| matches!(e, RegistrationEvent::WillRefresh { .. }))
        .count();
    assert_eq!(refreshes, 13);
    let Peer::Registrar(r) = &sim.nodes[0] else {
        unreachable!()
    };
    // Refreshes carry credentials up front: only the first REGISTER was challenged.
    assert_eq!((r.accepted, r.rejected), (14, 1));
}

#[test]
fn interval_too_brief_is_followed_through_loss_over_200_seeds() {
    let net = NetConfig {
        latency: Duration::from_millis(25),
        jitter: Duration::from_millis(30),
        loss: 0.3,
        duplicate: 0.05,
        ..NetConfig::default()
    };
    for seed in 0..200 {
        // The UA asks for 600 s; the registrar wants at least 1800.
        let mut sim = world_with(net, seed, Algorithm::Sha256, Some(1800));
        sim.run_until(Duration::from_secs(600), |s| ua(s).successes() >= 1);
        let u = ua(&sim);
        let granted = u.events.iter().find_map(|(_, e)| match e {
            RegistrationEvent::DidSucceed { expires, .. } => Some(*expires),
            _ => None,
        });
        assert_eq!(granted, Some(1800), "seed {seed}: {:#?}", u.events);
        let Peer::Registrar(r) = &sim.nodes[0] else {
            unreachable!()
        };
        assert!(r.too_brief >= 1, "seed {seed}: the 423 was never sent");
        // After the 423 the UA asks for what the registrar said, and keeps asking for it.
        sim.run_for(sim.elapsed() + Duration::from_secs(3 * 1800));
        let u = ua(&sim);
        let refreshes = u
            .events
            .iter()
            .filter(|(_, e)| matches!(e, RegistrationEvent::WillRefresh { expires: 1800, .. }))
            .count();
        assert!(refreshes >= 3, "seed {seed}: {refreshes} refreshes");
        // The UA learns Min-Expires once (the registrar may have sent more 423s that were
        // lost before the UA saw one).
        let seen = u
            .events
            .iter()
            .filter(|(_, e)| matches!(e, RegistrationEvent::GotAnswer { code: 423, .. }))
            .count();
        assert_eq!(seen, 1, "seed {seed}: asked too little again");
    }
}
