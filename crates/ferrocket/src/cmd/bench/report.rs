//! The live progress line (indicatif on a terminal, plain lines otherwise), the final summary and the `--json`
//! result file.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::stats::{Percentiles, Stats};
use super::StopReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Producer,
    Consumer,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::Consumer => "consumer",
        }
    }
}

/// Prints a progress line every `interval` until stopped; ends the warm-up when it is over.
pub struct Reporter {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

fn ms(v: f64) -> String {
    format!("{v:.2}")
}

fn line(
    role: Role,
    elapsed: f64,
    tps: f64,
    mbps: f64,
    failed: u64,
    lat: &[Percentiles; 2],
) -> String {
    let [p, b] = lat;
    match role {
        Role::Producer => format!(
            "[{elapsed:7.1}s] Send TPS: {tps:.0} | MB/s: {mbps:.2} | RT(ms) p50: {} p99: {} max: {} | Send Failed: {failed}",
            ms(p.p50),
            ms(p.p99),
            ms(p.max)
        ),
        Role::Consumer => format!(
            "[{elapsed:7.1}s] Consume TPS: {tps:.0} | MB/s: {mbps:.2} | S2C(ms) p50: {} p99: {} max: {} | \
             B2C(ms) p50: {} p99: {} max: {} | Consume Failed: {failed}",
            ms(p.p50),
            ms(p.p99),
            ms(p.max),
            ms(b.p50),
            ms(b.p99),
            ms(b.max)
        ),
    }
}

impl Reporter {
    pub fn spawn(stats: Arc<Stats>, role: Role, interval: Duration, warmup: Duration) -> Reporter {
        let stop = CancellationToken::new();
        let token = stop.clone();
        // The warm-up ends on its own clock, whatever the report interval.
        let (warm_stats, warm_token) = (stats.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(warmup) => warm_stats.start_measuring(),
                _ = warm_token.cancelled() => {}
            }
        });
        let task = tokio::spawn(async move {
            let bar = std::io::stdout().is_terminal().then(|| {
                let b = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                    b.set_style(style);
                }
                b.enable_steady_tick(Duration::from_millis(200));
                b
            });
            let started = Instant::now();
            // Counts start at zero when the reporter starts, so nothing consumed before the first tick is lost.
            let mut last = (started, (0u64, 0u64, 0u64));
            let mut ticker = tokio::time::interval(interval);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = ticker.tick() => {}
                }
                if !stats.is_measuring() {
                    let text = format!(
                        "[{:7.1}s] warming up: {} ok, {} failed",
                        started.elapsed().as_secs_f64(),
                        stats.ok.load(std::sync::atomic::Ordering::Relaxed),
                        stats.failed.load(std::sync::atomic::Ordering::Relaxed)
                    );
                    emit(&bar, text);
                    continue;
                }
                let now = Instant::now();
                let (ok, failed, bytes) = stats.measured();
                // The first interval after the warm-up counts from when measuring began.
                let since = stats.measure_start().map_or(last.0, |m| m.max(last.0));
                let secs = now.duration_since(since).as_secs_f64().max(1e-9);
                let tps = (ok - last.1 .0) as f64 / secs;
                let mbps = (bytes - last.1 .2) as f64 / secs / 1_048_576.0;
                let lat = stats.take_interval();
                emit(
                    &bar,
                    line(
                        role,
                        started.elapsed().as_secs_f64(),
                        tps,
                        mbps,
                        failed,
                        &lat,
                    ),
                );
                last = (now, (ok, failed, bytes));
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        Reporter { stop, task }
    }

    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

fn emit(bar: &Option<ProgressBar>, text: String) {
    match bar {
        Some(b) => b.set_message(text),
        None => println!("{text}"),
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    pub role: Role,
    /// Messages that succeeded, warm-up included.
    pub messages: u64,
    pub failures: u64,
    /// Measured window.
    pub measured_messages: u64,
    pub seconds: f64,
    pub tps: f64,
    pub mbps: f64,
    pub latency: Percentiles,
    /// Consumer: born-to-consume latency.
    pub born_latency: Option<Percentiles>,
    /// Why the run ended (set by the caller once it knows).
    pub stop_reason: Option<StopReason>,
}

impl Summary {
    pub fn from_stats(role: Role, stats: &Stats) -> Summary {
        let (ok, _, bytes) = stats.measured();
        // The producer's clock runs to the end of the run (its sends are the load); the consumer's to the last
        // message it received.
        let seconds = match role {
            Role::Producer => stats.measured_seconds(),
            Role::Consumer => stats.active_seconds(),
        };
        let [p, b] = stats.totals();
        let per_sec = |v: f64| if seconds > 0.0 { v / seconds } else { 0.0 };
        Summary {
            role,
            messages: stats.ok.load(std::sync::atomic::Ordering::Relaxed),
            failures: stats.failed.load(std::sync::atomic::Ordering::Relaxed),
            measured_messages: ok,
            seconds,
            tps: per_sec(ok as f64),
            mbps: per_sec(bytes as f64 / 1_048_576.0),
            latency: p,
            born_latency: (role == Role::Consumer).then_some(b),
            stop_reason: None,
        }
    }

    pub fn print(&self) {
        let what = match self.role {
            Role::Producer => "send RT",
            Role::Consumer => "store-to-consume",
        };
        println!("=== {} summary ===", self.role.name());
        println!(
            "messages: {} ok, {} failed; measured {} in {:.2} s",
            self.messages, self.failures, self.measured_messages, self.seconds
        );
        if let Some(r) = self.stop_reason {
            println!("stopped by: {}", r.name());
        }
        println!("TPS: {:.0} | MB/s: {:.2}", self.tps, self.mbps);
        let p = |name: &str, l: &Percentiles| {
            println!(
                "{name} latency (ms): p50 {} | p90 {} | p99 {} | p99.9 {} | max {}",
                ms(l.p50),
                ms(l.p90),
                ms(l.p99),
                ms(l.p999),
                ms(l.max)
            );
        };
        p(what, &self.latency);
        if let Some(b) = &self.born_latency {
            p("born-to-consume", b);
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({
            "role": self.role.name(),
            "messages": self.messages,
            "failures": self.failures,
            "measured_messages": self.measured_messages,
            "seconds": self.seconds,
            "tps": self.tps,
            "mbps": self.mbps,
            "latency_ms": self.latency.to_json(),
        });
        if let Some(o) = v.as_object_mut() {
            if let Some(b) = &self.born_latency {
                o.insert("born_latency_ms".into(), b.to_json());
            }
            if let Some(r) = self.stop_reason {
                o.insert("stop_reason".into(), r.name().into());
            }
        }
        v
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json())?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing the result to {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_json_has_the_documented_shape() {
        let stats = Stats::new(false);
        stats.record_ok(10, 10 * 1024, 2_000, Some(3_000));
        stats.record_failed(1);
        let s = Summary::from_stats(Role::Consumer, &stats);
        let v = s.to_json();
        assert_eq!(v["role"], "consumer");
        assert_eq!(v["messages"], 10);
        assert_eq!(v["failures"], 1);
        for k in ["p50", "p90", "p99", "p999", "max"] {
            assert!(v["latency_ms"][k].as_f64().unwrap() > 1.9, "{k}");
            assert!(v["born_latency_ms"][k].as_f64().unwrap() > 2.9, "{k}");
        }
        assert!(
            v["seconds"].as_f64().is_some()
                && v["tps"].as_f64().is_some()
                && v["mbps"].as_f64().is_some()
        );
        let p = Summary::from_stats(Role::Producer, &stats).to_json();
        assert!(p.get("born_latency_ms").is_none());
    }

    #[test]
    fn progress_lines_name_the_figures() {
        let lat = [Percentiles::default(); 2];
        let l = line(Role::Producer, 1.0, 100.0, 0.1, 2, &lat);
        assert!(
            l.contains("Send TPS: 100") && l.contains("p99") && l.contains("Send Failed: 2"),
            "{l}"
        );
        let l = line(Role::Consumer, 1.0, 100.0, 0.1, 0, &lat);
        assert!(l.contains("Consume TPS: 100") && l.contains("B2C"), "{l}");
    }
}
