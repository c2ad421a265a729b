//! Accounts: the seed's `AccountManager` and `Account`.
//!
//! An [`Account`] is a handle on one SIP account: its settings (kept by the configuration)
//! and what the engine does for it. An enabled account activates when the application runs;
//! with `sip.register` it registers with its registrar — the outbound proxy when one is set,
//! else its domain — and reports through the `SIPAccount*` notifications, posted with the
//! account as sender ([`Account::sender_id`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use sipsimple::configuration::{AccountId, AccountSettings};
//! use sipsimple::storage::MemoryStorage;
//! use sipsimple::SipApplication;
//!
//! let app = SipApplication::new();
//! app.start(MemoryStorage::new())?;
//! let mut settings = AccountSettings::new(AccountId::new("alice@example.com")?);
//! settings.enabled = true;
//! settings.auth.password = "secret".into();
//! let account = app.account_manager().add_account(settings)?;
//! let events = app
//!     .notification_center()
//!     .observe(Some("SIPAccountRegistrationDidSucceed"), Some(account.sender_id()));
//! events.recv_timeout(Duration::from_secs(10))?;
//! assert!(account.registered());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::json;
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::request::Credentials;
use sipsimple_proto::sip::{Address, NameAddr, Uri};

use crate::configuration::{AccountId, AccountSettings, ConfigurationError};
use crate::engine::{Input, MessageDelivery, MessageError};
use crate::notification::SenderId;
use crate::{routing, SipApplication};

/// What the engine reports about an active account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AccountStatus {
    pub(crate) registered: bool,
    /// The user part of the account's Contact URIs.
    pub(crate) contact_username: String,
}

/// The accounts of one [`SipApplication`]: loaded from the configuration at start, added,
/// found and removed here.
#[derive(Debug, Clone)]
pub struct AccountManager {
    app: SipApplication,
}

impl AccountManager {
    pub(crate) fn new(app: SipApplication) -> Self {
        Self { app }
    }

    /// Posts `SIPAccountManagerDidAddAccount` for each loaded account and activates the
    /// enabled ones; runs on the engine thread at start.
    pub(crate) fn load(&self, accounts: &[AccountSettings]) {
        for settings in accounts {
            self.added(settings);
        }
    }

    fn added(&self, settings: &AccountSettings) {
        self.app.notification_center().post(
            "SIPAccountManagerDidAddAccount",
            SenderId::new("AccountManager"),
            json!({"account": settings.id().as_str()}),
        );
        if settings.enabled {
            self.app
                .send_input(Input::Activate(Box::new(settings.clone())));
        }
    }

    /// `true` when an account with this id exists.
    pub fn has_account(&self, id: &str) -> bool {
        self.get_account(id).is_some()
    }

    /// The account with this id.
    pub fn get_account(&self, id: &str) -> Option<Account> {
        let id: AccountId = id.parse().ok()?;
        let config = self.app.inner.shared.config();
        config.as_ref()?.has_account(&id).then(|| Account {
            id,
            app: self.app.clone(),
        })
    }

    /// Every account, ordered by id.
    pub fn get_accounts(&self) -> Vec<Account> {
        self.iter_accounts().collect()
    }

    /// Iterates over the accounts, ordered by id.
    pub fn iter_accounts(&self) -> impl Iterator<Item = Account> {
        let ids: Vec<AccountId> = self
            .app
            .inner
            .shared
            .config()
            .as_ref()
            .map(|c| c.accounts().map(|a| a.id().clone()).collect())
            .unwrap_or_default();
        let app = self.app.clone();
        ids.into_iter().map(move |id| Account {
            id,
            app: app.clone(),
        })
    }

    /// The enabled account whose id matches `contact_uri` (user and host), if any.
    pub fn find_account(&self, contact_uri: &Uri<'_>) -> Option<Account> {
        self.iter_accounts().find(|a| {
            a.settings().is_some_and(|s| s.enabled)
                && contact_uri.user() == Some(a.id.username())
                && contact_uri.host().eq_ignore_ascii_case(a.id.domain())
        })
    }

    /// The default account: the one `SIPSimpleSettings.default_account` names, else the first
    /// enabled one.
    pub fn default_account(&self) -> Option<Account> {
        let named = self
            .app
            .settings()
            .and_then(|s| s.default_account)
            .and_then(|id| self.get_account(id.as_str()));
        named.or_else(|| {
            self.iter_accounts()
                .find(|a| a.settings().is_some_and(|s| s.enabled))
        })
    }

    /// Makes `account` the default one (saved in the global settings) and posts
    /// `SIPAccountManagerDidChangeDefaultAccount` when it changed.
    ///
    /// # Errors
    ///
    /// [`ConfigurationError`] when the settings cannot be saved.
    pub fn set_default_account(&self, account: Option<&Account>) -> Result<(), ConfigurationError> {
        let old = self.default_account();
        let mut settings = self.app.settings().ok_or(ConfigurationError::NotRunning)?;
        settings.default_account = account.map(|a| a.id.clone());
        self.app.save_settings(&settings)?;
        let new = self.default_account();
        if old.as_ref().map(Account::id) != new.as_ref().map(Account::id) {
            self.app.notification_center().post(
                "SIPAccountManagerDidChangeDefaultAccount",
                SenderId::new("AccountManager"),
                json!({
                    "old_account": old.map(|a| a.id.to_string()),
                    "account": new.map(|a| a.id.to_string()),
                }),
            );
        }
        Ok(())
    }

    /// Creates an account from `settings` (saved at once), posts
    /// `SIPAccountManagerDidAddAccount` and activates it when enabled.
    ///
    /// # Errors
    ///
    /// [`ConfigurationError`] when an account with this id exists, the settings are invalid
    /// or cannot be saved, or the application is not running.
    pub fn add_account(&self, settings: AccountSettings) -> Result<Account, ConfigurationError> {
        let change = {
            let mut config = self.app.inner.shared.config();
            let config = config.as_mut().ok_or(ConfigurationError::NotRunning)?;
            if config.has_account(settings.id()) {
                return Err(ConfigurationError::AccountExists(settings.id().clone()));
            }
            config.save(&settings)?
        };
        if let Some(change) = &change {
            self.app.inner.shared.post_change(change);
        }
        self.added(&settings);
        Ok(Account {
            id: settings.id().clone(),
            app: self.app.clone(),
        })
    }
}

/// One SIP account of a running application. Cheap to clone; settings are read from and
/// saved to the configuration.
#[derive(Debug, Clone)]
pub struct Account {
    id: AccountId,
    app: SipApplication,
}

impl PartialEq for Account {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Account {
    /// The account's id, `user@domain`.
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The application the account belongs to.
    pub fn application(&self) -> &SipApplication {
        &self.app
    }

    /// The sender of this account's notifications: `Account:user@domain`.
    pub fn sender_id(&self) -> SenderId {
        sender_id(&self.id)
    }

    /// The settings as last saved; `None` once the account was deleted or the application
    /// stopped.
    pub fn settings(&self) -> Option<AccountSettings> {
        self.app
            .inner
            .shared
            .config()
            .as_ref()?
            .account(&self.id)
            .cloned()
    }

    /// The account's SIP URI, `sip:user@domain`, for From headers.
    pub fn uri(&self) -> Uri<'static> {
        self.id.uri()
    }

    /// The digest credentials: `auth.username` (else the user part of the id) and
    /// `auth.password`.
    pub fn credentials(&self) -> Option<Credentials> {
        self.settings().map(|s| credentials(&s))
    }

    /// `true` while the registrar holds the account's binding.
    pub fn registered(&self) -> bool {
        self.app
            .inner
            .shared
            .accounts()
            .get(&self.id)
            .is_some_and(|s| s.registered)
    }

    /// The Contact URI for requests sent over `transport`, with the local address of that
    /// transport: `sip:<random user>@<ip>:<port>` (with `;transport=tcp` for TCP). `None`
    /// while the account is not active or the transport is not running.
    pub fn contact(&self, transport: TransportKind) -> Option<Uri<'static>> {
        let user = self
            .app
            .inner
            .shared
            .accounts()
            .get(&self.id)?
            .contact_username
            .clone();
        let local = self.app.local_address(transport)?;
        contact_uri(&user, local, transport)
    }

    /// Sends a MESSAGE (RFC 3428, page mode) from this account to `to` (a SIP URI or a
    /// name-addr such as `"Bob" <sip:bob@example.com>`): From is the account's address with
    /// its display name, the next hop is the outbound proxy or the recipient's host, and
    /// challenges are answered with the account's credentials. Resolves to the final outcome;
    /// `SIPMessageDidSucceed` or `SIPMessageDidFail` is posted as well.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when the recipient is not a valid address, no route is found, the
    /// message is refused or times out, or the application is not running.
    pub async fn send_message(
        &self,
        to: &str,
        content_type: &str,
        body: impl Into<bytes::Bytes>,
    ) -> Result<MessageDelivery, MessageError> {
        let settings = self.settings().ok_or(MessageError::NotRunning)?;
        let to = Address::parse(to)
            .map_err(|e| MessageError::NotSent(format!("bad recipient {to:?}: {e}")))?
            .into_owned();
        let global = self.app.settings().ok_or(MessageError::NotRunning)?;
        let target = routing::next_hop(&settings, Some(to.uri())).map_err(MessageError::NotSent)?;
        let transports = routing::transports(&global.sip.transport_list, |t| {
            self.app.local_address(t).is_some()
        });
        let host = target.host().to_owned();
        let routes = routing::resolve(self.app.inner.shared.lookup(), target, transports)
            .await
            .map_err(MessageError::NotSent)?;
        let from = Address {
            addr: match &settings.display_name {
                Some(name) => NameAddr::with_display_name(self.uri(), name),
                None => NameAddr::new(self.uri()),
            },
            params: Default::default(),
        };
        self.app
            .send_message_via(
                from,
                to,
                content_type,
                body,
                routes,
                Some(credentials(&settings)),
                Some(host),
            )
            .await
    }

    /// Saves `settings` (which must keep this account's id), posts
    /// `CFGSettingsObjectDidChange`, and re-activates the account with them: enabling starts
    /// it, disabling stops it (unregistering first), other changes restart its registration.
    ///
    /// # Errors
    ///
    /// [`ConfigurationError`] when the settings are invalid, name another account, or cannot
    /// be saved.
    pub fn save(&self, settings: &AccountSettings) -> Result<(), ConfigurationError> {
        if settings.id() != &self.id {
            return Err(ConfigurationError::NoSuchAccount(settings.id().clone()));
        }
        let change = self.app.save_settings(settings)?;
        if change.is_some() {
            let input = if settings.enabled {
                Input::Activate(Box::new(settings.clone()))
            } else {
                Input::Deactivate(self.id.clone())
            };
            self.app.send_input(input);
        }
        Ok(())
    }

    /// Deletes the account: it deactivates (unregistering first), its settings are removed,
    /// and `SIPAccountManagerDidRemoveAccount` is posted.
    ///
    /// # Errors
    ///
    /// [`ConfigurationError`] when the storage fails or the account is already gone.
    pub fn delete(&self) -> Result<(), ConfigurationError> {
        {
            let mut config = self.app.inner.shared.config();
            let config = config.as_mut().ok_or(ConfigurationError::NotRunning)?;
            config.delete(&self.id)?;
        }
        self.app.send_input(Input::Deactivate(self.id.clone()));
        self.app.notification_center().post(
            "SIPAccountManagerDidRemoveAccount",
            SenderId::new("AccountManager"),
            json!({"account": self.id.as_str()}),
        );
        Ok(())
    }
}

pub(crate) fn sender_id(id: &AccountId) -> SenderId {
    SenderId::new(format!("Account:{id}"))
}

pub(crate) fn credentials(settings: &AccountSettings) -> Credentials {
    Credentials {
        username: settings.auth_username().to_owned(),
        password: settings.auth.password.expose().to_owned(),
        realm: None,
    }
}

/// `sip:user@ip:port`, with `;transport=` for stream transports.
pub(crate) fn contact_uri(
    user: &str,
    local: std::net::SocketAddr,
    transport: TransportKind,
) -> Option<Uri<'static>> {
    let host = match local.ip() {
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let params = match transport {
        TransportKind::Udp => "",
        TransportKind::Tcp => ";transport=tcp",
        TransportKind::Tls => ";transport=tls",
    };
    format!("sip:{user}@{host}:{}{params}", local.port())
        .parse()
        .ok()
}
