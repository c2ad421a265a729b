//! STUN attributes (RFC 8489 §14, RFC 8445 §16.1): types, typed values, their codecs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::message::{be16, be32, RawAttribute, TransactionId, MAGIC_COOKIE};
use super::Error;

/// USERNAME holds fewer than 509 bytes (RFC 8489 §14.3).
pub(super) const USERNAME_MAX: usize = 508;

/// REALM, NONCE, SOFTWARE and the ERROR-CODE reason hold at most 763 bytes (RFC 8489 §14).
pub(super) const TEXT_MAX: usize = 763;

/// A 16-bit attribute type. Types below 0x8000 are comprehension-required: a receiver that
/// does not know one must fail the message (RFC 8489 §14).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributeType(pub u16);

impl AttributeType {
    /// MAPPED-ADDRESS.
    pub const MAPPED_ADDRESS: Self = Self(0x0001);
    /// USERNAME.
    pub const USERNAME: Self = Self(0x0006);
    /// MESSAGE-INTEGRITY.
    pub const MESSAGE_INTEGRITY: Self = Self(0x0008);
    /// ERROR-CODE.
    pub const ERROR_CODE: Self = Self(0x0009);
    /// UNKNOWN-ATTRIBUTES.
    pub const UNKNOWN_ATTRIBUTES: Self = Self(0x000a);
    /// REALM.
    pub const REALM: Self = Self(0x0014);
    /// NONCE.
    pub const NONCE: Self = Self(0x0015);
    /// MESSAGE-INTEGRITY-SHA256.
    pub const MESSAGE_INTEGRITY_SHA256: Self = Self(0x001c);
    /// XOR-MAPPED-ADDRESS.
    pub const XOR_MAPPED_ADDRESS: Self = Self(0x0020);
    /// PRIORITY (ICE).
    pub const PRIORITY: Self = Self(0x0024);
    /// USE-CANDIDATE (ICE).
    pub const USE_CANDIDATE: Self = Self(0x0025);
    /// SOFTWARE.
    pub const SOFTWARE: Self = Self(0x8022);
    /// FINGERPRINT.
    pub const FINGERPRINT: Self = Self(0x8028);
    /// ICE-CONTROLLED (ICE).
    pub const ICE_CONTROLLED: Self = Self(0x8029);
    /// ICE-CONTROLLING (ICE).
    pub const ICE_CONTROLLING: Self = Self(0x802a);

    /// Whether a receiver must understand this attribute to process the message.
    #[must_use]
    pub const fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }

    /// Whether this module decodes this attribute type.
    #[must_use]
    pub const fn is_known(self) -> bool {
        matches!(
            self,
            Self::MAPPED_ADDRESS
                | Self::USERNAME
                | Self::MESSAGE_INTEGRITY
                | Self::ERROR_CODE
                | Self::UNKNOWN_ATTRIBUTES
                | Self::REALM
                | Self::NONCE
                | Self::MESSAGE_INTEGRITY_SHA256
                | Self::XOR_MAPPED_ADDRESS
                | Self::PRIORITY
                | Self::USE_CANDIDATE
                | Self::SOFTWARE
                | Self::FINGERPRINT
                | Self::ICE_CONTROLLED
                | Self::ICE_CONTROLLING
        )
    }

    fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::MAPPED_ADDRESS => "MAPPED-ADDRESS",
            Self::USERNAME => "USERNAME",
            Self::MESSAGE_INTEGRITY => "MESSAGE-INTEGRITY",
            Self::ERROR_CODE => "ERROR-CODE",
            Self::UNKNOWN_ATTRIBUTES => "UNKNOWN-ATTRIBUTES",
            Self::REALM => "REALM",
            Self::NONCE => "NONCE",
            Self::MESSAGE_INTEGRITY_SHA256 => "MESSAGE-INTEGRITY-SHA256",
            Self::XOR_MAPPED_ADDRESS => "XOR-MAPPED-ADDRESS",
            Self::PRIORITY => "PRIORITY",
            Self::USE_CANDIDATE => "USE-CANDIDATE",
            Self::SOFTWARE => "SOFTWARE",
            Self::FINGERPRINT => "FINGERPRINT",
            Self::ICE_CONTROLLED => "ICE-CONTROLLED",
            Self::ICE_CONTROLLING => "ICE-CONTROLLING",
            _ => return None,
        })
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "AttributeType({:#06x})", self.0),
        }
    }
}

/// A decoded attribute, borrowing text and tags from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS.
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS (already un-XORed).
    XorMappedAddress(SocketAddr),
    /// USERNAME.
    Username(&'a str),
    /// REALM.
    Realm(&'a str),
    /// NONCE.
    Nonce(&'a str),
    /// SOFTWARE.
    Software(&'a str),
    /// MESSAGE-INTEGRITY: the HMAC-SHA1 tag.
    MessageIntegrity(&'a [u8]),
    /// MESSAGE-INTEGRITY-SHA256: the HMAC-SHA256 tag, possibly truncated to 16..32 bytes.
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT: the CRC-32 XOR 0x5354554e.
    Fingerprint(u32),
    /// ERROR-CODE.
    ErrorCode(ErrorCode<'a>),
    /// UNKNOWN-ATTRIBUTES.
    UnknownAttributes(UnknownAttributes<'a>),
    /// PRIORITY.
    Priority(u32),
    /// USE-CANDIDATE.
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker.
    IceControlling(u64),
    /// Any other attribute, undecoded.
    Other(RawAttribute<'a>),
}

impl<'a> Attribute<'a> {
    /// Decodes one attribute of the message whose transaction id is `id` (XOR-MAPPED-ADDRESS
    /// needs it).
    pub fn decode(raw: RawAttribute<'a>, id: &TransactionId) -> Result<Self, Error> {
        let v = raw.value;
        Ok(match raw.kind {
            AttributeType::MAPPED_ADDRESS => {
                Self::MappedAddress(decode_address(raw.kind, v, None)?)
            }
            AttributeType::XOR_MAPPED_ADDRESS => {
                Self::XorMappedAddress(decode_address(raw.kind, v, Some(id))?)
            }
            AttributeType::USERNAME => Self::Username(decode_text(raw.kind, v)?),
            AttributeType::REALM => Self::Realm(decode_text(raw.kind, v)?),
            AttributeType::NONCE => Self::Nonce(decode_text(raw.kind, v)?),
            AttributeType::SOFTWARE => Self::Software(decode_text(raw.kind, v)?),
            AttributeType::MESSAGE_INTEGRITY => {
                fixed(raw.kind, v, 20)?;
                Self::MessageIntegrity(v)
            }
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                if !(16..=32).contains(&v.len()) || v.len() % 4 != 0 {
                    return Err(bad_length(raw.kind, v));
                }
                Self::MessageIntegritySha256(v)
            }
            AttributeType::FINGERPRINT => Self::Fingerprint(decode_u32(raw.kind, v)?),
            AttributeType::ERROR_CODE => Self::ErrorCode(ErrorCode::decode(v)?),
            AttributeType::UNKNOWN_ATTRIBUTES => {
                Self::UnknownAttributes(UnknownAttributes::decode(v)?)
            }
            AttributeType::PRIORITY => Self::Priority(decode_u32(raw.kind, v)?),
            AttributeType::USE_CANDIDATE => {
                fixed(raw.kind, v, 0)?;
                Self::UseCandidate
            }
            AttributeType::ICE_CONTROLLED => Self::IceControlled(decode_u64(raw.kind, v)?),
            AttributeType::ICE_CONTROLLING => Self::IceControlling(decode_u64(raw.kind, v)?),
            _ => Self::Other(raw),
        })
    }
}

/// ERROR-CODE (RFC 8489 §14.8): a code in 300..=699 and a reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The code: 300 Try Alternate, 400 Bad Request, 401 Unauthenticated, 420 Unknown
    /// Attribute, 438 Stale Nonce, 487 Role Conflict (RFC 8445), 500 Server Error.
    pub code: u16,
    /// The reason phrase.
    pub reason: &'a str,
}

impl<'a> ErrorCode<'a> {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: u16 = 300;
    /// 400 Bad Request.
    pub const BAD_REQUEST: u16 = 400;
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: u16 = 401;
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: u16 = 420;
    /// 438 Stale Nonce.
    pub const STALE_NONCE: u16 = 438;
    /// 487 Role Conflict (RFC 8445 §7.3.1.1).
    pub const ROLE_CONFLICT: u16 = 487;
    /// 500 Server Error.
    pub const SERVER_ERROR: u16 = 500;

    /// Decodes the value: two reserved bytes, the class (hundreds) in the low 3 bits, the
    /// number (0..99), the reason.
    pub fn decode(v: &'a [u8]) -> Result<Self, Error> {
        let kind = AttributeType::ERROR_CODE;
        if v.len() < 4 {
            return Err(bad_length(kind, v));
        }
        let class = u16::from(v[2] & 0x07);
        let number = u16::from(v[3]);
        if !(3..=6).contains(&class) || number > 99 {
            return Err(Error::BadAttribute {
                attribute: kind.0,
                reason: "the code is not in 300..=699",
            });
        }
        Ok(Self {
            code: class * 100 + number,
            reason: decode_text(kind, &v[4..])?,
        })
    }
}

/// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): the 16-bit types a server did not understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownAttributes<'a>(&'a [u8]);

impl<'a> UnknownAttributes<'a> {
    /// Decodes the value: a list of 16-bit types.
    pub fn decode(v: &'a [u8]) -> Result<Self, Error> {
        if v.len() % 2 != 0 {
            return Err(bad_length(AttributeType::UNKNOWN_ATTRIBUTES, v));
        }
        Ok(Self(v))
    }

    /// The listed types.
    pub fn iter(&self) -> impl Iterator<Item = AttributeType> + 'a {
        self.0.chunks_exact(2).map(|c| AttributeType(be16(c)))
    }

    /// The value as on the wire.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.0
    }
}

/// Decodes a MAPPED-ADDRESS value, or XOR-MAPPED-ADDRESS when `xor` gives the transaction id
/// (RFC 8489 §14.1, §14.2).
pub(super) fn decode_address(
    kind: AttributeType,
    v: &[u8],
    xor: Option<&TransactionId>,
) -> Result<SocketAddr, Error> {
    if v.len() < 4 {
        return Err(bad_length(kind, v));
    }
    let mut port = be16(&v[2..4]);
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match (v[1], v.len()) {
        (0x01, 8) => {
            let mut a = be32(&v[4..8]);
            if xor.is_some() {
                a ^= MAGIC_COOKIE;
            }
            IpAddr::V4(Ipv4Addr::from(a))
        }
        (0x02, 20) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&v[4..20]);
            if let Some(id) = xor {
                for (b, m) in a.iter_mut().zip(xor_mask(id)) {
                    *b ^= m;
                }
            }
            IpAddr::V6(Ipv6Addr::from(a))
        }
        (0x01 | 0x02, _) => return Err(bad_length(kind, v)),
        _ => {
            return Err(Error::BadAttribute {
                attribute: kind.0,
                reason: "unknown address family",
            })
        }
    };
    Ok(SocketAddr::new(ip, port))
}

/// The value length of an address attribute.
pub(super) fn address_len(addr: SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

/// Appends an address value, XORed when `xor` gives the transaction id.
pub(super) fn encode_address(buf: &mut Vec<u8>, addr: SocketAddr, xor: Option<&TransactionId>) {
    let mut port = addr.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    match addr.ip() {
        IpAddr::V4(ip) => {
            buf.extend_from_slice(&[0, 0x01]);
            buf.extend_from_slice(&port.to_be_bytes());
            let mut a = u32::from(ip);
            if xor.is_some() {
                a ^= MAGIC_COOKIE;
            }
            buf.extend_from_slice(&a.to_be_bytes());
        }
        IpAddr::V6(ip) => {
            buf.extend_from_slice(&[0, 0x02]);
            buf.extend_from_slice(&port.to_be_bytes());
            let mut a = ip.octets();
            if let Some(id) = xor {
                for (b, m) in a.iter_mut().zip(xor_mask(id)) {
                    *b ^= m;
                }
            }
            buf.extend_from_slice(&a);
        }
    }
}

/// The cookie followed by the transaction id: the XOR mask of an IPv6 address.
fn xor_mask(id: &TransactionId) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    m[4..].copy_from_slice(&id.0);
    m
}

pub(super) fn decode_text(kind: AttributeType, v: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(v).map_err(|_| Error::BadAttribute {
        attribute: kind.0,
        reason: "text is not UTF-8",
    })
}

pub(super) fn decode_u32(kind: AttributeType, v: &[u8]) -> Result<u32, Error> {
    fixed(kind, v, 4)?;
    Ok(be32(v))
}

pub(super) fn decode_u64(kind: AttributeType, v: &[u8]) -> Result<u64, Error> {
    let b: [u8; 8] = v.try_into().map_err(|_| bad_length(kind, v))?;
    Ok(u64::from_be_bytes(b))
}

fn fixed(kind: AttributeType, v: &[u8], len: usize) -> Result<(), Error> {
    if v.len() == len {
        Ok(())
    } else {
        Err(bad_length(kind, v))
    }
}

fn bad_length(kind: AttributeType, v: &[u8]) -> Error {
    Error::BadAttributeLength {
        attribute: kind.0,
        length: v.len(),
    }
}
