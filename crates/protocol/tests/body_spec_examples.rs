//! The JSON examples of the protocol fact sheet (and what real clients send), decoded and re-encoded.

use ferrocket_protocol::body::*;
use ferrocket_protocol::json::KeyStyle;

/// Removes the line breaks and indentation the spec adds for readability (none of the examples has
/// meaningful whitespace outside strings).
fn compact(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().concat()
}

const HEARTBEAT_7_3: &str = r#"{"clientID":"10.0.0.5@12345#2816453461234","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",
"consumeType":"CONSUME_PASSIVELY","groupName":"G1","messageModel":"CLUSTERING","subscriptionDataSet":[
{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,
"tagsSet":["TagA"],"topic":"T1"},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",
"subVersion":1700000000001,"tagsSet":[],"topic":"%RETRY%G1"}],"unitMode":false}],"heartbeatFingerprint":0,
"producerDataSet":[{"groupName":"P1"},{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#;

#[test]
fn heartbeat_of_7_3() {
    let hb = HeartbeatData::decode(HEARTBEAT_7_3.as_bytes()).unwrap();
    assert_eq!(hb.client_id, "10.0.0.5@12345#2816453461234");
    assert_eq!(hb.producer_data_set.len(), 2);
    assert_eq!(hb.producer_data_set[1].group_name, "CLIENT_INNER_PRODUCER");
    let c = &hb.consumer_data_set[0];
    assert_eq!(c.group_name, "G1");
    assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
    assert_eq!(c.message_model, MessageModel::Clustering);
    assert_eq!(
        c.consume_from_where,
        ConsumeFromWhere::ConsumeFromLastOffset
    );
    assert_eq!(
        c.subscription_data_set[0],
        SubscriptionData::tag("T1", "TagA", 1_700_000_000_000)
    );
    assert_eq!(c.subscription_data_set[1].topic, "%RETRY%G1");
    assert_eq!(c.subscription_data_set[1].sub_version, 1_700_000_000_001);
    // fastjson field order and formatting: our output is byte-identical.
    assert_eq!(
        String::from_utf8(hb.encode()).unwrap(),
        compact(HEARTBEAT_7_3)
    );
}

#[test]
fn heartbeat_as_real_clients_send_it() {
    // Enums as ordinals, subVersion as a string, tagsSet/codeSet/classFilterMode/expressionType/unitMode and
    // producerDataSet left out (compat/README.md).
    let body = br#"{"clientID":"127.0.0.1@4242","consumerDataSet":[{"groupName":"G2","consumeType":1,
        "messageModel":1,"consumeFromWhere":4,"subscriptionDataSet":[{"topic":"T2","subString":"*",
        "subVersion":"1700000000123"}]},{"groupName":"G3","consumeType":"0","messageModel":0,"consumeFromWhere":5,
        "subscriptionDataSet":[]}]}"#;
    let hb = HeartbeatData::decode(body).unwrap();
    assert!(hb.producer_data_set.is_empty());
    let c = &hb.consumer_data_set[0];
    assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
    assert_eq!(c.message_model, MessageModel::Clustering);
    assert_eq!(
        c.consume_from_where,
        ConsumeFromWhere::ConsumeFromFirstOffset
    );
    assert!(!c.unit_mode);
    let s = &c.subscription_data_set[0];
    assert_eq!(s.sub_version, 1_700_000_000_123);
    assert_eq!(s.expression_type, "TAG");
    assert!(s.tags_set.is_empty() && s.code_set.is_empty() && !s.class_filter_mode);
    let c = &hb.consumer_data_set[1];
    assert_eq!(c.consume_type, ConsumeType::ConsumeActively);
    assert_eq!(c.message_model, MessageModel::Broadcasting);
    assert_eq!(c.consume_from_where, ConsumeFromWhere::ConsumeFromTimestamp);
    // Re-encoded with names, as Java clients expect.
    let text = String::from_utf8(hb.encode()).unwrap();
    assert!(
        text.contains(r#""consumeType":"CONSUME_ACTIVELY""#),
        "{text}"
    );
    assert_eq!(HeartbeatData::decode(text.as_bytes()).unwrap(), hb);
}

#[test]
fn heartbeat_with_a_bad_enum_is_rejected() {
    let body = br#"{"clientID":"c","consumerDataSet":[{"groupName":"G","consumeType":7}]}"#;
    assert!(HeartbeatData::decode(body).is_err());
}

const ROUTE_8_1: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",
  "cluster":"DefaultCluster","enableActingMaster":false,"zoneName":"z1"}],
 "filterServerTable":{},
 "orderTopicConf":"broker-a:4",
 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}],
 "topicQueueMappingByBroker":{}}"#;

#[test]
fn route_of_8_1_bare_and_quoted() {
    let route = TopicRouteData::decode(ROUTE_8_1.as_bytes()).unwrap();
    let b = &route.broker_datas[0];
    assert_eq!(b.broker_addrs[&0], "10.0.0.1:10911");
    assert_eq!(b.broker_addrs[&1], "10.0.0.2:10911");
    assert_eq!(b.master_addr(), Some("10.0.0.1:10911"));
    assert_eq!(b.zone_name.as_deref(), Some("z1"));
    assert_eq!(route.order_topic_conf.as_deref(), Some("broker-a:4"));
    assert_eq!(
        route.queue_datas[0],
        QueueData {
            broker_name: "broker-a".into(),
            perm: 6,
            read_queue_nums: 4,
            topic_sys_flag: 0,
            write_queue_nums: 4
        }
    );

    let bare = String::from_utf8(route.encode(KeyStyle::Bare)).unwrap();
    assert_eq!(bare, compact(ROUTE_8_1));
    let quoted = String::from_utf8(route.encode(KeyStyle::Quoted)).unwrap();
    assert_eq!(
        quoted,
        compact(ROUTE_8_1)
            .replace("{0:", "{\"0\":")
            .replace(",1:", ",\"1\":")
    );
    // The quoted form is RFC JSON that any parser accepts.
    let strict: serde_json::Value = serde_json::from_str(&quoted).unwrap();
    assert_eq!(
        strict["brokerDatas"][0]["brokerAddrs"]["1"],
        "10.0.0.2:10911"
    );
    assert!(serde_json::from_str::<serde_json::Value>(&bare).is_err());
    assert_eq!(TopicRouteData::decode(quoted.as_bytes()).unwrap(), route);
}

#[test]
fn route_style_follows_request_version() {
    let mut route = TopicRouteData::default();
    let mut broker = BrokerData::new("c", "b");
    broker.broker_addrs.insert(0, "127.0.0.1:1".into());
    route.broker_datas.push(broker);
    let old = route.encode(KeyStyle::for_route_request(399, false));
    let new = route.encode(KeyStyle::for_route_request(401, false));
    let asked = route.encode(KeyStyle::for_route_request(399, true));
    assert!(String::from_utf8(old)
        .unwrap()
        .contains(r#"{0:"127.0.0.1:1"}"#));
    assert!(String::from_utf8(new.clone())
        .unwrap()
        .contains(r#"{"0":"127.0.0.1:1"}"#));
    assert_eq!(new, asked);
}

const REGISTER_8_2: &str = r#"{"filterServerList":[],
 "topicConfigSerializeWrapper":{
   "dataVersion":{"counter":12,"stateVersion":0,"timestamp":1700000000000},
   "mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1700000000000},
   "topicConfigTable":{"TBW102":{"attributes":{},"order":false,"perm":7,"readQueueNums":8,
       "topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}},
   "topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}}"#;

#[test]
fn register_body_of_8_2() {
    let body = RegisterBrokerBody::decode(REGISTER_8_2.as_bytes(), false).unwrap();
    let w = &body.topic_config_serialize_wrapper;
    assert_eq!(
        w.data_version,
        DataVersion {
            state_version: 0,
            timestamp: 1_700_000_000_000,
            counter: 12
        }
    );
    assert_eq!(w.mapping_data_version.timestamp, 1_700_000_000_000);
    let t = &w.topic_config_table["TBW102"];
    assert_eq!((t.perm, t.read_queue_nums, t.write_queue_nums), (7, 8, 8));
    assert_eq!(t.topic_filter_type, TopicFilterType::SingleTag);
    assert!(body.filter_server_list.is_empty());
    // Spec whitespace inside "topicConfigTable" is only line breaks + indentation.
    assert_eq!(
        String::from_utf8(body.encode_json()).unwrap(),
        compact(REGISTER_8_2)
    );
    assert_eq!(
        RegisterBrokerBody::decode(&body.encode(false).unwrap(), false).unwrap(),
        body
    );
    // The compressed form carries the same topic table (order/sysFlag are not in its lines; both are defaults here).
    let packed = body.encode(true).unwrap();
    let unpacked = RegisterBrokerBody::decode(&packed, true).unwrap();
    assert_eq!(
        unpacked.topic_config_serialize_wrapper.topic_config_table,
        w.topic_config_table
    );
    assert_eq!(
        unpacked.topic_config_serialize_wrapper.data_version,
        w.data_version
    );
}

#[test]
fn consumer_offsets_of_8_6() {
    let text = r#"{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},"groupTopicMap":{"G":["T"]},"offsetTable":{"T@G":{0:15,1:9}}}"#;
    let w = ConsumerOffsetSerializeWrapper::decode(text.as_bytes()).unwrap();
    assert_eq!(w.offset_table["T@G"][&0], 15);
    assert_eq!(w.offset_table["T@G"][&1], 9);
    assert_eq!(
        ConsumerOffsetSerializeWrapper::split_key("T@G"),
        Some(("T", "G"))
    );
    assert_eq!(String::from_utf8(w.encode()).unwrap(), text);
    let quoted = String::from_utf8(w.encode_with(KeyStyle::Quoted)).unwrap();
    assert!(quoted.contains(r#"{"T@G":{"0":15,"1":9}}"#), "{quoted}");
}

#[test]
fn delay_offsets_of_8_6() {
    let text =
        r#"{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"offsetTable":{1:0,2:5}}"#;
    let w = DelayOffsetSerializeWrapper::decode(text.as_bytes()).unwrap();
    assert_eq!(w.offset_table.get(&2), Some(&5));
    assert_eq!(String::from_utf8(w.encode()).unwrap(), text);
}

const RESET_MAP_16_2: &str = r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:120,{"brokerName":"broker-a","queueId":1,"topic":"T"}:98}}"#;
const RESET_LIST_16_2: &str = r#"{"offsetTable":[{"brokerName":"broker-a","offset":120,"queueId":0,"topic":"T"},{"brokerName":"broker-a","offset":98,"queueId":1,"topic":"T"}]}"#;

#[test]
fn reset_offset_forms_of_16_2() {
    let map = ResetOffsetBody::decode(RESET_MAP_16_2.as_bytes()).unwrap();
    assert_eq!(
        map.offset_table[&MessageQueue::new("T", "broker-a", 0)],
        120
    );
    assert_eq!(map.offset_table[&MessageQueue::new("T", "broker-a", 1)], 98);
    assert_eq!(String::from_utf8(map.encode()).unwrap(), RESET_MAP_16_2);

    let list = ResetOffsetBodyForC::decode(RESET_LIST_16_2.as_bytes()).unwrap();
    assert_eq!(list.offset_table.len(), 2);
    assert_eq!(String::from_utf8(list.encode()).unwrap(), RESET_LIST_16_2);
    assert_eq!(ResetOffsetBodyForC::from(&map), list);
    assert_eq!(ResetOffsetBody::from(&list), map);

    // The map form with object keys in another field order, or quoted, means the same.
    let reordered = r#"{"offsetTable":{{"topic":"T","queueId":1,"brokerName":"broker-a"}:98,
        "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"T\"}":120}}"#;
    assert_eq!(ResetOffsetBody::decode(reordered.as_bytes()).unwrap(), map);
}

#[test]
fn lock_bodies_of_7_7() {
    let text = r#"{"consumerGroup":"G","clientId":"cid","onlyThisBroker":false,"mqSet":[{"brokerName":"b","queueId":0,"topic":"T"}]}"#;
    let req = LockBatchRequestBody::decode(text.as_bytes()).unwrap();
    assert_eq!(
        req.mq_set.iter().next(),
        Some(&MessageQueue::new("T", "b", 0))
    );
    let unlock = UnlockBatchRequestBody::decode(text.as_bytes()).unwrap();
    assert_eq!(unlock.client_id, "cid");
    let resp = LockBatchResponseBody {
        lock_ok_mq_set: req.mq_set.clone(),
    };
    assert_eq!(
        resp.encode(),
        br#"{"lockOKMQSet":[{"brokerName":"b","queueId":0,"topic":"T"}]}"#
    );
}

#[test]
fn consumer_list_of_7_3_and_stats_of_8_4() {
    let list = GetConsumerListByGroupResponseBody::decode(br#"{"consumerIdList":["cid1","cid2"]}"#)
        .unwrap();
    assert_eq!(list.consumer_id_list, ["cid1", "cid2"]);

    let stats = br#"{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":7,"pullOffset":6}}}"#;
    let cs = ConsumeStats::decode(stats).unwrap();
    assert_eq!(cs.total_diff(), 6);
    assert_eq!(cs.encode(), stats);

    let topic_stats = br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":5,"maxOffset":9,"minOffset":1}},"topicPutTps":0.0}"#;
    let ts = TopicStatsTable::decode(topic_stats).unwrap();
    assert_eq!(
        ts.offset_table[&MessageQueue::new("T", "b", 0)].max_offset,
        9
    );
    assert_eq!(ts.encode(), topic_stats);
}

#[test]
fn cluster_info_of_8_3() {
    let text = r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;
    let ci = ClusterInfo::decode(text.as_bytes()).unwrap();
    assert_eq!(
        ci.broker_addr_table["broker-a"].master_addr(),
        Some("10.0.0.1:10911")
    );
    assert!(ci.cluster_addr_table["DefaultCluster"].contains("broker-a"));
    assert_eq!(String::from_utf8(ci.encode()).unwrap(), text);
}

#[test]
fn check_client_body_of_16_1() {
    let text = br#"{"clientId":"10.0.0.5@123#456","group":"G","subscriptionData":{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"a > 5","subVersion":1700000000000,"tagsSet":[],"topic":"T"}}"#;
    let body = CheckClientRequestBody::decode(text).unwrap();
    assert_eq!(body.namespace, None);
    let sub = body.subscription_data.as_ref().unwrap();
    assert_eq!(sub.expression_type, EXPRESSION_TYPE_SQL92);
    assert!(!sub.is_tag_type());
    assert_eq!(body.encode(), text);
}

#[test]
fn running_info_and_direct_result_of_16_3() {
    let text = r#"{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CONSUMER_START_TIMESTAMP":"1700000000000",
   "PROP_CONSUMEORDERLY":"false","PROP_THREADPOOL_CORE_SIZE":"20","PROP_NAMESERVER_ADDR":"10.0.0.1:9876;",
   "PROP_CLIENT_VERSION":"V5_3_3"},
 "subscriptionSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"a > 5","subVersion":1700000000000,"tagsSet":[],"topic":"T"}],
 "mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"commitOffset":10,"cachedMsgMinOffset":11,"cachedMsgMaxOffset":20,
   "cachedMsgCount":10,"cachedMsgSizeInMiB":0,"transactionMsgMinOffset":0,"transactionMsgMaxOffset":0,"transactionMsgCount":0,
   "locked":false,"tryUnlockTimes":0,"lastLockTimestamp":0,"droped":false,"lastPullTimestamp":1700000000000,"lastConsumeTimestamp":1700000000000}},
 "mqPopTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"waitAckCount":0,"droped":false,"lastPopTimestamp":0}},
 "statusTable":{"T":{"pullRT":0.0,"pullTPS":0.0,"consumeRT":0.0,"consumeOKTPS":1.5,"consumeFailedTPS":0.0,"consumeFailedMsgs":0}},
 "userConsumerInfo":{}}"#;
    let info = ConsumerRunningInfo::decode(text.as_bytes()).unwrap();
    assert_eq!(info.consume_type(), Some(ConsumeType::ConsumePassively));
    let mq = MessageQueue::new("T", "b", 0);
    assert_eq!(info.mq_table[&mq].cached_msg_max_offset, 20);
    assert_eq!(info.mq_table[&mq].last_pull_timestamp, 1_700_000_000_000);
    assert!(info.mq_pop_table.contains_key(&mq));
    assert_eq!(info.status_table["T"].consume_ok_tps, 1.5);
    assert_eq!(info.jstack, None);
    assert_eq!(ConsumerRunningInfo::decode(&info.encode()).unwrap(), info);

    let minimal =
        ConsumerRunningInfo::with_required_properties(ConsumeType::ConsumeActively, 42, false);
    let text = String::from_utf8(minimal.encode()).unwrap();
    assert_eq!(
        text,
        r#"{"mqPopTable":{},"mqTable":{},"properties":{"PROP_CONSUMEORDERLY":"false","PROP_CONSUMER_START_TIMESTAMP":"42","PROP_CONSUME_TYPE":"CONSUME_ACTIVELY"},"statusTable":{},"subscriptionSet":[],"userConsumerInfo":{}}"#
    );

    let result = ConsumeMessageDirectlyResult::decode(
        br#"{"order":false,"autoCommit":true,"consumeResult":"CR_SUCCESS","remark":null,"spentTimeMills":3}"#,
    )
    .unwrap();
    assert_eq!(result.consume_result, Some(CMResult::Success));
    assert_eq!(result.remark, None);
    assert_eq!(
        result.encode(),
        br#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":3}"#
    );
}

#[test]
fn topic_and_group_wrappers_of_7_8() {
    let groups = br#"{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":2},"forbiddenTable":{},"subscriptionGroupTable":{"G":{"groupName":"G","retryMaxTimes":3}}}"#;
    let w = SubscriptionGroupWrapper::decode(groups).unwrap();
    assert_eq!(w.subscription_group_table["G"].retry_max_times, 3);
    assert_eq!(w.subscription_group_table["G"].retry_queue_nums, 1);

    let kv = KVTable::decode(br#"{"table":{"brokerVersionDesc":"V5_3_3"}}"#).unwrap();
    assert_eq!(kv.table["brokerVersionDesc"], "V5_3_3");
}
