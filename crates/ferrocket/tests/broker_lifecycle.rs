//! The `broker` and `standalone` commands as processes: registration and unregistration on SIGTERM, offsets and
//! messages surviving a restart, `-p`, configuration errors, malformed input that must not kill the broker.

mod support;

use std::process::Command;
use std::time::Duration;

use ferrocket_protocol::codes::response_code as code;
use ferrocket_protocol::command::RemotingCommand;
use support::broker_client::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_registers_and_unregisters_on_sigterm() {
    let ns_proc = support::spawn_namesrv(&[]);
    let mut broker = support::spawn_broker(&ns_proc.addr, &["--set", "brokerClusterName=C1"]);
    assert!(
        broker.ready_line.contains("broker-a"),
        "{}",
        broker.ready_line
    );
    let ns = client(&ns_proc.addr).await;
    let info = cluster_info(&ns).await;
    let data = info.broker_addr_table.get("broker-a").expect("registered");
    assert_eq!(data.cluster, "C1");
    assert_eq!(data.broker_addrs.get(&0), Some(&broker.addr));
    assert!(info.cluster_addr_table["C1"].contains("broker-a"));
    // System topics are registered: the auto-create template is routable.
    assert!(route(&ns, "TBW102").await.is_some());

    let status = broker
        .terminate(Duration::from_secs(20))
        .expect("exited after SIGTERM");
    assert!(status.success(), "clean exit: {status:?}");
    let info = cluster_info(&ns).await;
    assert!(
        !info.broker_addr_table.contains_key("broker-a"),
        "unregistered: {:?}",
        info.broker_addr_table
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_and_messages_survive_a_restart() {
    let store = tempfile::tempdir().unwrap();
    let root = format!("storePathRootDir={}", store.path().display());
    let mut first = support::spawn_standalone(&["--set", &root]);
    let conn = client(&first.addr).await;
    for i in 0..3 {
        send_ok(
            &conn,
            send_v2_request("TopicO", 2, "", format!("m{i}").as_bytes()),
        )
        .await;
    }
    wait_dispatched(&conn, "TopicO", 2, 3).await;
    let mut p = Pull::new("TopicO", 2, 0);
    p.commit_offset = Some(2);
    let r = pull(&conn, &p).await;
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(query_offset(&conn, "CG", "TopicO", 2).await, Some(2));
    assert!(first.terminate(Duration::from_secs(20)).unwrap().success());

    let second = support::spawn_standalone(&["--set", &root]);
    let conn = client(&second.addr).await;
    assert_eq!(query_offset(&conn, "CG", "TopicO", 2).await, Some(2));
    let r = pull(&conn, &Pull::new("TopicO", 2, 2)).await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    assert_eq!(&r.messages[0].body[..], b"m2");
    // New messages continue the queue.
    let h = send_ok(&conn, send_v2_request("TopicO", 2, "", b"m3")).await;
    assert_eq!(h.queue_offset, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_never_kills_the_broker() {
    let mut broker = support::spawn_standalone(&[]);
    for garbage in [
        &b"\xff\xff\xff\xff"[..],                     // negative length
        &b"\x00\x00\x00\x05\x07\x00\x00\x00\x00"[..], // unknown serialize type
        &b"\x00\x00\x00\x06\x00\x00\x00\x02{x"[..],   // broken JSON header
        &b"\x7f\x00\x00\x00"[..],                     // far over the frame limit
    ] {
        let mut raw = tokio::net::TcpStream::connect(&broker.addr).await.unwrap();
        raw.write_all(garbage).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(T, raw.read(&mut buf)).await;
        assert!(
            matches!(n, Ok(Ok(0)) | Ok(Err(_))),
            "connection closed after garbage"
        );
    }
    assert!(broker.is_running(), "the broker survived malformed frames");
    let conn = client(&broker.addr).await;
    let resp = invoke(&conn, RemotingCommand::new_request(9999)).await;
    assert_eq!(resp.code, code::REQUEST_CODE_NOT_SUPPORTED);
    // Wrong types in a header are a clear error, not a crash.
    let mut req = send_v1_request("TopicM", 0, "", b"x");
    req.set_ext("queueId", "not-a-number");
    let resp = invoke(&conn, req).await;
    assert_eq!(resp.code, code::INVALID_PARAMETER);
    assert!(resp.remark.unwrap().contains("queueId"));
    send_ok(&conn, send_v1_request("TopicM", 0, "", b"still fine")).await;
}

fn ferrocket(args: &[&str], home: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(args)
        .env("HOME", home)
        .env("FERROCKET_LOG", "warn")
        .output()
        .expect("run ferrocket")
}

#[test]
fn print_config_reads_apache_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broker.properties");
    std::fs::write(
        &file,
        "brokerName=broker-x\nlistenPort=20911\nmapedFileSizeCommitLog=1048576\nnamesrvAddr=10.0.0.1:9876\n",
    )
    .unwrap();
    let out = ferrocket(
        &[
            "broker",
            "-c",
            file.to_str().unwrap(),
            "-p",
            "--set",
            "brokerId=0",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for expected in [
        "brokerName=broker-x",
        "listenPort=20911",
        "haListenPort=20912",
        "mappedFileSizeCommitLog=1048576",
        "namesrvAddr=10.0.0.1:9876",
        "brokerIP1=127.0.0.1",
    ] {
        assert!(lines.contains(&expected), "missing {expected} in:\n{text}");
    }
    let root = format!("storePathRootDir={}/store", dir.path().display());
    assert!(lines.contains(&root.as_str()), "{text}");

    // -n overrides the file.
    let out = ferrocket(
        &[
            "broker",
            "-c",
            file.to_str().unwrap(),
            "-n",
            "127.0.0.1:1",
            "-p",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("namesrvAddr=127.0.0.1:1"));
}

#[test]
fn standalone_needs_one_local_namesrv_address() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broker.properties");
    std::fs::write(&file, "namesrvAddr=127.0.0.1:1;127.0.0.1:2\n").unwrap();
    let out = ferrocket(&["standalone", "-c", file.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ONE local address"), "{err}");

    std::fs::write(&file, "namesrvAddr=nameserver.example:9876\n").unwrap();
    let out = ferrocket(&["standalone", "-c", file.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("local IP"));
}
