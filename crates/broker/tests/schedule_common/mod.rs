//! Helpers for the scheduled-delivery tests: an in-process broker on 127.0.0.1:0 with a small store, and a raw
//! protocol client that sends with chosen properties and long-polls a queue.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_broker::{BrokerConfig, BrokerServer};
use ferrocket_protocol::codes::{pull_sys_flag, request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, SendMessageRequestHeader,
    SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use ferrocket_protocol::message::MessageExt;
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};

pub const T: Duration = Duration::from_secs(10);

/// A broker config for tests: OS-chosen port, no name server, small store files under `root`.
pub fn config(root: &Path) -> BrokerConfig {
    let mut c = BrokerConfig {
        listen_port: 0,
        bind_address: "127.0.0.1".into(),
        broker_ip1: "127.0.0.1".into(),
        broker_ip2: "127.0.0.1".into(),
        namesrv_addr: String::new(),
        enable_vip_channel: false,
        broker_name: "broker-s".into(),
        broker_cluster_name: "ClusterS".into(),
        ..BrokerConfig::default()
    };
    c.store.store_path_root_dir = root.to_string_lossy().into_owned();
    c.store.mapped_file_size_commit_log = 1024 * 1024;
    c.store.mapped_file_size_consume_queue = 20 * 1000;
    c.store.max_hash_slot_num = 101;
    c.store.max_index_num = 400;
    c.normalize(false);
    c
}

pub async fn start(config: BrokerConfig) -> BrokerServer {
    BrokerServer::start(config).await.expect("broker starts")
}

pub async fn client(server: &BrokerServer) -> Arc<Connection> {
    connect(
        &server.local_addr().to_string(),
        Arc::new(NoRequests),
        &ConnectionConfig::default(),
        T,
    )
    .await
    .expect("connect")
}

/// Properties text from pairs.
pub fn props(pairs: &[(&str, &str)]) -> String {
    ferrocket_protocol::message::properties::encode_pairs(pairs.iter().copied())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// SEND_MESSAGE_V2 of `body` with `properties` to (topic, queue).
pub async fn send(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    properties: &str,
    body: &[u8],
) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: now_ms(),
        flag: 7,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: None,
    };
    let req = RemotingCommand::request_with_header(
        rc::SEND_MESSAGE_V2,
        &SendMessageRequestHeaderV2::from(h),
    )
    .with_body(Bytes::copy_from_slice(body));
    conn.invoke(req, T).await.expect("send answered")
}

/// SEND_BATCH_MESSAGE of `items` (properties text, body) to (topic, queue); `batch_properties` are the batch's own.
pub async fn send_batch(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    batch_properties: &str,
    items: &[(String, &[u8])],
) -> RemotingCommand {
    let items: Vec<ferrocket_protocol::message::BatchItem> = items
        .iter()
        .map(|(p, b)| {
            ferrocket_protocol::message::BatchItem::new(0, Bytes::copy_from_slice(b), p.clone())
        })
        .collect();
    let body = ferrocket_protocol::message::encode_batch(&items).expect("batch body");
    let h = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: now_ms(),
        flag: 0,
        properties: Some(batch_properties.into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(true),
        broker_name: None,
    };
    let req = RemotingCommand::request_with_header(
        rc::SEND_BATCH_MESSAGE,
        &SendMessageRequestHeaderV2::from(h),
    )
    .with_body(body);
    conn.invoke(req, T).await.expect("batch send answered")
}

/// Sends and expects SUCCESS.
pub async fn send_ok(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    properties: &str,
    body: &[u8],
) -> SendMessageResponseHeader {
    let resp = send(conn, topic, queue_id, properties, body).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    resp.decode_header().expect("send response header")
}

/// One PULL_MESSAGE of (topic, queue) from `offset`, long-polling up to `suspend` when nothing is there.
pub async fn pull(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    offset: i64,
    suspend: Duration,
) -> (i32, Option<PullMessageResponseHeader>, Vec<MessageExt>) {
    let h = PullMessageRequestHeader {
        consumer_group: "ScheduleTestGroup".into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: pull_sys_flag::SUBSCRIPTION | pull_sys_flag::SUSPEND,
        commit_offset: 0,
        suspend_timeout_millis: suspend.as_millis() as i64,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        request_source: None,
        proxy_forward_client_id: None,
        broker_name: None,
    };
    let resp = conn
        .invoke(
            RemotingCommand::request_with_header(rc::PULL_MESSAGE, &h),
            T + suspend,
        )
        .await
        .expect("pull answered");
    let msgs = if resp.code == response_code::SUCCESS {
        MessageExt::decode_all(resp.body.clone()).expect("pull body")
    } else {
        Vec::new()
    };
    (resp.code, resp.decode_header().ok(), msgs)
}

/// A message received by [`collect`], with the local time it arrived.
pub struct Received {
    pub at_ms: i64,
    pub msg: MessageExt,
}

/// Long-polls (topic, queue) from offset 0 until `n` messages arrived or `limit` passed.
pub async fn collect(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    n: usize,
    limit: Duration,
) -> Vec<Received> {
    let deadline = Instant::now() + limit;
    let mut offset = 0;
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        let (code, header, msgs) = pull(
            conn,
            topic,
            queue_id,
            offset,
            left.min(Duration::from_secs(5)),
        )
        .await;
        let at_ms = now_ms();
        if let Some(h) = header {
            if code == response_code::SUCCESS || h.next_begin_offset > offset {
                offset = h.next_begin_offset;
            }
        }
        if code != response_code::SUCCESS && msgs.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        out.extend(msgs.into_iter().map(|msg| Received { at_ms, msg }));
    }
    out
}

/// Everything stored in (topic, queue) right now, without waiting.
pub fn stored(server: &BrokerServer, topic: &str, queue_id: i32) -> Vec<MessageExt> {
    let r = server
        .context()
        .store
        .get_message(topic, queue_id, 0, 1000, usize::MAX, None);
    r.messages
        .into_iter()
        .map(|b| MessageExt::decode_all(b).expect("record").remove(0))
        .collect()
}

/// Waits until `cond` holds (checking every 10 ms) or `limit` passes.
pub async fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}
