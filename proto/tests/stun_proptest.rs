//! Property tests for `stun`: random attribute sets survive build ∘ decode with their
//! integrity and fingerprint checks, arbitrary bytes never panic the decoder or the server
//! helper, and client transactions under random inputs keep their deadlines and bounds.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::stun::{
    check_request, is_stun, Attribute, AttributeType, Class, Client, ClientConfig, ErrorCode,
    IntegrityKey, Message, MessageBuilder, MessageType, Method, Outcome, RawAttribute,
    TransactionId, Transport, UnknownAttributes,
};

/// An owned model of one attribute, for generating.
#[derive(Debug, Clone)]
enum Model {
    Mapped(SocketAddr),
    XorMapped(SocketAddr),
    Username(String),
    Realm(String),
    Nonce(String),
    Software(String),
    Error(u16, String),
    Unknown(Vec<u16>),
    Priority(u32),
    UseCandidate,
    Controlled(u64),
    Controlling(u64),
    /// A comprehension-optional type this module does not know.
    Other(u16, Vec<u8>),
}

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::from(ip), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::from(ip), port)),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    prop_oneof![
        addr().prop_map(Model::Mapped),
        addr().prop_map(Model::XorMapped),
        "\\PC{0,40}".prop_map(Model::Username),
        "[ -~]{0,30}".prop_map(Model::Realm),
        "[ -~]{0,30}".prop_map(Model::Nonce),
        "\\PC{0,20}".prop_map(Model::Software),
        (300u16..700, "[ -~]{0,20}").prop_map(|(c, r)| Model::Error(c, r)),
        vec(any::<u16>(), 0..6).prop_map(Model::Unknown),
        any::<u32>().prop_map(Model::Priority),
        Just(Model::UseCandidate),
        any::<u64>().prop_map(Model::Controlled),
        any::<u64>().prop_map(Model::Controlling),
        (0x8030u16..0xffff, vec(any::<u8>(), 0..40)).prop_map(|(t, v)| Model::Other(t, v)),
    ]
}

/// The attribute a model must decode to; `unknown` holds the UNKNOWN-ATTRIBUTES bytes.
fn expected<'a>(m: &'a Model, unknown: &'a [u8]) -> Attribute<'a> {
    match m {
        Model::Mapped(a) => Attribute::MappedAddress(*a),
        Model::XorMapped(a) => Attribute::XorMappedAddress(*a),
        Model::Username(s) => Attribute::Username(s),
        Model::Realm(s) => Attribute::Realm(s),
        Model::Nonce(s) => Attribute::Nonce(s),
        Model::Software(s) => Attribute::Software(s),
        Model::Error(code, reason) => Attribute::ErrorCode(ErrorCode {
            code: *code,
            reason,
        }),
        Model::Unknown(_) => {
            Attribute::UnknownAttributes(UnknownAttributes::decode(unknown).unwrap())
        }
        Model::Priority(p) => Attribute::Priority(*p),
        Model::UseCandidate => Attribute::UseCandidate,
        Model::Controlled(t) => Attribute::IceControlled(*t),
        Model::Controlling(t) => Attribute::IceControlling(*t),
        Model::Other(t, v) => Attribute::Other(RawAttribute {
            kind: AttributeType(*t),
            value: v,
            offset: 0,
        }),
    }
}

fn build(b: &mut MessageBuilder<'_>, m: &Model) {
    match m {
        Model::Mapped(a) => b.mapped_address(*a),
        Model::XorMapped(a) => b.xor_mapped_address(*a),
        Model::Username(s) => b.username(s),
        Model::Realm(s) => b.realm(s),
        Model::Nonce(s) => b.nonce(s),
        Model::Software(s) => b.software(s),
        Model::Error(code, reason) => b.error_code(*code, reason),
        Model::Unknown(kinds) => {
            let kinds: Vec<_> = kinds.iter().map(|&k| AttributeType(k)).collect();
            b.unknown_attributes(&kinds)
        }
        Model::Priority(p) => b.priority(*p),
        Model::UseCandidate => b.use_candidate(),
        Model::Controlled(t) => b.ice_controlled(*t),
        Model::Controlling(t) => b.ice_controlling(*t),
        Model::Other(t, v) => b.raw(AttributeType(*t), v),
    };
}

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Request),
        Just(Class::Indication),
        Just(Class::SuccessResponse),
        Just(Class::ErrorResponse),
    ]
}

/// Exercises every reader on a message; none may panic.
fn read_all(m: &Message<'_>, key: &IntegrityKey) {
    for a in m.decoded() {
        let _ = a;
    }
    let _ = (
        m.username(),
        m.realm(),
        m.nonce(),
        m.software(),
        m.error_code(),
    );
    let _ = (
        m.xor_mapped_address(),
        m.mapped_address(),
        m.unknown_attributes(),
    );
    let _ = (
        m.priority(),
        m.ice_controlling(),
        m.ice_controlled(),
        m.use_candidate(),
    );
    let _ = m.unknown_required().count();
    let _ = (m.verify_integrity(key), m.verify_integrity_sha256(key));
    let _ = m.verify_fingerprint();
    let v = check_request(m, |_| Some(key));
    let mut out = Vec::new();
    if let Some(r) = v.respond(&mut out, m) {
        r.unwrap();
        Message::parse(&out).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn build_then_decode_round_trips(
        method in 0u16..0x1000,
        class in class(),
        id in any::<[u8; 12]>(),
        attrs in vec(model(), 0..12),
        password in "[ -~]{0,24}",
        seal in 0u8..8,
    ) {
        let kind = MessageType::new(Method::new(method).unwrap(), class);
        let key = IntegrityKey::short_term(&password);
        let mut buf = Vec::new();
        let mut b = MessageBuilder::new(&mut buf, kind, TransactionId(id));
        for a in &attrs {
            build(&mut b, a);
        }
        let (mi, sha, fp) = (seal & 1 != 0, seal & 2 != 0, seal & 4 != 0);
        if mi {
            b.message_integrity(&key);
        }
        if sha {
            b.message_integrity_sha256(&key);
        }
        if fp {
            b.fingerprint();
        }
        let len = b.finish().unwrap();
        prop_assert_eq!(len, buf.len());
        prop_assert!(is_stun(&buf));

        let m = Message::parse(&buf).unwrap();
        prop_assert_eq!(m.message_type(), kind);
        prop_assert_eq!(m.transaction_id(), TransactionId(id));
        let unknown: Vec<Vec<u8>> = attrs
            .iter()
            .map(|a| match a {
                Model::Unknown(k) => k.iter().flat_map(|k| k.to_be_bytes()).collect(),
                _ => Vec::new(),
            })
            .collect();
        let want: Vec<Attribute<'_>> =
            attrs.iter().zip(&unknown).map(|(a, u)| expected(a, u)).collect();
        let got: Vec<Attribute<'_>> = m
            .decoded()
            .map(Result::unwrap)
            .filter(|a| {
                !matches!(
                    a,
                    Attribute::MessageIntegrity(_)
                        | Attribute::MessageIntegritySha256(_)
                        | Attribute::Fingerprint(_)
                )
            })
            .map(|a| match a {
                Attribute::Other(r) => Attribute::Other(RawAttribute { offset: 0, ..r }),
                a => a,
            })
            .collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(m.verify_integrity(&key).is_ok(), mi);
        prop_assert_eq!(m.verify_integrity_sha256(&key).is_ok(), sha);
        prop_assert_eq!(m.verify_fingerprint().is_ok(), fp);
        if mi || sha {
            let other = IntegrityKey::short_term(&format!("{password}x"));
            prop_assert!(m.verify_integrity(&other).is_err());
            prop_assert!(m.verify_integrity_sha256(&other).is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..200)) {
        let key = IntegrityKey::short_term("pass");
        if let Ok(m) = Message::parse(&data) {
            prop_assert!(is_stun(&data));
            read_all(&m, &key);
        }
    }

    /// A valid header over random attribute bytes, so that the attribute walk is reached.
    #[test]
    fn random_bodies_never_panic(
        ty in 0u16..0x4000,
        id in any::<[u8; 12]>(),
        words in vec(any::<[u8; 4]>(), 0..40),
    ) {
        let body: Vec<u8> = words.concat();
        let mut data = Vec::new();
        data.extend_from_slice(&ty.to_be_bytes());
        data.extend_from_slice(&(body.len() as u16).to_be_bytes());
        data.extend_from_slice(&0x2112_a442u32.to_be_bytes());
        data.extend_from_slice(&id);
        data.extend_from_slice(&body);
        let key = IntegrityKey::short_term("pass");
        if let Ok(m) = Message::parse(&data) {
            read_all(&m, &key);
        }
    }

    /// Random sends, responses and time steps: deadlines never in the past, never more
    /// than Rc sends per transaction, one event per transaction, the bound respected.
    #[test]
    fn client_under_random_operations(ops in vec((0u8..4, any::<u16>()), 0..120)) {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let config = ClientConfig { max_outstanding: 8, ..ClientConfig::default() };
        let mut c = Client::new(config, SeededRandom::new(3));
        let peer: SocketAddr = "203.0.113.9:3478".parse().unwrap();
        let mut now = t0;
        let mut ids: Vec<TransactionId> = Vec::new();
        let mut sends = std::collections::HashMap::<TransactionId, u32>::new();
        let mut ended = std::collections::HashSet::new();
        for (op, arg) in ops {
            match op {
                0 => {
                    let id = c.transaction_id();
                    let mut req = Vec::new();
                    MessageBuilder::new(&mut req, MessageType::BINDING_REQUEST, id)
                        .finish()
                        .unwrap();
                    let transport = if arg % 5 == 0 { Transport::Tcp } else { Transport::Udp };
                    if c.send_request(now, peer, transport, req).is_ok() {
                        ids.push(id);
                    }
                }
                1 if !ids.is_empty() => {
                    let id = ids[usize::from(arg) % ids.len()];
                    let mut resp = Vec::new();
                    if arg % 2 == 0 {
                        MessageBuilder::new(&mut resp, MessageType::BINDING_ERROR, id)
                            .error_code(400 + arg % 100, "x")
                            .finish()
                            .unwrap();
                    } else {
                        MessageBuilder::new(&mut resp, MessageType::BINDING_SUCCESS, id)
                            .finish()
                            .unwrap();
                    }
                    let m = Message::parse(&resp).unwrap();
                    let _ = c.handle_response(now, &m);
                }
                2 => {
                    now += Duration::from_millis(u64::from(arg) * 4);
                    c.handle_timeout(now);
                }
                _ => {
                    if let Some(next) = c.poll_timeout() {
                        now = now.max(next);
                        c.handle_timeout(now);
                    }
                }
            }
            prop_assert!(c.len() <= 8);
            while let Some(t) = c.poll_transmit() {
                let n = sends.entry(t.id).or_default();
                *n += 1;
                prop_assert!(*n <= 7, "more than Rc sends");
            }
            while let Some(e) = c.poll_event() {
                prop_assert!(ended.insert(e.id), "a transaction ended twice");
                if let Outcome::ErrorResponse { code, .. } = e.outcome {
                    prop_assert!((400..500).contains(&code));
                }
            }
            if let Some(next) = c.poll_timeout() {
                prop_assert!(next > now, "deadline not in the future");
            }
        }
        // Every transaction ends within 39.5 s.
        now += Duration::from_secs(40);
        for _ in 0..8 {
            c.handle_timeout(now);
        }
        while c.poll_event().is_some() {}
        prop_assert!(c.is_empty());
    }
}
