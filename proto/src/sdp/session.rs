//! The session description: session-level lines and the media descriptions (RFC 4566 §5).

use std::borrow::Cow;
use std::fmt;

use super::attribute::{Attribute, Attributes, Direction};
use super::bandwidth::{Bandwidth, EncryptionKey};
use super::connection::ConnectionData;
use super::error::ParseError;
use super::media::MediaDescription;
use super::origin::Origin;
use super::parse;
use super::time::{self, TimeZoneAdjustment, Timing};
use super::Limits;

/// A session description (RFC 4566 §5): the session-level lines and the media descriptions.
///
/// Parse one with [`parse`](Self::parse); build one with [`new`](Self::new) and the `set_*`,
/// `push_*` and `with_*` methods; serialize with [`to_bytes`](Self::to_bytes) or `Display`,
/// which write the lines in the order RFC 4566 §5 mandates with CRLF line ends:
///
/// ```text
/// v= o= s= i=? u=? e=* p=* c=? b=* (t= r=*)* z=? k=? a=*
/// (m= i=? c=* b=* k=? a=*)*
/// ```
///
/// The `v=` line is always `v=0`, so it is not stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Session {
    pub(crate) origin: Origin,
    pub(crate) name: String,
    pub(crate) information: Option<String>,
    pub(crate) uri: Option<String>,
    pub(crate) emails: Vec<String>,
    pub(crate) phones: Vec<String>,
    pub(crate) connection: Option<ConnectionData>,
    pub(crate) bandwidths: Vec<Bandwidth>,
    pub(crate) timings: Vec<Timing>,
    pub(crate) time_zones: Vec<TimeZoneAdjustment>,
    pub(crate) key: Option<EncryptionKey>,
    pub(crate) attributes: Attributes,
    pub(crate) media: Vec<MediaDescription>,
}

impl Session {
    /// A session description with the given origin and session name and one `t=0 0` line,
    /// as RFC 3264 §5 asks of SIP offers. Use `-` as the name when there is none to give
    /// (RFC 3264 §5).
    #[must_use]
    pub fn new(origin: Origin, name: impl Into<String>) -> Self {
        Self {
            origin,
            name: name.into(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: vec![Timing::permanent()],
            time_zones: Vec::new(),
            key: None,
            attributes: Attributes::new(),
            media: Vec::new(),
        }
    }

    /// Parses a session description with the default [`Limits`].
    ///
    /// See the [module documentation](super) for what is accepted; a known attribute whose
    /// value does not parse is kept as [`Attribute::Malformed`] rather than failing.
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        parse::parse(data, &Limits::DEFAULT)
    }

    /// Parses a session description with the given limits.
    pub fn parse_with(data: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        parse::parse(data, limits)
    }

    /// Serializes the session description, lines ending in CRLF.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// The origin `o=`.
    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The origin `o=`, for editing (for instance to increment the version for a new offer).
    pub fn origin_mut(&mut self) -> &mut Origin {
        &mut self.origin
    }

    /// The session name `s=`, as written (it may be empty or start with a space).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the session name `s=` (text without CR, LF or NUL).
    pub fn set_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.name = name.into();
        self
    }

    /// The session information `i=`.
    #[must_use]
    pub fn information(&self) -> Option<&str> {
        self.information.as_deref()
    }

    /// Sets the session information `i=`.
    pub fn set_information(&mut self, information: Option<String>) -> &mut Self {
        self.information = information;
        self
    }

    /// The URI `u=`.
    #[must_use]
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    /// Sets the URI `u=`.
    pub fn set_uri(&mut self, uri: Option<String>) -> &mut Self {
        self.uri = uri;
        self
    }

    /// The email addresses `e=`, as written.
    #[must_use]
    pub fn emails(&self) -> &[String] {
        &self.emails
    }

    /// The email addresses `e=`, for editing.
    pub fn emails_mut(&mut self) -> &mut Vec<String> {
        &mut self.emails
    }

    /// The phone numbers `p=`, as written.
    #[must_use]
    pub fn phones(&self) -> &[String] {
        &self.phones
    }

    /// The phone numbers `p=`, for editing.
    pub fn phones_mut(&mut self) -> &mut Vec<String> {
        &mut self.phones
    }

    /// The session-level connection data `c=`.
    #[must_use]
    pub fn connection(&self) -> Option<&ConnectionData> {
        self.connection.as_ref()
    }

    /// Sets the session-level connection data `c=`.
    pub fn set_connection(&mut self, connection: Option<ConnectionData>) -> &mut Self {
        self.connection = connection;
        self
    }

    /// Sets the session-level connection data `c=`, builder style.
    #[must_use]
    pub fn with_connection(mut self, connection: ConnectionData) -> Self {
        self.connection = Some(connection);
        self
    }

    /// The session-level bandwidths `b=`.
    #[must_use]
    pub fn bandwidths(&self) -> &[Bandwidth] {
        &self.bandwidths
    }

    /// The session-level bandwidths `b=`, for editing.
    pub fn bandwidths_mut(&mut self) -> &mut Vec<Bandwidth> {
        &mut self.bandwidths
    }

    /// The `t=` lines with their `r=` lines. Empty when the input had none (tolerated).
    #[must_use]
    pub fn timings(&self) -> &[Timing] {
        &self.timings
    }

    /// The `t=` lines, for editing.
    pub fn timings_mut(&mut self) -> &mut Vec<Timing> {
        &mut self.timings
    }

    /// The time zone adjustments `z=`; empty when there is no `z=` line.
    #[must_use]
    pub fn time_zones(&self) -> &[TimeZoneAdjustment] {
        &self.time_zones
    }

    /// The time zone adjustments `z=`, for editing.
    pub fn time_zones_mut(&mut self) -> &mut Vec<TimeZoneAdjustment> {
        &mut self.time_zones
    }

    /// The session-level encryption key `k=`.
    #[must_use]
    pub fn key(&self) -> Option<&EncryptionKey> {
        self.key.as_ref()
    }

    /// Sets the session-level encryption key `k=`.
    pub fn set_key(&mut self, key: Option<EncryptionKey>) -> &mut Self {
        self.key = key;
        self
    }

    /// The session-level attributes, in order.
    #[must_use]
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The session-level attributes, for editing.
    pub fn attributes_mut(&mut self) -> &mut Attributes {
        &mut self.attributes
    }

    /// Appends a session-level attribute.
    pub fn push_attribute(&mut self, attribute: Attribute) -> &mut Self {
        self.attributes.push(attribute);
        self
    }

    /// Appends a session-level attribute, builder style.
    #[must_use]
    pub fn with_attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The first session-level attribute called `name`, typed, unknown or malformed.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.get(name)
    }

    /// The value of the first session-level attribute called `name`.
    #[must_use]
    pub fn attribute_value(&self, name: &str) -> Option<Cow<'_, str>> {
        self.attributes.get(name).and_then(Attribute::value)
    }

    /// The session-level direction attribute, the default of every media description that has
    /// none (RFC 4566 §6).
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        self.attributes.direction()
    }

    /// Sets the session-level direction attribute, replacing any other.
    pub fn set_direction(&mut self, direction: Direction) -> &mut Self {
        self.attributes.set_direction(direction);
        self
    }

    /// The media descriptions, in order (their index is the RFC 3264 stream index).
    #[must_use]
    pub fn media(&self) -> &[MediaDescription] {
        &self.media
    }

    /// The media descriptions, for editing.
    pub fn media_mut(&mut self) -> &mut Vec<MediaDescription> {
        &mut self.media
    }

    /// Appends a media description.
    pub fn push_media(&mut self, media: MediaDescription) -> &mut Self {
        self.media.push(media);
        self
    }

    /// Appends a media description, builder style.
    #[must_use]
    pub fn with_media(mut self, media: MediaDescription) -> Self {
        self.media.push(media);
        self
    }

    /// The direction of each media description, inherited as
    /// [`MediaDescription::effective_direction`] does.
    pub fn effective_directions(&self) -> impl Iterator<Item = Direction> + '_ {
        self.media.iter().map(|m| m.effective_direction(self))
    }
}

/// The session description in RFC 4566 §5 order, each line ending in CRLF.
impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\no={}\r\ns={}\r\n", self.origin, self.name)?;
        if let Some(information) = &self.information {
            write!(f, "i={information}\r\n")?;
        }
        if let Some(uri) = &self.uri {
            write!(f, "u={uri}\r\n")?;
        }
        for email in &self.emails {
            write!(f, "e={email}\r\n")?;
        }
        for phone in &self.phones {
            write!(f, "p={phone}\r\n")?;
        }
        if let Some(connection) = &self.connection {
            write!(f, "c={connection}\r\n")?;
        }
        for bandwidth in &self.bandwidths {
            write!(f, "b={bandwidth}\r\n")?;
        }
        for timing in &self.timings {
            write!(f, "t={timing}\r\n")?;
            for repeat in &timing.repeats {
                write!(f, "r={repeat}\r\n")?;
            }
        }
        if !self.time_zones.is_empty() {
            f.write_str("z=")?;
            time::write_time_zones(f, &self.time_zones)?;
            f.write_str("\r\n")?;
        }
        if let Some(key) = &self.key {
            write!(f, "k={key}\r\n")?;
        }
        for attribute in &self.attributes {
            write!(f, "a={attribute}\r\n")?;
        }
        for media in &self.media {
            media.write(f)?;
        }
        Ok(())
    }
}
