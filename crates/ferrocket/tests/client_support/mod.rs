//! Helpers for the client SDK tests against `ferrocket standalone`.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use ferrocket_client::admin::{Admin, Target, TopicConfig};
use ferrocket_client::Producer;

/// Polls `check` every 50 ms until it is true or `limit` passes; returns whether it became true.
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates `topic` with `queues` read and write queues on `broker` and waits until the name server routes it.
pub async fn create_topic(admin: &Admin, broker: &str, topic: &str, queues: i32) {
    let mut config = TopicConfig::new(topic);
    config.read_queue_nums = queues;
    config.write_queue_nums = queues;
    admin
        .create_topic(&Target::Broker(broker.to_string()), &config)
        .await
        .expect("create topic");
    let routed = wait_until(Duration::from_secs(30), || async {
        admin
            .topic_route(topic)
            .await
            .map(|r| r.queue_datas.iter().any(|q| q.write_queue_nums == queues))
            .unwrap_or(false)
    })
    .await;
    assert!(routed, "route of {topic} did not appear");
}

pub async fn producer(namesrv: &str, instance: &str, group: &str) -> Producer {
    let p = Producer::builder()
        .namesrv(namesrv)
        .instance_name(instance)
        .group(group)
        .build()
        .expect("producer config");
    p.start().await.expect("producer start");
    p
}

/// Whether the broker at `addr` handles request `code` (anything but REQUEST_CODE_NOT_SUPPORTED). Some client
/// features need broker processors that may not exist in every build.
pub async fn broker_supports(addr: &str, code: i32) -> bool {
    use ferrocket_protocol::codes::response_code;
    use ferrocket_protocol::command::RemotingCommand;
    let conn = ferrocket_remoting::connect(
        addr,
        std::sync::Arc::new(ferrocket_remoting::NoRequests),
        &ferrocket_remoting::ConnectionConfig::default(),
        Duration::from_secs(3),
    )
    .await
    .expect("connect to broker");
    let resp = conn
        .invoke(
            RemotingCommand::new_request(code).with_body(&b"{}"[..]),
            Duration::from_secs(3),
        )
        .await
        .expect("broker answers");
    conn.close();
    resp.code != response_code::REQUEST_CODE_NOT_SUPPORTED
}

/// The broker a client test runs against: a `ferrocket standalone` started for the test, or — when
/// `FERROCKET_INTEROP_NAMESRV` and `FERROCKET_INTEROP_BROKER` are set (scripts/interop-peer.sh sets them) — a name
/// server and broker someone else started, such as the independent peer implementation.
pub struct UnderTest {
    /// Name server address.
    pub ns: String,
    /// Broker address (where topics are created).
    pub broker: String,
    /// Whether the broker was started outside this test.
    pub external: bool,
    _own: Option<crate::support::ServerProcess>,
}

impl UnderTest {
    pub fn start() -> UnderTest {
        match (
            std::env::var("FERROCKET_INTEROP_NAMESRV"),
            std::env::var("FERROCKET_INTEROP_BROKER"),
        ) {
            (Ok(ns), Ok(broker)) if !ns.is_empty() && !broker.is_empty() => UnderTest {
                ns,
                broker,
                external: true,
                _own: None,
            },
            _ => {
                let server = crate::support::spawn_standalone(&[]);
                UnderTest {
                    ns: server.namesrv_addr(),
                    broker: server.addr.clone(),
                    external: false,
                    _own: Some(server),
                }
            }
        }
    }

    /// A topic or group name: `base` on a broker of our own; made unique to this test process on an external
    /// broker, which outlives the test and is shared by every test binary of the run.
    pub fn name(&self, base: &str) -> String {
        if self.external {
            format!("{base}_{}", std::process::id())
        } else {
            base.to_string()
        }
    }
}
