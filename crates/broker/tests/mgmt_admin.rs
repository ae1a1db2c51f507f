//! GET_BROKER_RUNTIME_INFO, GET_BROKER_CONFIG, UPDATE_BROKER_CONFIG and subscription-group administration over real
//! TCP.

mod mgmt_common;

use ferrocket_protocol::body::{
    DataVersion, KVTable, SubscriptionGroupConfig, SubscriptionGroupWrapper,
};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    DeleteSubscriptionGroupRequestHeader, GetAllSubscriptionGroupRequestHeader,
};
use mgmt_common::{put, Client};

#[tokio::test]
async fn runtime_info_has_the_keys_mqadmin_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    server
        .context()
        .topics
        .upsert(ferrocket_protocol::body::TopicConfig::new("R"));
    put(&server, "R", 0, b"hello", "").await;
    let r = c
        .call(RemotingCommand::new_request(rc::GET_BROKER_RUNTIME_INFO))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let t = KVTable::decode(&r.body).unwrap().table;
    for key in [
        "brokerVersionDesc",
        "brokerVersion",
        "msgPutTotalTodayNow",
        "msgGetTotalTodayNow",
        "msgPutTotalTodayMorning",
        "msgPutTotalYesterdayMorning",
        "putTps",
        "getTransferredTps",
        "getTransferedTps",
        "commitLogMinOffset",
        "commitLogMaxOffset",
        "runtime",
        "bootTimestamp",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
        "brokerActive",
    ] {
        assert!(t.contains_key(key), "missing {key}: {t:?}");
    }
    assert_eq!(t["brokerVersionDesc"], "V5_3_3");
    assert_eq!(t["msgPutTotalTodayNow"], "1");
    assert!(t["commitLogMaxOffset"].parse::<i64>().unwrap() > 0);
    assert!(t["earliestMessageTimeStamp"].parse::<i64>().unwrap() > 0);
    assert!(
        t["runtime"].starts_with("[ 0 days, 0 hours, 0 minutes,"),
        "{}",
        t["runtime"]
    );
    let ratio: f64 = t["commitLogDiskRatio"].parse().unwrap();
    assert!((0.0..=1.0).contains(&ratio));
    // The body is standard fastjson: all values strings.
    assert!(String::from_utf8(r.body.to_vec())
        .unwrap()
        .starts_with(r#"{"table":{"#));
    server.shutdown().await;
}

#[tokio::test]
async fn broker_config_get_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;

    let r = c
        .call(RemotingCommand::new_request(rc::GET_BROKER_CONFIG))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let v1 = DataVersion::decode(r.ext("version").unwrap().as_bytes()).unwrap();
    let props = ferrocket_config::parse_properties(std::str::from_utf8(&r.body).unwrap());
    assert_eq!(props["brokerName"], mgmt_common::BROKER_NAME);
    assert_eq!(props["autoCreateTopicEnable"], "true");
    assert!(props.contains_key("flushDiskType"), "store keys listed too");

    // Black-listed keys are refused and nothing changes.
    let r = c
        .call(
            RemotingCommand::new_request(rc::UPDATE_BROKER_CONFIG)
                .with_body("brokerName=x\nautoCreateTopicEnable=false\n"),
        )
        .await;
    assert_eq!(r.code, response_code::NO_PERMISSION);
    assert!(r.remark.unwrap().contains("brokerName"));
    assert!(server.context().config().auto_create_topic_enable);

    // Bad values are refused.
    let r = c
        .call(
            RemotingCommand::new_request(rc::UPDATE_BROKER_CONFIG)
                .with_body("defaultTopicQueueNums=many"),
        )
        .await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER);

    // A good update is applied at once: TBW102 stops acting as a template.
    let r = c
        .call(
            RemotingCommand::new_request(rc::UPDATE_BROKER_CONFIG)
                .with_body("autoCreateTopicEnable=false\nfileReservedTime=12\nnoSuchKey=1\n"),
        )
        .await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let remark = r.remark.unwrap();
    assert!(
        remark.contains("noSuchKey") && remark.contains("fileReservedTime"),
        "{remark}"
    );
    let ctx = server.context();
    assert!(!ctx.config().auto_create_topic_enable);
    assert_eq!(ctx.config().store.file_reserved_time, 12);
    assert!(ctx
        .topics
        .create_from_template("Auto", "TBW102", 4, 0)
        .is_none());

    let r = c
        .call(RemotingCommand::new_request(rc::GET_BROKER_CONFIG))
        .await;
    let v2 = DataVersion::decode(r.ext("version").unwrap().as_bytes()).unwrap();
    assert!(v2 > v1);
    let props = ferrocket_config::parse_properties(std::str::from_utf8(&r.body).unwrap());
    assert_eq!(props["autoCreateTopicEnable"], "false");
    server.shutdown().await;
}

#[tokio::test]
async fn subscription_groups() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    let mut g = SubscriptionGroupConfig::new("GA");
    g.retry_queue_nums = 2;
    g.consume_broadcast_enable = false;
    let r = c
        .call(
            RemotingCommand::new_request(rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(g.encode()),
        )
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let bad = SubscriptionGroupConfig::new("bad group");
    let r = c
        .call(
            RemotingCommand::new_request(rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(bad.encode()),
        )
        .await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER);

    let r = c
        .call(RemotingCommand::new_request(
            rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let total: usize = r.ext("totalGroupNum").unwrap().parse().unwrap();
    let w = SubscriptionGroupWrapper::decode(&r.body).unwrap();
    assert_eq!(w.subscription_group_table["GA"], g);
    assert!(w.subscription_group_table.contains_key("TOOLS_CONSUMER"));
    assert_eq!(total, w.subscription_group_table.len());
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(text.contains(r#""forbiddenTable":{}"#), "{text}");

    // Paged.
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
            &GetAllSubscriptionGroupRequestHeader {
                group_seq: Some(0),
                max_group_num: Some(2),
                data_version: None,
            },
        ))
        .await;
    let page = SubscriptionGroupWrapper::decode(&r.body).unwrap();
    assert_eq!(page.subscription_group_table.len(), 2);

    // Delete with cleanOffset.
    let ctx = server.context();
    ctx.offsets.commit("GA", "T", 0, 5);
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: "GA".into(),
                clean_offset: Some(true),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    assert!(ctx.groups.find("GA").is_none());
    assert_eq!(ctx.offsets.query("GA", "T", 0), None);

    // The file survives a restart.
    server.shutdown().await;
    let text = std::fs::read_to_string(dir.path().join("config/subscriptionGroup.json")).unwrap();
    assert!(text.contains("\"subscriptionGroupTable\":{"));
    assert!(!text.contains("\"GA\""));
}
