//! A slow listener against `ferrocket standalone`: the push consumer's cache per queue never grows past its
//! flow-control limits (message count, and bytes up to one message), and nothing is lost.

mod client_support;
mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use client_support::{create_topic, wait_until, UnderTest};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt, Producer};

async fn run(
    t: &UnderTest,
    topic: &str,
    body_len: usize,
    count: usize,
    max_count: usize,
    max_mib: u64,
) {
    let ns = t.ns.clone();
    let topic = &t.name(topic);
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &t.broker, topic, 2).await;
    let p = Producer::builder()
        .namesrv(&ns)
        .instance_name(format!("{topic}-p"))
        .group(t.name("FlowP"))
        .compress_over(usize::MAX)
        .build()
        .unwrap();
    p.start().await.unwrap();
    let mut sent = BTreeSet::new();
    for i in 0..count {
        let mut body = vec![b'.'; body_len];
        body[..8].copy_from_slice(&(i as u64).to_be_bytes());
        sent.insert(p.send(Message::new(topic, body)).await.unwrap().msg_id);
    }

    let seen: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let s = seen.clone();
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name(format!("{topic}-c"))
        .group(format!("{topic}G"))
        .subscribe(topic, "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .consume_threads(1, 1)
        .pull_threshold_for_queue(max_count, max_mib)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            std::thread::sleep(Duration::from_millis(5));
            s.lock().unwrap().extend(msgs.iter().map(|m| m.msg_id()));
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();

    let (mut peak_count, mut peak_bytes) = (0usize, 0u64);
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < sent.len() && Instant::now() < deadline {
        for q in c.queue_stats() {
            peak_count = peak_count.max(q.cached_count);
            peak_bytes = peak_bytes.max(q.cached_bytes);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all = wait_until(Duration::from_secs(5), || async {
        seen.lock().unwrap().len() >= sent.len()
    })
    .await;
    assert!(
        all,
        "consumed {} of {}",
        seen.lock().unwrap().len(),
        sent.len()
    );
    assert!(sent.iter().all(|id| seen.lock().unwrap().contains(id)));
    eprintln!("{topic}: peak {peak_count} messages, {peak_bytes} bytes");
    assert!(peak_count > 0, "the cache was observed");
    assert!(
        peak_count <= max_count,
        "cached {peak_count} messages in one queue; limit {max_count}"
    );
    let byte_limit = max_mib * 1024 * 1024 + body_len as u64;
    assert!(
        peak_bytes <= byte_limit,
        "cached {peak_bytes} bytes in one queue; limit {byte_limit}"
    );
    c.shutdown().await;
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_limit_holds_with_a_slow_listener() {
    let t = UnderTest::start();
    run(&t, "FlowCountT", 100, 400, 20, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_limit_holds_with_a_slow_listener() {
    let t = UnderTest::start();
    // 1 MiB per queue holds about ten 100 KiB messages.
    run(&t, "FlowBytesT", 100 * 1024, 120, 1000, 1).await;
}
