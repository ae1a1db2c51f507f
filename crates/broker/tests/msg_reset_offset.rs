//! INVOKE_BROKER_TO_RESET_OFFSET over TCP (remoting-protocol.md §7.2, §7.7, §16.2): server-side resets answered by
//! the next pull with PULL_OFFSET_MOVED, and the push form sent to connected consumers (map or CPP list form).

mod msg_support;

use std::collections::BTreeMap;
use std::time::Duration;

use ferrocket_protocol::body::{
    MessageQueue, ResetOffsetBody, ResetOffsetBodyForC, SubscriptionData,
};
use ferrocket_protocol::codes::{pull_sys_flag, request_code, response_code, LanguageCode};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    PullMessageResponseHeader, QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader,
    ResetOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use msg_support::{config, pull_header, start_with, Client, BROKER_NAME};

const TOPIC: &str = "RS";

fn reset(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: Option<i64>,
    timestamp: i64,
) -> RemotingCommand {
    RemotingCommand::request_with_header(
        request_code::INVOKE_BROKER_TO_RESET_OFFSET,
        &ResetOffsetRequestHeader {
            topic: topic.into(),
            group: group.into(),
            queue_id: Some(queue_id),
            offset,
            timestamp,
            is_force: false,
        },
    )
}

async fn commit(c: &Client, group: &str, queue_id: i32, offset: i64) {
    // A pull creates the group (autoCreateSubscriptionGroup); offsets of unknown groups are refused.
    c.pull(&pull_header(group, TOPIC, queue_id, 0)).await;
    let resp = c
        .call(RemotingCommand::request_with_header(
            request_code::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: group.into(),
                topic: TOPIC.into(),
                queue_id,
                commit_offset: offset,
                broker_name: None,
            },
        ))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
}

async fn committed(c: &Client, group: &str, queue_id: i32) -> i64 {
    let resp = c
        .call(RemotingCommand::request_with_header(
            request_code::QUERY_CONSUMER_OFFSET,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: group.into(),
                topic: TOPIC.into(),
                queue_id,
                set_zero_if_not_found: Some(false),
                broker_name: None,
            },
        ))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    resp.decode_header::<QueryConsumerOffsetResponseHeader>()
        .unwrap()
        .offset
}

fn table(pairs: &[(i32, i64)]) -> BTreeMap<MessageQueue, i64> {
    pairs
        .iter()
        .map(|(q, o)| (MessageQueue::new(TOPIC, BROKER_NAME, *q), *o))
        .collect()
}

/// Five messages in each of two queues, a pause, five more; returns a time between the two halves.
async fn fill(c: &Client) -> i64 {
    c.create_topic(TOPIC, 2).await;
    for i in 0..5 {
        for q in 0..2 {
            c.send(TOPIC, q, format!("early-{i}").as_bytes(), &[]).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let middle = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    tokio::time::sleep(Duration::from_millis(30)).await;
    for i in 0..5 {
        for q in 0..2 {
            c.send(TOPIC, q, format!("late-{i}").as_bytes(), &[]).await;
        }
    }
    for q in 0..2 {
        let readable = c
            .wait_messages("TOOLS_CONSUMER", TOPIC, q, 10, Duration::from_secs(5))
            .await;
        assert_eq!(readable.len(), 10);
    }
    middle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_reset_moves_the_next_pull() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let c = Client::connect(server.local_addr()).await;
    let middle = fill(&c).await;
    commit(&c, "RG", 0, 10).await;
    commit(&c, "RG", 1, 10).await;

    let resp = c.call(reset("RG", TOPIC, -1, None, middle)).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let body = ResetOffsetBody::decode(&resp.body).unwrap();
    assert_eq!(body.offset_table, table(&[(0, 5), (1, 5)]));
    assert_eq!(
        committed(&c, "RG", 0).await,
        5,
        "the committed offset moves too"
    );

    // The next pull of each queue is told where to go — once; the pull's own (stale) commit is not stored.
    let mut h = pull_header("RG", TOPIC, 0, 10);
    h.sys_flag |= pull_sys_flag::COMMIT_OFFSET;
    h.commit_offset = 10;
    let (resp, _) = c.pull(&h).await;
    assert_eq!(resp.code, response_code::PULL_OFFSET_MOVED);
    assert_eq!(resp.remark.as_deref(), Some("OFFSET_RESET"));
    let rh: PullMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(rh.next_begin_offset, 5);
    assert_eq!(committed(&c, "RG", 0).await, 5);
    let (resp, msgs) = c.pull(&pull_header("RG", TOPIC, 0, 5)).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(&msgs[0].body[..], b"late-0");
    let (resp, _) = c.pull(&pull_header("RG", TOPIC, 0, 10)).await;
    assert_eq!(
        resp.code,
        response_code::PULL_NOT_FOUND,
        "the reset was consumed"
    );
    // Another group is not affected.
    let (resp, _) = c.pull(&pull_header("OtherGroup", TOPIC, 1, 10)).await;
    assert_eq!(resp.code, response_code::PULL_NOT_FOUND);

    // −1: to the end; one queue with an explicit offset; offsets out of range; unknown topic.
    let resp = c.call(reset("RG", TOPIC, -1, None, -1)).await;
    assert_eq!(
        ResetOffsetBody::decode(&resp.body).unwrap().offset_table,
        table(&[(0, 10), (1, 10)])
    );
    let resp = c.call(reset("RG", TOPIC, 1, Some(3), 0)).await;
    assert_eq!(
        ResetOffsetBody::decode(&resp.body).unwrap().offset_table,
        table(&[(1, 3)])
    );
    let (resp, _) = c.pull(&pull_header("RG", TOPIC, 1, 10)).await;
    let rh: PullMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(
        (resp.code, rh.next_begin_offset),
        (response_code::PULL_OFFSET_MOVED, 3)
    );
    let resp = c.call(reset("RG", TOPIC, 1, Some(99), 0)).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert!(resp.remark.unwrap().contains("not in consume queue range"));
    let resp = c.call(reset("RG", "NoSuchTopic", -1, None, 0)).await;
    assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_reset_reaches_connected_consumers() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.use_server_side_reset_offset = false;
    let server = start_with(cfg).await;
    let admin = Client::connect(server.local_addr()).await;
    let middle = fill(&admin).await;

    // No stored offset for the group; then stored, but nobody online.
    let resp = admin.call(reset("PushG", TOPIC, -1, None, middle)).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("THe consumer group <PushG> not exist")
    );
    commit(&admin, "PushG", 0, 8).await;
    commit(&admin, "PushG", 1, 2).await;
    let resp = admin.call(reset("PushG", TOPIC, -1, None, middle)).await;
    assert_eq!(resp.code, response_code::CONSUMER_NOT_ONLINE);
    assert!(resp.remark.unwrap().starts_with("Consumer not online"));

    let mut consumer = Client::connect(server.local_addr()).await;
    consumer
        .heartbeat(
            "cid-1",
            Some(("PushG", vec![SubscriptionData::tag(TOPIC, "*", 1)])),
            None,
        )
        .await;
    let resp = admin.call(reset("PushG", TOPIC, -1, None, middle)).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    // Not forced: queue 1 (at 2) is not moved forward to 5.
    let expected = table(&[(0, 5), (1, 2)]);
    assert_eq!(
        ResetOffsetBody::decode(&resp.body).unwrap().offset_table,
        expected
    );
    let pushed = consumer
        .next_request(
            request_code::RESET_CONSUMER_CLIENT_OFFSET,
            Duration::from_secs(5),
        )
        .await
        .expect("reset pushed");
    let h: ResetOffsetRequestHeader = pushed.decode_header().unwrap();
    assert_eq!(
        (h.group.as_str(), h.topic.as_str(), h.timestamp),
        ("PushG", TOPIC, middle)
    );
    assert_eq!(
        ResetOffsetBody::decode(&pushed.body).unwrap().offset_table,
        expected
    );

    // A CPP admin: the consumers get the list form; the admin still the map form.
    let mut req = reset("PushG", TOPIC, -1, None, middle);
    req.language = LanguageCode::Cpp;
    let resp = admin.call(req).await;
    assert_eq!(
        ResetOffsetBody::decode(&resp.body).unwrap().offset_table,
        expected
    );
    let pushed = consumer
        .next_request(
            request_code::RESET_CONSUMER_CLIENT_OFFSET,
            Duration::from_secs(5),
        )
        .await
        .expect("reset pushed");
    let list = ResetOffsetBodyForC::decode(&pushed.body).unwrap();
    assert_eq!(ResetOffsetBody::from(&list).offset_table, expected);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_pull_hears_of_the_reset_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let c = Client::connect(server.local_addr()).await;
    let middle = fill(&c).await;
    commit(&c, "LpG", 0, 10).await;

    // A long poll at the end of queue 0, held for up to 20 s.
    let mut h = pull_header("LpG", TOPIC, 0, 10);
    h.sys_flag |= pull_sys_flag::SUSPEND;
    h.suspend_timeout_millis = 20_000;
    let req = RemotingCommand::request_with_header(request_code::PULL_MESSAGE, &h);
    let conn = c.conn.clone();
    let started = std::time::Instant::now();
    let parked = tokio::spawn(async move { conn.invoke(req, Duration::from_secs(30)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!parked.is_finished(), "the pull is parked");

    let resp = c.call(reset("LpG", TOPIC, 0, None, middle)).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let resp = parked.await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered at once"
    );
    assert_eq!(resp.code, response_code::PULL_OFFSET_MOVED);
    let rh: PullMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(rh.next_begin_offset, 5);
    server.shutdown().await;
}
