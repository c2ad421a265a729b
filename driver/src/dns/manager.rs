//! [`DnsManager`]: which nameservers the lookups ask.

use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use async_io::{Async, Timer};
use futures_lite::future;
use serde_json::json;
use sipsimple_proto::dns::{
    encode_query, parse_resolv_conf, Answer, RecordType, ResponseCode, DEFAULT_TIMEOUT, DNS_PORT,
};
use sipsimple_proto::rand::Random;

use super::exchange::{same_endpoint, MAX_UDP};
use super::render;
use crate::engine::OsRandom;
use crate::notification::{NotificationCenter, SenderId};

/// The seed's fallback nameservers: Google's public ones, 8.8.8.8 and 8.8.4.4.
pub const DEFAULT_FALLBACK_NAMESERVERS: [SocketAddr; 2] = [
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)), DNS_PORT),
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(8, 8, 4, 4)), DNS_PORT),
];

/// At most this much of resolv.conf is read.
const MAX_RESOLV_CONF: u64 = 64 * 1024;

/// The settings of a [`DnsManager`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsManagerConfig {
    /// Where the system nameservers are listed: `/etc/resolv.conf`.
    pub resolv_conf: PathBuf,
    /// The port of the nameservers listed there: 53. resolv.conf has no syntax for a port;
    /// another value serves a local resolver on another port, or tests.
    pub nameserver_port: u16,
    /// The nameservers to use when none of the system ones answers the probe:
    /// [`DEFAULT_FALLBACK_NAMESERVERS`].
    pub fallback: Vec<SocketAddr>,
    /// The name the probe asks for: `"."`, the root zone.
    pub probe_name: String,
    /// The type the probe asks for: NS.
    pub probe_type: RecordType,
    /// How long to wait for each nameserver's answer to the probe: 3 s.
    pub probe_timeout: Duration,
}

impl Default for DnsManagerConfig {
    fn default() -> Self {
        Self {
            resolv_conf: PathBuf::from("/etc/resolv.conf"),
            nameserver_port: DNS_PORT,
            fallback: DEFAULT_FALLBACK_NAMESERVERS.to_vec(),
            probe_name: ".".to_owned(),
            probe_type: RecordType::Ns,
            probe_timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The seed's `DNSManager`: chooses the nameservers [`DnsLookup`](super::DnsLookup)s ask.
///
/// A probe reads the system nameservers from resolv.conf and sends each of them, at once, a
/// query for [`DnsManagerConfig::probe_name`]. Those that answer it (NOERROR or NXDOMAIN) within
/// [`DnsManagerConfig::probe_timeout`] become the nameservers, in the order resolv.conf gives
/// them; when none answers, the fallback list does (local nameservers are always preferred).
/// The first choice posts `DNSResolverDidInitialize`, a later different one (another set or
/// order) `DNSNameserversDidChange`, both with `nameservers` and on behalf of
/// `DNSManager`.
///
/// Nothing runs on its own: the application calls [`DnsManager::start`] and then
/// [`DnsManager::probe`] when it likes (after a network change, say), or spawns
/// [`DnsManager::run`] to probe periodically until [`DnsManager::stop`]. Cloning gives another
/// handle to the same manager.
#[derive(Debug, Clone)]
pub struct DnsManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: DnsManagerConfig,
    center: NotificationCenter,
    sender: SenderId,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The chosen nameservers; `None` until the first probe.
    nameservers: Option<Vec<SocketAddr>>,
    /// Closed by [`DnsManager::stop`] to end the [`DnsManager::run`] loops.
    stop: (Sender<()>, Receiver<()>),
}

impl DnsManager {
    /// A manager with the default settings: `/etc/resolv.conf`, Google's nameservers as the
    /// fallback, a root NS probe.
    pub fn new(center: NotificationCenter) -> Self {
        Self::with_config(center, DnsManagerConfig::default())
    }

    /// A manager with `config`.
    pub fn with_config(center: NotificationCenter, config: DnsManagerConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                center,
                sender: SenderId::new("DNSManager"),
                state: Mutex::new(State {
                    nameservers: None,
                    stop: async_channel::bounded(1),
                }),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &DnsManagerConfig {
        &self.inner.config
    }

    /// The sender of the manager's notifications: `DNSManager`.
    pub fn sender(&self) -> &SenderId {
        &self.inner.sender
    }

    /// The nameservers lookups should ask: the last probe's choice; before the first probe the
    /// system nameservers, or the fallback list when resolv.conf names none.
    pub fn nameservers(&self) -> Vec<SocketAddr> {
        if let Some(chosen) = &self.lock().nameservers {
            return chosen.clone();
        }
        let system = self.system_nameservers();
        if system.is_empty() {
            self.inner.config.fallback.clone()
        } else {
            system
        }
    }

    /// The nameservers resolv.conf lists now, on [`DnsManagerConfig::nameserver_port`]; empty
    /// when the file is missing or unreadable. Reads the file (a small, blocking read).
    pub fn system_nameservers(&self) -> Vec<SocketAddr> {
        let config = &self.inner.config;
        read_resolv_conf(&config.resolv_conf)
            .into_iter()
            .map(|mut s| {
                s.set_port(config.nameserver_port);
                s
            })
            .collect()
    }

    /// Starts the manager (again, after [`DnsManager::stop`]) and runs a first probe; returns
    /// the nameservers chosen.
    pub async fn start(&self) -> Vec<SocketAddr> {
        {
            let mut state = self.lock();
            if state.stop.0.is_closed() {
                state.stop = async_channel::bounded(1);
            }
        }
        self.probe().await
    }

    /// Stops the [`DnsManager::run`] loops. The chosen nameservers stay in use.
    pub fn stop(&self) {
        self.lock().stop.0.close();
    }

    /// Probes the system nameservers and chooses the ones to use (see [`DnsManager`]),
    /// posting `DNSResolverDidInitialize` or `DNSNameserversDidChange` as the choice requires;
    /// returns the nameservers chosen. Takes at most [`DnsManagerConfig::probe_timeout`].
    pub async fn probe(&self) -> Vec<SocketAddr> {
        let config = &self.inner.config;
        let system = self.system_nameservers();
        let probes = system.iter().map(|&s| {
            probe_one(
                s,
                &config.probe_name,
                config.probe_type,
                config.probe_timeout,
            )
        });
        let answered = join_all(probes.collect()).await;
        let working: Vec<SocketAddr> = system
            .into_iter()
            .zip(answered)
            .filter_map(|(s, ok)| ok.then_some(s))
            .collect();
        let chosen = if working.is_empty() {
            config.fallback.clone()
        } else {
            working
        };
        let mut state = self.lock();
        let name = match &state.nameservers {
            None => "DNSResolverDidInitialize",
            Some(old) if *old != chosen => "DNSNameserversDidChange",
            Some(_) => return chosen,
        };
        state.nameservers = Some(chosen.clone());
        // Posted under the lock, so that notifications come in the order of the choices.
        let data = json!({ "nameservers": render::nameservers(&chosen) });
        self.inner
            .center
            .post(name, self.inner.sender.clone(), data);
        chosen
    }

    /// Probes every `interval` until [`DnsManager::stop`] (returns at once when stopped
    /// already). Spawn it on the application's executor after [`DnsManager::start`].
    pub async fn run(&self, interval: Duration) {
        let stop = self.lock().stop.1.clone();
        loop {
            let stopped = future::or(
                async {
                    // Nothing is ever sent: `recv` returns when the channel is closed.
                    let _ = stop.recv().await;
                    true
                },
                async {
                    Timer::after(interval).await;
                    false
                },
            )
            .await;
            if stopped || stop.is_closed() {
                return;
            }
            self.probe().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while the lock is held, so a poisoned lock still holds a consistent
        // state.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The nameservers of the resolv.conf at `path` (its first [`MAX_RESOLV_CONF`] bytes).
fn read_resolv_conf(path: &Path) -> Vec<SocketAddr> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    let mut bytes = Vec::new();
    if file.take(MAX_RESOLV_CONF).read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    parse_resolv_conf(&String::from_utf8_lossy(&bytes))
}

/// `true` when `server` answers a query for `name` and `record_type` with NOERROR or NXDOMAIN
/// within `timeout`.
async fn probe_one(
    server: SocketAddr,
    name: &str,
    record_type: RecordType,
    timeout: Duration,
) -> bool {
    let deadline = Instant::now() + timeout;
    let id = (OsRandom.next_u64() & 0xffff) as u16;
    let Some(query) = probe_query(id, name, record_type) else {
        return false;
    };
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let Ok(socket) = Async::<UdpSocket>::bind(local) else {
        return false;
    };
    if socket.send_to(&query, server).await.is_err() {
        return false;
    }
    let answered = async {
        let mut buf = vec![0u8; MAX_UDP];
        loop {
            match socket.recv_from(&mut buf).await {
                Ok((n, from)) if same_endpoint(from, server) => {
                    if works(&buf[..n], id) {
                        return true;
                    }
                }
                Ok(_) => {}
                Err(_) => return false,
            }
            // Let the timer run between datagrams, however fast they come.
            future::yield_now().await;
        }
    };
    let expired = async {
        Timer::at(deadline).await;
        false
    };
    future::or(answered, expired).await
}

/// `true` when `bytes` is a proper answer to the probe `id`.
fn works(bytes: &[u8], id: u16) -> bool {
    Answer::parse(bytes).is_ok_and(|a| {
        a.id == id
            && matches!(
                a.response_code,
                ResponseCode::NoError | ResponseCode::NameError
            )
    })
}

/// The probe query; the root name (`.` or empty) is written here, as [`encode_query`] asks
/// only for names with labels.
fn probe_query(id: u16, name: &str, record_type: RecordType) -> Option<Vec<u8>> {
    if !name.is_empty() && name != "." {
        return encode_query(id, name, record_type).ok();
    }
    let code: u16 = match record_type {
        RecordType::A => 1,
        RecordType::Ns => 2,
        RecordType::Txt => 16,
        RecordType::Aaaa => 28,
        RecordType::Srv => 33,
        RecordType::Naptr => 35,
        _ => return None,
    };
    let mut q = Vec::with_capacity(17);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // RD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    q.push(0); // the root name
    q.extend_from_slice(&code.to_be_bytes());
    q.extend_from_slice(&[0, 1]); // class IN
    Some(q)
}

/// Runs `futures` concurrently and gives their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_probe_query_parses_as_a_dns_query() {
        let q = probe_query(0x1234, ".", RecordType::Ns).expect("NS is supported");
        assert_eq!(q, [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);
        let named = probe_query(7, "example.com", RecordType::A).expect("a valid name");
        assert_eq!(&named[..2], &[0, 7]);
        assert!(probe_query(7, "bad..name", RecordType::A).is_none());
    }

    #[test]
    fn join_all_keeps_order() {
        let out = future::block_on(join_all(vec![
            Box::pin(async { 1 }) as Pin<Box<dyn Future<Output = i32>>>,
            Box::pin(async {
                future::yield_now().await;
                2
            }),
            Box::pin(async { 3 }),
        ]));
        assert_eq!(out, [1, 2, 3]);
    }
}
