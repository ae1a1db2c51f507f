//! Rates and daily totals for GET_BROKER_RUNTIME_INFO, sampled once a second from the store's counters, as Apache's
//! StoreStatsService and BrokerStats do: TPS over the last 10 s, 60 s and 600 s, and put/get totals at the last two
//! (UTC) midnights.
//!
//! One sampler per store: [`stats_for`] returns it, starting its sampling task the first time it is asked (the server
//! may call it at start so the rates are available early).

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use ferrocket_store::{MessageStore, StoreStats};
use parking_lot::Mutex;

/// Longest TPS window, in samples (one per second), plus one.
const MAX_SAMPLES: usize = 601;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    at_ms: i64,
    put: u64,
    get_total: u64,
    get_found: u64,
}

#[derive(Debug, Default)]
struct Samples {
    snapshots: VecDeque<Snapshot>,
    day: i64,
    put_yesterday_morning: u64,
    put_today_morning: u64,
    get_yesterday_morning: u64,
    get_today_morning: u64,
}

/// Sampled counters of one store.
#[derive(Debug, Default)]
pub struct BrokerStats {
    inner: Mutex<Samples>,
}

/// The figures runtime info reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeRates {
    /// "10s 60s 600s" TPS, Apache's format; a window not yet covered by samples is left empty.
    pub put_tps: String,
    pub get_found_tps: String,
    pub get_miss_tps: String,
    pub get_total_tps: String,
    pub put_total_yesterday_morning: u64,
    pub put_total_today_morning: u64,
    pub get_total_yesterday_morning: u64,
    pub get_total_today_morning: u64,
}

impl BrokerStats {
    /// Records the store's counters as of `now_ms`; rolls the daily totals at each UTC midnight.
    pub fn sample(&self, stats: &StoreStats, now_ms: i64) {
        let snap = Snapshot {
            at_ms: now_ms,
            put: stats.put_message_times,
            get_total: stats.get_message_times,
            get_found: stats.get_message_found,
        };
        let mut s = self.inner.lock();
        let day = now_ms.div_euclid(DAY_MS);
        if s.snapshots.is_empty() {
            // At boot every daily mark is the current total, as in Apache.
            s.day = day;
            s.put_yesterday_morning = snap.put;
            s.put_today_morning = snap.put;
            s.get_yesterday_morning = snap.get_found;
            s.get_today_morning = snap.get_found;
        } else if day != s.day {
            s.day = day;
            s.put_yesterday_morning = s.put_today_morning;
            s.put_today_morning = snap.put;
            s.get_yesterday_morning = s.get_today_morning;
            s.get_today_morning = snap.get_found;
        }
        s.snapshots.push_back(snap);
        while s.snapshots.len() > MAX_SAMPLES {
            s.snapshots.pop_front();
        }
    }

    pub fn rates(&self) -> RuntimeRates {
        let s = self.inner.lock();
        let tps = |window: usize, f: fn(&Snapshot) -> u64| -> String {
            let n = s.snapshots.len();
            if n <= window {
                return String::new();
            }
            let last = s.snapshots[n - 1];
            let before = s.snapshots[n - 1 - window];
            let ms = (last.at_ms - before.at_ms).max(1) as f64;
            let diff = f(&last).saturating_sub(f(&before)) as f64;
            format!("{}", diff * 1000.0 / ms)
        };
        let three = |f: fn(&Snapshot) -> u64| {
            [10, 60, 600]
                .iter()
                .map(|w| tps(*w, f))
                .collect::<Vec<_>>()
                .join(" ")
        };
        RuntimeRates {
            put_tps: three(|x| x.put),
            get_found_tps: three(|x| x.get_found),
            get_miss_tps: three(|x| x.get_total.saturating_sub(x.get_found)),
            get_total_tps: three(|x| x.get_total),
            put_total_yesterday_morning: s.put_yesterday_morning,
            put_total_today_morning: s.put_today_morning,
            get_total_yesterday_morning: s.get_yesterday_morning,
            get_total_today_morning: s.get_today_morning,
        }
    }
}

type Registry = Vec<(Weak<MessageStore>, Arc<BrokerStats>)>;

static REGISTRY: Mutex<Registry> = Mutex::new(Vec::new());

/// The sampler of `store`, started (a tokio task sampling every second until the store is dropped or shut down) on
/// first use. Must be called inside a tokio runtime.
pub fn stats_for(store: &Arc<MessageStore>) -> Arc<BrokerStats> {
    let mut reg = REGISTRY.lock();
    reg.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, s)) = reg
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(store)))
    {
        return s.clone();
    }
    let stats = Arc::new(BrokerStats::default());
    stats.sample(&store.stats(), store.now_ms());
    reg.push((Arc::downgrade(store), stats.clone()));
    let weak = Arc::downgrade(store);
    let sampler = stats.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(store) = weak.upgrade() else { return };
            if store.is_shut_down() {
                return;
            }
            sampler.sample(&store.stats(), store.now_ms());
        }
    });
    stats
}

/// Apache's `humanReadableByteCount(bytes, false)`: `512 B`, `1.5 KiB`, `3.0 GiB`.
pub fn human_readable_bytes(bytes: i64) -> String {
    const UNIT: f64 = 1024.0;
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let b = bytes as f64;
    let exp = ((b.ln() / UNIT.ln()) as usize).clamp(1, 6);
    let prefix = "KMGTPE".as_bytes()[exp - 1] as char;
    format!("{:.1} {}iB", b / UNIT.powi(exp as i32), prefix)
}

/// Apache's runtime format `[ D days, H hours, M minutes, S seconds ]`.
pub fn format_runtime(elapsed_ms: i64) -> String {
    let s = elapsed_ms.max(0) / 1000;
    format!(
        "[ {} days, {} hours, {} minutes, {} seconds ]",
        s / 86_400,
        (s % 86_400) / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(put: u64, get_total: u64, get_found: u64) -> StoreStats {
        StoreStats {
            put_message_times: put,
            get_message_times: get_total,
            get_message_found: get_found,
            ..StoreStats::default()
        }
    }

    #[test]
    fn tps_windows_and_daily_marks() {
        let b = BrokerStats::default();
        let t0 = 10 * DAY_MS - 5_000;
        for i in 0..12 {
            b.sample(&st(i * 100, i * 10, i * 4), t0 + i as i64 * 1000);
        }
        let r = b.rates();
        assert_eq!(r.put_tps, "100  ", "only the 10 s window is covered");
        assert_eq!(r.get_found_tps, "4  ");
        assert_eq!(r.get_miss_tps, "6  ");
        assert_eq!(r.get_total_tps, "10  ");
        // Crossed midnight at sample 5 (t0 + 5 s): today's morning = total then.
        assert_eq!(r.put_total_yesterday_morning, 0);
        assert_eq!(r.put_total_today_morning, 500);
        assert_eq!(r.get_total_today_morning, 20);
    }

    #[test]
    fn formats() {
        assert_eq!(human_readable_bytes(512), "512 B");
        assert_eq!(human_readable_bytes(1536), "1.5 KiB");
        assert_eq!(human_readable_bytes(3 << 30), "3.0 GiB");
        assert_eq!(
            format_runtime(90_061_000),
            "[ 1 days, 1 hours, 1 minutes, 1 seconds ]"
        );
    }
}
