//! Keying from SDP security descriptions (RFC 4568): `a=crypto` lines, parsed by
//! [`crate::sdp::Crypto`], turned into master keys and contexts, and fresh keys made into
//! `inline:` keys to offer.

use super::{Error, MasterKey, Profile, SrtpContext};
use crate::rand::Random;
use crate::sdp::{Crypto, InlineKey, Lifetime, Mki, SessionParam};

impl MasterKey {
    /// The master key of an `inline:` key for `profile`: its base64 `key||salt` decoded and
    /// split at the profile's lengths, with its lifetime and MKI (RFC 4568 §6.1). The MKI
    /// field carries the MKI value as a big-endian number of the given length.
    pub fn from_inline_key(profile: Profile, inline: &InlineKey) -> Result<Self, Error> {
        let bytes = inline
            .key_salt_bytes()
            .ok_or(Error::InvalidKey("key||salt is not base64"))?;
        let key_len = profile.master_key_len();
        if bytes.len() != key_len + profile.master_salt_len() {
            return Err(Error::InvalidKey(
                "key||salt length does not fit the crypto suite",
            ));
        }
        let mut key = Self::new(profile, &bytes[..key_len], &bytes[key_len..])?;
        if let Some(mki) = inline.mki {
            key = key.with_mki(&mki_bytes(mki)?)?;
        }
        if let Some(lifetime) = inline.lifetime {
            // Beyond 2^64 packets the RFC 3711 limits are the only ones that matter.
            if let Some(packets) = lifetime.packets() {
                key = key.with_lifetime(packets);
            }
        }
        Ok(key)
    }

    /// The `inline:` key carrying this master key, its MKI (as a number, so at most 8 bytes
    /// of it may be non-zero) and its lifetime.
    pub fn to_inline_key(&self) -> Result<InlineKey, Error> {
        let mut inline = InlineKey::new(&self.key_salt());
        if !self.mki.is_empty() {
            let lead = self.mki.len().saturating_sub(8);
            if self.mki[..lead].iter().any(|&b| b != 0) {
                return Err(Error::InvalidKey("MKI too large for a decimal MKI value"));
            }
            let value = self.mki[lead..]
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            inline.mki = Some(Mki {
                value,
                length: u8::try_from(self.mki.len()).expect("MKI of at most 128 bytes"),
            });
        }
        inline.lifetime = self.lifetime.map(|n| {
            if n.is_power_of_two() {
                Lifetime::PowerOfTwo(n.trailing_zeros() as u8)
            } else {
                Lifetime::Packets(n)
            }
        });
        Ok(inline)
    }
}

/// The MKI field of an SDES MKI: `value` big-endian in `length` bytes.
fn mki_bytes(mki: Mki) -> Result<Vec<u8>, Error> {
    let length = usize::from(mki.length);
    if length < 8 && mki.value >> (8 * length) != 0 {
        return Err(Error::InvalidKey("MKI value does not fit its length"));
    }
    let mut bytes = vec![0u8; length];
    let be = mki.value.to_be_bytes();
    let n = length.min(8);
    bytes[length - n..].copy_from_slice(&be[8 - n..]);
    Ok(bytes)
}

impl SrtpContext {
    /// A context keyed by an `a=crypto` line: its suite, every `inline:` key, and the session
    /// parameters that change processing. `KDR` other than 0, `UNENCRYPTED_SRTP` and
    /// `UNAUTHENTICATED_SRTP` are refused; `UNENCRYPTED_SRTCP` turns SRTCP encryption off;
    /// `WSH` needs nothing (the window is [`REPLAY_WINDOW`](super::REPLAY_WINDOW) packets,
    /// more than the 64 it may ask for); the FEC parameters are left to the caller.
    pub fn from_crypto(crypto: &Crypto) -> Result<Self, Error> {
        let profile = Profile::from_suite(&crypto.suite)
            .ok_or_else(|| Error::UnsupportedSuite(crypto.suite.to_string()))?;
        let mut encrypt_rtcp = true;
        for param in &crypto.session_params {
            match param {
                SessionParam::Kdr(0) => {}
                SessionParam::UnencryptedSrtcp => encrypt_rtcp = false,
                SessionParam::Kdr(_)
                | SessionParam::UnencryptedSrtp
                | SessionParam::UnauthenticatedSrtp => {
                    return Err(Error::UnsupportedParameter(param.to_string()))
                }
                _ => {}
            }
        }
        let keys = crypto
            .inline_keys()
            .map(|k| MasterKey::from_inline_key(profile, k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(profile, keys)?.with_rtcp_encryption(encrypt_rtcp))
    }
}

/// A fresh master key and salt for `profile` from `random`, with no MKI and no lifetime.
pub fn generate_master_key(profile: Profile, random: &mut dyn Random) -> MasterKey {
    let mut bytes = [0u8; 44];
    let key_len = profile.master_key_len();
    let bytes = &mut bytes[..key_len + profile.master_salt_len()];
    random.fill(bytes);
    MasterKey::new(profile, &bytes[..key_len], &bytes[key_len..])
        .expect("lengths taken from the profile")
}

/// A fresh `inline:` key for `profile` from `random`: base64 of a random master key and salt,
/// with no lifetime and no MKI.
pub fn generate_inline_key(profile: Profile, random: &mut dyn Random) -> InlineKey {
    InlineKey::new(&generate_master_key(profile, random).key_salt())
}

/// An `a=crypto` line with tag `tag`, the suite of `profile` and a fresh inline key from
/// `random`, ready to offer.
pub fn crypto_attribute(tag: u32, profile: Profile, random: &mut dyn Random) -> Crypto {
    Crypto::new(tag, profile.suite(), generate_inline_key(profile, random))
}
