//! The SRTP key derivation function (RFC 3711 §4.3) with a key derivation rate of 0, and the
//! AES counter-mode keystream it and the AES-CM transform share (RFC 3711 §4.1.1).

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::{Aes128Enc, Aes256Enc, Block};

use super::Error;

/// The session key labels of RFC 3711 §4.3.2.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuthentication = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuthentication = 4,
    RtcpSalt = 5,
}

/// The AES pseudo-random function keyed with the master key: AES-128 or, for 256-bit master
/// keys (RFC 6188 §3, RFC 7714 §11), AES-256.
#[derive(Clone)]
pub(crate) enum Prf {
    Aes128(Aes128Enc),
    Aes256(Box<Aes256Enc>),
}

impl std::fmt::Debug for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key schedules.
        f.write_str("Prf")
    }
}

impl Prf {
    pub(crate) fn new(master_key: &[u8]) -> Result<Self, Error> {
        match master_key.len() {
            16 => Ok(Self::Aes128(
                Aes128Enc::new_from_slice(master_key).expect("16-byte key"),
            )),
            32 => Ok(Self::Aes256(Box::new(
                Aes256Enc::new_from_slice(master_key).expect("32-byte key"),
            ))),
            _ => Err(Error::InvalidKey("master key must be 16 or 32 bytes")),
        }
    }

    /// Fills `out` with the session key of `label` (RFC 3711 §4.3.1–§4.3.3). `master_salt` is
    /// 14 bytes, or the 12 bytes of the GCM suites, which RFC 7714 §11 pads with zeros on the
    /// right to the 112 bits the function takes (as libsrtp does).
    pub(crate) fn derive(&self, master_salt: &[u8], label: Label, out: &mut [u8]) {
        let mut x = [0u8; 16];
        x[..master_salt.len()].copy_from_slice(master_salt);
        // key_id = label ‖ (index DIV kdr), 56 bits aligned right of the 112-bit salt; with
        // kdr = 0 the index part is zero and only the label byte remains.
        x[7] ^= label as u8;
        let iv = u128::from_be_bytes(x);
        match self {
            Self::Aes128(aes) => keystream_xor(aes, iv, out, true),
            Self::Aes256(aes) => keystream_xor(aes.as_ref(), iv, out, true),
        }
    }
}

/// Blocks enciphered in one call, so that the AES-NI backend can pipeline them.
const BATCH: usize = 8;

/// XORs `data` with the AES counter-mode keystream starting at counter block `iv` (RFC 3711
/// §4.1.1: the counter is the IV plus the block number). With `overwrite`, `data` is replaced
/// by the keystream instead, which the key derivation uses.
pub(crate) fn keystream_xor<C: BlockCipherEncrypt<BlockSize = aes::cipher::consts::U16>>(
    cipher: &C,
    iv: u128,
    data: &mut [u8],
    overwrite: bool,
) {
    let mut blocks = [Block::default(); BATCH];
    let mut counter = iv;
    for chunk in data.chunks_mut(16 * BATCH) {
        let n = chunk.len().div_ceil(16);
        for block in &mut blocks[..n] {
            *block = Block::from(counter.to_be_bytes());
            counter = counter.wrapping_add(1);
        }
        cipher.encrypt_blocks(&mut blocks[..n]);
        for (bytes, block) in chunk.chunks_mut(16).zip(&blocks[..n]) {
            if overwrite {
                bytes.copy_from_slice(&block[..bytes.len()]);
            } else if let Ok(full) = <&mut [u8; 16]>::try_from(&mut *bytes) {
                // Whole blocks XOR as one 128-bit word.
                let k = u128::from_ne_bytes((*block).into());
                *full = (u128::from_ne_bytes(*full) ^ k).to_ne_bytes();
            } else {
                for (b, k) in bytes.iter_mut().zip(block.iter()) {
                    *b ^= k;
                }
            }
        }
    }
}
