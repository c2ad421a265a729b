//! RTP formats: what a codec is, the RFC 3551 static payload types, and how formats of two
//! descriptions are matched.

use crate::sdp::{MediaDescription, Rtpmap};

/// An RTP payload format one side can use: encoding name, clock rate, channels and format
/// parameters (RFC 4566 §6 `a=rtpmap` and `a=fmtp`).
///
/// Two codecs are the same format when their encoding names match without regard to ASCII
/// case and their clock rates and channel counts are equal; format parameters do not take
/// part in the match (each side states its own, for what it receives).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Codec {
    /// The payload type to offer this codec with: `None` takes the RFC 3551 static number
    /// when the codec has one, else the next free dynamic number (96–127). Ignored when
    /// answering, where the offerer's numbers are always used (RFC 3264 §6.1).
    pub payload_type: Option<u8>,
    /// The encoding name, such as `opus`, `PCMU` or `telephone-event`.
    pub encoding_name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The number of audio channels; 1 is not written in `a=rtpmap` (RFC 4566 §6).
    pub channels: u32,
    /// The `a=fmtp` parameters, as text (`0-15`, `useinbandfec=1`…).
    pub fmtp: Option<String>,
}

impl Codec {
    /// A codec with one channel, no parameters and no preferred payload type.
    #[must_use]
    pub fn new(encoding_name: impl Into<String>, clock_rate: u32) -> Self {
        Self {
            payload_type: None,
            encoding_name: encoding_name.into(),
            clock_rate,
            channels: 1,
            fmtp: None,
        }
    }

    /// This codec with another channel count.
    #[must_use]
    pub fn with_channels(mut self, channels: u32) -> Self {
        self.channels = channels;
        self
    }

    /// This codec with format parameters.
    #[must_use]
    pub fn with_fmtp(mut self, fmtp: impl Into<String>) -> Self {
        self.fmtp = Some(fmtp.into());
        self
    }

    /// This codec offered with the given payload type.
    #[must_use]
    pub fn with_payload_type(mut self, payload_type: u8) -> Self {
        self.payload_type = Some(payload_type);
        self
    }

    /// `opus/48000/2` (RFC 7587 §7: always two channels in SDP).
    #[must_use]
    pub fn opus() -> Self {
        Self::new("opus", 48000).with_channels(2)
    }

    /// `G722/8000` (static payload type 9; the RTP clock rate is 8000 by RFC 3551 §4.5.2).
    #[must_use]
    pub fn g722() -> Self {
        Self::new("G722", 8000)
    }

    /// `PCMU/8000` (static payload type 0).
    #[must_use]
    pub fn pcmu() -> Self {
        Self::new("PCMU", 8000)
    }

    /// `PCMA/8000` (static payload type 8).
    #[must_use]
    pub fn pcma() -> Self {
        Self::new("PCMA", 8000)
    }

    /// `telephone-event/8000` with events `0-15` (RFC 4733 §7).
    #[must_use]
    pub fn telephone_event() -> Self {
        Self::new("telephone-event", 8000).with_fmtp("0-15")
    }

    /// True for RFC 4733 `telephone-event` (DTMF).
    #[must_use]
    pub fn is_telephone_event(&self) -> bool {
        self.encoding_name.eq_ignore_ascii_case("telephone-event")
    }

    /// True if `other` is the same format: same encoding name (ignoring ASCII case), clock
    /// rate and channels.
    #[must_use]
    pub fn same_format(&self, other: &Self) -> bool {
        self.encoding_name
            .eq_ignore_ascii_case(&other.encoding_name)
            && self.clock_rate == other.clock_rate
            && self.channels == other.channels
    }

    /// The RFC 3551 static payload type of this format, if it has one.
    #[must_use]
    pub fn static_payload_type(&self) -> Option<u8> {
        STATIC_PAYLOAD_TYPES
            .iter()
            .find(|(_, name, rate, channels)| {
                name.eq_ignore_ascii_case(&self.encoding_name)
                    && *rate == self.clock_rate
                    && *channels == self.channels
            })
            .map(|(pt, ..)| *pt)
    }

    /// The codec of a static payload type (RFC 3551 §6, tables 4 and 5).
    #[must_use]
    pub fn from_static_payload_type(payload_type: u8) -> Option<Self> {
        STATIC_PAYLOAD_TYPES
            .iter()
            .find(|(pt, ..)| *pt == payload_type)
            .map(|&(_, name, rate, channels)| Self::new(name, rate).with_channels(channels))
    }

    /// The codec a media description gives for `payload_type`: its `a=rtpmap`, else the
    /// static assignment; with its `a=fmtp` parameters. `None` for a dynamic number without
    /// `a=rtpmap` or with a non-numeric channel count.
    #[must_use]
    pub fn from_media(media: &MediaDescription, payload_type: u8) -> Option<Self> {
        let mut codec = match media.rtpmap(payload_type) {
            Some(rtpmap) => Self::new(rtpmap.encoding_name.clone(), rtpmap.clock_rate)
                .with_channels(rtpmap.channels()?),
            None => Self::from_static_payload_type(payload_type)?,
        };
        codec.payload_type = Some(payload_type);
        codec.fmtp = media
            .fmtp(&payload_type.to_string())
            .map(|f| f.params.clone());
        Some(codec)
    }

    /// The `a=rtpmap` of this codec under `payload_type`.
    #[must_use]
    pub fn rtpmap(&self, payload_type: u8) -> Rtpmap {
        let rtpmap = Rtpmap::new(payload_type, self.encoding_name.clone(), self.clock_rate);
        if self.channels == 1 {
            rtpmap
        } else {
            rtpmap.with_channels(self.channels)
        }
    }
}

/// RFC 3551 §6 static payload types: number, encoding name, clock rate, channels.
const STATIC_PAYLOAD_TYPES: [(u8, &str, u32, u32); 24] = [
    (0, "PCMU", 8000, 1),
    (3, "GSM", 8000, 1),
    (4, "G723", 8000, 1),
    (5, "DVI4", 8000, 1),
    (6, "DVI4", 16000, 1),
    (7, "LPC", 8000, 1),
    (8, "PCMA", 8000, 1),
    (9, "G722", 8000, 1),
    (10, "L16", 44100, 2),
    (11, "L16", 44100, 1),
    (12, "QCELP", 8000, 1),
    (13, "CN", 8000, 1),
    (14, "MPA", 90000, 1),
    (15, "G728", 8000, 1),
    (16, "DVI4", 11025, 1),
    (17, "DVI4", 22050, 1),
    (18, "G729", 8000, 1),
    (25, "CelB", 90000, 1),
    (26, "JPEG", 90000, 1),
    (28, "nv", 90000, 1),
    (31, "H261", 90000, 1),
    (32, "MPV", 90000, 1),
    (33, "MP2T", 90000, 1),
    (34, "H263", 90000, 1),
];

/// True if an MSRP media type of one side's `a=accept-types` matches one of the other's:
/// equal ignoring ASCII case, `*` on either side, or a `type/*` range (RFC 4975 §8.6).
pub(super) fn media_types_match(a: &str, b: &str) -> bool {
    fn covers(range: &str, other: &str) -> bool {
        range == "*"
            || range.eq_ignore_ascii_case(other)
            || range.strip_suffix("/*").is_some_and(|top| {
                other
                    .split_once('/')
                    .is_some_and(|(t, _)| t.eq_ignore_ascii_case(top))
            })
    }
    covers(a, b) || covers(b, a)
}
