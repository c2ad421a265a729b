//! The Configuration API over both storages: defaults, round trips, change diffs, validation,
//! delete, unknown keys, bad stored values and failing storage.

use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use sipsimple::configuration::{
    AccountId, AccountSettings, BonjourAccountSettings, ConfigurationError, ConfigurationManager,
    ObjectId, Password, PortRange, SettingsChange, SipSimpleSettings, SrtpEncryption, Transport,
};
use sipsimple::storage::{Document, FileStorage, MemoryStorage, Storage, StorageError};

fn alice_id() -> AccountId {
    AccountId::new("alice@example.com").unwrap()
}

fn alice() -> AccountSettings {
    let mut account = AccountSettings::new(alice_id());
    account.enabled = true;
    account.display_name = Some("Alice".into());
    account.auth.password = Password::new("alice-secret");
    account
}

fn stored(storage: &MemoryStorage) -> Value {
    Value::Object(storage.load().unwrap().into_map())
}

#[test]
fn an_empty_storage_gives_the_defaults() {
    let manager = ConfigurationManager::load(MemoryStorage::new()).unwrap();
    let settings = manager.settings();
    assert_eq!(settings, &SipSimpleSettings::default());
    assert_eq!(
        settings.sip.transport_list,
        [Transport::Tls, Transport::Tcp, Transport::Udp]
    );
    assert_eq!(settings.sip.udp_port, 0);
    assert_eq!(settings.rtp.port_range, PortRange::new(50000, 50500));
    assert_eq!(settings.rtp.audio_codec_list, ["G722", "PCMU", "PCMA"]);
    assert_eq!(settings.audio.sample_rate, 44100);
    assert_eq!(
        settings.audio.input_device.as_deref(),
        Some("system_default")
    );
    assert!(!settings.logs.trace_sip);
    assert!(settings.user_agent.starts_with("sipsimple "));
    assert_eq!(
        manager.bonjour_account(),
        &BonjourAccountSettings::default()
    );
    assert_eq!(manager.bonjour_account().id().as_str(), "bonjour@local");
    assert_eq!(manager.accounts().count(), 0);

    let account = AccountSettings::new(alice_id());
    assert!(!account.enabled);
    assert_eq!(account.sip.register_interval, 3600);
    assert!(account.sip.register);
    assert_eq!(account.sip.outbound_proxy, None);
    assert_eq!(account.rtp.srtp_encryption, SrtpEncryption::Optional);
    assert!(!account.nat_traversal.use_ice);
    assert!(account.xcap.enabled);
    assert!(account.tls.verify_server);
    assert!(account.auth.password.is_empty());
}

#[test]
fn settings_survive_a_restart_through_file_storage() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = ConfigurationManager::load(FileStorage::open(dir.path()).unwrap()).unwrap();

    let mut settings = manager.settings().clone();
    settings.sip.transport_list = vec![Transport::Udp, Transport::Tcp];
    settings.sip.udp_port = 5060;
    settings.tls.ca_list = Some("/etc/ssl/test-ca.pem".into());
    settings.logs.trace_sip = true;
    settings.default_account = Some(alice_id());
    manager.save(&settings).unwrap();

    let mut account = alice();
    account.sip.outbound_proxy = Some("sip:proxy.example.com;transport=tcp".into());
    account.rtp.audio_codec_list = Some(vec!["PCMA".into()]);
    account.nat_traversal.stun_server_list = Some(vec!["stun.example.com:3478".into()]);
    account.message_summary.voicemail_uri = Some("sip:voicemail@example.com".into());
    account.xcap.xcap_root = Some("https://xcap.example.com/xcap-root".into());
    manager.save(&account).unwrap();

    let mut bob = AccountSettings::new(AccountId::new("bob@example.org").unwrap());
    bob.auth.username = Some("bob-auth".into());
    manager.save(&bob).unwrap();

    let mut bonjour = manager.bonjour_account().clone();
    bonjour.display_name = Some("Alice's laptop".into());
    manager.save(&bonjour).unwrap();
    drop(manager);

    let manager = ConfigurationManager::load(FileStorage::open(dir.path()).unwrap()).unwrap();
    assert_eq!(manager.settings(), &settings);
    assert_eq!(manager.account(&alice_id()), Some(&account));
    assert_eq!(manager.account(bob.id()), Some(&bob));
    assert_eq!(manager.bonjour_account(), &bonjour);
    assert_eq!(
        manager
            .accounts()
            .map(|a| a.id().as_str())
            .collect::<Vec<_>>(),
        ["alice@example.com", "bob@example.org"]
    );
    // The document is readable JSON in the seed's layout.
    let text = fs::read_to_string(dir.path().join("config.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["SIPSimpleSettings"]["sip"]["udp_port"], 5060);
    assert_eq!(
        json["Accounts"]["alice@example.com"]["sip"]["outbound_proxy"],
        "sip:proxy.example.com;transport=tcp"
    );
    assert_eq!(
        json["Accounts"]["bonjour@local"]["display_name"],
        "Alice's laptop"
    );
}

#[test]
fn a_save_returns_the_modified_settings_with_old_and_new_values() {
    let storage = MemoryStorage::new();
    let mut manager = ConfigurationManager::load(storage.clone()).unwrap();

    let created = manager.save(&alice()).unwrap().unwrap();
    assert_eq!(created.object, ObjectId::Account(alice_id()));
    assert!(created.created);
    // Against the defaults of a new account.
    assert_eq!(
        created.modified.keys().collect::<Vec<_>>(),
        ["auth.password", "display_name", "enabled"]
    );
    assert_eq!(created.modified["enabled"].old, json!(false));
    assert_eq!(created.modified["enabled"].new, json!(true));

    let mut account = alice();
    account.sip.outbound_proxy = Some("sip:proxy.example.com".into());
    account.sip.register_interval = 600;
    account.rtp.audio_codec_list = Some(vec!["PCMU".into(), "PCMA".into()]);
    let change = manager.save(&account).unwrap().unwrap();
    assert_eq!(change.object.to_string(), "alice@example.com");
    assert!(!change.created);
    assert_eq!(
        change.modified.keys().collect::<Vec<_>>(),
        [
            "rtp.audio_codec_list",
            "sip.outbound_proxy",
            "sip.register_interval"
        ]
    );
    let proxy = &change.modified["sip.outbound_proxy"];
    assert_eq!(
        (&proxy.old, &proxy.new),
        (&Value::Null, &json!("sip:proxy.example.com"))
    );
    let interval = &change.modified["sip.register_interval"];
    assert_eq!((&interval.old, &interval.new), (&json!(3600), &json!(600)));
    assert_eq!(
        change.modified["rtp.audio_codec_list"].new,
        json!(["PCMU", "PCMA"])
    );
    assert_eq!(SettingsChange::NOTIFICATION, "CFGSettingsObjectDidChange");
    assert_eq!(
        stored(&storage)["Accounts"]["alice@example.com"]["sip"]["register_interval"],
        600
    );

    // Saving the same settings again changes nothing and writes nothing.
    let before = storage.load().unwrap();
    assert_eq!(manager.save(&account).unwrap(), None);
    assert_eq!(storage.load().unwrap(), before);

    let mut settings = manager.settings().clone();
    settings.audio.output_device = None;
    settings.rtp.port_range = PortRange::new(40000, 40100);
    let change = manager.save(&settings).unwrap().unwrap();
    assert_eq!(change.object, ObjectId::SipSimpleSettings);
    assert_eq!(change.modified["audio.output_device"].old, "system_default");
    assert_eq!(change.modified["audio.output_device"].new, Value::Null);
    assert_eq!(change.modified["rtp.port_range"].new, "40000:40100");

    let mut bonjour = manager.bonjour_account().clone();
    bonjour.enabled = false;
    let change = manager.save(&bonjour).unwrap().unwrap();
    assert_eq!(change.object, ObjectId::BonjourAccount);
    assert_eq!(change.object.to_string(), "bonjour@local");
    assert_eq!(change.modified.keys().collect::<Vec<_>>(), ["enabled"]);
}

#[test]
fn passwords_stay_out_of_debug_output() {
    let mut manager = ConfigurationManager::load(MemoryStorage::new()).unwrap();
    let created = manager.save(&alice()).unwrap().unwrap();
    let mut account = alice();
    account.auth.password = Password::new("new-secret");
    let change = manager.save(&account).unwrap().unwrap();
    assert!(change.modified["auth.password"].is_secret());
    assert_eq!(change.modified["auth.password"].new, "new-secret");
    for debug in [
        format!("{created:?}"),
        format!("{change:#?}"),
        format!("{manager:?}"),
        format!("{account:?}"),
        format!("{:?}", manager.storage().load().unwrap()),
    ] {
        assert!(!debug.contains("alice-secret"), "{debug}");
        assert!(!debug.contains("new-secret"), "{debug}");
    }
}

#[test]
fn invalid_settings_are_refused_by_name_and_not_saved() {
    let storage = MemoryStorage::new();
    let mut manager = ConfigurationManager::load(storage.clone()).unwrap();
    manager.save(&alice()).unwrap();
    let before = storage.load().unwrap();

    let mut account = alice();
    account.sip.register_interval = 10;
    let err = manager.save(&account).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alice@example.com: sip.register_interval must be between 30 and 86400"
    );
    match err {
        ConfigurationError::Invalid { object, source } => {
            assert_eq!(object, ObjectId::Account(alice_id()));
            assert_eq!(source.setting, "sip.register_interval");
        }
        other => panic!("{other:?}"),
    }

    let mut account = alice();
    account.sip.outbound_proxy = Some("proxy.example.com:5060".into());
    assert!(manager
        .save(&account)
        .unwrap_err()
        .to_string()
        .starts_with("alice@example.com: sip.outbound_proxy must be a sip: or sips: URI"));

    let mut settings = manager.settings().clone();
    settings.sip.transport_list.clear();
    assert_eq!(
        manager.save(&settings).unwrap_err().to_string(),
        "SIPSimpleSettings: sip.transport_list must name at least one of udp, tcp, tls"
    );

    assert_eq!(storage.load().unwrap(), before);
    assert_eq!(manager.account(&alice_id()), Some(&alice()));
    assert_eq!(manager.settings(), &SipSimpleSettings::default());
}

#[test]
fn account_ids_must_be_user_at_domain_and_bonjour_is_reserved() {
    assert!(AccountId::new("alice").is_err());
    assert!(AccountId::new("alice@").is_err());
    let bonjour = AccountId::new("bonjour@local").unwrap();
    let mut manager = ConfigurationManager::load(MemoryStorage::new()).unwrap();
    assert!(matches!(
        manager.save(&AccountSettings::new(bonjour.clone())),
        Err(ConfigurationError::ReservedAccountId(_))
    ));
    assert!(matches!(
        manager.delete(&bonjour),
        Err(ConfigurationError::ReservedAccountId(_))
    ));
}

#[test]
fn delete_removes_an_account_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = ConfigurationManager::load(FileStorage::open(dir.path()).unwrap()).unwrap();
    manager.save(&alice()).unwrap();
    let bob = AccountSettings::new(AccountId::new("bob@example.org").unwrap());
    manager.save(&bob).unwrap();

    let removed = manager.delete(&alice_id()).unwrap();
    assert_eq!(removed, alice());
    assert!(!manager.has_account(&alice_id()));
    assert!(matches!(
        manager.delete(&alice_id()),
        Err(ConfigurationError::NoSuchAccount(id)) if id == alice_id()
    ));
    drop(manager);

    let mut manager = ConfigurationManager::load(FileStorage::open(dir.path()).unwrap()).unwrap();
    assert!(!manager.has_account(&alice_id()));
    assert!(manager.has_account(bob.id()));
    // Saving it again creates it afresh.
    assert!(manager.save(&alice()).unwrap().unwrap().created);
}

#[test]
fn unknown_keys_are_kept() {
    let stored_document = json!({
        "FutureTopLevel": {"x": 1},
        "SIPSimpleSettings": {
            "future_setting": "kept",
            "sip": {"udp_port": 5070, "future_sip_setting": [1, 2]},
            "future_group": {"a": true}
        },
        "Accounts": {
            "alice@example.com": {
                "enabled": true,
                "id": "ignored@example.com",
                "sip": {"register_interval": 900, "future": "yes"},
                "future_group": {"b": 2}
            }
        }
    });
    let Value::Object(map) = stored_document else {
        unreachable!()
    };
    let storage = MemoryStorage::with_document(Document::from_map(map));
    let mut manager = ConfigurationManager::load(storage.clone()).unwrap();
    assert_eq!(manager.settings().sip.udp_port, 5070);
    let mut account = manager.account(&alice_id()).unwrap().clone();
    assert_eq!(account.id(), &alice_id());
    assert_eq!(account.sip.register_interval, 900);
    assert!(account.enabled);

    account.sip.register_interval = 1200;
    let change = manager.save(&account).unwrap().unwrap();
    // Only known settings are diffed.
    assert_eq!(
        change.modified.keys().collect::<Vec<_>>(),
        ["sip.register_interval"]
    );
    let mut settings = manager.settings().clone();
    settings.sip.udp_port = 5080;
    manager.save(&settings).unwrap();

    let saved = stored(&storage);
    assert_eq!(saved["FutureTopLevel"], json!({"x": 1}));
    let global = &saved["SIPSimpleSettings"];
    assert_eq!(global["future_setting"], "kept");
    assert_eq!(global["sip"]["future_sip_setting"], json!([1, 2]));
    assert_eq!(global["future_group"], json!({"a": true}));
    assert_eq!(global["sip"]["udp_port"], 5080);
    let alice = &saved["Accounts"]["alice@example.com"];
    assert_eq!(alice["sip"]["future"], "yes");
    assert_eq!(alice["future_group"], json!({"b": 2}));
    assert_eq!(alice["sip"]["register_interval"], 1200);
    assert_eq!(alice["id"], "alice@example.com");
}

fn load_stored(document: Value) -> Result<ConfigurationManager, ConfigurationError> {
    let Value::Object(map) = document else {
        unreachable!()
    };
    ConfigurationManager::load(MemoryStorage::with_document(Document::from_map(map)))
}

#[test]
fn bad_stored_values_are_reported_with_their_setting() {
    let err = load_stored(json!({
        "SIPSimpleSettings": {"sip": {"transport_list": ["udp", "sctp"]}}
    }))
    .unwrap_err();
    match &err {
        ConfigurationError::Stored {
            object, setting, ..
        } => {
            assert_eq!(object, "SIPSimpleSettings");
            assert_eq!(setting, "sip.transport_list[1]");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("sctp"), "{err}");

    let err = load_stored(json!({
        "Accounts": {"alice@example.com": {"sip": {"register_interval": "often"}}}
    }))
    .unwrap_err();
    assert!(
        matches!(&err, ConfigurationError::Stored { object, setting, .. }
            if object == "alice@example.com" && setting == "sip.register_interval"),
        "{err:?}"
    );

    // Well-typed but out of range.
    let err = load_stored(json!({
        "Accounts": {"alice@example.com": {"sip": {"register_interval": 5}}}
    }))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the stored configuration of alice@example.com is invalid at sip.register_interval: \
         must be between 30 and 86400"
    );

    assert!(matches!(
        load_stored(json!({"Accounts": {"not-an-id": {}}})),
        Err(ConfigurationError::StoredAccountId(_))
    ));
    assert!(matches!(
        load_stored(json!({"Accounts": [1]})),
        Err(ConfigurationError::Stored { .. })
    ));
}

#[test]
fn a_damaged_file_stops_loading_with_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = ConfigurationManager::load(FileStorage::open(dir.path()).unwrap()).unwrap();
    manager.save(&alice()).unwrap();
    let mut account = alice();
    account.enabled = false;
    manager.save(&account).unwrap();
    drop(manager);
    let path = dir.path().join("config.json");
    let mut bytes = fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 10);
    fs::write(&path, &bytes).unwrap();

    let storage = FileStorage::open(dir.path()).unwrap();
    let err = ConfigurationManager::load(FileStorage::open(dir.path()).unwrap()).unwrap_err();
    assert!(matches!(
        err,
        ConfigurationError::Storage(StorageError::Corrupt { .. })
    ));
    assert!(
        err.to_string().contains("config.json is damaged at line"),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);

    // Recovering: the backup holds the previous save.
    let backup = storage.load_backup().unwrap();
    let manager = ConfigurationManager::load(MemoryStorage::with_document(backup)).unwrap();
    assert_eq!(manager.account(&alice_id()), Some(&alice()));
}

/// A storage whose saves fail while `failing` is set.
#[derive(Debug, Clone, Default)]
struct FlakyStorage {
    inner: MemoryStorage,
    failing: Arc<AtomicBool>,
}

impl Storage for FlakyStorage {
    fn load(&self) -> Result<Document, StorageError> {
        self.inner.load()
    }

    fn save(&self, document: &Document) -> Result<(), StorageError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StorageError::Io {
                action: "write",
                path: "/full/disk/config.json".into(),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"),
            });
        }
        self.inner.save(document)
    }
}

#[test]
fn a_failed_save_changes_nothing() {
    let storage = FlakyStorage::default();
    let mut manager = ConfigurationManager::load(storage.clone()).unwrap();
    manager.save(&alice()).unwrap();
    storage.failing.store(true, Ordering::SeqCst);

    let mut account = alice();
    account.presence.enabled = true;
    let err = manager.save(&account).unwrap_err();
    assert!(matches!(
        &err,
        ConfigurationError::Storage(e) if e.io_kind() == Some(std::io::ErrorKind::StorageFull)
    ));
    assert_eq!(manager.account(&alice_id()), Some(&alice()));
    assert!(manager.delete(&alice_id()).is_err());
    assert!(manager.has_account(&alice_id()));

    // Once the storage works again, the same save reports the same change.
    storage.failing.store(false, Ordering::SeqCst);
    let change = manager.save(&account).unwrap().unwrap();
    assert_eq!(
        change.modified.keys().collect::<Vec<_>>(),
        ["presence.enabled"]
    );
}
