//! The engine's side of call transfer: REFER and its NOTIFYs through
//! `proto::invite`, the transferee's new call, and the `SIPSessionTransfer*` notifications.

use std::time::Instant;

use serde_json::json;
use sipsimple_proto::invite::SessionEvent;
use sipsimple_proto::sdp::Session as Sdp;
use sipsimple_proto::sip::headers::{ReferTo, ReferredBy, Replaces};
use sipsimple_proto::sip::Uri;

use super::{reason_or_canonical, referrer, Call};
use crate::engine::Engine;
use crate::session::{
    sender_id, Direction, SessionInfo, SessionState, TransferOrigin, TransferRecord, TransferState,
};

/// What the transferee's new call is to carry: the Replaces and Referred-By of its INVITE.
#[derive(Debug, Clone, Default)]
pub(super) struct TransferCall {
    pub(super) replaces: Option<Replaces<'static>>,
    pub(super) referred_by: Option<ReferredBy<'static>>,
}

impl Engine {
    /// `Session::transfer`: a REFER to the peer, with an embedded Replaces naming our
    /// session `replaced` for an attended transfer.
    pub(in crate::engine) fn session_transfer(
        &mut self,
        now: Instant,
        id: u64,
        target: &str,
        replaced: Option<u64>,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let source = call.account.id().uri().to_string();
        let replaces = replaced.and_then(|r| self.replaces_for(r));
        let refer_to = match target.parse::<Uri<'_>>() {
            Ok(uri) => match &replaces {
                Some(rep) => ReferTo::with_replaces(&uri, rep).map_err(|e| e.to_string()),
                None => Ok(ReferTo::new(uri.into_owned())),
            },
            Err(e) => Err(e.to_string()),
        };
        let referred_by = referrer(call);
        let sender = sender_id(id);
        self.post(
            "SIPSessionTransferNewOutgoing",
            &sender,
            json!({"transfer_destination": target, "transfer_source": source}),
        );
        let refer_to = match (refer_to, replaced.is_some() && replaces.is_none()) {
            (Ok(r), false) => r,
            (Err(e), _) => return self.transfer_failed(id, 400, &format!("bad target: {e}")),
            (_, true) => {
                return self.transfer_failed(id, 481, "the replaced session has no dialog");
            }
        };
        let sent = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.invite.as_mut())
            .map(|invite| invite.refer(now, &mut self.rng, &refer_to, Some(&referred_by)));
        match sent {
            Some(Ok(())) => {
                self.set_transfer(id, Direction::Outgoing, TransferState::Requested, target);
                self.drive_call(now, id);
            }
            Some(Err(e)) => self.transfer_failed(id, 491, &e.to_string()),
            None => self.transfer_failed(id, 481, "the session has no dialog"),
        }
    }

    /// The Replaces naming our dialog of session `id`, as the transfer target sees it: its
    /// To tag is the target's tag (our remote tag), its From tag ours (RFC 3891 §3).
    fn replaces_for(&self, id: u64) -> Option<Replaces<'static>> {
        let dialog = self.calls.get(&id)?.invite.as_ref()?.dialog()?;
        let d = dialog.id();
        Replaces::new(d.call_id(), d.remote_tag(), d.local_tag()).ok()
    }

    /// `Session::accept_transfer`: 202 and the first NOTIFY, then a new session to the
    /// target with streams of the same types as this one.
    pub(in crate::engine) fn session_accept_transfer(&mut self, now: Instant, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((refer_to, referred_by)) = call.refer.take() else {
            return;
        };
        let Some(invite) = call.invite.as_mut() else {
            return;
        };
        if invite.accept_refer(now).is_err() {
            return;
        }
        let account = call.account.clone();
        let media = call
            .sent
            .as_ref()
            .map(|s: &Sdp| s.media().to_vec())
            .unwrap_or_default();
        let remote = self
            .shared
            .sessions()
            .get(&id)
            .and_then(|s| s.remote_identity.clone());
        self.update_transfer(id, TransferState::Started);
        self.post("SIPSessionTransferDidStart", &sender_id(id), json!({}));
        self.drive_call(now, id);

        let streams = self.shared.streams.streams_for(&media);
        if streams.is_empty() {
            self.notify_transfer(now, id, 488, "Not Acceptable Here");
            return;
        }
        let replaces = match refer_to.replaces() {
            Some(Ok(r)) => Some(r),
            Some(Err(_)) => {
                self.notify_transfer(now, id, 400, "Bad Request");
                return;
            }
            None => None,
        };
        // The embedded headers go into the INVITE as headers, not into its Request-URI.
        let target = refer_to.uri().without_headers();
        let new_id = self.shared.new_session(SessionInfo {
            account: account.id().clone(),
            direction: Some(Direction::Outgoing),
            state: SessionState::Connecting,
            local_identity: None,
            remote_identity: None,
            transport: None,
            start_time: None,
            stop_time: None,
            streams: streams.clone(),
            on_hold: false,
            proposed_types: Vec::new(),
            proposed_streams: Vec::new(),
            transfer: None,
            transfer_origin: Some(TransferOrigin {
                referred_by: referred_by.as_ref().map(|b| b.uri().to_string()).or(remote),
                transferred_session: id,
            }),
            replaced_session: None,
            remote_focus: false,
            conference_info: None,
            remote_user_agent: None,
            subject: None,
        });
        self.shared.update_session(id, |s| {
            if let Some(t) = s.transfer.as_mut() {
                t.new_session = Some(new_id);
            }
        });
        let types: Vec<&str> = streams.iter().map(|s| s.stream_type()).collect();
        self.post(
            "SIPSessionNewOutgoing",
            &sender_id(new_id),
            json!({"streams": types, "session": new_id}),
        );
        self.session_connect(now, new_id, target.to_string(), streams, None, false);
        if let Some(new_call) = self.calls.get_mut(&new_id) {
            new_call.transfer_call = TransferCall {
                replaces,
                referred_by,
            };
        }
    }

    /// `Session::reject_transfer`: the REFER gets `code`.
    pub(in crate::engine) fn session_reject_transfer(
        &mut self,
        now: Instant,
        id: u64,
        code: u16,
        reason: Option<String>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.refer.take().is_none() {
            return;
        }
        if let Some(invite) = call.invite.as_mut() {
            let _ = invite.reject_refer(now, code);
        }
        let reason = reason_or_canonical(code, reason);
        self.transfer_failed(id, code, &reason);
        self.drive_call(now, id);
    }

    /// The transfer events of session `id`'s INVITE session; `true` when `event` was one.
    pub(super) fn transfer_event(&mut self, now: Instant, id: u64, event: &SessionEvent) -> bool {
        let sender = sender_id(id);
        match event {
            SessionEvent::GotRefer {
                refer_to,
                referred_by,
            } => {
                let source = referred_by
                    .as_ref()
                    .map(|b| b.uri().to_string())
                    .or_else(|| {
                        self.shared
                            .sessions()
                            .get(&id)
                            .and_then(|s| s.remote_identity.clone())
                    });
                let destination = refer_to.uri().to_string();
                if let Some(call) = self.calls.get_mut(&id) {
                    call.refer = Some(((**refer_to).clone(), referred_by.as_deref().cloned()));
                }
                self.set_transfer(
                    id,
                    Direction::Incoming,
                    TransferState::Requested,
                    &destination,
                );
                self.post(
                    "SIPSessionTransferNewIncoming",
                    &sender,
                    json!({"transfer_destination": destination, "transfer_source": source}),
                );
            }
            SessionEvent::ReferAccepted => {
                self.update_transfer(id, TransferState::Started);
                self.post("SIPSessionTransferDidStart", &sender, json!({}));
            }
            SessionEvent::ReferProgress { code, reason } => self.post(
                "SIPSessionTransferGotProgress",
                &sender,
                json!({"code": code, "reason": reason}),
            ),
            SessionEvent::ReferSucceeded { .. } => {
                self.update_transfer(id, TransferState::Ended);
                self.post("SIPSessionTransferDidEnd", &sender, json!({}));
                // RFC 5589 §6: the transferor ends the transferred call.
                self.session_end(now, id);
            }
            SessionEvent::ReferFailed { code, reason } => self.transfer_failed(id, *code, reason),
            _ => return false,
        }
        true
    }

    /// The transferee's new call `id` moved on: its status goes to the transferor in a
    /// NOTIFY of the transferred session, and a final one ends the transfer there.
    pub(super) fn transferred_call_event(&mut self, now: Instant, id: u64, event: &SessionEvent) {
        let Some(origin) = self
            .shared
            .sessions()
            .get(&id)
            .and_then(|s| s.transfer_origin.clone())
        else {
            return;
        };
        let transferred = origin.transferred_session;
        match event {
            SessionEvent::GotProvisionalResponse { code, reason, .. } => {
                self.notify_transfer(now, transferred, *code, reason);
            }
            SessionEvent::DidStart => self.notify_transfer(now, transferred, 200, "OK"),
            SessionEvent::DidFail { code, reason, .. } => {
                let code = if *code >= 300 { *code } else { 500 };
                self.notify_transfer(now, transferred, code, reason);
            }
            _ => {}
        }
    }

    /// The new call of a transfer failed before it had an INVITE session.
    pub(super) fn transferred_call_failed(&mut self, id: u64, code: u16, reason: &str) {
        let origin = self
            .shared
            .sessions()
            .get(&id)
            .and_then(|s| s.transfer_origin.clone());
        if let Some(origin) = origin {
            let now = self.runtime.now();
            let code = if code >= 300 { code } else { 500 };
            self.notify_transfer(now, origin.transferred_session, code, reason);
        }
    }

    /// Tells the transferor how the new call goes; a final status ends the transfer here.
    fn notify_transfer(&mut self, now: Instant, id: u64, code: u16, reason: &str) {
        let sent = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.invite.as_mut())
            .is_some_and(|invite| invite.notify_refer(now, code, reason).is_ok());
        if !sent {
            return;
        }
        if (200..300).contains(&code) {
            self.update_transfer(id, TransferState::Ended);
            self.post("SIPSessionTransferDidEnd", &sender_id(id), json!({}));
        } else if code >= 300 {
            self.transfer_failed(id, code, reason);
        }
        self.drive_call(now, id);
    }

    fn transfer_failed(&mut self, id: u64, code: u16, reason: &str) {
        self.update_transfer(id, TransferState::Failed);
        self.post(
            "SIPSessionTransferDidFail",
            &sender_id(id),
            json!({"code": code, "reason": reason}),
        );
    }

    fn set_transfer(&self, id: u64, direction: Direction, state: TransferState, target: &str) {
        self.shared.update_session(id, |s| {
            s.transfer = Some(TransferRecord {
                direction,
                state,
                target: target.to_owned(),
                new_session: None,
            });
        });
    }

    fn update_transfer(&self, id: u64, state: TransferState) {
        self.shared.update_session(id, |s| {
            if let Some(t) = s.transfer.as_mut() {
                t.state = state;
            }
        });
    }

    /// An INVITE with Replaces (RFC 3891 §3): the session it replaces — ours, established,
    /// with its dialog named from our side — or the status to refuse it with.
    pub(super) fn replaced_call(&self, replaces: &Replaces<'_>) -> Result<u64, u16> {
        let found = self.calls.iter().find(|(_, c)| {
            c.invite.as_ref().and_then(|i| i.dialog()).is_some_and(|d| {
                let id = d.id();
                id.call_id() == replaces.call_id()
                    && id.local_tag() == replaces.to_tag()
                    && id.remote_tag() == replaces.from_tag()
            })
        });
        match found {
            Some((id, c)) if is_established(c) => Ok(*id),
            // §3: an early dialog we did not initiate, or one already over.
            Some(_) => Err(603),
            None => Err(481),
        }
    }
}

fn is_established(call: &Call) -> bool {
    call.invite
        .as_ref()
        .is_some_and(|i| i.state() == sipsimple_proto::invite::SessionState::Connected)
}
