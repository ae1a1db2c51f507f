//! Producer features against `ferrocket standalone`: async, callback and oneway sends, batches, queue choice,
//! compression, auto-created topics, and what the broker stored (checked through the admin API).

mod client_support;
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use client_support::{create_topic, producer, wait_until, UnderTest};
use ferrocket_client::admin::Admin;
use ferrocket_client::producer::SendStatus;
use ferrocket_client::{Message, MessageQueue};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_variants_store_what_was_sent() {
    let t = UnderTest::start();
    let ns = t.ns.clone();
    let topic = t.name("ProdT");
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &t.broker, &topic, 4).await;
    let p = producer(&ns, "prod-p", &t.name("ProdP")).await;

    // Sync send: ids, queue, offsets.
    let r = p
        .send(
            Message::new(&topic, "hello")
                .with_tags("TagA")
                .with_key("key-1"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, SendStatus::SendOk);
    assert_eq!(r.msg_id.len(), 32);
    assert_eq!(r.offset_msg_id.len(), 32);
    assert_eq!(r.queue.topic, topic);
    let stored = admin.view_message(&r.offset_msg_id).await.unwrap();
    assert_eq!(&stored.body[..], b"hello");
    assert_eq!(stored.tags(), Some("TagA"));
    assert_eq!(stored.uniq_key(), Some(r.msg_id.as_str()));
    assert_eq!(stored.queue_offset, r.queue_offset);

    // Round robin covers every queue.
    let mut queues = BTreeSet::new();
    for i in 0..8 {
        queues.insert(
            p.send(Message::new(&topic, format!("rr{i}")))
                .await
                .unwrap()
                .queue
                .queue_id,
        );
    }
    assert_eq!(queues.len(), 4, "round robin used {queues:?}");

    // Async and callback sends.
    let futs: Vec<_> = (0..20)
        .map(|i| p.send_async(Message::new(&topic, format!("a{i}"))))
        .collect();
    for f in futs {
        assert_eq!(f.await.unwrap().status, SendStatus::SendOk);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    p.send_with_callback(Message::new(&topic, "cb"), move |r| {
        let _ = tx.send(r.map(|r| r.offset_msg_id));
    });
    let cb_id = rx.await.unwrap().unwrap();
    assert_eq!(&admin.view_message(&cb_id).await.unwrap().body[..], b"cb");

    // To a chosen queue, and by sharding key (always the same queue).
    let mq = MessageQueue::new(&topic, r.queue.broker_name.clone(), 2);
    assert_eq!(
        p.send_to_queue(Message::new(&topic, "q2"), &mq)
            .await
            .unwrap()
            .queue,
        mq
    );
    let first = p
        .send_orderly(Message::new(&topic, "o"), "user-42")
        .await
        .unwrap()
        .queue;
    for _ in 0..5 {
        assert_eq!(
            p.send_orderly(Message::new(&topic, "o"), "user-42")
                .await
                .unwrap()
                .queue,
            first
        );
    }

    // Compressed on the wire, inflated for readers.
    let big: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let r = p.send(Message::new(&topic, big.clone())).await.unwrap();
    let stored = admin.view_message(&r.offset_msg_id).await.unwrap();
    assert_eq!(stored.body.to_vec(), big);

    // A batch: consecutive offsets in one queue, one id per message.
    let batch: Vec<Message> = (0..5)
        .map(|i| Message::new(&topic, format!("batch{i}")).with_key(format!("bk{i}")))
        .collect();
    let r = p.send_batch(batch).await.unwrap();
    let ids: Vec<&str> = r.msg_id.split(',').collect();
    let offset_ids: Vec<&str> = r.offset_msg_id.split(',').collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(offset_ids.len(), 5);
    for (i, oid) in offset_ids.iter().enumerate() {
        let m = admin.view_message(oid).await.unwrap();
        assert_eq!(m.body.to_vec(), format!("batch{i}").into_bytes());
        assert_eq!(m.queue_offset, r.queue_offset + i as i64);
        assert_eq!(m.uniq_key(), Some(ids[i]));
    }

    // Oneway: nothing to wait for, but it arrives.
    let before = admin.topic_stats(&topic).await.unwrap();
    let total = |t: &ferrocket_client::admin::TopicStatsTable| {
        t.offset_table.values().map(|o| o.max_offset).sum::<i64>()
    };
    for i in 0..10 {
        p.send_oneway(Message::new(&topic, format!("ow{i}")))
            .await
            .unwrap();
    }
    let arrived = wait_until(Duration::from_secs(10), || async {
        admin
            .topic_stats(&topic)
            .await
            .map(|t| total(&t) >= total(&before) + 10)
            .unwrap_or(false)
    })
    .await;
    assert!(arrived, "oneway messages did not arrive");

    // Bad messages fail before the network.
    assert!(p.send(Message::new("Prod T", "x")).await.is_err());
    assert!(p.send(Message::new(&topic, "")).await.is_err());
    p.shutdown().await;
    assert!(
        p.send(Message::new(&topic, "x")).await.is_err(),
        "send after shutdown fails"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_topic_is_auto_created_from_the_template() {
    let t = UnderTest::start();
    let ns = t.ns.clone();
    let auto = t.name("AutoCreatedT");
    let admin = Admin::connect(&ns).await.unwrap();
    let p = producer(&ns, "auto-p", &t.name("AutoP")).await;
    let r = p.send(Message::new(&auto, "first")).await.unwrap();
    assert_eq!(r.status, SendStatus::SendOk);
    let routed = wait_until(Duration::from_secs(30), || async {
        admin.topic_route(&auto).await.is_ok()
    })
    .await;
    assert!(routed, "auto-created topic never got a route");
    let route = admin.topic_route(&auto).await.unwrap();
    assert_eq!(
        route.queue_datas[0].write_queue_nums, 4,
        "defaultTopicQueueNums caps the template's 8"
    );
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_to_a_dead_broker_fails_clearly_within_the_timeout() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, "DeadT", 2).await;
    let p = ferrocket_client::Producer::builder()
        .namesrv(&ns)
        .instance_name("dead-p")
        .group("DeadP")
        .send_timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    p.start().await.unwrap();
    p.send(Message::new("DeadT", "ok")).await.unwrap();
    drop(server);
    let start = std::time::Instant::now();
    let err = p.send(Message::new("DeadT", "lost")).await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    let text = err.to_string();
    assert!(text.contains("DeadT"), "{text}");
}
