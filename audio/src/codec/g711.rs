//! ITU-T G.711 µ-law and A-law (PCMU and PCMA, RFC 3551 §4.5.14).
//!
//! Encoding follows the ITU-T G.191 reference (`g711.c` of the Software Tool Library): µ-law
//! quantizes the top 14 bits and A-law the top 13 bits of the 16-bit sample, and a negative
//! sample takes the one's complement before quantizing, so the positive and negative decision
//! levels mirror each other around -½. Decoding gives the middle of each quantization interval,
//! scaled back to 16 bits. Both directions are arithmetic: per-sample cost is a few shifts,
//! cheaper than a 64 KiB table that would not stay in cache.

use super::{check_lengths, CodecError, CodecInfo, Decoder, Encoder};

pub(super) const PCMU_INFO: CodecInfo = CodecInfo {
    encoding_name: "PCMU",
    sample_rate: 8000,
    rtp_clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    fmtp: None,
    static_payload_type: Some(0),
    default_ptime_ms: 20,
    min_ptime_ms: 10,
    max_ptime_ms: 60,
    samples_per_unit: 1,
    bytes_per_unit: 1,
};

pub(super) const PCMA_INFO: CodecInfo = CodecInfo {
    encoding_name: "PCMA",
    static_payload_type: Some(8),
    ..PCMU_INFO
};

/// Which of the two G.711 companding laws a coder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G711Law {
    /// µ-law (North America, Japan): PCMU, payload type 0.
    Ulaw,
    /// A-law (Europe and most of the world): PCMA, payload type 8.
    Alaw,
}

impl G711Law {
    const fn info(self) -> CodecInfo {
        match self {
            Self::Ulaw => PCMU_INFO,
            Self::Alaw => PCMA_INFO,
        }
    }
}

/// Compresses one 16-bit linear sample to µ-law.
#[must_use]
pub const fn ulaw_encode(sample: i16) -> u8 {
    // One's complement of negatives: G.191's mirror of the decision levels.
    let magnitude = if sample < 0 { !sample } else { sample } as i32;
    // 33 is the µ-law bias in 14-bit units; it makes segment boundaries powers of two.
    let mut biased = (magnitude >> 2) + 33;
    if biased > 0x1FFF {
        biased = 0x1FFF;
    }
    // Segment = position of the leading one above bit 5 (bits 5..=12 map to segments 0..=7).
    let segment = (31 - (biased as u32).leading_zeros()) as i32 - 5;
    let mantissa = (biased >> (segment + 1)) & 0x0F;
    let code = ((7 - segment) << 4) | (0x0F - mantissa);
    if sample >= 0 {
        (code | 0x80) as u8
    } else {
        code as u8
    }
}

/// Expands one µ-law byte to a 16-bit linear sample.
#[must_use]
pub const fn ulaw_decode(code: u8) -> i16 {
    let inverted = !code;
    let exponent = ((inverted >> 4) & 0x07) as i32;
    let mantissa = (inverted & 0x0F) as i32;
    // Reconstruct the biased magnitude at the middle of its interval, then remove the bias.
    let magnitude = (((mantissa << 1) | 0x21) << (exponent + 2)) - 132;
    if code & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Compresses one 16-bit linear sample to A-law.
#[must_use]
pub const fn alaw_encode(sample: i16) -> u8 {
    let magnitude = (if sample < 0 { !sample } else { sample } as i32) >> 4;
    let code = if magnitude > 15 {
        // Segments 1..=7: the leading one (bit 4..=10) gives the segment, the next four bits the
        // step within it.
        let segment = (31 - (magnitude as u32).leading_zeros()) as i32 - 3;
        (segment << 4) | ((magnitude >> (segment - 1)) & 0x0F)
    } else {
        magnitude
    };
    let signed = if sample >= 0 { code | 0x80 } else { code };
    // Even bits are inverted on the line, so idle channels carry transitions (G.711 §2).
    (signed ^ 0x55) as u8
}

/// Expands one A-law byte to a 16-bit linear sample.
#[must_use]
pub const fn alaw_decode(code: u8) -> i16 {
    let value = (code ^ 0x55) as i32;
    let segment = (value >> 4) & 0x07;
    let step = value & 0x0F;
    let magnitude = if segment == 0 {
        (step << 4) + 8
    } else {
        ((step | 0x10) << 4 | 0x08) << (segment - 1)
    };
    if value & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Expansion tables: 512 bytes each, computed at compile time from the arithmetic decoders.
static ULAW_TABLE: [i16; 256] = expansion_table(G711Law::Ulaw);
static ALAW_TABLE: [i16; 256] = expansion_table(G711Law::Alaw);

const fn expansion_table(law: G711Law) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = match law {
            G711Law::Ulaw => ulaw_decode(code as u8),
            G711Law::Alaw => alaw_decode(code as u8),
        };
        code += 1;
    }
    table
}

/// The G.711 encoder. It keeps no state between frames; the type exists for the [`Encoder`]
/// trait.
#[derive(Debug, Clone)]
pub struct G711Encoder {
    law: G711Law,
}

impl G711Encoder {
    /// An encoder for `law`.
    #[must_use]
    pub const fn new(law: G711Law) -> Self {
        Self { law }
    }
}

impl Encoder for G711Encoder {
    fn info(&self) -> CodecInfo {
        self.law.info()
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_lengths(pcm.len(), 1, pcm.len(), out.len())?;
        // One loop per law, so each inlines its coder instead of calling through a pointer.
        match self.law {
            G711Law::Ulaw => out
                .iter_mut()
                .zip(pcm)
                .for_each(|(o, &s)| *o = ulaw_encode(s)),
            G711Law::Alaw => out
                .iter_mut()
                .zip(pcm)
                .for_each(|(o, &s)| *o = alaw_encode(s)),
        }
        Ok(pcm.len())
    }

    fn reset(&mut self) {}
}

/// The G.711 decoder. It keeps no state between frames; the type exists for the [`Decoder`]
/// trait.
#[derive(Debug, Clone)]
pub struct G711Decoder {
    law: G711Law,
}

impl G711Decoder {
    /// A decoder for `law`.
    #[must_use]
    pub const fn new(law: G711Law) -> Self {
        Self { law }
    }
}

impl Decoder for G711Decoder {
    fn info(&self) -> CodecInfo {
        self.law.info()
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        check_lengths(payload.len(), 1, payload.len(), out.len())?;
        let table = match self.law {
            G711Law::Ulaw => &ULAW_TABLE,
            G711Law::Alaw => &ALAW_TABLE,
        };
        for (o, &b) in out.iter_mut().zip(payload) {
            *o = table[usize::from(b)];
        }
        Ok(payload.len())
    }

    fn reset(&mut self) {}
}
