//! Two applications in one process, real sockets on 127.0.0.1: start and stop with their
//! notifications, MESSAGE over UDP and TCP, failover from a dead TCP port, and a transport
//! failure reported as 503.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::proto::request::Route;
use sipsimple::proto::sip::Address;
use sipsimple::storage::MemoryStorage;
use sipsimple::{MessageError, SipApplication, StartError, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);

/// A storage whose settings run UDP and TCP only, on ports the system picks.
fn storage() -> MemoryStorage {
    storage_with(serde_json::json!({"sip": {"transport_list": ["udp", "tcp"]}}))
}

fn storage_with(settings: serde_json::Value) -> MemoryStorage {
    support::settings_storage(settings)
}

fn started() -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    app.start_with(storage(), StartOptions::loopback()).unwrap();
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
        app.start_with(storage(), StartOptions::loopback()),
        Err(StartError::AlreadyRunning)
    ));
    app.stop_and_wait();
    assert!(!app.running());
    let names: Vec<String> = std::iter::from_fn(|| events.try_recv().ok())
        .map(|n| n.name.to_string())
        .collect();
    assert_eq!(names, ["SIPApplicationWillEnd", "SIPApplicationDidEnd"]);
    // Stopped, it can start again.
    app.start_with(storage(), StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    app.stop_and_wait();
}

#[test]
fn a_port_in_use_is_a_start_error() {
    let (a, _events) = started();
    let taken = a.local_address(TransportKind::Tcp).unwrap();
    let b = SipApplication::new();
    let busy = storage_with(serde_json::json!({
        "sip": {"transport_list": ["tcp"], "tcp_port": taken.port()}
    }));
    let err = b.start_with(busy, StartOptions::loopback()).unwrap_err();
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
fn a_damaged_configuration_is_a_start_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), b"{ not json").unwrap();
    let storage = sipsimple::storage::FileStorage::open(dir.path()).unwrap();
    let app = SipApplication::new();
    let err = app
        .start_with(storage, StartOptions::loopback())
        .unwrap_err();
    assert!(matches!(err, StartError::Configuration(_)), "{err}");
    assert!(!app.running());
    // The damaged file is left as it was.
    assert_eq!(
        std::fs::read(dir.path().join("config.json")).unwrap(),
        b"{ not json"
    );
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

#[test]
fn message_over_ipv6_loopback() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        // No IPv6 on this host: nothing to prove here.
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let v6 = StartOptions {
        ip: Some("::1".parse().unwrap()),
        ..StartOptions::loopback()
    };
    let alice = SipApplication::new();
    let bob = SipApplication::new();
    let bob_events = bob.notification_center().observe(None, None);
    alice.start_with(storage(), v6.clone()).unwrap();
    bob.start_with(storage(), v6).unwrap();
    bob_events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    for transport in [TransportKind::Udp, TransportKind::Tcp] {
        let to = bob.local_address(transport).unwrap();
        assert!(to.is_ipv6());
        let delivery = smol::block_on(alice.send_message(
            addr("sip:alice@example.com"),
            addr("sip:bob@example.com"),
            "text/plain",
            "over IPv6",
            vec![Route {
                destination: to,
                transport,
            }],
            None,
        ))
        .unwrap();
        assert_eq!(delivery.code, 200, "{transport:?}");
        let got = bob_events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
        assert_eq!(got.get_str("body"), Some("over IPv6"));
    }
    alice.stop_and_wait();
    bob.stop_and_wait();
}

#[test]
fn one_application_on_both_families_reaches_each_peer_from_its_family() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let dual = StartOptions {
        extra_ips: vec!["::1".parse().unwrap()],
        ..StartOptions::loopback()
    };
    let alice = SipApplication::new();
    alice.start_with(storage(), dual).unwrap();
    assert_eq!(alice.local_addresses(TransportKind::Udp).len(), 2);
    assert!(alice.local_address(TransportKind::Udp).unwrap().is_ipv4());
    let (v4, v4_events) = started();
    let v6 = SipApplication::new();
    let v6_events = v6.notification_center().observe(None, None);
    v6.start_with(
        storage(),
        StartOptions {
            ip: Some("::1".parse().unwrap()),
            ..StartOptions::loopback()
        },
    )
    .unwrap();
    v6_events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    for (peer, events) in [(&v4, &v4_events), (&v6, &v6_events)] {
        for transport in [TransportKind::Udp, TransportKind::Tcp] {
            let to = peer.local_address(transport).unwrap();
            let delivery = smol::block_on(alice.send_message(
                addr("sip:alice@example.com"),
                addr("sip:bob@example.com"),
                "text/plain",
                "either family",
                vec![Route {
                    destination: to,
                    transport,
                }],
                None,
            ))
            .unwrap();
            assert_eq!(delivery.code, 200, "{to} {transport:?}");
            events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
        }
    }
    alice.stop_and_wait();
    v4.stop_and_wait();
    v6.stop_and_wait();
}
