//! The media thread: one async executor for every media socket and timer of an application.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use async_channel::{Receiver, Sender};
use sipsimple_proto::rand::Random;

use crate::OsRandom;

/// The media engine of an application: a thread running an async executor on which the
/// receive tasks of media sockets and the timers of media streams run, on real time (never
/// on a virtual runtime: audio is paced by real clocks).
///
/// The handle is cheap to clone and may be used from any thread. The thread stops when the
/// last handle is dropped or [`shutdown`](Self::shutdown) is called; the tasks still on it are
/// dropped then, which closes their sockets.
#[derive(Clone)]
pub struct MediaEngine {
    inner: Arc<Inner>,
}

struct Inner {
    executor: Arc<smol::Executor<'static>>,
    stop: Sender<()>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Where the next search for a free RTP port pair starts, so that streams created one
    /// after another do not all probe the same ports first.
    port_cursor: AtomicU32,
}

impl fmt::Debug for MediaEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaEngine")
            .field("running", &!self.inner.stop.is_closed())
            .finish_non_exhaustive()
    }
}

impl MediaEngine {
    /// Starts the media thread.
    ///
    /// # Errors
    /// The operating system refused to create the thread.
    pub fn new() -> io::Result<Self> {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped): (Sender<()>, Receiver<()>) = async_channel::bounded(1);
        let run = executor.clone();
        let thread = std::thread::Builder::new()
            .name("sipsimple-media".into())
            .spawn(move || {
                // The executor runs until the stop channel closes; `recv` then fails at once.
                smol::block_on(run.run(async move {
                    let _ = stopped.recv().await;
                }));
            })?;
        let seed = OsRandom.next_u64() as u32;
        Ok(Self {
            inner: Arc::new(Inner {
                executor,
                stop,
                thread: Mutex::new(Some(thread)),
                port_cursor: AtomicU32::new(seed),
            }),
        })
    }

    /// Runs `task` on the media thread; it is dropped unfinished if the engine stops first.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.inner.executor.spawn(task).detach();
    }

    /// Whether the media thread is running.
    pub fn is_running(&self) -> bool {
        !self.inner.stop.is_closed()
    }

    /// Stops the media thread and waits for it (unless called from it). Streams still open
    /// stop receiving; their sockets close.
    pub fn shutdown(&self) {
        self.inner.stop_thread();
    }

    /// A starting point for the search of a port pair, different on every call.
    pub(super) fn next_port_cursor(&self) -> u32 {
        self.inner.port_cursor.fetch_add(2, Ordering::Relaxed)
    }
}

impl Inner {
    fn stop_thread(&self) {
        self.stop.close();
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            // A task of the engine itself may drop the last handle: it cannot wait for the
            // thread it runs on, which ends on its own once the task returns.
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_tasks_and_stops_with_the_last_handle() {
        let engine = MediaEngine::new().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        engine.spawn(async move {
            tx.send(std::thread::current().name().map(str::to_owned))
                .unwrap();
        });
        let name = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        assert_eq!(name.as_deref(), Some("sipsimple-media"));
        let other = engine.clone();
        drop(engine);
        assert!(other.is_running());
        other.shutdown();
        assert!(!other.is_running());
    }
}
