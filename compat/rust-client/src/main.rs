//! Drives an independent RocketMQ client (crates.io `rocketmq-client-rust`) against a Ferrocket server and prints
//! what it saw, one `key=value` per line, for the compatibility tests to check.
//!
//! Usage: `ferrocket-compat-rust route <namesrv> <topic>` | `cluster <namesrv>` | `topics <namesrv>`

#![recursion_limit = "512"]

use rocketmq_client_rust::{ClientRuntime, ClientRuntimeConfig, DefaultMQAdminExt, RouteAdmin, TopicAdmin};
use rocketmq_observability::TelemetryRuntimeGuard;
use rocketmq_runtime::RuntimeOwner;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let cmd = args.first().map(String::as_str).unwrap_or("");
    let namesrv = args.get(1).cloned().ok_or("missing name server address")?;
    let owner = RuntimeOwner::new()?;
    let telemetry = TelemetryRuntimeGuard::noop();
    let client_runtime = ClientRuntime::try_new(
        owner.root_context().component("ferrocket-compat"),
        ClientRuntimeConfig::default(),
        telemetry.handle(),
    )?;
    let args = args.to_vec();
    let cmd = cmd.to_string();
    let (result, _report) = owner.block_on(async {
        let mut admin = DefaultMQAdminExt::new(client_runtime.clone());
        admin.set_namesrv_addr(namesrv.as_str());
        let result: Result<(), String> = async {
            admin.start().await.map_err(|e| format!("admin start: {e}"))?;
            match cmd.as_str() {
                "route" => {
                    let topic = args.get(2).ok_or("missing topic")?.clone();
                    let route = admin
                        .examine_topic_route_info(topic.into())
                        .await
                        .map_err(|e| format!("route: {e}"))?
                        .ok_or("route: none")?;
                    for qd in &route.queue_datas {
                        println!(
                            "queue broker={} read={} write={} perm={}",
                            qd.broker_name, qd.read_queue_nums, qd.write_queue_nums, qd.perm
                        );
                    }
                    for bd in &route.broker_datas {
                        let mut addrs: Vec<_> = bd.broker_addrs().iter().map(|(k, v)| format!("{k}={v}")).collect();
                        addrs.sort();
                        println!("broker name={} cluster={} addrs={}", bd.broker_name(), bd.cluster(), addrs.join(","));
                    }
                }
                "cluster" => {
                    let info = admin
                        .examine_broker_cluster_info()
                        .await
                        .map_err(|e| format!("cluster: {e}"))?;
                    println!("{info:?}");
                }
                "topics" => {
                    let list = admin.fetch_all_topic_list().await.map_err(|e| format!("topics: {e}"))?;
                    let mut topics: Vec<String> = list.topic_list.iter().map(|t| t.to_string()).collect();
                    topics.sort();
                    for t in topics {
                        println!("topic {t}");
                    }
                }
                other => return Err(format!("unknown command {other:?}")),
            }
            Ok(())
        }
        .await;
        admin.shutdown().await;
        (result, client_runtime.shutdown().await)
    });
    let _ = owner.shutdown_runtime_blocking();
    result.map_err(|e| e.into())
}
