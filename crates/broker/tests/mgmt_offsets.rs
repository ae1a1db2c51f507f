//! Consumer offsets (update, query, restart, GET_ALL_CONSUMER_OFFSET, GET_CONSUME_STATS) and queue offsets
//! (GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME) over real TCP.

mod mgmt_common;

use ferrocket_protocol::body::{ConsumeStats, ConsumerOffsetSerializeWrapper, TopicConfig};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetConsumeStatsRequestHeader, GetEarliestMsgStoretimeRequestHeader, GetMaxOffsetRequestHeader,
    GetMinOffsetRequestHeader, QueryConsumerOffsetRequestHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use mgmt_common::{put, Client};

fn update(group: &str, topic: &str, queue_id: i32, offset: i64) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            commit_offset: offset,
            broker_name: None,
        },
    )
}

fn query(group: &str, topic: &str, queue_id: i32, zero: Option<bool>) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::QUERY_CONSUMER_OFFSET,
        &QueryConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            set_zero_if_not_found: zero,
            broker_name: None,
        },
    )
}

fn topic(name: &str, queues: i32) -> TopicConfig {
    TopicConfig {
        read_queue_nums: queues,
        write_queue_nums: queues,
        ..TopicConfig::new(name)
    }
}

#[tokio::test]
async fn offsets_update_query_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    let ctx = server.context();
    ctx.topics.upsert(topic("T", 2));
    ctx.topics.upsert(topic("Empty", 1));

    // Unknown group / topic / queue.
    assert_eq!(
        c.call(update("G", "T", 0, 5)).await.code,
        response_code::SUBSCRIPTION_GROUP_NOT_EXIST
    );
    ctx.groups.find_or_create("G").unwrap();
    assert_eq!(
        c.call(update("G", "Nope", 0, 5)).await.code,
        response_code::TOPIC_NOT_EXIST
    );
    assert_eq!(
        c.call(update("G", "T", 2, 5)).await.code,
        response_code::INVALID_PARAMETER
    );

    assert_eq!(
        c.call(update("G", "T", 0, 15)).await.code,
        response_code::SUCCESS
    );
    assert_eq!(
        c.call(update("G", "T", 1, 9)).await.code,
        response_code::SUCCESS
    );
    let r = c.call(query("G", "T", 0, None)).await;
    assert_eq!(r.code, response_code::SUCCESS);
    assert_eq!(r.ext("offset"), Some("15"));

    // No stored offset. setZeroIfNotFound=false → 22; an empty queue → 22; first message in memory → 0.
    assert_eq!(
        c.call(query("G", "Empty", 0, Some(false))).await.code,
        response_code::QUERY_NOT_FOUND
    );
    assert_eq!(
        c.call(query("G", "Empty", 0, None)).await.code,
        response_code::QUERY_NOT_FOUND
    );
    put(&server, "Empty", 0, b"x", "").await;
    let r = c.call(query("G", "Empty", 0, Some(true))).await;
    assert_eq!(
        (r.code, r.ext("offset")),
        (response_code::SUCCESS, Some("0"))
    );

    // GET_ALL_CONSUMER_OFFSET: consumerOffset.json content with bare queue ids.
    let r = c
        .call(RemotingCommand::new_request(rc::GET_ALL_CONSUMER_OFFSET))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        text.contains(r#""offsetTable":{"T@G":{0:15,1:9}}"#),
        "{text}"
    );
    let w = ConsumerOffsetSerializeWrapper::decode(&r.body).unwrap();
    assert_eq!(w.offset_table["T@G"][&1], 9);

    // Restart: offsets are persisted at shutdown and reloaded.
    server.shutdown().await;
    let text = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
    assert!(text.contains("\"T@G\":{"), "{text}");
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    let r = c.call(query("G", "T", 1, None)).await;
    assert_eq!(
        (r.code, r.ext("offset")),
        (response_code::SUCCESS, Some("9"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn offsets_are_persisted_periodically() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = mgmt_common::config(dir.path());
    config.flush_consumer_offset_interval = 100;
    let server = mgmt_common::start_with(config).await;
    let ctx = server.context();
    ctx.offsets.commit("G", "T", 3, 77);
    let path = dir.path().join("config/consumerOffset.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("3:77") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not persisted: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn queue_offsets_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    server.context().topics.upsert(topic("Q", 1));
    for i in 0..3 {
        put(&server, "Q", 0, format!("m{i}").as_bytes(), "").await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let store = &server.context().store;
    let t1 = store.message_store_time("Q", 0, 1).unwrap();

    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_MAX_OFFSET,
            &GetMaxOffsetRequestHeader {
                topic: "Q".into(),
                queue_id: 0,
                committed: None,
                broker_name: None,
            },
        ))
        .await;
    assert_eq!(r.ext("offset"), Some("3"));
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_MIN_OFFSET,
            &GetMinOffsetRequestHeader {
                topic: "Q".into(),
                queue_id: 0,
                broker_name: None,
            },
        ))
        .await;
    assert_eq!(r.ext("offset"), Some("0"));
    let search = |ts: i64, b: Option<&str>| {
        RemotingCommand::request_with_header(
            rc::SEARCH_OFFSET_BY_TIMESTAMP,
            &SearchOffsetRequestHeader {
                topic: "Q".into(),
                queue_id: 0,
                timestamp: ts,
                boundary_type: b.map(String::from),
                broker_name: None,
            },
        )
    };
    assert_eq!(c.call(search(t1, None)).await.ext("offset"), Some("1"));
    assert_eq!(
        c.call(search(t1, Some("upper"))).await.ext("offset"),
        Some("1")
    );
    assert_eq!(c.call(search(0, None)).await.ext("offset"), Some("0"));
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_EARLIEST_MSG_STORETIME,
            &GetEarliestMsgStoretimeRequestHeader {
                topic: "Q".into(),
                queue_id: 0,
                broker_name: None,
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    assert_eq!(
        r.ext("timestamp"),
        Some(
            store
                .message_store_time("Q", 0, 0)
                .unwrap()
                .to_string()
                .as_str()
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn consume_stats() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    let ctx = server.context();
    ctx.topics.upsert(topic("S", 2));
    ctx.groups.find_or_create("CG").unwrap();
    for _ in 0..4 {
        put(&server, "S", 0, b"x", "").await;
    }
    put(&server, "S", 1, b"y", "").await;
    c.call(update("CG", "S", 0, 3)).await;
    ctx.offsets.commit_pull_offset("CG", "S", 0, 4);
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_CONSUME_STATS,
            &GetConsumeStatsRequestHeader {
                consumer_group: "CG".into(),
                topic: None,
                topic_list: None,
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let stats = ConsumeStats::decode(&r.body).unwrap();
    assert_eq!(stats.offset_table.len(), 2);
    let (_, q0) = stats
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id == 0)
        .unwrap();
    assert_eq!(
        (q0.broker_offset, q0.consumer_offset, q0.pull_offset),
        (4, 3, 4)
    );
    assert_eq!(
        q0.last_timestamp,
        ctx.store.message_store_time("S", 0, 2).unwrap()
    );
    let (_, q1) = stats
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id == 1)
        .unwrap();
    assert_eq!(
        (q1.broker_offset, q1.consumer_offset, q1.last_timestamp),
        (1, 0, 0)
    );
    assert_eq!(stats.total_diff(), 2);
    // A topic list restricts the topics (here one the group never committed).
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_CONSUME_STATS,
            &GetConsumeStatsRequestHeader {
                consumer_group: "CG".into(),
                topic: None,
                topic_list: Some("Nope;".into()),
            },
        ))
        .await;
    assert!(ConsumeStats::decode(&r.body)
        .unwrap()
        .offset_table
        .is_empty());
    server.shutdown().await;
}
