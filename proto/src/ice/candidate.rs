//! ICE candidates (RFC 8445 §5.1): their priorities and foundations, and their form in SDP
//! (RFC 8839 §5.1).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

use crate::sdp::{Candidate as SdpCandidate, CandidateType};

/// The type preferences RFC 8445 §5.1.2.2 recommends: host above peer reflexive above server
/// reflexive above relayed, so that the most direct path wins when several work.
#[must_use]
pub fn type_preference(kind: CandidateType) -> u8 {
    match kind {
        CandidateType::Host => 126,
        CandidateType::PeerReflexive => 110,
        CandidateType::ServerReflexive => 100,
        CandidateType::Relay | CandidateType::Other(_) => 0,
    }
}

/// A candidate's priority (RFC 8445 §5.1.2.1): `2^24·type + 2^8·local + (256 − component)`.
/// `local` orders the interfaces of one type (65535 when there is one).
#[must_use]
pub fn priority(type_pref: u8, local: u16, component: u16) -> u32 {
    (u32::from(type_pref) << 24)
        | (u32::from(local) << 8)
        | (256 - u32::from(component.clamp(1, 256)))
}

/// The local preference of the `index`-th address gathered, first preferred. Every address
/// keeps its own value so that priorities stay distinct (§5.1.2.1), and at the same index
/// IPv6 comes before IPv4, as RFC 8421 §4 suggests for dual-stack hosts.
#[must_use]
pub fn local_preference(address: IpAddr, index: usize) -> u16 {
    let step = u16::try_from(index.saturating_mul(2))
        .unwrap_or(u16::MAX)
        .min(u16::MAX - 1);
    (u16::MAX - step).saturating_sub(u16::from(address.is_ipv4()))
}

/// The role of an agent (RFC 8445 §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Nominates the pairs; the offerer of a full agent, or any full agent facing a lite one.
    Controlling,
    /// Follows the controlling agent's nominations.
    Controlled,
}

/// A candidate of one component of a data stream, local or remote.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// The candidate type.
    pub kind: CandidateType,
    /// The component: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// The transport address the peer sends to.
    pub address: SocketAddr,
    /// Where our packets for this candidate leave from: the host address it was learnt on
    /// (itself for a host candidate). For remote candidates, equal to `address`.
    pub base: SocketAddr,
    /// The related address of SDP (`raddr`/`rport`): the base of a reflexive candidate.
    pub related: Option<SocketAddr>,
    /// The priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// Candidates of the same type, base IP, server and transport share it (§5.1.1.3).
    pub foundation: String,
}

impl Candidate {
    /// A host candidate on `address` with the local preference `local`.
    #[must_use]
    pub fn host(address: SocketAddr, component: u16, local: u16, foundation: String) -> Self {
        Self {
            kind: CandidateType::Host,
            component,
            address,
            base: address,
            related: None,
            priority: priority(type_preference(CandidateType::Host), local, component),
            foundation,
        }
    }

    /// A server reflexive candidate: `mapped` as a STUN server saw packets from `base`.
    #[must_use]
    pub fn server_reflexive(
        mapped: SocketAddr,
        base: SocketAddr,
        component: u16,
        local: u16,
        foundation: String,
    ) -> Self {
        Self {
            kind: CandidateType::ServerReflexive,
            component,
            address: mapped,
            base,
            related: Some(base),
            priority: priority(
                type_preference(CandidateType::ServerReflexive),
                local,
                component,
            ),
            foundation,
        }
    }

    /// The candidate as an `a=candidate` value (transport `UDP`).
    #[must_use]
    pub fn to_sdp(&self) -> SdpCandidate {
        SdpCandidate {
            foundation: self.foundation.clone(),
            component: self.component,
            transport: "UDP".to_owned(),
            priority: self.priority,
            address: self.address.ip().to_string(),
            port: self.address.port(),
            kind: self.kind.clone(),
            related_address: self.related.map(|r| r.ip().to_string()),
            related_port: self.related.map(|r| r.port()),
            extensions: Vec::new(),
        }
    }

    /// A remote candidate from its `a=candidate` value. Only UDP candidates with an IP
    /// address are usable here: TCP candidates (RFC 6544) and FQDNs such as mDNS `.local`
    /// names are refused with the reason, and the caller leaves them out.
    pub fn from_sdp(c: &SdpCandidate) -> Result<Self, CandidateError> {
        if !c.transport.eq_ignore_ascii_case("udp") {
            return Err(CandidateError::Transport(c.transport.clone()));
        }
        let ip: IpAddr = c
            .address
            .parse()
            .map_err(|_| CandidateError::Address(c.address.clone()))?;
        if c.component == 0 || c.component > 256 {
            return Err(CandidateError::Component(c.component));
        }
        if c.priority == 0 {
            return Err(CandidateError::Priority);
        }
        let related = match (&c.related_address, c.related_port) {
            (Some(a), Some(p)) => a.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, p)),
            _ => None,
        };
        let address = SocketAddr::new(ip, c.port);
        Ok(Self {
            kind: c.kind.clone(),
            component: c.component,
            address,
            base: address,
            related,
            priority: c.priority,
            foundation: c.foundation.clone(),
        })
    }
}

/// Why a remote `a=candidate` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// Not UDP.
    #[error("candidate transport {0} is not supported")]
    Transport(String),
    /// Not an IP address (an FQDN, an mDNS name).
    #[error("candidate address {0} is not an IP address")]
    Address(String),
    /// A component outside 1–256.
    #[error("candidate component {0} is out of range")]
    Component(u16),
    /// Priority 0, which RFC 8445 §5.1.2.1 excludes.
    #[error("candidate priority 0")]
    Priority,
}

/// Gives foundations (§5.1.1.3): candidates of the same type, from the same base IP, through
/// the same STUN or TURN server (none for host candidates) get the same one, others a new
/// one. Foundations are short decimal strings, deterministic in the order asked.
#[derive(Debug, Default, Clone)]
pub struct Foundations {
    known: HashMap<(u8, IpAddr, Option<SocketAddr>), String>,
}

/// How many distinct foundations one agent hands out: far more than an agent's interfaces
/// times servers, and small enough to bound the map.
const MAX_FOUNDATIONS: usize = 256;

impl Foundations {
    /// The foundation of a candidate of `kind` on `base`, learnt through `server`.
    pub fn get(
        &mut self,
        kind: &CandidateType,
        base: IpAddr,
        server: Option<SocketAddr>,
    ) -> String {
        let key = (type_preference(kind.clone()), base, server);
        if let Some(f) = self.known.get(&key) {
            return f.clone();
        }
        let next = (self.known.len() % MAX_FOUNDATIONS + 1).to_string();
        if self.known.len() < MAX_FOUNDATIONS {
            self.known.insert(key, next.clone());
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn priorities_follow_rfc8445() {
        // The RFC 8839 §5.1 example candidates carry these values.
        assert_eq!(priority(126, 65535, 1), 2_130_706_431);
        assert_eq!(priority(100, 65535, 1), 1_694_498_815);
        assert_eq!(priority(126, 65535, 2), 2_130_706_430);
        let host = Candidate::host(sa("10.0.1.1:8998"), 1, 65535, "1".into());
        assert_eq!(host.priority, 2_130_706_431);
        let srflx = Candidate::server_reflexive(
            sa("192.0.2.3:45664"),
            sa("10.0.1.1:8998"),
            1,
            65535,
            "2".into(),
        );
        assert_eq!(srflx.priority, 1_694_498_815);
        assert!(host.priority > srflx.priority);
    }

    #[test]
    fn local_preferences_are_distinct_and_ordered() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let prefs: Vec<u16> = (0..4).map(|i| local_preference(v4, i)).collect();
        assert!(prefs.windows(2).all(|w| w[0] > w[1]), "{prefs:?}");
        assert_eq!(local_preference(v6, 0), 65535);
        assert_eq!(local_preference(v4, 0), 65534);
        assert!(local_preference(v6, 1) > local_preference(v4, 1));
        assert!(local_preference(v4, 0) > local_preference(v6, 1));
        // Absurd indices do not overflow.
        assert_eq!(local_preference(v6, usize::MAX), 1);
        assert_eq!(local_preference(v4, usize::MAX), 0);
    }

    #[test]
    fn foundations_group_by_type_base_and_server() {
        let mut f = Foundations::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let stun = Some(sa("192.0.2.9:3478"));
        let h1 = f.get(&CandidateType::Host, a, None);
        let h2 = f.get(&CandidateType::Host, b, None);
        let s1 = f.get(&CandidateType::ServerReflexive, a, stun);
        assert_eq!(f.get(&CandidateType::Host, a, None), h1);
        assert_eq!(f.get(&CandidateType::ServerReflexive, a, stun), s1);
        assert_ne!(h1, h2);
        assert_ne!(h1, s1);
        assert_ne!(
            s1,
            f.get(
                &CandidateType::ServerReflexive,
                a,
                Some(sa("192.0.2.10:3478"))
            )
        );
    }

    #[test]
    fn sdp_round_trip_and_refusals() {
        let srflx = Candidate::server_reflexive(
            sa("192.0.2.3:45664"),
            sa("10.0.1.1:8998"),
            1,
            65535,
            "2".into(),
        );
        let sdp = srflx.to_sdp();
        assert_eq!(
            sdp.to_string(),
            "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998"
        );
        let back = Candidate::from_sdp(&sdp).unwrap();
        assert_eq!(back.address, srflx.address);
        assert_eq!(back.related, srflx.related);
        assert_eq!((back.priority, back.component), (srflx.priority, 1));
        let v6: SdpCandidate = "1 2 udp 2130706430 ::1 5000 typ host".parse().unwrap();
        assert_eq!(Candidate::from_sdp(&v6).unwrap().address, sa("[::1]:5000"));
        let tcp: SdpCandidate = "1 1 TCP 2130706431 10.0.0.1 9 typ host tcptype active"
            .parse()
            .unwrap();
        assert_eq!(
            Candidate::from_sdp(&tcp),
            Err(CandidateError::Transport("TCP".into()))
        );
        let mdns: SdpCandidate = "1 1 UDP 2130706431 a1b2.local 5000 typ host"
            .parse()
            .unwrap();
        assert!(matches!(
            Candidate::from_sdp(&mdns),
            Err(CandidateError::Address(_))
        ));
        let zero: SdpCandidate = "1 1 UDP 0 10.0.0.1 5000 typ host".parse().unwrap();
        assert_eq!(Candidate::from_sdp(&zero), Err(CandidateError::Priority));
        let comp: SdpCandidate = "1 0 UDP 5 10.0.0.1 5000 typ host".parse().unwrap();
        assert_eq!(
            Candidate::from_sdp(&comp),
            Err(CandidateError::Component(0))
        );
    }
}
