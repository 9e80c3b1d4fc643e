//! Dates and times as users type them on a command line or in a query string.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp (converted to UTC).
pub fn parse_date_or_timestamp(text: &str) -> Result<Timestamp> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::invalid("date", format!("{text:?} is neither YYYY-MM-DD nor an RFC 3339 timestamp")))
}

/// Midnight UTC at the start of `t`'s day.
pub fn start_of_day(t: Timestamp) -> Timestamp {
    t.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_and_timestamps() {
        let midnight = Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap();
        assert_eq!(parse_date_or_timestamp("2026-01-31").unwrap(), midnight);
        assert_eq!(parse_date_or_timestamp("2026-01-31T02:00:00+02:00").unwrap(), midnight);
        assert_eq!(parse_date_or_timestamp("2026-01-31T00:00:00Z").unwrap(), midnight);
        for bad in ["2026-02-30", "31/01/2026", "2026-01-31T25:00:00Z", ""] {
            let err = parse_date_or_timestamp(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid date"), "{bad}: {err}");
        }
    }

    #[test]
    fn start_of_day_truncates() {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 13, 14, 15).unwrap();
        assert_eq!(start_of_day(t), Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap());
    }
}
