//! Property tests for `rtp`: RTP and RTCP build ∘ parse round trips over arbitrary fields,
//! parsers that never panic on arbitrary bytes, and the machines under random inputs.

use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sipsimple_proto::fuzz;
use sipsimple_proto::rand::SeededRandom;
use sipsimple_proto::rtp::{
    Compound, DtmfReceiver, DtmfReceiverConfig, EventSet, Extension, ExtensionElement,
    IntervalConfig, IntervalEvent, ReceiveStats, ReportBlock, RtcpPacket, RtcpTimer, RtcpWriter,
    RtpBuilder, RtpPacket, SdesItem, SdesType, SenderInfo, SequenceStatus, SequenceTracker,
    TelephoneEvent,
};

/// One real instant as the origin of virtual time; tests never read the clock again.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

#[derive(Debug, Clone)]
enum ExtSpec {
    Raw(u16, Vec<u8>),
    One(Vec<(u8, Vec<u8>)>),
    Two(u8, Vec<(u8, Vec<u8>)>),
}

fn ext_spec() -> impl Strategy<Value = ExtSpec> {
    prop_oneof![
        (any::<u16>(), vec(any::<[u8; 4]>(), 0..8)).prop_map(|(p, w)| ExtSpec::Raw(p, w.concat())),
        vec((1u8..=14, vec(any::<u8>(), 1..=16)), 0..6).prop_map(ExtSpec::One),
        (0u8..16, vec((1u8..=255, vec(any::<u8>(), 0..40)), 0..6))
            .prop_map(|(a, e)| ExtSpec::Two(a, e)),
    ]
}

#[derive(Debug, Clone)]
struct RtpSpec {
    marker: bool,
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    ext: Option<ExtSpec>,
    padding: u8,
    payload: Vec<u8>,
}

fn rtp_spec() -> impl Strategy<Value = RtpSpec> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        vec(any::<u32>(), 0..=15),
        option::of(ext_spec()),
        any::<u8>(),
        vec(any::<u8>(), 0..400),
    )
        .prop_map(
            |(marker, pt, seq, ts, ssrc, csrcs, ext, padding, payload)| RtpSpec {
                marker,
                pt,
                seq,
                ts,
                ssrc,
                csrcs,
                ext,
                padding,
                payload,
            },
        )
}

fn elements(e: &[(u8, Vec<u8>)]) -> Vec<ExtensionElement<'_>> {
    e.iter()
        .map(|(id, data)| ExtensionElement { id: *id, data })
        .collect()
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7f_ffff,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(ssrc, f, lost, ext, j, lsr, dlsr)| ReportBlock {
            ssrc,
            fraction_lost: f,
            cumulative_lost: lost,
            extended_highest_sequence: ext,
            jitter: j,
            last_sr: lsr,
            delay_since_last_sr: dlsr,
        })
}

type Chunk = (u32, Vec<(u8, Vec<u8>)>);

#[derive(Debug, Clone)]
struct RtcpSpec {
    sender: Option<SenderInfo>,
    ssrc: u32,
    blocks: Vec<ReportBlock>,
    sdes: Vec<Chunk>,
    app: Option<(u8, u32, [u8; 4], Vec<u8>)>,
    bye: Option<(Vec<u32>, Option<Vec<u8>>)>,
}

fn rtcp_spec() -> impl Strategy<Value = RtcpSpec> {
    let info = (any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
        |(ntp_timestamp, rtp_timestamp, packet_count, octet_count)| SenderInfo {
            ntp_timestamp,
            rtp_timestamp,
            packet_count,
            octet_count,
        },
    );
    (
        option::of(info),
        any::<u32>(),
        vec(report_block(), 0..=31),
        vec(
            (
                any::<u32>(),
                vec((1u8..=255, vec(any::<u8>(), 0..=255)), 0..4),
            ),
            0..=4,
        ),
        option::of((
            0u8..32,
            any::<u32>(),
            any::<[u8; 4]>(),
            vec(any::<[u8; 4]>(), 0..4).prop_map(|w| w.concat()),
        )),
        option::of((
            vec(any::<u32>(), 0..=31),
            option::of(vec(any::<u8>(), 0..=255)),
        )),
    )
        .prop_map(|(sender, ssrc, blocks, sdes, app, bye)| RtcpSpec {
            sender,
            ssrc,
            blocks,
            sdes,
            app,
            bye,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rtp_build_then_parse(s in rtp_spec()) {
        let one;
        let two;
        let ext = match &s.ext {
            None => None,
            Some(ExtSpec::Raw(p, d)) => Some(Extension::Raw { profile: *p, data: d }),
            Some(ExtSpec::One(e)) => {
                one = elements(e);
                Some(Extension::OneByte(&one))
            }
            Some(ExtSpec::Two(a, e)) => {
                two = elements(e);
                Some(Extension::TwoByte { appbits: *a, elements: &two })
            }
        };
        let mut b = RtpBuilder::new(s.pt, s.seq, s.ts, s.ssrc)
            .marker(s.marker)
            .csrcs(&s.csrcs)
            .padding(s.padding)
            .payload(&s.payload);
        if let Some(e) = ext {
            b = b.extension(e);
        }
        let mut buf = vec![0u8; 2048];
        let n = b.write(&mut buf).unwrap();
        prop_assert_eq!(n, b.encoded_len().unwrap());
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        prop_assert_eq!(
            (p.marker(), p.payload_type(), p.sequence(), p.timestamp(), p.ssrc()),
            (s.marker, s.pt, s.seq, s.ts, s.ssrc)
        );
        prop_assert_eq!(p.csrcs().collect::<Vec<_>>(), s.csrcs.clone());
        prop_assert_eq!(p.payload(), &s.payload[..]);
        prop_assert_eq!(p.padding_len(), usize::from(s.padding));
        match (&s.ext, p.extension()) {
            (None, None) => {}
            (Some(ExtSpec::Raw(prof, d)), Some(e)) => {
                prop_assert_eq!(e.profile(), *prof);
                prop_assert_eq!(e.data(), &d[..]);
            }
            (Some(ExtSpec::One(want)) | Some(ExtSpec::Two(_, want)), Some(e)) => {
                let got: Vec<(u8, Vec<u8>)> =
                    e.elements().map(|r| r.map(|x| (x.id, x.data.to_vec()))).collect::<Result<_, _>>().unwrap();
                prop_assert_eq!(&got, want);
            }
            (want, got) => prop_assert!(false, "extension {:?} came back as {:?}", want, got),
        }
        // The oracle of the fuzz target holds on every built packet.
        fuzz::rtp(origin(), &buf[..n]);
        let mut bm = bytes::BytesMut::new();
        b.write_to(&mut bm).unwrap();
        prop_assert_eq!(&bm[..], &buf[..n]);
    }

    #[test]
    fn rtcp_build_then_parse(s in rtcp_spec()) {
        let mut buf = vec![0u8; 16 * 1024];
        let mut w = RtcpWriter::new(&mut buf);
        match &s.sender {
            Some(info) => w.sender_report(s.ssrc, info, &s.blocks).unwrap(),
            None => w.receiver_report(s.ssrc, &s.blocks).unwrap(),
        }
        let items: Vec<Vec<SdesItem<'_>>> = s
            .sdes
            .iter()
            .map(|(_, it)| {
                it.iter()
                    .map(|(k, v)| SdesItem { kind: SdesType::from_u8(*k), value: v })
                    .collect()
            })
            .collect();
        let chunks: Vec<(u32, &[SdesItem<'_>])> =
            s.sdes.iter().zip(&items).map(|((ssrc, _), i)| (*ssrc, &i[..])).collect();
        if !chunks.is_empty() {
            w.sdes(&chunks).unwrap();
        }
        if let Some((sub, ssrc, name, data)) = &s.app {
            w.app(*sub, *ssrc, *name, data).unwrap();
        }
        if let Some((sources, reason)) = &s.bye {
            w.bye(sources, reason.as_deref()).unwrap();
        }
        let n = w.finish().unwrap();
        let c = Compound::parse(&buf[..n]).unwrap();
        prop_assert!(!c.is_reduced_size());
        let mut packets = c.packets();
        match (packets.next().unwrap(), &s.sender) {
            (RtcpPacket::SenderReport(sr), Some(info)) => {
                prop_assert_eq!(sr.ssrc(), s.ssrc);
                prop_assert_eq!(sr.sender_info(), *info);
                prop_assert_eq!(sr.report_blocks().collect::<Vec<_>>(), s.blocks.clone());
            }
            (RtcpPacket::ReceiverReport(rr), None) => {
                prop_assert_eq!(rr.ssrc(), s.ssrc);
                prop_assert_eq!(rr.report_blocks().collect::<Vec<_>>(), s.blocks.clone());
            }
            (p, _) => prop_assert!(false, "first packet {:?}", p),
        }
        if !chunks.is_empty() {
            let Some(RtcpPacket::Sdes(sdes)) = packets.next() else {
                return Err(TestCaseError::fail("SDES expected"));
            };
            let got: Vec<Chunk> = sdes
                .chunks()
                .map(|c| (c.ssrc(), c.items().map(|i| (i.kind.to_u8(), i.value.to_vec())).collect()))
                .collect();
            prop_assert_eq!(got, s.sdes.clone());
        }
        if let Some((sub, ssrc, name, data)) = &s.app {
            let Some(RtcpPacket::App(app)) = packets.next() else {
                return Err(TestCaseError::fail("APP expected"));
            };
            prop_assert_eq!((app.subtype(), app.ssrc(), app.name(), app.data()), (*sub, *ssrc, *name, &data[..]));
        }
        if let Some((sources, reason)) = &s.bye {
            let Some(RtcpPacket::Bye(bye)) = packets.next() else {
                return Err(TestCaseError::fail("BYE expected"));
            };
            prop_assert_eq!(bye.sources().collect::<Vec<_>>(), sources.clone());
            prop_assert_eq!(bye.reason(), reason.as_deref());
        }
        prop_assert!(packets.next().is_none());
        fuzz::rtcp(&buf[..n]);
    }

    #[test]
    fn parsers_never_panic(data in vec(any::<u8>(), 0..300)) {
        fuzz::rtp(origin(), &data);
        fuzz::rtcp(&data);
        let _ = TelephoneEvent::parse(&data);
        if let Ok(s) = std::str::from_utf8(&data) {
            if let Ok(set) = EventSet::parse(s) {
                prop_assert_eq!(EventSet::parse(&set.to_string()).ok(), Some(set).filter(|s| !s.is_empty()));
            }
        }
    }

    #[test]
    fn mostly_valid_headers_never_panic(
        first in prop_oneof![Just(0x80u8), Just(0x90), Just(0xa0), Just(0xb0), any::<u8>()],
        pt in prop_oneof![200u8..=206, any::<u8>()],
        rest in vec(any::<u8>(), 0..200),
    ) {
        let mut data = vec![first, pt];
        data.extend(rest);
        fuzz::rtp(origin(), &data);
        fuzz::rtcp(&data);
    }

    #[test]
    fn event_set_round_trips(events in vec(any::<u8>(), 1..40)) {
        let mut set = EventSet::empty();
        for e in &events {
            set.insert(*e);
        }
        let text = set.to_string();
        prop_assert_eq!(EventSet::parse(&text).unwrap(), set);
        for e in 0..=255u8 {
            prop_assert_eq!(set.contains(e), events.contains(&e));
        }
    }

    #[test]
    fn sequence_tracking_stays_consistent(steps in vec((any::<bool>(), 0u16..200, any::<u16>()), 1..300)) {
        let mut seq: u16 = 65_000;
        let mut tracker = SequenceTracker::new(seq);
        let mut stats = ReceiveStats::new(1, 8000);
        let t0 = origin();
        let mut highest: Option<u32> = None;
        for (i, (jump, step, wild)) in steps.into_iter().enumerate() {
            seq = if jump { wild } else { seq.wrapping_add(step % 3) };
            let now = t0 + Duration::from_millis(20 * i as u64);
            let _ = tracker.update(seq);
            let status = stats.handle_packet(now, seq, u32::from(seq) * 160);
            prop_assert_eq!(
                stats.extended_highest(),
                Some(tracker.extended_max()).filter(|_| tracker.is_valid())
            );
            if status == SequenceStatus::Restarted {
                highest = None;
            }
            if let Some(b) = stats.report_block(now) {
                prop_assert!((-0x80_0000..=0x7f_ffff).contains(&b.cumulative_lost));
                // Between restarts the extended maximum never goes back.
                if let Some(h) = highest {
                    prop_assert!(b.extended_highest_sequence >= h);
                }
                highest = Some(b.extended_highest_sequence);
            }
        }
    }

    #[test]
    fn rtcp_timer_deadlines_are_never_in_the_past(
        seed in any::<u64>(),
        ops in vec((0u8..7, 0u32..2000, 0u64..20_000), 1..60),
    ) {
        let t0 = origin();
        let mut timer = RtcpTimer::new(IntervalConfig::default(), SeededRandom::new(seed));
        timer.start(t0);
        let mut now = t0;
        let mut sends = 0;
        let mut byes = 0;
        for (op, n, dt) in ops {
            now += Duration::from_millis(dt);
            match op {
                0 | 1 => timer.handle_timeout(now),
                2 => timer.set_members(now, n + 1, n / 3),
                3 => timer.set_we_sent(n % 2 == 0),
                4 => timer.handle_received(n),
                5 => timer.handle_bye_received(n),
                // Leaving is rarer than the other inputs.
                _ if n % 4 == 0 => timer.leave(now, n),
                _ => timer.handle_timeout(now),
            }
            while let Some(e) = timer.poll_event() {
                match e {
                    IntervalEvent::SendReport => {
                        prop_assert_eq!(byes, 0, "a report after the BYE");
                        sends += 1;
                        timer.handle_sent(120);
                    }
                    IntervalEvent::SendBye => byes += 1,
                }
            }
            match timer.poll_timeout() {
                Some(at) => prop_assert!(
                    at > now || !matches!(op, 0 | 1),
                    "deadline {:?} not after {:?}",
                    at - t0,
                    now - t0
                ),
                None => prop_assert_eq!(byes, 1, "only a finished timer has no deadline"),
            }
        }
        prop_assert!(sends <= 60);
        prop_assert!(byes <= 1);
    }

    #[test]
    fn dtmf_receiver_reports_at_most_once_per_timestamp(
        packets in vec((0u32..6, any::<u16>(), 0u8..20, any::<bool>(), any::<u16>(), 0u64..300), 1..80),
    ) {
        let t0 = origin();
        let mut r = DtmfReceiver::new(DtmfReceiverConfig::default());
        let mut now = t0;
        let mut reported = Vec::new();
        for (ts, seq, event, end, duration, dt) in packets {
            now += Duration::from_millis(dt);
            r.handle_timeout(now);
            let payload = TelephoneEvent { event, end, volume: 10, duration }.to_bytes();
            let _ = r.handle_packet(now, ts * 1000, seq, &payload);
            while let Some(e) = r.poll_event() {
                reported.push(e.timestamp);
            }
            if let Some(at) = r.poll_timeout() {
                prop_assert!(at > now);
            }
        }
        r.handle_timeout(now + Duration::from_secs(5));
        while let Some(e) = r.poll_event() {
            reported.push(e.timestamp);
        }
        let mut unique = reported.clone();
        unique.sort_unstable();
        unique.dedup();
        prop_assert_eq!(unique.len(), reported.len(), "a timestamp reported twice: {:?}", reported);
    }
}
