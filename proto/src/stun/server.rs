//! The server side of a Binding transaction with short-term credentials (RFC 8489 §6.3,
//! §9.1.3; RFC 8445 §7.3): deciding how to answer a request and building the answer.

use std::net::SocketAddr;

use super::{AttributeType, Class, Error, ErrorCode, IntegrityKey, Message, MessageBuilder};

/// How many unknown attribute types a 420 response lists; a request carrying more gets the
/// first ones.
const MAX_UNKNOWN: usize = 16;

/// Why a request is refused, and so which error response it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// 400: USERNAME or MESSAGE-INTEGRITY missing, or USERNAME malformed. Answered without
    /// MESSAGE-INTEGRITY.
    BadRequest,
    /// 401: unknown USERNAME or a MESSAGE-INTEGRITY that does not match. Answered without
    /// MESSAGE-INTEGRITY, since the key is unknown or wrong.
    Unauthenticated,
    /// 420: the request is authentic but carries comprehension-required attributes this
    /// module does not know (at most 16 listed). Answered with MESSAGE-INTEGRITY.
    UnknownAttributes(Vec<AttributeType>),
}

impl Rejection {
    /// The error code.
    #[must_use]
    pub fn code(&self) -> u16 {
        match self {
            Self::BadRequest => ErrorCode::BAD_REQUEST,
            Self::Unauthenticated => ErrorCode::UNAUTHENTICATED,
            Self::UnknownAttributes(_) => ErrorCode::UNKNOWN_ATTRIBUTE,
        }
    }
}

/// What to do with a request, as [`check_request`] decides.
#[derive(Debug, Clone)]
pub enum Verdict<'k> {
    /// Authentic and understood: process it and answer with [`success_response`] (or an
    /// [`error_response`] such as 487 Role Conflict) protected with `key`.
    Accept {
        /// The key that authenticated the request, for the response.
        key: &'k IntegrityKey,
    },
    /// Answer with the error response [`error_response`] builds for this rejection; for
    /// [`Rejection::UnknownAttributes`] the response is protected with `key`.
    Reject {
        /// Why.
        rejection: Rejection,
        /// The key that authenticated the request, when it did.
        key: Option<&'k IntegrityKey>,
    },
    /// Drop it without an answer: not a request, or its FINGERPRINT is wrong (so it is not
    /// STUN, RFC 8489 §7.3).
    Discard,
}

/// Checks a request received with short-term credentials (RFC 8489 §9.1.3): FINGERPRINT if
/// present, USERNAME and MESSAGE-INTEGRITY (MESSAGE-INTEGRITY-SHA256 preferred when present)
/// against the key `lookup` gives for the username (for ICE: the local password when the
/// username starts with the local fragment and a colon), then unknown comprehension-required
/// attributes (RFC 8489 §6.3). The ICE-specific checks of RFC 8445 §7.3 (role conflicts,
/// PRIORITY) are the agent's, on an accepted request.
pub fn check_request<'k>(
    request: &Message<'_>,
    lookup: impl FnOnce(&str) -> Option<&'k IntegrityKey>,
) -> Verdict<'k> {
    if request.class() != Class::Request {
        return Verdict::Discard;
    }
    if request.has_fingerprint() && request.verify_fingerprint().is_err() {
        return Verdict::Discard;
    }
    let bad = Verdict::Reject {
        rejection: Rejection::BadRequest,
        key: None,
    };
    let unauthenticated = Verdict::Reject {
        rejection: Rejection::Unauthenticated,
        key: None,
    };
    let sha256 = request.has_integrity_sha256();
    if !sha256 && !request.has_integrity() {
        return bad;
    }
    let Ok(Some(username)) = request.username() else {
        return bad;
    };
    let Some(key) = lookup(username) else {
        return unauthenticated;
    };
    let verified = if sha256 {
        request.verify_integrity_sha256(key)
    } else {
        request.verify_integrity(key)
    };
    if verified.is_err() {
        return unauthenticated;
    }
    let unknown: Vec<AttributeType> = request.unknown_required().take(MAX_UNKNOWN).collect();
    if !unknown.is_empty() {
        return Verdict::Reject {
            rejection: Rejection::UnknownAttributes(unknown),
            key: Some(key),
        };
    }
    Verdict::Accept { key }
}

/// Appends to `buf` the success response to `request`: XOR-MAPPED-ADDRESS of `source` (where
/// the request came from), MESSAGE-INTEGRITY with `key` when given, and FINGERPRINT when the
/// request carried one. Returns its length.
pub fn success_response(
    buf: &mut Vec<u8>,
    request: &Message<'_>,
    source: SocketAddr,
    key: Option<&IntegrityKey>,
) -> Result<usize, Error> {
    let mut b = MessageBuilder::response(buf, request, Class::SuccessResponse);
    b.xor_mapped_address(source);
    seal(&mut b, request, key)
}

/// Appends to `buf` the error response `code` to `request` with the usual reason phrase,
/// UNKNOWN-ATTRIBUTES when `unknown` is not empty, MESSAGE-INTEGRITY with `key` when given
/// (leave it out for 400 and 401), and FINGERPRINT when the request carried one. 487 Role
/// Conflict (RFC 8445 §7.3.1.1) is built this way with the key. Returns its length.
pub fn error_response(
    buf: &mut Vec<u8>,
    request: &Message<'_>,
    code: u16,
    unknown: &[AttributeType],
    key: Option<&IntegrityKey>,
) -> Result<usize, Error> {
    let mut b = MessageBuilder::response(buf, request, Class::ErrorResponse);
    b.error_code(code, reason_phrase(code));
    if !unknown.is_empty() {
        b.unknown_attributes(unknown);
    }
    seal(&mut b, request, key)
}

impl Verdict<'_> {
    /// For a [`Verdict::Reject`], appends its error response to `buf` and returns its length;
    /// `None` for the other verdicts.
    pub fn respond(
        &self,
        buf: &mut Vec<u8>,
        request: &Message<'_>,
    ) -> Option<Result<usize, Error>> {
        let Self::Reject { rejection, key } = self else {
            return None;
        };
        let unknown = match rejection {
            Rejection::UnknownAttributes(u) => u.as_slice(),
            _ => &[],
        };
        Some(error_response(
            buf,
            request,
            rejection.code(),
            unknown,
            *key,
        ))
    }
}

fn seal(
    b: &mut MessageBuilder<'_>,
    request: &Message<'_>,
    key: Option<&IntegrityKey>,
) -> Result<usize, Error> {
    if let Some(key) = key {
        b.message_integrity(key);
    }
    if request.has_fingerprint() {
        b.fingerprint();
    }
    b.finish()
}

/// The reason phrases of RFC 8489 §14.8 and RFC 8445 §7.3.1.1.
fn reason_phrase(code: u16) -> &'static str {
    match code {
        300 => "Try Alternate",
        400 => "Bad Request",
        401 => "Unauthenticated",
        403 => "Forbidden",
        420 => "Unknown Attribute",
        438 => "Stale Nonce",
        487 => "Role Conflict",
        500 => "Server Error",
        _ => "Error",
    }
}
