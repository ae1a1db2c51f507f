//! Every body survives encode → decode in both key styles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use ferrocket_protocol::body::*;
use ferrocket_protocol::json::KeyStyle;
use proptest::prelude::*;
use serde_json::json;

fn round_trip<T: JsonBody + PartialEq + Debug>(value: &T) {
    for style in [KeyStyle::Bare, KeyStyle::Quoted] {
        let bytes = value.to_json(style);
        let back = T::from_json(&bytes)
            .unwrap_or_else(|e| panic!("{style:?}: {e}\n{}", String::from_utf8_lossy(&bytes)));
        assert_eq!(
            &back,
            value,
            "{style:?}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

fn mq(q: i32) -> MessageQueue {
    MessageQueue::new("Tópic-1", "broker-a", q)
}

fn dv() -> DataVersion {
    DataVersion {
        state_version: 2,
        timestamp: 1_700_000_000_000,
        counter: i64::MAX,
    }
}

fn subscription() -> SubscriptionData {
    SubscriptionData::tag("T", "a || b", 1_700_000_000_000)
}

fn broker() -> BrokerData {
    let mut b = BrokerData::new("DefaultCluster", "broker-a");
    b.broker_addrs.insert(0, "10.0.0.1:10911".into());
    b.broker_addrs.insert(3, "10.0.0.2:10911".into());
    b.zone_name = Some("zone-1".into());
    b.enable_acting_master = true;
    b
}

fn connection() -> Connection {
    Connection {
        client_addr: "10.0.0.9:5555".into(),
        client_id: "cid".into(),
        language: "JAVA".into(),
        version: 493,
    }
}

#[test]
fn route_cluster_and_lists() {
    let mut route = TopicRouteData {
        broker_datas: vec![broker()],
        order_topic_conf: Some("broker-a:4".into()),
        queue_datas: vec![QueueData {
            broker_name: "broker-a".into(),
            perm: 6,
            read_queue_nums: 4,
            topic_sys_flag: 1,
            write_queue_nums: 2,
        }],
        ..Default::default()
    };
    route
        .filter_server_table
        .insert("10.0.0.1:10911".into(), vec!["f1".into()]);
    route
        .topic_queue_mapping_by_broker
        .insert("broker-a".into(), json!({"bname":"broker-a","epoch":3}));
    round_trip(&route);
    round_trip(&broker());
    round_trip(&route.queue_datas[0]);

    let mut cluster = ClusterInfo::default();
    cluster
        .broker_addr_table
        .insert("broker-a".into(), broker());
    cluster.cluster_addr_table.insert(
        "DefaultCluster".into(),
        BTreeSet::from(["broker-a".to_string()]),
    );
    round_trip(&cluster);
    round_trip(&TopicList {
        broker_addr: Some("x:1".into()),
        topic_list: BTreeSet::from(["A".into(), "0".into()]),
    });
    round_trip(&KVTable {
        table: BTreeMap::from([("k".into(), "v é".into()), ("1".into(), "2".into())]),
    });
}

#[test]
fn topic_tables_and_registration() {
    let mut t = TopicConfig::new("TopicA");
    t.order = true;
    t.topic_sys_flag = 1;
    t.topic_filter_type = TopicFilterType::MultiTag;
    t.attributes.insert("+message.type".into(), "FIFO".into());
    round_trip(&t);
    let plain = TopicConfigSerializeWrapper {
        data_version: dv(),
        topic_config_table: BTreeMap::from([("TopicA".into(), t.clone())]),
    };
    round_trip(&plain);
    let mut full = TopicConfigAndMappingSerializeWrapper::from(plain);
    full.mapping_data_version = dv();
    full.topic_queue_mapping_info_map
        .insert("TopicA".into(), json!({"topic":"TopicA","totalQueues":2}));
    full.topic_queue_mapping_detail_map
        .insert("TopicA".into(), json!({"hostedQueues":{"0":[{"gen":0}]}}));
    round_trip(&full);
    let body = RegisterBrokerBody {
        filter_server_list: vec!["a:1".into()],
        topic_config_serialize_wrapper: full,
    };
    round_trip(&body);
    assert_eq!(
        RegisterBrokerBody::decode(&body.encode(false).unwrap(), false).unwrap(),
        body
    );
    round_trip(&dv());
}

#[test]
fn client_bodies() {
    let hb = HeartbeatData {
        client_id: "10.0.0.5@1#2".into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromTimestamp,
            consume_type: ConsumeType::ConsumePop,
            group_name: "G".into(),
            message_model: MessageModel::Broadcasting,
            subscription_data_set: vec![subscription()],
            unit_mode: true,
        }],
        heartbeat_fingerprint: -7,
        producer_data_set: vec![ProducerData {
            group_name: "P".into(),
        }],
        without_sub: true,
    };
    round_trip(&hb);
    round_trip(&subscription());
    round_trip(&hb.consumer_data_set[0]);
    round_trip(&hb.producer_data_set[0]);
    round_trip(&CheckClientRequestBody {
        client_id: "c".into(),
        group: "G".into(),
        namespace: Some("ns".into()),
        subscription_data: Some(subscription()),
    });
    let set = BTreeSet::from([mq(0), mq(1)]);
    let lock = LockBatchRequestBody {
        client_id: "c".into(),
        consumer_group: "G".into(),
        mq_set: set.clone(),
        only_this_broker: true,
    };
    round_trip(&lock);
    round_trip(&UnlockBatchRequestBody {
        client_id: "c".into(),
        consumer_group: "G".into(),
        mq_set: set.clone(),
        only_this_broker: false,
    });
    round_trip(&LockBatchResponseBody {
        lock_ok_mq_set: set,
    });
    round_trip(&GetConsumerListByGroupResponseBody {
        consumer_id_list: vec!["a".into(), "b".into()],
    });
    round_trip(&mq(5));
}

#[test]
fn admin_bodies() {
    let mut offsets = ConsumerOffsetSerializeWrapper {
        data_version: dv(),
        ..Default::default()
    };
    offsets.offset_table.insert(
        ConsumerOffsetSerializeWrapper::key("T", "G"),
        BTreeMap::from([(0, 15), (1, i64::MAX), (2, -1)]),
    );
    round_trip(&offsets);
    round_trip(&DelayOffsetSerializeWrapper {
        data_version: dv(),
        offset_table: BTreeMap::from([(1, 0), (18, 57)]),
    });

    let reset = ResetOffsetBody {
        offset_table: BTreeMap::from([(mq(0), 120), (mq(1), 98)]),
    };
    round_trip(&reset);
    round_trip(&ResetOffsetBodyForC::from(&reset));

    let stats = ConsumeStats {
        consume_tps: 12.5,
        offset_table: BTreeMap::from([(
            mq(0),
            OffsetWrapper {
                broker_offset: 10,
                consumer_offset: 4,
                last_timestamp: 7,
                pull_offset: 6,
            },
        )]),
    };
    round_trip(&stats);
    round_trip(&TopicStatsTable {
        offset_table: BTreeMap::from([(
            mq(1),
            TopicOffset {
                last_update_timestamp: 1,
                max_offset: 9,
                min_offset: 0,
            },
        )]),
        topic_put_tps: 0.25,
    });

    let mut group = SubscriptionGroupConfig::new("G");
    group.consume_message_orderly = true;
    group.group_retry_policy.policy_type = GroupRetryPolicyType::Exponential;
    group.group_retry_policy.exponential_retry_policy =
        Some(json!({"initial":1000,"max":60000,"multiplier":2}));
    group.subscription_data_set = Some(vec![SimpleSubscriptionData {
        expression: "*".into(),
        expression_type: "TAG".into(),
        topic: "T".into(),
        version: 1,
    }]);
    round_trip(&group);
    let mut wrapper = SubscriptionGroupWrapper {
        data_version: dv(),
        ..Default::default()
    };
    wrapper.subscription_group_table.insert("G".into(), group);
    wrapper
        .forbidden_table
        .insert("G".into(), BTreeMap::from([("T".into(), 1)]));
    round_trip(&wrapper);

    let consumer_conn = ConsumerConnection {
        connection_set: vec![connection()],
        consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
        consume_type: ConsumeType::ConsumeActively,
        message_model: MessageModel::Clustering,
        subscription_table: BTreeMap::from([("T".into(), subscription())]),
    };
    round_trip(&consumer_conn);
    round_trip(&ProducerConnection {
        connection_set: vec![connection()],
    });
    round_trip(&connection());

    let mut info =
        ConsumerRunningInfo::with_required_properties(ConsumeType::ConsumePassively, 1, true);
    info.jstack = Some("\"main\" #1".into());
    info.subscription_set.push(subscription());
    info.mq_table.insert(
        mq(0),
        ProcessQueueInfo {
            cached_msg_count: 3,
            droped: true,
            locked: true,
            ..Default::default()
        },
    );
    info.mq_pop_table.insert(
        mq(1),
        PopProcessQueueInfo {
            droped: false,
            last_pop_timestamp: 5,
            wait_ack_count: 2,
        },
    );
    info.status_table.insert(
        "T".into(),
        ConsumeStatus {
            consume_ok_tps: 1.5,
            pull_rt: 0.1,
            ..Default::default()
        },
    );
    info.user_consumer_info.insert("k".into(), "v".into());
    round_trip(&info);
    for result in [
        CMResult::Success,
        CMResult::Later,
        CMResult::Rollback,
        CMResult::Commit,
        CMResult::ThrowException,
        CMResult::ReturnNull,
    ] {
        round_trip(&ConsumeMessageDirectlyResult {
            auto_commit: false,
            consume_result: Some(result),
            order: true,
            remark: Some("boom".into()),
            spent_time_mills: 3,
        });
    }
}

fn arb_subscription() -> impl Strategy<Value = SubscriptionData> {
    ("\\PC{0,10}", "\\PC{0,10}", any::<i64>(), any::<bool>()).prop_map(
        |(topic, expr, version, cfm)| {
            let mut s = SubscriptionData::tag(topic, &expr, version);
            s.class_filter_mode = cfm;
            s
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn heartbeats_round_trip(
        client_id in "\\PC{0,20}",
        groups in prop::collection::vec(("\\PC{0,8}", 0usize..3, 0usize..2, 0usize..6, prop::collection::vec(arb_subscription(), 0..3)), 0..3),
        fingerprint in any::<i32>(),
    ) {
        let types = [ConsumeType::ConsumeActively, ConsumeType::ConsumePassively, ConsumeType::ConsumePop];
        let models = [MessageModel::Broadcasting, MessageModel::Clustering];
        let wheres = [
            ConsumeFromWhere::ConsumeFromLastOffset,
            ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst,
            ConsumeFromWhere::ConsumeFromMinOffset,
            ConsumeFromWhere::ConsumeFromMaxOffset,
            ConsumeFromWhere::ConsumeFromFirstOffset,
            ConsumeFromWhere::ConsumeFromTimestamp,
        ];
        let hb = HeartbeatData {
            client_id,
            consumer_data_set: groups
                .into_iter()
                .map(|(group_name, t, m, w, subs)| ConsumerData {
                    consume_from_where: wheres[w],
                    consume_type: types[t],
                    group_name,
                    message_model: models[m],
                    subscription_data_set: subs,
                    unit_mode: false,
                })
                .collect(),
            heartbeat_fingerprint: fingerprint,
            producer_data_set: vec![],
            without_sub: false,
        };
        for style in [KeyStyle::Bare, KeyStyle::Quoted] {
            prop_assert_eq!(HeartbeatData::decode(&hb.encode_with(style)).unwrap(), hb.clone());
        }
    }

    #[test]
    fn routes_round_trip(
        addrs in prop::collection::btree_map(any::<i64>(), "\\PC{0,12}", 0..4),
        name in "\\PC{0,10}",
        nums in (any::<i32>(), any::<i32>(), any::<i32>()),
    ) {
        let mut b = BrokerData::new("c", name.clone());
        b.broker_addrs = addrs;
        let route = TopicRouteData {
            broker_datas: vec![b],
            queue_datas: vec![QueueData { broker_name: name, perm: nums.0, read_queue_nums: nums.1, topic_sys_flag: 0, write_queue_nums: nums.2 }],
            ..Default::default()
        };
        for style in [KeyStyle::Bare, KeyStyle::Quoted] {
            prop_assert_eq!(TopicRouteData::decode(&route.encode(style)).unwrap(), route.clone());
        }
    }
}
