//! Two push consumers of one group against `ferrocket standalone`: they split 8 queues 4/4; when one stops the
//! other takes all 8, and every message sent is consumed.

mod client_support;
mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, producer, wait_until, UnderTest};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt, MessageQueue};

type Seen = Arc<Mutex<HashMap<String, usize>>>;

/// The queues of the test topic a consumer owns (its group's retry topic aside).
fn owned(c: &PushConsumer, topic: &str) -> Vec<MessageQueue> {
    c.assigned_queues()
        .into_iter()
        .filter(|q| q.topic == topic)
        .collect()
}

fn consumer(t: &UnderTest, instance: &str, seen: Seen) -> PushConsumer {
    PushConsumer::builder()
        .namesrv(&t.ns)
        .instance_name(instance)
        .group(t.name("ClusterG"))
        .subscribe(t.name("ClusterT"), "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .consume_threads(4, 4)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            let mut s = seen.lock().unwrap();
            for m in msgs {
                *s.entry(m.msg_id()).or_default() += 1;
            }
            ConsumeStatus::Success
        })
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_share_then_one_takes_over_without_loss() {
    let t = UnderTest::start();
    let ns = t.ns.clone();
    let topic = t.name("ClusterT");
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &t.broker, &topic, 8).await;

    let seen: Seen = Arc::default();
    let a = consumer(&t, "cluster-a", seen.clone());
    let b = consumer(&t, "cluster-b", seen.clone());
    a.start().await.unwrap();
    b.start().await.unwrap();
    let split = wait_until(Duration::from_secs(30), || async {
        owned(&a, &topic).len() == 4 && owned(&b, &topic).len() == 4
    })
    .await;
    assert!(
        split,
        "a owns {:?}, b owns {:?}",
        owned(&a, &topic),
        owned(&b, &topic)
    );
    let all: BTreeSet<_> = owned(&a, &topic)
        .into_iter()
        .chain(owned(&b, &topic))
        .collect();
    assert_eq!(all.len(), 8, "no queue owned twice");

    let p = producer(&ns, "cluster-p", &t.name("ClusterP")).await;
    let mut sent = BTreeSet::new();
    for i in 0..200 {
        sent.insert(
            p.send(Message::new(&topic, format!("first-{i}")))
                .await
                .unwrap()
                .msg_id,
        );
    }
    let all_seen = |sent: BTreeSet<String>, seen: Seen| async move {
        let s = seen.lock().unwrap();
        sent.iter().all(|id| s.contains_key(id))
    };
    assert!(
        wait_until(Duration::from_secs(30), || all_seen(
            sent.clone(),
            seen.clone()
        ))
        .await,
        "first half not fully consumed"
    );

    a.shutdown().await;
    let took_over = wait_until(Duration::from_secs(30), || async {
        owned(&b, &topic).len() == 8
    })
    .await;
    assert!(
        took_over,
        "b owns {:?} 30 s after a stopped",
        owned(&b, &topic)
    );

    for i in 0..200 {
        sent.insert(
            p.send(Message::new(&topic, format!("second-{i}")))
                .await
                .unwrap()
                .msg_id,
        );
    }
    assert!(
        wait_until(Duration::from_secs(30), || all_seen(
            sent.clone(),
            seen.clone()
        ))
        .await,
        "messages lost after the takeover: {} of {} seen",
        seen.lock().unwrap().len(),
        sent.len()
    );
    // Offsets were handed over: redeliveries are possible but rare, never a flood.
    let dups = seen.lock().unwrap().values().filter(|n| **n > 1).count();
    assert!(dups <= 50, "{dups} messages consumed more than once");
    b.shutdown().await;
    p.shutdown().await;
}
