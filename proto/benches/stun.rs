//! STUN benchmarks on an ICE connectivity check (a Binding request with USERNAME, PRIORITY,
//! ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT): encode, and decode
//! with the integrity and fingerprint checks and the reads an ICE agent makes — with
//! webrtc-rs's `rtc-stun` doing the same work on the same message in the same run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rtc_stun::attributes::{
    ATTR_ICE_CONTROLLING, ATTR_PRIORITY, ATTR_USERNAME, ATTR_USE_CANDIDATE,
};
use rtc_stun::fingerprint::FINGERPRINT;
use rtc_stun::integrity::MessageIntegrity;
use rtc_stun::message::{Setter, BINDING_REQUEST};
use rtc_stun::textattrs::Username;
use sipsimple_proto::stun::{IntegrityKey, Message, MessageBuilder, MessageType, TransactionId};

const ID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];
const USERNAME: &str = "evtj:h6vY";
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const PRIORITY: u32 = 0x6e00_01ff;
const TIE_BREAKER: u64 = 0x932f_f9b1_5126_3b36;

fn encode(buf: &mut Vec<u8>, key: &IntegrityKey) {
    buf.clear();
    MessageBuilder::new(buf, MessageType::BINDING_REQUEST, TransactionId(ID))
        .username(USERNAME)
        .priority(PRIORITY)
        .ice_controlling(TIE_BREAKER)
        .use_candidate()
        .message_integrity(key)
        .fingerprint()
        .finish()
        .expect("the request fits");
}

/// What an ICE agent does with a request: check it, then read its attributes.
fn decode(bytes: &[u8], key: &IntegrityKey) -> u64 {
    let m = Message::parse(bytes).expect("a valid request");
    m.verify_fingerprint().expect("fingerprint");
    m.verify_integrity(key).expect("integrity");
    let user = m.username().expect("username").expect("present");
    let prio = m.priority().expect("priority").expect("present");
    let tie = m.ice_controlling().expect("controlling").expect("present");
    user.len() as u64 + u64::from(prio) + tie + u64::from(m.use_candidate())
}

fn rtc_encode(m: &mut rtc_stun::message::Message, username: &Username, mi: &MessageIntegrity<'_>) {
    m.reset();
    m.transaction_id = rtc_stun::message::TransactionId(ID);
    m.set_type(BINDING_REQUEST);
    m.write_header();
    username.add_to(m).expect("username");
    m.add(ATTR_PRIORITY, &PRIORITY.to_be_bytes());
    m.add(ATTR_ICE_CONTROLLING, &TIE_BREAKER.to_be_bytes());
    m.add(ATTR_USE_CANDIDATE, &[]);
    mi.add_to(m).expect("integrity");
    FINGERPRINT.add_to(m).expect("fingerprint");
}

fn rtc_decode(
    m: &mut rtc_stun::message::Message,
    bytes: &[u8],
    crypto: &dyn rtc_stun::crypto::RTCCrypto,
) -> u64 {
    m.unmarshal_binary(bytes).expect("a valid request");
    FINGERPRINT.check(m).expect("fingerprint");
    MessageIntegrity::check(m, PASSWORD.as_bytes(), crypto).expect("integrity");
    let user = m.get(ATTR_USERNAME).expect("username");
    let prio = m.get(ATTR_PRIORITY).expect("priority");
    let tie = m.get(ATTR_ICE_CONTROLLING).expect("controlling");
    let prio = u32::from_be_bytes(prio[..4].try_into().expect("4 bytes"));
    let tie = u64::from_be_bytes(tie[..8].try_into().expect("8 bytes"));
    user.len() as u64 + u64::from(prio) + tie + u64::from(m.contains(ATTR_USE_CANDIDATE))
}

fn ice_request(c: &mut Criterion) {
    let key = IntegrityKey::short_term(PASSWORD);
    let mut buf = Vec::with_capacity(128);
    encode(&mut buf, &key);

    let provider = rtc_stun::crypto::default_provider().expect("a built-in crypto provider");
    let crypto = provider.crypto();
    let username = Username::new(ATTR_USERNAME, USERNAME.to_owned());
    let mi = MessageIntegrity::new_short_term_integrity_with_provider(PASSWORD.to_owned(), crypto);
    let mut rtc = rtc_stun::message::Message::new();
    rtc_encode(&mut rtc, &username, &mi);
    // Both libraries write the same bytes, so both decoders see the same message.
    assert_eq!(rtc.raw, buf, "the two encoders disagree");
    let expected = decode(&buf, &key);
    let mut rtc_in = rtc_stun::message::Message::new();
    assert_eq!(rtc_decode(&mut rtc_in, &buf, crypto), expected);

    let mut g = c.benchmark_group("stun_ice_request");
    g.bench_function("encode/sipsimple", |b| {
        b.iter(|| {
            encode(&mut buf, black_box(&key));
            black_box(buf.len())
        });
    });
    g.bench_function("encode/rtc-stun", |b| {
        b.iter(|| {
            rtc_encode(&mut rtc, black_box(&username), &mi);
            black_box(rtc.raw.len())
        });
    });
    let bytes = buf.clone();
    g.bench_function("decode/sipsimple", |b| {
        b.iter(|| decode(black_box(&bytes), &key));
    });
    g.bench_function("decode/rtc-stun", |b| {
        b.iter(|| rtc_decode(&mut rtc_in, black_box(&bytes), crypto));
    });
    g.bench_function("decode_no_integrity/sipsimple", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&bytes)).expect("valid");
            black_box(m.priority().expect("priority"))
        });
    });
    g.finish();
}

criterion_group!(benches, ice_request);
criterion_main!(benches);
