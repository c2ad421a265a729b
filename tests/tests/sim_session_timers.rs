//! Session timers (RFC 4028) over a jittery network that loses, duplicates and reorders
//! datagrams, each scenario over 200 seeds, Session-Expires 300 s on both sides (the caller
//! refreshes every 150 s): a call of three hours whose every refresh is accepted and that
//! ends with BYE, and a call whose caller goes silent, which the callee ends with BYE at the
//! session interval minus min(32 s, interval/3) after the last refresh.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipsimple_proto::invite::SESSION_EXPIRED;
use sipsimple_proto::invite::{Originator, SessionEvent, SessionState, SessionTimerConfig};
use sipsimple_tests::netem::NetConfig;
use sipsimple_tests::phone::{After, Cmd, Phone};
use sipsimple_tests::sim::Simulation;

const CALLER: &str = "192.0.2.1:5060";
const CALLEE: &str = "192.0.2.2:5060";
const SEEDS: u64 = 200;
const HOURS_3: Duration = Duration::from_secs(3 * 3600);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn lossy() -> NetConfig {
    NetConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        loss: 0.1,
        duplicate: 0.1,
        ..NetConfig::default()
    }
}

/// A call from the caller, answered at once, both sides with Session-Expires 300 s; the
/// caller hangs up after `duration` unless it goes silent after `silent_after` first.
fn run(seed: u64, duration: Duration, silent_after: Option<Duration>) -> Simulation<Phone> {
    let t0 = origin();
    let mut sim = Simulation::new(t0, lossy(), seed);
    let timers = Some(SessionTimerConfig::new(300, 90));
    let mut a = Phone::new(
        t0,
        addr(CALLER),
        addr(CALLEE),
        seed * 2,
        vec![
            (After::Start, Duration::ZERO, Cmd::Call),
            (After::Started, duration, Cmd::End),
        ],
    );
    a.session_timer = timers;
    a.silent_after = silent_after;
    let mut b = Phone::new(
        t0,
        addr(CALLEE),
        addr(CALLER),
        seed * 2 + 1,
        vec![(After::Incoming, Duration::from_millis(300), Cmd::Accept)],
    );
    b.session_timer = timers;
    sim.add(a);
    sim.add(b);
    sim.run_for(duration + Duration::from_secs(120));
    sim
}

fn count(phone: &Phone, f: impl Fn(&SessionEvent) -> bool) -> usize {
    phone.events.iter().filter(|(_, e)| f(e)).count()
}

#[test]
fn a_three_hour_call_is_refreshed_every_150_s_and_ends_with_bye() {
    let mut retransmitted = 0;
    for seed in 0..SEEDS {
        let sim = run(seed, HOURS_3, None);
        let (caller, callee) = (&sim.nodes[0], &sim.nodes[1]);
        for phone in &sim.nodes {
            assert_eq!(phone.state(), Some(SessionState::Terminated), "seed {seed}");
        }
        let refreshes = count(caller, |e| matches!(e, SessionEvent::DidRefresh { .. }));
        // One every 150 s from the 2xx of the last; network delays push them a little later.
        assert!((68..=72).contains(&refreshes), "seed {seed}: {refreshes}");
        assert_eq!(
            count(callee, |e| matches!(e, SessionEvent::GotProposal { .. })),
            refreshes,
            "seed {seed}"
        );
        assert_eq!(
            count(caller, |e| matches!(
                e,
                SessionEvent::ProposalRejected { .. } | SessionEvent::ProposalWillRetry { .. }
            )),
            0,
            "seed {seed}"
        );
        // The refreshes were 150 s apart at least, late by no more than the 64·T1 a lossy
        // re-INVITE transaction may take.
        let at: Vec<Duration> = caller
            .sent
            .iter()
            .filter(|(_, w)| w == "INVITE")
            .map(|(t, _)| *t)
            .collect();
        let mut firsts: Vec<Duration> = at.clone();
        firsts.dedup_by(|b, a| *b - *a < Duration::from_secs(60));
        for w in firsts.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= Duration::from_secs(150) && gap < Duration::from_secs(182),
                "seed {seed}: {gap:?}"
            );
        }
        retransmitted += usize::from(at.len() > firsts.len());
        // The caller hung up after three hours; the callee never expired the session.
        assert_eq!(
            caller.event_list().last(),
            Some(&SessionEvent::DidEnd {
                originator: Originator::Local,
                reason: "Call completed".to_owned()
            }),
            "seed {seed}"
        );
        assert_eq!(
            callee.event_list().last(),
            Some(&SessionEvent::DidEnd {
                originator: Originator::Remote,
                reason: "Call completed".to_owned()
            }),
            "seed {seed}"
        );
        assert_eq!(callee.count_sent("BYE"), 0, "seed {seed}");
        let bye = caller.sent.iter().find(|(_, w)| w == "BYE").expect("a BYE");
        assert!(bye.0 >= HOURS_3, "seed {seed}");
    }
    eprintln!("runs with a refresh INVITE retransmitted: {retransmitted} of {SEEDS}");
    assert!(retransmitted > 5, "{retransmitted}");
}

#[test]
fn the_callee_ends_the_call_when_the_refresher_goes_silent() {
    for seed in 0..SEEDS {
        let silent = Duration::from_secs(1000);
        let sim = run(seed, HOURS_3, Some(silent));
        let (caller, callee) = (&sim.nodes[0], &sim.nodes[1]);
        // The session timer restarts with every 2xx the callee sends to a refresh (or to the
        // INVITE); it answers at once.
        let last_refresh = callee
            .events
            .iter()
            .filter(|(_, e)| matches!(e, SessionEvent::GotProposal { .. }))
            .map(|(t, _)| *t)
            .next_back()
            .expect("refreshes before the silence");
        assert!(last_refresh < silent, "seed {seed}");
        let bye = callee.sent.iter().find(|(_, w)| w == "BYE").expect("a BYE");
        // 300 − min(32, 100) = 268 s.
        assert_eq!(
            bye.0,
            last_refresh + Duration::from_secs(268),
            "seed {seed}"
        );
        assert_eq!(
            callee.event_list().last(),
            Some(&SessionEvent::DidEnd {
                originator: Originator::Local,
                reason: SESSION_EXPIRED.to_owned()
            }),
            "seed {seed}"
        );
        // The caller's refresh went unanswered: it gave up on its own.
        assert!(
            matches!(
                caller.event_list().last(),
                Some(SessionEvent::DidEnd {
                    originator: Originator::Local,
                    ..
                })
            ),
            "seed {seed}: {:?}",
            caller.event_list().last()
        );
        for phone in &sim.nodes {
            assert_eq!(phone.state(), Some(SessionState::Terminated), "seed {seed}");
        }
    }
}
