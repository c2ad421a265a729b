//! Transactions under random sequences of responses, retransmitted requests, transport
//! errors and time steps: no panic, no deadline in the past, bounded retransmissions, and
//! termination within the RFC 3261 bounds once a final response has passed.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sipsimple_proto::sip::headers::Via;
use sipsimple_proto::sip::{Address, Method, Request, RequestBuilder, Response, StatusCode};
use sipsimple_proto::transaction::{ClientTransaction, ServerTransaction, TimerConfig};

#[derive(Debug, Clone)]
enum Op {
    Response(u16),
    Advance(u64),
    Retransmit,
    TransportError,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop_oneof![Just(100u16), Just(180), Just(200), Just(202), Just(302), Just(486), Just(503)]
            .prop_map(Op::Response),
        6 => (0u64..70_000).prop_map(Op::Advance),
        2 => Just(Op::Retransmit),
        1 => Just(Op::TransportError),
    ]
}

fn request(method: Method) -> Request {
    let uri: sipsimple_proto::sip::Uri<'static> = "sip:bob@example.com".parse().unwrap();
    RequestBuilder::new(method, uri.clone())
        .via(&Via::new("UDP", "192.0.2.1", Some(5060), "z9hG4bKprop"))
        .from(Address::new("sip:alice@example.com".parse().unwrap()).with_tag("a"))
        .to(Address::new(uri))
        .call_id("prop@192.0.2.1")
        .cseq(1)
        .build()
}

/// One real instant as the origin of virtual time.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

/// The longest a transaction may live after its final response: 64*T1 (Timer M, J, L, H)
/// or 32 s (Timer D), plus T4 (Timer I) after an ACK.
const SETTLE: Duration = Duration::from_millis(64 * 500 + 5_000);

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn client_transactions(invite in any::<bool>(), reliable in any::<bool>(), ops in prop::collection::vec(op(), 0..40)) {
        let t0 = origin();
        let method = if invite { Method::Invite } else { Method::Options };
        let req = request(method);
        let mut tx = ClientTransaction::new(t0, req.clone(), reliable, TimerConfig::default()).unwrap();
        let mut now = t0;
        let mut sent = 0usize;
        let mut final_at = None;
        for op in ops {
            match op {
                Op::Response(code) => {
                    let r = Response::for_request(&req, StatusCode::new(code).unwrap()).with_to_tag("t");
                    tx.handle_response(now, &r);
                    if code >= 200 && final_at.is_none() {
                        final_at = Some(now);
                    }
                }
                Op::Advance(ms) => {
                    now += Duration::from_millis(ms);
                    tx.handle_timeout(now);
                }
                Op::Retransmit => tx.handle_timeout(now),
                Op::TransportError => tx.handle_transport_error(now),
            }
            sent += std::iter::from_fn(|| tx.poll_transmit()).count();
            while tx.poll_event().is_some() {}
            if let Some(deadline) = tx.poll_timeout() {
                prop_assert!(deadline >= now, "deadline in the past");
            }
        }
        // Initial send, at most 11 retransmissions before 64*T1 on UDP, and ACKs.
        prop_assert!(sent <= 64, "{sent} transmissions");
        if let Some(at) = final_at {
            let mut t = now.max(at);
            while let Some(d) = tx.poll_timeout() {
                t = d;
                tx.handle_timeout(d);
            }
            prop_assert!(tx.is_terminated());
            prop_assert!(t <= now.max(at) + SETTLE, "terminated too late");
        }
    }

    #[test]
    fn server_transactions(invite in any::<bool>(), reliable in any::<bool>(), ops in prop::collection::vec(op(), 0..40)) {
        let t0 = origin();
        let method = if invite { Method::Invite } else { Method::Options };
        let req = request(method);
        let mut tx = ServerTransaction::new(t0, &req, reliable, TimerConfig::default()).unwrap();
        let mut now = t0;
        let mut final_sent = false;
        for op in ops {
            match op {
                Op::Response(code) => {
                    let r = Response::for_request(&req, StatusCode::new(code).unwrap());
                    if tx.respond(now, &r).is_ok() && code >= 200 {
                        final_sent = true;
                    }
                }
                Op::Advance(ms) => {
                    now += Duration::from_millis(ms);
                    tx.handle_timeout(now);
                }
                Op::Retransmit => {
                    let _ = tx.handle_request(now, &req);
                }
                Op::TransportError => tx.handle_transport_error(now),
            }
            while tx.poll_transmit().is_some() {}
            while tx.poll_event().is_some() {}
            if let Some(deadline) = tx.poll_timeout() {
                prop_assert!(deadline >= now, "deadline in the past");
            }
        }
        if final_sent {
            let start = now;
            while let Some(d) = tx.poll_timeout() {
                tx.handle_timeout(d);
                now = d;
            }
            prop_assert!(tx.is_terminated());
            prop_assert!(now <= start + SETTLE, "terminated too late");
        }
    }
}
