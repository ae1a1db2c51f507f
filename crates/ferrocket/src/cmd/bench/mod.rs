//! `ferrocket bench producer | consumer | store`: load tools with the flags of Apache's benchmark
//! (`-n -t -w -s -k -l -q -y -d -e -c -b -ri`, consumer `-g -f -e -q`), plus `--duration`, `--rate`
//! (fixed-rate, for latency at a given load), `--warmup` and `--json FILE`. Progress every interval, then a
//! summary with p50/p90/p99/p99.9/max from HDR histograms. Producer and consumer go through ferrocket-client,
//! so they work against any RocketMQ broker.

mod consumer;
mod pacer;
mod producer;
mod report;
mod stats;
mod store;

use std::ffi::OsString;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

#[derive(Args, Debug)]
#[command(arg_required_else_help = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Send messages as fast as possible (or at --rate) and report TPS and send latency.
    Producer(producer::ProducerArgs),
    /// Consume messages and report TPS and store/born-to-consume latency.
    Consumer(consumer::ConsumerArgs),
    /// The store's own benchmark (no network): commit-log appends under ASYNC and SYNC flush.
    Store(store::StoreArgs),
}

/// Apache's benchmark spells its report interval `-ri` (one dash, two letters), which clap would read as `-r -i`:
/// in `ferrocket bench ...` argument lists it is rewritten to `--ri`.
pub fn rewrite_apache_flags(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).and_then(|a| a.to_str()) != Some("bench") {
        return args;
    }
    args.into_iter()
        .map(|a| match a.to_str() {
            Some("-ri") => OsString::from("--ri"),
            Some(s) if s.starts_with("-ri=") => OsString::from(format!("-{s}")),
            _ => a,
        })
        .collect()
}

/// Why a run ended, as written to the `--json` result (`stop_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `-q` messages were sent or received.
    Quantity,
    /// `--duration` elapsed.
    Duration,
    /// Consumer `--idle-timeout`: no message arrived for that long after the first one.
    Idle,
    /// Ctrl-C or SIGTERM.
    Signal,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Quantity => "quantity",
            StopReason::Duration => "duration",
            StopReason::Idle => "idle",
            StopReason::Signal => "signal",
        }
    }
}

/// A cancellation token that remembers the first reason it was cancelled for.
#[derive(Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    reason: Arc<OnceLock<StopReason>>,
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the run; the first caller's reason wins.
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    pub async fn stopped(&self) {
        self.token.cancelled().await
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }
}

/// Stops the run on Ctrl-C / SIGTERM or after `duration` seconds.
fn stop_on_signal_or_deadline(stop: Stop, duration: Option<f64>) {
    tokio::spawn(async move {
        let deadline = async {
            match duration {
                Some(s) => tokio::time::sleep(Duration::from_secs_f64(s.max(0.0))).await,
                None => std::future::pending().await,
            }
        };
        let term = async {
            #[cfg(unix)]
            {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            }
            #[cfg(not(unix))]
            std::future::pending::<()>().await
        };
        let reason = tokio::select! {
            _ = deadline => StopReason::Duration,
            _ = tokio::signal::ctrl_c() => StopReason::Signal,
            _ = term => StopReason::Signal,
            _ = stop.stopped() => return,
        };
        stop.stop(reason);
    });
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    crate::cmd::admin::restore_sigpipe();
    let (summary, json) = match args.command {
        BenchCommand::Store(a) => return store::run(a),
        BenchCommand::Producer(a) => {
            let (json, threads) = (a.json.clone(), a.runtime_threads);
            (block_on(threads, producer::run(a))?, json)
        }
        BenchCommand::Consumer(a) => {
            let (json, threads) = (a.json.clone(), a.runtime_threads);
            (block_on(threads, consumer::run(a))?, json)
        }
    };
    summary.print();
    if let Some(path) = json {
        summary.write_json(&path)?;
    }
    Ok(())
}

/// Runs a bench on a runtime with `threads` workers (0: one per core); the client's connection tasks and the
/// senders share it.
fn block_on<T>(
    threads: usize,
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    let rt = builder.enable_all().build()?;
    let out = rt.block_on(f);
    rt.shutdown_timeout(Duration::from_millis(500));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_bench_report_interval() {
        let v = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            rewrite_apache_flags(v(&["f", "bench", "producer", "-ri", "500", "-w", "4"])),
            v(&["f", "bench", "producer", "--ri", "500", "-w", "4"])
        );
        assert_eq!(
            rewrite_apache_flags(v(&["f", "bench", "producer", "-ri=500"])),
            v(&["f", "bench", "producer", "--ri=500"])
        );
        assert_eq!(
            rewrite_apache_flags(v(&["f", "admin", "-ri"])),
            v(&["f", "admin", "-ri"])
        );
    }
}
