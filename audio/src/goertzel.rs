//! Tone detection: the Goertzel algorithm for the power of one frequency, level helpers in dBFS,
//! and a DTMF detector over frames.
//!
//! Levels use the sine convention of [`crate::tone`]: a full-scale sine is 0 dBFS, so a tone
//! generated at -20 dBFS measures -20 dBFS here. Silence measures [`SILENCE_DBFS`].

use std::collections::VecDeque;
use std::f64::consts::{PI, TAU};

use crate::tone::{amplitude_of_dbfs, DtmfDigit, DTMF_COLUMNS, DTMF_ROWS};

/// The level reported for digital silence: lower than any 16-bit signal can measure.
pub const SILENCE_DBFS: f64 = -200.0;

fn dbfs_of_amplitude(amplitude: f64) -> f64 {
    if amplitude <= 0.0 {
        SILENCE_DBFS
    } else {
        (20.0 * (amplitude / 32767.0).log10()).max(SILENCE_DBFS)
    }
}

/// A Goertzel filter: the DFT term of one frequency, computed one sample at a time.
///
/// Feed samples with [`Goertzel::push`], read [`Goertzel::power`] and [`Goertzel::reset`] at the
/// end of each block. The frequency need not fall on a DFT bin.
#[derive(Debug, Clone, Copy)]
pub struct Goertzel {
    coefficient: f64,
    s1: f64,
    s2: f64,
}

impl Goertzel {
    /// A filter for `frequency` Hz at `sample_rate` Hz.
    #[must_use]
    pub fn new(frequency: f64, sample_rate: u32) -> Self {
        Self {
            coefficient: 2.0 * (TAU * frequency / f64::from(sample_rate)).cos(),
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// Feeds one sample (any scale; the power is in the square of that scale).
    pub fn push(&mut self, sample: f64) {
        let s0 = sample + self.coefficient * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s0;
    }

    /// Feeds a block of 16-bit samples.
    pub fn push_samples(&mut self, samples: &[i16]) {
        for &s in samples {
            self.push(f64::from(s));
        }
    }

    /// |X(f)|² of the samples fed since the last reset. A sine of amplitude `A` over `N`
    /// samples gives about `(A·N/2)²`.
    #[must_use]
    pub fn power(&self) -> f64 {
        (self.s1 * self.s1 + self.s2 * self.s2 - self.coefficient * self.s1 * self.s2).max(0.0)
    }

    /// Starts a new block.
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }
}

/// The level, in dBFS, of the component at `frequency` Hz in `samples` (sampled at
/// `sample_rate` Hz).
///
/// A Hann window keeps other tones from leaking in: with at least 100 ms of audio, a tone
/// 200 Hz away at the same level reads over 60 dB lower. The estimate is exact for a steady
/// sine; a tone present in only part of the slice reads lower accordingly.
#[must_use]
pub fn tone_level(samples: &[i16], sample_rate: u32, frequency: f64) -> f64 {
    let n = samples.len();
    if n < 2 {
        return SILENCE_DBFS;
    }
    let mut filter = Goertzel::new(frequency, sample_rate);
    let mut window_sum = 0.0;
    for (i, &s) in samples.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / (n - 1) as f64).cos();
        window_sum += w;
        filter.push(w * f64::from(s));
    }
    dbfs_of_amplitude(2.0 * filter.power().sqrt() / window_sum)
}

/// The overall level of `samples` in dBFS: the RMS expressed as the sine of the same power.
#[must_use]
pub fn level_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return SILENCE_DBFS;
    }
    let power = samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64;
    dbfs_of_amplitude((2.0 * power).sqrt())
}

/// Thresholds of the [`DtmfDetector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfDetectorConfig {
    /// Each of the two tones must be at least this loud, in dBFS.
    pub min_level_dbfs: f64,
    /// How much louder the low (row) tone may be than the high one, in dB ("normal twist").
    pub max_normal_twist_db: f64,
    /// How much louder the high (column) tone may be than the low one, in dB ("reverse twist").
    pub max_reverse_twist_db: f64,
    /// How far every other frequency of a group must stay below the strongest, in dB.
    pub min_group_margin_db: f64,
    /// The share of the block's energy the two tones must carry, so speech and noise are not
    /// taken for keys.
    pub min_tone_energy_ratio: f64,
}

impl Default for DtmfDetectorConfig {
    fn default() -> Self {
        // Twist limits of ITU-T Q.24's common receiver practice; the level floor suits 16-bit
        // digital audio with a margin for codec loss.
        Self {
            min_level_dbfs: -36.0,
            max_normal_twist_db: 8.0,
            max_reverse_twist_db: 6.0,
            min_group_margin_db: 8.0,
            min_tone_energy_ratio: 0.6,
        }
    }
}

/// How many detected keys wait for [`DtmfDetector::poll_digit`] before the oldest are dropped.
pub const DTMF_QUEUE_LIMIT: usize = 32;

/// A DTMF receiver over a stream of frames: reports each key once per press.
///
/// It analyses blocks of about 25.6 ms (205 samples at 8 kHz), checking the strongest row and
/// column frequency for level, twist, dominance within their group and share of the block's
/// energy. A key is reported after two consecutive blocks agree (about 50 ms of tone) and
/// released after two blocks without it, so a press is reported once however long it lasts,
/// and a single disturbed block neither splits nor invents a press.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    config: DtmfDetectorConfig,
    block_len: usize,
    filters: [Goertzel; 8],
    filled: usize,
    energy: f64,
    candidate: Option<DtmfDigit>,
    candidate_blocks: u8,
    current: Option<DtmfDigit>,
    digits: VecDeque<DtmfDigit>,
    dropped: u64,
}

impl DtmfDetector {
    /// A detector for audio at `sample_rate` Hz with the default thresholds.
    #[must_use]
    pub fn new(sample_rate: u32) -> Self {
        Self::with_config(sample_rate, DtmfDetectorConfig::default())
    }

    /// A detector for audio at `sample_rate` Hz with the given thresholds.
    #[must_use]
    pub fn with_config(sample_rate: u32, config: DtmfDetectorConfig) -> Self {
        let rate = sample_rate.max(8000);
        let filter = |f: f64| Goertzel::new(f, rate);
        Self {
            config,
            block_len: (u64::from(rate) * 205 / 8000) as usize,
            filters: [
                filter(DTMF_ROWS[0]),
                filter(DTMF_ROWS[1]),
                filter(DTMF_ROWS[2]),
                filter(DTMF_ROWS[3]),
                filter(DTMF_COLUMNS[0]),
                filter(DTMF_COLUMNS[1]),
                filter(DTMF_COLUMNS[2]),
                filter(DTMF_COLUMNS[3]),
            ],
            filled: 0,
            energy: 0.0,
            candidate: None,
            candidate_blocks: 0,
            current: None,
            digits: VecDeque::with_capacity(DTMF_QUEUE_LIMIT),
            dropped: 0,
        }
    }

    /// Analyses the next samples; frames may have any length.
    pub fn process(&mut self, samples: &[i16]) {
        for &s in samples {
            let x = f64::from(s);
            for f in &mut self.filters {
                f.push(x);
            }
            self.energy += x * x;
            self.filled += 1;
            if self.filled == self.block_len {
                let digit = self.classify();
                self.debounce(digit);
                for f in &mut self.filters {
                    f.reset();
                }
                self.filled = 0;
                self.energy = 0.0;
            }
        }
    }

    /// The next detected key, oldest first.
    #[must_use]
    pub fn poll_digit(&mut self) -> Option<DtmfDigit> {
        self.digits.pop_front()
    }

    /// The key being held now, if any.
    #[must_use]
    pub const fn current(&self) -> Option<DtmfDigit> {
        self.current
    }

    /// How many keys were dropped because nobody polled them (beyond [`DTMF_QUEUE_LIMIT`]).
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.dropped
    }

    fn classify(&self) -> Option<DtmfDigit> {
        let n = self.block_len as f64;
        let amplitude = |f: &Goertzel| 2.0 * f.power().sqrt() / n;
        let mut amps = [0.0; 8];
        for (a, f) in amps.iter_mut().zip(&self.filters) {
            *a = amplitude(f);
        }
        let strongest = |group: &[f64]| {
            let (index, &peak) = group
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("a group has four frequencies");
            let margin = 10f64.powf(-self.config.min_group_margin_db / 20.0);
            let dominant = group
                .iter()
                .enumerate()
                .all(|(i, &a)| i == index || a <= peak * margin);
            (index, peak, dominant)
        };
        let (row, row_amp, row_dominant) = strongest(&amps[..4]);
        let (column, column_amp, column_dominant) = strongest(&amps[4..]);
        let floor = amplitude_of_dbfs(self.config.min_level_dbfs);
        if !(row_dominant && column_dominant && row_amp >= floor && column_amp >= floor) {
            return None;
        }
        let twist = 20.0 * (row_amp / column_amp).log10();
        if twist > self.config.max_normal_twist_db || -twist > self.config.max_reverse_twist_db {
            return None;
        }
        let tone_energy = (row_amp * row_amp + column_amp * column_amp) / 2.0 * n;
        if tone_energy < self.config.min_tone_energy_ratio * self.energy {
            return None;
        }
        DtmfDigit::at(row, column)
    }

    fn debounce(&mut self, digit: Option<DtmfDigit>) {
        if digit == self.candidate {
            self.candidate_blocks = self.candidate_blocks.saturating_add(1);
        } else {
            self.candidate = digit;
            self.candidate_blocks = 1;
        }
        if self.candidate_blocks < 2 || self.candidate == self.current {
            return;
        }
        self.current = self.candidate;
        if let Some(pressed) = self.current {
            if self.digits.len() == DTMF_QUEUE_LIMIT {
                self.digits.pop_front();
                self.dropped += 1;
            }
            self.digits.push_back(pressed);
        }
    }
}
