//! SRTP protect and unprotect per packet, for 172-byte (20 ms of G.711) and 1212-byte RTP
//! packets, with AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 and AEAD_AES_128_GCM —
//! with webrtc-rs's `rtc-srtp` measured on the same packets in the same run.
//!
//! Each measured call handles one packet whose sequence number follows the previous one;
//! packets are made in criterion's untimed setup, 32 at a time so that they are still in cache
//! when the timed call reads them, as a packet just received or just built would be. Our contexts keep their replay windows on,
//! `rtc-srtp`'s are built without replay protection (its default).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use rtc_srtp::context::Context;
use rtc_srtp::protection_profile::ProtectionProfile;
use sipsimple_proto::srtp::{MasterKey, Profile, SrtpContext};

const SSRC: u32 = 0xcafe_babe;

fn rtp(seq: u16, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(len + 64);
    p.extend_from_slice(&[0x80, 0x00]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&u32::from(seq).wrapping_mul(160).to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((0..len - 12).map(|i| i as u8));
    p
}

fn ours(profile: Profile) -> SrtpContext {
    let key = MasterKey::new(
        profile,
        &vec![0x5a; profile.master_key_len()],
        &vec![0xa5; profile.master_salt_len()],
    )
    .expect("valid key");
    SrtpContext::new(profile, vec![key]).expect("valid context")
}

fn theirs(profile: Profile) -> Context {
    let provider = rtc_crypto::default_provider().expect("the ring provider");
    let their_profile = match profile {
        Profile::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
        Profile::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm => ProtectionProfile::AeadAes128Gcm,
        Profile::AeadAes256Gcm => ProtectionProfile::AeadAes256Gcm,
    };
    Context::new(
        &vec![0x5a; profile.master_key_len()],
        &vec![0xa5; profile.master_salt_len()],
        their_profile,
        None,
        None,
        provider.crypto(),
    )
    .expect("valid context")
}

fn protect(c: &mut Criterion) {
    for profile in [
        Profile::AesCm128HmacSha1_80,
        Profile::AesCm128HmacSha1_32,
        Profile::AeadAes128Gcm,
    ] {
        let mut group = c.benchmark_group(format!("srtp_protect/{profile:?}"));
        for len in [172usize, 1212] {
            group.throughput(Throughput::Bytes(len as u64));
            let mut ctx = ours(profile);
            let mut seq = 0u16;
            group.bench_function(BenchmarkId::new("sipsimple", len), |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        rtp(seq, len)
                    },
                    |mut p| {
                        ctx.protect_rtp(&mut p).expect("protect");
                        p
                    },
                    BatchSize::NumIterations(32),
                );
            });
            let mut ctx = theirs(profile);
            let mut seq = 0u16;
            group.bench_function(BenchmarkId::new("rtc-srtp", len), |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        rtp(seq, len)
                    },
                    |p| ctx.encrypt_rtp(black_box(&p)).expect("protect"),
                    BatchSize::NumIterations(32),
                );
            });
        }
        group.finish();
    }
}

fn unprotect(c: &mut Criterion) {
    for profile in [
        Profile::AesCm128HmacSha1_80,
        Profile::AesCm128HmacSha1_32,
        Profile::AeadAes128Gcm,
    ] {
        let mut group = c.benchmark_group(format!("srtp_unprotect/{profile:?}"));
        for len in [172usize, 1212] {
            group.throughput(Throughput::Bytes(len as u64));
            let (mut tx, mut rx) = (ours(profile), ours(profile));
            let mut seq = 0u16;
            group.bench_function(BenchmarkId::new("sipsimple", len), |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut p = rtp(seq, len);
                        tx.protect_rtp(&mut p).expect("protect");
                        p
                    },
                    |mut p| {
                        rx.unprotect_rtp(&mut p).expect("unprotect");
                        p
                    },
                    BatchSize::NumIterations(32),
                );
            });
            let (mut tx, mut rx) = (theirs(profile), theirs(profile));
            let mut seq = 0u16;
            group.bench_function(BenchmarkId::new("rtc-srtp", len), |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        tx.encrypt_rtp(&rtp(seq, len)).expect("protect")
                    },
                    |p| rx.decrypt_rtp(black_box(&p)).expect("unprotect"),
                    BatchSize::NumIterations(32),
                );
            });
        }
        group.finish();
    }
}

criterion_group!(benches, protect, unprotect);
criterion_main!(benches);
