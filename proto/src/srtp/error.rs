//! Errors of SRTP and SRTCP processing and of SDES keying.

/// Why a packet was not protected or unprotected, or why keying material was refused.
///
/// The packet errors are also counted in [`Stats`](super::Stats), so a driver that only drops
/// failed packets still has the numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The authentication tag (HMAC-SHA1 or the GCM tag) does not match: the packet was
    /// altered, or was protected with another key.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The packet's index was already received (RFC 3711 §3.3.2).
    #[error("replayed packet: index {index} was already received")]
    Duplicate {
        /// The SRTP packet index (ROC ‖ SEQ) or the SRTCP index.
        index: u64,
    },
    /// The packet's index lies behind the replay window (RFC 3711 §3.3.2).
    #[error("packet too old: index {index}, newest received {newest}")]
    TooOld {
        /// The SRTP packet index (ROC ‖ SEQ) or the SRTCP index.
        index: u64,
        /// The newest index received on this stream.
        newest: u64,
    },
    /// The packet is shorter than its headers, or than its headers and trailer.
    #[error("truncated packet: {len} bytes, at least {needed} needed")]
    Truncated {
        /// The packet's length.
        len: usize,
        /// The least length its fixed parts need.
        needed: usize,
    },
    /// The RTP or RTCP version field is not 2.
    #[error("unsupported RTP version {0}")]
    BadVersion(u8),
    /// The master key has protected or received as many packets as its lifetime allows
    /// (RFC 3711 §9.2, RFC 4568 §6.1); new keys must be negotiated.
    #[error("master key expired after {lifetime} packets")]
    KeyExpired {
        /// The lifetime that was reached, in packets.
        lifetime: u64,
    },
    /// The packet's MKI names none of the context's master keys.
    #[error("no master key has this MKI")]
    UnknownMki,
    /// A packet of a new SSRC came while the context already keeps its maximum number of
    /// streams.
    #[error("stream limit of {limit} SSRCs reached")]
    StreamLimit {
        /// The context's limit.
        limit: usize,
    },
    /// Keying material that does not fit the profile or the context: a key or salt of the
    /// wrong length, an MKI of the wrong length, no key at all.
    #[error("invalid keying material: {0}")]
    InvalidKey(&'static str),
    /// The crypto suite is not one this module implements.
    #[error("unsupported crypto suite {0}")]
    UnsupportedSuite(String),
    /// An `a=crypto` session parameter this module does not implement (such as `KDR` other
    /// than 0, or `UNENCRYPTED_SRTP`).
    #[error("unsupported SDES session parameter {0}")]
    UnsupportedParameter(String),
}
