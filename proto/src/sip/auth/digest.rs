//! The digest computations of RFC 7616 §3.4 (RFC 2617 §3.2.2, RFC 3261 §22.4, RFC 8760 §2):
//! algorithms, quality of protection, `H`, `HA1`, `HA2`, `response` and `userhash`.
//!
//! Every function returns lower-case hexadecimal, the form the `response` and `username`
//! parameters carry (RFC 7616 §3.4.1).

use std::fmt;

use md5::Md5;
use sha2::digest::Digest;
use sha2::{Sha256, Sha512_256};

/// A digest algorithm of RFC 7616 §3.2 (registered for SIP by RFC 8760 §2.3).
///
/// The `-sess` variants hash the server and client nonces into `HA1` once per nonce
/// (RFC 7616 §3.4.2). A challenge without an `algorithm` parameter means [`Algorithm::Md5`]
/// (RFC 7616 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `MD5` (RFC 2617 §3.2.1); the default.
    #[default]
    Md5,
    /// `MD5-sess` (RFC 2617 §3.2.2.2).
    Md5Sess,
    /// `SHA-256` (RFC 7616 §3.2).
    Sha256,
    /// `SHA-256-sess` (RFC 7616 §3.2).
    Sha256Sess,
    /// `SHA-512-256`: SHA-512/256 of FIPS 180-4 (RFC 7616 §3.2).
    Sha512_256,
    /// `SHA-512-256-sess` (RFC 7616 §3.2).
    Sha512_256Sess,
}

impl Algorithm {
    /// Every algorithm, weakest hash first.
    pub const ALL: [Self; 6] = [
        Self::Md5,
        Self::Md5Sess,
        Self::Sha256,
        Self::Sha256Sess,
        Self::Sha512_256,
        Self::Sha512_256Sess,
    ];

    /// Reads an `algorithm` value, ignoring case (RFC 7616 §3.3: tokens are compared
    /// case-insensitively); `None` for an algorithm this client does not implement.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    /// The name as RFC 7616 §3.2 registers it (`SHA-256-sess`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
            Self::Sha512_256 => "SHA-512-256",
            Self::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// `true` for the `-sess` variants (RFC 7616 §3.4.2).
    pub fn is_session(self) -> bool {
        matches!(
            self,
            Self::Md5Sess | Self::Sha256Sess | Self::Sha512_256Sess
        )
    }

    /// The strength of the hash function: 1 for MD5, 2 for SHA-256, 3 for SHA-512/256. A
    /// `-sess` variant ranks with its hash function. A client answering several challenges of
    /// one realm picks the highest (RFC 7616 §3.7, RFC 8760 §2.4 leave the choice to local
    /// policy).
    pub fn strength(self) -> u8 {
        match self {
            Self::Md5 | Self::Md5Sess => 1,
            Self::Sha256 | Self::Sha256Sess => 2,
            Self::Sha512_256 | Self::Sha512_256Sess => 3,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A quality of protection (RFC 7616 §3.3 `qop`, RFC 3261 §22.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authentication of the method and digest-uri.
    Auth,
    /// `auth-int`: authentication with integrity protection of the message body.
    AuthInt,
}

impl Qop {
    /// Reads a qop token, ignoring case; `None` for an unknown one.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Self::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Self::AuthInt)
        } else {
            None
        }
    }

    /// The token (`auth`, `auth-int`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The client-side values that go into a response when the challenge offered a qop
/// (RFC 7616 §3.4.1): the chosen qop, the nonce count and the client nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QopDirective<'a> {
    /// The chosen quality of protection.
    pub qop: Qop,
    /// The nonce count: how many requests, this one included, were sent with the nonce
    /// (written as `8LHEX`).
    pub nc: u32,
    /// The client nonce.
    pub cnonce: &'a str,
}

/// `H(data)`: the hash of `algorithm` over `data`, in lower-case hex (RFC 7616 §3.4.1).
pub fn hash_hex(algorithm: Algorithm, data: &[u8]) -> String {
    hash_joined(algorithm, &[data])
}

/// `HA1 = H(A1)` (RFC 7616 §3.4.2, RFC 2617 §3.2.2.2):
///
/// - `A1 = unq(username) ":" unq(realm) ":" passwd` for the plain algorithms;
/// - `A1 = H(unq(username) ":" unq(realm) ":" passwd) ":" unq(nonce) ":" unq(cnonce)` for the
///   `-sess` ones, with the nonce of the challenge and the client nonce of the first request
///   answering it.
///
/// `nonce` and `cnonce` are only read for the `-sess` algorithms. The user name is the
/// plain one even when the request carries its hash (RFC 7616 §3.4.4).
pub fn ha1(
    algorithm: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    nonce: &str,
    cnonce: &str,
) -> String {
    let base = hash_joined(
        algorithm,
        &[username.as_bytes(), realm.as_bytes(), password.as_bytes()],
    );
    if algorithm.is_session() {
        hash_joined(
            algorithm,
            &[base.as_bytes(), nonce.as_bytes(), cnonce.as_bytes()],
        )
    } else {
        base
    }
}

/// `HA2 = H(A2)` (RFC 7616 §3.4.3, RFC 3261 §22.4):
///
/// - `A2 = Method ":" request-uri` for `auth` and when the challenge offered no qop;
/// - `A2 = Method ":" request-uri ":" H(entity-body)` for `auth-int`, where an empty body
///   hashes the empty string (RFC 3261 §22.4).
///
/// In SIP the request-uri is the Request-URI as written in the request line (RFC 3261 §22.4).
/// `body` is only read for [`Qop::AuthInt`].
pub fn ha2(
    algorithm: Algorithm,
    method: &str,
    digest_uri: &str,
    qop: Option<Qop>,
    body: &[u8],
) -> String {
    match qop {
        Some(Qop::AuthInt) => {
            let body_hash = hash_hex(algorithm, body);
            hash_joined(
                algorithm,
                &[
                    method.as_bytes(),
                    digest_uri.as_bytes(),
                    body_hash.as_bytes(),
                ],
            )
        }
        Some(Qop::Auth) | None => {
            hash_joined(algorithm, &[method.as_bytes(), digest_uri.as_bytes()])
        }
    }
}

/// The `response` value (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1):
///
/// - with a qop, `KD(HA1, unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" HA2)`, that is
///   `H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)` with `nc` as eight lower-case hex
///   digits;
/// - without one (a challenge with no `qop`, RFC 2069 compatibility, RFC 2617 §3.2.2.1),
///   `H(HA1 ":" nonce ":" HA2)`.
pub fn response(
    algorithm: Algorithm,
    ha1: &str,
    nonce: &str,
    qop: Option<QopDirective<'_>>,
    ha2: &str,
) -> String {
    match qop {
        Some(d) => {
            let nc = format!("{:08x}", d.nc);
            hash_joined(
                algorithm,
                &[
                    ha1.as_bytes(),
                    nonce.as_bytes(),
                    nc.as_bytes(),
                    d.cnonce.as_bytes(),
                    d.qop.as_str().as_bytes(),
                    ha2.as_bytes(),
                ],
            )
        }
        None => hash_joined(
            algorithm,
            &[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()],
        ),
    }
}

/// The hashed user name sent when the challenge says `userhash=true`:
/// `H(unq(username) ":" unq(realm))` (RFC 7616 §3.4.4), with the hash of `algorithm`.
pub fn userhash(algorithm: Algorithm, username: &str, realm: &str) -> String {
    hash_joined(algorithm, &[username.as_bytes(), realm.as_bytes()])
}

/// `H(parts[0] ":" parts[1] ":" …)` in lower-case hex.
fn hash_joined(algorithm: Algorithm, parts: &[&[u8]]) -> String {
    match algorithm.strength() {
        1 => digest_joined::<Md5>(parts),
        2 => digest_joined::<Sha256>(parts),
        _ => digest_joined::<Sha512_256>(parts),
    }
}

fn digest_joined<D: Digest>(parts: &[&[u8]]) -> String {
    let mut d = D::new();
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            d.update(b":");
        }
        d.update(part);
    }
    hex(&d.finalize())
}

/// Lower-case hex of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5: the `Mufasa` example (MD5, qop=auth).
    #[test]
    fn rfc2617_example() {
        let alg = Algorithm::Md5;
        let nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
        let h1 = ha1(
            alg,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            nonce,
            "",
        );
        let h2 = ha2(alg, "GET", "/dir/index.html", Some(Qop::Auth), b"");
        let qop = QopDirective {
            qop: Qop::Auth,
            nc: 1,
            cnonce: "0a4f113b",
        };
        assert_eq!(
            response(alg, &h1, nonce, Some(qop), &h2),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    /// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    #[test]
    fn rfc7616_examples() {
        let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let qop = QopDirective {
            qop: Qop::Auth,
            nc: 1,
            cnonce,
        };
        let answer = |alg| {
            let h1 = ha1(
                alg,
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
                nonce,
                cnonce,
            );
            let h2 = ha2(alg, "GET", "/dir/index.html", Some(Qop::Auth), b"");
            response(alg, &h1, nonce, Some(qop), &h2)
        };
        assert_eq!(answer(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
        assert_eq!(
            answer(Algorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    /// RFC 7616 §3.9.2: SHA-512-256 with a UTF-8 user name and `userhash=true`. The RFC prints
    /// `username="488869477bf2…"` and `response="ae66e67d6b42…"`, which are not of its inputs;
    /// the values below are those of RFC 7616 erratum 4897 (the RFC's came from a draft
    /// SHA-512/256), as other implementations also find them.
    #[test]
    fn rfc7616_userhash_example() {
        let alg = Algorithm::Sha512_256;
        let user = "J\u{e4}s\u{f8}n Doe";
        let realm = "api@example.org";
        assert_eq!(
            userhash(alg, user, realm),
            "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
        );
        let nonce = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK";
        let cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
        let h1 = ha1(alg, user, realm, "Secret, or not?", nonce, cnonce);
        let h2 = ha2(alg, "GET", "/doe.json", Some(Qop::Auth), b"");
        let qop = QopDirective {
            qop: Qop::Auth,
            nc: 1,
            cnonce,
        };
        assert_eq!(
            response(alg, &h1, nonce, Some(qop), &h2),
            "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
        );
    }

    #[test]
    fn algorithm_names_and_strength() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.as_str()), Some(a));
            assert_eq!(Algorithm::parse(&a.as_str().to_ascii_lowercase()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(
            Algorithm::parse("sha-512-256-SESS"),
            Some(Algorithm::Sha512_256Sess)
        );
        for bad in ["", "SHA-1", "SHA256", "MD5 ", "AKAv1-MD5", "SHA-512"] {
            assert_eq!(Algorithm::parse(bad), None, "{bad}");
        }
        assert_eq!(Algorithm::default(), Algorithm::Md5);
        assert!(Algorithm::Sha512_256.strength() > Algorithm::Sha256.strength());
        assert!(Algorithm::Sha256.strength() > Algorithm::Md5.strength());
        assert_eq!(
            Algorithm::Sha256Sess.strength(),
            Algorithm::Sha256.strength()
        );
        let sess: Vec<_> = Algorithm::ALL
            .into_iter()
            .filter(|a| a.is_session())
            .collect();
        assert_eq!(
            sess,
            [
                Algorithm::Md5Sess,
                Algorithm::Sha256Sess,
                Algorithm::Sha512_256Sess
            ]
        );
        assert_eq!(Qop::parse("AUTH"), Some(Qop::Auth));
        assert_eq!(Qop::parse("auth-int"), Some(Qop::AuthInt));
        assert_eq!(Qop::parse("auth-conf"), None);
        assert_eq!(Qop::AuthInt.to_string(), "auth-int");
    }

    /// Empty-input hashes (FIPS 180-4 and RFC 1321 reference values) pin each algorithm to its
    /// hash function, and the `-sess` HA1 to its RFC 7616 §3.4.2 form.
    #[test]
    fn hash_functions_and_session_key() {
        assert_eq!(
            hash_hex(Algorithm::Md5Sess, b""),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            hash_hex(Algorithm::Sha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash_hex(Algorithm::Sha512_256Sess, b""),
            "c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a"
        );
        for a in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256] {
            let sess = Algorithm::ALL
                .into_iter()
                .find(|s| s.is_session() && s.strength() == a.strength())
                .unwrap();
            let base = ha1(a, "u", "r", "p", "ignored", "ignored");
            assert_eq!(base, hash_hex(a, b"u:r:p"));
            assert_eq!(
                ha1(sess, "u", "r", "p", "n", "c"),
                hash_hex(a, format!("{base}:n:c").as_bytes())
            );
        }
        // auth-int hashes the body, an empty one as the empty string (RFC 3261 §22.4).
        let empty = hash_hex(Algorithm::Md5, b"");
        assert_eq!(
            ha2(Algorithm::Md5, "INVITE", "sip:b@x", Some(Qop::AuthInt), b""),
            hash_hex(Algorithm::Md5, format!("INVITE:sip:b@x:{empty}").as_bytes())
        );
        assert_eq!(
            ha2(Algorithm::Md5, "INVITE", "sip:b@x", None, b"ignored"),
            ha2(Algorithm::Md5, "INVITE", "sip:b@x", Some(Qop::Auth), b"")
        );
    }
}
