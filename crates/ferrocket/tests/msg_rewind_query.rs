//! Rewind and message queries end to end: the admin API's reset-by-time (INVOKE_BROKER_TO_RESET_OFFSET, answered
//! on the broker side) makes a running push consumer receive again everything stored after the timestamp; every
//! sent message is found by its server id, its client id and its key within a time range.

mod client_support;
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, producer, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt, SendResult};

const TOPIC: &str = "RewindT";
const GROUP: &str = "RewindG";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_time_redelivers_and_queries_find_every_message() {
    rewind_and_query(&[], true).await;
}

/// `useServerSideResetOffset=false`: the broker pushes RESET_CONSUMER_CLIENT_OFFSET to the running consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_reset_redelivers_too() {
    rewind_and_query(&["--set", "useServerSideResetOffset=false"], false).await;
}

async fn rewind_and_query(extra: &[&str], queries: bool) {
    let server = support::spawn_standalone(extra);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, TOPIC, 2).await;
    let p = producer(&ns, "rw-p", "RewindP").await;

    let mut sent: Vec<(String, SendResult)> = Vec::new();
    for i in 0..6 {
        let body = format!("before-{i}");
        let r = p
            .send(Message::new(TOPIC, body.clone()).with_key(format!("key-{body}")))
            .await
            .unwrap();
        sent.push((body, r));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let rewind_to = now_ms();
    tokio::time::sleep(Duration::from_millis(50)).await;
    for i in 0..6 {
        let body = format!("after-{i}");
        let r = p
            .send(Message::new(TOPIC, body.clone()).with_key(format!("key-{body}")))
            .await
            .unwrap();
        sent.push((body, r));
    }
    let end = now_ms();

    let got: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let g = got.clone();
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("rw-c")
        .group(GROUP)
        .subscribe(TOPIC, "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            let mut g = g.lock().unwrap();
            for m in msgs {
                *g.entry(String::from_utf8_lossy(&m.body).into_owned())
                    .or_default() += 1;
            }
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    let all = wait_until(Duration::from_secs(30), || async {
        got.lock().unwrap().len() == 12
    })
    .await;
    assert!(all, "{:?}", got.lock().unwrap());

    // Rewind while the consumer runs: the broker answers its next pulls with the new offsets (or, in push mode,
    // tells the consumer). Push mode needs the group's offsets on the broker first (the consumer persists them
    // every few seconds; Apache answers "group not exist" until then).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let table = loop {
        match admin
            .reset_offset_by_time(GROUP, TOPIC, rewind_to, true)
            .await
        {
            Ok(t) => break t,
            Err(e) => {
                assert!(e.to_string().contains("not exist"), "{e}");
                assert!(std::time::Instant::now() < deadline, "{e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!(
        table.values().sum::<i64>(),
        6,
        "six messages per side of the timestamp: {table:?}"
    );
    let again = wait_until(Duration::from_secs(30), || async {
        got.lock()
            .unwrap()
            .iter()
            .filter(|(b, n)| b.starts_with("after-") && **n == 2)
            .count()
            == 6
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts = got.lock().unwrap().clone();
    assert!(again, "{counts:?}");
    for (body, n) in &counts {
        let want = if body.starts_with("after-") { 2 } else { 1 };
        assert_eq!(*n, want, "{body} delivered {n} times: {counts:?}");
    }
    c.shutdown().await;
    if !queries {
        p.shutdown().await;
        return;
    }

    // Queries: server id, client id, key within a time range.
    for (body, r) in &sent {
        let by_offset = admin.view_message(&r.offset_msg_id).await.unwrap();
        assert_eq!(&by_offset.body[..], body.as_bytes());
        let by_uniq = admin
            .query_message_by_uniq_key(TOPIC, &r.msg_id)
            .await
            .unwrap();
        assert_eq!(by_uniq.len(), 1, "{body}");
        assert_eq!(&by_uniq[0].body[..], body.as_bytes());
        let by_id = admin.query_message_by_id(TOPIC, &r.msg_id).await.unwrap();
        assert_eq!(&by_id.body[..], body.as_bytes());
        let key = format!("key-{body}");
        let by_key = admin
            .query_message_by_key(TOPIC, &key, 32, 0, Some(end + 1000))
            .await
            .unwrap();
        assert_eq!(by_key.len(), 1, "{key}");
        assert_eq!(&by_key[0].body[..], body.as_bytes());
    }
    // The time range counts: the "before" keys are not found in a range starting after them.
    let later = admin
        .query_message_by_key(TOPIC, "key-before-0", 32, rewind_to, Some(end + 1000))
        .await
        .unwrap();
    assert!(later.is_empty(), "{later:?}");
    p.shutdown().await;
}
