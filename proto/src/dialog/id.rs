//! Dialog identifiers (RFC 3261 §12: Call-ID, local tag, remote tag).

use crate::sip::headers::{CallId, FromHeader, ToHeader};
use crate::sip::{Request, Response};

/// What identifies a dialog at this endpoint: the Call-ID, our tag and the peer's tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    call_id: Box<str>,
    local_tag: Box<str>,
    remote_tag: Box<str>,
}

impl DialogId {
    /// An identifier from its three parts.
    pub fn new(call_id: &str, local_tag: &str, remote_tag: &str) -> Self {
        Self {
            call_id: call_id.into(),
            local_tag: local_tag.into(),
            remote_tag: remote_tag.into(),
        }
    }

    /// The dialog a received request belongs to: our tag is its To tag, the peer's its From
    /// tag (§12.2.2). `None` without a To tag (the request is outside any dialog).
    pub fn for_incoming_request(request: &Request) -> Option<Self> {
        let h = request.headers();
        let to = h.single::<ToHeader<'_>>().ok()?;
        let from = h.single::<FromHeader<'_>>().ok()?;
        let call_id = h.single::<CallId<'_>>().ok()?;
        Some(Self::new(
            call_id.as_str(),
            to.tag()?,
            from.tag().unwrap_or_default(),
        ))
    }

    /// The dialog a received response belongs to: our tag is its From tag, the peer's its To
    /// tag. `None` without a To tag.
    pub fn for_response(response: &Response) -> Option<Self> {
        let h = response.headers();
        let to = h.single::<ToHeader<'_>>().ok()?;
        let from = h.single::<FromHeader<'_>>().ok()?;
        let call_id = h.single::<CallId<'_>>().ok()?;
        Some(Self::new(call_id.as_str(), from.tag()?, to.tag()?))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our tag.
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The peer's tag.
    pub fn remote_tag(&self) -> &str {
        &self.remote_tag
    }
}
