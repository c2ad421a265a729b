//! SIP message layer benchmarks on the four messages of `vectors/bench/`: parse, parse with
//! typed access to Via/From/To/CSeq/Call-ID/Contact, typed access alone, and serialize —
//! with `rsipstack` and `rsip` measured on the same bytes in the same run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sipsimple_proto::sip::Message;

const MESSAGES: [(&str, &[u8]); 4] = [
    ("invite", include_bytes!("../../vectors/bench/invite.sip")),
    ("ok", include_bytes!("../../vectors/bench/ok.sip")),
    ("options", include_bytes!("../../vectors/bench/options.sip")),
    (
        "register",
        include_bytes!("../../vectors/bench/register.sip"),
    ),
];

/// Decodes the headers every transaction and dialog needs, the way the endpoint will: the
/// top Via (its branch), From and To (their tags), CSeq, Call-ID and every Contact. The other
/// Via values are copied into responses as they are, never decoded.
fn typed_access(m: &Message) -> usize {
    let mut n = 0;
    let v = m.top_via().expect("valid Via");
    n += v.branch().map_or(0, str::len) + usize::from(v.port().unwrap_or(0) > 0);
    let from = m.from().expect("valid From");
    n += from.tag().map_or(0, str::len) + from.uri().host().len();
    let to = m.to().expect("valid To");
    n += to.tag().map_or(0, str::len) + to.uri().host().len();
    n += m.cseq().expect("valid CSeq").seq as usize;
    n += m.call_id().expect("valid Call-ID").as_str().len();
    for c in m.contact() {
        n += c
            .expect("valid Contact")
            .uri()
            .map_or(0, |u| u.host().len());
    }
    n
}

/// The same typed access through rsipstack's API.
fn rsipstack_typed(m: &rsipstack::sip::SipMessage) -> usize {
    use rsipstack::sip::prelude::*;
    use rsipstack::sip::Header;
    let mut n = m
        .via_header()
        .expect("Via")
        .typed()
        .expect("valid Via")
        .params
        .len();
    for h in m.headers().iter() {
        if let Header::Contact(c) = h {
            n += c.typed().expect("valid Contact").params.len();
        }
    }
    n += m
        .from_header()
        .expect("From")
        .typed()
        .expect("valid From")
        .params
        .len();
    n += m
        .to_header()
        .expect("To")
        .typed()
        .expect("valid To")
        .params
        .len();
    n += m
        .cseq_header()
        .expect("CSeq")
        .typed()
        .expect("valid CSeq")
        .seq as usize;
    n += m.call_id_header().expect("Call-ID").value().len();
    n
}

/// The same typed access through rsip's API. rsip cannot decode the INVITE's Contact (its
/// `+sip.instance` parameter holds a quoted `<urn:…>`), so a failure counts instead of
/// stopping the run.
fn rsip_typed(m: &rsip::SipMessage) -> usize {
    use rsip::prelude::*;
    use rsip::Header;
    let mut n = m
        .via_header()
        .expect("Via")
        .typed()
        .expect("valid Via")
        .params
        .len();
    for h in m.headers().iter() {
        if let Header::Contact(c) = h {
            n += c.typed().map_or(1, |c| c.params.len());
        }
    }
    n += m
        .from_header()
        .expect("From")
        .typed()
        .expect("valid From")
        .params
        .len();
    n += m
        .to_header()
        .expect("To")
        .typed()
        .expect("valid To")
        .params
        .len();
    n += m
        .cseq_header()
        .expect("CSeq")
        .typed()
        .expect("valid CSeq")
        .seq as usize;
    n += m.call_id_header().expect("Call-ID").value().len();
    n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sip/parse");
    for (name, bytes) in MESSAGES {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("sipsimple", name), bytes, |b, bytes| {
            b.iter(|| Message::parse(black_box(bytes)).expect("valid"))
        });
        g.bench_with_input(BenchmarkId::new("rsipstack", name), bytes, |b, bytes| {
            b.iter(|| rsipstack::sip::SipMessage::try_from(black_box(bytes)).expect("valid"))
        });
        g.bench_with_input(BenchmarkId::new("rsip", name), bytes, |b, bytes| {
            b.iter(|| rsip::SipMessage::try_from(black_box(bytes)).expect("valid"))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("sip/parse+typed");
    for (name, bytes) in MESSAGES {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("sipsimple", name), bytes, |b, bytes| {
            b.iter(|| typed_access(&Message::parse(black_box(bytes)).expect("valid")))
        });
        g.bench_with_input(BenchmarkId::new("rsipstack", name), bytes, |b, bytes| {
            b.iter(|| {
                rsipstack_typed(
                    &rsipstack::sip::SipMessage::try_from(black_box(bytes)).expect("valid"),
                )
            })
        });
        g.bench_with_input(BenchmarkId::new("rsip", name), bytes, |b, bytes| {
            b.iter(|| rsip_typed(&rsip::SipMessage::try_from(black_box(bytes)).expect("valid")))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("sip/typed");
    for (name, bytes) in MESSAGES {
        let m = Message::parse(bytes).expect("valid");
        g.bench_function(BenchmarkId::new("sipsimple", name), |b| {
            b.iter(|| typed_access(black_box(&m)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("sip/serialize");
    for (name, bytes) in MESSAGES {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let m = Message::parse(bytes).expect("valid");
        let mut out = Vec::with_capacity(bytes.len());
        g.bench_function(BenchmarkId::new("sipsimple", name), |b| {
            b.iter(|| {
                out.clear();
                black_box(&m).write_to(&mut out);
                out.len()
            })
        });
        let r = rsipstack::sip::SipMessage::try_from(bytes).expect("valid");
        g.bench_function(BenchmarkId::new("rsipstack", name), |b| {
            b.iter(|| black_box(&r).to_bytes().len())
        });
        let r = rsip::SipMessage::try_from(bytes).expect("valid");
        g.bench_function(BenchmarkId::new("rsip", name), |b| {
            b.iter(|| Vec::<u8>::from(black_box(&r).clone()).len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
