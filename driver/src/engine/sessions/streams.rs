//! A session's streams through their life (the seed's `IMediaStream` calls), with the
//! `MediaStream*` notifications the session posts for each.

use std::sync::Arc;

use serde_json::{json, Value};
use sipsimple_proto::sdp::negotiation::AcceptedStream;

use crate::engine::Engine;
use crate::session::{stream_sender, Direction, MediaStream};

/// The data of a stream's notifications: its session, its m-line (`null` before it has one)
/// and its type.
fn data(id: u64, index: Option<usize>, stream: &Arc<dyn MediaStream>) -> Value {
    json!({"session": id, "index": index, "type": stream.stream_type()})
}

impl Engine {
    /// `initialize` for each of `streams`: `MediaStreamDidInitialize`, or
    /// `MediaStreamDidFail` and the stream left out. Returns the ones that initialized.
    pub(super) fn initialize_streams(
        &self,
        id: u64,
        streams: Vec<Arc<dyn MediaStream>>,
        direction: Direction,
    ) -> Vec<Arc<dyn MediaStream>> {
        streams
            .into_iter()
            .filter(|stream| {
                let sender = stream_sender(stream);
                match stream.initialize(direction) {
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
            })
            .collect()
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
