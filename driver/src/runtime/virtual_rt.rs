//! Virtual time and an in-memory network, for tests and simulations of whole applications.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_lite::{future, StreamExt};

use super::{BoxFuture, DatagramSocket, Runtime, Stream, StreamListener};

/// The first port handed out for port 0.
const FIRST_PORT: u16 = 20_000;
/// How many datagrams wait at a socket before more are dropped, as a full socket buffer does.
const DATAGRAM_QUEUE: usize = 1024;

/// Virtual time and an in-memory network: several applications started on one
/// `VirtualRuntime` talk through sockets that exist only here, and their clock jumps to the
/// next timer whenever nothing is runnable, so an hour of refreshes or a 32-second timeout
/// passes in milliseconds, exactly on time.
///
/// One background thread drives every task. Time also moves on while a test thread prepares
/// its next command, so tests wait for notifications rather than for durations. Datagrams
/// arrive after the configured latency; stream connections deliver at once. Only what goes
/// through the [`Runtime`] trait is virtual: DNS lookups on real nameservers are not.
#[derive(Clone)]
pub struct VirtualRuntime {
    inner: Arc<Inner>,
}

impl fmt::Debug for VirtualRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualRuntime")
            .field("now", &self.inner.clock().now)
            .finish_non_exhaustive()
    }
}

struct Inner {
    executor: smol::Executor<'static>,
    clock: Mutex<Clock>,
    net: Mutex<Net>,
    latency: Duration,
    stopped: AtomicBool,
    /// While set, the clock stands still: tasks run, timers wait.
    paused: AtomicBool,
}

struct Clock {
    now: Instant,
    timers: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
}

/// An accepted connection: our end and the peer's address.
type Incoming = (Box<dyn Stream>, SocketAddr);

#[derive(Default)]
struct Net {
    udp: HashMap<SocketAddr, Sender<(SocketAddr, Vec<u8>)>>,
    listeners: HashMap<SocketAddr, Sender<Incoming>>,
    next_port: u16,
}

impl Net {
    fn port(&mut self, address: SocketAddr) -> SocketAddr {
        if address.port() != 0 {
            return address;
        }
        loop {
            self.next_port = if self.next_port < FIRST_PORT || self.next_port == u16::MAX {
                FIRST_PORT
            } else {
                self.next_port + 1
            };
            let candidate = SocketAddr::new(address.ip(), self.next_port);
            if !self.udp.contains_key(&candidate) && !self.listeners.contains_key(&candidate) {
                return candidate;
            }
        }
    }
}

impl Inner {
    fn clock(&self) -> MutexGuard<'_, Clock> {
        self.clock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn net(&self) -> MutexGuard<'_, Net> {
        self.net.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl VirtualRuntime {
    /// A runtime whose clock starts at `start` and whose datagrams take `latency`.
    pub fn new(start: Instant, latency: Duration) -> Self {
        let inner = Arc::new(Inner {
            executor: smol::Executor::new(),
            clock: Mutex::new(Clock {
                now: start,
                timers: BTreeMap::new(),
                next_id: 0,
            }),
            net: Mutex::new(Net::default()),
            latency,
            stopped: AtomicBool::new(false),
            paused: AtomicBool::new(false),
        });
        let driver = Arc::clone(&inner);
        std::thread::Builder::new()
            .name("sipsimple-virtual-time".to_owned())
            .spawn(move || drive(&driver))
            .expect("a thread for the virtual runtime");
        Self { inner }
    }

    /// How much virtual time has passed since `start`.
    pub fn elapsed_since(&self, start: Instant) -> Duration {
        self.inner.clock().now.saturating_duration_since(start)
    }

    /// Holds the clock (`true`) or lets it run again (`false`). While it is held, tasks run
    /// but no timer fires, so a test can act between two instants; with zero latency,
    /// requests and their answers still flow.
    pub fn set_paused(&self, paused: bool) {
        self.inner.paused.store(paused, Ordering::SeqCst);
        // Wake the driver so that it looks at the clock again.
        self.inner.executor.spawn(async {}).detach();
    }

    /// Stops the driving thread; tasks still pending never run again.
    pub fn shutdown(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        // Wake the driver if it waits for work.
        self.inner.executor.spawn(async {}).detach();
    }
}

/// Runs runnable tasks; when none is left, moves the clock to the next timer; when there is
/// none either, waits for a task to be woken from outside.
fn drive(inner: &Inner) {
    while !inner.stopped.load(Ordering::SeqCst) {
        while inner.executor.try_tick() {}
        let due: Vec<Waker> = {
            let mut clock = inner.clock();
            let next = if inner.paused.load(Ordering::SeqCst) {
                // Only timers already due may fire.
                clock
                    .timers
                    .keys()
                    .next()
                    .copied()
                    .filter(|(at, _)| *at <= clock.now)
            } else {
                clock.timers.keys().next().copied()
            };
            match next {
                Some((at, _)) => {
                    clock.now = clock.now.max(at);
                    let now = clock.now;
                    let later = clock.timers.split_off(&(now, u64::MAX));
                    std::mem::replace(&mut clock.timers, later)
                        .into_values()
                        .collect()
                }
                None => Vec::new(),
            }
        };
        if due.is_empty() {
            future::block_on(inner.executor.tick());
        } else {
            for waker in due {
                waker.wake();
            }
        }
    }
}

/// Completes once the virtual clock reaches its deadline.
struct Sleep {
    inner: Arc<Inner>,
    deadline: Instant,
    key: Option<(Instant, u64)>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = Arc::clone(&self.inner);
        let mut clock = inner.clock();
        if clock.now >= self.deadline {
            if let Some(key) = self.key.take() {
                clock.timers.remove(&key);
            }
            return Poll::Ready(());
        }
        let key = match self.key {
            Some(key) => key,
            None => {
                clock.next_id += 1;
                let key = (self.deadline, clock.next_id);
                self.key = Some(key);
                key
            }
        };
        clock.timers.insert(key, cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.inner.clock().timers.remove(&key);
        }
    }
}

impl Runtime for VirtualRuntime {
    fn now(&self) -> Instant {
        self.inner.clock().now
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(Sleep {
            inner: Arc::clone(&self.inner),
            deadline,
            key: None,
        })
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.inner.executor.spawn(task).detach();
    }

    fn run(&self, main: BoxFuture<'static, ()>) {
        let (done, finished) = std::sync::mpsc::channel();
        self.spawn(Box::pin(async move {
            main.await;
            let _ = done.send(());
        }));
        // The driver thread runs it; this thread only waits (an error means the runtime
        // was shut down first).
        let _ = finished.recv();
    }

    fn bind_udp(&self, address: SocketAddr) -> io::Result<Box<dyn DatagramSocket>> {
        let mut net = self.inner.net();
        let address = net.port(address);
        if net.udp.contains_key(&address) {
            return Err(io::ErrorKind::AddrInUse.into());
        }
        let (tx, rx) = async_channel::bounded(DATAGRAM_QUEUE);
        net.udp.insert(address, tx);
        Ok(Box::new(VirtualUdp {
            address,
            queue: rx,
            runtime: self.clone(),
        }))
    }

    fn listen_tcp(&self, address: SocketAddr) -> io::Result<Box<dyn StreamListener>> {
        let mut net = self.inner.net();
        let address = net.port(address);
        if net.listeners.contains_key(&address) {
            return Err(io::ErrorKind::AddrInUse.into());
        }
        let (tx, rx) = async_channel::unbounded();
        net.listeners.insert(address, tx);
        Ok(Box::new(VirtualListener {
            address,
            queue: rx,
            runtime: self.clone(),
        }))
    }

    fn connect_tcp(&self, address: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Stream>>> {
        let result = (|| {
            let mut net = self.inner.net();
            let listener = net
                .listeners
                .get(&address)
                .cloned()
                .ok_or(io::ErrorKind::ConnectionRefused)?;
            let local = net.port(SocketAddr::new(address.ip(), 0));
            let (ours, theirs) = pipe();
            listener
                .try_send((Box::new(theirs), local))
                .map_err(|_| io::ErrorKind::ConnectionRefused)?;
            Ok(Box::new(ours) as Box<dyn Stream>)
        })();
        Box::pin(async move { result.map_err(|kind: io::ErrorKind| io::Error::from(kind)) })
    }
}

struct VirtualUdp {
    address: SocketAddr,
    queue: Receiver<(SocketAddr, Vec<u8>)>,
    runtime: VirtualRuntime,
}

impl fmt::Debug for VirtualUdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtualUdp({})", self.address)
    }
}

impl Drop for VirtualUdp {
    fn drop(&mut self) {
        self.runtime.inner.net().udp.remove(&self.address);
    }
}

impl DatagramSocket for VirtualUdp {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.address)
    }

    fn send_to<'a>(&'a self, data: &'a [u8], to: SocketAddr) -> BoxFuture<'a, io::Result<usize>> {
        let datagram = (self.address, data.to_vec());
        let runtime = self.runtime.clone();
        let arrival = runtime.now() + runtime.inner.latency;
        // Like UDP: a datagram to nowhere, or to a full socket, is lost without a word.
        runtime.spawn(Box::pin({
            let runtime = runtime.clone();
            async move {
                runtime.sleep_until(arrival).await;
                let target = runtime.inner.net().udp.get(&to).cloned();
                if let Some(target) = target {
                    let _ = target.try_send(datagram);
                }
            }
        }));
        Box::pin(future::ready(Ok(data.len())))
    }

    fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> BoxFuture<'a, io::Result<(usize, SocketAddr)>> {
        Box::pin(async move {
            let (from, data) = self
                .queue
                .recv()
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::NotConnected))?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            Ok((n, from))
        })
    }
}

struct VirtualListener {
    address: SocketAddr,
    queue: Receiver<Incoming>,
    runtime: VirtualRuntime,
}

impl fmt::Debug for VirtualListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtualListener({})", self.address)
    }
}

impl Drop for VirtualListener {
    fn drop(&mut self) {
        self.runtime.inner.net().listeners.remove(&self.address);
    }
}

impl StreamListener for VirtualListener {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.address)
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<(Box<dyn Stream>, SocketAddr)>> {
        Box::pin(async move {
            self.queue
                .recv()
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::NotConnected))
        })
    }
}

/// Two ends of an in-memory byte stream.
fn pipe() -> (Pipe, Pipe) {
    let (a_tx, a_rx) = async_channel::unbounded();
    let (b_tx, b_rx) = async_channel::unbounded();
    (
        Pipe {
            incoming: Box::pin(b_rx),
            outgoing: a_tx,
            pending: Vec::new(),
            read: 0,
        },
        Pipe {
            incoming: Box::pin(a_rx),
            outgoing: b_tx,
            pending: Vec::new(),
            read: 0,
        },
    )
}

/// One end of an in-memory byte stream: what one end writes, the other reads; closing or
/// dropping one end is the other's end of stream.
struct Pipe {
    // Pinned: the receiver's wait list is address-sensitive.
    incoming: Pin<Box<Receiver<Vec<u8>>>>,
    outgoing: Sender<Vec<u8>>,
    pending: Vec<u8>,
    read: usize,
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        while self.read == self.pending.len() {
            match self.incoming.as_mut().poll_next(cx) {
                Poll::Ready(Some(chunk)) => {
                    self.pending = chunk;
                    self.read = 0;
                }
                Poll::Ready(None) => return Poll::Ready(Ok(0)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = buf.len().min(self.pending.len() - self.read);
        let start = self.read;
        buf[..n].copy_from_slice(&self.pending[start..start + n]);
        self.read += n;
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.outgoing.try_send(buf.to_vec()) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.outgoing.close();
        Poll::Ready(Ok(()))
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.outgoing.close();
        self.incoming.close();
    }
}
