//! Tone generators: a sine, DTMF dual tones (ITU-T Q.23) and call-progress tones with cadence.
//!
//! Generators write 16-bit frames of any length into caller buffers and keep their phase (and
//! cadence position) across frames, so consecutive 20 ms frames join without clicks. Levels are
//! in dBFS with the sine convention: a sine peaking at full scale (32767) is 0 dBFS.

use std::f64::consts::TAU;

use thiserror::Error;

/// Why a generator could not be built from the given parameters.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ToneError {
    /// The frequency is not above 0 and below the Nyquist frequency of the sample rate.
    #[error("frequency {frequency} Hz is not within (0, {nyquist}) Hz")]
    Frequency {
        /// The frequency asked for.
        frequency: f64,
        /// Half the sample rate.
        nyquist: f64,
    },
    /// The level is not a finite number of dBFS at most 0.
    #[error("level {0} dBFS is not finite and at most 0")]
    Level(f64),
    /// The sample rate is 0.
    #[error("sample rate must not be 0")]
    SampleRate,
    /// The character is not a DTMF key.
    #[error("{0:?} is not a DTMF key (0-9, *, #, A-D)")]
    NotDtmf(char),
}

/// The peak amplitude, in 16-bit units, of a sine at `dbfs`.
#[must_use]
pub fn amplitude_of_dbfs(dbfs: f64) -> f64 {
    32767.0 * 10f64.powf(dbfs / 20.0)
}

/// A sine generator with its phase carried across frames.
#[derive(Debug, Clone)]
pub struct SineGenerator {
    /// Phase in cycles, kept in [0, 1) so precision does not decay over long calls.
    phase: f64,
    step: f64,
    amplitude: f64,
}

impl SineGenerator {
    /// A sine of `frequency` Hz at `level_dbfs`, sampled at `sample_rate` Hz, starting at phase 0.
    ///
    /// # Errors
    /// [`ToneError`] when the frequency is not below the Nyquist frequency, the level is above
    /// 0 dBFS or not finite, or the rate is 0.
    pub fn new(frequency: f64, level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        if sample_rate == 0 {
            return Err(ToneError::SampleRate);
        }
        let nyquist = f64::from(sample_rate) / 2.0;
        if !(frequency > 0.0 && frequency < nyquist) {
            return Err(ToneError::Frequency { frequency, nyquist });
        }
        if !level_dbfs.is_finite() || level_dbfs > 0.0 {
            return Err(ToneError::Level(level_dbfs));
        }
        Ok(Self {
            phase: 0.0,
            step: frequency / f64::from(sample_rate),
            amplitude: amplitude_of_dbfs(level_dbfs),
        })
    }

    /// Overwrites `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        out.fill(0);
        self.mix_into(out);
    }

    /// Adds the next samples to `out`, saturating, so several tones can share a frame.
    pub fn mix_into(&mut self, out: &mut [i16]) {
        for o in out {
            let value = self.amplitude * (TAU * self.phase).sin();
            *o = saturate(f64::from(*o) + value);
            self.phase += self.step;
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
        }
    }

    /// Advances the phase by `samples` without producing them (the tone runs on while muted).
    pub fn skip(&mut self, samples: usize) {
        self.phase = (self.phase + self.step * samples as f64).fract();
    }
}

fn saturate(x: f64) -> i16 {
    // `as` saturates float-to-int conversions.
    x.round() as i16
}

/// A DTMF key: 0-9, `*`, `#` and A-D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfDigit {
    row: u8,
    column: u8,
}

/// The low-group (row) frequencies of ITU-T Q.23, in Hz.
pub const DTMF_ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high-group (column) frequencies of ITU-T Q.23, in Hz.
pub const DTMF_COLUMNS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keypad, by row and column.
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

impl DtmfDigit {
    /// The key for a character (letters in either case).
    ///
    /// # Errors
    /// [`ToneError::NotDtmf`] for any other character.
    pub fn new(key: char) -> Result<Self, ToneError> {
        let upper = key.to_ascii_uppercase();
        (0..4)
            .find_map(|row| Self::at(row, KEYPAD[row].iter().position(|&k| k == upper)?))
            .ok_or(ToneError::NotDtmf(key))
    }

    /// The key at a row and column of the keypad, both in 0..4.
    #[must_use]
    pub fn at(row: usize, column: usize) -> Option<Self> {
        (row < 4 && column < 4).then_some(Self {
            row: row as u8,
            column: column as u8,
        })
    }

    /// The key as a character (`A`-`D` in upper case).
    #[must_use]
    pub const fn as_char(self) -> char {
        KEYPAD[self.row as usize][self.column as usize]
    }

    /// The keypad row (0 for 1 2 3 A … 3 for * 0 # D): the index of the low frequency.
    #[must_use]
    pub const fn row(self) -> usize {
        self.row as usize
    }

    /// The keypad column (0 for 1 4 7 * … 3 for A B C D): the index of the high frequency.
    #[must_use]
    pub const fn column(self) -> usize {
        self.column as usize
    }

    /// The (low, high) frequency pair of ITU-T Q.23, in Hz.
    #[must_use]
    pub const fn frequencies(self) -> (f64, f64) {
        (
            DTMF_ROWS[self.row as usize],
            DTMF_COLUMNS[self.column as usize],
        )
    }
}

/// A sum of two sines: a DTMF key or a dual-frequency call-progress tone.
#[derive(Debug, Clone)]
pub struct DualTone {
    low: SineGenerator,
    high: Option<SineGenerator>,
}

impl DualTone {
    /// Two sines, each at `level_dbfs` (so the sum peaks 6 dB higher).
    ///
    /// # Errors
    /// As [`SineGenerator::new`].
    pub fn new(
        first: f64,
        second: f64,
        level_dbfs: f64,
        sample_rate: u32,
    ) -> Result<Self, ToneError> {
        Ok(Self {
            low: SineGenerator::new(first, level_dbfs, sample_rate)?,
            high: Some(SineGenerator::new(second, level_dbfs, sample_rate)?),
        })
    }

    /// A single sine, for call-progress tones of one frequency.
    ///
    /// # Errors
    /// As [`SineGenerator::new`].
    pub fn single(frequency: f64, level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        Ok(Self {
            low: SineGenerator::new(frequency, level_dbfs, sample_rate)?,
            high: None,
        })
    }

    /// The tone of a DTMF key, each frequency at `level_dbfs` (-10 dBFS per tone is usual).
    ///
    /// # Errors
    /// As [`SineGenerator::new`] (a rate below 3.3 kHz cannot carry the high group).
    pub fn dtmf(digit: DtmfDigit, level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        let (low, high) = digit.frequencies();
        Self::new(low, high, level_dbfs, sample_rate)
    }

    /// Overwrites `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        out.fill(0);
        self.mix_into(out);
    }

    /// Adds the next samples to `out`, saturating.
    pub fn mix_into(&mut self, out: &mut [i16]) {
        self.low.mix_into(out);
        if let Some(high) = &mut self.high {
            high.mix_into(out);
        }
    }

    fn skip(&mut self, samples: usize) {
        self.low.skip(samples);
        if let Some(high) = &mut self.high {
            high.skip(samples);
        }
    }
}

/// A tone switched on and off in a repeating cadence: ringback, busy, congestion, dial tone.
#[derive(Debug, Clone)]
pub struct CadencedTone {
    tone: DualTone,
    /// Samples on, then off, per cycle; `off == 0` means continuous.
    on: u64,
    off: u64,
    /// Position within the cycle, in samples.
    position: u64,
}

impl CadencedTone {
    /// `tone` on for `on_ms` and off for `off_ms`, repeating; `off_ms == 0` plays continuously.
    #[must_use]
    pub fn new(tone: DualTone, on_ms: u32, off_ms: u32, sample_rate: u32) -> Self {
        let samples = |ms: u32| u64::from(ms) * u64::from(sample_rate) / 1000;
        Self {
            tone,
            on: samples(on_ms).max(1),
            off: samples(off_ms),
            position: 0,
        }
    }

    /// North American ringback (ITU-T E.180 / ANSI T1.401): 440 + 480 Hz, 2 s on, 4 s off.
    ///
    /// # Errors
    /// As [`SineGenerator::new`].
    pub fn ringback(level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        Ok(Self::new(
            DualTone::new(440.0, 480.0, level_dbfs, sample_rate)?,
            2000,
            4000,
            sample_rate,
        ))
    }

    /// North American busy: 480 + 620 Hz, 0.5 s on, 0.5 s off.
    ///
    /// # Errors
    /// As [`SineGenerator::new`].
    pub fn busy(level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        Ok(Self::new(
            DualTone::new(480.0, 620.0, level_dbfs, sample_rate)?,
            500,
            500,
            sample_rate,
        ))
    }

    /// North American reorder (congestion): 480 + 620 Hz, 0.25 s on, 0.25 s off.
    ///
    /// # Errors
    /// As [`SineGenerator::new`].
    pub fn congestion(level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        Ok(Self::new(
            DualTone::new(480.0, 620.0, level_dbfs, sample_rate)?,
            250,
            250,
            sample_rate,
        ))
    }

    /// North American dial tone: 350 + 440 Hz, continuous.
    ///
    /// # Errors
    /// As [`SineGenerator::new`].
    pub fn dial(level_dbfs: f64, sample_rate: u32) -> Result<Self, ToneError> {
        Ok(Self::new(
            DualTone::new(350.0, 440.0, level_dbfs, sample_rate)?,
            1000,
            0,
            sample_rate,
        ))
    }

    /// Whether the next sample falls in an "on" part of the cadence.
    #[must_use]
    pub const fn is_on(&self) -> bool {
        self.position < self.on
    }

    /// Overwrites `out` with the next samples (zeros while off).
    pub fn fill(&mut self, out: &mut [i16]) {
        out.fill(0);
        self.mix_into(out);
    }

    /// Adds the next samples to `out`, saturating.
    pub fn mix_into(&mut self, out: &mut [i16]) {
        let cycle = self.on + self.off;
        let mut rest = out;
        while !rest.is_empty() {
            let (segment_end, on) = if self.position < self.on {
                (self.on, true)
            } else {
                (cycle, false)
            };
            let n = usize::try_from(segment_end - self.position)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            let (now, later) = rest.split_at_mut(n);
            if on {
                self.tone.mix_into(now);
            } else {
                // Keep the oscillators running so each burst starts where the cadence puts it.
                self.tone.skip(n);
            }
            self.position += n as u64;
            if self.position >= cycle {
                self.position = 0;
            }
            rest = later;
        }
    }
}
