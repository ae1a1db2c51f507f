//! Store benchmark, callable as a library (`ferrocket bench store` will call [`run`]) and from
//! `examples/store_bench.rs`.
//!
//! For each message size it measures, on the same disk and in the same run:
//! - raw: the same number of bytes written with plain sequential `write` calls of 64 KiB and one `fdatasync`;
//! - the store under ASYNC_FLUSH and SYNC_FLUSH (group commit) with 1, 16 and 64 concurrent appenders; SYNC_FLUSH
//!   twice: appenders as OS threads (blocking waits) and as tokio tasks on a 2-thread runtime (async waits, as
//!   the broker will do). The runtime belongs to the benchmark harness; the store itself never needs one.
//!
//! Each run writes `bytes_per_run` (default 4 GiB) or stops at `max_seconds_per_run`, whichever comes first (a
//! single SYNC_FLUSH appender waits for one msync per message, so it cannot write GiBs in reasonable time; the
//! row says when the time cap ended it). A run's time includes the final flush of everything it wrote. Appenders
//! sample every 32nd append's end offset; a watcher thread reports when the dispatcher made it readable through
//! the consume queue (append-to-readable lag).

use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrocket_protocol::message::RecordBuilder;
use parking_lot::Mutex;

use crate::config::{FlushDiskType, StoreConfig};
use crate::error::{StoreError, StoreResult};
use crate::message_store::MessageStore;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Directory on the disk to measure (a temporary subdirectory is created and removed).
    pub dir: PathBuf,
    pub bytes_per_run: u64,
    pub max_seconds_per_run: f64,
    /// Message body sizes.
    pub body_sizes: Vec<usize>,
    /// Appender counts for the ASYNC_FLUSH runs.
    pub async_appenders: Vec<usize>,
    /// Appender counts for the SYNC_FLUSH runs with one OS thread per appender (blocking waits).
    pub sync_appenders: Vec<usize>,
    /// Appender counts for the SYNC_FLUSH runs with tokio tasks on a 2-thread runtime (async waits), the way the
    /// broker appends.
    pub sync_tasks: Vec<usize>,
    pub commit_log_file_size: u64,
    /// Overrides `maxDispatchLagBytes` (None: the store default).
    pub max_dispatch_lag_bytes: Option<u64>,
    /// Overrides `commitLogWriteMode` (None: the store default).
    pub write_mode: Option<crate::config::CommitLogWriteMode>,
    /// Print each row as it completes.
    pub verbose: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            dir: std::env::temp_dir(),
            bytes_per_run: 4 << 30,
            max_seconds_per_run: 120.0,
            body_sizes: vec![128, 1024],
            async_appenders: vec![1, 16, 64],
            sync_appenders: vec![1, 16, 64],
            sync_tasks: vec![1, 16, 64],
            commit_log_file_size: 1 << 30,
            max_dispatch_lag_bytes: None,
            write_mode: None,
            verbose: false,
        }
    }
}

/// One measured run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// "raw", "ASYNC_FLUSH", "SYNC_FLUSH" (threads) or "SYNC_FLUSH tasks".
    pub mode: String,
    pub body_size: usize,
    /// Size of one stored record (body + header, topic, properties).
    pub record_size: usize,
    pub appenders: usize,
    pub bytes: u64,
    pub messages: u64,
    pub seconds: f64,
    pub mib_per_s: f64,
    pub msgs_per_s: f64,
    /// Throughput as a fraction of the raw run of the same size.
    pub of_raw: f64,
    /// The time cap ended the run before `bytes_per_run`.
    pub time_capped: bool,
    /// Append-to-readable lag percentiles in microseconds (store runs only).
    pub lag_p50_us: u64,
    pub lag_p99_us: u64,
    pub lag_max_us: u64,
    /// Latency of the append call itself (including the SYNC_FLUSH wait), p99 in microseconds.
    pub append_p99_us: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchResults {
    pub rows: Vec<BenchRow>,
}

impl BenchResults {
    pub fn row(&self, mode: &str, body_size: usize, appenders: usize) -> Option<&BenchRow> {
        self.rows
            .iter()
            .find(|r| r.mode == mode && r.body_size == body_size && r.appenders == appenders)
    }

    /// A Markdown table of all rows.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from(
            "| mode | body B | record B | appenders | GiB written | s | MiB/s | msgs/s | % of raw | lag p50 µs | lag p99 µs | lag max µs | append p99 µs |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            s.push_str(&format!(
                "| {}{} | {} | {} | {} | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} % | {} | {} | {} | {} |\n",
                r.mode,
                if r.time_capped { " (time cap)" } else { "" },
                r.body_size,
                r.record_size,
                r.appenders,
                r.bytes as f64 / (1u64 << 30) as f64,
                r.seconds,
                r.mib_per_s,
                r.msgs_per_s,
                r.of_raw * 100.0,
                if r.mode == "raw" { "-".to_string() } else { r.lag_p50_us.to_string() },
                if r.mode == "raw" { "-".to_string() } else { r.lag_p99_us.to_string() },
                if r.mode == "raw" { "-".to_string() } else { r.lag_max_us.to_string() },
                if r.mode == "raw" { "-".to_string() } else { r.append_p99_us.to_string() },
            ));
        }
        s
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn template(body_size: usize, queue_id: i32) -> StoreResult<BytesMut> {
    let body = vec![b'x'; body_size];
    let props = "TAGS\u{1}bench\u{2}WAIT\u{1}true\u{2}";
    RecordBuilder {
        topic: "BenchTopic",
        queue_id,
        body: &body,
        properties: props,
        born_timestamp: 1_700_000_000_000,
        born_host: std::net::SocketAddr::from(([127, 0, 0, 1], 40000)),
        store_host: std::net::SocketAddr::from(([127, 0, 0, 1], 10911)),
        ..RecordBuilder::default()
    }
    .encode()
    .map_err(|e| StoreError::Config(format!("bench record: {e}")))
}

/// Plain sequential writes of `total` bytes in 64 KiB chunks, then one fdatasync.
fn raw_run(dir: &std::path::Path, total: u64) -> StoreResult<f64> {
    let path = dir.join("raw.bin");
    let mut f = std::fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
    let chunk = vec![0xA5u8; 64 * 1024];
    let start = Instant::now();
    let mut written = 0u64;
    while written < total {
        let n = chunk.len().min((total - written) as usize);
        f.write_all(&chunk[..n])
            .map_err(|e| StoreError::io(&path, e))?;
        written += n as u64;
    }
    // SAFETY: plain syscall on an fd we own.
    if unsafe { libc::fdatasync(f.as_raw_fd()) } != 0 {
        return Err(StoreError::io(&path, std::io::Error::last_os_error()));
    }
    let secs = start.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
    Ok(secs)
}

fn store_run(
    opts: &BenchOptions,
    dir: &std::path::Path,
    mode: FlushDiskType,
    body_size: usize,
    appenders: usize,
    tasks: bool,
) -> StoreResult<BenchRow> {
    let root = dir.join("store");
    let mut cfg = StoreConfig::with_root(&root);
    cfg.flush_disk_type = mode;
    cfg.mapped_file_size_commit_log = opts.commit_log_file_size;
    if let Some(cap) = opts.max_dispatch_lag_bytes {
        cfg.max_dispatch_lag_bytes = cap;
    }
    if let Some(m) = opts.write_mode {
        cfg.commit_log_write_mode = m;
    }
    let store = MessageStore::open(cfg)?;
    let record_size = template(body_size, 0)?.len();
    let target_msgs = opts.bytes_per_run.div_ceil(record_size as u64);
    let issued = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let samples: Arc<Mutex<VecDeque<(i64, Instant)>>> = Arc::new(Mutex::new(VecDeque::new()));
    let lags: Arc<Mutex<Vec<u64>>> = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs_f64(opts.max_seconds_per_run);

    // Lag watcher: wakes on dispatch progress and timestamps the samples that became readable.
    let watcher = {
        let store = store.clone();
        let samples = samples.clone();
        let lags = lags.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut seen = store.dispatched_offset();
            loop {
                store.wait_dispatched_blocking(seen + 1, Duration::from_millis(5));
                let now = Instant::now();
                seen = store.dispatched_offset();
                let mut q = samples.lock();
                let mut out = lags.lock();
                q.retain(|(end, t)| {
                    if *end <= seen {
                        out.push(now.duration_since(*t).as_micros() as u64);
                        false
                    } else {
                        true
                    }
                });
                let empty = q.is_empty();
                drop(q);
                drop(out);
                if done.load(Ordering::Acquire) && empty {
                    break;
                }
            }
        })
    };

    let start = Instant::now();
    let mut messages = 0u64;
    let mut append_lat = Vec::new();
    let mut first_err = None;
    if tasks {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .map_err(|e| StoreError::io(dir, e))?;
        let outcomes = rt.block_on(async {
            let handles: Vec<_> = (0..appenders)
                .map(|a| {
                    let tpl = template(body_size, (a % 8) as i32);
                    let store = store.clone();
                    let issued = issued.clone();
                    let samples = samples.clone();
                    tokio::spawn(async move {
                        let tpl = tpl?;
                        let mut n = 0u64;
                        let mut lat = Vec::new();
                        loop {
                            let i = issued.fetch_add(1, Ordering::Relaxed);
                            if i >= target_msgs
                                || (i.is_multiple_of(256) && Instant::now() > deadline)
                            {
                                break;
                            }
                            // Only sampled appends are timed (clock reads are not free).
                            let sampled = i.is_multiple_of(32);
                            let t0 = sampled.then(Instant::now);
                            let r = store.put_message_async(BytesMut::from(&tpl[..])).await;
                            if !r.is_ok() {
                                return Err(StoreError::Config(format!(
                                    "bench append failed: {:?}",
                                    r.status
                                )));
                            }
                            n += 1;
                            if let Some(t0) = t0 {
                                let t1 = Instant::now();
                                samples
                                    .lock()
                                    .push_back((r.phys_offset + r.wrote_bytes, t1));
                                lat.push(t1.duration_since(t0).as_micros() as u64);
                            }
                        }
                        Ok((n, lat))
                    })
                })
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await);
            }
            out
        });
        for o in outcomes {
            match o {
                Ok(Ok((n, lat))) => {
                    messages += n;
                    append_lat.extend(lat);
                }
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err
                        .get_or_insert(StoreError::Config("bench appender task failed".into()));
                }
            }
        }
    } else {
        let workers: Vec<_> = (0..appenders)
            .map(|a| {
                let store = store.clone();
                let issued = issued.clone();
                let samples = samples.clone();
                let tpl = template(body_size, (a % 8) as i32);
                std::thread::spawn(move || -> StoreResult<(u64, Vec<u64>)> {
                    let tpl = tpl?;
                    let mut n = 0u64;
                    let mut lat = Vec::new();
                    loop {
                        let i = issued.fetch_add(1, Ordering::Relaxed);
                        if i >= target_msgs || (i.is_multiple_of(256) && Instant::now() > deadline)
                        {
                            break;
                        }
                        let rec = BytesMut::from(&tpl[..]);
                        let sampled = i.is_multiple_of(32);
                        let t0 = sampled.then(Instant::now);
                        let r = store.put_message_blocking(rec);
                        if !r.is_ok() {
                            return Err(StoreError::Config(format!(
                                "bench append failed: {:?}",
                                r.status
                            )));
                        }
                        n += 1;
                        if let Some(t0) = t0 {
                            let t1 = Instant::now();
                            samples
                                .lock()
                                .push_back((r.phys_offset + r.wrote_bytes, t1));
                            lat.push(t1.duration_since(t0).as_micros() as u64);
                        }
                    }
                    Ok((n, lat))
                })
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok(Ok((n, lat))) => {
                    messages += n;
                    append_lat.extend(lat);
                }
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert(StoreError::Config("bench appender panicked".into()));
                }
            }
        }
    }
    store.flush_all();
    let seconds = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Release);
    let _ = watcher.join();
    store.shutdown();
    drop(store);
    if let Some(e) = first_err {
        return Err(e);
    }
    std::fs::remove_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
    let bytes = messages * record_size as u64;
    let mut lags = std::mem::take(&mut *lags.lock());
    lags.sort_unstable();
    append_lat.sort_unstable();
    Ok(BenchRow {
        mode: match (mode, tasks) {
            (FlushDiskType::AsyncFlush, _) => "ASYNC_FLUSH".into(),
            (FlushDiskType::SyncFlush, false) => "SYNC_FLUSH".into(),
            (FlushDiskType::SyncFlush, true) => "SYNC_FLUSH tasks".into(),
        },
        body_size,
        record_size,
        appenders,
        bytes,
        messages,
        seconds,
        mib_per_s: bytes as f64 / (1 << 20) as f64 / seconds,
        msgs_per_s: messages as f64 / seconds,
        of_raw: 0.0,
        time_capped: messages < target_msgs,
        lag_p50_us: percentile(&lags, 0.50),
        lag_p99_us: percentile(&lags, 0.99),
        lag_max_us: lags.last().copied().unwrap_or(0),
        append_p99_us: percentile(&append_lat, 0.99),
    })
}

/// Runs the benchmark described by `opts`.
pub fn run(opts: &BenchOptions) -> StoreResult<BenchResults> {
    let dir = opts
        .dir
        .join(format!("ferrocket-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
    let result = run_in(opts, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(opts: &BenchOptions, dir: &std::path::Path) -> StoreResult<BenchResults> {
    let mut results = BenchResults::default();
    for &body in &opts.body_sizes {
        let record_size = template(body, 0)?.len();
        let msgs = opts.bytes_per_run.div_ceil(record_size as u64);
        let total = msgs * record_size as u64;
        let secs = raw_run(dir, total)?;
        let raw = BenchRow {
            mode: "raw".into(),
            body_size: body,
            record_size,
            appenders: 1,
            bytes: total,
            messages: msgs,
            seconds: secs,
            mib_per_s: total as f64 / (1 << 20) as f64 / secs,
            msgs_per_s: msgs as f64 / secs,
            of_raw: 1.0,
            time_capped: false,
            lag_p50_us: 0,
            lag_p99_us: 0,
            lag_max_us: 0,
            append_p99_us: 0,
        };
        let raw_rate = raw.mib_per_s;
        if opts.verbose {
            eprintln!("{raw:?}");
        }
        results.rows.push(raw);
        let runs = opts
            .async_appenders
            .iter()
            .map(|&a| (FlushDiskType::AsyncFlush, a, false))
            .chain(
                opts.sync_appenders
                    .iter()
                    .map(|&a| (FlushDiskType::SyncFlush, a, false)),
            )
            .chain(
                opts.sync_tasks
                    .iter()
                    .map(|&a| (FlushDiskType::SyncFlush, a, true)),
            );
        for (mode, appenders, tasks) in runs {
            let mut row = store_run(opts, dir, mode, body, appenders, tasks)?;
            row.of_raw = row.mib_per_s / raw_rate;
            if opts.verbose {
                eprintln!("{row:?}");
            }
            results.rows.push(row);
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_bench_runs_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let opts = BenchOptions {
            dir: dir.path().to_path_buf(),
            bytes_per_run: 256 * 1024,
            max_seconds_per_run: 10.0,
            body_sizes: vec![128],
            async_appenders: vec![2],
            sync_appenders: vec![4],
            sync_tasks: vec![3],
            commit_log_file_size: 64 * 1024,
            max_dispatch_lag_bytes: None,
            write_mode: None,
            verbose: false,
        };
        let r = run(&opts).unwrap();
        assert_eq!(r.rows.len(), 4);
        assert!(r.row("SYNC_FLUSH tasks", 128, 3).is_some());
        let a = r.row("ASYNC_FLUSH", 128, 2).unwrap();
        assert!(a.bytes >= 256 * 1024 && a.messages > 0 && a.mib_per_s > 0.0);
        assert!(a.lag_p99_us > 0);
        assert!(r.row("SYNC_FLUSH", 128, 4).is_some());
        assert!(r.to_markdown().contains("| SYNC_FLUSH | 128 |"));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "cleans up"
        );
    }
}
