//! Property tests for `srtp`: protect ∘ unprotect is the identity for random RTP and RTCP
//! packets under every profile, with and without an MKI, across sequence numbers that wrap;
//! unprotecting arbitrary or altered bytes never panics, never succeeds and never changes the
//! buffer.

use proptest::collection::vec;
use proptest::prelude::*;
use sipsimple_proto::srtp::{MasterKey, Profile, SrtpContext};

fn profile() -> impl Strategy<Value = Profile> {
    prop::sample::select(Profile::ALL.to_vec())
}

/// A well-formed RTP packet: CSRCs, maybe a header extension, any payload.
fn rtp_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        vec(any::<u32>(), 0..=15),
        prop::option::of((any::<u16>(), vec(any::<u32>(), 0..6))),
        any::<u16>(),
        any::<u32>(),
        vec(any::<u8>(), 0..1500),
    )
        .prop_map(|(b1, csrcs, ext, seq, ssrc, payload)| {
            let mut p = vec![
                0x80 | (csrcs.len() as u8) | if ext.is_some() { 0x10 } else { 0 },
                b1,
            ];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&0x0102_0304u32.to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            for c in csrcs {
                p.extend_from_slice(&c.to_be_bytes());
            }
            if let Some((profile, words)) = ext {
                p.extend_from_slice(&profile.to_be_bytes());
                p.extend_from_slice(&(words.len() as u16).to_be_bytes());
                for w in words {
                    p.extend_from_slice(&w.to_be_bytes());
                }
            }
            p.extend_from_slice(&payload);
            p
        })
}

/// An RTCP packet: a version-2 first octet, an SSRC and any body.
fn rtcp_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        vec(any::<u8>(), 0..600),
    )
        .prop_map(|(b0, pt, ssrc, body)| {
            let mut p = vec![0x80 | (b0 & 0x3f), pt, 0, 0];
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend_from_slice(&body);
            p
        })
}

fn contexts(profile: Profile, seed: u8, mki: bool) -> (SrtpContext, SrtpContext) {
    let mut key = MasterKey::new(
        profile,
        &vec![seed; profile.master_key_len()],
        &vec![seed ^ 0xff; profile.master_salt_len()],
    )
    .unwrap();
    if mki {
        key = key.with_mki(&[seed, 1, 2]).unwrap();
    }
    (
        SrtpContext::new(profile, vec![key.clone()]).unwrap(),
        SrtpContext::new(profile, vec![key]).unwrap(),
    )
}

/// Sets the sequence number of an RTP packet.
fn with_seq(mut p: Vec<u8>, seq: u16) -> Vec<u8> {
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rtp_round_trips(
        profile in profile(),
        seed in any::<u8>(),
        mki in any::<bool>(),
        packet in rtp_packet(),
        steps in vec(1u16..200, 1..12),
    ) {
        let (mut tx, mut rx) = contexts(profile, seed, mki);
        // Consecutive packets of one stream, with gaps that may cross a ROC wrap.
        let mut seq = u16::from_be_bytes([packet[2], packet[3]]);
        for step in steps {
            let plain = with_seq(packet.clone(), seq);
            let mut p = Vec::with_capacity(plain.len() + profile.max_overhead());
            p.extend_from_slice(&plain);
            let capacity = p.capacity();
            tx.protect_rtp(&mut p).unwrap();
            prop_assert_eq!(p.capacity(), capacity);
            prop_assert_eq!(p.len(), plain.len() + profile.rtp_tag_len() + if mki { 3 } else { 0 });
            rx.unprotect_rtp(&mut p).unwrap();
            prop_assert_eq!(&p, &plain);
            seq = seq.wrapping_add(step);
        }
    }

    #[test]
    fn rtcp_round_trips(
        profile in profile(),
        seed in any::<u8>(),
        mki in any::<bool>(),
        encrypt in any::<bool>(),
        packets in vec(rtcp_packet(), 1..6),
    ) {
        let (tx, mut rx) = contexts(profile, seed, mki);
        let mut tx = tx.with_rtcp_encryption(encrypt);
        for plain in packets {
            let mut p = plain.clone();
            tx.protect_rtcp(&mut p).unwrap();
            rx.unprotect_rtcp(&mut p).unwrap();
            prop_assert_eq!(&p, &plain);
        }
    }

    #[test]
    fn arbitrary_bytes_never_unprotect(
        profile in profile(),
        mki in any::<bool>(),
        bytes in vec(any::<u8>(), 0..300),
    ) {
        let (_, mut rx) = contexts(profile, 1, mki);
        let mut p = bytes.clone();
        prop_assert!(rx.unprotect_rtp(&mut p).is_err());
        prop_assert_eq!(&p, &bytes);
        prop_assert!(rx.unprotect_rtcp(&mut p).is_err());
        prop_assert_eq!(&p, &bytes);
        prop_assert_eq!(rx.stream_count(), 0);
    }

    #[test]
    fn altered_packets_never_unprotect(
        profile in profile(),
        mki in any::<bool>(),
        rtp in rtp_packet(),
        rtcp in rtcp_packet(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        cut in any::<prop::sample::Index>(),
    ) {
        let (mut tx, mut rx) = contexts(profile, 2, mki);
        for (is_rtcp, plain) in [(false, rtp), (true, rtcp)] {
            let mut p = plain;
            if is_rtcp { tx.protect_rtcp(&mut p).unwrap() } else { tx.protect_rtp(&mut p).unwrap() }
            let mut flipped = p.clone();
            flipped[at.index(p.len())] ^= 1 << bit;
            let mut truncated = p[..cut.index(p.len())].to_vec();
            for bad in [&mut flipped, &mut truncated] {
                let copy = bad.clone();
                let result = if is_rtcp { rx.unprotect_rtcp(bad) } else { rx.unprotect_rtp(bad) };
                prop_assert!(result.is_err());
                prop_assert_eq!(&*bad, &copy);
            }
            // The genuine packet still goes through afterwards.
            let result = if is_rtcp { rx.unprotect_rtcp(&mut p) } else { rx.unprotect_rtp(&mut p) };
            prop_assert!(result.is_ok());
        }
    }
}
