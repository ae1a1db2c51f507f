//! Retry and dead letters over TCP (remoting-protocol.md §7.1, §7.5): CONSUMER_SEND_MSG_BACK parks the message in
//! the schedule topic with the back-off level, delivers it to `%RETRY%<group>`, and moves it to `%DLQ%<group>`
//! once the retries are used up; the send path's rule for retry topics.

mod msg_support;

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocket_protocol::body::{LockBatchRequestBody, MessageQueue};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{ConsumerSendMsgBackRequestHeader, SendMessageRequestHeader};
use ferrocket_protocol::message::properties::{
    DELAY, DLQ_ORIGIN_MESSAGE_ID, DLQ_ORIGIN_TOPIC, ORIGIN_MESSAGE_ID, REAL_TOPIC, RETRY_TOPIC,
};
use ferrocket_protocol::message::{decode_offset_msg_id, MessageExt};
use msg_support::{config, send_header, start_with, Client};

const WAIT: Duration = Duration::from_secs(15);

fn send_back(offset: i64, group: &str, delay_level: i32, max: Option<i32>) -> RemotingCommand {
    RemotingCommand::request_with_header(
        request_code::CONSUMER_SEND_MSG_BACK,
        &ConsumerSendMsgBackRequestHeader {
            offset,
            group: group.into(),
            delay_level,
            origin_msg_id: None,
            origin_topic: None,
            unit_mode: Some(false),
            max_reconsume_times: max,
            broker_name: None,
        },
    )
}

fn prop<'a>(m: &'a MessageExt, name: &str) -> Option<&'a str> {
    m.properties.get(name).map(String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_back_retries_with_back_off_then_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let c = Client::connect(server.local_addr()).await;
    c.create_topic("RT", 1).await;
    let sent = c
        .send(
            "RT",
            0,
            b"payload",
            &[("TAGS", "a"), ("KEYS", "k1"), ("UNIQ_KEY", "U1")],
        )
        .await;
    let (_, phys) = decode_offset_msg_id(&sent.msg_id).unwrap();

    // First send back: level 3 + 0, parked in SCHEDULE_TOPIC_XXXX queue 2.
    let r = c.call(send_back(phys, "G", 0, Some(2))).await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let parked = c
        .wait_messages("TOOLS_CONSUMER", "SCHEDULE_TOPIC_XXXX", 2, 1, WAIT)
        .await;
    assert_eq!(parked.len(), 1);
    let p = &parked[0];
    assert_eq!(prop(p, REAL_TOPIC), Some("%RETRY%G"));
    assert_eq!(prop(p, DELAY), Some("3"));
    assert_eq!(prop(p, RETRY_TOPIC), Some("RT"));
    assert_eq!(prop(p, ORIGIN_MESSAGE_ID), Some(sent.msg_id.as_str()));
    assert_eq!(p.reconsume_times, 1);
    assert_eq!(&p.body[..], b"payload");

    // Delivered to the retry topic when due (every level is 1 s here).
    let retried = c.wait_messages("G", "%RETRY%G", 0, 1, WAIT).await;
    assert_eq!(retried.len(), 1, "retry message delivered");
    let first_retry = &retried[0];
    assert_eq!(first_retry.reconsume_times, 1);
    assert_eq!(prop(first_retry, RETRY_TOPIC), Some("RT"));
    assert_eq!(prop(first_retry, "KEYS"), Some("k1"));

    // Second: level 4, then back in the retry topic.
    let r = c
        .call(send_back(first_retry.physical_offset, "G", 0, Some(2)))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let parked = c
        .wait_messages("TOOLS_CONSUMER", "SCHEDULE_TOPIC_XXXX", 3, 1, WAIT)
        .await;
    assert_eq!(prop(&parked[0], DELAY), Some("4"));
    let retried = c.wait_messages("G", "%RETRY%G", 0, 2, WAIT).await;
    assert_eq!(retried.len(), 2);
    let second_retry = &retried[1];
    assert_eq!(second_retry.reconsume_times, 2);
    assert_eq!(
        prop(second_retry, ORIGIN_MESSAGE_ID),
        Some(sent.msg_id.as_str()),
        "the first delivery's id is kept along the chain"
    );

    // Third: retries (2) used up → dead letter at once.
    let r = c
        .call(send_back(second_retry.physical_offset, "G", 0, Some(2)))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let dlq = c.wait_messages("G", "%DLQ%G", 0, 1, WAIT).await;
    assert_eq!(dlq.len(), 1);
    let d = &dlq[0];
    assert_eq!(d.reconsume_times, 3);
    assert_eq!(prop(d, RETRY_TOPIC), Some("RT"));
    assert_eq!(prop(d, DLQ_ORIGIN_TOPIC), Some("RT"));
    assert_eq!(prop(d, DLQ_ORIGIN_MESSAGE_ID), Some("U1"));
    assert_eq!(prop(d, ORIGIN_MESSAGE_ID), Some(sent.msg_id.as_str()));
    assert_eq!(prop(d, DELAY), None, "dead letters are not delayed");
    let dlq_config = server.context().topics.get("%DLQ%G").unwrap();
    assert_eq!(
        (
            dlq_config.read_queue_nums,
            dlq_config.write_queue_nums,
            dlq_config.perm
        ),
        (1, 1, 6)
    );
    assert!(server.context().topics.contains("%RETRY%G"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_back_levels_errors_and_group_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.auto_create_subscription_group = false;
    let server = start_with(cfg).await;
    let ctx = server.context().clone();
    ctx.groups
        .upsert(ferrocket_protocol::body::SubscriptionGroupConfig {
            retry_max_times: 1,
            ..ferrocket_protocol::body::SubscriptionGroupConfig::new("G1")
        });
    let c = Client::connect(server.local_addr()).await;
    c.create_topic("LT", 1).await;
    let sent = c.send("LT", 0, b"x", &[("TAGS", "a")]).await;
    let (_, phys) = decode_offset_msg_id(&sent.msg_id).unwrap();

    // An explicit level is kept; one past the last is clamped to 18.
    assert_eq!(c.call(send_back(phys, "G1", 5, None)).await.code, 0);
    assert_eq!(c.call(send_back(phys, "G1", 99, None)).await.code, 0);
    let q4 = c
        .wait_messages("TOOLS_CONSUMER", "SCHEDULE_TOPIC_XXXX", 4, 1, WAIT)
        .await;
    assert_eq!(prop(&q4[0], DELAY), Some("5"));
    let q17 = c
        .wait_messages("TOOLS_CONSUMER", "SCHEDULE_TOPIC_XXXX", 17, 1, WAIT)
        .await;
    assert_eq!(prop(&q17[0], DELAY), Some("18"));

    // A negative level goes straight to the DLQ.
    assert_eq!(c.call(send_back(phys, "G1", -1, None)).await.code, 0);
    assert_eq!(
        c.wait_messages("TOOLS_CONSUMER", "%DLQ%G1", 0, 1, WAIT)
            .await
            .len(),
        1
    );

    // The group's retryMaxTimes (1) applies without a header override: a message retried once is dead.
    let retried = c.wait_messages("G1", "%RETRY%G1", 0, 1, WAIT).await;
    assert!(!retried.is_empty());
    assert_eq!(
        c.call(send_back(retried[0].physical_offset, "G1", 0, None))
            .await
            .code,
        0
    );
    assert_eq!(
        c.wait_messages("TOOLS_CONSUMER", "%DLQ%G1", 0, 2, WAIT)
            .await
            .len(),
        2
    );

    // Errors: no message at that offset; unknown group with auto-creation off.
    let r = c.call(send_back(phys + 3, "G1", 0, None)).await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert!(r
        .remark
        .unwrap_or_default()
        .contains("look message by offset failed"));
    let r = c.call(send_back(phys, "NoSuchGroup", 0, None)).await;
    assert_eq!(r.code, response_code::SUBSCRIPTION_GROUP_NOT_EXIST);
    server.shutdown().await;
}

fn retry_send(group: &str, reconsume: i32, max: Option<i32>) -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        reconsume_times: Some(reconsume),
        max_reconsume_times: max,
        ..send_header(&format!("%RETRY%{group}"), 0, &[("RETRY_TOPIC", "T")])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_path_moves_spent_retries_and_orderly_groups_to_the_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let c = Client::connect(server.local_addr()).await;

    // reconsumeTimes up to the group's 16 stay retries; beyond it they are dead letters with DELAY=-1.
    let r = c.send_raw(&retry_send("SG", 16, None), b"sixteen").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let r = c.send_raw(&retry_send("SG", 17, None), b"seventeen").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    // The client's own maximum (V3_4_9+) wins over the group's.
    let r = c.send_raw(&retry_send("SG", 3, Some(2)), b"three").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);

    let retry: Vec<_> = c
        .wait_messages("SG", "%RETRY%SG", 0, 1, WAIT)
        .await
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(retry, ["sixteen"]);
    let dlq = c.wait_messages("SG", "%DLQ%SG", 0, 2, WAIT).await;
    let bodies: BTreeSet<_> = dlq
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(
        bodies,
        ["seventeen", "three"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert!(dlq.iter().all(|m| prop(m, DELAY) == Some("-1")));
    assert!(dlq.iter().all(|m| prop(m, DLQ_ORIGIN_TOPIC) == Some("T")));
    assert!(dlq
        .iter()
        .all(|m| prop(m, DLQ_ORIGIN_MESSAGE_ID).is_some_and(|id| id.len() == 32)));

    // A group holding ordered-consumption locks sends its retries straight to the DLQ.
    let lock = LockBatchRequestBody {
        client_id: "cid-1".into(),
        consumer_group: "OG".into(),
        mq_set: [MessageQueue::new("T", msg_support::BROKER_NAME, 0)]
            .into_iter()
            .collect(),
        only_this_broker: true,
    };
    let r = c
        .call(RemotingCommand::new_request(request_code::LOCK_BATCH_MQ).with_body(lock.encode()))
        .await;
    assert_eq!(r.code, 0);
    let r = c.send_raw(&retry_send("OG", 1, None), b"orderly").await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(c.wait_messages("OG", "%DLQ%OG", 0, 1, WAIT).await.len(), 1);
    assert!(c.pull_all("OG", "%RETRY%OG", 0).await.is_empty());
    server.shutdown().await;
}
