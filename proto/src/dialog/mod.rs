//! SIP dialogs (RFC 3261 §12): creation on both sides, early and confirmed states, the route
//! set, the remote target, CSeq rules and in-dialog requests.
//!
//! A [`Dialog`] is state without timers: the INVITE session, subscription and REFER machines
//! own one each, the endpoint finds it by [`DialogId`], and every in-dialog request is built by
//! [`Dialog::request`] (the endpoint adds the Via and runs the transaction).

mod id;
mod usage;

use thiserror::Error;

pub use self::id::DialogId;
pub use self::usage::DialogAction;
pub(crate) use self::usage::{drive, DialogUser};
use crate::sip::headers::{Contact, Cseq, FromHeader, HeaderName, RecordRoute, Route, ToHeader};
use crate::sip::{Address, Method, Request, Response, Uri};

/// The states of a dialog (§12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Ended (BYE, a non-2xx final response to the creating request, 481, 408).
    Terminated,
}

/// Why a message cannot create or continue a dialog.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header the dialog needs is missing or malformed.
    #[error("cannot use the message for a dialog: {0}")]
    Message(&'static str),
    /// The response cannot create a dialog (no To tag, or not 1xx/2xx).
    #[error("the response does not create a dialog")]
    NotDialogCreating,
    /// A request's CSeq is lower than the last one from the peer (§12.2.2): answer 500.
    #[error("CSeq {got} is lower than the last remote CSeq {last}")]
    CseqOutOfOrder {
        /// The CSeq received.
        got: u32,
        /// The highest CSeq seen before.
        last: u32,
    },
    /// The dialog has ended.
    #[error("the dialog has ended")]
    Terminated,
    /// The local CSeq would pass 2^31 - 1 (§8.1.1.5).
    #[error("local CSeq exhausted")]
    CseqExhausted,
}

/// One dialog, seen from this endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    /// Our address with our tag: the From of our requests.
    local: Address<'static>,
    /// The peer's address with its tag: the To of our requests.
    remote: Address<'static>,
    remote_target: Uri<'static>,
    /// The route set as URIs with their parameters, in the order requests visit them.
    route_set: Vec<Address<'static>>,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    secure: bool,
}

fn owned_from(h: &crate::sip::headers::Headers) -> Result<Address<'static>, DialogError> {
    h.single::<FromHeader<'_>>()
        .map(|f| f.0.into_owned())
        .map_err(|_| DialogError::Message("From"))
}

fn owned_to(h: &crate::sip::headers::Headers) -> Result<Address<'static>, DialogError> {
    h.single::<ToHeader<'_>>()
        .map(|t| t.0.into_owned())
        .map_err(|_| DialogError::Message("To"))
}

fn contact_uri(h: &crate::sip::headers::Headers) -> Option<Uri<'static>> {
    h.first::<Contact<'_>>()
        .and_then(Result::ok)
        .and_then(|c| c.uri().cloned())
        .map(Uri::into_owned)
}

fn record_route(h: &crate::sip::headers::Headers) -> Result<Vec<Address<'static>>, DialogError> {
    h.typed::<RecordRoute<'_>>()
        .map(|r| r.map(|r| r.0.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|_| DialogError::Message("Record-Route"))
}

fn cseq(h: &crate::sip::headers::Headers) -> Result<Cseq, DialogError> {
    h.single::<Cseq>().map_err(|_| DialogError::Message("CSeq"))
}

impl Dialog {
    /// The dialog a UAC forms from the request it sent and a response carrying a To tag:
    /// early for 101–199, confirmed for 2xx (§12.1.2). The route set is the Record-Route of
    /// the response, reversed; the remote target its Contact.
    pub fn uac(request: &Request, response: &Response) -> Result<Self, DialogError> {
        let code = response.status().code();
        if !(101..300).contains(&code) {
            return Err(DialogError::NotDialogCreating);
        }
        let rh = response.headers();
        let remote = owned_to(rh)?;
        if remote.tag().is_none() {
            return Err(DialogError::NotDialogCreating);
        }
        let local = owned_from(request.headers())?;
        let local_tag = local.tag().ok_or(DialogError::Message("From tag"))?;
        let call_id = rh
            .single::<crate::sip::headers::CallId<'_>>()
            .map_err(|_| DialogError::Message("Call-ID"))?;
        let mut route_set = record_route(rh)?;
        route_set.reverse();
        let remote_target = match contact_uri(rh) {
            Some(u) => u,
            // A 1xx may lack a Contact; the request URI stands in until one arrives.
            None if code < 200 => request.uri().clone(),
            None => return Err(DialogError::Message("Contact")),
        };
        Ok(Self {
            id: DialogId::new(
                call_id.as_str(),
                local_tag,
                remote.tag().unwrap_or_default(),
            ),
            state: if code < 200 {
                DialogState::Early
            } else {
                DialogState::Confirmed
            },
            secure: request.uri().scheme() == crate::sip::Scheme::Sips,
            local,
            remote,
            remote_target,
            route_set,
            local_seq: Some(cseq(request.headers())?.seq),
            remote_seq: None,
        })
    }

    /// The dialog a UAS forms from the request it received and the 1xx or 2xx it sends, which
    /// must carry our To tag (§12.1.1). The route set is the request's Record-Route in order;
    /// the remote target its Contact.
    pub fn uas(request: &Request, response: &Response) -> Result<Self, DialogError> {
        let code = response.status().code();
        if !(101..300).contains(&code) {
            return Err(DialogError::NotDialogCreating);
        }
        let qh = request.headers();
        let local = owned_to(response.headers())?;
        let local_tag = local.tag().ok_or(DialogError::NotDialogCreating)?;
        let remote = owned_from(qh)?;
        let call_id = qh
            .single::<crate::sip::headers::CallId<'_>>()
            .map_err(|_| DialogError::Message("Call-ID"))?;
        Ok(Self {
            id: DialogId::new(
                call_id.as_str(),
                local_tag,
                remote.tag().unwrap_or_default(),
            ),
            state: if code < 200 {
                DialogState::Early
            } else {
                DialogState::Confirmed
            },
            secure: request.uri().scheme() == crate::sip::Scheme::Sips,
            local,
            remote_target: contact_uri(qh).ok_or(DialogError::Message("Contact"))?,
            route_set: record_route(qh)?,
            local_seq: None,
            remote_seq: Some(cseq(qh)?.seq),
            remote,
        })
    }

    /// The dialog a request of the peer forms with a request we sent, when it overtakes the
    /// response that would have formed it: a NOTIFY arriving before the 2xx of our SUBSCRIBE
    /// (RFC 6665 §4.1.2.4). `received` must carry our tag in its To and the Call-ID of `sent`.
    /// As for any request received (§12.1.1), the route set is its Record-Route in order and
    /// the remote target its Contact; our CSeq goes on from `sent`'s.
    pub fn from_overtaking_request(
        sent: &Request,
        received: &Request,
    ) -> Result<Self, DialogError> {
        let sh = sent.headers();
        let qh = received.headers();
        let local = owned_from(sh)?;
        let local_tag = local.tag().ok_or(DialogError::Message("From tag"))?;
        let call_id = sh
            .single::<crate::sip::headers::CallId<'_>>()
            .map_err(|_| DialogError::Message("Call-ID"))?;
        let same_call = qh
            .single::<crate::sip::headers::CallId<'_>>()
            .is_ok_and(|c| c.as_str() == call_id.as_str());
        let to = owned_to(qh)?;
        if !same_call || to.tag() != Some(local_tag) {
            return Err(DialogError::NotDialogCreating);
        }
        let remote = owned_from(qh)?;
        let remote_tag = remote.tag().ok_or(DialogError::Message("From tag"))?;
        Ok(Self {
            id: DialogId::new(call_id.as_str(), local_tag, remote_tag),
            state: DialogState::Confirmed,
            secure: sent.uri().scheme() == crate::sip::Scheme::Sips,
            remote_target: contact_uri(qh).ok_or(DialogError::Message("Contact"))?,
            route_set: record_route(qh)?,
            local_seq: Some(cseq(sh)?.seq),
            // `handle_request` takes the request's CSeq.
            remote_seq: None,
            local,
            remote,
        })
    }

    /// The identifier the endpoint files the dialog under.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// The state.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Our address with our tag.
    pub fn local(&self) -> &Address<'static> {
        &self.local
    }

    /// The peer's address with its tag.
    pub fn remote(&self) -> &Address<'static> {
        &self.remote
    }

    /// Where in-dialog requests go (the peer's last Contact).
    pub fn remote_target(&self) -> &Uri<'static> {
        &self.remote_target
    }

    /// The route set, in the order requests visit it.
    pub fn route_set(&self) -> &[Address<'static>] {
        &self.route_set
    }

    /// `true` when the dialog was made with a `sips:` Request-URI (§12.1.1).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The last CSeq we used, and the peer's.
    pub fn cseqs(&self) -> (Option<u32>, Option<u32>) {
        (self.local_seq, self.remote_seq)
    }

    /// A 2xx confirms an early dialog. On the UAC side the route set and the remote target
    /// are taken again from the 2xx (§12.1.2, §13.2.2.4).
    pub fn handle_response(&mut self, response: &Response) -> Result<(), DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let code = response.status().code();
        let h = response.headers();
        if (200..300).contains(&code) && self.local_seq.is_some() {
            if self.state == DialogState::Early {
                let mut routes = record_route(h)?;
                routes.reverse();
                self.route_set = routes;
            }
            self.state = DialogState::Confirmed;
        }
        if code < 300 {
            if let Some(target) = contact_uri(h) {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// Checks a request the peer sent in this dialog and applies it: the CSeq must not go
    /// back (§12.2.2: answer a lower one with 500), and a target refresh request (INVITE,
    /// UPDATE, SUBSCRIBE, NOTIFY, REFER) with a Contact replaces the remote target.
    pub fn handle_request(&mut self, request: &Request) -> Result<(), DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let method = request.method();
        let seq = cseq(request.headers())?.seq;
        // ACK and CANCEL reuse the CSeq of the request they belong to.
        if !matches!(method, Method::Ack | Method::Cancel) {
            if let Some(last) = self.remote_seq {
                if seq < last {
                    return Err(DialogError::CseqOutOfOrder { got: seq, last });
                }
            }
            self.remote_seq = Some(seq);
        }
        if matches!(
            method,
            Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
        ) {
            if let Some(target) = contact_uri(request.headers()) {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// Ends the dialog.
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// Builds a request in this dialog (§12.2.1.1): Request-URI and Route from the remote
    /// target and route set (loose or strict routing), To and From with the tags, the
    /// Call-ID, and the next local CSeq — for ACK and CANCEL pass the CSeq of the INVITE
    /// they belong to. The endpoint adds Via (and Contact where the method needs one).
    pub fn request(
        &mut self,
        method: Method,
        ack_or_cancel_seq: Option<u32>,
    ) -> Result<Request, DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = match (&method, ack_or_cancel_seq) {
            (Method::Ack | Method::Cancel, Some(s)) => s,
            _ => {
                let next = match self.local_seq {
                    Some(s) if s >= 0x7fff_ffff => return Err(DialogError::CseqExhausted),
                    Some(s) => s + 1,
                    // A UAS that never sent a request starts anywhere below 2^31 (§8.1.1.5).
                    None => 1,
                };
                self.local_seq = Some(next);
                next
            }
        };
        let strict = self
            .route_set
            .first()
            .is_some_and(|r| !r.uri().is_loose_route());
        let (request_uri, routes): (Uri<'static>, Vec<Address<'static>>) = if strict {
            // §12.2.1.1: the first route becomes the Request-URI; the remote target goes last.
            let mut rest: Vec<_> = self.route_set[1..].to_vec();
            rest.push(Address::new(self.remote_target.clone()));
            (self.route_set[0].uri().without_headers(), rest)
        } else {
            (self.remote_target.clone(), self.route_set.clone())
        };
        let mut req = Request::new(method.clone(), request_uri);
        let h = req.headers_mut();
        for r in &routes {
            h.push_typed(&Route(r.clone()));
        }
        h.push_typed(&FromHeader(self.local.clone()));
        h.push_typed(&ToHeader(self.remote.clone()));
        h.push(HeaderName::CallId, self.id.call_id());
        h.push_typed(&Cseq::new(seq, method));
        h.push(HeaderName::MaxForwards, "70");
        h.push(HeaderName::ContentLength, "0");
        Ok(req)
    }
}

#[cfg(test)]
mod tests;
