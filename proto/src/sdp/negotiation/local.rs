//! What the local side can do for one stream.

use std::net::IpAddr;

use super::codec::Codec;
use crate::sdp::{Attribute, ConnectionData, Direction, MediaType, TransportProtocol};

/// One stream the local side offers, or is ready to accept when answering: the `m=` line it
/// stands for, where it receives, which formats it takes, which way media may flow, and the
/// attributes the stream layer adds (SDES `a=crypto`, ICE, MSRP `a=path` and
/// `a=accept-types`…).
///
/// For RTP profiles the formats are [`codecs`](Self::codecs), in preference order; for other
/// protocols (MSRP, T.38…) they are the plain [`formats`](Self::formats), `*` for MSRP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalStream {
    /// The media type of the `m=` line.
    pub media_type: MediaType,
    /// The transport protocol. When answering, an offered stream is matched only by a local
    /// stream of the same media type and protocol.
    pub protocol: TransportProtocol,
    /// The local port media is received on.
    pub port: u16,
    /// The connection data (`c=`) media is received at.
    pub connection: ConnectionData,
    /// The RTP codecs, in preference order (RTP profiles only).
    pub codecs: Vec<Codec>,
    /// The formats of a non-RTP stream; `*` when answering accepts any offered format.
    pub formats: Vec<String>,
    /// What the local side is willing to do; the answer narrows it per RFC 3264 §6.1.
    pub direction: Direction,
    /// Attributes written under the `m=` line after `a=rtpmap` and `a=fmtp`.
    pub attributes: Vec<Attribute>,
}

impl LocalStream {
    /// An RTP stream (`audio`, `video`…) with the given codecs, `sendrecv`.
    #[must_use]
    pub fn rtp(
        media_type: MediaType,
        protocol: TransportProtocol,
        address: IpAddr,
        port: u16,
        codecs: impl IntoIterator<Item = Codec>,
    ) -> Self {
        Self {
            media_type,
            protocol,
            port,
            connection: ConnectionData::new(address),
            codecs: codecs.into_iter().collect(),
            formats: Vec::new(),
            direction: Direction::SendRecv,
            attributes: Vec::new(),
        }
    }

    /// An `audio` stream over `RTP/AVP` with the given codecs, `sendrecv`.
    #[must_use]
    pub fn audio(address: IpAddr, port: u16, codecs: impl IntoIterator<Item = Codec>) -> Self {
        Self::rtp(
            MediaType::Audio,
            TransportProtocol::RtpAvp,
            address,
            port,
            codecs,
        )
    }

    /// A `message` stream over MSRP (RFC 4975 §8.1): format `*`, `a=path` and
    /// `a=accept-types`, `sendrecv`. `protocol` is `TCP/MSRP` or `TCP/TLS/MSRP`.
    #[must_use]
    pub fn msrp(
        protocol: TransportProtocol,
        address: IpAddr,
        port: u16,
        path: impl IntoIterator<Item = String>,
        accept_types: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            media_type: MediaType::Message,
            protocol,
            port,
            connection: ConnectionData::new(address),
            codecs: Vec::new(),
            formats: vec!["*".to_owned()],
            direction: Direction::SendRecv,
            attributes: vec![
                Attribute::AcceptTypes(accept_types.into_iter().collect()),
                Attribute::Path(path.into_iter().collect()),
            ],
        }
    }

    /// This stream with another direction.
    #[must_use]
    pub fn with_direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// This stream with another connection (a host name, say).
    #[must_use]
    pub fn with_connection(mut self, connection: ConnectionData) -> Self {
        self.connection = connection;
        self
    }

    /// This stream with one more attribute.
    #[must_use]
    pub fn with_attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// True if the formats are RTP payload types.
    #[must_use]
    pub fn is_rtp(&self) -> bool {
        self.protocol.is_rtp()
    }

    /// The `a=accept-types` of the stream's attributes, if any.
    pub(super) fn accept_types(&self) -> Option<&[String]> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::AcceptTypes(types) => Some(types.as_slice()),
            _ => None,
        })
    }
}
