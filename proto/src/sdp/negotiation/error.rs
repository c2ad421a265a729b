//! Why an offer could not be answered, an answer is refused, or a re-offer could not be built.

use crate::sdp::{Direction, MediaType, TransportProtocol};

/// Why offer/answer failed.
///
/// From [`answer`](super::answer): [`NoAcceptableStream`](Self::NoAcceptableStream) and
/// [`MissingConnection`](Self::MissingConnection) — the caller answers the offer with
/// `488 Not Acceptable Here`. From [`process_answer`](super::process_answer): every variant that
/// names an answer fault — the answer breaks RFC 3264 §6 and the session should be ended or the
/// offer withdrawn. From [`build_offer`](super::build_offer) and [`Reoffer`](super::Reoffer):
/// the caller's own mistakes ([`NoFormats`](Self::NoFormats),
/// [`PayloadTypesExhausted`](Self::PayloadTypesExhausted), [`NoSuchStream`](Self::NoSuchStream),
/// [`StateMismatch`](Self::StateMismatch)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The offer holds streams but none of them can be accepted (no common media type,
    /// protocol or format).
    #[error("no offered stream can be accepted")]
    NoAcceptableStream,
    /// An active stream has no `c=` line, neither its own nor at session level.
    #[error("m-line {index}: no connection data")]
    MissingConnection {
        /// The `m=` line.
        index: usize,
    },
    /// The answer does not have one `m=` line per offered one (RFC 3264 §6).
    #[error("the answer has {answered} m-lines for {offered} offered")]
    MediaCountMismatch {
        /// `m=` lines in the offer.
        offered: usize,
        /// `m=` lines in the answer.
        answered: usize,
    },
    /// An answered `m=` line is of another media type than the offered one.
    #[error("m-line {index}: answered {answered} for offered {offered}")]
    MediaTypeMismatch {
        /// The `m=` line.
        index: usize,
        /// The offered media type.
        offered: MediaType,
        /// The answered media type.
        answered: MediaType,
    },
    /// An accepted `m=` line uses another transport protocol than the offered one.
    #[error("m-line {index}: answered protocol {answered} for offered {offered}")]
    ProtocolMismatch {
        /// The `m=` line.
        index: usize,
        /// The offered protocol.
        offered: TransportProtocol,
        /// The answered protocol.
        answered: TransportProtocol,
    },
    /// The answer gives a port to a stream the offer disabled with port 0 (RFC 3264 §6).
    #[error("m-line {index}: the answer accepts a stream offered with port 0")]
    AcceptedDisabledStream {
        /// The `m=` line.
        index: usize,
    },
    /// An accepted stream lists a format the offer did not (RFC 3264 §6.1).
    #[error("m-line {index}: format {format} was not offered")]
    UnofferedFormat {
        /// The `m=` line.
        index: usize,
        /// The format.
        format: String,
    },
    /// An accepted stream maps an offered payload type to another codec than the offer did
    /// (RFC 3264 §6.1: the answer uses the offerer's numbers).
    #[error("m-line {index}: payload type {payload_type} mapped to another codec")]
    FormatMismatch {
        /// The `m=` line.
        index: usize,
        /// The payload type.
        payload_type: u8,
    },
    /// An accepted stream lists no format (or, as a local stream, has no codec or format to
    /// offer).
    #[error("m-line {index}: no format")]
    NoFormats {
        /// The `m=` line.
        index: usize,
    },
    /// The answered direction is not allowed for the offered one (RFC 3264 §6.1: a
    /// `sendonly` offer is answered `recvonly` or `inactive`, …).
    #[error("m-line {index}: {answered} does not answer {offered}")]
    DirectionMismatch {
        /// The `m=` line.
        index: usize,
        /// The offered direction.
        offered: Direction,
        /// The answered direction.
        answered: Direction,
    },
    /// A local RTP stream has more codecs without a static payload type than the dynamic
    /// range 96–127 holds, or two codecs ask for the same payload type.
    #[error("m-line {index}: no free payload type")]
    PayloadTypesExhausted {
        /// The `m=` line.
        index: usize,
    },
    /// A re-offer names an `m=` line that does not exist.
    #[error("no m-line {index}")]
    NoSuchStream {
        /// The `m=` line.
        index: usize,
    },
    /// The negotiated state given to a re-offer does not describe the previous description:
    /// their `m=` line counts differ.
    #[error("the negotiated state has {state} m-lines, the previous description {previous}")]
    StateMismatch {
        /// `m=` lines in the previous local description.
        previous: usize,
        /// Streams in the negotiated state.
        state: usize,
    },
}
