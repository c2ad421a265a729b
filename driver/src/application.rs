//! [`SipApplication`]: starts and stops the engine on its own thread and is the handle through
//! which everything else is reached.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use async_channel::Sender;
use serde_json::json;
use sipsimple_proto::endpoint::TransportKind;
use sipsimple_proto::request::message;
use sipsimple_proto::request::{Credentials, RequestClient, Route};
use sipsimple_proto::sip::Address;

use crate::account::{AccountManager, AccountStatus};
use crate::audio::{AudioBackend, AudioBridge, AudioDevice, AudioEngine, Mixer};
use crate::configuration::{
    AccountId, ConfigurationError, ConfigurationManager, SettingsChange, SettingsObject,
    SipSimpleSettings, Transport,
};
use crate::dns::{DnsLookup, DnsManager};
use crate::engine::{
    self, Engine, Input, KeepAlive, MessageDelivery, MessageError, MessageJob, Sockets,
};
use crate::notification::{NotificationCenter, SenderId};
use crate::routing::Resolver;
use crate::runtime::{Runtime, SmolRuntime};
use crate::session::{MediaStreamRegistry, SessionInfo, SessionManager};
use crate::storage::Storage;
use crate::tls::TlsContext;

/// Where the engine listens, beyond what the settings say.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The local address to bind; `None` discovers the address of the interface that
    /// reaches the outside (loopback when there is none), and the IPv6 one beside it when
    /// the system has an IPv6 route.
    pub ip: Option<IpAddr>,
    /// Further local addresses to bind the same transports on, typically of the other
    /// address family (`::1` beside `127.0.0.1`): a peer is reached from the address of its
    /// own family. With `ip` unset they add to the discovered ones.
    pub extra_ips: Vec<IpAddr>,
    /// The nameservers to ask; `None` lets a [`DnsManager`] choose among the system's
    /// (resolv.conf), probing them, with its fallback list.
    pub nameservers: Option<Vec<SocketAddr>>,
    /// Keep-alive intervals and the idle time after which connections close.
    pub keepalive: KeepAlive,
    /// The runtime to run on; `None` gives the application its own [`SmolRuntime`] (real
    /// time, real sockets). Tests pass a [`VirtualRuntime`](crate::runtime::VirtualRuntime).
    pub runtime: Option<Arc<dyn Runtime>>,
    /// The devices the voice and alert mixers run on.
    pub audio: AudioBackend,
}

impl StartOptions {
    /// Loopback only, as tests and the demo use.
    pub fn loopback() -> Self {
        Self {
            ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            extra_ips: Vec::new(),
            nameservers: None,
            keepalive: KeepAlive::default(),
            runtime: None,
            audio: AudioBackend::Null,
        }
    }
}

/// The address of the interface the system would use to reach the outside, found without
/// sending anything (a UDP socket is connected, never written to); loopback without a route.
pub fn local_ip() -> IpAddr {
    let probe = || -> io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        // TEST-NET-1 (RFC 5737): any routable address gives the outgoing interface.
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    match probe() {
        Ok(ip) if !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// The IPv6 address of the interface that reaches the outside over IPv6, found as
/// [`local_ip`] finds the IPv4 one; `None` without an IPv6 route.
pub fn local_ipv6() -> Option<IpAddr> {
    let socket = UdpSocket::bind((std::net::Ipv6Addr::UNSPECIFIED, 0)).ok()?;
    // The documentation prefix (RFC 3849) stands for any routable address.
    socket
        .connect((std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 9))
        .ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// How often the system nameservers are probed again (a network change may bring others).
const DNS_PROBE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);

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
    /// The configuration could not be loaded from the storage.
    #[error(transparent)]
    Configuration(#[from] ConfigurationError),
}

#[derive(Debug, Default)]
struct State {
    inputs: Option<Sender<Input>>,
    thread: Option<JoinHandle<()>>,
    udp: Vec<SocketAddr>,
    tcp: Vec<SocketAddr>,
    tls: Vec<SocketAddr>,
}

/// What the handles and the engine thread share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) center: NotificationCenter,
    /// The configuration, while running.
    pub(crate) config: Mutex<Option<ConfigurationManager>>,
    /// What the engine reports about each active account.
    pub(crate) accounts: Mutex<BTreeMap<AccountId, AccountStatus>>,
    /// The nameservers lookups ask, while running.
    pub(crate) resolver: Mutex<Option<Resolver>>,
    /// Every session of the application, by number.
    pub(crate) sessions: Mutex<BTreeMap<u64, SessionInfo>>,
    /// The stream kinds incoming offers are matched with.
    pub(crate) streams: MediaStreamRegistry,
    /// The voice and alert mixers, while running.
    pub(crate) audio: Mutex<Option<Arc<AudioEngine>>>,
    next_session: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub(crate) fn audio(&self) -> Option<Arc<AudioEngine>> {
        self.audio
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn config(&self) -> MutexGuard<'_, Option<ConfigurationManager>> {
        self.config.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn accounts(&self) -> MutexGuard<'_, BTreeMap<AccountId, AccountStatus>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn sessions(&self) -> MutexGuard<'_, BTreeMap<u64, SessionInfo>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Files a new session and gives its number.
    pub(crate) fn new_session(&self, info: SessionInfo) -> u64 {
        let id = self
            .next_session
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        self.sessions().insert(id, info);
        id
    }

    /// Changes what is known of a session.
    pub(crate) fn update_session(&self, id: u64, f: impl FnOnce(&mut SessionInfo)) {
        if let Some(info) = self.sessions().get_mut(&id) {
            f(info);
        }
    }

    fn resolver(&self) -> MutexGuard<'_, Option<Resolver>> {
        self.resolver.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A DNS lookup on the application's nameservers; `None` while stopped.
    pub(crate) fn lookup(&self) -> Option<DnsLookup> {
        let resolver = self.resolver().clone()?;
        Some(resolver.lookup(self.center.clone()))
    }

    /// Posts `CFGSettingsObjectDidChange` for `change`; secret values are not posted.
    pub(crate) fn post_change(&self, change: &SettingsChange) {
        let modified: serde_json::Map<String, serde_json::Value> = change
            .modified
            .iter()
            .map(|(key, value)| {
                let (old, new) = if value.is_secret() {
                    (json!("<redacted>"), json!("<redacted>"))
                } else {
                    (value.old.clone(), value.new.clone())
                };
                (key.clone(), json!({"old": old, "new": new}))
            })
            .collect();
        self.center.post(
            SettingsChange::NOTIFICATION,
            SenderId::new(change.object.to_string()),
            json!({"modified": modified}),
        );
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    state: Mutex<State>,
}

/// The application: a SIP user agent with its own engine thread and notification center.
/// Handles are cheap to clone and may be used from any thread; several applications run side
/// by side in one process.
///
/// ```no_run
/// use std::time::Duration;
/// use sipsimple::storage::MemoryStorage;
/// use sipsimple::SipApplication;
///
/// let app = SipApplication::new();
/// let events = app.notification_center().observe(None, None);
/// app.start(MemoryStorage::new())?;
/// events.wait_for("SIPApplicationDidStart", Duration::from_secs(5))?;
/// app.stop();
/// events.wait_for("SIPApplicationDidEnd", Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SipApplication {
    pub(crate) inner: Arc<Inner>,
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
                shared: Arc::new(Shared {
                    center: NotificationCenter::new(),
                    config: Mutex::new(None),
                    accounts: Mutex::new(BTreeMap::new()),
                    resolver: Mutex::new(None),
                    sessions: Mutex::new(BTreeMap::new()),
                    streams: MediaStreamRegistry::default(),
                    audio: Mutex::new(None),
                    next_session: std::sync::atomic::AtomicU64::new(0),
                }),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The notification center every component of this application posts to.
    pub fn notification_center(&self) -> &NotificationCenter {
        &self.inner.shared.center
    }

    /// A DNS lookup on this application's nameservers, posting its `DNSLookup*`
    /// notifications here; `None` while stopped.
    pub fn dns_lookup(&self) -> Option<DnsLookup> {
        self.inner.shared.lookup()
    }

    /// The DNS manager choosing this application's nameservers, unless fixed ones were given
    /// at start; `None` while stopped.
    pub fn dns_manager(&self) -> Option<DnsManager> {
        match &*self.inner.shared.resolver() {
            Some(Resolver::Manager(m)) => Some(m.clone()),
            _ => None,
        }
    }

    /// The stream kinds of this application: incoming offers get their proposed streams
    /// from it (the seed's `MediaStreamRegistry`, with explicit registration).
    pub fn media_stream_registry(&self) -> &MediaStreamRegistry {
        &self.inner.shared.streams
    }

    /// The mixer of calls and recordings (the seed's `voice_audio_mixer`), at
    /// `audio.sample_rate`, on the input and output devices; `None` while stopped.
    pub fn voice_audio_mixer(&self) -> Option<Mixer> {
        self.inner.shared.audio().map(|a| a.voice.mixer.clone())
    }

    /// The bridge of the voice mixer holding its device (the seed's `voice_audio_bridge`):
    /// a port added here is heard and hears the microphone.
    pub fn voice_audio_bridge(&self) -> Option<Arc<AudioBridge>> {
        self.inner
            .shared
            .audio()
            .map(|a| Arc::clone(&a.voice.bridge))
    }

    /// The port of the input and output devices in the voice bridge (the seed's
    /// `voice_audio_device`), whose muting silences the microphone or the speaker.
    pub fn voice_audio_device(&self) -> Option<Arc<AudioDevice>> {
        self.inner
            .shared
            .audio()
            .map(|a| Arc::clone(&a.voice.device))
    }

    /// The mixer of alerts such as ringing (the seed's `alert_audio_mixer`), on the alert
    /// device; `None` while stopped.
    pub fn alert_audio_mixer(&self) -> Option<Mixer> {
        self.inner.shared.audio().map(|a| a.alert.mixer.clone())
    }

    /// The bridge of the alert mixer holding its device (the seed's `alert_audio_bridge`).
    pub fn alert_audio_bridge(&self) -> Option<Arc<AudioBridge>> {
        self.inner
            .shared
            .audio()
            .map(|a| Arc::clone(&a.alert.bridge))
    }

    /// The port of the alert device in the alert bridge (the seed's `alert_audio_device`).
    pub fn alert_audio_device(&self) -> Option<Arc<AudioDevice>> {
        self.inner
            .shared
            .audio()
            .map(|a| Arc::clone(&a.alert.device))
    }

    /// The sessions of this application.
    pub fn session_manager(&self) -> SessionManager {
        SessionManager::new(self.clone())
    }

    /// The accounts of this application.
    pub fn account_manager(&self) -> AccountManager {
        AccountManager::new(self.clone())
    }

    /// The global settings as last saved; `None` while stopped.
    pub fn settings(&self) -> Option<SipSimpleSettings> {
        self.inner
            .shared
            .config()
            .as_ref()
            .map(|c| c.settings().clone())
    }

    /// Saves a settings object and posts `CFGSettingsObjectDidChange` with the modified
    /// keys when something changed. Transport settings take effect at the next start.
    ///
    /// # Errors
    ///
    /// [`ConfigurationError`] when the object is invalid, the storage fails, or the
    /// application is not running.
    pub fn save_settings<T: SettingsObject>(
        &self,
        object: &T,
    ) -> Result<Option<SettingsChange>, ConfigurationError> {
        let change = {
            let mut config = self.inner.shared.config();
            let config = config.as_mut().ok_or(ConfigurationError::NotRunning)?;
            config.save(object)?
        };
        if let Some(change) = &change {
            self.inner.shared.post_change(change);
        }
        Ok(change)
    }

    /// Tells the application that the network changed (another interface, a new address, a
    /// VPN): the system nameservers are probed again, open connections are closed, and every
    /// active account looks its registrar up and registers again at once. The transports
    /// stay bound to the address they started on; a new local address needs a restart.
    pub fn network_changed(&self) {
        if let Some(manager) = self.dns_manager() {
            // The probe runs on a thread of its own: it waits for answers.
            std::thread::spawn(move || smol::block_on(manager.probe()));
        }
        self.send_input(Input::NetworkChanged);
    }

    /// Sends an input to the engine; `false` when it is not running.
    pub(crate) fn send_input(&self, input: Input) -> bool {
        self.state()
            .inputs
            .as_ref()
            .is_some_and(|i| i.try_send(input).is_ok())
    }

    /// `true` between [`start`](Self::start) and [`stop`](Self::stop).
    pub fn running(&self) -> bool {
        self.state().inputs.is_some()
    }

    /// The address a transport listens on, while running.
    pub fn local_address(&self, transport: TransportKind) -> Option<SocketAddr> {
        self.local_addresses(transport).first().copied()
    }

    /// Every address a transport listens on, the main one first, while running.
    pub fn local_addresses(&self, transport: TransportKind) -> Vec<SocketAddr> {
        let state = self.state();
        match transport {
            TransportKind::Udp => state.udp.clone(),
            TransportKind::Tcp => state.tcp.clone(),
            TransportKind::Tls => state.tls.clone(),
        }
    }

    /// Loads the configuration from `storage`, binds the transports its settings name on the
    /// discovered local address, and starts the engine thread; the enabled accounts then
    /// activate and register. Returns once the thread runs: `SIPApplicationWillStart` and
    /// `SIPApplicationDidStart` follow from it.
    ///
    /// # Errors
    ///
    /// [`StartError`] when running already, the configuration cannot be loaded, or a socket
    /// cannot be bound; the application can then be started again.
    pub fn start(&self, storage: impl Storage + 'static) -> Result<(), StartError> {
        self.start_with(storage, StartOptions::default())
    }

    /// [`start`](Self::start) with explicit [`StartOptions`].
    ///
    /// # Errors
    ///
    /// As for [`start`](Self::start).
    pub fn start_with(
        &self,
        storage: impl Storage + 'static,
        options: StartOptions,
    ) -> Result<(), StartError> {
        let mut state = self.state();
        if state.inputs.is_some() {
            return Err(StartError::AlreadyRunning);
        }
        let config = ConfigurationManager::load(storage)?;
        let settings = config.settings().clone();
        let mut ips = match options.ip {
            Some(ip) => vec![ip],
            None => std::iter::once(local_ip()).chain(local_ipv6()).collect(),
        };
        for ip in &options.extra_ips {
            if !ips.contains(ip) {
                ips.push(*ip);
            }
        }
        let runtime: Arc<dyn Runtime> = options
            .runtime
            .clone()
            .unwrap_or_else(|| Arc::new(SmolRuntime::new()));
        let (sockets, tls_error) = bind(&*runtime, &ips, &settings)?;
        let (udp, tcp, tls) = (
            sockets.local(TransportKind::Udp),
            sockets.local(TransportKind::Tcp),
            sockets.local(TransportKind::Tls),
        );
        let accounts: Vec<_> = config.accounts().cloned().collect();
        *self.inner.shared.config() = Some(config);
        let center = &self.inner.shared.center;
        let audio = AudioEngine::start(&settings, &options.audio, center).or_else(|e| {
            // Calls still work without a sound card: what the device failed is reported, and
            // the mixers run on the null device.
            center.post(
                "AudioDeviceDidFail",
                SenderId::new("AudioDevice"),
                json!({"error": e.to_string()}),
            );
            AudioEngine::start(&settings, &AudioBackend::Null, center)
        });
        *self
            .inner
            .shared
            .audio
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = audio.ok().map(Arc::new);
        let manager = match &options.nameservers {
            Some(servers) => {
                *self.inner.shared.resolver() = Some(Resolver::Fixed(servers.clone()));
                None
            }
            None => {
                let manager = DnsManager::new(self.inner.shared.center.clone());
                *self.inner.shared.resolver() = Some(Resolver::Manager(manager.clone()));
                Some(manager)
            }
        };
        self.inner.shared.accounts().clear();
        let (inputs, queue) = engine::input_queue();
        let shared = Arc::clone(&self.inner.shared);
        let engine_inputs = inputs.clone();
        let account_manager = self.account_manager();
        let keepalive = options.keepalive;
        let thread = std::thread::Builder::new()
            .name("sipsimple-engine".to_owned())
            .spawn(move || {
                let center = shared.center.clone();
                let sender = SenderId::new("SIPApplication");
                center.post("SIPApplicationWillStart", sender.clone(), json!({}));
                if let Some(error) = tls_error {
                    center.post(
                        "SIPApplicationFailedToStartTLS",
                        sender.clone(),
                        json!({"error": error}),
                    );
                }
                let started = Engine::new(
                    sockets,
                    &settings,
                    Arc::clone(&shared),
                    keepalive,
                    engine_inputs,
                    Arc::clone(&runtime),
                );
                match started {
                    Ok(engine) => {
                        if let Some(dns) = &manager {
                            // The first probe runs in the background: until it answers,
                            // lookups ask the nameservers resolv.conf lists.
                            let dns = dns.clone();
                            runtime.spawn(Box::pin(async move {
                                dns.run(DNS_PROBE_INTERVAL).await;
                            }));
                        }
                        account_manager.load(&accounts);
                        center.post("SIPApplicationDidStart", sender.clone(), json!({}));
                        runtime.run(Box::pin(engine.run(queue)));
                    }
                    Err(e) => {
                        center.post(
                            "SIPApplicationDidFail",
                            sender.clone(),
                            json!({"error": e.to_string()}),
                        );
                    }
                }
                if let Some(dns) = &manager {
                    dns.stop();
                }
                *shared.config() = None;
                *shared.resolver() = None;
                *shared.audio.lock().unwrap_or_else(PoisonError::into_inner) = None;
                shared.accounts().clear();
                center.post("SIPApplicationDidEnd", sender, json!({}));
            })
            .map_err(StartError::Thread)?;
        *state = State {
            inputs: Some(inputs),
            thread: Some(thread),
            udp,
            tcp,
            tls,
        };
        Ok(())
    }

    /// Stops the engine: `SIPApplicationWillEnd` now, `SIPApplicationDidEnd` when it has
    /// stopped. Returns at once; does nothing when not running.
    pub fn stop(&self) {
        let Some(inputs) = self.state().inputs.take() else {
            return;
        };
        self.inner.shared.center.post(
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
        self.send_message_via(from, to, content_type, body, routes, credentials, None)
            .await
    }

    /// [`send_message`](Self::send_message) where the routes came from resolving a URI with
    /// host `server_name`: a TLS server must present a certificate for that name.
    ///
    /// # Errors
    ///
    /// As for [`send_message`](Self::send_message).
    #[allow(clippy::too_many_arguments)]
    pub async fn send_message_via(
        &self,
        from: Address<'_>,
        to: Address<'_>,
        content_type: &str,
        body: impl Into<bytes::Bytes>,
        routes: Vec<Route>,
        credentials: Option<Credentials>,
        server_name: Option<String>,
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
            server_name,
            reply,
        };
        inputs
            .send(Input::SendMessage(Box::new(job)))
            .await
            .map_err(|_| MessageError::NotRunning)?;
        outcome.recv().await.map_err(|_| MessageError::NotRunning)?
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Binds the transports the settings name on each of `ips`. TLS that cannot start (a bad
/// CA or certificate file, its port taken) is not fatal: the reason comes back to be posted
/// as `SIPApplicationFailedToStartTLS`, as the SDK does.
fn bind(
    runtime: &dyn Runtime,
    ips: &[IpAddr],
    settings: &SipSimpleSettings,
) -> Result<(Sockets, Option<String>), StartError> {
    let wants = |t| settings.sip.transport_list.contains(&t);
    let mut sockets = Sockets {
        udp: Vec::new(),
        tcp: Vec::new(),
        tls: Vec::new(),
        tls_context: None,
    };
    let mut tls_error = None;
    if wants(Transport::Tls) {
        match TlsContext::from_settings(settings) {
            Ok(context) => sockets.tls_context = Some(context),
            Err(e) => tls_error = Some(e.to_string()),
        }
    }
    for ip in ips {
        if wants(Transport::Udp) {
            let address = SocketAddr::new(*ip, settings.sip.udp_port);
            sockets.udp.push(
                runtime
                    .bind_udp(address)
                    .map_err(|source| StartError::Bind {
                        transport: "UDP",
                        address,
                        source,
                    })?,
            );
        }
        if wants(Transport::Tcp) {
            let address = SocketAddr::new(*ip, settings.sip.tcp_port);
            sockets.tcp.push(
                runtime
                    .listen_tcp(address)
                    .map_err(|source| StartError::Bind {
                        transport: "TCP",
                        address,
                        source,
                    })?,
            );
        }
        if sockets.tls_context.is_some() {
            let address = SocketAddr::new(*ip, settings.sip.tls_port);
            match runtime.listen_tcp(address) {
                Ok(listener) => sockets.tls.push(listener),
                Err(e) => {
                    tls_error = Some(format!("cannot bind TLS on {address}: {e}"));
                    sockets.tls.clear();
                    sockets.tls_context = None;
                }
            }
        }
    }
    if sockets.is_empty() {
        return Err(StartError::NoTransport);
    }
    Ok((sockets, tls_error))
}
