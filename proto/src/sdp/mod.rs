//! SDP: the Session Description Protocol (RFC 4566), with the RFC 3264 offer/answer basics.
//!
//! # Model
//!
//! A [`Session`] is an owned tree of the description: the session-level lines ([`Origin`],
//! name, [`ConnectionData`], [`Bandwidth`], [`Timing`] with its [`Repeat`]s, time zones,
//! [`EncryptionKey`], [`Attributes`]) and a list of [`MediaDescription`]s, each an `m=` line
//! with its own `i=`, `c=`, `b=`, `k=` and `a=` lines. Every `a=` line is an [`Attribute`]:
//! typed when this module knows it (`rtpmap`, `fmtp`, `rtcp`, `rtcp-mux`, `ptime`, `maxptime`,
//! the directions, `crypto`, the ICE attributes, `setup`, `connection`, the MSRP and file
//! transfer attributes, `rfbsetup`), [`Attribute::Other`] when it does not, and
//! [`Attribute::Malformed`] when the name is known but the value does not parse.
//!
//! SDP is not on the hot path, so the model owns its text (`String`s and `Vec`s) rather than
//! borrowing from the input.
//!
//! # Parsing
//!
//! [`Session::parse`] takes the body bytes and never panics. It accepts CRLF and bare LF line
//! ends (RFC 4566 §5), a last line without line end, and blank lines (empty or only spaces and
//! tabs, skipped). It is strict
//! where ambiguity would follow and lenient where deployed stacks are sloppy:
//!
//! - `v=0`, `o=`, `s=` must open the description in that order ([`ParseError::MissingLine`],
//!   [`ParseError::Unexpected`]); the session name may be empty.
//! - The other session-level lines may come in any order before the first `m=`; `r=` belongs
//!   to the latest `t=`. `u=`, `e=`, `p=`, `t=`, `r=`, `z=` after an `m=` are refused
//!   ([`ParseError::LineOrder`]). A missing `t=` is tolerated. Lines that may appear once per
//!   level are refused when repeated ([`ParseError::DuplicateLine`]).
//! - An unknown type letter rejects the description, as RFC 4566 §5 prescribes
//!   ([`ParseError::UnknownLineType`]). Bytes that are not UTF-8, NUL and stray CR are refused.
//! - A standard line whose fields do not parse is refused ([`ParseError::BadLine`]); numbers
//!   are plain digits (no sign) and must fit their type (`u64` session id and version, `u16`
//!   ports, `u8` TTL…).
//! - An attribute never fails the description (except one with an empty name): a known
//!   attribute whose value does not parse is kept as [`Attribute::Malformed`] with the reason,
//!   serialized back unchanged, listed by [`Attributes::malformed`], and ignored by the typed
//!   look-ups. A hostile peer's bad `a=crypto` thus leaves the rest of the offer usable.
//! - Input is bounded by [`Limits`]: body size (counted with CRLF line ends), number of media
//!   descriptions and of attributes.
//!
//! Offer/answer (RFC 3264: answering, checking answers, re-offers) lives in [`negotiation`].
//!
//! Connection-data presence (a `c=` at session level or in every media description) is not
//! enforced; [`MediaDescription::effective_connection`] resolves it.
//!
//! # Serializing
//!
//! [`Session::to_bytes`] and `Display` write the lines in the RFC 4566 §5 order with CRLF.
//! Typed values are written in canonical form (single spaces, numbers without leading zeros,
//! ABNF literals in their usual case); text fields, unknown and malformed attributes, `fmtp`
//! parameters and `file-selector` values are written exactly as read. A description that used
//! CRLF, RFC order and canonical spacing is reproduced byte for byte. For every input that
//! parses, serializing and parsing again gives an equal [`Session`].
//!
//! # Example
//!
//! ```
//! use sipsimple_proto::sdp::{
//!     Attribute, Direction, MediaDescription, MediaType, Origin, Rtpmap, Session,
//!     TransportProtocol,
//! };
//!
//! let offer = b"v=0\r\n\
//! o=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\n\
//! s=-\r\n\
//! c=IN IP4 198.51.100.1\r\n\
//! t=0 0\r\n\
//! m=audio 49170 RTP/AVP 0 101\r\n\
//! a=rtpmap:101 telephone-event/8000\r\n\
//! a=fmtp:101 0-15\r\n\
//! a=sendonly\r\n";
//! let session = Session::parse(offer)?;
//! let audio = &session.media()[0];
//! assert_eq!(audio.port(), 49170);
//! assert_eq!(audio.rtpmap(101).map(|r| r.clock_rate), Some(8000));
//! assert_eq!(audio.effective_direction(&session), Direction::SendOnly);
//! // RFC 3264 §6.1: a sendonly stream is answered recvonly.
//! assert_eq!(Direction::answer(Direction::SendOnly, Direction::SendRecv), Direction::RecvOnly);
//! assert_eq!(session.to_bytes(), offer);
//!
//! // Building an answer.
//! let origin = Origin::new("bob", 1, 1, "203.0.113.9".parse().unwrap());
//! let media = MediaDescription::new(MediaType::Audio, 3456, TransportProtocol::RtpAvp, ["0"])
//!     .with_attribute(Attribute::Rtpmap(Rtpmap::new(0, "PCMU", 8000)))
//!     .with_attribute(Attribute::Direction(Direction::RecvOnly));
//! let answer = Session::new(origin, "-").with_media(media);
//! assert!(answer.to_string().ends_with("a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"));
//! # Ok::<(), sipsimple_proto::sdp::ParseError>(())
//! ```

mod attribute;
mod bandwidth;
mod connection;
mod error;
mod media;
pub mod negotiation;
mod origin;
mod parse;
mod session;
mod text;
mod time;

pub use self::attribute::{
    Attribute, Attributes, Candidate, CandidateType, Crypto, CryptoSuite, Direction, FecOrder,
    FileDate, FileDateKind, FileHash, FileRange, FileSelector, Fmtp, InlineKey, KeyParam, Lifetime,
    MalformedAttribute, Mki, RawAttribute, Rtcp, Rtpmap, SessionParam, Setup, TcpConnection,
};
pub use self::bandwidth::{Bandwidth, BandwidthType, EncryptionKey};
pub use self::connection::ConnectionData;
pub use self::error::{Fault, ParseError};
pub use self::media::{MediaDescription, MediaType, TransportProtocol};
pub use self::origin::{AddressType, NetType, Origin};
pub use self::session::Session;
pub use self::time::{Repeat, TimeUnit, TimeZoneAdjustment, Timing, TypedTime};

/// Bounds on what [`Session::parse_with`] accepts, against hostile or broken peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest body in bytes, counted with CRLF line ends and without blank lines.
    pub max_size: usize,
    /// Most `m=` sections.
    pub max_media: usize,
    /// Most `a=` lines, all levels together.
    pub max_attributes: usize,
}

impl Limits {
    /// The limits of [`Session::parse`]: 64 KiB, 1024 media descriptions, 4096 attributes.
    pub const DEFAULT: Self = Self {
        max_size: 64 * 1024,
        max_media: 1024,
        max_attributes: 4096,
    };

    /// These limits with another body size limit.
    #[must_use]
    pub const fn with_max_size(self, max_size: usize) -> Self {
        Self { max_size, ..self }
    }

    /// These limits with another limit on `m=` sections.
    #[must_use]
    pub const fn with_max_media(self, max_media: usize) -> Self {
        Self { max_media, ..self }
    }

    /// These limits with another limit on `a=` lines.
    #[must_use]
    pub const fn with_max_attributes(self, max_attributes: usize) -> Self {
        Self {
            max_attributes,
            ..self
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests;
