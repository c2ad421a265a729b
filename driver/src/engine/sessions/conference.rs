//! The engine's side of the seed's `ConferenceHandler`: adding and removing participants of a
//! conference the peer hosts, with a REFER to the focus in the session's dialog (RFC 4579
//! §5.5, §5.10), and the `SIPConference*` notifications its NOTIFYs lead to; and the
//! `conference` event subscription (RFC 4579 §6) whose documents become
//! `SIPSessionGotConferenceInfo`.

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::json;
use sipsimple_proto::endpoint::Event;
use sipsimple_proto::invite::SessionEvent;
use sipsimple_proto::payloads::conference::{self, ConferenceInfo};
use sipsimple_proto::sip::headers::ReferTo;
use sipsimple_proto::sip::{Address, Uri};
use sipsimple_proto::subscription::{
    State as SubscriptionState, Subscription, SubscriptionConfig, SubscriptionEvent,
};

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

/// The `conference` event subscription of a call whose peer is a focus (RFC 4579 §6), and
/// the conference state its NOTIFYs built.
#[derive(Debug, Default)]
pub(super) struct ConferenceWatch {
    subscription: Option<Subscription>,
    info: Option<ConferenceInfo>,
}

/// How long the conference subscription asks to last; it is refreshed at half of it.
const CONFERENCE_EXPIRES: u32 = 600;

impl Engine {
    /// Subscribes to the conference of call `id`, whose peer turned out to be a focus: a
    /// SUBSCRIBE to the focus's Contact URI (the conference URI) for `conference` events.
    pub(super) fn watch_conference(&mut self, now: Instant, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (Some(invite), Some((contact, route))) =
            (call.invite.as_ref(), call.signalling.clone())
        else {
            return;
        };
        let Some(dialog) = invite.dialog() else {
            return;
        };
        let conference_uri = dialog.remote_target().clone();
        let mut config = SubscriptionConfig::new(
            super::account_address(&call.account),
            Address::new(conference_uri),
            contact,
            route,
            "conference",
        );
        config.accept = vec![conference::CONTENT_TYPE.to_owned()];
        config.expires = CONFERENCE_EXPIRES;
        config.credentials = Some(crate::account::credentials(&call.account));
        if let Ok(subscription) = Subscription::new(now, &mut self.rng, config) {
            call.watch.subscription = Some(subscription);
            self.drive_watch(now, id);
        }
    }

    /// Runs the subscription's actions and turns its NOTIFYs into conference state and
    /// `SIPSessionGotConferenceInfo`.
    pub(super) fn drive_watch(&mut self, now: Instant, id: u64) {
        loop {
            let Some(sub) = self
                .calls
                .get_mut(&id)
                .and_then(|c| c.watch.subscription.as_mut())
            else {
                return;
            };
            let _ = sub.drive(now, &mut self.endpoint);
            let Some(event) = sub.poll_event() else {
                return;
            };
            match event {
                SubscriptionEvent::GotNotify {
                    content_type, body, ..
                } if content_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with(conference::CONTENT_TYPE)) =>
                {
                    self.conference_notify(id, &body);
                }
                SubscriptionEvent::DidFail { .. } | SubscriptionEvent::DidEnd { .. } => {
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.watch.subscription = None;
                    }
                }
                _ => {}
            }
        }
    }

    /// A conference-info document: a full one replaces what we know, a partial one is
    /// merged in (RFC 4575 §4.6); one that does not fit (bad XML, a version gap) is dropped.
    fn conference_notify(&mut self, id: u64, body: &[u8]) {
        let Ok(document) = ConferenceInfo::parse(body) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let merged = match call.watch.info.take() {
            Some(mut current) if document.state == conference::State::Partial => {
                let kept = current.clone();
                match current.apply(document) {
                    Ok(()) => current,
                    Err(_) => {
                        call.watch.info = Some(kept);
                        return;
                    }
                }
            }
            _ if document.state == conference::State::Partial => return,
            _ => document,
        };
        let data = conference_json(&merged);
        call.watch.info = Some(merged.clone());
        self.shared
            .update_session(id, |s| s.conference_info = Some(merged));
        self.post(
            "SIPSessionGotConferenceInfo",
            &sender_id(id),
            json!({ "conference_info": data }),
        );
    }

    /// Offers an endpoint event to the conference subscriptions (of live calls, then of
    /// ended ones still unsubscribing); `true` when one took it.
    pub(super) fn watch_event(&mut self, now: Instant, event: &Event) -> bool {
        let taker = self.calls.iter_mut().find_map(|(id, c)| {
            c.watch
                .subscription
                .as_mut()?
                .handle_event(now, &mut self.rng, event)
                .then_some(*id)
        });
        if let Some(id) = taker {
            self.drive_watch(now, id);
            return true;
        }
        let mut taken = false;
        for sub in &mut self.leaving {
            if sub.handle_event(now, &mut self.rng, event) {
                let _ = sub.drive(now, &mut self.endpoint);
                taken = true;
                break;
            }
        }
        self.leaving
            .retain(|s| s.state() != SubscriptionState::Terminated);
        taken
    }

    /// The earliest deadline of the conference subscriptions.
    pub(super) fn watch_timeout(&self) -> Option<Instant> {
        self.calls
            .values()
            .filter_map(|c| c.watch.subscription.as_ref())
            .chain(self.leaving.iter())
            .filter_map(Subscription::poll_timeout)
            .min()
    }

    /// Fires the conference subscriptions' due timers.
    pub(super) fn watch_handle_timeout(&mut self, now: Instant) {
        let due: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.watch
                    .subscription
                    .as_ref()
                    .and_then(Subscription::poll_timeout)
                    .is_some_and(|t| t <= now)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(sub) = self
                .calls
                .get_mut(&id)
                .and_then(|c| c.watch.subscription.as_mut())
            {
                sub.handle_timeout(now, &mut self.rng);
            }
            self.drive_watch(now, id);
        }
        for sub in &mut self.leaving {
            if sub.poll_timeout().is_some_and(|t| t <= now) {
                sub.handle_timeout(now, &mut self.rng);
                let _ = sub.drive(now, &mut self.endpoint);
            }
        }
        self.leaving
            .retain(|s| s.state() != SubscriptionState::Terminated);
    }

    /// The call ended: its conference subscription unsubscribes and lives on until the
    /// focus's final NOTIFY (or 64·T1).
    pub(super) fn unwatch(&mut self, now: Instant, watch: ConferenceWatch) {
        let Some(mut sub) = watch.subscription else {
            return;
        };
        if sub.unsubscribe(now, &mut self.rng).is_ok() {
            let _ = sub.drive(now, &mut self.endpoint);
            if sub.state() != SubscriptionState::Terminated && self.leaving.len() < MAX_LEAVING {
                self.leaving.push(sub);
            }
        }
    }
}

/// How many ended calls' subscriptions may wait for their final NOTIFY at once.
const MAX_LEAVING: usize = 64;

/// Conference state as notification data: the conference and its users with their
/// endpoints and media (the seed's `Conference` payload object, in JSON).
fn conference_json(info: &ConferenceInfo) -> serde_json::Value {
    let users: Vec<serde_json::Value> = info
        .users
        .iter()
        .map(|u| {
            let endpoints: Vec<serde_json::Value> = u
                .endpoints
                .iter()
                .map(|e| {
                    let media: Vec<serde_json::Value> = e
                        .media
                        .iter()
                        .map(|m| {
                            json!({
                                "id": m.id,
                                "type": m.media_type,
                                "status": m.status.as_ref().map(|s| s.as_str().to_owned()),
                            })
                        })
                        .collect();
                    json!({
                        "entity": e.entity,
                        "display_text": e.display_text,
                        "status": e.status.as_ref().map(|s| s.as_str().to_owned()),
                        "media": media,
                    })
                })
                .collect();
            json!({
                "entity": u.entity,
                "display_text": u.display_text,
                "roles": u.roles,
                "endpoints": endpoints,
            })
        })
        .collect();
    json!({
        "entity": info.entity,
        "version": info.version,
        "subject": info.description.as_ref().and_then(|d| d.subject.clone()),
        "user_count": info.conference_state.as_ref().and_then(|s| s.user_count),
        "active": info.conference_state.as_ref().and_then(|s| s.active),
        "locked": info.conference_state.as_ref().and_then(|s| s.locked),
        "users": users,
    })
}
