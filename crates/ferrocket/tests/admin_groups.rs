//! `ferrocket admin` group commands against `ferrocket standalone` with a real push consumer: updateSubGroup,
//! consumerConnection, consumerStatus, topicList -c, queryMsgById -g -d (direct consumption), consumerProgress (per-queue
//! offsets, lag, totals, owning client), resetOffsetByTime, deleteSubGroup.

mod admin_support;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use admin_support::{admin, admin_in, create_topic, Run};
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt, Producer};

/// Runs a blocking CLI call off the async test's threads.
async fn cli(ns: &str, cmd: &'static str, args: &[&str]) -> Run {
    let ns = ns.to_owned();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        admin(&ns, cmd, &a)
    })
    .await
    .unwrap()
}

/// consumerProgress rows of one topic: (queue id, broker offset, consumer offset, diff).
fn progress_rows(r: &Run, topic: &str) -> Vec<(i64, i64, i64, i64)> {
    r.rows()
        .iter()
        .filter(|c| c.first().map(String::as_str) == Some(topic))
        .map(|c| {
            let n = |i: usize| c[i].parse::<i64>().unwrap();
            (n(2), n(3), n(4), n(5))
        })
        .collect()
}

fn total(r: &Run, label: &str) -> i64 {
    r.stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in\n{}", r.stdout))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commands_follow_a_real_consumer() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let ns2 = ns.clone();
    tokio::task::spawn_blocking(move || create_topic(&ns2, "GrpT", 4))
        .await
        .unwrap();

    // updateSubGroup: Apache's success line and config echo.
    let r = cli(
        &ns,
        "updateSubGroup",
        &[
            "-c",
            "DefaultCluster",
            "-g",
            "GrpG",
            "-r",
            "3",
            "-o",
            "false",
        ],
    )
    .await
    .expect_ok("updateSubGroup");
    assert!(
        r.stdout.contains(&format!(
            "create subscription group to {} success.",
            server.addr
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("groupName=GrpG") && r.stdout.contains("retryMaxTimes=3"),
        "{}",
        r.stdout
    );

    let producer = Producer::builder()
        .namesrv(&ns)
        .instance_name("grp-p")
        .group("GrpP")
        .build()
        .unwrap();
    producer.start().await.unwrap();
    let mut first_id = String::new();
    for i in 0..20 {
        let r = producer
            .send(Message::new("GrpT", format!("m{i}")))
            .await
            .unwrap();
        if i == 0 {
            first_id = r.msg_id;
        }
    }
    let consumed = Arc::new(AtomicUsize::new(0));
    let c2 = consumed.clone();
    let consumer = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("grp-c")
        .group("GrpG")
        .subscribe("GrpT", "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            c2.fetch_add(msgs.len(), Ordering::SeqCst);
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    consumer.start().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while consumed.load(Ordering::SeqCst) < 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(consumed.load(Ordering::SeqCst), 20);

    // consumerConnection while the consumer is online.
    let cc = cli(&ns, "consumerConnection", &["-g", "GrpG"])
        .await
        .expect_ok("consumerConnection");
    let rows = cc.rows();
    assert_eq!(
        rows[0],
        ["#ClientId", "#ClientAddr", "#Language", "#Version"]
    );
    assert!(rows[1][0].ends_with("@grp-c"), "{:?}", rows[1]);
    assert!(rows[1][1].starts_with("127.0.0.1:"), "{:?}", rows[1]);
    assert!(
        cc.stdout.contains("Below is subscription:"),
        "{}",
        cc.stdout
    );
    assert!(
        rows.iter()
            .any(|r| r.len() == 2 && r[0] == "GrpT" && r[1] == "*"),
        "{}",
        cc.stdout
    );
    assert!(
        cc.stdout.contains("ConsumeType: CONSUME_PASSIVELY"),
        "{}",
        cc.stdout
    );
    assert!(
        cc.stdout.contains("MessageModel: CLUSTERING"),
        "{}",
        cc.stdout
    );
    let ccb = cli(
        &ns,
        "consumerConnection",
        &["-g", "GrpG", "-b", &server.addr, "--json"],
    )
    .await
    .expect_ok("consumerConnection -b")
    .json();
    assert_eq!(ccb["connections"].as_array().map(Vec::len), Some(1));

    let client_id = rows[1][0].clone();

    // consumerStatus: one line per client, its report written to <now>/<clientId> in the working directory.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let ns2 = ns.clone();
    let st =
        tokio::task::spawn_blocking(move || admin_in(&d, &ns2, "consumerStatus", &["-g", "GrpG"]))
            .await
            .unwrap()
            .expect_ok("consumerStatus");
    let rows = st.rows();
    assert_eq!(
        rows[0],
        [
            "#Index",
            "#ClientId",
            "#Version",
            "#ConsumerRunningInfoFile"
        ]
    );
    assert_eq!(rows[1][..3], ["1", client_id.as_str(), "V5_3_3"]);
    let report = std::fs::read_to_string(dir.path().join(&rows[1][3])).unwrap();
    assert!(report.contains("CONSUME_PASSIVELY"), "{report}");
    assert!(report.matches("GrpT  ").count() >= 4, "{report}");
    assert!(
        st.stdout
            .contains("Same subscription in the same group of consumer"),
        "{}",
        st.stdout
    );
    assert!(st.stdout.contains("Rebalance OK"), "{}", st.stdout);
    let one = cli(&ns, "consumerStatus", &["-g", "GrpG", "-i", &client_id])
        .await
        .expect_ok("consumerStatus -i");
    assert!(
        one.stdout.starts_with("#Consumer Properties#"),
        "{}",
        one.stdout
    );
    assert!(
        one.stdout.contains("#Consumer MQ Detail#"),
        "{}",
        one.stdout
    );
    let r = cli(
        &ns,
        "consumerStatus",
        &["-g", "GrpG", "-i", "127.0.0.1@nobody"],
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stderr.contains("not online"), "{}", r.stderr);

    // topicList -c: the online group shows up as GrpT's consumer (QUERY_TOPIC_CONSUME_BY_WHO).
    let tl = cli(&ns, "topicList", &["-c"])
        .await
        .expect_ok("topicList -c");
    assert!(
        tl.rows()
            .iter()
            .any(|r| r.len() == 3 && r[0] == "DefaultCluster" && r[1] == "GrpT" && r[2] == "GrpG"),
        "{}",
        tl.stdout
    );

    // queryMsgById -g -d: the broker relays the message to the consumer, whose listener consumes it once more.
    let before = consumed.load(Ordering::SeqCst);
    let q = cli(
        &ns,
        "queryMsgById",
        &[
            "-t", "GrpT", "-i", &first_id, "-g", "GrpG", "-d", &client_id,
        ],
    )
    .await
    .expect_ok("queryMsgById -g -d");
    assert!(
        q.stdout.starts_with("ConsumeMessageDirectlyResult [order=false, autoCommit=true, consumeResult=CR_SUCCESS, remark=null, spentTimeMills="),
        "{}",
        q.stdout
    );
    assert_eq!(consumed.load(Ordering::SeqCst), before + 1);
    let q = cli(
        &ns,
        "queryMsgById",
        &[
            "-t",
            "GrpT",
            "-i",
            &first_id,
            "-g",
            "GrpG",
            "-d",
            "127.0.0.1@nobody",
            "--json",
        ],
    )
    .await;
    assert_eq!(q.code, Some(1), "{}", q.stdout);
    assert!(
        q.stderr
            .contains("The Consumer <GrpG> <127.0.0.1@nobody> not online"),
        "{}",
        q.stderr
    );
    let q = cli(
        &ns,
        "queryMsgById",
        &[
            "-t", "GrpT", "-i", "NOSUCHID", "-g", "GrpG", "-d", &client_id,
        ],
    )
    .await;
    assert_eq!(q.code, Some(1), "{}", q.stdout);
    assert!(q.stderr.contains("NOSUCHID"), "{}", q.stderr);

    // consumerProgress -s true adds the owner's IP per queue, from the client's running info (relayed by the
    // broker). Offsets reach the broker within the 5 s persist period.
    let p = eventually_async(|| async {
        let r = cli(
            &ns,
            "consumerProgress",
            &["-g", "GrpG", "-s", "true", "-t", "GrpT"],
        )
        .await;
        r.ok().then_some(r)
    })
    .await
    .expect("consumerProgress -s true");
    let header = p.stdout.lines().next().unwrap();
    for col in [
        "#Topic",
        "#Broker Name",
        "#QID",
        "#Broker Offset",
        "#Consumer Offset",
        "#Client IP",
        "#Diff",
        "#Inflight",
        "#LastTime",
    ] {
        assert!(header.contains(col), "{col} missing: {header}");
    }
    let ips: Vec<String> = p
        .rows()
        .iter()
        .filter(|c| c.first().map(String::as_str) == Some("GrpT"))
        .map(|c| c[5].clone())
        .collect();
    assert_eq!(ips.len(), 4, "{}", p.stdout);
    assert!(ips.iter().all(|ip| ip == "127.0.0.1"), "{ips:?}");
    consumer.shutdown().await;
    producer.shutdown().await;

    // After shutdown the offsets are persisted: consumer offset = broker offset on every queue, lag 0.
    let p = eventually_async(|| async {
        let r = cli(&ns, "consumerProgress", &["-g", "GrpG"]).await;
        (r.ok() && total(&r, "Consume Diff Total:") == 0).then_some(r)
    })
    .await
    .expect("lag reaches 0");
    let rows = progress_rows(&p, "GrpT");
    assert_eq!(rows.len(), 4, "{}", p.stdout);
    assert_eq!(
        rows.iter().map(|r| r.1).sum::<i64>(),
        20,
        "broker offsets add up to the sent count"
    );
    assert!(rows.iter().all(|r| r.1 == r.2 && r.3 == 0), "{rows:?}");
    let header = p.stdout.lines().next().unwrap();
    assert!(!header.contains("#Client IP"), "{header}");
    assert!(p.stdout.contains("Consume TPS: "), "{}", p.stdout);

    // resetOffsetByTime back to the start (consumer offline: offsets set directly); the lag is 20 again.
    let r = cli(
        &ns,
        "resetOffsetByTime",
        &["-g", "GrpG", "-t", "GrpT", "-s", "0"],
    )
    .await
    .expect_ok("resetOffsetByTime");
    assert!(
        r.stdout.contains("#brokerName") && r.stdout.contains("#offset"),
        "{}",
        r.stdout
    );
    let reset: Vec<_> = r
        .rows()
        .into_iter()
        .filter(|c| c.first().map(String::as_str) == Some("broker-a"))
        .collect();
    assert_eq!(reset.len(), 4, "{}", r.stdout);
    assert!(reset.iter().all(|c| c[2] == "0"), "{}", r.stdout);
    let p = cli(&ns, "consumerProgress", &["-g", "GrpG", "--json"])
        .await
        .expect_ok("progress json")
        .json();
    assert_eq!(p["diffTotal"], 20);
    let topic_queues = p["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["topic"] == "GrpT")
        .count();
    assert_eq!(topic_queues, 4, "{p}");

    // One queue by broker and queue id, to an explicit offset.
    let q0 = p["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["topic"] == "GrpT" && q["queueId"] == 0)
        .unwrap()["brokerOffset"]
        .as_i64()
        .unwrap();
    let target = q0.to_string();
    cli(
        &ns,
        "resetOffsetByTime",
        &[
            "-g",
            "GrpG",
            "-t",
            "GrpT",
            "-s",
            "now",
            "-b",
            &server.addr,
            "-q",
            "0",
            "-o",
            &target,
        ],
    )
    .await
    .expect_ok("resetOffsetByTime one queue");
    let p = cli(&ns, "consumerProgress", &["-g", "GrpG", "-t", "GrpT"])
        .await
        .expect_ok("progress -t");
    let rows = progress_rows(&p, "GrpT");
    let row0 = rows.iter().find(|r| r.0 == 0).unwrap();
    assert_eq!((row0.2, row0.3), (q0, 0), "queue 0 caught up: {rows:?}");
    assert_eq!(total(&p, "Consume Diff Total:"), 20 - q0);
    // An offset outside the queue is refused and changes nothing.
    let r = cli(
        &ns,
        "resetOffsetByTime",
        &[
            "-g",
            "GrpG",
            "-t",
            "GrpT",
            "-s",
            "now",
            "-b",
            &server.addr,
            "-q",
            "1",
            "-o",
            "999",
        ],
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stderr.contains("999"), "{}", r.stderr);
    let p2 = cli(&ns, "consumerProgress", &["-g", "GrpG", "-t", "GrpT"])
        .await
        .expect_ok("progress after refusal");
    assert_eq!(total(&p2, "Consume Diff Total:"), 20 - q0);

    // Errors: unknown group, bad time.
    let r = cli(&ns, "consumerProgress", &["-g", "NoSuchGroup"]).await;
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    let r = cli(
        &ns,
        "resetOffsetByTime",
        &["-g", "GrpG", "-t", "GrpT", "-s", "yesterday"],
    )
    .await;
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("yyyy-MM-dd#HH:mm:ss:SSS"), "{}", r.stderr);
    let r = cli(&ns, "consumerConnection", &["-g", "GrpG"]).await;
    assert_eq!(r.code, Some(1), "offline group: {}", r.stdout);
    assert!(r.stderr.contains("not online"), "{}", r.stderr);

    // deleteSubGroup.
    let d = cli(&ns, "deleteSubGroup", &["-b", &server.addr, "-g", "GrpG"])
        .await
        .expect_ok("deleteSubGroup");
    assert!(
        d.stdout.contains(&format!(
            "delete subscription group [GrpG] from broker [{}] success.",
            server.addr
        )),
        "{}",
        d.stdout
    );
}

async fn eventually_async<T, F, Fut>(mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
