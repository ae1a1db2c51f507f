//! Route-query throughput of an in-process name server over loopback TCP, first with a quiet registry, then while a
//! broker re-registers a changed 1,000-topic table every 100 ms (each registration swaps the route snapshot).
//! Both runs are in the same process, A B A B, so the ratio is meaningful on a noisy machine.
//!
//! `cargo bench -p ferrocket-namesrv --bench route_throughput [-- SECONDS]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_namesrv::{NamesrvConfig, NamesrvServer};
use ferrocket_protocol::body::{
    DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigAndMappingSerializeWrapper,
};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{GetRouteInfoRequestHeader, RegisterBrokerRequestHeader};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};
use tokio_util::sync::CancellationToken;

const TOPICS: usize = 1000;
const CONNECTIONS: usize = 4;
const IN_FLIGHT_PER_CONNECTION: usize = 32;
const T: Duration = Duration::from_secs(5);

fn register_request(counter: i64) -> RemotingCommand {
    let mut wrapper = TopicConfigAndMappingSerializeWrapper {
        data_version: DataVersion {
            state_version: 0,
            counter,
            timestamp: counter,
        },
        ..Default::default()
    };
    for i in 0..TOPICS {
        let name = format!("Topic{i}");
        // Alternate the queue count so every registration really changes the table.
        let queues = 4 + (counter % 2) as i32;
        let tc = TopicConfig {
            topic_name: name.clone(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            ..TopicConfig::default()
        };
        wrapper.topic_config_table.insert(name, tc);
    }
    let body = RegisterBrokerBody {
        topic_config_serialize_wrapper: wrapper,
        filter_server_list: Vec::new(),
    };
    let h = RegisterBrokerRequestHeader {
        broker_name: "broker-a".into(),
        broker_addr: "127.0.0.1:10911".into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: "127.0.0.1:10912".into(),
        broker_id: 0,
        ..Default::default()
    };
    RemotingCommand::request_with_header(rc::REGISTER_BROKER, &h)
        .with_body(Bytes::from(body.encode(false).expect("encode")))
}

async fn query_load(conns: &[Arc<Connection>], seconds: f64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for (c, conn) in conns.iter().enumerate() {
        for w in 0..IN_FLIGHT_PER_CONNECTION {
            let conn = conn.clone();
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                let mut i = c * 7919 + w * 104_729;
                while Instant::now() < deadline {
                    let h = GetRouteInfoRequestHeader {
                        topic: format!("Topic{}", i % TOPICS),
                        accept_standard_json_only: None,
                    };
                    let resp = conn
                        .invoke(
                            RemotingCommand::request_with_header(rc::GET_ROUTEINFO_BY_TOPIC, &h),
                            T,
                        )
                        .await;
                    match resp {
                        Ok(r) if r.code == response_code::SUCCESS => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("route query failed: {other:?}"),
                    }
                    i += 1;
                }
            }));
        }
    }
    let start = Instant::now();
    for t in tasks {
        t.await.expect("query task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = std::env::temp_dir().join(format!("ferrocket-ns-bench-{}", std::process::id()));
        let config = NamesrvConfig {
            listen_port: 0,
            bind_address: "127.0.0.1".into(),
            kv_config_path: dir.join("kvConfig.json").display().to_string(),
            ..NamesrvConfig::default()
        };
        let shutdown = CancellationToken::new();
        let server = NamesrvServer::start(config, shutdown.clone()).await.expect("start name server");
        let addr = server.local_addr().to_string();
        let broker = connect(&addr, Arc::new(NoRequests), &ConnectionConfig::default(), T).await.expect("connect");
        let resp = broker.invoke(register_request(1), T).await.expect("register");
        assert_eq!(resp.code, response_code::SUCCESS);
        let mut conns = Vec::new();
        for _ in 0..CONNECTIONS {
            conns.push(connect(&addr, Arc::new(NoRequests), &ConnectionConfig::default(), T).await.expect("connect"));
        }
        query_load(&conns, 1.0).await; // warm-up

        let mut quiet = Vec::new();
        let mut busy = Vec::new();
        let mut registrations = 0u64;
        for _round in 0..2 {
            quiet.push(query_load(&conns, seconds).await);
            let stop = CancellationToken::new();
            let reg_stop = stop.clone();
            let reg_broker = broker.clone();
            let registrar = tokio::spawn(async move {
                let mut counter = 2i64;
                let mut ticker = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tokio::select! {
                        _ = reg_stop.cancelled() => return counter - 2,
                        _ = ticker.tick() => {}
                    }
                    let resp = reg_broker.invoke(register_request(counter), T).await.expect("re-register");
                    assert_eq!(resp.code, response_code::SUCCESS);
                    counter += 1;
                }
            });
            busy.push(query_load(&conns, seconds).await);
            stop.cancel();
            registrations += registrar.await.expect("registrar") as u64;
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            (v[0] + v[v.len() - 1]) / 2.0
        };
        let (q, b) = (median(&mut quiet), median(&mut busy));
        println!("route queries/s, {CONNECTIONS} connections x {IN_FLIGHT_PER_CONNECTION} in flight, {TOPICS} topics, {seconds} s per run, 2 rounds (A B A B):");
        println!("  quiet registry:                       {q:>10.0}  (runs: {quiet:.0?})");
        println!("  broker re-registering every 100 ms:   {b:>10.0}  (runs: {busy:.0?}; {registrations} table changes)");
        println!("  ratio busy/quiet:                     {:>10.2}", b / q);
        shutdown.cancel();
        let _ = std::fs::remove_dir_all(dir);
    });
}
