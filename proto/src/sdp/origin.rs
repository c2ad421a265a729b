//! The origin line `o=` (RFC 4566 §5.2) and the network and address type words it shares with
//! `c=`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::error::Fault;
use super::text::{self, string_enum};

string_enum! {
    /// The network type of `o=`, `c=` and `a=rtcp` (RFC 4566 §5.2): `IN` for the Internet.
    pub enum NetType {
        /// `IN`: the Internet.
        Internet => "IN",
    }
}

string_enum! {
    /// The address type of `o=`, `c=` and `a=rtcp` (RFC 4566 §5.2).
    pub enum AddressType {
        /// `IP4`: an IPv4 address or a host name resolving to one.
        Ip4 => "IP4",
        /// `IP6`: an IPv6 address or a host name resolving to one.
        Ip6 => "IP6",
    }
}

impl AddressType {
    /// The address type of an IP address.
    #[must_use]
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Self::Ip4,
            IpAddr::V6(_) => Self::Ip6,
        }
    }
}

/// The `o=` line: who created the session and which version of its description this is
/// (RFC 4566 §5.2).
///
/// `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`. The five
/// last fields are read from the right; whatever precedes them is the username, so a username
/// holding spaces (which RFC 4566 forbids but some devices send) is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The user's login on the originating host, `-` when there is none.
    pub username: String,
    /// A numeric session identifier, unique together with the other fields.
    pub session_id: u64,
    /// The version of this session description; RFC 3264 §8 increments it on each change.
    pub session_version: u64,
    /// The network type, normally `IN`.
    pub net_type: NetType,
    /// The type of `address`.
    pub address_type: AddressType,
    /// The originating host's address or fully qualified domain name.
    pub address: String,
}

impl Origin {
    /// An origin for `address`, with network type `IN` and the matching address type.
    #[must_use]
    pub fn new(
        username: impl Into<String>,
        session_id: u64,
        session_version: u64,
        address: IpAddr,
    ) -> Self {
        Self {
            username: username.into(),
            session_id,
            session_version,
            net_type: NetType::Internet,
            address_type: AddressType::of(address),
            address: address.to_string(),
        }
    }

    /// Increments the session version, as RFC 3264 §8 requires for every new offer that
    /// changes the session (wrapping at `u64::MAX`).
    pub fn increment_version(&mut self) {
        self.session_version = self.session_version.wrapping_add(1);
    }
}

impl FromStr for Origin {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut rest = value.trim();
        let mut tail = [""; 5];
        for (slot, field) in tail.iter_mut().rev().zip([
            "unicast-address",
            "addrtype",
            "nettype",
            "sess-version",
            "sess-id",
        ]) {
            if rest.is_empty() {
                return Err(Fault::Missing(field));
            }
            let split = rest
                .rfind(|c: char| c.is_ascii_whitespace())
                .map_or(0, |i| i + 1);
            *slot = &rest[split..];
            rest = rest[..split].trim_end();
        }
        if rest.is_empty() {
            return Err(Fault::Missing("username"));
        }
        let [session_id, session_version, net_type, address_type, address] = tail;
        Ok(Self {
            username: rest.to_owned(),
            session_id: text::parse_u64(session_id, "sess-id")?,
            session_version: text::parse_u64(session_version, "sess-version")?,
            net_type: NetType::from_text(net_type),
            address_type: AddressType::from_text(address_type),
            address: address.to_owned(),
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.net_type,
            self.address_type,
            self.address
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc4566_origin() {
        let o: Origin = "jdoe 2890844526 2890842807 IN IP4 10.47.16.5"
            .parse()
            .unwrap();
        assert_eq!(o.username, "jdoe");
        assert_eq!(o.session_id, 2_890_844_526);
        assert_eq!(o.session_version, 2_890_842_807);
        assert_eq!(o.net_type, NetType::Internet);
        assert_eq!(o.address_type, AddressType::Ip4);
        assert_eq!(o.address, "10.47.16.5");
        assert_eq!(
            o.to_string(),
            "jdoe 2890844526 2890842807 IN IP4 10.47.16.5"
        );
    }

    #[test]
    fn username_with_spaces_is_kept() {
        let o: Origin = "Cisco SIP UA 1 2 IN IP4 h".parse().unwrap();
        assert_eq!(o.username, "Cisco SIP UA");
        assert_eq!(o.to_string().parse::<Origin>().unwrap(), o);
    }

    #[test]
    fn rejects_short_and_bad_numbers() {
        assert_eq!(
            "a 1 IN IP4 h".parse::<Origin>(),
            Err(Fault::Missing("username"))
        );
        assert_eq!(
            "1 IN IP4 h".parse::<Origin>(),
            Err(Fault::Missing("sess-id"))
        );
        assert_eq!(
            "a x 2 IN IP4 h".parse::<Origin>(),
            Err(Fault::Invalid("sess-id"))
        );
        assert_eq!(
            "a 1 99999999999999999999 IN IP4 h".parse::<Origin>(),
            Err(Fault::OutOfRange("sess-version"))
        );
    }

    #[test]
    fn increment_version_wraps() {
        let mut o = Origin::new("-", 1, u64::MAX, "::1".parse().unwrap());
        assert_eq!(o.address_type, AddressType::Ip6);
        o.increment_version();
        assert_eq!(o.session_version, 0);
    }
}
