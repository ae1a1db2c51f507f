//! Offset reset bodies (RESET_CONSUMER_CLIENT_OFFSET 220, INVOKE_BROKER_TO_RESET_OFFSET 222), map and list
//! ("for C") forms (§7.7, §16.2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{json_body, MessageQueue};

/// Map form: `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:120}}` (object keys bare by default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResetOffsetBody {
    pub offset_table: BTreeMap<MessageQueue, i64>,
}

json_body!(ResetOffsetBody);

/// One entry of the list form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageQueueForC {
    pub broker_name: String,
    pub offset: i64,
    pub queue_id: i32,
    pub topic: String,
}

json_body!(MessageQueueForC);

/// List form sent to C++ clients: `{"offsetTable":[{"brokerName":..,"offset":..,"queueId":..,"topic":..}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResetOffsetBodyForC {
    pub offset_table: Vec<MessageQueueForC>,
}

json_body!(ResetOffsetBodyForC);

impl From<&ResetOffsetBody> for ResetOffsetBodyForC {
    fn from(body: &ResetOffsetBody) -> Self {
        let offset_table = body
            .offset_table
            .iter()
            .map(|(mq, &offset)| MessageQueueForC {
                broker_name: mq.broker_name.clone(),
                offset,
                queue_id: mq.queue_id,
                topic: mq.topic.clone(),
            })
            .collect();
        ResetOffsetBodyForC { offset_table }
    }
}

impl From<&ResetOffsetBodyForC> for ResetOffsetBody {
    fn from(body: &ResetOffsetBodyForC) -> Self {
        let offset_table = body
            .offset_table
            .iter()
            .map(|e| {
                (
                    MessageQueue::new(e.topic.clone(), e.broker_name.clone(), e.queue_id),
                    e.offset,
                )
            })
            .collect();
        ResetOffsetBody { offset_table }
    }
}
