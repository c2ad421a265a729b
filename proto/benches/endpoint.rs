//! Transactions per second through two endpoints joined in memory: an OPTIONS from A,
//! answered by B's core with 200, the response matched back to A's client transaction. TCP
//! semantics (Timers J and K are zero) keep the transaction tables empty between rounds.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sipsimple_proto::endpoint::{Action, Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::sip::{Address, Method, RequestBuilder, Uri};

fn bench(c: &mut Criterion) {
    let a_addr: SocketAddr = "192.0.2.1:5060".parse().expect("address");
    let b_addr: SocketAddr = "192.0.2.2:5060".parse().expect("address");
    let mut a = Endpoint::new(EndpointConfig::default(), SeededRandom::new(1));
    let mut b = Endpoint::new(EndpointConfig::default(), SeededRandom::new(2));
    a.add_transport(TransportKind::Tcp, a_addr);
    b.add_transport(TransportKind::Tcp, b_addr);
    let uri: Uri<'static> = "sip:b@192.0.2.2".parse().expect("uri");
    let request = RequestBuilder::new(Method::Options, uri.clone())
        .from(Address::new("sip:a@192.0.2.1".parse().expect("uri")).with_tag("a"))
        .to(Address::new(uri))
        .call_id("bench@192.0.2.1")
        .cseq(1)
        .build();
    // One real instant: with TCP no timer is armed, so time does not need to move.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let b_conn = b.handle_connection_accepted(a_addr, TransportKind::Tcp);
    // Open A's connection once.
    a.send_request(now, request.clone(), b_addr, TransportKind::Tcp)
        .expect("send");
    if let Some(Action::Connect { id, .. }) = a.poll_action() {
        a.handle_connection_up(id);
    }
    let round = |a: &mut Endpoint<SeededRandom>, b: &mut Endpoint<SeededRandom>| {
        while let Some(t) = a.poll_transmit() {
            b.handle_message(now, a_addr, TransportKind::Tcp, Some(b_conn), &t.payload);
        }
        while let Some(t) = b.poll_transmit() {
            a.handle_message(now, b_addr, TransportKind::Tcp, None, &t.payload);
        }
        let mut n = 0;
        while let Some(e) = a.poll_event() {
            if let Event::Response { .. } = e {
                n += 1;
            }
        }
        n
    };
    round(&mut a, &mut b);
    assert_eq!(
        a.transaction_count(),
        (0, 0),
        "TCP transactions end at once"
    );
    assert_eq!(b.transaction_count(), (0, 0));

    let mut g = c.benchmark_group("endpoint");
    g.throughput(Throughput::Elements(1));
    g.bench_function("options_transaction_tcp", |bench| {
        bench.iter(|| {
            a.send_request(now, black_box(request.clone()), b_addr, TransportKind::Tcp)
                .expect("send");
            assert_eq!(round(&mut a, &mut b), 1);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
