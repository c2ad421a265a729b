//! The runtime the engine runs on: its clock, timers, tasks and sockets, behind a small
//! trait so that the same engine runs on the real world ([`SmolRuntime`]) or on virtual time
//! with an in-memory network ([`VirtualRuntime`]), where an hour of registration refreshes
//! takes milliseconds and every timeout is exact.

mod smol_rt;
mod virtual_rt;

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Instant;

use futures_lite::io::{AsyncRead, AsyncWrite};

pub use self::smol_rt::SmolRuntime;
pub use self::virtual_rt::VirtualRuntime;

/// A boxed future a runtime runs.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream a SIP connection runs on: TCP, TLS over TCP, or an in-memory pipe.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

impl Debug for dyn Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stream")
    }
}

/// A bound UDP socket.
pub trait DatagramSocket: Send + Sync + Debug {
    /// The address it is bound to.
    fn local_addr(&self) -> io::Result<SocketAddr>;
    /// Sends one datagram.
    fn send_to<'a>(&'a self, data: &'a [u8], to: SocketAddr) -> BoxFuture<'a, io::Result<usize>>;
    /// Receives one datagram into `buf`.
    fn recv_from<'a>(&'a self, buf: &'a mut [u8])
        -> BoxFuture<'a, io::Result<(usize, SocketAddr)>>;
}

/// A listening TCP socket.
pub trait StreamListener: Send + Sync + Debug {
    /// The address it listens on.
    fn local_addr(&self) -> io::Result<SocketAddr>;
    /// The next incoming connection and its peer.
    fn accept(&self) -> BoxFuture<'_, io::Result<(Box<dyn Stream>, SocketAddr)>>;
}

/// What the engine needs from the world: a clock, timers, tasks and sockets.
pub trait Runtime: Send + Sync + Debug + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Completes at `deadline`.
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()>;
    /// Runs `task` in the background.
    fn spawn(&self, task: BoxFuture<'static, ()>);
    /// Runs `main`, and the tasks spawned meanwhile, until `main` completes; blocks the
    /// calling thread.
    fn run(&self, main: BoxFuture<'static, ()>);
    /// Binds a UDP socket (port 0 picks one).
    fn bind_udp(&self, address: SocketAddr) -> io::Result<Box<dyn DatagramSocket>>;
    /// Listens for TCP connections (port 0 picks one).
    fn listen_tcp(&self, address: SocketAddr) -> io::Result<Box<dyn StreamListener>>;
    /// Opens a TCP connection.
    fn connect_tcp(&self, address: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Stream>>>;
}
