//! `produce <namesrv> <topic> [--from ID] [--count N] [--tags A,B] [--mode sync|async|mixed] [--inflight K]`
//!
//! Message `id` has body `id=<id>`, key `k<id>` and tag `tags[id % len]`. In `mixed` mode even ids go with `send`
//! (sync) and odd ids with `send_with_callback` (async, at most `--inflight` outstanding). Prints one
//! `send-failed id=.. err=..` line per failure and finally
//! `sent ok=N failed=M sync=S async=A queues=0:n0,1:n1,...`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rocketmq_client_rust::{ClientRuntime, DefaultMQProducer};
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::result::SendStatus;
use tokio::sync::Semaphore;

use crate::args::{list, tag_of, Args};

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failed: AtomicU64,
    per_queue: Mutex<BTreeMap<i32, u64>>,
}

impl Tally {
    fn record(&self, id: u64, queue: Option<i32>, status: Result<SendStatus, String>) {
        match status {
            Ok(SendStatus::SendOk) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut q) = self.per_queue.lock() {
                    *q.entry(queue.unwrap_or(-1)).or_default() += 1;
                }
            }
            Ok(other) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                println!("send-failed id={id} err=status:{other:?}");
            }
            Err(e) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                println!("send-failed id={id} err={}", e.replace('\n', " "));
            }
        }
    }

    fn done(&self) -> u64 {
        self.ok.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

fn message(topic: &str, id: u64, tags: &[String]) -> Result<Message, String> {
    Message::builder()
        .topic(topic)
        .tags(tag_of(id, tags))
        .key(format!("k{id}"))
        .body(format!("id={id}"))
        .build()
        .map_err(|e| format!("build message {id}: {e}"))
}

pub async fn run(rt: Arc<ClientRuntime>, a: &Args) -> Result<(), String> {
    let namesrv = a.pos(1, "name server address")?;
    let topic = a.pos(2, "topic")?;
    let from: u64 = a.num("from", 0)?;
    let count: u64 = a.num("count", 100)?;
    let tags = list(&a.flag("tags", "TagA"));
    if tags.is_empty() {
        return Err("--tags is empty".into());
    }
    let mode = a.flag("mode", "mixed");
    let inflight: usize = a.num("inflight", 256)?;
    let mut producer = DefaultMQProducer::builder(rt)
        .producer_group(a.flag("group", "compat_rust_producer"))
        .name_server_addr(namesrv)
        .send_msg_timeout(10_000)
        .build();
    producer.start().await.map_err(|e| format!("producer start: {e}"))?;

    let tally = Arc::new(Tally::default());
    let permits = Arc::new(Semaphore::new(inflight));
    let (mut n_sync, mut n_async) = (0u64, 0u64);
    for id in from..from + count {
        let msg = message(&topic, id, &tags)?;
        let sync = match mode.as_str() {
            "sync" => true,
            "async" => false,
            _ => id % 2 == 0,
        };
        if sync {
            n_sync += 1;
            match producer.send(msg).await {
                Ok(Some(r)) => tally.record(id, r.message_queue.as_ref().map(|q| q.queue_id()), Ok(r.send_status)),
                Ok(None) => tally.record(id, None, Err("no send result".into())),
                Err(e) => tally.record(id, None, Err(e.to_string())),
            }
        } else {
            n_async += 1;
            let permit = permits.clone().acquire_owned().await.map_err(|e| e.to_string())?;
            // The callback is `Fn`, so the permit sits in a slot it empties on the (single) call.
            let slot = Mutex::new(Some(permit));
            let t = tally.clone();
            let sent = producer
                .send_with_callback(msg, move |result, error| {
                    match (result, error) {
                        (Some(r), _) => t.record(id, r.message_queue.as_ref().map(|q| q.queue_id()), Ok(r.send_status)),
                        (None, Some(e)) => t.record(id, None, Err(e.to_string())),
                        (None, None) => t.record(id, None, Err("callback without result".into())),
                    }
                    if let Ok(mut s) = slot.lock() {
                        s.take();
                    }
                })
                .await;
            if let Err(e) = sent {
                tally.record(id, None, Err(format!("send_with_callback: {e}")));
            }
        }
    }
    // Wait for the outstanding async callbacks (each send has a 10 s timeout of its own).
    let deadline = Instant::now() + Duration::from_secs(60);
    while tally.done() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    producer.shutdown().await;
    let queues: Vec<String> = tally
        .per_queue
        .lock()
        .map(|q| q.iter().map(|(k, v)| format!("{k}:{v}")).collect())
        .unwrap_or_default();
    let ok = tally.ok.load(Ordering::Relaxed);
    let failed = tally.failed.load(Ordering::Relaxed);
    let missing = count - ok - failed;
    println!(
        "sent ok={ok} failed={} sync={n_sync} async={n_async} queues={}",
        failed + missing,
        queues.join(",")
    );
    Ok(())
}
