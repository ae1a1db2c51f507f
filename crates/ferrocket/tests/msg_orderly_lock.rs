//! Ordered consumption with broker locks end to end: the client SDK's orderly push consumer holds the broker's lock
//! of each queue it consumes (another client cannot take them), retries a suspended message in place, keeps the
//! per-key order, and its queues are free again once it is gone.

mod client_support;
mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, producer, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{
    ConsumeFromWhere, ConsumeOrderlyContext, ConsumeOrderlyStatus, PushConsumer,
};
use ferrocket_client::{Message, MessageExt};
use ferrocket_protocol::body::{LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;

const TOPIC: &str = "OrdLockT";
const GROUP: &str = "OrdLockG";
const QUEUES: i32 = 4;

/// LOCK_BATCH_MQ of every queue of the topic as another client; returns the queues it got.
async fn lock_as_intruder(broker: &str) -> BTreeSet<MessageQueue> {
    let conn = ferrocket_remoting::connect(
        broker,
        Arc::new(ferrocket_remoting::NoRequests),
        &ferrocket_remoting::ConnectionConfig::default(),
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    let body = LockBatchRequestBody {
        client_id: "intruder".into(),
        consumer_group: GROUP.into(),
        mq_set: (0..QUEUES)
            .map(|q| MessageQueue::new(TOPIC, "broker-a", q))
            .collect(),
        only_this_broker: false,
    };
    let resp = conn
        .invoke(
            RemotingCommand::new_request(request_code::LOCK_BATCH_MQ).with_body(body.encode()),
            Duration::from_secs(3),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let locked = LockBatchResponseBody::decode(&resp.body)
        .unwrap()
        .lock_ok_mq_set;
    // Give them back at once (closing the connection releases them).
    conn.close();
    locked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_consumer_holds_queue_locks_and_keeps_order() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, TOPIC, QUEUES).await;
    let p = producer(&ns, "ol-p", "OrdLockP").await;
    const KEYS: usize = 6;
    const PER_KEY: usize = 10;
    for seq in 0..PER_KEY {
        for key in 0..KEYS {
            let msg = Message::new(TOPIC, format!("{key}:{seq}"));
            p.send_orderly(msg, &format!("key-{key}")).await.unwrap();
        }
    }

    let got: Arc<Mutex<HashMap<usize, Vec<usize>>>> = Arc::default();
    let suspended = Arc::new(Mutex::new(false));
    let (g, s) = (got.clone(), suspended.clone());
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("ol-c")
        .group(GROUP)
        .subscribe(TOPIC, "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .consume_batch_max_size(1)
        .suspend_current_queue_time(Duration::from_millis(200))
        .orderly_listener(move |msgs: &[MessageExt], _: &mut ConsumeOrderlyContext| {
            let body = String::from_utf8_lossy(&msgs[0].body).into_owned();
            let (key, seq) = body.split_once(':').unwrap();
            let (key, seq): (usize, usize) = (key.parse().unwrap(), seq.parse().unwrap());
            g.lock().unwrap().entry(key).or_default().push(seq);
            // The first time 0:2 comes, ask for it again later: it must come back before 0:3.
            if (key, seq) == (0, 2) && !std::mem::replace(&mut *s.lock().unwrap(), true) {
                return ConsumeOrderlyStatus::SuspendCurrentQueueAMoment;
            }
            ConsumeOrderlyStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();

    let done = wait_until(Duration::from_secs(60), || async {
        let g = got.lock().unwrap();
        g.len() == KEYS && g.values().all(|v| v.last() == Some(&(PER_KEY - 1)))
    })
    .await;
    assert!(done, "{:?}", got.lock().unwrap());

    // The consumer holds every queue's lock: another client of the group gets none.
    assert!(
        lock_as_intruder(&server.addr).await.is_empty(),
        "queues locked by the running orderly consumer"
    );

    let got = got.lock().unwrap().clone();
    for (key, seqs) in &got {
        let mut expected: Vec<usize> = (0..PER_KEY).collect();
        if *key == 0 {
            expected.insert(2, 2);
        }
        assert_eq!(seqs, &expected, "key {key}");
    }

    c.shutdown().await;
    // Gone: its queues can be locked by someone else.
    let freed = wait_until(Duration::from_secs(10), || async {
        lock_as_intruder(&server.addr).await.len() == QUEUES as usize
    })
    .await;
    assert!(freed, "locks released after the consumer stopped");
    p.shutdown().await;
}
