//! A session's streams through their life (the seed's `IMediaStream` calls), with the
//! `MediaStream*` notifications the session posts for each.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::sdp::negotiation::AcceptedStream;

use crate::engine::Engine;
use crate::session::{
    stream_key, stream_sender, Direction, Initialization, InitializeDone, MediaStream,
    StreamContext, INITIALIZE_TIMEOUT,
};

/// The data of a stream's notifications: its session, its m-line (`null` before it has one)
/// and its type.
fn data(id: u64, index: Option<usize>, stream: &Arc<dyn MediaStream>) -> Value {
    json!({"session": id, "index": index, "type": stream.stream_type()})
}

/// What a session does once its streams are initialized.
pub(in crate::engine) enum Then {
    /// Send the INVITE (`Session::connect`).
    Connect(Box<super::Connect>),
    /// Answer the incoming INVITE (`Session::accept`).
    Accept,
    /// Send the re-INVITE adding the stream (`Session::add_stream`).
    AddStream(&'static str),
    /// Answer the peer's proposal (`Session::accept_proposal`).
    AcceptProposal,
}

/// A session waiting for streams that answered [`Initialization::Pending`].
pub(in crate::engine) struct Initializing {
    /// Each stream with its outcome: `None` while it has not reported.
    streams: Vec<(Arc<dyn MediaStream>, Option<bool>)>,
    then: Then,
    deadline: Instant,
}

impl Engine {
    /// `initialize` for each of `streams` (`MediaStreamDidInitialize`, or `MediaStreamDidFail`
    /// and the stream left out); once every stream has answered, or reported when it answered
    /// pending, `then` goes on with the ones that initialized.
    pub(super) fn initialize_then(
        &mut self,
        now: Instant,
        id: u64,
        streams: Vec<Arc<dyn MediaStream>>,
        direction: Direction,
        then: Then,
    ) {
        // A new operation supersedes one still waiting (the session's states allow only one).
        self.abandon_initializing(id);
        let Some(context) = self.stream_context(id, direction, &then) else {
            // Only a call being placed can lack an address (no transport runs); the other
            // operations come from calls that have one, or that are gone.
            if matches!(then, Then::Connect(_)) {
                self.fail_early(id, 503, "Service Unavailable", "no local transport");
            }
            return;
        };
        let mut entries = Vec::with_capacity(streams.len());
        for stream in streams {
            let done = InitializeDone::new(Arc::clone(&self.init_reports), id, stream_key(&stream));
            let outcome = match stream.initialize(&context, done) {
                Initialization::Ready => Some(Ok(())),
                Initialization::Failed(reason) => Some(Err(reason)),
                Initialization::Pending => None,
            };
            let state = outcome.map(|o| self.initialized(id, &stream, o));
            entries.push((stream, state));
        }
        self.initializing.insert(
            id,
            Initializing {
                streams: entries,
                then,
                deadline: now + INITIALIZE_TIMEOUT,
            },
        );
        self.go_on_if_initialized(now, id);
    }

    /// What the streams of session `id` are told when initialized: its account, and the
    /// address it signals from (for a call not yet sent, that of the first running
    /// transport, the one the INVITE will most likely leave from).
    fn stream_context(&self, id: u64, direction: Direction, then: &Then) -> Option<StreamContext> {
        let remote = self
            .shared
            .sessions()
            .get(&id)
            .and_then(|s| s.remote_identity.clone());
        let (account, local_ip, transport) = match (then, self.calls.get(&id)) {
            (Then::Connect(connect), _) => {
                let local = [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
                    .into_iter()
                    .find_map(|kind| self.local_address(kind))?;
                // A sips: callee or a TLS next hop means the INVITE goes over TLS.
                let tls = connect.target.scheme_str().eq_ignore_ascii_case("sips")
                    || connect
                        .target
                        .param("transport")
                        .flatten()
                        .is_some_and(|t| t.eq_ignore_ascii_case("tls"));
                (
                    connect.settings.clone(),
                    local.ip(),
                    tls.then_some(TransportKind::Tls),
                )
            }
            (_, Some(call)) => (
                call.account.clone(),
                call.local_ip?,
                call.signalling.as_ref().map(|(_, route)| route.transport),
            ),
            (_, None) => return None,
        };
        let mut context = StreamContext::new(id, direction, account, local_ip);
        context.remote_identity = remote;
        context.transport = transport;
        Some(context)
    }

    /// Takes the reports of streams that answered pending.
    pub(in crate::engine) fn streams_reported(&mut self, now: Instant) {
        for (id, key, outcome) in self.init_reports.take() {
            let Some(waiting) = self.initializing.get_mut(&id) else {
                continue;
            };
            let Some(i) = waiting
                .streams
                .iter()
                .position(|(s, state)| state.is_none() && stream_key(s) == key)
            else {
                continue;
            };
            let stream = Arc::clone(&waiting.streams[i].0);
            let state = self.initialized(id, &stream, outcome);
            if let Some(waiting) = self.initializing.get_mut(&id) {
                waiting.streams[i].1 = Some(state);
            }
            self.go_on_if_initialized(now, id);
        }
    }

    /// When the first session waiting for its streams gives up on them.
    pub(super) fn initializing_timeout(&self) -> Option<Instant> {
        self.initializing.values().map(|w| w.deadline).min()
    }

    /// Streams that have not reported by the deadline fail.
    pub(super) fn initializing_handle_timeout(&mut self, now: Instant) {
        let late: Vec<u64> = self
            .initializing
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            let Some(waiting) = self.initializing.get(&id) else {
                continue;
            };
            let silent: Vec<(usize, Arc<dyn MediaStream>)> = waiting
                .streams
                .iter()
                .enumerate()
                .filter(|(_, (_, state))| state.is_none())
                .map(|(i, (s, _))| (i, Arc::clone(s)))
                .collect();
            for (i, stream) in silent {
                let state =
                    self.initialized(id, &stream, Err("initialization timed out".to_owned()));
                if let Some(waiting) = self.initializing.get_mut(&id) {
                    waiting.streams[i].1 = Some(state);
                }
            }
            self.go_on_if_initialized(now, id);
        }
    }

    /// The session no longer waits for its streams (it ended, or a new operation came):
    /// those that initialized or may still do so are ended.
    pub(super) fn abandon_initializing(&mut self, id: u64) -> Option<Then> {
        let waiting = self.initializing.remove(&id)?;
        for (stream, state) in &waiting.streams {
            if *state != Some(false) {
                self.end_unplaced_stream(id, stream);
            }
        }
        Some(waiting.then)
    }

    /// Posts the outcome of one stream's initialization; `true` when it initialized.
    fn initialized(
        &self,
        id: u64,
        stream: &Arc<dyn MediaStream>,
        outcome: Result<(), String>,
    ) -> bool {
        let sender = stream_sender(stream);
        match outcome {
            Ok(()) => {
                self.post("MediaStreamDidInitialize", &sender, data(id, None, stream));
                true
            }
            Err(reason) => {
                let mut d = data(id, None, stream);
                d["reason"] = json!(reason);
                self.post("MediaStreamDidFail", &sender, d);
                false
            }
        }
    }

    /// Once every stream of the session has an outcome, goes on with the ones that
    /// initialized.
    fn go_on_if_initialized(&mut self, now: Instant, id: u64) {
        let done = self
            .initializing
            .get(&id)
            .is_some_and(|w| w.streams.iter().all(|(_, state)| state.is_some()));
        if !done {
            return;
        }
        let Some(waiting) = self.initializing.remove(&id) else {
            return;
        };
        let ready: Vec<Arc<dyn MediaStream>> = waiting
            .streams
            .into_iter()
            .filter(|(_, state)| *state == Some(true))
            .map(|(s, _)| s)
            .collect();
        match waiting.then {
            Then::Connect(connect) => self.session_connect_initialized(now, id, *connect, ready),
            Then::Accept => self.session_accept_initialized(now, id, ready),
            Then::AddStream(kind) => self.session_add_stream_initialized(now, id, kind, ready),
            Then::AcceptProposal => self.session_accept_proposal_initialized(now, id, ready),
        }
    }

    /// Ends a stream that never got an m-line (`index` is `null` in its notifications).
    pub(super) fn end_unplaced_stream(&self, id: u64, stream: &Arc<dyn MediaStream>) {
        let sender = stream_sender(stream);
        stream.deactivate();
        self.post("MediaStreamWillEnd", &sender, data(id, None, stream));
        stream.end();
        self.post("MediaStreamDidEnd", &sender, data(id, None, stream));
    }

    /// `start`, then `MediaStreamDidStart`.
    pub(super) fn start_stream(
        &self,
        id: u64,
        index: usize,
        stream: &Arc<dyn MediaStream>,
        accepted: &AcceptedStream,
    ) {
        stream.start(accepted);
        self.post(
            "MediaStreamDidStart",
            &stream_sender(stream),
            data(id, Some(index), stream),
        );
    }

    /// `deactivate`, `MediaStreamWillEnd`, `end`, `MediaStreamDidEnd`.
    pub(super) fn end_stream(&self, id: u64, index: usize, stream: &Arc<dyn MediaStream>) {
        let sender = stream_sender(stream);
        stream.deactivate();
        self.post("MediaStreamWillEnd", &sender, data(id, Some(index), stream));
        stream.end();
        self.post("MediaStreamDidEnd", &sender, data(id, Some(index), stream));
    }
}
