//! `ferrocket bench producer`: Apache's benchmark producer flags, plus fixed-rate mode, duration and warm-up.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::pacer::Pacer;
use super::report::{Reporter, Role, Summary};
use super::stats::Stats;
use super::{Stop, StopReason};
use crate::cmd::admin::args::bool_value;
use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Args;
use ferrocket_client::producer::ProducerConfig;
use ferrocket_client::{ClientConfig, Message, Producer};
use tokio::sync::Semaphore;

#[derive(Args, Debug, Clone)]
pub struct ProducerArgs {
    /// Name server address list (default: NAMESRV_ADDR, else 127.0.0.1:9876).
    #[arg(short = 'n', long = "namesrv")]
    pub namesrv: Option<String>,
    /// Topic (auto-created by brokers that allow it).
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub topic: String,
    /// Sends in flight: sender tasks (sync) or the in-flight window (-y true).
    #[arg(short = 'w', long = "threadCount", default_value_t = 64)]
    pub threads: usize,
    /// Body size in bytes.
    #[arg(short = 's', long = "messageSize", default_value_t = 128)]
    pub size: usize,
    /// Give every message a key (true|false).
    #[arg(short = 'k', long = "keyEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub keys: Option<bool>,
    /// Spread messages over this many tags (0: no tag).
    #[arg(short = 'l', long = "tagCount", default_value_t = 0)]
    pub tags: u64,
    /// User properties of about this many bytes per message.
    #[arg(short = 'p', long = "propertySize", default_value_t = 0)]
    pub property_size: usize,
    /// Messages to send in total (0: until --duration or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub quantity: u64,
    /// Asynchronous sends with a window of -w in flight (true|false).
    #[arg(short = 'y', long = "asyncEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub async_send: Option<bool>,
    /// Delayed messages (true|false).
    #[arg(short = 'd', long = "delayEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub delay: Option<bool>,
    /// Delay level for -d.
    #[arg(short = 'e', long = "delayLevel", default_value_t = 1)]
    pub delay_level: i32,
    /// Compress bodies over 4 KiB (true|false; off: never compress).
    #[arg(short = 'c', long = "compressEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub compress: Option<bool>,
    /// Messages per send (1: single messages; more: SEND_BATCH_MESSAGE).
    #[arg(short = 'b', long = "batchSize", default_value_t = 1)]
    pub batch: usize,
    /// Message trace (accepted; traces are not sent).
    #[arg(short = 'm', long = "msgTraceEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub trace: Option<bool>,
    /// Milliseconds between progress lines (Apache's `-ri`).
    #[arg(long = "ri", alias = "reportInterval", default_value_t = 1000)]
    pub report_interval_ms: u64,
    /// Stop after this many seconds.
    #[arg(long = "duration")]
    pub duration: Option<f64>,
    /// Fixed rate, messages per second: latency is measured from each message's scheduled time.
    #[arg(long = "rate")]
    pub rate: Option<f64>,
    /// Seconds at the start that are not measured.
    #[arg(long = "warmup", default_value_t = 0.0)]
    pub warmup: f64,
    /// Write the result as JSON to this file.
    #[arg(long = "json")]
    pub json: Option<PathBuf>,
    /// Worker threads of the bench's async runtime (0: one per core).
    #[arg(long = "runtime-threads", default_value_t = 0)]
    pub runtime_threads: usize,
    /// Producer group.
    #[arg(long = "group", default_value = "benchmark_producer")]
    pub group: String,
    /// Send timeout in milliseconds.
    #[arg(long = "send-timeout-ms", default_value_t = 3000)]
    pub send_timeout_ms: u64,
}

/// Shared by the sender tasks.
struct Plan {
    producer: Producer,
    topic: String,
    body: Bytes,
    keys: bool,
    tags: u64,
    properties: Vec<(String, String)>,
    delay_level: Option<i32>,
    batch: u64,
    /// 0 = unlimited.
    quantity: u64,
    next: AtomicU64,
    /// Fixed-rate mode: releases sends as they come due.
    pacer: Option<Pacer>,
    stop: Stop,
}

impl Plan {
    /// Claims the sequence numbers of the next send, or `None` when the quantity is used up or the run stopped.
    fn claim(&self) -> Option<(u64, u64)> {
        if self.stop.is_stopped() {
            return None;
        }
        let first = self.next.fetch_add(self.batch, Ordering::Relaxed);
        if self.quantity > 0 && first >= self.quantity {
            return None;
        }
        let n = if self.quantity > 0 {
            self.batch.min(self.quantity - first)
        } else {
            self.batch
        };
        Some((first, n))
    }

    /// The next send: its sequence numbers and the time its latency counts from — in fixed-rate mode the time it
    /// was due (so a slow broker cannot hide behind fewer sends), otherwise now. `None` when the run is over.
    async fn next_send(&self) -> Option<(u64, u64, Instant)> {
        let Some(pacer) = &self.pacer else {
            let (first, n) = self.claim()?;
            return Some((first, n, Instant::now()));
        };
        tokio::select! {
            released = pacer.next() => released?,
            _ = self.stop.stopped() => return None,
        }
        let (first, n) = self.claim()?;
        Some((first, n, pacer.due(first)))
    }

    fn message(&self, seq: u64) -> Message {
        let mut m = Message::new(self.topic.clone(), self.body.clone());
        if self.keys {
            m = m.with_key(seq.to_string());
        }
        if self.tags > 0 {
            m = m.with_tags(format!("tag{}", seq % self.tags));
        }
        if let Some(level) = self.delay_level {
            m = m.with_delay_level(level);
        }
        for (k, v) in &self.properties {
            m = m.with_property(k.clone(), v.clone());
        }
        m
    }

    /// One send of `n` messages from `first`; records its outcome, latency measured from `since`.
    async fn send(&self, stats: &Stats, first: u64, n: u64, since: Instant) {
        let result = if self.batch > 1 {
            let msgs = (first..first + n).map(|s| self.message(s)).collect();
            self.producer.send_batch(msgs).await.map(|_| ())
        } else {
            self.producer.send(self.message(first)).await.map(|_| ())
        };
        match result {
            Ok(()) => stats.record_ok(
                n,
                n * self.body.len() as u64,
                since.elapsed().as_micros() as u64,
                None,
            ),
            Err(e) => {
                tracing::debug!(error = %e, "send failed");
                stats.record_failed(n);
            }
        }
    }
}

/// A body of random letters and digits, as Apache's benchmark sends.
fn random_body(size: usize) -> Bytes {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..size)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())])
        .collect::<Vec<u8>>()
        .into()
}

/// User properties `prop<i>`=`hello<v>` until their text exceeds `size` bytes.
fn properties(size: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while size > 0 && total <= size {
        let (k, v) = (format!("prop{i}"), format!("hello{i}"));
        total += k.len() + v.len();
        out.push((k, v));
        i += 1;
    }
    out
}

fn namesrv(arg: &Option<String>) -> String {
    arg.clone()
        .or_else(|| std::env::var("NAMESRV_ADDR").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:9876".to_owned())
}

pub async fn run(a: ProducerArgs) -> anyhow::Result<Summary> {
    if a.threads == 0 || a.batch == 0 {
        bail!("-w and -b must be at least 1");
    }
    if a.size == 0 {
        bail!("-s must be at least 1 byte");
    }
    if a.delay == Some(true) && a.batch > 1 {
        bail!("delayed messages (-d) cannot be sent in batches (-b)");
    }
    if a.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        bail!("--rate must be a positive number of messages per second");
    }
    let ns = namesrv(&a.namesrv);
    println!(
        "topic: {}, threadCount: {}, messageSize: {}, keyEnable: {}, propertySize: {}, tagCount: {}, \
         messageQuantity: {}, delayEnable: {}, delayLevel: {}, asyncEnable: {}, compressEnable: {}, batchSize: {}, \
         rate: {}, duration: {}, warmup: {}s, namesrv: {ns}",
        a.topic,
        a.threads,
        a.size,
        a.keys.unwrap_or(false),
        a.property_size,
        a.tags,
        a.quantity,
        a.delay.unwrap_or(false),
        a.delay_level,
        a.async_send.unwrap_or(false),
        a.compress.unwrap_or(false),
        a.batch,
        a.rate.map_or("max".into(), |r| format!("{r}/s")),
        a.duration.map_or("unbounded".into(), |d| format!("{d}s")),
        a.warmup
    );
    let config = ProducerConfig {
        group: a.group.clone(),
        send_timeout: Duration::from_millis(a.send_timeout_ms),
        compress_over: if a.compress == Some(true) {
            4096
        } else {
            usize::MAX
        },
        ..ProducerConfig::default()
    };
    let client = ClientConfig {
        instance_name: format!("bench-p-{}", std::process::id()),
        ..ClientConfig::default()
    }
    .namesrv(&ns);
    let producer = Producer::builder()
        .client_config(client)
        .config(config)
        .build()?;
    producer.start().await?;
    let stop = Stop::new();
    let plan = Arc::new(Plan {
        producer: producer.clone(),
        topic: a.topic.clone(),
        body: random_body(a.size),
        keys: a.keys.unwrap_or(false),
        tags: a.tags,
        properties: properties(a.property_size),
        delay_level: (a.delay == Some(true)).then_some(a.delay_level),
        batch: a.batch as u64,
        quantity: a.quantity,
        next: AtomicU64::new(0),
        pacer: a
            .rate
            .map(|r| Pacer::start(r, a.batch as u64))
            .transpose()
            .context("starting the rate pacer thread")?,
        stop: stop.clone(),
    });
    let stats = Arc::new(Stats::new(a.warmup > 0.0));
    let reporter = Reporter::spawn(
        stats.clone(),
        Role::Producer,
        Duration::from_millis(a.report_interval_ms.max(10)),
        Duration::from_secs_f64(a.warmup.max(0.0)),
    );
    super::stop_on_signal_or_deadline(stop.clone(), a.duration);

    if a.async_send == Some(true) {
        // One submitter, a window of -w sends in flight.
        let window = Arc::new(Semaphore::new(a.threads));
        let mut inflight = tokio::task::JoinSet::new();
        while let Some((first, n, since)) = plan.next_send().await {
            let Ok(permit) = window.clone().acquire_owned().await else {
                break;
            };
            let (plan, stats) = (plan.clone(), stats.clone());
            inflight.spawn(async move {
                plan.send(&stats, first, n, since).await;
                drop(permit);
            });
            while inflight.try_join_next().is_some() {}
        }
        while inflight.join_next().await.is_some() {}
    } else {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..a.threads {
            let (plan, stats) = (plan.clone(), stats.clone());
            workers.spawn(async move {
                while let Some((first, n, since)) = plan.next_send().await {
                    plan.send(&stats, first, n, since).await;
                }
            });
        }
        while workers.join_next().await.is_some() {}
    }
    if let Some(p) = &plan.pacer {
        p.stop();
    }
    let mut summary = Summary::from_stats(Role::Producer, &stats);
    // Every sender ended without a stop: the quantity was used up.
    stop.stop(StopReason::Quantity);
    summary.stop_reason = stop.reason();
    reporter.stop().await;
    producer.shutdown().await;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_properties() {
        let b = random_body(64);
        assert_eq!(b.len(), 64);
        assert!(b.iter().all(u8::is_ascii_alphanumeric));
        assert!(properties(0).is_empty());
        let p = properties(40);
        let size: usize = p.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(size > 40, "{size}");
    }
}
