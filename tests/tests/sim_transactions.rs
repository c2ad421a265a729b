//! Client and server transactions between two simulated endpoints over lossy, duplicating,
//! reordering networks: every transaction ends with exactly one final response (or a
//! timeout), retransmitted requests never reach the transaction user twice, and everything
//! terminates within the RFC 3261 bounds. Each scenario runs over 200 seeds.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::sip::headers::Via;
use sipsimple_proto::sip::{Address, Message, Method, RequestBuilder, Response, StatusCode};
use sipsimple_proto::transaction::{
    ClientEvent, ClientTransaction, ServerEvent, ServerTransaction, TimerConfig, TransactionKey,
};
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

/// A minimal transaction user: the UAC sends one request; the UAS answers each new request
/// with `answer` (after a 180 for INVITE).
struct TxNode {
    addr: SocketAddr,
    answer: u16,
    clients: HashMap<TransactionKey, (ClientTransaction, SocketAddr)>,
    servers: HashMap<TransactionKey, (ServerTransaction, SocketAddr)>,
    out: VecDeque<(SocketAddr, Vec<u8>)>,
    /// Final responses the TU received, and timeouts.
    finals: Vec<u16>,
    timeouts: usize,
    /// Requests passed to the TU (new server transactions).
    requests: usize,
    acks_to_tu: usize,
    log: Vec<(Duration, String)>,
    start: Instant,
}

impl TxNode {
    fn new(addr: SocketAddr, answer: u16, start: Instant) -> Self {
        Self {
            addr,
            answer,
            clients: HashMap::new(),
            servers: HashMap::new(),
            out: VecDeque::new(),
            finals: Vec::new(),
            timeouts: 0,
            requests: 0,
            acks_to_tu: 0,
            log: Vec::new(),
            start,
        }
    }

    fn send(&mut self, now: Instant, method: Method, to: SocketAddr) {
        let uri: sipsimple_proto::sip::Uri<'static> = format!("sip:bob@{to}").parse().unwrap();
        let req = RequestBuilder::new(method, uri.clone())
            .via(&Via::new(
                "UDP",
                &self.addr.ip().to_string(),
                Some(self.addr.port()),
                "z9hG4bKsim1",
            ))
            .from(Address::new("sip:alice@example.com".parse().unwrap()).with_tag("a1"))
            .to(Address::new(uri))
            .call_id("sim@example.com")
            .cseq(1)
            .build();
        let key = TransactionKey::for_outgoing_request(&req).unwrap();
        let tx = ClientTransaction::new(now, req, false, TimerConfig::default()).unwrap();
        self.clients.insert(key, (tx, to));
        self.drain(now);
    }

    fn drain(&mut self, now: Instant) {
        let at = now - self.start;
        for (tx, dest) in self.clients.values_mut() {
            while let Some(b) = tx.poll_transmit() {
                self.out.push_back((*dest, b.to_vec()));
            }
            while let Some(e) = tx.poll_event() {
                match &e {
                    ClientEvent::Response(r) if r.status().is_final() => {
                        self.finals.push(r.status().code())
                    }
                    ClientEvent::Timeout => self.timeouts += 1,
                    _ => {}
                }
                self.log.push((at, format!("client {e:?}")));
            }
        }
        for (tx, dest) in self.servers.values_mut() {
            while let Some(b) = tx.poll_transmit() {
                self.out.push_back((*dest, b.to_vec()));
            }
            while let Some(e) = tx.poll_event() {
                self.log.push((at, format!("server {e:?}")));
                let _: &ServerEvent = &e;
            }
        }
        self.clients.retain(|_, (tx, _)| !tx.is_terminated());
        self.servers.retain(|_, (tx, _)| !tx.is_terminated());
    }

    fn idle(&self) -> bool {
        self.clients.is_empty() && self.servers.is_empty()
    }
}

impl Node for TxNode {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        match Message::parse(data) {
            Ok(Message::Response(r)) => {
                if let Ok(key) = TransactionKey::for_response(&r) {
                    if let Some((tx, _)) = self.clients.get_mut(&key) {
                        tx.handle_response(now, &r);
                    }
                }
            }
            Ok(Message::Request(req)) => {
                let key = TransactionKey::for_incoming_request(&req).unwrap();
                if let Some((tx, _)) = self.servers.get_mut(&key) {
                    if !tx.handle_request(now, &req) && *req.method() == Method::Ack {
                        self.acks_to_tu += 1;
                    }
                } else if *req.method() == Method::Ack {
                    // An ACK for a transaction that is gone: the dialog's business.
                    self.acks_to_tu += 1;
                } else {
                    self.requests += 1;
                    let mut tx =
                        ServerTransaction::new(now, &req, false, TimerConfig::default()).unwrap();
                    if *req.method() == Method::Invite {
                        let ringing =
                            Response::for_request(&req, StatusCode::RINGING).with_to_tag("b1");
                        tx.respond(now, &ringing).unwrap();
                    }
                    let answer = Response::for_request(&req, StatusCode::new(self.answer).unwrap())
                        .with_to_tag("b1");
                    tx.respond(now, &answer).unwrap();
                    self.servers.insert(key, (tx, from));
                }
            }
            Err(e) => self
                .log
                .push((now - self.start, format!("unparseable: {e}"))),
        }
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        for (tx, _) in self.clients.values_mut() {
            tx.handle_timeout(now);
        }
        for (tx, _) in self.servers.values_mut() {
            tx.handle_timeout(now);
        }
        self.drain(now);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let c = self.clients.values().filter_map(|(t, _)| t.poll_timeout());
        let s = self.servers.values().filter_map(|(t, _)| t.poll_timeout());
        c.chain(s).min()
    }
}

/// One real instant as the origin of virtual time.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

const UAC: &str = "192.0.2.1:5060";
const UAS: &str = "192.0.2.2:5060";

fn run(method: Method, answer: u16, net: NetConfig, seed: u64) -> Simulation<TxNode> {
    let t0 = origin();
    let mut sim = Simulation::new(t0, net, seed);
    let uac = sim.add(TxNode::new(UAC.parse().unwrap(), 0, t0));
    let uas = sim.add(TxNode::new(UAS.parse().unwrap(), answer, t0));
    sim.nodes[uac].send(t0, method.clone(), UAS.parse().unwrap());
    if method == Method::Invite && (200..300).contains(&answer) {
        // A lost 2xx leaves the client in Proceeding: retransmitting the 2xx is the UA
        // core's job (§13.3.1.4), which this transaction-only UAS does not do.
        sim.run_for(Duration::from_secs(80));
    } else {
        // Everything ends within 64*T1 (Timer B/F/H/J/L/M) plus T4 and the D wait.
        sim.run_until(Duration::from_secs(80), |s| {
            s.nodes.iter().all(TxNode::idle)
        });
    }
    let (c, s) = (&sim.nodes[uac], &sim.nodes[uas]);
    // A 2xx to INVITE is passed up every time it arrives (RFC 6026: forks and duplicates
    // are the UA core's to see); any other final response exactly once.
    let finals_ok = if method == Method::Invite && (200..300).contains(&answer) {
        c.timeouts + usize::from(!c.finals.is_empty()) <= 1
    } else {
        c.finals.len() + c.timeouts == 1
    };
    assert!(
        finals_ok,
        "seed {seed}: one final response or one timeout, got {:?} and {} timeouts\n{:#?}",
        c.finals, c.timeouts, c.log
    );
    assert!(
        s.requests <= 1,
        "seed {seed}: retransmissions reached the TU"
    );
    if !c.finals.is_empty() {
        assert!(c.finals.iter().all(|&f| f == answer), "seed {seed}");
        assert_eq!(s.requests, 1, "seed {seed}");
    }
    sim
}

fn lossy() -> NetConfig {
    NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(40),
        loss: 0.3,
        duplicate: 0.1,
        ..NetConfig::default()
    }
}

#[test]
fn options_on_a_clean_network_takes_one_round_trip() {
    let sim = run(Method::Options, 200, NetConfig::default(), 1);
    assert_eq!(sim.nodes[0].finals, [200]);
    // The client completes after 10 ms; Timer K (T4) ends it, Timer J (64*T1) the server.
    let s = sim.net_stats();
    assert_eq!((s.sent, s.lost), (2, 0));
}

#[test]
fn options_through_30_percent_loss_over_200_seeds() {
    let mut timeouts = 0;
    for seed in 0..200 {
        let sim = run(Method::Options, 200, lossy(), seed);
        timeouts += sim.nodes[0].timeouts;
    }
    // Eleven retransmissions make a lost transaction very rare at 30 % loss each way.
    assert!(timeouts <= 2, "{timeouts} timeouts in 200 runs");
}

#[test]
fn invite_rejected_through_loss_acks_and_settles_over_200_seeds() {
    let mut acked = 0;
    for seed in 0..200 {
        let sim = run(Method::Invite, 486, lossy(), seed);
        let uas = &sim.nodes[1];
        if sim.nodes[0].finals == [486] {
            acked += usize::from(uas.log.iter().all(|(_, e)| !e.contains("Timeout")));
        }
        assert_eq!(
            uas.acks_to_tu, 0,
            "seed {seed}: a non-2xx ACK leaked to the TU"
        );
    }
    assert!(
        acked >= 190,
        "only {acked} of 200 runs saw the 486 acknowledged"
    );
}

#[test]
fn invite_accepted_through_loss_passes_2xx_retransmissions_up() {
    for seed in 0..200 {
        let sim = run(Method::Invite, 200, lossy(), seed);
        // The UAS sends the 2xx once (the UA core would retransmit it): the client sees it
        // once, or twice when the network duplicated it; when it was lost the client waits
        // in Proceeding (it got a 1xx) or timed out (it got nothing).
        let uac = &sim.nodes[0];
        assert!(uac.finals.len() <= 2, "seed {seed}");
        if uac.finals.is_empty() && uac.timeouts == 0 {
            assert!(
                !uac.idle(),
                "seed {seed}: the client waits for a final response"
            );
        }
    }
}
