//! The SIP endpoint (RFC 3261 §8, §17, §18): owns the transactions, knows the dialogs, adds
//! Via headers, routes messages to transactions, and answers by itself what a UA core must.
//!
//! # Inputs, outputs, time
//!
//! Inputs: [`Endpoint::handle_message`] for every message the driver received (a datagram, or
//! one message a [`Framer`](crate::sip::Framer) cut from a stream), [`Endpoint::handle_timeout`],
//! the connection reports (`handle_connection_*`), and the commands
//! [`Endpoint::send_request`], [`Endpoint::send_ack`], [`Endpoint::respond`] and
//! [`Endpoint::cancel`]. Outputs are pulled: [`Endpoint::poll_transmit`] (what to send, where,
//! on which connection), [`Endpoint::poll_action`] (connections to open),
//! [`Endpoint::poll_event`] (what the transaction user must learn) and
//! [`Endpoint::poll_timeout`]. Drain transmits and actions, then events, then read the timeout.
//!
//! Handles ([`ClientTxId`], [`ServerTxId`], [`ConnectionId`]) are opaque: the driver routes
//! with them but cannot forge them.

mod checks;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use thiserror::Error;

use crate::dialog::DialogId;
use crate::rand::Random;
use crate::sip::headers::{Cseq, HeaderName, MaxForwards, Via};
use crate::sip::{Message, Method, Request, Response, StatusCode};
use crate::transaction::{
    ClientEvent, ClientTransaction, ServerEvent, ServerTransaction, TimerConfig, TransactionKey,
};

/// Requests larger than this go over TCP instead of UDP (RFC 3261 §18.1.1: 1300 bytes
/// when the path MTU is unknown).
pub const UDP_SIZE_LIMIT: usize = 1300;

/// Room left for the Via the endpoint adds when deciding on the transport.
const VIA_ALLOWANCE: usize = 100;

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl TransportKind {
    /// `true` for stream transports (no retransmissions, §17.1.1.2).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Self::Udp)
    }

    /// The Via transport token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        }
    }
}

/// A connection the driver holds for the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(u64);

/// A client transaction, as the endpoint names it to its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(u64);

/// A server transaction, as the endpoint names it to its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(u64);

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The transport.
    pub transport: TransportKind,
    /// The peer address.
    pub destination: SocketAddr,
    /// The connection to send on, for stream transports.
    pub connection: Option<ConnectionId>,
    /// The serialized message.
    pub payload: Bytes,
}

/// Something the driver must do for the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Open a stream connection and report it with [`Endpoint::handle_connection_up`] or
    /// [`Endpoint::handle_connection_failed`].
    Connect {
        /// The name the endpoint gives the connection.
        id: ConnectionId,
        /// Where to connect.
        destination: SocketAddr,
        /// TCP or TLS.
        transport: TransportKind,
    },
}

/// What the endpoint tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new request (never a retransmission); answer it with [`Endpoint::respond`].
    Request {
        /// The server transaction.
        tx: ServerTxId,
        /// The request, its top Via completed with `received`/`rport`.
        request: Request,
        /// Where it came from.
        source: SocketAddr,
        /// How it came.
        transport: TransportKind,
    },
    /// An ACK for a 2xx (it belongs to a dialog, not a transaction).
    Ack {
        /// The ACK.
        request: Request,
        /// Where it came from.
        source: SocketAddr,
    },
    /// The peer cancelled an INVITE; the endpoint answered the CANCEL with 200 and the INVITE
    /// with 487.
    Cancelled {
        /// The INVITE's server transaction.
        tx: ServerTxId,
    },
    /// A response for a client transaction (provisional or final; every 2xx to INVITE).
    Response {
        /// The client transaction.
        tx: ClientTxId,
        /// The response.
        response: Response,
    },
    /// No final response in time (Timer B or F).
    Timeout {
        /// The client transaction.
        tx: ClientTxId,
    },
    /// The transport failed for a client transaction.
    TransportError {
        /// The client transaction.
        tx: ClientTxId,
    },
    /// A server transaction ended without the ACK of its non-2xx final response (Timer H).
    AckTimeout {
        /// The server transaction.
        tx: ServerTxId,
    },
}

/// Misuse of the endpoint by its caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// No local transport of that kind was added.
    #[error("no {0:?} transport")]
    NoTransport(TransportKind),
    /// The transaction is unknown or has ended.
    #[error("unknown or ended transaction")]
    UnknownTransaction,
    /// The transaction refused the message.
    #[error(transparent)]
    Transaction(#[from] crate::transaction::Error),
    /// CANCEL applies to an INVITE that has received a provisional response (§9.1).
    #[error("only an INVITE that received a provisional response can be cancelled")]
    NotCancellable,
    /// The request is malformed.
    #[error("malformed request: {0}")]
    BadRequest(#[from] crate::sip::ParseError),
}

/// What the endpoint supports and how it behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// Transaction timers.
    pub timers: TimerConfig,
    /// Methods the transaction user handles; others get 405 with Allow (known methods) or
    /// 501 (unknown ones).
    pub allow: Vec<Method>,
    /// Option tags the transaction user supports; a Require naming others gets 420.
    pub supported: Vec<String>,
    /// Body types the transaction user accepts, announced in answers to OPTIONS.
    pub accept: Vec<String>,
    /// Request-URI schemes accepted; others get 416.
    pub schemes: Vec<String>,
    /// Answer OPTIONS outside dialogs with 200 and Allow/Accept/Supported instead of
    /// passing them up.
    pub answer_options: bool,
    /// Product text: the User-Agent of the requests it sends and the Server of the
    /// responses (its own and the user's), where they have none.
    pub user_agent: Option<String>,
    /// Largest request processed, in bytes; a larger one gets 513 (§21.5.14). Messages over
    /// the parser's own 64 KiB limit are never read, whatever this says.
    pub max_message_size: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            timers: TimerConfig::default(),
            allow: vec![
                Method::Invite,
                Method::Ack,
                Method::Cancel,
                Method::Bye,
                Method::Options,
                Method::Message,
                Method::Notify,
                Method::Refer,
                Method::Subscribe,
                Method::Info,
                Method::Update,
                Method::Prack,
            ],
            supported: Vec::new(),
            accept: vec!["application/sdp".to_owned()],
            schemes: vec!["sip".to_owned(), "sips".to_owned(), "tel".to_owned()],
            answer_options: true,
            user_agent: None,
            max_message_size: 64 * 1024,
        }
    }
}

#[derive(Debug)]
struct ClientEntry {
    id: ClientTxId,
    tx: ClientTransaction,
    destination: SocketAddr,
    transport: TransportKind,
    connection: Option<ConnectionId>,
    got_provisional: bool,
}

#[derive(Debug)]
struct ServerEntry {
    id: ServerTxId,
    tx: ServerTransaction,
    /// Where responses go (§18.2.2): the request's source, at the sent-by port unless the
    /// request asked for `rport`.
    reply_to: SocketAddr,
    transport: TransportKind,
    connection: Option<ConnectionId>,
    /// For INVITE: the request, to answer a CANCEL with 487.
    invite: Option<Request>,
    /// The To tag of the responses the user sent, reused for the 487 after a CANCEL.
    to_tag: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Connection {
    destination: SocketAddr,
    transport: TransportKind,
    up: bool,
}

/// The endpoint: see the [module documentation](self).
#[derive(Debug)]
pub struct Endpoint<R> {
    config: EndpointConfig,
    rng: R,
    locals: Vec<(TransportKind, SocketAddr)>,
    clients: HashMap<TransactionKey, ClientEntry>,
    client_keys: HashMap<ClientTxId, TransactionKey>,
    servers: HashMap<TransactionKey, ServerEntry>,
    server_keys: HashMap<ServerTxId, TransactionKey>,
    /// Requests in progress by (Call-ID, From tag, CSeq) to detect merged requests (§8.2.2.2).
    merges: HashMap<checks::MergeKey, TransactionKey>,
    dialogs: checks::KnownDialogs,
    connections: HashMap<ConnectionId, Connection>,
    /// Transmits waiting for their connection to come up.
    pending: Vec<Transmit>,
    next_id: u64,
    transmits: VecDeque<Transmit>,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
}

impl<R: Random> Endpoint<R> {
    /// An endpoint with no transport yet.
    pub fn new(config: EndpointConfig, rng: R) -> Self {
        Self {
            config,
            rng,
            locals: Vec::new(),
            clients: HashMap::new(),
            client_keys: HashMap::new(),
            servers: HashMap::new(),
            server_keys: HashMap::new(),
            merges: HashMap::new(),
            dialogs: checks::KnownDialogs::default(),
            connections: HashMap::new(),
            pending: Vec::new(),
            next_id: 1,
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Declares a local transport and the address it is reachable at (the Via sent-by): one
    /// per transport and address family, so that a request to an IPv6 peer names the IPv6
    /// address. A later call for the same transport and family replaces the earlier one.
    pub fn add_transport(&mut self, transport: TransportKind, local: SocketAddr) {
        self.locals
            .retain(|(k, a)| !(*k == transport && a.is_ipv4() == local.is_ipv4()));
        self.locals.push((transport, local));
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Tells the endpoint a dialog exists, so requests in it are passed up (and others with a
    /// To tag get 481).
    pub fn add_dialog(&mut self, id: DialogId) {
        self.dialogs.ids.insert(id);
    }

    /// Tells the endpoint our side is forming a dialog (a SUBSCRIBE or REFER we sent): requests
    /// with this Call-ID and our tag are passed up before the peer's tag is known. Forget it
    /// with [`Endpoint::remove_forming_dialog`] once the dialog exists or failed.
    pub fn add_forming_dialog(&mut self, call_id: &str, local_tag: &str) {
        self.dialogs
            .forming
            .insert((call_id.into(), local_tag.into()));
    }

    /// Forgets a dialog added with [`Endpoint::add_forming_dialog`].
    pub fn remove_forming_dialog(&mut self, call_id: &str, local_tag: &str) {
        self.dialogs
            .forming
            .remove(&(Box::from(call_id), Box::from(local_tag)));
    }

    /// Forgets a dialog.
    pub fn remove_dialog(&mut self, id: &DialogId) {
        self.dialogs.ids.remove(id);
    }

    /// The random generator, for the layers above that need one too.
    pub fn rng(&mut self) -> &mut R {
        &mut self.rng
    }

    /// Live transactions (client, server), for bounds and diagnostics.
    pub fn transaction_count(&self) -> (usize, usize) {
        (self.clients.len(), self.servers.len())
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn local(&self, transport: TransportKind) -> Result<SocketAddr, Error> {
        self.locals
            .iter()
            .find(|(k, _)| *k == transport)
            .map(|(_, a)| *a)
            .ok_or(Error::NoTransport(transport))
    }

    /// A new branch with the magic cookie (§8.1.1.7).
    fn branch(&mut self) -> String {
        format!(
            "{}{}",
            crate::sip::headers::BRANCH_MAGIC_COOKIE,
            self.rng.token(16)
        )
    }

    /// The local address of `transport` for talking to `peer`: of the peer's address family
    /// when there is one, else any.
    fn local_for(&self, transport: TransportKind, peer: SocketAddr) -> Result<SocketAddr, Error> {
        self.locals
            .iter()
            .find(|(k, a)| *k == transport && a.is_ipv4() == peer.is_ipv4())
            .map(|(_, a)| *a)
            .map_or_else(|| self.local(transport), Ok)
    }

    fn add_via(
        &mut self,
        request: &mut Request,
        transport: TransportKind,
        destination: SocketAddr,
    ) -> Result<(), Error> {
        let local = self.local_for(transport, destination)?;
        let branch = self.branch();
        let mut via = Via::new(
            transport.as_str(),
            &local.ip().to_string(),
            Some(local.port()),
            &branch,
        );
        if transport == TransportKind::Udp {
            // RFC 3581: ask for the source port the response must go to.
            via.params.push("rport", None);
        }
        request.headers_mut().prepend_typed(&via);
        Ok(())
    }

    /// Sends a request (not ACK, see [`Endpoint::send_ack`]) to `destination` in a new client
    /// transaction: adds a Via with a new branch (and `rport` on UDP) and Max-Forwards 70 when
    /// missing. A request for UDP larger than [`UDP_SIZE_LIMIT`] goes over TCP when a TCP
    /// transport exists (RFC 3261 §18.1.1), since fragmented datagrams are easily lost.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        destination: SocketAddr,
        transport: TransportKind,
    ) -> Result<ClientTxId, Error> {
        if *request.method() == Method::Ack {
            return Err(Error::Transaction(
                crate::transaction::Error::AckTransaction,
            ));
        }
        if !request.headers().contains(HeaderName::MaxForwards) {
            request.headers_mut().push_typed(&MaxForwards(70));
        }
        if let Some(ua) = &self.config.user_agent {
            if !request.headers().contains(HeaderName::UserAgent) {
                request.headers_mut().push(HeaderName::UserAgent, ua);
            }
        }
        let mut transport = transport;
        if transport == TransportKind::Udp
            && self.local(TransportKind::Tcp).is_ok()
            && request.encoded_len() + VIA_ALLOWANCE > UDP_SIZE_LIMIT
        {
            transport = TransportKind::Tcp;
        }
        self.add_via(&mut request, transport, destination)?;
        self.start_client(now, request, destination, transport)
    }

    fn start_client(
        &mut self,
        now: Instant,
        request: Request,
        destination: SocketAddr,
        transport: TransportKind,
    ) -> Result<ClientTxId, Error> {
        let key = TransactionKey::for_outgoing_request(&request)?;
        let tx = ClientTransaction::new(now, request, transport.is_reliable(), self.config.timers)?;
        let id = ClientTxId(self.next_id());
        let connection = self.connection_for(destination, transport);
        self.clients.insert(
            key.clone(),
            ClientEntry {
                id,
                tx,
                destination,
                transport,
                connection,
                got_provisional: false,
            },
        );
        self.client_keys.insert(id, key.clone());
        self.drain_client(&key);
        Ok(id)
    }

    /// Sends an ACK for a 2xx (§13.2.2.4), outside any transaction, with a new Via.
    pub fn send_ack(
        &mut self,
        mut ack: Request,
        destination: SocketAddr,
        transport: TransportKind,
    ) -> Result<(), Error> {
        self.add_via(&mut ack, transport, destination)?;
        if !ack.headers().contains(HeaderName::MaxForwards) {
            ack.headers_mut().push_typed(&MaxForwards(70));
        }
        let connection = self.connection_for(destination, transport);
        self.queue(Transmit {
            transport,
            destination,
            connection,
            payload: Bytes::from(ack.to_bytes()),
        });
        Ok(())
    }

    /// Cancels an INVITE client transaction that has received a provisional response (§9.1):
    /// sends a CANCEL in its own transaction, whose id is returned.
    pub fn cancel(&mut self, now: Instant, tx: ClientTxId) -> Result<ClientTxId, Error> {
        let key = self.client_keys.get(&tx).ok_or(Error::UnknownTransaction)?;
        let entry = &self.clients[key];
        let invite = entry.tx.request();
        if *invite.method() != Method::Invite || !entry.got_provisional || entry.tx.is_terminated()
        {
            return Err(Error::NotCancellable);
        }
        let mut cancel = Request::new(Method::Cancel, invite.uri().clone());
        let ih = invite.headers();
        let h = cancel.headers_mut();
        // The same top Via (and so branch), Call-ID, To, From, CSeq number and Route.
        if let Some(via) = ih.get(HeaderName::Via) {
            h.push(
                HeaderName::Via,
                crate::sip::text::split_commas(via).next().unwrap_or(via),
            );
        }
        for f in ih.iter().filter(|f| {
            matches!(
                f.name,
                HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::Route
            )
        }) {
            h.push(f.name, f.value);
        }
        let seq = ih.single::<Cseq>()?.seq;
        h.push_typed(&Cseq::new(seq, Method::Cancel));
        h.push_typed(&MaxForwards(70));
        h.push(HeaderName::ContentLength, "0");
        let (destination, transport) = (entry.destination, entry.transport);
        self.start_client(now, cancel, destination, transport)
    }

    /// Sends a response in a server transaction. The response goes where §18.2.2 says: over
    /// the request's connection for streams, else to `received`/`rport` of the top Via.
    pub fn respond(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: &Response,
    ) -> Result<(), Error> {
        let key = self
            .server_keys
            .get(&tx)
            .ok_or(Error::UnknownTransaction)?
            .clone();
        let entry = self
            .servers
            .get_mut(&key)
            .ok_or(Error::UnknownTransaction)?;
        let named = self.config.user_agent.as_ref().filter(|_| {
            let h = response.headers();
            !h.contains(HeaderName::Server) && !h.contains(HeaderName::UserAgent)
        });
        match named {
            Some(ua) => {
                let mut response = response.clone();
                response.headers_mut().push(HeaderName::Server, ua);
                entry.tx.respond(now, &response)?;
            }
            None => entry.tx.respond(now, response)?,
        }
        if entry.to_tag.is_none() {
            entry.to_tag = response
                .headers()
                .first::<crate::sip::headers::ToHeader<'_>>()
                .and_then(Result::ok)
                .and_then(|t| t.tag().map(str::to_owned));
        }
        self.drain_server(&key);
        Ok(())
    }

    fn connection_for(
        &mut self,
        destination: SocketAddr,
        transport: TransportKind,
    ) -> Option<ConnectionId> {
        if !transport.is_reliable() {
            return None;
        }
        if let Some((id, _)) = self
            .connections
            .iter()
            .find(|(_, c)| c.destination == destination && c.transport == transport)
        {
            return Some(*id);
        }
        let id = ConnectionId(self.next_id());
        self.connections.insert(
            id,
            Connection {
                destination,
                transport,
                up: false,
            },
        );
        self.actions.push_back(Action::Connect {
            id,
            destination,
            transport,
        });
        Some(id)
    }

    fn queue(&mut self, t: Transmit) {
        match t.connection.and_then(|c| self.connections.get(&c)) {
            Some(c) if !c.up => self.pending.push(t),
            _ => self.transmits.push_back(t),
        }
    }

    /// A connection the endpoint asked for is up: queued messages go out.
    pub fn handle_connection_up(&mut self, id: ConnectionId) {
        if let Some(c) = self.connections.get_mut(&id) {
            c.up = true;
        }
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .pending
            .drain(..)
            .partition(|t| t.connection == Some(id));
        self.pending = waiting;
        self.transmits.extend(ready);
    }

    /// The driver accepted a connection from a peer: messages on it carry this id.
    pub fn handle_connection_accepted(
        &mut self,
        source: SocketAddr,
        transport: TransportKind,
    ) -> ConnectionId {
        let id = ConnectionId(self.next_id());
        self.connections.insert(
            id,
            Connection {
                destination: source,
                transport,
                up: true,
            },
        );
        id
    }

    /// A connection could not be opened or broke: its transactions fail (§17.1.4, §17.2.4).
    pub fn handle_connection_failed(&mut self, now: Instant, id: ConnectionId) {
        self.connections.remove(&id);
        self.pending.retain(|t| t.connection != Some(id));
        self.each_client(
            |e| e.connection == Some(id),
            |tx| tx.handle_transport_error(now),
        );
        self.each_server(
            |e| e.connection == Some(id),
            |tx| tx.handle_transport_error(now),
        );
    }

    /// Runs `op` on the client transactions `select` picks, then drains them.
    fn each_client(
        &mut self,
        select: impl Fn(&ClientEntry) -> bool,
        op: impl Fn(&mut ClientTransaction),
    ) {
        for k in in_creation_order(&self.clients, |e| select(e).then_some(e.id)) {
            if let Some(e) = self.clients.get_mut(&k) {
                op(&mut e.tx);
            }
            self.drain_client(&k);
        }
    }

    /// Runs `op` on the server transactions `select` picks, then drains them.
    fn each_server(
        &mut self,
        select: impl Fn(&ServerEntry) -> bool,
        op: impl Fn(&mut ServerTransaction),
    ) {
        for k in in_creation_order(&self.servers, |e| select(e).then_some(e.id)) {
            if let Some(e) = self.servers.get_mut(&k) {
                op(&mut e.tx);
            }
            self.drain_server(&k);
        }
    }

    /// A connection closed normally; later messages to its peer open a new one.
    pub fn handle_connection_closed(&mut self, now: Instant, id: ConnectionId) {
        self.handle_connection_failed(now, id);
    }

    /// Handles one received message. `connection` names the stream it came on (`None` for
    /// datagrams). Malformed requests are answered statelessly with 400 (or 505) whose reason
    /// phrase names the fault; malformed responses are dropped.
    pub fn handle_message(
        &mut self,
        now: Instant,
        source: SocketAddr,
        transport: TransportKind,
        connection: Option<ConnectionId>,
        data: &[u8],
    ) {
        let message = match Message::parse(data) {
            Ok(m) => m,
            Err(e) => {
                // A request whose start line is malformed still has the headers a 400 needs
                // (RFC 4475 §3.1.2.7–§3.1.2.10); anything else unparseable is dropped.
                if let Some(request) = checks::salvage(data, &e) {
                    let reason = e.to_string();
                    let status =
                        StatusCode::new(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
                    self.reply_stateless(
                        &request,
                        status,
                        Some(&reason),
                        (source, transport, connection),
                    );
                }
                return;
            }
        };
        self.handle_parsed(now, source, transport, connection, message, data.len());
    }

    /// Handles one message a stream [`Framer`](crate::sip::Framer) already cut and parsed
    /// (it is not parsed again); `size` is its length on the wire. Otherwise the same as
    /// [`handle_message`](Self::handle_message).
    pub fn handle_framed(
        &mut self,
        now: Instant,
        source: SocketAddr,
        transport: TransportKind,
        connection: Option<ConnectionId>,
        message: Message,
    ) {
        let size = message.encoded_len();
        self.handle_parsed(now, source, transport, connection, message, size);
    }

    fn handle_parsed(
        &mut self,
        now: Instant,
        source: SocketAddr,
        transport: TransportKind,
        connection: Option<ConnectionId>,
        message: Message,
        size: usize,
    ) {
        let valid = if size > self.config.max_message_size {
            Err(crate::sip::ParseError::TooLarge {
                size,
                limit: self.config.max_message_size,
            })
        } else {
            message.validate()
        };
        match message {
            // A malformed response is dropped (§18.1.2).
            Message::Response(r) if valid.is_ok() => self.handle_response(now, r),
            Message::Response(_) => {}
            Message::Request(r) => {
                self.handle_request(now, r, valid, (source, transport, connection));
            }
        }
    }

    fn handle_response(&mut self, now: Instant, response: Response) {
        let Ok(key) = TransactionKey::for_response(&response) else {
            return;
        };
        // Stray responses (no transaction) are dropped (§18.1.2).
        let Some(entry) = self.clients.get_mut(&key) else {
            return;
        };
        if response.status().is_provisional() {
            entry.got_provisional = true;
        }
        entry.tx.handle_response(now, &response);
        self.drain_client(&key);
    }

    fn handle_request(
        &mut self,
        now: Instant,
        mut request: Request,
        valid: Result<(), crate::sip::ParseError>,
        reply_to: (SocketAddr, TransportKind, Option<ConnectionId>),
    ) {
        checks::stamp_via(&mut request, reply_to.0);
        let source = reply_to.0;
        if let Err(e) = valid {
            if *request.method() != Method::Ack {
                let reason = e.to_string();
                self.reply_stateless(
                    &request,
                    StatusCode::new(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST),
                    Some(&reason),
                    reply_to,
                );
            }
            return;
        }
        let Ok(key) = TransactionKey::for_incoming_request(&request) else {
            return;
        };
        // A retransmission, or the ACK of a non-2xx final response.
        if let Some(entry) = self.servers.get_mut(&key) {
            let absorbed = entry.tx.handle_request(now, &request);
            self.drain_server(&key);
            if !absorbed && *request.method() == Method::Ack {
                self.events.push_back(Event::Ack { request, source });
            }
            return;
        }
        match request.method() {
            Method::Ack => {
                // An ACK for a 2xx: the dialog's business (§17.2.3 leaves it to the core).
                self.events.push_back(Event::Ack { request, source });
            }
            Method::Cancel => self.handle_cancel(now, request, reply_to),
            _ => self.new_server_transaction(now, request, key, reply_to),
        }
    }

    fn handle_cancel(
        &mut self,
        now: Instant,
        cancel: Request,
        reply_to: (SocketAddr, TransportKind, Option<ConnectionId>),
    ) {
        let target = TransactionKey::cancel_target(&cancel).ok();
        let invite = target.as_ref().and_then(|k| {
            self.servers
                .get(k)
                .map(|e| (k.clone(), e.id, e.invite.clone(), e.to_tag.clone()))
        });
        let Some((invite_key, invite_id, Some(invite_req), to_tag)) = invite else {
            // §9.2: no matching transaction.
            self.reply_stateless(
                &cancel,
                StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
                None,
                reply_to,
            );
            return;
        };
        // The CANCEL gets its own transaction and a 200 (§9.2).
        let Ok(key) = TransactionKey::for_incoming_request(&cancel) else {
            return;
        };
        if let Ok(mut tx) =
            ServerTransaction::new(now, &cancel, reply_to.1.is_reliable(), self.config.timers)
        {
            let ok = checks::response(&cancel, StatusCode::OK, None, &self.config);
            let _ = tx.respond(now, &ok);
            let id = ServerTxId(self.next_id());
            self.servers.insert(
                key.clone(),
                ServerEntry {
                    id,
                    tx,
                    reply_to: checks::response_destination(&cancel, reply_to.0, reply_to.1),
                    transport: reply_to.1,
                    connection: reply_to.2,
                    invite: None,
                    to_tag: None,
                },
            );
            self.server_keys.insert(id, key.clone());
            self.drain_server(&key);
        }
        // The INVITE, if still unanswered, gets 487 (§9.2).
        let mut terminated = checks::response(
            &invite_req,
            StatusCode::REQUEST_TERMINATED,
            None,
            &self.config,
        );
        if let Some(tag) = to_tag {
            // Keep the early dialog the user's provisional responses made.
            let mut to = terminated
                .headers()
                .first::<crate::sip::headers::ToHeader<'_>>()
                .and_then(Result::ok)
                .map(|t| t.0.into_owned());
            if let Some(to) = to.as_mut() {
                to.set_tag(&tag);
                let value = to.to_string();
                terminated.headers_mut().set(HeaderName::To, &value);
            }
        }
        if let Some(e) = self.servers.get_mut(&invite_key) {
            if e.tx.respond(now, &terminated).is_ok() {
                self.events.push_back(Event::Cancelled { tx: invite_id });
            }
        }
        self.drain_server(&invite_key);
    }

    fn new_server_transaction(
        &mut self,
        now: Instant,
        request: Request,
        key: TransactionKey,
        reply_to: (SocketAddr, TransportKind, Option<ConnectionId>),
    ) {
        let (source, transport, connection) = reply_to;
        let Ok(tx) =
            ServerTransaction::new(now, &request, transport.is_reliable(), self.config.timers)
        else {
            return;
        };
        let id = ServerTxId(self.next_id());
        // Only what a response needs (§8.2.6), to answer a later CANCEL with 487 without
        // holding the whole INVITE and its body.
        let invite = (*request.method() == Method::Invite).then(|| {
            let mut kept = Request::new(Method::Invite, request.uri().clone());
            for f in request
                .headers()
                .iter()
                .filter(|f| crate::sip::builder::copied_to_responses(f.name))
            {
                kept.headers_mut().push(f.name, f.value);
            }
            kept
        });
        self.servers.insert(
            key.clone(),
            ServerEntry {
                id,
                tx,
                reply_to: checks::response_destination(&request, source, transport),
                transport,
                connection,
                invite,
                to_tag: None,
            },
        );
        self.server_keys.insert(id, key.clone());
        // What a UA core answers by itself (§8.2.1–§8.2.2, §12.2.2).
        if let Some((status, reason, extra)) = checks::core_answer(
            &request,
            &self.config,
            &self.dialogs,
            &mut self.merges,
            &key,
        ) {
            let mut response = checks::response(&request, status, reason.as_deref(), &self.config);
            for (name, value) in extra {
                response = response.with_field(name, &value);
            }
            if let Some(e) = self.servers.get_mut(&key) {
                let _ = e.tx.respond(now, &response);
            }
            self.drain_server(&key);
            return;
        }
        self.drain_server(&key);
        self.events.push_back(Event::Request {
            tx: id,
            request,
            source,
            transport,
        });
    }

    /// Answers a request without a transaction (bad requests, CANCEL without a match).
    fn reply_stateless(
        &mut self,
        request: &Request,
        status: StatusCode,
        reason: Option<&str>,
        (source, transport, connection): (SocketAddr, TransportKind, Option<ConnectionId>),
    ) {
        if request.headers().get(HeaderName::Via).is_none() {
            return;
        }
        let response = checks::response(request, status, reason, &self.config);
        let destination = checks::response_destination(request, source, transport);
        self.queue(Transmit {
            transport,
            destination,
            connection,
            payload: Bytes::from(response.to_bytes()),
        });
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.each_client(
            |e| e.tx.poll_timeout().is_some_and(|t| t <= now),
            |tx| tx.handle_timeout(now),
        );
        self.each_server(
            |e| e.tx.poll_timeout().is_some_and(|t| t <= now),
            |tx| tx.handle_timeout(now),
        );
    }

    fn drain_client(&mut self, key: &TransactionKey) {
        let Some(e) = self.clients.get_mut(key) else {
            return;
        };
        let (id, destination, transport, connection) =
            (e.id, e.destination, e.transport, e.connection);
        let mut out = Vec::new();
        while let Some(payload) = e.tx.poll_transmit() {
            out.push(payload);
        }
        let mut events = Vec::new();
        let mut ended = false;
        while let Some(ev) = e.tx.poll_event() {
            match ev {
                ClientEvent::Response(response) => {
                    events.push(Event::Response { tx: id, response })
                }
                ClientEvent::Timeout => events.push(Event::Timeout { tx: id }),
                ClientEvent::TransportError => events.push(Event::TransportError { tx: id }),
                ClientEvent::Terminated => ended = true,
            }
        }
        for payload in out {
            self.queue(Transmit {
                transport,
                destination,
                connection,
                payload,
            });
        }
        self.events.extend(events);
        if ended {
            self.clients.remove(key);
            self.client_keys.remove(&id);
        }
    }

    fn drain_server(&mut self, key: &TransactionKey) {
        let Some(e) = self.servers.get_mut(key) else {
            return;
        };
        let id = e.id;
        let transport = e.transport;
        let connection = e.connection;
        let destination = e.reply_to;
        let mut out = Vec::new();
        while let Some(payload) = e.tx.poll_transmit() {
            out.push(payload);
        }
        let mut ended = false;
        let mut events = Vec::new();
        while let Some(ev) = e.tx.poll_event() {
            match ev {
                ServerEvent::Timeout => events.push(Event::AckTimeout { tx: id }),
                ServerEvent::Terminated => ended = true,
                _ => {}
            }
        }
        for payload in out {
            self.queue(Transmit {
                transport,
                destination,
                connection,
                payload,
            });
        }
        self.events.extend(events);
        if ended {
            self.servers.remove(key);
            self.server_keys.remove(&id);
            self.merges.retain(|_, k| k != key);
        }
    }

    /// The next message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next thing the driver must do.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the transaction user.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Endpoint::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let c = self.clients.values().filter_map(|e| e.tx.poll_timeout());
        let s = self.servers.values().filter_map(|e| e.tx.poll_timeout());
        c.chain(s).min()
    }
}

/// The keys of the entries `pick` gives an id, in id (creation) order rather than the map's:
/// simultaneous timers then fire, and their messages leave, in the same order on every run,
/// so a seeded simulation replays exactly.
fn in_creation_order<E, I: Ord>(
    map: &HashMap<TransactionKey, E>,
    pick: impl Fn(&E) -> Option<I>,
) -> Vec<TransactionKey> {
    let mut keys: Vec<_> = map
        .iter()
        .filter_map(|(k, e)| pick(e).map(|id| (id, k)))
        .collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    keys.into_iter().map(|(_, k)| k.clone()).collect()
}
