//! CONSUMER_SEND_MSG_BACK (36): a consumer hands a failed message back for retry (spec §7.5).

use crate::command_header;

command_header! {
    /// CONSUMER_SEND_MSG_BACK (36); no body.
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit-log offset of the consumed message.
        offset: req i64 => "offset",
        group: req String => "group",
        /// 0: broker picks 3 + reconsumeTimes; < 0: straight to the DLQ.
        delay_level: req i32 => "delayLevel",
        origin_msg_id: opt String => "originMsgId",
        origin_topic: opt String => "originTopic",
        unit_mode: opt bool => "unitMode",
        max_reconsume_times: opt i32 => "maxReconsumeTimes",
        broker_name: opt String => "bname",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;

    #[test]
    fn round_trips() {
        round_trip(&ConsumerSendMsgBackRequestHeader {
            offset: 8192,
            group: "G".into(),
            delay_level: 0,
            origin_msg_id: Some("ID".into()),
            origin_topic: Some("T".into()),
            unit_mode: Some(false),
            max_reconsume_times: Some(16),
            broker_name: None,
        });
    }
}
