//! Transactional messages over TCP (remoting-protocol.md §7.6): half messages are invisible until committed,
//! rollbacks never appear, undecided ones are checked back with the producer group, too many checks move them to
//! TRANS_CHECK_MAX_TIME_TOPIC, and all of it survives a broker restart.

mod msg_support;

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocket_broker::BrokerConfig;
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    transaction_type, CheckTransactionStateRequestHeader, EndTransactionRequestHeader,
    SendMessageResponseHeader,
};
use ferrocket_protocol::message::properties::{
    REAL_QID, REAL_TOPIC, TRANSACTION_CHECK_TIMES, TRAN_MSG,
};
use ferrocket_protocol::message::{decode_offset_msg_id, sysflag, MessageExt};
use msg_support::{config, send_header, start_with, Client};

const WAIT: Duration = Duration::from_secs(15);
const TOPIC: &str = "TxT";

fn body_of(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

/// Sends a half message with UNIQ_KEY `id` and extra properties.
async fn send_half(
    c: &Client,
    id: &str,
    queue_id: i32,
    extra: &[(&str, &str)],
) -> SendMessageResponseHeader {
    let mut props = vec![("TRAN_MSG", "true"), ("PGROUP", "PG"), ("UNIQ_KEY", id)];
    props.extend_from_slice(extra);
    let mut h = send_header(TOPIC, queue_id, &props);
    h.sys_flag = sysflag::TRANSACTION_PREPARED_TYPE;
    let resp = c.send_raw(&h, id.as_bytes()).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    resp.decode_header().unwrap()
}

fn end(
    group: &str,
    queue_offset: i64,
    commit_log_offset: i64,
    verdict: i32,
    id: &str,
    from_check: bool,
) -> RemotingCommand {
    RemotingCommand::request_with_header(
        request_code::END_TRANSACTION,
        &EndTransactionRequestHeader {
            topic: Some(TOPIC.into()),
            producer_group: group.into(),
            tran_state_table_offset: queue_offset,
            commit_log_offset,
            commit_or_rollback: verdict,
            from_transaction_check: Some(from_check),
            msg_id: id.into(),
            transaction_id: Some(id.into()),
            broker_name: None,
        },
    )
}

fn end_after_send(r: &SendMessageResponseHeader, verdict: i32, id: &str) -> RemotingCommand {
    let (_, phys) = decode_offset_msg_id(&r.msg_id).unwrap();
    end("PG", r.queue_offset, phys, verdict, id, false)
}

fn end_after_check(check: &RemotingCommand, verdict: i32) -> RemotingCommand {
    let h: CheckTransactionStateRequestHeader = check.decode_header().unwrap();
    end(
        "PG",
        h.tran_state_table_offset,
        h.commit_log_offset,
        verdict,
        h.transaction_id.as_deref().unwrap_or(""),
        true,
    )
}

async fn visible(c: &Client) -> Vec<String> {
    let mut all = Vec::new();
    for q in 0..2 {
        all.extend(c.pull_all("TxG", TOPIC, q).await.iter().map(body_of));
    }
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_shows_rollback_never_and_checks_of_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let c = Client::connect(server.local_addr()).await;
    c.create_topic(TOPIC, 2).await;

    let r1 = send_half(&c, "U1", 1, &[("k", "v")]).await;
    assert_eq!(r1.transaction_id.as_deref(), Some("U1"));
    assert_eq!(r1.queue_id, 1, "the queue the producer chose");
    let halves = c
        .wait_messages("TOOLS_CONSUMER", "RMQ_SYS_TRANS_HALF_TOPIC", 0, 1, WAIT)
        .await;
    assert!(visible(&c).await.is_empty(), "half messages are invisible");
    let h = &halves[0];
    assert_eq!(h.queue_offset, r1.queue_offset);
    assert_eq!(
        h.properties.get(REAL_TOPIC).map(String::as_str),
        Some(TOPIC)
    );
    assert_eq!(h.properties.get(REAL_QID).map(String::as_str), Some("1"));
    assert_eq!(sysflag::transaction_type(h.sys_flag), 0);

    // Commit: the real message appears once, with sysFlag COMMIT and the half offset.
    let resp = c
        .call(end_after_send(&r1, transaction_type::COMMIT, "U1"))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let got = c.wait_messages("TxG", TOPIC, 1, 1, WAIT).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(body_of(m), "U1");
    assert_eq!(
        sysflag::transaction_type(m.sys_flag),
        sysflag::TRANSACTION_COMMIT_TYPE
    );
    let (_, half_phys) = decode_offset_msg_id(&r1.msg_id).unwrap();
    assert_eq!(m.prepared_transaction_offset, half_phys);
    assert_eq!(m.properties.get("k").map(String::as_str), Some("v"));
    assert!(!m.properties.contains_key(TRAN_MSG));
    assert!(!m.properties.contains_key(REAL_TOPIC));
    // An op record names the half offset.
    let ops = c
        .wait_messages("TOOLS_CONSUMER", "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0, 1, WAIT)
        .await;
    assert_eq!(&ops[0].body[..], format!("{},", r1.queue_offset).as_bytes());
    assert_eq!(ops[0].properties.get("TAGS").map(String::as_str), Some("d"));

    // A second commit of the same transaction stores nothing more.
    let resp = c
        .call(end_after_send(&r1, transaction_type::COMMIT, "U1"))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);

    // Rollback: never visible.
    let r2 = send_half(&c, "U2", 0, &[]).await;
    let resp = c
        .call(end_after_send(&r2, transaction_type::ROLLBACK, "U2"))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);

    // Checks of the request: producer group, queue offset, commit-log offset, existence.
    let r3 = send_half(&c, "U3", 0, &[]).await;
    let (_, p3) = decode_offset_msg_id(&r3.msg_id).unwrap();
    let wrong = [
        (
            end("OtherPG", r3.queue_offset, p3, 8, "U3", false),
            "The producer group wrong",
        ),
        (
            end("PG", r3.queue_offset + 5, p3, 8, "U3", false),
            "The transaction state table offset wrong",
        ),
        (
            end("PG", r3.queue_offset, p3 + 1_000_000, 8, "U3", false),
            "Find prepared transaction message failed",
        ),
    ];
    for (req, remark) in wrong {
        let resp = c.call(req).await;
        assert_eq!(resp.code, response_code::SYSTEM_ERROR);
        assert_eq!(resp.remark.as_deref(), Some(remark));
    }

    // A delayed transactional message goes through the delay hook once committed.
    let r4 = send_half(&c, "U4", 0, &[("DELAY", "2")]).await;
    let resp = c
        .call(end_after_send(&r4, transaction_type::COMMIT, "U4"))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let parked = c
        .wait_messages("TOOLS_CONSUMER", "SCHEDULE_TOPIC_XXXX", 1, 1, WAIT)
        .await;
    assert_eq!(parked.len(), 1);
    assert_eq!(body_of(&parked[0]), "U4");

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(visible(&c).await, ["U1", "U4"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_can_be_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.reject_transaction_message = true;
    let server = start_with(cfg).await;
    let c = Client::connect(server.local_addr()).await;
    c.create_topic(TOPIC, 2).await;
    let mut h = send_header(TOPIC, 0, &[("TRAN_MSG", "true"), ("PGROUP", "PG")]);
    h.sys_flag = sysflag::TRANSACTION_PREPARED_TYPE;
    let resp = c.send_raw(&h, b"x").await;
    assert_eq!(resp.code, response_code::NO_PERMISSION);
    assert!(resp
        .remark
        .unwrap_or_default()
        .contains("sending transaction message is forbidden"));
    server.shutdown().await;
}

fn quick_checks(cfg: &mut BrokerConfig) {
    cfg.transaction_time_out = 300;
    cfg.transaction_check_interval = 200;
    cfg.transaction_check_max = 3;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecided_transactions_are_checked_back_then_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    quick_checks(&mut cfg);
    let server = start_with(cfg).await;
    let mut p = Client::connect(server.local_addr()).await;
    p.heartbeat("producer-1", None, Some("PG")).await;
    p.create_topic(TOPIC, 2).await;

    // Answered on the first check: committed once.
    send_half(&p, "A", 1, &[]).await;
    let check = p
        .next_request(request_code::CHECK_TRANSACTION_STATE, WAIT)
        .await
        .expect("checked");
    let h: CheckTransactionStateRequestHeader = check.decode_header().unwrap();
    assert_eq!(h.transaction_id.as_deref(), Some("A"));
    assert_eq!(h.msg_id.as_deref(), Some("A"));
    assert_eq!(h.topic.as_deref(), Some("RMQ_SYS_TRANS_HALF_TOPIC"));
    assert_eq!(h.broker_name.as_deref(), Some(msg_support::BROKER_NAME));
    let half = MessageExt::decode(&check.body).unwrap();
    assert_eq!((half.topic.as_str(), half.queue_id), (TOPIC, 1));
    assert_eq!(half.queue_offset, h.tran_state_table_offset);
    assert_eq!(half.physical_offset, h.commit_log_offset);
    assert_eq!(
        half.properties
            .get(TRANSACTION_CHECK_TIMES)
            .map(String::as_str),
        Some("1")
    );
    let resp = p
        .call(end_after_check(&check, transaction_type::COMMIT))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(p.wait_messages("TxG", TOPIC, 1, 1, WAIT).await.len(), 1);

    // Never answered: checked transactionCheckMax (3) times, then moved to TRANS_CHECK_MAX_TIME_TOPIC.
    send_half(&p, "B", 0, &[]).await;
    let mut checks_of_b = 0;
    while let Some(c) = p
        .next_request(
            request_code::CHECK_TRANSACTION_STATE,
            Duration::from_secs(3),
        )
        .await
    {
        let h: CheckTransactionStateRequestHeader = c.decode_header().unwrap();
        assert_eq!(h.transaction_id.as_deref(), Some("B"), "A is settled");
        checks_of_b += 1;
    }
    assert_eq!(checks_of_b, 3);
    let discarded = p
        .wait_messages("TOOLS_CONSUMER", "TRANS_CHECK_MAX_TIME_TOPIC", 0, 1, WAIT)
        .await;
    assert_eq!(discarded.len(), 1);
    assert_eq!(body_of(&discarded[0]), "B");
    assert_eq!(
        server
            .context()
            .transactions
            .discarded
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );

    // Two checks answered (late) with commit: still delivered once.
    send_half(&p, "C", 0, &[]).await;
    let first = p
        .next_request(request_code::CHECK_TRANSACTION_STATE, WAIT)
        .await
        .unwrap();
    let second = p
        .next_request(request_code::CHECK_TRANSACTION_STATE, WAIT)
        .await
        .unwrap();
    assert_ne!(
        first
            .decode_header::<CheckTransactionStateRequestHeader>()
            .unwrap()
            .commit_log_offset,
        second
            .decode_header::<CheckTransactionStateRequestHeader>()
            .unwrap()
            .commit_log_offset,
        "each check is about a fresh copy"
    );
    for c in [&first, &second] {
        let resp = p.call(end_after_check(c, transaction_type::COMMIT)).await;
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    }
    assert!(
        p.next_request(
            request_code::CHECK_TRANSACTION_STATE,
            Duration::from_secs(2)
        )
        .await
        .is_none(),
        "settled transactions are not checked again"
    );
    let all: Vec<String> = visible(&p).await;
    assert_eq!(all, ["A", "C"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // No checks before the restart.
    let mut cfg = config(dir.path());
    cfg.transaction_check_interval = 3_600_000;
    let server = start_with(cfg).await;
    let c = Client::connect(server.local_addr()).await;
    c.create_topic(TOPIC, 2).await;
    let committed = send_half(&c, "Kept", 0, &[]).await;
    let rolled_back = send_half(&c, "Dropped", 0, &[]).await;
    send_half(&c, "Open", 1, &[]).await;
    assert_eq!(
        c.call(end_after_send(&committed, transaction_type::COMMIT, "Kept"))
            .await
            .code,
        0
    );
    assert_eq!(
        c.call(end_after_send(
            &rolled_back,
            transaction_type::ROLLBACK,
            "Dropped"
        ))
        .await
        .code,
        0
    );
    drop(c);
    server.shutdown().await;

    let mut cfg = config(dir.path());
    quick_checks(&mut cfg);
    cfg.transaction_check_max = 15;
    let server = start_with(cfg).await;
    let mut p = Client::connect(server.local_addr()).await;
    p.heartbeat("producer-2", None, Some("PG")).await;
    let check = p
        .next_request(request_code::CHECK_TRANSACTION_STATE, WAIT)
        .await
        .expect("the open transaction is checked after the restart");
    let h: CheckTransactionStateRequestHeader = check.decode_header().unwrap();
    assert_eq!(h.transaction_id.as_deref(), Some("Open"));
    let resp = p
        .call(end_after_check(&check, transaction_type::COMMIT))
        .await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    assert!(
        p.next_request(
            request_code::CHECK_TRANSACTION_STATE,
            Duration::from_secs(2)
        )
        .await
        .is_none(),
        "ended transactions are not checked"
    );
    p.wait_messages("TxG", TOPIC, 1, 1, WAIT).await;
    let seen: BTreeSet<String> = visible(&p).await.into_iter().collect();
    assert_eq!(
        seen,
        ["Kept", "Open"].map(String::from).into_iter().collect()
    );
    assert_eq!(visible(&p).await.len(), 2, "each exactly once");
    server.shutdown().await;
}
