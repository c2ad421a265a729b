//! Bandwidth `b=` (RFC 4566 §5.8) and encryption key `k=` (RFC 4566 §5.12) lines.

use std::fmt;
use std::str::FromStr;

use super::error::Fault;
use super::text::{self, string_enum};

string_enum! {
    /// The `<bwtype>` of a `b=` line.
    pub enum BandwidthType {
        /// `CT`: conference total (RFC 4566 §5.8).
        ConferenceTotal => "CT",
        /// `AS`: application specific, in kilobits per second (RFC 4566 §5.8).
        ApplicationSpecific => "AS",
        /// `TIAS`: transport independent application specific, in bits per second (RFC 3890).
        TransportIndependent => "TIAS",
        /// `RR`: RTCP bandwidth of receivers, in bits per second (RFC 3556).
        RtcpReceivers => "RR",
        /// `RS`: RTCP bandwidth of senders, in bits per second (RFC 3556).
        RtcpSenders => "RS",
    }
}

/// A bandwidth line `b=<bwtype>:<bandwidth>` (RFC 4566 §5.8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// What the figure measures.
    pub bwtype: BandwidthType,
    /// The figure, in the unit `bwtype` defines.
    pub bandwidth: u64,
}

impl Bandwidth {
    /// A bandwidth line.
    #[must_use]
    pub fn new(bwtype: BandwidthType, bandwidth: u64) -> Self {
        Self { bwtype, bandwidth }
    }
}

impl FromStr for Bandwidth {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let (bwtype, bandwidth) = value.split_once(':').ok_or(Fault::Missing("bandwidth"))?;
        let bwtype = text::single_token(bwtype, "bwtype")?;
        Ok(Self {
            bwtype: BandwidthType::from_text(&bwtype),
            bandwidth: text::parse_u64(bandwidth.trim(), "bandwidth")?,
        })
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bwtype, self.bandwidth)
    }
}

/// An encryption key line `k=<method>[:<encryption key>]` (RFC 4566 §5.12), obsolete but
/// still defined. Both parts are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptionKey {
    /// `clear`, `base64`, `uri` or `prompt`.
    pub method: String,
    /// The key or URI, absent for `prompt`.
    pub key: Option<String>,
}

impl FromStr for EncryptionKey {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let (method, key) = match value.split_once(':') {
            Some((m, k)) => (m, Some(k.to_owned())),
            None => (value, None),
        };
        if method.is_empty() {
            return Err(Fault::Missing("method"));
        }
        Ok(Self {
            method: method.to_owned(),
            key,
        })
    }
}

impl fmt::Display for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.method)?;
        if let Some(key) = &self.key {
            write!(f, ":{key}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_lines() {
        let b: Bandwidth = "AS:64".parse().unwrap();
        assert_eq!(b, Bandwidth::new(BandwidthType::ApplicationSpecific, 64));
        assert_eq!(b.to_string(), "AS:64");
        let b: Bandwidth = "X-YZ:128".parse().unwrap();
        assert_eq!(b.bwtype, BandwidthType::Other("X-YZ".into()));
        assert_eq!("AS".parse::<Bandwidth>(), Err(Fault::Missing("bandwidth")));
        assert_eq!(
            "AS:x".parse::<Bandwidth>(),
            Err(Fault::Invalid("bandwidth"))
        );
        assert_eq!(":1".parse::<Bandwidth>(), Err(Fault::Missing("bwtype")));
    }

    #[test]
    fn key_lines() {
        let k: EncryptionKey = "clear:abc:def".parse().unwrap();
        assert_eq!(
            (k.method.as_str(), k.key.as_deref()),
            ("clear", Some("abc:def"))
        );
        let k: EncryptionKey = "prompt".parse().unwrap();
        assert_eq!(k.key, None);
        assert_eq!(k.to_string(), "prompt");
        assert!("".parse::<EncryptionKey>().is_err());
    }
}
