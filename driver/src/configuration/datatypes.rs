//! The value types of settings: account ids, passwords, transports, SRTP modes, port ranges.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sipsimple_proto::sip::Uri;

use super::error::ValidationError;

/// The id of the Bonjour account, reserved: no other account may take it.
pub const BONJOUR_ACCOUNT_ID: &str = "bonjour@local";

/// Audio codec names the settings accept, spelled as in SDP `rtpmap` (the seed's names).
pub const KNOWN_AUDIO_CODECS: &[&str] = &["opus", "G722", "speex", "PCMU", "PCMA", "iLBC", "GSM"];

/// The SIP id of an account, `user@domain` (the seed's `SIPAddress`).
///
/// Both parts are required, and `sip:<id>` must be a valid SIP URI.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Parses `user@domain`.
    pub fn new(id: impl Into<String>) -> Result<Self, AccountIdError> {
        let id = id.into();
        let Some((user, domain)) = id.rsplit_once('@') else {
            return Err(AccountIdError::new(id, "is not of the form user@domain"));
        };
        if user.is_empty() || domain.is_empty() {
            return Err(AccountIdError::new(id, "needs both a user and a domain"));
        }
        if user.contains('@') {
            return Err(AccountIdError::new(id, "has more than one @"));
        }
        if let Err(e) = format!("sip:{id}").parse::<Uri<'static>>() {
            return Err(AccountIdError::new(
                id,
                format!("is not a SIP address: {e}"),
            ));
        }
        Ok(Self(id))
    }

    /// The id of the Bonjour account, `bonjour@local`.
    pub fn bonjour() -> Self {
        Self(BONJOUR_ACCOUNT_ID.to_owned())
    }

    /// The whole id, `user@domain`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The user part.
    pub fn username(&self) -> &str {
        self.0.rsplit_once('@').expect("checked at construction").0
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').expect("checked at construction").1
    }

    /// The account's SIP URI, `sip:user@domain`.
    pub fn uri(&self) -> Uri<'static> {
        format!("sip:{}", self.0)
            .parse()
            .expect("checked at construction")
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;

    fn from_str(s: &str) -> Result<Self, AccountIdError> {
        Self::new(s)
    }
}

impl TryFrom<String> for AccountId {
    type Error = AccountIdError;

    fn try_from(s: String) -> Result<Self, AccountIdError> {
        Self::new(s)
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> Self {
        id.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({:?})", self.0)
    }
}

/// An account id that is not `user@domain`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("account id {id:?} {reason}")]
pub struct AccountIdError {
    /// The text given.
    pub id: String,
    /// What is wrong with it.
    pub reason: String,
}

impl AccountIdError {
    fn new(id: String, reason: impl Into<String>) -> Self {
        Self {
            id,
            reason: reason.into(),
        }
    }
}

/// A password: stored as given, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// A password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the password is empty (no password).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("Password(\"\")")
        } else {
            f.write_str("Password(<redacted>)")
        }
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Self::new(password)
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Self(password)
    }
}

/// A SIP transport, as named in `sip.transport_list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// The name: `udp`, `tcp` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When an account uses SRTP (the seed's `SRTPEncryption`: `disabled`, `optional`,
/// `mandatory`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SrtpEncryption {
    /// Plain RTP only.
    Disabled,
    /// Offer SRTP, accept RTP.
    #[default]
    Optional,
    /// SRTP or no call.
    Mandatory,
}

/// The transport of MSRP connections (the seed's `MSRPTransport`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MsrpTransport {
    /// MSRP over TLS (`msrps:`).
    #[default]
    Tls,
    /// MSRP over TCP.
    Tcp,
}

/// How MSRP connections are set up (the seed's `MSRPConnectionModel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MsrpConnectionModel {
    /// Through an MSRP relay (RFC 4976).
    #[default]
    Relay,
    /// Alternative connection model (RFC 6135): direct connections, with the active side
    /// chosen by SDP.
    Acm,
}

/// A range of ports, stored as `"start:end"` (both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortRange {
    /// The first port.
    pub start: u16,
    /// The last port.
    pub end: u16,
}

impl PortRange {
    /// The range `start..=end`.
    pub fn new(start: u16, end: u16) -> Self {
        Self { start, end }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.start, self.end)
    }
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |p: &str| {
            p.trim()
                .parse::<u16>()
                .map_err(|_| format!("{s:?} is not a port range start:end"))
        };
        let (start, end) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not a port range start:end"))?;
        Ok(Self::new(parse(start)?, parse(end)?))
    }
}

impl TryFrom<String> for PortRange {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<PortRange> for String {
    fn from(range: PortRange) -> Self {
        range.to_string()
    }
}

// Checks shared by the settings groups. Each names the setting it checks.

pub(crate) fn check_range<T: PartialOrd + fmt::Display>(
    setting: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ValidationError> {
    if value < min || value > max {
        return Err(ValidationError::new(
            setting,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(())
}

pub(crate) fn check_sip_uri(setting: &str, uri: &str) -> Result<(), ValidationError> {
    match uri.parse::<Uri<'static>>() {
        Ok(parsed) if parsed.is_sip() => Ok(()),
        Ok(_) => Err(ValidationError::new(
            setting,
            format!("must be a sip: or sips: URI, not {uri:?}"),
        )),
        Err(e) => Err(ValidationError::new(
            setting,
            format!("must be a SIP URI: {uri:?}: {e}"),
        )),
    }
}

pub(crate) fn check_codecs(setting: &str, codecs: &[String]) -> Result<(), ValidationError> {
    if codecs.is_empty() {
        return Err(ValidationError::new(
            setting,
            "must name at least one codec",
        ));
    }
    for (i, codec) in codecs.iter().enumerate() {
        if !KNOWN_AUDIO_CODECS.contains(&codec.as_str()) {
            return Err(ValidationError::new(
                setting,
                format!(
                    "names an unknown codec {codec:?} (known: {})",
                    KNOWN_AUDIO_CODECS.join(", ")
                ),
            ));
        }
        if codecs[..i].contains(codec) {
            return Err(ValidationError::new(
                setting,
                format!("names {codec:?} twice"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn check_transports(
    setting: &str,
    transports: &[Transport],
) -> Result<(), ValidationError> {
    if transports.is_empty() {
        return Err(ValidationError::new(
            setting,
            "must name at least one of udp, tcp, tls",
        ));
    }
    for (i, transport) in transports.iter().enumerate() {
        if transports[..i].contains(transport) {
            return Err(ValidationError::new(
                setting,
                format!("names {transport} twice"),
            ));
        }
    }
    Ok(())
}

/// `host[:port]` with a domain name, an IPv4 address or a bracketed IPv6 address.
pub(crate) fn check_host_port(setting: &str, value: &str) -> Result<(), ValidationError> {
    let bad = || ValidationError::new(setting, format!("must be host or host:port, not {value:?}"));
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (v6, rest) = rest.split_once(']').ok_or_else(bad)?;
        v6.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        match rest {
            "" => (v6, None),
            _ => (v6, Some(rest.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match value.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        }
    };
    let host_ok = !host.is_empty()
        && (host.contains(':')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    if !host_ok {
        return Err(bad());
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err(bad()),
        }
    }
    Ok(())
}

/// An MSRP relay address: `host[:port][;transport=tcp|tls]` (the seed's `MSRPRelayAddress`).
pub(crate) fn check_msrp_relay(setting: &str, value: &str) -> Result<(), ValidationError> {
    let (hostport, params) = match value.split_once(';') {
        Some((hostport, params)) => (hostport, Some(params)),
        None => (value, None),
    };
    check_host_port(setting, hostport)?;
    if let Some(params) = params {
        if !matches!(params, "transport=tcp" | "transport=tls") {
            return Err(ValidationError::new(
                setting,
                format!("may only carry ;transport=tcp or ;transport=tls, not {value:?}"),
            ));
        }
    }
    Ok(())
}

/// An XCAP root: an `http://` or `https://` URI with a host.
pub(crate) fn check_xcap_root(setting: &str, value: &str) -> Result<(), ValidationError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(host) if !host.is_empty() && !value.chars().any(char::is_whitespace) => {
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            check_host_port(setting, host)
                .map_err(|_| ValidationError::new(setting, format!("has a bad host: {value:?}")))
        }
        _ => Err(ValidationError::new(
            setting,
            format!("must be an http:// or https:// URI, not {value:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        let id = AccountId::new("alice@example.com").unwrap();
        assert_eq!((id.username(), id.domain()), ("alice", "example.com"));
        assert_eq!(id.uri().to_string(), "sip:alice@example.com");
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "a@b@c",
            "al ice@example.com",
            "",
        ] {
            assert!(AccountId::new(bad).is_err(), "{bad:?} accepted");
        }
        let err = AccountId::new("alice").unwrap_err();
        assert_eq!(
            err.to_string(),
            "account id \"alice\" is not of the form user@domain"
        );
    }

    #[test]
    fn port_ranges_round_trip() {
        let range: PortRange = "50000:50500".parse().unwrap();
        assert_eq!(range, PortRange::new(50000, 50500));
        assert_eq!(
            serde_json::to_value(range).unwrap(),
            serde_json::json!("50000:50500")
        );
        assert!("50000".parse::<PortRange>().is_err());
        assert!("1:70000".parse::<PortRange>().is_err());
    }

    #[test]
    fn passwords_stay_out_of_debug() {
        let password = Password::new("hunter2");
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        assert_eq!(password.expose(), "hunter2");
    }

    #[test]
    fn addresses() {
        for good in [
            "stun.example.com",
            "stun.example.com:3478",
            "192.0.2.1:3478",
            "[::1]:5",
        ] {
            assert!(check_host_port("x", good).is_ok(), "{good:?} refused");
        }
        for bad in [
            "",
            ":3478",
            "host:",
            "host:0",
            "host:99999",
            "ho st",
            "[::1",
        ] {
            assert!(check_host_port("x", bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_msrp_relay("x", "relay.example.com:2855;transport=tls").is_ok());
        assert!(check_msrp_relay("x", "relay.example.com;transport=udp").is_err());
        assert!(check_xcap_root("x", "https://xcap.example.com/xcap-root").is_ok());
        assert!(check_xcap_root("x", "http://192.0.2.1:8080").is_ok());
        assert!(check_xcap_root("x", "ftp://xcap.example.com").is_err());
        assert!(check_xcap_root("x", "https:///root").is_err());
    }
}
