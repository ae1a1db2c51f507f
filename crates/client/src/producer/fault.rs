//! Latency-based fault avoidance: a broker that just failed, or answered very slowly, is skipped for a while when
//! choosing a queue (other brokers' queues are preferred; with no alternative it is still used).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;

/// (latency at least, skip the broker for): slower answers bench a broker longer. A failed call counts as
/// [`FAILURE_LATENCY`].
const BACKOFF: &[(Duration, Duration)] = &[
    (Duration::from_millis(15_000), Duration::from_secs(120)),
    (Duration::from_millis(3_000), Duration::from_secs(60)),
    (Duration::from_millis(2_000), Duration::from_secs(30)),
    (Duration::from_millis(1_000), Duration::from_secs(10)),
    (Duration::from_millis(550), Duration::from_secs(2)),
];

/// What a failed send (transport error or a retryable broker code) counts as.
pub const FAILURE_LATENCY: Duration = Duration::from_millis(3_000);

#[derive(Debug)]
pub struct LatencyFaultTolerance {
    enabled: bool,
    /// brokerName → not available before.
    benched: RwLock<HashMap<String, Instant>>,
    /// Fast path: nothing benched (the common case) needs no lock at all.
    any: AtomicBool,
}

impl LatencyFaultTolerance {
    pub fn new(enabled: bool) -> Self {
        LatencyFaultTolerance {
            enabled,
            benched: RwLock::new(HashMap::new()),
            any: AtomicBool::new(false),
        }
    }

    /// How long a call that took `latency` benches its broker.
    pub fn backoff_for(latency: Duration) -> Duration {
        BACKOFF
            .iter()
            .find(|(at_least, _)| latency >= *at_least)
            .map_or(Duration::ZERO, |(_, d)| *d)
    }

    /// Records a call's outcome. `failed` calls count as [`FAILURE_LATENCY`] at least.
    pub fn record(&self, broker: &str, latency: Duration, failed: bool) {
        self.record_at(broker, latency, failed, Instant::now());
    }

    pub(crate) fn record_at(&self, broker: &str, latency: Duration, failed: bool, now: Instant) {
        if !self.enabled {
            return;
        }
        let latency = if failed {
            latency.max(FAILURE_LATENCY)
        } else {
            latency
        };
        let backoff = Self::backoff_for(latency);
        if backoff.is_zero() {
            if self.any.load(Ordering::Relaxed) {
                // A good answer clears an earlier penalty.
                self.benched.write().remove(broker);
            }
            return;
        }
        self.benched
            .write()
            .insert(broker.to_owned(), now + backoff);
        self.any.store(true, Ordering::Relaxed);
    }

    pub fn is_available(&self, broker: &str) -> bool {
        self.is_available_at(broker, Instant::now())
    }

    pub(crate) fn is_available_at(&self, broker: &str, now: Instant) -> bool {
        if !self.enabled || !self.any.load(Ordering::Relaxed) {
            return true;
        }
        match self.benched.read().get(broker) {
            Some(until) => now >= *until,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_table() {
        assert_eq!(
            LatencyFaultTolerance::backoff_for(Duration::from_millis(5)),
            Duration::ZERO
        );
        assert_eq!(
            LatencyFaultTolerance::backoff_for(Duration::from_millis(600)),
            Duration::from_secs(2)
        );
        assert_eq!(
            LatencyFaultTolerance::backoff_for(Duration::from_secs(20)),
            Duration::from_secs(120)
        );
    }

    #[test]
    fn failure_benches_until_it_expires_and_success_clears() {
        let f = LatencyFaultTolerance::new(true);
        let t0 = Instant::now();
        assert!(f.is_available_at("a", t0));
        f.record_at("a", Duration::from_millis(1), true, t0);
        assert!(!f.is_available_at("a", t0 + Duration::from_secs(59)));
        assert!(f.is_available_at("b", t0));
        assert!(f.is_available_at("a", t0 + Duration::from_secs(61)));
        f.record_at("a", Duration::from_millis(1), true, t0);
        f.record_at("a", Duration::from_millis(3), false, t0);
        assert!(f.is_available_at("a", t0));
    }

    #[test]
    fn disabled_never_benches() {
        let f = LatencyFaultTolerance::new(false);
        f.record("a", Duration::from_secs(30), true);
        assert!(f.is_available("a"));
    }
}
