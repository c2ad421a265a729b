//! Sessions between two applications over real loopback sockets: a call rings, is accepted,
//! carries its negotiated streams and is hung up from either side; a busy callee, a caller
//! who gives up, and TCP. Every notification the seed lists for these flows arrives in order
//! with its data.

use std::sync::Arc;
use std::time::Duration;

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::{Notification, Observer};
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::session::{MediaStream, SessionState, SignalingStream};
use sipsimple::{Session, SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);
const TRANSACTION: &str = "SIPSessionDidProcessTransaction";

struct Party {
    app: SipApplication,
    events: Observer,
    /// `SIPSessionDidProcessTransaction` alone; the other session notifications leave it out.
    transactions: Observer,
}

/// An application with one account that does not register and sends everything to
/// `proxy` (the other party), on `transport`.
fn party(user: &str, transport: &str) -> Party {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let transactions = app.notification_center().observe(Some(TRANSACTION), None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": [transport]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    let mut settings = AccountSettings::new(AccountId::new(format!("{user}@example.com")).unwrap());
    settings.enabled = true;
    settings.display_name = Some(user.to_owned());
    settings.sip.register = false;
    app.account_manager().add_account(settings).unwrap();
    Party {
        app,
        events,
        transactions,
    }
}

/// Points `from`'s account at `to`'s address.
fn route(from: &Party, to: &Party, user: &str, transport: TransportKind) {
    let account = from
        .app
        .account_manager()
        .get_account(&format!("{user}@example.com"))
        .unwrap();
    let mut settings = account.settings().unwrap();
    let address = to.app.local_address(transport).unwrap();
    let param = match transport {
        TransportKind::Tcp => ";transport=tcp",
        _ => "",
    };
    settings.sip.outbound_proxy = Some(format!("sip:{address}{param}"));
    account.save(&settings).unwrap();
}

/// The session notifications among everything received, until `last`.
fn session_names_until(events: &Observer, last: &str) -> Vec<Notification> {
    let mut seen = Vec::new();
    loop {
        let n = events
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no {last}; got {:?}", names(&seen)));
        let done = &*n.name == last;
        if n.name.starts_with("SIPSession") && &*n.name != TRANSACTION {
            seen.push(n);
        }
        if done {
            return seen;
        }
    }
}

/// The data of the next `n` `SIPSessionDidProcessTransaction` notifications.
fn transactions(party: &Party, n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|_| serde_json::Value::Object(party.transactions.recv_timeout(WAIT).unwrap().data))
        .collect()
}

fn names(ns: &[Notification]) -> Vec<String> {
    ns.iter().map(|n| n.name.to_string()).collect()
}

fn stream() -> (Arc<SignalingStream>, Vec<Arc<dyn MediaStream>>) {
    let s = Arc::new(SignalingStream::audio(40_000));
    let list: Vec<Arc<dyn MediaStream>> = vec![s.clone()];
    (s, list)
}

/// Alice calls Bob; returns both sessions once Bob has seen the call.
fn call(alice: &Party, bob: &Party, streams: Vec<Arc<dyn MediaStream>>) -> (Session, Session) {
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let outgoing = Session::new(&account);
    outgoing
        .connect("\"Bob\" <sip:bob@example.com>", streams)
        .unwrap();
    let incoming = bob.events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    assert_eq!(
        incoming.get("streams").unwrap(),
        &serde_json::json!(["audio"])
    );
    let id = incoming.get_u64("session").unwrap();
    let session = bob.app.session_manager().get(id).unwrap();
    assert_eq!(incoming.sender, session.sender_id());
    (outgoing, session)
}

fn call_and_hang_up(transport: TransportKind, callee_hangs_up: bool) {
    let name = if transport == TransportKind::Tcp {
        "tcp"
    } else {
        "udp"
    };
    let alice = party("alice", name);
    let bob = party("bob", name);
    route(&alice, &bob, "alice", transport);
    route(&bob, &alice, "bob", transport);
    let (alice_stream, alice_streams) = stream();
    let (bob_stream, bob_streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, alice_streams);
    assert_eq!(incoming.state(), SessionState::Incoming);
    assert_eq!(incoming.proposed_stream_types(), ["audio"]);
    assert!(incoming
        .remote_identity()
        .unwrap()
        .contains("sip:alice@example.com"));

    incoming.send_ring_indication().unwrap();
    let ringing = session_names_until(&alice.events, "SIPSessionGotRingIndication");
    assert_eq!(
        names(&ringing),
        [
            "SIPSessionNewOutgoing",
            "SIPSessionGotProvisionalResponse",
            "SIPSessionGotRingIndication",
        ]
    );
    assert_eq!(ringing[1].get_u64("code"), Some(180));
    assert!(ringing.iter().all(|n| n.sender == outgoing.sender_id()));
    incoming.accept(bob_streams).unwrap();

    let caller = names(&session_names_until(&alice.events, "SIPSessionDidStart"));
    assert_eq!(caller, ["SIPSessionWillStart", "SIPSessionDidStart"]);
    let started = session_names_until(&bob.events, "SIPSessionDidStart");
    assert_eq!(
        names(&started),
        ["SIPSessionWillStart", "SIPSessionDidStart"]
    );
    assert_eq!(
        started[1].get("streams").unwrap(),
        &serde_json::json!(["audio"])
    );
    assert_eq!(outgoing.state(), SessionState::Connected);
    assert_eq!(incoming.state(), SessionState::Connected);
    assert_eq!((alice_stream.started(), bob_stream.started()), (1, 1));
    assert_eq!(outgoing.transport(), Some(name));
    assert_eq!(
        bob.app.session_manager().sessions(),
        std::slice::from_ref(&incoming)
    );

    let (ender, other) = if callee_hangs_up {
        (&incoming, &outgoing)
    } else {
        (&outgoing, &incoming)
    };
    ender.end().unwrap();
    let (ender_events, other_events) = if callee_hangs_up {
        (&bob.events, &alice.events)
    } else {
        (&alice.events, &bob.events)
    };
    let mine = session_names_until(ender_events, "SIPSessionDidEnd");
    assert_eq!(names(&mine), ["SIPSessionWillEnd", "SIPSessionDidEnd"]);
    assert_eq!(mine[1].get_str("originator"), Some("local"));
    let theirs = session_names_until(other_events, "SIPSessionDidEnd");
    assert_eq!(names(&theirs), ["SIPSessionWillEnd", "SIPSessionDidEnd"]);
    assert_eq!(theirs[1].get_str("originator"), Some("remote"));
    assert_eq!(ender.state(), SessionState::Terminated);
    assert_eq!(other.state(), SessionState::Terminated);
    assert_eq!((alice_stream.ended(), bob_stream.ended()), (1, 1));
    assert!(bob.app.session_manager().sessions().is_empty());
    let bye = |hangs_up: bool| {
        let who = if hangs_up { "local" } else { "remote" };
        serde_json::json!({"originator": who, "method": "BYE", "code": 200, "reason": "OK"})
    };
    // The 180 went reliably (both sides offer 100rel): its PRACK is a transaction too.
    let prack = |who: &str| serde_json::json!({"originator": who, "method": "PRACK", "code": 200, "reason": "OK"});
    // The PRACK and the INVITE may complete in either order.
    let sorted = |mut v: Vec<serde_json::Value>| {
        v.sort_by_key(|t| t["method"].as_str().map(str::to_owned));
        v
    };
    assert_eq!(
        sorted(transactions(&alice, 3)),
        [
            bye(!callee_hangs_up),
            serde_json::json!({"originator": "local", "method": "INVITE", "code": 200,
                "reason": "OK", "ack_received": "unknown"}),
            prack("local"),
        ]
    );
    assert_eq!(
        sorted(transactions(&bob, 3)),
        [
            bye(callee_hangs_up),
            serde_json::json!({"originator": "remote", "method": "INVITE", "code": 200,
                "reason": "OK", "ack_received": true}),
            prack("remote"),
        ]
    );
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn a_call_over_udp_hung_up_by_the_caller() {
    call_and_hang_up(TransportKind::Udp, false);
}

#[test]
fn a_call_over_tcp_hung_up_by_the_callee() {
    call_and_hang_up(TransportKind::Tcp, true);
}

#[test]
fn a_busy_callee_fails_the_call_on_both_sides() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    let (_, streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, streams);
    incoming.reject(486, None).unwrap();
    let failed = alice.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(failed.get_str("originator"), Some("remote"));
    assert_eq!(failed.get_u64("code"), Some(486));
    assert_eq!(failed.get_str("reason"), Some("Busy Here"));
    let theirs = bob.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(theirs.get_str("originator"), Some("local"));
    assert_eq!(theirs.get_u64("code"), Some(486));
    assert_eq!(outgoing.state(), SessionState::Terminated);
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn a_caller_who_gives_up_cancels() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    let (stream, streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, streams);
    incoming.send_ring_indication().unwrap();
    alice
        .events
        .wait_for("SIPSessionGotRingIndication", WAIT)
        .unwrap();
    outgoing.end().unwrap();
    let failed = alice.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(failed.get_u64("code"), Some(487));
    assert_eq!(failed.get_str("originator"), Some("local"));
    let theirs = bob.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(theirs.get_str("originator"), Some("remote"));
    assert_eq!(incoming.state(), SessionState::Terminated);
    // It never started, so it never ended either.
    assert_eq!((stream.started(), stream.ended()), (0, 1));
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn commands_out_of_place_are_errors() {
    let alice = party("alice", "udp");
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let session = Session::new(&account);
    assert!(session.accept(stream().1).is_err());
    assert!(session.reject(486, None).is_err());
    assert!(session.connect("sip:bob@example.com", Vec::new()).is_err());
    alice.app.stop_and_wait();
}

#[test]
fn hold_and_unhold_from_each_side() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    route(&bob, &alice, "bob", TransportKind::Udp);
    let (_, alice_streams) = stream();
    let (_, bob_streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, alice_streams);
    incoming.accept(bob_streams).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();

    for (holder, holder_events, held, held_events) in [
        (&outgoing, &alice.events, &incoming, &bob.events),
        (&incoming, &bob.events, &outgoing, &alice.events),
    ] {
        holder.hold().unwrap();
        let mine = holder_events
            .wait_for("SIPSessionDidChangeHoldState", WAIT)
            .unwrap();
        assert_eq!(mine.get_str("originator"), Some("local"));
        assert_eq!(mine.get("on_hold"), Some(&serde_json::json!(true)));
        let theirs = held_events
            .wait_for("SIPSessionDidChangeHoldState", WAIT)
            .unwrap();
        assert_eq!(theirs.get_str("originator"), Some("remote"));
        assert_eq!(theirs.get("on_hold"), Some(&serde_json::json!(true)));
        assert!(holder.on_hold() && held.on_hold());

        holder.unhold().unwrap();
        let mine = holder_events
            .wait_for("SIPSessionDidChangeHoldState", WAIT)
            .unwrap();
        assert_eq!(mine.get("on_hold"), Some(&serde_json::json!(false)));
        let theirs = held_events
            .wait_for("SIPSessionDidChangeHoldState", WAIT)
            .unwrap();
        assert_eq!(theirs.get("on_hold"), Some(&serde_json::json!(false)));
        assert!(!holder.on_hold() && !held.on_hold());
    }
    outgoing.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn streams_are_added_accepted_removed_and_refused() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    route(&bob, &alice, "bob", TransportKind::Udp);
    let (_, alice_streams) = stream();
    let (_, bob_streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, alice_streams);
    incoming.accept(bob_streams).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();

    // Alice adds a second audio stream; Bob accepts it with one of his own.
    let alice_extra: Arc<dyn MediaStream> = Arc::new(SignalingStream::audio(40_002));
    let bob_extra = Arc::new(SignalingStream::audio(40_004));
    outgoing.add_stream(Arc::clone(&alice_extra)).unwrap();
    let proposed = alice
        .events
        .wait_for("SIPSessionGotProposal", WAIT)
        .unwrap();
    assert_eq!(proposed.get_str("originator"), Some("local"));
    assert_eq!(outgoing.state(), SessionState::SendingProposal);
    let theirs = bob.events.wait_for("SIPSessionGotProposal", WAIT).unwrap();
    assert_eq!(theirs.get_str("originator"), Some("remote"));
    assert_eq!(incoming.state(), SessionState::ReceivedProposal);
    assert_eq!(incoming.state().as_str(), "received_proposal");
    assert_eq!(
        theirs.get("streams").unwrap(),
        &serde_json::json!(["audio"])
    );
    incoming
        .accept_proposal(vec![bob_extra.clone() as Arc<dyn MediaStream>])
        .unwrap();
    for events in [&alice.events, &bob.events] {
        let accepted = events
            .wait_for("SIPSessionGotAcceptProposal", WAIT)
            .unwrap();
        assert_eq!(
            accepted.get("streams").unwrap(),
            &serde_json::json!(["audio"])
        );
        let added = events
            .wait_for("SIPSessionDidRenegotiateStreams", WAIT)
            .unwrap();
        assert_eq!(added.get_str("action"), Some("add"));
    }
    assert_eq!(outgoing.streams().len(), 2);
    assert_eq!(incoming.streams().len(), 2);
    assert_eq!(bob_extra.started(), 1);

    // Alice removes it again: both sides drop it.
    outgoing.remove_stream(&alice_extra).unwrap();
    for events in [&alice.events, &bob.events] {
        let removed = events
            .wait_for("SIPSessionDidRenegotiateStreams", WAIT)
            .unwrap();
        assert_eq!(removed.get_str("action"), Some("remove"));
    }
    assert_eq!(outgoing.streams().len(), 1);
    assert_eq!(incoming.streams().len(), 1);
    assert_eq!(bob_extra.ended(), 1);

    // A proposal Bob refuses.
    outgoing
        .add_stream(Arc::new(SignalingStream::audio(40_006)))
        .unwrap();
    bob.events.wait_for("SIPSessionGotProposal", WAIT).unwrap();
    incoming.reject_proposal(488, None).unwrap();
    let refused = alice
        .events
        .wait_for("SIPSessionGotRejectProposal", WAIT)
        .unwrap();
    assert_eq!(refused.get_u64("code"), Some(488));
    assert_eq!(refused.get_str("originator"), Some("local"));
    assert_eq!(outgoing.streams().len(), 1);

    // A proposal Alice cancels before Bob answers: 487 on both sides.
    let cancelled = Arc::new(SignalingStream::audio(40_008));
    outgoing
        .add_stream(cancelled.clone() as Arc<dyn MediaStream>)
        .unwrap();
    bob.events.wait_for("SIPSessionGotProposal", WAIT).unwrap();
    outgoing.cancel_proposal().unwrap();
    // The originator is the side that proposed.
    for (events, who) in [(&alice.events, "local"), (&bob.events, "remote")] {
        let refused = events
            .wait_for("SIPSessionGotRejectProposal", WAIT)
            .unwrap();
        assert_eq!(refused.get_u64("code"), Some(487));
        assert_eq!(refused.get_str("reason"), Some("Request Terminated"));
        assert_eq!(
            refused.get("streams").unwrap(),
            &serde_json::json!(["audio"])
        );
        assert_eq!(refused.get_str("originator"), Some(who));
    }
    assert_eq!(cancelled.ended(), 1);
    assert_eq!((outgoing.streams().len(), incoming.streams().len()), (1, 1));
    // Bob can no longer answer it; the call goes on.
    assert_eq!(incoming.state(), SessionState::Connected);
    assert!(incoming.accept_proposal(Vec::new()).is_err());
    assert_eq!(outgoing.state(), SessionState::Connected);

    outgoing.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn the_registry_makes_the_proposed_streams_of_an_incoming_call() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    bob.app.media_stream_registry().register(Arc::new(
        sipsimple::session::SignalingStreamFactory::new(42_000),
    ));
    route(&alice, &bob, "alice", TransportKind::Udp);
    let (_, streams) = stream();
    let (_, incoming) = call(&alice, &bob, streams);
    let proposed = incoming.proposed_streams();
    assert_eq!(proposed.len(), 1);
    assert_eq!(proposed[0].stream_type(), "audio");
    incoming.accept(proposed).unwrap();
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    assert_eq!(incoming.streams().len(), 1);
    incoming.end().unwrap();
    alice.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();

    // Without a registered kind nothing is proposed: the application brings its streams.
    let carol = party("carol", "udp");
    route(&alice, &carol, "alice", TransportKind::Udp);
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    Session::new(&account)
        .connect("sip:carol@example.com", stream().1)
        .unwrap();
    let offered = carol
        .events
        .wait_for("SIPSessionNewIncoming", WAIT)
        .unwrap();
    let session = carol
        .app
        .session_manager()
        .get(offered.get_u64("session").unwrap())
        .unwrap();
    assert!(session.proposed_streams().is_empty());
    session.reject(603, None).unwrap();
    alice.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    for app in [&alice.app, &bob.app, &carol.app] {
        app.stop_and_wait();
    }
}

/// The notifications of `stream` among everything `events` receives until `last` (from it).
fn stream_names_until(events: &Observer, stream: &Arc<dyn MediaStream>, last: &str) -> Vec<String> {
    let sender = sipsimple::session::stream_sender(stream);
    let mut seen = Vec::new();
    loop {
        let n = events
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no {last}; got {seen:?}"));
        if n.sender == sender {
            seen.push(n.name.to_string());
            if &*n.name == last {
                return seen;
            }
        }
    }
}

#[test]
fn streams_hear_of_their_life_and_of_holds() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    route(&bob, &alice, "bob", TransportKind::Udp);
    let alice_stream = Arc::new(SignalingStream::audio(40_010));
    let bob_stream = Arc::new(SignalingStream::audio(40_012));
    let alice_dyn: Arc<dyn MediaStream> = alice_stream.clone();
    let (outgoing, incoming) = call(&alice, &bob, vec![Arc::clone(&alice_dyn)]);
    incoming
        .accept(vec![bob_stream.clone() as Arc<dyn MediaStream>])
        .unwrap();
    assert_eq!(
        stream_names_until(&alice.events, &alice_dyn, "MediaStreamDidStart"),
        ["MediaStreamDidInitialize", "MediaStreamDidStart"]
    );
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    assert!(alice_stream.hold_supported());

    outgoing.hold().unwrap();
    alice
        .events
        .wait_for("SIPSessionDidChangeHoldState", WAIT)
        .unwrap();
    bob.events
        .wait_for("SIPSessionDidChangeHoldState", WAIT)
        .unwrap();
    assert!(alice_stream.on_hold_by_local() && !alice_stream.on_hold_by_remote());
    assert!(bob_stream.on_hold_by_remote() && !bob_stream.on_hold_by_local());
    assert!(bob_stream.on_hold());
    assert!(bob_stream.updated() >= 1);
    outgoing.unhold().unwrap();
    bob.events
        .wait_for("SIPSessionDidChangeHoldState", WAIT)
        .unwrap();
    assert!(!alice_stream.on_hold() && !bob_stream.on_hold());

    outgoing.end().unwrap();
    assert_eq!(
        stream_names_until(&alice.events, &alice_dyn, "MediaStreamDidEnd"),
        ["MediaStreamWillEnd", "MediaStreamDidEnd"]
    );
    assert!(alice_stream.deactivated());
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

/// A stream that refuses to initialize, or every update, as told.
#[derive(Debug)]
struct Refusing {
    inner: SignalingStream,
    initialize: bool,
}

impl MediaStream for Refusing {
    fn stream_type(&self) -> &'static str {
        self.inner.stream_type()
    }

    fn get_local_media(
        &self,
        address: std::net::IpAddr,
    ) -> sipsimple::proto::sdp::negotiation::LocalStream {
        self.inner.get_local_media(address)
    }

    fn initialize(
        &self,
        _: &sipsimple::session::StreamContext,
        _: sipsimple::session::InitializeDone,
    ) -> sipsimple::session::Initialization {
        if self.initialize {
            sipsimple::session::Initialization::Ready
        } else {
            sipsimple::session::Initialization::Failed("no port".to_owned())
        }
    }

    fn start(&self, negotiated: &sipsimple::proto::sdp::negotiation::AcceptedStream) {
        self.inner.start(negotiated);
    }

    fn validate_update(&self, _: &sipsimple::proto::sdp::MediaDescription) -> bool {
        false
    }

    fn end(&self) {
        self.inner.end();
    }
}

#[test]
fn a_stream_refusing_an_update_refuses_the_reoffer() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    route(&bob, &alice, "bob", TransportKind::Udp);
    let (_, alice_streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, alice_streams);
    let picky: Arc<dyn MediaStream> = Arc::new(Refusing {
        inner: SignalingStream::audio(40_014),
        initialize: true,
    });
    incoming.accept(vec![picky]).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    outgoing.hold().unwrap();
    let refused = loop {
        let n = bob.transactions.recv_timeout(WAIT).unwrap();
        if n.get_u64("code") != Some(200) {
            break n;
        }
    };
    assert_eq!(refused.get_u64("code"), Some(488));
    assert_eq!(refused.get_str("method"), Some("INVITE"));
    assert!(!incoming.on_hold());
    outgoing.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn a_stream_that_cannot_initialize_is_left_out() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let broken: Arc<dyn MediaStream> = Arc::new(Refusing {
        inner: SignalingStream::audio(40_016),
        initialize: false,
    });
    let session = Session::new(&account);
    session
        .connect("sip:bob@example.com", vec![Arc::clone(&broken)])
        .unwrap();
    let failed = alice.events.wait_for("MediaStreamDidFail", WAIT).unwrap();
    assert_eq!(failed.sender, sipsimple::session::stream_sender(&broken));
    assert_eq!(failed.get_str("reason"), Some("no port"));
    let ended = alice.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(ended.get_u64("code"), Some(488));
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn connect_options_and_the_remote_user_agent() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    // No outbound proxy and a callee host that resolves nowhere: the route given is used.
    let mut settings = account.settings().unwrap();
    settings.sip.outbound_proxy = None;
    account.save(&settings).unwrap();
    let bob_address = bob.app.local_address(TransportKind::Udp).unwrap();
    let outgoing = Session::new(&account);
    outgoing
        .connect_with(
            "sip:bob@nowhere.invalid",
            stream().1,
            sipsimple::session::ConnectOptions {
                routes: Some(vec![sipsimple::proto::request::Route {
                    destination: bob_address,
                    transport: TransportKind::Udp,
                }]),
                is_focus: true,
                subject: Some("Lunch\r\ntomorrow?".to_owned()),
            },
        )
        .unwrap();
    assert_eq!(outgoing.subject().as_deref(), Some("Lunch\r\ntomorrow?"));
    let n = bob.events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let incoming = bob
        .app
        .session_manager()
        .get(n.get_u64("session").unwrap())
        .unwrap();
    assert_eq!(incoming.subject().as_deref(), Some("Lunch  tomorrow?"));
    assert!(incoming.remote_focus(), "our Contact said isfocus");
    let agent = incoming
        .remote_user_agent()
        .expect("the INVITE names its software");
    assert!(agent.contains("sipsimple"), "{agent}");
    incoming.accept(stream().1).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    assert!(outgoing
        .remote_user_agent()
        .expect("the answer names its software")
        .contains("sipsimple"));
    outgoing.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

/// A stream that initializes later, when the test says (as one gathering ICE candidates
/// does); it records whether it was ended.
#[derive(Debug)]
struct Deferred {
    inner: SignalingStream,
    done: std::sync::Mutex<Option<sipsimple::session::InitializeDone>>,
}

impl Deferred {
    fn new(port: u16) -> Arc<Self> {
        Arc::new(Self {
            inner: SignalingStream::audio(port),
            done: std::sync::Mutex::new(None),
        })
    }

    /// The report handle, once the session has asked the stream to initialize.
    fn handle(&self) -> sipsimple::session::InitializeDone {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(done) = self.done.lock().unwrap().clone() {
                return done;
            }
            assert!(std::time::Instant::now() < deadline, "never initialized");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl MediaStream for Deferred {
    fn stream_type(&self) -> &'static str {
        self.inner.stream_type()
    }

    fn get_local_media(
        &self,
        address: std::net::IpAddr,
    ) -> sipsimple::proto::sdp::negotiation::LocalStream {
        self.inner.get_local_media(address)
    }

    fn initialize(
        &self,
        _: &sipsimple::session::StreamContext,
        done: sipsimple::session::InitializeDone,
    ) -> sipsimple::session::Initialization {
        *self.done.lock().unwrap() = Some(done);
        sipsimple::session::Initialization::Pending
    }

    fn start(&self, negotiated: &sipsimple::proto::sdp::negotiation::AcceptedStream) {
        self.inner.start(negotiated);
    }

    fn end(&self) {
        self.inner.end();
    }
}

/// Alice calls Bob with a [`Deferred`] stream on `port`; the INVITE waits for it.
fn deferred_call(port: u16) -> (Party, Party, Session, Arc<Deferred>, Arc<dyn MediaStream>) {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    let account = alice
        .app
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let slow = Deferred::new(port);
    let slow_dyn: Arc<dyn MediaStream> = slow.clone();
    let outgoing = Session::new(&account);
    outgoing
        .connect("sip:bob@example.com", vec![Arc::clone(&slow_dyn)])
        .unwrap();
    (alice, bob, outgoing, slow, slow_dyn)
}

#[test]
fn a_pending_initialization_holds_the_invite_and_the_answer_back() {
    let (alice, bob, _outgoing, slow, slow_dyn) = deferred_call(40_020);
    let done = slow.handle();
    // Nothing is sent while the stream initializes.
    assert!(bob
        .events
        .wait_for("SIPSessionNewIncoming", Duration::from_millis(300))
        .is_err());
    // Reported from another thread, as a stream's own work would.
    std::thread::spawn(move || done.succeeded()).join().unwrap();
    assert_eq!(
        stream_names_until(&alice.events, &slow_dyn, "MediaStreamDidInitialize"),
        ["MediaStreamDidInitialize"]
    );
    let incoming = bob.events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let session = bob
        .app
        .session_manager()
        .get(incoming.get_u64("session").unwrap())
        .unwrap();

    // Bob answers with a stream that also takes its time, then fails: no stream is left,
    // and the call is refused with 488.
    let bob_slow = Deferred::new(40_022);
    session
        .accept(vec![bob_slow.clone() as Arc<dyn MediaStream>])
        .unwrap();
    let bob_done = bob_slow.handle();
    assert!(alice
        .events
        .wait_for("SIPSessionDidStart", Duration::from_millis(300))
        .is_err());
    bob_done.failed("no candidates");
    bob_done.succeeded(); // Only the first report counts.
    let failed = bob.events.wait_for("MediaStreamDidFail", WAIT).unwrap();
    assert_eq!(failed.get_str("reason"), Some("no candidates"));
    let refused = alice.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(refused.get_u64("code"), Some(488));
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn ending_a_session_whose_streams_initialize_sends_nothing_and_ends_them() {
    let (alice, bob, outgoing, slow, _slow_dyn) = deferred_call(40_024);
    let done = slow.handle();
    outgoing.end().unwrap();
    let failed = alice.events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert_eq!(failed.get_u64("code"), Some(487));
    assert_eq!(failed.get_str("failure_reason"), Some("user_request"));
    assert_eq!(slow.inner.ended(), 1);
    // A report that comes after the session gave up changes nothing.
    done.succeeded();
    assert!(bob
        .events
        .wait_for("SIPSessionNewIncoming", Duration::from_millis(300))
        .is_err());
    assert_eq!(outgoing.state(), SessionState::Terminated);
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}

#[test]
fn a_stream_added_or_accepted_later_waits_for_its_initialization() {
    let alice = party("alice", "udp");
    let bob = party("bob", "udp");
    route(&alice, &bob, "alice", TransportKind::Udp);
    route(&bob, &alice, "bob", TransportKind::Udp);
    let (_, alice_streams) = stream();
    let (_, bob_streams) = stream();
    let (outgoing, incoming) = call(&alice, &bob, alice_streams);
    incoming.accept(bob_streams).unwrap();
    alice.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    bob.events.wait_for("SIPSessionDidStart", WAIT).unwrap();

    let alice_extra = Deferred::new(40_026);
    outgoing
        .add_stream(alice_extra.clone() as Arc<dyn MediaStream>)
        .unwrap();
    let done = alice_extra.handle();
    assert!(bob
        .events
        .wait_for("SIPSessionGotProposal", Duration::from_millis(300))
        .is_err());
    done.succeeded();
    bob.events.wait_for("SIPSessionGotProposal", WAIT).unwrap();

    let bob_extra = Deferred::new(40_028);
    incoming
        .accept_proposal(vec![bob_extra.clone() as Arc<dyn MediaStream>])
        .unwrap();
    let bob_done = bob_extra.handle();
    assert!(alice
        .events
        .wait_for("SIPSessionGotAcceptProposal", Duration::from_millis(300))
        .is_err());
    bob_done.succeeded();
    for events in [&alice.events, &bob.events] {
        events
            .wait_for("SIPSessionGotAcceptProposal", WAIT)
            .unwrap();
    }
    assert_eq!(outgoing.streams().len(), 2);
    assert_eq!(incoming.streams().len(), 2);
    assert_eq!(bob_extra.inner.started(), 1);
    outgoing.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(bob_extra.inner.ended(), 1);
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
}
