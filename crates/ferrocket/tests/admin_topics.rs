//! `ferrocket admin` topic, cluster and broker commands against `ferrocket standalone`: columns and values, and
//! the errors (unreachable name server, unknown topic, bad or missing flags).

mod admin_support;
mod support;

use admin_support::{admin, create_topic, dead_port, eventually, ferrocket};
use std::time::Duration;

#[test]
fn cluster_topic_and_broker_commands() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let broker = server.addr.clone();

    // clusterList: Apache's header, one row for our broker with its address and version.
    let r = admin(&ns, "clusterList", &[]).expect_ok("clusterList");
    let header = r.stdout.lines().next().unwrap();
    for col in [
        "#Cluster Name",
        "#Broker Name",
        "#BID",
        "#Addr",
        "#Version",
        "#InTPS(LOAD)",
        "#OutTPS(LOAD)",
        "#Timer(Progress)",
        "#PCWait(ms)",
        "#Hour",
        "#SPACE",
        "#ACTIVATED",
    ] {
        assert!(header.contains(col), "missing {col} in {header}");
    }
    let row = &r.rows()[1];
    assert_eq!(
        &row[..5],
        ["DefaultCluster", "broker-a", "0", broker.as_str(), "V5_3_3"]
    );
    assert_eq!(row.last().unwrap(), "true", "master is active: {row:?}");
    let j = admin(&ns, "clusterList", &["--json"])
        .expect_ok("clusterList --json")
        .json();
    assert_eq!(j[0]["addr"], broker.as_str());
    assert_eq!(j[0]["brokerId"], 0);

    // updateTopic on the cluster, then the route, list and status show it.
    let r = admin(
        &ns,
        "updateTopic",
        &["-c", "DefaultCluster", "-t", "AdmT", "-r", "3", "-w", "3"],
    )
    .expect_ok("updateTopic");
    assert!(
        r.stdout
            .contains(&format!("create topic to {broker} success.")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("TopicConfig [topicName=AdmT, readQueueNums=3, writeQueueNums=3, perm=RW-"),
        "{}",
        r.stdout
    );
    create_topic(&ns, "AdmT", 3);

    // Attribute edits: + sets, - removes (only what the topic has, and not while creating it).
    let attr = |topic: &str, edit: &str| {
        admin(
            &ns,
            "updateTopic",
            &["-b", &broker, "-t", topic, "-r", "3", "-w", "3", "-a", edit],
        )
    };
    let r = attr("AdmT", "+message.type=FIFO,+reserve.time=60").expect_ok("updateTopic -a +");
    assert!(
        r.stdout
            .contains("attributes={+message.type=FIFO, +reserve.time=60}"),
        "{}",
        r.stdout
    );
    let r = attr("AdmT", "+message.type=NORMAL,-reserve.time").expect_ok("updateTopic -a +,-");
    assert!(
        r.stdout
            .contains("attributes={+message.type=NORMAL, -reserve.time=}"),
        "{}",
        r.stdout
    );
    let r = attr("AdmT", "-reserve.time");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("attempt to delete a nonexistent key: reserve.time"),
        "{}",
        r.stderr
    );
    attr("AdmT", "-message.type").expect_ok("updateTopic -a -message.type");
    let r = attr("AdmT", "-message.type");
    assert_eq!(r.code, Some(1), "removed for good: {}", r.stdout);
    let r = attr("AdmNew", "-message.type");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("only add attribute is supported while creating topic"),
        "{}",
        r.stderr
    );
    let r = attr("AdmT", "message.type");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stderr.contains("must start with +"), "{}", r.stderr);
    let list = admin(&ns, "topicList", &[]).expect_ok("topicList");
    assert!(list.stdout.lines().any(|l| l == "AdmT"), "{}", list.stdout);
    // NAMESRV_ADDR stands in for -n.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["admin", "topicList"])
        .env("NAMESRV_ADDR", &ns)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l == "AdmT"));
    // Cluster model: Apache's three columns, the topic with its cluster; retry/DLQ topics left out.
    let cm = admin(&ns, "topicList", &["-c"]).expect_ok("topicList -c");
    let rows = cm.rows();
    assert_eq!(
        rows[0],
        ["#Cluster", "Name", "#Topic", "#Consumer", "Group"]
    );
    assert!(
        rows.iter()
            .any(|r| r.len() >= 2 && r[0] == "DefaultCluster" && r[1] == "AdmT"),
        "{}",
        cm.stdout
    );
    assert!(!cm.stdout.contains("%RETRY%"), "{}", cm.stdout);
    let route = admin(&ns, "topicRoute", &["-t", "AdmT"])
        .expect_ok("topicRoute")
        .json();
    assert_eq!(route["queueDatas"][0]["readQueueNums"], 3);
    assert_eq!(route["queueDatas"][0]["perm"], 6);
    assert_eq!(route["brokerDatas"][0]["brokerAddrs"]["0"], broker.as_str());
    let table = admin(&ns, "topicRoute", &["-t", "AdmT", "-l"]).expect_ok("topicRoute -l");
    let rows = table.rows();
    assert_eq!(
        rows[0],
        [
            "#ClusterName",
            "#BrokerName",
            "#BrokerAddrs",
            "#ReadQueue",
            "#WriteQueue",
            "#Perm"
        ]
    );
    assert_eq!(rows[1][0..2], ["DefaultCluster", "broker-a"]);
    assert_eq!(rows[1][3..], ["3", "3", "6"]);
    assert_eq!(rows.last().unwrap(), &["Total:", "1", "3", "3"]);

    // Two messages into queue 1, then topicStatus shows max offset 2 there and 0 elsewhere.
    for body in ["a", "b"] {
        admin(
            &ns,
            "sendMessage",
            &["-t", "AdmT", "-p", body, "-b", "broker-a", "-i", "1"],
        )
        .expect_ok("sendMessage");
    }
    // The consume queue is written just after the commit log (asynchronously, as in Apache): wait for it.
    let status = eventually(Duration::from_secs(5), || {
        let r = admin(&ns, "topicStatus", &["-t", "AdmT"]);
        (r.ok() && r.rows().get(2).and_then(|q| q.get(3)).map(String::as_str) == Some("2"))
            .then_some(r)
    })
    .unwrap_or_else(|| admin(&ns, "topicStatus", &["-t", "AdmT"]).expect_ok("topicStatus"));
    let rows = status.rows();
    assert_eq!(
        rows[0],
        ["#Broker", "Name", "#QID", "#Min", "Offset", "#Max", "Offset", "#Last", "Updated"]
    );
    let maxes: Vec<(String, String)> = rows[1..4]
        .iter()
        .map(|r| (r[1].clone(), r[3].clone()))
        .collect();
    assert_eq!(
        maxes,
        [("0", "0"), ("1", "2"), ("2", "0")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(
        rows[2].len() > 4,
        "queue 1 has a last-updated time: {:?}",
        rows[2]
    );
    assert!(
        status.stdout.contains("Topic Put TPS: "),
        "{}",
        status.stdout
    );
    let sj = admin(&ns, "topicStatus", &["-t", "AdmT", "--json"])
        .expect_ok("topicStatus --json")
        .json();
    assert_eq!(sj["queues"][1]["maxOffset"], 2);

    // brokerStatus: sorted key/value lines from the runtime table.
    let bs = admin(&ns, "brokerStatus", &["-b", &broker]).expect_ok("brokerStatus");
    let line = bs
        .stdout
        .lines()
        .find(|l| l.starts_with("brokerVersionDesc"))
        .expect("brokerVersionDesc line");
    assert!(line.ends_with(": V5_3_3"), "{line}");
    let puts = bs
        .stdout
        .lines()
        .find(|l| l.starts_with("putMessageTimesTotal"))
        .expect("putMessageTimesTotal line");
    assert!(puts.ends_with(": 2"), "{puts}");

    // updateBrokerConfig then getBrokerConfig shows the value.
    admin(
        &ns,
        "updateBrokerConfig",
        &["-b", &broker, "-k", "flushIntervalCommitLog", "-v", "777"],
    )
    .expect_ok("updateBrokerConfig");
    let cfg = admin(&ns, "getBrokerConfig", &["-b", &broker]).expect_ok("getBrokerConfig");
    assert!(
        cfg.stdout
            .starts_with(&format!("============{broker}============")),
        "{}",
        cfg.stdout
    );
    let l = cfg
        .stdout
        .lines()
        .find(|l| l.starts_with("flushIntervalCommitLog "))
        .expect("flushIntervalCommitLog line");
    assert!(l.ends_with("=  777"), "{l}");
    let cj = admin(&ns, "getBrokerConfig", &["-c", "DefaultCluster", "--json"])
        .expect_ok("getBrokerConfig -c")
        .json();
    assert_eq!(cj[broker.as_str()]["flushIntervalCommitLog"], "777");

    // deleteTopic removes it from the list.
    let d =
        admin(&ns, "deleteTopic", &["-t", "AdmT", "-c", "DefaultCluster"]).expect_ok("deleteTopic");
    assert!(
        d.stdout
            .contains("delete topic [AdmT] from NameServer success."),
        "{}",
        d.stdout
    );
    let gone = eventually(Duration::from_secs(10), || {
        let l = admin(&ns, "topicList", &[]);
        (!l.stdout.lines().any(|x| x == "AdmT")).then_some(())
    });
    assert!(gone.is_some(), "AdmT still listed after deleteTopic");
}

#[test]
fn errors_are_clear_and_exit_non_zero() {
    // Unreachable name server.
    let ns = format!("127.0.0.1:{}", dead_port());
    let r = admin(&ns, "topicList", &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("cannot reach name server {ns}")),
        "{}",
        r.stderr
    );
    let r = admin(&ns, "clusterList", &[]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("cannot reach name server"),
        "{}",
        r.stderr
    );

    // No name server at all.
    let r = ferrocket(&["admin", "topicList"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("NAMESRV_ADDR"), "{}", r.stderr);

    // Missing required flags and bad values are usage errors (exit 2), naming the flag.
    let r = admin(&ns, "updateTopic", &["-t", "X"]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("--brokerAddr") && r.stderr.contains("--clusterName"),
        "{}",
        r.stderr
    );
    let r = admin(&ns, "topicRoute", &[]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--topic"), "{}", r.stderr);
    let r = admin(&ns, "updateTopic", &["-c", "C", "-t", "X", "-p", "9"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("perm"), "{}", r.stderr);
    let r = admin(&ns, "updateTopic", &["-c", "C", "-t", "X", "-o", "maybe"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("true or false"), "{}", r.stderr);
    let r = admin(&ns, "noSuchCommand", &[]);
    assert_eq!(r.code, Some(2));
    let r = admin(&ns, "topicList", &["--bogus"]);
    assert_eq!(r.code, Some(2));

    // Unknown topic and cluster on a live server.
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    for cmd in ["topicRoute", "topicStatus"] {
        let r = admin(&ns, cmd, &["-t", "NoSuchTopic"]);
        assert_eq!(r.code, Some(1), "{cmd}: {}", r.stdout);
        assert!(
            r.stderr.contains("topic NoSuchTopic does not exist"),
            "{cmd}: {}",
            r.stderr
        );
    }
    let r = admin(&ns, "updateTopic", &["-c", "NoSuchCluster", "-t", "X"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("cluster NoSuchCluster not found"),
        "{}",
        r.stderr
    );
    let r = admin(
        &ns,
        "updateTopic",
        &["-c", "DefaultCluster", "-t", "bad topic"],
    );
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("bad topic"), "{}", r.stderr);
    let r = admin(
        &ns,
        "brokerStatus",
        &["-b", &format!("127.0.0.1:{}", dead_port())],
    );
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("cannot reach broker"), "{}", r.stderr);
}
