//! The errors of the Configuration API.

use super::datatypes::{AccountId, AccountIdError};
use super::ObjectId;
use crate::storage::StorageError;

/// A setting with a value it may not have; the message names the setting by its dotted key:
/// `sip.register_interval must be between 30 and 86400`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} {reason}")]
pub struct ValidationError {
    /// The dotted key of the setting, such as `sip.register_interval`.
    pub setting: String,
    /// What is wrong, phrased to follow the setting's name.
    pub reason: String,
}

impl ValidationError {
    /// An error for `setting`.
    pub fn new(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// What the configuration manager could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigurationError {
    /// The storage backend failed; nothing changed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A settings object failed validation on save; nothing was saved.
    #[error("{object}: {source}")]
    Invalid {
        /// The object.
        object: ObjectId,
        /// The setting and what is wrong with it.
        #[source]
        source: ValidationError,
    },
    /// The stored document holds a value that does not fit its setting (a wrong type, an
    /// unknown transport name, a value out of range…). Unknown keys are not an error.
    #[error("the stored configuration of {object} is invalid at {setting}: {message}")]
    Stored {
        /// The object whose stored settings are bad (`SIPSimpleSettings`, an account id, or
        /// `Accounts` for the container itself).
        object: String,
        /// The dotted key of the bad value.
        setting: String,
        /// What is wrong.
        message: String,
    },
    /// A stored account is filed under a key that is not an account id.
    #[error("the stored configuration has an account under a bad id: {0}")]
    StoredAccountId(#[source] AccountIdError),
    /// There is no account with this id.
    #[error("there is no account {0}")]
    NoSuchAccount(AccountId),
    /// The Bonjour account's id was used for a regular account.
    #[error("{0} is reserved for the Bonjour account")]
    ReservedAccountId(AccountId),
    /// An account with this id exists already.
    #[error("the account {0} exists already")]
    AccountExists(AccountId),
    /// The configuration is only loaded while the application runs.
    #[error("the application is not running")]
    NotRunning,
}
