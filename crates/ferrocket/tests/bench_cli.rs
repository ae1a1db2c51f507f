//! `ferrocket bench` against `ferrocket standalone`: short producer and consumer runs whose `--json` results parse
//! and whose counts match what the broker stored; batch, async and fixed-rate modes; the store bench.

mod admin_support;
mod support;

use std::time::Duration;

use admin_support::{admin, eventually, ferrocket};

fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("result file written");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

fn assert_shape(v: &serde_json::Value, role: &str) {
    assert_eq!(v["role"], role);
    for k in ["messages", "failures"] {
        assert!(v[k].as_u64().is_some(), "{k} in {v}");
    }
    for k in ["seconds", "tps", "mbps"] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k} in {v}");
    }
    let l = &v["latency_ms"];
    let p: Vec<f64> = ["p50", "p90", "p99", "p999", "max"]
        .iter()
        .map(|k| {
            l[k].as_f64()
                .unwrap_or_else(|| panic!("latency_ms.{k} in {v}"))
        })
        .collect();
    assert!(
        p.windows(2).all(|w| w[0] <= w[1]),
        "percentiles ordered: {p:?}"
    );
}

/// Sum of the max offsets of a topic's queues (messages stored and dispatched), waiting up to 10 s for it to reach
/// `expected` (the broker dispatches to consume queues asynchronously).
fn stored(ns: &str, topic: &str, expected: u64) -> u64 {
    let count = || {
        let j = admin(ns, "topicStatus", &["-t", topic, "--json"])
            .expect_ok("topicStatus")
            .json();
        j["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["maxOffset"].as_u64().unwrap())
            .sum::<u64>()
    };
    eventually(Duration::from_secs(10), || {
        let n = count();
        (n >= expected).then_some(n)
    })
    .unwrap_or_else(count)
}

#[test]
fn producer_then_consumer_counts_match() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let dir = tempfile::tempdir().unwrap();
    let pj = dir.path().join("producer.json");
    let r = ferrocket(&[
        "bench",
        "producer",
        "-n",
        &ns,
        "-t",
        "BenchT",
        "-w",
        "8",
        "-s",
        "256",
        "-k",
        "true",
        "-l",
        "3",
        "-q",
        "2000",
        "-ri",
        "100",
        "--json",
        pj.to_str().unwrap(),
    ])
    .expect_ok("bench producer");
    assert!(
        r.stdout.contains("=== producer summary ==="),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("p99.9"), "{}", r.stdout);
    let p = read_json(&pj);
    assert_shape(&p, "producer");
    assert_eq!(p["messages"], 2000);
    assert_eq!(p["failures"], 0);
    assert_eq!(p["stop_reason"], "quantity", "{p}");
    assert_eq!(stored(&ns, "BenchT", 2000), 2000);
    let mbps = p["mbps"].as_f64().unwrap();
    let tps = p["tps"].as_f64().unwrap();
    assert!(
        (mbps - tps * 256.0 / 1_048_576.0).abs() < 0.01 * mbps + 1e-9,
        "MB/s follows TPS x size: {p}"
    );

    let cj = dir.path().join("consumer.json");
    let r = ferrocket(&[
        "bench",
        "consumer",
        "-n",
        &ns,
        "-t",
        "BenchT",
        "-g",
        "BenchG",
        "--from-first",
        "-q",
        "2000",
        "--duration",
        "60",
        "-ri",
        "100",
        "--json",
        cj.to_str().unwrap(),
    ])
    .expect_ok("bench consumer");
    assert!(
        r.stdout.contains("=== consumer summary ==="),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("born-to-consume"), "{}", r.stdout);
    let c = read_json(&cj);
    assert_shape(&c, "consumer");
    assert_eq!(c["messages"], 2000, "consumed what was produced: {c}");
    assert_eq!(c["stop_reason"], "quantity", "{c}");
    assert_eq!(c["failures"], 0);
    assert!(c["born_latency_ms"]["p50"].as_f64().is_some(), "{c}");
    // Born-to-consume includes the time before the store: never smaller than store-to-consume at the median.
    assert!(
        c["born_latency_ms"]["p50"].as_f64().unwrap() >= c["latency_ms"]["p50"].as_f64().unwrap(),
        "{c}"
    );
}

/// A consumer draining a backlog of unknown size stops once nothing has arrived for `--idle-timeout` seconds, and
/// its rate covers the time messages arrived, not the idle tail.
#[test]
fn consumer_stops_when_the_backlog_is_drained() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let dir = tempfile::tempdir().unwrap();
    let pj = dir.path().join("producer.json");
    ferrocket(&[
        "bench",
        "producer",
        "-n",
        &ns,
        "-t",
        "IdleT",
        "-w",
        "8",
        "-s",
        "100",
        "-q",
        "600",
        "--json",
        pj.to_str().unwrap(),
    ])
    .expect_ok("fill");
    assert_eq!(stored(&ns, "IdleT", 600), 600);

    let cj = dir.path().join("consumer.json");
    let started = std::time::Instant::now();
    let r = ferrocket(&[
        "bench",
        "consumer",
        "-n",
        &ns,
        "-t",
        "IdleT",
        "-g",
        "IdleG",
        "--from-first",
        "-q",
        "1000000",
        "--idle-timeout",
        "1.5",
        "--duration",
        "60",
        "--json",
        cj.to_str().unwrap(),
    ])
    .expect_ok("draining consumer");
    let took = started.elapsed();
    let c = read_json(&cj);
    assert_eq!(c["stop_reason"], "idle", "{c}");
    assert_eq!(c["messages"], 600, "{c}");
    assert!(
        took < Duration::from_secs(30),
        "stopped long before --duration: {took:?}"
    );
    assert!(r.stdout.contains("stopped by: idle"), "{}", r.stdout);
    let secs = c["seconds"].as_f64().unwrap();
    assert!(secs < 1.4, "the idle tail is not measured: {c}");

    // Nothing to consume: --idle-timeout does not fire before the first message; --duration ends the run.
    let ej = dir.path().join("empty.json");
    ferrocket(&[
        "bench",
        "consumer",
        "-n",
        &ns,
        "-t",
        "IdleT",
        "-g",
        "IdleG2",
        "--idle-timeout",
        "0.2",
        "--duration",
        "2",
        "--json",
        ej.to_str().unwrap(),
    ])
    .expect_ok("consumer with nothing to consume");
    let e = read_json(&ej);
    assert_eq!(e["stop_reason"], "duration", "{e}");
    assert_eq!(e["messages"], 0, "{e}");

    let r = ferrocket(&["bench", "consumer", "--idle-timeout", "0"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("idle-timeout"), "{}", r.stderr);
}

#[test]
fn batch_async_and_fixed_rate_modes() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let dir = tempfile::tempdir().unwrap();

    let bj = dir.path().join("batch.json");
    ferrocket(&[
        "bench",
        "producer",
        "-n",
        &ns,
        "-t",
        "BatchT",
        "-w",
        "2",
        "-b",
        "10",
        "-q",
        "95",
        "--json",
        bj.to_str().unwrap(),
    ])
    .expect_ok("batch producer");
    assert_eq!(read_json(&bj)["messages"], 95, "a short last batch");
    assert_eq!(stored(&ns, "BatchT", 95), 95);

    let aj = dir.path().join("async.json");
    ferrocket(&[
        "bench",
        "producer",
        "-n",
        &ns,
        "-t",
        "AsyncT",
        "-y",
        "true",
        "-w",
        "16",
        "-q",
        "500",
        "--json",
        aj.to_str().unwrap(),
    ])
    .expect_ok("async producer");
    assert_eq!(read_json(&aj)["messages"], 500);
    assert_eq!(stored(&ns, "AsyncT", 500), 500);

    // 200 msg/s for 1.5 s, the first 0.5 s not measured.
    let rj = dir.path().join("rate.json");
    let r = ferrocket(&[
        "bench",
        "producer",
        "-n",
        &ns,
        "-t",
        "RateT",
        "--rate",
        "200",
        "--duration",
        "1.5",
        "--warmup",
        "0.5",
        "-ri",
        "100",
        "--json",
        rj.to_str().unwrap(),
    ])
    .expect_ok("fixed-rate producer");
    let v = read_json(&rj);
    let all = v["messages"].as_u64().unwrap();
    let measured = v["measured_messages"].as_u64().unwrap();
    assert!((240..=320).contains(&all), "about 300 sent in 1.5 s: {v}");
    assert!(measured < all && measured >= 150, "warm-up excluded: {v}");
    let tps = v["tps"].as_f64().unwrap();
    assert!((150.0..=250.0).contains(&tps), "rate held: {v}");
    assert!(r.stdout.contains("warming up"), "{}", r.stdout);
    assert!(r.stdout.contains("Send TPS: "), "{}", r.stdout);

    // The warm-up ends on time even when no progress line falls due before the end.
    let wj = dir.path().join("warm.json");
    ferrocket(&[
        "bench",
        "producer",
        "-n",
        &ns,
        "-t",
        "RateT",
        "-w",
        "4",
        "--duration",
        "1",
        "--warmup",
        "0.3",
        "-ri",
        "60000",
        "--json",
        wj.to_str().unwrap(),
    ])
    .expect_ok("warm-up without progress lines");
    let v = read_json(&wj);
    assert!(v["measured_messages"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["measured_messages"].as_u64() < v["messages"].as_u64(),
        "{v}"
    );
    let secs = v["seconds"].as_f64().unwrap();
    assert!((0.5..1.0).contains(&secs), "measured about 0.7 s: {v}");

    // Usage errors.
    let r = ferrocket(&["bench", "producer", "-n", &ns, "-d", "true", "-b", "4"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("batches"), "{}", r.stderr);
    let r = ferrocket(&["bench", "producer", "-y", "maybe"]);
    assert_eq!(r.code, Some(2));
    let r = ferrocket(&["bench", "consumer", "-f", "SQL92"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("-e"), "{}", r.stderr);
}

#[test]
fn store_bench_is_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let r = ferrocket(&[
        "bench",
        "store",
        "--dir",
        dir.path().to_str().unwrap(),
        "--gib",
        "0.004",
        "--max-secs",
        "2",
        "--sizes",
        "128",
        "--async",
        "1",
        "--sync",
        "",
        "--sync-tasks",
        "",
    ])
    .expect_ok("bench store");
    assert!(r.stdout.contains("| "), "a markdown table: {}", r.stdout);
    assert!(r.stdout.contains("128"), "{}", r.stdout);
}
