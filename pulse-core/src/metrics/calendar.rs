//! Query windows and the calendar periods that overlap them (UTC).

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// A half-open window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Window {
    pub fn new(from: Timestamp, to: Timestamp) -> Result<Self> {
        if to <= from {
            return Err(Error::invalid("window", format!("`to` ({to}) must be after `from` ({from})")));
        }
        Ok(Self { from, to })
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }

    /// Length in days (fractional).
    pub fn days(&self) -> f64 {
        (self.to - self.from).num_seconds() as f64 / 86_400.0
    }

    /// The periods of `kind` that overlap the window, each clipped to it.
    pub fn periods(&self, kind: Period) -> Vec<Window> {
        let mut out = Vec::new();
        let mut start = kind.start_of(self.from);
        while start < self.to {
            let end = kind.next(start);
            out.push(Window { from: start.max(self.from), to: end.min(self.to) });
            start = end;
        }
        out
    }

    /// The periods of `kind` overlapping the window, unclipped (whole weeks or months).
    pub fn whole_periods(&self, kind: Period) -> Vec<Window> {
        let mut out = Vec::new();
        let mut start = kind.start_of(self.from);
        while start < self.to {
            let end = kind.next(start);
            out.push(Window { from: start, to: end });
            start = end;
        }
        out
    }
}

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO week, Monday to Sunday.
    Week,
    Month,
    /// January–June or July–December.
    HalfYear,
}

impl Period {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            other => Err(Error::invalid("interval", format!("{other:?} is not one of week, month"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::HalfYear => "half_year",
        }
    }

    fn start_of(self, t: Timestamp) -> Timestamp {
        let date = t.date_naive();
        let start = match self {
            Period::Week => date - Duration::days(date.weekday().num_days_from_monday() as i64),
            Period::Month => first_of(date.year(), date.month()),
            Period::HalfYear => first_of(date.year(), if date.month() <= 6 { 1 } else { 7 }),
        };
        midnight(start)
    }

    fn next(self, start: Timestamp) -> Timestamp {
        let date = start.date_naive();
        let next = match self {
            Period::Week => date + Duration::days(7),
            Period::Month => add_months(date, 1),
            Period::HalfYear => add_months(date, 6),
        };
        midnight(next)
    }
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists")
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 + months as i32;
    first_of(index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

fn midnight(date: NaiveDate) -> Timestamp {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_are_clipped() {
        // 2026-01-01 is a Thursday.
        let w = Window::new(day(2026, 1, 1), day(2026, 1, 15)).unwrap();
        let weeks = w.periods(Period::Week);
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[0], Window { from: day(2026, 1, 1), to: day(2026, 1, 5) });
        assert_eq!(weeks[1], Window { from: day(2026, 1, 5), to: day(2026, 1, 12) });
        assert_eq!(weeks[2], Window { from: day(2026, 1, 12), to: day(2026, 1, 15) });
        assert_eq!(w.whole_periods(Period::Week)[0].from, day(2025, 12, 29));
    }

    #[test]
    fn months_and_half_years() {
        let w = Window::new(day(2025, 11, 15), day(2026, 2, 1)).unwrap();
        let months: Vec<Timestamp> = w.periods(Period::Month).iter().map(|p| p.from).collect();
        assert_eq!(months, [day(2025, 11, 15), day(2025, 12, 1), day(2026, 1, 1)]);
        let halves = w.whole_periods(Period::HalfYear);
        assert_eq!(
            halves.iter().map(|p| (p.from, p.to)).collect::<Vec<_>>(),
            [(day(2025, 7, 1), day(2026, 1, 1)), (day(2026, 1, 1), day(2026, 7, 1))]
        );
    }

    #[test]
    fn empty_or_reversed_windows_are_errors() {
        assert!(Window::new(day(2026, 1, 2), day(2026, 1, 1)).is_err());
        assert!(Window::new(day(2026, 1, 1), day(2026, 1, 1)).is_err());
    }
}
