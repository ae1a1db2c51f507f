//! Settings of scheduled delivery, taken from the broker config keys `timerMaxDelaySec`, `timerPrecisionMs`,
//! `timerWheelEnable`, `flushDelayOffsetInterval` (Apache's) and `timerRollIntervalMs` (Ferrocket's). They are read
//! afresh from the current config, so UPDATE_BROKER_CONFIG changes them live. An in-process override
//! ([`ScheduleSettings::set_override`]) wins, for embedders and tests.

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
    /// Delivery lateness beyond which a timer delivery is logged and counted as late
    /// ([`super::ScheduleStats::timer_late`]). The service wakes at the due time itself, so lateness is normally
    /// far below this; due times are never rounded (Apache rounds them down to this step, delivering early).
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

impl TimerConfig {
    /// The broker config's timer keys. Out-of-range values (possible only when a config is built in code; parsed
    /// ones are checked) are raised to the smallest workable value rather than trusted.
    pub fn from_broker_config(config: &BrokerConfig) -> Self {
        TimerConfig {
            timer_max_delay_sec: config.timer_max_delay_sec,
            timer_precision_ms: config.timer_precision_ms.max(1),
            timer_wheel_enable: config.timer_wheel_enable,
            flush_delay_offset_interval_ms: config.flush_delay_offset_interval.max(100),
            timer_roll_interval_ms: config.timer_roll_interval_ms.max(1),
        }
    }
}

/// The effective [`TimerConfig`]: the override if set, else what the current broker config says (which
/// UPDATE_BROKER_CONFIG may swap at any time: every reader picks up the new values on its next look).
#[derive(Default)]
pub struct ScheduleSettings {
    override_: Mutex<Option<TimerConfig>>,
}

impl ScheduleSettings {
    pub fn set_override(&self, config: Option<TimerConfig>) {
        *self.override_.lock() = config;
    }

    pub fn current(&self, config: &BrokerConfig) -> TimerConfig {
        match *self.override_.lock() {
            Some(c) => c,
            None => TimerConfig::from_broker_config(config),
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
        assert_eq!(c.timer_precision_ms, 1000);
        assert!(c.timer_wheel_enable);
    }

    #[test]
    fn override_wins_over_the_config() {
        let s = ScheduleSettings::default();
        let mut config = BrokerConfig::default();
        assert_eq!(s.current(&config), TimerConfig::default());
        config.timer_max_delay_sec = 8 * 24 * 3600;
        assert_eq!(s.current(&config).timer_max_delay_sec, 8 * 24 * 3600);
        let week = TimerConfig {
            timer_max_delay_sec: 7 * 24 * 3600,
            ..TimerConfig::default()
        };
        s.set_override(Some(week));
        assert_eq!(s.current(&config), week);
        s.set_override(None);
        assert_eq!(s.current(&config).timer_max_delay_sec, 8 * 24 * 3600);
    }

    #[test]
    fn values_built_in_code_are_made_workable() {
        let config = BrokerConfig {
            timer_precision_ms: 0,
            flush_delay_offset_interval: 0,
            timer_roll_interval_ms: 0,
            ..BrokerConfig::default()
        };
        let c = TimerConfig::from_broker_config(&config);
        assert_eq!(c.timer_precision_ms, 1);
        assert_eq!(c.flush_delay_offset_interval_ms, 100);
        assert_eq!(c.timer_roll_interval_ms, 1);
    }
}
