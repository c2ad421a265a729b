//! Timer B and Timer F against a peer that never answers, and stray responses against a UA:
//! the timeout is reported once, at 64·T1, after the retransmissions RFC 3261 §17.1 lists;
//! responses that match no transaction — wrong branch, wrong method, late after the timeout,
//! duplicated — never reach the user. Over 200 seeds with jitter and duplication.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::{ClientTxId, Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::headers::{Cseq, Via};
use sipsimple_proto::sip::{Address, Message, Method, RequestBuilder, Response, StatusCode};
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

const UA: &str = "192.0.2.10:5060";
const PEER: &str = "192.0.2.20:5060";

/// The UA under test: sends an INVITE and an OPTIONS and records what its user sees.
struct Ua {
    endpoint: Endpoint<SeededRandom>,
    invite: Option<ClientTxId>,
    options: Option<ClientTxId>,
    /// (elapsed, transaction) of every Timeout event.
    timeouts: Vec<(Duration, ClientTxId)>,
    /// Every other event, which must not happen.
    surfaced: Vec<String>,
    start: Instant,
}

impl Ua {
    fn run_user(&mut self, now: Instant) {
        while let Some(ev) = self.endpoint.poll_event() {
            match ev {
                Event::Timeout { tx } => self.timeouts.push((now - self.start, tx)),
                other => self.surfaced.push(format!("{other:?}")),
            }
        }
    }
}

/// A peer that answers nothing itself; every request it gets is counted, and each one is
/// answered — after the UA's transactions are long gone — by responses that match nothing:
/// a late 200 with the right branch, a 200 with a changed branch and a 200 with the wrong
/// CSeq method.
struct Peer {
    received: Vec<(Duration, Method)>,
    strays: Vec<Vec<u8>>,
    start: Instant,
    late: Duration,
    queued: Vec<(SocketAddr, Vec<u8>)>,
    stray_sent: usize,
}

impl Peer {
    fn strays_for(data: &[u8]) -> Vec<Vec<u8>> {
        let Ok(Message::Request(req)) = Message::parse(data) else {
            return Vec::new();
        };
        let late = Response::for_request(&req, StatusCode::OK).with_to_tag("late");
        let mut branch = late.clone();
        let via = req.headers().first::<Via<'_>>().unwrap().unwrap();
        let changed = via
            .to_string()
            .replace(via.branch().unwrap(), "z9hG4bKnot-yours");
        branch
            .headers_mut()
            .set(sipsimple_proto::sip::headers::HeaderName::Via, &changed);
        let mut method = late.clone();
        let cseq = req.headers().single::<Cseq>().unwrap();
        method
            .headers_mut()
            .set_typed(&Cseq::new(cseq.seq, Method::Bye));
        [late, branch, method]
            .iter()
            .map(Response::to_bytes)
            .collect()
    }
}

enum Side {
    Ua(Box<Ua>),
    Peer(Box<Peer>),
}

impl Node for Side {
    fn addr(&self) -> SocketAddr {
        match self {
            Self::Ua(_) => UA.parse().unwrap(),
            Self::Peer(_) => PEER.parse().unwrap(),
        }
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        match self {
            Self::Ua(u) => {
                u.endpoint
                    .handle_message(now, from, TransportKind::Udp, None, data);
                u.run_user(now);
            }
            Self::Peer(p) => {
                if let Ok(Message::Request(req)) = Message::parse(data) {
                    p.received.push((now - p.start, req.method().clone()));
                }
                if p.strays.len() < 6 {
                    p.strays.extend(Peer::strays_for(data));
                }
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Self::Ua(u) => {
                u.endpoint.handle_timeout(now);
                u.run_user(now);
            }
            Self::Peer(p) => {
                let to: SocketAddr = UA.parse().unwrap();
                for s in std::mem::take(&mut p.strays) {
                    // Each stray twice: duplicates must not surface either.
                    p.queued.push((to, s.clone()));
                    p.queued.push((to, s));
                }
                p.late = Duration::MAX;
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        match self {
            Self::Ua(u) => u
                .endpoint
                .poll_transmit()
                .map(|t| (t.destination, t.payload.to_vec())),
            Self::Peer(p) => {
                let out = p.queued.pop();
                p.stray_sent += usize::from(out.is_some());
                out
            }
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Ua(u) => u.endpoint.poll_timeout(),
            Self::Peer(p) => (p.late != Duration::MAX).then(|| p.start + p.late),
        }
    }
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn request(method: Method, seq: u32) -> sipsimple_proto::sip::Request {
    let uri: sipsimple_proto::sip::Uri<'static> = format!("sip:bob@{PEER}").parse().unwrap();
    RequestBuilder::new(method, uri.clone())
        .from(Address::new("sip:alice@example.com".parse().unwrap()).with_tag("a1"))
        .to(Address::new(uri))
        .call_id("timeouts@sim")
        .cseq(seq)
        .build()
}

#[test]
fn timer_b_and_f_fire_once_at_64_t1_and_strays_never_surface_over_200_seeds() {
    let net = NetConfig {
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(20),
        loss: 0.0,
        duplicate: 0.2,
        ..NetConfig::default()
    };
    let t1 = Duration::from_millis(500);
    for seed in 0..200 {
        let t0 = origin();
        let mut sim = Simulation::new(t0, net, seed);
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
        endpoint.add_transport(TransportKind::Udp, UA.parse().unwrap());
        let peer: SocketAddr = PEER.parse().unwrap();
        let invite = endpoint
            .send_request(t0, request(Method::Invite, 1), peer, TransportKind::Udp)
            .unwrap();
        let options = endpoint
            .send_request(t0, request(Method::Options, 2), peer, TransportKind::Udp)
            .unwrap();
        sim.add(Side::Ua(Box::new(Ua {
            endpoint,
            invite: Some(invite),
            options: Some(options),
            timeouts: Vec::new(),
            surfaced: Vec::new(),
            start: t0,
        })));
        sim.add(Side::Peer(Box::new(Peer {
            received: Vec::new(),
            strays: Vec::new(),
            start: t0,
            late: Duration::from_secs(40),
            queued: Vec::new(),
            stray_sent: 0,
        })));
        sim.run_for(Duration::from_secs(60));

        let (Side::Ua(u), Side::Peer(p)) = (&sim.nodes[0], &sim.nodes[1]) else {
            unreachable!()
        };
        assert_eq!(
            p.stray_sent, 12,
            "seed {seed}: three strays per request, each twice"
        );
        assert!(u.surfaced.is_empty(), "seed {seed}: {:?}", u.surfaced);
        let mut timeouts = u.timeouts.clone();
        timeouts.sort_by_key(|(at, _)| *at);
        assert_eq!(timeouts.len(), 2, "seed {seed}: {timeouts:?}");
        for (at, tx) in &timeouts {
            assert_eq!(*at, 64 * t1, "seed {seed}: {tx:?} timed out at {at:?}");
            assert!(Some(*tx) == u.invite || Some(*tx) == u.options);
        }
        // Timer A doubles without a cap: 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s — 7 INVITEs.
        // Timer E doubles up to T2 = 4 s: 0, 0.5, 1.5, 3.5, 7.5, 11.5, … 31.5 s — 11 OPTIONS.
        // Duplication adds copies, never removes any: count distinct send instants.
        let sends = |m: Method| {
            let mut at: Vec<Duration> = p
                .received
                .iter()
                .filter(|(_, x)| *x == m)
                .map(|(t, _)| *t)
                .collect();
            at.sort();
            at.dedup_by(|a, b| a.saturating_sub(*b) < Duration::from_millis(100));
            at.len()
        };
        assert_eq!(sends(Method::Invite), 7, "seed {seed}");
        assert_eq!(sends(Method::Options), 11, "seed {seed}");
        assert_eq!(u.endpoint.transaction_count(), (0, 0), "seed {seed}");
    }
}
