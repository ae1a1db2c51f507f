//! Helpers for the messaging-feature tests (retry, transactions, locks, resets, SQL92): an in-process broker on
//! 127.0.0.1:0 with a small store, raw protocol clients that record what the broker sends them, and send/pull
//! helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_broker::{BrokerConfig, BrokerServer};
use ferrocket_protocol::body::{ConsumerData, HeartbeatData, ProducerData, SubscriptionData};
use ferrocket_protocol::codes::{pull_sys_flag, request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    CreateTopicRequestHeader, PullMessageRequestHeader, PullMessageResponseHeader,
    SendMessageRequestHeader, SendMessageResponseHeader,
};
use ferrocket_protocol::message::{properties, MessageExt};
use ferrocket_remoting::{Connection, ConnectionConfig, RequestHandler, Response};
use tokio::sync::mpsc;

pub const BROKER_NAME: &str = "broker-m";
pub const CLUSTER: &str = "ClusterM";

/// A broker config for tests: OS-chosen port, no name server, small store files under `root`, and every delay
/// level 1 s so retries come back quickly.
pub fn config(root: &Path) -> BrokerConfig {
    let mut c = BrokerConfig {
        listen_port: 0,
        bind_address: "127.0.0.1".into(),
        broker_ip1: "127.0.0.1".into(),
        broker_ip2: "127.0.0.1".into(),
        namesrv_addr: String::new(),
        enable_vip_channel: false,
        broker_name: BROKER_NAME.into(),
        broker_cluster_name: CLUSTER.into(),
        ..BrokerConfig::default()
    };
    c.store.store_path_root_dir = root.to_string_lossy().into_owned();
    c.store.mapped_file_size_commit_log = 1024 * 1024;
    c.store.mapped_file_size_consume_queue = 20 * 1000;
    c.store.max_hash_slot_num = 101;
    c.store.max_index_num = 400;
    c.store.flush_interval_commit_log = 20;
    c.store.flush_interval_consume_queue = 20;
    c.store.message_delay_level = vec!["1s"; 18].join(" ");
    c.normalize(false);
    c
}

pub async fn start_with(config: BrokerConfig) -> BrokerServer {
    BrokerServer::start(config).await.expect("broker starts")
}

struct Recorder {
    tx: mpsc::UnboundedSender<RemotingCommand>,
}

impl RequestHandler for Recorder {
    async fn handle(
        self: Arc<Self>,
        _conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        let _ = self.tx.send(req);
        None
    }
}

/// A raw protocol client plus the requests the broker sent it.
pub struct Client {
    pub conn: Arc<Connection>,
    pub inbox: mpsc::UnboundedReceiver<RemotingCommand>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let (tx, inbox) = mpsc::unbounded_channel();
        let conn = ferrocket_remoting::connect(
            &addr.to_string(),
            Arc::new(Recorder { tx }),
            &ConnectionConfig::default(),
            Duration::from_secs(3),
        )
        .await
        .expect("connects");
        Client { conn, inbox }
    }

    pub async fn call(&self, req: RemotingCommand) -> RemotingCommand {
        self.conn
            .invoke(req, Duration::from_secs(5))
            .await
            .expect("broker answers")
    }

    /// The next request with `code` the broker sent, waiting up to `wait`.
    pub async fn next_request(&mut self, code: i32, wait: Duration) -> Option<RemotingCommand> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.inbox.recv()).await {
                Ok(Some(r)) if r.code == code => return Some(r),
                Ok(Some(_)) => continue,
                _ => return None,
            }
        }
    }

    pub async fn create_topic(&self, topic: &str, queues: i32) {
        let h = CreateTopicRequestHeader {
            topic: topic.into(),
            default_topic: "TBW102".into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: None,
            force: None,
        };
        let resp = self
            .call(RemotingCommand::request_with_header(
                request_code::UPDATE_AND_CREATE_TOPIC,
                &h,
            ))
            .await;
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    }

    /// Registers a consumer group (and optionally a producer group) on this connection.
    pub async fn heartbeat(
        &self,
        client_id: &str,
        consumer: Option<(&str, Vec<SubscriptionData>)>,
        producer_group: Option<&str>,
    ) {
        let data = HeartbeatData {
            client_id: client_id.into(),
            consumer_data_set: consumer
                .into_iter()
                .map(|(g, subs)| ConsumerData {
                    group_name: g.into(),
                    subscription_data_set: subs,
                    ..ConsumerData::default()
                })
                .collect(),
            producer_data_set: producer_group
                .into_iter()
                .map(|g| ProducerData {
                    group_name: g.into(),
                })
                .collect(),
            ..HeartbeatData::default()
        };
        let resp = self
            .call(RemotingCommand::new_request(request_code::HEART_BEAT).with_body(data.encode()))
            .await;
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    }

    /// SEND_MESSAGE of one message; returns the whole response.
    pub async fn send_raw(&self, h: &SendMessageRequestHeader, body: &[u8]) -> RemotingCommand {
        self.call(
            RemotingCommand::request_with_header(request_code::SEND_MESSAGE, h)
                .with_body(Bytes::copy_from_slice(body)),
        )
        .await
    }

    /// Sends a message and expects SUCCESS.
    pub async fn send(
        &self,
        topic: &str,
        queue_id: i32,
        body: &[u8],
        props: &[(&str, &str)],
    ) -> SendMessageResponseHeader {
        let resp = self
            .send_raw(&send_header(topic, queue_id, props), body)
            .await;
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
        resp.decode_header().unwrap()
    }

    /// One pull without suspension.
    pub async fn pull(&self, h: &PullMessageRequestHeader) -> (RemotingCommand, Vec<MessageExt>) {
        let resp = self
            .call(RemotingCommand::request_with_header(
                request_code::PULL_MESSAGE,
                h,
            ))
            .await;
        let msgs = if resp.code == response_code::SUCCESS {
            MessageExt::decode_all(resp.body.clone()).unwrap()
        } else {
            Vec::new()
        };
        (resp, msgs)
    }

    /// Everything in (topic, queue) from `offset` for `group` with a TAG `*` subscription.
    pub async fn pull_all(&self, group: &str, topic: &str, queue_id: i32) -> Vec<MessageExt> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let (resp, msgs) = self
                .pull(&pull_header(group, topic, queue_id, offset))
                .await;
            match resp.code {
                response_code::SUCCESS | response_code::PULL_RETRY_IMMEDIATELY => {
                    let h: PullMessageResponseHeader = resp.decode_header().unwrap();
                    out.extend(msgs);
                    offset = h.next_begin_offset;
                }
                _ => return out,
            }
        }
    }

    /// Waits (up to `wait`) until (topic, queue) holds at least `n` messages for `group`; returns them.
    pub async fn wait_messages(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        n: usize,
        wait: Duration,
    ) -> Vec<MessageExt> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msgs = self.pull_all(group, topic, queue_id).await;
            if msgs.len() >= n || tokio::time::Instant::now() >= deadline {
                return msgs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn send_header(topic: &str, queue_id: i32, props: &[(&str, &str)]) -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(properties::encode_pairs(props.iter().copied())),
        ..SendMessageRequestHeader::default()
    }
}

/// A pull with a TAG `*` subscription in the request, no suspension.
pub fn pull_header(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: pull_sys_flag::SUBSCRIPTION,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    }
}

/// Polls `check` every 50 ms until true or `limit` passes.
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
