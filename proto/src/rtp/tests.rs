use std::time::{Duration, Instant};

use super::*;
use crate::rand::SeededRandom;

/// One real instant as the origin of virtual time; tests never read the clock again.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---------------------------------------------------------------------------------------------
// RTP packets

/// RFC 4733 Figure 3 (see `vectors/rtp/`): PT 100, seq 18, ts 11200, SSRC 0x5234a8.
const FIGURE3: &str = "80 64 00 12 00 00 2b c0 00 52 34 a8 01 94 06 e0";

#[test]
fn parses_fixed_header() {
    let b = hex(FIGURE3);
    let p = RtpPacket::parse(&b).unwrap();
    assert!(!p.marker());
    assert_eq!(p.payload_type(), 100);
    assert_eq!(p.sequence(), 18);
    assert_eq!(p.timestamp(), 11200);
    assert_eq!(p.ssrc(), 0x0052_34a8);
    assert_eq!(p.csrcs().len(), 0);
    assert!(p.extension().is_none());
    assert!(!p.has_padding());
    assert_eq!(p.padding_len(), 0);
    assert_eq!(p.payload(), &[0x01, 0x94, 0x06, 0xe0]);
    assert_eq!(p.as_bytes(), &b[..]);
}

#[test]
fn builds_exact_bytes() {
    let mut buf = [0u8; 32];
    let n = RtpBuilder::new(100, 18, 11200, 0x0052_34a8)
        .payload(&[0x01, 0x94, 0x06, 0xe0])
        .write(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], &hex(FIGURE3)[..]);
}

#[test]
fn rtp_faults_are_typed() {
    assert_eq!(
        RtpPacket::parse(&[0x80; 11]),
        Err(RtpError::TooShort { len: 11 })
    );
    let mut b = hex(FIGURE3);
    b[0] = 0x40;
    assert_eq!(
        RtpPacket::parse(&b),
        Err(RtpError::BadVersion { version: 1 })
    );
    // CC = 2 but only one word after the fixed header.
    b[0] = 0x82;
    assert_eq!(
        RtpPacket::parse(&b),
        Err(RtpError::TruncatedCsrcs {
            count: 2,
            needed: 20,
            len: 16
        })
    );
    // X set: a 4-byte extension header fits, but it announces 2 words.
    let mut x = hex("90 00 00 01 00 00 00 01 00 00 00 01 be de 00 02 10 aa 00 00");
    assert_eq!(
        RtpPacket::parse(&x),
        Err(RtpError::TruncatedExtension {
            needed: 24,
            len: 20
        })
    );
    x.truncate(14);
    assert_eq!(
        RtpPacket::parse(&x),
        Err(RtpError::TruncatedExtension {
            needed: 16,
            len: 14
        })
    );
    // P set with a zero count, then with a count larger than what follows the header.
    let mut p = hex("a0 00 00 01 00 00 00 01 00 00 00 01 aa bb cc 00");
    assert_eq!(
        RtpPacket::parse(&p),
        Err(RtpError::BadPadding {
            count: 0,
            available: 4
        })
    );
    p[15] = 5;
    assert_eq!(
        RtpPacket::parse(&p),
        Err(RtpError::BadPadding {
            count: 5,
            available: 4
        })
    );
    // A header alone with P set has no byte for the count.
    let lone = hex("a0 00 00 01 00 00 00 01 00 00 00 01");
    assert!(matches!(
        RtpPacket::parse(&lone),
        Err(RtpError::BadPadding { available: 0, .. })
    ));
    p[15] = 4;
    let ok = RtpPacket::parse(&p).unwrap();
    assert_eq!((ok.payload(), ok.padding_len()), (&[][..], 4));
}

#[test]
fn csrcs_extension_padding_round_trip() {
    let elements = [
        ExtensionElement {
            id: 1,
            data: &[0x7f],
        },
        ExtensionElement {
            id: 14,
            data: &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        },
    ];
    let csrcs = [0xdead_beef, 7];
    let payload = [0x55u8; 160];
    let b = RtpBuilder::new(0, 65535, 0xffff_ff00, 42)
        .marker(true)
        .csrcs(&csrcs)
        .extension(Extension::OneByte(&elements))
        .padding(8)
        .payload(&payload);
    let mut buf = vec![0u8; 300];
    let n = b.write(&mut buf).unwrap();
    assert_eq!(n, b.encoded_len().unwrap());
    // 12 + 8 CSRC + 4 + 20 (2 + 17 element bytes padded to 20) + 160 + 8.
    assert_eq!(n, 12 + 8 + 4 + 20 + 160 + 8);
    let p = RtpPacket::parse(&buf[..n]).unwrap();
    assert!(p.marker() && p.has_padding());
    assert_eq!(p.padding_len(), 8);
    assert_eq!(p.csrcs().collect::<Vec<_>>(), csrcs);
    let ext = p.extension().unwrap();
    assert_eq!(ext.profile(), ONE_BYTE_PROFILE);
    assert_eq!(ext.form(), ExtensionForm::OneByte);
    assert_eq!(ext.data().len(), 20);
    let got: Vec<_> = ext.elements().map(Result::unwrap).collect();
    assert_eq!(got, elements);
    assert_eq!(p.payload(), &payload);

    let mut bm = bytes::BytesMut::with_capacity(400);
    bm.extend_from_slice(b"xx");
    assert_eq!(b.write_to(&mut bm).unwrap(), n);
    assert_eq!(&bm[2..], &buf[..n]);
}

#[test]
fn two_byte_elements_and_raw_extensions() {
    let elements = [
        ExtensionElement { id: 200, data: &[] },
        ExtensionElement {
            id: 3,
            data: &[9; 255],
        },
    ];
    let mut buf = [0u8; 400];
    let n = RtpBuilder::new(96, 1, 2, 3)
        .extension(Extension::TwoByte {
            appbits: 5,
            elements: &elements,
        })
        .write(&mut buf)
        .unwrap();
    let p = RtpPacket::parse(&buf[..n]).unwrap();
    let ext = p.extension().unwrap();
    assert_eq!(ext.profile(), 0x1005);
    assert_eq!(ext.form(), ExtensionForm::TwoByte { appbits: 5 });
    let got: Vec<_> = ext.elements().map(Result::unwrap).collect();
    assert_eq!(got, elements);

    let n = RtpBuilder::new(96, 1, 2, 3)
        .extension(Extension::Raw {
            profile: 0xabcd,
            data: &[1, 2, 3, 4],
        })
        .write(&mut buf)
        .unwrap();
    let ext = RtpPacket::parse(&buf[..n]).unwrap().extension().unwrap();
    assert_eq!(ext.form(), ExtensionForm::Other);
    assert_eq!(ext.data(), &[1, 2, 3, 4]);
    assert_eq!(ext.elements().count(), 0);
}

fn elements_of(packet: &[u8]) -> Vec<Result<(u8, Vec<u8>), RtpError>> {
    RtpPacket::parse(packet)
        .unwrap()
        .extension()
        .unwrap()
        .elements()
        .map(|r| r.map(|e| (e.id, e.data.to_vec())))
        .collect()
}

#[test]
fn extension_elements_are_bounds_checked() {
    // One-byte: padding byte, element 1 (2 bytes), element 2 (3 bytes).
    let b = hex("90 00 00 01 00 00 00 01 00 00 00 01 be de 00 02 00 11 aa bb 22 01 00 00");
    assert_eq!(
        elements_of(&b),
        vec![Ok((1, vec![0xaa, 0xbb])), Ok((2, vec![0x01, 0x00, 0x00])),]
    );
    // Element 2 claims 4 bytes where none remain.
    let b = hex("90 00 00 01 00 00 00 01 00 00 00 01 be de 00 01 11 aa bb 23");
    assert_eq!(
        elements_of(&b),
        vec![
            Ok((1, vec![0xaa, 0xbb])),
            Err(RtpError::ElementOverrun { id: 2, offset: 3 })
        ]
    );
    // Identifier 15 stops the walk (RFC 8285 §4.2).
    let b = hex("90 00 00 01 00 00 00 01 00 00 00 01 be de 00 01 10 aa f0 21");
    assert_eq!(elements_of(&b), vec![Ok((1, vec![0xaa]))]);
    // Two-byte: an id with no length byte, and a length reaching past the block.
    let b = hex("90 00 00 01 00 00 00 01 00 00 00 01 10 00 00 01 00 00 00 07");
    assert_eq!(
        elements_of(&b),
        vec![Err(RtpError::ElementOverrun { id: 7, offset: 3 })]
    );
    let b = hex("90 00 00 01 00 00 00 01 00 00 00 01 10 00 00 01 07 03 aa bb");
    assert_eq!(
        elements_of(&b),
        vec![Err(RtpError::ElementOverrun { id: 7, offset: 0 })]
    );
}

#[test]
fn builder_refuses_what_cannot_be_encoded() {
    let mut buf = [0u8; 64];
    assert_eq!(
        RtpBuilder::new(128, 0, 0, 0).write(&mut buf),
        Err(BuildError::PayloadType(128))
    );
    assert_eq!(
        RtpBuilder::new(0, 0, 0, 0).csrcs(&[0; 16]).write(&mut buf),
        Err(BuildError::TooMany { count: 16, max: 15 })
    );
    assert_eq!(
        RtpBuilder::new(0, 0, 0, 0)
            .payload(&[0; 60])
            .write(&mut buf),
        Err(BuildError::BufferTooSmall {
            needed: 72,
            available: 64
        })
    );
    let raw = Extension::Raw {
        profile: 1,
        data: &[0; 3],
    };
    assert_eq!(
        RtpBuilder::new(0, 0, 0, 0).extension(raw).write(&mut buf),
        Err(BuildError::Length(3))
    );
    for (id, len) in [(0u8, 1usize), (15, 1), (1, 0), (1, 17)] {
        let data = vec![0u8; len];
        let el = [ExtensionElement { id, data: &data }];
        assert_eq!(
            RtpBuilder::new(0, 0, 0, 0)
                .extension(Extension::OneByte(&el))
                .write(&mut buf),
            Err(BuildError::Element { id, len })
        );
    }
    let big = [0u8; 256];
    let el = [ExtensionElement { id: 1, data: &big }];
    assert_eq!(
        RtpBuilder::new(0, 0, 0, 0)
            .extension(Extension::TwoByte {
                appbits: 0,
                elements: &el
            })
            .write(&mut buf),
        Err(BuildError::Element { id: 1, len: 256 })
    );
    let el = [ExtensionElement { id: 0, data: &[] }];
    assert!(RtpBuilder::new(0, 0, 0, 0)
        .extension(Extension::TwoByte {
            appbits: 0,
            elements: &el
        })
        .write(&mut buf)
        .is_err());
}

// ---------------------------------------------------------------------------------------------
// Sequence tracking (RFC 3550 A.1)

#[test]
fn new_source_is_on_probation() {
    let mut s = SequenceTracker::new(100);
    assert_eq!(s.update(100), SequenceStatus::Probation);
    assert!(!s.is_valid());
    // Out of sequence during probation restarts it.
    assert_eq!(s.update(105), SequenceStatus::Probation);
    assert_eq!(s.update(106), SequenceStatus::Valid { extended: 106 });
    assert!(s.is_valid());
    assert_eq!((s.base_seq(), s.received(), s.expected()), (106, 1, 1));
    assert_eq!(s.update(107), SequenceStatus::Valid { extended: 107 });
    assert_eq!(s.received(), 2);
}

#[test]
fn sequence_wraps_around() {
    let mut s = SequenceTracker::new_validated(65534);
    assert_eq!(s.update(65534), SequenceStatus::Valid { extended: 65534 });
    assert_eq!(s.update(65535), SequenceStatus::Valid { extended: 65535 });
    assert_eq!(s.update(0), SequenceStatus::Valid { extended: 65536 });
    assert_eq!(s.update(1), SequenceStatus::Valid { extended: 65537 });
    // A late packet from before the wrap keeps its cycle.
    assert_eq!(s.update(65535), SequenceStatus::Valid { extended: 65535 });
    assert_eq!(s.extended_max(), 65537);
    assert_eq!(s.expected(), 4);
    assert_eq!(s.received(), 5);
    // A gap below MAX_DROPOUT is loss, not a restart.
    assert_eq!(s.update(2000), SequenceStatus::Valid { extended: 67536 });
}

#[test]
fn big_jump_needs_two_packets_to_restart() {
    let mut s = SequenceTracker::new_validated(10);
    assert!(matches!(s.update(10), SequenceStatus::Valid { .. }));
    assert!(matches!(s.update(11), SequenceStatus::Valid { .. }));
    assert_eq!(s.update(40_000), SequenceStatus::BadJump);
    // A lone stray packet does not restart: the source goes on.
    assert_eq!(s.update(12), SequenceStatus::Valid { extended: 12 });
    assert_eq!(s.update(40_000), SequenceStatus::BadJump);
    assert_eq!(s.update(40_001), SequenceStatus::Restarted);
    assert_eq!((s.base_seq(), s.received()), (40_001, 1));
    assert_eq!(s.update(40_002), SequenceStatus::Valid { extended: 40_002 });
    // Exactly MAX_DROPOUT ahead counts as a jump, one less as loss.
    let mut s = SequenceTracker::new_validated(0);
    let _ = s.update(0);
    assert_eq!(s.update(MAX_DROPOUT), SequenceStatus::BadJump);
    assert!(matches!(
        s.update(MAX_DROPOUT - 1),
        SequenceStatus::Valid { .. }
    ));
    // Up to MAX_MISORDER behind is a misordered packet; further behind is a jump.
    let mut s = SequenceTracker::new_validated(1000);
    let _ = s.update(1000);
    assert_eq!(
        s.update(1000 - MAX_MISORDER + 1),
        SequenceStatus::Valid { extended: 901 }
    );
    assert_eq!(s.update(1000 - MAX_MISORDER), SequenceStatus::BadJump);
}

#[test]
fn wrap_aware_comparisons() {
    assert!(timestamp_is_newer(5, 0xffff_fff0));
    assert!(!timestamp_is_newer(0xffff_fff0, 5));
    assert!(!timestamp_is_newer(7, 7));
    assert_eq!(timestamp_diff(5, 0xffff_fff0), 21);
    assert_eq!(timestamp_diff(0xffff_fff0, 5), -21);
    assert!(sequence_is_newer(0, 65535));
    assert!(!sequence_is_newer(65535, 0));
    assert!(sequence_is_newer(0x7fff, 0));
    assert!(!sequence_is_newer(0x8000, 0));
}

// ---------------------------------------------------------------------------------------------
// Receive statistics (RFC 3550 A.3, A.8)

#[test]
fn jitter_matches_a_hand_computed_sequence() {
    // 8 kHz, 20 ms packets (160 units). Packet 3 arrives 10 ms (80 units) late.
    // Transits 0, 0, 0, 80, 0, 0 give |D| = 0, 0, 80, 80, 0 and, with J scaled by 16
    // (A.8: J += |D| - ((J + 8) >> 4)): 0, 0, 80, 155, 145 → reported 0, 0, 5, 9, 9.
    // The float form J += (|D| - J) / 16 gives 0, 0, 5, 9.69, 9.08.
    let t0 = origin();
    let mut st = ReceiveStats::new_validated(7, 8000);
    let arrivals = [0, 20, 40, 70, 80, 100];
    let expect = [0, 0, 0, 5, 9, 9];
    for (i, (&at, &j)) in arrivals.iter().zip(&expect).enumerate() {
        let _ = st.handle_packet(t0 + ms(at), i as u16, 160 * i as u32);
        assert_eq!(st.jitter(), j, "after packet {i}");
    }
    let block = st.report_block(t0 + ms(120)).unwrap();
    assert_eq!(block.jitter, 9);
    assert_eq!(block.ssrc, 7);
    // Timestamps wrapping around do not disturb the transit.
    let mut st = ReceiveStats::new_validated(7, 8000);
    for i in 0..10u32 {
        let ts = 0xffff_fc00u32.wrapping_add(160 * i);
        let _ = st.handle_packet(t0 + ms(20 * u64::from(i)), i as u16, ts);
    }
    assert_eq!(st.jitter(), 0);
}

#[test]
fn loss_fraction_and_report_block() {
    let t0 = origin();
    let mut st = ReceiveStats::new(1, 8000);
    assert!(st.report_block(t0).is_none());
    // Probation takes 2 packets; then 1..=10 with 4 and 8 lost.
    for seq in [0u16, 1, 2, 3, 5, 6, 7, 9, 10] {
        let _ = st.handle_packet(t0, seq, u32::from(seq) * 160);
    }
    let b = st.report_block(t0).unwrap();
    // Base 1 (the packet that ended probation), highest 10: 10 expected, 8 received.
    assert_eq!(b.extended_highest_sequence, 10);
    assert_eq!(b.cumulative_lost, 2);
    assert_eq!(b.fraction_lost, (2 * 256 / 10) as u8);
    // No new loss since: fraction 0, cumulative stays.
    for seq in 11u16..=20 {
        let _ = st.handle_packet(t0, seq, u32::from(seq) * 160);
    }
    let b = st.report_block(t0).unwrap();
    assert_eq!((b.fraction_lost, b.cumulative_lost), (0, 2));
    // Duplicates make the interval's loss negative: fraction 0, cumulative drops.
    for _ in 0..5 {
        let _ = st.handle_packet(t0, 20, 20 * 160);
    }
    let b = st.report_block(t0).unwrap();
    assert_eq!((b.fraction_lost, b.cumulative_lost), (0, -3));
    assert_eq!(st.extended_highest(), Some(20));
}

#[test]
fn report_block_carries_lsr_and_dlsr() {
    let t0 = origin();
    let mut st = ReceiveStats::new_validated(9, 8000);
    let _ = st.handle_packet(t0, 65535, 0);
    let _ = st.handle_packet(t0, 0, 160);
    st.handle_sender_report(t0, 0x1234_5678_9abc_def0);
    let b = st.report_block(t0 + ms(1500)).unwrap();
    assert_eq!(b.last_sr, 0x5678_9abc);
    assert_eq!(b.delay_since_last_sr, 98_304);
    assert_eq!(b.extended_highest_sequence, 65536);
}

// ---------------------------------------------------------------------------------------------
// RTCP

#[test]
fn rtcp_compound_round_trip() {
    let info = SenderInfo {
        ntp_timestamp: 0xe1d2_c3b4_a596_8778,
        rtp_timestamp: 123_456,
        packet_count: 1000,
        octet_count: 160_000,
    };
    let blocks = [
        ReportBlock {
            ssrc: 2,
            fraction_lost: 12,
            cumulative_lost: -5,
            extended_highest_sequence: 70_000,
            jitter: 33,
            last_sr: 0xdead_beef,
            delay_since_last_sr: 65_536,
        },
        ReportBlock {
            ssrc: 3,
            cumulative_lost: 0x7f_ffff,
            ..ReportBlock::default()
        },
    ];
    let items = [
        SdesItem {
            kind: SdesType::Cname,
            value: b"alice@example.com",
        },
        SdesItem {
            kind: SdesType::Tool,
            value: b"sipsimple",
        },
    ];
    let other = [SdesItem {
        kind: SdesType::Other(42),
        value: b"",
    }];
    let mut buf = [0u8; 512];
    let mut w = RtcpWriter::new(&mut buf);
    w.sender_report(1, &info, &blocks).unwrap();
    w.sdes(&[(1, &items[..]), (5, &other[..])]).unwrap();
    w.app(3, 1, *b"TEST", &[1, 2, 3, 4]).unwrap();
    w.bye(&[1, 5], Some(b"done")).unwrap();
    let n = w.finish().unwrap();
    assert_eq!(n % 4, 0);

    let c = Compound::parse(&buf[..n]).unwrap();
    assert!(!c.is_reduced_size());
    let packets: Vec<_> = c.packets().collect();
    assert_eq!(packets.len(), 4);
    let RtcpPacket::SenderReport(sr) = packets[0] else {
        panic!("SR first")
    };
    assert_eq!((sr.ssrc(), sr.sender_info()), (1, info));
    assert_eq!(sr.report_blocks().collect::<Vec<_>>(), blocks);
    assert!(sr.extension().is_empty());
    let RtcpPacket::Sdes(sdes) = packets[1] else {
        panic!("SDES second")
    };
    assert_eq!(sdes.cname(), Some(&b"alice@example.com"[..]));
    let chunks: Vec<_> = sdes.chunks().collect();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].ssrc(), 1);
    assert_eq!(chunks[0].items().collect::<Vec<_>>(), items);
    assert_eq!(
        (chunks[1].ssrc(), chunks[1].items().collect::<Vec<_>>()),
        (5, other.to_vec())
    );
    let RtcpPacket::App(app) = packets[2] else {
        panic!("APP third")
    };
    assert_eq!(
        (app.subtype(), app.ssrc(), app.name(), app.data()),
        (3, 1, *b"TEST", &[1u8, 2, 3, 4][..])
    );
    let RtcpPacket::Bye(bye) = packets[3] else {
        panic!("BYE last")
    };
    assert_eq!(bye.sources().collect::<Vec<_>>(), [1, 5]);
    assert_eq!(bye.reason(), Some(&b"done"[..]));
}

#[test]
fn rtcp_writer_exact_bytes() {
    let mut buf = [0u8; 64];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(0x0102_0304, &[]).unwrap();
    w.sdes(&[(
        0x0102_0304,
        &[SdesItem {
            kind: SdesType::Cname,
            value: b"ab",
        }][..],
    )])
    .unwrap();
    w.bye(&[0x0102_0304], Some(b"x")).unwrap();
    let n = w.finish().unwrap();
    assert_eq!(
        &buf[..n],
        &hex("80 c9 00 01 01 02 03 04 \
             81 ca 00 03 01 02 03 04 01 02 61 62 00 00 00 00 \
             81 cb 00 02 01 02 03 04 01 78 00 00")[..]
    );
    // An SDES chunk whose items end on a word boundary still gets a null word.
    let mut w = RtcpWriter::reduced_size(&mut buf);
    w.sdes(&[(
        9,
        &[SdesItem {
            kind: SdesType::Name,
            value: b"abcdef",
        }][..],
    )])
    .unwrap();
    let n = w.finish().unwrap();
    assert_eq!(
        &buf[..n],
        &hex("81 ca 00 04 00 00 00 09 02 06 61 62 63 64 65 66 00 00 00 00")[..]
    );
}

#[test]
fn rtcp_writer_enforces_order_and_limits() {
    let mut buf = [0u8; 1024];
    let mut w = RtcpWriter::new(&mut buf);
    assert_eq!(
        w.sdes(&[]),
        Err(BuildError::Order("a compound must start with SR or RR"))
    );
    assert!(w.is_empty());
    w.receiver_report(1, &[]).unwrap();
    assert_eq!(w.len(), 8);
    assert_eq!(
        w.receiver_report(1, &[ReportBlock::default(); 32]),
        Err(BuildError::TooMany { count: 32, max: 31 })
    );
    assert_eq!(
        w.bye(&[1], Some(&[b'x'; 256])),
        Err(BuildError::TextTooLong(256))
    );
    assert_eq!(w.app(32, 1, *b"abcd", &[]), Err(BuildError::Subtype(32)));
    assert_eq!(w.app(0, 1, *b"abcd", &[1]), Err(BuildError::Length(1)));
    let long = [SdesItem {
        kind: SdesType::Note,
        value: &[b'n'; 256],
    }];
    assert_eq!(w.sdes(&[(1, &long[..])]), Err(BuildError::TextTooLong(256)));
    w.bye(&[1], None).unwrap();
    assert_eq!(
        w.app(0, 1, *b"abcd", &[]),
        Err(BuildError::Order("nothing may follow a BYE"))
    );
    assert_eq!(w.finish(), Ok(16));
    assert!(RtcpWriter::new(&mut buf).finish().is_err());
    let mut small = [0u8; 10];
    let mut w = RtcpWriter::new(&mut small);
    assert_eq!(
        w.sender_report(1, &SenderInfo::default(), &[]),
        Err(BuildError::BufferTooSmall {
            needed: 28,
            available: 10
        })
    );
}

#[test]
fn reduced_size_and_unknown_packets_are_accepted() {
    // A lone PSFB (206) packet, then an SDES followed by a feedback packet and an XR.
    let lone = hex("81 ce 00 02 00 00 00 01 00 00 00 02");
    let c = Compound::parse(&lone).unwrap();
    assert!(c.is_reduced_size());
    assert_eq!(
        c.packets().collect::<Vec<_>>(),
        [RtcpPacket::Unknown(UnknownPacket {
            packet_type: 206,
            count: 1,
            body: &lone[4..],
        })]
    );
    let mixed = hex("80 c9 00 01 00 00 00 01 \
         8f cd 00 02 00 00 00 01 00 00 00 02 \
         81 ca 00 02 00 00 00 01 00 00 00 00");
    let c = Compound::parse(&mixed).unwrap();
    let kinds: Vec<_> = c
        .packets()
        .filter(|p| !matches!(p, RtcpPacket::Unknown(_)))
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(matches!(kinds[1], RtcpPacket::Sdes(s) if s.chunks().count() == 1));
    // An empty SDES chunk list and a padded last packet.
    let padded = hex("a0 c9 00 02 00 00 00 01 00 00 00 04");
    let c = Compound::parse(&padded).unwrap();
    let Some(RtcpPacket::ReceiverReport(rr)) = c.packets().next() else {
        panic!("RR");
    };
    assert_eq!((rr.ssrc(), rr.report_blocks().len()), (1, 0));
    assert!(rr.extension().is_empty());
}

#[test]
fn rtcp_faults_are_typed() {
    assert_eq!(Compound::parse(&[]), Err(RtcpError::TooShort { offset: 0 }));
    let rr = "80 c9 00 01 00 00 00 01";
    let mut b = hex(rr);
    b.extend([0x80, 0xc9]);
    assert_eq!(Compound::parse(&b), Err(RtcpError::TooShort { offset: 8 }));
    let mut b = hex(rr);
    b[0] = 0x40;
    assert_eq!(
        Compound::parse(&b),
        Err(RtcpError::BadVersion {
            offset: 0,
            version: 1
        })
    );
    let b = hex("80 c9 00 02 00 00 00 01");
    assert_eq!(
        Compound::parse(&b),
        Err(RtcpError::BadLength {
            offset: 0,
            announced: 12,
            available: 8
        })
    );
    for (bytes, count) in [
        ("a0 c9 00 01 00 00 00 00", 0u8),
        ("a0 c9 00 01 00 00 00 05", 5),
    ] {
        assert_eq!(
            Compound::parse(&hex(bytes)),
            Err(RtcpError::BadPadding { offset: 0, count })
        );
    }
    let malformed = |s: &str| match Compound::parse(&hex(s)) {
        Err(RtcpError::Malformed { reason, .. }) => reason,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        malformed("80 c8 00 01 00 00 00 01"),
        "SR shorter than its report blocks"
    );
    assert_eq!(
        malformed("81 c9 00 01 00 00 00 01"),
        "RR shorter than its report blocks"
    );
    assert_eq!(malformed("81 ca 00 00"), "SDES chunk shorter than its SSRC");
    assert_eq!(
        malformed("81 ca 00 02 00 00 00 01 01 02 61 62"),
        "SDES chunk without its end item"
    );
    assert_eq!(
        malformed("81 ca 00 02 00 00 00 01 01 05 61 62"),
        "SDES item overruns the packet"
    );
    assert_eq!(
        malformed("81 ca 00 02 00 00 00 01 02 01 61 05"),
        "SDES item without its length"
    );
    assert_eq!(
        malformed("82 cb 00 01 00 00 00 01"),
        "BYE shorter than its sources"
    );
    assert_eq!(
        malformed("81 cb 00 02 00 00 00 01 05 61 62 63"),
        "BYE reason overruns the packet"
    );
    assert_eq!(
        malformed("80 cc 00 01 00 00 00 01"),
        "APP shorter than its SSRC and name"
    );
    // A valid first packet does not hide a bad second one.
    let mut b = hex(rr);
    b.extend(hex("80 c8 00 01 00 00 00 01"));
    assert!(matches!(
        Compound::parse(&b),
        Err(RtcpError::Malformed { offset: 8, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// RTCP interval (RFC 3550 §6.2, A.7)

#[test]
fn deterministic_interval_follows_a7() {
    // 64 kbit/s session: 400 octets/s of RTCP. One member: the minimum wins.
    assert_eq!(deterministic_interval(1, 0, 400.0, false, 100.0, 5.0), 5.0);
    // 100 receivers share 75 %: 100 * 100 / 300 s.
    let t = deterministic_interval(100, 0, 400.0, false, 100.0, 5.0);
    assert!((t - 100.0 * 100.0 / 300.0).abs() < 1e-9);
    // One sender of 100 among them gets 25 % for itself alone: 100 / 100 = 1 s → minimum.
    assert_eq!(deterministic_interval(100, 1, 400.0, true, 100.0, 5.0), 5.0);
    // Senders above a quarter of the members: everyone shares the whole bandwidth.
    let t = deterministic_interval(100, 50, 400.0, true, 100.0, 5.0);
    assert!((t - 25.0).abs() < 1e-9);
    // No bandwidth at all: a day.
    assert_eq!(
        deterministic_interval(2, 0, 0.0, false, 100.0, 5.0),
        86_400.0
    );
}

/// Runs a timer for `horizon`, jumping to each deadline, and returns the send instants.
fn run_timer(timer: &mut RtcpTimer<SeededRandom>, t0: Instant, horizon: Duration) -> Vec<Instant> {
    timer.start(t0);
    let mut sends = Vec::new();
    for _ in 0..100_000 {
        let at = timer
            .poll_timeout()
            .expect("a started timer always has a deadline");
        assert!(at >= t0);
        if at > t0 + horizon {
            break;
        }
        timer.handle_timeout(at);
        while let Some(IntervalEvent::SendReport) = timer.poll_event() {
            sends.push(at);
            timer.handle_sent(100);
        }
    }
    sends
}

#[test]
fn rtcp_timer_schedules_randomized_reports() {
    let t0 = origin();
    let mut timer = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(7));
    let sends = run_timer(&mut timer, t0, Duration::from_secs(3600));
    // The first report waits half the minimum, randomized: [0.5, 1.5) × 2.5 s / (e − 1.5).
    let comp = std::f64::consts::E - 1.5;
    let first = (sends[0] - t0).as_secs_f64();
    assert!(first >= 1.25 / comp && first < 3.75 / comp, "first {first}");
    // Later gaps: reconsideration fires after [0.5, 1.5) × 5 s / (e − 1.5), and a report
    // is sent once tp + a fresh interval has passed, so gaps lie in [2.05 s, 6.16 s).
    for w in sends.windows(2) {
        let gap = (w[1] - w[0]).as_secs_f64();
        assert!(
            gap >= 2.5 / comp - 1e-6 && gap < 7.5 / comp + 1e-6,
            "gap {gap}"
        );
    }
    let mean = 3600.0 / sends.len() as f64;
    assert!((3.5..5.5).contains(&mean), "mean interval {mean}");
    // The same seed replays exactly; another seed does not.
    let mut again = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(7));
    assert_eq!(run_timer(&mut again, t0, Duration::from_secs(3600)), sends);
    let mut other = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(8));
    assert_ne!(run_timer(&mut other, t0, Duration::from_secs(3600)), sends);
}

#[test]
fn rtcp_timer_reduced_minimum_and_large_sessions() {
    let t0 = origin();
    let cfg = IntervalConfig {
        session_bandwidth: 1_000_000,
        reduced_minimum: true,
        ..IntervalConfig::default()
    };
    // 360 / 1000 kbit/s = 0.36 s minimum: many more reports in a minute.
    let mut fast = RtcpTimer::new(cfg, SeededRandom::new(1));
    let sends = run_timer(&mut fast, t0, Duration::from_secs(60));
    assert!(sends.len() > 60, "{} reports", sends.len());
    // 1000 receivers on 64 kbit/s: about 333 s between reports.
    let mut big = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(1));
    big.set_members(t0, 1000, 0);
    big.start(t0);
    let first = (big.poll_timeout().unwrap() - t0).as_secs_f64();
    assert!(first > 100.0, "first {first}");
}

#[test]
fn rtcp_timer_reverse_reconsideration_and_time_contract() {
    let t0 = origin();
    let mut timer = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(3));
    assert_eq!(timer.poll_timeout(), None);
    timer.handle_timeout(t0);
    assert_eq!(timer.poll_event(), None);
    timer.set_members(t0, 200, 0);
    timer.start(t0);
    let before = timer.poll_timeout().unwrap();
    // Early and backwards calls do nothing.
    timer.handle_timeout(t0 + ms(10));
    timer.handle_timeout(t0);
    assert_eq!(timer.poll_event(), None);
    assert_eq!(timer.poll_timeout(), Some(before));
    // 150 of 200 members leave at t0 + 10 s: the deadline comes 4 times closer.
    let now = t0 + Duration::from_secs(10);
    timer.set_members(now, 50, 0);
    let after = timer.poll_timeout().unwrap();
    let expect = (before - now).as_secs_f64() / 4.0;
    assert!(((after - now).as_secs_f64() - expect).abs() < 1e-3);
    // avg_rtcp_size moves 1/16 of the way to each packet's size.
    assert_eq!(timer.avg_rtcp_size(), 100.0);
    timer.handle_received(260);
    assert_eq!(timer.avg_rtcp_size(), 110.0);
    timer.set_we_sent(true);
}

#[test]
fn rtcp_timer_bye_in_a_small_session_is_sent_at_once() {
    let t0 = origin();
    let mut timer = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(5));
    timer.set_members(t0, 10, 2);
    timer.start(t0);
    timer.leave(t0 + ms(100), 60);
    assert_eq!(timer.poll_event(), Some(IntervalEvent::SendBye));
    assert_eq!(timer.poll_event(), None);
    assert_eq!(timer.poll_timeout(), None);
    // Nothing more after the BYE, whatever comes in.
    timer.leave(t0 + ms(200), 60);
    timer.start(t0 + ms(200));
    timer.handle_timeout(t0 + Duration::from_secs(60));
    assert_eq!(timer.poll_event(), None);
    assert_eq!(timer.poll_timeout(), None);
}

#[test]
fn rtcp_timer_bye_reconsideration_in_a_large_session() {
    let t0 = origin();
    let mut timer = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(6));
    timer.set_members(t0, 200, 0);
    timer.start(t0);
    let leave_at = t0 + Duration::from_secs(30);
    timer.leave(leave_at, 60);
    assert_eq!(timer.poll_event(), None);
    // The timer restarts as if we had just joined alone: half the 5 s minimum, randomized.
    let comp = std::f64::consts::E - 1.5;
    let due = timer.poll_timeout().unwrap();
    let wait = (due - leave_at).as_secs_f64();
    assert!(wait >= 1.25 / comp && wait < 3.75 / comp, "wait {wait}");
    assert_eq!(timer.avg_rtcp_size(), 60.0);
    // Member changes and other packets no longer count; BYEs received do.
    timer.set_members(leave_at, 1000, 10);
    timer.handle_received(1000);
    assert_eq!(timer.avg_rtcp_size(), 60.0);
    timer.handle_bye_received(60);
    // Run to the BYE; reports are never asked for any more.
    let mut events = Vec::new();
    for _ in 0..100 {
        let Some(at) = timer.poll_timeout() else {
            break;
        };
        timer.handle_timeout(at);
        events.extend(std::iter::from_fn(|| timer.poll_event()));
    }
    assert_eq!(events, [IntervalEvent::SendBye]);
    assert_eq!(timer.poll_timeout(), None);
}

// ---------------------------------------------------------------------------------------------
// RFC 4733 telephone events

#[test]
fn telephone_event_payload() {
    let e = TelephoneEvent::parse(&[0x01, 0x94, 0x06, 0xe0]).unwrap();
    assert_eq!(
        e,
        TelephoneEvent {
            event: 1,
            end: true,
            volume: 20,
            duration: 1760
        }
    );
    assert_eq!(e.to_bytes(), [0x01, 0x94, 0x06, 0xe0]);
    // The reserved bit is ignored; extra bytes (a second event) are not read.
    let r = TelephoneEvent::parse(&[0x0b, 0x4a, 0x00, 0x10, 0xff]).unwrap();
    assert_eq!((r.event, r.end, r.volume, r.duration), (11, false, 10, 16));
    assert_eq!(
        TelephoneEvent::parse(&[1, 2, 3]),
        Err(DtmfError::TooShort(3))
    );
    let loud = TelephoneEvent { volume: 200, ..e };
    assert_eq!(loud.to_bytes()[1], 0x80 | 63);
}

#[test]
fn dtmf_digit_codes() {
    for (i, c) in "0123456789*#ABCD".chars().enumerate() {
        let d = DtmfDigit::from_char(c).unwrap();
        assert_eq!(d.code(), i as u8);
        assert_eq!(d.to_char(), Some(c));
        assert_eq!(DtmfDigit::from_code(i as u8), Some(d));
        assert_eq!(DtmfDigit::from_char(c.to_ascii_lowercase()), Ok(d));
    }
    assert_eq!(DtmfDigit::Flash.code(), 16);
    assert_eq!(DtmfDigit::Flash.to_char(), None);
    assert_eq!(DtmfDigit::from_code(16), Some(DtmfDigit::Flash));
    assert_eq!(DtmfDigit::from_code(17), None);
    assert_eq!(DtmfDigit::from_char('E'), Err(DtmfError::NotADigit('E')));
}

#[test]
fn event_set_fmtp() {
    let s = EventSet::parse("0-15").unwrap();
    assert_eq!(s, EventSet::dtmf());
    assert!(s.contains(15) && !s.contains(16));
    assert_eq!(s.to_string(), "0-15");
    let s = EventSet::parse("0-16").unwrap();
    assert!(s.contains(16));
    let s = EventSet::parse("0-11,16").unwrap();
    assert!(s.contains(11) && !s.contains(12) && s.contains(16));
    assert_eq!(s.to_string(), "0-11,16");
    let s = EventSet::parse(" 1 , 2,7-9 ,255").unwrap();
    assert_eq!(s.to_string(), "1,2,7-9,255");
    assert_eq!(EventSet::all().to_string(), "0-255");
    assert!(EventSet::empty().is_empty());
    assert_eq!(EventSet::empty().to_string(), "");
    for bad in [
        "", "a", "15-0", "256", "1,,2", "-1", "1-", "0-15,", "+1", "0001",
    ] {
        assert_eq!(
            EventSet::parse(bad),
            Err(DtmfError::BadFmtp(bad.to_owned())),
            "{bad:?}"
        );
    }
}

fn sender(volume: u8) -> DtmfSender {
    DtmfSender::new(DtmfSenderConfig {
        volume,
        ..DtmfSenderConfig::default()
    })
    .unwrap()
}

/// Drives a sender until idle, returning each transmit with its instant.
fn drain_sender(s: &mut DtmfSender) -> Vec<(Instant, DtmfTransmit)> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let Some(at) = s.poll_timeout() else {
            return out;
        };
        s.handle_timeout(at);
        while let Some(t) = s.poll_transmit() {
            out.push((at, t));
        }
    }
    panic!("sender never went idle");
}

#[test]
fn dtmf_sender_packet_sequence() {
    let t0 = origin();
    let mut s = sender(10);
    s.send_digit(t0, DtmfDigit::Five, ms(120)).unwrap();
    let sent = drain_sender(&mut s);
    let rows: Vec<_> = sent
        .iter()
        .map(|(at, t)| {
            (
                (*at - t0).as_millis(),
                t.marker,
                t.event.duration,
                t.event.end,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (50, true, 400, false),
            (100, false, 800, false),
            (150, false, 960, true),
            (200, false, 960, true),
            (250, false, 960, true),
        ]
    );
    assert!(sent
        .iter()
        .all(|(_, t)| t.start == t0 && t.event.event == 5));
    assert!(sent.iter().all(|(_, t)| t.event.volume == 10));
    assert!(s.is_idle());
}

#[test]
fn dtmf_sender_queues_and_refuses() {
    let t0 = origin();
    let mut s = DtmfSender::new(DtmfSenderConfig {
        queue_limit: 2,
        allowed: EventSet::dtmf(),
        ..DtmfSenderConfig::default()
    })
    .unwrap();
    s.send_digit(t0, DtmfDigit::One, ms(100)).unwrap();
    s.send_digit(t0, DtmfDigit::Two, ms(100)).unwrap();
    s.send_digit(t0, DtmfDigit::Three, ms(100)).unwrap();
    assert_eq!(s.queued(), 2);
    assert_eq!(
        s.send_digit(t0, DtmfDigit::Four, ms(100)),
        Err(DtmfError::QueueFull(2))
    );
    assert_eq!(
        s.send_digit(t0, DtmfDigit::Flash, ms(100)),
        Err(DtmfError::NotAllowed(16))
    );
    // 65535 units at 8 kHz is 8.19 s: one more tick is refused, as is nothing.
    assert_eq!(
        s.send_event(t0, 1, Duration::from_micros(8_192_000)),
        Err(DtmfError::Duration { units: 65_536 })
    );
    assert_eq!(
        s.send_event(t0, 1, Duration::ZERO),
        Err(DtmfError::Duration { units: 0 })
    );
    let sent = drain_sender(&mut s);
    // Three digits, each: 1 update + 3 end packets, each event with its own start.
    assert_eq!(sent.len(), 12);
    let starts: Vec<_> = sent
        .iter()
        .filter(|(_, t)| t.marker)
        .map(|(_, t)| t.start)
        .collect();
    assert_eq!(starts.len(), 3);
    assert!(starts.windows(2).all(|w| w[1] >= w[0] + ms(200)));
    let events: Vec<_> = sent
        .iter()
        .filter(|(_, t)| t.marker)
        .map(|(_, t)| t.event.event)
        .collect();
    assert_eq!(events, [1, 2, 3]);
    // The longest duration that fits is accepted.
    assert!(s
        .send_event(t0, 1, Duration::from_micros(8_191_875))
        .is_ok());
    assert!(DtmfSender::new(DtmfSenderConfig {
        clock_rate: 0,
        ..DtmfSenderConfig::default()
    })
    .is_err());
    assert!(DtmfSender::new(DtmfSenderConfig {
        interval: Duration::ZERO,
        ..DtmfSenderConfig::default()
    })
    .is_err());
}

#[test]
fn late_sender_skips_updates_but_not_ends() {
    let t0 = origin();
    let mut s = sender(10);
    s.send_digit(t0, DtmfDigit::Pound, ms(500)).unwrap();
    // Woken 320 ms late: one update with the duration at 320 ms, not six.
    s.handle_timeout(t0 + ms(320));
    let t = s.poll_transmit().unwrap();
    assert_eq!(
        (t.event.duration, t.marker, t.event.end),
        (2400, true, false)
    );
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(s.poll_timeout(), Some(t0 + ms(350)));
    // Woken after the end: the first end packet at once, the other two an interval apart.
    s.handle_timeout(t0 + Duration::from_secs(2));
    let mut ends: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert_eq!(ends.len(), 1);
    assert_eq!(s.poll_timeout(), Some(t0 + ms(2050)));
    let rest = drain_sender(&mut s);
    assert_eq!(
        rest.iter().map(|(at, _)| *at - t0).collect::<Vec<_>>(),
        [ms(2050), ms(2100)]
    );
    ends.extend(rest.into_iter().map(|(_, t)| t));
    assert_eq!(ends.len(), 3);
    assert!(ends
        .iter()
        .all(|t| t.event.end && t.event.duration == 4000 && !t.marker));
    assert!(s.is_idle());
}

#[test]
fn transmit_rtp_timestamp_mapping() {
    let t0 = origin();
    let t = DtmfTransmit {
        event: TelephoneEvent {
            event: 1,
            end: false,
            volume: 0,
            duration: 0,
        },
        marker: true,
        start: t0 + ms(1400),
    };
    assert_eq!(t.rtp_timestamp(t0, 0, 8000), 11_200);
    assert_eq!(t.rtp_timestamp(t0, u32::MAX, 8000), 11_199);
    assert_eq!(t.rtp_timestamp(t0 + ms(1500), 1000, 8000), 200);
}

#[test]
fn dtmf_receiver_reports_each_event_once() {
    let t0 = origin();
    let mut r = DtmfReceiver::new(DtmfReceiverConfig::default());
    let p = |event: u8, end: bool, duration: u16| {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    };
    assert!(r.handle_packet(t0, 1000, 1, &p(5, false, 400)));
    assert!(r.handle_packet(t0, 1000, 2, &p(5, false, 800)));
    // A reordered older update changes nothing.
    assert!(r.handle_packet(t0, 1000, 1, &p(5, false, 400)));
    assert_eq!(r.poll_event(), None);
    assert!(r.handle_packet(t0, 1000, 4, &p(5, true, 960)));
    // Retransmitted ends and late updates of a reported event are dropped.
    assert!(!r.handle_packet(t0, 1000, 5, &p(5, true, 960)));
    assert!(!r.handle_packet(t0, 1000, 3, &p(5, false, 800)));
    let e = r.poll_event().unwrap();
    assert_eq!(
        (e.event, e.digit, e.timestamp, e.duration, e.end),
        (5, Some(DtmfDigit::Five), 1000, 960, EventEnd::EndPacket)
    );
    assert_eq!(r.poll_event(), None);
    // Malformed and disallowed payloads are dropped.
    assert!(!r.handle_packet(t0, 5000, 6, &[1, 2]));
    let mut strict = DtmfReceiver::new(DtmfReceiverConfig {
        allowed: EventSet::dtmf(),
        ..DtmfReceiverConfig::default()
    });
    assert!(!strict.handle_packet(t0, 5000, 6, &p(16, true, 100)));
    assert_eq!(strict.poll_event(), None);
    // A new timestamp before any end packet: the first event is reported as superseded.
    assert!(r.handle_packet(t0, 9000, 7, &p(7, false, 400)));
    assert!(r.handle_packet(t0, 12_000, 8, &p(8, false, 400)));
    let e = r.poll_event().unwrap();
    assert_eq!((e.event, e.end, e.duration), (7, EventEnd::Superseded, 400));
    // A stale packet of the superseded event is ignored.
    assert!(!r.handle_packet(t0, 9000, 9, &p(7, true, 800)));
    // All end packets lost: reported after the timeout, once.
    assert_eq!(r.poll_timeout(), Some(t0 + ms(500)));
    r.handle_timeout(t0 + ms(499));
    assert_eq!(r.poll_event(), None);
    r.handle_timeout(t0 + ms(500));
    let e = r.poll_event().unwrap();
    assert_eq!((e.event, e.end), (8, EventEnd::TimedOut));
    assert_eq!(r.poll_timeout(), None);
    r.handle_timeout(t0 + ms(900));
    assert_eq!(r.poll_event(), None);
    // An event heard only by its end packet is reported at once.
    assert!(r.handle_packet(t0, 20_000, 10, &p(11, true, 800)));
    assert_eq!(
        r.poll_event().map(|e| e.digit),
        Some(Some(DtmfDigit::Pound))
    );
    // After a reset, the same timestamp is a new event.
    r.reset();
    assert!(r.handle_packet(t0, 20_000, 11, &p(11, true, 800)));
    assert!(r.poll_event().is_some());
}

#[test]
fn dtmf_receiver_joins_segments_of_a_long_event() {
    let t0 = origin();
    let mut r = DtmfReceiver::new(DtmfReceiverConfig::default());
    let p = |event: u8, end: bool, duration: u16| {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    };
    // RFC 4733 §2.5.1.3: the first segment fills the duration field, the next one starts at
    // the timestamp right after it.
    let ts = 0xffff_0000u32;
    assert!(r.handle_packet(t0, ts, 1, &p(3, false, 60_000)));
    assert!(r.handle_packet(t0, ts, 2, &p(3, false, u16::MAX)));
    let next = ts.wrapping_add(0xffff);
    assert!(r.handle_packet(t0, next, 3, &p(3, false, 800)));
    assert_eq!(r.poll_event(), None);
    assert!(r.handle_packet(t0, next, 4, &p(3, true, 1600)));
    assert!(!r.handle_packet(t0, next, 5, &p(3, true, 1600)));
    let e = r.poll_event().unwrap();
    assert_eq!(
        (e.event, e.timestamp, e.duration, e.end),
        (3, ts, 65_535 + 1600, EventEnd::EndPacket)
    );
    assert_eq!(r.poll_event(), None);
    // Another event at that timestamp, or a first segment that was not full, is a new event.
    for (first, second) in [((4u8, u16::MAX), 5u8), ((4, 65_000), 4)] {
        let ts = 0x0100_0000u32;
        assert!(r.handle_packet(t0, ts, 10, &p(first.0, false, first.1)));
        assert!(r.handle_packet(t0, ts.wrapping_add(0xffff), 11, &p(second, true, 400)));
        let a = r.poll_event().unwrap();
        let b = r.poll_event().unwrap();
        assert_eq!((a.end, b.end), (EventEnd::Superseded, EventEnd::EndPacket));
        assert_eq!(u32::from(first.1), a.duration);
        r.reset();
    }
}

/// A sender and a receiver joined by a lossy, duplicating link; every packet of each digit
/// is kept, dropped or sent twice at random (seeded).
fn dtmf_loop(seed: u64, loss_per_256: u64, digits: &str) -> (Vec<char>, Vec<bool>, Vec<EventEnd>) {
    use crate::rand::Random;

    let t0 = origin();
    let mut rng = SeededRandom::new(seed);
    let mut s = sender(10);
    let mut r = DtmfReceiver::new(DtmfReceiverConfig::default());
    for c in digits.chars() {
        s.send_digit(t0, DtmfDigit::from_char(c).unwrap(), ms(100))
            .unwrap();
    }
    let mut heard = Vec::new();
    let mut delivered_any = Vec::new();
    let mut current_start = None;
    let mut seq: u16 = 1000;
    let mut got = Vec::new();
    let mut now = t0;
    for _ in 0..10_000 {
        let next = [s.poll_timeout(), r.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = next else { break };
        now = now.max(at);
        s.handle_timeout(now);
        while let Some(t) = s.poll_transmit() {
            if current_start != Some(t.start) {
                current_start = Some(t.start);
                delivered_any.push(false);
            }
            seq = seq.wrapping_add(1);
            let ts = t.rtp_timestamp(t0, 0xffff_ff00, 8000);
            let mut buf = [0u8; 16];
            let n = RtpBuilder::new(101, seq, ts, 1)
                .marker(t.marker)
                .payload(&t.event.to_bytes())
                .write(&mut buf)
                .unwrap();
            let roll = rng.next_u64() % 256;
            let copies = if roll < loss_per_256 {
                0
            } else if roll < loss_per_256 + 40 {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let packet = RtpPacket::parse(&buf[..n]).unwrap();
                let _ = r.handle_rtp(now, &packet);
                *delivered_any.last_mut().unwrap() = true;
            }
        }
        r.handle_timeout(now);
        while let Some(e) = r.poll_event() {
            got.push(e);
        }
    }
    for e in &got {
        heard.push(e.digit.and_then(DtmfDigit::to_char).unwrap());
    }
    (heard, delivered_any, got.iter().map(|e| e.end).collect())
}

#[test]
fn dtmf_loop_yields_each_digit_exactly_once() {
    // A clean link.
    let (heard, _, ends) = dtmf_loop(0, 0, "0123456789*#ABCD");
    assert_eq!(heard.iter().collect::<String>(), "0123456789*#ABCD");
    assert!(ends.iter().all(|e| *e == EventEnd::EndPacket));
    let mut how = Vec::new();
    // Lossy and duplicating links: every digit of which any packet arrived is heard exactly
    // once, in order, whatever packets were lost.
    for seed in 0..200 {
        let digits = "159#";
        let (heard, delivered, ends) = dtmf_loop(seed, 90, digits);
        how.extend(ends);
        let expected: String = digits
            .chars()
            .zip(&delivered)
            .filter(|(_, d)| **d)
            .map(|(c, _)| c)
            .collect();
        assert_eq!(heard.iter().collect::<String>(), expected, "seed {seed}");
    }
    // The lossy runs did exercise every way of detecting an end.
    for end in [
        EventEnd::EndPacket,
        EventEnd::Superseded,
        EventEnd::TimedOut,
    ] {
        assert!(how.contains(&end), "{end:?} never happened");
    }
}
