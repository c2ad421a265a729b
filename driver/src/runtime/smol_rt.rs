//! The real runtime: smol's executor on the calling thread, async-io's reactor and timers,
//! operating-system sockets.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::{Async, Timer};
use futures_lite::io::{AsyncRead, AsyncWrite};

use super::{BoxFuture, DatagramSocket, Runtime, Stream, StreamListener};

/// Real time and real sockets: one smol executor, run on the thread that calls
/// [`Runtime::run`].
#[derive(Debug, Clone, Default)]
pub struct SmolRuntime {
    executor: Arc<smol::Executor<'static>>,
}

impl SmolRuntime {
    /// A runtime with its own executor.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Runtime for SmolRuntime {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            Timer::at(deadline).await;
        })
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.executor.spawn(task).detach();
    }

    fn run(&self, main: BoxFuture<'static, ()>) {
        smol::block_on(self.executor.run(main));
    }

    fn bind_udp(&self, address: SocketAddr) -> io::Result<Box<dyn DatagramSocket>> {
        Ok(Box::new(Udp(Async::new(UdpSocket::bind(address)?)?)))
    }

    fn listen_tcp(&self, address: SocketAddr) -> io::Result<Box<dyn StreamListener>> {
        Ok(Box::new(Listener(Async::new(TcpListener::bind(address)?)?)))
    }

    fn connect_tcp(&self, address: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Stream>>> {
        Box::pin(async move {
            let stream = Async::<TcpStream>::connect(address).await?;
            Ok(Box::new(Tcp(stream)) as Box<dyn Stream>)
        })
    }
}

#[derive(Debug)]
struct Udp(Async<UdpSocket>);

impl DatagramSocket for Udp {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().local_addr()
    }

    fn send_to<'a>(&'a self, data: &'a [u8], to: SocketAddr) -> BoxFuture<'a, io::Result<usize>> {
        Box::pin(self.0.send_to(data, to))
    }

    fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> BoxFuture<'a, io::Result<(usize, SocketAddr)>> {
        Box::pin(self.0.recv_from(buf))
    }
}

#[derive(Debug)]
struct Listener(Async<TcpListener>);

impl StreamListener for Listener {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().local_addr()
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<(Box<dyn Stream>, SocketAddr)>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            Ok((Box::new(Tcp(stream)) as Box<dyn Stream>, peer))
        })
    }
}

/// A TCP connection whose close shuts its sending side down, so that the peer sees the end
/// (async-io's own close only flushes).
#[derive(Debug)]
struct Tcp(Async<TcpStream>);

impl AsyncRead for Tcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.get_ref().shutdown(std::net::Shutdown::Write))
    }
}
