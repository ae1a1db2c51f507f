//! Settings of scheduled delivery that Apache keeps in its broker/store config (`timerMaxDelaySec`,
//! `timerPrecisionMs`, `timerWheelEnable`, `flushDelayOffsetInterval`).
//!
//! [`BrokerConfig`] does not define these keys (yet), so they are looked up by their Apache name in the config's
//! serialized form: once a field with that name exists there (or is set through a future config change), it is
//! used; until then Apache's defaults apply. An in-process override ([`ScheduleSettings::set_override`]) wins over
//! both, for embedders and tests.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::config::BrokerConfig;

/// Apache's `timerMaxDelaySec` default: 3 days.
pub const DEFAULT_TIMER_MAX_DELAY_SEC: u64 = 259_200;
/// Apache's `timerPrecisionMs` default.
pub const DEFAULT_TIMER_PRECISION_MS: u64 = 1_000;
/// Apache's `flushDelayOffsetInterval` default.
pub const DEFAULT_FLUSH_DELAY_OFFSET_INTERVAL_MS: u64 = 10_000;
/// How long a timer stays parked in one record before it is re-parked (a day: well inside the default 72 h
/// `fileReservedTime`, so retention never deletes a parked timer that is not yet due).
pub const DEFAULT_TIMER_ROLL_INTERVAL_MS: u64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// Longest accepted timer delay; longer → MESSAGE_ILLEGAL.
    pub timer_max_delay_sec: u64,
    /// Upper bound of the delivery lag the timer service promises (it wakes at the due time itself, so it is
    /// normally far below this).
    pub timer_precision_ms: u64,
    /// Whether timer messages are accepted at all (Apache rejects them with MESSAGE_ILLEGAL when off).
    pub timer_wheel_enable: bool,
    /// How often changed delay offsets and the timer checkpoint are written.
    pub flush_delay_offset_interval_ms: u64,
    /// A timer due later than this after its record was stored is re-parked (a fresh copy appended) at that
    /// point, so long timers (`timerMaxDelaySec` raised past the retention time) outlive commit-log cleanup.
    /// Ferrocket's own key: `timerRollIntervalMs`.
    pub timer_roll_interval_ms: u64,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            timer_max_delay_sec: DEFAULT_TIMER_MAX_DELAY_SEC,
            timer_precision_ms: DEFAULT_TIMER_PRECISION_MS,
            timer_wheel_enable: true,
            flush_delay_offset_interval_ms: DEFAULT_FLUSH_DELAY_OFFSET_INTERVAL_MS,
            timer_roll_interval_ms: DEFAULT_TIMER_ROLL_INTERVAL_MS,
        }
    }
}

fn as_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl TimerConfig {
    /// The keys found in `config` (by Apache name), defaults for the rest.
    pub fn from_broker_config(config: &BrokerConfig) -> Self {
        let mut c = TimerConfig::default();
        let Ok(serde_json::Value::Object(map)) = serde_json::to_value(config) else {
            return c;
        };
        if let Some(v) = map.get("timerMaxDelaySec").and_then(as_u64) {
            c.timer_max_delay_sec = v;
        }
        if let Some(v) = map.get("timerPrecisionMs").and_then(as_u64) {
            c.timer_precision_ms = v.max(1);
        }
        if let Some(v) = map.get("timerWheelEnable").and_then(as_bool) {
            c.timer_wheel_enable = v;
        }
        if let Some(v) = map.get("flushDelayOffsetInterval").and_then(as_u64) {
            c.flush_delay_offset_interval_ms = v.max(100);
        }
        if let Some(v) = map.get("timerRollIntervalMs").and_then(as_u64) {
            c.timer_roll_interval_ms = v.max(1);
        }
        c
    }
}

/// The effective [`TimerConfig`]: the override if set, else what the current broker config says (re-read only
/// when the config object is swapped, e.g. by UPDATE_BROKER_CONFIG).
#[derive(Default)]
pub struct ScheduleSettings {
    override_: Mutex<Option<TimerConfig>>,
    cached: Mutex<Option<(Arc<BrokerConfig>, TimerConfig)>>,
}

impl ScheduleSettings {
    pub fn set_override(&self, config: Option<TimerConfig>) {
        *self.override_.lock() = config;
    }

    pub fn current(&self, config: &Arc<BrokerConfig>) -> TimerConfig {
        if let Some(c) = *self.override_.lock() {
            return c;
        }
        let mut cached = self.cached.lock();
        match &*cached {
            // Holding the Arc keeps its address from being reused, so pointer equality is identity.
            Some((seen, c)) if Arc::ptr_eq(seen, config) => *c,
            _ => {
                let c = TimerConfig::from_broker_config(config);
                *cached = Some((config.clone(), c));
                c
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_apaches() {
        let c = TimerConfig::from_broker_config(&BrokerConfig::default());
        assert_eq!(c, TimerConfig::default());
        assert_eq!(c.timer_max_delay_sec, 3 * 24 * 3600);
        assert!(c.timer_wheel_enable);
    }

    #[test]
    fn override_wins_and_config_is_cached_per_object() {
        let s = ScheduleSettings::default();
        let a = Arc::new(BrokerConfig::default());
        assert_eq!(
            s.current(&a).timer_max_delay_sec,
            DEFAULT_TIMER_MAX_DELAY_SEC
        );
        let week = TimerConfig {
            timer_max_delay_sec: 7 * 24 * 3600,
            ..TimerConfig::default()
        };
        s.set_override(Some(week));
        assert_eq!(s.current(&a), week);
        s.set_override(None);
        let b = Arc::new(BrokerConfig::default());
        assert_eq!(s.current(&b), TimerConfig::default());
    }

    #[test]
    fn values_may_be_numbers_or_text() {
        assert_eq!(as_u64(&serde_json::json!(5)), Some(5));
        assert_eq!(as_u64(&serde_json::json!(" 7 ")), Some(7));
        assert_eq!(as_u64(&serde_json::json!(-1)), None);
        assert_eq!(as_bool(&serde_json::json!("false")), Some(false));
        assert_eq!(as_bool(&serde_json::json!(true)), Some(true));
    }
}
