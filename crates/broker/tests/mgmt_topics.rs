//! UPDATE_AND_CREATE_TOPIC, GET_ALL_TOPIC_CONFIG (full and paged), GET_TOPIC_STATS_INFO, DELETE_TOPIC_IN_BROKER over
//! real TCP, and topics.json across a restart.

mod mgmt_common;

use ferrocket_protocol::body::{
    DataVersion, TopicConfigAndMappingSerializeWrapper, TopicStatsTable,
};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    CreateTopicRequestHeader, DeleteTopicRequestHeader, GetAllTopicConfigRequestHeader,
    GetTopicStatsInfoRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use mgmt_common::{put, Client, BROKER_NAME};

fn create(topic: &str, queues: i32, attributes: Option<&str>) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::UPDATE_AND_CREATE_TOPIC,
        &CreateTopicRequestHeader {
            topic: topic.into(),
            default_topic: "TBW102".into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: attributes.map(String::from),
            force: None,
        },
    )
}

async fn all_topics(
    c: &Client,
    paging: GetAllTopicConfigRequestHeader,
) -> (TopicConfigAndMappingSerializeWrapper, i32) {
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_ALL_TOPIC_CONFIG,
            &paging,
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let total: i32 = r.ext("totalTopicNum").unwrap().parse().unwrap();
    (
        TopicConfigAndMappingSerializeWrapper::decode(&r.body).unwrap(),
        total,
    )
}

#[tokio::test]
async fn create_list_stats_delete_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;

    let r = c
        .call(create("Orders", 4, Some("+message.type=FIFO")))
        .await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    // Invalid and reserved names: INVALID_PARAMETER.
    for bad in [
        "bad topic",
        "TBW102",
        "SCHEDULE_TOPIC_XXXX",
        mgmt_common::CLUSTER,
        BROKER_NAME,
        "rmq_sys_x",
    ] {
        let r = c.call(create(bad, 4, None)).await;
        assert_eq!(r.code, response_code::INVALID_PARAMETER, "{bad}");
    }
    let r = c.call(create("Other", 4, Some("+nope=1"))).await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER);
    assert!(r.remark.unwrap().contains("unsupported key"));
    // Update: attribute edit applies to the existing attributes; unchangeable ones are refused.
    let r = c
        .call(create("Orders", 6, Some("+message.type=NORMAL")))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let r = c
        .call(create("Orders", 6, Some("+queue.type=BatchCQ")))
        .await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER);

    // Full listing.
    let (all, total) = all_topics(&c, GetAllTopicConfigRequestHeader::default()).await;
    let orders = &all.topic_config_table["Orders"];
    assert_eq!((orders.read_queue_nums, orders.write_queue_nums), (6, 6));
    assert_eq!(orders.attributes["message.type"], "NORMAL");
    assert!(all.topic_config_table.contains_key("TBW102"));
    assert_eq!(total as usize, all.topic_config_table.len());
    assert_eq!(all.data_version, server.context().topics.data_version());

    // Paged listing, as a slave syncs: pages of 3 until topicSeq reaches the total.
    let mut seen = Vec::new();
    let mut seq = 0;
    let mut version: Option<DataVersion> = None;
    loop {
        let (page, total) = all_topics(
            &c,
            GetAllTopicConfigRequestHeader {
                topic_seq: Some(seq),
                max_topic_num: Some(3),
                data_version: version.map(|v| String::from_utf8(v.encode()).unwrap()),
            },
        )
        .await;
        assert!(page.topic_config_table.len() <= 3);
        version = Some(page.data_version);
        seen.extend(page.topic_config_table.into_keys());
        seq += 3;
        if seq >= total {
            break;
        }
    }
    let full: Vec<String> = all.topic_config_table.keys().cloned().collect();
    assert_eq!(seen, full);

    // Stats after two messages in queue 1.
    put(&server, "Orders", 1, b"a", "").await;
    put(&server, "Orders", 1, b"b", "").await;
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_TOPIC_STATS_INFO,
            &GetTopicStatsInfoRequestHeader {
                topic: "Orders".into(),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        text.contains(&format!(
            r#"{{"brokerName":"{BROKER_NAME}","queueId":1,"topic":"Orders"}}:{{"#
        )),
        "MessageQueue keys are bare objects: {text}"
    );
    let stats = TopicStatsTable::decode(&r.body).unwrap();
    assert_eq!(stats.offset_table.len(), 6);
    let q1 = stats
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id == 1)
        .unwrap()
        .1;
    assert_eq!((q1.min_offset, q1.max_offset), (0, 2));
    assert!(q1.last_update_timestamp > 0);
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::GET_TOPIC_STATS_INFO,
            &GetTopicStatsInfoRequestHeader {
                topic: "Nope".into(),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::TOPIC_NOT_EXIST);

    // Restart: the topic survives (topics.json).
    server.shutdown().await;
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    assert_eq!(
        server
            .context()
            .topics
            .get("Orders")
            .unwrap()
            .write_queue_nums,
        6
    );

    // Delete drops config, offsets and consume queues.
    let ctx = server.context();
    ctx.groups.find_or_create("G").unwrap();
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: "G".into(),
                topic: "Orders".into(),
                queue_id: 1,
                commit_offset: 1,
                broker_name: None,
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: "Orders".into(),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    assert!(ctx.topics.get("Orders").is_none());
    assert_eq!(ctx.offsets.query("G", "Orders", 1), None);
    assert_eq!(ctx.store.max_offset_in_queue("Orders", 1), 0);
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: "TBW102".into(),
            },
        ))
        .await;
    assert_eq!(
        r.code,
        response_code::INVALID_PARAMETER,
        "system topics cannot be deleted"
    );
    server.shutdown().await;
}
