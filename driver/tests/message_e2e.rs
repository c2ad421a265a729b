//! Two applications in one process, real sockets on 127.0.0.1: start and stop with their
//! notifications, MESSAGE over UDP and TCP, failover from a dead TCP port, and a transport
//! failure reported as 503.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::proto::request::Route;
use sipsimple::proto::sip::Address;
use sipsimple::{EngineConfig, MessageError, SipApplication, StartError};

const WAIT: Duration = Duration::from_secs(10);

fn started() -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    app.start(EngineConfig::default()).unwrap();
    assert_eq!(
        &*events.recv_timeout(WAIT).unwrap().name,
        "SIPApplicationWillStart"
    );
    assert_eq!(
        &*events.recv_timeout(WAIT).unwrap().name,
        "SIPApplicationDidStart"
    );
    (app, events)
}

fn route(app: &SipApplication, transport: TransportKind) -> Route {
    Route {
        destination: app.local_address(transport).unwrap(),
        transport,
    }
}

fn addr(uri: &str) -> Address<'static> {
    Address::new(uri.parse().unwrap())
}

/// A loopback TCP port with nothing listening on it.
fn dead_tcp_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn start_stop_and_restart() {
    let (app, events) = started();
    assert!(app.running());
    assert!(matches!(
        app.start(EngineConfig::default()),
        Err(StartError::AlreadyRunning)
    ));
    app.stop_and_wait();
    assert!(!app.running());
    let names: Vec<String> = std::iter::from_fn(|| events.try_recv().ok())
        .map(|n| n.name.to_string())
        .collect();
    assert_eq!(names, ["SIPApplicationWillEnd", "SIPApplicationDidEnd"]);
    // Stopped, it can start again.
    app.start(EngineConfig::default()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    app.stop_and_wait();
}

#[test]
fn a_port_in_use_is_a_start_error() {
    let (a, _events) = started();
    let taken = a.local_address(TransportKind::Tcp).unwrap();
    let b = SipApplication::new();
    let err = b
        .start(EngineConfig {
            udp_port: None,
            tcp_port: Some(taken.port()),
            ..EngineConfig::default()
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            StartError::Bind {
                transport: "TCP",
                ..
            }
        ),
        "{err}"
    );
    assert!(!b.running());
    a.stop_and_wait();
}

#[test]
fn message_over_udp_and_tcp_between_two_applications() {
    let (alice, _a) = started();
    let (bob, bob_events) = started();
    for transport in [TransportKind::Udp, TransportKind::Tcp] {
        let body = format!("hello over {transport:?}");
        let delivery = smol::block_on(alice.send_message(
            addr("sip:alice@example.com"),
            addr("sip:bob@example.com"),
            "text/plain",
            body.clone(),
            vec![route(&bob, transport)],
            None,
        ))
        .unwrap();
        assert_eq!(delivery.code, 200, "{transport:?}");
        let got = bob_events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
        assert_eq!(got.get_str("body"), Some(body.as_str()));
        assert_eq!(got.get_str("content_type"), Some("text/plain"));
        assert_eq!(got.get_str("request_uri"), Some("sip:bob@example.com"));
        assert!(got
            .get_str("from_header")
            .unwrap()
            .contains("sip:alice@example.com"));
    }
    alice.stop_and_wait();
    bob.stop_and_wait();
}

#[test]
fn a_dead_tcp_route_fails_over_to_the_next() {
    let (alice, alice_events) = started();
    let (bob, bob_events) = started();
    let routes = vec![
        Route {
            destination: dead_tcp_port(),
            transport: TransportKind::Tcp,
        },
        route(&bob, TransportKind::Tcp),
    ];
    let delivery = smol::block_on(alice.send_message(
        addr("sip:alice@example.com"),
        addr("sip:bob@example.com"),
        "text/plain",
        "second route",
        routes,
        None,
    ))
    .unwrap();
    assert_eq!(delivery.code, 200);
    bob_events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
    let ok = alice_events.wait_for("SIPMessageDidSucceed", WAIT).unwrap();
    assert_eq!(ok.get_u64("code"), Some(200));
    alice.stop_and_wait();
    bob.stop_and_wait();
}

#[test]
fn a_refused_connection_is_a_503() {
    let (alice, alice_events) = started();
    let err = smol::block_on(alice.send_message(
        addr("sip:alice@example.com"),
        addr("sip:bob@example.com"),
        "text/plain",
        "nobody there",
        vec![Route {
            destination: dead_tcp_port(),
            transport: TransportKind::Tcp,
        }],
        None,
    ))
    .unwrap_err();
    assert!(
        matches!(err, MessageError::Failed { code: 503, .. }),
        "{err:?}"
    );
    let failed = alice_events.wait_for("SIPMessageDidFail", WAIT).unwrap();
    assert_eq!(failed.get_u64("code"), Some(503));
    alice.stop_and_wait();
}

#[test]
fn sending_while_stopped_is_an_error() {
    let app = SipApplication::new();
    let err = smol::block_on(app.send_message(
        addr("sip:alice@example.com"),
        addr("sip:bob@example.com"),
        "text/plain",
        "x",
        Vec::new(),
        None,
    ))
    .unwrap_err();
    assert_eq!(err, MessageError::NotRunning);
}
