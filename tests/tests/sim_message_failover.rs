//! MESSAGE through the non-dialog request client: the first route DNS gave is dead, the
//! second is a server that challenges every request without valid credentials. Over 200
//! seeds with loss, duplication and jitter, a sender sends three messages one after another:
//! the first times out on the dead route and fails over, the next ones go straight to the
//! route that answered; every message is delivered once and reported once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::{ClientTxId, Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_proto::request::message;
use sipsimple_proto::request::{Credentials, Outcome, RequestClient, Route, TxReport};
use sipsimple_proto::sip::auth::Algorithm;
use sipsimple_proto::sip::headers::{CallId, MediaType};
use sipsimple_proto::sip::{Address, Response, StatusCode};
use sipsimple_tests::digest::DigestServer;
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

const SENDER: &str = "192.0.2.10:5060";
const DEAD: &str = "192.0.2.66:5060";
const SERVER: &str = "192.0.2.1:5060";
const MESSAGES: usize = 3;

/// The receiving side: checks credentials, then the MESSAGE itself, and delivers it.
struct Server {
    endpoint: Endpoint<SeededRandom>,
    digest: DigestServer,
    /// (Call-ID, body) of every MESSAGE delivered to the user.
    delivered: Vec<(String, String)>,
    challenged: usize,
}

impl Server {
    fn serve(&mut self, now: Instant) {
        while let Some(ev) = self.endpoint.poll_event() {
            let Event::Request { tx, request, .. } = ev else {
                continue;
            };
            let answer = if !self.digest.verify(&request) {
                self.challenged += 1;
                self.digest.challenge(&request, "srv")
            } else {
                match message::accept(&request, &[MediaType::new("text", "plain")]) {
                    Ok(m) => {
                        let call_id = request.headers().single::<CallId<'_>>().unwrap();
                        self.delivered.push((
                            call_id.as_str().to_owned(),
                            String::from_utf8(m.body.to_vec()).unwrap(),
                        ));
                        Response::for_request(&request, StatusCode::OK).with_to_tag("srv")
                    }
                    Err(refusal) => refusal,
                }
            };
            self.endpoint.respond(now, tx, &answer).unwrap();
        }
    }
}

/// The sending side: an endpoint and a request client, one message at a time.
struct Sender {
    endpoint: Endpoint<SeededRandom>,
    client: RequestClient,
    rng: SeededRandom,
    in_flight: Option<ClientTxId>,
    /// Where each request went, in order.
    sent_to: Vec<SocketAddr>,
    /// The final outcome of each message: `Ok(call_id)` or `Err(code)`.
    outcomes: Vec<Result<String, u16>>,
    next: usize,
}

impl Sender {
    fn send_next(&mut self) {
        if self.next == MESSAGES {
            return;
        }
        let request = message::build(
            &mut self.rng,
            Address::new("sip:alice@example.com".parse().unwrap()),
            Address::new("sip:bob@example.com".parse().unwrap()),
            "text/plain",
            format!("message {}", self.next),
        );
        self.next += 1;
        self.client.send(&mut self.rng, request).unwrap();
    }

    fn pump(&mut self, now: Instant) {
        loop {
            while let Some(out) = self.client.poll_request() {
                self.sent_to.push(out.destination);
                self.in_flight = Some(
                    self.endpoint
                        .send_request(now, out.request, out.destination, out.transport)
                        .unwrap(),
                );
            }
            let Some(ev) = self.endpoint.poll_event() else {
                break;
            };
            let outcome = match TxReport::from_event(&ev) {
                Some((tx, report)) if Some(tx) == self.in_flight => {
                    self.client.handle_report(&mut self.rng, report)
                }
                _ => None,
            };
            match outcome {
                Some(Outcome::Succeeded { response, .. }) => {
                    let call_id = response.headers().single::<CallId<'_>>().unwrap();
                    self.outcomes.push(Ok(call_id.as_str().to_owned()));
                    self.send_next();
                }
                Some(Outcome::Failed(f)) => {
                    self.outcomes.push(Err(f.code));
                    self.send_next();
                }
                Some(Outcome::Retrying { .. }) | None => {}
            }
        }
    }
}

enum Peer {
    Sender(Box<Sender>),
    Server(Box<Server>),
}

impl Peer {
    fn endpoint(&mut self) -> &mut Endpoint<SeededRandom> {
        match self {
            Self::Sender(s) => &mut s.endpoint,
            Self::Server(s) => &mut s.endpoint,
        }
    }

    fn after_input(&mut self, now: Instant) {
        match self {
            Self::Sender(s) => s.pump(now),
            Self::Server(s) => s.serve(now),
        }
    }
}

impl Node for Peer {
    fn addr(&self) -> SocketAddr {
        match self {
            Self::Sender(_) => SENDER.parse().unwrap(),
            Self::Server(_) => SERVER.parse().unwrap(),
        }
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.endpoint()
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.after_input(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint().handle_timeout(now);
        self.after_input(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.endpoint()
            .poll_transmit()
            .map(|t| (t.destination, t.payload.to_vec()))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Sender(s) => s.endpoint.poll_timeout(),
            Self::Server(s) => s.endpoint.poll_timeout(),
        }
    }
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn udp(addr: &str) -> Route {
    Route {
        destination: addr.parse().unwrap(),
        transport: TransportKind::Udp,
    }
}

fn world(net: NetConfig, seed: u64) -> Simulation<Peer> {
    let t0 = origin();
    let mut sim = Simulation::new(t0, net, seed);
    let mut server_ep = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed + 1));
    server_ep.add_transport(TransportKind::Udp, SERVER.parse().unwrap());
    let mut rng = SeededRandom::new(seed ^ 0xfa11);
    sim.add(Peer::Server(Box::new(Server {
        endpoint: server_ep,
        digest: DigestServer {
            realm: "example.com".to_owned(),
            nonce: rng.token(24),
            algorithm: Algorithm::Sha256,
            password: "secret".to_owned(),
        },
        delivered: Vec::new(),
        challenged: 0,
    })));
    let mut sender_ep = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed + 2));
    sender_ep.add_transport(TransportKind::Udp, SENDER.parse().unwrap());
    let mut client = RequestClient::new(vec![udp(DEAD), udp(SERVER)]);
    client.set_credentials(&Credentials {
        username: "alice".to_owned(),
        password: "secret".to_owned(),
        realm: Some("example.com".to_owned()),
    });
    let mut sender = Sender {
        endpoint: sender_ep,
        client,
        rng: SeededRandom::new(seed + 3),
        in_flight: None,
        sent_to: Vec::new(),
        outcomes: Vec::new(),
        next: 0,
    };
    sender.send_next();
    sender.pump(t0);
    sim.add(Peer::Sender(Box::new(sender)));
    sim
}

fn parts(sim: &Simulation<Peer>) -> (&Server, &Sender) {
    match (&sim.nodes[0], &sim.nodes[1]) {
        (Peer::Server(a), Peer::Sender(b)) => (a, b),
        _ => unreachable!("node 0 is the server, node 1 the sender"),
    }
}

#[test]
fn messages_fail_over_and_authenticate_over_200_seeds() {
    let net = NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(40),
        loss: 0.2,
        duplicate: 0.1,
        ..NetConfig::default()
    };
    let mut failed = 0;
    for seed in 0..200 {
        let mut sim = world(net, seed);
        sim.run_until(Duration::from_secs(600), |s| {
            parts(s).1.outcomes.len() == MESSAGES
        });
        // Let retransmissions and stray responses drain.
        sim.run_for(sim.elapsed() + Duration::from_secs(60));
        let (server, sender) = parts(&sim);

        // The first request went to the dead route, then everything went to the server.
        assert_eq!(sender.sent_to[0], DEAD.parse().unwrap(), "seed {seed}");
        assert!(
            sender.sent_to[1..]
                .iter()
                .all(|a| *a == SERVER.parse().unwrap()),
            "seed {seed}: {:?}",
            sender.sent_to
        );
        // Each message reported once; each delivered at most once, and every success was
        // delivered.
        assert_eq!(sender.outcomes.len(), MESSAGES, "seed {seed}");
        let mut ids: Vec<&str> = server.delivered.iter().map(|(c, _)| c.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            server.delivered.len(),
            "seed {seed}: a duplicate"
        );
        for outcome in &sender.outcomes {
            match outcome {
                Ok(call_id) => assert!(
                    server.delivered.iter().any(|(c, _)| c == call_id),
                    "seed {seed}: reported delivered, never delivered"
                ),
                Err(code) => {
                    assert_eq!(*code, 408, "seed {seed}");
                    failed += 1;
                }
            }
        }
        // Credentials went up front after the first challenge (same realm, new Call-IDs
        // are not covered, so each message is challenged once).
        assert!(server.challenged >= server.delivered.len(), "seed {seed}");
    }
    // With 20 % loss each way a non-INVITE transaction fails about once in 2,000.
    assert!(
        failed <= 3,
        "{failed} of {} messages failed",
        200 * MESSAGES
    );
}
