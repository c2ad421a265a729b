//! The engine's side of sessions: one `proto::invite::InviteSession` per call, SDP offers and
//! answers through `proto::sdp::negotiation`, and the `SIPSession*` notifications.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use serde_json::{json, Value};
use sipsimple_proto::endpoint::{Event, ServerTxId, TransportKind};
use sipsimple_proto::invite::{
    IncomingConfig, InviteConfig, InviteSession, Originator, SessionEvent,
};
use sipsimple_proto::rand::Random;
use sipsimple_proto::request::Route;
use sipsimple_proto::sdp::negotiation::{
    answer, build_offer, process_answer, set_version_after, LocalStream, NegotiatedStreams,
};
use sipsimple_proto::sdp::{Origin, Session as Sdp};
use sipsimple_proto::sip::headers::{FromHeader, ToHeader};
use sipsimple_proto::sip::{Address, NameAddr, Request};

use super::{Engine, Input};
use crate::account::{contact_uri, credentials};
use crate::configuration::AccountSettings;
use crate::session::{sender_id, stream_type_of, MediaStream, SessionInfo, SessionState};

/// One call the engine carries.
pub(super) struct Call {
    invite: Option<InviteSession>,
    account: AccountSettings,
    streams: Vec<Arc<dyn MediaStream>>,
    /// The SDP we sent last (offer or answer), for versions and for checking answers.
    sent: Option<Sdp>,
    /// The offer of an incoming INVITE.
    remote_offer: Option<Sdp>,
    negotiated: Option<NegotiatedStreams>,
    local_ip: Option<std::net::IpAddr>,
    /// Why we are ending it, when we are.
    ending: Option<&'static str>,
    /// The offer of our re-INVITE in flight, and whether it puts the call on hold.
    proposal: Option<(Sdp, bool)>,
    /// When an unanswered outgoing call is given up (`sip.invite_timeout`).
    give_up_at: Option<Instant>,
    /// A hold or unhold asked for while no re-INVITE could go out yet.
    pending_hold: Option<bool>,
    /// Whether we hold the call, and whether the peer holds it.
    local_hold: bool,
    remote_hold: bool,
}

fn originator(o: Originator) -> &'static str {
    match o {
        Originator::Local => "local",
        Originator::Remote => "remote",
    }
}

impl Engine {
    /// `true` while calls are still up.
    pub(super) fn calls_idle(&self) -> bool {
        self.calls.is_empty()
    }

    /// The earliest deadline of the calls.
    pub(super) fn calls_timeout(&self) -> Option<Instant> {
        self.calls
            .values()
            .flat_map(|c| {
                [
                    c.invite.as_ref().and_then(InviteSession::poll_timeout),
                    c.give_up_at,
                ]
            })
            .flatten()
            .min()
    }

    /// Fires the calls' due timers.
    pub(super) fn calls_handle_timeout(&mut self, now: Instant) {
        let unanswered: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| c.give_up_at.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in unanswered {
            if let Some(call) = self.calls.get_mut(&id) {
                call.give_up_at = None;
                call.ending = Some("no answer");
                if let Some(invite) = call.invite.as_mut() {
                    let _ = invite.end(now);
                }
            }
            self.drive_call(now, id);
        }
        let due: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.invite
                    .as_ref()
                    .and_then(InviteSession::poll_timeout)
                    .is_some_and(|t| t <= now)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(invite) = self.calls.get_mut(&id).and_then(|c| c.invite.as_mut()) {
                invite.handle_timeout(now, &mut self.rng);
            }
            self.drive_call(now, id);
        }
    }

    /// Offers an endpoint event to the calls; `true` when one took it.
    pub(super) fn call_event(&mut self, now: Instant, event: &Event) -> bool {
        let taker = self.calls.iter_mut().find_map(|(id, c)| {
            let invite = c.invite.as_mut()?;
            invite
                .handle_event(now, &mut self.rng, event)
                .then_some(*id)
        });
        match taker {
            Some(id) => {
                self.drive_call(now, id);
                true
            }
            None => false,
        }
    }

    /// Ends every call (at stop).
    pub(super) fn end_all_calls(&mut self, now: Instant) {
        let ids: Vec<u64> = self.calls.keys().copied().collect();
        for id in ids {
            self.session_end(now, id);
        }
    }

    /// `Session::connect`: finds the next hop, then sends the INVITE.
    pub(super) fn session_connect(
        &mut self,
        _now: Instant,
        id: u64,
        to: String,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let account_id = self.shared.sessions().get(&id).map(|s| s.account.clone());
        let settings = account_id.and_then(|a| {
            self.shared
                .config()
                .as_ref()
                .and_then(|c| c.account(&a).cloned())
        });
        let Some(settings) = settings else {
            self.fail_early(id, 404, "Not Found", "the account is gone");
            return;
        };
        let to_address = match Address::parse(&to) {
            Ok(a) => a.into_owned(),
            Err(e) => {
                self.fail_early(id, 400, "Bad Request", &format!("bad callee {to:?}: {e}"));
                return;
            }
        };
        let target = match crate::routing::next_hop(&settings, Some(to_address.uri())) {
            Ok(t) => t,
            Err(e) => {
                self.fail_early(id, 400, "Bad Request", &e);
                return;
            }
        };
        self.calls.insert(
            id,
            Call {
                invite: None,
                account: settings,
                streams,
                sent: None,
                remote_offer: None,
                negotiated: None,
                local_ip: None,
                ending: None,
                proposal: None,
                give_up_at: None,
                pending_hold: None,
                local_hold: false,
                remote_hold: false,
            },
        );
        let transports =
            crate::routing::transports(&self.transport_list, |t| self.local_address(t).is_some());
        let dns = self.shared.lookup();
        let inputs = self.inputs.clone();
        let host = target.host().to_owned();
        self.runtime.spawn(Box::pin(async move {
            let routes = crate::routing::resolve(dns, target, transports).await;
            let _ = inputs
                .send(Input::SessionRoutes {
                    id,
                    to: Box::new(to_address),
                    routes: routes.map(|r| (r, host)),
                })
                .await;
        }));
    }

    /// The next hop of an outgoing call is known (or not): the INVITE goes out.
    pub(super) fn session_routes(
        &mut self,
        now: Instant,
        id: u64,
        to: Address<'static>,
        routes: Result<(Vec<Route>, String), String>,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.ending.is_some() {
            self.calls.remove(&id);
            self.fail_early(id, 487, "Request Terminated", "user_request");
            return;
        }
        let (routes, host) = match routes {
            Ok(found) => found,
            Err(e) => {
                self.calls.remove(&id);
                self.fail_early(id, 503, "Service Unavailable", &e);
                return;
            }
        };
        let route = routes[0];
        if route.transport == TransportKind::Tls {
            self.expect_tls_name(route.destination, &host);
        }
        let Some(local) = self.local_address_for(route.transport, route.destination) else {
            self.calls.remove(&id);
            self.fail_early(id, 503, "Service Unavailable", "no local transport");
            return;
        };
        let contact_user = self
            .shared
            .accounts()
            .get(self.calls[&id].account.id())
            .map_or_else(|| "session".to_owned(), |s| s.contact_username.clone());
        let Some(contact) = contact_uri(&contact_user, local, route.transport) else {
            self.calls.remove(&id);
            self.fail_early(id, 500, "Server Internal Error", "cannot build a Contact");
            return;
        };
        let session_id = self.rng.next_u64() >> 1;
        let origin = Origin::new("-", session_id, session_id, local.ip());
        let call = self.calls.get_mut(&id).expect("checked above");
        let media: Vec<LocalStream> = call
            .streams
            .iter()
            .map(|s| s.get_local_media(local.ip()))
            .collect();
        let offer = match build_offer(&origin, &media) {
            Ok(o) => o,
            Err(e) => {
                self.calls.remove(&id);
                self.fail_early(id, 500, "Server Internal Error", &e.to_string());
                return;
            }
        };
        let from = account_address(&call.account);
        let mut config = InviteConfig::new(from.clone(), to.clone(), contact, route);
        config.credentials = Some(credentials(&call.account));
        config.offer = Some(Bytes::from(offer.to_bytes()));
        call.sent = Some(offer);
        call.local_ip = Some(local.ip());
        match InviteSession::connect(now, &mut self.rng, config) {
            Ok(invite) => {
                let give_up_at = now + self.invite_timeout;
                let call = self.calls.get_mut(&id).expect("checked above");
                call.invite = Some(invite);
                call.give_up_at = Some(give_up_at);
                self.shared.update_session(id, |s| {
                    s.local_identity = Some(from.to_string());
                    s.remote_identity = Some(to.to_string());
                    s.transport = Some(transport_name(route.transport));
                });
                self.drive_call(now, id);
            }
            Err(e) => {
                self.calls.remove(&id);
                self.fail_early(id, 500, "Server Internal Error", &e.to_string());
            }
        }
    }

    /// A new INVITE outside any dialog: a new incoming session for the account it is for.
    pub(super) fn incoming_call(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
        transport: TransportKind,
    ) {
        let account = self.account_for(&request);
        let Some(account) = account else {
            let refusal = sipsimple_proto::sip::Response::for_request(
                &request,
                sipsimple_proto::sip::StatusCode::new(480).expect("a status code"),
            )
            .with_to_tag(&self.rng.token(12));
            let _ = self.endpoint.respond(now, tx, &refusal);
            return;
        };
        let local = self.local_address_for(transport, source).unwrap_or(source);
        let contact_user = self
            .shared
            .accounts()
            .get(account.id())
            .map_or_else(|| "session".to_owned(), |s| s.contact_username.clone());
        let Some(contact) = contact_uri(&contact_user, local, transport) else {
            return;
        };
        let remote = request
            .headers()
            .single::<FromHeader<'_>>()
            .map(|f| f.0.to_string())
            .ok();
        let local_identity = request
            .headers()
            .single::<ToHeader<'_>>()
            .map(|t| t.0.to_string())
            .ok();
        let route = Route {
            destination: source,
            transport,
        };
        let Ok(invite) = InviteSession::incoming(
            now,
            &mut self.rng,
            IncomingConfig::new(contact),
            tx,
            request,
            route,
        ) else {
            return;
        };
        let id = self.shared.new_session(SessionInfo {
            account: account.id().clone(),
            direction: Some(crate::session::Direction::Incoming),
            state: SessionState::Incoming,
            local_identity,
            remote_identity: remote,
            transport: Some(transport_name(transport)),
            start_time: None,
            stop_time: None,
            streams: Vec::new(),
            on_hold: false,
            proposed_types: Vec::new(),
        });
        self.calls.insert(
            id,
            Call {
                invite: Some(invite),
                account,
                streams: Vec::new(),
                sent: None,
                remote_offer: None,
                negotiated: None,
                local_ip: Some(local.ip()),
                ending: None,
                proposal: None,
                give_up_at: None,
                pending_hold: None,
                local_hold: false,
                remote_hold: false,
            },
        );
        self.drive_call(now, id);
    }

    /// The enabled account an incoming request is for: the one whose id is the
    /// Request-URI's user and host, else the default one.
    fn account_for(&self, request: &Request) -> Option<AccountSettings> {
        let config = self.shared.config();
        let config = config.as_ref()?;
        let uri = request.uri();
        let named = config.accounts().find(|a| {
            a.enabled
                && uri.user() == Some(a.id().username())
                && uri.host().eq_ignore_ascii_case(a.id().domain())
        });
        let default = || {
            let wanted = config.settings().default_account.clone();
            config
                .accounts()
                .find(|a| a.enabled && Some(a.id()) == wanted.as_ref())
                .or_else(|| config.accounts().find(|a| a.enabled))
        };
        named.or_else(default).cloned()
    }

    pub(super) fn session_ring(&mut self, now: Instant, id: u64) {
        if let Some(invite) = self.calls.get_mut(&id).and_then(|c| c.invite.as_mut()) {
            let _ = invite.ring(now);
        }
        self.drive_call(now, id);
    }

    pub(super) fn session_accept(
        &mut self,
        now: Instant,
        id: u64,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let ip = call
            .local_ip
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let media: Vec<LocalStream> = streams.iter().map(|s| s.get_local_media(ip)).collect();
        let session_id = self.rng.next_u64() >> 1;
        let origin = Origin::new("-", session_id, session_id, ip);
        let body = match &call.remote_offer {
            Some(offer) => match answer(offer, &origin, &media) {
                Ok((sdp, negotiated)) => {
                    call.negotiated = Some(negotiated);
                    Some(sdp)
                }
                Err(_) => None,
            },
            // A late offer: ours goes in the 2xx, the answer comes in the ACK.
            None => build_offer(&origin, &media).ok(),
        };
        call.streams = streams.clone();
        let Some(invite) = call.invite.as_mut() else {
            return;
        };
        match body {
            Some(sdp) => {
                let bytes = Bytes::from(sdp.to_bytes());
                call.sent = Some(sdp);
                let _ = invite.accept(now, Some(bytes));
                self.shared.update_session(id, |s| s.streams = streams);
            }
            None => {
                call.ending = Some("no acceptable stream");
                let _ = invite.reject(now, 488, None);
            }
        }
        self.drive_call(now, id);
    }

    pub(super) fn session_reject(
        &mut self,
        now: Instant,
        id: u64,
        code: u16,
        reason: Option<String>,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.ending = Some("user_request");
            if let Some(invite) = call.invite.as_mut() {
                let _ = invite.reject(now, code, reason.as_deref());
            }
        }
        self.drive_call(now, id);
    }

    pub(super) fn session_end(&mut self, now: Instant, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.ending = Some("user_request");
        // Still looking for the next hop, it has no INVITE: the lookup's answer finds it
        // ending.
        if let Some(invite) = call.invite.as_mut() {
            let _ = invite.end(now);
            self.drive_call(now, id);
        }
    }

    /// Runs a call's actions and turns its events into notifications.
    fn drive_call(&mut self, now: Instant, id: u64) {
        loop {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            let Some(invite) = call.invite.as_mut() else {
                return;
            };
            let _ = invite.drive(now, &mut self.endpoint);
            let Some(event) = invite.poll_event() else {
                if let Some(hold) = call.pending_hold.take() {
                    if self.try_hold(now, id, hold) {
                        continue;
                    }
                }
                return;
            };
            self.call_happened(now, id, event);
        }
    }

    fn call_happened(&mut self, now: Instant, id: u64, event: SessionEvent) {
        let sender = sender_id(id);
        match event {
            SessionEvent::NewIncoming { offer } => {
                let parsed = offer.as_deref().map(Sdp::parse);
                let call = self.calls.get_mut(&id).expect("a call");
                match parsed {
                    Some(Err(_)) => {
                        call.ending = Some("bad offer");
                        if let Some(invite) = call.invite.as_mut() {
                            let _ = invite.reject(now, 488, Some("Unreadable SDP"));
                        }
                    }
                    Some(Ok(sdp)) => {
                        let types: Vec<&'static str> = sdp
                            .media()
                            .iter()
                            .map(|m| stream_type_of(m.media_type()))
                            .collect();
                        call.remote_offer = Some(sdp);
                        self.shared
                            .update_session(id, |s| s.proposed_types = types.clone());
                        self.post(
                            "SIPSessionNewIncoming",
                            &sender,
                            json!({"streams": types, "session": id}),
                        );
                    }
                    None => self.post(
                        "SIPSessionNewIncoming",
                        &sender,
                        json!({"streams": Value::Array(Vec::new()), "session": id}),
                    ),
                }
            }
            SessionEvent::GotProvisionalResponse { code, reason, .. } => self.post(
                "SIPSessionGotProvisionalResponse",
                &sender,
                json!({"code": code, "reason": reason}),
            ),
            SessionEvent::GotRingIndication => {
                self.post("SIPSessionGotRingIndication", &sender, json!({}));
            }
            SessionEvent::GotAnswer { answer } => {
                let call = self.calls.get_mut(&id).expect("a call");
                let checked = match (&call.sent, Sdp::parse(&answer)) {
                    (Some(offer), Ok(answer)) => process_answer(offer, &answer).ok(),
                    _ => None,
                };
                match checked {
                    Some(negotiated) => call.negotiated = Some(negotiated),
                    None => {
                        // An answer that does not fit our offer: the call cannot carry
                        // media, so it ends.
                        call.ending = Some("bad answer");
                        if let Some(invite) = call.invite.as_mut() {
                            let _ = invite.end(now);
                        }
                    }
                }
            }
            SessionEvent::DidStart => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.give_up_at = None;
                }
                let started = self.start_streams(id);
                self.shared.update_session(id, |s| {
                    s.state = SessionState::Connected;
                    s.start_time = Some(SystemTime::now());
                });
                self.post("SIPSessionWillStart", &sender, json!({}));
                self.post("SIPSessionDidStart", &sender, json!({"streams": started}));
            }
            SessionEvent::DidFail {
                originator: who,
                code,
                reason,
            } => {
                let failure = self
                    .calls
                    .get(&id)
                    .and_then(|c| c.ending)
                    .map_or_else(|| reason.clone(), str::to_owned);
                self.finish(id);
                self.post(
                    "SIPSessionDidFail",
                    &sender,
                    json!({
                        "originator": originator(who),
                        "code": code,
                        "reason": reason,
                        "failure_reason": failure,
                    }),
                );
            }
            SessionEvent::DidEnd {
                originator: who,
                reason,
            } => {
                if who == Originator::Remote {
                    self.post("SIPSessionWillEnd", &sender, json!({}));
                }
                let end_reason = self
                    .calls
                    .get(&id)
                    .and_then(|c| c.ending)
                    .map_or(reason, str::to_owned);
                self.finish(id);
                self.post(
                    "SIPSessionDidEnd",
                    &sender,
                    json!({"originator": originator(who), "end_reason": end_reason}),
                );
            }
            SessionEvent::GotProposal { offer } => self.answer_proposal(now, id, offer),
            SessionEvent::ProposalAccepted { answer } => self.proposal_accepted(id, answer),
            SessionEvent::ProposalRejected { .. } => {
                // The peer kept the session as it was: so do we.
                if let Some(call) = self.calls.get_mut(&id) {
                    call.proposal = None;
                }
            }
            SessionEvent::GotOffer { .. } | SessionEvent::ProposalWillRetry { .. } => {}
            _ => {}
        }
    }

    /// `Session::hold` and `unhold`: a re-offer with the streams' directions changed
    /// (RFC 3264 §8.4); `SIPSessionDidChangeHoldState` once the peer accepts it.
    pub(super) fn session_hold(&mut self, now: Instant, id: u64, hold: bool) {
        if self.try_hold(now, id, hold) {
            self.drive_call(now, id);
        }
    }

    /// Sends the hold or unhold re-offer if the session can take one now, else keeps it for
    /// later (the seed's hold "may be called in any state"); `true` when it went out.
    fn try_hold(&mut self, now: Instant, id: u64, hold: bool) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.local_hold == hold && call.proposal.is_none() {
            call.pending_hold = None;
            return false;
        }
        if call.proposal.is_some() {
            call.pending_hold = Some(hold);
            return false;
        }
        let (Some(sent), Some(negotiated)) = (&call.sent, &call.negotiated) else {
            call.pending_hold = Some(hold);
            return false;
        };
        let Ok(mut reoffer) = sipsimple_proto::sdp::negotiation::Reoffer::new(sent, negotiated)
        else {
            return false;
        };
        if hold {
            reoffer.hold();
        } else {
            reoffer.unhold();
        }
        let offer = reoffer.build();
        let bytes = Bytes::from(offer.to_bytes());
        let Some(invite) = call.invite.as_mut() else {
            return false;
        };
        if invite.propose(now, &mut self.rng, Some(bytes)).is_ok() {
            call.proposal = Some((offer, hold));
            call.pending_hold = None;
            true
        } else {
            // A transaction of the dialog is still open (the ACK of the peer's re-INVITE,
            // say): again once it is done.
            call.pending_hold = Some(hold);
            false
        }
    }

    /// The peer accepted our re-offer: its answer is the new state.
    fn proposal_accepted(&mut self, id: u64, answer: Option<Bytes>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((offer, hold)) = call.proposal.take() else {
            return;
        };
        let checked = answer
            .as_deref()
            .map(Sdp::parse)
            .and_then(Result::ok)
            .and_then(|a| process_answer(&offer, &a).ok());
        if let Some(negotiated) = checked {
            call.negotiated = Some(negotiated);
            call.sent = Some(offer);
            if call.local_hold != hold {
                call.local_hold = hold;
                let on_hold = call.local_hold || call.remote_hold;
                self.shared.update_session(id, |s| s.on_hold = on_hold);
                self.post(
                    "SIPSessionDidChangeHoldState",
                    &sender_id(id),
                    json!({"originator": "local", "on_hold": hold, "partial": false}),
                );
            }
        }
    }

    /// A re-INVITE from the peer: answered with the same streams (their directions follow
    /// RFC 3264 §6.1, so a hold is answered as one); an offer that cannot be answered gets
    /// 488 and the session stays as it was.
    fn answer_proposal(&mut self, now: Instant, id: u64, offer: Option<Bytes>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let ip = call
            .local_ip
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let media: Vec<LocalStream> = call.streams.iter().map(|s| s.get_local_media(ip)).collect();
        let answered = offer
            .as_deref()
            .map(Sdp::parse)
            .and_then(Result::ok)
            .and_then(|offer| {
                let origin = call.sent.as_ref().map(|s| s.origin().clone())?;
                let (mut sdp, negotiated) = answer(&offer, &origin, &media).ok()?;
                if let Some(previous) = &call.sent {
                    set_version_after(previous, &mut sdp);
                }
                Some((sdp, negotiated))
            });
        let Some(invite) = call.invite.as_mut() else {
            return;
        };
        match answered {
            Some((sdp, negotiated)) => {
                // The peer holds the call when it no longer receives on any accepted stream
                // (it offers sendonly or inactive, RFC 3264 §8.4).
                let held = negotiated.iter_accepted().count() > 0
                    && negotiated
                        .iter_accepted()
                        .all(|(_, s)| !s.remote_direction.receives());
                let bytes = Bytes::from(sdp.to_bytes());
                call.sent = Some(sdp);
                call.negotiated = Some(negotiated);
                let _ = invite.accept_proposal(now, Some(bytes));
                if call.remote_hold != held {
                    call.remote_hold = held;
                    let on_hold = call.local_hold || call.remote_hold;
                    self.shared.update_session(id, |s| s.on_hold = on_hold);
                    self.post(
                        "SIPSessionDidChangeHoldState",
                        &sender_id(id),
                        json!({"originator": "remote", "on_hold": held, "partial": false}),
                    );
                }
            }
            None => {
                let _ = invite.reject_proposal(now, 488);
            }
        }
    }

    /// Starts the streams the negotiation accepted, pairing accepted m-lines with local
    /// streams of the same media type in order; returns the started streams' types.
    fn start_streams(&mut self, id: u64) -> Vec<&'static str> {
        let Some(call) = self.calls.get(&id) else {
            return Vec::new();
        };
        let Some(negotiated) = &call.negotiated else {
            return Vec::new();
        };
        let mut unused: Vec<Arc<dyn MediaStream>> = call.streams.clone();
        let mut started = Vec::new();
        for (_, accepted) in negotiated.iter_accepted() {
            let kind = stream_type_of(&accepted.media_type);
            if let Some(i) = unused.iter().position(|s| s.stream_type() == kind) {
                let stream = unused.remove(i);
                stream.start(accepted);
                started.push(stream.stream_type());
            }
        }
        started
    }

    /// The call is over: its streams end and it is forgotten.
    fn finish(&mut self, id: u64) {
        if let Some(call) = self.calls.remove(&id) {
            for stream in &call.streams {
                stream.end();
            }
        }
        self.shared.update_session(id, |s| {
            s.state = SessionState::Terminated;
            s.stop_time = Some(SystemTime::now());
        });
    }

    /// A session that failed before it had an INVITE.
    fn fail_early(&mut self, id: u64, code: u16, reason: &str, failure: &str) {
        self.shared.update_session(id, |s| {
            s.state = SessionState::Terminated;
            s.stop_time = Some(SystemTime::now());
        });
        self.post(
            "SIPSessionDidFail",
            &sender_id(id),
            json!({
                "originator": "local",
                "code": code,
                "reason": reason,
                "failure_reason": failure,
            }),
        );
    }
}

/// The account's address for From: its SIP URI with its display name.
fn account_address(settings: &AccountSettings) -> Address<'static> {
    let uri = settings.id().uri();
    Address {
        addr: match &settings.display_name {
            Some(name) => NameAddr::with_display_name(uri, name),
            None => NameAddr::new(uri),
        },
        params: Default::default(),
    }
}

fn transport_name(t: TransportKind) -> &'static str {
    match t {
        TransportKind::Udp => "udp",
        TransportKind::Tcp => "tcp",
        TransportKind::Tls => "tls",
    }
}
