//! MESSAGE both ways between two endpoints over a lossy, duplicating, reordering network,
//! across 200 seeds: each side's user sees the other's request exactly once and its own
//! request's final response exactly once (or a timeout), whatever the network did.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::{ClientTxId, Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::{Address, Method, RequestBuilder, Response, StatusCode, Uri};
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

struct Ua {
    addr: SocketAddr,
    endpoint: Endpoint<SeededRandom>,
    sent: Option<ClientTxId>,
    requests: usize,
    finals: Vec<u16>,
    timeouts: usize,
}

impl Ua {
    fn new(addr: SocketAddr, seed: u64) -> Self {
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
        endpoint.add_transport(TransportKind::Udp, addr);
        Self {
            addr,
            endpoint,
            sent: None,
            requests: 0,
            finals: Vec::new(),
            timeouts: 0,
        }
    }

    fn send_message(&mut self, now: Instant, to: SocketAddr, tag: &str) {
        let uri: Uri<'static> = format!("sip:peer@{to}").parse().unwrap();
        let req = RequestBuilder::new(Method::Message, uri.clone())
            .from(Address::new(format!("sip:me@{}", self.addr).parse().unwrap()).with_tag(tag))
            .to(Address::new(uri))
            .call_id(&format!("{tag}@sim"))
            .cseq(1)
            .body("text/plain", &b"hello"[..])
            .build();
        self.sent = Some(
            self.endpoint
                .send_request(now, req, to, TransportKind::Udp)
                .unwrap(),
        );
    }

    /// The user: answer every request with 200, record what comes back.
    fn run_user(&mut self, now: Instant) {
        while let Some(ev) = self.endpoint.poll_event() {
            match ev {
                Event::Request { tx, request, .. } => {
                    self.requests += 1;
                    let ok = Response::for_request(&request, StatusCode::OK).with_to_tag("u");
                    self.endpoint.respond(now, tx, &ok).unwrap();
                }
                Event::Response { tx, response } if Some(tx) == self.sent => {
                    if response.status().is_final() {
                        self.finals.push(response.status().code());
                    }
                }
                Event::Timeout { tx } if Some(tx) == self.sent => self.timeouts += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

impl Node for Ua {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.endpoint
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.run_user(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.run_user(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.endpoint
            .poll_transmit()
            .map(|t| (t.destination, t.payload.to_vec()))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

#[test]
fn message_both_ways_through_loss_over_200_seeds() {
    let net = NetConfig {
        latency: Duration::from_millis(30),
        jitter: Duration::from_millis(50),
        loss: 0.3,
        duplicate: 0.15,
        ..NetConfig::default()
    };
    let (a, b): (SocketAddr, SocketAddr) = (
        "192.0.2.1:5060".parse().unwrap(),
        "192.0.2.2:5060".parse().unwrap(),
    );
    let mut delivered = 0;
    for seed in 0..200 {
        let t0 = origin();
        let mut sim = Simulation::new(t0, net, seed);
        sim.add(Ua::new(a, seed * 2 + 1));
        sim.add(Ua::new(b, seed * 2 + 2));
        sim.nodes[0].send_message(t0, b, "alice");
        sim.nodes[1].send_message(t0, a, "bob");
        // Every transaction ends within 64*T1 plus Timer K/J: run until both are idle.
        sim.run_until(Duration::from_secs(80), |s| {
            s.nodes
                .iter()
                .all(|n| n.endpoint.transaction_count() == (0, 0))
        });
        for (i, ua) in sim.nodes.iter().enumerate() {
            assert!(
                ua.requests <= 1,
                "seed {seed} node {i}: duplicate request surfaced"
            );
            assert_eq!(
                ua.finals.len() + ua.timeouts,
                1,
                "seed {seed} node {i}: {:?} / {} timeouts",
                ua.finals,
                ua.timeouts
            );
            if ua.finals == [200] {
                delivered += 1;
            }
        }
        // A 200 seen by one side means the other side's user got the request.
        assert!(
            sim.nodes[0].finals.is_empty() || sim.nodes[1].requests == 1,
            "seed {seed}"
        );
        assert!(
            sim.nodes[1].finals.is_empty() || sim.nodes[0].requests == 1,
            "seed {seed}"
        );
    }
    assert!(
        delivered >= 396,
        "only {delivered} of 400 MESSAGEs confirmed"
    );
}
