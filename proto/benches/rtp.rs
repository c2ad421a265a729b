//! RTP and RTCP benchmarks: parse and build of a 172-byte RTP packet (12-byte header and
//! 20 ms of G.711), and parse of an SR + SDES compound — with `rtp-types` and `rtcp-types`
//! measured on the same bytes in the same run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sipsimple_proto::rtp::{
    Compound, ReportBlock, RtcpPacket, RtcpWriter, RtpBuilder, RtpPacket, SdesItem, SdesType,
    SenderInfo,
};

const PAYLOAD: [u8; 160] = [0xd5; 160];

fn rtp_packet() -> Vec<u8> {
    let mut buf = vec![0u8; 172];
    let n = RtpBuilder::new(0, 4711, 160 * 4711, 0x1234_5678)
        .marker(true)
        .payload(&PAYLOAD)
        .write(&mut buf)
        .expect("fits");
    assert_eq!(n, 172);
    buf
}

fn sr_sdes() -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    let mut w = RtcpWriter::new(&mut buf);
    let block = ReportBlock {
        ssrc: 0x8765_4321,
        fraction_lost: 3,
        cumulative_lost: 17,
        extended_highest_sequence: 70_000,
        jitter: 42,
        last_sr: 0x1234_5678,
        delay_since_last_sr: 65_536,
    };
    let info = SenderInfo {
        ntp_timestamp: 0xe1d2_c3b4_a596_8778,
        rtp_timestamp: 160 * 4711,
        packet_count: 4711,
        octet_count: 4711 * 160,
    };
    w.sender_report(0x1234_5678, &info, &[block]).expect("fits");
    let cname = [SdesItem {
        kind: SdesType::Cname,
        value: b"alice@198.51.100.1",
    }];
    w.sdes(&[(0x1234_5678, &cname[..])]).expect("fits");
    let n = w.finish().expect("two packets");
    buf.truncate(n);
    buf
}

fn rtp(c: &mut Criterion) {
    let packet = rtp_packet();
    let mut g = c.benchmark_group("rtp_172");
    g.throughput(Throughput::Bytes(packet.len() as u64));
    g.bench_function("parse/sipsimple", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&packet)).expect("valid");
            black_box((
                p.marker(),
                p.payload_type(),
                p.sequence(),
                p.timestamp(),
                p.ssrc(),
                p.payload().len(),
            ))
        })
    });
    g.bench_function("parse/rtp-types", |b| {
        b.iter(|| {
            let p = rtp_types::RtpPacket::parse(black_box(&packet[..])).expect("valid");
            black_box((
                p.marker_bit(),
                p.payload_type(),
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.payload().len(),
            ))
        })
    });
    let mut out = [0u8; 1500];
    g.bench_function("build/sipsimple", |b| {
        b.iter(|| {
            RtpBuilder::new(0, black_box(4711), 160 * 4711, 0x1234_5678)
                .marker(true)
                .payload(black_box(&PAYLOAD))
                .write(&mut out)
                .expect("fits")
        })
    });
    g.bench_function("build/rtp-types", |b| {
        b.iter(|| {
            rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
                .payload_type(0)
                .sequence_number(black_box(4711))
                .timestamp(160 * 4711)
                .ssrc(0x1234_5678)
                .marker_bit(true)
                .payload(black_box(&PAYLOAD[..]))
                .write_into(&mut out)
                .expect("fits")
        })
    });
    g.finish();
}

fn rtcp(c: &mut Criterion) {
    let compound = sr_sdes();
    let mut g = c.benchmark_group("rtcp_sr_sdes");
    g.throughput(Throughput::Bytes(compound.len() as u64));
    g.bench_function("parse/sipsimple", |b| {
        b.iter(|| {
            let c = Compound::parse(black_box(&compound)).expect("valid");
            let mut n = 0u64;
            for p in c.packets() {
                match p {
                    RtcpPacket::SenderReport(sr) => {
                        n ^= sr.sender_info().ntp_timestamp;
                        for rb in sr.report_blocks() {
                            n ^= u64::from(rb.extended_highest_sequence) ^ u64::from(rb.jitter);
                        }
                    }
                    RtcpPacket::Sdes(s) => {
                        for chunk in s.chunks() {
                            for item in chunk.items() {
                                n ^= item.value.len() as u64;
                            }
                        }
                    }
                    _ => {}
                }
            }
            black_box(n)
        })
    });
    g.bench_function("parse/rtcp-types", |b| {
        b.iter(|| {
            let c = rtcp_types::Compound::parse(black_box(&compound)).expect("valid");
            let mut n = 0u64;
            for p in c {
                match p.expect("valid") {
                    rtcp_types::Packet::Sr(sr) => {
                        n ^= sr.ntp_timestamp();
                        for rb in sr.report_blocks() {
                            n ^= u64::from(rb.extended_sequence_number())
                                ^ u64::from(rb.interarrival_jitter());
                        }
                    }
                    rtcp_types::Packet::Sdes(s) => {
                        for chunk in s.chunks() {
                            for item in chunk.items() {
                                n ^= item.value().len() as u64;
                            }
                        }
                    }
                    _ => {}
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, rtp, rtcp);
criterion_main!(benches);
