//! Hold and unhold from each side with real session descriptions (RFC 3264 §8.4) over a
//! jittery network that loses, duplicates and reorders datagrams, 200 seeds: the holder's
//! re-offer says `sendonly`, the held side answers `recvonly`; taking the call off hold goes
//! back to `sendrecv` both ways; then the other side does the same. Every offer gets exactly
//! one answer, in order, and the call ends normally. Also: a call refused with 603.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::invite::{Originator, SessionEvent, SessionState};
use sipsimple_proto::sdp::Direction;
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::phone::{After, Cmd, Phone};
use sipsimple_tests::sim::Simulation;

const CALLER: &str = "192.0.2.1:5060";
const CALLEE: &str = "192.0.2.2:5060";
const SEEDS: u64 = 200;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn net() -> NetConfig {
    NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        loss: 0.1,
        duplicate: 0.1,
        ..NetConfig::default()
    }
}

fn run(
    seed: u64,
    caller: Vec<(After, Duration, Cmd)>,
    callee: Vec<(After, Duration, Cmd)>,
) -> Simulation<Phone> {
    let t0 = origin();
    let mut sim = Simulation::new(t0, net(), seed);
    let mut a = Phone::new(t0, addr(CALLER), addr(CALLEE), seed * 2, caller);
    a.use_sdp();
    let mut b = Phone::new(t0, addr(CALLEE), addr(CALLER), seed * 2 + 1, callee);
    b.use_sdp();
    sim.add(a);
    sim.add(b);
    sim.run_for(secs(60));
    sim
}

/// What a phone's descriptions said, in order, without the times.
fn said(p: &Phone) -> Vec<(&'static str, Direction)> {
    p.sdp
        .as_ref()
        .unwrap()
        .directions
        .iter()
        .map(|(_, what, d)| (*what, *d))
        .collect()
}

#[test]
fn hold_and_unhold_from_each_side_say_the_rfc_3264_directions() {
    use Direction::{RecvOnly, SendOnly, SendRecv};
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![
                (After::Start, Duration::ZERO, Cmd::Call),
                (After::Started, secs(1), Cmd::Hold),
                (After::Started, secs(6), Cmd::Unhold),
                (After::Started, secs(30), Cmd::End),
            ],
            vec![
                (After::Incoming, Duration::from_millis(200), Cmd::Accept),
                (After::Incoming, secs(14), Cmd::Hold),
                (After::Incoming, secs(20), Cmd::Unhold),
            ],
        );
        let (caller, callee) = (&sim.nodes[0], &sim.nodes[1]);
        assert_eq!(
            said(caller),
            [
                ("sent offer", SendRecv),
                ("got answer", SendRecv),
                ("sent offer", SendOnly),
                ("got answer", RecvOnly),
                ("sent offer", SendRecv),
                ("got answer", SendRecv),
                ("got offer", SendOnly),
                ("sent answer", RecvOnly),
                ("got offer", SendRecv),
                ("sent answer", SendRecv),
            ],
            "seed {seed}"
        );
        assert_eq!(
            said(callee),
            [
                ("got offer", SendRecv),
                ("sent answer", SendRecv),
                ("got offer", SendOnly),
                ("sent answer", RecvOnly),
                ("got offer", SendRecv),
                ("sent answer", SendRecv),
                ("sent offer", SendOnly),
                ("got answer", RecvOnly),
                ("sent offer", SendRecv),
                ("got answer", SendRecv),
            ],
            "seed {seed}"
        );
        assert_eq!(
            caller.event_list().last(),
            Some(&SessionEvent::DidEnd {
                originator: Originator::Local,
                reason: "Call completed".to_owned()
            }),
            "seed {seed}"
        );
        assert_eq!(
            callee.state(),
            Some(SessionState::Terminated),
            "seed {seed}"
        );
    }
}

#[test]
fn a_call_declined_with_603_fails_on_both_sides() {
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![(After::Start, Duration::ZERO, Cmd::Call)],
            vec![(
                After::Incoming,
                Duration::from_millis(300),
                Cmd::Reject(603),
            )],
        );
        let fail = |originator| SessionEvent::DidFail {
            originator,
            code: 603,
            reason: "Decline".to_owned(),
        };
        assert_eq!(
            sim.nodes[0].event_list().last(),
            Some(&fail(Originator::Remote)),
            "seed {seed}"
        );
        assert_eq!(
            sim.nodes[1].event_list().last(),
            Some(&fail(Originator::Local)),
            "seed {seed}"
        );
    }
}
