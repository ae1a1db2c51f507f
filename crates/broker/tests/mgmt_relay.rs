//! QUERY_TOPIC_CONSUME_BY_WHO, and the admin → broker → consumer relays GET_CONSUMER_RUNNING_INFO and
//! CONSUME_MESSAGE_DIRECTLY over real TCP, with a stand-in consumer that answers what the broker passes on.

mod mgmt_common;

use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{
    CMResult, ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo,
};
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::consume_by_who::{GroupList, QueryTopicConsumeByWhoRequestHeader};
use ferrocket_protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, CreateTopicRequestHeader,
    GetConsumerRunningInfoRequestHeader,
};
use ferrocket_protocol::message::{create_offset_msg_id, MessageExt};
use ferrocket_remoting::{Connection, ConnectionConfig, RequestHandler, Response};
use mgmt_common::{consumer_heartbeat, put, Client, BROKER_NAME};
use parking_lot::Mutex;

/// A consumer that answers 307 with a running info naming the client id it was asked about, and 309 with
/// CR_SUCCESS; it keeps the requests it got. Group "Other" is not in this consumer.
#[derive(Default)]
struct StandIn {
    seen: Mutex<Vec<RemotingCommand>>,
}

impl RequestHandler for StandIn {
    async fn handle(
        self: Arc<Self>,
        _conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        self.seen.lock().push(req.clone());
        let not_here = req.ext("consumerGroup") == Some("Other");
        let resp = match req.code {
            _ if not_here => RemotingCommand::response_to(
                &req,
                response_code::SYSTEM_ERROR,
                Some("The Consumer Group <Other> not exist in this consumer".into()),
            ),
            rc::GET_CONSUMER_RUNNING_INFO => {
                let mut info = ConsumerRunningInfo::with_required_properties(
                    ConsumeType::ConsumePassively,
                    1,
                    false,
                );
                info.properties
                    .insert("askedFor".into(), req.ext("clientId").unwrap_or("").into());
                RemotingCommand::response_to(&req, response_code::SUCCESS, None)
                    .with_body(info.encode())
            }
            rc::CONSUME_MESSAGE_DIRECTLY => {
                let result = ConsumeMessageDirectlyResult {
                    consume_result: Some(CMResult::Success),
                    spent_time_mills: 2,
                    ..Default::default()
                };
                RemotingCommand::response_to(&req, response_code::SUCCESS, None)
                    .with_body(result.encode())
            }
            rc::NOTIFY_CONSUMER_IDS_CHANGED => return None,
            _ => {
                RemotingCommand::response_to(&req, response_code::REQUEST_CODE_NOT_SUPPORTED, None)
            }
        };
        Some(resp.into())
    }
}

fn by_who(topic: &str) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::QUERY_TOPIC_CONSUME_BY_WHO,
        &QueryTopicConsumeByWhoRequestHeader {
            topic: topic.into(),
        },
    )
}

fn running_info(group: &str, client_id: &str) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::GET_CONSUMER_RUNNING_INFO,
        &GetConsumerRunningInfoRequestHeader {
            consumer_group: group.into(),
            client_id: client_id.into(),
            jstack_enable: Some(false),
        },
    )
}

fn consume_directly(group: &str, client_id: &str, msg_id: &str) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::CONSUME_MESSAGE_DIRECTLY,
        &ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: group.into(),
            client_id: Some(client_id.into()),
            msg_id: Some(msg_id.into()),
            topic: Some("RelayT".into()),
            ..Default::default()
        },
    )
}

fn groups(r: &RemotingCommand) -> Vec<String> {
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    GroupList::decode(&r.body)
        .unwrap()
        .group_list
        .into_iter()
        .collect()
}

#[tokio::test]
async fn topic_consumers_and_relays_to_a_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let addr = server.local_addr();
    let admin = Client::connect(addr).await;
    let r = admin
        .call(RemotingCommand::request_with_header(
            rc::UPDATE_AND_CREATE_TOPIC,
            &CreateTopicRequestHeader {
                topic: "RelayT".into(),
                default_topic: "TBW102".into(),
                read_queue_nums: 2,
                write_queue_nums: 2,
                perm: 6,
                topic_filter_type: "SINGLE_TAG".into(),
                topic_sys_flag: Some(0),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);

    // The stand-in consumer joins group G subscribed to RelayT.
    let stand_in = Arc::new(StandIn::default());
    let consumer = ferrocket_remoting::connect(
        &addr.to_string(),
        stand_in.clone(),
        &ConnectionConfig::default(),
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    let hb = consumer
        .invoke(
            consumer_heartbeat("10.0.0.9@c1", "G", &["RelayT"]),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(hb.code, response_code::SUCCESS);

    // 300: the online subscriber, plus a group that only has an offset on the topic.
    assert_eq!(groups(&admin.call(by_who("RelayT")).await), ["G"]);
    // (Committed as a consumer of a configured group would; the group itself is not online.)
    server.context().offsets.commit("Offline", "RelayT", 0, 0);
    assert_eq!(
        groups(&admin.call(by_who("RelayT")).await),
        ["G", "Offline"]
    );
    assert!(groups(&admin.call(by_who("NoSuchTopic")).await).is_empty());

    // 307 relayed: the consumer's body comes back, and it saw the admin's ext fields.
    let r = admin.call(running_info("G", "10.0.0.9@c1")).await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let info = ConsumerRunningInfo::decode(&r.body).unwrap();
    assert_eq!(info.properties["askedFor"], "10.0.0.9@c1");
    assert_eq!(info.consume_type(), Some(ConsumeType::ConsumePassively));
    {
        let seen = stand_in.seen.lock();
        let relayed = seen
            .iter()
            .find(|q| q.code == rc::GET_CONSUMER_RUNNING_INFO)
            .unwrap();
        assert_eq!(relayed.ext("jstackEnable"), Some("false"));
        assert_eq!(relayed.ext("consumerGroup"), Some("G"));
    }
    // The consumer's own refusal passes through unchanged.
    let r = admin.call(running_info("Other", "10.0.0.9@c1")).await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    // Not online: unknown client id, unknown group.
    for (g, id) in [("G", "10.0.0.9@nobody"), ("NoGroup", "10.0.0.9@c1")] {
        let r = admin.call(running_info(g, id)).await;
        assert_eq!(r.code, response_code::SYSTEM_ERROR);
        assert_eq!(
            r.remark.as_deref(),
            Some(format!("The Consumer <{g}> <{id}> not online").as_str())
        );
    }

    // 309 relayed with the stored record as the body and the broker's additions.
    let phys = put(&server, "RelayT", 1, b"direct", "").await;
    let msg_id = create_offset_msg_id(server.context().store_host, phys);
    let r = admin
        .call(consume_directly("G", "10.0.0.9@c1", &msg_id))
        .await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let result = ConsumeMessageDirectlyResult::decode(&r.body).unwrap();
    assert_eq!(result.consume_result, Some(CMResult::Success));
    {
        let seen = stand_in.seen.lock();
        let relayed = seen
            .iter()
            .find(|q| q.code == rc::CONSUME_MESSAGE_DIRECTLY)
            .unwrap();
        assert_eq!(relayed.ext("brokerName"), Some(BROKER_NAME));
        assert_eq!(relayed.ext("topicSysFlag"), Some("0"));
        assert_eq!(relayed.ext("groupSysFlag"), Some("0"));
        assert_eq!(relayed.ext("msgId"), Some(msg_id.as_str()));
        let m = MessageExt::decode(&relayed.body).unwrap();
        assert_eq!(
            (m.topic.as_str(), m.queue_id, &m.body[..]),
            ("RelayT", 1, &b"direct"[..])
        );
    }
    // 309 errors: not an offset id, no message there, client not online.
    let r = admin
        .call(consume_directly("G", "10.0.0.9@c1", "nonsense"))
        .await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER, "{:?}", r.remark);
    let missing = create_offset_msg_id(server.context().store_host, phys + 1_000_000);
    let r = admin
        .call(consume_directly("G", "10.0.0.9@c1", &missing))
        .await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert!(r.remark.unwrap().contains("can not find message"));
    let r = admin
        .call(consume_directly("G", "10.0.0.9@gone", &msg_id))
        .await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert!(r.remark.unwrap().contains("not online"));

    // Once the consumer's connection closes it is no longer online, and no longer a subscriber.
    consumer.close();
    let mut gone = false;
    for _ in 0..50 {
        let r = admin.call(running_info("G", "10.0.0.9@c1")).await;
        if r.remark
            .as_deref()
            .is_some_and(|m| m.contains("not online"))
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "consumer still online after closing");
    assert_eq!(groups(&admin.call(by_who("RelayT")).await), ["Offline"]);
}
