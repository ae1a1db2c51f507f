//! Send throughput of ordinary messages with no pending timer messages and with a million of them, in one run
//! (two brokers in this process, equally full, measured alternately), plus the memory each pending timer costs and
//! how long the timer index takes to rebuild after a restart.
//!
//! Run: `cargo bench -p ferrocket-broker --bench schedule_timers`. Knobs (environment): `SCHEDULE_BENCH_TIMERS`
//! (pending timers, default 1,000,000), `SCHEDULE_BENCH_SECS` (seconds per throughput sample, default 5),
//! `SCHEDULE_BENCH_CONCURRENCY` (sends in flight, default 64).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_broker::{BrokerConfig, BrokerServer};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(root: &std::path::Path) -> BrokerConfig {
    let mut c = BrokerConfig {
        listen_port: 0,
        bind_address: "127.0.0.1".into(),
        broker_ip1: "127.0.0.1".into(),
        namesrv_addr: String::new(),
        enable_vip_channel: false,
        broker_name: "bench".into(),
        ..BrokerConfig::default()
    };
    c.store.store_path_root_dir = root.to_string_lossy().into_owned();
    c.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    c.normalize(false);
    c
}

/// Anonymous resident memory of this process (heap; excludes the mapped store files).
fn rss_anon_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn send_request(topic: &str, properties: &str, body: &Bytes) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: "BenchP".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 8,
        queue_id: -1,
        sys_flag: 0,
        born_timestamp: now_ms(),
        flag: 0,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: None,
    };
    RemotingCommand::request_with_header(rc::SEND_MESSAGE_V2, &SendMessageRequestHeaderV2::from(h))
        .with_body(body.clone())
}

async fn connections(addr: &str, n: usize) -> Vec<Arc<Connection>> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            connect(
                addr,
                Arc::new(NoRequests),
                &ConnectionConfig::default(),
                Duration::from_secs(5),
            )
            .await
            .expect("connect"),
        );
    }
    out
}

/// Ordinary sends for `secs` seconds with `concurrency` in flight; returns messages per second.
async fn ordinary_throughput(conns: &[Arc<Connection>], concurrency: usize, secs: u64) -> f64 {
    let body = Bytes::from(vec![b'o'; 128]);
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..concurrency {
        let conn = conns[i % conns.len()].clone();
        let (count, stop, body) = (count.clone(), stop.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let props = format!("TAGS\u{1}t\u{2}KEYS\u{1}k{i}\u{2}");
            while !stop.load(Ordering::Relaxed) {
                let resp = conn
                    .invoke(
                        send_request("BenchOrdinary", &props, &body),
                        Duration::from_secs(10),
                    )
                    .await
                    .expect("send answered");
                assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Warm-up second, then the measured window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start_count = count.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let n = count.load(Ordering::Relaxed) - start_count;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    rate
}

/// Sends `total` messages of 128 bytes to `topic` (timer messages due in 1–2 hours when `timers`, else ordinary
/// ones with a property of the same length); returns messages per second.
async fn fill(
    conns: &[Arc<Connection>],
    concurrency: usize,
    topic: &str,
    total: u64,
    timers: bool,
) -> f64 {
    let body = Bytes::from(vec![b't'; 128]);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..concurrency {
        let conn = conns[i % conns.len()].clone();
        let (next, body, topic) = (next.clone(), body.clone(), topic.to_string());
        tasks.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= total {
                    break;
                }
                let sec = 3600 + (k * 7919) % 3600;
                let name = if timers {
                    "TIMER_DELAY_SEC"
                } else {
                    "FILLER_DELAY_SEC"
                };
                let props = format!("{name}\u{1}{sec}\u{2}");
                let resp = conn
                    .invoke(send_request(&topic, &props, &body), Duration::from_secs(10))
                    .await
                    .expect("send answered");
                assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
            }
        }));
    }
    for t in tasks {
        t.await.expect("sender task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn wait_pending(server: &BrokerServer, n: u64, limit: Duration) -> Duration {
    let start = Instant::now();
    let stats = &server.context().schedule.stats;
    while !(stats.timer_ready() && stats.pending_timers() >= n) && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if stats.pending_timers() < n {
        let store = &server.context().store;
        let delivered: Vec<_> = store
            .topic_queue_offsets("BenchTimer")
            .into_iter()
            .filter(|(_, _, max)| *max > 0)
            .collect();
        let mut expect = 0i64;
        let mut gaps = Vec::new();
        while expect < n as i64 {
            let r = store.get_message("rmq_sys_wheel_timer", 0, expect, 256, usize::MAX, None);
            for q in &r.queue_offsets {
                if *q != expect {
                    gaps.push((expect, *q));
                }
                expect = q + 1;
            }
            if r.queue_offsets.is_empty() {
                gaps.push((expect, -1));
                expect = r.next_begin_offset.max(expect + 1);
            }
        }
        for (at, _) in gaps.iter().take(5) {
            let one = store.get_message("rmq_sys_wheel_timer", 0, *at, 1, usize::MAX, None);
            println!(
                "offset {at}: {} next {} found {}",
                one.status.name(),
                one.next_begin_offset,
                one.messages.len()
            );
        }
        println!("gaps (expected, got): {gaps:?}");
        panic!(
            "only {} of {n} timers indexed; delivered {}, re-parked {}, timer queue max {}, real topic queues {:?}",
            stats.pending_timers(),
            stats.timer_delivered(),
            stats.timer_rolled(),
            store.max_offset_in_queue("rmq_sys_wheel_timer", 0),
            delivered
        );
    }
    start.elapsed()
}

async fn bench(timers: u64, secs: u64, concurrency: usize) {
    // Control broker A gets as many ordinary messages as B gets timers, so both stores are the same size and only
    // the pending timers differ; measurements alternate between them to cancel drift on a shared machine.
    let dir_a = tempfile::tempdir().expect("temp dir");
    let dir_b = tempfile::tempdir().expect("temp dir");
    let a = BrokerServer::start(config(dir_a.path()))
        .await
        .expect("broker A");
    let b = BrokerServer::start(config(dir_b.path()))
        .await
        .expect("broker B");
    let conns_a = connections(&a.local_addr().to_string(), 4).await;
    let conns_b = connections(&b.local_addr().to_string(), 4).await;

    let b0 = ordinary_throughput(&conns_b, concurrency, secs).await;
    println!("B, ordinary sends with 0 pending timers: {b0:.0} msg/s");
    let filler_rate = fill(&conns_a, concurrency, "BenchFiller", timers, false).await;
    let heap_before = rss_anon_bytes();
    let timer_rate = fill(&conns_b, concurrency, "BenchTimer", timers, true).await;
    let indexed_after = wait_pending(&b, timers, Duration::from_secs(600)).await;
    let heap_after = rss_anon_bytes();
    println!(
        "filled A with {timers} ordinary messages at {filler_rate:.0} msg/s, B with {timers} timer messages at \
         {timer_rate:.0} msg/s (B's index caught up {indexed_after:?} after the last send)"
    );
    println!(
        "anonymous memory: {:.1} MiB before B's timers, {:.1} MiB after: {:.1} bytes per pending timer \
         (index entry: 16 bytes)",
        heap_before as f64 / 1048576.0,
        heap_after as f64 / 1048576.0,
        heap_after.saturating_sub(heap_before) as f64 / timers as f64
    );

    // A B, B A, A B, B A: a steady drift of the machine's load hits both sides equally.
    let (mut sum_a, mut sum_b) = (0.0, 0.0);
    let rounds = 4;
    for round in 1..=rounds {
        let (ra, rb) = if round % 2 == 1 {
            let ra = ordinary_throughput(&conns_a, concurrency, secs).await;
            (ra, ordinary_throughput(&conns_b, concurrency, secs).await)
        } else {
            let rb = ordinary_throughput(&conns_b, concurrency, secs).await;
            (ordinary_throughput(&conns_a, concurrency, secs).await, rb)
        };
        println!(
            "round {round}: A (0 pending timers) {ra:>8.0} msg/s, B ({timers} pending) {rb:>8.0} msg/s, B/A {:.3}",
            rb / ra
        );
        sum_a += ra;
        sum_b += rb;
    }
    println!(
        "ordinary send throughput with {timers} pending timers vs none: {:+.1} % (means over {rounds} rounds)",
        (sum_b - sum_a) / sum_a * 100.0
    );

    for c in conns_a.iter().chain(&conns_b) {
        c.close();
    }
    a.shutdown().await;
    b.shutdown().await;
    let start = Instant::now();
    let b = BrokerServer::start(config(dir_b.path()))
        .await
        .expect("broker B restarts");
    let up = start.elapsed();
    let rebuilt = wait_pending(&b, timers, Duration::from_secs(600)).await;
    println!("restart: B up in {up:?}, timer index of {timers} rebuilt {rebuilt:?} later");
    b.shutdown().await;
}

fn main() {
    // Unoptimized builds (`cargo test --all-targets`) only smoke-test the benchmark.
    let quick = cfg!(debug_assertions) || std::env::args().any(|a| a == "--test");
    let timers = env_or(
        "SCHEDULE_BENCH_TIMERS",
        if quick { 2_000 } else { 1_000_000 },
    );
    let secs = env_or("SCHEDULE_BENCH_SECS", if quick { 1 } else { 5 });
    let concurrency = env_or("SCHEDULE_BENCH_CONCURRENCY", 64) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(timers, secs, concurrency));
}
