//! Rewinding a running push consumer with the admin API against `ferrocket standalone`: by the broker pushing
//! RESET_CONSUMER_CLIENT_OFFSET to the client, and by the broker moving the offset itself (PULL_OFFSET_MOVED).

mod client_support;
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, producer, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt};

async fn rewind(server_side: bool) {
    let setting = format!("useServerSideResetOffset={server_side}");
    let server = support::spawn_standalone(&["--set", &setting]);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, "ResetT", 2).await;
    let p = producer(&ns, "reset-p", "ResetP").await;
    let before_first = ferrocket_client_now() - 1000;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            p.send(Message::new("ResetT", format!("m{i}")))
                .await
                .unwrap()
                .msg_id,
        );
    }
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let s = seen.clone();
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("reset-c")
        .group("ResetG")
        .subscribe("ResetT", "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            let mut s = s.lock().unwrap();
            for m in msgs {
                *s.entry(m.msg_id()).or_default() += 1;
            }
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    let seen_times = |n: usize| {
        let (ids, seen) = (ids.clone(), seen.clone());
        move || {
            let (ids, seen) = (ids.clone(), seen.clone());
            async move {
                let s = seen.lock().unwrap();
                ids.iter().all(|id| s.get(id).copied().unwrap_or(0) >= n)
            }
        }
    };
    assert!(
        wait_until(Duration::from_secs(30), seen_times(1)).await,
        "first pass"
    );
    // Let the consumed offsets reach the broker before rewinding them.
    let committed = wait_until(Duration::from_secs(20), || async {
        let stats = admin.consume_stats("ResetG", Some("ResetT")).await;
        stats
            .map(|s| s.total_diff() == 0 && !s.offset_table.is_empty())
            .unwrap_or(false)
    })
    .await;
    assert!(committed, "offsets never caught up on the broker");

    let reset = admin
        .reset_offset_by_time("ResetG", "ResetT", before_first, true)
        .await
        .unwrap();
    assert!(reset.values().all(|o| *o == 0), "{reset:?}");
    let again = wait_until(Duration::from_secs(30), seen_times(2)).await;
    let counts: Vec<usize> = ids
        .iter()
        .map(|id| seen.lock().unwrap().get(id).copied().unwrap_or(0))
        .collect();
    assert!(
        again,
        "not every message was consumed again after the rewind: {counts:?}"
    );
    c.shutdown().await;
    p.shutdown().await;
}

fn ferrocket_client_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_pushed_to_the_client() {
    rewind(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_done_by_the_broker() {
    rewind(true).await;
}
