//! Starting brokers in-process: the VIP channel, start-up errors, registration details (read-only brokers, slaves
//! learning their master) against an in-process name server.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_broker::{BrokerConfig, BrokerError, BrokerServer};
use ferrocket_namesrv::{NamesrvConfig, NamesrvServer};
use ferrocket_protocol::body::TopicRouteData;
use ferrocket_protocol::codes::{request_code as rc, response_code as code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetRouteInfoRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};
use tokio_util::sync::CancellationToken;

const T: Duration = Duration::from_secs(10);

fn config(root: &Path) -> BrokerConfig {
    let mut c = BrokerConfig {
        listen_port: 0,
        bind_address: "127.0.0.1".into(),
        namesrv_addr: String::new(),
        enable_vip_channel: false,
        broker_name: "broker-s".into(),
        ..BrokerConfig::default()
    };
    c.store.store_path_root_dir = root.to_string_lossy().into_owned();
    c.store.mapped_file_size_commit_log = 1 << 20;
    c.store.mapped_file_size_consume_queue = 20 * 1000;
    c.normalize(false);
    c
}

async fn client(addr: &str) -> Arc<Connection> {
    connect(addr, Arc::new(NoRequests), &ConnectionConfig::default(), T)
        .await
        .unwrap()
}

fn send(topic: &str) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        born_timestamp: 1,
        ..Default::default()
    };
    RemotingCommand::request_with_header(rc::SEND_MESSAGE_V2, &SendMessageRequestHeaderV2::from(h))
        .with_body(Bytes::from_static(b"x"))
}

async fn route(ns: &Connection, topic: &str) -> Option<TopicRouteData> {
    let h = GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    };
    let r = ns
        .invoke(
            RemotingCommand::request_with_header(rc::GET_ROUTEINFO_BY_TOPIC, &h),
            T,
        )
        .await
        .unwrap();
    (r.code == 0).then(|| TopicRouteData::decode(&r.body).unwrap())
}

/// A port P with P − 2 also free (both checked by binding them).
fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p > 2 && TcpListener::bind(("127.0.0.1", p - 2)).is_ok() {
            return p;
        }
    }
    panic!("no free port pair");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vip_channel_is_the_same_broker_two_ports_lower() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.listen_port = free_port_pair();
    c.enable_vip_channel = true;
    let port = c.listen_port;
    let server = BrokerServer::start(c).await.unwrap();
    assert_eq!(server.local_addr().port(), port);
    let vip = server.vip_addr().expect("VIP channel bound");
    assert_eq!(vip.port(), port - 2);
    assert_eq!(server.broker_addr(), format!("127.0.0.1:{port}"));
    let conn = client(&vip.to_string()).await;
    let r = conn.invoke(send("TopicVip"), T).await.unwrap();
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    // The message id names the main port, not the VIP one.
    let msg_id = r.ext("msgId").unwrap().to_string();
    let (host, _) = ferrocket_protocol::message::decode_offset_msg_id(&msg_id).unwrap();
    assert_eq!(host.port(), port);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_errors_are_clear_and_leave_the_store_alone() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = config(&dir.path().join("store"));
    c.listen_port = taken.local_addr().unwrap().port();
    match BrokerServer::start(c).await {
        Err(BrokerError::Listen { addr, .. }) => {
            assert!(addr.ends_with(&taken.local_addr().unwrap().port().to_string()))
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("started on a taken port"),
    }
    assert!(!dir.path().join("store").exists(), "store untouched");

    let mut c = config(&dir.path().join("store"));
    c.broker_ip1 = "broker.example".into();
    let err = BrokerServer::start(c).await.err().expect("refused");
    assert!(err.to_string().contains("brokerIP1"), "{err}");
}

async fn namesrv() -> (NamesrvServer, CancellationToken) {
    let stop = CancellationToken::new();
    let dir = std::env::temp_dir().join(format!("ferrocket-core-kv-{}", std::process::id()));
    let ns = NamesrvServer::start(
        NamesrvConfig {
            listen_port: 0,
            bind_address: "127.0.0.1".into(),
            kv_config_path: dir.join("kv.json").to_string_lossy().into_owned(),
            ..NamesrvConfig::default()
        },
        stop.clone(),
    )
    .await
    .unwrap();
    (ns, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_broker_registers_read_only_topics_and_refuses_sends() {
    let (ns, stop) = namesrv().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.namesrv_addr = ns.local_addr().to_string();
    c.broker_permission = 4;
    let server = BrokerServer::start(c).await.unwrap();
    let ns_conn = client(&ns.local_addr().to_string()).await;
    let r = route(&ns_conn, "TBW102")
        .await
        .expect("registered at start");
    assert_eq!(r.queue_datas[0].perm, 4, "write bit removed");
    let conn = client(&server.local_addr().to_string()).await;
    let resp = conn.invoke(send("TopicRO"), T).await.unwrap();
    assert_eq!(resp.code, code::NO_PERMISSION, "{:?}", resp.remark);
    server.shutdown().await;
    assert!(route(&ns_conn, "TBW102").await.is_none(), "unregistered");
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_learns_its_master_and_refuses_writes() {
    let (ns, stop) = namesrv().await;
    let ns_addr = ns.local_addr().to_string();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut m = config(d1.path());
    m.namesrv_addr = ns_addr.clone();
    let master = BrokerServer::start(m).await.unwrap();
    let mut s = config(d2.path());
    s.namesrv_addr = ns_addr.clone();
    s.broker_id = 1;
    s.store.broker_role = ferrocket_store::BrokerRole::Slave;
    s.normalize(false);
    let slave = BrokerServer::start(s).await.unwrap();
    assert_eq!(
        slave.context().registrar.master_addr().as_deref(),
        Some(master.broker_addr())
    );
    let conn = client(&slave.local_addr().to_string()).await;
    let resp = conn.invoke(send("TopicSlave"), T).await.unwrap();
    assert_eq!(resp.code, code::SERVICE_NOT_AVAILABLE, "{:?}", resp.remark);
    assert!(resp
        .remark
        .unwrap()
        .starts_with("service not available now"));

    // A topic created on the master reaches the name server without waiting for the 30 s period.
    let t = Instant::now();
    let mconn = client(&master.local_addr().to_string()).await;
    assert_eq!(
        mconn.invoke(send("TopicFresh"), T).await.unwrap().code,
        code::SUCCESS
    );
    let ns_conn = client(&ns_addr).await;
    while route(&ns_conn, "TopicFresh").await.is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "route not registered in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    slave.shutdown().await;
    master.shutdown().await;
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_flush_answers_after_the_data_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.store.flush_disk_type = ferrocket_store::FlushDiskType::SyncFlush;
    let server = BrokerServer::start(c).await.unwrap();
    let conn = client(&server.local_addr().to_string()).await;
    for _ in 0..5 {
        let r = conn.invoke(send("TopicSync"), T).await.unwrap();
        assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
        // Sends are sequential, so the log end is this record's end.
        let store = &server.context().store;
        let end = store.stats().commit_log_max_offset;
        assert!(
            store.flushed_offset() >= end,
            "flushed {} < log end {end} when the answer came",
            store.flushed_offset()
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_during_shutdown_are_turned_away() {
    let dir = tempfile::tempdir().unwrap();
    let server = BrokerServer::start(config(dir.path())).await.unwrap();
    let conn = client(&server.local_addr().to_string()).await;
    server.context().shutdown.cancel();
    let r = conn.invoke(send("TopicBye"), T).await.unwrap();
    assert_eq!(r.code, code::GO_AWAY, "new clients are told to go away");
    let r = conn
        .invoke(
            send("TopicBye").with_version(ferrocket_protocol::codes::version::V4_9_4),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        r.code,
        code::SERVICE_NOT_AVAILABLE,
        "older clients get a code they retry on"
    );
    server.shutdown().await;
}
