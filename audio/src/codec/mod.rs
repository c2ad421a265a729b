//! Audio codecs for RTP: G.711 µ-law and A-law, G.722, L16 and, with the `opus` feature, Opus.
//!
//! Every [`Codec`] is described by a [`CodecInfo`] (what SDP needs to offer it) and builds one
//! [`Encoder`] for the sending direction and one [`Decoder`] for the receiving direction; each
//! keeps its own state, since G.722's adaptive predictors must follow one stream only.
//!
//! Frames are 16-bit linear PCM, mono, in the caller's buffers: encoding writes into a byte
//! slice and decoding into a sample slice, and neither allocates. A frame may be any whole
//! number of codec frames (one sample for G.711 and L16, two for G.722), so the usual 10, 20 and
//! 30 ms frames all work; [`CodecInfo::samples_per_frame`] and [`CodecInfo::payload_len`] size
//! the buffers.
//!
//! Opus (RFC 6716, carried as RFC 7587 says) is a binding of the system libopus, so it is behind
//! the crate feature `opus`, which needs libopus and its headers at build time (`libopus-dev`
//! and `pkg-config` on Debian). Its payloads vary in size: [`CodecInfo::payload_len`] is then
//! the most the encoder writes, and [`Decoder::samples_in_payload`] reads a payload's duration
//! from the packet itself.

mod g711;
mod g722;
mod l16;
#[cfg(feature = "opus")]
mod opus;

pub use g711::{
    alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, G711Decoder, G711Encoder, G711Law,
};
pub use g722::{G722Decoder, G722Encoder};
pub use l16::{L16Decoder, L16Encoder};
#[cfg(feature = "opus")]
pub use opus::{OpusDecoder, OpusEncoder, OPUS_BITRATE, OPUS_MAX_PACKET_SAMPLES};

use thiserror::Error;

/// Why a codec refused a frame: always a caller mistake or a malformed payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The output buffer cannot hold the result.
    #[error("output buffer too small: {needed} needed, {available} available")]
    OutputTooSmall {
        /// Units (bytes or samples) the result needs.
        needed: usize,
        /// Units the caller's buffer has.
        available: usize,
    },
    /// The input is not a whole number of the codec's frames.
    #[error("input length {len} is not a multiple of {multiple}")]
    PartialFrame {
        /// Length of the input, in samples or bytes.
        len: usize,
        /// The unit the length must be a multiple of.
        multiple: usize,
    },
    /// The input is whole units but not a frame length the codec can encode (Opus takes 2.5,
    /// 5, 10, 20, 40 or 60 ms).
    #[error("a frame of {len} samples is not a length the codec encodes")]
    FrameLength {
        /// Length of the input, in samples.
        len: usize,
    },
    /// The payload is not a packet of the codec (a corrupt or truncated Opus packet).
    #[error("malformed payload: {0}")]
    Malformed(&'static str),
    /// The codec library failed for another reason (an internal error, an allocation failure).
    #[error("codec library error {code} in {function}")]
    Library {
        /// The library function that failed.
        function: &'static str,
        /// The library's error code.
        code: i32,
    },
}

/// The codecs this crate implements, for choosing one at run time from negotiated SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecKind {
    /// ITU-T G.711 µ-law (PCMU), 8 kHz.
    Pcmu,
    /// ITU-T G.711 A-law (PCMA), 8 kHz.
    Pcma,
    /// ITU-T G.722 at 64 kbit/s, 16 kHz audio on an 8 kHz RTP clock.
    G722,
    /// RFC 3551 L16: big-endian 16-bit linear PCM at the given sample rate.
    L16(L16Rate),
    /// Opus (RFC 6716) at 48 kHz, mono, on RFC 7587's 48 kHz RTP clock. Only with the crate
    /// feature `opus`.
    #[cfg(feature = "opus")]
    Opus,
}

/// The sample rates offered for L16 (RFC 3551 §4.5.11 allows any; the mixer runs at these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L16Rate {
    /// 8000 Hz.
    Hz8000,
    /// 16000 Hz.
    Hz16000,
    /// 32000 Hz.
    Hz32000,
    /// 48000 Hz.
    Hz48000,
}

impl L16Rate {
    /// The rate in Hz.
    #[must_use]
    pub const fn hz(self) -> u32 {
        match self {
            Self::Hz8000 => 8000,
            Self::Hz16000 => 16000,
            Self::Hz32000 => 32000,
            Self::Hz48000 => 48000,
        }
    }

    /// The rate for a number of Hz, if it is one of the supported ones.
    #[must_use]
    pub const fn from_hz(hz: u32) -> Option<Self> {
        match hz {
            8000 => Some(Self::Hz8000),
            16000 => Some(Self::Hz16000),
            32000 => Some(Self::Hz32000),
            48000 => Some(Self::Hz48000),
            _ => None,
        }
    }
}

/// What SDP and the RTP layer need to know about a codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecInfo {
    /// The encoding name of `a=rtpmap` (RFC 3551 §6), e.g. `PCMU`.
    pub encoding_name: &'static str,
    /// The rate the audio is sampled at, in Hz: the rate of the PCM frames.
    pub sample_rate: u32,
    /// The RTP timestamp clock, in Hz, as written in `a=rtpmap`. It differs from
    /// `sample_rate` only for G.722, which RFC 3551 §4.5.2 keeps at 8000 for historical reasons.
    pub rtp_clock_rate: u32,
    /// Number of channels of the PCM frames (always 1 here).
    pub channels: u8,
    /// The channel count written in `a=rtpmap`: 1, except 2 for Opus, which RFC 7587 §7 always
    /// declares as stereo whatever it sends.
    pub rtpmap_channels: u8,
    /// The `a=fmtp` parameters we send with the codec, if any (Opus: mono, RFC 7587 §7).
    pub fmtp: Option<&'static str>,
    /// The static payload type of RFC 3551 Table 4, or `None` when a dynamic one must be bound.
    pub static_payload_type: Option<u8>,
    /// The packet duration to use when the peer states none (RFC 3551 §4.2: 20 ms).
    pub default_ptime_ms: u16,
    /// The shortest frame the codec can encode, in milliseconds, as RFC 3551 Table 1 lists.
    pub min_ptime_ms: u16,
    /// The longest packet duration we send, in milliseconds.
    pub max_ptime_ms: u16,
    /// PCM samples per encoded unit: the input length must be a multiple of it.
    pub samples_per_unit: usize,
    /// Payload bytes per encoded unit; for a variable-rate codec (Opus) the most the encoder
    /// writes, so that [`payload_len`](Self::payload_len) sizes a buffer.
    pub bytes_per_unit: usize,
}

impl CodecInfo {
    /// PCM samples in a frame of `ms` milliseconds.
    #[must_use]
    pub const fn samples_per_frame(&self, ms: u32) -> usize {
        (self.sample_rate as usize * ms as usize) / 1000
    }

    /// RTP timestamp ticks for a frame of `samples` PCM samples.
    #[must_use]
    pub const fn rtp_ticks(&self, samples: usize) -> u32 {
        // Exact for every codec here: sample_rate is a multiple of rtp_clock_rate.
        (samples as u64 * self.rtp_clock_rate as u64 / self.sample_rate as u64) as u32
    }

    /// Payload bytes for `samples` PCM samples (rounded down to whole units): the exact length
    /// for a constant-rate codec, the largest one for Opus.
    #[must_use]
    pub const fn payload_len(&self, samples: usize) -> usize {
        samples / self.samples_per_unit * self.bytes_per_unit
    }

    /// PCM samples a payload of `bytes` decodes to (rounded down to whole units), for a
    /// constant-rate codec; Opus payloads say their own duration
    /// ([`Decoder::samples_in_payload`]).
    #[must_use]
    pub const fn samples_in_payload(&self, bytes: usize) -> usize {
        bytes / self.bytes_per_unit * self.samples_per_unit
    }
}

impl CodecKind {
    /// The SDP and RTP description of this codec.
    #[must_use]
    pub const fn info(self) -> CodecInfo {
        match self {
            Self::Pcmu => g711::PCMU_INFO,
            Self::Pcma => g711::PCMA_INFO,
            Self::G722 => g722::G722_INFO,
            Self::L16(rate) => l16::info(rate),
            #[cfg(feature = "opus")]
            Self::Opus => opus::OPUS_INFO,
        }
    }

    /// The codec an `a=rtpmap` names (encoding name case-insensitively, RTP clock rate and
    /// channel count), if we implement it.
    #[must_use]
    pub fn from_rtpmap(encoding_name: &str, rtp_clock_rate: u32, channels: u8) -> Option<Self> {
        let name = encoding_name.to_ascii_uppercase();
        // RFC 7587 §7: Opus is always `opus/48000/2`, whatever the stream carries.
        #[cfg(feature = "opus")]
        if name == "OPUS" {
            return (rtp_clock_rate == 48000 && channels == 2).then_some(Self::Opus);
        }
        if channels != 1 {
            return None;
        }
        match (name.as_str(), rtp_clock_rate) {
            ("PCMU", 8000) => Some(Self::Pcmu),
            ("PCMA", 8000) => Some(Self::Pcma),
            ("G722", 8000) => Some(Self::G722),
            ("L16", hz) => L16Rate::from_hz(hz).map(Self::L16),
            _ => None,
        }
    }

    /// The codec a static payload type stands for (RFC 3551 Table 4), if we implement it.
    #[must_use]
    pub const fn from_static_payload_type(pt: u8) -> Option<Self> {
        match pt {
            0 => Some(Self::Pcmu),
            8 => Some(Self::Pcma),
            9 => Some(Self::G722),
            _ => None,
        }
    }
}

/// A codec: its description and a factory of per-direction coders. Implemented by
/// [`CodecKind`] for the codecs of this crate; other codecs (iLBC, AMR…) can join the mixer by
/// implementing it.
pub trait Codec {
    /// The SDP and RTP description of the codec.
    fn info(&self) -> CodecInfo;

    /// A fresh encoder for the sending direction.
    fn encoder(&self) -> Box<dyn Encoder + Send>;

    /// A fresh decoder for the receiving direction.
    fn decoder(&self) -> Box<dyn Decoder + Send>;
}

impl Codec for CodecKind {
    fn info(&self) -> CodecInfo {
        Self::info(*self)
    }

    fn encoder(&self) -> Box<dyn Encoder + Send> {
        match *self {
            Self::Pcmu => Box::new(G711Encoder::new(G711Law::Ulaw)),
            Self::Pcma => Box::new(G711Encoder::new(G711Law::Alaw)),
            Self::G722 => Box::new(G722Encoder::new()),
            Self::L16(rate) => Box::new(L16Encoder::new(rate)),
            #[cfg(feature = "opus")]
            Self::Opus => Box::new(OpusEncoder::new()),
        }
    }

    fn decoder(&self) -> Box<dyn Decoder + Send> {
        match *self {
            Self::Pcmu => Box::new(G711Decoder::new(G711Law::Ulaw)),
            Self::Pcma => Box::new(G711Decoder::new(G711Law::Alaw)),
            Self::G722 => Box::new(G722Decoder::new()),
            Self::L16(rate) => Box::new(L16Decoder::new(rate)),
            #[cfg(feature = "opus")]
            Self::Opus => Box::new(OpusDecoder::new()),
        }
    }
}

/// The sending half of a codec: turns PCM frames into RTP payloads.
pub trait Encoder: std::fmt::Debug {
    /// The codec's description.
    fn info(&self) -> CodecInfo;

    /// Encodes `pcm` (a whole number of units, see [`CodecInfo::samples_per_unit`]) into the
    /// start of `out`, returning the number of bytes written.
    ///
    /// # Errors
    /// [`CodecError::PartialFrame`] when `pcm` is not whole units,
    /// [`CodecError::FrameLength`] when the codec cannot encode frames of that length (Opus),
    /// [`CodecError::OutputTooSmall`] when `out` is shorter than [`CodecInfo::payload_len`], and
    /// [`CodecError::Library`] when a codec library fails.
    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError>;

    /// Forgets the adaptive state, as at the start of a new stream.
    fn reset(&mut self);
}

/// The receiving half of a codec: turns RTP payloads into PCM frames.
pub trait Decoder: std::fmt::Debug {
    /// The codec's description.
    fn info(&self) -> CodecInfo;

    /// Decodes `payload` into the start of `out`, returning the number of samples written.
    /// For the constant-rate codecs every byte string of whole units decodes; an Opus payload
    /// must be a well-formed packet.
    ///
    /// # Errors
    /// [`CodecError::PartialFrame`] when the payload is not whole units (an odd-length L16
    /// payload), [`CodecError::Malformed`] for a payload that is not a packet of the codec,
    /// [`CodecError::OutputTooSmall`] when `out` cannot hold the samples, and
    /// [`CodecError::Library`] when a codec library fails.
    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError>;

    /// PCM samples `payload` decodes to, without decoding it: the jitter buffer places packets
    /// in time with it. The default divides by the constant unit size of
    /// [`CodecInfo`]; a variable-rate codec reads the packet.
    ///
    /// # Errors
    /// [`CodecError::Malformed`] when the payload does not say its duration.
    fn samples_in_payload(&self, payload: &[u8]) -> Result<usize, CodecError> {
        Ok(self.info().samples_in_payload(payload.len()))
    }

    /// The most PCM samples one payload of up to `max_payload` bytes can decode to: the size of
    /// a decoding buffer. The default follows [`CodecInfo`]'s constant unit size.
    fn max_samples(&self, max_payload: usize) -> usize {
        self.info().samples_in_payload(max_payload)
    }

    /// Writes the codec's own concealment of lost audio (packet loss concealment) into `out`,
    /// returning the number of samples written; 0 when the codec has none, and the caller must
    /// conceal by itself. `out` is at most one packet long; the codec may write less.
    fn conceal(&mut self, out: &mut [i16]) -> usize {
        let _ = out;
        0
    }

    /// Forgets the adaptive state, as at the start of a new stream.
    fn reset(&mut self);
}

/// Checks the lengths shared by every codec before a frame is processed.
fn check_lengths(
    input_len: usize,
    unit: usize,
    needed: usize,
    available: usize,
) -> Result<(), CodecError> {
    if input_len % unit != 0 {
        return Err(CodecError::PartialFrame {
            len: input_len,
            multiple: unit,
        });
    }
    if available < needed {
        return Err(CodecError::OutputTooSmall { needed, available });
    }
    Ok(())
}
