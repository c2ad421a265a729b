//! Connection data `c=` (RFC 4566 §5.7), also the optional address of `a=rtcp` (RFC 3605).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::error::Fault;
use super::origin::{AddressType, NetType};
use super::text;

/// Connection data: `c=<nettype> <addrtype> <connection-address>` (RFC 4566 §5.7).
///
/// For multicast the address carries suffixes: IPv4 takes `/<ttl>` and then optionally
/// `/<number of addresses>` (`224.2.1.1/127/3`); IPv6 takes only `/<number of addresses>`
/// (`FF15::101/3`). They are parsed into [`ttl`](Self::ttl) and
/// [`address_count`](Self::address_count) for `IP4` and `IP6`; for any other address type the
/// address is kept whole, slashes included.
///
/// When serializing, `ttl` is written only for `IP4`, and for `IP4` `address_count` only
/// together with a `ttl`, as the grammar allows nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectionData {
    /// The network type, normally `IN`.
    pub net_type: NetType,
    /// The type of `address`.
    pub address_type: AddressType,
    /// The address or host name, without the multicast suffixes.
    pub address: String,
    /// The multicast time to live (IPv4 only).
    pub ttl: Option<u8>,
    /// The number of contiguous multicast addresses starting at `address`.
    pub address_count: Option<u32>,
}

impl ConnectionData {
    /// Unicast connection data for an IP address, with network type `IN`.
    #[must_use]
    pub fn new(address: IpAddr) -> Self {
        Self {
            net_type: NetType::Internet,
            address_type: AddressType::of(address),
            address: address.to_string(),
            ttl: None,
            address_count: None,
        }
    }

    /// The address as an IP address, when it is a literal of its address type rather than a
    /// host name.
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        let ip: IpAddr = self.address.parse().ok()?;
        (AddressType::of(ip) == self.address_type).then_some(ip)
    }

    /// True for the RFC 2543 hold address `0.0.0.0` (or `::`), which RFC 3264 §8.4 asks
    /// answerers to still understand.
    #[must_use]
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }

    /// True when the address is an IP multicast address.
    #[must_use]
    pub fn is_multicast(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_multicast())
    }
}

impl FromStr for ConnectionData {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let net_type = it.next().ok_or(Fault::Missing("nettype"))?;
        let address_type = AddressType::from_text(it.next().ok_or(Fault::Missing("addrtype"))?);
        let full = it.next().ok_or(Fault::Missing("connection-address"))?;
        if it.next().is_some() {
            return Err(Fault::Trailing);
        }
        let (address, ttl, address_count) = match address_type {
            AddressType::Ip4 => {
                let mut parts = full.split('/');
                let address = parts.next().unwrap_or_default();
                let ttl = parts.next().map(|t| text::parse_u8(t, "ttl")).transpose()?;
                let count = parts
                    .next()
                    .map(|n| text::parse_u32(n, "number of addresses"))
                    .transpose()?;
                if parts.next().is_some() {
                    return Err(Fault::Trailing);
                }
                (address, ttl, count)
            }
            AddressType::Ip6 => {
                let mut parts = full.split('/');
                let address = parts.next().unwrap_or_default();
                let count = parts
                    .next()
                    .map(|n| text::parse_u32(n, "number of addresses"))
                    .transpose()?;
                if parts.next().is_some() {
                    return Err(Fault::Trailing);
                }
                (address, None, count)
            }
            AddressType::Other(_) => (full, None, None),
        };
        if address.is_empty() {
            return Err(Fault::Missing("connection-address"));
        }
        Ok(Self {
            net_type: NetType::from_text(net_type),
            address_type,
            address: address.to_owned(),
            ttl,
            address_count,
        })
    }
}

impl fmt::Display for ConnectionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.net_type, self.address_type, self.address
        )?;
        // By text, so that `Other("IP4")` is written as `IP4` is parsed.
        match self.address_type.as_str() {
            "IP4" => {
                if let Some(ttl) = self.ttl {
                    write!(f, "/{ttl}")?;
                    if let Some(n) = self.address_count {
                        write!(f, "/{n}")?;
                    }
                }
            }
            "IP6" => {
                if let Some(n) = self.address_count {
                    write!(f, "/{n}")?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multicast_forms() {
        let c: ConnectionData = "IN IP4 224.2.1.1/127/3".parse().unwrap();
        assert_eq!(c.address, "224.2.1.1");
        assert_eq!(c.ttl, Some(127));
        assert_eq!(c.address_count, Some(3));
        assert!(c.is_multicast());
        assert_eq!(c.to_string(), "IN IP4 224.2.1.1/127/3");

        let c: ConnectionData = "IN IP4 224.2.17.12/127".parse().unwrap();
        assert_eq!((c.ttl, c.address_count), (Some(127), None));

        let c: ConnectionData = "IN IP6 FF15::101/3".parse().unwrap();
        assert_eq!(
            (c.address.as_str(), c.ttl, c.address_count),
            ("FF15::101", None, Some(3))
        );
        assert_eq!(c.to_string(), "IN IP6 FF15::101/3");

        assert_eq!(
            "IN IP6 FF15::101/3/2".parse::<ConnectionData>(),
            Err(Fault::Trailing)
        );
        assert_eq!(
            "IN IP4 224.2.1.1/256".parse::<ConnectionData>(),
            Err(Fault::OutOfRange("ttl"))
        );
        assert_eq!(
            "IN IP4 224.2.1.1/1/2/3".parse::<ConnectionData>(),
            Err(Fault::Trailing)
        );
        assert_eq!(
            "IN IP4 /1".parse::<ConnectionData>(),
            Err(Fault::Missing("connection-address"))
        );
    }

    #[test]
    fn other_address_types_keep_slashes() {
        let c: ConnectionData = "ATM NSAP 47.0091/8".parse().unwrap();
        assert_eq!(c.address, "47.0091/8");
        assert_eq!(c.to_string(), "ATM NSAP 47.0091/8");
    }

    #[test]
    fn hold_address_and_host_names() {
        let c: ConnectionData = "IN IP4 0.0.0.0".parse().unwrap();
        assert!(c.is_unspecified());
        let c: ConnectionData = "IN IP4 alice.example.com".parse().unwrap();
        assert_eq!(c.ip(), None);
        assert_eq!(
            ConnectionData::new("::1".parse().unwrap()).to_string(),
            "IN IP6 ::1"
        );
    }
}
