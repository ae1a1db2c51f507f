//! A minimal broker client for tests, built on the protocol and remoting crates (there is no client SDK yet).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::body::{ClusterInfo, TopicRouteData};
use ferrocket_protocol::codes::{pull_sys_flag, request_code as rc};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetRouteInfoRequestHeader, PullMessageRequestHeader, PullMessageResponseHeader,
    QueryConsumerOffsetRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use ferrocket_protocol::message::{encode_batch, BatchItem, MessageExt};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};

pub const T: Duration = Duration::from_secs(10);

pub async fn client(addr: &str) -> Arc<Connection> {
    connect(addr, Arc::new(NoRequests), &ConnectionConfig::default(), T)
        .await
        .expect("connect")
}

/// Properties string from pairs.
pub fn props(pairs: &[(&str, &str)]) -> String {
    ferrocket_protocol::message::properties::encode_pairs(pairs.iter().copied())
}

pub fn send_header(topic: &str, queue_id: i32, properties: &str) -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 7,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: None,
    }
}

/// SEND_MESSAGE (V1 field names).
pub fn send_v1_request(
    topic: &str,
    queue_id: i32,
    properties: &str,
    body: &[u8],
) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::SEND_MESSAGE,
        &send_header(topic, queue_id, properties),
    )
    .with_body(Bytes::copy_from_slice(body))
}

/// SEND_MESSAGE_V2 (single-letter keys).
pub fn send_v2_request(
    topic: &str,
    queue_id: i32,
    properties: &str,
    body: &[u8],
) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::SEND_MESSAGE_V2,
        &SendMessageRequestHeaderV2::from(send_header(topic, queue_id, properties)),
    )
    .with_body(Bytes::copy_from_slice(body))
}

/// SEND_BATCH_MESSAGE of `items` with batch-level `properties`.
pub fn send_batch_request(
    topic: &str,
    queue_id: i32,
    properties: &str,
    items: &[BatchItem],
) -> RemotingCommand {
    let mut h = send_header(topic, queue_id, properties);
    h.batch = Some(true);
    RemotingCommand::request_with_header(
        rc::SEND_BATCH_MESSAGE,
        &SendMessageRequestHeaderV2::from(h),
    )
    .with_body(encode_batch(items).expect("batch"))
}

pub async fn invoke(conn: &Connection, req: RemotingCommand) -> RemotingCommand {
    conn.invoke(req, T).await.expect("request answered")
}

/// Sends and expects SUCCESS; returns the response header.
pub async fn send_ok(conn: &Connection, req: RemotingCommand) -> SendMessageResponseHeader {
    let resp = invoke(conn, req).await;
    assert_eq!(resp.code, 0, "send failed: {:?}", resp.remark);
    resp.decode_header().expect("send response header")
}

pub struct Pull {
    pub group: &'static str,
    pub topic: String,
    pub queue_id: i32,
    pub offset: i64,
    pub max: i32,
    /// `Some(expr)` sets the SUBSCRIPTION bit.
    pub subscription: Option<String>,
    pub suspend_ms: Option<i64>,
    pub commit_offset: Option<i64>,
}

impl Pull {
    pub fn new(topic: &str, queue_id: i32, offset: i64) -> Self {
        Pull {
            group: "CG",
            topic: topic.into(),
            queue_id,
            offset,
            max: 32,
            subscription: Some("*".into()),
            suspend_ms: None,
            commit_offset: None,
        }
    }

    pub fn request(&self) -> RemotingCommand {
        let mut sys_flag = 0;
        if self.subscription.is_some() {
            sys_flag |= pull_sys_flag::SUBSCRIPTION;
        }
        if self.suspend_ms.is_some() {
            sys_flag |= pull_sys_flag::SUSPEND;
        }
        if self.commit_offset.is_some() {
            sys_flag |= pull_sys_flag::COMMIT_OFFSET;
        }
        let h = PullMessageRequestHeader {
            consumer_group: self.group.into(),
            topic: self.topic.clone(),
            queue_id: self.queue_id,
            queue_offset: self.offset,
            max_msg_nums: self.max,
            sys_flag,
            commit_offset: self.commit_offset.unwrap_or(0),
            suspend_timeout_millis: self.suspend_ms.unwrap_or(0),
            subscription: self.subscription.clone(),
            sub_version: 0,
            expression_type: Some("TAG".into()),
            max_msg_bytes: None,
            request_source: None,
            proxy_forward_client_id: None,
            broker_name: None,
        };
        RemotingCommand::request_with_header(rc::PULL_MESSAGE, &h)
    }
}

/// A pull's code, response header (when present) and decoded messages.
pub struct Pulled {
    pub code: i32,
    pub remark: Option<String>,
    pub header: Option<PullMessageResponseHeader>,
    pub messages: Vec<MessageExt>,
    pub raw_body: Bytes,
}

pub async fn pull(conn: &Connection, p: &Pull) -> Pulled {
    let timeout = T + Duration::from_millis(p.suspend_ms.unwrap_or(0).max(0) as u64);
    let resp = conn
        .invoke(p.request(), timeout)
        .await
        .expect("pull answered");
    Pulled {
        code: resp.code,
        remark: resp.remark.clone(),
        header: resp.decode_header().ok(),
        messages: MessageExt::decode_all(resp.body.clone()).expect("pull body decodes"),
        raw_body: resp.body.clone(),
    }
}

pub async fn route(namesrv: &Connection, topic: &str) -> Option<TopicRouteData> {
    let h = GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    };
    let resp = invoke(
        namesrv,
        RemotingCommand::request_with_header(rc::GET_ROUTEINFO_BY_TOPIC, &h),
    )
    .await;
    (resp.code == 0).then(|| TopicRouteData::decode(&resp.body).expect("route body"))
}

/// Waits (up to 10 s) until the name server has a route for `topic`.
pub async fn wait_for_route(namesrv: &Connection, topic: &str) -> TopicRouteData {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(r) = route(namesrv, topic).await {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no route for {topic} within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn cluster_info(namesrv: &Connection) -> ClusterInfo {
    let resp = invoke(
        namesrv,
        RemotingCommand::new_request(rc::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    ClusterInfo::decode(&resp.body).expect("cluster info")
}

/// QUERY_CONSUMER_OFFSET; `None` when the broker has none.
pub async fn query_offset(
    conn: &Connection,
    group: &str,
    topic: &str,
    queue_id: i32,
) -> Option<i64> {
    let h = QueryConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        set_zero_if_not_found: Some(false),
        broker_name: None,
    };
    let resp = invoke(
        conn,
        RemotingCommand::request_with_header(rc::QUERY_CONSUMER_OFFSET, &h),
    )
    .await;
    if resp.code != 0 {
        return None;
    }
    resp.ext("offset").and_then(|o| o.parse().ok())
}

/// Waits (up to 10 s) until (topic, queue) holds `n` messages: dispatch to the consume queue is asynchronous, so a
/// pull right after a send may not see it yet.
pub async fn wait_dispatched(conn: &Connection, topic: &str, queue_id: i32, n: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut p = Pull::new(topic, queue_id, 0);
        p.max = 1;
        let r = pull(conn, &p).await;
        if r.header.map(|h| h.max_offset).unwrap_or(0) >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{topic}/{queue_id} did not reach {n} messages within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
