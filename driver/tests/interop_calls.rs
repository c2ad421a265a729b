//! Calls with real user agents through kamailio: baresip (`interop/baresip/`) and PJSIP's
//! pjsua2 (`interop/pjsua2/ua.py`), both registered at the project's kamailio. Both
//! directions, hold and unhold from each side, BYE from each side, and blind transfer with
//! pjsua2 both as the transferee and as the transferor.
//!
//! Ignored by default: kamailio must run and the peers be installed (`interop/install.sh
//! peers`); `.ci/run` does both, then runs
//! `cargo test -p sipsimple --test interop_calls -- --ignored --test-threads=1`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::Observer;
use sipsimple::session::{MediaStream, SignalingStream};
use sipsimple::{Session, SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(20);

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn domain() -> String {
    env_or("INTEROP_DOMAIN", "sipsimple.test")
}

fn kamailio() -> String {
    format!("sip:127.0.0.1:{}", env_or("INTEROP_SIP_PORT", "15060"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn audio() -> Vec<Arc<dyn MediaStream>> {
    vec![Arc::new(SignalingStream::audio(41_000))]
}

/// An application with `user` registered at kamailio over UDP.
fn registered(user: &str) -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": ["udp"]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    let id = AccountId::new(format!("{user}@{}", domain())).unwrap();
    let mut settings = AccountSettings::new(id);
    settings.enabled = true;
    settings.auth.password = env_or("INTEROP_PASSWORD", "secret").as_str().into();
    settings.sip.outbound_proxy = Some(kamailio());
    app.account_manager().add_account(settings).unwrap();
    events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    (app, events)
}

/// baresip registered as `user`, auto-answering; stopped when dropped.
struct Baresip(&'static str);

impl Baresip {
    fn start(name: &'static str, user: &str) -> Self {
        let status = Command::new(repo().join("interop/baresip/start.sh"))
            .arg(name)
            .env("BARESIP_USER", user)
            .status()
            .unwrap();
        assert!(status.success(), "baresip did not start");
        Self(name)
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("interop/baresip/stop.sh"))
            .arg(self.0)
            .status();
    }
}

/// pjsua2's `ua.py` with these arguments, registered as `user`.
fn pjsua(user: &str, args: &[&str]) -> Child {
    Command::new(repo().join("interop/.venv/bin/python"))
        .arg(repo().join("interop/pjsua2/ua.py"))
        .args(["-u", user, "--register", "--duration", "30"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("interop/.venv with pjsua2 (interop/install.sh peers)")
}

fn finish(mut child: Child) -> (bool, String) {
    let deadline = Instant::now() + Duration::from_secs(40);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "ua.py did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The next notification `name` from `session`.
fn wait(events: &Observer, session: &Session, name: &str) -> sipsimple::notification::Notification {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = events
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {name} from {}", session.sender_id()));
        if n.sender == session.sender_id() {
            if &*n.name == "SIPSessionDidFail" && name != "SIPSessionDidFail" {
                panic!("the session failed: {n}");
            }
            if &*n.name == name {
                return n;
            }
        }
    }
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn we_call_baresip_hold_unhold_and_hang_up() {
    let _baresip = Baresip::start("calls", "carol");
    let (app, events) = registered("alice");
    let account = app
        .account_manager()
        .get_account(&format!("alice@{}", domain()))
        .unwrap();
    let session = Session::new(&account);
    session
        .connect(&format!("sip:carol@{}", domain()), audio())
        .unwrap();
    let started = wait(&events, &session, "SIPSessionDidStart");
    assert_eq!(
        started.get("streams").unwrap(),
        &serde_json::json!(["audio"])
    );
    for hold in [true, false] {
        if hold {
            session.hold().unwrap();
        } else {
            session.unhold().unwrap();
        }
        let change = wait(&events, &session, "SIPSessionDidChangeHoldState");
        assert_eq!(change.get_str("originator"), Some("local"));
        assert_eq!(change.get("on_hold"), Some(&serde_json::json!(hold)));
    }
    session.end().unwrap();
    let ended = wait(&events, &session, "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("local"));
    app.stop_and_wait();
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn pjsua2_calls_us_and_hangs_up() {
    let (app, events) = registered("bob");
    let ua = pjsua(
        "dave",
        &[
            "--call",
            &format!("sip:bob@{}", domain()),
            "--hangup-after",
            "2",
        ],
    );
    let incoming = events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    assert_eq!(
        incoming.get("streams").unwrap(),
        &serde_json::json!(["audio"])
    );
    let session = app
        .session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap();
    assert!(session.remote_identity().unwrap().contains("dave@"));
    session.send_ring_indication().unwrap();
    session.accept(audio()).unwrap();
    wait(&events, &session, "SIPSessionDidStart");
    let ended = wait(&events, &session, "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("remote"));
    let (ok, out) = finish(ua);
    assert!(ok, "{out}");
    assert!(out.contains("CALL_STATE state=CONFIRMED"), "{out}");
    app.stop_and_wait();
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn we_call_pjsua2_which_holds_unholds_and_hangs_up() {
    let ua = pjsua(
        "dave",
        &[
            "--answer",
            "--calls",
            "1",
            "--hold-after",
            "1",
            "--unhold-after",
            "2",
            "--hangup-after",
            "3",
        ],
    );
    let (app, events) = registered("alice");
    let account = app
        .account_manager()
        .get_account(&format!("alice@{}", domain()))
        .unwrap();
    let session = call_until_answered(&account, &events, "dave");
    for held in [true, false] {
        let change = wait(&events, &session, "SIPSessionDidChangeHoldState");
        assert_eq!(change.get_str("originator"), Some("remote"));
        assert_eq!(change.get("on_hold"), Some(&serde_json::json!(held)));
    }
    let ended = wait(&events, &session, "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("remote"));
    let (ok, out) = finish(ua);
    assert!(ok, "{out}");
    app.stop_and_wait();
}

/// Calls `user` until it answers: pjsua2 registers at its own pace.
fn call_until_answered(account: &sipsimple::Account, events: &Observer, user: &str) -> Session {
    let deadline = Instant::now() + WAIT;
    loop {
        let session = Session::new(account);
        session
            .connect(&format!("sip:{user}@{}", domain()), audio())
            .unwrap();
        let outcome = loop {
            let n = events.recv_timeout(WAIT).unwrap();
            if n.sender == session.sender_id()
                && matches!(&*n.name, "SIPSessionDidStart" | "SIPSessionDidFail")
            {
                break n;
            }
        };
        if &*outcome.name == "SIPSessionDidStart" {
            return session;
        }
        assert!(
            Instant::now() < deadline,
            "{user} never answered: {outcome}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `user` registered at kamailio, with the signalling stream kind registered so that a
/// transfer it accepts can call with the same streams.
fn registered_with_streams(user: &str, port_base: u16) -> (SipApplication, Observer) {
    let (app, events) = registered(user);
    app.media_stream_registry().register(Arc::new(
        sipsimple::session::SignalingStreamFactory::new(port_base),
    ));
    (app, events)
}

/// Answers the next incoming call with the streams the registry proposes.
fn answer(app: &SipApplication, events: &Observer) -> Session {
    let n = events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let session = app
        .session_manager()
        .get(n.get_u64("session").unwrap())
        .unwrap();
    session.accept(session.proposed_streams()).unwrap();
    wait(events, &session, "SIPSessionDidStart");
    session
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn we_transfer_pjsua2_to_another_party() {
    let ua = pjsua("dave", &["--answer", "--calls", "1"]);
    let (carol, carol_events) = registered_with_streams("carol", 42_000);
    let (app, events) = registered("alice");
    let account = app
        .account_manager()
        .get_account(&format!("alice@{}", domain()))
        .unwrap();
    let session = call_until_answered(&account, &events, "dave");
    session
        .transfer(&format!("sip:carol@{}", domain()), None)
        .unwrap();
    wait(&events, &session, "SIPSessionTransferDidStart");
    // pjsua2 calls Carol; once she answers, its NOTIFY ends the transfer and our call.
    let to_carol = answer(&carol, &carol_events);
    assert!(to_carol.remote_identity().unwrap().contains("dave@"));
    wait(&events, &session, "SIPSessionTransferDidEnd");
    let ended = wait(&events, &session, "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("local"));
    let (ok, out) = finish(ua);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("TRANSFER to=<sip:carol@{}>", domain()))
            || out.contains(&format!("TRANSFER to=sip:carol@{}", domain())),
        "{out}"
    );
    app.stop_and_wait();
    carol.stop_and_wait();
}

#[test]
#[ignore = "needs kamailio and the peers: see interop/README.md"]
fn pjsua2_transfers_us_to_another_party() {
    let (bob, bob_events) = registered_with_streams("bob", 42_100);
    let (carol, carol_events) = registered_with_streams("carol", 42_200);
    let ua = pjsua(
        "dave",
        &[
            "--call",
            &format!("sip:bob@{}", domain()),
            "--transfer-to",
            &format!("sip:carol@{}", domain()),
            "--transfer-after",
            "1",
        ],
    );
    let from_dave = answer(&bob, &bob_events);
    let request = wait(&bob_events, &from_dave, "SIPSessionTransferNewIncoming");
    assert_eq!(
        request.get_str("transfer_destination"),
        Some(&*format!("sip:carol@{}", domain()))
    );
    from_dave.accept_transfer().unwrap();
    let to_carol = answer(&carol, &carol_events);
    assert!(to_carol.remote_identity().unwrap().contains("bob@"));
    wait(&bob_events, &from_dave, "SIPSessionTransferDidEnd");
    // pjsua2 hangs up the transferred call; Bob and Carol go on.
    let ended = wait(&bob_events, &from_dave, "SIPSessionDidEnd");
    assert_eq!(ended.get_str("originator"), Some("remote"));
    let (ok, out) = finish(ua);
    assert!(ok, "{out}");
    assert!(out.contains("TRANSFER_STATUS code=200 final=True"), "{out}");
    let new_session = from_dave.transfer_handler().unwrap().new_session.unwrap();
    assert_eq!(
        new_session.state(),
        sipsimple::session::SessionState::Connected
    );
    new_session.end().unwrap();
    wait(&carol_events, &to_carol, "SIPSessionDidEnd");
    bob.stop_and_wait();
    carol.stop_and_wait();
}
