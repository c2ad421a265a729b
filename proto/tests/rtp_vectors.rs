//! RFC 4733 §5 examples (`vectors/rtp/rfc4733-s5-examples.txt`): every packet of Table 5 and
//! Figures 3–5 checked field by field, rebuilt byte for byte, replayed through the receiver,
//! and the second "1" of Table 5 reproduced by the sender.

use std::time::{Duration, Instant};

use sipsimple_proto::rtp::{
    DtmfDigit, DtmfReceiver, DtmfReceiverConfig, DtmfSender, DtmfSenderConfig, EventEnd, EventSet,
    RtpBuilder, RtpPacket, TelephoneEvent,
};

/// One real instant as the origin of virtual time; tests never read the clock again.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

const SSRC: u32 = 0x0052_34a8;

fn text() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vectors/rtp/rfc4733-s5-examples.txt"
    );
    std::fs::read_to_string(path).expect("vector file")
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

fn figure(name: &str) -> Vec<u8> {
    let text = text();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} = ")))
        .expect("figure line");
    hex(line)
}

/// One row of Table 5: time, M, timestamp, seq, event, duration, E, and the packet.
#[derive(Debug)]
struct Row {
    time_ms: u64,
    marker: bool,
    timestamp: u32,
    seq: u16,
    event: u8,
    duration: u16,
    end: bool,
    packet: Vec<u8>,
}

fn table5() -> Vec<Row> {
    text()
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('|'))
        .map(|l| {
            let mut parts = l.split('|');
            let f: Vec<u64> = parts
                .next()
                .unwrap()
                .split_whitespace()
                .map(|n| n.parse().expect("number"))
                .collect();
            Row {
                time_ms: f[0],
                marker: f[1] == 1,
                timestamp: f[2] as u32,
                seq: f[3] as u16,
                event: f[4] as u8,
                duration: f[5] as u16,
                end: f[6] == 1,
                packet: hex(parts.next().unwrap()),
            }
        })
        .collect()
}

#[test]
fn table5_packets_field_by_field_and_byte_for_byte() {
    let rows = table5();
    assert_eq!(rows.len(), 14);
    for row in &rows {
        let p = RtpPacket::parse(&row.packet).expect("RTP packet");
        assert_eq!(p.payload_type(), 100);
        assert_eq!(p.ssrc(), SSRC);
        assert_eq!(p.marker(), row.marker, "{row:?}");
        assert_eq!(p.timestamp(), row.timestamp);
        assert_eq!(p.sequence(), row.seq);
        let e = TelephoneEvent::parse(p.payload()).expect("event payload");
        assert_eq!(
            (e.event, e.end, e.volume, e.duration),
            (row.event, row.end, 20, row.duration),
            "{row:?}"
        );
        let mut buf = [0u8; 16];
        let n = RtpBuilder::new(100, row.seq, row.timestamp, SSRC)
            .marker(row.marker)
            .payload(&e.to_bytes())
            .write(&mut buf)
            .unwrap();
        assert_eq!(&buf[..n], &row.packet[..], "{row:?}");
    }
    // Figure 3 is the packet with sequence number 18.
    let fig3 = figure("figure3");
    assert_eq!(rows.iter().find(|r| r.seq == 18).unwrap().packet, fig3);
}

#[test]
fn figures_4_and_5_fields() {
    // Figure 4: tone payload (RFC 4733 §4.3.3), read by hand: modulation 0, T 0, volume 20,
    // duration 160, frequencies 697 and 1209 Hz.
    let fig4 = figure("figure4");
    let p = RtpPacket::parse(&fig4).unwrap();
    assert_eq!(
        (p.payload_type(), p.sequence(), p.timestamp(), p.ssrc()),
        (101, 14, 12800, SSRC)
    );
    let b = p.payload();
    let word = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!(word >> 23, 0, "modulation");
    assert_eq!((word >> 22) & 1, 0, "T");
    assert_eq!((word >> 16) & 0x3f, 20, "volume");
    assert_eq!(word & 0xffff, 160, "duration");
    let freqs: Vec<u16> = b[4..]
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]) & 0x0fff)
        .collect();
    assert_eq!(freqs, [697, 1209]);

    // Figure 5: RFC 2198 redundancy: events (PT 100) redundant with offset 1600 and length 4,
    // tones (PT 101) primary; the event block is Figure 3's payload.
    let fig5 = figure("figure5");
    let p = RtpPacket::parse(&fig5).unwrap();
    assert_eq!(
        (p.payload_type(), p.sequence(), p.timestamp()),
        (102, 18, 12800)
    );
    let b = p.payload();
    let red = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!(red >> 31, 1, "F");
    assert_eq!((red >> 24) & 0x7f, 100, "block PT");
    assert_eq!((red >> 10) & 0x3fff, 1600, "timestamp offset");
    assert_eq!(red & 0x3ff, 4, "block length");
    assert_eq!(b[4], 101, "final header: F 0, PT 101");
    let event = TelephoneEvent::parse(&b[5..9]).unwrap();
    assert_eq!(event.to_bytes(), figure("figure3")[12..]);
    assert_eq!(&b[9..], &fig4[12..]);
}

#[test]
fn sdp_fmtp_values() {
    let text = text();
    let fmtps: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("a=fmtp:100 "))
        .collect();
    assert_eq!(fmtps, ["0-15", "0-15"]);
    for f in fmtps {
        let set = EventSet::parse(f).unwrap();
        assert_eq!(set, EventSet::dtmf());
        assert_eq!(set.to_string(), f);
    }
}

#[test]
fn receiver_hears_911_once() {
    let t0 = origin();
    let mut r = DtmfReceiver::new(DtmfReceiverConfig::default());
    let mut got = Vec::new();
    for row in table5() {
        let now = t0 + Duration::from_millis(row.time_ms);
        r.handle_timeout(now);
        let p = RtpPacket::parse(&row.packet).unwrap();
        let _ = r.handle_rtp(now, &p);
        got.extend(std::iter::from_fn(|| r.poll_event()));
    }
    r.handle_timeout(t0 + Duration::from_secs(10));
    got.extend(std::iter::from_fn(|| r.poll_event()));
    let summary: Vec<_> = got
        .iter()
        .map(|e| (e.digit, e.timestamp, e.duration, e.end))
        .collect();
    assert_eq!(
        summary,
        [
            (Some(DtmfDigit::Nine), 0, 1600, EventEnd::EndPacket),
            (Some(DtmfDigit::One), 7040, 2000, EventEnd::EndPacket),
            (Some(DtmfDigit::One), 11200, 1760, EventEnd::EndPacket),
        ]
    );
}

#[test]
fn sender_reproduces_the_second_one() {
    // The second "1" of Table 5 lasts from 1400 to 1620 ms: updates every 50 ms, then the
    // final report (E, duration 1760) at 1650 ms and its two retransmissions. Table 5 shows
    // sequence numbers 14 (first) and 18-20 (the end packets); 15-17 are elided there.
    let t0 = origin();
    let mut s = DtmfSender::new(DtmfSenderConfig {
        volume: 20,
        ..DtmfSenderConfig::default()
    })
    .unwrap();
    s.send_digit(
        t0 + Duration::from_millis(1400),
        DtmfDigit::One,
        Duration::from_millis(220),
    )
    .unwrap();
    let mut built = Vec::new();
    let mut seq = 14u16;
    while let Some(at) = s.poll_timeout() {
        s.handle_timeout(at);
        while let Some(t) = s.poll_transmit() {
            let mut buf = [0u8; 16];
            let n = RtpBuilder::new(100, seq, t.rtp_timestamp(t0, 0, 8000), SSRC)
                .marker(t.marker)
                .payload(&t.event.to_bytes())
                .write(&mut buf)
                .unwrap();
            built.push(((at - t0).as_millis() as u64, seq, buf[..n].to_vec()));
            seq += 1;
        }
    }
    assert_eq!(
        built.iter().map(|b| b.0).collect::<Vec<_>>(),
        [1450, 1500, 1550, 1600, 1650, 1700, 1750]
    );
    let rows = table5();
    for row in rows.iter().filter(|r| r.timestamp == 11200) {
        let (at, _, bytes) = built.iter().find(|b| b.1 == row.seq).expect("same seq");
        assert_eq!(*at, row.time_ms);
        assert_eq!(bytes, &row.packet, "seq {}", row.seq);
    }
}
