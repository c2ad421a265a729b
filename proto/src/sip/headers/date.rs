//! Date (RFC 3261 §20.17): an `rfc1123-date` (RFC 2616 §3.3.1), always in GMT.

use std::fmt;

use super::grammar::{scan, skip_lws};
use super::{Header, HeaderName};
use crate::sip::error::HeaderError;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    /// `Mon`.
    Mon,
    /// `Tue`.
    Tue,
    /// `Wed`.
    Wed,
    /// `Thu`.
    Thu,
    /// `Fri`.
    Fri,
    /// `Sat`.
    Sat,
    /// `Sun`.
    Sun,
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "Mon"),
    (Weekday::Tue, "Tue"),
    (Weekday::Wed, "Wed"),
    (Weekday::Thu, "Thu"),
    (Weekday::Fri, "Fri"),
    (Weekday::Sat, "Sat"),
    (Weekday::Sun, "Sun"),
];

impl Weekday {
    /// The three-letter name (`Sat`).
    pub fn as_str(self) -> &'static str {
        WEEKDAYS[self as usize].1
    }
}

/// A month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Month {
    /// `Jan`.
    Jan = 1,
    /// `Feb`.
    Feb,
    /// `Mar`.
    Mar,
    /// `Apr`.
    Apr,
    /// `May`.
    May,
    /// `Jun`.
    Jun,
    /// `Jul`.
    Jul,
    /// `Aug`.
    Aug,
    /// `Sep`.
    Sep,
    /// `Oct`.
    Oct,
    /// `Nov`.
    Nov,
    /// `Dec`.
    Dec,
}

const MONTHS: [(Month, &str); 12] = [
    (Month::Jan, "Jan"),
    (Month::Feb, "Feb"),
    (Month::Mar, "Mar"),
    (Month::Apr, "Apr"),
    (Month::May, "May"),
    (Month::Jun, "Jun"),
    (Month::Jul, "Jul"),
    (Month::Aug, "Aug"),
    (Month::Sep, "Sep"),
    (Month::Oct, "Oct"),
    (Month::Nov, "Nov"),
    (Month::Dec, "Dec"),
];

impl Month {
    /// The three-letter name (`Nov`).
    pub fn as_str(self) -> &'static str {
        MONTHS[self as usize - 1].1
    }

    /// The month number, 1 for January.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The month numbered `n` (1 for January).
    pub fn from_number(n: u8) -> Option<Self> {
        MONTHS.get(usize::from(n).checked_sub(1)?).map(|&(m, _)| m)
    }
}

/// The Date header (RFC 3261 §20.17): `wkday "," SP date1 SP time SP "GMT"`, such as
/// `Sat, 13 Nov 2010 23:29:00 GMT`.
///
/// Parsing accepts any amount of linear white space between the parts, a one-digit day and
/// any case in names, checks the day against the month and the time against 23:59:59 (a leap
/// second `:60` is accepted), and rejects any zone but `GMT` (RFC 4475 §3.1.2.15 `baddate`
/// sends `EST`). The weekday is kept as written and not checked against the date.
/// [`Display`](fmt::Display) writes the canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    weekday: Weekday,
    day: u8,
    month: Month,
    year: u16,
    hour: u8,
    minute: u8,
    second: u8,
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: Month) -> u8 {
    match month {
        Month::Feb if is_leap(year) => 29,
        Month::Feb => 28,
        Month::Apr | Month::Jun | Month::Sep | Month::Nov => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Date {
    /// A date from its parts, with the weekday computed; an error when a part is out of
    /// range (year 0..=9999, day valid for the month, 23:59:60 at most).
    pub fn new(
        year: u16,
        month: Month,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, HeaderError> {
        if year > 9999 {
            return Err(HeaderError::OutOfRange { what: "Date year" });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(HeaderError::OutOfRange { what: "Date day" });
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(HeaderError::OutOfRange { what: "Date time" });
        }
        let days = days_from_civil(i64::from(year), i64::from(month.number()), i64::from(day));
        // 1970-01-01 was a Thursday (index 3 from Monday).
        let wd = usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0);
        Ok(Self {
            weekday: WEEKDAYS[wd].0,
            day,
            month,
            year,
            hour,
            minute,
            second,
        })
    }

    /// The day of the week, as written.
    pub fn weekday(&self) -> Weekday {
        self.weekday
    }

    /// The day of the month, 1..=31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The month.
    pub fn month(&self) -> Month {
        self.month
    }

    /// The year, 0..=9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The hour, 0..=23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0..=59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, 0..=60 (60 for a leap second).
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The date `secs` seconds after 1970-01-01 00:00:00 UTC; `None` outside years
    /// 1970..=9999.
    pub fn from_unix(secs: u64) -> Option<Self> {
        let days = i64::try_from(secs / 86_400).ok()?;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        let year = u16::try_from(y).ok().filter(|&y| y <= 9999)?;
        let month = Month::from_number(u8::try_from(m).ok()?)?;
        let day = u8::try_from(d).ok()?;
        // `rem` < 86 400, so the parts fit in u8.
        let hour = u8::try_from(rem / 3600).ok()?;
        let minute = u8::try_from(rem % 3600 / 60).ok()?;
        let second = u8::try_from(rem % 60).ok()?;
        Self::new(year, month, day, hour, minute, second).ok()
    }

    /// Seconds since 1970-01-01 00:00:00 UTC (negative before 1970). A leap second counts as
    /// the first second of the next minute.
    pub fn unix_time(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month.number()),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

/// A parse position over the value.
struct Cursor<'s> {
    s: &'s str,
    i: usize,
}

impl<'s> Cursor<'s> {
    fn expected(&self, expected: &'static str) -> HeaderError {
        HeaderError::Expected {
            expected,
            at: self.i,
        }
    }

    /// Skips white space; `required` makes its absence an error.
    fn lws(&mut self, required: bool) -> Result<(), HeaderError> {
        let j = skip_lws(self.s.as_bytes(), self.i);
        if required && j == self.i {
            return Err(self.expected("white space"));
        }
        self.i = j;
        Ok(())
    }

    fn word(&mut self) -> &'s str {
        let j = scan(self.s.as_bytes(), self.i, |c| c.is_ascii_alphabetic());
        let w = &self.s[self.i..j];
        self.i = j;
        w
    }

    /// Reads `min..=max` digits.
    fn number(
        &mut self,
        min: usize,
        max: usize,
        expected: &'static str,
    ) -> Result<u16, HeaderError> {
        let j = scan(self.s.as_bytes(), self.i, |c| c.is_ascii_digit());
        let n = j - self.i;
        if n < min || n > max {
            return Err(self.expected(expected));
        }
        let v = self.s[self.i..j]
            .bytes()
            .fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
        self.i = j;
        Ok(v)
    }

    fn byte(&mut self, b: u8, expected: &'static str) -> Result<(), HeaderError> {
        if self.s.as_bytes().get(self.i) != Some(&b) {
            return Err(self.expected(expected));
        }
        self.i += 1;
        Ok(())
    }
}

fn two(v: u16) -> u8 {
    // Two digits at most were read.
    u8::try_from(v).unwrap_or(u8::MAX)
}

impl<'a> Header<'a> for Date {
    const NAME: HeaderName = HeaderName::Date;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let mut c = Cursor { s: value, i: 0 };
        c.lws(false)?;
        if c.i == value.len() {
            return Err(HeaderError::Empty);
        }
        let at = c.i;
        let w = c.word();
        let weekday = WEEKDAYS
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(w))
            .map(|&(d, _)| d)
            .ok_or(HeaderError::Expected {
                expected: "weekday (Mon..Sun)",
                at,
            })?;
        c.lws(false)?;
        c.byte(b',', "','")?;
        c.lws(true)?;
        let day = two(c.number(1, 2, "day of month")?);
        c.lws(true)?;
        let at = c.i;
        let m = c.word();
        let month = MONTHS
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(m))
            .map(|&(m, _)| m)
            .ok_or(HeaderError::Expected {
                expected: "month (Jan..Dec)",
                at,
            })?;
        c.lws(true)?;
        let year = c.number(4, 4, "four-digit year")?;
        c.lws(true)?;
        let hour = two(c.number(2, 2, "two-digit hour")?);
        c.byte(b':', "':'")?;
        let minute = two(c.number(2, 2, "two-digit minute")?);
        c.byte(b':', "':'")?;
        let second = two(c.number(2, 2, "two-digit second")?);
        c.lws(true)?;
        let at = c.i;
        let zone = c.word();
        if zone != "GMT" {
            return Err(HeaderError::Expected {
                expected: "GMT",
                at,
            });
        }
        c.lws(false)?;
        if c.i != value.len() {
            return Err(c.expected("end of value"));
        }
        let mut d = Self::new(year, month, day, hour, minute, second)?;
        d.weekday = weekday;
        Ok(d)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            self.weekday.as_str(),
            self.day,
            self.month.as_str(),
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3261 §20.17 example.
    #[test]
    fn rfc3261_example() {
        let d = Date::parse("Sat, 13 Nov 2010 23:29:00 GMT").unwrap();
        assert_eq!(d.weekday(), Weekday::Sat);
        assert_eq!(d.day(), 13);
        assert_eq!(d.month(), Month::Nov);
        assert_eq!(d.year(), 2010);
        assert_eq!((d.hour(), d.minute(), d.second()), (23, 29, 0));
        assert_eq!(d.unix_time(), 1_289_690_940);
        assert_eq!(d.to_string(), "Sat, 13 Nov 2010 23:29:00 GMT");
        assert_eq!(Date::from_unix(1_289_690_940), Some(d));
    }

    #[test]
    fn lenient_spacing_and_case() {
        let d = Date::parse(" thu ,\r\n 1  JAN 1970   00:00:00 GMT ").unwrap();
        assert_eq!(d.weekday(), Weekday::Thu);
        assert_eq!(d.unix_time(), 0);
        assert_eq!(d.to_string(), "Thu, 01 Jan 1970 00:00:00 GMT");
        let d = Date::parse("Mon, 29 Feb 2000 12:00:60 GMT").unwrap();
        assert_eq!(d.second(), 60);
        // The weekday is kept as written even when it does not match the date.
        assert_eq!(
            Date::parse("Fri, 13 Nov 2010 23:29:00 GMT")
                .unwrap()
                .weekday(),
            Weekday::Fri
        );
    }

    /// RFC 4475 §3.1.2.15 (`baddate`): a zone other than GMT.
    #[test]
    fn rejects_other_zones() {
        assert_eq!(
            Date::parse("Fri, 01 Jan 2010 16:00:00 EST"),
            Err(HeaderError::Expected {
                expected: "GMT",
                at: 26
            })
        );
        assert!(Date::parse("Fri, 01 Jan 2010 16:00:00 gmt").is_err());
        assert!(Date::parse("Fri, 01 Jan 2010 16:00:00 UTC").is_err());
        assert!(Date::parse("Fri, 01 Jan 2010 16:00:00").is_err());
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Date::parse(""), Err(HeaderError::Empty));
        let e = |expected, at| Err(HeaderError::Expected { expected, at });
        assert_eq!(Date::parse("Sun 13 Nov 2010 23:29:00 GMT"), e("','", 4));
        assert_eq!(
            Date::parse("Xyz, 13 Nov 2010 23:29:00 GMT"),
            e("weekday (Mon..Sun)", 0)
        );
        assert_eq!(
            Date::parse("Sat, 13 November 2010 23:29:00 GMT"),
            e("month (Jan..Dec)", 8)
        );
        assert_eq!(
            Date::parse("Sat, 13 Nov 10 23:29:00 GMT"),
            e("four-digit year", 12)
        );
        assert_eq!(Date::parse("Sat, 13 Nov 2010 23-29:00 GMT"), e("':'", 19));
        assert_eq!(
            Date::parse("Sat, 13 Nov 2010 23:29:00 GMT x"),
            e("end of value", 30)
        );
        assert_eq!(
            Date::parse("Sat,13 Nov 2010 23:29:00 GMT"),
            e("white space", 4)
        );
        assert_eq!(
            Date::parse("Sat, 123 Nov 2010 23:29:00 GMT"),
            e("day of month", 5)
        );
        assert_eq!(
            Date::parse("Sat, 30 Feb 2010 23:29:00 GMT"),
            Err(HeaderError::OutOfRange { what: "Date day" })
        );
        assert_eq!(
            Date::parse("Sat, 29 Feb 2100 23:29:00 GMT"),
            Err(HeaderError::OutOfRange { what: "Date day" })
        );
        assert_eq!(
            Date::parse("Sat, 13 Nov 2010 24:00:00 GMT"),
            Err(HeaderError::OutOfRange { what: "Date time" })
        );
        assert!(Date::parse("Sat, 00 Nov 2010 23:29:00 GMT").is_err());
        assert!(Date::parse("Sat, 13 Nov 2010 23:60:00 GMT").is_err());
        assert!(Date::parse("Sat, 13 Nov 2010 23:29 GMT").is_err());
    }

    #[test]
    fn conversions_and_round_trips() {
        assert_eq!(
            Date::new(2010, Month::Nov, 13, 23, 29, 0)
                .unwrap()
                .weekday(),
            Weekday::Sat
        );
        assert_eq!(
            Date::new(2000, Month::Feb, 29, 0, 0, 0).unwrap().weekday(),
            Weekday::Tue
        );
        assert!(Date::new(2001, Month::Feb, 29, 0, 0, 0).is_err());
        assert!(Date::new(10_000, Month::Jan, 1, 0, 0, 0).is_err());
        let old = Date::new(1900, Month::Mar, 1, 0, 0, 0).unwrap();
        assert_eq!(old.unix_time(), -2_203_891_200);
        assert_eq!(old.weekday(), Weekday::Thu);
        assert_eq!(Date::from_unix(u64::MAX), None);
        assert_eq!(Month::from_number(0), None);
        assert_eq!(Month::from_number(12), Some(Month::Dec));
        for secs in [
            0,
            1,
            86_399,
            951_782_400,
            1_289_690_940,
            4_102_444_800,
            253_402_300_799,
        ] {
            let d = Date::from_unix(secs).unwrap();
            assert_eq!(u64::try_from(d.unix_time()).unwrap(), secs);
            assert_eq!(Date::parse(&d.to_string()).unwrap(), d, "{d}");
        }
        assert_eq!(Date::from_unix(253_402_300_800), None);
        let d = Date::new(5, Month::Jan, 1, 0, 0, 0).unwrap();
        assert_eq!(
            d.to_string(),
            format!("{}, 01 Jan 0005 00:00:00 GMT", d.weekday().as_str())
        );
        assert_eq!(Date::parse(&d.to_string()).unwrap(), d);
    }
}
