//! `a=rtcp` (RFC 3605).

use std::fmt;
use std::str::FromStr;

use crate::sdp::connection::ConnectionData;
use crate::sdp::error::Fault;
use crate::sdp::text;

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]`: where RTCP goes when it is not
/// on the RTP port plus one (RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when it differs from the media's `c=`.
    pub connection: Option<ConnectionData>,
}

impl Rtcp {
    /// An RTCP port on the media's address.
    #[must_use]
    pub fn new(port: u16) -> Self {
        Self {
            port,
            connection: None,
        }
    }
}

impl FromStr for Rtcp {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let value = value.trim();
        let (port, rest) = match value.find(|c: char| c.is_ascii_whitespace()) {
            Some(i) => (&value[..i], Some(&value[i..])),
            None => (value, None),
        };
        Ok(Self {
            port: text::parse_u16(port, "port")?,
            connection: rest.map(str::parse).transpose()?,
        })
    }
}

impl fmt::Display for Rtcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(c) = &self.connection {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let r: Rtcp = "53020".parse().unwrap();
        assert_eq!(r, Rtcp::new(53020));
        let r: Rtcp = "53020 IN IP4 126.16.64.4".parse().unwrap();
        assert_eq!(
            r.connection.as_ref().map(|c| c.address.as_str()),
            Some("126.16.64.4")
        );
        assert_eq!(r.to_string(), "53020 IN IP4 126.16.64.4");
        assert_eq!(
            "53020 IN IP4".parse::<Rtcp>(),
            Err(Fault::Missing("connection-address"))
        );
        assert_eq!("70000".parse::<Rtcp>(), Err(Fault::OutOfRange("port")));
    }
}
