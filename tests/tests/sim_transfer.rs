//! Transfers between two phones over a jittery network that loses, duplicates and reorders
//! datagrams, each over 200 seeds: a blind transfer whose NOTIFYs report the referred call,
//! and a refused transfer. Whatever the network does, each outcome is reported exactly once
//! and the call goes on.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::invite::{SessionEvent, SessionState};
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

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A call answered at once by a callee following `callee`, the caller following `caller`
/// once it started; the caller ends the call at 30 s, after the 20 s simulated.
fn run(
    seed: u64,
    caller: Vec<(After, Duration, Cmd)>,
    callee: Vec<(After, Duration, Cmd)>,
) -> Simulation<Phone> {
    let t0 = origin();
    let mut sim = Simulation::new(
        t0,
        NetConfig {
            latency: ms(20),
            jitter: ms(80),
            loss: 0.1,
            duplicate: 0.1,
            ..NetConfig::default()
        },
        seed,
    );
    let mut a_script = vec![(After::Start, Duration::ZERO, Cmd::Call)];
    a_script.extend(caller);
    a_script.push((After::Started, Duration::from_secs(30), Cmd::End));
    let mut b_script = vec![(After::Incoming, ms(100), Cmd::Accept)];
    b_script.extend(callee);
    sim.add(Phone::new(
        t0,
        addr(CALLER),
        addr(CALLEE),
        seed * 2,
        a_script,
    ));
    sim.add(Phone::new(
        t0,
        addr(CALLEE),
        addr(CALLER),
        seed * 2 + 1,
        b_script,
    ));
    sim.run_for(Duration::from_secs(20));
    sim
}

fn count(events: &[SessionEvent], f: impl Fn(&SessionEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn connected(sim: &Simulation<Phone>) -> bool {
    sim.nodes
        .iter()
        .all(|p| p.state() == Some(SessionState::Connected))
}

#[test]
fn a_blind_transfer_reports_accepted_and_succeeded_once() {
    let mut both_progress = 0;
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![(After::Started, ms(500), Cmd::Refer("sip:carol@192.0.2.3"))],
            vec![
                (After::Referred, Duration::ZERO, Cmd::AcceptRefer),
                (After::Referred, ms(1000), Cmd::Notify(180, "Ringing")),
                (After::Referred, ms(3000), Cmd::Notify(200, "OK")),
            ],
        );
        let caller = sim.nodes[0].event_list();
        let callee = sim.nodes[1].event_list();
        assert!(connected(&sim), "seed {seed}: {caller:?}");
        assert_eq!(
            count(&callee, |e| matches!(e, SessionEvent::GotRefer { .. })),
            1,
            "seed {seed}"
        );
        let accepted = caller
            .iter()
            .position(|e| *e == SessionEvent::ReferAccepted);
        let succeeded = caller.iter().position(|e| {
            *e == SessionEvent::ReferSucceeded {
                code: 200,
                reason: "OK".to_owned(),
            }
        });
        assert!(
            accepted < succeeded && accepted.is_some(),
            "seed {seed}: {caller:?}"
        );
        assert_eq!(
            count(&caller, |e| *e == SessionEvent::ReferAccepted),
            1,
            "seed {seed}"
        );
        assert_eq!(
            count(&caller, |e| matches!(
                e,
                SessionEvent::ReferSucceeded { .. } | SessionEvent::ReferFailed { .. }
            )),
            1,
            "seed {seed}: {caller:?}"
        );
        // Progress arrives at most once per status, and never after the end; a NOTIFY that a
        // later one overtook is refused (500, CSeq out of order), never reported late.
        let progress: Vec<u16> = caller
            .iter()
            .filter_map(|e| match e {
                SessionEvent::ReferProgress { code, .. } => Some(*code),
                _ => None,
            })
            .collect();
        assert!(
            progress == [100, 180] || progress == [100] || progress == [180] || progress.is_empty(),
            "seed {seed}: {progress:?}"
        );
        assert!(
            caller[succeeded.unwrap()..]
                .iter()
                .all(|e| !matches!(e, SessionEvent::ReferProgress { .. })),
            "seed {seed}"
        );
        both_progress += usize::from(progress.len() == 2);
    }
    eprintln!("both provisional NOTIFYs reported: {both_progress} of {SEEDS}");
    assert!(both_progress > SEEDS as usize / 2, "{both_progress}");
}

#[test]
fn a_refused_transfer_fails_once_and_the_call_goes_on() {
    for seed in 0..SEEDS {
        let sim = run(
            seed,
            vec![(After::Started, ms(500), Cmd::Refer("sip:carol@192.0.2.3"))],
            vec![(After::Referred, ms(200), Cmd::RejectRefer(603))],
        );
        let caller = sim.nodes[0].event_list();
        assert!(connected(&sim), "seed {seed}");
        let outcomes: Vec<&SessionEvent> = caller
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    SessionEvent::ReferAccepted
                        | SessionEvent::ReferSucceeded { .. }
                        | SessionEvent::ReferFailed { .. }
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            [&SessionEvent::ReferFailed {
                code: 603,
                reason: "Decline".to_owned()
            }],
            "seed {seed}"
        );
    }
}
