//! Counters and HDR latency histograms shared by the bench workers, the live reporter and the final summary.
//!
//! Latencies are recorded in microseconds. Two histograms per metric: one for the current report interval
//! (reset at each report) and one for the whole measured run. During the warm-up nothing reaches the
//! histograms or the measured counters; the all-time counters still count (so `-q` covers warm-up messages).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde_json::json;

/// Highest latency the histograms track: one hour (a consumer draining an old backlog sees large store-to-consume
/// times).
const MAX_US: u64 = 3_600_000_000;

fn new_hist() -> Histogram<u64> {
    // 3 significant digits over 1 µs .. 1 h; the bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds")
}

/// One latency metric: interval and whole-run histograms.
pub struct Latency {
    interval: Histogram<u64>,
    total: Histogram<u64>,
}

impl Latency {
    fn new() -> Self {
        Latency {
            interval: new_hist(),
            total: new_hist(),
        }
    }

    fn record(&mut self, us: u64) {
        let v = us.clamp(1, MAX_US);
        // saturating_record cannot fail for values within the bounds.
        self.interval.saturating_record(v);
        self.total.saturating_record(v);
    }
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        json!({"p50": self.p50, "p90": self.p90, "p99": self.p99, "p999": self.p999, "max": self.max})
    }
}

/// Everything one bench run counts.
pub struct Stats {
    /// All-time counters (warm-up included).
    pub ok: AtomicU64,
    pub failed: AtomicU64,
    /// Counters of the measured window.
    measured_ok: AtomicU64,
    measured_failed: AtomicU64,
    measured_bytes: AtomicU64,
    measuring: AtomicBool,
    measure_start: OnceLock<Instant>,
    /// When the last measured message was recorded, as nanoseconds after `base`.
    base: Instant,
    last_record_ns: AtomicU64,
    /// [primary, secondary] latency (producer: send RT / unused; consumer: store→consume / born→consume).
    latency: Mutex<[Latency; 2]>,
}

impl Stats {
    /// Measuring starts at once when `warmup` is false, else at [`Stats::start_measuring`].
    pub fn new(warmup: bool) -> Self {
        let s = Self::blank(!warmup);
        if !warmup {
            let _ = s.measure_start.set(Instant::now());
        }
        s
    }

    /// Measuring from the first recorded message (a consumer's clock should not include its start-up).
    pub fn new_from_first_message() -> Self {
        Self::blank(true)
    }

    fn blank(measuring: bool) -> Self {
        Stats {
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            measured_ok: AtomicU64::new(0),
            measured_failed: AtomicU64::new(0),
            measured_bytes: AtomicU64::new(0),
            measuring: AtomicBool::new(measuring),
            measure_start: OnceLock::new(),
            base: Instant::now(),
            last_record_ns: AtomicU64::new(0),
            latency: Mutex::new([Latency::new(), Latency::new()]),
        }
    }

    pub fn start_measuring(&self) {
        if self.measure_start.set(Instant::now()).is_ok() {
            self.measuring.store(true, Ordering::SeqCst);
        }
    }

    pub fn is_measuring(&self) -> bool {
        self.measuring.load(Ordering::Relaxed)
    }

    /// `msgs` messages of `bytes` body bytes succeeded; `latency_us` = [primary, secondary (None: not measured)].
    pub fn record_ok(&self, msgs: u64, bytes: u64, primary_us: u64, secondary_us: Option<u64>) {
        self.ok.fetch_add(msgs, Ordering::Relaxed);
        if !self.is_measuring() {
            return;
        }
        self.measure_start.get_or_init(Instant::now);
        self.last_record_ns
            .fetch_max(self.base.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.measured_ok.fetch_add(msgs, Ordering::Relaxed);
        self.measured_bytes.fetch_add(bytes, Ordering::Relaxed);
        let mut l = self.latency.lock();
        l[0].record(primary_us);
        if let Some(s) = secondary_us {
            l[1].record(s);
        }
    }

    pub fn record_failed(&self, msgs: u64) {
        self.failed.fetch_add(msgs, Ordering::Relaxed);
        if self.is_measuring() {
            self.measured_failed.fetch_add(msgs, Ordering::Relaxed);
        }
    }

    /// Measured counters now: (ok, failed, bytes).
    pub fn measured(&self) -> (u64, u64, u64) {
        (
            self.measured_ok.load(Ordering::Relaxed),
            self.measured_failed.load(Ordering::Relaxed),
            self.measured_bytes.load(Ordering::Relaxed),
        )
    }

    /// Percentiles of the interval since the last call (which resets them): [primary, secondary].
    pub fn take_interval(&self) -> [Percentiles; 2] {
        let mut l = self.latency.lock();
        let out = [
            Percentiles::of(&l[0].interval),
            Percentiles::of(&l[1].interval),
        ];
        l[0].interval.reset();
        l[1].interval.reset();
        out
    }

    /// Percentiles of the whole measured run: [primary, secondary].
    pub fn totals(&self) -> [Percentiles; 2] {
        let l = self.latency.lock();
        [Percentiles::of(&l[0].total), Percentiles::of(&l[1].total)]
    }

    /// When measuring started.
    pub fn measure_start(&self) -> Option<Instant> {
        self.measure_start.get().copied()
    }

    /// Seconds measured so far.
    pub fn measured_seconds(&self) -> f64 {
        self.measure_start
            .get()
            .map_or(0.0, |s| s.elapsed().as_secs_f64())
    }

    /// Seconds from the start of measuring to the last measured message (0 if none): the window that rates are
    /// computed over, so an idle tail (a drained backlog, the wait for `--duration`) does not dilute them.
    pub fn active_seconds(&self) -> f64 {
        let Some(start) = self.measure_start.get() else {
            return 0.0;
        };
        let last = self.base
            + std::time::Duration::from_nanos(self.last_record_ns.load(Ordering::Relaxed));
        last.saturating_duration_since(*start).as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_warmup() {
        let s = Stats::new(true);
        s.record_ok(1, 100, 5_000, None);
        s.record_failed(1);
        assert_eq!(s.measured(), (0, 0, 0), "warm-up is not measured");
        assert_eq!(s.ok.load(Ordering::Relaxed), 1);
        s.start_measuring();
        for i in 1..=1000u64 {
            s.record_ok(1, 10, i * 1000, Some(2 * i * 1000));
        }
        s.record_failed(2);
        assert_eq!(s.measured(), (1000, 2, 10_000));
        let [p, b] = s.totals();
        assert_eq!(p.count, 1000);
        assert!((p.p50 - 500.0).abs() < 1.0, "{p:?}");
        assert!((p.p99 - 990.0).abs() < 1.5, "{p:?}");
        assert!((p.max - 1000.0).abs() < 1.0, "{p:?}");
        assert!((b.p50 - 1000.0).abs() < 2.0, "{b:?}");
        let [i, _] = s.take_interval();
        assert_eq!(i.count, 1000);
        let [i, _] = s.take_interval();
        assert_eq!(i.count, 0, "interval resets");
        assert_eq!(s.totals()[0].count, 1000, "totals do not");
    }
}
