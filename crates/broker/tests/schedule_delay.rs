//! Delay levels end to end through an in-process broker: parking in SCHEDULE_TOPIC_XXXX, on-time delivery to the
//! real topic, clamping, per-level order, delayOffset.json and GET_ALL_DELAY_OFFSET, restart.

mod schedule_common;

use std::time::Duration;

use ferrocket_protocol::body::DelayOffsetSerializeWrapper;
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use schedule_common::*;

const SCHEDULE: &str = "SCHEDULE_TOPIC_XXXX";

fn fast_levels(root: &std::path::Path) -> ferrocket_broker::BrokerConfig {
    let mut c = config(root);
    c.store.message_delay_level = "1s 2s 3s".into();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_message_is_parked_then_delivered_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    let p = props(&[
        ("TAGS", "tg"),
        ("KEYS", "k1"),
        ("DELAY", "1"),
        ("UNIQ_KEY", "U-DELAY-1"),
    ]);
    let sent_at = now_ms();
    let h = send_ok(&conn, "DelayT", 2, &p, b"delayed body").await;
    assert_eq!(
        h.queue_id, 2,
        "the response names the queue the client asked for"
    );

    // Parked: schedule queue level − 1, real destination saved, DELAY kept for the dispatcher.
    assert!(
        wait_until(Duration::from_secs(2), || !stored(&server, SCHEDULE, 0)
            .is_empty())
        .await
    );
    let parked = stored(&server, SCHEDULE, 0);
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].property("REAL_TOPIC"), Some("DelayT"));
    assert_eq!(parked[0].property("REAL_QID"), Some("2"));
    assert_eq!(parked[0].property("DELAY"), Some("1"));
    assert!(
        stored(&server, "DelayT", 2).is_empty(),
        "not in the real topic yet"
    );

    let got = collect(&conn, "DelayT", 2, 1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0].msg;
    let waited = got[0].at_ms - sent_at;
    assert!(waited >= 1000, "delivered early: {waited} ms");
    assert!(waited < 2000, "delivered late: {waited} ms");
    assert_eq!(&m.body[..], b"delayed body");
    assert_eq!(m.flag, 7);
    assert_eq!(m.property("DELAY"), None, "the delay is cleared");
    assert_eq!(m.property("UNIQ_KEY"), Some("U-DELAY-1"));
    assert_eq!(m.property("TAGS"), Some("tg"));
    assert_eq!(m.property("KEYS"), Some("k1"));
    assert!(m.store_timestamp >= parked[0].store_timestamp + 1000);
    assert_eq!(m.topic, "DelayT");
    assert_eq!(m.queue_id, 2);

    // Progress: level 1 delivered up to offset 1.
    let resp = conn
        .invoke(RemotingCommand::new_request(rc::GET_ALL_DELAY_OFFSET), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let table = DelayOffsetSerializeWrapper::decode(&resp.body).unwrap();
    assert_eq!(table.offset_table.get(&1), Some(&1));
    let text = String::from_utf8(resp.body.to_vec()).unwrap();
    assert!(text.contains("{1:1}"), "bare integer keys: {text}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels_above_the_max_are_clamped_and_levels_run_independently() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    let sent_at = now_ms();
    send_ok(&conn, "ClampT", 0, &props(&[("DELAY", "99")]), b"clamped").await;
    send_ok(&conn, "ClampT", 0, &props(&[("DELAY", "1")]), b"short").await;
    assert!(
        wait_until(Duration::from_secs(2), || stored(&server, SCHEDULE, 2)
            .len()
            == 1)
        .await
    );
    assert_eq!(stored(&server, SCHEDULE, 2)[0].property("DELAY"), Some("3"));

    let got = collect(&conn, "ClampT", 0, 2, Duration::from_secs(8)).await;
    let bodies: Vec<_> = got.iter().map(|r| r.msg.body.to_vec()).collect();
    assert_eq!(bodies, vec![b"short".to_vec(), b"clamped".to_vec()]);
    let waited = got[1].at_ms - sent_at;
    assert!(
        (3000..4000).contains(&waited),
        "level 3 (3 s) took {waited} ms"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_level_is_delivered_in_order_each_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(now_ms());
        send_ok(
            &conn,
            "OrderT",
            1,
            &props(&[("DELAY", "1"), ("KEYS", &format!("k{i}"))]),
            format!("m{i}").as_bytes(),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let got = collect(&conn, "OrderT", 1, 5, Duration::from_secs(6)).await;
    assert_eq!(got.len(), 5);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.msg.body, format!("m{i}").as_bytes());
        let waited = r.at_ms - sent[i];
        assert!((1000..2000).contains(&waited), "message {i}: {waited} ms");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_offsets_persist_in_apache_shape_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    send_ok(&conn, "RestartT", 0, &props(&[("DELAY", "1")]), b"first").await;
    assert_eq!(
        collect(&conn, "RestartT", 0, 1, Duration::from_secs(4))
            .await
            .len(),
        1
    );
    // One delivered; a second one parked for 3 s when the broker stops.
    let sent_at = now_ms();
    send_ok(&conn, "RestartT", 0, &props(&[("DELAY", "3")]), b"second").await;
    drop(conn);
    server.shutdown().await;

    let path = dir.path().join("config").join("delayOffset.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"offsetTable\":{1:1}") || text.contains("\"offsetTable\":{\n\t\t1:1"),
        "{text}"
    );
    assert!(text.contains("\"dataVersion\""), "{text}");
    assert_eq!(
        DelayOffsetSerializeWrapper::decode(text.as_bytes())
            .unwrap()
            .offset_table
            .get(&1),
        Some(&1)
    );

    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    let got = collect(&conn, "RestartT", 0, 3, Duration::from_secs(6)).await;
    let bodies: Vec<_> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.msg.body).into_owned())
        .collect();
    assert_eq!(bodies, vec!["first", "second"], "each exactly once");
    let waited = got[1].at_ms - sent_at;
    assert!((3000..4500).contains(&waited), "after restart: {waited} ms");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_holding_a_delayed_message_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    let plain = props(&[("TAGS", "a")]);
    let cases: [(&str, String, &str); 4] = [
        ("DELAY in message 2", props(&[("DELAY", "1")]), "message 2"),
        (
            "timer in message 2",
            props(&[("TIMER_DELAY_SEC", "5")]),
            "message 2",
        ),
        (
            "future TIMER_DELIVER_MS in message 2",
            props(&[("TIMER_DELIVER_MS", &(now_ms() + 60_000).to_string())]),
            "message 2",
        ),
        (
            "unparsable timer in message 2",
            props(&[("TIMER_DELAY_MS", "soon")]),
            "message 2",
        ),
    ];
    for (what, delayed, names) in cases {
        let items = [
            (plain.clone(), &b"one"[..]),
            (delayed, &b"two"[..]),
            (plain.clone(), &b"three"[..]),
        ];
        let resp = send_batch(&conn, "BatchDelayT", 0, "", &items).await;
        assert_eq!(resp.code, response_code::MESSAGE_ILLEGAL, "{what}");
        let remark = resp.remark.unwrap_or_default();
        assert!(
            remark.contains("batch") && remark.contains(names),
            "{what}: {remark}"
        );
    }
    // The batch's own properties asking for a delay level: refused too.
    let items = [(plain.clone(), &b"one"[..])];
    let resp = send_batch(&conn, "BatchDelayT", 0, &props(&[("DELAY", "2")]), &items).await;
    assert_eq!(resp.code, response_code::MESSAGE_ILLEGAL);
    assert!(resp.remark.unwrap_or_default().contains("the batch itself"));

    // Nothing of the refused batches was stored anywhere.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stored(&server, "BatchDelayT", 0).is_empty());
    for q in 0..3 {
        assert!(stored(&server, SCHEDULE, q).is_empty(), "level {}", q + 1);
    }
    assert!(stored(&server, "rmq_sys_wheel_timer", 0).is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_without_deferral_is_stored_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fast_levels(dir.path())).await;
    let conn = client(&server).await;
    // "DEL" in bodies and keys, DELAY=0 and a past due time: none of them defers the message.
    let items = [
        (props(&[("KEYS", "MODEL")]), &b"DELETE me"[..]),
        (props(&[("DELAY", "0")]), &b"two"[..]),
        (props(&[("TIMER_DELIVER_MS", "1000")]), &b"three"[..]),
    ];
    let resp = send_batch(&conn, "BatchPlainT", 1, "", &items).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let got = collect(&conn, "BatchPlainT", 1, 3, Duration::from_secs(3)).await;
    let bodies: Vec<&[u8]> = got.iter().map(|r| &r.msg.body[..]).collect();
    assert_eq!(bodies, [&b"DELETE me"[..], b"two", b"three"]);
    assert!(stored(&server, "rmq_sys_wheel_timer", 0).is_empty());
    server.shutdown().await;
}
