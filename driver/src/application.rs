//! [`SipApplication`]: starts and stops the engine on its own thread and is the handle through
//! which everything else is reached.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use async_channel::Sender;
use serde_json::json;
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::request::message;
use sipsimple_proto::request::{Credentials, RequestClient, Route};
use sipsimple_proto::sip::Address;

use crate::engine::{self, Engine, Input, MessageDelivery, MessageError, MessageJob, Sockets};
use crate::notification::{NotificationCenter, SenderId};

/// The product name sent in User-Agent and Server headers.
pub const USER_AGENT: &str = concat!("sipsimple-rs/", env!("CARGO_PKG_VERSION"));

/// Where and how the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The local address to bind.
    pub ip: IpAddr,
    /// The UDP port (0 picks one); `None` disables UDP.
    pub udp_port: Option<u16>,
    /// The TCP port (0 picks one); `None` disables TCP.
    pub tcp_port: Option<u16>,
    /// The User-Agent product text.
    pub user_agent: String,
}

impl Default for EngineConfig {
    /// Loopback, UDP and TCP on ports the system picks.
    fn default() -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            udp_port: Some(0),
            tcp_port: Some(0),
            user_agent: USER_AGENT.to_owned(),
        }
    }
}

/// Why [`SipApplication::start`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The application is running already.
    #[error("the application is already running")]
    AlreadyRunning,
    /// A transport could not be bound.
    #[error("cannot bind {transport} on {address}: {source}")]
    Bind {
        /// UDP or TCP.
        transport: &'static str,
        /// The address asked for.
        address: SocketAddr,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// No transport is enabled.
    #[error("no transport is enabled")]
    NoTransport,
    /// The engine thread could not start.
    #[error("cannot start the engine thread: {0}")]
    Thread(#[source] io::Error),
}

#[derive(Debug, Default)]
struct State {
    inputs: Option<Sender<Input>>,
    thread: Option<JoinHandle<()>>,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
}

#[derive(Debug)]
struct Inner {
    center: NotificationCenter,
    state: Mutex<State>,
}

/// The application: a SIP user agent with its own engine thread and notification center.
/// Handles are cheap to clone and may be used from any thread; several applications run side
/// by side in one process.
///
/// ```no_run
/// use std::time::Duration;
/// use sipsimple::{EngineConfig, SipApplication};
///
/// let app = SipApplication::new();
/// let events = app.notification_center().observe(None, None);
/// app.start(EngineConfig::default())?;
/// events.wait_for("SIPApplicationDidStart", Duration::from_secs(5))?;
/// app.stop();
/// events.wait_for("SIPApplicationDidEnd", Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SipApplication {
    inner: Arc<Inner>,
}

impl Default for SipApplication {
    fn default() -> Self {
        Self::new()
    }
}

impl SipApplication {
    /// A stopped application.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                center: NotificationCenter::new(),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The notification center every component of this application posts to.
    pub fn notification_center(&self) -> &NotificationCenter {
        &self.inner.center
    }

    /// `true` between [`start`](Self::start) and [`stop`](Self::stop).
    pub fn running(&self) -> bool {
        self.state().inputs.is_some()
    }

    /// The address a transport listens on, while running.
    pub fn local_address(&self, transport: TransportKind) -> Option<SocketAddr> {
        let state = self.state();
        match transport {
            TransportKind::Udp => state.udp,
            TransportKind::Tcp => state.tcp,
            TransportKind::Tls => None,
        }
    }

    /// Binds the transports and starts the engine thread. Returns once the thread runs;
    /// `SIPApplicationWillStart` and then `SIPApplicationDidStart` follow from it.
    ///
    /// # Errors
    ///
    /// [`StartError`] when running already or a socket cannot be bound; the application can
    /// then be started again.
    pub fn start(&self, config: EngineConfig) -> Result<(), StartError> {
        let mut state = self.state();
        if state.inputs.is_some() {
            return Err(StartError::AlreadyRunning);
        }
        let sockets = bind(&config)?;
        let (udp, tcp) = (
            sockets.local(TransportKind::Udp),
            sockets.local(TransportKind::Tcp),
        );
        let (inputs, queue) = engine::input_queue();
        let center = self.inner.center.clone();
        let engine_inputs = inputs.clone();
        let thread = std::thread::Builder::new()
            .name("sipsimple-engine".to_owned())
            .spawn(move || {
                let sender = SenderId::new("SIPApplication");
                center.post("SIPApplicationWillStart", sender.clone(), json!({}));
                let executor = Arc::new(smol::Executor::new());
                let started = Engine::new(
                    sockets,
                    &config.user_agent,
                    center.clone(),
                    engine_inputs,
                    Arc::clone(&executor),
                );
                match started {
                    Ok(engine) => {
                        center.post("SIPApplicationDidStart", sender.clone(), json!({}));
                        smol::block_on(executor.run(engine.run(queue)));
                    }
                    Err(e) => {
                        center.post(
                            "SIPApplicationDidFail",
                            sender.clone(),
                            json!({"error": e.to_string()}),
                        );
                    }
                }
                center.post("SIPApplicationDidEnd", sender, json!({}));
            })
            .map_err(StartError::Thread)?;
        *state = State {
            inputs: Some(inputs),
            thread: Some(thread),
            udp,
            tcp,
        };
        Ok(())
    }

    /// Stops the engine: `SIPApplicationWillEnd` now, `SIPApplicationDidEnd` when it has
    /// stopped. Returns at once; does nothing when not running.
    pub fn stop(&self) {
        let Some(inputs) = self.state().inputs.take() else {
            return;
        };
        self.inner.center.post(
            "SIPApplicationWillEnd",
            SenderId::new("SIPApplication"),
            json!({}),
        );
        // A full queue still sees the channel close, which ends the loop as well.
        if inputs.try_send(Input::Stop).is_err() {
            inputs.close();
        }
    }

    /// Stops the engine and waits for its thread to end.
    pub fn stop_and_wait(&self) {
        self.stop();
        let thread = self.state().thread.take();
        if let Some(thread) = thread {
            // A panic on the engine thread has been reported there already.
            let _ = thread.join();
        }
    }

    /// Sends a MESSAGE (RFC 3428) from `from` to `to` with `body` of `content_type`, to the
    /// next hop `routes` (in failover order), answering digest challenges with `credentials`.
    /// Resolves to the final outcome; `SIPMessageDidSucceed` or `SIPMessageDidFail` is posted
    /// as well.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when the message was refused, timed out, could not be sent, or the
    /// application is not running.
    pub async fn send_message(
        &self,
        from: Address<'_>,
        to: Address<'_>,
        content_type: &str,
        body: impl Into<bytes::Bytes>,
        routes: Vec<Route>,
        credentials: Option<Credentials>,
    ) -> Result<MessageDelivery, MessageError> {
        let inputs = self
            .state()
            .inputs
            .clone()
            .ok_or(MessageError::NotRunning)?;
        let request = message::build(&mut engine::OsRandom, from, to, content_type, body);
        let mut client = RequestClient::new(routes);
        if let Some(c) = &credentials {
            client.set_credentials(c);
        }
        let (reply, outcome) = async_channel::bounded(1);
        let job = MessageJob {
            request,
            client,
            reply,
        };
        inputs
            .send(Input::SendMessage(Box::new(job)))
            .await
            .map_err(|_| MessageError::NotRunning)?;
        outcome.recv().await.map_err(|_| MessageError::NotRunning)?
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn bind(config: &EngineConfig) -> Result<Sockets, StartError> {
    if config.udp_port.is_none() && config.tcp_port.is_none() {
        return Err(StartError::NoTransport);
    }
    let udp = match config.udp_port {
        Some(port) => {
            let address = SocketAddr::new(config.ip, port);
            Some(UdpSocket::bind(address).map_err(|source| StartError::Bind {
                transport: "UDP",
                address,
                source,
            })?)
        }
        None => None,
    };
    let tcp = match config.tcp_port {
        Some(port) => {
            let address = SocketAddr::new(config.ip, port);
            Some(
                TcpListener::bind(address).map_err(|source| StartError::Bind {
                    transport: "TCP",
                    address,
                    source,
                })?,
            )
        }
        None => None,
    };
    Ok(Sockets { udp, tcp })
}
