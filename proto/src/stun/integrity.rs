//! MESSAGE-INTEGRITY keys (RFC 8489 §9) and FINGERPRINT (RFC 8489 §14.7).

use std::fmt;

use hmac::{Hmac, KeyInit};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

/// Length of a MESSAGE-INTEGRITY tag.
pub(super) const SHA1_LEN: usize = 20;

/// Length of a full MESSAGE-INTEGRITY-SHA256 tag.
pub(super) const SHA256_LEN: usize = 32;

/// The FINGERPRINT of a message prefix: CRC-32 (ISO HDLC, as in Ethernet) XOR 0x5354554e.
#[must_use]
pub fn fingerprint(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes) ^ 0x5354_554e
}

/// The key of MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256, kept as keyed HMAC states so
/// that each message costs only its own blocks: build it once per credential (an ICE agent
/// keeps one for the local and one for the remote password) and reuse it.
///
/// Passwords are taken as given: RFC 8489 §9 runs them through OpaqueString (SASLprep in
/// RFC 5389) first, which changes nothing for the ASCII passwords ICE generates; a caller
/// with other passwords prepares them before.
#[derive(Clone)]
pub struct IntegrityKey {
    sha1: Hmac<Sha1>,
    sha256: Hmac<Sha256>,
}

impl fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntegrityKey(..)")
    }
}

impl IntegrityKey {
    /// The key of short-term credentials (ICE): the password itself (RFC 8489 §9.1.1).
    #[must_use]
    pub fn short_term(password: &str) -> Self {
        Self::from_bytes(password.as_bytes())
    }

    /// The key of long-term credentials with the MD5 password algorithm:
    /// MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).
    #[must_use]
    pub fn long_term(username: &str, realm: &str, password: &str) -> Self {
        let mut md5 = Md5::new();
        md5.update(username.as_bytes());
        md5.update(b":");
        md5.update(realm.as_bytes());
        md5.update(b":");
        md5.update(password.as_bytes());
        Self::from_bytes(&md5.finalize())
    }

    /// A key from its raw bytes.
    #[must_use]
    pub fn from_bytes(key: &[u8]) -> Self {
        Self {
            sha1: Hmac::new_from_slice(key).expect("HMAC takes keys of any length"),
            sha256: Hmac::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    /// A fresh HMAC-SHA1 state keyed with this key.
    pub(super) fn sha1(&self) -> Hmac<Sha1> {
        self.sha1.clone()
    }

    /// A fresh HMAC-SHA256 state keyed with this key.
    pub(super) fn sha256(&self) -> Hmac<Sha256> {
        self.sha256.clone()
    }
}
