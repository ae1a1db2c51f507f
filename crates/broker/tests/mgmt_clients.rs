//! HEART_BEAT, NOTIFY_CONSUMER_IDS_CHANGED, GET_CONSUMER_LIST_BY_GROUP, GET_CONSUMER_CONNECTION_LIST,
//! UNREGISTER_CLIENT, CHECK_CLIENT_CONFIG over real TCP.

mod mgmt_common;

use std::time::Duration;

use ferrocket_protocol::body::{
    CheckClientRequestBody, ConsumerConnection, GetConsumerListByGroupResponseBody,
    SubscriptionData,
};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetConsumerConnectionListRequestHeader, GetConsumerListByGroupRequestHeader,
    UnregisterClientRequestHeader,
};
use mgmt_common::{consumer_heartbeat, Client};

fn list_request(group: &str) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::GET_CONSUMER_LIST_BY_GROUP,
        &GetConsumerListByGroupRequestHeader {
            consumer_group: group.into(),
        },
    )
}

async fn consumer_ids(c: &Client, group: &str) -> Option<Vec<String>> {
    let r = c.call(list_request(group)).await;
    (r.code == response_code::SUCCESS).then(|| {
        GetConsumerListByGroupResponseBody::decode(&r.body)
            .unwrap()
            .consumer_id_list
    })
}

#[tokio::test]
async fn two_consumers_join_notify_and_leave() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let addr = server.local_addr();

    let mut a = Client::connect(addr).await;
    let r = a
        .call(consumer_heartbeat("10.0.0.1@a", "G1", &["T1"]))
        .await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    assert_eq!(r.ext("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    assert_eq!(r.ext("IS_SUB_CHANGE"), Some("false"));
    // The group and its retry topic now exist.
    let ctx = server.context();
    assert!(ctx.groups.find("G1").is_some());
    let retry = ctx
        .topics
        .get("%RETRY%G1")
        .expect("retry topic created on heartbeat");
    assert_eq!((retry.read_queue_nums, retry.perm), (1, 6));
    assert_eq!(consumer_ids(&a, "G1").await.unwrap(), ["10.0.0.1@a"]);
    // First member joining: it is notified too (Apache notifies every member on a change).
    assert!(a
        .next_request(rc::NOTIFY_CONSUMER_IDS_CHANGED, Duration::from_secs(2))
        .await
        .is_some());

    let mut b = Client::connect(addr).await;
    let r = b
        .call(consumer_heartbeat("10.0.0.2@b", "G1", &["T1"]))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    assert_eq!(
        consumer_ids(&a, "G1").await.unwrap(),
        ["10.0.0.1@a", "10.0.0.2@b"]
    );
    let n = a
        .next_request(rc::NOTIFY_CONSUMER_IDS_CHANGED, Duration::from_secs(2))
        .await
        .expect("A is told B joined");
    assert_eq!(n.ext("consumerGroup"), Some("G1"));
    assert!(n.is_oneway());
    assert!(b
        .next_request(rc::NOTIFY_CONSUMER_IDS_CHANGED, Duration::from_secs(2))
        .await
        .is_some());

    // A repeated heartbeat with the same subscriptions changes nothing: no notification.
    a.drain();
    a.call(consumer_heartbeat("10.0.0.1@a", "G1", &["T1"]))
        .await;
    assert!(a
        .next_request(rc::NOTIFY_CONSUMER_IDS_CHANGED, Duration::from_millis(300))
        .await
        .is_none());

    // Connection list.
    let r = a
        .call(RemotingCommand::request_with_header(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &GetConsumerConnectionListRequestHeader {
                consumer_group: "G1".into(),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let cc = ConsumerConnection::decode(&r.body).unwrap();
    assert_eq!(cc.connection_set.len(), 2);
    assert!(cc.subscription_table.contains_key("T1"));
    assert!(cc.subscription_table.contains_key("%RETRY%G1"));
    assert_eq!(cc.connection_set[0].language, "RUST");

    // B's connection closes: A is notified and the list shrinks.
    b.conn.close();
    let n = a
        .next_request(rc::NOTIFY_CONSUMER_IDS_CHANGED, Duration::from_secs(3))
        .await;
    assert!(n.is_some(), "A is told B left");
    assert_eq!(consumer_ids(&a, "G1").await.unwrap(), ["10.0.0.1@a"]);

    // A unregisters: group gone, list is SYSTEM_ERROR, connection list CONSUMER_NOT_ONLINE.
    let r = a
        .call(RemotingCommand::request_with_header(
            rc::UNREGISTER_CLIENT,
            &UnregisterClientRequestHeader {
                client_id: "10.0.0.1@a".into(),
                producer_group: Some("CLIENT_INNER_PRODUCER".into()),
                consumer_group: Some("G1".into()),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let r = a.call(list_request("G1")).await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert!(ctx.clients.producer_groups().is_empty());
    let r = a
        .call(RemotingCommand::request_with_header(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &GetConsumerConnectionListRequestHeader {
                consumer_group: "G1".into(),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::CONSUMER_NOT_ONLINE);
    server.shutdown().await;
}

#[tokio::test]
async fn group_notify_flag_off_means_no_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let mut g = ferrocket_protocol::body::SubscriptionGroupConfig::new("Quiet");
    g.notify_consumer_ids_changed_enable = false;
    server.context().groups.upsert(g);
    let mut a = Client::connect(server.local_addr()).await;
    a.call(consumer_heartbeat("a", "Quiet", &["T"])).await;
    let b = Client::connect(server.local_addr()).await;
    b.call(consumer_heartbeat("b", "Quiet", &["T"])).await;
    assert_eq!(server.context().clients.consumer_ids("Quiet").len(), 2);
    assert!(a
        .next_request(rc::NOTIFY_CONSUMER_IDS_CHANGED, Duration::from_millis(400))
        .await
        .is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn idle_channels_expire() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let mut a = Client::connect(server.local_addr()).await;
    let b = Client::connect(server.local_addr()).await;
    a.call(consumer_heartbeat("a", "G", &["T"])).await;
    // B heartbeats later; scanning with a "now" between the two beats by more than the timeout expires A only.
    tokio::time::sleep(Duration::from_millis(600)).await;
    b.call(consumer_heartbeat("b", "G", &["T"])).await;
    a.drain();
    let clients = &server.context().clients;
    let report = clients.scan_expired(std::time::Instant::now(), Duration::from_millis(400));
    assert_eq!(report.consumers, [("G".to_string(), "a".to_string())]);
    assert_eq!(
        report.producers,
        [("CLIENT_INNER_PRODUCER".to_string(), "a".to_string())]
    );
    assert_eq!(clients.consumer_ids("G"), ["b"]);
    // The expired connection is closed by the broker.
    tokio::time::timeout(Duration::from_secs(3), a.conn.closed())
        .await
        .expect("A's connection is closed");
    server.shutdown().await;
}

#[tokio::test]
async fn heartbeat_v2_without_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let a = Client::connect(server.local_addr()).await;
    let v2 = |without_sub: bool| {
        let mut hb = consumer_heartbeat("a", "G2", &["T"]);
        let mut data = ferrocket_protocol::body::HeartbeatData::decode(&hb.body).unwrap();
        data.heartbeat_fingerprint = 42;
        data.without_sub = without_sub;
        if without_sub {
            data.consumer_data_set[0].subscription_data_set.clear();
        }
        hb.body = data.encode().into();
        hb
    };
    // Without subscriptions before the broker has them: IS_SUB_CHANGE=true (send them again).
    let r = a.call(v2(true)).await;
    assert_eq!(r.ext("IS_SUB_CHANGE"), Some("true"));
    // Full heartbeat, then a light one: accepted, subscriptions kept.
    let r = a.call(v2(false)).await;
    assert_eq!(r.ext("IS_SUB_CHANGE"), Some("false"));
    let r = a.call(v2(true)).await;
    assert_eq!(r.ext("IS_SUB_CHANGE"), Some("false"));
    assert!(server.context().clients.subscription("G2", "T").is_some());
    server.shutdown().await;
}

fn check_request(expression_type: &str) -> RemotingCommand {
    check_request_with(expression_type, "a > 5")
}

fn check_request_with(expression_type: &str, expression: &str) -> RemotingCommand {
    let body = CheckClientRequestBody {
        client_id: "c".into(),
        group: "G".into(),
        namespace: None,
        subscription_data: Some(SubscriptionData {
            expression_type: expression_type.into(),
            sub_string: expression.into(),
            topic: "T".into(),
            ..SubscriptionData::default()
        }),
    };
    RemotingCommand::new_request(rc::CHECK_CLIENT_CONFIG).with_body(body.encode())
}

#[tokio::test]
async fn check_client_config() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    assert_eq!(
        c.call(check_request("TAG")).await.code,
        response_code::SUCCESS
    );
    assert_eq!(
        c.call(RemotingCommand::new_request(rc::CHECK_CLIENT_CONFIG))
            .await
            .code,
        response_code::SUCCESS
    );
    let r = c.call(check_request("SQL92")).await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        r.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    // With enablePropertyFilter on, a valid expression passes and a malformed one is refused with the parse error.
    let mut config = (**server.context().config()).clone();
    config.enable_property_filter = true;
    server.context().config.store(std::sync::Arc::new(config));
    let r = c.call(check_request("SQL92")).await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let r = c.call(check_request_with("SQL92", "a >")).await;
    assert_eq!(r.code, response_code::SUBSCRIPTION_PARSE_FAILED);
    assert!(r.remark.unwrap().contains("SQL92 parse error"));
    server.shutdown().await;
}
