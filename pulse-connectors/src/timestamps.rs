//! Upstream timestamps, in every form they come, to UTC.

use chrono::{DateTime, FixedOffset, Utc};
use pulse_core::model::Timestamp;

/// RFC 3339 (`2019-08-20T09:05:02Z`, GitHub) or Jira's offset without a colon
/// (`2020-06-12T08:13:13.360+0800`), converted to UTC.
pub(crate) fn parse(text: &str) -> Option<Timestamp> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    DateTime::<FixedOffset>::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z").ok().map(|t| t.with_timezone(&Utc))
}

/// [`parse`] for extraction: a bad value is a reason naming it.
pub(crate) fn time(text: &str) -> Result<Timestamp, String> {
    parse(text).ok_or_else(|| format!("{text:?} is not a timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_converted_to_utc() {
        let t = parse("2020-06-12T08:13:13.360+0800").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-06-12T00:13:13.360+00:00");
        assert_eq!(parse("2019-08-20T09:05:02Z").unwrap().to_rfc3339(), "2019-08-20T09:05:02+00:00");
        assert_eq!(parse("2023-06-24T19:24:50.000+0000").unwrap().to_rfc3339(), "2023-06-24T19:24:50+00:00");
        assert!(parse("yesterday").is_none());
    }
}
