//! Streaming sample-rate conversion between 8, 16, 32, 44.1 and 48 kHz for the mixer.
//!
//! Every pair of these rates is a rational ratio `L/M` (3/1 for 16→48, 2/3 for 48→32, 160/147
//! for 44.1→48…), so a polyphase FIR does the job exactly, with no drift and no interpolation of filter
//! coefficients: the input is (virtually) upsampled by `L`, low-pass filtered once and
//! decimated by `M`, computing only the outputs that are kept. The prototype filter is a
//! Kaiser-windowed sinc, designed at construction for 90 dB stop-band attenuation with the stop
//! band starting at the lower of the two Nyquist frequencies and the pass band reaching 87.5 %
//! of it (3.5 kHz for telephone audio at 8 kHz, 7 kHz at 16 kHz).
//!
//! The resampler keeps the filter history across calls, so 20 ms frames join seamlessly, and
//! converts a whole number of 20 ms frames (or any multiple of 1 ms; of 10 ms at 44.1 kHz) into
//! exactly the matching number of output samples. It allocates only at construction. The delay
//! is half the filter length ([`Resampler::delay`]): about 1.4 ms between 32 and 48 kHz, 2.8 ms
//! between 16 kHz and a higher rate, 5.7 ms when 8 kHz is involved. The 44.1 kHz ratios are
//! large (160/147 with 48 kHz, 441/80 with 8 kHz), so their filters have many phases; the taps
//! per output stay those of the same transition band at the other rates.
//!
//! Compared with rubato's synchronous FFT resampler on 20 ms frames (see `benches/codecs.rs`),
//! this one costs about six times as much per frame (some 18 µs against 3 µs for a 20 ms frame
//! from 16 to 48 kHz, under 0.1 % of a core either way) but delays far less: 2.8 ms against
//! 10 ms, since the FFT works on whole frames. Both suppress aliases below one 16-bit step; the
//! FFT's transition band is narrower (-2 dB at 95 % of the lower Nyquist frequency, against
//! -11 dB here). For a conference mixer the delay matters more than the cost.

use thiserror::Error;

/// Why a resampler could not be built or could not convert a frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResampleError {
    /// One of the rates is not 8000, 16000, 32000, 44100 or 48000 Hz.
    #[error("unsupported sample rate {0} Hz (8000, 16000, 32000, 44100 or 48000)")]
    UnsupportedRate(u32),
    /// The output buffer cannot hold the converted samples.
    #[error("output buffer too small: {needed} needed, {available} available")]
    OutputTooSmall {
        /// Samples the conversion produces.
        needed: usize,
        /// Samples the caller's buffer has.
        available: usize,
    },
}

/// Stop-band attenuation the filters are designed for, in dB.
const ATTENUATION_DB: f64 = 90.0;
/// Where the pass band ends, as a fraction of the lower Nyquist frequency.
const PASS_EDGE: f64 = 0.875;
/// Input samples buffered per step; longer frames are converted in several steps.
const CHUNK: usize = 1024;

const SUPPORTED: [u32; 5] = [8000, 16000, 32000, 44100, 48000];

/// A streaming converter from one sample rate to another (mono, 16-bit).
#[derive(Debug, Clone)]
pub struct Resampler {
    input_rate: u32,
    output_rate: u32,
    /// Upsampling factor `L`.
    up: usize,
    /// Downsampling factor `M`.
    down: usize,
    /// Taps per phase, padded to whole vector lanes.
    taps: usize,
    /// The filter's delay in output samples.
    delay: usize,
    /// `up` phases of `taps` coefficients each, reversed so each output is a dot product with a
    /// contiguous run of the history.
    phases: Vec<f32>,
    /// The last `taps - 1` input samples, then the chunk being converted.
    buffer: Vec<f32>,
    /// Position of the next output in the upsampled time of `buffer`, in 1/`up` samples.
    position: usize,
}

const fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The modified Bessel function of the first kind, order 0, for the Kaiser window.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..64 {
        term *= (half / f64::from(k)) * (half / f64::from(k));
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

impl Resampler {
    /// A converter from `input_rate` to `output_rate` Hz; both must be 8000, 16000, 32000,
    /// 44100 or 48000. Equal rates give a pass-through.
    ///
    /// # Errors
    /// [`ResampleError::UnsupportedRate`] for any other rate.
    pub fn new(input_rate: u32, output_rate: u32) -> Result<Self, ResampleError> {
        for rate in [input_rate, output_rate] {
            if !SUPPORTED.contains(&rate) {
                return Err(ResampleError::UnsupportedRate(rate));
            }
        }
        let (input, output) = (input_rate as usize, output_rate as usize);
        let common = gcd(input, output);
        let (up, down) = (output / common, input / common);
        if up == down {
            return Ok(Self {
                input_rate,
                output_rate,
                up: 1,
                down: 1,
                taps: 1,
                delay: 0,
                phases: vec![1.0],
                buffer: Vec::new(),
                position: 0,
            });
        }

        // Design the prototype at the upsampled rate (Kaiser's formulas).
        let proto_rate = (input * up) as f64;
        let nyquist = input.min(output) as f64 / 2.0;
        let transition = (1.0 - PASS_EDGE) * nyquist;
        let cutoff = (PASS_EDGE + 1.0) / 2.0 * nyquist / proto_rate;
        let beta = 0.1102 * (ATTENUATION_DB - 8.7);
        let length = ((ATTENUATION_DB - 7.95)
            / (2.285 * 2.0 * std::f64::consts::PI * transition / proto_rate))
            .ceil() as usize
            + 1;
        let taps = length.div_ceil(up);
        let length = taps * up;
        // Padding each phase with zero taps to whole vector lanes leaves no scalar tail.
        let padded_taps = taps.next_multiple_of(LANES);
        let centre = (length - 1) as f64 / 2.0;
        let norm = bessel_i0(beta);
        let prototype: Vec<f64> = (0..length)
            .map(|i| {
                let t = i as f64 - centre;
                let sinc = if t == 0.0 {
                    2.0 * cutoff
                } else {
                    (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
                };
                let r = t / centre;
                sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / norm
            })
            .collect();
        // Unity gain at DC after upsampling: the coefficients of the prototype sum to `up`.
        let gain = up as f64 / prototype.iter().sum::<f64>();

        let taps = padded_taps;
        let mut phases = vec![0.0f32; up * taps];
        for phase in 0..up {
            for k in 0..length / up {
                // Output at phase p uses x[n - k] with h[k·L + p]; store reversed in k.
                phases[phase * taps + (taps - 1 - k)] = (prototype[k * up + phase] * gain) as f32;
            }
        }
        Ok(Self {
            input_rate,
            output_rate,
            up,
            down,
            taps,
            delay: (length - 1) / 2 / down,
            phases,
            buffer: vec![0.0; taps - 1 + CHUNK],
            position: (taps - 1) * up,
        })
    }

    /// The input rate in Hz.
    #[must_use]
    pub const fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// The output rate in Hz.
    #[must_use]
    pub const fn output_rate(&self) -> u32 {
        self.output_rate
    }

    /// The filter's delay, in output samples.
    #[must_use]
    pub const fn delay(&self) -> usize {
        self.delay
    }

    /// An output length that always suffices for `input_len` input samples.
    #[must_use]
    pub const fn max_output_len(&self, input_len: usize) -> usize {
        (input_len * self.up).div_ceil(self.down) + 1
    }

    /// Forgets the history, as for a new stream.
    pub fn reset(&mut self) {
        self.buffer.fill(0.0);
        self.position = (self.taps - 1) * self.up;
    }

    /// Converts `input` into the start of `out`, returning the number of samples written: exactly
    /// `input.len() · output_rate / input_rate` when that is whole, as it is for every whole
    /// millisecond of input (every whole 10 ms when 44.1 kHz is involved).
    ///
    /// # Errors
    /// [`ResampleError::OutputTooSmall`] when `out` is shorter than the samples produced (before
    /// any state changes); [`Resampler::max_output_len`] is always enough.
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) -> Result<usize, ResampleError> {
        let needed = self.output_len(input.len());
        if out.len() < needed {
            return Err(ResampleError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        if self.up == self.down {
            out[..input.len()].copy_from_slice(input);
            return Ok(input.len());
        }
        let mut written = 0;
        for chunk in input.chunks(CHUNK) {
            written += self.process_chunk(chunk, &mut out[written..]);
        }
        debug_assert_eq!(written, needed);
        Ok(written)
    }

    /// The number of samples the next call with `input_len` samples will produce.
    #[must_use]
    pub const fn output_len(&self, input_len: usize) -> usize {
        if self.up == self.down {
            return input_len;
        }
        // Outputs are the positions below the end of the data, stepping by `down`.
        let end = (self.taps - 1 + input_len) * self.up;
        if end <= self.position {
            0
        } else {
            (end - self.position).div_ceil(self.down)
        }
    }

    fn process_chunk(&mut self, chunk: &[i16], out: &mut [i16]) -> usize {
        let history = self.taps - 1;
        let len = history + chunk.len();
        for (b, &s) in self.buffer[history..len].iter_mut().zip(chunk) {
            *b = f32::from(s);
        }
        // Step the input index and the phase separately: a division per output would cost as
        // much as a quarter of the filter.
        let mut newest = self.position / self.up;
        let mut phase = self.position % self.up;
        let (whole_steps, phase_step) = (self.down / self.up, self.down % self.up);
        let mut written = 0;
        while newest < len {
            let coefficients = &self.phases[phase * self.taps..(phase + 1) * self.taps];
            let window = &self.buffer[newest + 1 - self.taps..=newest];
            out[written] = to_i16(dot(coefficients, window));
            written += 1;
            newest += whole_steps;
            phase += phase_step;
            if phase >= self.up {
                phase -= self.up;
                newest += 1;
            }
        }
        self.position = newest * self.up + phase;
        self.buffer.copy_within(len - history..len, 0);
        self.position -= chunk.len() * self.up;
        written
    }
}

/// Rounds half away from zero and saturates. `f32::round` is a library call on the baseline
/// x86-64 target, which cost a fifth of the conversion.
fn to_i16(x: f32) -> i16 {
    // `as` truncates towards zero and saturates.
    (x + 0.5f32.copysign(x)) as i16
}

/// Width of the independent sums in [`dot`]; every phase is a multiple of it long.
const LANES: usize = 16;

/// A dot product with independent sums per lane, so the compiler keeps them in vector
/// registers. Both slices are a whole number of lanes long.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        let x: &[f32; LANES] = x.try_into().expect("chunks_exact gives whole lanes");
        let y: &[f32; LANES] = y.try_into().expect("chunks_exact gives whole lanes");
        for i in 0..LANES {
            lanes[i] += x[i] * y[i];
        }
    }
    // Pairwise, so the reduction is a few vector adds rather than a serial chain.
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            lanes[i] += lanes[i + width];
        }
        width /= 2;
    }
    lanes[0]
}
