//! Notifications: how every part of the middleware reports to the application.
//!
//! A [`NotificationCenter`] carries [`Notification`]s — a name from the SIP SIMPLE client SDK
//! (`SIPApplicationDidStart`, `SIPAccountRegistrationDidSucceed`, …), the [`SenderId`] of the
//! object that posted it, its `timestamp` and its data fields under the names the SDK gives
//! them. Observers subscribe by name and/or sender and receive through a bounded queue, with
//! an async, a blocking and a non-blocking receive.
//!
//! Posting never blocks: an observer whose queue is full misses the notification, and its
//! [`Observer::missed`] count says how many it missed. An observer that is dropped stops
//! receiving.
//!
//! ```
//! use sipsimple::notification::{NotificationCenter, SenderId};
//! use serde_json::json;
//!
//! let center = NotificationCenter::new();
//! let observer = center.observe(Some("SIPApplicationDidStart"), None);
//! center.post("SIPApplicationDidStart", SenderId::new("SIPApplication"), json!({}));
//! let n = observer.try_recv().expect("posted");
//! assert_eq!(&*n.name, "SIPApplicationDidStart");
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

/// How many notifications an observer's queue holds before it starts missing them.
pub const DEFAULT_QUEUE: usize = 1024;

/// Who posted a notification: a stable name such as `SIPApplication`,
/// `Account:alice@example.com` or `Session:3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderId(Arc<str>);

impl SenderId {
    /// A sender named `name`.
    pub fn new(name: impl AsRef<str>) -> Self {
        Self(Arc::from(name.as_ref()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SenderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The name, as the SIP SIMPLE client SDK gives it.
    pub name: Arc<str>,
    /// Who posted it.
    pub sender: SenderId,
    /// When it was posted (the SDK's `timestamp` data field).
    pub timestamp: SystemTime,
    /// The other data fields, by their SDK names.
    pub data: Map<String, Value>,
}

impl Notification {
    /// The data field `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.data.get(key)
    }

    /// The data field `key` as text, if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }

    /// The data field `key` as an unsigned number, if it is one.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.data.get(key).and_then(Value::as_u64)
    }
}

impl std::fmt::Display for Notification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} from {}", self.name, self.sender)?;
        if !self.data.is_empty() {
            write!(f, " {}", Value::Object(self.data.clone()))?;
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Subscription {
    id: u64,
    name: Option<Arc<str>>,
    sender: Option<SenderId>,
    queue: async_channel::Sender<Notification>,
    missed: Arc<AtomicU64>,
}

impl Subscription {
    fn wants(&self, name: &str, sender: &SenderId) -> bool {
        self.name.as_deref().is_none_or(|n| n == name)
            && self.sender.as_ref().is_none_or(|s| s == sender)
    }
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    subscriptions: Vec<Subscription>,
}

/// Where notifications are posted and observed. Cloning gives another handle to the same
/// center; each [`SipApplication`](crate::SipApplication) has its own.
#[derive(Debug, Clone, Default)]
pub struct NotificationCenter {
    registry: Arc<Mutex<Registry>>,
}

impl NotificationCenter {
    /// A center without observers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Observes notifications named `name` (any name when `None`) from `sender` (any sender
    /// when `None`), with a queue of [`DEFAULT_QUEUE`].
    pub fn observe(&self, name: Option<&str>, sender: Option<SenderId>) -> Observer {
        self.observe_with_capacity(name, sender, DEFAULT_QUEUE)
    }

    /// [`observe`](Self::observe) with a queue of `capacity` notifications (at least 1).
    pub fn observe_with_capacity(
        &self,
        name: Option<&str>,
        sender: Option<SenderId>,
        capacity: usize,
    ) -> Observer {
        let (tx, rx) = async_channel::bounded(capacity.max(1));
        let missed = Arc::new(AtomicU64::new(0));
        let mut registry = self.lock();
        registry.next_id += 1;
        let id = registry.next_id;
        registry.subscriptions.push(Subscription {
            id,
            name: name.map(Arc::from),
            sender,
            queue: tx,
            missed: Arc::clone(&missed),
        });
        Observer {
            id,
            queue: rx,
            missed,
            registry: Arc::downgrade(&self.registry),
        }
    }

    /// Posts a notification now. `data` is a JSON object of the data fields (anything else
    /// counts as no data).
    pub fn post(&self, name: &str, sender: SenderId, data: Value) {
        let data = match data {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let notification = Notification {
            name: Arc::from(name),
            sender,
            timestamp: SystemTime::now(),
            data,
        };
        let mut registry = self.lock();
        registry.subscriptions.retain(|s| !s.queue.is_closed());
        for s in &registry.subscriptions {
            if s.wants(name, &notification.sender)
                && s.queue.try_send(notification.clone()).is_err()
            {
                s.missed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// How many observers are subscribed.
    pub fn observer_count(&self) -> usize {
        let mut registry = self.lock();
        registry.subscriptions.retain(|s| !s.queue.is_closed());
        registry.subscriptions.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // Posting never panics while holding the lock, so a poisoned lock still holds a
        // consistent registry.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`Observer::recv_timeout`] and [`Observer::try_recv`] give when nothing is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// Nothing arrived in time.
    #[error("no notification in time")]
    Timeout,
    /// Nothing is queued now.
    #[error("no notification queued")]
    Empty,
}

/// A subscription: receives the notifications it asked for until it is dropped.
#[derive(Debug)]
pub struct Observer {
    id: u64,
    queue: async_channel::Receiver<Notification>,
    missed: Arc<AtomicU64>,
    registry: Weak<Mutex<Registry>>,
}

impl Observer {
    /// The next notification; waits without blocking the thread.
    pub async fn recv(&self) -> Notification {
        // The center holds the sending side until this observer is dropped.
        self.queue
            .recv()
            .await
            .expect("the subscription lives as long as the observer")
    }

    /// The next notification; blocks the calling thread.
    pub fn recv_blocking(&self) -> Notification {
        self.queue
            .recv_blocking()
            .expect("the subscription lives as long as the observer")
    }

    /// The next notification, waiting at most `timeout` (blocking the calling thread).
    ///
    /// # Errors
    ///
    /// [`RecvError::Timeout`] when none arrived in time.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Notification, RecvError> {
        let deadline = async_io::Timer::after(timeout);
        async_io::block_on(futures_lite::future::or(
            async { Ok(self.recv().await) },
            async {
                deadline.await;
                Err(RecvError::Timeout)
            },
        ))
    }

    /// The next notification if one is queued.
    ///
    /// # Errors
    ///
    /// [`RecvError::Empty`] when none is queued.
    pub fn try_recv(&self) -> Result<Notification, RecvError> {
        self.queue.try_recv().map_err(|_| RecvError::Empty)
    }

    /// Waits (blocking) for the first notification named `name`, skipping others, for at
    /// most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvError::Timeout`] when none arrived in time.
    pub fn wait_for(&self, name: &str, timeout: Duration) -> Result<Notification, RecvError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let n = self.recv_timeout(left)?;
            if &*n.name == name {
                return Ok(n);
            }
        }
    }

    /// How many notifications this observer missed because its queue was full.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            let mut registry = registry.lock().unwrap_or_else(PoisonError::into_inner);
            registry.subscriptions.retain(|s| s.id != self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_by_name_and_sender() {
        let center = NotificationCenter::new();
        let app = SenderId::new("SIPApplication");
        let account = SenderId::new("Account:alice@example.com");
        let by_name = center.observe(Some("A"), None);
        let by_sender = center.observe(None, Some(account.clone()));
        let both = center.observe(Some("A"), Some(app.clone()));
        let all = center.observe(None, None);
        center.post("A", app.clone(), json!({"x": 1}));
        center.post("B", account.clone(), json!({}));
        center.post("A", account, Value::Null);
        let names = |o: &Observer| {
            std::iter::from_fn(|| o.try_recv().ok())
                .map(|n| format!("{}/{}", n.name, n.sender))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&by_name),
            ["A/SIPApplication", "A/Account:alice@example.com"]
        );
        assert_eq!(
            names(&by_sender),
            ["B/Account:alice@example.com", "A/Account:alice@example.com"]
        );
        assert_eq!(names(&both), ["A/SIPApplication"]);
        assert_eq!(names(&all).len(), 3);
    }

    #[test]
    fn data_and_timestamp() {
        let center = NotificationCenter::new();
        let o = center.observe(None, None);
        let before = SystemTime::now();
        center.post(
            "SIPAccountRegistrationDidFail",
            SenderId::new("a"),
            json!({"error": "408 Request Timeout", "retry_after": 60}),
        );
        let n = o.try_recv().unwrap();
        assert!(n.timestamp >= before);
        assert_eq!(n.get_str("error"), Some("408 Request Timeout"));
        assert_eq!(n.get_u64("retry_after"), Some(60));
        assert!(n.to_string().contains("retry_after"));
    }

    #[test]
    fn a_full_queue_misses_instead_of_blocking() {
        let center = NotificationCenter::new();
        let o = center.observe_with_capacity(None, None, 2);
        for _ in 0..5 {
            center.post("N", SenderId::new("s"), Value::Null);
        }
        assert_eq!(o.missed(), 3);
        assert!(o.try_recv().is_ok() && o.try_recv().is_ok());
        assert_eq!(o.try_recv(), Err(RecvError::Empty));
    }

    #[test]
    fn dropped_observers_unsubscribe() {
        let center = NotificationCenter::new();
        let o = center.observe(None, None);
        assert_eq!(center.observer_count(), 1);
        drop(o);
        assert_eq!(center.observer_count(), 0);
    }

    #[test]
    fn blocking_and_timed_receive_across_threads() {
        let center = NotificationCenter::new();
        let o = center.observe(Some("Later"), None);
        assert_eq!(
            o.recv_timeout(Duration::from_millis(10)),
            Err(RecvError::Timeout)
        );
        let c = center.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            c.post("Other", SenderId::new("s"), Value::Null);
            c.post("Later", SenderId::new("s"), Value::Null);
        });
        assert_eq!(&*o.recv_blocking().name, "Later");
        t.join().unwrap();
    }
}
