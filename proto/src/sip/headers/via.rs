//! Via (RFC 3261 §20.42, §18.2.1; RFC 3581 `rport`).

use std::borrow::Cow;
use std::fmt;

use super::{Header, HeaderName};
use crate::sip::error::HeaderError;
use crate::sip::params::Params;
use crate::sip::text::{is_lws, scan_token, skip_lws};
use crate::sip::uri::scan_hostport;

/// The magic cookie that starts RFC 3261 branch parameters (§8.1.1.7).
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value: `sent-protocol LWS sent-by *(SEMI via-params)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Via<'a> {
    protocol: Cow<'a, str>,
    version: Cow<'a, str>,
    transport: Cow<'a, str>,
    host: Cow<'a, str>,
    port: Option<u16>,
    /// The Via parameters (branch, received, rport, maddr, ttl, …).
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// A `SIP/2.0/<transport>` value with a branch; `host` may be an IPv6 address with or
    /// without brackets.
    pub fn new(transport: &str, host: &str, port: Option<u16>, branch: &str) -> Via<'static> {
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Via {
            protocol: Cow::Borrowed("SIP"),
            version: Cow::Borrowed("2.0"),
            transport: Cow::Owned(transport.to_ascii_uppercase()),
            host: Cow::Owned(host),
            port,
            params: Params::new().with("branch", Some(branch)),
        }
    }

    /// The protocol name (`SIP`).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The protocol version (`2.0`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The transport as written (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, …).
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// The sent-by host (an IPv6 reference keeps its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The sent-by port, if given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").flatten()
    }

    /// `true` when the branch starts with the RFC 3261 magic cookie and has more after it
    /// (RFC 4475 §3.2.1 shows a bare cookie, which identifies nothing).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| {
            b.len() > BRANCH_MAGIC_COOKIE.len() && b.starts_with(BRANCH_MAGIC_COOKIE)
        })
    }

    /// The `received` parameter (§18.2.1).
    pub fn received(&self) -> Option<&str> {
        self.params.get("received").flatten()
    }

    /// The `rport` parameter (RFC 3581): `None` when absent, `Some(None)` when requested
    /// without value, `Some(Some(port))` when filled in. A value that is not a port counts as
    /// absent.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None => Some(None),
            Some(v) => v.parse().ok().map(Some),
        }
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.get("maddr").flatten()
    }

    /// The `ttl` parameter, when it is a number in 0..=255.
    pub fn ttl(&self) -> Option<u8> {
        self.params
            .get("ttl")
            .flatten()
            .and_then(|t| t.parse().ok())
    }

    /// Copies borrowed text so the value outlives its source.
    pub fn into_owned(self) -> Via<'static> {
        Via {
            protocol: Cow::Owned(self.protocol.into_owned()),
            version: Cow::Owned(self.version.into_owned()),
            transport: Cow::Owned(self.transport.into_owned()),
            host: Cow::Owned(self.host.into_owned()),
            port: self.port,
            params: self.params.into_owned(),
        }
    }
}

#[inline]
fn token_at(s: &str, i: usize) -> Result<(&str, usize), HeaderError> {
    let j = scan_token(s.as_bytes(), i);
    if j == i {
        return Err(HeaderError::Expected {
            expected: "token",
            at: i,
        });
    }
    Ok((&s[i..j], j))
}

impl<'a> Header<'a> for Via<'a> {
    const NAME: HeaderName = HeaderName::Via;
    const LIST: bool = true;

    fn parse(s: &'a str) -> Result<Self, HeaderError> {
        let (via, rest) = Self::parse_element(s)?;
        if !rest.bytes().all(is_lws) {
            return Err(HeaderError::Expected {
                expected: "';' or end of value",
                at: s.len() - rest.len(),
            });
        }
        Ok(via)
    }

    /// One pass: the parameters end at the comma before the next value.
    fn parse_element(s: &'a str) -> Result<(Self, &'a str), HeaderError> {
        let b = s.as_bytes();
        let i = skip_lws(b, 0);
        if i == b.len() {
            return Err(HeaderError::Empty);
        }
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport, with LWS
        // allowed around the slashes (RFC 4475 §3.1.1.1).
        let (protocol, i) = token_at(s, i)?;
        let mut parts = [""; 2];
        let mut i = i;
        for part in &mut parts {
            i = skip_lws(b, i);
            if b.get(i) != Some(&b'/') {
                return Err(HeaderError::Expected {
                    expected: "'/'",
                    at: i,
                });
            }
            i = skip_lws(b, i + 1);
            let (t, j) = token_at(s, i)?;
            *part = t;
            i = j;
        }
        let after = skip_lws(b, i);
        if after == i {
            return Err(HeaderError::Expected {
                expected: "white space before sent-by",
                at: i,
            });
        }
        let hp = scan_hostport(s, after)?;
        let host = &s[after..hp.host_end];
        let (params, rest) = Params::parse_prefix(&s[hp.end..]).map_err(|e| e.shifted(hp.end))?;
        Ok((
            Self {
                protocol: Cow::Borrowed(protocol),
                version: Cow::Borrowed(parts[0]),
                transport: Cow::Borrowed(parts[1]),
                host: Cow::Borrowed(host),
                port: hp.port,
                params,
            },
            rest,
        ))
    }
}

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{} {}",
            self.protocol, self.version, self.transport, self.host
        )?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spaced_protocol_and_params() {
        let v = Via::parse(
            "SIP  /   2.0 / UDP  192.0.2.1:5060 ; branch = z9hG4bK74bf9 ;received=192.0.2.2;rport",
        )
        .unwrap();
        assert_eq!(v.transport(), "UDP");
        assert_eq!(v.host(), "192.0.2.1");
        assert_eq!(v.port(), Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK74bf9"));
        assert_eq!(v.received(), Some("192.0.2.2"));
        assert_eq!(v.rport(), Some(None));
        assert!(v.has_rfc3261_branch());
    }

    #[test]
    fn ipv6_sent_by() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3;received=[2001:db8::9:255]",
        )
        .unwrap();
        assert_eq!(v.host(), "[2001:db8::9:1]");
        assert_eq!(v.port(), Some(6050));
        assert_eq!(v.received(), Some("[2001:db8::9:255]"));
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            "",
            "SIP/2.0/UDP",
            "SIP/2.0 host",
            "SIP/2.0/UDP host;",
            "SIP/2.0/UDP host;;a",
            "SIP/2.0/UDP host junk",
            "SIP/2.0/UDPhost",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn builds_and_round_trips() {
        let mut v = Via::new("udp", "::1", Some(5060), "z9hG4bKabc");
        v.params.push("rport", None);
        let s = v.to_string();
        assert_eq!(s, "SIP/2.0/UDP [::1]:5060;branch=z9hG4bKabc;rport");
        assert_eq!(Via::parse(&s).unwrap(), v);
    }
}
