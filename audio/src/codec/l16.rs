//! L16: uncompressed 16-bit linear PCM in network byte order (RFC 3551 §4.5.11), mono.

use super::{check_lengths, CodecError, CodecInfo, Decoder, Encoder, L16Rate};

pub(super) const fn info(rate: L16Rate) -> CodecInfo {
    CodecInfo {
        encoding_name: "L16",
        sample_rate: rate.hz(),
        rtp_clock_rate: rate.hz(),
        channels: 1,
        rtpmap_channels: 1,
        fmtp: None,
        // Payload type 11 is L16 mono at 44.1 kHz only; every rate here needs a dynamic one.
        static_payload_type: None,
        default_ptime_ms: 20,
        min_ptime_ms: 1,
        max_ptime_ms: 60,
        samples_per_unit: 1,
        bytes_per_unit: 2,
    }
}

/// The L16 encoder: writes each sample big-endian.
#[derive(Debug, Clone)]
pub struct L16Encoder {
    rate: L16Rate,
}

impl L16Encoder {
    /// An encoder at `rate`.
    #[must_use]
    pub const fn new(rate: L16Rate) -> Self {
        Self { rate }
    }
}

impl Encoder for L16Encoder {
    fn info(&self) -> CodecInfo {
        info(self.rate)
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_lengths(pcm.len(), 1, pcm.len() * 2, out.len())?;
        for (o, s) in out.chunks_exact_mut(2).zip(pcm) {
            o.copy_from_slice(&s.to_be_bytes());
        }
        Ok(pcm.len() * 2)
    }

    fn reset(&mut self) {}
}

/// The L16 decoder: reads big-endian samples.
#[derive(Debug, Clone)]
pub struct L16Decoder {
    rate: L16Rate,
}

impl L16Decoder {
    /// A decoder at `rate`.
    #[must_use]
    pub const fn new(rate: L16Rate) -> Self {
        Self { rate }
    }
}

impl Decoder for L16Decoder {
    fn info(&self) -> CodecInfo {
        info(self.rate)
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        check_lengths(payload.len(), 2, payload.len() / 2, out.len())?;
        for (o, b) in out.iter_mut().zip(payload.chunks_exact(2)) {
            *o = i16::from_be_bytes([b[0], b[1]]);
        }
        Ok(payload.len() / 2)
    }

    fn reset(&mut self) {}
}
