//! The engine: the [`Endpoint`] of `sipsimple-proto` wired to UDP and TCP sockets and the
//! clock, on the application's own executor thread.
//!
//! Everything that happens — a datagram, a framed stream message, a connection going up or
//! down, a command from a handle — arrives as an [`Input`] on one bounded queue; the engine
//! feeds it to the endpoint and the transaction users, then sends what they want sent. The
//! socket tasks only move bytes; all protocol state lives in the engine loop.

mod accounts;
mod sessions;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use bytes::Bytes;
use futures_lite::{future, AsyncReadExt, AsyncWriteExt};
use serde_json::json;
use sipsimple_proto::endpoint::{
    ClientTxId, ConnectionId, Endpoint, EndpointConfig, Event, TransportKind,
};
use sipsimple_proto::rand::Random;
use sipsimple_proto::request::message;
use sipsimple_proto::request::{Outcome, Outgoing, RequestClient, TxReport};
use sipsimple_proto::sip::headers::MediaType;
use sipsimple_proto::sip::{Frame, Framer, FramerError, Method, Request, Response, StatusCode};

use crate::application::Shared;
use crate::configuration::{AccountId, AccountSettings, SipSimpleSettings, Transport};
use crate::notification::SenderId;
use crate::runtime::{DatagramSocket, Runtime, Stream, StreamListener};
use crate::tls::{self, TlsContext};

/// How many inputs may wait for the engine before socket tasks wait in turn.
const INPUT_QUEUE: usize = 4096;
/// How many messages may wait for one stream connection's writer.
const WRITE_QUEUE: usize = 256;
/// How long a TCP connect, and then a TLS handshake, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// How long a stopping engine waits for its accounts to unregister.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Randomness from the operating system, for branches, tags, Call-IDs and digest cnonces.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        // The OS generator only fails on systems without one; nothing can work there.
        getrandom::fill(buf).expect("the operating system's random number generator");
    }
}

/// The outcome of a MESSAGE: the final response that ended it, or the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDelivery {
    /// The status code (2xx on success; 408/503 for a timeout or transport error).
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
}

/// A MESSAGE that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The request failed with this final status (or 408/503 without a response).
    #[error("{error}")]
    Failed {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// What went wrong, for people.
        error: String,
    },
    /// The request could not be sent at all.
    #[error("cannot send: {0}")]
    NotSent(String),
    /// The application stopped before the outcome was known.
    #[error("the application is not running")]
    NotRunning,
}

/// A MESSAGE to send: the request and how to reach the next hop.
#[derive(Debug)]
pub(crate) struct MessageJob {
    pub(crate) request: Request,
    pub(crate) client: RequestClient,
    /// The host of the URI the routes came from: the name TLS servers must prove.
    pub(crate) server_name: Option<String>,
    pub(crate) reply: Sender<Result<MessageDelivery, MessageError>>,
}

/// What reaches the engine loop.
#[derive(Debug)]
pub(crate) enum Input {
    SendMessage(Box<MessageJob>),
    Activate(Box<AccountSettings>),
    Deactivate(AccountId),
    NetworkChanged,
    /// Streams reported on their initialization ([`crate::session::InitializeDone`]).
    StreamsReported,
    SessionConnect {
        id: u64,
        to: String,
        streams: Vec<Arc<dyn crate::session::MediaStream>>,
        routes: Option<Vec<sipsimple_proto::request::Route>>,
        focus: bool,
    },
    SessionRoutes {
        id: u64,
        to: Box<sipsimple_proto::sip::Address<'static>>,
        routes: Result<(Vec<sipsimple_proto::request::Route>, String), String>,
    },
    SessionRing {
        id: u64,
    },
    SessionAccept {
        id: u64,
        streams: Vec<Arc<dyn crate::session::MediaStream>>,
    },
    SessionReject {
        id: u64,
        code: u16,
        reason: Option<String>,
    },
    SessionEnd {
        id: u64,
    },
    SessionHold {
        id: u64,
        hold: bool,
    },
    SessionAddStream {
        id: u64,
        stream: Arc<dyn crate::session::MediaStream>,
    },
    SessionRemoveStream {
        id: u64,
        stream: Arc<dyn crate::session::MediaStream>,
    },
    SessionAcceptProposal {
        id: u64,
        streams: Vec<Arc<dyn crate::session::MediaStream>>,
    },
    SessionRejectProposal {
        id: u64,
        code: u16,
        reason: Option<String>,
    },
    SessionCancelProposal {
        id: u64,
    },
    SessionTransfer {
        id: u64,
        target: String,
        replaced: Option<u64>,
    },
    SessionAcceptTransfer {
        id: u64,
    },
    SessionRejectTransfer {
        id: u64,
        code: u16,
        reason: Option<String>,
    },
    ConferenceParticipant {
        id: u64,
        participant: String,
        add: bool,
    },
    RegistrarResolved {
        id: AccountId,
        lookup: u64,
        routes: Result<(Vec<sipsimple_proto::request::Route>, String), String>,
    },
    Stop,
    Datagram {
        from: SocketAddr,
        data: Vec<u8>,
    },
    Accepted {
        peer: SocketAddr,
        transport: TransportKind,
        stream: Box<dyn Stream>,
    },
    Connected {
        id: ConnectionId,
        peer: SocketAddr,
        stream: Box<dyn Stream>,
    },
    ConnectFailed {
        id: ConnectionId,
    },
    Framed {
        id: ConnectionId,
        peer: SocketAddr,
        transport: TransportKind,
        message: sipsimple_proto::sip::Message,
    },
    Closed {
        id: ConnectionId,
    },
}

/// The sockets an engine runs on, bound before it starts so that errors reach the caller.
#[derive(Debug)]
pub(crate) struct Sockets {
    /// One per local address, the first being the main one.
    pub(crate) udp: Vec<Box<dyn DatagramSocket>>,
    pub(crate) tcp: Vec<Box<dyn StreamListener>>,
    pub(crate) tls: Vec<Box<dyn StreamListener>>,
    /// The configurations of both TLS sides, when TLS runs.
    pub(crate) tls_context: Option<TlsContext>,
}

impl Sockets {
    /// The local addresses of a transport, the main one first.
    pub(crate) fn local(&self, kind: TransportKind) -> Vec<SocketAddr> {
        match kind {
            TransportKind::Udp => self
                .udp
                .iter()
                .filter_map(|s| s.local_addr().ok())
                .collect(),
            TransportKind::Tcp => self
                .tcp
                .iter()
                .filter_map(|s| s.local_addr().ok())
                .collect(),
            TransportKind::Tls => self
                .tls
                .iter()
                .filter_map(|s| s.local_addr().ok())
                .collect(),
        }
    }

    /// `true` when nothing is bound.
    pub(crate) fn is_empty(&self) -> bool {
        self.udp.is_empty() && self.tcp.is_empty() && self.tls.is_empty()
    }
}

struct PendingMessage {
    client: RequestClient,
    reply: Sender<Result<MessageDelivery, MessageError>>,
}

struct Connection {
    writer: Sender<Bytes>,
    peer: SocketAddr,
    transport: TransportKind,
    /// When a message last went or came over it.
    last_active: Instant,
}

/// How often the engine keeps flows alive and how long an unused connection stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// How often a registered account's UDP registrar gets a CRLF keep-alive, which keeps
    /// NAT bindings open (RFC 5626 §4.4.1 without STUN).
    pub udp: Duration,
    /// How often a registered account's TCP or TLS connection gets a CRLF ping (RFC 5626
    /// §4.4.1), which keeps it and its NAT binding open.
    pub stream: Duration,
    /// How long a TCP or TLS connection without a message either way stays open.
    pub idle: Duration,
}

impl Default for KeepAlive {
    /// 30 s for UDP, 90 s for TCP/TLS (RFC 5626 §4.4.1 suggests 95–120 s for connections
    /// and less for UDP), 5 minutes of idleness.
    fn default() -> Self {
        Self {
            udp: Duration::from_secs(30),
            stream: Duration::from_secs(90),
            idle: Duration::from_secs(300),
        }
    }
}

/// The RFC 5626 keep-alive ping.
const PING: &[u8] = b"\r\n\r\n";

pub(crate) struct Engine {
    endpoint: Endpoint<OsRandom>,
    rng: OsRandom,
    /// One per local address, in the order of `locals`.
    udp: Vec<Arc<dyn DatagramSocket>>,
    /// The local addresses of each transport, the main one first.
    locals: HashMap<TransportKind, Vec<SocketAddr>>,
    tls: Option<TlsContext>,
    /// The name each TLS destination must prove, from the URI that led to it.
    tls_names: HashMap<SocketAddr, rustls::pki_types::ServerName<'static>>,
    transport_list: Vec<Transport>,
    /// How long an outgoing call may ring before it is cancelled (`sip.invite_timeout`).
    invite_timeout: Duration,
    streams: HashMap<ConnectionId, Connection>,
    /// Connections being opened, with their transport.
    connecting: HashMap<ConnectionId, TransportKind>,
    keepalive: KeepAlive,
    /// The registrar of each registered account, kept alive.
    flows: BTreeMap<AccountId, sipsimple_proto::request::Route>,
    udp_ping_at: Option<Instant>,
    stream_ping_at: Option<Instant>,
    idle_check_at: Option<Instant>,
    messages: HashMap<ClientTxId, PendingMessage>,
    accounts: BTreeMap<AccountId, accounts::ActiveAccount>,
    /// The calls, by session number.
    calls: BTreeMap<u64, sessions::Call>,
    /// Conference subscriptions of ended calls, waiting for their final NOTIFY.
    leaving: Vec<sipsimple_proto::subscription::Subscription>,
    /// Accounts leaving to come back with new settings.
    reactivate: BTreeMap<AccountId, AccountSettings>,
    /// Sessions waiting for their streams to initialize before they go on.
    initializing: BTreeMap<u64, sessions::Initializing>,
    /// Where streams report their initialization.
    init_reports: Arc<crate::session::InitializeReports>,
    /// When a stop was asked for: the loop ends once the accounts are gone or
    /// [`STOP_GRACE`] has passed.
    stopping: Option<Instant>,
    shared: Arc<Shared>,
    sender: SenderId,
    inputs: Sender<Input>,
    runtime: Arc<dyn Runtime>,
}

/// The queue handles use to reach a running engine.
pub(crate) fn input_queue() -> (Sender<Input>, Receiver<Input>) {
    async_channel::bounded(INPUT_QUEUE)
}

impl Engine {
    pub(crate) fn new(
        sockets: Sockets,
        settings: &SipSimpleSettings,
        shared: Arc<Shared>,
        keepalive: KeepAlive,
        inputs: Sender<Input>,
        runtime: Arc<dyn Runtime>,
    ) -> io::Result<Self> {
        let config = EndpointConfig {
            allow: vec![
                Method::Invite,
                Method::Ack,
                Method::Cancel,
                Method::Bye,
                Method::Options,
                Method::Message,
                Method::Refer,
                Method::Notify,
                Method::Update,
                Method::Prack,
            ],
            accept: vec![
                "application/sdp".to_owned(),
                "message/sipfrag".to_owned(),
                "text/plain".to_owned(),
                "message/cpim".to_owned(),
            ],
            // What our dialogs take when a request requires it: reliable provisional
            // responses, Replaces and session timers.
            supported: vec![
                "100rel".to_owned(),
                "replaces".to_owned(),
                "timer".to_owned(),
            ],
            user_agent: Some(settings.user_agent.clone()),
            ..EndpointConfig::default()
        };
        let mut endpoint = Endpoint::new(config, OsRandom);
        let mut locals = HashMap::new();
        for kind in [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls] {
            let addresses = sockets.local(kind);
            for a in &addresses {
                endpoint.add_transport(kind, *a);
            }
            locals.insert(kind, addresses);
        }
        let udp: Vec<Arc<dyn DatagramSocket>> = sockets.udp.into_iter().map(Arc::from).collect();
        for socket in &udp {
            runtime.spawn(Box::pin(read_datagrams(Arc::clone(socket), inputs.clone())));
        }
        for listener in sockets.tcp {
            runtime.spawn(Box::pin(accept(
                listener,
                None,
                Arc::clone(&runtime),
                inputs.clone(),
            )));
        }
        let tls = sockets.tls_context;
        if let Some(context) = &tls {
            for listener in sockets.tls {
                let acceptor = futures_rustls::TlsAcceptor::from(Arc::clone(&context.server));
                runtime.spawn(Box::pin(accept(
                    listener,
                    Some(acceptor),
                    Arc::clone(&runtime),
                    inputs.clone(),
                )));
            }
        }
        Ok(Self {
            endpoint,
            rng: OsRandom,
            udp,
            locals,
            tls,
            tls_names: HashMap::new(),
            connecting: HashMap::new(),
            keepalive,
            flows: BTreeMap::new(),
            udp_ping_at: None,
            stream_ping_at: None,
            idle_check_at: None,
            transport_list: settings.sip.transport_list.clone(),
            invite_timeout: Duration::from_secs(u64::from(settings.sip.invite_timeout)),
            streams: HashMap::new(),
            messages: HashMap::new(),
            accounts: BTreeMap::new(),
            calls: BTreeMap::new(),
            leaving: Vec::new(),
            reactivate: BTreeMap::new(),
            initializing: BTreeMap::new(),
            init_reports: Arc::new(crate::session::InitializeReports::new(inputs.clone())),
            stopping: None,
            shared,
            sender: SenderId::new("Engine"),
            inputs,
            runtime,
        })
    }

    /// The main local address of a running transport.
    pub(crate) fn local_address(&self, kind: TransportKind) -> Option<SocketAddr> {
        self.locals.get(&kind)?.first().copied()
    }

    /// The local address of a running transport for talking to `peer`: one of the peer's
    /// address family when there is one, else the main one.
    pub(crate) fn local_address_for(
        &self,
        kind: TransportKind,
        peer: SocketAddr,
    ) -> Option<SocketAddr> {
        let all = self.locals.get(&kind)?;
        all.iter()
            .find(|a| a.is_ipv4() == peer.is_ipv4())
            .or_else(|| all.first())
            .copied()
    }

    /// The UDP socket for talking to `peer`, chosen as [`Self::local_address_for`] does.
    fn udp_for(&self, peer: SocketAddr) -> Option<&Arc<dyn DatagramSocket>> {
        let all = self.locals.get(&TransportKind::Udp)?;
        let index = all
            .iter()
            .position(|a| a.is_ipv4() == peer.is_ipv4())
            .unwrap_or(0);
        self.udp.get(index)
    }

    /// Remembers the name a TLS destination must prove (the host of the URI it came from).
    pub(crate) fn expect_tls_name(&mut self, destination: SocketAddr, host: &str) {
        if let Some(name) = tls::server_name(host) {
            self.tls_names.insert(destination, name);
        }
    }

    /// Runs until [`Input::Stop`] (once the accounts have unregistered, or after
    /// [`STOP_GRACE`]) or until every handle is gone.
    pub(crate) async fn run(mut self, inputs: Receiver<Input>) {
        loop {
            let deadline = [
                self.endpoint.poll_timeout(),
                self.accounts_timeout(),
                self.calls_timeout(),
                self.stopping.map(|t| t + STOP_GRACE),
                self.udp_ping_at,
                self.stream_ping_at,
                self.idle_check_at,
            ]
            .into_iter()
            .flatten()
            .min();
            let input = match deadline {
                Some(at) => {
                    let sleep = self.runtime.sleep_until(at);
                    future::or(async { Some(inputs.recv().await) }, async {
                        sleep.await;
                        None
                    })
                    .await
                }
                None => Some(inputs.recv().await),
            };
            let now = self.runtime.now();
            match input {
                Some(Err(_)) => break,
                Some(Ok(Input::Stop)) if self.stopping.is_none() => {
                    self.stopping = Some(now);
                    self.end_all_calls(now);
                    self.deactivate_all(now);
                }
                Some(Ok(input)) => self.handle(now, input),
                None => {}
            }
            if self.endpoint.poll_timeout().is_some_and(|d| d <= now) {
                self.endpoint.handle_timeout(now);
            }
            self.accounts_handle_timeout(now);
            self.streams_reported(now);
            self.calls_handle_timeout(now);
            self.housekeeping(now).await;
            self.pump(now).await;
            if let Some(since) = self.stopping {
                if (self.accounts_idle() && self.calls_idle()) || now >= since + STOP_GRACE {
                    break;
                }
            }
        }
        for (_, pending) in self.messages.drain() {
            // The caller may have gone; nothing else to do then.
            let _ = pending.reply.try_send(Err(MessageError::NotRunning));
        }
    }

    fn handle(&mut self, now: Instant, input: Input) {
        match input {
            Input::SendMessage(job) => {
                let MessageJob {
                    request,
                    mut client,
                    server_name,
                    reply,
                } = *job;
                if let Some(host) = &server_name {
                    let tls: Vec<SocketAddr> = client
                        .routes()
                        .iter()
                        .filter(|r| r.transport == TransportKind::Tls)
                        .map(|r| r.destination)
                        .collect();
                    for destination in tls {
                        self.expect_tls_name(destination, host);
                    }
                }
                if let Err(e) = client.send(&mut self.rng, request) {
                    let _ = reply.try_send(Err(MessageError::NotSent(e.to_string())));
                    return;
                }
                self.dispatch(now, PendingMessage { client, reply });
            }
            Input::Datagram { from, data } => {
                self.endpoint
                    .handle_message(now, from, TransportKind::Udp, None, &data);
            }
            Input::Accepted {
                peer,
                transport,
                stream,
            } => {
                let id = self.endpoint.handle_connection_accepted(peer, transport);
                self.attach(id, peer, transport, stream);
            }
            Input::Connected { id, peer, stream } => {
                let transport = self.connecting.remove(&id).unwrap_or(TransportKind::Tcp);
                self.attach(id, peer, transport, stream);
                self.endpoint.handle_connection_up(id);
            }
            Input::ConnectFailed { id } => {
                self.connecting.remove(&id);
                self.endpoint.handle_connection_failed(now, id);
            }
            Input::Framed {
                id,
                peer,
                transport,
                message,
            } => {
                if let Some(c) = self.streams.get_mut(&id) {
                    c.last_active = now;
                }
                self.endpoint
                    .handle_framed(now, peer, transport, Some(id), message);
            }
            Input::Closed { id } => {
                let closed = self.streams.remove(&id);
                self.endpoint.handle_connection_closed(now, id);
                if let Some(c) = closed {
                    self.flow_closed(now, c.peer, c.transport);
                }
            }
            Input::Activate(settings) => {
                if self.stopping.is_none() {
                    self.activate(now, *settings);
                }
            }
            Input::Deactivate(id) => self.deactivate(now, &id),
            Input::NetworkChanged => {
                // Connections of the old network are of no use: close them, and look
                // everything up again.
                for c in self.streams.values() {
                    c.writer.close();
                }
                self.network_changed(now);
            }
            Input::SessionConnect {
                id,
                to,
                streams,
                routes,
                focus,
            } => {
                if self.stopping.is_none() {
                    self.session_connect(now, id, to, streams, routes, focus);
                }
            }
            Input::SessionRoutes { id, to, routes } => self.session_routes(now, id, *to, routes),
            // Taken after every input, in the loop.
            Input::StreamsReported => {}
            Input::SessionRing { id } => self.session_ring(now, id),
            Input::SessionAccept { id, streams } => self.session_accept(now, id, streams),
            Input::SessionReject { id, code, reason } => {
                self.session_reject(now, id, code, reason);
            }
            Input::SessionEnd { id } => self.session_end(now, id),
            Input::SessionHold { id, hold } => self.session_hold(now, id, hold),
            Input::SessionAddStream { id, stream } => self.session_add_stream(now, id, stream),
            Input::SessionRemoveStream { id, stream } => {
                self.session_remove_stream(now, id, &stream);
            }
            Input::SessionAcceptProposal { id, streams } => {
                self.session_accept_proposal(now, id, streams);
            }
            Input::SessionRejectProposal { id, code, reason } => {
                self.session_reject_proposal(now, id, code, reason);
            }
            Input::SessionCancelProposal { id } => self.session_cancel_proposal(now, id),
            Input::SessionTransfer {
                id,
                target,
                replaced,
            } => self.session_transfer(now, id, &target, replaced),
            Input::SessionAcceptTransfer { id } => self.session_accept_transfer(now, id),
            Input::ConferenceParticipant {
                id,
                participant,
                add,
            } => self.conference_op(now, id, participant, add),
            Input::SessionRejectTransfer { id, code, reason } => {
                self.session_reject_transfer(now, id, code, reason);
            }
            Input::RegistrarResolved { id, lookup, routes } => {
                self.registrar_resolved(now, &id, lookup, routes);
            }
            Input::Stop => {}
        }
    }

    /// Starts the reader and writer of a stream connection.
    fn attach(
        &mut self,
        id: ConnectionId,
        peer: SocketAddr,
        transport: TransportKind,
        stream: Box<dyn Stream>,
    ) {
        let (reader, writer_half) = futures_lite::io::split(stream);
        let (writer, queue) = async_channel::bounded(WRITE_QUEUE);
        self.streams.insert(
            id,
            Connection {
                writer: writer.clone(),
                peer,
                transport,
                last_active: self.runtime.now(),
            },
        );
        if self.idle_check_at.is_none() {
            self.idle_check_at = Some(self.runtime.now() + self.keepalive.idle);
        }
        self.runtime
            .spawn(Box::pin(write_stream(writer_half, queue)));
        self.runtime.spawn(Box::pin(read_stream(
            id,
            peer,
            transport,
            reader,
            writer,
            self.inputs.clone(),
        )));
    }

    /// Sends what the request client of `pending` has queued and remembers it by transaction.
    fn dispatch(&mut self, now: Instant, mut pending: PendingMessage) {
        let Some(Outgoing {
            request,
            destination,
            transport,
        }) = pending.client.poll_request()
        else {
            return;
        };
        match self
            .endpoint
            .send_request(now, request, destination, transport)
        {
            Ok(tx) => {
                self.messages.insert(tx, pending);
            }
            Err(e) => {
                let _ = pending
                    .reply
                    .try_send(Err(MessageError::NotSent(e.to_string())));
            }
        }
    }

    /// Drains the endpoint: events to their users, actions to tasks, transmits to sockets.
    async fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.endpoint.poll_event() {
                progressed = true;
                self.event(now, event);
            }
            while let Some(action) = self.endpoint.poll_action() {
                progressed = true;
                self.action(action);
            }
            while let Some(t) = self.endpoint.poll_transmit() {
                progressed = true;
                self.transmit(now, t).await;
            }
            if !progressed {
                break;
            }
        }
    }

    fn event(&mut self, now: Instant, event: Event) {
        if self.call_event(now, &event) {
            return;
        }
        match event {
            Event::Request {
                tx,
                request,
                source,
                transport,
            } if *request.method() == Method::Invite => {
                self.incoming_call(now, tx, request, source, transport);
            }
            Event::Request { tx, request, .. } => {
                let answer = self.incoming(&request);
                // The transaction may have ended meanwhile (a transport failure); then there
                // is nobody to answer.
                let _ = self.endpoint.respond(now, tx, &answer);
            }
            other => {
                let Some((tx, report)) = TxReport::from_event(&other) else {
                    return;
                };
                if let Some(mut pending) = self.messages.remove(&tx) {
                    // A response the client takes no action on keeps the request pending;
                    // a failure always ends it.
                    let pending_on = matches!(report, TxReport::Response(_)).then_some(tx);
                    let outcome = pending.client.handle_report(&mut self.rng, report);
                    self.outcome(now, pending, outcome, pending_on);
                } else {
                    self.account_report(now, tx, report);
                }
            }
        }
    }

    fn outcome(
        &mut self,
        now: Instant,
        pending: PendingMessage,
        outcome: Option<Outcome>,
        tx: Option<ClientTxId>,
    ) {
        match outcome {
            // A provisional response (the transaction goes on), or a report the client
            // ignored.
            None => {
                if let Some(tx) = tx {
                    self.messages.insert(tx, pending);
                }
            }
            Some(Outcome::Retrying { .. }) => self.dispatch(now, pending),
            Some(Outcome::Succeeded { response, .. }) => {
                let code = response.status().code();
                let reason = response.reason().to_owned();
                self.shared.center.post(
                    "SIPMessageDidSucceed",
                    self.sender.clone(),
                    json!({"code": code, "reason": reason}),
                );
                let _ = pending.reply.try_send(Ok(MessageDelivery { code, reason }));
            }
            Some(Outcome::Failed(f)) => {
                self.shared.center.post(
                    "SIPMessageDidFail",
                    self.sender.clone(),
                    json!({"code": f.code, "reason": f.reason}),
                );
                let _ = pending.reply.try_send(Err(MessageError::Failed {
                    code: f.code,
                    reason: f.reason,
                    error: f.error,
                }));
            }
        }
    }

    /// The answer to a request the endpoint passed up (MESSAGE is the only one today).
    fn incoming(&mut self, request: &Request) -> Response {
        if *request.method() != Method::Message {
            return Response::for_request(request, StatusCode::NOT_IMPLEMENTED);
        }
        let tag = self.rng.token(12);
        match message::accept(request, &[MediaType::new("*", "*")]) {
            Ok(m) => {
                self.shared.center.post(
                    "SIPEngineGotMessage",
                    self.sender.clone(),
                    json!({
                        "request_uri": request.uri().as_str(),
                        "from_header": m.sender.to_string(),
                        "to_header": m.recipient.to_string(),
                        "content_type": m.content_type.to_string(),
                        "body": String::from_utf8_lossy(&m.body),
                    }),
                );
                Response::for_request(request, StatusCode::OK).with_to_tag(&tag)
            }
            Err(refusal) => refusal.with_to_tag(&tag),
        }
    }

    fn action(&mut self, action: sipsimple_proto::endpoint::Action) {
        let sipsimple_proto::endpoint::Action::Connect {
            id,
            destination,
            transport,
        } = action
        else {
            return;
        };
        let inputs = self.inputs.clone();
        let tls = match transport {
            TransportKind::Tcp if self.local_address(TransportKind::Tcp).is_some() => None,
            TransportKind::Tls => match &self.tls {
                Some(context) => {
                    let name = self
                        .tls_names
                        .get(&destination)
                        .cloned()
                        .unwrap_or_else(|| {
                            rustls::pki_types::ServerName::IpAddress(destination.ip().into())
                        });
                    Some((
                        futures_rustls::TlsConnector::from(Arc::clone(&context.client)),
                        name,
                    ))
                }
                None => {
                    let _ = inputs.try_send(Input::ConnectFailed { id });
                    return;
                }
            },
            _ => {
                let _ = inputs.try_send(Input::ConnectFailed { id });
                return;
            }
        };
        self.connecting.insert(id, transport);
        let runtime = Arc::clone(&self.runtime);
        self.runtime.spawn(Box::pin(async move {
            let input = match connect(&*runtime, destination, tls).await {
                Ok(stream) => Input::Connected {
                    id,
                    peer: destination,
                    stream,
                },
                Err(_) => Input::ConnectFailed { id },
            };
            let _ = inputs.send(input).await;
        }));
    }

    /// Starts keeping a registered account's flow to its registrar alive.
    pub(crate) fn keep_alive(
        &mut self,
        now: Instant,
        id: &AccountId,
        registrar: sipsimple_proto::request::Route,
    ) {
        if registrar.transport == TransportKind::Udp {
            self.udp_ping_at.get_or_insert(now + self.keepalive.udp);
        } else {
            self.stream_ping_at
                .get_or_insert(now + self.keepalive.stream);
        }
        self.flows.insert(id.clone(), registrar);
    }

    /// Stops keeping an account's flow alive.
    pub(crate) fn forget_flow(&mut self, id: &AccountId) {
        self.flows.remove(id);
    }

    /// Sends the keep-alives that are due and closes connections idle for too long.
    async fn housekeeping(&mut self, now: Instant) {
        if self.udp_ping_at.is_some_and(|t| t <= now) {
            let targets: Vec<SocketAddr> = self
                .flows
                .values()
                .filter(|r| r.transport == TransportKind::Udp)
                .map(|r| r.destination)
                .collect();
            for target in &targets {
                if let Some(udp) = self.udp_for(*target) {
                    // A lost keep-alive costs nothing; the next one follows.
                    let _ = udp.send_to(PING, *target).await;
                }
            }
            self.udp_ping_at = (!targets.is_empty()).then(|| now + self.keepalive.udp);
        }
        if self.stream_ping_at.is_some_and(|t| t <= now) {
            let targets: Vec<(SocketAddr, TransportKind)> = self
                .flows
                .values()
                .filter(|r| r.transport != TransportKind::Udp)
                .map(|r| (r.destination, r.transport))
                .collect();
            for (peer, transport) in &targets {
                for c in self.streams.values_mut() {
                    if c.peer == *peer && c.transport == *transport {
                        c.last_active = now;
                        // A full queue means messages are going out anyway.
                        let _ = c.writer.try_send(Bytes::from_static(PING));
                    }
                }
            }
            self.stream_ping_at = (!targets.is_empty()).then(|| now + self.keepalive.stream);
        }
        if self.idle_check_at.is_some_and(|t| t <= now) {
            let idle = self.keepalive.idle;
            for c in self.streams.values() {
                if now.saturating_duration_since(c.last_active) >= idle {
                    // The writer shuts the connection down; the reader then reports it
                    // closed, and the endpoint forgets it.
                    c.writer.close();
                }
            }
            let next = self
                .streams
                .values()
                .filter(|c| !c.writer.is_closed())
                .map(|c| c.last_active + idle)
                .min();
            self.idle_check_at = next.map(|t| t.max(now + Duration::from_millis(10)));
        }
    }

    async fn transmit(&mut self, now: Instant, t: sipsimple_proto::endpoint::Transmit) {
        match (t.transport, t.connection) {
            (TransportKind::Udp, _) => {
                if let Some(udp) = self.udp_for(t.destination) {
                    // A datagram that cannot be sent is as good as lost: the transaction
                    // retransmits or times out.
                    let _ = udp.send_to(&t.payload, t.destination).await;
                }
            }
            (_, Some(id)) => {
                let sent = self.streams.get_mut(&id).is_some_and(|s| {
                    s.last_active = now;
                    s.writer.try_send(t.payload).is_ok()
                });
                if !sent {
                    self.streams.remove(&id);
                    self.endpoint.handle_connection_failed(now, id);
                }
            }
            (_, None) => {}
        }
    }
}

async fn read_datagrams(socket: Arc<dyn DatagramSocket>, inputs: Sender<Input>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            // The socket is gone (an in-memory network shutting down).
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
            // ICMP errors surface here on some systems; the socket itself stays usable.
            Err(_) => continue,
        };
        // RFC 5626 §4.4.1 keep-alives and stray CRLFs carry no message.
        if buf[..n].iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let input = Input::Datagram {
            from,
            data: buf[..n].to_vec(),
        };
        if inputs.send(input).await.is_err() {
            return;
        }
    }
}

/// Opens a TCP connection, with a TLS handshake on it when `tls` says so, within
/// [`CONNECT_TIMEOUT`].
async fn connect(
    runtime: &dyn Runtime,
    destination: SocketAddr,
    tls: Option<(
        futures_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
) -> io::Result<Box<dyn Stream>> {
    let deadline = runtime.sleep_until(runtime.now() + CONNECT_TIMEOUT);
    let connecting = runtime.connect_tcp(destination);
    let attempt = async {
        let tcp = connecting.await?;
        let stream: Box<dyn Stream> = match tls {
            Some((connector, name)) => Box::new(
                connector
                    .connect(name, tcp)
                    .await
                    .map_err(tls::handshake_error)?,
            ),
            None => tcp,
        };
        Ok(stream)
    };
    future::or(attempt, async {
        deadline.await;
        Err(io::ErrorKind::TimedOut.into())
    })
    .await
}

async fn accept(
    listener: Box<dyn StreamListener>,
    tls: Option<futures_rustls::TlsAcceptor>,
    runtime: Arc<dyn Runtime>,
    inputs: Sender<Input>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
            Err(_) => {
                // Out of descriptors, say: wait a little instead of spinning.
                runtime
                    .sleep_until(runtime.now() + Duration::from_millis(50))
                    .await;
                continue;
            }
        };
        let Some(acceptor) = &tls else {
            let input = Input::Accepted {
                peer,
                transport: TransportKind::Tcp,
                stream,
            };
            if inputs.send(input).await.is_err() {
                return;
            }
            continue;
        };
        // The handshake runs on its own, so that a slow peer holds up nobody else.
        let (acceptor, inputs) = (acceptor.clone(), inputs.clone());
        let deadline = runtime.sleep_until(runtime.now() + CONNECT_TIMEOUT);
        runtime.spawn(Box::pin(async move {
            let handshake = async { acceptor.accept(stream).await.ok() };
            let done = future::or(handshake, async {
                deadline.await;
                None
            })
            .await;
            if let Some(stream) = done {
                let _ = inputs
                    .send(Input::Accepted {
                        peer,
                        transport: TransportKind::Tls,
                        stream: Box::new(stream),
                    })
                    .await;
            }
        }));
    }
}

async fn write_stream(
    mut writer: futures_lite::io::WriteHalf<Box<dyn Stream>>,
    queue: Receiver<Bytes>,
) {
    while let Ok(bytes) = queue.recv().await {
        if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
            break;
        }
    }
    let _ = writer.close().await;
}

async fn read_stream(
    id: ConnectionId,
    peer: SocketAddr,
    transport: TransportKind,
    mut reader: futures_lite::io::ReadHalf<Box<dyn Stream>>,
    writer: Sender<Bytes>,
    inputs: Sender<Input>,
) {
    let mut framer = Framer::new();
    let mut buf = vec![0u8; 16 * 1024];
    'read: loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        framer.feed(&buf[..n]);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Ok(Frame::Message(message)) => {
                    let input = Input::Framed {
                        id,
                        peer,
                        transport,
                        message,
                    };
                    if inputs.send(input).await.is_err() {
                        return;
                    }
                }
                // RFC 5626 §3.5.1: answer a ping with a pong.
                Ok(Frame::Ping) => {
                    let _ = writer.try_send(Bytes::from_static(b"\r\n"));
                }
                Ok(Frame::Pong) => {}
                // One unparseable message; the stream stays in step.
                Err(FramerError::Message(_)) => {}
                Err(_) => break 'read,
            }
        }
    }
    writer.close();
    let _ = inputs.send(Input::Closed { id }).await;
}
