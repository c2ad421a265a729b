//! The per-master-key transforms: session keys derived once (RFC 3711 §4.3, RFC 7714 §11) and
//! the packet operations of AES-CM with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1) and of AES-GCM
//! (RFC 7714 §8, §9). Every operation works in place on the caller's buffer.

use aes::cipher::KeyInit;
use aes::Aes128Enc;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_128_GCM, AES_256_GCM};
use sha1::Sha1;

use super::kdf::{keystream_xor, Label, Prf};
use super::{Error, Profile};

/// The length of the GCM authentication tag (RFC 7714 §7, §14.2: 16 octets).
pub(crate) const GCM_TAG_LEN: usize = 16;

/// The session keys of one master key, ready to use: key schedules expanded and the HMAC
/// inner and outer states keyed once, so that a packet only clones them.
#[derive(Clone)]
pub(crate) enum Transform {
    /// AES-CM with HMAC-SHA1; `rtp_tag_len` is 10 or 4, SRTCP always uses 10.
    CmHmac {
        rtp: Box<CmKeys>,
        rtcp: Box<CmKeys>,
        rtp_tag_len: usize,
    },
    /// AEAD_AES_128_GCM or AEAD_AES_256_GCM.
    Gcm { rtp: GcmKeys, rtcp: GcmKeys },
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print keys.
        f.write_str(match self {
            Self::CmHmac { .. } => "Transform::CmHmac",
            Self::Gcm { .. } => "Transform::Gcm",
        })
    }
}

/// The AES-CM session keys of SRTP or of SRTCP.
#[derive(Clone)]
pub(crate) struct CmKeys {
    aes: Aes128Enc,
    /// The session salt in the high 112 bits, as the IV formula uses it.
    salt: u128,
    mac: Hmac<Sha1>,
}

/// The AES-GCM session key and salt of SRTP or of SRTCP.
#[derive(Clone)]
pub(crate) struct GcmKeys {
    aead: Gcm,
    salt: [u8; 12],
}

/// AES-GCM through ring, whose fused AES-NI/CLMUL code makes one pass over the data where
/// two separate ones (CTR, then GHASH) take about 1.7 times as long on 1200-byte packets.
#[derive(Clone)]
struct Gcm(Box<LessSafeKey>);

/// Packets up to this size are kept on the stack while they are opened, to be put back if
/// their tag is wrong (ring zeroes the buffer then); larger ones, which RTP over UDP hardly
/// sees, are kept on the heap.
const OPEN_BACKUP: usize = 1536;

impl Gcm {
    fn new(key: &[u8]) -> Self {
        let algorithm = if key.len() == 16 {
            &AES_128_GCM
        } else {
            &AES_256_GCM
        };
        Self(Box::new(LessSafeKey::new(
            UnboundKey::new(algorithm, key).expect("a 16- or 32-byte key"),
        )))
    }

    fn encrypt(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; GCM_TAG_LEN] {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), data)
            // Only lengths beyond 2^36 bytes fail, and packets are far shorter.
            .expect("packet within GCM length limits");
        let mut out = [0u8; GCM_TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Opens `data` in place; when the tag is wrong, `data` is left as it was.
    fn decrypt(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), Error> {
        let mut stack = [0u8; OPEN_BACKUP];
        let heap;
        let backup: &[u8] = if data.len() <= OPEN_BACKUP {
            stack[..data.len()].copy_from_slice(data);
            &stack[..data.len()]
        } else {
            heap = data.to_vec();
            &heap
        };
        let opened = self.0.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            Tag::from(*tag),
            data,
            0..,
        );
        if opened.is_err() {
            data.copy_from_slice(backup);
            return Err(Error::AuthenticationFailed);
        }
        Ok(())
    }
}

impl Transform {
    /// Derives the six session keys of a master key and salt (key derivation rate 0).
    pub(crate) fn derive(profile: Profile, master_key: &[u8], master_salt: &[u8]) -> Self {
        let prf = Prf::new(master_key).expect("key length checked by MasterKey");
        if profile.is_gcm() {
            let gcm = |key_label, salt_label| {
                let mut key = [0u8; 32];
                let key = &mut key[..master_key.len()];
                prf.derive(master_salt, key_label, key);
                let mut salt = [0u8; 12];
                prf.derive(master_salt, salt_label, &mut salt);
                GcmKeys::new(key, salt)
            };
            Self::Gcm {
                rtp: gcm(Label::RtpEncryption, Label::RtpSalt),
                rtcp: gcm(Label::RtcpEncryption, Label::RtcpSalt),
            }
        } else {
            let cm = |key_label, auth_label, salt_label| {
                let mut key = [0u8; 16];
                prf.derive(master_salt, key_label, &mut key);
                let mut auth = [0u8; 20];
                prf.derive(master_salt, auth_label, &mut auth);
                let mut salt = [0u8; 14];
                prf.derive(master_salt, salt_label, &mut salt);
                Box::new(CmKeys::new(&key, &auth, &salt))
            };
            Self::CmHmac {
                rtp: cm(
                    Label::RtpEncryption,
                    Label::RtpAuthentication,
                    Label::RtpSalt,
                ),
                rtcp: cm(
                    Label::RtcpEncryption,
                    Label::RtcpAuthentication,
                    Label::RtcpSalt,
                ),
                rtp_tag_len: profile.rtp_tag_len(),
            }
        }
    }

    /// A GCM transform from session keys given directly (the RFC 7714 §16–§17 examples
    /// state session keys, not master keys).
    #[cfg(test)]
    pub(crate) fn gcm_from_session_keys(key: &[u8], salt: [u8; 12]) -> Self {
        Self::Gcm {
            rtp: GcmKeys::new(key, salt),
            rtcp: GcmKeys::new(key, salt),
        }
    }

    /// Protects the RTP packet `packet` whose header is `header_len` bytes, with packet index
    /// `index`, appending the MKI and the tag in the order the transform's RFC gives.
    pub(crate) fn protect_rtp(
        &self,
        packet: &mut Vec<u8>,
        header_len: usize,
        ssrc: u32,
        index: u64,
        mki: &[u8],
    ) {
        match self {
            Self::CmHmac {
                rtp, rtp_tag_len, ..
            } => {
                keystream_xor(
                    &rtp.aes,
                    rtp.iv(ssrc, index),
                    &mut packet[header_len..],
                    false,
                );
                let tag = rtp.rtp_tag(packet, index);
                packet.extend_from_slice(mki);
                packet.extend_from_slice(&tag[..*rtp_tag_len]);
            }
            Self::Gcm { rtp, .. } => {
                let nonce = rtp.rtp_nonce(ssrc, index);
                let (header, payload) = packet.split_at_mut(header_len);
                let tag = rtp.aead.encrypt(&nonce, header, payload);
                packet.extend_from_slice(&tag);
                packet.extend_from_slice(mki);
            }
        }
    }

    /// Checks and decrypts an SRTP packet in place, then removes its MKI and tag. The caller
    /// has checked that the packet holds the header, the MKI and the tag. On failure the
    /// buffer is unchanged.
    pub(crate) fn unprotect_rtp(
        &self,
        packet: &mut Vec<u8>,
        header_len: usize,
        ssrc: u32,
        index: u64,
        mki_len: usize,
    ) -> Result<(), Error> {
        match self {
            Self::CmHmac {
                rtp, rtp_tag_len, ..
            } => {
                let tag_start = packet.len() - rtp_tag_len;
                let end = tag_start - mki_len;
                let tag = rtp.rtp_tag(&packet[..end], index);
                if !ct_eq(&tag[..*rtp_tag_len], &packet[tag_start..]) {
                    return Err(Error::AuthenticationFailed);
                }
                keystream_xor(
                    &rtp.aes,
                    rtp.iv(ssrc, index),
                    &mut packet[header_len..end],
                    false,
                );
                packet.truncate(end);
            }
            Self::Gcm { rtp, .. } => {
                let tag_start = packet.len() - mki_len - GCM_TAG_LEN;
                let mut tag = [0u8; GCM_TAG_LEN];
                tag.copy_from_slice(&packet[tag_start..tag_start + GCM_TAG_LEN]);
                let nonce = rtp.rtp_nonce(ssrc, index);
                let (header, payload) = packet[..tag_start].split_at_mut(header_len);
                rtp.aead.decrypt(&nonce, header, payload, &tag)?;
                packet.truncate(tag_start);
            }
        }
        Ok(())
    }

    /// Protects the RTCP packet `packet` with SRTCP index `index` (31 bits), encrypting it
    /// when `encrypt`, and appends the E flag and index, the MKI and the tag in the order the
    /// transform's RFC gives.
    pub(crate) fn protect_rtcp(
        &self,
        packet: &mut Vec<u8>,
        ssrc: u32,
        index: u32,
        encrypt: bool,
        mki: &[u8],
    ) {
        let word = (u32::from(encrypt) << 31 | index).to_be_bytes();
        match self {
            Self::CmHmac { rtcp, .. } => {
                if encrypt {
                    keystream_xor(
                        &rtcp.aes,
                        rtcp.iv(ssrc, u64::from(index)),
                        &mut packet[8..],
                        false,
                    );
                }
                packet.extend_from_slice(&word);
                let tag = rtcp.tag(packet);
                packet.extend_from_slice(mki);
                packet.extend_from_slice(&tag[..10]);
            }
            Self::Gcm { rtcp, .. } => {
                let nonce = rtcp.rtcp_nonce(ssrc, index);
                let tag = if encrypt {
                    // RFC 7714 §9.2: the AAD is the first 8 octets and the E flag and index.
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&packet[..8]);
                    aad[8..].copy_from_slice(&word);
                    rtcp.aead.encrypt(&nonce, &aad, &mut packet[8..])
                } else {
                    // RFC 7714 §9.3: unencrypted, the whole packet and the E flag and index
                    // are the AAD.
                    packet.extend_from_slice(&word);
                    let tag = rtcp.aead.encrypt(&nonce, packet, &mut []);
                    packet.truncate(packet.len() - 4);
                    tag
                };
                packet.extend_from_slice(&tag);
                packet.extend_from_slice(&word);
                packet.extend_from_slice(mki);
            }
        }
    }

    /// Checks and decrypts an SRTCP packet in place and removes its trailer. `index_pos` is
    /// where the E flag and index word starts; the caller has checked that the packet holds
    /// the 8-octet header and the whole trailer. On failure the buffer is unchanged.
    pub(crate) fn unprotect_rtcp(
        &self,
        packet: &mut Vec<u8>,
        ssrc: u32,
        index_pos: usize,
        mki_len: usize,
    ) -> Result<(), Error> {
        let word = u32::from_be_bytes(
            packet[index_pos..index_pos + 4]
                .try_into()
                .expect("4 bytes"),
        );
        let encrypted = word >> 31 == 1;
        let index = word & 0x7fff_ffff;
        match self {
            Self::CmHmac { rtcp, .. } => {
                let tag_start = index_pos + 4 + mki_len;
                let tag = rtcp.tag(&packet[..index_pos + 4]);
                if !ct_eq(&tag[..10], &packet[tag_start..]) {
                    return Err(Error::AuthenticationFailed);
                }
                if encrypted {
                    keystream_xor(
                        &rtcp.aes,
                        rtcp.iv(ssrc, u64::from(index)),
                        &mut packet[8..index_pos],
                        false,
                    );
                }
                packet.truncate(index_pos);
            }
            Self::Gcm { rtcp, .. } => {
                let tag_start = index_pos - GCM_TAG_LEN;
                let mut tag = [0u8; GCM_TAG_LEN];
                tag.copy_from_slice(&packet[tag_start..index_pos]);
                let nonce = rtcp.rtcp_nonce(ssrc, index);
                if encrypted {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&packet[..8]);
                    aad[8..].copy_from_slice(&word.to_be_bytes());
                    rtcp.aead
                        .decrypt(&nonce, &aad, &mut packet[8..tag_start], &tag)?;
                } else {
                    // The AAD is the packet followed by the word, which sits after the tag:
                    // move the word in front of the tag for the check, and back on failure.
                    packet[tag_start..index_pos + 4].rotate_right(4);
                    let checked =
                        rtcp.aead
                            .decrypt(&nonce, &packet[..tag_start + 4], &mut [], &tag);
                    if checked.is_err() {
                        packet[tag_start..index_pos + 4].rotate_left(4);
                    }
                    checked?;
                }
                packet.truncate(tag_start);
            }
        }
        Ok(())
    }
}

impl CmKeys {
    fn new(key: &[u8; 16], auth: &[u8; 20], salt: &[u8; 14]) -> Self {
        let mut s = [0u8; 16];
        s[..14].copy_from_slice(salt);
        Self {
            aes: Aes128Enc::new_from_slice(key).expect("16-byte key"),
            salt: u128::from_be_bytes(s),
            mac: <Hmac<Sha1> as KeyInit>::new_from_slice(auth).expect("HMAC takes any key"),
        }
    }

    /// IV = (k_s · 2^16) ⊕ (SSRC · 2^64) ⊕ (i · 2^16) (RFC 3711 §4.1.1).
    fn iv(&self, ssrc: u32, index: u64) -> u128 {
        self.salt ^ (u128::from(ssrc) << 64) ^ (u128::from(index & 0xffff_ffff_ffff) << 16)
    }

    /// HMAC-SHA1 over the authenticated portion and the ROC (RFC 3711 §4.2).
    fn rtp_tag(&self, authenticated: &[u8], index: u64) -> [u8; 20] {
        let mut mac = self.mac.clone();
        mac.update(authenticated);
        mac.update(&((index >> 16) as u32).to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA1 over the authenticated portion of an SRTCP packet, which ends with the E
    /// flag and index (RFC 3711 §3.4).
    fn tag(&self, authenticated: &[u8]) -> [u8; 20] {
        let mut mac = self.mac.clone();
        mac.update(authenticated);
        mac.finalize().into_bytes().into()
    }
}

impl GcmKeys {
    fn new(key: &[u8], salt: [u8; 12]) -> Self {
        let aead = Gcm::new(key);
        Self { aead, salt }
    }

    /// IV = (0x0000 ‖ SSRC ‖ ROC ‖ SEQ) ⊕ salt (RFC 7714 §8.1).
    fn rtp_nonce(&self, ssrc: u32, index: u64) -> [u8; 12] {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[6..12].copy_from_slice(&index.to_be_bytes()[2..]);
        xor12(iv, &self.salt)
    }

    /// IV = (0x0000 ‖ SSRC ‖ 0x0000 ‖ 0 ‖ SRTCP index) ⊕ salt (RFC 7714 §9.1).
    fn rtcp_nonce(&self, ssrc: u32, index: u32) -> [u8; 12] {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[8..12].copy_from_slice(&(index & 0x7fff_ffff).to_be_bytes());
        xor12(iv, &self.salt)
    }
}

fn xor12(mut iv: [u8; 12], salt: &[u8; 12]) -> [u8; 12] {
    for (b, s) in iv.iter_mut().zip(salt) {
        *b ^= s;
    }
    iv
}

/// Compares tags in time independent of where they differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
