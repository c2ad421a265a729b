//! The errors of STUN decoding, encoding, integrity checks and transaction commands.

/// What went wrong with a STUN message or a command given to a STUN machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the header or the length field announce.
    #[error("truncated STUN message: {needed} bytes needed, {available} available")]
    Truncated {
        /// Bytes the header or an attribute needs.
        needed: usize,
        /// Bytes there are.
        available: usize,
    },
    /// The first two bits of the message are not zero.
    #[error("not a STUN message: the first two bits are not zero")]
    NotStun,
    /// The magic cookie is not 0x2112A442 (an RFC 3489 message, or not STUN at all).
    #[error("bad magic cookie {found:#010x}")]
    BadMagicCookie {
        /// The four bytes found where the cookie belongs.
        found: u32,
    },
    /// The length field is not a multiple of 4, or more bytes follow the message.
    #[error("message length {length} does not match the {available} bytes after the header")]
    BadLength {
        /// The header's length field.
        length: usize,
        /// Bytes after the header.
        available: usize,
    },
    /// An attribute's value has a length its type does not allow.
    #[error("attribute {attribute:#06x} has a bad length {length}")]
    BadAttributeLength {
        /// The attribute type.
        attribute: u16,
        /// The value length.
        length: usize,
    },
    /// An attribute's value is malformed (bad address family, text not UTF-8, error class
    /// out of range).
    #[error("attribute {attribute:#06x} is malformed: {reason}")]
    BadAttribute {
        /// The attribute type.
        attribute: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 §14.7).
    #[error("attribute {attribute:#06x} follows FINGERPRINT")]
    AfterFingerprint {
        /// The type of the attribute that follows.
        attribute: u16,
    },
    /// The message or one attribute would exceed the 16-bit length field, or a text attribute
    /// its limit.
    #[error("{what} is too long: {length} bytes, at most {limit}")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// Its length.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// The message carries no MESSAGE-INTEGRITY (or MESSAGE-INTEGRITY-SHA256) to check.
    #[error("no {0} attribute")]
    MissingIntegrity(&'static str),
    /// MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 does not match the key.
    #[error("{0} does not match")]
    IntegrityMismatch(&'static str),
    /// The message carries no FINGERPRINT.
    #[error("no FINGERPRINT attribute")]
    MissingFingerprint,
    /// FINGERPRINT does not match the message.
    #[error("FINGERPRINT {found:#010x} does not match the computed {expected:#010x}")]
    FingerprintMismatch {
        /// The value in the message.
        found: u32,
        /// The value computed over the message.
        expected: u32,
    },
    /// An attribute was added after MESSAGE-INTEGRITY or FINGERPRINT, where the receiver
    /// would ignore it.
    #[error("attribute {attribute:#06x} added after {after}")]
    Order {
        /// The attribute that was added.
        attribute: u16,
        /// The attribute it came after.
        after: &'static str,
    },
    /// [`Client::send_request`](super::Client::send_request) was given something that is
    /// not a STUN request (or an indication).
    #[error("not a STUN request")]
    NotARequest,
    /// A transaction with this id is already outstanding.
    #[error("transaction id already in use")]
    DuplicateTransaction,
    /// The client already holds its limit of outstanding transactions and undrained events.
    #[error("too many outstanding STUN transactions (limit {limit})")]
    TooManyTransactions {
        /// The configured limit.
        limit: usize,
    },
}
