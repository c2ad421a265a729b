//! `a=rtpmap` (RFC 4566 §6).

use std::fmt;
use std::str::FromStr;

use crate::sdp::error::Fault;
use crate::sdp::text;

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`: maps an RTP
/// payload type of the `m=` format list to an encoding (RFC 4566 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtpmap {
    /// The RTP payload type, 0–127.
    pub payload_type: u8,
    /// The encoding name, such as `PCMU`, `opus` or `telephone-event`.
    pub encoding_name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters; for audio the number of channels.
    pub encoding_params: Option<String>,
}

impl Rtpmap {
    /// A mapping without encoding parameters.
    #[must_use]
    pub fn new(payload_type: u8, encoding_name: impl Into<String>, clock_rate: u32) -> Self {
        Self {
            payload_type,
            encoding_name: encoding_name.into(),
            clock_rate,
            encoding_params: None,
        }
    }

    /// Sets the number of audio channels (the encoding parameters).
    #[must_use]
    pub fn with_channels(mut self, channels: u32) -> Self {
        self.encoding_params = Some(channels.to_string());
        self
    }

    /// The number of audio channels: the encoding parameters read as a number, 1 when there
    /// are none (RFC 4566 §6), `None` when they are not a number.
    #[must_use]
    pub fn channels(&self) -> Option<u32> {
        match &self.encoding_params {
            None => Some(1),
            Some(p) => text::parse_u32(p, "channels").ok(),
        }
    }
}

impl FromStr for Rtpmap {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let payload_type = text::parse_u8(it.next().unwrap_or_default(), "payload type")?;
        if payload_type > 127 {
            return Err(Fault::OutOfRange("payload type"));
        }
        let encoding = it.next().ok_or(Fault::Missing("encoding name"))?;
        if it.next().is_some() {
            return Err(Fault::Trailing);
        }
        let mut parts = encoding.splitn(3, '/');
        let encoding_name = parts.next().unwrap_or_default();
        if encoding_name.is_empty() {
            return Err(Fault::Missing("encoding name"));
        }
        let clock_rate = text::parse_u32(parts.next().unwrap_or_default(), "clock rate")?;
        let encoding_params = match parts.next() {
            Some("") => return Err(Fault::Missing("encoding parameters")),
            other => other.map(str::to_owned),
        };
        Ok(Self {
            payload_type,
            encoding_name: encoding_name.to_owned(),
            clock_rate,
            encoding_params,
        })
    }
}

impl fmt::Display for Rtpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding_name, self.clock_rate
        )?;
        if let Some(params) = &self.encoding_params {
            write!(f, "/{params}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let r: Rtpmap = "99 h263-1998/90000".parse().unwrap();
        assert_eq!(r, Rtpmap::new(99, "h263-1998", 90000));
        assert_eq!(r.channels(), Some(1));
        let r: Rtpmap = "111 opus/48000/2".parse().unwrap();
        assert_eq!(r.channels(), Some(2));
        assert_eq!(r.to_string(), "111 opus/48000/2");
        assert_eq!(
            Rtpmap::new(0, "PCMU", 8000).with_channels(1).to_string(),
            "0 PCMU/8000/1"
        );
    }

    #[test]
    fn rejects_bad_values() {
        assert_eq!(
            "128 x/1".parse::<Rtpmap>(),
            Err(Fault::OutOfRange("payload type"))
        );
        assert_eq!("0".parse::<Rtpmap>(), Err(Fault::Missing("encoding name")));
        assert_eq!(
            "0 PCMU".parse::<Rtpmap>(),
            Err(Fault::Missing("clock rate"))
        );
        assert_eq!(
            "0 PCMU/x".parse::<Rtpmap>(),
            Err(Fault::Invalid("clock rate"))
        );
        assert_eq!(
            "0 /8000".parse::<Rtpmap>(),
            Err(Fault::Missing("encoding name"))
        );
        assert_eq!(
            "0 a/8000/".parse::<Rtpmap>(),
            Err(Fault::Missing("encoding parameters"))
        );
        assert_eq!("0 a/8000 x".parse::<Rtpmap>(), Err(Fault::Trailing));
    }
}
