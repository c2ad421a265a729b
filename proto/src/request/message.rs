//! Instant messages outside sessions: the MESSAGE method (RFC 3428).
//!
//! Sending is a [`RequestClient`](super::RequestClient) carrying the request [`build`] makes.
//! Receiving is [`accept`]: it checks a MESSAGE the endpoint handed over and gives either the
//! message or the error response to send (RFC 3428 §7, RFC 3261 §8.2.3).

use bytes::Bytes;

use super::new_request;
use crate::rand::Random;
use crate::sip::headers::{
    Accept, ContentEncoding, ContentType, FromHeader, HeaderName, MediaType, ToHeader,
};
use crate::sip::{Address, Method, Request, Response, StatusCode};

/// The largest MESSAGE RFC 3428 §5 lets a UAC send without knowing that the path is
/// congestion-controlled, in bytes. Larger ones go over TCP (the endpoint switches, RFC 3261
/// §18.1.1); sessions (MSRP) suit larger content better.
pub const MAX_PAGER_MODE_SIZE: usize = 1300;

/// A MESSAGE from `from` to `to` (the Request-URI is `to`'s URI) with `body` of
/// `content_type`, a fresh Call-ID and From tag.
pub fn build(
    rng: &mut impl Random,
    from: Address<'_>,
    to: Address<'_>,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Request {
    let uri = to.uri().clone().into_owned();
    new_request(rng, Method::Message, uri, from, to)
        .body(content_type, body)
        .build()
}

/// A MESSAGE that passed [`accept`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The sender (From).
    pub sender: Address<'static>,
    /// The recipient (To).
    pub recipient: Address<'static>,
    /// The type of the content.
    pub content_type: MediaType<'static>,
    /// The content.
    pub body: Bytes,
}

/// Checks an incoming MESSAGE against the content types this UA takes (`accepted`, media
/// ranges such as `text/*` allowed) and gives the message, or the final response to send
/// instead:
///
/// - 415 Unsupported Media Type with an Accept header listing `accepted` for a type not
///   accepted or a Content-Encoding other than `identity` (RFC 3428 §7, RFC 3261 §8.2.3);
/// - 400 Bad Request for a request that is not a MESSAGE, has no body, has no usable
///   Content-Type, or lacks a valid From or To.
///
/// On success the caller answers 200 OK (the message was delivered to the user) or an
/// error of its own.
#[allow(clippy::result_large_err)]
pub fn accept(request: &Request, accepted: &[MediaType<'_>]) -> Result<IncomingMessage, Response> {
    let bad = |reason: &str| {
        Err(Response::for_request(request, StatusCode::BAD_REQUEST).with_reason(reason))
    };
    if *request.method() != Method::Message {
        return bad("Not a MESSAGE");
    }
    let headers = request.headers();
    let (Ok(from), Ok(to)) = (
        headers.single::<FromHeader<'_>>(),
        headers.single::<ToHeader<'_>>(),
    ) else {
        return bad("Bad From or To");
    };
    if request.body().is_empty() {
        return bad("MESSAGE Without Body");
    }
    let content_type = match headers.first::<ContentType<'_>>() {
        Some(Ok(c)) => c.0.into_owned(),
        Some(Err(_)) => return bad("Bad Content-Type"),
        None => return bad("Missing Content-Type"),
    };
    let encoded = request
        .headers()
        .typed::<ContentEncoding<'_>>()
        .any(|e| e.map_or(true, |e| !e.as_str().eq_ignore_ascii_case("identity")));
    let wanted = accepted
        .iter()
        .any(|range| range.matches(content_type.mtype(), content_type.subtype()));
    if encoded || !wanted {
        let mut refusal = Response::for_request(request, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        for range in accepted {
            refusal = refusal.with_header(&Accept(range.clone()));
        }
        if encoded {
            refusal = refusal.with_field(HeaderName::AcceptEncoding, "identity");
        }
        return Err(refusal);
    }
    Ok(IncomingMessage {
        sender: from.0.into_owned(),
        recipient: to.0.into_owned(),
        content_type,
        body: request.body().clone(),
    })
}
