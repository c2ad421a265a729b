//! The engine's side of sessions: one `proto::invite::InviteSession` per call, SDP offers and
//! answers through `proto::sdp::negotiation`, and the `SIPSession*` notifications.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use serde_json::{json, Value};
use sipsimple_proto::endpoint::{Event, ServerTxId, TransportKind};
use sipsimple_proto::invite::{
    AckReceived, IncomingConfig, InviteConfig, InviteSession, Originator, SessionEvent,
};
use sipsimple_proto::rand::Random;
use sipsimple_proto::request::Route;
use sipsimple_proto::sdp::negotiation::{
    answer, build_offer, process_answer, set_version_after, AcceptedStream, LocalStream,
    NegotiatedStreams,
};
use sipsimple_proto::sdp::{Origin, Session as Sdp};
use sipsimple_proto::sip::headers::{
    FromHeader, HeaderName, ReferTo, ReferredBy, Replaces, ToHeader,
};
use sipsimple_proto::sip::{Address, NameAddr, Request};

use super::{Engine, Input};

mod conference;
mod streams;
mod transfer;
pub(super) use self::streams::Initializing;
use self::streams::Then;
use crate::account::{contact_uri, credentials};
use crate::configuration::AccountSettings;
use crate::session::{
    sender_id, stream_type_of, Direction, MediaStream, SessionInfo, SessionState,
};

/// One call the engine carries.
pub(super) struct Call {
    invite: Option<InviteSession>,
    account: AccountSettings,
    /// The local stream of each m-line, in m-line order (`None`: rejected or removed).
    slots: Vec<Option<Arc<dyn MediaStream>>>,
    /// The SDP we sent last (offer or answer), for versions and for checking answers.
    sent: Option<Sdp>,
    /// The offer of an incoming INVITE.
    remote_offer: Option<Sdp>,
    negotiated: Option<NegotiatedStreams>,
    local_ip: Option<std::net::IpAddr>,
    /// Why we are ending it, when we are.
    ending: Option<&'static str>,
    /// The offer of our re-INVITE in flight, and what it is for.
    proposal: Option<(Sdp, Proposal)>,
    /// The peer's re-offer that adds streams, waiting for `accept_proposal` or
    /// `reject_proposal`, and the types of the streams it adds.
    incoming_proposal: Option<(Sdp, Vec<&'static str>)>,
    /// When an unanswered outgoing call is given up (`sip.invite_timeout`).
    give_up_at: Option<Instant>,
    /// A hold or unhold asked for while no re-INVITE could go out yet.
    pending_hold: Option<bool>,
    /// Whether we hold the call, and whether the peer holds it.
    local_hold: bool,
    remote_hold: bool,
    /// The peer's REFER, waiting for `accept_transfer` or `reject_transfer`.
    refer: Option<(ReferTo<'static>, Option<ReferredBy<'static>>)>,
    /// What the INVITE of a transferee's new call carries.
    transfer_call: transfer::TransferCall,
    /// The session an incoming INVITE with Replaces replaces; it ends when this one starts.
    replacing: Option<u64>,
    /// Participants to add to or remove from the peer's conference.
    conference: conference::ConferenceOps,
    /// The conference subscription, when the peer is a focus.
    watch: conference::ConferenceWatch,
    /// Our Contact and the route of the call's requests, for the requests it leads to.
    signalling: Option<(sipsimple_proto::sip::Uri<'static>, Route)>,
    /// We are a conference focus (`isfocus` in our Contact).
    focus: bool,
}

/// An outgoing call waiting for its streams to initialize.
pub(super) struct Connect {
    to: Address<'static>,
    pub(super) settings: AccountSettings,
    /// The next hop found from the account and the callee.
    pub(super) target: sipsimple_proto::sip::Uri<'static>,
    routes: Option<Vec<Route>>,
    focus: bool,
}

/// What a re-INVITE of ours is for.
enum Proposal {
    Hold(bool),
    Add(Arc<dyn MediaStream>),
    Remove(usize),
}

/// Pairs the accepted m-lines of `negotiated` with `streams` the way the answer engine
/// chose them (the first unused local stream of the same type), giving one slot per m-line.
fn align(
    negotiated: &NegotiatedStreams,
    streams: &[Arc<dyn MediaStream>],
) -> Vec<Option<Arc<dyn MediaStream>>> {
    let mut unused: Vec<Arc<dyn MediaStream>> = streams.to_vec();
    negotiated
        .streams()
        .iter()
        .map(|line| {
            let accepted = line.as_accepted()?;
            let kind = stream_type_of(&accepted.media_type);
            let i = unused.iter().position(|s| s.stream_type() == kind)?;
            Some(unused.remove(i))
        })
        .collect()
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
        self.calls.is_empty() && self.initializing.is_empty()
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
            .chain(self.watch_timeout())
            .chain(self.initializing_timeout())
            .min()
    }

    /// Fires the calls' due timers.
    pub(super) fn calls_handle_timeout(&mut self, now: Instant) {
        self.initializing_handle_timeout(now);
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
        self.watch_handle_timeout(now);
    }

    /// Offers an endpoint event to the calls; `true` when one took it.
    pub(super) fn call_event(&mut self, now: Instant, event: &Event) -> bool {
        if self.watch_event(now, event) {
            return true;
        }
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
        let mut ids: Vec<u64> = self.calls.keys().copied().collect();
        ids.extend(self.initializing.keys().copied());
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            self.session_end(now, id);
        }
    }

    /// `Session::connect`: finds the next hop, then sends the INVITE.
    pub(super) fn session_connect(
        &mut self,
        now: Instant,
        id: u64,
        to: String,
        streams: Vec<Arc<dyn MediaStream>>,
        routes: Option<Vec<Route>>,
        focus: bool,
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
        let connect = Connect {
            to: to_address,
            settings,
            target,
            routes,
            focus,
        };
        self.initialize_then(
            now,
            id,
            streams,
            Direction::Outgoing,
            Then::Connect(Box::new(connect)),
        );
    }

    /// The streams of an outgoing call are initialized: the next hop is looked up.
    pub(super) fn session_connect_initialized(
        &mut self,
        now: Instant,
        id: u64,
        connect: Connect,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let Connect {
            to: to_address,
            settings,
            target,
            routes,
            focus,
        } = connect;
        if streams.is_empty() {
            self.fail_early(
                id,
                488,
                "Not Acceptable Here",
                "no stream could be initialized",
            );
            return;
        }
        self.calls.insert(
            id,
            Call {
                invite: None,
                account: settings,
                slots: streams.into_iter().map(Some).collect(),
                sent: None,
                remote_offer: None,
                negotiated: None,
                local_ip: None,
                ending: None,
                proposal: None,
                incoming_proposal: None,
                give_up_at: None,
                pending_hold: None,
                local_hold: false,
                remote_hold: false,
                refer: None,
                transfer_call: transfer::TransferCall::default(),
                replacing: None,
                conference: conference::ConferenceOps::default(),
                watch: conference::ConferenceWatch::default(),
                signalling: None,
                focus,
            },
        );
        if let Some(routes) = routes.filter(|r| !r.is_empty()) {
            let host = target.host().to_owned();
            self.session_routes(now, id, to_address, Ok((routes, host)));
            return;
        }
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
            self.fail_early(id, 487, "Request Terminated", "user_request");
            return;
        }
        let (routes, host) = match routes {
            Ok(found) => found,
            Err(e) => {
                self.fail_early(id, 503, "Service Unavailable", &e);
                return;
            }
        };
        let route = routes[0];
        if route.transport == TransportKind::Tls {
            self.expect_tls_name(route.destination, &host);
        }
        let Some(local) = self.local_address_for(route.transport, route.destination) else {
            self.fail_early(id, 503, "Service Unavailable", "no local transport");
            return;
        };
        let contact_user = self
            .shared
            .accounts()
            .get(self.calls[&id].account.id())
            .map_or_else(|| "session".to_owned(), |s| s.contact_username.clone());
        let Some(contact) = contact_uri(&contact_user, local, route.transport) else {
            self.fail_early(id, 500, "Server Internal Error", "cannot build a Contact");
            return;
        };
        let session_id = self.rng.next_u64() >> 1;
        let origin = Origin::new("-", session_id, session_id, local.ip());
        let call = self.calls.get_mut(&id).expect("checked above");
        let media: Vec<LocalStream> = call
            .slots
            .iter()
            .flatten()
            .map(|s| s.get_local_media(local.ip()))
            .collect();
        let offer = match build_offer(&origin, &media) {
            Ok(o) => o,
            Err(e) => {
                self.fail_early(id, 500, "Server Internal Error", &e.to_string());
                return;
            }
        };
        let from = account_address(&call.account);
        call.signalling = Some((contact.clone(), route));
        let mut config = InviteConfig::new(from.clone(), to.clone(), contact, route);
        config.credentials = Some(credentials(&call.account));
        config.offer = Some(Bytes::from(offer.to_bytes()));
        config.reliable_provisional = true;
        config.focus = call.focus;
        config.subject = self
            .shared
            .sessions()
            .get(&id)
            .and_then(|s| s.subject.clone());
        config.replaces = call.transfer_call.replaces.clone();
        config.referred_by = call.transfer_call.referred_by.clone();
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
        let replacing = if request.headers().contains(HeaderName::Replaces) {
            let found = request
                .headers()
                .single::<Replaces<'_>>()
                .map_err(|_| 400)
                .and_then(|r| self.replaced_call(&r));
            match found {
                Ok(old) => Some(old),
                Err(code) => {
                    let refusal = sipsimple_proto::sip::Response::for_request(
                        &request,
                        sipsimple_proto::sip::StatusCode::new(code).expect("a status code"),
                    )
                    .with_to_tag(&self.rng.token(12));
                    let _ = self.endpoint.respond(now, tx, &refusal);
                    return;
                }
            }
        } else {
            None
        };
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
        let signalling = (contact.clone(), route);
        let subject = request
            .headers()
            .get(sipsimple_proto::sip::headers::HeaderName::Subject)
            .map(str::to_owned);
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
            proposed_streams: Vec::new(),
            transfer: None,
            transfer_origin: None,
            replaced_session: replacing,
            remote_focus: invite.remote_focus(),
            conference_info: None,
            remote_user_agent: invite.remote_user_agent().map(str::to_owned),
            subject,
        });
        self.calls.insert(
            id,
            Call {
                invite: Some(invite),
                account,
                slots: Vec::new(),
                sent: None,
                remote_offer: None,
                negotiated: None,
                local_ip: Some(local.ip()),
                ending: None,
                proposal: None,
                incoming_proposal: None,
                give_up_at: None,
                pending_hold: None,
                local_hold: false,
                remote_hold: false,
                refer: None,
                transfer_call: transfer::TransferCall::default(),
                replacing,
                conference: conference::ConferenceOps::default(),
                watch: conference::ConferenceWatch::default(),
                signalling: Some(signalling),
                focus: false,
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
        if self.calls.contains_key(&id) {
            self.initialize_then(now, id, streams, Direction::Incoming, Then::Accept);
        }
    }

    /// The streams of an incoming call are initialized: the 2xx goes out.
    pub(super) fn session_accept_initialized(
        &mut self,
        now: Instant,
        id: u64,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            for stream in &streams {
                self.end_unplaced_stream(id, stream);
            }
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
                    call.slots = align(&negotiated, &streams);
                    call.negotiated = Some(negotiated);
                    Some(sdp)
                }
                Err(_) => None,
            },
            // A late offer: ours goes in the 2xx, the answer comes in the ACK.
            None => {
                call.slots = streams.iter().cloned().map(Some).collect();
                build_offer(&origin, &media).ok()
            }
        };
        let Some(invite) = call.invite.as_mut() else {
            return;
        };
        match body {
            Some(sdp) => {
                let bytes = Bytes::from(sdp.to_bytes());
                call.sent = Some(sdp);
                let _ = invite.accept(now, Some(bytes));
                self.publish_streams(id);
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
        if let Some(Then::Connect(_)) = self.abandon_initializing(id) {
            // Still initializing its streams, it has sent nothing.
            self.fail_early(id, 487, "Request Terminated", "user_request");
            return;
        }
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
        if self.conference_event(now, id, &event) || self.transfer_event(now, id, &event) {
            return;
        }
        let progress = matches!(
            event,
            SessionEvent::GotProvisionalResponse { .. }
                | SessionEvent::DidStart
                | SessionEvent::DidFail { .. }
        )
        .then(|| event.clone());
        self.session_event(now, id, event);
        if let Some(event) = progress {
            self.transferred_call_event(now, id, &event);
        }
    }

    /// Turns a session event into its notifications.
    fn session_event(&mut self, now: Instant, id: u64, event: SessionEvent) {
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
                        // A stream made from one m-line also needs the offer's session-level
                        // ICE credentials.
                        let media = sipsimple_proto::sdp::negotiation::media_with_session_ice(&sdp);
                        let proposed = self.shared.streams.streams_for(&media);
                        call.remote_offer = Some(sdp);
                        self.shared.update_session(id, |s| {
                            s.proposed_types = types.clone();
                            s.proposed_streams = proposed;
                        });
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
            SessionEvent::GotProvisionalResponse { code, reason, .. } => {
                self.note_user_agent(id);
                self.post(
                    "SIPSessionGotProvisionalResponse",
                    &sender,
                    json!({"code": code, "reason": reason}),
                );
            }
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
                self.note_user_agent(id);
                let remote_focus = self
                    .calls
                    .get(&id)
                    .and_then(|c| c.invite.as_ref())
                    .is_some_and(InviteSession::remote_focus);
                self.shared.update_session(id, |s| {
                    s.state = SessionState::Connected;
                    s.start_time = Some(SystemTime::now());
                    s.remote_focus = remote_focus;
                });
                self.post("SIPSessionWillStart", &sender, json!({}));
                self.post("SIPSessionDidStart", &sender, json!({"streams": started}));
                // RFC 3891 §3: the replaced session ends once its replacement is up.
                if let Some(old) = self.calls.get(&id).and_then(|c| c.replacing) {
                    self.session_end(now, old);
                }
                if remote_focus {
                    self.watch_conference(now, id);
                }
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
            SessionEvent::ProposalRejected { code, reason } => {
                self.proposal_rejected(id, code, &reason);
            }
            SessionEvent::DidProcessTransaction {
                originator: who,
                method,
                code,
                reason,
                ack_received,
            } => {
                let mut data = json!({
                    "originator": originator(who),
                    "method": method.as_str(),
                    "code": code,
                    "reason": reason,
                });
                if let Some(ack) = ack_received {
                    data["ack_received"] = match ack {
                        AckReceived::Yes => json!(true),
                        AckReceived::No => json!(false),
                        AckReceived::Unknown => json!("unknown"),
                    };
                }
                self.post("SIPSessionDidProcessTransaction", &sender, data);
            }
            SessionEvent::ProposalCancelled => self.proposal_cancelled(id),
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
        for stream in call.slots.iter().flatten().filter(|s| s.hold_supported()) {
            if hold {
                stream.hold();
            } else {
                stream.unhold();
            }
        }
        let sent = self.propose(now, id, Proposal::Hold(hold), |reoffer| {
            if hold {
                reoffer.hold();
            } else {
                reoffer.unhold();
            }
            Ok(())
        });
        if !sent {
            // A transaction of the dialog is still open (the ACK of the peer's re-INVITE,
            // say): again once it is done.
            if let Some(call) = self.calls.get_mut(&id) {
                call.pending_hold = Some(hold);
            }
        }
        sent
    }

    /// `Session::add_stream`: a re-offer with a new m-line at the end (RFC 3264 §8.1).
    pub(super) fn session_add_stream(
        &mut self,
        now: Instant,
        id: u64,
        stream: Arc<dyn MediaStream>,
    ) {
        // A call still setting up has no local address to offer the stream at.
        if self.calls.get(&id).and_then(|c| c.local_ip).is_none() {
            return;
        }
        let kind = stream.stream_type();
        self.initialize_then(
            now,
            id,
            vec![stream],
            Direction::Outgoing,
            Then::AddStream(kind),
        );
    }

    /// The stream to add is initialized (or not): the re-INVITE goes out.
    pub(super) fn session_add_stream_initialized(
        &mut self,
        now: Instant,
        id: u64,
        kind: &'static str,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let Some(stream) = streams.into_iter().next() else {
            self.post(
                "SIPSessionHadProposalFailure",
                &sender_id(id),
                json!({"failure_reason": "the stream could not be initialized", "streams": [kind]}),
            );
            return;
        };
        let ip = self.calls.get(&id).and_then(|c| c.local_ip);
        let Some(ip) = ip else {
            self.end_unplaced_stream(id, &stream);
            return;
        };
        let media = stream.get_local_media(ip);
        let sent = self.propose(now, id, Proposal::Add(Arc::clone(&stream)), |reoffer| {
            reoffer.add_stream(&media).map(|_| ())
        });
        let sender = sender_id(id);
        if sent {
            self.set_state_from(id, SessionState::Connected, SessionState::SendingProposal);
            self.post(
                "SIPSessionGotProposal",
                &sender,
                json!({"originator": "local", "streams": [kind]}),
            );
            self.drive_call(now, id);
        } else {
            self.post(
                "SIPSessionHadProposalFailure",
                &sender,
                json!({"failure_reason": "the session cannot take a proposal now", "streams": [kind]}),
            );
        }
    }

    /// `Session::remove_stream`: the stream's m-line gets port 0 (RFC 3264 §8.2); the stream
    /// ends whatever the peer answers.
    pub(super) fn session_remove_stream(
        &mut self,
        now: Instant,
        id: u64,
        stream: &Arc<dyn MediaStream>,
    ) {
        let index = self.calls.get(&id).and_then(|c| {
            c.slots
                .iter()
                .position(|slot| slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, stream)))
        });
        let Some(index) = index else {
            return;
        };
        if self.propose(now, id, Proposal::Remove(index), |reoffer| {
            reoffer.remove_stream(index).map(|_| ())
        }) {
            self.set_state_from(id, SessionState::Connected, SessionState::SendingProposal);
            self.drive_call(now, id);
        } else {
            // No re-INVITE can go out now: the stream goes anyway, as the seed does.
            self.stream_removed(id, index);
        }
    }

    /// Builds a re-offer from the current state with `change` and sends it; `false` when
    /// the session cannot take a proposal now.
    fn propose(
        &mut self,
        now: Instant,
        id: u64,
        purpose: Proposal,
        change: impl FnOnce(
            &mut sipsimple_proto::sdp::negotiation::Reoffer<'_>,
        ) -> Result<(), sipsimple_proto::sdp::negotiation::NegotiationError>,
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.proposal.is_some() || call.incoming_proposal.is_some() {
            return false;
        }
        let (Some(sent), Some(negotiated)) = (&call.sent, &call.negotiated) else {
            return false;
        };
        let Ok(mut reoffer) = sipsimple_proto::sdp::negotiation::Reoffer::new(sent, negotiated)
        else {
            return false;
        };
        if change(&mut reoffer).is_err() {
            return false;
        }
        let offer = reoffer.build();
        let bytes = Bytes::from(offer.to_bytes());
        let Some(invite) = call.invite.as_mut() else {
            return false;
        };
        if invite.propose(now, &mut self.rng, Some(bytes)).is_err() {
            return false;
        }
        call.proposal = Some((offer, purpose));
        call.pending_hold = None;
        true
    }

    /// The peer accepted our re-offer: its answer is the new state.
    fn proposal_accepted(&mut self, id: u64, answer: Option<Bytes>) {
        self.set_state_from(id, SessionState::SendingProposal, SessionState::Connected);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((offer, purpose)) = call.proposal.take() else {
            return;
        };
        let checked = answer
            .as_deref()
            .map(Sdp::parse)
            .and_then(Result::ok)
            .and_then(|a| process_answer(&offer, &a).ok());
        let sender = sender_id(id);
        let Some(negotiated) = checked else {
            // An answer that does not fit: the session stays as it was.
            if let Proposal::Add(stream) = &purpose {
                let kind = stream.stream_type();
                self.post(
                    "SIPSessionHadProposalFailure",
                    &sender,
                    json!({"failure_reason": "the answer does not fit the offer", "streams": [kind]}),
                );
            }
            return;
        };
        match purpose {
            Proposal::Hold(hold) => {
                for (index, accepted) in negotiated.iter_accepted() {
                    if let Some(Some(stream)) = call.slots.get(index) {
                        stream.update(accepted);
                    }
                }
                call.negotiated = Some(negotiated);
                call.sent = Some(offer);
                if call.local_hold != hold {
                    call.local_hold = hold;
                    let on_hold = call.local_hold || call.remote_hold;
                    self.shared.update_session(id, |s| s.on_hold = on_hold);
                    self.post(
                        "SIPSessionDidChangeHoldState",
                        &sender,
                        json!({"originator": "local", "on_hold": hold, "partial": false}),
                    );
                }
            }
            Proposal::Add(stream) => {
                let index = call.slots.len();
                let kind = stream.stream_type();
                let accepted = negotiated.accepted(index).cloned();
                call.negotiated = Some(negotiated);
                call.sent = Some(offer);
                match accepted {
                    Some(accepted) => {
                        call.slots.push(Some(Arc::clone(&stream)));
                        self.start_stream(id, index, &stream, &accepted);
                        self.publish_streams(id);
                        self.post(
                            "SIPSessionGotAcceptProposal",
                            &sender,
                            json!({"originator": "local", "streams": [kind], "proposed_streams": [kind]}),
                        );
                        self.post(
                            "SIPSessionDidRenegotiateStreams",
                            &sender,
                            json!({"action": "add", "streams": [kind]}),
                        );
                    }
                    None => {
                        call.slots.push(None);
                        self.end_stream(id, index, &stream);
                        self.post(
                            "SIPSessionGotRejectProposal",
                            &sender,
                            json!({"originator": "local", "code": 200, "reason": "stream not accepted", "streams": [kind]}),
                        );
                    }
                }
            }
            Proposal::Remove(index) => {
                call.negotiated = Some(negotiated);
                call.sent = Some(offer);
                self.stream_removed(id, index);
            }
        }
    }

    /// The peer refused our re-offer: the session stays as it was, except that a stream we
    /// removed is gone anyway.
    fn proposal_rejected(&mut self, id: u64, code: u16, reason: &str) {
        self.set_state_from(id, SessionState::SendingProposal, SessionState::Connected);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((_, purpose)) = call.proposal.take() else {
            return;
        };
        match purpose {
            Proposal::Hold(_) => {}
            Proposal::Add(stream) => {
                let index = call.slots.len();
                self.end_stream(id, index, &stream);
                let kind = stream.stream_type();
                self.post(
                    "SIPSessionGotRejectProposal",
                    &sender_id(id),
                    json!({"originator": "local", "code": code, "reason": reason, "streams": [kind]}),
                );
            }
            Proposal::Remove(index) => self.stream_removed(id, index),
        }
    }

    /// A stream left the session: it ends, its slot empties.
    fn stream_removed(&mut self, id: u64, index: usize) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(stream) = call.slots.get_mut(index).and_then(Option::take) else {
            return;
        };
        self.end_stream(id, index, &stream);
        self.publish_streams(id);
        self.post(
            "SIPSessionDidRenegotiateStreams",
            &sender_id(id),
            json!({"action": "remove", "streams": [stream.stream_type()]}),
        );
    }

    /// A re-INVITE from the peer. One that only changes the streams we have (a hold, a new
    /// port, a stream removed) is answered at once with them; one that adds streams waits
    /// for `accept_proposal` or `reject_proposal` (`SIPSessionGotProposal`). An offer that
    /// cannot be answered gets 488 and the session stays as it was.
    fn answer_proposal(&mut self, now: Instant, id: u64, offer: Option<Bytes>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let parsed = offer.as_deref().map(Sdp::parse).and_then(Result::ok);
        let Some(offer) = parsed else {
            if let Some(invite) = call.invite.as_mut() {
                let _ = invite.reject_proposal(now, 488);
            }
            return;
        };
        if offer.media().len() > call.slots.len() {
            let added: Vec<&'static str> = offer.media()[call.slots.len()..]
                .iter()
                .map(|m| stream_type_of(m.media_type()))
                .collect();
            call.incoming_proposal = Some((offer, added.clone()));
            self.set_state_from(id, SessionState::Connected, SessionState::ReceivedProposal);
            self.post(
                "SIPSessionGotProposal",
                &sender_id(id),
                json!({"originator": "remote", "streams": added}),
            );
            return;
        }
        let current: Vec<Arc<dyn MediaStream>> = call.slots.iter().flatten().cloned().collect();
        self.answer_reoffer(now, id, &offer, &current);
    }

    /// `Session::accept_proposal`: the peer's added streams are answered with `streams`.
    pub(super) fn session_accept_proposal(
        &mut self,
        now: Instant,
        id: u64,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let waiting = self
            .calls
            .get(&id)
            .is_some_and(|c| c.incoming_proposal.is_some());
        if waiting {
            self.initialize_then(now, id, streams, Direction::Incoming, Then::AcceptProposal);
        }
    }

    /// The streams accepted into the peer's proposal are initialized: the answer goes out.
    pub(super) fn session_accept_proposal_initialized(
        &mut self,
        now: Instant,
        id: u64,
        streams: Vec<Arc<dyn MediaStream>>,
    ) {
        let proposal = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.incoming_proposal.take());
        let Some((offer, proposed)) = proposal else {
            // The proposal went away (cancelled) while the streams initialized.
            for stream in &streams {
                self.end_unplaced_stream(id, stream);
            }
            return;
        };
        self.set_state_from(id, SessionState::ReceivedProposal, SessionState::Connected);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let current: Vec<Arc<dyn MediaStream>> = call.slots.iter().flatten().cloned().collect();
        let before = call.slots.len();
        let mut all = current.clone();
        all.extend(streams.iter().cloned());
        if self.answer_reoffer(now, id, &offer, &all) {
            let Some(call) = self.calls.get(&id) else {
                return;
            };
            let added: Vec<&'static str> = call.slots[before.min(call.slots.len())..]
                .iter()
                .flatten()
                .map(|s| s.stream_type())
                .collect();
            let sender = sender_id(id);
            self.post(
                "SIPSessionGotAcceptProposal",
                &sender,
                json!({"originator": "remote", "streams": added, "proposed_streams": proposed}),
            );
            if !added.is_empty() {
                self.post(
                    "SIPSessionDidRenegotiateStreams",
                    &sender,
                    json!({"action": "add", "streams": added}),
                );
            }
        }
    }

    /// `Session::cancel_proposal`: the re-INVITE adding a stream is cancelled; its 487 comes
    /// back through `proposal_rejected`.
    pub(super) fn session_cancel_proposal(&mut self, now: Instant, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !matches!(call.proposal, Some((_, Proposal::Add(_)))) {
            return;
        }
        if let Some(invite) = call.invite.as_mut() {
            let _ = invite.cancel_proposal(now);
        }
        self.drive_call(now, id);
    }

    /// The peer cancelled the proposal we were asked to accept or reject.
    fn proposal_cancelled(&mut self, id: u64) {
        let Some((_, proposed)) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.incoming_proposal.take())
        else {
            return;
        };
        self.set_state_from(id, SessionState::ReceivedProposal, SessionState::Connected);
        self.post(
            "SIPSessionGotRejectProposal",
            &sender_id(id),
            json!({"originator": "remote", "code": 487, "reason": "Request Terminated", "streams": proposed}),
        );
    }

    /// `Session::reject_proposal`: the peer's re-INVITE gets `code`.
    pub(super) fn session_reject_proposal(
        &mut self,
        now: Instant,
        id: u64,
        code: u16,
        reason: Option<String>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((_, proposed)) = call.incoming_proposal.take() else {
            return;
        };
        if let Some(invite) = call.invite.as_mut() {
            let _ = invite.reject_proposal(now, code);
        }
        self.set_state_from(id, SessionState::ReceivedProposal, SessionState::Connected);
        let reason = reason_or_canonical(code, reason);
        self.post(
            "SIPSessionGotRejectProposal",
            &sender_id(id),
            json!({"originator": "remote", "code": code, "reason": reason, "streams": proposed}),
        );
        self.drive_call(now, id);
    }

    /// Answers a re-offer with `streams` (RFC 3264 §6), starting streams on m-lines that
    /// are new and ending those the offer removed; `true` when answered.
    fn answer_reoffer(
        &mut self,
        now: Instant,
        id: u64,
        offer: &Sdp,
        streams: &[Arc<dyn MediaStream>],
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let ip = call
            .local_ip
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        // The seed's validate_update: a stream we have may refuse what the re-offer makes of
        // its m-line, and the whole re-offer is refused.
        let refused = call.slots.iter().enumerate().any(|(index, slot)| {
            match (slot, offer.media().get(index)) {
                (Some(stream), Some(m)) if m.port() != 0 => !stream.validate_update(m),
                _ => false,
            }
        });
        if refused {
            if let Some(invite) = call.invite.as_mut() {
                let _ = invite.reject_proposal(now, 488);
            }
            return false;
        }
        let media: Vec<LocalStream> = streams.iter().map(|s| s.get_local_media(ip)).collect();
        let answered = call.sent.as_ref().and_then(|previous| {
            let (mut sdp, negotiated) = answer(offer, previous.origin(), &media).ok()?;
            set_version_after(previous, &mut sdp);
            Some((sdp, negotiated))
        });
        let Some(invite) = call.invite.as_mut() else {
            return false;
        };
        let Some((sdp, negotiated)) = answered else {
            let _ = invite.reject_proposal(now, 488);
            return false;
        };
        // The peer holds the call when it no longer receives on any accepted stream
        // (it offers sendonly or inactive, RFC 3264 §8.4).
        let held = negotiated.iter_accepted().count() > 0
            && negotiated
                .iter_accepted()
                .all(|(_, s)| !s.remote_direction.receives());
        let bytes = Bytes::from(sdp.to_bytes());
        let _ = invite.accept_proposal(now, Some(bytes));
        let slots = align(&negotiated, streams);
        let old = std::mem::replace(&mut call.slots, slots);
        // Streams new to the session start, those kept are updated, those no longer in it
        // end.
        let gone: Vec<(usize, Arc<dyn MediaStream>)> = old
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s.clone()?)))
            .filter(|(_, stream)| !call.slots.iter().flatten().any(|s| Arc::ptr_eq(s, stream)))
            .collect();
        let mut fresh = Vec::new();
        let mut kept = Vec::new();
        for (index, accepted) in negotiated.iter_accepted() {
            if let Some(Some(stream)) = call.slots.get(index) {
                let entry = (index, Arc::clone(stream), accepted.clone());
                if old.iter().flatten().any(|s| Arc::ptr_eq(s, stream)) {
                    kept.push(entry);
                } else {
                    fresh.push(entry);
                }
            }
        }
        call.sent = Some(sdp);
        call.negotiated = Some(negotiated);
        let live: Vec<Arc<dyn MediaStream>> = call.slots.iter().flatten().cloned().collect();
        let mut removed = Vec::new();
        for (index, stream) in &gone {
            self.end_stream(id, *index, stream);
            removed.push(stream.stream_type());
        }
        for (_, stream, accepted) in &kept {
            stream.update(accepted);
        }
        for (index, stream, accepted) in &fresh {
            self.start_stream(id, *index, stream, accepted);
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let hold_changed = call.remote_hold != held;
        call.remote_hold = held;
        let on_hold = call.local_hold || call.remote_hold;
        self.shared.update_session(id, |s| {
            s.streams = live;
            s.on_hold = on_hold;
        });
        let sender = sender_id(id);
        if hold_changed {
            self.post(
                "SIPSessionDidChangeHoldState",
                &sender,
                json!({"originator": "remote", "on_hold": held, "partial": false}),
            );
        }
        if !removed.is_empty() {
            self.post(
                "SIPSessionDidRenegotiateStreams",
                &sender,
                json!({"action": "remove", "streams": removed}),
            );
        }
        true
    }

    /// Starts the streams of the accepted m-lines; returns their types.
    fn start_streams(&mut self, id: u64) -> Vec<&'static str> {
        let Some(call) = self.calls.get(&id) else {
            return Vec::new();
        };
        let Some(negotiated) = &call.negotiated else {
            return Vec::new();
        };
        let accepted: Vec<(usize, Arc<dyn MediaStream>, AcceptedStream)> = negotiated
            .iter_accepted()
            .filter_map(|(index, accepted)| {
                let stream = call.slots.get(index)?.clone()?;
                Some((index, stream, accepted.clone()))
            })
            .collect();
        let mut started = Vec::new();
        for (index, stream, accepted) in &accepted {
            self.start_stream(id, *index, stream, accepted);
            started.push(stream.stream_type());
        }
        self.publish_streams(id);
        started
    }

    /// Moves the session's state from `from` to `to` (and leaves any other state alone).
    fn set_state_from(&self, id: u64, from: SessionState, to: SessionState) {
        self.shared.update_session(id, |s| {
            if s.state == from {
                s.state = to;
            }
        });
    }

    /// Tells the session's handles the peer's software, once its answers named it.
    fn note_user_agent(&self, id: u64) {
        let agent = self
            .calls
            .get(&id)
            .and_then(|c| c.invite.as_ref())
            .and_then(InviteSession::remote_user_agent)
            .map(str::to_owned);
        if agent.is_some() {
            self.shared
                .update_session(id, |s| s.remote_user_agent = agent);
        }
    }

    /// Tells the session's handles which streams it has now.
    fn publish_streams(&self, id: u64) {
        let live: Vec<Arc<dyn MediaStream>> = self
            .calls
            .get(&id)
            .map(|c| c.slots.iter().flatten().cloned().collect())
            .unwrap_or_default();
        self.shared.update_session(id, |s| s.streams = live);
    }

    /// The call is over: its streams end and it is forgotten.
    fn finish(&mut self, id: u64) {
        self.abandon_initializing(id);
        if let Some(call) = self.calls.remove(&id) {
            for (index, slot) in call.slots.iter().enumerate() {
                if let Some(stream) = slot {
                    self.end_stream(id, index, stream);
                }
            }
            let now = self.runtime.now();
            self.unwatch(now, call.watch);
        }
        self.shared.update_session(id, |s| {
            s.state = SessionState::Terminated;
            s.stop_time = Some(SystemTime::now());
        });
    }

    /// A session that failed before it had an INVITE: the streams it holds end.
    fn fail_early(&mut self, id: u64, code: u16, reason: &str, failure: &str) {
        if let Some(call) = self.calls.remove(&id) {
            for stream in call.slots.iter().flatten() {
                self.end_unplaced_stream(id, stream);
            }
        }
        self.shared.update_session(id, |s| {
            s.state = SessionState::Terminated;
            s.stop_time = Some(SystemTime::now());
        });
        self.transferred_call_failed(id, code, reason);
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
/// Our account's address, for the Referred-By of a REFER.
fn referrer(call: &Call) -> ReferredBy<'static> {
    ReferredBy(account_address(&call.account))
}

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

/// The reason phrase the user gave, else the usual one of `code`.
fn reason_or_canonical(code: u16, reason: Option<String>) -> String {
    reason.unwrap_or_else(|| {
        sipsimple_proto::sip::StatusCode::new(code)
            .map_or("", |c| c.canonical_reason())
            .to_owned()
    })
}

fn transport_name(t: TransportKind) -> &'static str {
    match t {
        TransportKind::Udp => "udp",
        TransportKind::Tcp => "tcp",
        TransportKind::Tls => "tls",
    }
}
