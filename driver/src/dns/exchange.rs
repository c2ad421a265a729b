//! Runs one [`DnsLookup`] machine against real nameservers: UDP queries, the TCP retry of a
//! truncated answer, timers, and the notifications of its events.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::pin::Pin;
use std::time::Instant;

use async_io::{Async, Timer};
use futures_lite::{future, AsyncReadExt, AsyncWriteExt};
use serde_json::json;
use sipsimple_proto::dns::{DnsLookup, Event, LookupError, LookupResult, Transmit};
use sipsimple_proto::rand::Random;

use super::render;
use crate::notification::{NotificationCenter, SenderId};

/// The largest UDP payload; a datagram is read whole into a buffer of this size.
pub(super) const MAX_UDP: usize = 65_535;

/// Drives `machine` (with its command already given) until it ends, posting its events to
/// `center` on behalf of `sender`.
pub(super) async fn run<R: Random>(
    mut machine: DnsLookup<R>,
    center: NotificationCenter,
    sender: SenderId,
) -> Result<LookupResult, LookupError> {
    let mut exchange = Exchange::default();
    let mut buf = vec![0u8; MAX_UDP];
    loop {
        while let Some(t) = machine.poll_transmit() {
            exchange.send(t).await;
        }
        while let Some(event) = machine.poll_event() {
            match event {
                Event::Trace(trace) => {
                    center.post("DNSLookupTrace", sender.clone(), render::trace(&trace));
                }
                Event::DidSucceed(result) => {
                    let data = json!({ "result": render::result(&result) });
                    center.post("DNSLookupDidSucceed", sender.clone(), data);
                    return Ok(result);
                }
                Event::DidFail(error) => {
                    fail(&center, &sender, &error);
                    return Err(error);
                }
                _ => {}
            }
        }
        let Some(deadline) = machine.poll_timeout() else {
            // The machine always ends a lookup with an event; should it ever stop without one,
            // the caller still gets an answer.
            let error = LookupError::NotFound {
                what: "a result (the lookup stopped)".to_owned(),
            };
            fail(&center, &sender, &error);
            return Err(error);
        };
        let wake = exchange.wait(deadline, &mut buf).await;
        let now = Instant::now();
        match wake {
            Wake::Answer(bytes) => {
                // Malformed answers and answers to other queries are dropped by the machine.
                let _ = machine.handle_answer(now, &bytes);
            }
            Wake::Ignored => future::yield_now().await,
            Wake::Timer | Wake::Failed => {}
        }
        if now >= deadline {
            machine.handle_timeout(now);
        }
    }
}

fn fail(center: &NotificationCenter, sender: &SenderId, error: &LookupError) {
    let data = json!({ "error": error.to_string() });
    center.post("DNSLookupDidFail", sender.clone(), data);
}

/// What ended one wait.
enum Wake {
    /// A DNS message from the nameserver of the query in flight (over TCP: without its
    /// length prefix).
    Answer(Vec<u8>),
    /// A datagram from another address: dropped.
    Ignored,
    /// The socket or the TCP exchange failed; the machine's timer moves on.
    Failed,
    /// The deadline passed.
    Timer,
}

type TcpExchange = Pin<Box<dyn Future<Output = io::Result<Vec<u8>>> + Send>>;

/// The sockets of one lookup and the query in flight.
#[derive(Default)]
struct Exchange {
    udp4: Option<Async<UdpSocket>>,
    udp6: Option<Async<UdpSocket>>,
    /// The nameserver the query in flight went to; only its answers are read.
    server: Option<SocketAddr>,
    /// The UDP socket for `server` could not be bound or failed: wait for the timer instead.
    udp_failed: bool,
    /// The TCP exchange of a truncated answer's query.
    tcp: Option<TcpExchange>,
}

impl Exchange {
    /// Sends `t`, replacing the query in flight. A failure to send leaves the machine's timer
    /// to move on to the next nameserver.
    async fn send(&mut self, t: Transmit) {
        self.server = Some(t.nameserver);
        self.tcp = None;
        self.udp_failed = false;
        if t.retry_over_tcp {
            self.tcp = Some(Box::pin(tcp_exchange(t.nameserver, t.bytes)));
            return;
        }
        let sent = match self.socket(t.nameserver) {
            Some(socket) => socket.send_to(&t.bytes, t.nameserver).await.is_ok(),
            None => false,
        };
        self.udp_failed = !sent;
    }

    /// The UDP socket for the address family of `server`, bound on first use.
    fn socket(&mut self, server: SocketAddr) -> Option<&Async<UdpSocket>> {
        let (slot, local) = match server {
            SocketAddr::V4(_) => (&mut self.udp4, SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
            SocketAddr::V6(_) => (&mut self.udp6, SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))),
        };
        if slot.is_none() {
            *slot = Async::<UdpSocket>::bind(local).ok();
        }
        slot.as_ref()
    }

    /// Waits for an answer to the query in flight, a failure, or `deadline`.
    async fn wait(&mut self, deadline: Instant, buf: &mut [u8]) -> Wake {
        let server = self.server;
        let socket = match server {
            Some(SocketAddr::V4(_)) => self.udp4.as_ref(),
            Some(SocketAddr::V6(_)) => self.udp6.as_ref(),
            None => None,
        };
        let socket = socket.filter(|_| !self.udp_failed);
        let udp = async {
            let (Some(socket), Some(server)) = (socket, server) else {
                return future::pending().await;
            };
            match socket.recv_from(buf).await {
                Ok((n, from)) if same_endpoint(from, server) => {
                    Raw::Udp(Wake::Answer(buf[..n].to_vec()))
                }
                Ok(_) => Raw::Udp(Wake::Ignored),
                Err(_) => Raw::UdpFailed,
            }
        };
        let tcp_slot = &mut self.tcp;
        let tcp = async {
            let Some(exchange) = tcp_slot.as_mut() else {
                return future::pending().await;
            };
            Raw::Tcp(exchange.await.ok())
        };
        let timer = async {
            Timer::at(deadline).await;
            Raw::Udp(Wake::Timer)
        };
        match future::or(future::or(udp, tcp), timer).await {
            Raw::Udp(wake) => wake,
            Raw::UdpFailed => {
                // Not read again until the next query, so that a broken socket cannot spin.
                self.udp_failed = true;
                Wake::Failed
            }
            Raw::Tcp(answer) => {
                // The exchange has completed and must not be polled again.
                self.tcp = None;
                answer.map_or(Wake::Failed, Wake::Answer)
            }
        }
    }
}

/// What ended a wait, before the exchange's bookkeeping.
enum Raw {
    /// From the UDP socket or the timer.
    Udp(Wake),
    /// The UDP socket failed.
    UdpFailed,
    /// The TCP exchange completed, with its answer or without one.
    Tcp(Option<Vec<u8>>),
}

/// `true` when a datagram from `from` comes from `server` (the address and port; an IPv6
/// flow label or scope may differ).
pub(super) fn same_endpoint(from: SocketAddr, server: SocketAddr) -> bool {
    from.ip() == server.ip() && from.port() == server.port()
}

/// Sends `query` to `server` over TCP with its two-byte length prefix (RFC 1035 §4.2.2) and
/// reads one length-prefixed message back. The length prefix bounds the read to 65535 bytes.
async fn tcp_exchange(server: SocketAddr, query: Vec<u8>) -> io::Result<Vec<u8>> {
    let len = u16::try_from(query.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "query over 65535 bytes"))?;
    let mut stream = Async::<TcpStream>::connect(server).await?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(&query);
    stream.write_all(&framed).await?;
    stream.flush().await?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut answer).await?;
    Ok(answer)
}
