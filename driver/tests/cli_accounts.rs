//! `sipsimple account`, `register` and `message` as a user runs them: a real process on a
//! temporary configuration directory, against a registrar and an application on loopback.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use sipsimple::proto::endpoint::TransportKind;
use sipsimple::storage::{Document, MemoryStorage};
use sipsimple::{SipApplication, StartOptions};

mod support;

use support::Registrar;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipsimple"))
        .arg("--config-dir")
        .arg(dir)
        .arg("--bind")
        .arg("127.0.0.1")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the sipsimple binary runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A configuration directory whose settings run UDP only.
fn udp_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        br#"{"SIPSimpleSettings": {"sip": {"transport_list": ["udp"]}}}"#,
    )
    .unwrap();
    dir
}

#[test]
fn account_add_list_set_show_delete() {
    let dir = udp_dir();
    let d = dir.path();
    let o = run(
        d,
        &[
            "account",
            "add",
            "alice@example.com",
            "--password",
            "s3cret",
            "--display-name",
            "Alice",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("added alice@example.com"));

    let o = run(
        d,
        &["account", "add", "alice@example.com", "--password", "x"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("exists already"), "{}", err(&o));

    let o = run(d, &["account", "add", "not-an-id", "--password", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("user@domain"), "{}", err(&o));

    let o = run(d, &["account", "list"]);
    assert!(
        out(&o).contains("alice@example.com  enabled"),
        "{}",
        out(&o)
    );

    let o = run(
        d,
        &[
            "account",
            "set",
            "alice@example.com",
            "sip.register_interval=900",
            "sip.outbound_proxy=sip:127.0.0.1:5060",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("sip.register_interval: 3600 -> 900"),
        "{}",
        out(&o)
    );

    let o = run(
        d,
        &[
            "account",
            "set",
            "alice@example.com",
            "sip.register_interval=5",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("sip.register_interval"), "{}", err(&o));

    let o = run(d, &["account", "set", "alice@example.com", "no.such=1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no setting no.such"), "{}", err(&o));

    let o = run(d, &["account", "show", "alice@example.com"]);
    let shown = out(&o);
    assert!(shown.contains("sip.register_interval = 900"), "{shown}");
    assert!(shown.contains("auth.password = \"<hidden>\""), "{shown}");
    assert!(!shown.contains("s3cret"));

    let o = run(d, &["account", "delete", "alice@example.com"]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(d, &["account", "list"]);
    assert!(out(&o).contains("no accounts"));
}

#[test]
fn a_damaged_configuration_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), b"{\"Accounts\": [").unwrap();
    let o = run(dir.path(), &["account", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("config.json"), "{}", err(&o));
    assert_eq!(
        std::fs::read(dir.path().join("config.json")).unwrap(),
        b"{\"Accounts\": ["
    );
}

#[test]
fn register_once_succeeds_and_fails_with_the_reason() {
    let registrar = Registrar::start();
    let dir = udp_dir();
    let d = dir.path();
    let proxy = format!("sip:{}", registrar.addr);
    let o = run(
        d,
        &[
            "account",
            "add",
            "alice@example.com",
            "--password",
            "secret",
            "--outbound-proxy",
            &proxy,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run(d, &["register", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("registered alice@example.com for 3600 s"),
        "{}",
        out(&o)
    );
    // Registered, then unregistered on the way out.
    assert_eq!(registrar.accepted(), [3600, 0]);

    run(
        d,
        &["account", "set", "alice@example.com", "auth.password=wrong"],
    );
    let o = run(d, &["register", "--once", "--verbose"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(err(&o).contains("authentication failed"), "{}", err(&o));
    assert!(
        out(&o).contains("SIPAccountRegistrationDidFail"),
        "{}",
        out(&o)
    );

    let o = run(d, &["register", "--once", "--account", "bob@example.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("no account bob@example.com"),
        "{}",
        err(&o)
    );
}

#[test]
fn message_is_delivered_or_fails_with_the_reason() {
    let bob = SipApplication::new();
    let events = bob.notification_center().observe(None, None);
    let serde_json::Value::Object(map) = serde_json::json!({
        "SIPSimpleSettings": {"sip": {"transport_list": ["udp"]}}
    }) else {
        unreachable!()
    };
    bob.start_with(
        MemoryStorage::with_document(Document::from_map(map)),
        StartOptions::loopback(),
    )
    .unwrap();
    let bob_addr = bob.local_address(TransportKind::Udp).unwrap();

    let dir = udp_dir();
    let d = dir.path();
    let proxy = format!("sip:{bob_addr}");
    run(
        d,
        &[
            "account",
            "add",
            "alice@example.com",
            "--password",
            "secret",
            "--outbound-proxy",
            &proxy,
        ],
    );
    run(
        d,
        &["account", "set", "alice@example.com", "sip.register=false"],
    );
    let o = run(d, &["message", "bob@example.com", "Hello, Bob"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("delivered: 200 OK"), "{}", out(&o));
    let got = events
        .wait_for("SIPEngineGotMessage", Duration::from_secs(10))
        .unwrap();
    assert_eq!(got.get_str("body"), Some("Hello, Bob"));
    bob.stop_and_wait();

    // Nobody listens there any more: over TCP the connection is refused at once.
    let tcp_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        tcp_dir.path().join("config.json"),
        br#"{"SIPSimpleSettings": {"sip": {"transport_list": ["tcp"]}}}"#,
    )
    .unwrap();
    let t = tcp_dir.path();
    let proxy = format!("sip:{bob_addr};transport=tcp");
    run(
        t,
        &[
            "account",
            "add",
            "alice@example.com",
            "--password",
            "secret",
            "--outbound-proxy",
            &proxy,
        ],
    );
    run(
        t,
        &["account", "set", "alice@example.com", "sip.register=false"],
    );
    let o = run(t, &["message", "bob@example.com", "anyone?"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(err(&o).contains("not delivered: "), "{}", err(&o));
    assert!(err(&o).contains("503"), "{}", err(&o));
}
