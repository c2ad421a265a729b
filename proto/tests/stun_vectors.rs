//! RFC 5769 test vectors (`vectors/stun/`): each sample decodes with every attribute value
//! as the RFC gives it, its MESSAGE-INTEGRITY (short-term and long-term) and FINGERPRINT
//! verify, and building the same message again gives the same bytes (with the sample's own
//! padding byte, which RFC 5769 leaves arbitrary).

use std::net::SocketAddr;
use std::path::Path;

use sipsimple_proto::stun::{
    is_stun, Attribute, AttributeType, Class, Error, IntegrityKey, Message, MessageBuilder,
    MessageType, Method, TransactionId,
};

const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

fn vector(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors/stun")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn id(hex: &str) -> TransactionId {
    let mut id = [0u8; 12];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    TransactionId(id)
}

/// The attribute types in order, to check that nothing else is there.
fn kinds(m: &Message<'_>) -> Vec<AttributeType> {
    m.attributes().map(|a| a.kind).collect()
}

#[test]
fn sample_request() {
    let bytes = vector("rfc5769-2.1-sample-request.bin");
    assert_eq!(bytes.len(), 108);
    assert!(is_stun(&bytes));
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.message_type(), MessageType::BINDING_REQUEST);
    assert_eq!(m.method(), Method::BINDING);
    assert_eq!(m.class(), Class::Request);
    assert_eq!(m.transaction_id(), id("b7e7a701bc34d686fa87dfae"));
    assert_eq!(
        kinds(&m),
        [
            AttributeType::SOFTWARE,
            AttributeType::PRIORITY,
            AttributeType::ICE_CONTROLLED,
            AttributeType::USERNAME,
            AttributeType::MESSAGE_INTEGRITY,
            AttributeType::FINGERPRINT,
        ]
    );
    assert_eq!(m.software().unwrap(), Some("STUN test client"));
    assert_eq!(m.priority().unwrap(), Some(0x6e00_01ff));
    assert_eq!(m.ice_controlled().unwrap(), Some(0x932f_f9b1_5126_3b36));
    assert_eq!(m.ice_controlling().unwrap(), None);
    assert!(!m.use_candidate());
    assert_eq!(m.username().unwrap(), Some("evtj:h6vY"));
    let decoded: Vec<_> = m.decoded().collect::<Result<_, _>>().unwrap();
    assert_eq!(decoded[5], Attribute::Fingerprint(0xe57a_3bcf));
    assert_eq!(m.unknown_required().count(), 0);

    let key = IntegrityKey::short_term(PASSWORD);
    assert_eq!(m.verify_integrity(&key), Ok(()));
    assert_eq!(m.verify_fingerprint(), Ok(()));
    assert_eq!(
        m.verify_integrity(&IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBu")),
        Err(Error::IntegrityMismatch("MESSAGE-INTEGRITY"))
    );

    // The sample pads USERNAME with spaces.
    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, m.transaction_id())
        .padding_byte(b' ')
        .software("STUN test client")
        .priority(0x6e00_01ff)
        .ice_controlled(0x932f_f9b1_5126_3b36)
        .username("evtj:h6vY")
        .message_integrity(&key)
        .fingerprint()
        .finish()
        .unwrap();
    assert_eq!(buf, bytes);

    // With zero padding, only the padding, the tag and the CRC differ, and it verifies.
    let mut zero = Vec::new();
    MessageBuilder::new(&mut zero, MessageType::BINDING_REQUEST, m.transaction_id())
        .software("STUN test client")
        .priority(0x6e00_01ff)
        .ice_controlled(0x932f_f9b1_5126_3b36)
        .username("evtj:h6vY")
        .message_integrity(&key)
        .fingerprint()
        .finish()
        .unwrap();
    assert_eq!(zero[..73], bytes[..73]);
    assert_eq!(zero[73..76], [0, 0, 0]);
    assert_eq!(zero[76..80], bytes[76..80]);
    let z = Message::parse(&zero).unwrap();
    assert_eq!(z.verify_integrity(&key), Ok(()));
    assert_eq!(z.verify_fingerprint(), Ok(()));
}

fn check_response(file: &str, len: usize, mapped: &str) {
    let bytes = vector(file);
    assert_eq!(bytes.len(), len);
    assert!(is_stun(&bytes));
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.message_type(), MessageType::BINDING_SUCCESS);
    assert_eq!(m.transaction_id(), id("b7e7a701bc34d686fa87dfae"));
    assert_eq!(
        kinds(&m),
        [
            AttributeType::SOFTWARE,
            AttributeType::XOR_MAPPED_ADDRESS,
            AttributeType::MESSAGE_INTEGRITY,
            AttributeType::FINGERPRINT,
        ]
    );
    assert_eq!(m.software().unwrap(), Some("test vector"));
    let mapped: SocketAddr = mapped.parse().unwrap();
    assert_eq!(m.xor_mapped_address().unwrap(), Some(mapped));
    assert_eq!(m.mapped_address().unwrap(), None);
    let key = IntegrityKey::short_term(PASSWORD);
    assert_eq!(m.verify_integrity(&key), Ok(()));
    assert_eq!(m.verify_fingerprint(), Ok(()));

    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_SUCCESS, m.transaction_id())
        .padding_byte(b' ')
        .software("test vector")
        .xor_mapped_address(mapped)
        .message_integrity(&key)
        .fingerprint()
        .finish()
        .unwrap();
    assert_eq!(buf, bytes);
}

#[test]
fn sample_ipv4_response() {
    check_response(
        "rfc5769-2.2-sample-ipv4-response.bin",
        80,
        "192.0.2.1:32853",
    );
}

#[test]
fn sample_ipv6_response() {
    check_response(
        "rfc5769-2.3-sample-ipv6-response.bin",
        92,
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
    );
}

#[test]
fn sample_request_with_long_term_authentication() {
    let bytes = vector("rfc5769-2.4-sample-request-long-term-auth.bin");
    assert_eq!(bytes.len(), 116);
    assert!(is_stun(&bytes));
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.message_type(), MessageType::BINDING_REQUEST);
    assert_eq!(m.transaction_id(), id("78ad3433c6ad72c029da412e"));
    assert_eq!(
        kinds(&m),
        [
            AttributeType::USERNAME,
            AttributeType::NONCE,
            AttributeType::REALM,
            AttributeType::MESSAGE_INTEGRITY,
        ]
    );
    let username = "\u{30de}\u{30c8}\u{30ea}\u{30c3}\u{30af}\u{30b9}";
    assert_eq!(m.username().unwrap(), Some(username));
    assert_eq!(m.nonce().unwrap(), Some("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(m.realm().unwrap(), Some("example.org"));
    assert!(!m.has_fingerprint());
    assert_eq!(m.verify_fingerprint(), Err(Error::MissingFingerprint));

    // The password "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep.
    let key = IntegrityKey::long_term(username, "example.org", "TheMatrIX");
    assert_eq!(m.verify_integrity(&key), Ok(()));
    // The key is MD5(username ":" realm ":" password), as the vector file gives it.
    let raw = IntegrityKey::from_bytes(&[
        0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51, 0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2,
        0xa9,
    ]);
    assert_eq!(m.verify_integrity(&raw), Ok(()));
    // Without SASLprep the key is wrong.
    let unprepared = IntegrityKey::long_term(username, "example.org", "The\u{ad}M\u{aa}tr\u{2168}");
    assert!(m.verify_integrity(&unprepared).is_err());

    let mut buf = Vec::new();
    MessageBuilder::new(&mut buf, MessageType::BINDING_REQUEST, m.transaction_id())
        .username(username)
        .nonce("f//499k954d6OL34oL9FSTvy64sA")
        .realm("example.org")
        .message_integrity(&key)
        .finish()
        .unwrap();
    assert_eq!(buf, bytes);
}

#[test]
fn the_vector_copies_are_intact() {
    // The hex in rfc5769.txt and the .bin files are the same messages.
    let text = String::from_utf8(vector("rfc5769.txt")).unwrap();
    let hexes: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("hex: "))
        .collect();
    let files = [
        "rfc5769-2.1-sample-request.bin",
        "rfc5769-2.2-sample-ipv4-response.bin",
        "rfc5769-2.3-sample-ipv6-response.bin",
        "rfc5769-2.4-sample-request-long-term-auth.bin",
    ];
    assert_eq!(hexes.len(), files.len());
    for (hex, file) in hexes.iter().zip(files) {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(bytes, vector(file), "{file}");
    }
}
