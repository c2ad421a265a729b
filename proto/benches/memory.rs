//! Memory held per live INVITE server transaction and per confirmed dialog: grows an
//! endpoint and a dialog table by 20,000 each and reads the resident set from
//! `/proc/self/statm` (Linux). Prints its results; run with `cargo bench --bench memory`.

use std::net::SocketAddr;
use std::time::Instant;

use sipsimple_proto::dialog::Dialog;
use sipsimple_proto::endpoint::{Endpoint, EndpointConfig, TransportKind};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::headers::{Contact, Via};
use sipsimple_proto::sip::{Address, Message, Method, RequestBuilder, Response, StatusCode, Uri};

const COUNT: usize = 20_000;

fn resident_kib() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

fn invite(i: usize) -> Vec<u8> {
    let uri: Uri<'static> = "sip:alice@192.0.2.1".parse().expect("uri");
    let sdp = include_bytes!("../../vectors/bench/invite.sip")
        .split_at(600)
        .1
        .to_vec();
    RequestBuilder::new(Method::Invite, uri.clone())
        .via(&Via::new(
            "UDP",
            "198.51.100.7",
            Some(5060),
            &format!("z9hG4bK{i}"),
        ))
        .from(Address::new("sip:bob@example.com".parse().expect("uri")).with_tag(&format!("f{i}")))
        .to(Address::new(uri))
        .call_id(&format!("{i}@example.com"))
        .cseq(1)
        .contact(&Contact::new("sip:bob@198.51.100.7".parse().expect("uri")))
        .body("application/sdp", sdp)
        .build()
        .to_bytes()
}

fn main() {
    if resident_kib().is_none() {
        println!("memory: /proc/self/statm is not available here");
        return;
    }
    let requests: Vec<Vec<u8>> = (0..COUNT).map(invite).collect();
    let peer: SocketAddr = "198.51.100.7:5060".parse().expect("address");
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut endpoint = Endpoint::new(EndpointConfig::default(), SeededRandom::new(1));
    endpoint.add_transport(
        TransportKind::Udp,
        "192.0.2.1:5060".parse().expect("address"),
    );
    let before = resident_kib().unwrap_or_default();
    for r in &requests {
        endpoint.handle_message(now, peer, TransportKind::Udp, None, r);
        while endpoint.poll_transmit().is_some() {}
        while endpoint.poll_event().is_some() {}
    }
    let after = resident_kib().unwrap_or_default();
    assert_eq!(endpoint.transaction_count().1, COUNT);
    println!(
        "memory/invite_server_transaction: {:.2} KiB each ({COUNT} live, 100 Trying sent)",
        (after - before) as f64 / COUNT as f64
    );
    let before = resident_kib().unwrap_or_default();
    let mut dialogs = Vec::with_capacity(COUNT);
    for r in &requests {
        let Ok(Message::Request(req)) = Message::parse(r) else {
            panic!("a request")
        };
        let ok = Response::for_request(&req, StatusCode::OK)
            .with_to_tag("t")
            .with_header(&Contact::new("sip:alice@192.0.2.1".parse().expect("uri")));
        dialogs.push(Dialog::uas(&req, &ok).expect("a dialog"));
    }
    let after = resident_kib().unwrap_or_default();
    println!(
        "memory/confirmed_dialog: {:.2} KiB each ({} live)",
        (after - before) as f64 / COUNT as f64,
        dialogs.len()
    );
}
