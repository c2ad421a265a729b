//! Timing `t=`, repeat times `r=` and time zone adjustments `z=` (RFC 4566 §5.9–5.11).

use std::fmt;
use std::str::FromStr;

use super::error::Fault;
use super::text;

/// An active interval `t=<start-time> <stop-time>` with its `r=` repeat lines (RFC 4566 §5.9).
///
/// Times are NTP seconds (since 1900); `0 0` is a permanent session, the usual value for SIP
/// (RFC 3264 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Timing {
    /// Start time, 0 for unbounded.
    pub start: u64,
    /// Stop time, 0 for unbounded.
    pub stop: u64,
    /// The `r=` lines following this `t=`.
    pub repeats: Vec<Repeat>,
}

impl Timing {
    /// `t=0 0`: a session that is permanently active.
    #[must_use]
    pub fn permanent() -> Self {
        Self::default()
    }
}

impl FromStr for Timing {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let start = text::parse_u64(it.next().unwrap_or_default(), "start-time")?;
        let stop = text::parse_u64(it.next().unwrap_or_default(), "stop-time")?;
        if it.next().is_some() {
            return Err(Fault::Trailing);
        }
        Ok(Self {
            start,
            stop,
            repeats: Vec::new(),
        })
    }
}

/// The value of a `t=` line, without its repeats.
impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.start, self.stop)
    }
}

/// A repeat line `r=<repeat interval> <active duration> <offsets from start-time>`
/// (RFC 4566 §5.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repeat {
    /// How often the session repeats.
    pub interval: TypedTime,
    /// How long each repetition lasts.
    pub duration: TypedTime,
    /// Offsets from the start time of each repetition; at least one.
    pub offsets: Vec<TypedTime>,
}

impl FromStr for Repeat {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut it = text::fields(value);
        let mut next = |field| -> Result<Option<TypedTime>, Fault> {
            it.next()
                .map(|s| TypedTime::parse(s, false, field))
                .transpose()
        };
        let interval = next("repeat interval")?.ok_or(Fault::Missing("repeat interval"))?;
        let duration = next("active duration")?.ok_or(Fault::Missing("active duration"))?;
        let mut offsets = Vec::new();
        while let Some(offset) = next("offset")? {
            offsets.push(offset);
        }
        if offsets.is_empty() {
            return Err(Fault::Missing("offset"));
        }
        Ok(Self {
            interval,
            duration,
            offsets,
        })
    }
}

impl fmt::Display for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.interval, self.duration)?;
        for offset in &self.offsets {
            write!(f, " {offset}")?;
        }
        Ok(())
    }
}

/// The unit letter of a typed time (RFC 4566 §5.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `d`: 86400 seconds.
    Days,
    /// `h`: 3600 seconds.
    Hours,
    /// `m`: 60 seconds.
    Minutes,
    /// `s`: seconds.
    Seconds,
}

impl TimeUnit {
    /// The unit letter.
    #[must_use]
    pub fn as_char(self) -> char {
        match self {
            Self::Days => 'd',
            Self::Hours => 'h',
            Self::Minutes => 'm',
            Self::Seconds => 's',
        }
    }

    /// Seconds in one unit.
    #[must_use]
    pub fn seconds(self) -> i64 {
        match self {
            Self::Days => 86_400,
            Self::Hours => 3_600,
            Self::Minutes => 60,
            Self::Seconds => 1,
        }
    }
}

/// A time with an optional unit letter, as in `7d`, `-1h` or `3600` (RFC 4566 §5.10). The
/// unit is kept so the text is reproduced as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypedTime {
    /// The number, in `unit`s (negative only in `z=` offsets).
    pub value: i64,
    /// The unit letter, `None` for a bare number of seconds.
    pub unit: Option<TimeUnit>,
}

impl TypedTime {
    /// A typed time.
    #[must_use]
    pub fn new(value: i64, unit: Option<TimeUnit>) -> Self {
        Self { value, unit }
    }

    /// The time in seconds, `None` on overflow.
    #[must_use]
    pub fn seconds(self) -> Option<i64> {
        self.value
            .checked_mul(self.unit.map_or(1, TimeUnit::seconds))
    }

    fn parse(s: &str, signed: bool, field: &'static str) -> Result<Self, Fault> {
        let (number, unit) = match s.as_bytes().last() {
            Some(b'd') => (&s[..s.len() - 1], Some(TimeUnit::Days)),
            Some(b'h') => (&s[..s.len() - 1], Some(TimeUnit::Hours)),
            Some(b'm') => (&s[..s.len() - 1], Some(TimeUnit::Minutes)),
            Some(b's') => (&s[..s.len() - 1], Some(TimeUnit::Seconds)),
            _ => (s, None),
        };
        let value = if signed {
            text::parse_i64(number, field)?
        } else {
            i64::try_from(text::parse_u64(number, field)?).map_err(|_| Fault::OutOfRange(field))?
        };
        Ok(Self { value, unit })
    }
}

impl fmt::Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)?;
        if let Some(unit) = self.unit {
            write!(f, "{}", unit.as_char())?;
        }
        Ok(())
    }
}

/// One `<adjustment time> <offset>` pair of a `z=` line (RFC 4566 §5.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZoneAdjustment {
    /// When the adjustment happens, in NTP seconds.
    pub time: u64,
    /// The offset applied from then on.
    pub offset: TypedTime,
}

/// Parses the pairs of a `z=` line; at least one.
pub(crate) fn parse_time_zones(value: &str) -> Result<Vec<TimeZoneAdjustment>, Fault> {
    let mut it = text::fields(value);
    let mut zones = Vec::new();
    while let Some(time) = it.next() {
        let time = text::parse_u64(time, "adjustment time")?;
        let offset = it.next().ok_or(Fault::Missing("offset"))?;
        zones.push(TimeZoneAdjustment {
            time,
            offset: TypedTime::parse(offset, true, "offset")?,
        });
    }
    if zones.is_empty() {
        return Err(Fault::Missing("adjustment time"));
    }
    Ok(zones)
}

/// Writes the value of a `z=` line.
pub(crate) fn write_time_zones(
    f: &mut fmt::Formatter<'_>,
    zones: &[TimeZoneAdjustment],
) -> fmt::Result {
    for (i, zone) in zones.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{} {}", zone.time, zone.offset)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_keeps_units() {
        let r: Repeat = "7d 1h 0 25h".parse().unwrap();
        assert_eq!(r.interval, TypedTime::new(7, Some(TimeUnit::Days)));
        assert_eq!(r.interval.seconds(), Some(604_800));
        assert_eq!(r.duration.seconds(), Some(3_600));
        assert_eq!(
            r.offsets,
            [
                TypedTime::new(0, None),
                TypedTime::new(25, Some(TimeUnit::Hours))
            ]
        );
        assert_eq!(r.to_string(), "7d 1h 0 25h");
        let r: Repeat = "604800 3600 0 90000".parse().unwrap();
        assert_eq!(r.to_string(), "604800 3600 0 90000");
        assert_eq!("7d 1h".parse::<Repeat>(), Err(Fault::Missing("offset")));
        assert_eq!(
            "-7d 1h 0".parse::<Repeat>(),
            Err(Fault::Invalid("repeat interval"))
        );
        assert_eq!(
            "7x 1h 0".parse::<Repeat>(),
            Err(Fault::Invalid("repeat interval"))
        );
    }

    #[test]
    fn time_zones_take_signed_offsets() {
        let z = parse_time_zones("2882844526 -1h 2898848070 0").unwrap();
        assert_eq!(z.len(), 2);
        assert_eq!(z[0].offset, TypedTime::new(-1, Some(TimeUnit::Hours)));
        assert_eq!(z[0].offset.seconds(), Some(-3600));
        assert_eq!(parse_time_zones("1"), Err(Fault::Missing("offset")));
        assert_eq!(
            parse_time_zones(" "),
            Err(Fault::Missing("adjustment time"))
        );
        assert_eq!(
            TypedTime::new(i64::MAX, Some(TimeUnit::Days)).seconds(),
            None
        );
    }

    #[test]
    fn timing() {
        let t: Timing = "2873397496 2873404696".parse().unwrap();
        assert_eq!((t.start, t.stop), (2_873_397_496, 2_873_404_696));
        assert_eq!("0".parse::<Timing>(), Err(Fault::Missing("stop-time")));
        assert_eq!("0 0 0".parse::<Timing>(), Err(Fault::Trailing));
    }
}
