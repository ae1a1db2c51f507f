//! What to do with a message being stored: keep it, park it for a delay level, or park it as a timer
//! (remoting-protocol.md §9 timer precedence, §14 delay levels, storage-format.md §13.5).

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::message::properties::{
    self, DELAY, TIMER_DELAY_MS, TIMER_DELAY_SEC, TIMER_DELIVER_MS,
};

use super::timer_config::TimerConfig;
use crate::processor::Failure;

/// The decision for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Store it where it was sent.
    AsIs,
    /// Delay level (already clamped to the highest level), parked in SCHEDULE_TOPIC_XXXX queue `level − 1`.
    Level(i32),
    /// Timer message due at this time (ms epoch), parked in the timer topic.
    Timer(i64),
}

/// A cheap pre-check on the raw properties: every property that can defer delivery has "DEL" in its name
/// (`DELAY`, `TIMER_DELAY_SEC`, `TIMER_DELAY_MS`, `TIMER_DELIVER_MS`), so most messages are decided by one
/// substring search.
pub fn might_defer(properties: &str) -> bool {
    properties.contains("DEL")
}

/// The user-settable timer properties, removed when a delay level wins and when a timer is delivered.
pub const TIMER_REQUEST_PROPS: [&str; 3] = [TIMER_DELIVER_MS, TIMER_DELAY_SEC, TIMER_DELAY_MS];

fn illegal(why: String) -> Failure {
    Failure::new(response_code::MESSAGE_ILLEGAL, why)
}

fn parse_timer_value(props: &str, name: &str) -> Result<Option<i64>, Failure> {
    match properties::get(props, name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
            illegal(format!(
                "timer message illegal, the value of {name} is not a number: {v}"
            ))
        }),
    }
}

/// Decides per the precedence rules: `DELAY` > 0 wins (the timer properties are then ignored and removed); else
/// `TIMER_DELAY_SEC` > `TIMER_DELAY_MS` > `TIMER_DELIVER_MS`. A due time at or before `now_ms` stores the message
/// normally; one more than `timerMaxDelaySec` ahead is MESSAGE_ILLEGAL. `levels` is the number of delay levels.
pub fn plan(props: &str, now_ms: i64, levels: usize, timer: &TimerConfig) -> Result<Plan, Failure> {
    let level = properties::get(props, DELAY)
        .and_then(|d| d.trim().parse::<i64>().ok())
        .unwrap_or(0);
    if level > 0 {
        if levels == 0 {
            return Ok(Plan::AsIs);
        }
        return Ok(Plan::Level(level.min(levels as i64) as i32));
    }
    let deliver_ms = if let Some(sec) = parse_timer_value(props, TIMER_DELAY_SEC)? {
        sec.checked_mul(1000).and_then(|ms| now_ms.checked_add(ms))
    } else if let Some(ms) = parse_timer_value(props, TIMER_DELAY_MS)? {
        now_ms.checked_add(ms)
    } else if let Some(at) = parse_timer_value(props, TIMER_DELIVER_MS)? {
        Some(at)
    } else {
        return Ok(Plan::AsIs);
    };
    if !timer.timer_wheel_enable {
        return Err(illegal(
            "accurate timer message is not enabled, timerWheelEnable is false".into(),
        ));
    }
    let max_ms = (timer.timer_max_delay_sec as i64).saturating_mul(1000);
    let Some(deliver_ms) = deliver_ms.filter(|at| at.saturating_sub(now_ms) <= max_ms) else {
        return Err(illegal(format!(
            "timer message illegal, the delay time should not be bigger than the max delay {}s",
            timer.timer_max_delay_sec
        )));
    };
    if deliver_ms <= now_ms {
        return Ok(Plan::AsIs);
    }
    Ok(Plan::Timer(deliver_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::properties::encode_pairs;

    const NOW: i64 = 1_700_000_000_000;

    fn p(pairs: &[(&str, &str)]) -> Result<Plan, Failure> {
        plan(
            &encode_pairs(pairs.iter().copied()),
            NOW,
            18,
            &TimerConfig::default(),
        )
    }

    #[test]
    fn ordinary_and_non_positive_delay_stay() {
        assert_eq!(p(&[("TAGS", "a")]).unwrap(), Plan::AsIs);
        assert_eq!(p(&[("DELAY", "0")]).unwrap(), Plan::AsIs);
        assert_eq!(p(&[("DELAY", "-1")]).unwrap(), Plan::AsIs);
        assert_eq!(p(&[("DELAY", "x")]).unwrap(), Plan::AsIs);
        assert_eq!(p(&[("XDELAY", "3")]).unwrap(), Plan::AsIs);
        assert!(!might_defer("TAGS\u{1}a\u{2}UNIQ_KEY\u{1}AB\u{2}"));
        assert!(might_defer("DELAY\u{1}3\u{2}"));
    }

    #[test]
    fn levels_are_clamped() {
        assert_eq!(p(&[("DELAY", "2")]).unwrap(), Plan::Level(2));
        assert_eq!(p(&[("DELAY", "99")]).unwrap(), Plan::Level(18));
        let none = plan("DELAY\u{1}3\u{2}", NOW, 0, &TimerConfig::default());
        assert_eq!(none.unwrap(), Plan::AsIs);
    }

    #[test]
    fn precedence() {
        // DELAY wins over every timer property.
        let r = p(&[
            ("DELAY", "1"),
            ("TIMER_DELAY_SEC", "100"),
            ("TIMER_DELIVER_MS", "1"),
        ]);
        assert_eq!(r.unwrap(), Plan::Level(1));
        // A bad timer value does not matter when DELAY wins.
        assert_eq!(
            p(&[("DELAY", "1"), ("TIMER_DELAY_SEC", "zz")]).unwrap(),
            Plan::Level(1)
        );
        // SEC > MS > DELIVER_MS.
        let all = [
            ("TIMER_DELAY_SEC", "5"),
            ("TIMER_DELAY_MS", "700"),
            ("TIMER_DELIVER_MS", "1700000100000"),
        ];
        assert_eq!(p(&all).unwrap(), Plan::Timer(NOW + 5000));
        assert_eq!(p(&all[1..]).unwrap(), Plan::Timer(NOW + 700));
        assert_eq!(p(&all[2..]).unwrap(), Plan::Timer(1_700_000_100_000));
    }

    #[test]
    fn past_or_now_is_ordinary() {
        assert_eq!(p(&[("TIMER_DELIVER_MS", "1000")]).unwrap(), Plan::AsIs);
        assert_eq!(
            p(&[("TIMER_DELIVER_MS", &NOW.to_string())]).unwrap(),
            Plan::AsIs
        );
        assert_eq!(p(&[("TIMER_DELAY_MS", "0")]).unwrap(), Plan::AsIs);
        assert_eq!(p(&[("TIMER_DELAY_SEC", "-5")]).unwrap(), Plan::AsIs);
    }

    #[test]
    fn too_long_or_garbage_is_illegal() {
        let three_days = 259_200i64;
        assert_eq!(
            p(&[("TIMER_DELAY_SEC", &three_days.to_string())]).unwrap(),
            Plan::Timer(NOW + three_days * 1000)
        );
        let e = p(&[("TIMER_DELAY_SEC", &(three_days + 1).to_string())]).unwrap_err();
        assert_eq!(e.code, response_code::MESSAGE_ILLEGAL);
        let e = p(&[("TIMER_DELAY_MS", &(three_days * 1000 + 1).to_string())]).unwrap_err();
        assert_eq!(e.code, response_code::MESSAGE_ILLEGAL);
        let e = p(&[("TIMER_DELAY_SEC", &i64::MAX.to_string())]).unwrap_err();
        assert_eq!(
            e.code,
            response_code::MESSAGE_ILLEGAL,
            "overflow is too long"
        );
        let e = p(&[("TIMER_DELIVER_MS", "soon")]).unwrap_err();
        assert_eq!(e.code, response_code::MESSAGE_ILLEGAL);
    }

    #[test]
    fn raised_max_and_disabled_wheel() {
        let week = TimerConfig {
            timer_max_delay_sec: 7 * 24 * 3600,
            ..TimerConfig::default()
        };
        let props = encode_pairs([("TIMER_DELAY_SEC", "604800")]);
        assert_eq!(
            plan(&props, NOW, 18, &week).unwrap(),
            Plan::Timer(NOW + 604_800_000)
        );
        let off = TimerConfig {
            timer_wheel_enable: false,
            ..TimerConfig::default()
        };
        let props = encode_pairs([("TIMER_DELAY_SEC", "5")]);
        assert_eq!(
            plan(&props, NOW, 18, &off).unwrap_err().code,
            response_code::MESSAGE_ILLEGAL
        );
    }
}
