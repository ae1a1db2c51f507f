//! Local-time formats Apache's tools print and accept.

use anyhow::{anyhow, Context};
use chrono::{Local, NaiveDateTime, TimeZone};

/// `yyyy-MM-dd HH:mm:ss,SSS` in local time (message and topic timestamps).
pub fn human_ms(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S,%3f").to_string(),
        None => ms.to_string(),
    }
}

/// `yyyy-MM-dd HH:mm:ss` in local time (consumer progress).
pub fn date_time(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => ms.to_string(),
    }
}

/// `yyyyMMddHHmmssSSS` in local time (Java's `UtilAll.timeMillisToHumanString`, used in running-info reports).
pub fn compact_ms(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y%m%d%H%M%S%3f").to_string(),
        None => ms.to_string(),
    }
}

/// A time given on the command line: `now`, milliseconds since the epoch, or local `yyyy-MM-dd#HH:mm:ss:SSS`.
pub fn parse_time(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(now_ms());
    }
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d#%H:%M:%S:%3f").with_context(|| {
        format!("time `{s}`: expected now, milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS")
    })?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| anyhow!("time `{s}` does not exist in the local time zone"))
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse_time("1700000000000").unwrap(), 1_700_000_000_000);
        let now = parse_time("now").unwrap();
        assert!((now - now_ms()).abs() < 5_000);
        let t = parse_time("2024-03-01#12:34:56:789").unwrap();
        assert_eq!(human_ms(t), "2024-03-01 12:34:56,789");
        assert_eq!(date_time(t), "2024-03-01 12:34:56");
        assert_eq!(compact_ms(t), "20240301123456789");
        assert!(parse_time("yesterday").is_err());
    }
}
