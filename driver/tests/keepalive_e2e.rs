//! Flows kept alive and connections closed when idle, seen from raw sockets on loopback:
//! a registered account's UDP registrar gets CRLF keep-alives, its TCP connection gets CRLF
//! pings (RFC 5626 §4.4.1), and a connection no message uses any more is closed.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::proto::request::Route;
use sipsimple::proto::sip::headers::Contact;
use sipsimple::proto::sip::{Address, Frame, Framer, Message, Request, Response, StatusCode};
use sipsimple::{KeepAlive, SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);

fn start(keepalive: KeepAlive, transports: &[&str]) -> SipApplication {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let options = StartOptions {
        keepalive,
        ..StartOptions::loopback()
    };
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": transports}}));
    app.start_with(storage, options).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    app
}

fn fast(udp: u64, stream: u64, idle: u64) -> KeepAlive {
    KeepAlive {
        udp: Duration::from_millis(udp),
        stream: Duration::from_millis(stream),
        idle: Duration::from_millis(idle),
    }
}

/// A 200 for `request`, granting a REGISTER's Contact 600 s.
fn ok(request: &Request) -> Vec<u8> {
    let mut response = Response::for_request(request, StatusCode::OK).with_to_tag("srv");
    if let Some(Ok(c)) = request.headers().first::<Contact<'_>>() {
        let mut c = c.into_owned();
        if let Some(a) = c.address_mut() {
            a.params.set("expires", Some("600"));
        }
        response = response.with_header(&c);
    }
    response.to_bytes()
}

fn account(app: &SipApplication, proxy: String) {
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.outbound_proxy = Some(proxy);
    app.account_manager().add_account(settings).unwrap();
}

#[test]
fn a_udp_registrar_gets_keepalives() {
    let registrar = UdpSocket::bind("127.0.0.1:0").unwrap();
    registrar
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let app = start(fast(100, 60_000, 60_000), &["udp"]);
    account(&app, format!("sip:{}", registrar.local_addr().unwrap()));
    let mut buf = [0u8; 65_535];
    let deadline = Instant::now() + WAIT;
    let mut keepalives = 0;
    while keepalives < 3 && Instant::now() < deadline {
        let Ok((n, from)) = registrar.recv_from(&mut buf) else {
            continue;
        };
        if &buf[..n] == b"\r\n\r\n" {
            keepalives += 1;
        } else if let Ok(Message::Request(r)) = Message::parse(&buf[..n]) {
            registrar.send_to(&ok(&r), from).unwrap();
        }
    }
    assert_eq!(keepalives, 3, "keep-alives after registering");
    app.stop_and_wait();
}

#[test]
fn a_tcp_registrar_connection_gets_pings_and_stays_open() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("sip:{};transport=tcp", listener.local_addr().unwrap());
    // Idle closing at 300 ms would end the connection, were the pings (every 100 ms) not
    // traffic.
    let app = start(fast(60_000, 100, 300), &["tcp"]);
    account(&app, proxy);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut framer = Framer::new();
    let mut buf = [0u8; 16 * 1024];
    let (mut pings, deadline) = (0, Instant::now() + WAIT);
    while pings < 8 && Instant::now() < deadline {
        let n = match conn.read(&mut buf) {
            Ok(0) => panic!("the connection closed after {pings} pings"),
            Ok(n) => n,
            Err(_) => continue,
        };
        framer.feed(&buf[..n]);
        while let Some(frame) = framer.next_frame() {
            match frame.unwrap() {
                Frame::Message(Message::Request(r)) => conn.write_all(&ok(&r)).unwrap(),
                Frame::Ping => {
                    pings += 1;
                    conn.write_all(b"\r\n").unwrap();
                }
                _ => {}
            }
        }
    }
    assert_eq!(pings, 8);
    app.stop_and_wait();
}

#[test]
fn an_unused_connection_is_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let destination = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        let mut framer = Framer::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                return Instant::now();
            }
            framer.feed(&buf[..n]);
            while let Some(frame) = framer.next_frame() {
                if let Ok(Frame::Message(Message::Request(r))) = frame {
                    conn.write_all(&ok(&r)).unwrap();
                }
            }
        }
    });
    let app = start(fast(60_000, 60_000, 300), &["tcp"]);
    let sent = smol::block_on(app.send_message(
        Address::new("sip:alice@example.com".parse().unwrap()),
        Address::new("sip:bob@example.com".parse().unwrap()),
        "text/plain",
        "one message, then silence",
        vec![Route {
            destination,
            transport: TransportKind::Tcp,
        }],
        None,
    ))
    .unwrap();
    assert_eq!(sent.code, 200);
    let answered = Instant::now();
    let closed = server.join().unwrap();
    let after = closed - answered;
    assert!(
        after >= Duration::from_millis(250) && after < Duration::from_secs(3),
        "closed {after:?} after the last message"
    );
    app.stop_and_wait();
}

#[test]
fn a_closed_registrar_connection_brings_a_new_registration() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("sip:{};transport=tcp", listener.local_addr().unwrap());
    let app = start(KeepAlive::default(), &["tcp"]);
    let events = app.notification_center().observe(None, None);
    account(&app, proxy);
    // Serve one REGISTER per connection, then close it: the account must come back.
    listener.set_nonblocking(true).unwrap();
    for round in 0..3 {
        let deadline = Instant::now() + WAIT;
        let mut conn = loop {
            match listener.accept() {
                Ok((conn, _)) => break conn,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("round {round}: no new connection: {e}"),
            }
        };
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        let mut framer = Framer::new();
        let mut buf = [0u8; 16 * 1024];
        'serve: loop {
            let n = conn.read(&mut buf).unwrap();
            assert!(n > 0, "round {round}: closed before registering");
            framer.feed(&buf[..n]);
            while let Some(frame) = framer.next_frame() {
                if let Ok(Frame::Message(Message::Request(r))) = frame {
                    conn.write_all(&ok(&r)).unwrap();
                    break 'serve;
                }
            }
        }
        events
            .wait_for("SIPAccountRegistrationDidSucceed", WAIT)
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        drop(conn);
    }
    app.stop();
}
