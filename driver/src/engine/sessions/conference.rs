//! The engine's side of the seed's `ConferenceHandler`: adding and removing participants of a
//! conference the peer hosts, with a REFER to the focus in the session's dialog (RFC 4579
//! §5.5, §5.10), and the `SIPConference*` notifications its NOTIFYs lead to.

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::json;
use sipsimple_proto::invite::SessionEvent;
use sipsimple_proto::sip::headers::ReferTo;
use sipsimple_proto::sip::Uri;

use super::referrer;
use crate::engine::Engine;
use crate::session::sender_id;

/// An add or remove asked of the focus.
#[derive(Debug, Clone)]
pub(super) struct ConferenceOp {
    /// Add (`true`, the REFER's method is INVITE) or remove (`method=BYE`).
    add: bool,
    /// The participant's URI, as the user gave it.
    participant: String,
}

/// The conference operations of one call: the one whose REFER is out, then the others in
/// the order asked.
#[derive(Debug, Default)]
pub(super) struct ConferenceOps {
    current: Option<ConferenceOp>,
    queued: VecDeque<ConferenceOp>,
}

/// How many operations may wait for the one in progress.
const MAX_QUEUED: usize = 32;

impl Engine {
    /// `ConferenceHandler::add_participant` (`add`) or `remove_participant`.
    pub(in crate::engine) fn conference_op(
        &mut self,
        now: Instant,
        id: u64,
        participant: String,
        add: bool,
    ) {
        let op = ConferenceOp { add, participant };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.conference.queued.len() >= MAX_QUEUED {
            self.conference_failed(id, &op, 503, "too many conference operations pending");
            return;
        }
        call.conference.queued.push_back(op);
        self.next_conference_op(now, id);
    }

    /// Sends the REFER of the next queued operation when none is out.
    fn next_conference_op(&mut self, now: Instant, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.conference.current.is_some() {
            return;
        }
        let Some(op) = call.conference.queued.pop_front() else {
            return;
        };
        let target = op.participant.parse::<Uri<'_>>().and_then(|uri| {
            if op.add {
                Ok(uri.into_owned())
            } else {
                // RFC 4579 §5.10: the focus is asked to send the participant a BYE.
                uri.with_param("method", Some("BYE"))
            }
        });
        let target = match target {
            Ok(t) => t,
            Err(e) => {
                self.conference_failed(id, &op, 400, &format!("bad participant URI: {e}"));
                return self.next_conference_op(now, id);
            }
        };
        let referred_by = referrer(call);
        let sent = call.invite.as_mut().map(|invite| {
            invite.refer(
                now,
                &mut self.rng,
                &ReferTo::new(target),
                Some(&referred_by),
            )
        });
        match sent {
            Some(Ok(())) => {
                call.conference.current = Some(op);
                self.drive_call(now, id);
            }
            Some(Err(e)) => {
                // A transfer's REFER is out: this one fails rather than waits for it.
                self.conference_failed(id, &op, 491, &e.to_string());
                self.next_conference_op(now, id);
            }
            None => self.conference_failed(id, &op, 481, "the session has no dialog"),
        }
    }

    /// The REFER events of a conference operation; `true` when `event` was one.
    pub(super) fn conference_event(&mut self, now: Instant, id: u64, event: &SessionEvent) -> bool {
        let Some(op) = self
            .calls
            .get(&id)
            .and_then(|c| c.conference.current.clone())
        else {
            return false;
        };
        let sender = sender_id(id);
        let (progress, done) = if op.add {
            (
                "SIPConferenceGotAddParticipantProgress",
                "SIPConferenceDidAddParticipant",
            )
        } else {
            (
                "SIPConferenceGotRemoveParticipantProgress",
                "SIPConferenceDidRemoveParticipant",
            )
        };
        match event {
            SessionEvent::ReferAccepted => {}
            SessionEvent::ReferProgress { code, reason } => self.post(
                progress,
                &sender,
                json!({"participant": op.participant, "code": code, "reason": reason}),
            ),
            SessionEvent::ReferSucceeded { .. } | SessionEvent::ReferFailed { .. } => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.conference.current = None;
                }
                match event {
                    SessionEvent::ReferFailed { code, reason } => {
                        self.conference_failed(id, &op, *code, reason);
                    }
                    _ => self.post(done, &sender, json!({"participant": op.participant})),
                }
                self.next_conference_op(now, id);
            }
            _ => return false,
        }
        true
    }

    fn conference_failed(&self, id: u64, op: &ConferenceOp, code: u16, reason: &str) {
        let name = if op.add {
            "SIPConferenceDidNotAddParticipant"
        } else {
            "SIPConferenceDidNotRemoveParticipant"
        };
        self.post(
            name,
            &sender_id(id),
            json!({"participant": op.participant, "code": code, "reason": reason}),
        );
    }
}
