//! Opus (RFC 6716) through the system libopus, mono at 48 kHz, as RTP carries it (RFC 7587).
//!
//! RFC 7587 §4.1 fixes the RTP clock at 48 kHz whatever the coded bandwidth, and §7 always
//! declares the codec as `opus/48000/2`; `stereo=0; sprop-stereo=0` in `a=fmtp` says that we
//! prefer to receive mono and send mono. The encoder runs in libopus's VoIP mode (speech
//! intelligibility first) at [`OPUS_BITRATE`] with variable bit rate, so payloads vary in size:
//! a packet says its own duration, which [`Decoder::samples_in_payload`] reads for the jitter
//! buffer, and lost packets are concealed by libopus's own packet loss concealment
//! ([`Decoder::conceal`]), which continues the signal instead of repeating the last frame.

use opus::{Application, Bitrate, Channels, ErrorCode};

use super::{CodecError, CodecInfo, Decoder, Encoder};

/// The encoder's target bit rate: the upper end of RFC 7587 §3.1.1's 28–40 kbit/s band for
/// fullband speech, where Opus is close to transparent for a voice.
pub const OPUS_BITRATE: i32 = 32_000;

/// The longest Opus packet, 120 ms at 48 kHz (RFC 6716 §3.2.5), in samples: the size of a
/// buffer that can hold any decoded payload.
pub const OPUS_MAX_PACKET_SAMPLES: usize = 5760;

/// 2.5 ms at 48 kHz, Opus's shortest frame: PCM lengths are multiples of it.
const UNIT: usize = 120;

/// The frame lengths libopus encodes, in samples at 48 kHz: 2.5, 5, 10, 20, 40 and 60 ms.
const FRAME_LENGTHS: [usize; 6] = [120, 240, 480, 960, 1920, 2880];

pub(super) const OPUS_INFO: CodecInfo = CodecInfo {
    encoding_name: "opus",
    sample_rate: 48000,
    rtp_clock_rate: 48000,
    channels: 1,
    rtpmap_channels: 2,
    fmtp: Some("stereo=0; sprop-stereo=0"),
    static_payload_type: None,
    default_ptime_ms: 20,
    min_ptime_ms: 3,
    max_ptime_ms: 60,
    samples_per_unit: UNIT,
    // One Opus frame is at most 1275 bytes plus a table-of-contents byte (RFC 6716 §3.4
    // [R2]); 160 bytes per 2.5 ms gives 1280 for 20 ms and never limits a VoIP bit rate.
    bytes_per_unit: 160,
};

/// The typed form of a libopus failure.
fn library_error(error: &opus::Error) -> CodecError {
    match error.code() {
        ErrorCode::InvalidPacket => CodecError::Malformed("libopus rejected the packet"),
        code => CodecError::Library {
            function: error.function(),
            code: code as i32,
        },
    }
}

/// The Opus encoder: 48 kHz mono, VoIP mode, [`OPUS_BITRATE`].
pub struct OpusEncoder {
    inner: opus::Encoder,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// A fresh encoder.
    ///
    /// # Panics
    /// Only if libopus cannot allocate its state.
    #[must_use]
    pub fn new() -> Self {
        let mut inner = opus::Encoder::new(48000, Channels::Mono, Application::Voip)
            .expect("48 kHz mono VoIP is a configuration libopus accepts");
        inner
            .set_bitrate(Bitrate::Bits(OPUS_BITRATE))
            .expect("the bit rate is within libopus's 500..=512000 range");
        Self { inner }
    }
}

impl Default for OpusEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder for OpusEncoder {
    fn info(&self) -> CodecInfo {
        OPUS_INFO
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() % UNIT != 0 {
            return Err(CodecError::PartialFrame {
                len: pcm.len(),
                multiple: UNIT,
            });
        }
        if !FRAME_LENGTHS.contains(&pcm.len()) {
            return Err(CodecError::FrameLength { len: pcm.len() });
        }
        let needed = OPUS_INFO.payload_len(pcm.len());
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        self.inner
            .encode(pcm, &mut out[..needed])
            .map_err(|e| library_error(&e))
    }

    fn reset(&mut self) {
        // Resetting a valid state cannot fail; a failure would leave the old state, still usable.
        let _ = self.inner.reset_state();
    }
}

/// The Opus decoder: 48 kHz mono, with libopus's packet loss concealment.
pub struct OpusDecoder {
    inner: opus::Decoder,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A fresh decoder.
    ///
    /// # Panics
    /// Only if libopus cannot allocate its state.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: opus::Decoder::new(48000, Channels::Mono)
                .expect("48 kHz mono is a configuration libopus accepts"),
        }
    }
}

impl Default for OpusDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for OpusDecoder {
    fn info(&self) -> CodecInfo {
        OPUS_INFO
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        // The binding reads an empty slice as a lost packet; a peer's empty payload is not one.
        if payload.is_empty() {
            return Err(CodecError::Malformed("empty Opus payload"));
        }
        let needed = self.samples_in_payload(payload)?;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        self.inner
            .decode(payload, out, false)
            .map_err(|e| library_error(&e))
    }

    fn samples_in_payload(&self, payload: &[u8]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::Malformed("empty Opus payload"));
        }
        opus::packet::get_nb_samples(payload, 48000).map_err(|e| library_error(&e))
    }

    fn max_samples(&self, _max_payload: usize) -> usize {
        OPUS_MAX_PACKET_SAMPLES
    }

    fn conceal(&mut self, out: &mut [i16]) -> usize {
        // libopus conceals whole 2.5 ms steps, at most one packet's worth.
        let len = (out.len() / UNIT * UNIT).min(OPUS_MAX_PACKET_SAMPLES);
        if len == 0 {
            return 0;
        }
        // On a failure the caller's own concealment takes over, as for a codec without one.
        self.inner.decode(&[], &mut out[..len], false).unwrap_or(0)
    }

    fn reset(&mut self) {
        // Resetting a valid state cannot fail; a failure would leave the old state, still usable.
        let _ = self.inner.reset_state();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_are_checked_before_libopus() {
        let mut encoder = OpusEncoder::new();
        let mut out = [0u8; 4000];
        assert_eq!(
            encoder.encode(&[0; 100], &mut out),
            Err(CodecError::PartialFrame {
                len: 100,
                multiple: UNIT
            })
        );
        assert_eq!(
            encoder.encode(&[0; 360], &mut out),
            Err(CodecError::FrameLength { len: 360 })
        );
        assert_eq!(
            encoder.encode(&[0; 960], &mut out[..100]),
            Err(CodecError::OutputTooSmall {
                needed: 1280,
                available: 100
            })
        );
    }

    #[test]
    fn concealment_is_whole_steps() {
        let mut decoder = OpusDecoder::new();
        let mut out = [1i16; 1000];
        assert_eq!(decoder.conceal(&mut out[..100]), 0);
        assert_eq!(decoder.conceal(&mut out), 960);
    }
}
