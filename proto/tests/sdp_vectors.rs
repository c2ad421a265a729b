//! SDP vectors from the RFCs (`vectors/sdp/`, see `vectors/sdp/SOURCES.md`): each file is
//! parsed, checked for meaning and serialized back byte for byte.

use std::fs;
use std::path::Path;

use sipsimple_proto::sdp::{
    AddressType, Attribute, CryptoSuite, Direction, FileDateKind, KeyParam, Lifetime, MediaType,
    Mki, NetType, Session, TransportProtocol,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/sdp");

/// A minimal session header to complete the RFC 4975 §4 fragments, which start at `c=`.
const FRAGMENT_HEAD: &str = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\n";

fn read(name: &str) -> Vec<u8> {
    let path = Path::new(DIR).join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a complete vector and checks that it serializes back to the same bytes.
fn parse_exact(name: &str) -> Session {
    let bytes = read(name);
    let session = Session::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        String::from_utf8(session.to_bytes()).unwrap(),
        String::from_utf8(bytes).unwrap(),
        "{name} does not round-trip"
    );
    session
}

/// Parses an RFC 4975 §4 fragment behind [`FRAGMENT_HEAD`] and checks the round trip.
fn parse_fragment(name: &str) -> Session {
    let fragment = String::from_utf8(read(name)).unwrap();
    assert!(
        Session::parse(fragment.as_bytes()).is_err(),
        "{name} alone is not an SDP"
    );
    let text = format!("{FRAGMENT_HEAD}{fragment}");
    let session = Session::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(session.to_string(), text, "{name} does not round-trip");
    session
}

#[test]
fn every_vector_file_is_covered() {
    let mut names: Vec<String> = fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "SOURCES.md")
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "rfc4566-s5-example.sdp",
            "rfc4568-crypto-attribute-examples.txt",
            "rfc4975-s11.1-answer.sdp",
            "rfc4975-s11.1-offer.sdp",
            "rfc4975-s4-fig1-answer-fragment.sdp",
            "rfc4975-s4-fig1-offer-fragment.sdp",
            "rfc5547-s9.1-fig8-offer-push-file.sdp",
            "rfc5547-s9.1-fig9-answer-push-file.sdp",
            "rfc5547-s9.2-fig15-offer-pull-file.sdp",
            "rfc5547-s9.2-fig16-answer-pull-file.sdp",
            "rfc5547-s9.2-fig19-reoffer-second-file.sdp",
        ]
    );
    for name in names.iter().filter(|n| n.ends_with(".sdp")) {
        if name.contains("fragment") {
            parse_fragment(name);
        } else {
            parse_exact(name);
        }
    }
}

#[test]
fn rfc4566_s5_example() {
    let s = parse_exact("rfc4566-s5-example.sdp");
    let o = s.origin();
    assert_eq!(o.username, "jdoe");
    assert_eq!(o.session_id, 2_890_844_526);
    assert_eq!(o.session_version, 2_890_842_807);
    assert_eq!(o.net_type, NetType::Internet);
    assert_eq!(o.address_type, AddressType::Ip4);
    assert_eq!(o.address, "10.47.16.5");
    assert_eq!(s.name(), "SDP Seminar");
    assert_eq!(
        s.information(),
        Some("A Seminar on the session description protocol")
    );
    assert_eq!(s.uri(), Some("http://www.example.com/seminars/sdp.pdf"));
    assert_eq!(s.emails(), ["j.doe@example.com (Jane Doe)"]);
    let c = s.connection().unwrap();
    assert_eq!(
        (c.address.as_str(), c.ttl, c.address_count),
        ("224.2.17.12", Some(127), None)
    );
    assert!(c.is_multicast());
    assert_eq!(s.timings().len(), 1);
    assert_eq!(
        (s.timings()[0].start, s.timings()[0].stop),
        (2_873_397_496, 2_873_404_696)
    );
    assert_eq!(s.direction(), Some(Direction::RecvOnly));

    let [audio, video] = s.media() else {
        panic!("two media descriptions expected");
    };
    assert_eq!(audio.media_type(), &MediaType::Audio);
    assert_eq!(audio.port(), 49170);
    assert_eq!(audio.protocol(), &TransportProtocol::RtpAvp);
    assert_eq!(audio.formats(), ["0"]);
    assert_eq!(audio.rtpmaps().count(), 0);
    assert_eq!(video.media_type(), &MediaType::Video);
    assert_eq!(video.port(), 51372);
    assert_eq!(video.payload_types().collect::<Vec<_>>(), [99]);
    let rtpmap = video.rtpmap(99).unwrap();
    assert_eq!(rtpmap.encoding_name, "h263-1998");
    assert_eq!(rtpmap.clock_rate, 90000);
    assert_eq!(rtpmap.encoding_params, None);
    // Neither stream has its own direction: both inherit the session's recvonly.
    assert_eq!(
        s.effective_directions().collect::<Vec<_>>(),
        [Direction::RecvOnly, Direction::RecvOnly]
    );
    assert_eq!(audio.effective_connection(&s), Some(c));
}

#[test]
fn rfc4975_s11_1_offer_and_answer() {
    let offer = parse_exact("rfc4975-s11.1-offer.sdp");
    assert_eq!(offer.origin().username, "alice");
    // The RFC writes `s= -`, with a space; it is kept.
    assert_eq!(offer.name(), " -");
    assert_eq!(offer.connection().unwrap().address, "alicepc.example.com");
    assert_eq!(offer.connection().unwrap().ip(), None);
    let m = &offer.media()[0];
    assert_eq!(m.media_type(), &MediaType::Message);
    assert_eq!(m.port(), 7777);
    assert_eq!(m.protocol(), &TransportProtocol::TcpMsrp);
    assert!(m.protocol().is_msrp());
    assert_eq!(m.formats(), ["*"]);
    assert_eq!(
        m.attributes().accept_types(),
        Some(&["text/plain".to_owned()][..])
    );
    assert_eq!(
        m.attributes().path(),
        Some(&["msrp://alicepc.example.com:7777/iau39soe2843z;tcp".to_owned()][..])
    );

    let answer = parse_exact("rfc4975-s11.1-answer.sdp");
    let m = &answer.media()[0];
    assert_eq!(m.port(), 8888);
    assert_eq!(
        m.attributes().path(),
        Some(&["msrp://bob.example.com:8888/9di4eae923wzd;tcp".to_owned()][..])
    );
}

#[test]
fn rfc4975_s4_fragments() {
    let offer = parse_fragment("rfc4975-s4-fig1-offer-fragment.sdp");
    assert_eq!(offer.connection().unwrap().address, "atlanta.example.com");
    let m = &offer.media()[0];
    assert_eq!(
        (m.port(), m.protocol()),
        (7654, &TransportProtocol::TcpMsrp)
    );
    assert_eq!(
        m.attributes().accept_types(),
        Some(&["text/plain".to_owned()][..])
    );
    assert_eq!(
        m.attributes().path(),
        Some(&["msrp://atlanta.example.com:7654/jshA7weztas;tcp".to_owned()][..])
    );
    let answer = parse_fragment("rfc4975-s4-fig1-answer-fragment.sdp");
    assert_eq!(
        answer.media()[0].attributes().path(),
        Some(&["msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp".to_owned()][..])
    );
}

const PICTURE_SHA1: [u8; 20] = [
    0x72, 0x24, 0x5F, 0xE8, 0x65, 0x3D, 0xDA, 0xF3, 0x71, 0x36, 0x2F, 0x86, 0xD4, 0x71, 0x91, 0x3E,
    0xE4, 0xA2, 0xCE, 0x2E,
];

#[test]
fn rfc5547_s9_1_push_file() {
    let offer = parse_exact("rfc5547-s9.1-fig8-offer-push-file.sdp");
    assert_eq!(offer.name(), "");
    let m = &offer.media()[0];
    assert_eq!(m.information(), Some("This is my latest picture"));
    assert_eq!(m.direction(), Some(Direction::SendOnly));
    let a = m.attributes();
    assert_eq!(a.accept_types(), Some(&["message/cpim".to_owned()][..]));
    assert_eq!(a.accept_wrapped_types(), Some(&["*".to_owned()][..]));
    let selector = a.file_selector().unwrap();
    assert_eq!(selector.name(), Some("My cool picture.jpg"));
    assert_eq!(selector.media_type(), Some("image/jpeg"));
    assert_eq!(selector.size(), Some(4092));
    let hash = selector.hash("sha-1").unwrap();
    assert_eq!(hash.algorithm, "sha-1");
    assert_eq!(hash.value, PICTURE_SHA1);
    assert_eq!(
        selector.as_str(),
        "name:\"My cool picture.jpg\" type:image/jpeg size:4092 \
         hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E"
    );
    assert_eq!(
        a.file_transfer_id(),
        Some("Q6LMoGymJdh0IKIgD6wD0jkcfgva4xvE")
    );
    assert_eq!(a.file_disposition(), Some("render"));
    let date = a.file_date().unwrap();
    assert_eq!(date.creation(), Some("Mon, 15 May 2006 15:01:31 +0300"));
    assert_eq!(date.dates.len(), 1);
    assert_eq!(date.dates[0].0, FileDateKind::Creation);
    assert_eq!(a.file_icon(), Some("cid:id2@alicepc.example.com"));
    assert_eq!(a.malformed().count(), 0);

    let answer = parse_exact("rfc5547-s9.1-fig9-answer-push-file.sdp");
    let m = &answer.media()[0];
    assert_eq!(m.direction(), Some(Direction::RecvOnly));
    // RFC 3264 §6.1: recvonly is the answer to a sendonly offer.
    assert_eq!(
        Direction::answer(
            offer.media()[0].effective_direction(&offer),
            Direction::SendRecv
        ),
        m.effective_direction(&answer)
    );
    assert_eq!(
        m.attributes().file_selector(),
        offer.media()[0].attributes().file_selector()
    );
    assert_eq!(
        m.attributes().file_transfer_id(),
        Some("Q6LMoGymJdh0IKIgD6wD0jkcfgva4xvE")
    );
}

#[test]
fn rfc5547_s9_2_pull_file() {
    let offer = parse_exact("rfc5547-s9.2-fig15-offer-pull-file.sdp");
    let m = &offer.media()[0];
    assert_eq!(m.direction(), Some(Direction::RecvOnly));
    let selector = m.attributes().file_selector().unwrap();
    assert_eq!(
        (selector.name(), selector.media_type(), selector.size()),
        (None, None, None)
    );
    assert_eq!(selector.hashes().len(), 1);
    assert_eq!(selector.hashes()[0].value, PICTURE_SHA1);
    assert_eq!(
        m.attributes().file_transfer_id(),
        Some("aCQYuBRVoUPGVsFZkCK98vzcX2FXDIk2")
    );

    let answer = parse_exact("rfc5547-s9.2-fig16-answer-pull-file.sdp");
    assert_eq!(answer.origin().session_version, 2_890_855_439);
    let m = &answer.media()[0];
    assert_eq!(m.direction(), Some(Direction::SendOnly));
    let selector = m.attributes().file_selector().unwrap();
    assert_eq!(selector.media_type(), Some("image/jpeg"));
    assert_eq!(selector.name(), None);
    assert_eq!(selector.hash("sha-1").unwrap().value, PICTURE_SHA1);
}

#[test]
fn rfc5547_s9_2_reoffer() {
    let s = parse_exact("rfc5547-s9.2-fig19-reoffer-second-file.sdp");
    assert_eq!(s.origin().session_version, 2_890_844_527);
    let a = s.media()[0].attributes();
    let selector = a.file_selector().unwrap();
    assert_eq!(selector.name(), Some("sunset.jpg"));
    assert_eq!(selector.size(), Some(4096));
    assert_eq!(
        selector.hash("sha-1").unwrap().to_string(),
        "sha-1:58:23:1F:E8:65:3B:BC:F3:71:36:2F:86:D4:71:91:3E:E4:B1:DF:2F"
    );
    assert_eq!(
        a.file_transfer_id(),
        Some("ZVE8MfI9mhAdZ8GyiNMzNN5dpqgzQlCO")
    );
    assert_eq!(
        a.file_date().unwrap().creation(),
        Some("Sun, 21 May 2006 13:02:15 +0300")
    );
    assert_eq!(a.file_icon(), Some("cid:id3@alicepc.example.com"));
    assert_eq!(
        a.path(),
        Some(&["msrp://alicepc.example.com:7654/iau39;tcp".to_owned()][..])
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc4568_crypto_examples() {
    let text = String::from_utf8(read("rfc4568-crypto-attribute-examples.txt")).unwrap();
    let mut keys = Vec::new();
    let mut crypto_lines = Vec::new();
    let mut expected = Vec::new();
    for line in text.lines() {
        if let Some(attribute) = line.strip_prefix("a=") {
            let Attribute::Crypto(crypto) = Attribute::parse(attribute) else {
                panic!("not a crypto attribute: {line}");
            };
            assert_eq!(format!("a={}", Attribute::Crypto(crypto.clone())), line);
            assert_eq!(crypto.key_params.len(), 1);
            keys.push(crypto.inline_keys().next().unwrap().clone());
            crypto_lines.push(crypto);
        } else if line.starts_with("inline:") {
            let KeyParam::Inline(key) = line.parse::<KeyParam>().unwrap() else {
                panic!("not an inline key: {line}");
            };
            assert_eq!(KeyParam::Inline(key.clone()).to_string(), line);
            keys.push(key);
        } else if let Some((_, rest)) = line.split_once("key||salt = ") {
            expected.push(hex(rest.split_whitespace().next().unwrap()));
        }
    }
    assert_eq!(keys.len(), 4);
    assert_eq!(expected.len(), 4);
    for (key, expected) in keys.iter().zip(&expected) {
        let bytes = key.key_salt_bytes().unwrap();
        assert_eq!(&bytes, expected, "{}", key.key_salt);
        let (key_len, salt_len) = CryptoSuite::AesCm128HmacSha1_80.key_salt_lengths().unwrap();
        assert_eq!(bytes.len(), key_len + salt_len);
    }

    // §4: a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:…|2^20|1:32
    let s4 = &crypto_lines[0];
    assert_eq!(s4.tag, 1);
    assert_eq!(s4.suite, CryptoSuite::AesCm128HmacSha1_80);
    assert!(s4.session_params.is_empty());
    assert_eq!(keys[0].key_salt, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    assert_eq!(keys[0].lifetime, Some(Lifetime::PowerOfTwo(20)));
    assert_eq!(
        keys[0].mki,
        Some(Mki {
            value: 1,
            length: 32
        })
    );
    // §6.1: inline:…|2^20|1:4
    assert_eq!(keys[1].lifetime, Some(Lifetime::PowerOfTwo(20)));
    assert_eq!(
        keys[1].mki,
        Some(Mki {
            value: 1,
            length: 4
        })
    );
    // §6.1: inline:…|1066:4, default lifetime, MKI 1066 of 4 octets.
    assert_eq!(keys[2].lifetime, None);
    assert_eq!(
        keys[2].mki,
        Some(Mki {
            value: 1066,
            length: 4
        })
    );
    // The libsrtp key, no lifetime and no MKI.
    assert_eq!((keys[3].lifetime, keys[3].mki), (None, None));
    assert_eq!(crypto_lines[1].tag, 1);
}
