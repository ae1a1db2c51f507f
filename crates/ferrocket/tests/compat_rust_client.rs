//! An independent RocketMQ client (crates.io `rocketmq-client-rust`, driven by compat/rust-client) against real
//! Ferrocket processes. Run by compat/run.sh, which builds the driver and sets FERROCKET_COMPAT_RUST_CLIENT.
//! The produce/consume scenarios live in compat_support/scenarios.rs and are shared with compat_cpp_client.rs.

mod compat_support;
mod support;

use compat_support::scenarios::{self, Client};

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::body::{
    DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper,
};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::RegisterBrokerRequestHeader;
use ferrocket_remoting::{connect, ConnectionConfig, NoRequests};

const T: Duration = Duration::from_secs(5);

fn driver() -> String {
    std::env::var("FERROCKET_COMPAT_RUST_CLIENT").expect(
        "FERROCKET_COMPAT_RUST_CLIENT must point at the compat driver (compat/run.sh sets it)",
    )
}

fn run_driver(args: &[&str]) -> String {
    let out = Command::new(driver())
        .args(args)
        .output()
        .expect("run compat driver");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "compat driver {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the compat driver; run by compat/run.sh"]
async fn independent_client_reads_routes_from_namesrv() {
    let ns = support::spawn_namesrv(&[]);
    let conn = connect(
        &ns.addr,
        Arc::new(NoRequests),
        &ConnectionConfig::default(),
        T,
    )
    .await
    .unwrap();
    let mut wrapper = TopicConfigSerializeWrapper {
        data_version: DataVersion {
            state_version: 0,
            counter: 1,
            timestamp: 1_700_000_000_000,
        },
        ..Default::default()
    };
    for (name, queues) in [("CompatTopic", 4), ("OtherTopic", 8)] {
        let tc = TopicConfig {
            topic_name: name.into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            ..TopicConfig::default()
        };
        wrapper.topic_config_table.insert(name.into(), tc);
    }
    let body = RegisterBrokerBody {
        topic_config_serialize_wrapper: wrapper.into(),
        filter_server_list: Vec::new(),
    };
    for (id, addr) in [(0, "127.0.0.1:30911"), (1, "127.0.0.1:31911")] {
        let h = RegisterBrokerRequestHeader {
            broker_name: "broker-a".into(),
            broker_addr: addr.into(),
            cluster_name: "DefaultCluster".into(),
            ha_server_addr: "127.0.0.1:30912".into(),
            broker_id: id,
            ..Default::default()
        };
        let req = RemotingCommand::request_with_header(rc::REGISTER_BROKER, &h)
            .with_body(Bytes::from(body.encode(false).unwrap()));
        assert_eq!(
            conn.invoke(req, T).await.unwrap().code,
            response_code::SUCCESS
        );
    }

    let ns_addr = ns.addr.clone();
    let out = tokio::task::spawn_blocking(move || run_driver(&["route", &ns_addr, "CompatTopic"]))
        .await
        .unwrap();
    assert!(
        out.contains("queue broker=broker-a read=4 write=4 perm=6"),
        "{out}"
    );
    assert!(
        out.contains(
            "broker name=broker-a cluster=DefaultCluster addrs=0=127.0.0.1:30911,1=127.0.0.1:31911"
        ),
        "{out}"
    );
    let ns_addr = ns.addr.clone();
    let out = tokio::task::spawn_blocking(move || run_driver(&["topics", &ns_addr]))
        .await
        .unwrap();
    assert!(
        out.contains("topic CompatTopic") && out.contains("topic OtherTopic"),
        "{out}"
    );
    let ns_addr = ns.addr.clone();
    let out = tokio::task::spawn_blocking(move || run_driver(&["cluster", &ns_addr]))
        .await
        .unwrap();
    assert!(
        out.contains("broker-a") && out.contains("DefaultCluster"),
        "{out}"
    );
    drop(conn);
}

#[test]
#[ignore = "needs the compat driver; run by compat/run.sh"]
fn rust_client_all_messages_exactly_once() {
    scenarios::all_messages_exactly_once(&Client::rust());
}

#[test]
#[ignore = "needs the compat driver; run by compat/run.sh"]
fn rust_client_tag_subscription_filters() {
    scenarios::tag_subscription_filters(&Client::rust());
}

#[test]
#[ignore = "needs the compat driver; run by compat/run.sh"]
fn rust_client_offsets_survive_restart() {
    scenarios::offsets_survive_restart(&Client::rust());
}
