//! SRTP and SRTCP (RFC 3711, RFC 7714) with keys from SDP security descriptions (RFC 4568).
//!
//! An [`SrtpContext`] protects the packets one side sends, or unprotects the packets it
//! receives: a call keeps one of each, keyed with the local and the remote `a=crypto` key.
//! The context holds the master keys, derives their session keys once, and keeps per-SSRC
//! state (rollover counter, SRTCP index, replay windows) created lazily, up to a bound.
//!
//! Supported profiles ([`Profile`]): `AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`,
//! `AEAD_AES_128_GCM` and `AEAD_AES_256_GCM`, with a key derivation rate of 0, optional MKIs
//! (the receiver picks the master key by MKI) and master key lifetimes.
//!
//! Packets are processed in place in the caller's `Vec<u8>`: protecting appends the trailer
//! (at most [`Profile::max_overhead`] bytes, so a buffer with that much spare capacity is
//! never reallocated), unprotecting checks the tag before anything is decrypted and then
//! truncates. Nothing is allocated per packet once a stream exists.
//!
//! ```
//! use sipsimple_proto::srtp::{MasterKey, Profile, SrtpContext};
//!
//! let profile = Profile::AesCm128HmacSha1_80;
//! let key = MasterKey::new(profile, &[7; 16], &[9; 14]).unwrap();
//! let mut sender = SrtpContext::new(profile, vec![key.clone()]).unwrap();
//! let mut receiver = SrtpContext::new(profile, vec![key]).unwrap();
//!
//! let rtp = [0x80, 0, 0, 1, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4];
//! let mut packet = Vec::with_capacity(rtp.len() + profile.max_overhead());
//! packet.extend_from_slice(&rtp);
//! sender.protect_rtp(&mut packet).unwrap();
//! assert_eq!(packet.len(), rtp.len() + 10);
//! receiver.unprotect_rtp(&mut packet).unwrap();
//! assert_eq!(packet, rtp);
//! ```

mod cipher;
mod error;
mod kdf;
mod replay;
mod sdes;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub use self::error::Error;
pub use self::replay::REPLAY_WINDOW;
pub use self::sdes::{crypto_attribute, generate_inline_key, generate_master_key};

use self::cipher::{Transform, GCM_TAG_LEN};
use self::replay::{estimate_index, ReplayWindow};
use crate::sdp::CryptoSuite;

/// The most SRTP packets one master key may protect (RFC 3711 §9.2).
pub const SRTP_MAX_PACKETS: u64 = 1 << 48;
/// The most SRTCP packets one master key may protect (RFC 3711 §9.2).
pub const SRTCP_MAX_PACKETS: u64 = 1 << 31;
/// The longest MKI accepted, in bytes (RFC 4568 §6.1 allows 1 to 128).
pub const MAX_MKI_LEN: usize = 128;
/// How many SSRCs a context keeps state for unless told otherwise.
pub const DEFAULT_MAX_STREAMS: usize = 64;

/// An SRTP protection profile: the cipher, the authentication and their lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// AES-128 counter mode with an 80-bit HMAC-SHA1 tag (RFC 3711, RFC 4568 §6.2.1).
    AesCm128HmacSha1_80,
    /// AES-128 counter mode with a 32-bit HMAC-SHA1 tag on SRTP and an 80-bit one on SRTCP
    /// (RFC 4568 §6.2.2).
    AesCm128HmacSha1_32,
    /// AES-128 in Galois/counter mode with a 16-octet tag (RFC 7714).
    AeadAes128Gcm,
    /// AES-256 in Galois/counter mode with a 16-octet tag (RFC 7714).
    AeadAes256Gcm,
}

impl Profile {
    /// Every supported profile, strongest first, as an offer would list them.
    pub const ALL: [Self; 4] = [
        Self::AeadAes256Gcm,
        Self::AeadAes128Gcm,
        Self::AesCm128HmacSha1_80,
        Self::AesCm128HmacSha1_32,
    ];

    /// The profile of an `a=crypto` suite, `None` for a suite this module does not implement.
    #[must_use]
    pub fn from_suite(suite: &CryptoSuite) -> Option<Self> {
        match suite {
            CryptoSuite::AesCm128HmacSha1_80 => Some(Self::AesCm128HmacSha1_80),
            CryptoSuite::AesCm128HmacSha1_32 => Some(Self::AesCm128HmacSha1_32),
            CryptoSuite::AeadAes128Gcm => Some(Self::AeadAes128Gcm),
            CryptoSuite::AeadAes256Gcm => Some(Self::AeadAes256Gcm),
            _ => None,
        }
    }

    /// The `a=crypto` suite name of this profile.
    #[must_use]
    pub fn suite(self) -> CryptoSuite {
        match self {
            Self::AesCm128HmacSha1_80 => CryptoSuite::AesCm128HmacSha1_80,
            Self::AesCm128HmacSha1_32 => CryptoSuite::AesCm128HmacSha1_32,
            Self::AeadAes128Gcm => CryptoSuite::AeadAes128Gcm,
            Self::AeadAes256Gcm => CryptoSuite::AeadAes256Gcm,
        }
    }

    /// The master key length in bytes.
    #[must_use]
    pub fn master_key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// The master salt length in bytes: 14 for AES-CM, 12 for GCM (RFC 7714 §11).
    #[must_use]
    pub fn master_salt_len(self) -> usize {
        if self.is_gcm() {
            12
        } else {
            14
        }
    }

    /// The authentication tag length of SRTP packets in bytes.
    #[must_use]
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 => 10,
            Self::AesCm128HmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => GCM_TAG_LEN,
        }
    }

    /// The authentication tag length of SRTCP packets in bytes (80 bits for both AES-CM
    /// profiles).
    #[must_use]
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_gcm() {
            GCM_TAG_LEN
        } else {
            10
        }
    }

    /// The most bytes protecting a packet appends with an MKI of `mki_len` bytes: tag, MKI
    /// and, for SRTCP, the E flag and index.
    #[must_use]
    pub fn overhead(self, mki_len: usize) -> usize {
        self.rtp_tag_len().max(self.rtcp_tag_len()) + 4 + mki_len
    }

    /// [`overhead`](Self::overhead) with the longest MKI allowed: spare capacity that makes
    /// protecting never reallocate.
    #[must_use]
    pub fn max_overhead(self) -> usize {
        self.overhead(MAX_MKI_LEN)
    }

    fn is_gcm(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }
}

/// A master key and salt with its optional MKI and lifetime: the keying material of one
/// `inline:` key of `a=crypto`.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    profile: Profile,
    key: Vec<u8>,
    salt: Vec<u8>,
    mki: Vec<u8>,
    lifetime: Option<u64>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key and salt are secrets: logs get their lengths only.
        f.debug_struct("MasterKey")
            .field("profile", &self.profile)
            .field("key_len", &self.key.len())
            .field("mki", &self.mki)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl MasterKey {
    /// A master key for `profile`; `key` and `salt` must have the profile's lengths.
    pub fn new(profile: Profile, key: &[u8], salt: &[u8]) -> Result<Self, Error> {
        if key.len() != profile.master_key_len() {
            return Err(Error::InvalidKey(
                "master key length does not fit the profile",
            ));
        }
        if salt.len() != profile.master_salt_len() {
            return Err(Error::InvalidKey(
                "master salt length does not fit the profile",
            ));
        }
        Ok(Self {
            profile,
            key: key.to_vec(),
            salt: salt.to_vec(),
            mki: Vec::new(),
            lifetime: None,
        })
    }

    /// The same key with the MKI `mki` (1 to [`MAX_MKI_LEN`] bytes) that packets carry
    /// (RFC 3711 §3.1).
    pub fn with_mki(mut self, mki: &[u8]) -> Result<Self, Error> {
        if mki.is_empty() || mki.len() > MAX_MKI_LEN {
            return Err(Error::InvalidKey("MKI must be 1 to 128 bytes"));
        }
        self.mki = mki.to_vec();
        Ok(self)
    }

    /// The same key with a lifetime of `packets` packets (RFC 4568 §6.1); SRTP and SRTCP
    /// are counted apart, each also capped by [`SRTP_MAX_PACKETS`] or [`SRTCP_MAX_PACKETS`].
    #[must_use]
    pub fn with_lifetime(mut self, packets: u64) -> Self {
        self.lifetime = Some(packets);
        self
    }

    /// The profile this key is for.
    #[must_use]
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The MKI, empty when packets carry none.
    #[must_use]
    pub fn mki(&self) -> &[u8] {
        &self.mki
    }

    /// The lifetime given, in packets.
    #[must_use]
    pub fn lifetime(&self) -> Option<u64> {
        self.lifetime
    }

    /// The master key followed by the master salt, as `inline:` carries them.
    #[must_use]
    pub fn key_salt(&self) -> Vec<u8> {
        [self.key.as_slice(), &self.salt].concat()
    }
}

/// Counters of one context, for diagnostics and statistics notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// SRTP packets protected.
    pub rtp_protected: u64,
    /// SRTP packets unprotected.
    pub rtp_unprotected: u64,
    /// SRTCP packets protected.
    pub rtcp_protected: u64,
    /// SRTCP packets unprotected.
    pub rtcp_unprotected: u64,
    /// Packets whose tag did not match ([`Error::AuthenticationFailed`]).
    pub auth_failures: u64,
    /// Packets already received ([`Error::Duplicate`]).
    pub replay_duplicates: u64,
    /// Packets behind the replay window ([`Error::TooOld`]).
    pub replay_too_old: u64,
    /// Packets too short for their headers and trailer ([`Error::Truncated`]).
    pub truncated: u64,
    /// Packets whose version was not 2 ([`Error::BadVersion`]).
    pub bad_version: u64,
    /// Packets refused because their master key expired ([`Error::KeyExpired`]).
    pub key_expired: u64,
    /// Packets whose MKI named no key ([`Error::UnknownMki`]).
    pub unknown_mki: u64,
    /// Packets of a new SSRC refused at the stream limit ([`Error::StreamLimit`]).
    pub stream_limit: u64,
}

impl Stats {
    /// Counts one packet operation: `done` on success, the error's counter on failure.
    fn tally(&mut self, result: &Result<(), Error>, done: impl FnOnce(&mut Self)) {
        match result {
            Ok(()) => done(self),
            Err(e) => self.count(e),
        }
    }

    fn count(&mut self, error: &Error) {
        let counter = match error {
            Error::AuthenticationFailed => &mut self.auth_failures,
            Error::Duplicate { .. } => &mut self.replay_duplicates,
            Error::TooOld { .. } => &mut self.replay_too_old,
            Error::Truncated { .. } => &mut self.truncated,
            Error::BadVersion(_) => &mut self.bad_version,
            Error::KeyExpired { .. } => &mut self.key_expired,
            Error::UnknownMki => &mut self.unknown_mki,
            Error::StreamLimit { .. } => &mut self.stream_limit,
            _ => return,
        };
        *counter += 1;
    }
}

/// One master key with its derived session keys and usage counts.
#[derive(Debug, Clone)]
struct KeyState {
    mki: Vec<u8>,
    transform: Transform,
    rtp_lifetime: u64,
    rtcp_lifetime: u64,
    rtp_used: u64,
    rtcp_used: u64,
}

impl KeyState {
    fn use_rtp(&mut self) -> Result<(), Error> {
        if self.rtp_used >= self.rtp_lifetime {
            return Err(Error::KeyExpired {
                lifetime: self.rtp_lifetime,
            });
        }
        Ok(())
    }

    fn use_rtcp(&mut self) -> Result<(), Error> {
        if self.rtcp_used >= self.rtcp_lifetime {
            return Err(Error::KeyExpired {
                lifetime: self.rtcp_lifetime,
            });
        }
        Ok(())
    }
}

/// The state of one SSRC in one direction.
#[derive(Debug, Clone, Copy, Default)]
struct Stream {
    /// Sending: the SRTP indices protected, so that none is protected twice (which would
    /// reuse keystream, RFC 3711 §9.1).
    rtp_sent: Option<ReplayWindow>,
    /// Sending: the last SRTCP index used.
    rtcp_sent: u32,
    /// Receiving: the SRTP replay window.
    rtp_window: Option<ReplayWindow>,
    /// Receiving: the SRTCP replay window.
    rtcp_window: Option<ReplayWindow>,
}

/// SSRCs are random 32-bit values, so a multiplicative mix hashes them well enough, and far
/// faster than SipHash. Only authenticated SSRCs get an entry, and their number is bounded.
#[derive(Default)]
struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) ^ self.0).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Streams = HashMap<u32, Stream, BuildHasherDefault<SsrcHasher>>;

/// The SRTP and SRTCP state of one direction: master keys, their session keys, and per-SSRC
/// streams (RFC 3711 §3.2).
///
/// Use one context to protect what is sent and another to unprotect what is received. Every
/// method works on the caller's buffer and returns a typed [`Error`] for a packet it refuses,
/// which it also counts in [`stats`](Self::stats); no input makes it panic.
///
/// - Sending uses the active key (the first one given, or the one chosen with
///   [`set_active_key`](Self::set_active_key)) and appends its MKI when keys have MKIs.
/// - Receiving picks the key by the packet's MKI; without MKIs there is one key.
/// - A stream is created on the first packet of an SSRC that is protected or that
///   authenticates, up to [`with_max_streams`](Self::with_max_streams) of them;
///   [`remove_stream`](Self::remove_stream) forgets one (for example after an RTCP BYE).
/// - Sending refuses an SRTP index it already protected, or one more than
///   [`REPLAY_WINDOW`] behind the newest, as libsrtp does: the same index protected twice
///   would reuse keystream.
/// - SRTCP indices start at 1 and count up, as libsrtp sends them.
#[derive(Debug)]
pub struct SrtpContext {
    profile: Profile,
    keys: Vec<KeyState>,
    active: usize,
    mki_len: usize,
    streams: Streams,
    max_streams: usize,
    encrypt_rtcp: bool,
    stats: Stats,
}

impl SrtpContext {
    /// A context of `profile` with `keys` (at least one). With more than one key, every key
    /// needs an MKI, all of one length and all different; with one key the MKI is optional.
    pub fn new(profile: Profile, keys: Vec<MasterKey>) -> Result<Self, Error> {
        let first = keys.first().ok_or(Error::InvalidKey("no master key"))?;
        let mki_len = first.mki.len();
        if keys.len() > 1 && mki_len == 0 {
            return Err(Error::InvalidKey("several master keys need MKIs"));
        }
        let mut states = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            if key.profile != profile {
                return Err(Error::InvalidKey("master key of another profile"));
            }
            if key.mki.len() != mki_len {
                return Err(Error::InvalidKey("MKIs of different lengths"));
            }
            if keys[..i].iter().any(|k| k.mki == key.mki) {
                return Err(Error::InvalidKey("two master keys with the same MKI"));
            }
            let lifetime = key.lifetime.unwrap_or(u64::MAX);
            if lifetime == 0 {
                return Err(Error::InvalidKey("master key lifetime of 0 packets"));
            }
            states.push(KeyState {
                mki: key.mki.clone(),
                transform: Transform::derive(profile, &key.key, &key.salt),
                rtp_lifetime: lifetime.min(SRTP_MAX_PACKETS),
                rtcp_lifetime: lifetime.min(SRTCP_MAX_PACKETS),
                rtp_used: 0,
                rtcp_used: 0,
            });
        }
        Ok(Self {
            profile,
            keys: states,
            active: 0,
            mki_len,
            streams: Streams::default(),
            max_streams: DEFAULT_MAX_STREAMS,
            encrypt_rtcp: true,
            stats: Stats::default(),
        })
    }

    /// The same context keeping state for at most `max` SSRCs (at least 1).
    #[must_use]
    pub fn with_max_streams(mut self, max: usize) -> Self {
        self.max_streams = max.max(1);
        self
    }

    /// The same context sending SRTCP encrypted (the default) or only authenticated, with
    /// the E flag clear (RFC 3711 §3.4; `UNENCRYPTED_SRTCP` of RFC 4568 §6.3.2). Receiving
    /// follows each packet's E flag either way.
    #[must_use]
    pub fn with_rtcp_encryption(mut self, encrypt: bool) -> Self {
        self.encrypt_rtcp = encrypt;
        self
    }

    /// The profile in use.
    #[must_use]
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The counters of packets processed and refused.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// How many SSRCs the context keeps state for.
    #[must_use]
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Forgets the state of `ssrc`; returns whether it had any.
    pub fn remove_stream(&mut self, ssrc: u32) -> bool {
        self.streams.remove(&ssrc).is_some()
    }

    /// Makes the key with MKI `mki` the one that protects from now on.
    pub fn set_active_key(&mut self, mki: &[u8]) -> Result<(), Error> {
        self.active = self
            .keys
            .iter()
            .position(|k| k.mki == mki)
            .ok_or(Error::UnknownMki)?;
        Ok(())
    }

    /// Protects the RTP packet in `packet` in place: encrypts its payload and appends the
    /// MKI and tag (RFC 3711 §3.3, RFC 7714 §8). The ROC follows the sequence numbers.
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let result = self.protect_rtp_inner(packet);
        self.stats.tally(&result, |s| s.rtp_protected += 1);
        result
    }

    /// Unprotects the SRTP packet in `packet` in place: checks its index against the replay
    /// window and its tag, decrypts the payload and removes MKI and tag (RFC 3711 §3.3). On
    /// error the packet is left as it was.
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let result = self.unprotect_rtp_inner(packet);
        self.stats.tally(&result, |s| s.rtp_unprotected += 1);
        result
    }

    /// Protects the RTCP (compound) packet in `packet` in place: encrypts everything after the
    /// first 8 octets unless RTCP encryption is off, and appends the E flag and SRTCP index,
    /// the MKI and the tag (RFC 3711 §3.4, RFC 7714 §9).
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let result = self.protect_rtcp_inner(packet);
        self.stats.tally(&result, |s| s.rtcp_protected += 1);
        result
    }

    /// Unprotects the SRTCP packet in `packet` in place: checks its index against the SRTCP
    /// replay window and its tag, decrypts it when the E flag is set and removes the
    /// trailer. On error the packet is left as it was.
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let result = self.unprotect_rtcp_inner(packet);
        self.stats.tally(&result, |s| s.rtcp_unprotected += 1);
        result
    }

    fn protect_rtp_inner(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let header_len = rtp_header_len(packet, 0)?;
        let (seq, ssrc) = rtp_seq_ssrc(packet);
        let key = &mut self.keys[self.active];
        key.use_rtp()?;
        let stream = stream_for_sending(&mut self.streams, ssrc, self.max_streams)?;
        let index = match &stream.rtp_sent {
            None => u64::from(seq),
            Some(w) => {
                let index = estimate_index(w.newest(), seq).ok_or(Error::TooOld {
                    index: u64::from(seq),
                    newest: w.newest(),
                })?;
                w.check(index)?;
                index
            }
        };
        if index >= SRTP_MAX_PACKETS {
            return Err(Error::KeyExpired {
                lifetime: SRTP_MAX_PACKETS,
            });
        }
        match &mut stream.rtp_sent {
            Some(w) => w.accept(index),
            None => stream.rtp_sent = Some(ReplayWindow::new(index)),
        }
        key.rtp_used += 1;
        key.transform
            .protect_rtp(packet, header_len, ssrc, index, &key.mki);
        Ok(())
    }

    fn unprotect_rtp_inner(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let trailer = self.profile.rtp_tag_len() + self.mki_len;
        let header_len = rtp_header_len(packet, trailer)?;
        let (seq, ssrc) = rtp_seq_ssrc(packet);
        let mki_start = if self.profile.is_gcm() {
            packet.len() - self.mki_len
        } else {
            packet.len() - trailer
        };
        let key = select_key(&mut self.keys, &packet[mki_start..mki_start + self.mki_len])?;
        key.use_rtp()?;
        let window = match self.streams.get(&ssrc) {
            Some(stream) => stream.rtp_window,
            None if self.streams.len() >= self.max_streams => {
                return Err(Error::StreamLimit {
                    limit: self.max_streams,
                })
            }
            None => None,
        };
        let index = match &window {
            None => u64::from(seq),
            Some(w) => {
                let index = estimate_index(w.newest(), seq).ok_or(Error::TooOld {
                    index: u64::from(seq),
                    newest: w.newest(),
                })?;
                w.check(index)?;
                index
            }
        };
        key.transform
            .unprotect_rtp(packet, header_len, ssrc, index, self.mki_len)?;
        key.rtp_used += 1;
        let stream = self.streams.entry(ssrc).or_default();
        match &mut stream.rtp_window {
            Some(w) => w.accept(index),
            None => stream.rtp_window = Some(ReplayWindow::new(index)),
        }
        Ok(())
    }

    fn protect_rtcp_inner(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        check_rtcp_header(packet, 0)?;
        let ssrc = rtcp_ssrc(packet);
        let key = &mut self.keys[self.active];
        key.use_rtcp()?;
        let stream = stream_for_sending(&mut self.streams, ssrc, self.max_streams)?;
        let index = stream.rtcp_sent + 1;
        if u64::from(index) >= SRTCP_MAX_PACKETS {
            return Err(Error::KeyExpired {
                lifetime: SRTCP_MAX_PACKETS,
            });
        }
        stream.rtcp_sent = index;
        key.rtcp_used += 1;
        key.transform
            .protect_rtcp(packet, ssrc, index, self.encrypt_rtcp, &key.mki);
        Ok(())
    }

    fn unprotect_rtcp_inner(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let tag_len = self.profile.rtcp_tag_len();
        check_rtcp_header(packet, 4 + tag_len + self.mki_len)?;
        let ssrc = rtcp_ssrc(packet);
        let len = packet.len();
        let (index_pos, mki_start) = if self.profile.is_gcm() {
            (len - self.mki_len - 4, len - self.mki_len)
        } else {
            (
                len - tag_len - self.mki_len - 4,
                len - tag_len - self.mki_len,
            )
        };
        let index = u64::from(
            u32::from_be_bytes(
                packet[index_pos..index_pos + 4]
                    .try_into()
                    .expect("4 bytes"),
            ) & 0x7fff_ffff,
        );
        let key = select_key(&mut self.keys, &packet[mki_start..mki_start + self.mki_len])?;
        key.use_rtcp()?;
        match self.streams.get(&ssrc) {
            Some(stream) => {
                if let Some(w) = &stream.rtcp_window {
                    w.check(index)?;
                }
            }
            None if self.streams.len() >= self.max_streams => {
                return Err(Error::StreamLimit {
                    limit: self.max_streams,
                })
            }
            None => {}
        }
        key.transform
            .unprotect_rtcp(packet, ssrc, index_pos, self.mki_len)?;
        key.rtcp_used += 1;
        let stream = self.streams.entry(ssrc).or_default();
        match &mut stream.rtcp_window {
            Some(w) => w.accept(index),
            None => stream.rtcp_window = Some(ReplayWindow::new(index)),
        }
        Ok(())
    }
}

fn stream_for_sending(
    streams: &mut Streams,
    ssrc: u32,
    max_streams: usize,
) -> Result<&mut Stream, Error> {
    if !streams.contains_key(&ssrc) && streams.len() >= max_streams {
        return Err(Error::StreamLimit { limit: max_streams });
    }
    Ok(streams.entry(ssrc).or_default())
}

fn select_key<'a>(keys: &'a mut [KeyState], mki: &[u8]) -> Result<&'a mut KeyState, Error> {
    if keys.len() == 1 {
        let key = &mut keys[0];
        return if key.mki == mki {
            Ok(key)
        } else {
            Err(Error::UnknownMki)
        };
    }
    keys.iter_mut()
        .find(|k| k.mki == mki)
        .ok_or(Error::UnknownMki)
}

/// The length of the RTP header of `packet` with its CSRCs and header extension (RFC 3550
/// §5.1, §5.3.1), checking that `trailer` more bytes follow it.
fn rtp_header_len(packet: &[u8], trailer: usize) -> Result<usize, Error> {
    let truncated = |needed| Error::Truncated {
        len: packet.len(),
        needed,
    };
    if packet.len() < 12 + trailer {
        return Err(truncated(12 + trailer));
    }
    let version = packet[0] >> 6;
    if version != 2 {
        return Err(Error::BadVersion(version));
    }
    let mut len = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        if packet.len() < len + 4 + trailer {
            return Err(truncated(len + 4 + trailer));
        }
        let words = u16::from_be_bytes([packet[len + 2], packet[len + 3]]);
        len += 4 + 4 * usize::from(words);
    }
    if packet.len() < len + trailer {
        return Err(truncated(len + trailer));
    }
    Ok(len)
}

/// The sequence number and SSRC of an RTP packet at least 12 bytes long.
fn rtp_seq_ssrc(packet: &[u8]) -> (u16, u32) {
    (
        u16::from_be_bytes([packet[2], packet[3]]),
        u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
    )
}

/// Checks the version of an RTCP packet and that its first 8 octets (header and sender SSRC)
/// and `trailer` more bytes are there (RFC 3550 §6.4).
fn check_rtcp_header(packet: &[u8], trailer: usize) -> Result<(), Error> {
    if packet.len() < 8 + trailer {
        return Err(Error::Truncated {
            len: packet.len(),
            needed: 8 + trailer,
        });
    }
    let version = packet[0] >> 6;
    if version != 2 {
        return Err(Error::BadVersion(version));
    }
    Ok(())
}

/// The SSRC of the first RTCP packet of a compound packet at least 8 bytes long.
fn rtcp_ssrc(packet: &[u8]) -> u32 {
    u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]])
}

#[cfg(test)]
impl SrtpContext {
    /// A context over a transform built by hand (for examples that state session keys).
    fn from_transform(profile: Profile, transform: Transform) -> Self {
        Self {
            profile,
            keys: vec![KeyState {
                mki: Vec::new(),
                transform,
                rtp_lifetime: SRTP_MAX_PACKETS,
                rtcp_lifetime: SRTCP_MAX_PACKETS,
                rtp_used: 0,
                rtcp_used: 0,
            }],
            active: 0,
            mki_len: 0,
            streams: Streams::default(),
            max_streams: DEFAULT_MAX_STREAMS,
            encrypt_rtcp: true,
            stats: Stats::default(),
        }
    }
}
