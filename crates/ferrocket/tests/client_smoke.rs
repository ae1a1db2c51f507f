//! The client SDK against `ferrocket standalone`: send with auto-created topic, consume with a push consumer.

mod client_support;
mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt, Producer};
use std::sync::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_then_consume_everything() {
    let t = client_support::UnderTest::start();
    let ns = t.ns.clone();
    let topic = t.name("SmokeTopic");
    let producer = Producer::builder()
        .namesrv(&ns)
        .instance_name("smoke-p")
        .group(t.name("SmokeP"))
        .build()
        .unwrap();
    producer.start().await.unwrap();
    let mut sent = BTreeSet::new();
    for i in 0..50 {
        let r = producer
            .send(
                Message::new(&topic, format!("m{i}")).with_tags(if i % 2 == 0 { "A" } else { "B" }),
            )
            .await
            .unwrap();
        sent.insert(r.msg_id.clone());
    }
    let got = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let g = got.clone();
    let consumer = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("smoke-c")
        .group(t.name("SmokeC"))
        .subscribe(&topic, "A")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            for m in msgs {
                g.lock()
                    .unwrap()
                    .push((m.msg_id(), String::from_utf8_lossy(&m.body).into_owned()));
            }
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    consumer.start().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.lock().unwrap().len() < 25 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 25, "{got:?}");
    assert!(got
        .iter()
        .all(|(id, body)| sent.contains(id) && body[1..].parse::<u32>().unwrap() % 2 == 0));
    consumer.shutdown().await;
    producer.shutdown().await;
}
