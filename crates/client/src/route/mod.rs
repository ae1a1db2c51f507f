//! What a client derives from a topic's route (remoting-protocol.md §8.1): the queues it may send to and the
//! queues it may consume from.

mod publish;

use std::collections::BTreeMap;

use ferrocket_protocol::body::{MessageQueue, TopicRouteData, MASTER_ID};
use ferrocket_protocol::codes::perm;

pub use publish::TopicPublishInfo;

/// A topic's route and the queue lists derived from it.
#[derive(Debug)]
pub struct TopicRoute {
    pub data: TopicRouteData,
    pub publish: TopicPublishInfo,
    /// Readable queues, sorted by (topic, brokerName, queueId).
    pub subscribe: Vec<MessageQueue>,
}

impl TopicRoute {
    pub fn new(topic: &str, data: TopicRouteData) -> Self {
        let publish = TopicPublishInfo::new(publish_queues(topic, &data), is_order_topic(&data));
        let subscribe = subscribe_queues(topic, &data);
        TopicRoute {
            data,
            publish,
            subscribe,
        }
    }

    /// brokerName → (brokerId → address) of the brokers in this route.
    pub fn broker_addrs(&self) -> impl Iterator<Item = (&str, &BTreeMap<i64, String>)> {
        self.data
            .broker_datas
            .iter()
            .map(|b| (b.broker_name.as_str(), &b.broker_addrs))
    }
}

fn is_order_topic(data: &TopicRouteData) -> bool {
    data.order_topic_conf
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty())
}

/// Queues a producer may write: with an `orderTopicConf` (`broker:nums;...`) exactly those; otherwise, for each
/// writable QueueData whose broker has a master, queue ids `0..writeQueueNums`. Sorted by broker name.
pub fn publish_queues(topic: &str, data: &TopicRouteData) -> Vec<MessageQueue> {
    let mut out = Vec::new();
    if let Some(conf) = data
        .order_topic_conf
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        for entry in conf.split(';') {
            let Some((broker, nums)) = entry.split_once(':') else {
                continue;
            };
            let Ok(nums) = nums.trim().parse::<i32>() else {
                continue;
            };
            out.extend((0..nums).map(|q| MessageQueue::new(topic, broker.trim(), q)));
        }
        return out;
    }
    let mut queue_datas: Vec<_> = data.queue_datas.iter().collect();
    queue_datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    for qd in queue_datas {
        if !perm::is_writeable(qd.perm) {
            continue;
        }
        let has_master = data
            .broker_datas
            .iter()
            .any(|b| b.broker_name == qd.broker_name && b.broker_addrs.contains_key(&MASTER_ID));
        if !has_master {
            continue;
        }
        out.extend((0..qd.write_queue_nums).map(|q| MessageQueue::new(topic, &qd.broker_name, q)));
    }
    out
}

/// Queues a consumer may read: for each readable QueueData, queue ids `0..readQueueNums`; sorted.
pub fn subscribe_queues(topic: &str, data: &TopicRouteData) -> Vec<MessageQueue> {
    let mut out: Vec<MessageQueue> = data
        .queue_datas
        .iter()
        .filter(|qd| perm::is_readable(qd.perm))
        .flat_map(|qd| {
            (0..qd.read_queue_nums).map(|q| MessageQueue::new(topic, &qd.broker_name, q))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::body::{BrokerData, QueueData};

    fn route() -> TopicRouteData {
        let mut a = BrokerData::new("C", "broker-a");
        a.broker_addrs.insert(0, "10.0.0.1:10911".into());
        a.broker_addrs.insert(1, "10.0.0.2:10911".into());
        let mut b = BrokerData::new("C", "broker-b");
        b.broker_addrs.insert(1, "10.0.0.3:10911".into()); // slave only
        let mut c = BrokerData::new("C", "broker-c");
        c.broker_addrs.insert(0, "10.0.0.4:10911".into());
        let qd = |name: &str, perm, r, w| QueueData {
            broker_name: name.into(),
            perm,
            read_queue_nums: r,
            write_queue_nums: w,
            topic_sys_flag: 0,
        };
        TopicRouteData {
            broker_datas: vec![a, b, c],
            queue_datas: vec![
                qd("broker-c", 4, 2, 2), // read-only
                qd("broker-a", 6, 4, 3),
                qd("broker-b", 6, 2, 2),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn publish_needs_write_perm_and_master() {
        let qs = publish_queues("T", &route());
        let names: Vec<_> = qs
            .iter()
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect();
        assert_eq!(names, vec!["broker-a:0", "broker-a:1", "broker-a:2"]);
        assert!(qs.iter().all(|q| q.topic == "T"));
    }

    #[test]
    fn subscribe_needs_read_perm_only() {
        let qs = subscribe_queues("T", &route());
        let names: Vec<_> = qs
            .iter()
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect();
        assert_eq!(
            names,
            vec![
                "broker-a:0",
                "broker-a:1",
                "broker-a:2",
                "broker-a:3",
                "broker-b:0",
                "broker-b:1",
                "broker-c:0",
                "broker-c:1"
            ]
        );
    }

    #[test]
    fn order_topic_conf_overrides() {
        let mut r = route();
        r.order_topic_conf = Some("broker-b:2;broker-a:1".into());
        let qs = publish_queues("T", &r);
        assert_eq!(
            qs,
            vec![
                MessageQueue::new("T", "broker-b", 0),
                MessageQueue::new("T", "broker-b", 1),
                MessageQueue::new("T", "broker-a", 0)
            ]
        );
        assert!(TopicRoute::new("T", r).publish.order_topic);
    }
}
