//! A running application fed hostile input over real loopback sockets: malformed requests
//! get a 400 naming the fault, an unknown required extension a 420, garbage is dropped, a
//! stream that cannot be framed is closed — and the application goes on answering.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use sipsimple::proto::endpoint::TransportKind;
use sipsimple::proto::sip::{Message, Response};
use sipsimple::{SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);

fn start() -> SipApplication {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": ["udp", "tcp"]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    app
}

fn options(branch: &str, extra: &str) -> String {
    format!(
        "OPTIONS sip:app@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK{branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@127.0.0.1>;tag=p1\r\n\
         To: <sip:app@127.0.0.1>\r\n\
         Call-ID: {branch}@probe\r\n\
         CSeq: 1 OPTIONS\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

fn exchange(socket: &UdpSocket, to: std::net::SocketAddr, data: &[u8]) -> Option<Response> {
    socket.send_to(data, to).unwrap();
    let mut buf = [0u8; 65_535];
    let (n, _) = socket.recv_from(&mut buf).ok()?;
    match Message::parse(&buf[..n]).ok()? {
        Message::Response(r) => Some(r),
        Message::Request(_) => None,
    }
}

#[test]
fn malformed_datagrams_are_answered_or_dropped_and_service_goes_on() {
    let app = start();
    let to = app.local_address(TransportKind::Udp).unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();

    // A bad CSeq: 400 naming the fault.
    let bad = options("bad1", "").replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    let r = exchange(&socket, to, bad.as_bytes()).expect("an answer to a malformed request");
    assert_eq!(r.status().code(), 400);
    assert!(
        r.reason().to_ascii_lowercase().contains("cseq"),
        "{}",
        r.reason()
    );

    // Garbage and an empty datagram: nothing comes back.
    for junk in [&b"\x00\xff\xfe garbage"[..], b"", b"SIP/2.0"] {
        assert!(exchange(&socket, to, junk).is_none());
    }

    // An unsupported extension required: 420.
    let r = exchange(
        &socket,
        to,
        options("req1", "Require: no-such-extension\r\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status().code(), 420);

    // Still answering normally.
    let r = exchange(&socket, to, options("ok1", "").as_bytes()).unwrap();
    assert_eq!(r.status().code(), 200);
    app.stop_and_wait();
}

#[test]
fn a_stream_that_cannot_be_framed_is_closed_and_others_still_work() {
    let app = start();
    let to = app.local_address(TransportKind::Tcp).unwrap();

    let mut bad = TcpStream::connect(to).unwrap();
    bad.set_read_timeout(Some(WAIT)).unwrap();
    bad.write_all(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: lots\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    // The connection is closed (possibly after nothing, never after a hang).
    loop {
        match bad.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) => panic!("the broken stream was not closed: {e}"),
        }
    }

    let mut good = TcpStream::connect(to).unwrap();
    good.set_read_timeout(Some(WAIT)).unwrap();
    good.write_all(options("tcp1", "").replace("UDP", "TCP").as_bytes())
        .unwrap();
    let n = good.read(&mut buf).unwrap();
    let Ok(Message::Response(r)) = Message::parse(&buf[..n]) else {
        panic!("a response")
    };
    assert_eq!(r.status().code(), 200);
    app.stop_and_wait();
}
