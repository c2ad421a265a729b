//! Matching messages to transactions (RFC 3261 §17.1.3, §17.2.3, §9.2).

use crate::sip::headers::{Cseq, FromHeader, Via};
use crate::sip::{Method, ParseError, Request, Response};

/// Which side of a transaction a key identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// A transaction this endpoint started.
    Client,
    /// A transaction a peer's request started.
    Server,
}

/// What identifies a transaction: the endpoint keeps its transactions in a map by this key
/// and computes it for every message it receives.
///
/// Requests whose top Via branch starts with the RFC 3261 magic cookie (and has more after
/// it) are matched by branch, sent-by and method; others by the RFC 2543 rules of §17.2.3.
/// An ACK gets the key of the INVITE it acknowledges; a CANCEL has its own transaction, and
/// [`TransactionKey::cancel_target`] names the INVITE it cancels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey(Inner);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Inner {
    Branch {
        direction: Direction,
        branch: Box<str>,
        /// The top Via's sent-by, lowercased (server side only: §17.2.3 point 2).
        sent_by: Box<str>,
        method: Method,
    },
    /// RFC 2543 matching. The To tag is left out: an ACK carries the tag the server added,
    /// the INVITE did not.
    Legacy {
        request_uri: Box<str>,
        from_tag: Option<Box<str>>,
        call_id: Box<str>,
        cseq: u32,
        method: Method,
        top_via: Box<str>,
    },
}

impl TransactionKey {
    /// The key of the server transaction a received request belongs to (§17.2.3).
    pub fn for_incoming_request(request: &Request) -> Result<Self, ParseError> {
        Self::server(request, server_method(request.method()))
    }

    /// The key of the INVITE server transaction a received CANCEL targets (§9.2): the
    /// CANCEL's own key with the method INVITE.
    pub fn cancel_target(cancel: &Request) -> Result<Self, ParseError> {
        Self::server(cancel, Method::Invite)
    }

    /// The key of the client transaction that sends `request` (§17.1.3).
    pub fn for_outgoing_request(request: &Request) -> Result<Self, ParseError> {
        let via = top_via(request.headers())?;
        Ok(Self(Inner::Branch {
            direction: Direction::Client,
            branch: via.branch().unwrap_or_default().into(),
            sent_by: "".into(),
            method: request.method().clone(),
        }))
    }

    /// The key of the client transaction a received response belongs to (§17.1.3): the top
    /// Via branch and the CSeq method.
    pub fn for_response(response: &Response) -> Result<Self, ParseError> {
        let via = top_via(response.headers())?;
        let method = response.headers().single::<Cseq>()?.method;
        Ok(Self(Inner::Branch {
            direction: Direction::Client,
            branch: via.branch().unwrap_or_default().into(),
            sent_by: "".into(),
            method,
        }))
    }

    /// Which side the key belongs to.
    pub fn direction(&self) -> Direction {
        match &self.0 {
            Inner::Branch { direction, .. } => *direction,
            Inner::Legacy { .. } => Direction::Server,
        }
    }

    /// `true` when the key follows the RFC 2543 rules (no magic-cookie branch).
    pub fn is_legacy(&self) -> bool {
        matches!(self.0, Inner::Legacy { .. })
    }

    fn server(request: &Request, method: Method) -> Result<Self, ParseError> {
        let via = top_via(request.headers())?;
        if via.has_rfc3261_branch() {
            let sent_by = match via.port() {
                Some(p) => format!("{}:{p}", via.host()),
                None => via.host().to_owned(),
            };
            return Ok(Self(Inner::Branch {
                direction: Direction::Server,
                branch: via.branch().unwrap_or_default().into(),
                sent_by: sent_by.to_ascii_lowercase().into(),
                method,
            }));
        }
        let h = request.headers();
        let from = h.single::<FromHeader<'_>>()?;
        let cseq = h.single::<Cseq>()?;
        let call_id = h.single::<crate::sip::headers::CallId<'_>>()?;
        let top = h
            .get(crate::sip::headers::HeaderName::Via)
            .and_then(|v| crate::sip::text::split_commas(v).next())
            .unwrap_or_default();
        Ok(Self(Inner::Legacy {
            request_uri: request.uri().as_str().into(),
            from_tag: from.tag().map(Into::into),
            call_id: call_id.as_str().into(),
            cseq: cseq.seq,
            method,
            top_via: top.into(),
        }))
    }
}

/// ACK matches the INVITE server transaction (§17.2.3).
fn server_method(m: &Method) -> Method {
    if *m == Method::Ack {
        Method::Invite
    } else {
        m.clone()
    }
}

fn top_via(h: &crate::sip::headers::Headers) -> Result<Via<'_>, ParseError> {
    h.first::<Via<'_>>()
        .unwrap_or(Err(ParseError::MissingHeader { name: "Via" }))
}
