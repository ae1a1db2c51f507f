//! Helpers shared by the management integration tests: a broker on 127.0.0.1:0 with a small store in a temp dir, and
//! client connections that record the requests the broker sends them (NOTIFY_CONSUMER_IDS_CHANGED).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferrocket_broker::{BrokerConfig, BrokerServer};
use ferrocket_protocol::body::{ConsumerData, HeartbeatData, ProducerData, SubscriptionData};
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::message::RecordBuilder;
use ferrocket_remoting::{Connection, ConnectionConfig, RequestHandler, Response};
use tokio::sync::mpsc;

pub const BROKER_NAME: &str = "broker-t";
pub const CLUSTER: &str = "ClusterT";

/// A broker config for tests: OS-chosen port, no name server, small store files under `root`.
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
    c.store.mapped_file_size_commit_log = 256 * 1024;
    c.store.mapped_file_size_consume_queue = 20 * 200;
    c.store.max_hash_slot_num = 101;
    c.store.max_index_num = 400;
    c.store.flush_interval_commit_log = 20;
    c.store.flush_interval_consume_queue = 20;
    c.normalize(false);
    c
}

pub async fn start(root: &Path) -> BrokerServer {
    start_with(config(root)).await
}

pub async fn start_with(config: BrokerConfig) -> BrokerServer {
    BrokerServer::start(config).await.expect("broker starts")
}

/// Records the requests the broker sends to this client.
pub struct Recorder {
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

/// One client connection plus what the broker sent it.
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

    /// The next request the broker sent us with `code`, waiting up to `wait`.
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

    /// Drops whatever the broker has sent so far.
    pub fn drain(&mut self) {
        while self.inbox.try_recv().is_ok() {}
    }
}

/// A push consumer's heartbeat for `group` subscribing `topics` (plus its retry topic).
pub fn consumer_heartbeat(client_id: &str, group: &str, topics: &[&str]) -> RemotingCommand {
    let mut subs: Vec<SubscriptionData> = topics
        .iter()
        .map(|t| SubscriptionData::tag(*t, "*", 1_700_000_000_000))
        .collect();
    subs.push(SubscriptionData::tag(
        format!("%RETRY%{group}"),
        "*",
        1_700_000_000_000,
    ));
    let data = HeartbeatData {
        client_id: client_id.into(),
        consumer_data_set: vec![ConsumerData {
            group_name: group.into(),
            subscription_data_set: subs,
            ..ConsumerData::default()
        }],
        producer_data_set: vec![ProducerData {
            group_name: "CLIENT_INNER_PRODUCER".into(),
        }],
        ..HeartbeatData::default()
    };
    RemotingCommand::new_request(request_code::HEART_BEAT).with_body(data.encode())
}

/// Properties text from pairs.
pub fn props(pairs: &[(&str, &str)]) -> String {
    ferrocket_protocol::message::properties::encode_pairs(pairs.iter().copied())
}

/// Appends one message straight to the store and waits until it is readable; returns its commit-log offset.
pub async fn put(
    server: &BrokerServer,
    topic: &str,
    queue_id: i32,
    body: &[u8],
    properties: &str,
) -> i64 {
    let born: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let record: BytesMut = RecordBuilder {
        topic,
        queue_id,
        body,
        properties,
        born_timestamp: 1_700_000_000_000,
        born_host: born,
        store_host: server.context().store_host,
        ..RecordBuilder::default()
    }
    .encode()
    .unwrap();
    let store = server.context().store.clone();
    let r = store.put_message(record);
    assert!(r.is_ok(), "{r:?}");
    let end = r.phys_offset + r.wrote_bytes;
    assert!(store.wait_dispatched(end, Duration::from_secs(5)).await);
    r.phys_offset
}
