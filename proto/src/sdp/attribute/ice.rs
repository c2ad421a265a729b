//! ICE attributes (RFC 8839): `a=candidate`, and the `ice-char` checks for `a=ice-ufrag` and
//! `a=ice-pwd`.

use std::fmt;
use std::str::FromStr;

use crate::sdp::error::Fault;
use crate::sdp::text::{self, string_enum};

string_enum! {
    /// The type of a candidate, after `typ` (RFC 8839 §5.1).
    pub enum CandidateType {
        /// `host`: an address of a local interface.
        Host => "host",
        /// `srflx`: server reflexive, learned from a STUN server.
        ServerReflexive => "srflx",
        /// `prflx`: peer reflexive, learned from a connectivity check.
        PeerReflexive => "prflx",
        /// `relay`: allocated on a TURN server.
        Relay => "relay",
    }
}

/// `a=candidate` (RFC 8839 §5.1):
/// `<foundation> <component-id> <transport> <priority> <connection-address> <port> typ
/// <cand-type> [raddr <address>] [rport <port>] *(<extension-att-name> <extension-att-value>)`.
///
/// `raddr` and `rport` are read as the related address and port when they come before any
/// extension attribute; later occurrences stay in [`extensions`](Self::extensions), which keeps
/// every other name/value pair (`generation`, `tcptype`, `ufrag`, `network-id`…) in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// Groups candidates of the same type, base and server (1 to 32 `ice-char`).
    pub foundation: String,
    /// The component: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// The transport, `UDP` (compared without regard to case), or `TCP` (RFC 6544).
    pub transport: String,
    /// The candidate priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// The candidate address: an IP address or an FQDN (such as an mDNS `.local` name).
    pub address: String,
    /// The candidate port.
    pub port: u16,
    /// The candidate type.
    pub kind: CandidateType,
    /// The related address (`raddr`) of a reflexive or relayed candidate.
    pub related_address: Option<String>,
    /// The related port (`rport`).
    pub related_port: Option<u16>,
    /// Further name/value pairs, in order.
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// The value of the first extension attribute called `name`.
    #[must_use]
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// True for a non-empty run of `ice-char` (`ALPHA / DIGIT / "+" / "/"`, RFC 8839 §5.1).
pub(crate) fn is_ice_chars(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// An `ice-ufrag` or `ice-pwd` value: one run of `ice-char` (RFC 8839 §5.4). The minimum and
/// maximum lengths (4/22 to 256) are not enforced.
pub(crate) fn parse_credential(value: &str, field: &'static str) -> Result<String, Fault> {
    let token = text::single_token(value, field)?;
    if !is_ice_chars(&token) {
        return Err(Fault::Invalid(field));
    }
    Ok(token)
}

impl FromStr for Candidate {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let mut next = |field| it.next().ok_or(Fault::Missing(field));
        let foundation = next("foundation")?;
        if !is_ice_chars(foundation) {
            return Err(Fault::Invalid("foundation"));
        }
        let component = text::parse_u16(next("component-id")?, "component-id")?;
        let transport = next("transport")?.to_owned();
        let priority = text::parse_u32(next("priority")?, "priority")?;
        let address = next("connection-address")?.to_owned();
        let port = text::parse_u16(next("port")?, "port")?;
        if !next("typ")?.eq_ignore_ascii_case("typ") {
            return Err(Fault::Invalid("typ"));
        }
        let kind = CandidateType::from_text(next("candidate type")?);
        let mut candidate = Self {
            foundation: foundation.to_owned(),
            component,
            transport,
            priority,
            address,
            port,
            kind,
            related_address: None,
            related_port: None,
            extensions: Vec::new(),
        };
        while let Some(name) = it.next() {
            let value = it.next().ok_or(Fault::Missing("extension value"))?;
            if candidate.extensions.is_empty() {
                if name.eq_ignore_ascii_case("raddr") && candidate.related_address.is_none() {
                    candidate.related_address = Some(value.to_owned());
                    continue;
                }
                if name.eq_ignore_ascii_case("rport") && candidate.related_port.is_none() {
                    candidate.related_port = Some(text::parse_u16(value, "rport")?);
                    continue;
                }
            }
            candidate
                .extensions
                .push((name.to_owned(), value.to_owned()));
        }
        Ok(candidate)
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.kind
        )?;
        if let Some(addr) = &self.related_address {
            write!(f, " raddr {addr}")?;
        }
        if let Some(port) = self.related_port {
            write!(f, " rport {port}")?;
        }
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc8839_examples() {
        let c: Candidate = "1 1 UDP 2130706431 10.0.1.1 8998 typ host".parse().unwrap();
        assert_eq!(c.kind, CandidateType::Host);
        assert_eq!((c.component, c.priority, c.port), (1, 2_130_706_431, 8998));
        let text = "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998";
        let c: Candidate = text.parse().unwrap();
        assert_eq!(c.kind, CandidateType::ServerReflexive);
        assert_eq!(c.related_address.as_deref(), Some("10.0.1.1"));
        assert_eq!(c.related_port, Some(8998));
        assert_eq!(c.to_string(), text);
    }

    #[test]
    fn keeps_extensions_in_order() {
        let text = "1 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active generation 0 \
                    raddr 1.2.3.4";
        let c: Candidate = text.parse().unwrap();
        assert_eq!(c.related_address, None);
        assert_eq!(
            c.extensions,
            [
                ("tcptype".to_owned(), "active".to_owned()),
                ("generation".to_owned(), "0".to_owned()),
                ("raddr".to_owned(), "1.2.3.4".to_owned())
            ]
        );
        assert_eq!(c.extension("tcptype"), Some("active"));
        assert_eq!(c.to_string(), text);
    }

    #[test]
    fn rejects_bad_candidates() {
        let base = "1 1 UDP 1 h 1";
        assert_eq!(
            format!("{base} typ").parse::<Candidate>(),
            Err(Fault::Missing("candidate type"))
        );
        assert_eq!(
            format!("{base} type host").parse::<Candidate>(),
            Err(Fault::Invalid("typ"))
        );
        assert_eq!(
            format!("{base} typ host generation").parse::<Candidate>(),
            Err(Fault::Missing("extension value"))
        );
        assert_eq!(
            "1 1 UDP 4294967296 h 1 typ host".parse::<Candidate>(),
            Err(Fault::OutOfRange("priority"))
        );
        assert_eq!(
            "a_b 1 UDP 1 h 1 typ host".parse::<Candidate>(),
            Err(Fault::Invalid("foundation"))
        );
        assert_eq!(
            format!("{base} typ host rport x").parse::<Candidate>(),
            Err(Fault::Invalid("rport"))
        );
    }
}
