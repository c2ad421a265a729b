//! The settings of accounts: `AccountSettings` (one per SIP account, keyed by its id) and
//! `BonjourAccountSettings` (the one peer-to-peer account, `bonjour@local`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::datatypes::{
    check_codecs, check_host_port, check_msrp_relay, check_range, check_sip_uri, check_transports,
    check_xcap_root, AccountId, MsrpConnectionModel, MsrpTransport, Password, SrtpEncryption,
    Transport,
};
use super::error::ValidationError;
use super::settings::check_path;

/// The settings of one SIP account (the settings side of the seed's `Account`). Stored under
/// `Accounts.<id>`; a missing key takes the default shown on its field.
///
/// The id is fixed at creation: saving a copy under another id is [`AccountSettings::new`]
/// plus the settings. `Debug` never shows the password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSettings {
    id: AccountId,
    /// The name shown to others (the `From` display name). Default `None`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether the account is in use: a disabled account does nothing. Default `false`.
    #[serde(default)]
    pub enabled: bool,
    /// Credentials.
    #[serde(default)]
    pub auth: AuthSettings,
    /// Proxy and the intervals of REGISTER, SUBSCRIBE and PUBLISH.
    #[serde(default)]
    pub sip: AccountSipSettings,
    /// Codecs, SRTP and the media timeout.
    #[serde(default)]
    pub rtp: AccountRtpSettings,
    /// ICE, STUN servers and the MSRP relay.
    #[serde(default)]
    pub nat_traversal: NatTraversalSettings,
    /// MSRP transport and connection model.
    #[serde(default)]
    pub msrp: MsrpSettings,
    /// Presence publication and subscriptions.
    #[serde(default)]
    pub presence: PresenceSettings,
    /// Dialog-info subscriptions.
    #[serde(default)]
    pub dialog_event: DialogEventSettings,
    /// Voicemail notifications (RFC 3842).
    #[serde(default)]
    pub message_summary: MessageSummarySettings,
    /// XCAP documents (contacts, presence rules).
    #[serde(default)]
    pub xcap: XcapSettings,
    /// The account's TLS certificate and server verification.
    #[serde(default)]
    pub tls: AccountTlsSettings,
}

impl AccountSettings {
    /// The default settings of a new account with this id.
    pub fn new(id: AccountId) -> Self {
        Self {
            id,
            display_name: None,
            enabled: false,
            auth: AuthSettings::default(),
            sip: AccountSipSettings::default(),
            rtp: AccountRtpSettings::default(),
            nat_traversal: NatTraversalSettings::default(),
            msrp: MsrpSettings::default(),
            presence: PresenceSettings::default(),
            dialog_event: DialogEventSettings::default(),
            message_summary: MessageSummarySettings::default(),
            xcap: XcapSettings::default(),
            tls: AccountTlsSettings::default(),
        }
    }

    /// The account's id, `user@domain`.
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The user name to authenticate with: `auth.username`, or the user part of the id.
    pub fn auth_username(&self) -> &str {
        self.auth
            .username
            .as_deref()
            .unwrap_or_else(|| self.id.username())
    }

    /// Checks every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_display_name(&self.display_name)?;
        self.auth.validate()?;
        self.sip.validate()?;
        self.rtp.validate()?;
        self.nat_traversal.validate()?;
        self.message_summary.validate()?;
        self.xcap.validate()?;
        self.tls.validate()
    }
}

fn check_display_name(display_name: &Option<String>) -> Result<(), ValidationError> {
    if display_name
        .as_deref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        return Err(ValidationError::new(
            "display_name",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// `auth.*`: credentials for digest authentication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// The user name (`None`: the user part of the account id). Default `None`.
    pub username: Option<String>,
    /// The password; empty for none. Default empty. Never shown by `Debug`.
    pub password: Password,
}

impl AuthSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(username) = &self.username {
            if username.is_empty() || username.chars().any(char::is_control) {
                return Err(ValidationError::new(
                    "auth.username",
                    "must be non-empty without control characters (or null for the id's user)",
                ));
            }
        }
        if self.password.expose().chars().any(char::is_control) {
            return Err(ValidationError::new(
                "auth.password",
                "must not contain control characters",
            ));
        }
        Ok(())
    }
}

/// The range of `sip.register_interval`, `sip.subscribe_interval` and
/// `sip.publish_interval`, in seconds.
pub const INTERVAL_RANGE: (u32, u32) = (30, 86400);

/// `sip.*` of an account: the outbound proxy, registration and refresh intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountSipSettings {
    /// Send every request through the outbound proxy, even in-dialog ones. Default `false`.
    pub always_use_my_proxy: bool,
    /// The outbound proxy, a `sip:` or `sips:` URI (`None`: the domain's servers found by
    /// RFC 3263). Default `None`.
    pub outbound_proxy: Option<String>,
    /// Whether the account registers (the seed's `sip.register`). Default `true`.
    pub register: bool,
    /// The requested registration lifetime, in seconds (30–86400). Default 3600.
    pub register_interval: u32,
    /// The requested subscription lifetime, in seconds (30–86400). Default 3600.
    pub subscribe_interval: u32,
    /// The requested publication lifetime, in seconds (30–86400). Default 3600.
    pub publish_interval: u32,
}

impl Default for AccountSipSettings {
    fn default() -> Self {
        Self {
            always_use_my_proxy: false,
            outbound_proxy: None,
            register: true,
            register_interval: 3600,
            subscribe_interval: 3600,
            publish_interval: 3600,
        }
    }
}

impl AccountSipSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(proxy) = &self.outbound_proxy {
            check_sip_uri("sip.outbound_proxy", proxy)?;
        }
        let (min, max) = INTERVAL_RANGE;
        check_range("sip.register_interval", self.register_interval, min, max)?;
        check_range("sip.subscribe_interval", self.subscribe_interval, min, max)?;
        check_range("sip.publish_interval", self.publish_interval, min, max)
    }
}

/// `rtp.*` of an account: codecs, SRTP and the media timeout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountRtpSettings {
    /// The audio codecs in order of preference (`None`: the global `rtp.audio_codec_list`).
    /// Default `None`.
    pub audio_codec_list: Option<Vec<String>>,
    /// When to use SRTP: `disabled`, `optional` or `mandatory`. Default `optional`.
    pub srtp_encryption: SrtpEncryption,
    /// Offer SRTP even when the signalling is not over TLS (the keys then travel in clear).
    /// Default `false`.
    pub use_srtp_without_tls: bool,
    /// Seconds without RTP before a stream reports a timeout, 0–3600 (`None`: the global
    /// `rtp.timeout`). Default `None`.
    pub timeout: Option<u32>,
}

impl AccountRtpSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(codecs) = &self.audio_codec_list {
            check_codecs("rtp.audio_codec_list", codecs)?;
        }
        if let Some(timeout) = self.timeout {
            check_range("rtp.timeout", timeout, 0, 3600)?;
        }
        Ok(())
    }
}

/// `nat_traversal.*`: ICE, STUN servers and the MSRP relay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NatTraversalSettings {
    /// Use ICE (RFC 5245) for media. Default `false`.
    pub use_ice: bool,
    /// STUN servers as `host[:port]` (`None`: found by DNS, `_stun._udp.<domain>`).
    /// Default `None`.
    pub stun_server_list: Option<Vec<String>>,
    /// The MSRP relay as `host[:port][;transport=tcp|tls]` (`None`: found by DNS,
    /// `_msrps._tcp.<domain>`). Default `None`.
    pub msrp_relay: Option<String>,
    /// Use the relay for outgoing MSRP sessions too, not only incoming ones. Default `false`.
    pub use_msrp_relay_for_outbound: bool,
}

impl NatTraversalSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        for server in self.stun_server_list.iter().flatten() {
            check_host_port("nat_traversal.stun_server_list", server)?;
        }
        if let Some(relay) = &self.msrp_relay {
            check_msrp_relay("nat_traversal.msrp_relay", relay)?;
        }
        Ok(())
    }
}

/// `msrp.*`: how MSRP sessions connect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MsrpSettings {
    /// `tls` or `tcp`. Default `tls`.
    pub transport: MsrpTransport,
    /// `relay` or `acm`. Default `relay`.
    pub connection_model: MsrpConnectionModel,
}

/// `presence.*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PresenceSettings {
    /// Publish presence and subscribe to the buddies' presence. Default `false`.
    pub enabled: bool,
}

/// `dialog_event.*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogEventSettings {
    /// Subscribe to the buddies' dialog-info. Default `false`.
    pub enabled: bool,
}

/// `message_summary.*`: voicemail notifications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSummarySettings {
    /// Subscribe to the `message-summary` event. Default `false`.
    pub enabled: bool,
    /// The voicemail server, a `sip:` or `sips:` URI (`None`: the account's own URI).
    /// Default `None`.
    pub voicemail_uri: Option<String>,
}

impl MessageSummarySettings {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(uri) = &self.voicemail_uri {
            check_sip_uri("message_summary.voicemail_uri", uri)?;
        }
        Ok(())
    }
}

/// `xcap.*`: the account's XCAP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct XcapSettings {
    /// Use XCAP. Default `true`.
    pub enabled: bool,
    /// The XCAP root, an `http://` or `https://` URI (`None`: found by DNS, a TXT record at
    /// `xcap.<domain>`). Default `None`.
    pub xcap_root: Option<String>,
}

impl Default for XcapSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            xcap_root: None,
        }
    }
}

impl XcapSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(root) = &self.xcap_root {
            check_xcap_root("xcap.xcap_root", root)?;
        }
        Ok(())
    }
}

/// `tls.*` of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountTlsSettings {
    /// A PEM file with the account's client certificate and key (`None`: the global
    /// `tls.certificate`). Default `None`.
    pub certificate: Option<PathBuf>,
    /// Check the server's certificate. Default `true`.
    pub verify_server: bool,
}

impl Default for AccountTlsSettings {
    fn default() -> Self {
        Self {
            certificate: None,
            verify_server: true,
        }
    }
}

impl AccountTlsSettings {
    fn validate(&self) -> Result<(), ValidationError> {
        check_path("tls.certificate", &self.certificate)
    }
}

/// The settings of the Bonjour account, `bonjour@local`: SIP peer to peer on the local
/// network, without a server. Stored under `Accounts.bonjour@local`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BonjourAccountSettings {
    /// The name published to neighbours. Default `None`.
    pub display_name: Option<String>,
    /// Whether the account is in use. Default `true`.
    pub enabled: bool,
    /// The transports it publishes.
    pub sip: BonjourSipSettings,
    /// Codecs, SRTP and the media timeout.
    pub rtp: AccountRtpSettings,
    /// The MSRP transport.
    pub msrp: BonjourMsrpSettings,
    /// Its TLS certificate and server verification.
    pub tls: AccountTlsSettings,
}

impl Default for BonjourAccountSettings {
    fn default() -> Self {
        Self {
            display_name: None,
            enabled: true,
            sip: BonjourSipSettings::default(),
            rtp: AccountRtpSettings::default(),
            msrp: BonjourMsrpSettings::default(),
            tls: AccountTlsSettings::default(),
        }
    }
}

impl BonjourAccountSettings {
    /// The id, always `bonjour@local`.
    pub fn id(&self) -> AccountId {
        AccountId::bonjour()
    }

    /// Checks every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_display_name(&self.display_name)?;
        check_transports("sip.transport_list", &self.sip.transport_list)?;
        self.rtp.validate()?;
        self.tls.validate()
    }
}

/// `sip.*` of the Bonjour account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BonjourSipSettings {
    /// The transports to publish, a non-empty subset of `udp`, `tcp`, `tls`. Default `tls`,
    /// `tcp`, `udp`.
    pub transport_list: Vec<Transport>,
}

impl Default for BonjourSipSettings {
    fn default() -> Self {
        Self {
            transport_list: vec![Transport::Tls, Transport::Tcp, Transport::Udp],
        }
    }
}

/// `msrp.*` of the Bonjour account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BonjourMsrpSettings {
    /// `tls` or `tcp`. Default `tcp` (peers on the LAN rarely hold certificates).
    pub transport: MsrpTransport,
}

impl Default for BonjourMsrpSettings {
    fn default() -> Self {
        Self {
            transport: MsrpTransport::Tcp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> AccountSettings {
        AccountSettings::new(AccountId::new("alice@example.com").unwrap())
    }

    #[test]
    fn defaults_are_valid() {
        alice().validate().unwrap();
        BonjourAccountSettings::default().validate().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let mut account = alice();
        account.sip.register_interval = 10;
        assert_eq!(
            account.validate().unwrap_err().to_string(),
            "sip.register_interval must be between 30 and 86400"
        );
        let mut account = alice();
        account.sip.outbound_proxy = Some("proxy.example.com".into());
        assert_eq!(
            account.validate().unwrap_err().setting,
            "sip.outbound_proxy"
        );
        account.sip.outbound_proxy = Some("tel:+1234".into());
        assert_eq!(
            account.validate().unwrap_err().setting,
            "sip.outbound_proxy"
        );
        account.sip.outbound_proxy = Some("sip:proxy.example.com;transport=tcp".into());
        account.validate().unwrap();
        let mut account = alice();
        account.rtp.audio_codec_list = Some(vec!["PCMU".into(), "G729a".into()]);
        assert!(account
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("rtp.audio_codec_list names an unknown codec \"G729a\""));
        let mut account = alice();
        account.nat_traversal.stun_server_list = Some(vec!["stun.example.com:99999".into()]);
        assert_eq!(
            account.validate().unwrap_err().setting,
            "nat_traversal.stun_server_list"
        );
        let mut account = alice();
        account.message_summary.voicemail_uri = Some("not a uri".into());
        assert_eq!(
            account.validate().unwrap_err().setting,
            "message_summary.voicemail_uri"
        );
        let mut account = alice();
        account.xcap.xcap_root = Some("xcap.example.com".into());
        assert_eq!(account.validate().unwrap_err().setting, "xcap.xcap_root");
    }

    #[test]
    fn the_password_is_not_in_debug() {
        let mut account = alice();
        account.auth.password = Password::new("s3cret-pw");
        assert!(!format!("{account:?}").contains("s3cret-pw"));
        assert!(!format!("{account:#?}").contains("s3cret-pw"));
    }

    #[test]
    fn the_auth_username_defaults_to_the_user_part() {
        let mut account = alice();
        assert_eq!(account.auth_username(), "alice");
        account.auth.username = Some("a123".into());
        assert_eq!(account.auth_username(), "a123");
    }
}
