//! Accounts against a registrar on a real loopback socket: adding an account registers it
//! with digest authentication and the `SIPAccount*` notifications; a wrong password fails
//! with the reason; disabling, deleting and stopping unregister; settings survive a restart
//! through `FileStorage`.

use std::time::Duration;

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::storage::{Document, FileStorage, MemoryStorage, Storage};
use sipsimple::{SipApplication, StartOptions};

mod support;

use support::Registrar;

const WAIT: Duration = Duration::from_secs(10);

fn udp_only() -> Document {
    let serde_json::Value::Object(map) = serde_json::json!({
        "SIPSimpleSettings": {"sip": {"transport_list": ["udp"]}}
    }) else {
        unreachable!()
    };
    Document::from_map(map)
}

fn start(storage: impl Storage + 'static) -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    (app, events)
}

fn alice(registrar: &Registrar, password: &str) -> AccountSettings {
    let mut s = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    s.enabled = true;
    s.auth.password = password.into();
    s.sip.outbound_proxy = Some(format!("sip:{}", registrar.addr));
    s.sip.register_interval = 600;
    s
}

/// The names of the notifications received until `last` (included).
fn names_until(events: &Observer, last: &str) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let n = events.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!("no {last}; got {names:?}");
        });
        names.push(n.name.to_string());
        if &*n.name == last {
            return names;
        }
    }
}

#[test]
fn an_added_account_registers_with_digest() {
    let registrar = Registrar::start();
    let (app, events) = start(MemoryStorage::with_document(udp_only()));
    let account = app
        .account_manager()
        .add_account(alice(&registrar, "secret"))
        .unwrap();
    let names = names_until(&events, "SIPAccountRegistrationDidSucceed");
    assert_eq!(
        names,
        [
            "CFGSettingsObjectDidChange",
            "SIPAccountManagerDidAddAccount",
            "SIPAccountWillActivate",
            "SIPAccountDidActivate",
            "SIPAccountWillRegister",
            "SIPAccountRegistrationGotAnswer",
            "SIPAccountRegistrationGotAnswer",
            "SIPAccountRegistrationDidSucceed",
        ]
    );
    assert!(account.registered());
    assert_eq!(registrar.accepted(), [600]);
    let contact = account.contact(TransportKind::Udp).unwrap();
    assert_eq!(contact.user().map(str::len), Some(8));
    assert_eq!(
        app.account_manager().get_account("alice@example.com"),
        Some(account.clone())
    );
    assert_eq!(
        app.account_manager().default_account(),
        Some(account.clone())
    );

    // Stopping unregisters before the application ends.
    app.stop();
    let names = names_until(&events, "SIPApplicationDidEnd");
    assert_eq!(
        names,
        [
            "SIPApplicationWillEnd",
            "SIPAccountWillDeactivate",
            "SIPAccountRegistrationGotAnswer",
            "SIPAccountRegistrationDidEnd",
            "SIPAccountDidDeactivate",
            "SIPApplicationDidEnd",
        ]
    );
    assert_eq!(registrar.accepted(), [600, 0]);
    app.stop_and_wait();
}

#[test]
fn registration_data_follow_the_sdk() {
    let registrar = Registrar::start();
    let (app, events) = start(MemoryStorage::with_document(udp_only()));
    let account = app
        .account_manager()
        .add_account(alice(&registrar, "secret"))
        .unwrap();
    let ok = events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    assert_eq!(ok.sender, account.sender_id());
    assert_eq!(ok.get_u64("expires"), Some(600));
    let registrar_data = ok.get("registrar").unwrap();
    assert_eq!(registrar_data["port"], registrar.addr.port());
    assert_eq!(registrar_data["transport"], "udp");
    let contact = ok.get_str("contact_header").unwrap();
    assert!(contact.contains(&account.contact(TransportKind::Udp).unwrap().to_string()));
    assert_eq!(
        ok.get("contact_header_list")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop_and_wait();
}

#[test]
fn a_wrong_password_fails_with_the_reason() {
    let registrar = Registrar::start();
    let (app, events) = start(MemoryStorage::with_document(udp_only()));
    let account = app
        .account_manager()
        .add_account(alice(&registrar, "wrong"))
        .unwrap();
    let failed = events
        .wait_for("SIPAccountRegistrationDidFail", WAIT)
        .unwrap();
    assert_eq!(failed.sender, account.sender_id());
    let error = failed.get_str("error").unwrap();
    assert!(error.contains("authentication failed"), "{error}");
    assert!(failed.get("retry_after").unwrap().as_f64().unwrap() > 0.0);
    assert!(!account.registered());
    assert!(registrar.accepted().is_empty());
    app.stop_and_wait();
}

#[test]
fn disabling_unregisters_and_enabling_registers_again() {
    let registrar = Registrar::start();
    let (app, events) = start(MemoryStorage::with_document(udp_only()));
    let account = app
        .account_manager()
        .add_account(alice(&registrar, "secret"))
        .unwrap();
    events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    let mut settings = account.settings().unwrap();
    settings.enabled = false;
    account.save(&settings).unwrap();
    let changed = events.wait_for("CFGSettingsObjectDidChange", WAIT).unwrap();
    assert_eq!(changed.sender.as_str(), "alice@example.com");
    assert_eq!(changed.get("modified").unwrap()["enabled"]["new"], false);
    events.wait_for("SIPAccountDidDeactivate", WAIT).unwrap();
    assert!(!account.registered());
    assert_eq!(registrar.accepted(), [600, 0]);

    settings.enabled = true;
    settings.sip.register_interval = 900;
    account.save(&settings).unwrap();
    events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    assert_eq!(registrar.accepted(), [600, 0, 900]);

    // Deleting unregisters and removes the account.
    account.delete().unwrap();
    let names = names_until(&events, "SIPAccountDidDeactivate");
    assert!(names.contains(&"SIPAccountManagerDidRemoveAccount".to_owned()));
    assert!(names.contains(&"SIPAccountRegistrationDidEnd".to_owned()));
    assert!(!app.account_manager().has_account("alice@example.com"));
    assert_eq!(registrar.accepted(), [600, 0, 900, 0]);
    app.stop_and_wait();
}

#[test]
fn accounts_survive_a_restart_through_file_storage() {
    let registrar = Registrar::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::open(dir.path()).unwrap();
    storage.save(&udp_only()).unwrap();
    let (app, events) = start(storage);
    app.account_manager()
        .add_account(alice(&registrar, "secret"))
        .unwrap();
    events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    app.stop_and_wait();

    // The accounts are loaded while the application starts, before it says it did.
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    app.start_with(
        FileStorage::open(dir.path()).unwrap(),
        StartOptions::loopback(),
    )
    .unwrap();
    let added = events
        .wait_for("SIPAccountManagerDidAddAccount", WAIT)
        .unwrap();
    assert_eq!(added.get_str("account"), Some("alice@example.com"));
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    events
        .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
        .unwrap();
    assert_eq!(registrar.accepted(), [600, 0, 600]);
    let account = app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    assert!(account.registered());
    assert_eq!(account.credentials().unwrap().username, "alice");
    app.stop_and_wait();
}

#[test]
fn an_unresolvable_registrar_fails_clearly() {
    // No nameserver at all: the lookup of example.com fails at once.
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let options = StartOptions {
        nameservers: Some(Vec::new()),
        ..StartOptions::loopback()
    };
    app.start_with(MemoryStorage::with_document(udp_only()), options)
        .unwrap();
    let mut settings = AccountSettings::new(AccountId::new("bob@example.com").unwrap());
    settings.enabled = true;
    app.account_manager().add_account(settings).unwrap();
    let failed = events
        .wait_for("SIPAccountRegistrationDidFail", WAIT)
        .unwrap();
    assert!(
        failed.get_str("error").unwrap().contains("example.com"),
        "{failed}"
    );
    assert_eq!(failed.get("retry_after").unwrap().as_f64(), Some(60.0));
    app.stop_and_wait();
}

#[test]
fn an_account_sends_a_message_through_its_outbound_proxy() {
    let (bob, bob_events) = start(MemoryStorage::with_document(udp_only()));
    let bob_udp = bob.local_address(TransportKind::Udp).unwrap();
    let (alice_app, _events) = start(MemoryStorage::with_document(udp_only()));
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.display_name = Some("Alice Liddell".to_owned());
    settings.sip.register = false;
    settings.sip.outbound_proxy = Some(format!("sip:{bob_udp}"));
    let alice = alice_app.account_manager().add_account(settings).unwrap();
    let delivery = smol::block_on(alice.send_message(
        "\"Bob\" <sip:bob@example.com>",
        "text/plain",
        "Down the rabbit hole",
    ))
    .unwrap();
    assert_eq!(delivery.code, 200);
    let got = bob_events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
    assert_eq!(got.get_str("body"), Some("Down the rabbit hole"));
    let from = got.get_str("from_header").unwrap();
    assert!(
        from.contains("Alice Liddell") && from.contains("sip:alice@example.com"),
        "{from}"
    );
    assert!(matches!(
        smol::block_on(alice.send_message("not an address", "text/plain", "x")),
        Err(sipsimple::MessageError::NotSent(_))
    ));
    alice_app.stop_and_wait();
    bob.stop_and_wait();
}
