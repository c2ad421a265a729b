//! Errors of the digest authentication client.

use thiserror::Error;

use crate::sip::error::ParseError;

/// Why [`DigestClient::authorize`](super::DigestClient::authorize) built no request to resend.
///
/// [`AuthError::Rejected`] and [`AuthError::NoCredentials`] are the outcomes a UA shows its
/// user (wrong password, unknown account); the others mean the peer sent nothing this client
/// can answer, or the caller passed a request or response that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The response is not a 401 or a 407 (RFC 3261 §22.2, §22.3).
    #[error("a {status} response is not a challenge (401 or 407 expected)")]
    NotAChallenge {
        /// The status code of the response.
        status: u16,
    },
    /// The request has no CSeq that decodes, so the retry cannot be numbered
    /// (RFC 3261 §8.1.3.5).
    #[error("the request has no usable CSeq")]
    InvalidRequest(#[source] ParseError),
    /// The CSeq of the request is already the largest 32-bit number (RFC 3261 §8.1.1.5).
    #[error("CSeq {seq} cannot be incremented")]
    CseqExhausted {
        /// The CSeq number of the request.
        seq: u32,
    },
    /// No WWW-Authenticate or Proxy-Authenticate value is a Digest challenge this client can
    /// answer: other schemes, unknown algorithms or qop options, a missing realm or nonce,
    /// values over the length limit, or header values that do not parse.
    #[error("no Digest challenge this client can answer")]
    NoSupportedChallenge,
    /// A supported challenge names a realm for which no credentials are set (nor credentials
    /// for any realm); the first such realm.
    #[error("no credentials for realm {realm:?}")]
    NoCredentials {
        /// The realm of the challenge.
        realm: String,
    },
    /// The realm challenged again a request that carried this client's answer, without
    /// `stale=true` (or with a stale nonce that was not new, or after too many stale
    /// retries): the credentials are wrong (RFC 3261 §22.2, RFC 7616 §3.3 `stale`).
    #[error("credentials for realm {realm:?} were rejected")]
    Rejected {
        /// The realm that rejected the credentials.
        realm: String,
    },
}
