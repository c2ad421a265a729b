use super::kdf::{keystream_xor, Label, Prf};
use super::*;
use crate::rand::SeededRandom;
use crate::sdp::{Crypto, InlineKey};

const LIBSRTP_VECTORS: &str = include_str!("../../../vectors/srtp/libsrtp-vectors.txt");
const LIBSRTP_VALIDATE: &str = include_str!("../../../vectors/srtp/libsrtp-validate-packets.txt");
const RFC3711_B: &str = include_str!("../../../vectors/srtp/rfc3711-appendix-b.txt");
const RFC7714: &str = include_str!("../../../vectors/srtp/rfc7714-examples.txt");

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The value after `name` (up to the end of its line) in `text`, the first from `from` on.
fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name}"))
        .trim()
}

/// The first word of [`field`]: the value without the comment after it.
fn word<'a>(text: &'a str, name: &str) -> &'a str {
    field(text, name)
        .split_whitespace()
        .next()
        .unwrap_or_default()
}

/// The `[group]` sections of a vector file: name and body lines.
fn groups(text: &str) -> Vec<(&str, Vec<(&str, &str)>)> {
    let mut out: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name, Vec::new()));
        } else if let (Some((k, v)), Some(g)) = (line.split_once(':'), out.last_mut()) {
            if !line.starts_with('#') {
                g.1.push((k.trim(), v.trim()));
            }
        }
    }
    out
}

fn get<'a>(body: &[(&str, &'a str)], key: &str) -> &'a str {
    body.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap()
}

fn context(profile: Profile, key: &[u8], salt: &[u8]) -> SrtpContext {
    SrtpContext::new(profile, vec![MasterKey::new(profile, key, salt).unwrap()]).unwrap()
}

fn rtp(seq: u16, ssrc: u32, payload_len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..payload_len).map(|i| i as u8));
    p
}

fn rtcp(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x81, 0xc8, 0x00, 0x0c];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..44).map(|i| i as u8));
    p
}

fn pair(profile: Profile) -> (SrtpContext, SrtpContext) {
    let key = vec![0x11; profile.master_key_len()];
    let salt = vec![0x22; profile.master_salt_len()];
    (context(profile, &key, &salt), context(profile, &key, &salt))
}

#[test]
fn rfc3711_b3_key_derivation() {
    let master_key = hex(word(RFC3711_B, "master key:"));
    let master_salt = hex(word(RFC3711_B, "master salt:"));
    assert_eq!(master_salt.len(), 14);
    let prf = Prf::new(&master_key).unwrap();
    let mut key = [0u8; 16];
    prf.derive(&master_salt, Label::RtpEncryption, &mut key);
    assert_eq!(key.to_vec(), hex(word(RFC3711_B, "cipher key:")));
    let mut salt = [0u8; 14];
    prf.derive(&master_salt, Label::RtpSalt, &mut salt);
    assert_eq!(salt.to_vec(), hex(word(RFC3711_B, "cipher salt:")));
    // The 94-octet auth key is printed as the left column of six lines.
    let start = RFC3711_B
        .find("auth key                           AES input blocks")
        .unwrap();
    let auth: String = RFC3711_B[start..]
        .lines()
        .skip(1)
        .take(6)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut derived = [0u8; 94];
    prf.derive(&master_salt, Label::RtpAuthentication, &mut derived);
    assert_eq!(derived.to_vec(), hex(&auth));
}

#[test]
fn libsrtp_derived_session_keys() {
    let master_key = hex(field(LIBSRTP_VALIDATE, "master_key  (16):"));
    let master_salt = hex(field(LIBSRTP_VALIDATE, "master_salt (14):"));
    let prf = Prf::new(&master_key).unwrap();
    for (label, name) in [
        (
            Label::RtcpEncryption,
            "srtcp_cipher_key   (label 0x03, 16 octets):",
        ),
        (
            Label::RtcpAuthentication,
            "srtcp_auth_key     (label 0x04, 20 octets):",
        ),
        (
            Label::RtcpSalt,
            "srtcp_salt         (label 0x05, 14 octets):",
        ),
        (
            Label::RtpAuthentication,
            "srtp_auth_key      (label 0x01, 20 octets):",
        ),
    ] {
        let expected = hex(field(LIBSRTP_VALIDATE, name));
        let mut out = vec![0u8; expected.len()];
        prf.derive(&master_salt, label, &mut out);
        assert_eq!(out, expected, "{name}");
    }
}

#[test]
fn rfc3711_b2_aes_cm_keystream() {
    let key = hex(word(RFC3711_B, "Session Key:"));
    let aes = match Prf::new(&key).unwrap() {
        Prf::Aes128(aes) => aes,
        Prf::Aes256(_) => unreachable!("16-byte key"),
    };
    let iv = u128::from_be_bytes(hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000").try_into().unwrap());
    let mut stream = vec![0u8; 1_044_512];
    keystream_xor(&aes, iv, &mut stream, true);
    let start = RFC3711_B
        .find("Counter                            Keystream")
        .unwrap();
    let mut checked = 0;
    for line in RFC3711_B[start..].lines().skip(2).take(7) {
        let mut it = line.split_whitespace();
        let (Some(counter), Some(block)) = (it.next(), it.next()) else {
            continue;
        };
        if counter == "..." {
            continue;
        }
        let n = (u128::from_str_radix(counter, 16).unwrap() - iv) as usize;
        assert_eq!(
            stream[16 * n..16 * n + 16].to_vec(),
            hex(block),
            "{counter}"
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn libsrtp_packet_vectors() {
    let mut packets = 0;
    for (name, body) in groups(LIBSRTP_VECTORS) {
        let suite = get(&body, "suite");
        let profile = Profile::from_suite(&crate::sdp::CryptoSuite::from_text(suite)).unwrap();
        let inline: InlineKey = get(&body, "key_inline")
            .strip_prefix("inline:")
            .unwrap()
            .parse()
            .unwrap();
        let key = MasterKey::from_inline_key(profile, &inline).unwrap();
        assert_eq!(key.key_salt(), {
            let mut v = hex(get(&body, "master_key"));
            v.extend(hex(get(&body, "master_salt")));
            v
        });
        let mut sender = SrtpContext::new(profile, vec![key.clone()]).unwrap();
        let mut receiver = SrtpContext::new(profile, vec![key]).unwrap();
        let lines: Vec<_> = body
            .iter()
            .filter(|(k, _)| ["rtp", "srtp", "rtcp", "srtcp"].contains(k))
            .collect();
        for pair in lines.chunks(2) {
            let [(kind, plain), (_, protected)] = pair else {
                panic!("{name}: unpaired line");
            };
            let (plain, protected) = (hex(plain), hex(protected));
            let mut packet = plain.clone();
            let mut back = protected.clone();
            if *kind == "rtp" {
                sender.protect_rtp(&mut packet).unwrap();
                receiver.unprotect_rtp(&mut back).unwrap();
            } else {
                sender.protect_rtcp(&mut packet).unwrap();
                receiver.unprotect_rtcp(&mut back).unwrap();
            }
            assert_eq!(packet, protected, "{name}: protect {kind}");
            assert_eq!(back, plain, "{name}: unprotect {kind}");
            packets += 1;
        }
    }
    assert_eq!(packets, 30);
}

#[test]
fn libsrtp_validate_known_answers() {
    let key = hex(field(LIBSRTP_VALIDATE, "master_key  (16):"));
    let salt = hex(field(LIBSRTP_VALIDATE, "master_salt (14):"));
    let rtp = hex(field(LIBSRTP_VALIDATE, "rtp_plaintext   (28):"));
    let rtcp = hex(field(LIBSRTP_VALIDATE, "rtcp_plaintext  (24):"));
    let section = |from: &str| &LIBSRTP_VALIDATE[LIBSRTP_VALIDATE.find(from).unwrap()..];
    let v1 = section("## V1 ");
    let v1_32 = section("## V1-32");
    let v2 = section("## V2 ");
    let cases = [
        (Profile::AesCm128HmacSha1_80, None, v1),
        (Profile::AesCm128HmacSha1_32, None, v1_32),
        (Profile::AesCm128HmacSha1_80, Some(hex("e1f97a0d")), v2),
    ];
    for (profile, mki, text) in cases {
        let mut master = MasterKey::new(profile, &key, &salt).unwrap();
        if let Some(mki) = &mki {
            master = master.with_mki(mki).unwrap();
        }
        let mut sender = SrtpContext::new(profile, vec![master.clone()]).unwrap();
        let mut receiver = SrtpContext::new(profile, vec![master]).unwrap();
        let srtp = hex(field(text, "srtp_protected").split_once(':').unwrap().1);
        let srtcp_field = field(text, "srtcp_protected").split_once(':').unwrap().1;
        let srtcp = if srtcp_field.contains("identical") {
            hex(field(v1, "srtcp_protected").split_once(':').unwrap().1)
        } else {
            hex(srtcp_field)
        };
        let mut p = rtp.clone();
        sender.protect_rtp(&mut p).unwrap();
        assert_eq!(p, srtp, "{profile:?} {mki:?}");
        receiver.unprotect_rtp(&mut p).unwrap();
        assert_eq!(p, rtp);
        let mut p = rtcp.clone();
        sender.protect_rtcp(&mut p).unwrap();
        assert_eq!(p, srtcp, "{profile:?} {mki:?} rtcp");
        receiver.unprotect_rtcp(&mut p).unwrap();
        assert_eq!(p, rtcp);
    }
}

#[test]
fn rfc7714_gcm_examples() {
    let mut checked = 0;
    for (name, body) in groups(RFC7714) {
        let key = hex(get(&body, "session_key"));
        let salt: [u8; 12] = hex(get(&body, "session_salt")).try_into().unwrap();
        let profile = if key.len() == 16 {
            Profile::AeadAes128Gcm
        } else {
            Profile::AeadAes256Gcm
        };
        let make =
            || SrtpContext::from_transform(profile, Transform::gcm_from_session_keys(&key, salt));
        let (mut sender, mut receiver) = (make(), make());
        let encrypted = !name.ends_with("unencrypted");
        sender.encrypt_rtcp = encrypted;
        if let Some(plain) = body.iter().find(|(k, _)| *k == "rtp") {
            let (plain, protected) = (hex(plain.1), hex(get(&body, "srtp")));
            let mut p = plain.clone();
            sender.protect_rtp(&mut p).unwrap();
            assert_eq!(p, protected, "{name}");
            receiver.unprotect_rtp(&mut p).unwrap();
            assert_eq!(p, plain, "{name}");
        } else {
            let (plain, protected) = (hex(get(&body, "rtcp")), hex(get(&body, "srtcp")));
            // Every section 17 example uses SRTCP index 0x5d4: the next one sent.
            sender.streams.entry(0x4d61_7273).or_default().rtcp_sent = 0x5d3;
            let mut p = plain.clone();
            sender.protect_rtcp(&mut p).unwrap();
            assert_eq!(p, protected, "{name}");
            receiver.unprotect_rtcp(&mut p).unwrap();
            assert_eq!(p, plain, "{name}");
            // A flipped bit anywhere fails, the E flag and index included.
            for i in [
                0,
                9,
                protected.len() - 17,
                protected.len() - 4,
                protected.len() - 1,
            ] {
                let mut bad = protected.clone();
                bad[i] ^= 0x01;
                let mut fresh = make();
                assert_eq!(
                    fresh.unprotect_rtcp(&mut bad),
                    Err(Error::AuthenticationFailed),
                    "{name} byte {i}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn round_trip_every_profile_with_mki() {
    for profile in Profile::ALL {
        let key = MasterKey::new(
            profile,
            &vec![3; profile.master_key_len()],
            &vec![4; profile.master_salt_len()],
        )
        .unwrap()
        .with_mki(&[0, 0, 0, 7])
        .unwrap();
        let mut tx = SrtpContext::new(profile, vec![key.clone()]).unwrap();
        let mut rx = SrtpContext::new(profile, vec![key]).unwrap();
        for len in [0, 1, 15, 16, 17, 160, 1200] {
            let plain = rtp(len as u16, 42, len);
            let mut p = Vec::with_capacity(plain.len() + profile.max_overhead());
            p.extend_from_slice(&plain);
            let capacity = p.capacity();
            tx.protect_rtp(&mut p).unwrap();
            assert_eq!(p.capacity(), capacity, "no reallocation");
            assert_eq!(p.len(), plain.len() + profile.rtp_tag_len() + 4);
            if len > 0 {
                assert_ne!(p[12..12 + len], plain[12..], "payload encrypted");
            }
            rx.unprotect_rtp(&mut p).unwrap();
            assert_eq!(p, plain, "{profile:?} {len}");
            let plain = rtcp(42);
            let mut p = plain.clone();
            tx.protect_rtcp(&mut p).unwrap();
            assert_eq!(p.len(), plain.len() + profile.rtcp_tag_len() + 4 + 4);
            rx.unprotect_rtcp(&mut p).unwrap();
            assert_eq!(p, plain);
        }
        assert_eq!(rx.stats().rtp_unprotected, 7);
        assert_eq!(rx.stats().rtcp_unprotected, 7);
        assert_eq!(tx.stats().rtp_protected, 7);
    }
}

#[test]
fn replay_window() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile);
        let mut sent = Vec::new();
        for seq in 1000..1500u16 {
            let mut p = rtp(seq, 9, 20);
            tx.protect_rtp(&mut p).unwrap();
            sent.push(p);
        }
        let deliver = |rx: &mut SrtpContext, i: usize| {
            let mut p = sent[i].clone();
            rx.unprotect_rtp(&mut p).map(|()| p)
        };
        // In order up to 1199, holding back 1150 and 1180.
        for i in 0..200 {
            if i != 150 && i != 180 {
                deliver(&mut rx, i).unwrap();
            }
        }
        // Out of order within the window: accepted once, then a duplicate.
        assert_eq!(deliver(&mut rx, 180).unwrap(), rtp(1180, 9, 20));
        assert_eq!(deliver(&mut rx, 180), Err(Error::Duplicate { index: 1180 }));
        assert_eq!(deliver(&mut rx, 199), Err(Error::Duplicate { index: 1199 }));
        // 1150 is 49 behind: still inside the window.
        deliver(&mut rx, 150).unwrap();
        // Jump ahead so that 1050 falls behind the 128-packet window.
        deliver(&mut rx, 499).unwrap();
        assert_eq!(
            deliver(&mut rx, 50),
            Err(Error::TooOld {
                index: 1050,
                newest: 1499
            })
        );
        // Exactly 127 behind is the oldest accepted; 128 behind is too old.
        deliver(&mut rx, 499 - 127).unwrap();
        assert!(matches!(
            deliver(&mut rx, 499 - 128),
            Err(Error::TooOld { .. })
        ));
        let stats = rx.stats();
        assert_eq!(stats.replay_duplicates, 2);
        assert_eq!(stats.replay_too_old, 2);
        assert_eq!(stats.rtp_unprotected, 198 + 4);
    }
}

#[test]
fn rtcp_replay_window() {
    let (mut tx, mut rx) = pair(Profile::AesCm128HmacSha1_32);
    let sent: Vec<_> = (0..200)
        .map(|_| {
            let mut p = rtcp(5);
            tx.protect_rtcp(&mut p).unwrap();
            p
        })
        .collect();
    rx.unprotect_rtcp(&mut sent[10].clone()).unwrap();
    rx.unprotect_rtcp(&mut sent[5].clone()).unwrap();
    assert_eq!(
        rx.unprotect_rtcp(&mut sent[5].clone()),
        Err(Error::Duplicate { index: 6 })
    );
    rx.unprotect_rtcp(&mut sent[199].clone()).unwrap();
    assert_eq!(
        rx.unprotect_rtcp(&mut sent[20].clone()),
        Err(Error::TooOld {
            index: 21,
            newest: 200
        })
    );
}

#[test]
fn roc_rolls_over_at_65535_with_reordering() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile);
        let seqs: Vec<u16> = (65500..=65535).chain(0..40).collect();
        let sent: Vec<_> = seqs
            .iter()
            .map(|&s| {
                let mut p = rtp(s, 77, 30);
                tx.protect_rtp(&mut p).unwrap();
                p
            })
            .collect();
        assert_eq!(tx.streams[&77].rtp_sent.unwrap().newest(), (1 << 16) + 39);
        // Deliver with the packets around the wrap swapped: 0 and 1 before 65534, 65535.
        let order: Vec<usize> = (0..34)
            .chain([36, 37, 34, 35])
            .chain(38..sent.len())
            .collect();
        for i in order {
            let mut p = sent[i].clone();
            rx.unprotect_rtp(&mut p).unwrap();
            assert_eq!(p, rtp(seqs[i], 77, 30), "{profile:?} seq {}", seqs[i]);
        }
        assert_eq!(rx.streams[&77].rtp_window.unwrap().newest(), (1 << 16) + 39);
        // A packet of the old ROC replayed after the wrap is refused.
        assert!(matches!(
            rx.unprotect_rtp(&mut sent[30].clone()),
            Err(Error::Duplicate { .. })
        ));
    }
}

#[test]
fn roc_updates_only_after_authentication() {
    let (mut tx, mut rx) = pair(Profile::AesCm128HmacSha1_80);
    let mut p = rtp(65530, 1, 10);
    tx.protect_rtp(&mut p).unwrap();
    rx.unprotect_rtp(&mut p).unwrap();
    // A forged packet whose sequence number implies a new ROC does not move the window.
    let mut forged = rtp(3, 1, 10);
    forged.extend_from_slice(&[0; 10]);
    assert_eq!(
        rx.unprotect_rtp(&mut forged),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(rx.streams[&1].rtp_window.unwrap().newest(), 65530);
    let mut p = rtp(65531, 1, 10);
    tx.protect_rtp(&mut p).unwrap();
    rx.unprotect_rtp(&mut p).unwrap();
}

#[test]
fn tampered_truncated_and_malformed_packets() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile);
        let mut good = rtp(1, 2, 40);
        tx.protect_rtp(&mut good).unwrap();
        for i in [1, 3, 8, 12, 30, good.len() - 1] {
            let mut bad = good.clone();
            bad[i] ^= 0x80;
            assert_eq!(
                rx.unprotect_rtp(&mut bad),
                Err(Error::AuthenticationFailed),
                "{profile:?} byte {i}"
            );
        }
        // Failure leaves the buffer as it was.
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let copy = bad.clone();
        let _ = rx.unprotect_rtp(&mut bad);
        assert_eq!(bad, copy);
        for len in [0, 5, 11, 12 + profile.rtp_tag_len() - 1] {
            assert!(matches!(
                rx.unprotect_rtp(&mut good[..len].to_vec()),
                Err(Error::Truncated { .. })
            ));
        }
        let mut v1 = good.clone();
        v1[0] = 0x40;
        assert_eq!(rx.unprotect_rtp(&mut v1), Err(Error::BadVersion(1)));
        // An extension header claiming more words than the packet holds.
        let mut ext = rtp(2, 2, 0);
        ext[0] |= 0x10;
        ext.extend_from_slice(&[0xbe, 0xde, 0x00, 0x40]);
        assert!(matches!(
            tx.protect_rtp(&mut ext),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            rx.unprotect_rtcp(&mut vec![0x80; 8 + 4 + profile.rtcp_tag_len() - 1]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            tx.protect_rtcp(&mut vec![0x80; 7]),
            Err(Error::Truncated { .. })
        ));
        let mut rtcp_bad = rtcp(2);
        tx.protect_rtcp(&mut rtcp_bad).unwrap();
        rtcp_bad[20] ^= 4;
        assert_eq!(
            rx.unprotect_rtcp(&mut rtcp_bad),
            Err(Error::AuthenticationFailed)
        );
        // Still decodes the untouched packet afterwards.
        rx.unprotect_rtp(&mut good).unwrap();
        let stats = rx.stats();
        assert_eq!(stats.auth_failures, 8, "{profile:?}");
        assert_eq!(stats.truncated, 5);
        assert_eq!(stats.bad_version, 1);
        assert_eq!(stats.rtp_unprotected, 1);
        assert_eq!(tx.stats().truncated, 2);
    }
}

#[test]
fn wrong_key_fails_authentication() {
    let profile = Profile::AeadAes128Gcm;
    let mut tx = context(profile, &[1; 16], &[2; 12]);
    let mut rx = context(profile, &[1; 16], &[3; 12]);
    let mut p = rtp(1, 1, 50);
    tx.protect_rtp(&mut p).unwrap();
    assert_eq!(rx.unprotect_rtp(&mut p), Err(Error::AuthenticationFailed));
    let mut tx = context(Profile::AesCm128HmacSha1_80, &[1; 16], &[2; 14]);
    let mut rx = context(Profile::AesCm128HmacSha1_80, &[9; 16], &[2; 14]);
    let mut p = rtcp(1);
    tx.protect_rtcp(&mut p).unwrap();
    assert_eq!(rx.unprotect_rtcp(&mut p), Err(Error::AuthenticationFailed));
    assert_eq!(rx.stream_count(), 0, "no state for unauthenticated streams");
}

#[test]
fn mki_selects_the_key() {
    for profile in Profile::ALL {
        let keys: Vec<_> = (1..=3u8)
            .map(|i| {
                MasterKey::new(
                    profile,
                    &vec![i; profile.master_key_len()],
                    &vec![i * 2; profile.master_salt_len()],
                )
                .unwrap()
                .with_mki(&[0, i])
                .unwrap()
            })
            .collect();
        let mut tx = SrtpContext::new(profile, keys.clone()).unwrap();
        let mut rx = SrtpContext::new(profile, keys.clone()).unwrap();
        let mut seq = 0;
        for mki in [[0, 2], [0, 1], [0, 3]] {
            tx.set_active_key(&mki).unwrap();
            seq += 1;
            let plain = rtp(seq, 8, 33);
            let mut p = plain.clone();
            tx.protect_rtp(&mut p).unwrap();
            rx.unprotect_rtp(&mut p).unwrap();
            assert_eq!(p, plain);
            let mut p = rtcp(8);
            tx.protect_rtcp(&mut p).unwrap();
            rx.unprotect_rtcp(&mut p).unwrap();
            assert_eq!(p, rtcp(8));
        }
        assert_eq!(tx.set_active_key(&[0, 9]), Err(Error::UnknownMki));
        // A receiver that lacks the key the sender uses.
        let mut rx2 = SrtpContext::new(profile, keys[..2].to_vec()).unwrap();
        let mut p = rtp(10, 8, 10);
        tx.protect_rtp(&mut p).unwrap();
        assert_eq!(rx2.unprotect_rtp(&mut p), Err(Error::UnknownMki));
        assert_eq!(rx2.stats().unknown_mki, 1);
        // A key with the right MKI but other key bytes fails authentication.
        let impostor = MasterKey::new(
            profile,
            &vec![0x55; profile.master_key_len()],
            &vec![0x55; profile.master_salt_len()],
        )
        .unwrap()
        .with_mki(&[0, 3])
        .unwrap();
        let mut rx3 = SrtpContext::new(profile, vec![impostor]).unwrap();
        assert_eq!(rx3.unprotect_rtp(&mut p), Err(Error::AuthenticationFailed));
    }
}

#[test]
fn invalid_key_sets() {
    let p = Profile::AesCm128HmacSha1_80;
    let k = |mki: &[u8]| {
        let key = MasterKey::new(p, &[1; 16], &[1; 14]).unwrap();
        if mki.is_empty() {
            key
        } else {
            key.with_mki(mki).unwrap()
        }
    };
    assert!(SrtpContext::new(p, vec![]).is_err());
    assert!(SrtpContext::new(p, vec![k(&[]), k(&[])]).is_err());
    assert!(SrtpContext::new(p, vec![k(&[1]), k(&[1, 2])]).is_err());
    assert!(SrtpContext::new(p, vec![k(&[1]), k(&[1])]).is_err());
    assert!(SrtpContext::new(Profile::AeadAes128Gcm, vec![k(&[])]).is_err());
    assert!(SrtpContext::new(p, vec![k(&[]).with_lifetime(0)]).is_err());
    assert!(MasterKey::new(p, &[1; 15], &[1; 14]).is_err());
    assert!(MasterKey::new(p, &[1; 16], &[1; 12]).is_err());
    assert!(k(&[]).with_mki(&[]).is_err());
    assert!(k(&[]).with_mki(&[0; 129]).is_err());
}

#[test]
fn key_lifetime_is_enforced() {
    let profile = Profile::AesCm128HmacSha1_80;
    let key = MasterKey::new(profile, &[1; 16], &[2; 14])
        .unwrap()
        .with_lifetime(3);
    let mut tx = SrtpContext::new(profile, vec![key.clone()]).unwrap();
    let mut rx = SrtpContext::new(profile, vec![key.clone()]).unwrap();
    let mut sent = Vec::new();
    for seq in 0..3 {
        let mut p = rtp(seq, 1, 10);
        tx.protect_rtp(&mut p).unwrap();
        sent.push(p);
    }
    let mut p = rtp(3, 1, 10);
    assert_eq!(
        tx.protect_rtp(&mut p),
        Err(Error::KeyExpired { lifetime: 3 })
    );
    assert_eq!(p, rtp(3, 1, 10), "refused packets are left alone");
    assert_eq!(tx.stats().key_expired, 1);
    // SRTCP counts apart.
    for _ in 0..3 {
        tx.protect_rtcp(&mut rtcp(1)).unwrap();
    }
    assert!(matches!(
        tx.protect_rtcp(&mut rtcp(1)),
        Err(Error::KeyExpired { .. })
    ));
    // The receiver accepts as many packets as the lifetime, then refuses.
    for p in &sent {
        rx.unprotect_rtp(&mut p.clone()).unwrap();
    }
    let mut other = SrtpContext::new(profile, vec![key]).unwrap();
    let mut p = rtp(3, 2, 10);
    other.protect_rtp(&mut p).unwrap();
    assert_eq!(
        rx.unprotect_rtp(&mut p),
        Err(Error::KeyExpired { lifetime: 3 })
    );
    // With several keys the sender moves on to the next one.
    let keys: Vec<_> = [1u8, 2]
        .iter()
        .map(|&i| {
            MasterKey::new(profile, &[i; 16], &[i; 14])
                .unwrap()
                .with_mki(&[i])
                .unwrap()
                .with_lifetime(1)
        })
        .collect();
    let mut tx = SrtpContext::new(profile, keys).unwrap();
    tx.protect_rtp(&mut rtp(1, 1, 1)).unwrap();
    assert!(tx.protect_rtp(&mut rtp(2, 1, 1)).is_err());
    tx.set_active_key(&[2]).unwrap();
    tx.protect_rtp(&mut rtp(2, 1, 1)).unwrap();
}

#[test]
fn default_lifetimes_are_the_rfc_limits() {
    let profile = Profile::AesCm128HmacSha1_80;
    let key = MasterKey::new(profile, &[1; 16], &[2; 14]).unwrap();
    let mut tx = SrtpContext::new(profile, vec![key]).unwrap();
    assert_eq!(tx.keys[0].rtp_lifetime, SRTP_MAX_PACKETS);
    assert_eq!(tx.keys[0].rtcp_lifetime, SRTCP_MAX_PACKETS);
    tx.keys[0].rtcp_used = SRTCP_MAX_PACKETS - 1;
    tx.protect_rtcp(&mut rtcp(1)).unwrap();
    assert_eq!(
        tx.protect_rtcp(&mut rtcp(1)),
        Err(Error::KeyExpired {
            lifetime: SRTCP_MAX_PACKETS
        })
    );
}

#[test]
fn stream_limit() {
    let (tx, rx) = pair(Profile::AesCm128HmacSha1_80);
    let (mut tx, mut rx) = (tx.with_max_streams(2), rx.with_max_streams(2));
    let mut sent = Vec::new();
    for ssrc in 1..=2 {
        let mut p = rtp(1, ssrc, 4);
        tx.protect_rtp(&mut p).unwrap();
        sent.push(p);
    }
    assert_eq!(
        tx.protect_rtp(&mut rtp(1, 3, 4)),
        Err(Error::StreamLimit { limit: 2 })
    );
    assert!(tx.remove_stream(1));
    let mut third = rtp(1, 3, 4);
    tx.protect_rtp(&mut third).unwrap();
    rx.unprotect_rtp(&mut sent[0].clone()).unwrap();
    rx.unprotect_rtp(&mut sent[1].clone()).unwrap();
    assert_eq!(
        rx.unprotect_rtp(&mut third.clone()),
        Err(Error::StreamLimit { limit: 2 })
    );
    assert_eq!(rx.stats().stream_limit, 1);
    assert_eq!(rx.stream_count(), 2);
}

#[test]
fn unencrypted_srtcp() {
    for profile in Profile::ALL {
        let (tx, mut rx) = pair(profile);
        let mut tx = tx.with_rtcp_encryption(false);
        let plain = rtcp(3);
        let mut p = plain.clone();
        tx.protect_rtcp(&mut p).unwrap();
        assert_eq!(
            p[..plain.len()],
            plain[..],
            "{profile:?}: sent in the clear"
        );
        rx.unprotect_rtcp(&mut p).unwrap();
        assert_eq!(p, plain);
    }
}

#[test]
fn sdes_rfc4568_example() {
    let crypto: Crypto =
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"
            .parse()
            .unwrap();
    let key = MasterKey::from_inline_key(
        Profile::AesCm128HmacSha1_80,
        crypto.inline_keys().next().unwrap(),
    )
    .unwrap();
    assert_eq!(key.mki(), &[0, 0, 0, 1]);
    assert_eq!(key.lifetime(), Some(1 << 20));
    assert_eq!(key.key_salt().len(), 30);
    assert_eq!(
        key.to_inline_key().unwrap(),
        *crypto.inline_keys().next().unwrap()
    );
    let mut tx = SrtpContext::from_crypto(&crypto).unwrap();
    let mut rx = SrtpContext::from_crypto(&crypto).unwrap();
    let mut p = rtp(1, 1, 20);
    tx.protect_rtp(&mut p).unwrap();
    assert_eq!(
        p[p.len() - 14..p.len() - 10],
        [0, 0, 0, 1],
        "MKI on the wire"
    );
    rx.unprotect_rtp(&mut p).unwrap();
    assert_eq!(p, rtp(1, 1, 20));
}

#[test]
fn sdes_rejections() {
    let bad = [
        // 30 bytes of key||salt for a GCM suite that needs 28.
        "1 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
        // MKI value 256 does not fit in one byte.
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1",
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|0",
        "1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR KDR=1",
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR UNENCRYPTED_SRTP",
        "1 AES_CM_128_HMAC_SHA1_80 X:y",
    ];
    for line in bad {
        let crypto: Crypto = line.parse().unwrap();
        assert!(SrtpContext::from_crypto(&crypto).is_err(), "{line}");
    }
    let crypto: Crypto =
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR \
                          KDR=0 UNENCRYPTED_SRTCP WSH=128"
            .parse()
            .unwrap();
    let ctx = SrtpContext::from_crypto(&crypto).unwrap();
    assert!(!ctx.encrypt_rtcp);
}

#[test]
fn generated_keys_round_trip_through_sdp() {
    let mut random = SeededRandom::new(7);
    for (tag, profile) in (1..).zip(Profile::ALL) {
        let offer = crypto_attribute(tag, profile, &mut random);
        let text = offer.to_string();
        let parsed: Crypto = text.parse().unwrap();
        assert_eq!(parsed, offer);
        let mut tx = SrtpContext::from_crypto(&parsed).unwrap();
        let mut rx = SrtpContext::from_crypto(&offer).unwrap();
        let mut p = rtp(9, 9, 99);
        tx.protect_rtp(&mut p).unwrap();
        rx.unprotect_rtp(&mut p).unwrap();
        assert_eq!(p, rtp(9, 9, 99));
    }
    // Two keys from one generator differ; the same seed replays.
    let a = generate_inline_key(Profile::AeadAes256Gcm, &mut SeededRandom::new(1));
    let b = generate_inline_key(Profile::AeadAes256Gcm, &mut SeededRandom::new(1));
    let c = generate_inline_key(Profile::AeadAes256Gcm, &mut SeededRandom::new(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.key_salt_bytes().unwrap().len(), 44);
}

#[test]
fn index_estimate() {
    use super::replay::estimate_index;
    assert_eq!(estimate_index(100, 101), Some(101));
    assert_eq!(estimate_index(65535, 0), Some(65536));
    assert_eq!(estimate_index(65536, 65535), Some(65535));
    assert_eq!(estimate_index(10, 65000), None, "before ROC 0");
    assert_eq!(
        estimate_index((5 << 16) | 40000, 100),
        Some((6 << 16) | 100)
    );
    assert_eq!(
        estimate_index((5 << 16) | 100, 60000),
        Some((4 << 16) | 60000)
    );
    assert_eq!(estimate_index((u64::from(u32::MAX) << 16) | 65535, 0), None);
}

#[test]
fn sender_never_protects_an_index_twice() {
    let (mut tx, mut rx) = pair(Profile::AesCm128HmacSha1_80);
    tx.protect_rtp(&mut rtp(500, 1, 10)).unwrap();
    tx.protect_rtp(&mut rtp(502, 1, 10)).unwrap();
    let mut again = rtp(500, 1, 11);
    assert_eq!(
        tx.protect_rtp(&mut again),
        Err(Error::Duplicate { index: 500 })
    );
    assert_eq!(again, rtp(500, 1, 11), "refused packets are left alone");
    // A late packet inside the window is still protected, with the right ROC.
    let mut late = rtp(501, 1, 10);
    tx.protect_rtp(&mut late).unwrap();
    rx.unprotect_rtp(&mut late).unwrap();
    assert_eq!(late, rtp(501, 1, 10));
    for seq in 503..700 {
        tx.protect_rtp(&mut rtp(seq, 1, 1)).unwrap();
    }
    assert!(matches!(
        tx.protect_rtp(&mut rtp(520, 1, 1)),
        Err(Error::TooOld { .. })
    ));
    assert_eq!(tx.stats().replay_duplicates, 1);
    assert_eq!(tx.stats().replay_too_old, 1);
}
