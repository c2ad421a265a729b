//! RTP data packets (RFC 3550 §5.1) with RFC 8285 header extensions: a zero-copy view for
//! parsing and a builder that writes into the caller's buffer.

use bytes::BytesMut;

use super::error::{BuildError, RtpError};

/// Length of the fixed RTP header.
pub const HEADER_LEN: usize = 12;
/// The profile value of RFC 8285 one-byte header extensions.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The profile value of RFC 8285 two-byte header extensions, before the 4 "appbits".
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// A parsed RTP packet borrowing the datagram. Parsing checks every length once, so the
/// accessors never fail and never allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    data: &'a [u8],
    /// Offset of the extension data (after its 4-byte header) and its length, when X is set.
    extension: Option<(usize, usize)>,
    payload_start: usize,
    payload_end: usize,
}

impl<'a> RtpPacket<'a> {
    /// Parses a datagram as an RTP packet: version 2, the CSRC list, the header extension and
    /// the padding must all fit (RFC 3550 §5.1). Extension elements are checked when iterated.
    pub fn parse(data: &'a [u8]) -> Result<Self, RtpError> {
        if data.len() < HEADER_LEN {
            return Err(RtpError::TooShort { len: data.len() });
        }
        let version = data[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion { version });
        }
        let count = data[0] & 0x0f;
        let mut offset = HEADER_LEN + 4 * usize::from(count);
        if data.len() < offset {
            return Err(RtpError::TruncatedCsrcs {
                count,
                needed: offset,
                len: data.len(),
            });
        }
        let mut extension = None;
        if data[0] & 0x10 != 0 {
            let Some(head) = data.get(offset..offset + 4) else {
                return Err(RtpError::TruncatedExtension {
                    needed: offset + 4,
                    len: data.len(),
                });
            };
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let start = offset + 4;
            let end = start + 4 * words;
            if data.len() < end {
                return Err(RtpError::TruncatedExtension {
                    needed: end,
                    len: data.len(),
                });
            }
            extension = Some((start, 4 * words));
            offset = end;
        }
        let mut payload_end = data.len();
        if data[0] & 0x20 != 0 {
            let count = data[data.len() - 1];
            let available = data.len() - offset;
            if count == 0 || usize::from(count) > available {
                return Err(RtpError::BadPadding { count, available });
            }
            payload_end -= usize::from(count);
        }
        Ok(Self {
            data,
            extension,
            payload_start: offset,
            payload_end,
        })
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Whether the P bit is set.
    pub fn has_padding(&self) -> bool {
        self.data[0] & 0x20 != 0
    }

    /// Bytes of padding at the end, count byte included (0 without padding).
    pub fn padding_len(&self) -> usize {
        self.data.len() - self.payload_end
    }

    /// The M bit: for audio, the first packet of a talkspurt; for telephone events, the first
    /// packet of an event.
    pub fn marker(&self) -> bool {
        self.data[1] & 0x80 != 0
    }

    /// The 7-bit payload type.
    pub fn payload_type(&self) -> u8 {
        self.data[1] & 0x7f
    }

    /// The 16-bit sequence number.
    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.data[2], self.data[3]])
    }

    /// The 32-bit media timestamp.
    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.data[4], self.data[5], self.data[6], self.data[7]])
    }

    /// The synchronization source identifier.
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.data[8], self.data[9], self.data[10], self.data[11]])
    }

    /// The CSRC identifiers (contributing sources, at most 15).
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let n = usize::from(self.data[0] & 0x0f);
        self.data[HEADER_LEN..HEADER_LEN + 4 * n]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The header extension, when the X bit is set.
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        let (start, len) = self.extension?;
        Some(HeaderExtension {
            profile: u16::from_be_bytes([self.data[start - 4], self.data[start - 3]]),
            data: &self.data[start..start + len],
        })
    }

    /// The payload, without header and padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.data[self.payload_start..self.payload_end]
    }
}

/// The header extension of an RTP packet (RFC 3550 §5.3.1): a 16-bit profile-defined value
/// and data in 32-bit words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
}

impl<'a> HeaderExtension<'a> {
    /// The 16-bit "defined by profile" value (0xBEDE for RFC 8285 one-byte elements).
    pub fn profile(&self) -> u16 {
        self.profile
    }

    /// The extension data, without its 4-byte header.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The RFC 8285 form the profile value announces.
    pub fn form(&self) -> ExtensionForm {
        if self.profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if self.profile & 0xfff0 == TWO_BYTE_PROFILE {
            ExtensionForm::TwoByte {
                appbits: (self.profile & 0x0f) as u8,
            }
        } else {
            ExtensionForm::Other
        }
    }

    /// The RFC 8285 elements; empty for an extension of another form. An element overrunning
    /// the block yields one error and ends the iteration.
    pub fn elements(&self) -> ExtensionElements<'a> {
        ExtensionElements {
            form: self.form(),
            data: self.data,
            offset: 0,
        }
    }
}

/// Which RFC 8285 form a header extension uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionForm {
    /// One-byte headers (profile 0xBEDE): identifiers 1–14, 1–16 bytes of data.
    OneByte,
    /// Two-byte headers (profile 0x100X): identifiers 1–255, 0–255 bytes of data.
    TwoByte {
        /// The 4 low bits of the profile value, for the application.
        appbits: u8,
    },
    /// Not an RFC 8285 extension: the data is opaque.
    Other,
}

/// One RFC 8285 header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionElement<'a> {
    /// The local identifier negotiated with `a=extmap`.
    pub id: u8,
    /// The element's data.
    pub data: &'a [u8],
}

/// Iterator over the RFC 8285 elements of a header extension.
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    form: ExtensionForm,
    data: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, RtpError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let at = self.offset;
            let &first = self.data.get(at)?;
            // A zero byte is padding between or after elements in both forms (RFC 8285 §4.2,
            // §4.3).
            if first == 0 {
                self.offset += 1;
                continue;
            }
            let (id, start, len) = match self.form {
                ExtensionForm::Other => return None,
                ExtensionForm::OneByte => {
                    let id = first >> 4;
                    // Identifier 15 means "stop processing" (RFC 8285 §4.2).
                    if id == 15 {
                        self.offset = self.data.len();
                        return None;
                    }
                    (id, at + 1, usize::from(first & 0x0f) + 1)
                }
                ExtensionForm::TwoByte { .. } => {
                    let Some(&len) = self.data.get(at + 1) else {
                        self.offset = self.data.len();
                        return Some(Err(RtpError::ElementOverrun {
                            id: first,
                            offset: at,
                        }));
                    };
                    (first, at + 2, usize::from(len))
                }
            };
            let Some(data) = self.data.get(start..start + len) else {
                self.offset = self.data.len();
                return Some(Err(RtpError::ElementOverrun { id, offset: at }));
            };
            self.offset = start + len;
            return Some(Ok(ExtensionElement { id, data }));
        }
    }
}

/// The header extension a [`RtpBuilder`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension<'a> {
    /// Opaque data (a multiple of 4 bytes) under a profile value.
    Raw {
        /// The 16-bit profile value.
        profile: u16,
        /// The data, a multiple of 4 bytes.
        data: &'a [u8],
    },
    /// RFC 8285 one-byte elements, zero-padded to a word.
    OneByte(&'a [ExtensionElement<'a>]),
    /// RFC 8285 two-byte elements, zero-padded to a word.
    TwoByte {
        /// The 4 application bits of the profile value.
        appbits: u8,
        /// The elements.
        elements: &'a [ExtensionElement<'a>],
    },
}

impl Extension<'_> {
    /// Length of the extension data (without its 4-byte header), padded to a word.
    fn data_len(&self) -> Result<usize, BuildError> {
        let raw = match self {
            Self::Raw { data, .. } => {
                if data.len() % 4 != 0 {
                    return Err(BuildError::Length(data.len()));
                }
                data.len()
            }
            Self::OneByte(elements) => {
                let mut n = 0;
                for e in *elements {
                    if !(1..=14).contains(&e.id) || !(1..=16).contains(&e.data.len()) {
                        return Err(BuildError::Element {
                            id: e.id,
                            len: e.data.len(),
                        });
                    }
                    n += 1 + e.data.len();
                }
                n
            }
            Self::TwoByte { appbits, elements } => {
                if *appbits > 0x0f {
                    return Err(BuildError::Element {
                        id: 0,
                        len: usize::from(*appbits),
                    });
                }
                let mut n = 0;
                for e in *elements {
                    if e.id == 0 || e.data.len() > 255 {
                        return Err(BuildError::Element {
                            id: e.id,
                            len: e.data.len(),
                        });
                    }
                    n += 2 + e.data.len();
                }
                n
            }
        };
        let padded = raw.div_ceil(4) * 4;
        if padded / 4 > usize::from(u16::MAX) {
            return Err(BuildError::Length(padded));
        }
        Ok(padded)
    }

    fn profile(&self) -> u16 {
        match self {
            Self::Raw { profile, .. } => *profile,
            Self::OneByte(_) => ONE_BYTE_PROFILE,
            Self::TwoByte { appbits, .. } => TWO_BYTE_PROFILE | u16::from(*appbits),
        }
    }
}

/// Writes an RTP packet into a caller's buffer. Every field is set before writing; the
/// builder borrows the CSRC list, extension and payload, so building allocates nothing.
///
/// ```
/// use sipsimple_proto::rtp::{RtpBuilder, RtpPacket};
///
/// let mut buf = [0u8; 64];
/// let n = RtpBuilder::new(0, 7, 160, 0x1234_5678)
///     .marker(true)
///     .payload(&[0xff; 20])
///     .write(&mut buf)?;
/// let p = RtpPacket::parse(&buf[..n])?;
/// assert_eq!((p.sequence(), p.marker(), p.payload().len()), (7, true, 20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpBuilder<'a> {
    marker: bool,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: &'a [u32],
    extension: Option<Extension<'a>>,
    padding: u8,
    payload: &'a [u8],
}

impl<'a> RtpBuilder<'a> {
    /// A packet with these header fields, no marker, CSRCs, extension, padding or payload.
    pub fn new(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            marker: false,
            payload_type,
            sequence,
            timestamp,
            ssrc,
            csrcs: &[],
            extension: None,
            padding: 0,
            payload: &[],
        }
    }

    /// Sets the M bit.
    #[must_use]
    pub fn marker(mut self, marker: bool) -> Self {
        self.marker = marker;
        self
    }

    /// Sets the contributing sources (at most 15).
    #[must_use]
    pub fn csrcs(mut self, csrcs: &'a [u32]) -> Self {
        self.csrcs = csrcs;
        self
    }

    /// Sets the header extension.
    #[must_use]
    pub fn extension(mut self, extension: Extension<'a>) -> Self {
        self.extension = Some(extension);
        self
    }

    /// Adds `len` bytes of padding, the count byte included (0 for none). SRTP and
    /// block-aligned encryption use it.
    #[must_use]
    pub fn padding(mut self, len: u8) -> Self {
        self.padding = len;
        self
    }

    /// Sets the payload.
    #[must_use]
    pub fn payload(mut self, payload: &'a [u8]) -> Self {
        self.payload = payload;
        self
    }

    /// The packet's length in bytes, or why it cannot be built.
    pub fn encoded_len(&self) -> Result<usize, BuildError> {
        self.layout().map(|(len, _)| len)
    }

    /// The packet's length and the padded length of its extension data.
    fn layout(&self) -> Result<(usize, usize), BuildError> {
        if self.payload_type > 0x7f {
            return Err(BuildError::PayloadType(self.payload_type));
        }
        if self.csrcs.len() > 15 {
            return Err(BuildError::TooMany {
                count: self.csrcs.len(),
                max: 15,
            });
        }
        let (ext, ext_data) = match &self.extension {
            Some(e) => {
                let d = e.data_len()?;
                (4 + d, d)
            }
            None => (0, 0),
        };
        let len = HEADER_LEN
            + 4 * self.csrcs.len()
            + ext
            + self.payload.len()
            + usize::from(self.padding);
        Ok((len, ext_data))
    }

    /// Writes the packet at the start of `buf` and returns its length.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, BuildError> {
        let (len, ext_data_len) = self.layout()?;
        let Some(out) = buf.get_mut(..len) else {
            return Err(BuildError::BufferTooSmall {
                needed: len,
                available: buf.len(),
            });
        };
        let mut header = [0u8; HEADER_LEN];
        header[0] = 0x80
            | (u8::from(self.padding > 0) << 5)
            | (u8::from(self.extension.is_some()) << 4)
            | self.csrcs.len() as u8;
        header[1] = (u8::from(self.marker) << 7) | self.payload_type;
        header[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        header[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        header[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut w = Cursor { buf: out, at: 0 };
        w.put(&header);
        for c in self.csrcs {
            w.put(&c.to_be_bytes());
        }
        if let Some(e) = &self.extension {
            w.put(&e.profile().to_be_bytes());
            w.put(&((ext_data_len / 4) as u16).to_be_bytes());
            let start = w.at;
            match e {
                Extension::Raw { data, .. } => w.put(data),
                Extension::OneByte(elements) => {
                    for el in *elements {
                        w.put(&[(el.id << 4) | (el.data.len() - 1) as u8]);
                        w.put(el.data);
                    }
                }
                Extension::TwoByte { elements, .. } => {
                    for el in *elements {
                        w.put(&[el.id, el.data.len() as u8]);
                        w.put(el.data);
                    }
                }
            }
            w.zero(start + ext_data_len - w.at);
        }
        w.put(self.payload);
        if self.padding > 0 {
            w.zero(usize::from(self.padding) - 1);
            w.put(&[self.padding]);
        }
        Ok(len)
    }

    /// Appends the packet to a `BytesMut`, growing it only when its capacity is short.
    pub fn write_to(&self, out: &mut BytesMut) -> Result<usize, BuildError> {
        let len = self.encoded_len()?;
        let start = out.len();
        out.resize(start + len, 0);
        self.write(&mut out[start..])
    }
}

/// Writes sequentially into a slice whose length was checked beforehand.
struct Cursor<'b> {
    buf: &'b mut [u8],
    at: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    fn zero(&mut self, n: usize) {
        self.buf[self.at..self.at + n].fill(0);
        self.at += n;
    }
}
