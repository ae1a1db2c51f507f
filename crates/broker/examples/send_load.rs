//! Rough send/pull throughput of an in-process broker over loopback TCP (client and broker share the machine).
//!
//! `cargo run --release -p ferrocket-broker --example send_load -- [seconds] [connections] [in-flight per conn] [body bytes]`
//!
//! A quick check while developing, not the benchmark suite: it prints messages per second for sends (SEND_MESSAGE_V2,
//! ASYNC_FLUSH) and then for pulling everything back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_broker::{BrokerConfig, BrokerServer};
use ferrocket_protocol::codes::{pull_sys_flag, request_code as rc};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, SendMessageRequestHeader,
    SendMessageRequestHeaderV2,
};
use ferrocket_remoting::{connect, ConnectionConfig, NoRequests};

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let secs = arg(1, 5);
    let conns = arg(2, 4) as usize;
    let depth = arg(3, 128) as usize;
    let size = arg(4, 1024) as usize;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = BrokerConfig {
        listen_port: 0,
        bind_address: "127.0.0.1".into(),
        namesrv_addr: String::new(),
        enable_vip_channel: false,
        broker_name: "broker-load".into(),
        ..BrokerConfig::default()
    };
    config.store.store_path_root_dir = dir.path().to_string_lossy().into_owned();
    config.normalize(false);
    let server = BrokerServer::start(config).await.expect("broker");
    let addr = server.local_addr().to_string();
    let body = Bytes::from(vec![b'x'; size]);
    let queues = 8;

    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns {
        let conn = connect(
            &addr,
            Arc::new(NoRequests),
            &ConnectionConfig::default(),
            Duration::from_secs(5),
        )
        .await
        .expect("connect");
        for d in 0..depth {
            let (conn, body, sent, failed) =
                (conn.clone(), body.clone(), sent.clone(), failed.clone());
            let queue_id = ((c * depth + d) % queues) as i32;
            tasks.push(tokio::spawn(async move {
                let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
                    producer_group: "PG".into(),
                    topic: "LoadTopic".into(),
                    default_topic: "TBW102".into(),
                    default_topic_queue_nums: queues as i32,
                    queue_id,
                    born_timestamp: 1,
                    properties: Some(
                        "TAGS\u{1}load\u{2}UNIQ_KEY\u{1}0000000000000000000000000000000\u{2}"
                            .into(),
                    ),
                    ..Default::default()
                });
                while Instant::now() < stop {
                    let req = RemotingCommand::request_with_header(rc::SEND_MESSAGE_V2, &h)
                        .with_body(body.clone());
                    match conn.invoke(req, Duration::from_secs(10)).await {
                        Ok(r) if r.code == 0 => sent.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = sent.load(Ordering::Relaxed);
    println!(
        "send: {n} x {size} B in {elapsed:.2} s = {:.0} msgs/s ({} failed), {conns} conns x {depth} in flight",
        n as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );

    // Pull everything back, 32 per request, one connection per queue.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let pulled = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for q in 0..queues {
        let conn = connect(
            &addr,
            Arc::new(NoRequests),
            &ConnectionConfig::default(),
            Duration::from_secs(5),
        )
        .await
        .expect("connect");
        let pulled = pulled.clone();
        tasks.push(tokio::spawn(async move {
            let mut offset = 0i64;
            loop {
                let h = PullMessageRequestHeader {
                    consumer_group: "CG".into(),
                    topic: "LoadTopic".into(),
                    queue_id: q as i32,
                    queue_offset: offset,
                    max_msg_nums: 32,
                    sys_flag: pull_sys_flag::SUBSCRIPTION,
                    subscription: Some("*".into()),
                    ..Default::default()
                };
                let resp = conn
                    .invoke(
                        RemotingCommand::request_with_header(rc::PULL_MESSAGE, &h),
                        Duration::from_secs(10),
                    )
                    .await
                    .expect("pull");
                if resp.code != 0 {
                    break;
                }
                let rh: PullMessageResponseHeader = resp.decode_header().expect("header");
                pulled.fetch_add((rh.next_begin_offset - offset) as u64, Ordering::Relaxed);
                offset = rh.next_begin_offset;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = pulled.load(Ordering::Relaxed);
    println!(
        "pull: {n} msgs in {elapsed:.2} s = {:.0} msgs/s",
        n as f64 / elapsed
    );
    server.shutdown().await;
}
