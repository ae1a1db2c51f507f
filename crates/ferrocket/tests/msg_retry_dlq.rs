//! Retries and dead letters end to end: `ferrocket standalone` with every delay level 1 s, the client SDK's push
//! consumer answering RECONSUME_LATER. The message is seen maxReconsumeTimes + 1 times, lands in `%DLQ%<group>`
//! with its origin recorded, and can be re-sent from there.

mod client_support;
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use client_support::{create_topic, producer, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt};
use ferrocket_protocol::message::properties::{
    DLQ_ORIGIN_MESSAGE_ID, DLQ_ORIGIN_TOPIC, ORIGIN_MESSAGE_ID, RETRY_TOPIC,
};

const TOPIC: &str = "RetryT";
const GROUP: &str = "RetryG";
const MAX_RECONSUME: i32 = 3;

fn one_second_levels() -> String {
    format!("messageDelayLevel={}", vec!["1s"; 18].join(" "))
}

/// (body, reconsume times, when) of each delivery.
type Deliveries = Arc<Mutex<Vec<(String, i32, Instant)>>>;

fn consumer(
    ns: &str,
    instance: &str,
    group: &str,
    topic: &str,
    fail: bool,
    seen: Deliveries,
) -> PushConsumer {
    PushConsumer::builder()
        .namesrv(ns)
        .instance_name(instance)
        .group(group)
        .subscribe(topic, "*")
        .max_reconsume_times(MAX_RECONSUME)
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            let mut s = seen.lock().unwrap();
            for m in msgs {
                s.push((
                    String::from_utf8_lossy(&m.body).into_owned(),
                    m.reconsume_times,
                    Instant::now(),
                ));
            }
            if fail {
                ConsumeStatus::ReconsumeLater
            } else {
                ConsumeStatus::Success
            }
        })
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_listener_sees_retries_then_the_message_is_a_dead_letter() {
    let levels = one_second_levels();
    let server = support::spawn_standalone(&["--set", &levels]);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, TOPIC, 2).await;
    let p = producer(&ns, "retry-p", "RetryP").await;
    let sent = p
        .send(Message::new(TOPIC, "doomed").with_key("dlq-key"))
        .await
        .unwrap();

    let seen: Deliveries = Arc::default();
    let c = consumer(&ns, "retry-c", GROUP, TOPIC, true, seen.clone());
    c.start().await.unwrap();
    let all = wait_until(Duration::from_secs(60), || async {
        seen.lock().unwrap().len() >= (MAX_RECONSUME + 1) as usize
    })
    .await;
    assert!(all, "deliveries: {:?}", seen.lock().unwrap());
    // No fifth delivery: the fourth failure sends it to the DLQ.
    tokio::time::sleep(Duration::from_secs(4)).await;
    c.shutdown().await;
    let deliveries = seen.lock().unwrap().clone();
    assert_eq!(
        deliveries.len(),
        (MAX_RECONSUME + 1) as usize,
        "{deliveries:?}"
    );
    let times: Vec<i32> = deliveries.iter().map(|d| d.1).collect();
    assert_eq!(times, [0, 1, 2, 3]);
    assert!(deliveries.iter().all(|d| d.0 == "doomed"));
    // Each retry waited for its delay level (1 s here) rather than coming back at once.
    for w in deliveries.windows(2) {
        assert!(
            w[1].2 - w[0].2 >= Duration::from_millis(800),
            "retry came back after {:?}",
            w[1].2 - w[0].2
        );
    }

    // The dead letter: readable from %DLQ%<group> (perm 6), with where it came from.
    let dlq_topic = format!("%DLQ%{GROUP}");
    let routed = wait_until(Duration::from_secs(30), || async {
        admin.topic_route(&dlq_topic).await.is_ok()
    })
    .await;
    assert!(routed, "the DLQ topic is registered");
    let found = admin
        .query_message_by_key(&dlq_topic, "dlq-key", 32, 0, None)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let dead = &found[0];
    assert_eq!(&dead.body[..], b"doomed");
    assert_eq!(dead.property(RETRY_TOPIC), Some(TOPIC));
    assert_eq!(dead.property(DLQ_ORIGIN_TOPIC), Some(TOPIC));
    assert_eq!(
        dead.property(DLQ_ORIGIN_MESSAGE_ID),
        Some(sent.msg_id.as_str())
    );
    assert_eq!(
        dead.property(ORIGIN_MESSAGE_ID),
        Some(sent.offset_msg_id.as_str())
    );
    assert_eq!(dead.reconsume_times, MAX_RECONSUME + 1);

    // Re-sent to its origin, a (now healthy) consumer of the group gets it once more.
    let origin = dead.property(DLQ_ORIGIN_TOPIC).unwrap().to_owned();
    p.send(Message::new(origin, dead.body.clone()).with_key("dlq-key"))
        .await
        .unwrap();
    let again: Deliveries = Arc::default();
    let healthy = consumer(&ns, "retry-c2", GROUP, TOPIC, false, again.clone());
    healthy.start().await.unwrap();
    let redelivered = wait_until(Duration::from_secs(30), || async {
        !again.lock().unwrap().is_empty()
    })
    .await;
    assert!(redelivered);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = again.lock().unwrap().clone();
    assert_eq!(again.len(), 1, "only the re-sent copy: {again:?}");
    assert_eq!((again[0].0.as_str(), again[0].1), ("doomed", 0));
    healthy.shutdown().await;
    p.shutdown().await;
}
