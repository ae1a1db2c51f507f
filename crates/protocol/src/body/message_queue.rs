//! MessageQueue: (topic, brokerName, queueId). Also used as a map key, written as a bare JSON object (§8.7).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::json_body;

/// One queue of a topic on one broker. Ordered like Java's `compareTo`: topic, brokerName, queueId.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageQueue {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
}

json_body!(MessageQueue);

impl MessageQueue {
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue {
            topic: topic.into(),
            broker_name: broker_name.into(),
            queue_id,
        }
    }
}

impl fmt::Display for MessageQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            self.topic, self.broker_name, self.queue_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_follows_java() {
        let mut v = [
            MessageQueue::new("B", "a", 0),
            MessageQueue::new("A", "b", 1),
            MessageQueue::new("A", "b", 0),
        ];
        v.sort();
        assert_eq!(v[0], MessageQueue::new("A", "b", 0));
        assert_eq!(v[2], MessageQueue::new("B", "a", 0));
    }

    #[test]
    fn json_fields_sorted() {
        assert_eq!(
            MessageQueue::new("T", "b", 0).encode(),
            br#"{"brokerName":"b","queueId":0,"topic":"T"}"#
        );
    }
}
