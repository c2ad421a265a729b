//! RTCP (RFC 3550 §6): sender and receiver reports, source descriptions, BYE and APP packets,
//! parsed as zero-copy views of a compound datagram and written in the required order.
//!
//! Parsing is tolerant where deployments differ: a compound need not start with SR or RR
//! (reduced-size RTCP, RFC 5506), padding is accepted on any packet, bytes after the last
//! SDES chunk are ignored, and packet types this module does not know come out as
//! [`RtcpPacket::Unknown`] for the caller to skip (feedback, XR…), never as errors.

use super::error::{BuildError, RtcpError};

/// Packet type of a sender report.
pub const SR: u8 = 200;
/// Packet type of a receiver report.
pub const RR: u8 = 201;
/// Packet type of a source description.
pub const SDES: u8 = 202;
/// Packet type of a goodbye.
pub const BYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const APP: u8 = 204;

const REPORT_BLOCK_LEN: usize = 24;

/// The sender information of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wall-clock time of the report, 64-bit NTP format.
    pub ntp_timestamp: u64,
    /// The same instant in the sender's RTP timestamp units.
    pub rtp_timestamp: u32,
    /// RTP packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
}

/// A reception report block about one source (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since the start, a 24-bit signed value (−8388608..=8388607).
    pub cumulative_lost: i32,
    /// Highest sequence number received, extended with its wrap-around cycles.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from the source (LSR).
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn parse(b: &[u8]) -> Self {
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        // Sign-extend the 24-bit cumulative loss.
        let lost = (u32::from_be_bytes([b[5], b[6], b[7], 0]) as i32) >> 8;
        Self {
            ssrc: word(0),
            fraction_lost: b[4],
            cumulative_lost: lost,
            extended_highest_sequence: word(8),
            jitter: word(12),
            last_sr: word(16),
            delay_since_last_sr: word(20),
        }
    }

    fn write(&self, out: &mut Writer<'_>) {
        out.put(&self.ssrc.to_be_bytes());
        let lost = self
            .cumulative_lost
            .clamp(-0x80_0000, 0x7f_ffff)
            .to_be_bytes();
        out.put(&[self.fraction_lost, lost[1], lost[2], lost[3]]);
        out.put(&self.extended_highest_sequence.to_be_bytes());
        out.put(&self.jitter.to_be_bytes());
        out.put(&self.last_sr.to_be_bytes());
        out.put(&self.delay_since_last_sr.to_be_bytes());
    }
}

fn report_blocks(b: &[u8]) -> impl ExactSizeIterator<Item = ReportBlock> + '_ {
    b.chunks_exact(REPORT_BLOCK_LEN).map(ReportBlock::parse)
}

fn word(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// A sender report (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    ssrc: u32,
    info: SenderInfo,
    blocks: &'a [u8],
    extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// The sender's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The sender information.
    pub fn sender_info(&self) -> SenderInfo {
        self.info
    }

    /// The reception report blocks.
    pub fn report_blocks(&self) -> impl ExactSizeIterator<Item = ReportBlock> + 'a {
        report_blocks(self.blocks)
    }

    /// Profile-specific extension bytes after the report blocks.
    pub fn extension(&self) -> &'a [u8] {
        self.extension
    }
}

/// A receiver report (RFC 3550 §6.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    ssrc: u32,
    blocks: &'a [u8],
    extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// The reporter's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The reception report blocks.
    pub fn report_blocks(&self) -> impl ExactSizeIterator<Item = ReportBlock> + 'a {
        report_blocks(self.blocks)
    }

    /// Profile-specific extension bytes after the report blocks.
    pub fn extension(&self) -> &'a [u8] {
        self.extension
    }
}

/// The type of an SDES item (RFC 3550 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdesType {
    /// Canonical end-point identifier (1).
    Cname,
    /// User name (2).
    Name,
    /// E-mail address (3).
    Email,
    /// Phone number (4).
    Phone,
    /// Geographic location (5).
    Location,
    /// Application or tool name (6).
    Tool,
    /// Notice or status (7).
    Note,
    /// Private extension (8); the value holds its own prefix length and prefix.
    Private,
    /// Any other non-zero type.
    Other(u8),
}

impl SdesType {
    /// The item type for a type octet (0 is the end marker, never an item).
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Cname,
            2 => Self::Name,
            3 => Self::Email,
            4 => Self::Phone,
            5 => Self::Location,
            6 => Self::Tool,
            7 => Self::Note,
            8 => Self::Private,
            other => Self::Other(other),
        }
    }

    /// The type octet.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Cname => 1,
            Self::Name => 2,
            Self::Email => 3,
            Self::Phone => 4,
            Self::Location => 5,
            Self::Tool => 6,
            Self::Note => 7,
            Self::Private => 8,
            Self::Other(v) => v,
        }
    }
}

/// One SDES item: its type and value (UTF-8 by RFC 3550, but kept as bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// The item type.
    pub kind: SdesType,
    /// The value, at most 255 bytes.
    pub value: &'a [u8],
}

/// A source description packet (RFC 3550 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    count: u8,
    body: &'a [u8],
}

impl<'a> Sdes<'a> {
    /// The chunks, one per source.
    pub fn chunks(&self) -> SdesChunks<'a> {
        SdesChunks {
            body: self.body,
            at: 0,
            left: self.count,
        }
    }

    /// The CNAME of the first chunk that has one.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.chunks().find_map(|c| {
            c.items()
                .find(|i| i.kind == SdesType::Cname)
                .map(|i| i.value)
        })
    }
}

/// Iterator over the chunks of an SDES packet.
#[derive(Debug, Clone)]
pub struct SdesChunks<'a> {
    body: &'a [u8],
    at: usize,
    left: u8,
}

/// Scans one chunk from `at`: its items end and the offset of the next chunk.
fn scan_chunk(body: &[u8], at: usize) -> Result<(usize, usize), &'static str> {
    if body.len() < at + 4 {
        return Err("SDES chunk shorter than its SSRC");
    }
    let mut i = at + 4;
    loop {
        let Some(&kind) = body.get(i) else {
            return Err("SDES chunk without its end item");
        };
        if kind == 0 {
            let items_end = i;
            // Null octets pad the chunk to the next 32-bit boundary.
            let next = (i + 1).div_ceil(4) * 4;
            return Ok((items_end, next.min(body.len())));
        }
        let Some(&len) = body.get(i + 1) else {
            return Err("SDES item without its length");
        };
        i += 2 + usize::from(len);
        if i > body.len() {
            return Err("SDES item overruns the packet");
        }
    }
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = SdesChunk<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        // Validated when the compound was parsed; a failure here cannot happen and ends the
        // iteration rather than panicking.
        let (items_end, next) = scan_chunk(self.body, self.at).ok()?;
        let chunk = SdesChunk {
            ssrc: word(self.body, self.at),
            items: &self.body[self.at + 4..items_end],
        };
        self.at = next;
        self.left -= 1;
        Some(chunk)
    }
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    ssrc: u32,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The source described.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Its items, in order.
    pub fn items(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let mut b = self.items;
        std::iter::from_fn(move || {
            let (&kind, rest) = b.split_first()?;
            let (&len, rest) = rest.split_first()?;
            let value = rest.get(..usize::from(len))?;
            b = &rest[usize::from(len)..];
            Some(SdesItem {
                kind: SdesType::from_u8(kind),
                value,
            })
        })
    }
}

/// A goodbye packet (RFC 3550 §6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    sources: &'a [u8],
    reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    /// The sources leaving.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.sources
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The reason for leaving, when given.
    pub fn reason(&self) -> Option<&'a [u8]> {
        self.reason
    }
}

/// An application-defined packet (RFC 3550 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    subtype: u8,
    ssrc: u32,
    name: [u8; 4],
    data: &'a [u8],
}

impl<'a> App<'a> {
    /// The 5-bit subtype.
    pub fn subtype(&self) -> u8 {
        self.subtype
    }

    /// The sender's SSRC or CSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The 4-character name.
    pub fn name(&self) -> [u8; 4] {
        self.name
    }

    /// The application data.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// An RTCP packet of a type this module does not interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownPacket<'a> {
    /// The packet type.
    pub packet_type: u8,
    /// The 5-bit count or format field.
    pub count: u8,
    /// The body after the 4-byte header, padding removed.
    pub body: &'a [u8],
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// SR.
    SenderReport(SenderReport<'a>),
    /// RR.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES.
    Sdes(Sdes<'a>),
    /// BYE.
    Bye(Bye<'a>),
    /// APP.
    App(App<'a>),
    /// Any other type (RTPFB, PSFB, XR…), for the caller to skip or decode.
    Unknown(UnknownPacket<'a>),
}

impl<'a> RtcpPacket<'a> {
    /// Parses the packet at `offset`, returning it and the offset of the next one. SDES
    /// chunks are scanned only when `check_chunks` is set: iterating a compound already
    /// checked skips it.
    fn parse_at(
        data: &'a [u8],
        offset: usize,
        check_chunks: bool,
    ) -> Result<(Self, usize), RtcpError> {
        let rest = &data[offset..];
        if rest.len() < 4 {
            return Err(RtcpError::TooShort { offset });
        }
        let version = rest[0] >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion { offset, version });
        }
        let count = rest[0] & 0x1f;
        let packet_type = rest[1];
        let announced = 4 * (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1);
        if announced > rest.len() {
            return Err(RtcpError::BadLength {
                offset,
                announced,
                available: rest.len(),
            });
        }
        let mut body = &rest[4..announced];
        if rest[0] & 0x20 != 0 {
            let pad = body.last().copied().unwrap_or(0);
            if pad == 0 || usize::from(pad) > body.len() {
                return Err(RtcpError::BadPadding { offset, count: pad });
            }
            body = &body[..body.len() - usize::from(pad)];
        }
        let malformed = |reason| RtcpError::Malformed {
            offset,
            packet_type,
            reason,
        };
        let blocks_len = REPORT_BLOCK_LEN * usize::from(count);
        let packet = match packet_type {
            SR => {
                if body.len() < 24 + blocks_len {
                    return Err(malformed("SR shorter than its report blocks"));
                }
                Self::SenderReport(SenderReport {
                    ssrc: word(body, 0),
                    info: SenderInfo {
                        ntp_timestamp: (u64::from(word(body, 4)) << 32) | u64::from(word(body, 8)),
                        rtp_timestamp: word(body, 12),
                        packet_count: word(body, 16),
                        octet_count: word(body, 20),
                    },
                    blocks: &body[24..24 + blocks_len],
                    extension: &body[24 + blocks_len..],
                })
            }
            RR => {
                if body.len() < 4 + blocks_len {
                    return Err(malformed("RR shorter than its report blocks"));
                }
                Self::ReceiverReport(ReceiverReport {
                    ssrc: word(body, 0),
                    blocks: &body[4..4 + blocks_len],
                    extension: &body[4 + blocks_len..],
                })
            }
            SDES => {
                if check_chunks {
                    let mut at = 0;
                    for _ in 0..count {
                        at = scan_chunk(body, at).map_err(malformed)?.1;
                    }
                }
                Self::Sdes(Sdes { count, body })
            }
            BYE => {
                let n = 4 * usize::from(count);
                let Some(sources) = body.get(..n) else {
                    return Err(malformed("BYE shorter than its sources"));
                };
                let reason = match body.get(n) {
                    None => None,
                    Some(&len) => match body.get(n + 1..n + 1 + usize::from(len)) {
                        Some(r) => Some(r),
                        None => return Err(malformed("BYE reason overruns the packet")),
                    },
                };
                Self::Bye(Bye { sources, reason })
            }
            APP => {
                if body.len() < 8 {
                    return Err(malformed("APP shorter than its SSRC and name"));
                }
                Self::App(App {
                    subtype: count,
                    ssrc: word(body, 0),
                    name: [body[4], body[5], body[6], body[7]],
                    data: &body[8..],
                })
            }
            _ => Self::Unknown(UnknownPacket {
                packet_type,
                count,
                body,
            }),
        };
        Ok((packet, offset + announced))
    }
}

/// A compound RTCP datagram whose packets all parsed.
///
/// ```
/// use sipsimple_proto::rtp::{Compound, RtcpPacket, RtcpWriter, SdesItem, SdesType, SenderInfo};
///
/// let mut buf = [0u8; 256];
/// let mut w = RtcpWriter::new(&mut buf);
/// w.sender_report(0x1111, &SenderInfo::default(), &[])?;
/// w.sdes(&[(0x1111, &[SdesItem { kind: SdesType::Cname, value: b"alice@host" }][..])])?;
/// let n = w.finish()?;
/// let compound = Compound::parse(&buf[..n])?;
/// assert!(!compound.is_reduced_size());
/// assert!(matches!(compound.packets().next(), Some(RtcpPacket::SenderReport(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a> {
    data: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Parses and checks every packet of an RTCP datagram. A single packet of any type is
    /// accepted (RFC 5506 reduced-size RTCP), as are unknown packet types.
    pub fn parse(data: &'a [u8]) -> Result<Self, RtcpError> {
        if data.is_empty() {
            return Err(RtcpError::TooShort { offset: 0 });
        }
        let mut offset = 0;
        while offset < data.len() {
            offset = RtcpPacket::parse_at(data, offset, true)?.1;
        }
        Ok(Self { data })
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Whether the datagram does not start with SR or RR, which only reduced-size RTCP
    /// (RFC 5506) allows.
    pub fn is_reduced_size(&self) -> bool {
        !matches!(self.data.get(1), Some(&SR | &RR))
    }

    /// The packets, in order.
    pub fn packets(&self) -> impl Iterator<Item = RtcpPacket<'a>> + 'a {
        let data = self.data;
        let mut offset = 0;
        std::iter::from_fn(move || {
            if offset >= data.len() {
                return None;
            }
            // Every packet was checked by `parse`; an error cannot happen and would end the
            // iteration.
            let (p, next) = RtcpPacket::parse_at(data, offset, false).ok()?;
            offset = next;
            Some(p)
        })
    }
}

/// Writes a compound RTCP datagram into a caller's buffer, in the order RFC 3550 §6.1
/// requires: SR or RR first (unless made with [`reduced_size`](Self::reduced_size)), then the
/// other packets (SDES with the CNAME, APP…), BYE last. Each call writes one packet or
/// leaves the buffer as it was.
#[derive(Debug)]
pub struct RtcpWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    reduced: bool,
    closed: bool,
}

impl<'b> RtcpWriter<'b> {
    /// A writer of a full compound packet.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            reduced: false,
            closed: false,
        }
    }

    /// A writer of reduced-size RTCP (RFC 5506): any packet may come first.
    pub fn reduced_size(buf: &'b mut [u8]) -> Self {
        Self {
            reduced: true,
            ..Self::new(buf)
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Finishes the compound and returns its length; an empty compound is refused.
    pub fn finish(self) -> Result<usize, BuildError> {
        if self.len == 0 {
            return Err(BuildError::Order(
                "an RTCP compound needs at least one packet",
            ));
        }
        Ok(self.len)
    }

    fn begin(
        &mut self,
        is_report: bool,
        count: usize,
        max_count: usize,
        body_len: usize,
    ) -> Result<Writer<'_>, BuildError> {
        if self.closed {
            return Err(BuildError::Order("nothing may follow a BYE"));
        }
        if self.len == 0 && !self.reduced && !is_report {
            return Err(BuildError::Order("a compound must start with SR or RR"));
        }
        if count > max_count {
            return Err(BuildError::TooMany {
                count,
                max: max_count,
            });
        }
        let total = 4 + body_len;
        if total % 4 != 0 || total / 4 - 1 > usize::from(u16::MAX) {
            return Err(BuildError::Length(total));
        }
        let available = self.buf.len() - self.len;
        if total > available {
            return Err(BuildError::BufferTooSmall {
                needed: total,
                available,
            });
        }
        let start = self.len;
        self.len += total;
        Ok(Writer {
            buf: &mut self.buf[start..start + total],
            at: 0,
        })
    }

    fn header(w: &mut Writer<'_>, count: u8, packet_type: u8) {
        let words = (w.buf.len() / 4 - 1) as u16;
        w.put(&[0x80 | count, packet_type]);
        w.put(&words.to_be_bytes());
    }

    /// Writes a sender report with up to 31 report blocks.
    pub fn sender_report(
        &mut self,
        ssrc: u32,
        info: &SenderInfo,
        blocks: &[ReportBlock],
    ) -> Result<(), BuildError> {
        let body = 24 + REPORT_BLOCK_LEN * blocks.len();
        let mut w = self.begin(true, blocks.len(), 31, body)?;
        Self::header(&mut w, blocks.len() as u8, SR);
        w.put(&ssrc.to_be_bytes());
        w.put(&info.ntp_timestamp.to_be_bytes());
        w.put(&info.rtp_timestamp.to_be_bytes());
        w.put(&info.packet_count.to_be_bytes());
        w.put(&info.octet_count.to_be_bytes());
        for b in blocks {
            b.write(&mut w);
        }
        Ok(())
    }

    /// Writes a receiver report with up to 31 report blocks (none when nothing was received).
    pub fn receiver_report(&mut self, ssrc: u32, blocks: &[ReportBlock]) -> Result<(), BuildError> {
        let body = 4 + REPORT_BLOCK_LEN * blocks.len();
        let mut w = self.begin(true, blocks.len(), 31, body)?;
        Self::header(&mut w, blocks.len() as u8, RR);
        w.put(&ssrc.to_be_bytes());
        for b in blocks {
            b.write(&mut w);
        }
        Ok(())
    }

    /// Writes a source description: up to 31 chunks, each a source and its items.
    pub fn sdes(&mut self, chunks: &[(u32, &[SdesItem<'_>])]) -> Result<(), BuildError> {
        let mut body = 0;
        for (_, items) in chunks {
            let mut n = 4;
            for i in *items {
                if i.value.len() > 255 {
                    return Err(BuildError::TextTooLong(i.value.len()));
                }
                if i.kind.to_u8() == 0 {
                    return Err(BuildError::Element {
                        id: 0,
                        len: i.value.len(),
                    });
                }
                n += 2 + i.value.len();
            }
            // At least one null octet ends the items, more pad to a word.
            body += (n + 1).div_ceil(4) * 4;
        }
        let mut w = self.begin(false, chunks.len(), 31, body)?;
        Self::header(&mut w, chunks.len() as u8, SDES);
        for (ssrc, items) in chunks {
            let start = w.at;
            w.put(&ssrc.to_be_bytes());
            for i in *items {
                w.put(&[i.kind.to_u8(), i.value.len() as u8]);
                w.put(i.value);
            }
            let used = w.at - start;
            w.zero((used + 1).div_ceil(4) * 4 - used);
        }
        Ok(())
    }

    /// Writes a BYE for up to 31 sources with an optional reason (at most 255 bytes). Nothing
    /// may be written after it.
    pub fn bye(&mut self, sources: &[u32], reason: Option<&[u8]>) -> Result<(), BuildError> {
        let reason_len = match reason {
            Some(r) if r.len() > 255 => return Err(BuildError::TextTooLong(r.len())),
            Some(r) => (1 + r.len()).div_ceil(4) * 4,
            None => 0,
        };
        let body = 4 * sources.len() + reason_len;
        let mut w = self.begin(false, sources.len(), 31, body)?;
        Self::header(&mut w, sources.len() as u8, BYE);
        for s in sources {
            w.put(&s.to_be_bytes());
        }
        if let Some(r) = reason {
            w.put(&[r.len() as u8]);
            w.put(r);
            w.zero(reason_len - 1 - r.len());
        }
        self.closed = true;
        Ok(())
    }

    /// Writes an APP packet; `data` must be a multiple of 4 bytes.
    pub fn app(
        &mut self,
        subtype: u8,
        ssrc: u32,
        name: [u8; 4],
        data: &[u8],
    ) -> Result<(), BuildError> {
        if subtype > 31 {
            return Err(BuildError::Subtype(subtype));
        }
        if data.len() % 4 != 0 {
            return Err(BuildError::Length(data.len()));
        }
        let mut w = self.begin(false, 0, 0, 8 + data.len())?;
        Self::header(&mut w, subtype, APP);
        w.put(&ssrc.to_be_bytes());
        w.put(&name);
        w.put(data);
        Ok(())
    }
}

/// Writes sequentially into a slice sized beforehand.
struct Writer<'b> {
    buf: &'b mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    fn zero(&mut self, n: usize) {
        self.buf[self.at..self.at + n].fill(0);
        self.at += n;
    }
}
