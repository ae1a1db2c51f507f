//! The broker's anonymous memory (RssAnon: heap and stacks; mapped store files don't count) in three states:
//! idle after start, after 1,000 topics × 8 queues each received 10 messages, and with 1,000 idle client
//! connections open on top. Targets (issue 4): ≤ 50 MB idle, ≤ 300 MB with the topics, < 100 MB added by the
//! connections.
//!
//! `cargo bench -p ferrocket --bench broker_memory [-- TOPICS]`

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{CreateTopicRequestHeader, SendMessageRequestHeaderV2};
use ferrocket_protocol::message::properties;
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};

const QUEUES: i32 = 8;
const MESSAGES_PER_QUEUE: i32 = 10;
const IDLE_CONNECTIONS: usize = 1000;
const T: Duration = Duration::from_secs(30);

fn rss_anon_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("RssAnon in /proc status")
}

/// Lets allocators settle, then samples a few times and keeps the lowest (transient buffers excluded).
async fn settled_rss_mib(pid: u32) -> f64 {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut best = u64::MAX;
    for _ in 0..5 {
        best = best.min(rss_anon_kib(pid));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    best as f64 / 1024.0
}

async fn send(conn: &Connection, topic: &str, queue_id: i32, i: i32) {
    let mut props = properties::PropertyMap::new();
    props.insert(properties::TAGS.to_string(), "TagA".to_string());
    props.insert(properties::KEYS.to_string(), format!("k{i}"));
    let h = SendMessageRequestHeaderV2 {
        producer_group: "mem-bench".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: QUEUES,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(properties::encode(&props)),
        ..Default::default()
    };
    let req = RemotingCommand::request_with_header(rc::SEND_MESSAGE_V2, &h)
        .with_body(Bytes::from(vec![b'x'; 128]));
    let resp = conn.invoke(req, T).await.expect("send");
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
}

fn main() {
    let topics: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        // Apache's default file sizes: the 1 GiB commit-log segment and 6 MB consume-queue files are file-backed
        // mappings, so they must not show up in RssAnon.
        let server = support::spawn(
            &[
                "standalone",
                "--set",
                "listenPort=0",
                "--set",
                "namesrvAddr=127.0.0.1:0",
                "--set",
                "bindAddress=127.0.0.1",
                "--set",
                "brokerName=broker-mem",
            ],
            "boot success",
        );
        let pid = server.child.id();
        let idle = settled_rss_mib(pid).await;

        let conn = connect(&server.addr, Arc::new(NoRequests), &ConnectionConfig::default(), T).await.expect("connect");
        for t in 0..topics {
            let h = CreateTopicRequestHeader {
                topic: format!("MemTopic{t}"),
                default_topic: "TBW102".into(),
                read_queue_nums: QUEUES,
                write_queue_nums: QUEUES,
                perm: 6,
                topic_filter_type: "SINGLE_TAG".into(),
                order: false,
                ..Default::default()
            };
            let resp = conn.invoke(RemotingCommand::request_with_header(rc::UPDATE_AND_CREATE_TOPIC, &h), T).await.expect("create");
            assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
        }
        // 64 sends in flight at a time.
        let mut jobs = Vec::new();
        for t in 0..topics {
            for q in 0..QUEUES {
                for i in 0..MESSAGES_PER_QUEUE {
                    jobs.push((t, q, i));
                }
            }
        }
        for chunk in jobs.chunks(64) {
            let sends = chunk.iter().map(|(t, q, i)| {
                let conn = conn.clone();
                let topic = format!("MemTopic{t}");
                let (q, i) = (*q, *i);
                async move { send(&conn, &topic, q, i).await }
            });
            futures::future::join_all(sends).await;
        }
        let loaded = settled_rss_mib(pid).await;

        let mut idle_conns = Vec::with_capacity(IDLE_CONNECTIONS);
        for _ in 0..IDLE_CONNECTIONS {
            idle_conns.push(connect(&server.addr, Arc::new(NoRequests), &ConnectionConfig::default(), T).await.expect("idle connect"));
        }
        let with_conns = settled_rss_mib(pid).await;
        let messages = topics * (QUEUES * MESSAGES_PER_QUEUE) as usize;
        println!("broker RssAnon (MiB), Apache default file sizes:");
        println!("  idle after start:                               {idle:>8.1}   (target <= 50)");
        println!("  {topics} topics x {QUEUES} queues, {messages} messages:     {loaded:>8.1}   (target <= 300)");
        println!("  + {IDLE_CONNECTIONS} idle client connections:            {with_conns:>8.1}   (+{:.1}; target < +100)", with_conns - loaded);
        drop(idle_conns);
        drop(server);
    });
}
