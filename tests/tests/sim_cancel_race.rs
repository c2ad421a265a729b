//! CANCEL racing the answer: the UAS rings at once and answers 200 after a delay while the
//! UAC cancels after another; over a jittery, lossy network and 200 seeds, the outcome is
//! always one of the two RFC 3261 §9 endings, never both.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::endpoint::{
    ClientTxId, Endpoint, EndpointConfig, Event, ServerTxId, TransportKind,
};
use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_proto::sip::{Address, Method, Request, RequestBuilder, Response, StatusCode, Uri};
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::sim::{Node, Simulation};

const UAC: &str = "192.0.2.1:5060";
const UAS: &str = "192.0.2.2:5060";

struct Peer {
    addr: SocketAddr,
    endpoint: Endpoint<SeededRandom>,
    /// UAC: the INVITE, when to cancel it, and the finals it saw.
    invite: Option<ClientTxId>,
    cancel_at: Option<Instant>,
    cancelled: bool,
    finals: Vec<u16>,
    /// UAS: the INVITE to answer and when.
    pending: Option<(ServerTxId, Request, Instant)>,
    answer_after: Duration,
    saw_cancel: bool,
    answered: bool,
}

impl Peer {
    fn new(addr: SocketAddr, seed: u64) -> Self {
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
        endpoint.add_transport(TransportKind::Udp, addr);
        Self {
            addr,
            endpoint,
            invite: None,
            cancel_at: None,
            cancelled: false,
            finals: Vec::new(),
            pending: None,
            answer_after: Duration::ZERO,
            saw_cancel: false,
            answered: false,
        }
    }

    fn user(&mut self, now: Instant, cancel_after: Duration) {
        while let Some(ev) = self.endpoint.poll_event() {
            match ev {
                Event::Request { tx, request, .. } if *request.method() == Method::Invite => {
                    let ringing =
                        Response::for_request(&request, StatusCode::RINGING).with_to_tag("uas");
                    self.endpoint.respond(now, tx, &ringing).unwrap();
                    self.pending = Some((tx, request, now + self.answer_after));
                }
                Event::Cancelled { .. } => self.saw_cancel = true,
                Event::Response { tx, response } if Some(tx) == self.invite => {
                    let code = response.status().code();
                    if code == 180 && self.cancel_at.is_none() {
                        self.cancel_at = Some(now + cancel_after);
                    }
                    if code >= 200 {
                        self.finals.push(code);
                    }
                }
                _ => {}
            }
        }
    }

    fn act(&mut self, now: Instant) {
        if let Some((tx, req, at)) = &self.pending {
            if *at <= now {
                let ok = Response::for_request(req, StatusCode::OK).with_to_tag("uas");
                // Refused once the CANCEL has completed the INVITE with 487.
                self.answered = self.endpoint.respond(now, *tx, &ok).is_ok();
                self.pending = None;
            }
        }
        if let (Some(at), Some(tx)) = (self.cancel_at, self.invite) {
            if at <= now && !self.cancelled && self.finals.is_empty() {
                self.cancelled = self.endpoint.cancel(now, tx).is_ok();
            }
        }
    }
}

struct Node2 {
    peer: Peer,
    cancel_after: Duration,
}

impl Node for Node2 {
    fn addr(&self) -> SocketAddr {
        self.peer.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.peer
            .endpoint
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.peer.user(now, self.cancel_after);
        self.peer.act(now);
        self.peer.user(now, self.cancel_after);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.peer.endpoint.handle_timeout(now);
        self.peer.act(now);
        self.peer.user(now, self.cancel_after);
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.peer
            .endpoint
            .poll_transmit()
            .map(|t| (t.destination, t.payload.to_vec()))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let p = &self.peer;
        let user = [
            p.pending.as_ref().map(|(_, _, at)| *at),
            p.cancel_at.filter(|_| !p.cancelled && p.finals.is_empty()),
        ];
        user.into_iter()
            .flatten()
            .chain(p.endpoint.poll_timeout())
            .min()
    }
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn invite(to: SocketAddr) -> Request {
    let uri: Uri<'static> = format!("sip:uas@{to}").parse().unwrap();
    RequestBuilder::new(Method::Invite, uri.clone())
        .from(Address::new("sip:uac@example.com".parse().unwrap()).with_tag("uac"))
        .to(Address::new(uri))
        .call_id("race@example.com")
        .cseq(1)
        .build()
}

#[test]
fn cancel_races_the_answer_over_200_seeds() {
    let net = NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(60),
        loss: 0.1,
        ..NetConfig::default()
    };
    let (mut cancelled_wins, mut answer_wins) = (0, 0);
    for seed in 0..200u64 {
        let mut rng = SeededRandom::new(seed);
        let answer_after = Duration::from_millis(rng.next_u64() % 400);
        let cancel_after = Duration::from_millis(rng.next_u64() % 400);
        let t0 = origin();
        let mut sim = Simulation::new(t0, net, seed);
        let mut uac = Node2 {
            peer: Peer::new(UAC.parse().unwrap(), seed * 2 + 1),
            cancel_after,
        };
        uac.peer.invite = Some(
            uac.peer
                .endpoint
                .send_request(
                    t0,
                    invite(UAS.parse().unwrap()),
                    UAS.parse().unwrap(),
                    TransportKind::Udp,
                )
                .unwrap(),
        );
        sim.add(uac);
        let mut uas = Node2 {
            peer: Peer::new(UAS.parse().unwrap(), seed * 2 + 2),
            cancel_after,
        };
        uas.peer.answer_after = answer_after;
        sim.add(uas);
        sim.run_for(Duration::from_secs(60));
        let (uac, uas) = (&sim.nodes[0].peer, &sim.nodes[1].peer);
        let got_487 = uac.finals.contains(&487);
        let got_2xx = uac.finals.iter().any(|c| (200..300).contains(c));
        assert!(
            !(got_487 && got_2xx),
            "seed {seed}: both endings {:?}",
            uac.finals
        );
        if got_487 {
            assert!(
                uas.saw_cancel && !uas.answered,
                "seed {seed}: a 487 without a CANCEL"
            );
            cancelled_wins += 1;
        }
        if got_2xx {
            assert!(
                uas.answered && !uas.saw_cancel,
                "seed {seed}: answered and cancelled"
            );
            answer_wins += 1;
        }
        if uas.saw_cancel {
            assert!(!uas.answered, "seed {seed}: the 200 went out after the 487");
        }
    }
    // Both endings happen across the seeds.
    assert!(
        cancelled_wins > 20 && answer_wins > 20,
        "{cancelled_wins} / {answer_wins}"
    );
}
