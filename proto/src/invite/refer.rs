//! Call transfer inside the session's dialog (RFC 3515, RFC 5589): REFER with its implicit
//! `refer` subscription and the `message/sipfrag` NOTIFYs that report how the referred call
//! goes.
//!
//! The transferor sends the REFER ([`InviteSession::refer`]) and learns the outcome from
//! [`SessionEvent::ReferAccepted`], [`SessionEvent::ReferProgress`] and one final
//! [`SessionEvent::ReferSucceeded`] or [`SessionEvent::ReferFailed`]. The transferee is told
//! of a REFER by [`SessionEvent::GotRefer`], answers it with
//! [`InviteSession::accept_refer`] (202 and the initial `100 Trying` NOTIFY, RFC 3515
//! §2.4.4) or [`InviteSession::reject_refer`], and reports the new call with
//! [`InviteSession::notify_refer`]; a final status ends the subscription. One transfer at a
//! time in each direction: a second REFER while one is under way gets 491.

use std::time::Instant;

use bytes::Bytes;

use super::{Error, InviteSession, Purpose, SessionEvent, SessionState, Timer};
use crate::endpoint::ServerTxId;
use crate::payloads::sipfrag::{self, SipFrag};
use crate::rand::Random;
use crate::sip::headers::{
    Event as EventHeader, ReferTo, ReferredBy, SubState, SubscriptionReason, SubscriptionState,
};
use crate::sip::{Method, Request, Response, StatusCode};

/// How long the implicit subscription of a REFER we accept lasts (RFC 3515 §2.4.4 leaves it
/// to the notifier); the final NOTIFY normally ends it much sooner.
pub const REFER_SUBSCRIPTION_SECS: u32 = 180;

/// Our REFER, from sending to the final NOTIFY.
#[derive(Debug, Clone)]
pub(super) struct OutgoingRefer {
    /// Its 2xx came.
    accepted: bool,
    /// Give up waiting for the final NOTIFY.
    deadline: Option<Instant>,
}

/// The peer's REFER, from its arrival to our final NOTIFY.
#[derive(Debug, Clone)]
pub(super) struct IncomingRefer {
    /// The server transaction, until we answer it.
    tx: Option<ServerTxId>,
    /// The REFER.
    request: Request,
    /// Accepted with 202: NOTIFYs may follow.
    accepted: bool,
}

impl InviteSession {
    /// Transferor: sends a REFER in the session's dialog asking the peer to call `refer_to`
    /// (with an embedded Replaces for an attended transfer, [`ReferTo::with_replaces`]),
    /// naming us in `referred_by` if given.
    ///
    /// # Errors
    ///
    /// [`Error::WrongState`] unless connected or while another REFER of ours is under way.
    pub fn refer(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        refer_to: &ReferTo<'_>,
        referred_by: Option<&ReferredBy<'_>>,
    ) -> Result<(), Error> {
        let now = self.clamp(now);
        if self.state != SessionState::Connected || self.outgoing_refer.is_some() {
            return Err(self.wrong_state("refer"));
        }
        let dialog = self
            .dialog
            .as_mut()
            .ok_or(crate::dialog::DialogError::Terminated)?;
        let mut refer = dialog.request(Method::Refer, None)?;
        let h = refer.headers_mut();
        h.push_typed(&self.our_contact());
        h.push_typed(refer_to);
        if let Some(by) = referred_by {
            h.push_typed(by);
        }
        self.auth.authorize_again(rng, &mut refer);
        let hop = self.next_hop(self.dialog.as_ref().expect("checked above"));
        self.outgoing_refer = Some(OutgoingRefer {
            accepted: false,
            deadline: Some(now + 64 * self.timers.t1),
        });
        self.send(Purpose::Refer, refer, hop);
        Ok(())
    }

    /// Transferee: accepts the peer's REFER ([`SessionEvent::GotRefer`]) with 202 and sends
    /// the first NOTIFY (`SIP/2.0 100 Trying`). Report the new call with
    /// [`InviteSession::notify_refer`].
    ///
    /// # Errors
    ///
    /// [`Error::NothingPending`] when no REFER waits for an answer.
    pub fn accept_refer(&mut self, now: Instant) -> Result<(), Error> {
        self.clamp(now);
        let Some(r) = self.incoming_refer.as_mut().filter(|r| r.tx.is_some()) else {
            return Err(Error::NothingPending("accept_refer"));
        };
        let tx = r.tx.take().expect("checked above");
        r.accepted = true;
        let accepted = Response::for_request(&r.request, ACCEPTED);
        self.respond(tx, accepted);
        self.send_refer_notify(StatusCode::TRYING, "Trying");
        Ok(())
    }

    /// Transferee: refuses the peer's REFER with `code` (4xx–6xx; 603 Declined usually).
    ///
    /// # Errors
    ///
    /// [`Error::NothingPending`] when no REFER waits; [`Error::BadStatus`] for a code below
    /// 300.
    pub fn reject_refer(&mut self, now: Instant, code: u16) -> Result<(), Error> {
        self.clamp(now);
        let status = StatusCode::new(code)
            .filter(|s| s.code() >= 300)
            .ok_or(Error::BadStatus(code))?;
        if self.incoming_refer.as_ref().is_none_or(|r| r.tx.is_none()) {
            return Err(Error::NothingPending("reject_refer"));
        }
        let r = self.incoming_refer.take().expect("checked above");
        let tx = r.tx.expect("checked above");
        self.respond(tx, Response::for_request(&r.request, status));
        Ok(())
    }

    /// Transferee: reports the status of the call the REFER asked for in a NOTIFY
    /// (`SIP/2.0 <code> <reason>`). A final status (200 or above) ends the subscription.
    ///
    /// # Errors
    ///
    /// [`Error::NothingPending`] unless a REFER was accepted and its subscription goes on;
    /// [`Error::BadStatus`] for a code that is not a status code.
    pub fn notify_refer(&mut self, now: Instant, code: u16, reason: &str) -> Result<(), Error> {
        self.clamp(now);
        let status = StatusCode::new(code).ok_or(Error::BadStatus(code))?;
        if self.incoming_refer.as_ref().is_none_or(|r| !r.accepted) {
            return Err(Error::NothingPending("notify_refer"));
        }
        self.send_refer_notify(status, reason);
        Ok(())
    }

    /// The NOTIFY of the `refer` subscription with `code` and `reason` as its sipfrag; a
    /// final one terminates the subscription.
    fn send_refer_notify(&mut self, status: StatusCode, reason: &str) {
        let final_status = status.is_final();
        if final_status {
            self.incoming_refer = None;
        }
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let Ok(mut notify) = dialog.request(Method::Notify, None) else {
            return;
        };
        let state = if final_status {
            SubscriptionState::terminated(Some(SubscriptionReason::Noresource))
        } else {
            SubscriptionState::active(REFER_SUBSCRIPTION_SECS)
        };
        let h = notify.headers_mut();
        h.push_typed(&EventHeader::new("refer").expect("a token"));
        h.push_typed(&state);
        h.push_typed(&self.our_contact());
        notify.set_body(
            Some(sipfrag::CONTENT_TYPE),
            Bytes::from(SipFrag::status(status, reason)),
        );
        let hop = self.next_hop(self.dialog.as_ref().expect("checked above"));
        self.send(Purpose::Notify, notify, hop);
    }

    /// A REFER in our dialog.
    pub(super) fn on_refer(&mut self, tx: ServerTxId, request: &Request) {
        let respond = |status: StatusCode| Response::for_request(request, status);
        let refer_to = match request.headers().single::<ReferTo<'_>>() {
            Ok(r) => r.into_owned(),
            Err(e) => {
                let bad =
                    respond(StatusCode::BAD_REQUEST).with_reason(&format!("Bad Refer-To: {e}"));
                self.respond(tx, bad);
                return;
            }
        };
        // The dialog is confirmed once our 2xx went out, even if its ACK is still on its way.
        if !matches!(
            self.state,
            SessionState::Connected | SessionState::Connecting
        ) {
            self.respond(tx, respond(StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST));
            return;
        }
        if self.incoming_refer.is_some() {
            self.respond(tx, respond(super::REQUEST_PENDING));
            return;
        }
        let referred_by = request
            .headers()
            .single::<ReferredBy<'_>>()
            .ok()
            .map(ReferredBy::into_owned);
        self.incoming_refer = Some(IncomingRefer {
            tx: Some(tx),
            request: request.clone(),
            accepted: false,
        });
        self.events.push_back(SessionEvent::GotRefer {
            refer_to: Box::new(refer_to),
            referred_by: referred_by.map(Box::new),
        });
    }

    /// A NOTIFY in our dialog: one of our REFER's subscription, else 481 (RFC 6665 §4.1.3).
    pub(super) fn on_notify(&mut self, tx: ServerTxId, request: &Request) {
        let respond = |status: StatusCode| Response::for_request(request, status);
        let h = request.headers();
        let is_refer = h
            .single::<EventHeader<'_>>()
            .is_ok_and(|e| e.package() == "refer");
        if !is_refer || self.outgoing_refer.is_none() {
            self.respond(tx, respond(StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST));
            return;
        }
        let terminated = match h.single::<SubscriptionState<'_>>() {
            Ok(s) => matches!(s.state(), SubState::Terminated),
            Err(e) => {
                let bad = respond(StatusCode::BAD_REQUEST)
                    .with_reason(&format!("Bad Subscription-State: {e}"));
                self.respond(tx, bad);
                return;
            }
        };
        let frag = match request.body() {
            b if b.is_empty() => None,
            b => match SipFrag::parse(b) {
                Ok(f) => Some(f),
                Err(e) => {
                    let bad =
                        respond(StatusCode::BAD_REQUEST).with_reason(&format!("Bad sipfrag: {e}"));
                    self.respond(tx, bad);
                    return;
                }
            },
        };
        self.respond(tx, respond(StatusCode::OK));
        let accepted_by_notify = self.outgoing_refer.as_ref().is_some_and(|r| !r.accepted);
        if accepted_by_notify {
            // The NOTIFY overtook the 202 (RFC 3515 §2.4.4 allows it): the REFER was accepted.
            self.refer_accepted();
        }
        match frag {
            Some(f) if f.status_code().code() >= 200 => {
                self.outgoing_refer = None;
                let reason = f.reason().to_owned();
                self.events.push_back(if f.status_code().code() < 300 {
                    SessionEvent::ReferSucceeded {
                        code: f.status_code().code(),
                        reason,
                    }
                } else {
                    SessionEvent::ReferFailed {
                        code: f.status_code().code(),
                        reason,
                    }
                });
            }
            Some(f) if !terminated => {
                self.events.push_back(SessionEvent::ReferProgress {
                    code: f.status_code().code(),
                    reason: f.reason().to_owned(),
                });
            }
            _ if terminated => {
                self.outgoing_refer = None;
                self.events.push_back(SessionEvent::ReferFailed {
                    code: 487,
                    reason: "transfer subscription ended without a final status".to_owned(),
                });
            }
            _ => {}
        }
    }

    fn refer_accepted(&mut self) {
        if let Some(r) = self.outgoing_refer.as_mut() {
            r.accepted = true;
            // The final NOTIFY may take as long as the referred call takes to answer.
            r.deadline = Some(
                self.latest + std::time::Duration::from_secs(u64::from(REFER_SUBSCRIPTION_SECS)),
            );
            self.events.push_back(SessionEvent::ReferAccepted);
        }
    }

    /// The final response to our REFER (or its timeout, as 408).
    pub(super) fn on_refer_response(&mut self, code: u16, reason: &str) {
        if code < 200 || self.outgoing_refer.is_none() {
            return;
        }
        if code < 300 {
            if self.outgoing_refer.as_ref().is_some_and(|r| !r.accepted) {
                self.refer_accepted();
            }
            return;
        }
        self.outgoing_refer = None;
        self.events.push_back(SessionEvent::ReferFailed {
            code,
            reason: reason.to_owned(),
        });
    }

    /// The response to one of our NOTIFYs: a 481 (or a timeout) means the transferor dropped
    /// the subscription, so no more NOTIFYs go.
    pub(super) fn on_notify_response(&mut self, code: u16) {
        if matches!(code, 408 | 481) {
            self.incoming_refer = None;
        }
    }

    /// [`Timer::ReferTimeout`]: no final NOTIFY in time.
    pub(super) fn refer_timed_out(&mut self, now: Instant) {
        if self
            .outgoing_refer
            .as_ref()
            .and_then(|r| r.deadline)
            .is_some_and(|d| d <= now)
        {
            self.outgoing_refer = None;
            self.events.push_back(SessionEvent::ReferFailed {
                code: 408,
                reason: "no final transfer status".to_owned(),
            });
        }
    }

    /// When [`Timer::ReferTimeout`] is due.
    pub(super) fn refer_deadline(&self) -> Option<(Timer, Instant)> {
        self.outgoing_refer
            .as_ref()
            .and_then(|r| r.deadline)
            .map(|d| (Timer::ReferTimeout, d))
    }

    /// The session ended: a transfer of ours still under way failed with it.
    pub(super) fn end_refers(&mut self) {
        self.incoming_refer = None;
        if self.outgoing_refer.take().is_some() {
            self.events.push_back(SessionEvent::ReferFailed {
                code: 487,
                reason: "the session ended".to_owned(),
            });
        }
    }
}

/// 202 Accepted (RFC 3515 §2.4.2).
const ACCEPTED: StatusCode = match StatusCode::new(202) {
    Some(s) => s,
    None => panic!("202 is a status code"),
};
