//! GET_ROUTEINFO_BY_TOPIC, topic listings and DELETE_TOPIC_IN_NAMESRV.

use bytes::Bytes;
use ferrocket_protocol::body::{BrokerData, QueueData, TopicList, TopicRouteData};
use ferrocket_protocol::codes::{response_code, V4_9_4};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader,
};
use ferrocket_protocol::json::KeyStyle;

use super::broker::ORDER_TOPIC_CONFIG;
use super::{header, success, Failure, NamesrvState, Outcome};

pub fn route(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: GetRouteInfoRequestHeader = header(req)?;
    let snap = state.routes.snapshot();
    let Some(per_broker) = snap.topics.get(&h.topic) else {
        return Err(not_exist(&h.topic));
    };
    let mut route = TopicRouteData::default();
    for (broker_name, q) in per_broker {
        route.queue_datas.push(QueueData {
            broker_name: broker_name.clone(),
            read_queue_nums: q.read_queue_nums,
            write_queue_nums: q.write_queue_nums,
            perm: q.perm,
            topic_sys_flag: q.topic_sys_flag,
        });
        if let Some(g) = snap.brokers.get(broker_name) {
            route.broker_datas.push(BrokerData {
                cluster: g.cluster.clone(),
                broker_name: g.broker_name.clone(),
                broker_addrs: g.addrs.clone(),
                zone_name: g.zone_name.clone(),
                enable_acting_master: g.enable_acting_master,
            });
        }
    }
    if state.config.order_message_enable {
        route.order_topic_conf = state.kv.get(ORDER_TOPIC_CONFIG, &h.topic);
    }
    // Clients since 4.9.4 (or asking for it) get standard JSON; older ones fastjson's bare map keys.
    let style = if req.version >= V4_9_4 || h.accept_standard_json_only.unwrap_or(false) {
        KeyStyle::Quoted
    } else {
        KeyStyle::Bare
    };
    Ok(success(req).with_body(Bytes::from(route.encode(style))))
}

fn not_exist(topic: &str) -> Failure {
    Failure::new(
        response_code::TOPIC_NOT_EXIST,
        format!("No topic route info in name server for the topic: {topic}"),
    )
}

pub fn all_topics(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    if !state.config.enable_all_topic_list {
        return Err(Failure::new(response_code::SYSTEM_ERROR, "disable"));
    }
    let snap = state.routes.snapshot();
    let topics = snap.topics.keys().cloned().collect();
    Ok(success(req).with_body(Bytes::from(
        TopicList {
            topic_list: topics,
            broker_addr: None,
        }
        .encode(),
    )))
}

pub fn topics_by_cluster(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    if !state.config.enable_topic_list {
        return Err(Failure::new(response_code::SYSTEM_ERROR, "disable"));
    }
    let h: GetTopicsByClusterRequestHeader = header(req)?;
    let topics = state
        .routes
        .snapshot()
        .topics_of_cluster(&h.cluster)
        .into_iter()
        .collect();
    Ok(success(req).with_body(Bytes::from(
        TopicList {
            topic_list: topics,
            broker_addr: None,
        }
        .encode(),
    )))
}

pub fn delete(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: DeleteTopicFromNamesrvRequestHeader = header(req)?;
    let cluster = h.cluster_name.as_deref().filter(|c| !c.is_empty());
    state.routes.delete_topic(&h.topic, cluster);
    Ok(success(req))
}
