//! Media descriptions: an `m=` line and the `i=`, `c=`, `b=`, `k=`, `a=` lines under it
//! (RFC 4566 §5.14).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::attribute::{Attribute, Attributes, Candidate, Crypto, Direction, Fmtp, Rtpmap};
use super::bandwidth::{Bandwidth, EncryptionKey};
use super::connection::ConnectionData;
use super::error::Fault;
use super::session::Session;
use super::text::{self, string_enum};

string_enum! {
    /// The media type of an `m=` line (RFC 4566 §5.14, §8.2.1).
    pub enum MediaType {
        /// `audio`.
        Audio => "audio",
        /// `video`.
        Video => "video",
        /// `text`.
        Text => "text",
        /// `application`.
        Application => "application",
        /// `message`: MSRP sessions (RFC 4975 §8.1).
        Message => "message",
        /// `image`: T.38 fax.
        Image => "image",
    }
}

string_enum! {
    /// The transport protocol of an `m=` line (RFC 4566 §5.14 and the registries that extend
    /// it). Matched case-sensitively, as registered.
    pub enum TransportProtocol {
        /// `RTP/AVP`: RTP with the audio/video profile (RFC 3551).
        RtpAvp => "RTP/AVP",
        /// `RTP/AVPF`: with RTCP feedback (RFC 4585).
        RtpAvpf => "RTP/AVPF",
        /// `RTP/SAVP`: SRTP (RFC 3711).
        RtpSavp => "RTP/SAVP",
        /// `RTP/SAVPF`: SRTP with RTCP feedback (RFC 5124).
        RtpSavpf => "RTP/SAVPF",
        /// `UDP/TLS/RTP/SAVP`: DTLS-SRTP (RFC 5764).
        UdpTlsRtpSavp => "UDP/TLS/RTP/SAVP",
        /// `UDP/TLS/RTP/SAVPF`: DTLS-SRTP with RTCP feedback (RFC 5764).
        UdpTlsRtpSavpf => "UDP/TLS/RTP/SAVPF",
        /// `udp`: unspecified protocol over UDP (RFC 4566 §5.14).
        Udp => "udp",
        /// `TCP`: unspecified protocol over TCP (RFC 4145).
        Tcp => "TCP",
        /// `TCP/MSRP`: MSRP over TCP (RFC 4975 §8.1).
        TcpMsrp => "TCP/MSRP",
        /// `TCP/TLS/MSRP`: MSRP over TLS (RFC 4975 §8.1).
        TcpTlsMsrp => "TCP/TLS/MSRP",
    }
}

impl TransportProtocol {
    /// True for the RTP profiles (`…RTP/AVP`, `…RTP/SAVPF`…).
    #[must_use]
    pub fn is_rtp(&self) -> bool {
        self.as_str().contains("RTP/")
    }

    /// True for the SRTP profiles (`SAVP`, `SAVPF`, with or without DTLS).
    #[must_use]
    pub fn is_srtp(&self) -> bool {
        self.as_str().contains("RTP/SAVP")
    }

    /// True for MSRP, over TCP or TLS.
    #[must_use]
    pub fn is_msrp(&self) -> bool {
        self.as_str().ends_with("/MSRP")
    }
}

/// One media description: the `m=` line (media type, port, transport protocol, formats) and
/// the lines that follow it up to the next `m=` (RFC 4566 §5.14).
///
/// Build one with [`new`](Self::new) and the `set_*`, `push_*` and `with_*` methods; read the
/// attributes through [`attributes`](Self::attributes) or the shortcuts for the common ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaDescription {
    pub(crate) media_type: MediaType,
    pub(crate) port: u16,
    pub(crate) port_count: Option<u16>,
    pub(crate) protocol: TransportProtocol,
    pub(crate) formats: Vec<String>,
    pub(crate) information: Option<String>,
    pub(crate) connections: Vec<ConnectionData>,
    pub(crate) bandwidths: Vec<Bandwidth>,
    pub(crate) key: Option<EncryptionKey>,
    pub(crate) attributes: Attributes,
}

impl MediaDescription {
    /// A media description with the given `m=` line and nothing under it. Formats are RTP
    /// payload type numbers for RTP profiles and `*` for MSRP; each must be one token.
    #[must_use]
    pub fn new<F>(
        media_type: MediaType,
        port: u16,
        protocol: TransportProtocol,
        formats: impl IntoIterator<Item = F>,
    ) -> Self
    where
        F: Into<String>,
    {
        Self {
            media_type,
            port,
            port_count: None,
            protocol,
            formats: formats.into_iter().map(Into::into).collect(),
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Attributes::new(),
        }
    }

    /// The media type.
    #[must_use]
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// Sets the media type.
    pub fn set_media_type(&mut self, media_type: MediaType) -> &mut Self {
        self.media_type = media_type;
        self
    }

    /// The transport port; 0 marks a rejected or disabled stream (RFC 3264 §5.1, §6).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sets the transport port.
    pub fn set_port(&mut self, port: u16) -> &mut Self {
        self.port = port;
        self
    }

    /// The number of ports of a `<port>/<number of ports>` form (layered encodings).
    #[must_use]
    pub fn port_count(&self) -> Option<u16> {
        self.port_count
    }

    /// Sets the number of ports.
    pub fn set_port_count(&mut self, count: Option<u16>) -> &mut Self {
        self.port_count = count;
        self
    }

    /// The transport protocol.
    #[must_use]
    pub fn protocol(&self) -> &TransportProtocol {
        &self.protocol
    }

    /// Sets the transport protocol.
    pub fn set_protocol(&mut self, protocol: TransportProtocol) -> &mut Self {
        self.protocol = protocol;
        self
    }

    /// The media formats of the `m=` line, in preference order.
    #[must_use]
    pub fn formats(&self) -> &[String] {
        &self.formats
    }

    /// The media formats, for editing.
    pub fn formats_mut(&mut self) -> &mut Vec<String> {
        &mut self.formats
    }

    /// The formats that are RTP payload type numbers (0–127), in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| text::parse_u8(f, "payload type").ok())
            .filter(|pt| *pt <= 127)
    }

    /// The media title `i=`.
    #[must_use]
    pub fn information(&self) -> Option<&str> {
        self.information.as_deref()
    }

    /// Sets the media title `i=` (text without CR, LF or NUL).
    pub fn set_information(&mut self, information: Option<String>) -> &mut Self {
        self.information = information;
        self
    }

    /// The media-level `c=` lines (several for layered multicast, RFC 4566 §5.7).
    #[must_use]
    pub fn connections(&self) -> &[ConnectionData] {
        &self.connections
    }

    /// The media-level `c=` lines, for editing.
    pub fn connections_mut(&mut self) -> &mut Vec<ConnectionData> {
        &mut self.connections
    }

    /// Sets a single media-level `c=` line.
    #[must_use]
    pub fn with_connection(mut self, connection: ConnectionData) -> Self {
        self.connections = vec![connection];
        self
    }

    /// The media-level `b=` lines.
    #[must_use]
    pub fn bandwidths(&self) -> &[Bandwidth] {
        &self.bandwidths
    }

    /// The media-level `b=` lines, for editing.
    pub fn bandwidths_mut(&mut self) -> &mut Vec<Bandwidth> {
        &mut self.bandwidths
    }

    /// The media-level `k=` line.
    #[must_use]
    pub fn key(&self) -> Option<&EncryptionKey> {
        self.key.as_ref()
    }

    /// Sets the media-level `k=` line.
    pub fn set_key(&mut self, key: Option<EncryptionKey>) -> &mut Self {
        self.key = key;
        self
    }

    /// The media-level attributes, in order.
    #[must_use]
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The media-level attributes, for editing.
    pub fn attributes_mut(&mut self) -> &mut Attributes {
        &mut self.attributes
    }

    /// Appends a media-level attribute.
    pub fn push_attribute(&mut self, attribute: Attribute) -> &mut Self {
        self.attributes.push(attribute);
        self
    }

    /// Appends a media-level attribute, builder style.
    #[must_use]
    pub fn with_attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The first media-level attribute called `name`, typed, unknown or malformed.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.get(name)
    }

    /// The value of the first media-level attribute called `name`.
    #[must_use]
    pub fn attribute_value(&self, name: &str) -> Option<Cow<'_, str>> {
        self.attributes.get(name).and_then(Attribute::value)
    }

    /// True if a media-level attribute called `name` is present.
    #[must_use]
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attributes.has(name)
    }

    /// Every `a=rtpmap`.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &Rtpmap> {
        self.attributes.rtpmaps()
    }

    /// The `a=rtpmap` of a payload type.
    #[must_use]
    pub fn rtpmap(&self, payload_type: u8) -> Option<&Rtpmap> {
        self.attributes.rtpmap(payload_type)
    }

    /// The `a=fmtp` of a format.
    #[must_use]
    pub fn fmtp(&self, format: &str) -> Option<&Fmtp> {
        self.attributes.fmtp(format)
    }

    /// Every well-formed `a=crypto`.
    pub fn crypto(&self) -> impl Iterator<Item = &Crypto> {
        self.attributes.crypto()
    }

    /// Every well-formed `a=candidate`.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.attributes.candidates()
    }

    /// The media-level direction attribute, if any; see
    /// [`effective_direction`](Self::effective_direction) for the inherited one.
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        self.attributes.direction()
    }

    /// Sets the media-level direction attribute, replacing any other.
    pub fn set_direction(&mut self, direction: Direction) -> &mut Self {
        self.attributes.set_direction(direction);
        self
    }

    /// The direction that applies to this stream: its own attribute, else the session-level
    /// one, else `sendrecv` (RFC 4566 §6, RFC 3264 §5.1).
    #[must_use]
    pub fn effective_direction(&self, session: &Session) -> Direction {
        self.direction()
            .or_else(|| session.direction())
            .unwrap_or_default()
    }

    /// The connection data that applies to this stream: its first own `c=`, else the
    /// session-level one (RFC 4566 §5.7).
    #[must_use]
    pub fn effective_connection<'a>(&'a self, session: &'a Session) -> Option<&'a ConnectionData> {
        self.connections.first().or(session.connection())
    }

    /// True if the port is 0: the stream is rejected or disabled (RFC 3264 §6, §8.2).
    #[must_use]
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// Marks the stream rejected by setting its port to 0, keeping the formats as RFC 3264 §6
    /// requires.
    pub fn reject(&mut self) -> &mut Self {
        self.port = 0;
        self.port_count = None;
        self
    }

    /// Writes the `m=` line value and the lines under it, each ending in CRLF.
    pub(crate) fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media_type, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.protocol)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        if let Some(information) = &self.information {
            write!(f, "i={information}\r\n")?;
        }
        for connection in &self.connections {
            write!(f, "c={connection}\r\n")?;
        }
        for bandwidth in &self.bandwidths {
            write!(f, "b={bandwidth}\r\n")?;
        }
        if let Some(key) = &self.key {
            write!(f, "k={key}\r\n")?;
        }
        for attribute in &self.attributes {
            write!(f, "a={attribute}\r\n")?;
        }
        Ok(())
    }
}

/// Parses the value of an `m=` line into a description with nothing under it.
impl FromStr for MediaDescription {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let media_type = MediaType::from_text(it.next().ok_or(Fault::Missing("media"))?);
        let port = it.next().ok_or(Fault::Missing("port"))?;
        let (port, port_count) = match port.split_once('/') {
            Some((port, count)) => (port, Some(text::parse_u16(count, "number of ports")?)),
            None => (port, None),
        };
        let port = text::parse_u16(port, "port")?;
        let protocol = TransportProtocol::from_text(it.next().ok_or(Fault::Missing("proto"))?);
        let mut media = Self::new(media_type, port, protocol, it);
        media.port_count = port_count;
        Ok(media)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_media_lines() {
        let m: MediaDescription = "audio 49170/2 RTP/AVP 0 8 101".parse().unwrap();
        assert_eq!(m.media_type(), &MediaType::Audio);
        assert_eq!((m.port(), m.port_count()), (49170, Some(2)));
        assert_eq!(m.protocol(), &TransportProtocol::RtpAvp);
        assert_eq!(m.payload_types().collect::<Vec<_>>(), [0, 8, 101]);
        let m: MediaDescription = "message 7654 TCP/TLS/MSRP *".parse().unwrap();
        assert!(m.protocol().is_msrp());
        assert_eq!(m.formats(), ["*"]);
        assert_eq!(m.payload_types().count(), 0);
        assert!(TransportProtocol::UdpTlsRtpSavpf.is_srtp());
        assert!(TransportProtocol::RtpAvp.is_rtp() && !TransportProtocol::RtpAvp.is_srtp());
        assert_eq!(
            TransportProtocol::from("RTP/AVP"),
            TransportProtocol::RtpAvp
        );
        assert_eq!(
            TransportProtocol::Other("RTP/AVP".into()),
            TransportProtocol::RtpAvp
        );
    }

    #[test]
    fn rejects_bad_media_lines() {
        assert_eq!(
            "audio".parse::<MediaDescription>(),
            Err(Fault::Missing("port"))
        );
        assert_eq!(
            "audio 1".parse::<MediaDescription>(),
            Err(Fault::Missing("proto"))
        );
        assert_eq!(
            "audio 65536 RTP/AVP 0".parse::<MediaDescription>(),
            Err(Fault::OutOfRange("port"))
        );
        assert_eq!(
            "audio 1/x RTP/AVP 0".parse::<MediaDescription>(),
            Err(Fault::Invalid("number of ports"))
        );
        // No format at all is tolerated (seen on rejected streams).
        assert!("audio 0 RTP/AVP".parse::<MediaDescription>().is_ok());
    }
}
