//! The ICE agent (RFC 8445): gathering, connectivity checks, nomination, role conflicts,
//! consent freshness (RFC 7675) and ICE restarts, for one data stream of one or two
//! components. A full agent by default; [`IceConfig::lite`] makes it a lite one (RFC 8445
//! §2.5), which only answers checks.
//!
//! The agent owns no socket. The driver tells it the local addresses it bound
//! ([`IceAgent::add_host`]), gives it every STUN packet that arrives on them
//! ([`IceAgent::handle_packet`], which says whether the packet was STUN, so the rest is
//! media), sends what [`IceAgent::poll_transmit`] gives from the socket it names, and wakes
//! it at [`IceAgent::poll_timeout`]. Media goes over the pair [`IceAgent::selected`] names.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use super::candidate::{priority, type_preference, Candidate, Foundations, Role};
use super::checklist::{CheckList, PairState};
use crate::rand::Random;
use crate::sdp::CandidateType;
use crate::stun::{
    check_request, error_response, is_stun, success_response, Class, Client, ClientConfig,
    IntegrityKey, Message, MessageBuilder, MessageType, Method, Outcome, TransactionId, Transport,
    Verdict,
};

/// The most local addresses per component, and remote candidates in all: far more than a
/// host's interfaces, small enough to bound the check list's work.
const MAX_HOSTS: usize = 8;
const MAX_REMOTE: usize = 64;
/// Checks that arrive before the peer's description, replayed once it comes.
const MAX_EARLY: usize = 16;
/// How long the controlling agent waits, after a component's first valid pair, for a better
/// one before it nominates (regular nomination, RFC 8445 §8.1.1).
const NOMINATION_WAIT: Duration = Duration::from_millis(500);

/// How the controlling agent nominates (RFC 8445 §8.1.1). The controlled side accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nomination {
    /// Check first, then repeat the check of the chosen valid pair with USE-CANDIDATE.
    Regular,
    /// USE-CANDIDATE in every check (RFC 5245's aggressive nomination, which RFC 8445 peers
    /// still accept); the first pair to succeed wins.
    Aggressive,
}

/// What an agent starts with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IceConfig {
    /// The initial role: the offerer's full agent controls.
    pub role: Role,
    /// How many components: 1 (RTP with rtcp-mux) or 2 (RTP and RTCP).
    pub components: u16,
    /// STUN servers for server reflexive candidates.
    pub stun_servers: Vec<SocketAddr>,
    /// Ta: the pace of ordinary checks (RFC 8445 §14.2, default 50 ms).
    pub pacing: Duration,
    /// The retransmission timeout of checks and gathering requests (default 500 ms).
    pub rto: Duration,
    /// How nominations are made when controlling.
    pub nomination: Nomination,
    /// How long checks may take before the agent gives up (default 30 s).
    pub checks_timeout: Duration,
    /// How long STUN servers may take to answer before gathering ends without them
    /// (default 5 s: a call should not wait 39.5 s for a dead server).
    pub gather_timeout: Duration,
    /// How often consent is checked on the selected pairs (RFC 7675: 5 s, randomised ±20 %).
    pub consent_interval: Duration,
    /// How long without a consent response before consent is lost (RFC 7675: 30 s).
    pub consent_timeout: Duration,
    /// A lite agent (RFC 8445 §2.5): host candidates only, never checks, always controlled.
    pub lite: bool,
}

impl IceConfig {
    /// A full agent in `role` with `components` components and RFC defaults.
    #[must_use]
    pub fn new(role: Role, components: u16) -> Self {
        Self {
            role,
            components: components.clamp(1, 2),
            stun_servers: Vec::new(),
            pacing: Duration::from_millis(50),
            rto: Duration::from_millis(500),
            nomination: Nomination::Regular,
            checks_timeout: Duration::from_secs(30),
            gather_timeout: Duration::from_secs(5),
            consent_interval: Duration::from_secs(5),
            consent_timeout: Duration::from_secs(30),
            lite: false,
        }
    }
}

/// Where an agent stands, after the seed's ICE negotiation states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceState {
    /// Created; no candidate yet.
    New,
    /// Asking STUN servers for reflexive candidates.
    Gathering,
    /// Candidates complete; waiting for the peer's.
    Gathered,
    /// Checking pairs.
    Checking,
    /// Every component has a selected pair.
    Completed,
    /// No pair works, the checks timed out, or consent was lost.
    Failed,
}

/// What the agent tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// The state changed.
    StateChanged(IceState),
    /// A local candidate was found (server or peer reflexive).
    CandidateGathered(Candidate),
    /// A role conflict (RFC 8445 §7.3.1.1) switched the agent's role.
    RoleChanged(Role),
    /// The pair media of `component` goes over (again, after a better nomination).
    Selected {
        /// The component.
        component: u16,
        /// Our candidate.
        local: Candidate,
        /// The peer's.
        remote: Candidate,
    },
    /// Every component has a selected pair; `duration` since checks began. The data of the
    /// seed's `RTPTransportICENegotiationDidSucceed`.
    Completed {
        /// How long the checks took.
        duration: Duration,
        /// The chosen pair of each component, in component order: ours, then the peer's.
        chosen: Vec<(Candidate, Candidate)>,
    },
    /// The negotiation failed; `duration` since checks began.
    Failed {
        /// Why, for people.
        reason: String,
        /// How long the checks ran.
        duration: Duration,
    },
    /// The peer no longer answers consent checks on this component's pair (RFC 7675): stop
    /// sending media on it.
    ConsentLost {
        /// The component.
        component: u16,
    },
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local address (a host candidate's) to send it from.
    pub from: SocketAddr,
    /// Where to send it.
    pub to: SocketAddr,
    /// The datagram.
    pub payload: Bytes,
}

/// Misuse of the agent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IceError {
    /// A component other than 1 or, with two components, 2.
    #[error("no component {0}")]
    Component(u16),
    /// Too many local addresses for a component.
    #[error("too many local addresses")]
    TooManyHosts,
    /// The same local address twice.
    #[error("local address {0} added twice")]
    DuplicateHost(SocketAddr),
    /// ice-ufrag or ice-pwd out of RFC 8445 §5.3 bounds (4 and 22 to 256 characters).
    #[error("bad remote credentials")]
    Credentials,
}

/// The peer's credentials, and whether it is lite.
struct Remote {
    ufrag: String,
    key: IntegrityKey,
    lite: bool,
}

/// What a request of ours is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A server reflexive candidate from a STUN server.
    Gather,
    /// A connectivity check (nominating or not).
    Check { nominate: bool },
    /// A consent freshness check (RFC 7675).
    Consent,
}

/// One request in flight.
#[derive(Debug, Clone, Copy)]
struct Pending {
    base: SocketAddr,
    to: SocketAddr,
    component: u16,
    purpose: Purpose,
    /// The PRIORITY the request carried (a peer reflexive candidate gets it).
    priority: u32,
    /// Our role when it was sent (a 487 answers that role, RFC 8445 §7.2.5.1).
    role: Role,
}

/// A check from the peer: where it came from and what it asked; kept when it comes before the
/// peer's description.
#[derive(Debug, Clone, Copy)]
struct PeerCheck {
    base: SocketAddr,
    source: SocketAddr,
    priority: u32,
    nominate: bool,
}

/// Consent on a component's selected pair.
#[derive(Debug, Clone, Copy)]
struct Consent {
    last_ok: Instant,
    next: Instant,
}

/// One ICE agent for one data stream of one or two components: a full agent by default, a
/// lite one (RFC 8445 §2.5) with [`IceConfig::lite`], which only answers checks.
///
/// The agent owns no socket. The driver tells it the local addresses it bound
/// ([`IceAgent::add_host`]), gives it every STUN packet that arrives on them
/// ([`IceAgent::handle_packet`], which says whether the packet was STUN, so the rest is
/// media), sends what [`IceAgent::poll_transmit`] gives from the socket it names, and wakes
/// it at [`IceAgent::poll_timeout`]. Media goes over the pair [`IceAgent::selected`] names.
pub struct IceAgent<R> {
    config: IceConfig,
    role: Role,
    tie_breaker: u64,
    ufrag: String,
    pwd: String,
    key: IntegrityKey,
    remote: Option<Remote>,
    client: Client<R>,
    /// The host candidates, then the reflexive ones found.
    locals: Vec<Candidate>,
    foundations: Foundations,
    remotes: Vec<Candidate>,
    list: Option<CheckList>,
    pending: HashMap<TransactionId, Pending>,
    early: Vec<PeerCheck>,
    state: IceState,
    started: Option<Instant>,
    gather_deadline: Option<Instant>,
    next_check: Option<Instant>,
    /// When each component got its first valid pair (regular nomination waits from there).
    first_valid: BTreeMap<u16, Instant>,
    /// Components whose nominating check is in flight.
    nominating: BTreeMap<u16, (SocketAddr, SocketAddr)>,
    /// Pairs the controlled side was told to use before their own check succeeded.
    nominated_early: Vec<(SocketAddr, SocketAddr, u16)>,
    selected: BTreeMap<u16, (Candidate, Candidate)>,
    consent: BTreeMap<u16, Consent>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<IceEvent>,
    latest: Instant,
    buf: Vec<u8>,
}

impl<R> std::fmt::Debug for IceAgent<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceAgent")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("ufrag", &self.ufrag)
            .field("locals", &self.locals)
            .field("remotes", &self.remotes)
            .field("selected", &self.selected)
            .field("nominating", &self.nominating)
            .field("pending", &self.pending.values().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<R: Random> IceAgent<R> {
    /// An agent with fresh credentials and tie-breaker from `rng`, which then serves its
    /// STUN transactions.
    pub fn new(now: Instant, mut rng: R, config: IceConfig) -> Self {
        let ufrag = rng.token(8);
        let pwd = rng.token(24);
        let tie_breaker = rng.next_u64();
        let role = if config.lite {
            Role::Controlled
        } else {
            config.role
        };
        // Checks retransmit at RTO, then at most every 2 RTO, and give up 4 RTO after the
        // 7th send: 7 tries within about 6.5 s at the default 500 ms (RFC 8489's doubling
        // would wait 39.5 s, long past the point a call gives up).
        let client = Client::new(
            ClientConfig {
                rto: config.rto,
                max_rto: config.rto * 2,
                final_wait: 4,
                ..ClientConfig::default()
            },
            rng,
        );
        Self {
            key: IntegrityKey::short_term(&pwd),
            config,
            role,
            tie_breaker,
            ufrag,
            pwd,
            remote: None,
            client,
            locals: Vec::new(),
            foundations: Foundations::default(),
            remotes: Vec::new(),
            list: None,
            pending: HashMap::new(),
            early: Vec::new(),
            state: IceState::New,
            started: None,
            gather_deadline: None,
            next_check: None,
            first_valid: BTreeMap::new(),
            nominating: BTreeMap::new(),
            nominated_early: Vec::new(),
            selected: BTreeMap::new(),
            consent: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            latest: now,
            buf: Vec::with_capacity(256),
        }
    }

    // Setup.

    /// Our `ice-ufrag` and `ice-pwd`.
    #[must_use]
    pub fn local_credentials(&self) -> (&str, &str) {
        (&self.ufrag, &self.pwd)
    }

    /// Whether the peer said it is a lite agent.
    #[must_use]
    pub fn remote_is_lite(&self) -> bool {
        self.remote.as_ref().is_some_and(|r| r.lite)
    }

    /// Whether this is a lite agent (`a=ice-lite`).
    #[must_use]
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }

    /// A local address bound for `component`: a host candidate.
    pub fn add_host(&mut self, component: u16, address: SocketAddr) -> Result<(), IceError> {
        if component == 0 || component > self.config.components {
            return Err(IceError::Component(component));
        }
        if self.locals.iter().any(|c| c.base == address) {
            return Err(IceError::DuplicateHost(address));
        }
        let index = self
            .locals
            .iter()
            .filter(|c| c.component == component && c.kind == CandidateType::Host)
            .count();
        if index >= MAX_HOSTS {
            return Err(IceError::TooManyHosts);
        }
        let local = super::candidate::local_preference(address.ip(), index);
        let foundation = self
            .foundations
            .get(&CandidateType::Host, address.ip(), None);
        self.locals
            .push(Candidate::host(address, component, local, foundation));
        Ok(())
    }

    /// Gathers server reflexive candidates from the configured STUN servers (a full agent
    /// with servers), then reports [`IceState::Gathered`].
    pub fn gather(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state != IceState::New {
            return;
        }
        self.set_state(IceState::Gathering);
        self.gather_deadline = Some(now + self.config.gather_timeout);
        if !self.config.lite {
            let hosts: Vec<(u16, SocketAddr)> = self
                .locals
                .iter()
                .filter(|c| c.kind == CandidateType::Host)
                .map(|c| (c.component, c.base))
                .collect();
            let servers = self.config.stun_servers.clone();
            for (component, base) in hosts {
                for &server in servers.iter().filter(|s| s.is_ipv4() == base.is_ipv4()) {
                    let id = self.client.transaction_id();
                    self.buf.clear();
                    let built =
                        MessageBuilder::new(&mut self.buf, MessageType::BINDING_REQUEST, id)
                            .fingerprint()
                            .finish();
                    if built.is_ok() {
                        self.send(
                            now,
                            id,
                            server,
                            Pending {
                                base,
                                to: server,
                                component,
                                purpose: Purpose::Gather,
                                priority: 0,
                                role: self.role,
                            },
                        );
                    }
                }
            }
        }
        self.gathering_done(now);
    }

    /// Our candidates: hosts first, then reflexive ones.
    #[must_use]
    pub fn local_candidates(&self) -> &[Candidate] {
        &self.locals
    }

    /// The peer's credentials, whether it is lite, and its candidates (more may follow with
    /// [`Self::add_remote_candidate`]). Checks start once our gathering is done.
    pub fn set_remote(
        &mut self,
        now: Instant,
        ufrag: &str,
        pwd: &str,
        lite: bool,
        candidates: Vec<Candidate>,
    ) -> Result<(), IceError> {
        let now = self.clamp(now);
        if !(4..=256).contains(&ufrag.len()) || !(22..=256).contains(&pwd.len()) {
            return Err(IceError::Credentials);
        }
        // RFC 8445 §6.1.1: a full agent facing a lite one controls.
        if lite && !self.config.lite && self.role == Role::Controlled {
            self.switch_role(Role::Controlling);
        }
        self.remote = Some(Remote {
            ufrag: ufrag.to_owned(),
            key: IntegrityKey::short_term(pwd),
            lite,
        });
        for c in candidates {
            self.add_remote_candidate(now, c);
        }
        self.try_start(now);
        Ok(())
    }

    /// A further candidate of the peer (trickled, or from an updated description).
    pub fn add_remote_candidate(&mut self, now: Instant, candidate: Candidate) {
        let now = self.clamp(now);
        if candidate.component == 0
            || candidate.component > self.config.components
            || self.remotes.len() >= MAX_REMOTE
            || self
                .remotes
                .iter()
                .any(|r| r.address == candidate.address && r.component == candidate.component)
        {
            return;
        }
        if let Some(list) = self.list.as_mut() {
            list.add_remote(&self.locals, &candidate);
        }
        self.remotes.push(candidate);
        self.try_start(now);
    }

    /// An ICE restart (RFC 8445 §9): new credentials, the peer's to come with its new
    /// description; media keeps the selected pairs until new ones are chosen.
    pub fn restart(&mut self, now: Instant, ufrag: String, pwd: String) {
        let now = self.clamp(now);
        self.key = IntegrityKey::short_term(&pwd);
        self.ufrag = ufrag;
        self.pwd = pwd;
        self.remote = None;
        self.remotes.clear();
        self.list = None;
        self.early.clear();
        self.first_valid.clear();
        self.nominating.clear();
        self.nominated_early.clear();
        self.started = None;
        self.next_check = None;
        let checks: Vec<TransactionId> = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p.purpose, Purpose::Check { .. }))
            .map(|(id, _)| *id)
            .collect();
        for id in checks {
            self.client.cancel(id);
            self.pending.remove(&id);
        }
        // Consent goes on over the old pairs until the new negotiation ends.
        self.set_state(IceState::Gathered);
        self.latest = now;
    }

    // Inputs.

    /// A datagram that arrived on our local address `base` from `source`. Returns `false`
    /// when it is not STUN (media, for the caller); STUN is consumed, answered or dropped.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        base: SocketAddr,
        source: SocketAddr,
        data: &[u8],
    ) -> bool {
        if !is_stun(data) {
            return false;
        }
        let now = self.clamp(now);
        let Ok(message) = Message::parse(data) else {
            return true;
        };
        match message.class() {
            Class::Request if message.method() == Method::BINDING => {
                self.on_request(now, base, source, &message);
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.on_response(now, base, source, &message);
            }
            _ => {}
        }
        self.after_input(now);
        true
    }

    /// Runs the timers due at `now`: retransmissions, the next check, nominations, consent.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        self.client.handle_timeout(now);
        if self.state == IceState::Gathering && self.gather_deadline.is_some_and(|t| t <= now) {
            let late: Vec<TransactionId> = self
                .pending
                .iter()
                .filter(|(_, p)| p.purpose == Purpose::Gather)
                .map(|(id, _)| *id)
                .collect();
            for id in late {
                self.client.cancel(id);
                self.pending.remove(&id);
            }
        }
        self.after_input(now);
        if self.state == IceState::Checking {
            if self.next_check.is_some_and(|t| t <= now) {
                self.ordinary_check(now);
                self.next_check = Some(now + self.config.pacing);
            }
            self.nominate_if_ready(now);
            if self
                .started
                .is_some_and(|s| now >= s + self.config.checks_timeout)
            {
                self.fail(now, "ICE checks timed out");
            }
        }
        self.consent_tick(now);
        self.pump();
    }

    // Outputs.

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// When to call [`Self::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let checking = self.state == IceState::Checking;
        let nomination = match self.list.as_ref() {
            Some(list) if checking && self.role == Role::Controlling && !self.config.lite => self
                .first_valid
                .iter()
                .filter(|(c, _)| {
                    !self.nominating.contains_key(c)
                        && list.selected(**c).is_none()
                        && list.best_valid(**c).is_some()
                })
                .map(|(_, t)| *t + NOMINATION_WAIT)
                .min(),
            _ => None,
        };
        let consent = if self.config.lite || self.remote.is_none() {
            None
        } else {
            self.consent
                .values()
                .map(|c| c.next.min(c.last_ok + self.config.consent_timeout))
                .min()
        };
        [
            self.client.poll_timeout(),
            self.next_check.filter(|_| checking),
            self.started
                .filter(|_| checking)
                .map(|s| s + self.config.checks_timeout),
            nomination,
            consent,
            self.gather_deadline
                .filter(|_| self.state == IceState::Gathering),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The state.
    #[must_use]
    pub fn state(&self) -> IceState {
        self.state
    }

    /// The role now.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// The pair media of `component` goes over: our candidate (send from its base) and the
    /// peer's (send to its address).
    #[must_use]
    pub fn selected(&self, component: u16) -> Option<(&Candidate, &Candidate)> {
        self.selected.get(&component).map(|(l, r)| (l, r))
    }

    /// The check list, when checks have begun.
    #[must_use]
    pub fn check_list(&self) -> Option<&CheckList> {
        self.list.as_ref()
    }

    // Internals.

    fn clamp(&mut self, now: Instant) -> Instant {
        self.latest = self.latest.max(now);
        self.latest
    }

    fn set_state(&mut self, state: IceState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(IceEvent::StateChanged(state));
        }
    }

    fn switch_role(&mut self, role: Role) {
        if self.role == role {
            return;
        }
        self.role = role;
        if let Some(list) = self.list.as_mut() {
            list.set_role(role);
        }
        self.events.push_back(IceEvent::RoleChanged(role));
    }

    fn gathering_done(&mut self, now: Instant) {
        let gathering = self.pending.values().any(|p| p.purpose == Purpose::Gather);
        if self.state == IceState::Gathering && !gathering {
            self.set_state(IceState::Gathered);
            self.try_start(now);
        }
    }

    fn try_start(&mut self, now: Instant) {
        if self.state != IceState::Gathered || self.remote.is_none() || self.list.is_some() {
            return;
        }
        if self.remotes.is_empty() && self.early.is_empty() && !self.config.lite {
            return;
        }
        self.list = Some(CheckList::new(self.role, &self.locals, &self.remotes));
        self.started = Some(now);
        self.next_check = Some(now);
        self.set_state(IceState::Checking);
        for e in std::mem::take(&mut self.early) {
            self.checked_by_peer(now, e);
        }
    }

    /// Sends the request just built in `self.buf` as transaction `id`.
    fn send(&mut self, now: Instant, id: TransactionId, to: SocketAddr, pending: Pending) {
        let request = Bytes::copy_from_slice(&self.buf);
        if self
            .client
            .send_request(now, to, Transport::Udp, request)
            .is_ok()
        {
            self.pending.insert(id, pending);
        }
        self.pump();
    }

    /// Moves the client's datagrams out, from the base each request belongs to.
    fn pump(&mut self) {
        while let Some(t) = self.client.poll_transmit() {
            if let Some(p) = self.pending.get(&t.id) {
                self.transmits.push_back(Transmit {
                    from: p.base,
                    to: t.destination,
                    payload: t.payload,
                });
            }
        }
    }

    /// The PRIORITY of a check from `local`: what a peer reflexive candidate learnt from it
    /// would have (RFC 8445 §7.1.1).
    fn check_priority(local: &Candidate) -> u32 {
        let local_pref = u16::try_from((local.priority >> 8) & 0xffff).unwrap_or(u16::MAX);
        priority(
            type_preference(CandidateType::PeerReflexive),
            local_pref,
            local.component,
        )
    }

    /// Sends a connectivity check or a consent check (which is one without USE-CANDIDATE)
    /// from `base` to `to`, protected with the peer's password.
    fn send_binding(
        &mut self,
        now: Instant,
        base: SocketAddr,
        to: SocketAddr,
        component: u16,
        purpose: Purpose,
    ) {
        let Some(remote) = self.remote.as_ref() else {
            return;
        };
        let Some(local) = self
            .locals
            .iter()
            .find(|c| c.base == base && c.component == component)
        else {
            return;
        };
        let prio = Self::check_priority(local);
        let username = format!("{}:{}", remote.ufrag, self.ufrag);
        let id = self.client.transaction_id();
        self.buf.clear();
        let mut b = MessageBuilder::new(&mut self.buf, MessageType::BINDING_REQUEST, id);
        b.username(&username).priority(prio);
        match self.role {
            Role::Controlling => b.ice_controlling(self.tie_breaker),
            Role::Controlled => b.ice_controlled(self.tie_breaker),
        };
        if purpose == (Purpose::Check { nominate: true }) {
            b.use_candidate();
        }
        b.message_integrity(&remote.key).fingerprint();
        if b.finish().is_err() {
            return;
        }
        self.send(
            now,
            id,
            to,
            Pending {
                base,
                to,
                component,
                purpose,
                priority: prio,
                role: self.role,
            },
        );
    }

    /// The next ordinary or triggered check, at the pace of Ta.
    fn ordinary_check(&mut self, now: Instant) {
        if self.config.lite {
            return;
        }
        let Some(list) = self.list.as_mut() else {
            return;
        };
        let Some(i) = list.next_check() else {
            return;
        };
        let pair = &list.pairs()[i];
        let (base, to, component) = (pair.local.base, pair.remote.address, pair.component());
        let nominate =
            self.role == Role::Controlling && self.config.nomination == Nomination::Aggressive;
        self.send_binding(now, base, to, component, Purpose::Check { nominate });
    }

    /// Regular nomination: once a component has a valid pair and no better one can still
    /// succeed (or [`NOMINATION_WAIT`] passed), check its best valid pair again with
    /// USE-CANDIDATE.
    fn nominate_if_ready(&mut self, now: Instant) {
        if self.role != Role::Controlling || self.config.lite {
            return;
        }
        let Some(list) = self.list.as_ref() else {
            return;
        };
        let mut due = Vec::new();
        for component in 1..=self.config.components {
            if self.nominating.contains_key(&component) || list.selected(component).is_some() {
                continue;
            }
            let Some(best) = list.best_valid(component) else {
                continue;
            };
            let first = *self.first_valid.entry(component).or_insert(now);
            let best_prio = list.pairs()[best].priority(self.role);
            let better_pending = list.pairs().iter().any(|p| {
                p.component() == component
                    && p.priority(self.role) > best_prio
                    && matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::InProgress
                    )
            });
            if !better_pending || now >= first + NOMINATION_WAIT {
                let p = &list.pairs()[best];
                due.push((component, p.local.base, p.remote.address));
            }
        }
        for (component, base, to) in due {
            self.nominating.insert(component, (base, to));
            self.send_binding(now, base, to, component, Purpose::Check { nominate: true });
        }
    }

    fn on_request(&mut self, now: Instant, base: SocketAddr, source: SocketAddr, m: &Message<'_>) {
        if !self
            .locals
            .iter()
            .any(|c| c.base == base && c.kind == CandidateType::Host)
        {
            return;
        }
        let prefix = format!("{}:", self.ufrag);
        let key = self.key.clone();
        let verdict = check_request(m, |user| user.starts_with(&prefix).then_some(&key));
        let mut out = Vec::new();
        match verdict {
            Verdict::Discard => return,
            Verdict::Reject { .. } => {
                if let Some(Ok(_)) = verdict.respond(&mut out, m) {
                    self.reply(base, source, out);
                }
                return;
            }
            Verdict::Accept { .. } => {}
        }
        // RFC 8445 §7.3.1.1: role conflicts. A lite agent stays controlled.
        let conflict = match self.role {
            _ if self.config.lite => None,
            Role::Controlling => m.ice_controlling().ok().flatten().map(|theirs| {
                if self.tie_breaker >= theirs {
                    true
                } else {
                    self.switch_role(Role::Controlled);
                    false
                }
            }),
            Role::Controlled => m.ice_controlled().ok().flatten().map(|theirs| {
                if self.tie_breaker >= theirs {
                    self.switch_role(Role::Controlling);
                    false
                } else {
                    true
                }
            }),
        };
        if conflict == Some(true) {
            if error_response(&mut out, m, 487, &[], Some(&key)).is_ok() {
                self.reply(base, source, out);
            }
            return;
        }
        if success_response(&mut out, m, source, Some(&key)).is_ok() {
            self.reply(base, source, out);
        }
        let priority = m.priority().ok().flatten().unwrap_or(0);
        let early = PeerCheck {
            base,
            source,
            priority,
            nominate: m.use_candidate() && self.role == Role::Controlled,
        };
        if self.list.is_none() {
            if self.early.len() < MAX_EARLY {
                self.early.push(early);
            }
            return;
        }
        self.checked_by_peer(now, early);
    }

    /// A check from the peer on (`base`, `source`): a peer reflexive remote candidate when
    /// the source is new, a triggered check (full agents), and a nomination when it says so.
    fn checked_by_peer(&mut self, now: Instant, e: PeerCheck) {
        let Some(component) = self
            .locals
            .iter()
            .find(|c| c.base == e.base)
            .map(|c| c.component)
        else {
            return;
        };
        let known = self
            .remotes
            .iter()
            .any(|r| r.address == e.source && r.component == component);
        if !known && e.priority > 0 && self.remotes.len() < MAX_REMOTE {
            let foundation =
                self.foundations
                    .get(&CandidateType::PeerReflexive, e.source.ip(), Some(e.source));
            let candidate = Candidate {
                kind: CandidateType::PeerReflexive,
                component,
                address: e.source,
                base: e.source,
                related: None,
                priority: e.priority,
                foundation: format!("r{foundation}"),
            };
            if let Some(list) = self.list.as_mut() {
                list.add_remote(&self.locals, &candidate);
            }
            self.remotes.push(candidate);
        }
        let Some(list) = self.list.as_mut() else {
            return;
        };
        let Some(i) = list.find(e.base, e.source, component) else {
            return;
        };
        if self.config.lite {
            // A lite agent's pairs are valid when the peer checks them; a nomination selects.
            list.succeeded(i, i, e.nominate);
        } else {
            if e.nominate {
                if list.pairs()[i].state == PairState::Succeeded {
                    list.nominate(i);
                } else {
                    let key = (e.base, e.source, component);
                    if !self.nominated_early.contains(&key)
                        && self.nominated_early.len() < MAX_EARLY
                    {
                        self.nominated_early.push(key);
                    }
                }
            }
            list.trigger(i);
        }
        self.update_selection(now);
    }

    fn reply(&mut self, base: SocketAddr, to: SocketAddr, payload: Vec<u8>) {
        self.transmits.push_back(Transmit {
            from: base,
            to,
            payload: Bytes::from(payload),
        });
    }

    fn on_response(&mut self, now: Instant, base: SocketAddr, source: SocketAddr, m: &Message<'_>) {
        let id = m.transaction_id();
        let Some(p) = self.pending.get(&id).copied() else {
            return;
        };
        if m.has_fingerprint() && m.verify_fingerprint().is_err() {
            return;
        }
        if p.purpose != Purpose::Gather {
            // Responses to checks are protected with the peer's password (RFC 8445 §7.2.5.1);
            // anything else is dropped as if never received.
            let Some(remote) = self.remote.as_ref() else {
                return;
            };
            if m.verify_integrity(&remote.key).is_err() {
                return;
            }
        }
        // RFC 8445 §7.2.5.2.1: a response from elsewhere than the request went fails the check.
        if source != p.to || base != p.base {
            self.client.cancel(id);
            self.pending.remove(&id);
            self.check_failed(now, p);
            return;
        }
        self.client.handle_response(now, m);
    }

    /// Takes the ended transactions, then re-evaluates what follows from them.
    fn after_input(&mut self, now: Instant) {
        while let Some(event) = self.client.poll_event() {
            let Some(p) = self.pending.remove(&event.id) else {
                continue;
            };
            match event.outcome {
                Outcome::Success(response) => self.succeeded(now, p, &response.message()),
                Outcome::ErrorResponse { code: 487, .. }
                    if matches!(p.purpose, Purpose::Check { .. }) =>
                {
                    // §7.2.5.1: take the role the request was not sent in, and check the pair
                    // again.
                    let other = match p.role {
                        Role::Controlling => Role::Controlled,
                        Role::Controlled => Role::Controlling,
                    };
                    self.switch_role(other);
                    if let Some(list) = self.list.as_mut() {
                        if let Some(i) = list.find(p.base, p.to, p.component) {
                            list.retry(i);
                        }
                    }
                    self.nominating.remove(&p.component);
                }
                Outcome::ErrorResponse { .. } | Outcome::Timeout => self.check_failed(now, p),
            }
        }
        if self.state == IceState::Gathering {
            self.gathering_done(now);
        }
        self.update_selection(now);
        self.check_exhausted(now);
        self.pump();
    }

    fn succeeded(&mut self, now: Instant, p: Pending, response: &Message<'_>) {
        let mapped = response.xor_mapped_address().ok().flatten();
        match p.purpose {
            Purpose::Gather => {
                let Some(mapped) = mapped else {
                    return;
                };
                if self
                    .locals
                    .iter()
                    .any(|c| c.address == mapped && c.component == p.component)
                {
                    return;
                }
                let local_pref = self
                    .locals
                    .iter()
                    .find(|c| c.base == p.base)
                    .map_or(u16::MAX, |c| {
                        u16::try_from((c.priority >> 8) & 0xffff).unwrap_or(0)
                    });
                let foundation =
                    self.foundations
                        .get(&CandidateType::ServerReflexive, p.base.ip(), Some(p.to));
                let c = Candidate::server_reflexive(
                    mapped,
                    p.base,
                    p.component,
                    local_pref,
                    foundation,
                );
                self.locals.push(c.clone());
                self.events.push_back(IceEvent::CandidateGathered(c));
            }
            Purpose::Consent => {
                if let Some(c) = self.consent.get_mut(&p.component) {
                    c.last_ok = now;
                }
            }
            Purpose::Check { nominate } => {
                // §7.2.5.3.1: a mapped address we do not know is a peer reflexive candidate.
                if let Some(mapped) = mapped {
                    if !self
                        .locals
                        .iter()
                        .any(|c| c.address == mapped && c.component == p.component)
                    {
                        let foundation =
                            self.foundations
                                .get(&CandidateType::PeerReflexive, p.base.ip(), None);
                        let c = Candidate {
                            kind: CandidateType::PeerReflexive,
                            component: p.component,
                            address: mapped,
                            base: p.base,
                            related: Some(p.base),
                            priority: p.priority,
                            foundation,
                        };
                        self.locals.push(c.clone());
                        self.events.push_back(IceEvent::CandidateGathered(c));
                    }
                }
                let Some(list) = self.list.as_mut() else {
                    return;
                };
                let Some(i) = list.find(p.base, p.to, p.component) else {
                    return;
                };
                let key = (p.base, p.to, p.component);
                let told = self.nominated_early.contains(&key);
                let nominated = (nominate && self.role == Role::Controlling)
                    || (told && self.role == Role::Controlled);
                list.succeeded(i, i, nominated);
                if told {
                    self.nominated_early.retain(|k| *k != key);
                }
                if nominate {
                    self.nominating.remove(&p.component);
                }
                self.first_valid.entry(p.component).or_insert(now);
            }
        }
    }

    fn check_failed(&mut self, now: Instant, p: Pending) {
        let Purpose::Check { nominate } = p.purpose else {
            // Gathering goes on without that server; consent is judged by its last success.
            return;
        };
        if nominate {
            // RFC 8445 §8.1.1: the controlling agent may nominate again; the pair stays
            // valid, its earlier check having succeeded.
            self.nominating.remove(&p.component);
        }
        if let Some(list) = self.list.as_mut() {
            if let Some(i) = list.find(p.base, p.to, p.component) {
                if !(nominate && list.pairs()[i].valid) {
                    list.failed(i);
                }
            }
        }
        self.check_exhausted(now);
    }

    /// Selected pairs from the check list: events, consent, completion.
    fn update_selection(&mut self, now: Instant) {
        let Some(list) = self.list.as_ref() else {
            return;
        };
        let mut changed = Vec::new();
        for component in 1..=self.config.components {
            let Some(i) = list.selected(component) else {
                continue;
            };
            let p = &list.pairs()[i];
            let pair = (p.local.clone(), p.remote.clone());
            if self.selected.get(&component) != Some(&pair) {
                changed.push((component, pair));
            }
        }
        for (component, (local, remote)) in changed {
            self.selected
                .insert(component, (local.clone(), remote.clone()));
            self.events.push_back(IceEvent::Selected {
                component,
                local,
                remote,
            });
            if !self.config.lite {
                let next = now + self.consent_delay();
                self.consent
                    .insert(component, Consent { last_ok: now, next });
            }
        }
        let all = (1..=self.config.components)
            .all(|c| self.list.as_ref().is_some_and(|l| l.selected(c).is_some()));
        if all && self.state == IceState::Checking {
            let duration = self
                .started
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
            let chosen = self.selected.values().cloned().collect();
            self.set_state(IceState::Completed);
            self.events
                .push_back(IceEvent::Completed { duration, chosen });
        }
    }

    /// A full agent whose checks are all done without a valid pair for some component fails.
    fn check_exhausted(&mut self, now: Instant) {
        if self.state != IceState::Checking || self.config.lite {
            return;
        }
        let Some(list) = self.list.as_ref() else {
            return;
        };
        let in_flight = self
            .pending
            .values()
            .any(|p| matches!(p.purpose, Purpose::Check { .. }));
        if !list.exhausted() || in_flight {
            return;
        }
        let missing = (1..=self.config.components).any(|c| list.best_valid(c).is_none());
        if missing {
            self.fail(now, "no candidate pair works");
        }
    }

    fn fail(&mut self, now: Instant, reason: &str) {
        if matches!(self.state, IceState::Failed | IceState::Completed) {
            return;
        }
        let duration = self
            .started
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        self.set_state(IceState::Failed);
        self.events.push_back(IceEvent::Failed {
            reason: reason.to_owned(),
            duration,
        });
    }

    /// RFC 7675 §5.1: the interval randomised to 0.8–1.2 times.
    fn consent_delay(&mut self) -> Duration {
        let id = self.client.transaction_id();
        let r = u32::from(u16::from_le_bytes([id.0[0], id.0[1]])) % 401;
        self.config.consent_interval * (800 + r) / 1000
    }

    /// Consent checks on the selected pairs, and consent lost after the timeout.
    fn consent_tick(&mut self, now: Instant) {
        if self.config.lite || self.remote.is_none() {
            return;
        }
        let components: Vec<u16> = self.consent.keys().copied().collect();
        for component in components {
            let Some(c) = self.consent.get(&component).copied() else {
                continue;
            };
            if now >= c.last_ok + self.config.consent_timeout {
                self.consent.remove(&component);
                self.events.push_back(IceEvent::ConsentLost { component });
                self.set_state(IceState::Failed);
                continue;
            }
            if now >= c.next {
                let delay = self.consent_delay();
                if let Some(c) = self.consent.get_mut(&component) {
                    c.next = now + delay;
                }
                if let Some((local, remote)) = self.selected.get(&component).cloned() {
                    self.send_binding(now, local.base, remote.address, component, Purpose::Consent);
                }
            }
        }
    }
}
