//! Calendar dates: the reference date an age is counted against, and FHIR `date` values, which
//! may be partial (`1952`, `1952-03`).

use std::fmt;
use std::str::FromStr;

/// A calendar date (proleptic Gregorian), as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date (expected YYYY-MM-DD)")]
pub struct DateError(pub String);

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// A date, if it exists (years 1 to 9999).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let ok = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Today's date in UTC, from the system clock.
    pub fn today_utc() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's civil-from-days algorithm).
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Completed years from `birth` to `self`: a birthday counts on the day itself.
    pub fn years_since(self, birth: Date) -> Option<u32> {
        let mut years = self.year - birth.year;
        if (self.month, self.day) < (birth.month, birth.day) {
            years -= 1;
        }
        u32::try_from(years).ok()
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let bad = || DateError(s.to_string());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, m as u8, d as u8).ok_or_else(bad)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A FHIR `date`: a year, a year and month, or a full date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PartialDate {
    Year(i32),
    YearMonth(i32, u8),
    Full(Date),
}

impl PartialDate {
    pub(crate) fn parse(s: &str) -> Option<PartialDate> {
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        match s.len() {
            4 if digits(s) => {
                let y: i32 = s.parse().ok()?;
                Date::new(y, 1, 1).map(|_| PartialDate::Year(y))
            }
            7 if digits(&s[..4]) && &s[4..5] == "-" && digits(&s[5..]) => {
                let (y, m): (i32, u8) = (s[..4].parse().ok()?, s[5..].parse().ok()?);
                Date::new(y, m, 1).map(|_| PartialDate::YearMonth(y, m))
            }
            10 => s.parse().ok().map(PartialDate::Full),
            _ => None,
        }
    }

    /// Completed years at `as_of`. A partial date gives the highest age it allows (born on the
    /// first day of the year or month), so age-based limits err on the cautious side.
    pub(crate) fn age_at(self, as_of: Date) -> Option<u32> {
        let earliest = match self {
            PartialDate::Year(y) => Date::new(y, 1, 1)?,
            PartialDate::YearMonth(y, m) => Date::new(y, m, 1)?,
            PartialDate::Full(d) => d,
        };
        if earliest > as_of {
            return None;
        }
        as_of.years_since(earliest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn parses_only_real_dates() {
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2024-13-01".parse::<Date>().is_err());
        assert!("2024-1-01".parse::<Date>().is_err());
        assert!("+024-01-01".parse::<Date>().is_err());
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(Date::from_days_since_epoch(0), d("1970-01-01"));
        assert_eq!(Date::from_days_since_epoch(19_782), d("2024-02-29"));
        assert_eq!(Date::from_days_since_epoch(-1), d("1969-12-31"));
        assert!(Date::today_utc() > d("2024-01-01"));
    }

    #[test]
    fn age_counts_the_birthday_itself() {
        let birth = PartialDate::parse("1959-06-15").unwrap();
        assert_eq!(birth.age_at(d("2024-06-14")), Some(64));
        assert_eq!(birth.age_at(d("2024-06-15")), Some(65));
        assert_eq!(birth.age_at(d("1959-06-14")), None);
        // A partial date takes the oldest age it allows.
        assert_eq!(
            PartialDate::parse("1959").unwrap().age_at(d("2024-06-14")),
            Some(65)
        );
        assert_eq!(
            PartialDate::parse("1959-07")
                .unwrap()
                .age_at(d("2024-06-14")),
            Some(64)
        );
        assert!(PartialDate::parse("1959-13").is_none());
        assert!(PartialDate::parse("59").is_none());
    }
}
