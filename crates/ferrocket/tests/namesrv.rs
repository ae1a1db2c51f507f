//! The real `ferrocket namesrv` binary over TCP: registration with both header serializations, route and cluster
//! reads, KV config, unknown codes, and survival of malformed frames.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::body::{
    ClusterInfo, DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper,
    TopicList, TopicRouteData,
};
use ferrocket_protocol::codes::{request_code as rc, response_code, SerializeType};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetRouteInfoRequestHeader, PutKvConfigRequestHeader, RegisterBrokerRequestHeader,
    RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader,
};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};
use tokio::io::AsyncWriteExt;

const T: Duration = Duration::from_secs(5);

async fn client(addr: &str) -> Arc<Connection> {
    connect(addr, Arc::new(NoRequests), &ConnectionConfig::default(), T)
        .await
        .expect("connect")
}

fn register_body(topics: &[(&str, i32)], counter: i64) -> Bytes {
    let mut wrapper = TopicConfigSerializeWrapper {
        data_version: DataVersion {
            state_version: 0,
            counter,
            timestamp: 1_700_000_000_000,
        },
        ..Default::default()
    };
    for (name, queues) in topics {
        let tc = TopicConfig {
            topic_name: name.to_string(),
            read_queue_nums: *queues,
            write_queue_nums: *queues,
            perm: 6,
            ..TopicConfig::default()
        };
        wrapper.topic_config_table.insert(name.to_string(), tc);
    }
    let body = RegisterBrokerBody {
        topic_config_serialize_wrapper: wrapper.into(),
        filter_server_list: Vec::new(),
    };
    Bytes::from(body.encode(false).expect("encode register body"))
}

fn register(name: &str, addr: &str, id: i64, body: Bytes, st: SerializeType) -> RemotingCommand {
    let crc = (crc32fast::hash(&body) & 0x7FFF_FFFF) as i32;
    let h = RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: format!("{addr}1"),
        broker_id: id,
        heartbeat_timeout_millis: None,
        enable_acting_master: Some(false),
        compressed: Some(false),
        body_crc32: Some(crc),
        zone_name: None,
    };
    RemotingCommand::request_with_header(rc::REGISTER_BROKER, &h)
        .with_body(body)
        .with_serialize_type(st)
}

async fn route(conn: &Connection, topic: &str, version: i32) -> RemotingCommand {
    let h = GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    };
    let req =
        RemotingCommand::request_with_header(rc::GET_ROUTEINFO_BY_TOPIC, &h).with_version(version);
    conn.invoke(req, T).await.expect("route request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_routes_cluster_info_and_malformed_frames() {
    let mut ns = support::spawn_namesrv(&[]);
    let conn = client(&ns.addr).await;

    // Master registers with a JSON header, its slave with a ROCKETMQ binary header.
    let resp = conn
        .invoke(
            register(
                "broker-a",
                "127.0.0.1:20911",
                0,
                register_body(&[("TopicA", 4), ("TopicB", 2)], 1),
                SerializeType::Json,
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let resp = conn
        .invoke(
            register(
                "broker-a",
                "127.0.0.1:21911",
                1,
                register_body(&[("TopicA", 4)], 1),
                SerializeType::RocketMq,
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(
        resp.serialize_type,
        SerializeType::RocketMq,
        "answers in the request's serialization"
    );
    let h: RegisterBrokerResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.master_addr.as_deref(), Some("127.0.0.1:20911"));
    assert_eq!(h.ha_server_addr.as_deref(), Some("127.0.0.1:209111"));

    // A bad CRC is refused and changes nothing.
    let mut bad = register(
        "broker-x",
        "127.0.0.1:22911",
        0,
        register_body(&[("TopicX", 1)], 1),
        SerializeType::Json,
    );
    bad.set_ext("bodyCrc32", "12345");
    let resp = conn.invoke(bad, T).await.unwrap();
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(resp.remark.as_deref(), Some("crc32 not match"));

    // Route, as a new client (quoted keys) and an old one (bare keys).
    let resp = route(&conn, "TopicA", 479).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let text = String::from_utf8_lossy(&resp.body).to_string();
    assert!(
        text.contains("\"0\":\"127.0.0.1:20911\""),
        "quoted keys for new clients: {text}"
    );
    let route_data = TopicRouteData::decode(&resp.body).unwrap();
    assert_eq!(route_data.queue_datas.len(), 1);
    assert_eq!(route_data.queue_datas[0].write_queue_nums, 4);
    assert_eq!(route_data.broker_datas[0].broker_addrs.len(), 2);
    let old = route(&conn, "TopicA", 317).await;
    let old_text = String::from_utf8_lossy(&old.body).to_string();
    assert!(
        old_text.contains("{0:\"127.0.0.1:20911\""),
        "bare keys for old clients: {old_text}"
    );
    assert_eq!(TopicRouteData::decode(&old.body).unwrap(), route_data);

    let missing = route(&conn, "NoSuchTopic", 479).await;
    assert_eq!(missing.code, response_code::TOPIC_NOT_EXIST);

    // Cluster info and topic list.
    let resp = conn
        .invoke(RemotingCommand::new_request(rc::GET_BROKER_CLUSTER_INFO), T)
        .await
        .unwrap();
    let info = ClusterInfo::decode(&resp.body).unwrap();
    assert!(info.cluster_addr_table["DefaultCluster"].contains("broker-a"));
    assert_eq!(info.broker_addr_table["broker-a"].broker_addrs.len(), 2);
    let resp = conn
        .invoke(
            RemotingCommand::new_request(rc::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
            T,
        )
        .await
        .unwrap();
    let list = TopicList::decode(&resp.body).unwrap();
    assert_eq!(
        list.topic_list.into_iter().collect::<Vec<_>>(),
        vec!["TopicA".to_string(), "TopicB".to_string()]
    );

    // KV config round trip.
    let put = PutKvConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "TopicA".into(),
        value: "broker-a:4".into(),
    };
    let resp = conn
        .invoke(
            RemotingCommand::request_with_header(rc::PUT_KV_CONFIG, &put),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let get = RemotingCommand::new_request(rc::GET_KV_CONFIG)
        .with_ext("namespace", "ORDER_TOPIC_CONFIG")
        .with_ext("key", "TopicA");
    let resp = conn.invoke(get, T).await.unwrap();
    assert_eq!(resp.ext("value"), Some("broker-a:4"));

    // Unknown code and a missing required field get clear answers.
    let resp = conn
        .invoke(RemotingCommand::new_request(9999), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
    assert!(resp.remark.unwrap_or_default().contains("9999"));
    let resp = conn
        .invoke(RemotingCommand::new_request(rc::GET_ROUTEINFO_BY_TOPIC), T)
        .await
        .unwrap();
    assert_ne!(resp.code, response_code::SUCCESS);
    assert!(resp.remark.unwrap_or_default().contains("topic"));

    // Malformed frames close only their own connection.
    for garbage in [
        &[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0][..], // length over 16 MiB
        &[0, 0, 0, 8, 0, 0, 0, 100, b'{', b'}', 0, 0][..], // header longer than frame
        &[0, 0, 0, 6, 0, 0, 0, 2, b'{', b'x'][..], // broken JSON
        &[0, 0, 0, 6, 9, 0, 0, 2, b'{', b'}'][..], // unknown serialize type
    ] {
        let mut raw = tokio::net::TcpStream::connect(&ns.addr).await.unwrap();
        raw.write_all(garbage).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(T, tokio::io::AsyncReadExt::read(&mut raw, &mut buf)).await;
        assert!(
            matches!(n, Ok(Ok(0)) | Ok(Err(_))),
            "server should close a connection sending garbage"
        );
    }
    assert!(ns.is_running(), "name server survived malformed frames");
    let resp = route(&conn, "TopicB", 479).await;
    assert_eq!(
        resp.code,
        response_code::SUCCESS,
        "the well-behaved client is still served"
    );

    // Unregistering the master leaves the slave listed; closing the registering connection drops the broker.
    let un = UnregisterBrokerRequestHeader {
        broker_name: "broker-a".into(),
        broker_addr: "127.0.0.1:20911".into(),
        cluster_name: "DefaultCluster".into(),
        broker_id: 0,
    };
    let resp = conn
        .invoke(
            RemotingCommand::request_with_header(rc::UNREGISTER_BROKER, &un),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let r = TopicRouteData::decode(&route(&conn, "TopicA", 479).await.body).unwrap();
    assert_eq!(
        r.broker_datas[0]
            .broker_addrs
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );
    conn.close();
    let other = client(&ns.addr).await;
    let mut gone = false;
    for _ in 0..50 {
        if route(&other, "TopicA", 479).await.code == response_code::TOPIC_NOT_EXIST {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "a closed broker connection removes the broker at once"
    );

    let status = ns
        .terminate(Duration::from_secs(10))
        .expect("exits on SIGTERM");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[test]
fn print_config_and_bad_flags() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["namesrv", "--set", "listenPort=9999", "-p"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l == "listenPort=9999"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("kvConfigPath=")),
        "{text}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["namesrv", "--set", "listenPort=notanumber"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listenPort"), "error names the key: {err}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["namesrv", "-c", "/nonexistent/namesrv.properties"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/namesrv.properties"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_registration_heartbeats_versions_perms_and_deletion() {
    let ns = support::spawn_namesrv(&[]);
    let conn = client(&ns.addr).await;

    // A compressed (zlib) register body, as Apache's compressedRegister=true produces.
    let body = {
        let mut wrapper = TopicConfigSerializeWrapper {
            data_version: DataVersion {
                state_version: 0,
                counter: 7,
                timestamp: 1_700_000_000_000,
            },
            ..Default::default()
        };
        for name in ["Z1", "Z2"] {
            let tc = TopicConfig {
                topic_name: name.into(),
                read_queue_nums: 2,
                write_queue_nums: 2,
                perm: 6,
                ..TopicConfig::default()
            };
            wrapper.topic_config_table.insert(name.into(), tc);
        }
        let b = RegisterBrokerBody {
            topic_config_serialize_wrapper: wrapper.into(),
            filter_server_list: Vec::new(),
        };
        Bytes::from(b.encode(true).unwrap())
    };
    let mut req = register("broker-z", "127.0.0.1:40911", 0, body, SerializeType::Json);
    req.set_ext("compressed", "true");
    let resp = conn.invoke(req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(route(&conn, "Z2", 479).await.code, response_code::SUCCESS);

    // QUERY_DATA_VERSION: same version → unchanged; another → changed.
    let query = |counter: i64| {
        let v = DataVersion {
            state_version: 0,
            counter,
            timestamp: 1_700_000_000_000,
        };
        RemotingCommand::new_request(rc::QUERY_DATA_VERSION)
            .with_ext("brokerName", "broker-z")
            .with_ext("brokerAddr", "127.0.0.1:40911")
            .with_ext("clusterName", "DefaultCluster")
            .with_ext("brokerId", "0")
            .with_body(Bytes::from(v.encode()))
    };
    let same = conn.invoke(query(7), T).await.unwrap();
    assert_eq!(same.ext("changed"), Some("false"));
    assert_eq!(DataVersion::decode(&same.body).unwrap().counter, 7);
    assert_eq!(
        conn.invoke(query(8), T).await.unwrap().ext("changed"),
        Some("true")
    );

    // BROKER_HEARTBEAT is accepted.
    let hb = RemotingCommand::new_request(rc::BROKER_HEARTBEAT)
        .with_ext("clusterName", "DefaultCluster")
        .with_ext("brokerAddr", "127.0.0.1:40911")
        .with_ext("brokerName", "broker-z");
    assert_eq!(
        conn.invoke(hb, T).await.unwrap().code,
        response_code::SUCCESS
    );

    // Wipe and add write permission.
    let wipe = RemotingCommand::new_request(rc::WIPE_WRITE_PERM_OF_BROKER)
        .with_ext("brokerName", "broker-z");
    let resp = conn.invoke(wipe, T).await.unwrap();
    assert_eq!(resp.ext("wipeTopicCount"), Some("2"));
    let r = TopicRouteData::decode(&route(&conn, "Z1", 479).await.body).unwrap();
    assert_eq!(r.queue_datas[0].perm, 4, "write bit cleared");
    let add = RemotingCommand::new_request(rc::ADD_WRITE_PERM_OF_BROKER)
        .with_ext("brokerName", "broker-z");
    assert_eq!(
        conn.invoke(add, T).await.unwrap().ext("addTopicCount"),
        Some("2")
    );
    let r = TopicRouteData::decode(&route(&conn, "Z1", 479).await.body).unwrap();
    assert_eq!(r.queue_datas[0].perm, 6);

    // Topics by cluster, then delete one topic.
    let by_cluster = RemotingCommand::new_request(rc::GET_TOPICS_BY_CLUSTER)
        .with_ext("cluster", "DefaultCluster");
    let list = TopicList::decode(&conn.invoke(by_cluster, T).await.unwrap().body).unwrap();
    assert_eq!(list.topic_list.len(), 2);
    let del = RemotingCommand::new_request(rc::DELETE_TOPIC_IN_NAMESRV).with_ext("topic", "Z1");
    assert_eq!(
        conn.invoke(del, T).await.unwrap().code,
        response_code::SUCCESS
    );
    assert_eq!(
        route(&conn, "Z1", 479).await.code,
        response_code::TOPIC_NOT_EXIST
    );

    // KV list by namespace, and its absence.
    for (k, v) in [("a", "1"), ("b", "2")] {
        let put = RemotingCommand::new_request(rc::PUT_KV_CONFIG)
            .with_ext("namespace", "NS")
            .with_ext("key", k)
            .with_ext("value", v);
        conn.invoke(put, T).await.unwrap();
    }
    let list =
        RemotingCommand::new_request(rc::GET_KVLIST_BY_NAMESPACE).with_ext("namespace", "NS");
    let table =
        ferrocket_protocol::body::KVTable::decode(&conn.invoke(list, T).await.unwrap().body)
            .unwrap();
    assert_eq!(table.table.len(), 2);
    let del = RemotingCommand::new_request(rc::DELETE_KV_CONFIG)
        .with_ext("namespace", "NS")
        .with_ext("key", "a");
    conn.invoke(del, T).await.unwrap();
    let get = RemotingCommand::new_request(rc::GET_KV_CONFIG)
        .with_ext("namespace", "NS")
        .with_ext("key", "a");
    assert_eq!(
        conn.invoke(get, T).await.unwrap().code,
        response_code::QUERY_NOT_FOUND
    );
    let none =
        RemotingCommand::new_request(rc::GET_KVLIST_BY_NAMESPACE).with_ext("namespace", "nope");
    assert_eq!(
        conn.invoke(none, T).await.unwrap().code,
        response_code::QUERY_NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_broker_expires() {
    // A short per-broker timeout (heartbeatTimeoutMillis) and a fast scan make expiry testable in seconds.
    let ns = support::spawn_namesrv(&["--set", "scanNotActiveBrokerInterval=200"]);
    let conn = client(&ns.addr).await;
    let mut req = register(
        "broker-e",
        "127.0.0.1:50911",
        0,
        register_body(&[("E1", 1)], 1),
        SerializeType::Json,
    );
    req.set_ext("heartbeatTimeoutMillis", "1000");
    assert_eq!(
        conn.invoke(req, T).await.unwrap().code,
        response_code::SUCCESS
    );
    assert_eq!(route(&conn, "E1", 479).await.code, response_code::SUCCESS);
    let mut expired = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if route(&conn, "E1", 479).await.code == response_code::TOPIC_NOT_EXIST {
            expired = true;
            break;
        }
    }
    assert!(
        expired,
        "a broker silent past its timeout is dropped by the scan"
    );
}
