//! Broadcasting and orderly push consumption against `ferrocket standalone`.

mod client_support;
mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, producer, wait_until, UnderTest};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{
    ConsumeContext, ConsumeFromWhere, ConsumeOrderlyContext, ConsumeOrderlyStatus, ConsumeStatus,
    MessageModel, PushConsumer,
};
use ferrocket_client::{Message, MessageExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_delivers_every_message_to_each_consumer() {
    let t = UnderTest::start();
    let ns = t.ns.clone();
    let topic = t.name("BroadT");
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &t.broker, &topic, 4).await;
    let offsets = tempfile::tempdir().unwrap();

    let mut consumers = Vec::new();
    let mut seen = Vec::new();
    for name in ["bc-1", "bc-2"] {
        let got: Arc<Mutex<Vec<String>>> = Arc::default();
        let g = got.clone();
        let c = PushConsumer::builder()
            .namesrv(&ns)
            .instance_name(name)
            .group(t.name("BroadG"))
            .subscribe(&topic, "*")
            .message_model(MessageModel::Broadcasting)
            .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
            .offset_store_dir(offsets.path())
            .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
                g.lock().unwrap().extend(msgs.iter().map(|m| m.msg_id()));
                ConsumeStatus::Success
            })
            .build()
            .unwrap();
        c.start().await.unwrap();
        consumers.push(c);
        seen.push(got);
    }
    for c in &consumers {
        assert_eq!(
            c.assigned_queues().len(),
            4,
            "broadcasting consumers own every queue"
        );
    }
    let p = producer(&ns, "bc-p", &t.name("BroadP")).await;
    let mut sent = BTreeSet::new();
    for i in 0..100 {
        sent.insert(
            p.send(Message::new(&topic, format!("b{i}")))
                .await
                .unwrap()
                .msg_id,
        );
    }
    for (i, got) in seen.iter().enumerate() {
        let complete = wait_until(Duration::from_secs(30), || async {
            let g = got.lock().unwrap();
            sent.iter().all(|id| g.contains(id))
        })
        .await;
        assert!(
            complete,
            "consumer {i} saw {} of {}",
            got.lock().unwrap().len(),
            sent.len()
        );
    }
    for c in &consumers {
        c.shutdown().await;
    }
    // Offsets went to the local files, one per client id.
    let files: Vec<_> = walk(offsets.path());
    assert_eq!(files.len(), 2, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.contains(&topic) && text.contains("offsetTable"),
            "{text}"
        );
    }
    p.shutdown().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    out
}

/// Clustering: the consumer must hold the broker's lock of each queue (LOCK_BATCH_MQ).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_clustering_keeps_per_key_order_with_four_threads() {
    let t = UnderTest::start();
    if !client_support::broker_supports(
        &t.broker,
        ferrocket_protocol::codes::request_code::LOCK_BATCH_MQ,
    )
    .await
    {
        eprintln!("SKIPPED: this broker build does not answer LOCK_BATCH_MQ yet");
        return;
    }
    orderly_keeps_per_key_order(&t, "OrderCT", MessageModel::Clustering).await;
}

/// Broadcasting needs no broker locks; the per-queue ordering is the client's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_broadcasting_keeps_per_key_order_with_four_threads() {
    let t = UnderTest::start();
    orderly_keeps_per_key_order(&t, "OrderBT", MessageModel::Broadcasting).await;
}

async fn orderly_keeps_per_key_order(t: &UnderTest, topic: &str, model: MessageModel) {
    let ns = t.ns.clone();
    let topic = t.name(topic);
    let offsets = tempfile::tempdir().unwrap();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &t.broker, &topic, 8).await;

    let p = producer(&ns, "ord-p", &t.name("OrderP")).await;
    const KEYS: usize = 16;
    const PER_KEY: usize = 40;
    for seq in 0..PER_KEY {
        for key in 0..KEYS {
            let msg = Message::new(&topic, format!("{key}:{seq}")).with_key(format!("k{key}"));
            p.send_orderly(msg, &format!("order-{key}")).await.unwrap();
        }
    }

    // Per key, the sequence numbers in the order the listener saw them.
    let got: Arc<Mutex<HashMap<usize, Vec<usize>>>> = Arc::default();
    let in_flight: Arc<Mutex<BTreeSet<i32>>> = Arc::default();
    let overlap = Arc::new(Mutex::new(false));
    let (g, busy, ov) = (got.clone(), in_flight.clone(), overlap.clone());
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("ord-c")
        .group(t.name(&format!("{topic}G")))
        .subscribe(&topic, "*")
        .message_model(model)
        .offset_store_dir(offsets.path())
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .consume_threads(4, 4)
        .consume_batch_max_size(3)
        .orderly_listener(
            move |msgs: &[MessageExt], ctx: &mut ConsumeOrderlyContext| {
                // Never two batches of one queue at once.
                if !busy.lock().unwrap().insert(ctx.queue.queue_id) {
                    *ov.lock().unwrap() = true;
                }
                std::thread::sleep(Duration::from_millis(2));
                for m in msgs {
                    let body = String::from_utf8_lossy(&m.body).into_owned();
                    let (key, seq) = body.split_once(':').unwrap();
                    g.lock()
                        .unwrap()
                        .entry(key.parse().unwrap())
                        .or_default()
                        .push(seq.parse().unwrap());
                }
                busy.lock().unwrap().remove(&ctx.queue.queue_id);
                ConsumeOrderlyStatus::Success
            },
        )
        .build()
        .unwrap();
    c.start().await.unwrap();
    let done = wait_until(Duration::from_secs(60), || async {
        let g = got.lock().unwrap();
        g.len() == KEYS && g.values().all(|v| v.len() >= PER_KEY)
    })
    .await;
    let g = got.lock().unwrap().clone();
    assert!(
        done,
        "consumed {:?}",
        g.iter().map(|(k, v)| (*k, v.len())).collect::<Vec<_>>()
    );
    for (key, seqs) in &g {
        assert_eq!(
            seqs,
            &(0..PER_KEY).collect::<Vec<_>>(),
            "key {key} out of order"
        );
    }
    assert!(
        !*overlap.lock().unwrap(),
        "a queue was consumed by two threads at once"
    );
    if model == MessageModel::Clustering {
        let info = c.running_info();
        let locked = info
            .mq_table
            .iter()
            .filter(|(q, i)| q.topic == topic && i.locked)
            .count();
        assert_eq!(
            locked, 8,
            "the consumer holds the broker lock of every queue"
        );
    }
    c.shutdown().await;
    p.shutdown().await;
}
