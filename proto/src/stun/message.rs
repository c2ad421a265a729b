//! The STUN message: header, the zero-copy [`Message`] view, the owned [`MessageBuf`] and the
//! [`MessageBuilder`] (RFC 8489 §5, §14).

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;
use hmac::Mac;

use super::attribute::{self, Attribute, AttributeType, ErrorCode, UnknownAttributes};
use super::integrity::{self, IntegrityKey};
use super::Error;

/// The fixed value in bytes 4..8 of every RFC 5389/8489 message.
pub const MAGIC_COOKIE: u32 = 0x2112_a442;

/// Length of the message header.
pub const HEADER_LEN: usize = 20;

/// The largest value of the 16-bit length field that is a multiple of 4.
const MAX_BODY_LEN: usize = 0xfffc;

/// True for a datagram that is a STUN message: the first two bits are zero (which sets it
/// apart from RTP, RTCP and DTLS on a shared socket, RFC 7983), the magic cookie is present
/// and the length field accounts for every byte after the header. It does not look at the
/// attributes; [`Message::parse`] does.
#[must_use]
pub fn is_stun(bytes: &[u8]) -> bool {
    message_length(bytes) == Some(bytes.len())
}

/// The total length (header included) of the STUN message at the start of `bytes`, read from
/// its header, for framing STUN over a stream. `None` while fewer than 20 bytes are there or
/// when the header is not a STUN header.
#[must_use]
pub fn message_length(bytes: &[u8]) -> Option<usize> {
    let header = bytes.get(..HEADER_LEN)?;
    if header[0] & 0xc0 != 0 || be32(&header[4..8]) != MAGIC_COOKIE {
        return None;
    }
    let body = usize::from(be16(&header[2..4]));
    (body % 4 == 0).then_some(HEADER_LEN + body)
}

/// The 96-bit transaction id that matches a response to its request (RFC 8489 §5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionId(pub [u8; 12]);

impl TransactionId {
    /// A random transaction id from the injected generator.
    pub fn random(rng: &mut impl crate::rand::Random) -> Self {
        let mut id = [0u8; 12];
        rng.fill(&mut id);
        Self(id)
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransactionId(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The message class (RFC 8489 §5): the two class bits of the message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request, answered by a success or an error response.
    Request,
    /// An indication, never answered.
    Indication,
    /// A success response.
    SuccessResponse,
    /// An error response (it carries ERROR-CODE).
    ErrorResponse,
}

/// A STUN method: 12 bits of the message type (Binding is the only one of RFC 8489; TURN
/// adds others).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(u16);

impl Method {
    /// Binding (0x001), the method of STUN and of ICE connectivity checks.
    pub const BINDING: Self = Self(0x001);

    /// A method from its 12-bit value; `None` above 0xfff.
    #[must_use]
    pub const fn new(value: u16) -> Option<Self> {
        if value <= 0xfff {
            Some(Self(value))
        } else {
            None
        }
    }

    /// The 12-bit value.
    #[must_use]
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BINDING => f.write_str("Binding"),
            Self(v) => write!(f, "Method({v:#05x})"),
        }
    }
}

/// The 14-bit message type: a method and a class, interleaved on the wire (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// The method.
    pub method: Method,
    /// The class.
    pub class: Class,
}

impl MessageType {
    /// A Binding request.
    pub const BINDING_REQUEST: Self = Self::new(Method::BINDING, Class::Request);
    /// A Binding success response.
    pub const BINDING_SUCCESS: Self = Self::new(Method::BINDING, Class::SuccessResponse);
    /// A Binding error response.
    pub const BINDING_ERROR: Self = Self::new(Method::BINDING, Class::ErrorResponse);
    /// A Binding indication (ICE keepalives, RFC 8445 §11).
    pub const BINDING_INDICATION: Self = Self::new(Method::BINDING, Class::Indication);

    /// A message type from its parts.
    #[must_use]
    pub const fn new(method: Method, class: Class) -> Self {
        Self { method, class }
    }

    /// The same method with another class, e.g. the response type of a request.
    #[must_use]
    pub const fn with_class(self, class: Class) -> Self {
        Self::new(self.method, class)
    }

    /// The 16-bit wire value (its top two bits zero).
    #[must_use]
    pub const fn to_u16(self) -> u16 {
        let m = self.method.0;
        let c: u16 = match self.class {
            Class::Request => 0,
            Class::Indication => 1,
            Class::SuccessResponse => 2,
            Class::ErrorResponse => 3,
        };
        // M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 Figure 3).
        (m & 0x000f) | ((c & 1) << 4) | ((m & 0x0070) << 1) | ((c & 2) << 7) | ((m & 0x0f80) << 2)
    }

    /// The message type of a wire value; `None` if either of the top two bits is set.
    #[must_use]
    pub const fn from_u16(v: u16) -> Option<Self> {
        if v & 0xc000 != 0 {
            return None;
        }
        let m = (v & 0x000f) | ((v & 0x00e0) >> 1) | ((v & 0x3e00) >> 2);
        let class = match ((v >> 4) & 1) | ((v >> 7) & 2) {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        };
        Some(Self::new(Method(m), class))
    }
}

/// One attribute as it sits in a message: its type and its value without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The attribute type.
    pub kind: AttributeType,
    /// The value, without the padding that follows it.
    pub value: &'a [u8],
    /// Offset of the attribute's header from the start of the message.
    pub offset: usize,
}

/// What parsing learnt about a message besides its bytes, shared by [`Message`] and
/// [`MessageBuf`] so that an owned message gives its view without walking it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    kind: MessageType,
    /// Offset of the MESSAGE-INTEGRITY attribute that counts (the first, if it precedes any
    /// MESSAGE-INTEGRITY-SHA256).
    integrity: Option<usize>,
    /// Offset of the MESSAGE-INTEGRITY-SHA256 attribute that counts.
    integrity_sha256: Option<usize>,
    /// Offset of FINGERPRINT, the last attribute when present.
    fingerprint: Option<usize>,
}

/// A received STUN message, borrowed from the datagram: the header and the attribute
/// framing are checked by [`Message::parse`], attribute values are decoded on demand.
///
/// Attributes that RFC 8489 §14.5–§14.6 says to ignore (any but MESSAGE-INTEGRITY-SHA256 and
/// FINGERPRINT after MESSAGE-INTEGRITY, any but FINGERPRINT after MESSAGE-INTEGRITY-SHA256)
/// are invisible: neither [`Message::attributes`] nor the getters return them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    layout: Layout,
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("type", &self.layout.kind)
            .field("transaction_id", &self.transaction_id())
            .field("attributes", &self.attributes().collect::<Vec<_>>())
            .finish()
    }
}

impl<'a> Message<'a> {
    /// Checks the header (first two bits, magic cookie, length) and walks the attributes,
    /// checking that each fits, that the integrity and fingerprint attributes have their
    /// lengths, and that nothing follows FINGERPRINT. `bytes` must be exactly one message.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let Some(header) = bytes.get(..HEADER_LEN) else {
            return Err(Error::Truncated {
                needed: HEADER_LEN,
                available: bytes.len(),
            });
        };
        let kind = MessageType::from_u16(be16(&header[0..2])).ok_or(Error::NotStun)?;
        let cookie = be32(&header[4..8]);
        if cookie != MAGIC_COOKIE {
            return Err(Error::BadMagicCookie { found: cookie });
        }
        let length = usize::from(be16(&header[2..4]));
        let available = bytes.len() - HEADER_LEN;
        if length > available {
            return Err(Error::Truncated {
                needed: HEADER_LEN + length,
                available: bytes.len(),
            });
        }
        if length % 4 != 0 || length != available {
            return Err(Error::BadLength { length, available });
        }
        let mut layout = Layout {
            kind,
            integrity: None,
            integrity_sha256: None,
            fingerprint: None,
        };
        let mut pos = HEADER_LEN;
        while pos < bytes.len() {
            let (kind, len) = attribute_header(bytes, pos)?;
            if layout.fingerprint.is_some() {
                return Err(Error::AfterFingerprint { attribute: kind.0 });
            }
            match kind {
                AttributeType::MESSAGE_INTEGRITY
                    if layout.integrity.is_none() && layout.integrity_sha256.is_none() =>
                {
                    if len != integrity::SHA1_LEN {
                        return Err(Error::BadAttributeLength {
                            attribute: kind.0,
                            length: len,
                        });
                    }
                    layout.integrity = Some(pos);
                }
                AttributeType::MESSAGE_INTEGRITY_SHA256 if layout.integrity_sha256.is_none() => {
                    if !(16..=32).contains(&len) || len % 4 != 0 {
                        return Err(Error::BadAttributeLength {
                            attribute: kind.0,
                            length: len,
                        });
                    }
                    layout.integrity_sha256 = Some(pos);
                }
                AttributeType::FINGERPRINT => {
                    if len != 4 {
                        return Err(Error::BadAttributeLength {
                            attribute: kind.0,
                            length: len,
                        });
                    }
                    layout.fingerprint = Some(pos);
                }
                _ => {}
            }
            pos += 4 + padded(len);
        }
        Ok(Self { bytes, layout })
    }

    /// The whole message.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The message type.
    #[must_use]
    pub fn message_type(&self) -> MessageType {
        self.layout.kind
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> Method {
        self.layout.kind.method
    }

    /// The class.
    #[must_use]
    pub fn class(&self) -> Class {
        self.layout.kind.class
    }

    /// The transaction id.
    #[must_use]
    pub fn transaction_id(&self) -> TransactionId {
        let mut id = [0u8; 12];
        id.copy_from_slice(&self.bytes[8..HEADER_LEN]);
        TransactionId(id)
    }

    /// The attributes in order, without those the RFC says to ignore.
    #[must_use]
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            bytes: self.bytes,
            pos: HEADER_LEN,
            layout: self.layout,
        }
    }

    /// The first (visible) attribute of a type; later duplicates are ignored, as RFC 8489
    /// §14 allows.
    #[must_use]
    pub fn get(&self, kind: AttributeType) -> Option<RawAttribute<'a>> {
        self.attributes().find(|a| a.kind == kind)
    }

    /// Whether an attribute of this type is present.
    #[must_use]
    pub fn contains(&self, kind: AttributeType) -> bool {
        self.get(kind).is_some()
    }

    /// Every visible attribute, decoded.
    pub fn decoded(&self) -> impl Iterator<Item = Result<Attribute<'a>, Error>> + 'a {
        let id = self.transaction_id();
        self.attributes().map(move |a| Attribute::decode(a, &id))
    }

    /// The comprehension-required attributes (type below 0x8000) this module does not know,
    /// which a server reports in a 420 response's UNKNOWN-ATTRIBUTES (RFC 8489 §6.3).
    pub fn unknown_required(&self) -> impl Iterator<Item = AttributeType> + 'a {
        self.attributes()
            .map(|a| a.kind)
            .filter(|k| k.is_comprehension_required() && !k.is_known())
    }

    /// USERNAME.
    pub fn username(&self) -> Result<Option<&'a str>, Error> {
        self.text(AttributeType::USERNAME)
    }

    /// REALM.
    pub fn realm(&self) -> Result<Option<&'a str>, Error> {
        self.text(AttributeType::REALM)
    }

    /// NONCE.
    pub fn nonce(&self) -> Result<Option<&'a str>, Error> {
        self.text(AttributeType::NONCE)
    }

    /// SOFTWARE.
    pub fn software(&self) -> Result<Option<&'a str>, Error> {
        self.text(AttributeType::SOFTWARE)
    }

    /// XOR-MAPPED-ADDRESS: the source address the server saw.
    pub fn xor_mapped_address(&self) -> Result<Option<SocketAddr>, Error> {
        self.get(AttributeType::XOR_MAPPED_ADDRESS)
            .map(|a| attribute::decode_address(a.kind, a.value, Some(&self.transaction_id())))
            .transpose()
    }

    /// MAPPED-ADDRESS (sent by RFC 3489 servers).
    pub fn mapped_address(&self) -> Result<Option<SocketAddr>, Error> {
        self.get(AttributeType::MAPPED_ADDRESS)
            .map(|a| attribute::decode_address(a.kind, a.value, None))
            .transpose()
    }

    /// ERROR-CODE.
    pub fn error_code(&self) -> Result<Option<ErrorCode<'a>>, Error> {
        self.get(AttributeType::ERROR_CODE)
            .map(|a| ErrorCode::decode(a.value))
            .transpose()
    }

    /// UNKNOWN-ATTRIBUTES.
    pub fn unknown_attributes(&self) -> Result<Option<UnknownAttributes<'a>>, Error> {
        self.get(AttributeType::UNKNOWN_ATTRIBUTES)
            .map(|a| UnknownAttributes::decode(a.value))
            .transpose()
    }

    /// PRIORITY (RFC 8445 §7.1.1).
    pub fn priority(&self) -> Result<Option<u32>, Error> {
        self.get(AttributeType::PRIORITY)
            .map(|a| attribute::decode_u32(a.kind, a.value))
            .transpose()
    }

    /// ICE-CONTROLLING and its tie-breaker (RFC 8445 §7.1.3).
    pub fn ice_controlling(&self) -> Result<Option<u64>, Error> {
        self.get(AttributeType::ICE_CONTROLLING)
            .map(|a| attribute::decode_u64(a.kind, a.value))
            .transpose()
    }

    /// ICE-CONTROLLED and its tie-breaker (RFC 8445 §7.1.3).
    pub fn ice_controlled(&self) -> Result<Option<u64>, Error> {
        self.get(AttributeType::ICE_CONTROLLED)
            .map(|a| attribute::decode_u64(a.kind, a.value))
            .transpose()
    }

    /// Whether USE-CANDIDATE is present (RFC 8445 §7.1.2).
    #[must_use]
    pub fn use_candidate(&self) -> bool {
        self.contains(AttributeType::USE_CANDIDATE)
    }

    /// Whether MESSAGE-INTEGRITY is present (and counts).
    #[must_use]
    pub fn has_integrity(&self) -> bool {
        self.layout.integrity.is_some()
    }

    /// Whether MESSAGE-INTEGRITY-SHA256 is present (and counts).
    #[must_use]
    pub fn has_integrity_sha256(&self) -> bool {
        self.layout.integrity_sha256.is_some()
    }

    /// Whether FINGERPRINT is present.
    #[must_use]
    pub fn has_fingerprint(&self) -> bool {
        self.layout.fingerprint.is_some()
    }

    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1) against `key`: the HMAC covers the message up to
    /// the attribute with the length field set as if MESSAGE-INTEGRITY were the last
    /// attribute (RFC 8489 §14.5). The tags are compared in constant time.
    pub fn verify_integrity(&self, key: &IntegrityKey) -> Result<(), Error> {
        const NAME: &str = "MESSAGE-INTEGRITY";
        let at = self.layout.integrity.ok_or(Error::MissingIntegrity(NAME))?;
        let tag = &self.bytes[at + 4..at + 4 + integrity::SHA1_LEN];
        let mut mac = key.sha1();
        self.feed_prefix(&mut mac, at, integrity::SHA1_LEN);
        mac.verify_slice(tag)
            .map_err(|_| Error::IntegrityMismatch(NAME))
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 against `key` (RFC 8489 §14.6), accepting a tag
    /// truncated to 16..32 bytes as the RFC allows.
    pub fn verify_integrity_sha256(&self, key: &IntegrityKey) -> Result<(), Error> {
        const NAME: &str = "MESSAGE-INTEGRITY-SHA256";
        let at = self
            .layout
            .integrity_sha256
            .ok_or(Error::MissingIntegrity(NAME))?;
        let len = usize::from(be16(&self.bytes[at + 2..at + 4]));
        let tag = &self.bytes[at + 4..at + 4 + len];
        let mut mac = key.sha256();
        self.feed_prefix(&mut mac, at, len);
        mac.verify_truncated_left(tag)
            .map_err(|_| Error::IntegrityMismatch(NAME))
    }

    /// Checks FINGERPRINT: CRC-32 of the message up to the attribute, XOR 0x5354554e
    /// (RFC 8489 §14.7).
    pub fn verify_fingerprint(&self) -> Result<(), Error> {
        let at = self.layout.fingerprint.ok_or(Error::MissingFingerprint)?;
        let found = be32(&self.bytes[at + 4..at + 8]);
        // FINGERPRINT is last, so the length field already covers it as the RFC requires.
        let expected = integrity::fingerprint(&self.bytes[..at]);
        if found == expected {
            Ok(())
        } else {
            Err(Error::FingerprintMismatch { found, expected })
        }
    }

    /// Feeds the message up to offset `at` to `mac`, with the length field counting only up
    /// to the end of an integrity attribute of `tag_len` bytes at `at`.
    fn feed_prefix(&self, mac: &mut impl Mac, at: usize, tag_len: usize) {
        // `at` is below 2^16 + 20 and the tag is short, so the adjusted length fits.
        let length = (at - HEADER_LEN + 4 + tag_len) as u16;
        mac.update(&self.bytes[..2]);
        mac.update(&length.to_be_bytes());
        mac.update(&self.bytes[4..at]);
    }

    fn text(&self, kind: AttributeType) -> Result<Option<&'a str>, Error> {
        self.get(kind)
            .map(|a| attribute::decode_text(a.kind, a.value))
            .transpose()
    }
}

/// The iterator of [`Message::attributes`].
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    bytes: &'a [u8],
    pos: usize,
    layout: Layout,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<RawAttribute<'a>> {
        loop {
            let offset = self.pos;
            // The framing was checked by `Message::parse`; a failure here only ends the walk.
            let (kind, len) = attribute_header(self.bytes, offset).ok()?;
            self.pos = offset + 4 + padded(len);
            if self.visible(offset) {
                let value = self.bytes.get(offset + 4..offset + 4 + len)?;
                return Some(RawAttribute {
                    kind,
                    value,
                    offset,
                });
            }
        }
    }
}

impl Attributes<'_> {
    /// RFC 8489 §14.5–§14.6: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and
    /// FINGERPRINT count, after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT.
    fn visible(&self, offset: usize) -> bool {
        let l = &self.layout;
        if l.fingerprint == Some(offset) || l.integrity_sha256 == Some(offset) {
            return true;
        }
        let after = |mark: Option<usize>| mark.is_some_and(|m| offset > m);
        !after(l.integrity) && !after(l.integrity_sha256)
    }
}

/// An owned, validated STUN message (for events and queues), cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageBuf {
    bytes: Bytes,
    layout: Layout,
}

impl fmt::Debug for MessageBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl MessageBuf {
    /// Parses and keeps `bytes`.
    pub fn parse(bytes: impl Into<Bytes>) -> Result<Self, Error> {
        let bytes = bytes.into();
        let layout = Message::parse(&bytes)?.layout;
        Ok(Self { bytes, layout })
    }

    /// A copy of a borrowed message.
    #[must_use]
    pub fn from_message(m: &Message<'_>) -> Self {
        Self {
            bytes: Bytes::copy_from_slice(m.bytes),
            layout: m.layout,
        }
    }

    /// The view, without parsing again.
    #[must_use]
    pub fn message(&self) -> Message<'_> {
        Message {
            bytes: &self.bytes,
            layout: self.layout,
        }
    }

    /// The bytes.
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

/// Appends one STUN message to a buffer, attribute by attribute, updating the header's
/// length as it goes; nothing is allocated per attribute.
///
/// The methods chain; the first error (a value too long, an attribute after
/// MESSAGE-INTEGRITY or FINGERPRINT) is kept and returned by [`MessageBuilder::finish`],
/// which then removes the partial message from the buffer.
#[derive(Debug)]
pub struct MessageBuilder<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
    padding: u8,
    /// The last of MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT added.
    sealed: Option<AttributeType>,
    error: Option<Error>,
}

impl<'b> MessageBuilder<'b> {
    /// Starts a message of type `kind` at the end of `buf`.
    pub fn new(buf: &'b mut Vec<u8>, kind: MessageType, id: TransactionId) -> Self {
        let start = buf.len();
        buf.reserve(128);
        buf.extend_from_slice(&kind.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf.extend_from_slice(&id.0);
        Self {
            buf,
            start,
            padding: 0,
            sealed: None,
            error: None,
        }
    }

    /// Starts the response of type `kind` to `request`: same method, same transaction id.
    pub fn response(buf: &'b mut Vec<u8>, request: &Message<'_>, class: Class) -> Self {
        Self::new(
            buf,
            request.message_type().with_class(class),
            request.transaction_id(),
        )
    }

    /// The byte written after values whose length is not a multiple of 4 (zero unless set;
    /// RFC 8489 says the receiver ignores it).
    pub fn padding_byte(&mut self, byte: u8) -> &mut Self {
        self.padding = byte;
        self
    }

    /// Any attribute, as raw type and value.
    pub fn raw(&mut self, kind: AttributeType, value: &[u8]) -> &mut Self {
        self.push(kind, value.len(), |b| b.extend_from_slice(value))
    }

    /// A decoded attribute. MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are
    /// written as given; compute them with [`Self::message_integrity`] and friends instead.
    pub fn attribute(&mut self, a: &Attribute<'_>) -> &mut Self {
        match *a {
            Attribute::MappedAddress(addr) => self.mapped_address(addr),
            Attribute::XorMappedAddress(addr) => self.xor_mapped_address(addr),
            Attribute::Username(s) => self.username(s),
            Attribute::Realm(s) => self.realm(s),
            Attribute::Nonce(s) => self.nonce(s),
            Attribute::Software(s) => self.software(s),
            Attribute::MessageIntegrity(tag) => self.raw(AttributeType::MESSAGE_INTEGRITY, tag),
            Attribute::MessageIntegritySha256(tag) => {
                self.raw(AttributeType::MESSAGE_INTEGRITY_SHA256, tag)
            }
            Attribute::Fingerprint(v) => self.raw(AttributeType::FINGERPRINT, &v.to_be_bytes()),
            Attribute::ErrorCode(e) => self.error_code(e.code, e.reason),
            Attribute::UnknownAttributes(u) => self.raw(AttributeType::UNKNOWN_ATTRIBUTES, u.raw()),
            Attribute::Priority(p) => self.priority(p),
            Attribute::UseCandidate => self.use_candidate(),
            Attribute::IceControlled(t) => self.ice_controlled(t),
            Attribute::IceControlling(t) => self.ice_controlling(t),
            Attribute::Other(raw) => self.raw(raw.kind, raw.value),
        }
    }

    /// USERNAME (fewer than 509 bytes, RFC 8489 §14.3).
    pub fn username(&mut self, name: &str) -> &mut Self {
        self.text(
            AttributeType::USERNAME,
            "USERNAME",
            name,
            attribute::USERNAME_MAX,
        )
    }

    /// REALM.
    pub fn realm(&mut self, realm: &str) -> &mut Self {
        self.text(AttributeType::REALM, "REALM", realm, attribute::TEXT_MAX)
    }

    /// NONCE.
    pub fn nonce(&mut self, nonce: &str) -> &mut Self {
        self.text(AttributeType::NONCE, "NONCE", nonce, attribute::TEXT_MAX)
    }

    /// SOFTWARE.
    pub fn software(&mut self, software: &str) -> &mut Self {
        self.text(
            AttributeType::SOFTWARE,
            "SOFTWARE",
            software,
            attribute::TEXT_MAX,
        )
    }

    /// MAPPED-ADDRESS.
    pub fn mapped_address(&mut self, addr: SocketAddr) -> &mut Self {
        let len = attribute::address_len(addr);
        self.push(AttributeType::MAPPED_ADDRESS, len, |b| {
            attribute::encode_address(b, addr, None);
        })
    }

    /// XOR-MAPPED-ADDRESS, obfuscated with the cookie and this message's transaction id.
    pub fn xor_mapped_address(&mut self, addr: SocketAddr) -> &mut Self {
        let id = self.transaction_id();
        let len = attribute::address_len(addr);
        self.push(AttributeType::XOR_MAPPED_ADDRESS, len, |b| {
            attribute::encode_address(b, addr, Some(&id));
        })
    }

    /// ERROR-CODE: `code` in 300..=699 and a reason phrase.
    pub fn error_code(&mut self, code: u16, reason: &str) -> &mut Self {
        if !(300..=699).contains(&code) {
            return self.fail(Error::BadAttribute {
                attribute: AttributeType::ERROR_CODE.0,
                reason: "the code is not in 300..=699",
            });
        }
        if reason.len() > attribute::TEXT_MAX {
            return self.fail(Error::TooLong {
                what: "ERROR-CODE reason",
                length: reason.len(),
                limit: attribute::TEXT_MAX,
            });
        }
        self.push(AttributeType::ERROR_CODE, 4 + reason.len(), |b| {
            // `code` is at most 699, so both parts fit a byte.
            b.extend_from_slice(&[0, 0, (code / 100) as u8, (code % 100) as u8]);
            b.extend_from_slice(reason.as_bytes());
        })
    }

    /// UNKNOWN-ATTRIBUTES listing `kinds`.
    pub fn unknown_attributes(&mut self, kinds: &[AttributeType]) -> &mut Self {
        self.push(AttributeType::UNKNOWN_ATTRIBUTES, kinds.len() * 2, |b| {
            for k in kinds {
                b.extend_from_slice(&k.0.to_be_bytes());
            }
        })
    }

    /// PRIORITY.
    pub fn priority(&mut self, priority: u32) -> &mut Self {
        self.raw(AttributeType::PRIORITY, &priority.to_be_bytes())
    }

    /// USE-CANDIDATE (no value).
    pub fn use_candidate(&mut self) -> &mut Self {
        self.raw(AttributeType::USE_CANDIDATE, &[])
    }

    /// ICE-CONTROLLING with the agent's tie-breaker.
    pub fn ice_controlling(&mut self, tie_breaker: u64) -> &mut Self {
        self.raw(AttributeType::ICE_CONTROLLING, &tie_breaker.to_be_bytes())
    }

    /// ICE-CONTROLLED with the agent's tie-breaker.
    pub fn ice_controlled(&mut self, tie_breaker: u64) -> &mut Self {
        self.raw(AttributeType::ICE_CONTROLLED, &tie_breaker.to_be_bytes())
    }

    /// MESSAGE-INTEGRITY (HMAC-SHA1) over everything written so far (RFC 8489 §14.5).
    pub fn message_integrity(&mut self, key: &IntegrityKey) -> &mut Self {
        let kind = AttributeType::MESSAGE_INTEGRITY;
        if !self.check_order(kind) || !self.grow_length(4 + integrity::SHA1_LEN) {
            return self;
        }
        let mut mac = key.sha1();
        mac.update(&self.buf[self.start..]);
        let tag = mac.finalize().into_bytes();
        self.append(kind, &tag);
        self.sealed = Some(kind);
        self
    }

    /// MESSAGE-INTEGRITY-SHA256 (full 32-byte tag) over everything written so far
    /// (RFC 8489 §14.6).
    pub fn message_integrity_sha256(&mut self, key: &IntegrityKey) -> &mut Self {
        let kind = AttributeType::MESSAGE_INTEGRITY_SHA256;
        if !self.check_order(kind) || !self.grow_length(4 + integrity::SHA256_LEN) {
            return self;
        }
        let mut mac = key.sha256();
        mac.update(&self.buf[self.start..]);
        let tag = mac.finalize().into_bytes();
        self.append(kind, &tag);
        self.sealed = Some(kind);
        self
    }

    /// FINGERPRINT over everything written so far; it must be the last attribute.
    pub fn fingerprint(&mut self) -> &mut Self {
        let kind = AttributeType::FINGERPRINT;
        if !self.check_order(kind) || !self.grow_length(8) {
            return self;
        }
        let crc = integrity::fingerprint(&self.buf[self.start..]);
        self.append(kind, &crc.to_be_bytes());
        self.sealed = Some(kind);
        self
    }

    /// Ends the message: its length in bytes, or the first error (the partial message is then
    /// removed from the buffer).
    pub fn finish(&mut self) -> Result<usize, Error> {
        if let Some(e) = self.error.take() {
            self.buf.truncate(self.start);
            return Err(e);
        }
        Ok(self.buf.len() - self.start)
    }

    fn transaction_id(&self) -> TransactionId {
        let mut id = [0u8; 12];
        id.copy_from_slice(&self.buf[self.start + 8..self.start + HEADER_LEN]);
        TransactionId(id)
    }

    fn text(
        &mut self,
        kind: AttributeType,
        what: &'static str,
        s: &str,
        limit: usize,
    ) -> &mut Self {
        if s.len() > limit {
            return self.fail(Error::TooLong {
                what,
                length: s.len(),
                limit,
            });
        }
        self.raw(kind, s.as_bytes())
    }

    /// Writes an attribute of `len` value bytes, which `write` appends.
    fn push(
        &mut self,
        kind: AttributeType,
        len: usize,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> &mut Self {
        if !self.check_order(kind) {
            return self;
        }
        if len > usize::from(u16::MAX) {
            return self.fail(Error::TooLong {
                what: "attribute value",
                length: len,
                limit: usize::from(u16::MAX),
            });
        }
        if !self.grow_length(4 + padded(len)) {
            return self;
        }
        // `len` was checked against the 16-bit limit above.
        self.buf.extend_from_slice(&kind.0.to_be_bytes());
        self.buf.extend_from_slice(&(len as u16).to_be_bytes());
        let before = self.buf.len();
        write(self.buf);
        debug_assert_eq!(self.buf.len() - before, len, "attribute writer length");
        let pad = padded(len) - len;
        self.buf.extend(std::iter::repeat_n(self.padding, pad));
        self
    }

    fn append(&mut self, kind: AttributeType, value: &[u8]) {
        self.buf.extend_from_slice(&kind.0.to_be_bytes());
        // Integrity and fingerprint values are 4, 20 or 32 bytes.
        self.buf
            .extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(value);
    }

    /// Adds `n` to the header's length field; false (and an error kept) if the message would
    /// be too long.
    fn grow_length(&mut self, n: usize) -> bool {
        if self.error.is_some() {
            return false;
        }
        let at = self.start + 2;
        let length = usize::from(be16(&self.buf[at..at + 2])) + n;
        if length > MAX_BODY_LEN {
            self.error = Some(Error::TooLong {
                what: "message",
                length,
                limit: MAX_BODY_LEN,
            });
            return false;
        }
        // Checked against MAX_BODY_LEN just above.
        self.buf[at..at + 2].copy_from_slice(&(length as u16).to_be_bytes());
        true
    }

    fn check_order(&mut self, kind: AttributeType) -> bool {
        if self.error.is_some() {
            return false;
        }
        let allowed = match self.sealed {
            None => true,
            Some(AttributeType::MESSAGE_INTEGRITY) => matches!(
                kind,
                AttributeType::MESSAGE_INTEGRITY_SHA256 | AttributeType::FINGERPRINT
            ),
            Some(AttributeType::MESSAGE_INTEGRITY_SHA256) => kind == AttributeType::FINGERPRINT,
            Some(_) => false,
        };
        if !allowed {
            let after = match self.sealed {
                Some(AttributeType::MESSAGE_INTEGRITY) => "MESSAGE-INTEGRITY",
                Some(AttributeType::MESSAGE_INTEGRITY_SHA256) => "MESSAGE-INTEGRITY-SHA256",
                _ => "FINGERPRINT",
            };
            self.error = Some(Error::Order {
                attribute: kind.0,
                after,
            });
        }
        allowed
    }

    fn fail(&mut self, e: Error) -> &mut Self {
        self.error.get_or_insert(e);
        self
    }
}

/// The type and value length of the attribute at `pos`, checking that it and its padding fit.
fn attribute_header(bytes: &[u8], pos: usize) -> Result<(AttributeType, usize), Error> {
    let Some(h) = bytes.get(pos..pos + 4) else {
        return Err(Error::Truncated {
            needed: pos + 4,
            available: bytes.len(),
        });
    };
    let kind = AttributeType(be16(&h[0..2]));
    let len = usize::from(be16(&h[2..4]));
    let end = pos + 4 + padded(len);
    if end > bytes.len() {
        return Err(Error::Truncated {
            needed: end,
            available: bytes.len(),
        });
    }
    Ok((kind, len))
}

/// `len` rounded up to a multiple of 4.
pub(super) const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

pub(super) fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

pub(super) fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
