//! `a=crypto` (RFC 4568, SDP Security Descriptions for SRTP).

use std::fmt;
use std::str::FromStr;

use crate::sdp::error::Fault;
use crate::sdp::text::{self, string_enum};

string_enum! {
    /// The crypto suite of an `a=crypto` line (RFC 4568 §6.2, RFC 6188, RFC 7714).
    pub enum CryptoSuite {
        /// `AES_CM_128_HMAC_SHA1_80` (RFC 4568 §6.2.1).
        AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
        /// `AES_CM_128_HMAC_SHA1_32` (RFC 4568 §6.2.2).
        AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        /// `F8_128_HMAC_SHA1_80` (RFC 4568 §6.2.3).
        F8_128HmacSha1_80 => "F8_128_HMAC_SHA1_80",
        /// `AES_192_CM_HMAC_SHA1_80` (RFC 6188).
        Aes192CmHmacSha1_80 => "AES_192_CM_HMAC_SHA1_80",
        /// `AES_192_CM_HMAC_SHA1_32` (RFC 6188).
        Aes192CmHmacSha1_32 => "AES_192_CM_HMAC_SHA1_32",
        /// `AES_256_CM_HMAC_SHA1_80` (RFC 6188).
        Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
        /// `AES_256_CM_HMAC_SHA1_32` (RFC 6188).
        Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
        /// `AEAD_AES_128_GCM` (RFC 7714).
        AeadAes128Gcm => "AEAD_AES_128_GCM",
        /// `AEAD_AES_256_GCM` (RFC 7714).
        AeadAes256Gcm => "AEAD_AES_256_GCM",
    }
}

impl CryptoSuite {
    /// The master key and master salt lengths in octets that an `inline:` key of this suite
    /// carries (their concatenation is the decoded `key||salt`), if the suite is known.
    #[must_use]
    pub fn key_salt_lengths(&self) -> Option<(usize, usize)> {
        match Self::from_text(self.as_str()) {
            Self::AesCm128HmacSha1_80 | Self::AesCm128HmacSha1_32 | Self::F8_128HmacSha1_80 => {
                Some((16, 14))
            }
            Self::Aes192CmHmacSha1_80 | Self::Aes192CmHmacSha1_32 => Some((24, 14)),
            Self::Aes256CmHmacSha1_80 | Self::Aes256CmHmacSha1_32 => Some((32, 14)),
            Self::AeadAes128Gcm => Some((16, 12)),
            Self::AeadAes256Gcm => Some((32, 12)),
            Self::Other(_) => None,
        }
    }
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §4, §9.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Crypto {
    /// Identifies this line among the offered ones; the answer echoes it (1 to 9 digits).
    pub tag: u32,
    /// The crypto suite.
    pub suite: CryptoSuite,
    /// One or more keys, `;`-separated on the wire.
    pub key_params: Vec<KeyParam>,
    /// Session parameters, space-separated on the wire.
    pub session_params: Vec<SessionParam>,
}

impl Crypto {
    /// A crypto line with one inline key and no session parameters.
    #[must_use]
    pub fn new(tag: u32, suite: CryptoSuite, key: InlineKey) -> Self {
        Self {
            tag,
            suite,
            key_params: vec![KeyParam::Inline(key)],
            session_params: Vec::new(),
        }
    }

    /// The inline keys among the key parameters.
    pub fn inline_keys(&self) -> impl Iterator<Item = &InlineKey> {
        self.key_params.iter().filter_map(|k| match k {
            KeyParam::Inline(key) => Some(key),
            KeyParam::Other { .. } => None,
        })
    }
}

impl FromStr for Crypto {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let tag = it.next().unwrap_or_default();
        if tag.len() > 9 {
            return Err(Fault::OutOfRange("tag"));
        }
        let tag = text::parse_u32(tag, "tag")?;
        let suite = CryptoSuite::from_text(it.next().ok_or(Fault::Missing("crypto-suite"))?);
        let key_params = parse_key_params(it.next().ok_or(Fault::Missing("key-params"))?)?;
        let session_params = it.map(SessionParam::parse).collect::<Result<_, _>>()?;
        Ok(Self {
            tag,
            suite,
            key_params,
            session_params,
        })
    }
}

impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        write_key_params(f, &self.key_params)?;
        for param in &self.session_params {
            write!(f, " {param}")?;
        }
        Ok(())
    }
}

/// Parses `key-param *(";" key-param)`.
fn parse_key_params(s: &str) -> Result<Vec<KeyParam>, Fault> {
    s.split(';').map(str::parse).collect()
}

fn write_key_params(f: &mut fmt::Formatter<'_>, params: &[KeyParam]) -> fmt::Result {
    for (i, param) in params.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        write!(f, "{param}")?;
    }
    Ok(())
}

/// One key parameter `<key-method>:<key-info>` (RFC 4568 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyParam {
    /// `inline:<key||salt>[|<lifetime>][|<MKI>:<length>]` (RFC 4568 §6.1), the only method
    /// defined for SRTP.
    Inline(InlineKey),
    /// Another key method, kept as written.
    Other {
        /// The key method (not `inline`).
        method: String,
        /// Everything after the first `:`.
        info: String,
    },
}

impl FromStr for KeyParam {
    type Err = Fault;

    /// The `inline` method name is matched without regard to ASCII case (an ABNF literal) and
    /// written back in lower case.
    fn from_str(s: &str) -> Result<Self, Fault> {
        let (method, info) = s.split_once(':').ok_or(Fault::Missing("key-info"))?;
        if method.is_empty() {
            return Err(Fault::Missing("key-method"));
        }
        if method.eq_ignore_ascii_case("inline") {
            return info.parse().map(Self::Inline);
        }
        if info.is_empty() {
            return Err(Fault::Missing("key-info"));
        }
        Ok(Self::Other {
            method: method.to_owned(),
            info: info.to_owned(),
        })
    }
}

impl fmt::Display for KeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inline(key) => write!(f, "inline:{key}"),
            Self::Other { method, info } => write!(f, "{method}:{info}"),
        }
    }
}

/// The key info of an `inline:` key (RFC 4568 §6.1): `<key||salt>[|<lifetime>][|<MKI>:<length>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InlineKey {
    /// The base64 encoding of the concatenated master key and salt, as written.
    pub key_salt: String,
    /// The master key lifetime in SRTP packets, when given.
    pub lifetime: Option<Lifetime>,
    /// The master key identifier, when given.
    pub mki: Option<Mki>,
}

impl InlineKey {
    /// An inline key carrying `key_salt` (master key followed by master salt), base64-encoded.
    #[must_use]
    pub fn new(key_salt: &[u8]) -> Self {
        Self {
            key_salt: base64_encode(key_salt),
            lifetime: None,
            mki: None,
        }
    }

    /// The decoded master key followed by the master salt. Parsing already checked that it
    /// decodes, so this is `None` only for a value built by hand with invalid base64.
    #[must_use]
    pub fn key_salt_bytes(&self) -> Option<Vec<u8>> {
        base64_decode(&self.key_salt)
    }
}

impl FromStr for InlineKey {
    type Err = Fault;

    /// A field holding `:` is the MKI, which must come last; another field is the lifetime.
    fn from_str(info: &str) -> Result<Self, Fault> {
        let mut parts = info.split('|');
        let key_salt = parts.next().unwrap_or_default();
        if key_salt.is_empty() {
            return Err(Fault::Missing("key||salt"));
        }
        if base64_decode(key_salt).is_none() {
            return Err(Fault::Invalid("key||salt"));
        }
        let mut key = Self {
            key_salt: key_salt.to_owned(),
            lifetime: None,
            mki: None,
        };
        for part in parts {
            if key.mki.is_some() {
                return Err(Fault::Trailing);
            }
            if let Some((value, length)) = part.split_once(':') {
                let length = text::parse_u8(length, "MKI length")?;
                if !(1..=128).contains(&length) {
                    return Err(Fault::OutOfRange("MKI length"));
                }
                key.mki = Some(Mki {
                    value: text::parse_u64(value, "MKI value")?,
                    length,
                });
            } else if key.lifetime.is_some() {
                return Err(Fault::Duplicate("lifetime"));
            } else {
                key.lifetime = Some(part.parse()?);
            }
        }
        Ok(key)
    }
}

impl fmt::Display for InlineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key_salt)?;
        if let Some(lifetime) = self.lifetime {
            write!(f, "|{lifetime}")?;
        }
        if let Some(mki) = self.mki {
            write!(f, "|{}:{}", mki.value, mki.length)?;
        }
        Ok(())
    }
}

/// A master key lifetime, in SRTP packets, in the form it was written (RFC 4568 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// A decimal packet count, such as `1048576`.
    Packets(u64),
    /// `2^<n>` packets, such as `2^20`.
    PowerOfTwo(u8),
}

impl Lifetime {
    /// The lifetime in packets, `None` if it does not fit in 64 bits.
    #[must_use]
    pub fn packets(self) -> Option<u64> {
        match self {
            Self::Packets(n) => Some(n),
            Self::PowerOfTwo(n) => 1u64.checked_shl(u32::from(n)),
        }
    }
}

impl FromStr for Lifetime {
    type Err = Fault;

    fn from_str(s: &str) -> Result<Self, Fault> {
        match s.strip_prefix("2^") {
            Some(exponent) => text::parse_u8(exponent, "lifetime").map(Self::PowerOfTwo),
            None => text::parse_u64(s, "lifetime").map(Self::Packets),
        }
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Packets(n) => write!(f, "{n}"),
            Self::PowerOfTwo(n) => write!(f, "2^{n}"),
        }
    }
}

/// A master key identifier `<MKI value>:<MKI length>` (RFC 4568 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mki {
    /// The MKI value, a decimal integer.
    pub value: u64,
    /// The length in octets of the MKI field in SRTP packets, 1 to 128.
    pub length: u8,
}

/// A session parameter of `a=crypto` (RFC 4568 §6.3). Names are matched without regard to
/// ASCII case and written back in upper case; a known name with a bad value makes the whole
/// attribute malformed, an unknown one is kept as [`SessionParam::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SessionParam {
    /// `KDR=<n>`: key derivation rate 2^n, n from 0 to 24 (§6.3.1).
    Kdr(u8),
    /// `UNENCRYPTED_SRTP` (§6.3.2).
    UnencryptedSrtp,
    /// `UNENCRYPTED_SRTCP` (§6.3.2).
    UnencryptedSrtcp,
    /// `UNAUTHENTICATED_SRTP` (§6.3.3).
    UnauthenticatedSrtp,
    /// `FEC_ORDER=<order>` (§6.3.4).
    FecOrder(FecOrder),
    /// `FEC_KEY=<key-params>`: keys for the FEC stream (§6.3.5).
    FecKey(Vec<KeyParam>),
    /// `WSH=<n>`: window size hint, at least 64 (§6.3.6).
    Wsh(u32),
    /// A parameter of another name, kept as written.
    Other(String),
}

impl SessionParam {
    fn parse(s: &str) -> Result<Self, Fault> {
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (s, None),
        };
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        Ok(match value {
            None if is("UNENCRYPTED_SRTP") => Self::UnencryptedSrtp,
            None if is("UNENCRYPTED_SRTCP") => Self::UnencryptedSrtcp,
            None if is("UNAUTHENTICATED_SRTP") => Self::UnauthenticatedSrtp,
            Some(v) if is("KDR") => {
                let kdr = text::parse_u8(v, "KDR")?;
                if kdr > 24 {
                    return Err(Fault::OutOfRange("KDR"));
                }
                Self::Kdr(kdr)
            }
            Some(v) if is("FEC_ORDER") => Self::FecOrder(if v.eq_ignore_ascii_case("FEC_SRTP") {
                FecOrder::FecSrtp
            } else if v.eq_ignore_ascii_case("SRTP_FEC") {
                FecOrder::SrtpFec
            } else {
                return Err(Fault::Invalid("FEC_ORDER"));
            }),
            Some(v) if is("FEC_KEY") => Self::FecKey(parse_key_params(v)?),
            Some(v) if is("WSH") => {
                let wsh = text::parse_u32(v, "WSH")?;
                if wsh < 64 {
                    return Err(Fault::OutOfRange("WSH"));
                }
                Self::Wsh(wsh)
            }
            _ if [
                "UNENCRYPTED_SRTP",
                "UNENCRYPTED_SRTCP",
                "UNAUTHENTICATED_SRTP",
            ]
            .into_iter()
            .any(is) =>
            {
                return Err(Fault::UnexpectedValue)
            }
            _ if ["KDR", "FEC_ORDER", "FEC_KEY", "WSH"].into_iter().any(is) => {
                return Err(Fault::MissingValue)
            }
            _ => Self::Other(s.to_owned()),
        })
    }
}

impl fmt::Display for SessionParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kdr(n) => write!(f, "KDR={n}"),
            Self::UnencryptedSrtp => f.write_str("UNENCRYPTED_SRTP"),
            Self::UnencryptedSrtcp => f.write_str("UNENCRYPTED_SRTCP"),
            Self::UnauthenticatedSrtp => f.write_str("UNAUTHENTICATED_SRTP"),
            Self::FecOrder(order) => write!(f, "FEC_ORDER={order}"),
            Self::FecKey(keys) => {
                f.write_str("FEC_KEY=")?;
                write_key_params(f, keys)
            }
            Self::Wsh(n) => write!(f, "WSH={n}"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// The order of FEC and SRTP processing (RFC 4568 §6.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FecOrder {
    /// `FEC_SRTP`: FEC is applied before SRTP processing by the sender.
    FecSrtp,
    /// `SRTP_FEC`: FEC is applied after SRTP processing by the sender (the default).
    SrtpFec,
}

impl fmt::Display for FecOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FecSrtp => "FEC_SRTP",
            Self::SrtpFec => "SRTP_FEC",
        })
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding (RFC 4648 §4).
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; padding is optional but, when present, must complete the last
/// quantum. `None` on any other character or an impossible length.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let data = s.trim_end_matches('=');
    let padding = s.len() - data.len();
    if padding > 2 || (padding > 0 && s.len() % 4 != 0) || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in data.bytes() {
        let v = BASE64.iter().position(|&c| c == b)?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc4568_s4_example() {
        let c: Crypto =
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32"
                .parse()
                .unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.suite, CryptoSuite::AesCm128HmacSha1_80);
        let key = c.inline_keys().next().unwrap();
        assert_eq!(key.lifetime, Some(Lifetime::PowerOfTwo(20)));
        assert_eq!(key.lifetime.unwrap().packets(), Some(1 << 20));
        assert_eq!(
            key.mki,
            Some(Mki {
                value: 1,
                length: 32
            })
        );
        assert_eq!(key.key_salt_bytes().unwrap().len(), 30);
    }

    #[test]
    fn session_params() {
        let text = [
            "2 F8_128_HMAC_SHA1_80",
            "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;\
             inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4",
            "FEC_ORDER=FEC_SRTP kdr=3 UNENCRYPTED_SRTCP WSH=128",
            "FEC_KEY=inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5 X-FOO=bar",
        ]
        .join(" ");
        let c: Crypto = text.parse().unwrap();
        assert_eq!(c.key_params.len(), 2);
        assert_eq!(
            c.session_params[..4],
            [
                SessionParam::FecOrder(FecOrder::FecSrtp),
                SessionParam::Kdr(3),
                SessionParam::UnencryptedSrtcp,
                SessionParam::Wsh(128)
            ]
        );
        assert!(matches!(&c.session_params[4], SessionParam::FecKey(k) if k.len() == 1));
        assert_eq!(c.session_params[5], SessionParam::Other("X-FOO=bar".into()));
        let text = c.to_string();
        assert!(text.contains(" KDR=3 "), "{text}");
        assert_eq!(text.parse::<Crypto>().unwrap(), c);
    }

    #[test]
    fn rejects_bad_keys_and_params() {
        let bad = [
            ("1 AES_CM_128_HMAC_SHA1_80", Fault::Missing("key-params")),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:",
                Fault::Missing("key||salt"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:a!b",
                Fault::Invalid("key||salt"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD|1:0",
                Fault::OutOfRange("MKI length"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD|1:4|5",
                Fault::Trailing,
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD|5|6",
                Fault::Duplicate("lifetime"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD KDR=25",
                Fault::OutOfRange("KDR"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD WSH=10",
                Fault::OutOfRange("WSH"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD KDR",
                Fault::MissingValue,
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD UNENCRYPTED_SRTP=1",
                Fault::UnexpectedValue,
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD FEC_ORDER=X",
                Fault::Invalid("FEC_ORDER"),
            ),
            (
                "1234567890 AES_CM_128_HMAC_SHA1_80 inline:QUJD",
                Fault::OutOfRange("tag"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD;",
                Fault::Missing("key-info"),
            ),
            ("1 AES_CM_128_HMAC_SHA1_80 :x", Fault::Missing("key-method")),
        ];
        for (text, fault) in bad {
            assert_eq!(text.parse::<Crypto>(), Err(fault), "{text}");
        }
    }

    #[test]
    fn base64_round_trips() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(len))
                .collect();
            let encoded = base64_encode(&bytes);
            assert_eq!(base64_decode(&encoded), Some(bytes.clone()), "{encoded}");
            assert_eq!(base64_decode(encoded.trim_end_matches('=')), Some(bytes));
        }
        assert_eq!(base64_decode("QUJD"), Some(b"ABC".to_vec()));
        assert_eq!(base64_decode("QUJDR"), None);
        assert_eq!(base64_decode("QU=D"), None);
        assert_eq!(base64_decode("QUI==="), None);
        assert_eq!(base64_decode("QUI="), Some(b"AB".to_vec()));
    }
}
