//! ICE connectivity checks end to end between a STUN client and a responder over an in-memory
//! network with a virtual clock: lost requests are retransmitted on the RFC schedule, the
//! answer carries the client's address, a wrong password is never believed (the 401 carries
//! no MESSAGE-INTEGRITY, so the client drops it and times out), and a 487 Role Conflict
//! reaches the client as an error response.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_proto::stun::{
    check_request, error_response, success_response, Client, ClientConfig, ErrorCode, Event,
    IntegrityKey, Message, MessageBuilder, MessageType, Outcome, Verdict,
};

const LATENCY: Duration = Duration::from_millis(20);

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn client_addr() -> SocketAddr {
    "192.0.2.10:50000".parse().unwrap()
}

fn server_addr() -> SocketAddr {
    "198.51.100.20:3478".parse().unwrap()
}

/// What the responder does with an authentic request.
#[derive(Clone, Copy)]
enum Answer {
    Success,
    RoleConflict,
}

/// One check run to its end. `drop` says whether the n-th datagram client → server is lost.
/// Returns the event, when it came, and how many requests reached the responder.
fn run(
    client_password: &str,
    server_password: &str,
    answer: Answer,
    mut drop: impl FnMut(usize) -> bool,
) -> (Event, Duration, usize) {
    let t0 = origin();
    let remote_key = IntegrityKey::short_term(client_password);
    let local_key = IntegrityKey::short_term(server_password);
    let mut client = Client::new(ClientConfig::default(), SeededRandom::new(11));
    let id = client.transaction_id();
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, id)
        .username("srv:cli")
        .priority(0x6e7f_1eff)
        .ice_controlling(0x1122_3344_5566_7788)
        .use_candidate()
        .message_integrity(&remote_key)
        .fingerprint()
        .finish()
        .unwrap();
    client
        .send_authenticated_request(
            t0,
            server_addr(),
            sipsimple_proto::stun::Transport::Udp,
            buf,
            &remote_key,
        )
        .unwrap();

    // (arrival, destination, bytes)
    let mut wire: VecDeque<(Instant, SocketAddr, Vec<u8>)> = VecDeque::new();
    let mut now = t0;
    let mut sent_to_server = 0;
    let mut reached_server = 0;
    for _ in 0..1000 {
        while let Some(t) = client.poll_transmit() {
            assert_eq!(t.destination, server_addr());
            sent_to_server += 1;
            if !drop(sent_to_server) {
                wire.push_back((now + LATENCY, t.destination, t.payload.to_vec()));
            }
        }
        if let Some(e) = client.poll_event() {
            assert!(client.is_empty());
            return (e, now - t0, reached_server);
        }
        let next_packet = wire.iter().map(|p| p.0).min();
        let next = [next_packet, client.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .expect("something is pending");
        assert!(next >= now, "time goes forward");
        now = next;
        if let Some(i) = wire.iter().position(|p| p.0 <= now) {
            let (_, to, bytes) = wire.remove(i).unwrap();
            if to == server_addr() {
                reached_server += 1;
                let m = Message::parse(&bytes).unwrap();
                let verdict = check_request(&m, |u| u.starts_with("srv:").then_some(&local_key));
                let mut out = Vec::new();
                match verdict {
                    Verdict::Accept { key } => match answer {
                        Answer::Success => {
                            success_response(&mut out, &m, client_addr(), Some(key)).unwrap();
                        }
                        Answer::RoleConflict => {
                            error_response(&mut out, &m, ErrorCode::ROLE_CONFLICT, &[], Some(key))
                                .unwrap();
                        }
                    },
                    Verdict::Reject { .. } => {
                        verdict.respond(&mut out, &m).unwrap().unwrap();
                    }
                    Verdict::Discard => {}
                }
                if !out.is_empty() {
                    wire.push_back((now + LATENCY, client_addr(), out));
                }
            } else {
                // The client's side: demultiplex and match; the client checks integrity.
                assert!(sipsimple_proto::stun::is_stun(&bytes));
                let m = Message::parse(&bytes).unwrap();
                let ended = client.handle_response(now, &m);
                assert_eq!(ended, m.verify_integrity(&remote_key).is_ok());
            }
        } else {
            client.handle_timeout(now);
        }
    }
    panic!("the check never ended");
}

#[test]
fn lost_requests_are_retransmitted_until_answered() {
    // The first three sends (0, 500, 1500 ms) are lost; the fourth (3500 ms) gets through.
    let (e, at, reached) = run("pw", "pw", Answer::Success, |n| n <= 3);
    let Outcome::Success(r) = e.outcome else {
        panic!("not a success: {e:?}");
    };
    assert_eq!(at, Duration::from_millis(3500) + 2 * LATENCY);
    assert_eq!(reached, 1);
    let r = r.message();
    assert_eq!(r.xor_mapped_address().unwrap(), Some(client_addr()));
    assert_eq!(r.verify_fingerprint(), Ok(()));
}

#[test]
fn a_wrong_password_is_never_believed() {
    let (e, at, reached) = run("guess", "pw", Answer::Success, |_| false);
    assert_eq!(e.outcome, Outcome::Timeout);
    assert_eq!(at, Duration::from_millis(39_500));
    // Every one of the seven sends was answered with a 401 the client could not trust.
    assert_eq!(reached, 7);
}

#[test]
fn role_conflict_reaches_the_client() {
    let (e, _, _) = run("pw", "pw", Answer::RoleConflict, |_| false);
    let Outcome::ErrorResponse { code, response } = e.outcome else {
        panic!("not an error response: {e:?}");
    };
    assert_eq!(code, 487);
    assert_eq!(
        response.message().error_code().unwrap().unwrap().reason,
        "Role Conflict"
    );
}

#[test]
fn random_loss_ends_in_success_or_timeout_on_schedule() {
    let mut successes = 0;
    for seed in 0..200 {
        let mut rng = SeededRandom::new(seed);
        // Half the requests are lost.
        let (e, at, _) = run("pw", "pw", Answer::Success, |_| rng.next_u64() % 2 == 0);
        match e.outcome {
            Outcome::Success(_) => {
                successes += 1;
                // Answered one latency round trip after one of the seven sends.
                let sends = [0u64, 500, 1500, 3500, 7500, 15500, 31500];
                let sent = at - 2 * LATENCY;
                assert!(sends.contains(&(sent.as_millis() as u64)), "{at:?}");
            }
            Outcome::Timeout => assert_eq!(at, Duration::from_millis(39_500)),
            Outcome::ErrorResponse { .. } => panic!("unexpected error response"),
        }
    }
    // Seven tries at one in two: all but about 1 in 128 succeed.
    assert!(successes > 190, "{successes} of 200");
}
