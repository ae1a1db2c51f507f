//! `ferrocket bench consumer`: a push consumer that counts what it receives and measures store-to-consume and
//! born-to-consume latency (from the message's store and born timestamps, so millisecond resolution and the
//! clocks of broker, producer and consumer hosts count).

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Args;
use ferrocket_client::consumer::{
    ConsumeContext, ConsumeFromWhere, ConsumeStatus, MessageSelector, PushConsumer,
};
use ferrocket_client::{ClientConfig, MessageExt};

use super::report::{Reporter, Role, Summary};
use super::stats::Stats;
use super::{Stop, StopReason};
use crate::cmd::admin::args::bool_value;

#[derive(Args, Debug, Clone)]
pub struct ConsumerArgs {
    /// Name server address list (default: NAMESRV_ADDR, else 127.0.0.1:9876).
    #[arg(short = 'n', long = "namesrv")]
    pub namesrv: Option<String>,
    /// Topic.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub topic: String,
    /// Consumer group.
    #[arg(short = 'g', long = "group", default_value = "benchmark_consumer")]
    pub group: String,
    /// Append a random suffix to the group (true|false), so every run starts fresh.
    #[arg(short = 'p', long = "groupPrefixEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub group_suffix: Option<bool>,
    /// Listener calls in parallel.
    #[arg(short = 'w', long = "threadCount", default_value_t = 20)]
    pub threads: usize,
    /// Filter type: TAG or SQL92.
    #[arg(short = 'f', long = "filterType")]
    pub filter_type: Option<String>,
    /// Filter expression, or a file holding it.
    #[arg(short = 'e', long = "expression")]
    pub expression: Option<String>,
    /// Fraction (0..1) of deliveries answered "consume later".
    #[arg(short = 'r', long = "failRate", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Stop after this many messages (0: until --duration or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub quantity: u64,
    /// Message trace (accepted; traces are not sent).
    #[arg(short = 'm', long = "msgTraceEnable", value_parser = bool_value, num_args = 0..=1, default_missing_value = "true")]
    pub trace: Option<bool>,
    /// Milliseconds between progress lines (Apache's `-ri`).
    #[arg(long = "ri", alias = "reportInterval", default_value_t = 1000)]
    pub report_interval_ms: u64,
    /// Stop after this many seconds.
    #[arg(long = "duration")]
    pub duration: Option<f64>,
    /// Stop once no message has arrived for this many seconds after the first one (a drained backlog).
    #[arg(long = "idle-timeout")]
    pub idle_timeout: Option<f64>,
    /// Seconds at the start that are not measured.
    #[arg(long = "warmup", default_value_t = 0.0)]
    pub warmup: f64,
    /// Start a new group at the oldest message instead of the newest.
    #[arg(long = "from-first")]
    pub from_first: bool,
    /// Messages per listener call.
    #[arg(long = "batch", default_value_t = 1)]
    pub batch: usize,
    /// Write the result as JSON to this file.
    #[arg(long = "json")]
    pub json: Option<PathBuf>,
    /// Worker threads of the bench's async runtime (0: one per core).
    #[arg(long = "runtime-threads", default_value_t = 0)]
    pub runtime_threads: usize,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The subscription: `-f TAG|SQL92` with `-e` (an expression, or a file holding one); default all tags.
fn selector(a: &ConsumerArgs) -> anyhow::Result<MessageSelector> {
    let expr = match &a.expression {
        None => None,
        Some(e) => {
            let path = std::path::Path::new(e);
            Some(if path.is_file() {
                std::fs::read_to_string(path)
                    .map_err(|err| anyhow!("reading expression file {e}: {err}"))?
                    .trim()
                    .to_owned()
            } else {
                e.trim().to_owned()
            })
        }
    };
    let filter = a
        .filter_type
        .as_deref()
        .map(|t| t.trim().to_ascii_uppercase());
    match (filter.as_deref(), expr) {
        (None, None) => Ok(MessageSelector::all()),
        (None, Some(e)) | (Some("TAG"), Some(e)) => Ok(MessageSelector::tag(e)),
        (Some("SQL92"), Some(e)) => Ok(MessageSelector::sql92(e)),
        (Some(_), None) => bail!("-f needs -e with the expression"),
        (Some(t), Some(_)) => bail!("-f must be TAG or SQL92, got {t}"),
    }
}

pub async fn run(a: ConsumerArgs) -> anyhow::Result<Summary> {
    if a.threads == 0 || a.batch == 0 {
        bail!("-w and --batch must be at least 1");
    }
    if !(0.0..=1.0).contains(&a.fail_rate) {
        bail!("-r must be a fraction between 0 and 1");
    }
    if a.idle_timeout.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
        bail!("--idle-timeout must be a positive number of seconds");
    }
    let sel = selector(&a)?;
    let ns = a
        .namesrv
        .clone()
        .or_else(|| std::env::var("NAMESRV_ADDR").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:9876".to_owned());
    let group = if a.group_suffix == Some(true) {
        format!("{}_{}", a.group, now_ms() % 100)
    } else {
        a.group.clone()
    };
    println!(
        "topic: {}, threadCount: {}, group: {group}, subscription: {sel:?}, failRate: {}, messageQuantity: {}, \
         duration: {}, idleTimeout: {}, warmup: {}s, namesrv: {ns}",
        a.topic,
        a.threads,
        a.fail_rate,
        a.quantity,
        a.duration.map_or("unbounded".into(), |d| format!("{d}s")),
        a.idle_timeout.map_or("none".into(), |d| format!("{d}s")),
        a.warmup
    );
    let stats = Arc::new(if a.warmup > 0.0 {
        Stats::new(true)
    } else {
        Stats::new_from_first_message()
    });
    let stop = Stop::new();
    let (quantity, fail_rate) = (a.quantity, a.fail_rate);
    let (st, done) = (stats.clone(), stop.clone());
    // Wall-clock ms of the last delivery (0: none yet), for --idle-timeout.
    let last_delivery = Arc::new(AtomicI64::new(0));
    let last = last_delivery.clone();
    let listener = move |msgs: &[MessageExt], _ctx: &mut ConsumeContext| {
        last.store(now_ms(), Ordering::Relaxed);
        if fail_rate > 0.0 && rand::random::<f64>() < fail_rate {
            st.record_failed(msgs.len() as u64);
            return ConsumeStatus::ReconsumeLater;
        }
        let now = now_ms();
        for m in msgs {
            let s2c = (now - m.store_timestamp).max(0) as u64 * 1000;
            let b2c = (now - m.born_timestamp).max(0) as u64 * 1000;
            st.record_ok(1, m.body.len() as u64, s2c, Some(b2c));
        }
        if quantity > 0 && st.ok.load(Ordering::Relaxed) >= quantity {
            done.stop(StopReason::Quantity);
        }
        ConsumeStatus::Success
    };
    let client = ClientConfig {
        instance_name: format!("bench-c-{}", std::process::id()),
        ..ClientConfig::default()
    }
    .namesrv(&ns);
    let consumer = PushConsumer::builder()
        .client_config(client)
        .group(group)
        .subscribe(a.topic.clone(), sel)
        .consume_threads(a.threads, a.threads)
        .consume_batch_max_size(a.batch)
        .consume_from_where(if a.from_first {
            ConsumeFromWhere::ConsumeFromFirstOffset
        } else {
            ConsumeFromWhere::ConsumeFromLastOffset
        })
        .listener(listener)
        .build()?;
    let reporter = Reporter::spawn(
        stats.clone(),
        Role::Consumer,
        Duration::from_millis(a.report_interval_ms.max(10)),
        Duration::from_secs_f64(a.warmup.max(0.0)),
    );
    if let Err(e) = consumer.start().await {
        reporter.stop().await;
        return Err(e.into());
    }
    super::stop_on_signal_or_deadline(stop.clone(), a.duration);
    if let Some(idle) = a.idle_timeout {
        stop_when_idle(stop.clone(), last_delivery, idle);
    }
    stop.stopped().await;
    let mut summary = Summary::from_stats(Role::Consumer, &stats);
    summary.stop_reason = stop.reason();
    reporter.stop().await;
    consumer.shutdown().await;
    Ok(summary)
}

/// Stops the run once `idle` seconds pass without a delivery, counting from the first delivery (before it, only
/// `--duration` applies: a consumer may take a while to be assigned its queues).
fn stop_when_idle(stop: Stop, last_delivery: Arc<AtomicI64>, idle: f64) {
    let idle_ms = (idle * 1000.0) as i64;
    let tick = Duration::from_secs_f64((idle / 4.0).clamp(0.01, 0.25));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.stopped() => return,
            }
            if is_idle(last_delivery.load(Ordering::Relaxed), now_ms(), idle_ms) {
                stop.stop(StopReason::Idle);
                return;
            }
        }
    });
}

/// Whether a consumer whose last delivery was at `last_ms` (0: none yet) has been idle for `idle_ms` at `now_ms`.
fn is_idle(last_ms: i64, now_ms: i64, idle_ms: i64) -> bool {
    last_ms > 0 && now_ms - last_ms >= idle_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        a: ConsumerArgs,
    }

    fn args(v: &[&str]) -> ConsumerArgs {
        let mut all = vec!["x"];
        all.extend_from_slice(v);
        Wrap::parse_from(all).a
    }

    #[test]
    fn idle_only_after_the_first_delivery() {
        assert!(!is_idle(0, 10_000, 1_000), "nothing received yet");
        assert!(!is_idle(9_500, 10_000, 1_000));
        assert!(is_idle(9_000, 10_000, 1_000));
        assert!(args(&["--idle-timeout", "2.5"]).idle_timeout == Some(2.5));
    }

    #[test]
    fn subscriptions() {
        assert_eq!(selector(&args(&[])).unwrap(), MessageSelector::all());
        assert_eq!(
            selector(&args(&["-e", "A || B"])).unwrap(),
            MessageSelector::tag("A || B")
        );
        assert_eq!(
            selector(&args(&["-f", "sql92", "-e", "a > 1"])).unwrap(),
            MessageSelector::sql92("a > 1")
        );
        assert!(selector(&args(&["-f", "TAG"])).is_err());
        assert!(selector(&args(&["-f", "XML", "-e", "x"])).is_err());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("expr");
        std::fs::write(&f, "TagA\n").unwrap();
        assert_eq!(
            selector(&args(&["-e", f.to_str().unwrap()])).unwrap(),
            MessageSelector::tag("TagA")
        );
    }
}
