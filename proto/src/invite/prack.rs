//! Reliable provisional responses (RFC 3262, 100rel): the caller acknowledges each reliable
//! 18x with a PRACK in its early dialog, and takes an SDP answer from it (early media); the
//! callee sends its 18x reliably when the INVITE supports or requires 100rel, retransmitting
//! each until its PRACK and refusing the call with 500 when none comes in 64·T1.

use std::time::{Duration, Instant};

use super::{
    sdp_body, Action, Error, InviteSession, Originator, Purpose, SessionEvent, SessionState, Timer,
};
use crate::endpoint::ServerTxId;
use crate::sip::headers::{Cseq, HeaderName, Headers, RAck, RSeq, Require, Supported};
use crate::sip::{Method, Request, Response, StatusCode};

/// Our reliable provisional response, until its PRACK.
#[derive(Debug, Clone)]
pub(super) struct Reliable {
    response: Response,
    interval: Duration,
    next: Instant,
    give_up: Instant,
}

/// What the caller knows of the reliable provisional responses of one early dialog.
#[derive(Debug, Clone)]
pub(super) struct Acked {
    /// The remote tag of the early dialog.
    tag: String,
    /// The RSeq of the last one acknowledged.
    rseq: u32,
}

/// Whether `headers` list `100rel` in `Require` (`require`) or in `Supported`.
fn lists_100rel(headers: &Headers, require: bool) -> bool {
    if require {
        headers
            .typed::<Require<'_>>()
            .any(|t| t.is_ok_and(|t| t.is("100rel")))
    } else {
        headers
            .typed::<Supported<'_>>()
            .any(|t| t.is_ok_and(|t| t.is("100rel")))
    }
}

impl Reliable {
    /// Whether it carries a session description (then a 2xx waits for its PRACK).
    pub(super) fn has_sdp(&self) -> bool {
        sdp_body(self.response.headers(), self.response.body()).is_some()
    }
}

impl InviteSession {
    /// Callee: whether our provisional responses to this INVITE go reliably (it supports or
    /// requires 100rel).
    pub(super) fn wants_reliable(&self) -> bool {
        let h = self.invite.headers();
        lists_100rel(h, true) || lists_100rel(h, false)
    }

    /// Callee: sends `response` (a 18x) reliably: `Require: 100rel` and the next RSeq, then
    /// retransmitted until its PRACK. One at a time: while one waits for its PRACK, a
    /// second is not sent (RFC 3262 §3).
    pub(super) fn send_reliable(
        &mut self,
        now: Instant,
        mut response: Response,
    ) -> Result<(), Error> {
        if self.reliable.is_some() {
            return Ok(());
        }
        let rseq = match self.last_rseq {
            Some(r) => r.next().ok_or(Error::NothingPending("an RSeq"))?,
            None => RSeq::initial(1).expect("1 is a first RSeq"),
        };
        self.last_rseq = Some(rseq);
        self.unacked = Some(rseq);
        let h = response.headers_mut();
        h.push_typed(&Require::new("100rel").expect("a token"));
        h.set_typed(&rseq);
        self.respond_invite(response.clone());
        self.reliable = Some(Reliable {
            response,
            interval: self.timers.t1,
            next: now + self.timers.t1,
            give_up: now + 64 * self.timers.t1,
        });
        Ok(())
    }

    /// Callee: the reliable 18x is retransmitted at T1, 2·T1 … (capped at T2), and the call
    /// refused with 500 when no PRACK came by 64·T1 (RFC 3262 §3).
    pub(super) fn reliable_timeout(&mut self, now: Instant) {
        let Some(r) = self.reliable.as_mut() else {
            return;
        };
        if r.give_up <= now {
            self.reliable = None;
            if matches!(self.state, SessionState::Incoming | SessionState::Early) {
                let refusal = self.response(StatusCode::SERVER_INTERNAL_ERROR, None);
                self.respond_invite(refusal);
                self.terminate(SessionEvent::DidFail {
                    originator: Originator::Local,
                    code: 500,
                    reason: "no PRACK".to_owned(),
                });
            }
            return;
        }
        if r.next <= now {
            let tx = self.invite_server_tx;
            r.interval = (r.interval * 2).min(self.timers.t2);
            r.next = now + r.interval;
            if let Some(tx) = tx {
                let response = r.response.clone();
                self.actions.push_back(Action::Respond { tx, response });
            }
        }
    }

    /// When the reliable 18x is next due or given up.
    pub(super) fn reliable_deadline(&self) -> Option<(Timer, Instant)> {
        self.reliable
            .as_ref()
            .map(|r| (Timer::ReliableProvisional, r.next.min(r.give_up)))
    }

    /// Callee: a PRACK in the early (or confirmed) dialog: 200 when it acknowledges our
    /// reliable 18x, else 481 (RFC 3262 §3).
    pub(super) fn on_prack(&mut self, tx: ServerTxId, request: &Request) {
        // The last reliable 18x stays to acknowledge after a final response stopped its
        // retransmissions: the PRACK may cross the 2xx.
        let acknowledges = match (self.unacked, request.headers().single::<RAck>()) {
            (Some(rseq), Ok(rack)) => self
                .invite
                .headers()
                .single::<Cseq>()
                .is_ok_and(|cseq| rack.acknowledges(rseq, &cseq)),
            _ => false,
        };
        let status = if acknowledges {
            self.reliable = None;
            self.unacked = None;
            StatusCode::OK
        } else {
            StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST
        };
        self.respond(tx, Response::for_request(request, status));
        if acknowledges {
            if let Some(body) = self.deferred_2xx.take() {
                let now = self.latest;
                let _ = self.send_2xx(now, body);
            }
        }
    }

    /// Caller: a reliable provisional response (it requires 100rel and has an RSeq) from the
    /// early dialog `tag`. Returns `false` when it must not be processed further: a
    /// retransmission, or one out of order (RFC 3262 §4). Otherwise sends its PRACK, and
    /// takes the answer it may carry.
    pub(super) fn on_reliable(&mut self, response: &Response, tag: &str) -> bool {
        let h = response.headers();
        if !lists_100rel(h, true) {
            return true;
        }
        let Ok(rseq) = h.single::<RSeq>() else {
            // A reliable response without RSeq is malformed: treat it as unreliable.
            return true;
        };
        let last = self.acked.iter().find(|a| a.tag == tag).map(|a| a.rseq);
        match last {
            Some(l) if rseq.get() != l.wrapping_add(1) => return false,
            Some(_) => {
                if let Some(a) = self.acked.iter_mut().find(|a| a.tag == tag) {
                    a.rseq = rseq.get();
                }
            }
            None => self.acked.push(Acked {
                tag: tag.to_owned(),
                rseq: rseq.get(),
            }),
        }
        let Ok(cseq) = self.invite.headers().single::<Cseq>() else {
            return true;
        };
        let Some(i) = self.early.iter().position(|d| d.id().remote_tag() == tag) else {
            return true;
        };
        let Ok(mut prack) = self.early[i].request(Method::Prack, None) else {
            return true;
        };
        prack
            .headers_mut()
            .set_typed(&RAck::for_response(rseq, &cseq));
        let hop = self.next_hop(&self.early[i]);
        self.send(Purpose::Prack, prack, hop);
        if self.offer_in_invite && self.early_answer.is_none() {
            if let Some(answer) = sdp_body(h, response.body()) {
                // RFC 3262 §5: the answer in a reliable 18x completes the exchange.
                self.early_answer = Some(tag.to_owned());
                self.events.push_back(SessionEvent::GotAnswer { answer });
            }
        }
        true
    }
}

/// Supported values of our INVITEs: 100rel next to the session timers'.
pub(super) fn supported_100rel(request: &mut Request) {
    request.headers_mut().push(HeaderName::Supported, "100rel");
}
