//! Event subscriptions, subscriber side (RFC 6665): a SUBSCRIBE that forms a dialog, the
//! NOTIFYs that come in it, refreshes before the subscription expires, and unsubscribing.
//!
//! One [`Subscription`] is one subscription to one event package at one resource, a sans-IO
//! transaction user over the [`Endpoint`] like [`crate::invite::InviteSession`]:
//!
//! - [`Subscription::new`] queues the SUBSCRIBE (Event, Expires, Accept); its 2xx forms the
//!   dialog ([`SubscriptionEvent::DidStart`] with the granted expiry). A 401/407 is answered
//!   once with the credentials, a 423 once with its Min-Expires; any other failure, a
//!   timeout or a transport error is [`SubscriptionEvent::DidFail`].
//! - Every NOTIFY in the dialog is answered 200 (489 when its Event is not ours) and
//!   reported as [`SubscriptionEvent::GotNotify`] with its Subscription-State and body; a
//!   `terminated` one ends the subscription ([`SubscriptionEvent::DidEnd`] with its reason).
//! - The subscription is refreshed at half the granted time
//!   ([`SubscriptionEvent::DidRefresh`]); a refresh answered 481 ends it, another failure
//!   lets it run out. It ends as `"expired"` when its time runs out unrefreshed.
//! - [`Subscription::unsubscribe`] sends `Expires: 0`; the notifier's final NOTIFY ends it,
//!   or 64·T1 without one.
//!
//! A NOTIFY that overtakes the 2xx of the initial SUBSCRIBE forms the dialog (RFC 6665
//! §4.1.2.4): it is answered and reported at once, and the 2xx, when it comes, starts the
//! subscription. A SUBSCRIBE that forks keeps the first dialog formed, by a 2xx or a NOTIFY;
//! the endpoint answers the NOTIFYs of the other forks 481, which ends their subscriptions
//! (§4.1.2.4 again).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use crate::dialog::{Dialog, DialogError, DialogId};
use crate::endpoint::{ClientTxId, Endpoint, Event, ServerTxId};
use crate::rand::Random;
use crate::request::{Credentials, Route, CALL_ID_LEN, TAG_LEN};
use crate::sip::auth::DigestClient;
use crate::sip::headers::{
    Contact, ContentType, Event as EventHeader, Expires, HeaderName, MinExpires, SubState,
    SubscriptionState,
};
use crate::sip::{Address, Method, Request, RequestBuilder, Response, StatusCode, Uri};
use crate::transaction::TimerConfig;

#[cfg(test)]
mod tests;

/// What a subscription starts with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SubscriptionConfig {
    /// Our address (a tag is added).
    pub from: Address<'static>,
    /// The resource's address.
    pub to: Address<'static>,
    /// The Request-URI; [`SubscriptionConfig::new`] takes the URI of `to`.
    pub request_uri: Uri<'static>,
    /// Our Contact URI.
    pub contact: Uri<'static>,
    /// Where the SUBSCRIBE goes and how.
    pub destination: Route,
    /// The event package (`conference`, `presence`, …).
    pub event: String,
    /// The body types we take in NOTIFYs (one Accept value each), in order of preference.
    pub accept: Vec<String>,
    /// The expiry we ask for, in seconds.
    pub expires: u32,
    /// Credentials for digest challenges.
    pub credentials: Option<Credentials>,
    /// The transaction timers (T1 sets the wait for the final NOTIFY after unsubscribing).
    pub timers: TimerConfig,
}

impl SubscriptionConfig {
    /// A subscription to `event` at `to` from `from`, with our `contact`, sent to
    /// `destination`; 600 s asked for, no Accept, no credentials.
    pub fn new(
        from: Address<'static>,
        to: Address<'static>,
        contact: Uri<'static>,
        destination: Route,
        event: &str,
    ) -> Self {
        Self {
            request_uri: to.uri().clone(),
            from,
            to,
            contact,
            destination,
            event: event.to_owned(),
            accept: Vec::new(),
            expires: 600,
            credentials: None,
            timers: TimerConfig::default(),
        }
    }
}

/// The state a NOTIFY gives (its Subscription-State).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyState {
    /// The subscription is accepted and the body is the resource's state.
    Active,
    /// The notifier has not decided yet.
    Pending,
    /// The subscription is over.
    Terminated,
}

/// What a subscription reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionEvent {
    /// The initial SUBSCRIBE was accepted for `expires` seconds.
    DidStart {
        /// The granted expiry.
        expires: u32,
    },
    /// A refresh was accepted for `expires` seconds.
    DidRefresh {
        /// The granted expiry.
        expires: u32,
    },
    /// A NOTIFY came (and was answered 200).
    GotNotify {
        /// Its Subscription-State.
        state: NotifyState,
        /// Its Content-Type, if it has a body.
        content_type: Option<String>,
        /// Its body (empty when none).
        body: Bytes,
    },
    /// The initial SUBSCRIBE failed: refused, timed out (408) or not sent (503).
    DidFail {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The subscription ended: a `terminated` NOTIFY (its reason, or `"terminated"`), a
    /// refresh answered 481, `"expired"`, or `"unsubscribed"`.
    DidEnd {
        /// Why.
        reason: String,
    },
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The initial SUBSCRIBE is unanswered.
    Subscribing,
    /// Accepted; NOTIFYs come.
    Active,
    /// We unsubscribed and wait for the final NOTIFY.
    Unsubscribing,
    /// Over.
    Terminated,
}

/// What the caller must do with the endpoint for the subscription (never an ACK or a
/// CANCEL).
pub use crate::dialog::DialogAction as Action;

/// Misuse of a [`Subscription`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The subscription is over.
    #[error("the subscription is over")]
    Terminated,
    /// The event package is not a token.
    #[error("bad event package {0:?}")]
    BadEvent(String),
    /// An Accept value is not a media type.
    #[error("bad Accept value {0:?}")]
    BadAccept(String),
    /// The dialog refused to build a request.
    #[error(transparent)]
    Dialog(#[from] DialogError),
}

/// What one of our SUBSCRIBEs is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Initial,
    Refresh,
    Unsubscribe,
}

/// One subscription; see the [module documentation](self).
#[derive(Debug)]
pub struct Subscription {
    state: State,
    event: EventHeader<'static>,
    accept: Vec<String>,
    expires: u32,
    contact: Uri<'static>,
    destination: Route,
    timers: TimerConfig,
    /// The latest SUBSCRIBE sent (to answer a challenge or a 423 with).
    last: Request,
    dialog: Option<Dialog>,
    dialog_added: bool,
    /// The Call-ID and our tag, while the endpoint passes up requests of the dialog being
    /// formed.
    forming: Option<(String, String)>,
    auth: DigestClient,
    has_credentials: bool,
    /// Challenges answered in a row (one per request).
    challenged: bool,
    txs: Vec<(ClientTxId, Purpose)>,
    unassigned: VecDeque<Purpose>,
    refresh_at: Option<Instant>,
    expire_at: Option<Instant>,
    /// Unsubscribe once the initial SUBSCRIBE is answered.
    unsubscribe_asked: bool,
    latest: Instant,
    actions: VecDeque<Action>,
    events: VecDeque<SubscriptionEvent>,
}

impl Subscription {
    /// Queues the initial SUBSCRIBE of `config`.
    ///
    /// # Errors
    ///
    /// [`Error::BadEvent`] or [`Error::BadAccept`] for values that cannot be headers.
    pub fn new(
        now: Instant,
        rng: &mut impl Random,
        config: SubscriptionConfig,
    ) -> Result<Self, Error> {
        let event =
            EventHeader::new(&config.event).map_err(|_| Error::BadEvent(config.event.clone()))?;
        for a in &config.accept {
            let valid = a
                .split_once('/')
                .is_some_and(|(t, s)| crate::sip::headers::Accept::new(t, s).is_ok());
            if !valid {
                return Err(Error::BadAccept(a.clone()));
            }
        }
        let tag = rng.token(TAG_LEN);
        let call_id = rng.token(CALL_ID_LEN);
        let request = RequestBuilder::new(Method::Subscribe, config.request_uri.clone())
            .from(config.from.clone().with_tag(&tag))
            .to(config.to.clone())
            .call_id(&call_id)
            .cseq(1)
            .contact(&Contact::new(config.contact.clone()))
            .build();
        let mut auth = DigestClient::default();
        if let Some(c) = &config.credentials {
            auth.set_credentials(c.realm.as_deref(), &c.username, &c.password);
        }
        let mut s = Self {
            state: State::Subscribing,
            event,
            accept: config.accept,
            expires: config.expires,
            contact: config.contact,
            destination: config.destination,
            timers: config.timers,
            last: request.clone(),
            dialog: None,
            dialog_added: false,
            forming: Some((call_id.clone(), tag.clone())),
            auth,
            has_credentials: config.credentials.is_some(),
            challenged: false,
            txs: Vec::new(),
            unassigned: VecDeque::new(),
            refresh_at: None,
            expire_at: None,
            unsubscribe_asked: false,
            latest: now,
            actions: VecDeque::new(),
            events: VecDeque::new(),
        };
        s.actions.push_back(Action::AddFormingDialog {
            call_id,
            local_tag: tag,
        });
        let mut request = request;
        s.add_headers(&mut request, s.expires);
        s.send(Purpose::Initial, request);
        Ok(s)
    }

    /// Where the subscription stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// The subscription's dialog, once formed.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// Ends the subscription: a SUBSCRIBE with `Expires: 0` (once the initial one is
    /// answered), then [`SubscriptionEvent::DidEnd`] with the final NOTIFY, or 64·T1 later.
    ///
    /// # Errors
    ///
    /// [`Error::Terminated`] when it is over already.
    pub fn unsubscribe(&mut self, now: Instant, rng: &mut impl Random) -> Result<(), Error> {
        let now = self.clamp(now);
        match self.state {
            State::Terminated => Err(Error::Terminated),
            State::Unsubscribing => Ok(()),
            State::Subscribing => {
                self.unsubscribe_asked = true;
                Ok(())
            }
            State::Active => {
                self.send_unsubscribe(now, rng);
                Ok(())
            }
        }
    }

    // Inputs.

    /// Takes an endpoint event; `true` when it concerns this subscription (its client
    /// transactions, requests in its dialog) and was consumed.
    pub fn handle_event(&mut self, now: Instant, rng: &mut impl Random, event: &Event) -> bool {
        let now = self.clamp(now);
        match event {
            Event::Response { tx, response } => {
                let Some(purpose) = self.purpose(*tx) else {
                    return false;
                };
                if response.status().is_final() {
                    // Done: forgotten, so that refreshes over days keep the list short.
                    self.txs.retain(|(t, _)| t != tx);
                    self.on_final(now, rng, purpose, response);
                }
                true
            }
            Event::Timeout { tx } | Event::TransportError { tx } => {
                let Some(purpose) = self.purpose(*tx) else {
                    return false;
                };
                self.txs.retain(|(t, _)| t != tx);
                let (code, reason) = if matches!(event, Event::Timeout { .. }) {
                    (408, "Request Timeout")
                } else {
                    (503, "Service Unavailable")
                };
                self.on_failure(purpose, code, reason);
                true
            }
            Event::Request { tx, request, .. } => {
                let ours = match &self.dialog {
                    Some(d) => DialogId::for_incoming_request(request).as_ref() == Some(d.id()),
                    None => self.overtaking_notify(*tx, request),
                };
                if ours && self.dialog.is_some() {
                    self.on_request(now, *tx, request);
                }
                ours
            }
            _ => false,
        }
    }

    /// Runs the timers due at `now`: the refresh, the expiry, the wait after unsubscribing.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl Random) {
        let now = self.clamp(now);
        if self.expire_at.is_some_and(|t| t <= now) {
            let reason = if self.state == State::Unsubscribing {
                "unsubscribed"
            } else {
                "expired"
            };
            self.end(reason);
            return;
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            if self.state == State::Active {
                if let Some(request) = self.in_dialog_subscribe(rng, self.expires) {
                    self.send(Purpose::Refresh, request);
                }
            }
        }
    }

    /// Reports the client transaction the endpoint gave the oldest [`Action::SendRequest`]
    /// not reported yet.
    pub fn handle_sent(&mut self, tx: ClientTxId) {
        if let Some(purpose) = self.unassigned.pop_front() {
            self.txs.push((tx, purpose));
        }
    }

    /// Reports that the endpoint refused the oldest [`Action::SendRequest`] not reported
    /// yet; it counts as a transport error.
    pub fn handle_send_failed(&mut self, now: Instant) {
        self.clamp(now);
        if let Some(purpose) = self.unassigned.pop_front() {
            self.on_failure(purpose, 503, "Service Unavailable");
        }
    }

    /// Executes every pending action on `endpoint`, reporting the transactions it gives.
    /// Carries on past a failing action and returns the first error.
    pub fn drive<R: Random>(
        &mut self,
        now: Instant,
        endpoint: &mut Endpoint<R>,
    ) -> Result<(), crate::endpoint::Error> {
        crate::dialog::drive(self, now, endpoint)
    }

    // Outputs.

    /// The next thing to do with the endpoint.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the user.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SubscriptionEvent> {
        self.events.pop_front()
    }

    /// When to call [`Subscription::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.refresh_at, self.expire_at]
            .into_iter()
            .flatten()
            .min()
    }

    // Internals.

    fn clamp(&mut self, now: Instant) -> Instant {
        self.latest = self.latest.max(now);
        self.latest
    }

    /// Whether `request` is a NOTIFY of the subscription being formed that came before the
    /// 2xx; if so, it forms the dialog. One that is ours but cannot form a dialog (no Contact,
    /// say) is answered 400.
    fn overtaking_notify(&mut self, tx: ServerTxId, request: &Request) -> bool {
        if self.state != State::Subscribing
            || self.forming.is_none()
            || *request.method() != Method::Notify
        {
            return false;
        }
        match Dialog::from_overtaking_request(&self.last, request) {
            Ok(dialog) => {
                self.adopt(dialog);
                true
            }
            Err(DialogError::NotDialogCreating) => false,
            Err(e) => {
                let response = Response::for_request(request, StatusCode::BAD_REQUEST)
                    .with_reason(&e.to_string());
                self.actions.push_back(Action::Respond { tx, response });
                true
            }
        }
    }

    /// Makes `dialog` the subscription's, telling the endpoint.
    fn adopt(&mut self, dialog: Dialog) {
        self.stop_forming();
        self.actions
            .push_back(Action::AddDialog(dialog.id().clone()));
        self.dialog_added = true;
        self.dialog = Some(dialog);
    }

    fn stop_forming(&mut self) {
        if let Some((call_id, local_tag)) = self.forming.take() {
            self.actions
                .push_back(Action::RemoveFormingDialog { call_id, local_tag });
        }
    }

    fn purpose(&self, tx: ClientTxId) -> Option<Purpose> {
        self.txs.iter().find(|(t, _)| *t == tx).map(|(_, p)| *p)
    }

    /// Event, Expires, Accept and Contact of our SUBSCRIBEs.
    fn add_headers(&self, request: &mut Request, expires: u32) {
        let h = request.headers_mut();
        h.set_typed(&self.event);
        h.set_typed(&Expires(expires));
        for a in &self.accept {
            h.push(HeaderName::Accept, a);
        }
        if !h.contains(HeaderName::Contact) {
            h.push_typed(&Contact::new(self.contact.clone()));
        }
    }

    /// The Expires of the latest SUBSCRIBE sent.
    fn last_expires(&self) -> u32 {
        self.last
            .headers()
            .single::<Expires>()
            .map_or(self.expires, |e| e.0)
    }

    fn in_dialog_subscribe(&mut self, rng: &mut impl Random, expires: u32) -> Option<Request> {
        let mut request = self
            .dialog
            .as_mut()?
            .request(Method::Subscribe, None)
            .ok()?;
        self.add_headers(&mut request, expires);
        self.auth.authorize_again(rng, &mut request);
        Some(request)
    }

    fn send(&mut self, purpose: Purpose, request: Request) {
        self.last = request.clone();
        self.challenged = false;
        self.actions.push_back(Action::SendRequest {
            request,
            destination: self.destination.destination,
            transport: self.destination.transport,
        });
        self.unassigned.push_back(purpose);
    }

    /// Sends again `request` (a challenge's answer, a 423's retry) for the same purpose.
    fn resend(&mut self, purpose: Purpose, request: Request) {
        self.send(purpose, request);
        self.challenged = true;
    }

    fn send_unsubscribe(&mut self, now: Instant, rng: &mut impl Random) {
        self.state = State::Unsubscribing;
        self.refresh_at = None;
        self.expire_at = Some(now + 64 * self.timers.t1);
        if let Some(request) = self.in_dialog_subscribe(rng, 0) {
            self.send(Purpose::Unsubscribe, request);
        }
    }

    fn on_final(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        purpose: Purpose,
        response: &Response,
    ) {
        let code = response.status().code();
        if (200..300).contains(&code) {
            self.on_success(now, rng, purpose, response);
            return;
        }
        let retry = if matches!(code, 401 | 407) && self.has_credentials && !self.challenged {
            // The digest client learns the challenge; the request goes again with the next
            // CSeq, of the dialog when there is one.
            self.auth
                .authorize(rng, &self.last, response)
                .ok()
                .and_then(|again| match purpose {
                    Purpose::Initial => Some(again),
                    _ => self.in_dialog_subscribe(rng, self.last_expires()),
                })
        } else if code == 423 && !self.challenged {
            match response.headers().single::<MinExpires>() {
                Ok(min) if min.0 > self.expires && purpose != Purpose::Unsubscribe => {
                    self.expires = min.0;
                    match purpose {
                        Purpose::Initial => {
                            let mut again = self.last.clone();
                            bump_cseq(&mut again).ok().map(|()| {
                                self.add_headers(&mut again, self.expires);
                                self.auth.authorize_again(rng, &mut again);
                                again
                            })
                        }
                        _ => self.in_dialog_subscribe(rng, self.expires),
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        match retry {
            Some(again) => self.resend(purpose, again),
            None => self.on_failure(purpose, code, response.reason()),
        }
    }

    fn on_success(
        &mut self,
        now: Instant,
        rng: &mut impl Random,
        purpose: Purpose,
        response: &Response,
    ) {
        let granted = response
            .headers()
            .single::<Expires>()
            // The notifier may shorten the expiry, not lengthen it (RFC 6665 §4.2.1.1).
            .map_or(self.expires, |e| e.0.min(self.expires));
        match purpose {
            Purpose::Initial => {
                if self.state != State::Subscribing {
                    // A second 2xx from a fork: the first one won.
                    return;
                }
                match self.dialog.as_mut() {
                    // Formed by a NOTIFY that came first; the 2xx (of whichever fork: the
                    // others' NOTIFYs get 481) says the subscription is accepted.
                    Some(d) => {
                        if d.id().remote_tag() == to_tag(response).unwrap_or_default() {
                            let _ = d.handle_response(response);
                        }
                    }
                    None => {
                        let Ok(dialog) = Dialog::uac(&self.last, response) else {
                            self.fail(500, "the 2xx forms no dialog");
                            return;
                        };
                        self.adopt(dialog);
                    }
                }
                self.state = State::Active;
                self.schedule(now, granted);
                self.events
                    .push_back(SubscriptionEvent::DidStart { expires: granted });
                if self.unsubscribe_asked {
                    self.send_unsubscribe(now, rng);
                }
            }
            Purpose::Refresh => {
                if self.state == State::Active {
                    self.schedule(now, granted);
                    self.events
                        .push_back(SubscriptionEvent::DidRefresh { expires: granted });
                }
            }
            // The final NOTIFY ends it, or the wait does.
            Purpose::Unsubscribe => {}
        }
    }

    fn on_failure(&mut self, purpose: Purpose, code: u16, reason: &str) {
        match purpose {
            Purpose::Initial if self.state == State::Subscribing => self.fail(code, reason),
            Purpose::Initial => {}
            // RFC 6665 §4.1.2.2: 481 means the subscription is gone; other failures leave
            // it to run out.
            Purpose::Refresh if code == 481 => self.end(&format!("{code} {reason}")),
            Purpose::Refresh => {}
            Purpose::Unsubscribe => self.end("unsubscribed"),
        }
    }

    /// Granted `expires` seconds from `now`: refresh at half of them, give up at the end.
    fn schedule(&mut self, now: Instant, expires: u32) {
        let full = Duration::from_secs(u64::from(expires));
        self.refresh_at = Some(now + (full / 2).max(Duration::from_secs(1)));
        self.expire_at = Some(now + full);
    }

    fn on_request(&mut self, now: Instant, tx: ServerTxId, request: &Request) {
        let respond = |status: StatusCode| Response::for_request(request, status);
        if let Some(d) = self.dialog.as_mut() {
            if d.handle_request(request).is_err() {
                let r = respond(StatusCode::SERVER_INTERNAL_ERROR);
                self.actions.push_back(Action::Respond { tx, response: r });
                return;
            }
        }
        if *request.method() != Method::Notify {
            let r = respond(StatusCode::NOT_IMPLEMENTED);
            self.actions.push_back(Action::Respond { tx, response: r });
            return;
        }
        let h = request.headers();
        let same_event = h
            .single::<EventHeader<'_>>()
            .is_ok_and(|e| e.matches(&self.event));
        if !same_event {
            let r = respond(BAD_EVENT);
            self.actions.push_back(Action::Respond { tx, response: r });
            return;
        }
        let sub_state = match h.single::<SubscriptionState<'_>>() {
            Ok(s) => s.into_owned(),
            Err(e) => {
                let r = respond(StatusCode::BAD_REQUEST)
                    .with_reason(&format!("Bad Subscription-State: {e}"));
                self.actions.push_back(Action::Respond { tx, response: r });
                return;
            }
        };
        self.actions.push_back(Action::Respond {
            tx,
            response: respond(StatusCode::OK),
        });
        let content_type = h.single::<ContentType<'_>>().ok().map(|c| c.to_string());
        let state = match sub_state.state() {
            SubState::Active => NotifyState::Active,
            SubState::Pending => NotifyState::Pending,
            SubState::Terminated => NotifyState::Terminated,
            // RFC 6665 §4.1.3: an unknown state with an expiry counts as active, else as
            // pending (nothing learnt).
            SubState::Other(_) if sub_state.expires().is_some() => NotifyState::Active,
            SubState::Other(_) => NotifyState::Pending,
        };
        // The notifier may shorten the subscription (§4.1.3): expire no later than it says.
        if let (Some(secs), NotifyState::Active | NotifyState::Pending) =
            (sub_state.expires(), state)
        {
            let end = now + Duration::from_secs(u64::from(secs));
            if self.expire_at.is_none_or(|e| end < e) && self.state == State::Active {
                self.schedule(now, secs);
            }
        }
        self.events.push_back(SubscriptionEvent::GotNotify {
            state,
            content_type,
            body: request.body().clone(),
        });
        if state == NotifyState::Terminated {
            let reason = match (self.state, sub_state.reason()) {
                (State::Unsubscribing, _) => "unsubscribed".to_owned(),
                (_, Some(r)) => r.as_str().to_owned(),
                (_, None) => "terminated".to_owned(),
            };
            self.end(&reason);
        }
    }

    fn fail(&mut self, code: u16, reason: &str) {
        self.finish();
        self.events.push_back(SubscriptionEvent::DidFail {
            code,
            reason: reason.to_owned(),
        });
    }

    fn end(&mut self, reason: &str) {
        if self.state == State::Terminated {
            return;
        }
        self.finish();
        self.events.push_back(SubscriptionEvent::DidEnd {
            reason: reason.to_owned(),
        });
    }

    fn finish(&mut self) {
        self.stop_forming();
        self.state = State::Terminated;
        self.refresh_at = None;
        self.expire_at = None;
        if let Some(d) = self.dialog.as_mut() {
            d.terminate();
            if self.dialog_added {
                self.actions.push_back(Action::RemoveDialog(d.id().clone()));
                self.dialog_added = false;
            }
        }
    }
}

impl crate::dialog::DialogUser for Subscription {
    fn next_action(&mut self) -> Option<Action> {
        self.poll_action()
    }

    fn sent(&mut self, tx: ClientTxId) {
        self.handle_sent(tx);
    }

    fn send_failed(&mut self, now: Instant) {
        self.handle_send_failed(now);
    }
}

/// The next CSeq on a request sent again outside the dialog (a new transaction).
fn bump_cseq(request: &mut Request) -> Result<(), DialogError> {
    let seq = request
        .headers()
        .single::<crate::sip::headers::Cseq>()
        .map_err(|_| DialogError::Message("CSeq"))?
        .seq
        .checked_add(1)
        .ok_or(DialogError::CseqExhausted)?;
    request
        .headers_mut()
        .set_typed(&crate::sip::headers::Cseq::new(seq, Method::Subscribe));
    Ok(())
}

/// 489 Bad Event (RFC 6665 §8.3.1).
const BAD_EVENT: StatusCode = match StatusCode::new(489) {
    Some(s) => s,
    None => panic!("489 is a status code"),
};

/// The tag of a response's To.
fn to_tag(response: &Response) -> Option<String> {
    response
        .headers()
        .single::<crate::sip::headers::ToHeader<'_>>()
        .ok()
        .and_then(|t| t.0.tag().map(str::to_owned))
}
