//! The Configuration API: typed settings objects, saved through a [`Storage`].
//!
//! Three kinds of settings objects, in the spirit of the seed's Configuration API:
//!
//! - [`SipSimpleSettings`]: the global settings (`sip.transport_list`, `audio.input_device`,
//!   `rtp.port_range`, `logs.trace_sip`, …);
//! - [`AccountSettings`]: one per SIP account, keyed by its [`AccountId`] `user@domain`
//!   (`auth.password`, `sip.outbound_proxy`, `sip.register_interval`, `xcap.xcap_root`, …);
//! - [`BonjourAccountSettings`]: the peer-to-peer account `bonjour@local`.
//!
//! Each is a plain struct of setting groups with the seed's defaults and a `validate()` that
//! names the offending setting by its dotted key. A [`ConfigurationManager`] loads them from
//! a [`Storage`] and saves them: [`ConfigurationManager::save`] validates the object, writes
//! the whole document atomically and returns a [`SettingsChange`] listing the modified
//! settings with their old and new values — the data of the seed's
//! `CFGSettingsObjectDidChange` notification. [`ConfigurationManager::delete`] removes an
//! account.
//!
//! The stored document is JSON:
//! `{"SIPSimpleSettings": {…}, "Accounts": {"bonjour@local": {…}, "alice@example.com": {…}}}`.
//! Keys this version does not know are kept as they are when saving, so a document written
//! by a newer version survives a round trip through an older one.
//!
//! ```
//! use sipsimple::configuration::{AccountId, AccountSettings, ConfigurationManager};
//! use sipsimple::storage::MemoryStorage;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut manager = ConfigurationManager::load(MemoryStorage::new())?;
//!
//! let mut account = AccountSettings::new(AccountId::new("alice@example.com")?);
//! account.auth.password = "secret".into();
//! manager.save(&account)?;
//!
//! account.sip.outbound_proxy = Some("sip:proxy.example.com;transport=tcp".into());
//! let change = manager.save(&account)?.expect("a setting changed");
//! let modified = &change.modified["sip.outbound_proxy"];
//! assert_eq!(modified.old, serde_json::Value::Null);
//! assert_eq!(modified.new, "sip:proxy.example.com;transport=tcp");
//!
//! account.sip.register_interval = 5;
//! let err = manager.save(&account).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "alice@example.com: sip.register_interval must be between 30 and 86400"
//! );
//! # Ok(())
//! # }
//! ```

mod account;
mod datatypes;
mod error;
mod settings;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

pub use self::account::{
    AccountRtpSettings, AccountSettings, AccountSipSettings, AccountTlsSettings, AuthSettings,
    BonjourAccountSettings, BonjourMsrpSettings, BonjourSipSettings, DialogEventSettings,
    MessageSummarySettings, MsrpSettings, NatTraversalSettings, PresenceSettings, XcapSettings,
    INTERVAL_RANGE,
};
pub use self::datatypes::{
    AccountId, AccountIdError, MsrpConnectionModel, MsrpTransport, Password, PortRange,
    SrtpEncryption, Transport, BONJOUR_ACCOUNT_ID, KNOWN_AUDIO_CODECS,
};
pub use self::error::{ConfigurationError, ValidationError};
pub use self::settings::{
    AudioSettings, LogsSettings, RtpSettings, SipSettings, SipSimpleSettings, TlsSettings,
    SAMPLE_RATES, SYSTEM_DEFAULT_DEVICE,
};
use crate::storage::{Document, Storage};

/// The document key of the global settings.
const SETTINGS_KEY: &str = "SIPSimpleSettings";
/// The document key of the accounts, the Bonjour account among them.
const ACCOUNTS_KEY: &str = "Accounts";

/// Which settings object a change or an error is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectId {
    /// The global [`SipSimpleSettings`].
    SipSimpleSettings,
    /// The [`BonjourAccountSettings`].
    BonjourAccount,
    /// The [`AccountSettings`] of this account.
    Account(AccountId),
}

impl fmt::Display for ObjectId {
    /// `SIPSimpleSettings`, `bonjour@local` or the account id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SipSimpleSettings => f.write_str(SETTINGS_KEY),
            Self::BonjourAccount => f.write_str(BONJOUR_ACCOUNT_ID),
            Self::Account(id) => fmt::Display::fmt(id, f),
        }
    }
}

/// A settings object that a [`ConfigurationManager`] can save: [`SipSimpleSettings`],
/// [`BonjourAccountSettings`] or [`AccountSettings`].
pub trait SettingsObject:
    Clone + fmt::Debug + Serialize + DeserializeOwned + sealed::Sealed
{
    /// Dotted keys of the settings whose values are secret; [`ModifiedValue`] keeps them out
    /// of `Debug`.
    const SECRET_SETTINGS: &'static [&'static str] = &[];

    /// Which object this is.
    fn object_id(&self) -> ObjectId;

    /// Checks every setting; the error names the first bad one.
    fn validate(&self) -> Result<(), ValidationError>;
}

mod sealed {
    use std::collections::BTreeMap;

    use super::{AccountId, AccountSettings, BonjourAccountSettings, SipSimpleSettings};

    /// Where a settings object lives in the manager; only this crate's types implement it.
    #[allow(unreachable_pub)]
    pub trait Sealed {
        /// The saved version of this object, or `None` when it was never saved.
        fn saved<'a>(&self, objects: &'a Objects) -> Option<&'a Self>;
        /// The object with the same id and default settings.
        fn with_defaults(&self) -> Self;
        /// Replaces the saved version.
        fn commit(self, objects: &mut Objects);
    }

    /// The typed objects of a loaded document.
    #[derive(Debug, Clone)]
    #[allow(unreachable_pub)]
    pub struct Objects {
        pub(super) settings: SipSimpleSettings,
        pub(super) bonjour_account: BonjourAccountSettings,
        pub(super) accounts: BTreeMap<AccountId, AccountSettings>,
    }
}

use self::sealed::Objects;

impl SettingsObject for SipSimpleSettings {
    fn object_id(&self) -> ObjectId {
        ObjectId::SipSimpleSettings
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Self::validate(self)
    }
}

impl sealed::Sealed for SipSimpleSettings {
    fn saved<'a>(&self, objects: &'a Objects) -> Option<&'a Self> {
        Some(&objects.settings)
    }

    fn with_defaults(&self) -> Self {
        Self::default()
    }

    fn commit(self, objects: &mut Objects) {
        objects.settings = self;
    }
}

impl SettingsObject for BonjourAccountSettings {
    fn object_id(&self) -> ObjectId {
        ObjectId::BonjourAccount
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Self::validate(self)
    }
}

impl sealed::Sealed for BonjourAccountSettings {
    fn saved<'a>(&self, objects: &'a Objects) -> Option<&'a Self> {
        Some(&objects.bonjour_account)
    }

    fn with_defaults(&self) -> Self {
        Self::default()
    }

    fn commit(self, objects: &mut Objects) {
        objects.bonjour_account = self;
    }
}

impl SettingsObject for AccountSettings {
    const SECRET_SETTINGS: &'static [&'static str] = &["auth.password"];

    fn object_id(&self) -> ObjectId {
        ObjectId::Account(self.id().clone())
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Self::validate(self)
    }
}

impl sealed::Sealed for AccountSettings {
    fn saved<'a>(&self, objects: &'a Objects) -> Option<&'a Self> {
        objects.accounts.get(self.id())
    }

    fn with_defaults(&self) -> Self {
        Self::new(self.id().clone())
    }

    fn commit(self, objects: &mut Objects) {
        objects.accounts.insert(self.id().clone(), self);
    }
}

/// What a save changed: the data of the seed's `CFGSettingsObjectDidChange` notification,
/// whose sender is [`SettingsChange::object`] and whose `modified` is
/// [`SettingsChange::modified`].
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsChange {
    /// The object saved.
    pub object: ObjectId,
    /// Whether this save created the object (a new account); the old values are then the
    /// defaults.
    pub created: bool,
    /// The settings whose values changed, by dotted key (`sip.outbound_proxy`).
    pub modified: BTreeMap<String, ModifiedValue>,
}

impl SettingsChange {
    /// The name of the notification this change becomes.
    pub const NOTIFICATION: &'static str = "CFGSettingsObjectDidChange";
}

/// The old and new value of one setting, as they are stored (JSON; `null` for none).
///
/// `Debug` hides both values of a secret setting (`auth.password`).
#[derive(Clone, PartialEq)]
pub struct ModifiedValue {
    /// The value before the save.
    pub old: Value,
    /// The value after the save.
    pub new: Value,
    secret: bool,
}

impl ModifiedValue {
    /// Whether the setting is secret (its values must not be logged).
    pub fn is_secret(&self) -> bool {
        self.secret
    }
}

impl fmt::Debug for ModifiedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ModifiedValue");
        if self.secret {
            s.field("old", &format_args!("<redacted>"))
                .field("new", &format_args!("<redacted>"))
        } else {
            s.field("old", &self.old).field("new", &self.new)
        }
        .finish()
    }
}

/// Loads settings objects from a [`Storage`] and saves them back (the seed's
/// `ConfigurationManager`).
///
/// Every save writes the whole document through the storage, atomically; when the storage
/// fails, the manager keeps the objects as they were before the save.
#[derive(Debug)]
pub struct ConfigurationManager {
    storage: Box<dyn Storage>,
    /// The document as last loaded or saved, unknown keys included.
    document: Document,
    objects: Objects,
}

impl ConfigurationManager {
    /// Loads the configuration from `storage`; an empty storage gives the defaults.
    ///
    /// Fails when the storage fails (a damaged file, say) or when a stored value does not
    /// fit its setting; unknown keys are kept and are not an error.
    pub fn load(storage: impl Storage + 'static) -> Result<Self, ConfigurationError> {
        let document = storage.load()?;
        let objects = parse_document(&document)?;
        Ok(Self {
            storage: Box::new(storage),
            document,
            objects,
        })
    }

    /// The storage.
    pub fn storage(&self) -> &dyn Storage {
        &*self.storage
    }

    /// The global settings as last saved.
    pub fn settings(&self) -> &SipSimpleSettings {
        &self.objects.settings
    }

    /// The Bonjour account's settings as last saved.
    pub fn bonjour_account(&self) -> &BonjourAccountSettings {
        &self.objects.bonjour_account
    }

    /// The settings of account `id` as last saved.
    pub fn account(&self, id: &AccountId) -> Option<&AccountSettings> {
        self.objects.accounts.get(id)
    }

    /// Whether account `id` exists.
    pub fn has_account(&self, id: &AccountId) -> bool {
        self.objects.accounts.contains_key(id)
    }

    /// The accounts (the Bonjour account aside), ordered by id.
    pub fn accounts(&self) -> impl Iterator<Item = &AccountSettings> {
        self.objects.accounts.values()
    }

    /// Validates `object` and saves it; returns what changed, or `None` when nothing did (and
    /// nothing was written). Saving an account that does not exist yet creates it.
    pub fn save<T: SettingsObject>(
        &mut self,
        object: &T,
    ) -> Result<Option<SettingsChange>, ConfigurationError> {
        let id = object.object_id();
        if let ObjectId::Account(account) = &id {
            if account.as_str() == BONJOUR_ACCOUNT_ID {
                return Err(ConfigurationError::ReservedAccountId(account.clone()));
            }
        }
        object
            .validate()
            .map_err(|source| ConfigurationError::Invalid {
                object: id.clone(),
                source,
            })?;
        let new = to_value(object);
        let (created, old) = match object.saved(&self.objects) {
            Some(saved) => (false, to_value(saved)),
            None => (true, to_value(&object.with_defaults())),
        };
        let modified = diff(&old, &new, T::SECRET_SETTINGS);
        if modified.is_empty() && !created {
            return Ok(None);
        }
        let mut document = self.document.clone();
        merge(slot(&mut document, &id), new);
        self.storage.save(&document)?;
        self.document = document;
        object.clone().commit(&mut self.objects);
        Ok(Some(SettingsChange {
            object: id,
            created,
            modified,
        }))
    }

    /// Deletes account `id` and returns its last settings.
    pub fn delete(&mut self, id: &AccountId) -> Result<AccountSettings, ConfigurationError> {
        if id.as_str() == BONJOUR_ACCOUNT_ID {
            return Err(ConfigurationError::ReservedAccountId(id.clone()));
        }
        if !self.objects.accounts.contains_key(id) {
            return Err(ConfigurationError::NoSuchAccount(id.clone()));
        }
        let mut document = self.document.clone();
        if let Some(Value::Object(accounts)) = document.as_map_mut().get_mut(ACCOUNTS_KEY) {
            accounts.remove(id.as_str());
        }
        self.storage.save(&document)?;
        self.document = document;
        Ok(self
            .objects
            .accounts
            .remove(id)
            .expect("checked to exist above"))
    }
}

fn to_value<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("settings objects serialize to JSON")
}

/// The place of an object in the document, created as an empty object when missing (or when
/// not an object, which loading has already refused).
fn slot<'a>(document: &'a mut Document, id: &ObjectId) -> &'a mut Value {
    fn object_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Value {
        let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry
    }
    let root = document.as_map_mut();
    let account_key = match id {
        ObjectId::SipSimpleSettings => return object_entry(root, SETTINGS_KEY),
        ObjectId::BonjourAccount => BONJOUR_ACCOUNT_ID,
        ObjectId::Account(id) => id.as_str(),
    };
    let accounts = object_entry(root, ACCOUNTS_KEY)
        .as_object_mut()
        .expect("made an object above");
    object_entry(accounts, account_key)
}

/// Writes `new` over `target`, recursing into objects so that keys only `target` has (keys
/// of a newer version) stay.
fn merge(target: &mut Value, new: Value) {
    match (target, new) {
        (Value::Object(target), Value::Object(new)) => {
            for (key, value) in new {
                match target.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (target, new) => *target = new,
    }
}

/// The settings that differ between two serialized objects, by dotted key. Objects are
/// setting groups and are walked into; anything else is a setting's value.
fn diff(old: &Value, new: &Value, secret: &[&str]) -> BTreeMap<String, ModifiedValue> {
    let mut old_flat = BTreeMap::new();
    let mut new_flat = BTreeMap::new();
    flatten("", old, &mut old_flat);
    flatten("", new, &mut new_flat);
    let mut keys: Vec<&String> = old_flat.keys().chain(new_flat.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut modified = BTreeMap::new();
    for key in keys {
        let old = old_flat.get(key).copied().unwrap_or(&Value::Null);
        let new = new_flat.get(key).copied().unwrap_or(&Value::Null);
        if old != new {
            modified.insert(
                key.clone(),
                ModifiedValue {
                    old: old.clone(),
                    new: new.clone(),
                    secret: secret.contains(&key.as_str()),
                },
            );
        }
    }
    modified
}

fn flatten<'a>(prefix: &str, value: &'a Value, out: &mut BTreeMap<String, &'a Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned(), value);
        }
    }
}

fn parse_document(document: &Document) -> Result<Objects, ConfigurationError> {
    let settings: SipSimpleSettings = parse_object(SETTINGS_KEY, document.get(SETTINGS_KEY))?;
    let mut bonjour_account = BonjourAccountSettings::default();
    let mut accounts = BTreeMap::new();
    match document.get(ACCOUNTS_KEY) {
        None | Some(Value::Null) => {}
        Some(Value::Object(stored)) => {
            for (key, value) in stored {
                if key == BONJOUR_ACCOUNT_ID {
                    bonjour_account = parse_object(key, Some(value))?;
                    continue;
                }
                let id =
                    AccountId::new(key.as_str()).map_err(ConfigurationError::StoredAccountId)?;
                // The key is the id; an `id` stored inside the object is overridden by it.
                let mut value = value.clone();
                if let Value::Object(map) = &mut value {
                    map.insert("id".to_owned(), Value::String(key.clone()));
                }
                let account: AccountSettings = parse_object(key, Some(&value))?;
                accounts.insert(id, account);
            }
        }
        Some(other) => {
            return Err(ConfigurationError::Stored {
                object: ACCOUNTS_KEY.to_owned(),
                setting: String::new(),
                message: format!("expected an object, found {other}"),
            })
        }
    }
    Ok(Objects {
        settings,
        bonjour_account,
        accounts,
    })
}

/// Deserializes one stored object, naming the bad setting on failure, and validates it.
fn parse_object<T: SettingsObject>(
    object: &str,
    value: Option<&Value>,
) -> Result<T, ConfigurationError> {
    let stored = |setting: String, message: String| ConfigurationError::Stored {
        object: object.to_owned(),
        setting,
        message,
    };
    let empty = Value::Object(Map::new());
    let value = match value {
        None | Some(Value::Null) => &empty,
        Some(value @ Value::Object(_)) => value,
        Some(other) => {
            return Err(stored(
                String::new(),
                format!("expected an object, found {other}"),
            ))
        }
    };
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let setting = e.path().to_string();
        stored(setting, e.into_inner().to_string())
    })?;
    parsed.validate().map_err(|e| stored(e.setting, e.reason))?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn diff_walks_groups_and_compares_values() {
        let old =
            json!({"sip": {"a": 1, "b": [1, 2]}, "enabled": false, "auth": {"password": "x"}});
        let new = json!({"sip": {"a": 1, "b": [2, 1]}, "enabled": true, "auth": {"password": "y"}});
        let modified = diff(&old, &new, &["auth.password"]);
        assert_eq!(
            modified.keys().collect::<Vec<_>>(),
            ["auth.password", "enabled", "sip.b"]
        );
        assert_eq!(modified["sip.b"].old, json!([1, 2]));
        assert_eq!(modified["sip.b"].new, json!([2, 1]));
        assert!(modified["auth.password"].is_secret());
        assert!(!format!("{modified:?}").contains("\"y\""));
    }

    #[test]
    fn the_manager_can_move_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<ConfigurationManager>();
        send_sync::<SettingsChange>();
    }

    #[test]
    fn merge_keeps_unknown_keys() {
        let mut target = json!({"sip": {"future": 1, "a": 1}, "other": true});
        merge(&mut target, json!({"sip": {"a": 2}}));
        assert_eq!(target, json!({"sip": {"future": 1, "a": 2}, "other": true}));
    }
}
