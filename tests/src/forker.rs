//! A forking proxy for simulations (RFC 3261 §16): transaction stateful, since a stateless
//! proxy must not fork (§16.11). It sends every INVITE it gets to each of its targets in a
//! client transaction of its own, which retransmits it; every response loses the proxy's
//! Via and goes back through the caller's server transaction. It records no route, so the
//! requests of the dialogs go from end to end, and it does not CANCEL the other branches on
//! a 2xx (§16.7 point 10 is a SHOULD), so every target may answer.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use sipsimple_proto::endpoint::{
    ClientTxId, Endpoint, EndpointConfig, Event, ServerTxId, TransportKind,
};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::headers::HeaderName;
use sipsimple_proto::sip::Method;

use crate::sim::Node;

/// The proxy; see the [module documentation](self).
#[derive(Debug)]
pub struct Forker {
    addr: SocketAddr,
    endpoint: Endpoint<SeededRandom>,
    targets: Vec<SocketAddr>,
    upstream: BTreeMap<ClientTxId, ServerTxId>,
    /// Requests other than INVITE it was sent (and answered 405).
    pub strays: usize,
}

impl Forker {
    /// A proxy at `addr` forking to `targets`, each reached as `sip:uas@<target>`.
    pub fn new(addr: SocketAddr, targets: Vec<SocketAddr>, seed: u64) -> Self {
        let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(seed));
        endpoint.add_transport(TransportKind::Udp, addr);
        Self {
            addr,
            endpoint,
            targets,
            upstream: BTreeMap::new(),
            strays: 0,
        }
    }

    fn user(&mut self, now: Instant) {
        while let Some(ev) = self.endpoint.poll_event() {
            match ev {
                Event::Request { tx, request, .. } if *request.method() == Method::Invite => {
                    for target in &self.targets {
                        let mut fwd = request.clone();
                        fwd.set_uri(format!("sip:uas@{target}").parse().expect("a URI"));
                        if let Ok(branch) =
                            self.endpoint
                                .send_request(now, fwd, *target, TransportKind::Udp)
                        {
                            self.upstream.insert(branch, tx);
                        }
                    }
                }
                Event::Request { tx, request, .. } => {
                    self.strays += 1;
                    let refusal = sipsimple_proto::sip::Response::for_request(
                        &request,
                        sipsimple_proto::sip::StatusCode::METHOD_NOT_ALLOWED,
                    );
                    let _ = self.endpoint.respond(now, tx, &refusal);
                }
                Event::Response { tx, mut response } => {
                    response.headers_mut().remove_first(HeaderName::Via);
                    if let Some(up) = self.upstream.get(&tx) {
                        // Refused only for a 1xx that lost the race with a final response.
                        let _ = self.endpoint.respond(now, *up, &response);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Node for Forker {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.endpoint
            .handle_message(now, from, TransportKind::Udp, None, data);
        self.user(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.user(now);
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
