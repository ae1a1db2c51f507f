//! Scheduled delivery through real `ferrocket` processes and the client SDK: delay levels and 5.x timers arrive on
//! time (never early), timers in the past at once, and both survive a broker restart (graceful or killed) before
//! they are due, exactly once. Prints the measured delivery errors (received − sent − nominal delay).

mod client_support;
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Receive times by message body, plus how often each body arrived.
type Inbox = Arc<Mutex<BTreeMap<String, Vec<i64>>>>;

async fn consumer(ns: &str, name: &str, topics: &[&str]) -> (PushConsumer, Inbox) {
    let inbox: Inbox = Arc::default();
    let sink = inbox.clone();
    let mut b = PushConsumer::builder()
        .namesrv(ns)
        .instance_name(name)
        .group(format!("G_{name}"))
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset);
    for t in topics {
        b = b.subscribe(*t, "*");
    }
    let c = b
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            let at = now_ms();
            let mut g = sink.lock().unwrap();
            for m in msgs {
                g.entry(String::from_utf8_lossy(&m.body).into_owned())
                    .or_default()
                    .push(at);
            }
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    (c, inbox)
}

async fn wait_assigned(c: &PushConsumer, queues: usize) {
    let ok = client_support::wait_until(Duration::from_secs(30), || async {
        c.assigned_queues().len() >= queues
    })
    .await;
    assert!(ok, "consumer got {} queues", c.assigned_queues().len());
}

async fn wait_count(inbox: &Inbox, n: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while inbox.lock().unwrap().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// min / median / max of `v` (sorted in place).
fn summary(v: &mut [i64]) -> (i64, i64, i64) {
    v.sort_unstable();
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

/// Delivery errors (ms) of the messages named `prefix{i}`, each received exactly once.
fn errors(inbox: &Inbox, sent: &BTreeMap<String, i64>, prefix: &str, nominal: i64) -> Vec<i64> {
    let got = inbox.lock().unwrap();
    sent.iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, at)| {
            let times = got.get(k).unwrap_or_else(|| panic!("{k} never arrived"));
            assert_eq!(times.len(), 1, "{k} arrived {} times", times.len());
            times[0] - at - nominal
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_levels_and_timers_arrive_on_time_through_the_client() {
    const N: usize = 20;
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    for t in ["SchedLevel", "SchedTimer", "SchedPast"] {
        client_support::create_topic(&admin, &server.addr, t, 2).await;
    }
    let (c, inbox) = consumer(&ns, "sched-c", &["SchedLevel", "SchedTimer", "SchedPast"]).await;
    wait_assigned(&c, 6).await;
    let producer = client_support::producer(&ns, "sched-p", "SchedP").await;

    let mut sent = BTreeMap::new();
    for i in 0..N {
        let at = now_ms();
        producer
            .send(Message::new("SchedLevel", format!("L{i:02}")).with_delay_level(2))
            .await
            .unwrap();
        sent.insert(format!("L{i:02}"), at);
        let at = now_ms();
        producer
            .send(
                Message::new("SchedTimer", format!("T{i:02}"))
                    .with_property("TIMER_DELAY_SEC", "3"),
            )
            .await
            .unwrap();
        sent.insert(format!("T{i:02}"), at);
        let at = now_ms();
        let past = (at - 10_000).to_string();
        producer
            .send(
                Message::new("SchedPast", format!("P{i:02}"))
                    .with_property("TIMER_DELIVER_MS", past),
            )
            .await
            .unwrap();
        sent.insert(format!("P{i:02}"), at);
        // Spread the sends over time so the errors sample different moments.
        tokio::time::sleep(Duration::from_millis(37)).await;
    }
    wait_count(&inbox, 3 * N, Duration::from_secs(15)).await;
    // Duplicates would show up late: give them a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut level = errors(&inbox, &sent, "L", 5000);
    let mut timer = errors(&inbox, &sent, "T", 3000);
    let mut past = errors(&inbox, &sent, "P", 0);
    let (l, t, p) = (summary(&mut level), summary(&mut timer), summary(&mut past));
    eprintln!("delivery error ms (min/median/max over {N}): level-2 (5 s) {l:?}; 3 s timer {t:?}; past timer {p:?}");
    assert!(l.0 >= 0 && l.2 < 1500, "level 2: {level:?}");
    assert!(t.0 >= 0 && t.2 < 1500, "3 s timer: {timer:?}");
    assert!(p.0 >= 0 && p.2 < 1000, "past timer: {past:?}");

    c.shutdown().await;
    producer.shutdown().await;
}

/// Sends 4 level-2 (5 s) and 4 four-second timers, stops the broker after about a second (`kill` true: SIGKILL,
/// else SIGTERM), starts it again on the same store and checks every message arrives once, not early.
async fn restart_before_due(kill: bool) {
    let namesrv = support::spawn_namesrv(&[]);
    let store = tempfile::tempdir().unwrap();
    let root = format!("storePathRootDir={}", store.path().display());
    let ns = namesrv.addr.clone();
    let mut broker = support::spawn_broker(&ns, &["--set", &root]);
    let admin = Admin::connect(&ns).await.unwrap();
    client_support::create_topic(&admin, &broker.addr, "SchedRestart", 2).await;
    let producer = client_support::producer(&ns, "sched-r-p", "SchedRP").await;
    let mut sent = BTreeMap::new();
    for i in 0..4 {
        let at = now_ms();
        producer
            .send(Message::new("SchedRestart", format!("L{i}")).with_delay_level(2))
            .await
            .unwrap();
        sent.insert(format!("L{i}"), at);
        let at = now_ms();
        producer
            .send(
                Message::new("SchedRestart", format!("T{i}"))
                    .with_property("TIMER_DELAY_MS", "4000"),
            )
            .await
            .unwrap();
        sent.insert(format!("T{i}"), at);
    }
    producer.shutdown().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    if kill {
        drop(broker); // SIGKILL
    } else {
        assert!(broker
            .terminate(Duration::from_secs(10))
            .is_some_and(|s| s.success()));
        drop(broker);
    }
    let broker = support::spawn_broker(&ns, &["--set", &root]);
    let (c, inbox) = consumer(
        &ns,
        if kill { "sched-r-k" } else { "sched-r-t" },
        &["SchedRestart"],
    )
    .await;
    wait_count(&inbox, 8, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut level = errors(&inbox, &sent, "L", 5000);
    let mut timer = errors(&inbox, &sent, "T", 4000);
    assert_eq!(inbox.lock().unwrap().len(), 8);
    let (l, t) = (summary(&mut level), summary(&mut timer));
    eprintln!(
        "after a restart ({}): level-2 error ms {l:?}, 4 s timer error ms {t:?}",
        if kill { "SIGKILL" } else { "SIGTERM" }
    );
    assert!(l.0 >= 0 && l.2 < 2000, "level 2 after restart: {level:?}");
    assert!(t.0 >= 0 && t.2 < 2000, "timer after restart: {timer:?}");
    c.shutdown().await;
    drop(broker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_survives_a_graceful_broker_restart() {
    restart_before_due(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_survives_a_killed_broker() {
    restart_before_due(true).await;
}
