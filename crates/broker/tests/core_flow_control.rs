//! Flow control and shutdown of an in-process broker over TCP: full lanes answer SYSTEM_BUSY at once, a send that
//! waits too long for its turn is refused, parked pulls neither count against the pull lane nor outlive shutdown.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_broker::flow_control::Family;
use ferrocket_broker::{BrokerConfig, BrokerServer};
use ferrocket_protocol::codes::{pull_sys_flag, request_code as rc, response_code as code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    PullMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};

const T: Duration = Duration::from_secs(10);

fn config(root: &Path) -> BrokerConfig {
    let mut c = BrokerConfig {
        listen_port: 0,
        bind_address: "127.0.0.1".into(),
        namesrv_addr: String::new(),
        enable_vip_channel: false,
        broker_name: "broker-core".into(),
        ..BrokerConfig::default()
    };
    c.store.store_path_root_dir = root.to_string_lossy().into_owned();
    c.store.mapped_file_size_commit_log = 1 << 20;
    c.store.mapped_file_size_consume_queue = 20 * 1000;
    c.normalize(false);
    c
}

async fn client(server: &BrokerServer) -> Arc<Connection> {
    connect(
        &server.local_addr().to_string(),
        Arc::new(NoRequests),
        &ConnectionConfig::default(),
        T,
    )
    .await
    .unwrap()
}

fn send(topic: &str, queue_id: i32) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        born_timestamp: 1,
        ..Default::default()
    };
    RemotingCommand::request_with_header(rc::SEND_MESSAGE_V2, &SendMessageRequestHeaderV2::from(h))
        .with_body(Bytes::from_static(b"payload"))
}

fn pull(topic: &str, queue_id: i32, offset: i64, suspend_ms: i64) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: "CG".into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: pull_sys_flag::SUBSCRIPTION
            | if suspend_ms > 0 {
                pull_sys_flag::SUSPEND
            } else {
                0
            },
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".into()),
        ..Default::default()
    };
    RemotingCommand::request_with_header(rc::PULL_MESSAGE, &h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_send_lane_answers_overload_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.send_thread_pool_queue_capacity = 2;
    let server = BrokerServer::start(c).await.unwrap();
    let conn = client(&server).await;
    assert_eq!(
        conn.invoke(send("TopicF", 0), T).await.unwrap().code,
        code::SUCCESS
    );

    let flow = &server.context().flow;
    let held = [
        flow.enter(Family::Send).unwrap(),
        flow.enter(Family::Send).unwrap(),
    ];
    let t = Instant::now();
    let resp = conn.invoke(send("TopicF", 0), T).await.unwrap();
    assert_eq!(resp.code, code::SYSTEM_BUSY);
    assert!(
        resp.remark.as_deref().unwrap().starts_with("[OVERLOAD]"),
        "{:?}",
        resp.remark
    );
    assert!(t.elapsed() < Duration::from_secs(1), "refused at once");
    // Other lanes keep working.
    let resp = conn.invoke(pull("TopicF", 0, 0, 0), T).await.unwrap();
    assert_ne!(resp.code, code::SYSTEM_BUSY);
    drop(held);
    assert_eq!(
        conn.invoke(send("TopicF", 0), T).await.unwrap().code,
        code::SUCCESS
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_waiting_too_long_for_its_turn_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.send_message_thread_pool_nums = 1;
    c.wait_time_mills_in_send_queue = 150;
    let server = BrokerServer::start(c).await.unwrap();
    let conn = client(&server).await;
    let slot = server
        .context()
        .flow
        .run_slot(Family::Send, None)
        .await
        .unwrap();
    let t = Instant::now();
    let resp = conn.invoke(send("TopicW", 0), T).await.unwrap();
    let waited = t.elapsed();
    assert_eq!(resp.code, code::SYSTEM_BUSY);
    let remark = resp.remark.unwrap();
    assert!(remark.starts_with("[TIMEOUT_CLEAN_QUEUE]"), "{remark}");
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    drop(slot);
    assert_eq!(
        conn.invoke(send("TopicW", 0), T).await.unwrap().code,
        code::SUCCESS
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_on_a_tiny_lane_get_success_or_busy_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.send_thread_pool_queue_capacity = 1;
    let server = BrokerServer::start(c).await.unwrap();
    let conn = client(&server).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            conn.invoke(send("TopicC", i % 4), T)
                .await
                .map(|r| (r.code, r.remark))
        }));
    }
    let (mut ok, mut busy) = (0, 0);
    for t in tasks {
        let (c, remark) = t.await.unwrap().expect("answered");
        match c {
            code::SUCCESS => ok += 1,
            code::SYSTEM_BUSY => {
                assert!(remark.unwrap().starts_with("[OVERLOAD]"));
                busy += 1
            }
            other => panic!("unexpected code {other}: {remark:?}"),
        }
    }
    assert_eq!(ok + busy, 64);
    assert!(ok >= 1);
    assert_eq!(
        server.context().flow.in_flight(Family::Send),
        0,
        "every place given back"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_pulls_do_not_fill_the_pull_lane_and_end_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.pull_thread_pool_queue_capacity = 1;
    let server = BrokerServer::start(c).await.unwrap();
    let conn = client(&server).await;
    assert_eq!(
        conn.invoke(send("TopicK", 1), T).await.unwrap().code,
        code::SUCCESS
    );

    // Park a pull on the empty queue 0 for 30 s.
    let parked = {
        let conn = conn.clone();
        tokio::spawn(async move {
            conn.invoke(pull("TopicK", 0, 0, 30_000), Duration::from_secs(60))
                .await
        })
    };
    let ctx = server.context().clone();
    let deadline = Instant::now() + T;
    while ctx.long_poll.parked() == 0 {
        assert!(Instant::now() < deadline, "pull never parked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(ctx.flow.in_flight(Family::Pull), 0);
    // The single pull place is free for others.
    let resp = conn.invoke(pull("TopicK", 1, 0, 0), T).await.unwrap();
    assert_ne!(resp.code, code::SYSTEM_BUSY, "{:?}", resp.remark);
    // And a held place makes the next pull busy.
    let held = ctx.flow.enter(Family::Pull).unwrap();
    let resp = conn.invoke(pull("TopicK", 1, 0, 0), T).await.unwrap();
    assert_eq!(resp.code, code::SYSTEM_BUSY);
    drop(held);

    let t = Instant::now();
    server.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        t.elapsed()
    );
    // The parked pull ends promptly: answered NOT_FOUND, or its connection closed under it.
    let r = tokio::time::timeout(Duration::from_secs(3), parked)
        .await
        .expect("parked pull ended")
        .unwrap();
    if let Ok(resp) = r {
        assert_eq!(resp.code, code::PULL_NOT_FOUND);
    }
    assert_eq!(ctx.long_poll.parked(), 0);
}
