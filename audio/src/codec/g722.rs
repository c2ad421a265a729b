//! ITU-T G.722 at 64 kbit/s (mode 1): 16 kHz wideband audio as sub-band ADPCM.
//!
//! A 24-tap quadrature mirror filter splits the 16 kHz signal into a lower and a higher band,
//! each at 8 kHz. The lower band is coded with 6 bits per sample, the higher band with 2, so
//! each pair of input samples becomes one byte (higher band in the top two bits). Each band has
//! an adaptive quantizer scale (the "log scale factor") and an adaptive predictor of two poles
//! and six zeros; the decoder runs the same adaptation, so encoder and decoder follow each
//! other without side information. The fixed-point steps below are the blocks of the
//! Recommendation's §3 and §4 (block names in the comments), which a conforming implementation
//! must follow bit for bit.
//!
//! RTP (RFC 3551 §4.5.2) stamps G.722 with an 8000 Hz clock although it samples at 16 kHz:
//! [`CodecInfo::rtp_clock_rate`] and [`CodecInfo::sample_rate`] expose both numbers.

use super::{check_lengths, CodecError, CodecInfo, Decoder, Encoder};

pub(super) const G722_INFO: CodecInfo = CodecInfo {
    encoding_name: "G722",
    sample_rate: 16000,
    rtp_clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    fmtp: None,
    static_payload_type: Some(9),
    default_ptime_ms: 20,
    min_ptime_ms: 10,
    max_ptime_ms: 60,
    samples_per_unit: 2,
    bytes_per_unit: 1,
};

/// QMF coefficients (Table 11 of G.722), symmetric.
const QMF: [i32; 24] = [
    3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32,
    -156, 12, 53, -11, -11, 3,
];

/// Lower-band quantizer decision levels, scaled by 8 (Table 6).
const Q6: [i32; 30] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/// Lower-band codes for negative and positive differences, by quantizer interval.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];

/// Inverse quantizer of the 4-bit truncated lower-band code, which drives adaptation (Table 7).
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// Inverse quantizer of the full 6-bit lower-band code, for the 64 kbit/s output (Table 7).
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// Maps the 4-bit lower-band code to its magnitude class for scale-factor adaptation.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/// Lower-band log scale factor multipliers (Table 8).
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// Antilog table of the scale factor (Table 9).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Higher-band inverse quantizer (Table 5), its code tables and scale factor multipliers.
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const IHN: [u8; 3] = [0, 1, 0];
const IHP: [u8; 3] = [0, 3, 2];
const RH2: [usize; 4] = [2, 1, 2, 1];
const WH: [i32; 3] = [0, -214, 798];

const fn sat16(x: i32) -> i32 {
    if x > 32767 {
        32767
    } else if x < -32768 {
        -32768
    } else {
        x
    }
}

/// The sign of a 16-bit value as the Recommendation tests it: 0 counts as positive.
const fn negative(x: i32) -> bool {
    x < 0
}

/// The adaptive state of one band: scale factor and pole-zero predictor.
#[derive(Debug, Clone, Copy, Default)]
struct Band {
    /// Log scale factor (`NBL`/`NBH`).
    nb: i32,
    /// Quantizer scale factor (`DETL`/`DETH`).
    det: i32,
    /// Signal estimate (`SL`/`SH`).
    s: i32,
    /// Pole-section output (`SPL`/`SPH`).
    sp: i32,
    /// Zero-section output (`SZL`/`SZH`).
    sz: i32,
    /// Reconstructed signal, current and two past (`RLT`/`RH`).
    r: [i32; 3],
    /// Partially reconstructed signal, current and two past (`PLT`/`PH`).
    p: [i32; 3],
    /// Pole coefficients; index 0 unused.
    a: [i32; 3],
    /// Zero coefficients; index 0 unused.
    b: [i32; 7],
    /// Quantized differences, current and six past.
    d: [i32; 7],
}

impl Band {
    const fn new(det: i32) -> Self {
        Self {
            nb: 0,
            det,
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            p: [0; 3],
            a: [0; 3],
            b: [0; 7],
            d: [0; 7],
        }
    }

    /// Blocks LOGSCL/SCALEL and LOGSCH/SCALEH: adapts the scale factor after a code whose
    /// magnitude class weighs `w`; `max_nb` and `shift` differ between the bands.
    fn adapt_scale(&mut self, w: i32, max_nb: i32, shift: i32) {
        self.nb = (((self.nb * 32512) >> 15) + w).clamp(0, max_nb);
        let mantissa = ILB[((self.nb >> 6) & 31) as usize];
        let exp = shift - (self.nb >> 11);
        let scaled = if exp < 0 {
            mantissa << -exp
        } else {
            mantissa >> exp
        };
        self.det = scaled << 2;
    }

    /// Block 4: reconstructs with the quantized difference `dq`, adapts the predictor and
    /// computes the next signal estimate.
    fn predict(&mut self, dq: i32) {
        // RECONS and PARREC.
        self.d[0] = dq;
        self.r[0] = sat16(self.s + dq);
        self.p[0] = sat16(self.sz + dq);

        // UPPOL2: second pole coefficient.
        let sg0 = negative(self.p[0]);
        let sg1 = negative(self.p[1]);
        let sg2 = negative(self.p[2]);
        let fa1 = sat16(self.a[1] << 2);
        let wd2 = if sg0 == sg1 { sat16(-fa1) } else { fa1 };
        let mut a2 = if sg0 == sg2 { 128 } else { -128 };
        a2 += wd2 >> 7;
        a2 += (self.a[2] * 32512) >> 15;
        let a2 = a2.clamp(-12288, 12288);

        // UPPOL1: first pole coefficient, kept inside the stability triangle.
        let step = if sg0 == sg1 { 192 } else { -192 };
        let a1 = sat16(step + ((self.a[1] * 32640) >> 15));
        let limit = sat16(15360 - a2);
        let a1 = a1.clamp(-limit, limit);

        // UPZERO: the six zero coefficients follow the sign agreement of the differences.
        let gain = if dq == 0 { 0 } else { 128 };
        let sgd = negative(dq);
        for i in 1..7 {
            let step = if negative(self.d[i]) == sgd {
                gain
            } else {
                -gain
            };
            self.b[i] = sat16(step + ((self.b[i] * 32640) >> 15));
        }

        // DELAYA: shift the histories.
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
        }
        self.a[1] = a1;
        self.a[2] = a2;

        // FILTEP, FILTEZ, PREDIC.
        let pole1 = (self.a[1] * sat16(self.r[1] + self.r[1])) >> 15;
        let pole2 = (self.a[2] * sat16(self.r[2] + self.r[2])) >> 15;
        self.sp = sat16(pole1 + pole2);
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat16(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat16(sz);
        self.s = sat16(self.sp + self.sz);
    }

    /// Lower-band adaptation after the 6-bit code `code`.
    fn update_low(&mut self, code: u8) {
        let ril = (code >> 2) as usize;
        let dq = (self.det * QM4[ril]) >> 15;
        self.adapt_scale(WL[RL42[ril]], 18432, 8);
        self.predict(dq);
    }

    /// Higher-band adaptation after the 2-bit code `code`.
    fn update_high(&mut self, code: u8) {
        let dq = (self.det * QM2[code as usize]) >> 15;
        self.adapt_scale(WH[RH2[code as usize]], 22528, 10);
        self.predict(dq);
    }
}

/// The G.722 encoder at 64 kbit/s: two 16 kHz samples in, one byte out.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    /// Input history of the analysis QMF, newest first.
    qmf: [i32; 24],
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// A fresh encoder in the Recommendation's reset state.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            qmf: [0; 24],
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Encodes one pair of samples (older first) into one byte.
    fn encode_pair(&mut self, older: i16, newer: i16) -> u8 {
        // Transmit QMF: the even taps weigh one phase, the odd taps the other.
        self.qmf.copy_within(0..22, 2);
        self.qmf[1] = i32::from(older);
        self.qmf[0] = i32::from(newer);
        let mut even = 0;
        let mut odd = 0;
        for i in 0..12 {
            even += QMF[2 * i] * self.qmf[2 * i];
            odd += QMF[2 * i + 1] * self.qmf[2 * i + 1];
        }
        // 16-bit input: the band signals come out at 15 bits, the codec's working range.
        let xl = sat16((even + odd) >> 14);
        let xh = sat16((even - odd) >> 14);

        // Lower band: SUBTL and QUANTL.
        let el = sat16(xl - self.low.s);
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        let mut interval = 1;
        while interval < 30 && magnitude >= (Q6[interval] * self.low.det) >> 12 {
            interval += 1;
        }
        let ilow = if el < 0 { ILN[interval] } else { ILP[interval] };
        self.low.update_low(ilow);

        // Higher band: SUBTH and QUANTH.
        let eh = sat16(xh - self.high.s);
        let magnitude = if eh >= 0 { eh } else { -(eh + 1) };
        let level = if magnitude >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[level] } else { IHP[level] };
        self.high.update_high(ihigh);

        (ihigh << 6) | ilow
    }
}

impl Encoder for G722Encoder {
    fn info(&self) -> CodecInfo {
        G722_INFO
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_lengths(pcm.len(), 2, pcm.len() / 2, out.len())?;
        for (o, pair) in out.iter_mut().zip(pcm.chunks_exact(2)) {
            *o = self.encode_pair(pair[0], pair[1]);
        }
        Ok(pcm.len() / 2)
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

/// The G.722 decoder at 64 kbit/s: one byte in, two 16 kHz samples out.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    /// Histories of the synthesis QMF: band difference and sum, newest first.
    diff: [i32; 12],
    sum: [i32; 12],
    low: Band,
    high: Band,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A fresh decoder in the Recommendation's reset state.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            diff: [0; 12],
            sum: [0; 12],
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Decodes one byte into a pair of samples (older first).
    fn decode_byte(&mut self, code: u8) -> [i16; 2] {
        let ilow = code & 0x3F;
        let ihigh = code >> 6;

        // Lower band: INVQBL with all six bits for the output, then adaptation on four.
        let rl = (self.low.s + ((self.low.det * QM6[ilow as usize]) >> 15)).clamp(-16384, 16383);
        self.low.update_low(ilow);

        // Higher band: INVQAH.
        let rh = (self.high.s + ((self.high.det * QM2[ihigh as usize]) >> 15)).clamp(-16384, 16383);
        self.high.update_high(ihigh);

        // Receive QMF.
        self.diff.copy_within(0..11, 1);
        self.sum.copy_within(0..11, 1);
        self.diff[0] = rl - rh;
        self.sum[0] = rl + rh;
        let mut first = 0;
        let mut second = 0;
        for i in 0..12 {
            first += QMF[2 * i] * self.diff[i];
            second += QMF[2 * i + 1] * self.sum[i];
        }
        [sat16(first >> 11) as i16, sat16(second >> 11) as i16]
    }
}

impl Decoder for G722Decoder {
    fn info(&self) -> CodecInfo {
        G722_INFO
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        check_lengths(payload.len(), 1, payload.len() * 2, out.len())?;
        for (o, &code) in out.chunks_exact_mut(2).zip(payload) {
            o.copy_from_slice(&self.decode_byte(code));
        }
        Ok(payload.len() * 2)
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}
