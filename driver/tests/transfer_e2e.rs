//! Call transfer among three applications over real loopback sockets: a blind transfer, an
//! attended transfer whose new call replaces the transferor's call with the target
//! (RFC 3891), and a refused one. Every `SIPSessionTransfer*` notification arrives on both
//! sides with its data, and the calls end up where RFC 5589 puts them.

use std::sync::Arc;
use std::time::Duration;

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::session::{
    Direction, MediaStream, SessionState, SignalingStream, SignalingStreamFactory, TransferState,
};
use sipsimple::{Session, SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);

struct Party {
    app: SipApplication,
    events: Observer,
    uri: String,
}

/// An application with one account that does not register and calls URIs directly; the
/// registry makes audio streams for offers and transfers.
fn party(user: &str, port_base: u16) -> Party {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": ["udp"]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    let mut settings = AccountSettings::new(AccountId::new(format!("{user}@example.com")).unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    app.account_manager().add_account(settings).unwrap();
    app.media_stream_registry()
        .register(Arc::new(SignalingStreamFactory::new(port_base)));
    let address = app.local_address(TransportKind::Udp).unwrap();
    Party {
        uri: format!("sip:{user}@{address}"),
        app,
        events,
    }
}

/// `from` calls `to` and `to` accepts; returns both sessions once started.
fn call(from: &Party, to: &Party) -> (Session, Session) {
    let account = from.app.account_manager().default_account().unwrap();
    let outgoing = Session::new(&account);
    let stream: Arc<dyn MediaStream> = Arc::new(SignalingStream::audio(41_000));
    outgoing.connect(&to.uri, vec![stream]).unwrap();
    let incoming = answer(to);
    from.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    (outgoing, incoming)
}

/// Answers the next incoming call of `party` with the streams the registry proposes.
fn answer(party: &Party) -> Session {
    let n = party
        .events
        .wait_for("SIPSessionNewIncoming", WAIT)
        .unwrap();
    let session = party
        .app
        .session_manager()
        .get(n.get_u64("session").unwrap())
        .unwrap();
    session.accept(session.proposed_streams()).unwrap();
    party.events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    session
}

fn stop(parties: &[&Party]) {
    for p in parties {
        p.app.stop_and_wait();
    }
}

#[test]
fn a_blind_transfer_moves_the_call_to_the_target() {
    let (alice, bob, carol) = (
        party("alice", 43_000),
        party("bob", 43_100),
        party("carol", 43_200),
    );
    let (to_bob, from_alice) = call(&alice, &bob);

    to_bob.transfer(&carol.uri, None).unwrap();
    let new_outgoing = alice
        .events
        .wait_for("SIPSessionTransferNewOutgoing", WAIT)
        .unwrap();
    assert_eq!(new_outgoing.sender, to_bob.sender_id());
    assert_eq!(
        new_outgoing.get_str("transfer_destination"),
        Some(&*carol.uri)
    );
    assert_eq!(
        new_outgoing.get_str("transfer_source"),
        Some("sip:alice@example.com")
    );
    let incoming = bob
        .events
        .wait_for("SIPSessionTransferNewIncoming", WAIT)
        .unwrap();
    assert_eq!(incoming.sender, from_alice.sender_id());
    assert_eq!(incoming.get_str("transfer_destination"), Some(&*carol.uri));
    assert!(incoming
        .get_str("transfer_source")
        .unwrap()
        .contains("sip:alice@example.com"));
    let handler = from_alice.transfer_handler().unwrap();
    assert_eq!(
        (handler.direction, handler.state),
        (Direction::Incoming, TransferState::Requested)
    );

    from_alice.accept_transfer().unwrap();
    bob.events
        .wait_for("SIPSessionTransferDidStart", WAIT)
        .unwrap();
    let to_carol = answer(&carol);
    // The transferor learns how the new call went, then ends its call.
    alice
        .events
        .wait_for("SIPSessionTransferDidStart", WAIT)
        .unwrap();
    let progress = alice
        .events
        .wait_for("SIPSessionTransferGotProgress", WAIT)
        .unwrap();
    assert_eq!(progress.get_u64("code"), Some(100));
    alice
        .events
        .wait_for("SIPSessionTransferDidEnd", WAIT)
        .unwrap();
    let ended = alice.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(ended.sender, to_bob.sender_id());
    assert_eq!(ended.get_str("originator"), Some("local"));
    bob.events
        .wait_for("SIPSessionTransferDidEnd", WAIT)
        .unwrap();
    let old = bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(old.sender, from_alice.sender_id());

    // Bob now talks to Carol in the session the transfer made.
    let handler = from_alice.transfer_handler().unwrap();
    assert_eq!(handler.state, TransferState::Ended);
    let new_session = handler.new_session.unwrap();
    assert_eq!(new_session.state(), SessionState::Connected);
    let info = new_session.transfer_info().unwrap();
    assert!(info.referred_by.unwrap().contains("sip:alice@example.com"));
    assert_eq!(info.transferred_session, Some(from_alice.clone()));
    assert!(to_carol
        .remote_identity()
        .unwrap()
        .contains("sip:bob@example.com"));
    assert!(to_carol.replaced_session().is_none());
    new_session.end().unwrap();
    carol.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    stop(&[&alice, &bob, &carol]);
}

#[test]
fn an_attended_transfer_replaces_the_call_with_the_target() {
    let (alice, bob, carol) = (
        party("alice", 44_000),
        party("bob", 44_100),
        party("carol", 44_200),
    );
    let (to_bob, _from_alice) = call(&alice, &bob);
    let (to_carol, carol_from_alice) = call(&alice, &carol);

    to_bob.transfer(&carol.uri, Some(&to_carol)).unwrap();
    let incoming = bob
        .events
        .wait_for("SIPSessionTransferNewIncoming", WAIT)
        .unwrap();
    assert!(incoming
        .get_str("transfer_destination")
        .unwrap()
        .contains("Replaces="));
    let transferred = bob
        .app
        .session_manager()
        .get(
            incoming
                .sender
                .to_string()
                .trim_start_matches("Session:")
                .parse()
                .unwrap(),
        )
        .unwrap();
    transferred.accept_transfer().unwrap();

    // Carol's new call names the session it replaces; once it starts that one ends.
    let n = carol
        .events
        .wait_for("SIPSessionNewIncoming", WAIT)
        .unwrap();
    let replacing = carol
        .app
        .session_manager()
        .get(n.get_u64("session").unwrap())
        .unwrap();
    assert_eq!(replacing.replaced_session(), Some(carol_from_alice.clone()));
    replacing.accept(replacing.proposed_streams()).unwrap();
    // Both of Alice's calls end — Carol ends the replaced one, Alice the transferred one —
    // and the transfer succeeds, in whatever order the network brings them.
    let mut ended = Vec::new();
    let mut transferred = false;
    while ended.len() < 2 || !transferred {
        let n = alice.events.recv_timeout(WAIT).unwrap();
        match &*n.name {
            "SIPSessionDidEnd" => ended.push((
                n.sender.clone(),
                n.get_str("originator").unwrap().to_owned(),
            )),
            "SIPSessionTransferDidEnd" => transferred = true,
            "SIPSessionTransferDidFail" => panic!("the transfer failed: {n}"),
            _ => {}
        }
    }
    ended.sort();
    let mut expected = vec![
        (to_bob.sender_id(), "local".to_owned()),
        (to_carol.sender_id(), "remote".to_owned()),
    ];
    expected.sort();
    assert_eq!(ended, expected);
    let replaced = carol.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert_eq!(replaced.sender, carol_from_alice.sender_id());
    assert_eq!(replaced.get_str("originator"), Some("local"));
    assert_eq!(carol_from_alice.state(), SessionState::Terminated);
    assert_eq!(replacing.state(), SessionState::Connected);
    assert!(replacing
        .remote_identity()
        .unwrap()
        .contains("sip:bob@example.com"));
    replacing.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    stop(&[&alice, &bob, &carol]);
}

#[test]
fn a_refused_transfer_fails_on_both_sides_and_the_call_goes_on() {
    let (alice, bob) = (party("alice", 45_000), party("bob", 45_100));
    let (to_bob, from_alice) = call(&alice, &bob);
    to_bob.transfer("sip:nobody@127.0.0.1:9", None).unwrap();
    bob.events
        .wait_for("SIPSessionTransferNewIncoming", WAIT)
        .unwrap();
    from_alice.reject_transfer(603, None).unwrap();
    for events in [&alice.events, &bob.events] {
        let failed = events.wait_for("SIPSessionTransferDidFail", WAIT).unwrap();
        assert_eq!(failed.get_u64("code"), Some(603));
        assert_eq!(failed.get_str("reason"), Some("Decline"));
    }
    assert_eq!(to_bob.state(), SessionState::Connected);
    assert_eq!(
        to_bob.transfer_handler().unwrap().state,
        TransferState::Failed
    );
    // An attended transfer needs an established replaced session; a transfer needs a call.
    to_bob.end().unwrap();
    bob.events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    assert!(to_bob.transfer("sip:carol@example.com", None).is_err());
    stop(&[&alice, &bob]);
}
