//! The outcome of an offer/answer exchange, per `m=` line.

use std::net::{IpAddr, SocketAddr};

use crate::sdp::{Attributes, ConnectionData, Direction, MediaType, TransportProtocol};

/// What an offer/answer exchange settled, one entry per `m=` line in order (the index is the
/// RFC 3264 stream index), seen from the local side, together with the remote side's
/// session-level attributes (ICE credentials may be there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedStreams {
    pub(super) streams: Vec<NegotiatedStream>,
    pub(super) remote_session_attributes: Attributes,
}

impl NegotiatedStreams {
    /// The streams, in `m=` line order.
    #[must_use]
    pub fn streams(&self) -> &[NegotiatedStream] {
        &self.streams
    }

    /// The stream of `m=` line `index`.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&NegotiatedStream> {
        self.streams.get(index)
    }

    /// The accepted stream of `m=` line `index`, `None` if rejected or absent.
    #[must_use]
    pub fn accepted(&self, index: usize) -> Option<&AcceptedStream> {
        self.streams
            .get(index)
            .and_then(NegotiatedStream::as_accepted)
    }

    /// The number of `m=` lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// True when there are no `m=` lines.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// The accepted streams with their indexes.
    pub fn iter_accepted(&self) -> impl Iterator<Item = (usize, &AcceptedStream)> {
        self.streams
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_accepted().map(|a| (i, a)))
    }

    /// The remote description's session-level attributes (`a=ice-ufrag`, `a=ice-lite`…).
    #[must_use]
    pub fn remote_session_attributes(&self) -> &Attributes {
        &self.remote_session_attributes
    }
}

/// One `m=` line of a completed exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiatedStream {
    /// Both sides use the stream.
    Accepted(Box<AcceptedStream>),
    /// The stream has port 0 on one side: rejected by the answerer or disabled by the
    /// offerer (RFC 3264 §6, §8.2). The `m=` line stays and its index may be reused.
    Rejected(RejectedStream),
}

impl NegotiatedStream {
    /// The accepted stream, if it is one.
    #[must_use]
    pub fn as_accepted(&self) -> Option<&AcceptedStream> {
        match self {
            Self::Accepted(s) => Some(s),
            Self::Rejected(_) => None,
        }
    }

    /// True if the stream was accepted.
    #[must_use]
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }

    /// The media type of the `m=` line.
    #[must_use]
    pub fn media_type(&self) -> &MediaType {
        match self {
            Self::Accepted(s) => &s.media_type,
            Self::Rejected(s) => &s.media_type,
        }
    }
}

/// An `m=` line both sides use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptedStream {
    /// The media type.
    pub media_type: MediaType,
    /// The transport protocol.
    pub protocol: TransportProtocol,
    /// The local port, as the local description gives it.
    pub local_port: u16,
    /// Where the remote side receives: its effective `c=` line.
    pub remote_connection: ConnectionData,
    /// The remote port.
    pub remote_port: u16,
    /// The RTP codecs both sides use, in the answer's order (the first is the one to send),
    /// without `telephone-event`; empty for non-RTP streams.
    pub codecs: Vec<NegotiatedCodec>,
    /// The RFC 4733 `telephone-event` both sides use, if any.
    pub dtmf: Option<NegotiatedCodec>,
    /// The formats of the answer's `m=` line (`*` for MSRP).
    pub formats: Vec<String>,
    /// The local direction, as the local description states it.
    pub local_direction: Direction,
    /// The remote direction, as the remote description states it (with the RFC 2543 hold
    /// address `0.0.0.0` read as "does not receive", RFC 3264 §8.4).
    pub remote_direction: Direction,
    /// The remote media-level attributes: `a=crypto`, ICE candidates and credentials, MSRP
    /// `a=path` and `a=accept-types`, `a=rtcp`, `a=setup`…
    pub remote_attributes: Attributes,
}

impl AcceptedStream {
    /// The remote transport address, when the `c=` address is an IP literal.
    #[must_use]
    pub fn remote_socket_addr(&self) -> Option<SocketAddr> {
        self.remote_connection
            .ip()
            .map(|ip: IpAddr| SocketAddr::new(ip, self.remote_port))
    }

    /// The RFC 4733 `telephone-event` payload type, if DTMF was negotiated.
    #[must_use]
    pub fn dtmf_payload_type(&self) -> Option<u8> {
        self.dtmf.as_ref().map(|c| c.payload_type)
    }

    /// True if the local side may send media: both directions allow it.
    #[must_use]
    pub fn local_sends(&self) -> bool {
        self.local_direction.sends() && self.remote_direction.receives()
    }

    /// True if the local side receives media: both directions allow it.
    #[must_use]
    pub fn local_receives(&self) -> bool {
        self.local_direction.receives() && self.remote_direction.sends()
    }
}

/// An RTP format both sides use, under the payload type of the offer (used both ways).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NegotiatedCodec {
    /// The payload type, the offerer's number.
    pub payload_type: u8,
    /// The encoding name, as the offer writes it.
    pub encoding_name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The number of channels.
    pub channels: u32,
    /// The remote side's `a=fmtp` parameters for this payload type: what the local sender
    /// must respect.
    pub remote_fmtp: Option<String>,
}

/// An `m=` line with port 0.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedStream {
    /// The media type.
    pub media_type: MediaType,
    /// The transport protocol.
    pub protocol: TransportProtocol,
}
