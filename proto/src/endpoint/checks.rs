//! What a UA core answers by itself (RFC 3261 §8.2, §12.2.2) and the response plumbing of
//! §8.2.6 and §18.2.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use super::{EndpointConfig, TransportKind};
use crate::dialog::DialogId;
use crate::sip::headers::{
    CallId, Cseq, FromHeader, Header, HeaderName, ProxyRequire, Require, ToHeader, Via,
};
use crate::sip::{Method, Request, Response, Scheme, StatusCode};
use crate::transaction::TransactionKey;

/// Adds `received` (and fills `rport`) to the top Via of a received request (§18.2.1,
/// RFC 3581 §4), so responses find their way back through NATs.
pub(super) fn stamp_via(request: &mut Request, source: SocketAddr) {
    let h = request.headers();
    let Some(line) = h.get(HeaderName::Via) else {
        return;
    };
    let mut parts = crate::sip::text::split_commas(line);
    let Some(first) = parts.next() else {
        return;
    };
    let Ok(mut via) = Via::parse(first) else {
        return;
    };
    let ip = source.ip().to_string();
    let host = via
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let rport_requested = via.rport().is_some();
    if host != ip || rport_requested {
        via.params.set("received", Some(&ip));
    }
    if rport_requested {
        via.params.set("rport", Some(&source.port().to_string()));
    }
    let mut value = via.to_string();
    for rest in parts {
        value.push_str(", ");
        value.push_str(rest);
    }
    request.headers_mut().set_first(HeaderName::Via, &value);
}

/// The headers of a request whose start line did not parse, under a stand-in request line,
/// so that a 400 can reach its sender. `None` for responses, for other faults, and when the
/// headers do not parse either.
pub(super) fn salvage(data: &[u8], error: &crate::sip::ParseError) -> Option<Request> {
    use crate::sip::{Message, ParseError};
    if !matches!(
        error,
        ParseError::StartLine { .. } | ParseError::RequestUri(_)
    ) {
        return None;
    }
    let start = data.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let data = &data[start..];
    if data.len() >= 4 && data[..4].eq_ignore_ascii_case(b"SIP/") {
        return None;
    }
    let line_end = data.iter().position(|&b| b == b'\n')?;
    let mut fixed = b"OPTIONS sip:invalid.invalid SIP/2.0\r\n".to_vec();
    fixed.extend_from_slice(&data[line_end + 1..]);
    match Message::parse(&fixed).ok()? {
        Message::Request(r) => Some(r),
        Message::Response(_) => None,
    }
}

/// Where a response to `request` goes on an unreliable transport (§18.2.2, RFC 3581 §4): the
/// source address, to the source port when `rport` was asked for, else to the sent-by port.
pub(super) fn response_destination(
    request: &Request,
    source: SocketAddr,
    transport: TransportKind,
) -> SocketAddr {
    if transport.is_reliable() {
        return source;
    }
    let Some(Ok(via)) = request.headers().first::<Via<'_>>() else {
        return source;
    };
    match via.rport() {
        Some(_) => source,
        None => SocketAddr::new(source.ip(), via.port().unwrap_or(5060)),
    }
}

/// A response to `request` (§8.2.6) with a To tag when the request had none (taken from the
/// Call-ID and CSeq so retransmitted stateless answers carry the same tag), an optional
/// reason phrase, and the Server header.
pub(super) fn response(
    request: &Request,
    status: StatusCode,
    reason: Option<&str>,
    config: &EndpointConfig,
) -> Response {
    let mut r = Response::for_request(request, status);
    if status.code() > 100 {
        r = r.with_to_tag(&stateless_tag(request));
    }
    if let Some(reason) = reason {
        r.set_reason(reason);
    }
    if let Some(ua) = &config.user_agent {
        r = r.with_field(HeaderName::Server, ua);
    }
    r
}

/// A tag derived from the request, stable across its retransmissions.
fn stateless_tag(request: &Request) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Ok(c) = request.headers().single::<CallId<'_>>() {
        c.as_str().hash(&mut h);
    }
    if let Ok(f) = request.headers().single::<FromHeader<'_>>() {
        f.tag().hash(&mut h);
    }
    if let Ok(c) = request.headers().single::<Cseq>() {
        c.seq.hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

type Answer = (StatusCode, Option<String>, Vec<(HeaderName, String)>);

/// The dialogs the layers above told the endpoint about: established ones by id, and ones
/// still being formed by our side (Call-ID and our tag), whose first in-dialog request may
/// come before any response names the peer's tag — a NOTIFY racing the 2xx to SUBSCRIBE
/// (RFC 6665 §4.1.2.4), a REFER's NOTIFY.
#[derive(Debug, Default)]
pub(super) struct KnownDialogs {
    pub(super) ids: HashSet<DialogId>,
    pub(super) forming: HashSet<(Box<str>, Box<str>)>,
}

impl KnownDialogs {
    fn knows(&self, request: &Request) -> bool {
        let Some(id) = DialogId::for_incoming_request(request) else {
            return false;
        };
        self.ids.contains(&id)
            || self
                .forming
                .contains(&(Box::from(id.call_id()), Box::from(id.local_tag())))
    }
}

/// What makes two requests the same request arriving by different paths (§8.2.2.2): the
/// Call-ID, the From tag, the CSeq number and the method.
pub(super) type MergeKey = (Box<str>, Box<str>, u32, Method);

fn allow_list(config: &EndpointConfig) -> String {
    config
        .allow
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answer a UA core gives without asking its user, if any, in the order of §8.2:
/// method (405/501), Request-URI scheme (416), merged request (482), Require (420), a request
/// in no known dialog (481), OPTIONS outside dialogs (200 with capabilities).
pub(super) fn core_answer(
    request: &Request,
    config: &EndpointConfig,
    dialogs: &KnownDialogs,
    merges: &mut HashMap<MergeKey, TransactionKey>,
    key: &TransactionKey,
) -> Option<Answer> {
    let method = request.method();
    let h = request.headers();
    // §8.2.1: a method we do not handle.
    if !config.allow.contains(method) {
        let known = !matches!(method, Method::Extension(_));
        let status = if known {
            StatusCode::METHOD_NOT_ALLOWED
        } else {
            StatusCode::NOT_IMPLEMENTED
        };
        return Some((status, None, vec![(HeaderName::Allow, allow_list(config))]));
    }
    // §8.2.2.1: a Request-URI scheme we do not understand.
    let uri = request.uri();
    let scheme_ok = match uri.scheme() {
        Scheme::Sip => config.schemes.iter().any(|s| s == "sip"),
        Scheme::Sips => config.schemes.iter().any(|s| s == "sips"),
        Scheme::Tel => config.schemes.iter().any(|s| s == "tel"),
        _ => config
            .schemes
            .iter()
            .any(|s| s.eq_ignore_ascii_case(uri.scheme_str())),
    };
    if !scheme_ok {
        return Some((
            StatusCode::new(416).expect("416 is a status code"),
            None,
            Vec::new(),
        ));
    }
    let to = h.single::<ToHeader<'_>>().ok()?;
    // §8.2.2.2: the same request arriving by another path (a fork that merged) gets 482.
    if to.tag().is_none() {
        let from = h.single::<FromHeader<'_>>().ok()?;
        let cseq = h.single::<Cseq>().ok()?;
        let call_id = h.single::<CallId<'_>>().ok()?;
        let merge_key = (
            Box::<str>::from(call_id.as_str()),
            Box::<str>::from(from.tag().unwrap_or_default()),
            cseq.seq,
            method.clone(),
        );
        match merges.get(&merge_key) {
            Some(k) if k != key => {
                return Some((
                    StatusCode::new(482).expect("482 is a status code"),
                    None,
                    Vec::new(),
                ))
            }
            Some(_) => {}
            None => {
                merges.insert(merge_key, key.clone());
            }
        }
    }
    // §8.2.2.3: option tags we do not support (never for ACK or CANCEL).
    if !matches!(method, Method::Ack | Method::Cancel) {
        let mut unsupported: Vec<String> = h
            .typed::<Require<'_>>()
            .flatten()
            .map(|r| r.as_str().to_owned())
            .chain(
                h.typed::<ProxyRequire<'_>>()
                    .flatten()
                    .map(|r| r.as_str().to_owned()),
            )
            .filter(|t| !config.supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
            .collect();
        if !unsupported.is_empty() {
            unsupported.dedup();
            return Some((
                StatusCode::new(420).expect("420 is a status code"),
                None,
                vec![(HeaderName::Unsupported, unsupported.join(", "))],
            ));
        }
    }
    // §12.2.2: a request in a dialog we do not know.
    if to.tag().is_some() {
        let known = dialogs.knows(request);
        if !known {
            return Some((
                StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
                None,
                Vec::new(),
            ));
        }
        return None;
    }
    // §11.2: OPTIONS outside a dialog, answered with what we support.
    if *method == Method::Options && config.answer_options {
        let mut extra = vec![(HeaderName::Allow, allow_list(config))];
        if !config.accept.is_empty() {
            extra.push((HeaderName::Accept, config.accept.join(", ")));
        }
        extra.push((HeaderName::AcceptLanguage, "en".to_owned()));
        if !config.supported.is_empty() {
            extra.push((HeaderName::Supported, config.supported.join(", ")));
        }
        return Some((StatusCode::OK, None, extra));
    }
    None
}
