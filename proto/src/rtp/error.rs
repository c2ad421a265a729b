//! Errors of the RTP, RTCP and telephone-event parsers, builders and machines.
//!
//! Parsers answer a peer's malformed bytes with [`RtpError`] or [`RtcpError`]; builders answer
//! a caller's impossible request (a buffer too small, a field out of range) with
//! [`BuildError`]; the telephone-event machines refuse caller misuse with [`DtmfError`].

/// Why [`RtpPacket::parse`](super::RtpPacket::parse) refused a datagram, or why an RTP header
/// extension element could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header (RFC 3550 §5.1).
    #[error("RTP packet of {len} bytes is shorter than the 12-byte fixed header")]
    TooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The version field is not 2.
    #[error("RTP version {version}, expected 2")]
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// The CSRC count promises more identifiers than the datagram holds.
    #[error("{count} CSRCs need {needed} header bytes, the packet has {len}")]
    TruncatedCsrcs {
        /// The CC field.
        count: u8,
        /// Bytes the fixed header and the CSRC list need.
        needed: usize,
        /// Length of the datagram.
        len: usize,
    },
    /// The X bit is set but the extension header or its announced length does not fit.
    #[error("header extension needs {needed} bytes, the packet has {len}")]
    TruncatedExtension {
        /// Bytes the header up to the end of the extension needs.
        needed: usize,
        /// Length of the datagram.
        len: usize,
    },
    /// The P bit is set and the last byte (the padding count) is zero or larger than what
    /// follows the header (RFC 3550 §5.1).
    #[error("padding count {count} with only {available} bytes after the header")]
    BadPadding {
        /// The padding count (last byte).
        count: u8,
        /// Bytes after the header, payload and padding together.
        available: usize,
    },
    /// An RFC 8285 extension element announces more data than the extension block holds.
    #[error("extension element {id} at offset {offset} overruns the extension block")]
    ElementOverrun {
        /// The element's local identifier.
        id: u8,
        /// Offset of the element inside the extension data.
        offset: usize,
    },
}

/// Why [`Compound::parse`](super::Compound::parse) refused an RTCP datagram (RFC 3550 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// The datagram is empty or a packet is shorter than the 4-byte common header.
    #[error("RTCP packet at offset {offset} is shorter than its 4-byte header")]
    TooShort {
        /// Offset of the packet inside the compound.
        offset: usize,
    },
    /// A packet's version field is not 2.
    #[error("RTCP packet at offset {offset} has version {version}, expected 2")]
    BadVersion {
        /// Offset of the packet inside the compound.
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// A packet's length field reaches past the end of the datagram.
    #[error("RTCP packet at offset {offset} announces {announced} bytes, {available} remain")]
    BadLength {
        /// Offset of the packet inside the compound.
        offset: usize,
        /// Bytes the length field announces, header included.
        announced: usize,
        /// Bytes left in the datagram from that offset.
        available: usize,
    },
    /// The P bit is set and the padding count is zero or larger than the packet body.
    #[error("RTCP packet at offset {offset} has a bad padding count {count}")]
    BadPadding {
        /// Offset of the packet inside the compound.
        offset: usize,
        /// The padding count (last byte of the packet).
        count: u8,
    },
    /// The body of a known packet type is too short for what its count field announces, or
    /// its structure (SDES items, BYE reason) overruns the packet.
    #[error("RTCP packet type {packet_type} at offset {offset} is malformed: {reason}")]
    Malformed {
        /// Offset of the packet inside the compound.
        offset: usize,
        /// The packet type (200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP).
        packet_type: u8,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why a builder could not write a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The output buffer is too small.
    #[error("packet needs {needed} bytes, the buffer has {available}")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The payload type does not fit its 7 bits.
    #[error("payload type {0} is larger than 127")]
    PayloadType(u8),
    /// More than 15 CSRCs (RTP) or more than 31 report blocks, SDES chunks or BYE sources
    /// (RTCP): the count field cannot hold them.
    #[error("{count} items exceed the count field's maximum of {max}")]
    TooMany {
        /// Items asked for.
        count: usize,
        /// What the count field holds.
        max: usize,
    },
    /// A header extension or RTCP packet would exceed the 16-bit length field, or raw
    /// extension data is not a multiple of 4 bytes.
    #[error("length {0} does not fit the length field")]
    Length(usize),
    /// An RFC 8285 element whose identifier or length the chosen form cannot encode: one-byte
    /// elements take identifiers 1–14 and 1–16 bytes, two-byte elements identifiers 1–255
    /// and 0–255 bytes.
    #[error("extension element {id} of {len} bytes does not fit its form")]
    Element {
        /// The element's identifier.
        id: u8,
        /// Its data length.
        len: usize,
    },
    /// An SDES item or BYE reason longer than 255 bytes.
    #[error("text of {0} bytes exceeds 255")]
    TextTooLong(usize),
    /// The APP subtype does not fit its 5 bits.
    #[error("APP subtype {0} is larger than 31")]
    Subtype(u8),
    /// RTCP packets were written out of the order RFC 3550 §6.1 requires: a compound starts
    /// with SR or RR (unless it is reduced-size, RFC 5506) and nothing follows a BYE.
    #[error("RTCP packet out of order: {0}")]
    Order(&'static str),
}

/// Why a telephone-event call was refused (RFC 4733).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtmfError {
    /// The telephone-event payload is shorter than 4 bytes.
    #[error("telephone-event payload of {0} bytes is shorter than 4")]
    TooShort(usize),
    /// The character is not a DTMF digit (0-9, *, #, A-D).
    #[error("{0:?} is not a DTMF digit")]
    NotADigit(char),
    /// A duration of zero, or one longer than the 16-bit duration field holds at the clock
    /// rate; this sender refuses rather than segmenting (RFC 4733 §2.5.1.3).
    #[error("duration of {units} timestamp units is not within 1..=65535")]
    Duration {
        /// The duration in timestamp units.
        units: u64,
    },
    /// The event is not in the set the peer accepts (its `fmtp`).
    #[error("event {0} is not allowed by the negotiated events")]
    NotAllowed(u8),
    /// The queue of digits waiting to be played is full.
    #[error("the digit queue is full ({0} digits)")]
    QueueFull(usize),
    /// The `telephone-event` fmtp value does not parse.
    #[error("bad telephone-event fmtp {0:?}")]
    BadFmtp(String),
    /// A configuration value is unusable (zero clock rate or interval).
    #[error("bad configuration: {0}")]
    Config(&'static str),
}
