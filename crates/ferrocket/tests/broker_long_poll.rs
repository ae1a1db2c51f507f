//! Long polling through the real binary: a parked pull is answered as soon as a message arrives (not at its
//! suspend timeout), and answered PULL_NOT_FOUND at the timeout when nothing comes.

mod support;

use std::time::{Duration, Instant};

use ferrocket_protocol::codes::response_code as code;
use support::broker_client::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_pull_answers_on_arrival() {
    let broker = support::spawn_standalone(&[]);
    let conn = client(&broker.addr).await;
    // Create the topic (queue 1 gets a message, queue 0 stays empty).
    send_ok(&conn, send_v2_request("TopicL", 1, "", b"first")).await;
    wait_dispatched(&conn, "TopicL", 1, 1).await;

    for (queue, offset) in [(0, 0), (1, 1)] {
        let mut p = Pull::new("TopicL", queue, offset);
        p.suspend_ms = Some(10_000);
        let puller = {
            let conn = conn.clone();
            tokio::spawn(async move {
                let r = pull(&conn, &p).await;
                (r, Instant::now())
            })
        };
        // Let the pull park, then send.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!puller.is_finished(), "the pull is parked, not answered");
        let body = format!("wake {queue}");
        send_ok(&conn, send_v2_request("TopicL", queue, "", body.as_bytes())).await;
        let sent_at = Instant::now();
        let (r, answered_at) = tokio::time::timeout(Duration::from_secs(5), puller)
            .await
            .expect("answered well before the 10 s suspend")
            .unwrap();
        let delay = answered_at.saturating_duration_since(sent_at);
        assert!(
            delay < Duration::from_secs(1),
            "woken {delay:?} after the send"
        );
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        assert_eq!(r.messages.len(), 1);
        assert_eq!(&r.messages[0].body[..], body.as_bytes());
        assert_eq!(r.messages[0].queue_offset, offset);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_pull_times_out_with_not_found() {
    let broker = support::spawn_standalone(&[]);
    let conn = client(&broker.addr).await;
    send_ok(&conn, send_v2_request("TopicT", 0, "", b"x")).await;
    wait_dispatched(&conn, "TopicT", 0, 1).await;
    let mut p = Pull::new("TopicT", 0, 1);
    p.suspend_ms = Some(400);
    let t = Instant::now();
    let r = pull(&conn, &p).await;
    let waited = t.elapsed();
    assert_eq!(r.code, code::PULL_NOT_FOUND, "{:?}", r.remark);
    assert_eq!(r.header.unwrap().next_begin_offset, 1);
    assert!(waited >= Duration::from_millis(400), "held for {waited:?}");
    assert!(waited < Duration::from_secs(3), "held for {waited:?}");
    // A message for another queue does not answer it early.
    let mut p = Pull::new("TopicT", 0, 1);
    p.suspend_ms = Some(2_000);
    let puller = {
        let conn = conn.clone();
        tokio::spawn(async move { pull(&conn, &p).await.code })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    send_ok(&conn, send_v2_request("TopicT", 1, "", b"other queue")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!puller.is_finished());
    assert_eq!(puller.await.unwrap(), code::PULL_NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_polling_when_long_polling_is_off() {
    let broker = support::spawn_standalone(&[
        "--set",
        "longPollingEnable=false",
        "--set",
        "shortPollingTimeMills=300",
    ]);
    let conn = client(&broker.addr).await;
    send_ok(&conn, send_v2_request("TopicS", 0, "", b"x")).await;
    wait_dispatched(&conn, "TopicS", 0, 1).await;
    let mut p = Pull::new("TopicS", 0, 1);
    p.suspend_ms = Some(20_000);
    let t = Instant::now();
    let r = pull(&conn, &p).await;
    assert_eq!(r.code, code::PULL_NOT_FOUND);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "held {waited:?}: shortPollingTimeMills, not the 20 s suspend"
    );
}
