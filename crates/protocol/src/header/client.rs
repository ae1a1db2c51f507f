//! Client management and broker → client calls: HEART_BEAT (34) response, UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38), NOTIFY_CONSUMER_IDS_CHANGED (40), the offset-reset header of
//! INVOKE_BROKER_TO_RESET_OFFSET (222) / RESET_CONSUMER_CLIENT_OFFSET (220), GET_CONSUMER_RUNNING_INFO (307) and
//! CONSUME_MESSAGE_DIRECTLY (309) (spec §7.3, §7.7, §16.2, §16.3).

use crate::command_header;

command_header! {
    /// Ext fields of the HEART_BEAT (34) response (the request has none).
    pub struct HeartbeatResponseHeader {
        is_support_heart_beat_v2: opt bool => "IS_SUPPORT_HEART_BEAT_V2",
        is_sub_change: opt bool => "IS_SUB_CHANGE",
    }
}

command_header! {
    /// UNREGISTER_CLIENT (35).
    pub struct UnregisterClientRequestHeader {
        client_id: req String => "clientID",
        producer_group: opt String => "producerGroup",
        consumer_group: opt String => "consumerGroup",
    }
}

command_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38); the response body is `{"consumerIdList":[...]}`.
    pub struct GetConsumerListByGroupRequestHeader {
        consumer_group: req String => "consumerGroup",
    }
}

command_header! {
    /// NOTIFY_CONSUMER_IDS_CHANGED (40), broker → consumer, oneway.
    pub struct NotifyConsumerIdsChangedRequestHeader {
        consumer_group: req String => "consumerGroup",
    }
}

command_header! {
    /// INVOKE_BROKER_TO_RESET_OFFSET (222, admin → broker) and RESET_CONSUMER_CLIENT_OFFSET (220, broker →
    /// consumer, oneway; `offset` left out there).
    pub struct ResetOffsetRequestHeader {
        topic: req String => "topic",
        group: req String => "group",
        /// −1 = all queues.
        queue_id: opt i32 => "queueId",
        offset: opt i64 => "offset",
        /// ms; −1 = to the max offset.
        timestamp: req i64 => "timestamp",
        is_force: req bool => "isForce",
    }
}

command_header! {
    /// GET_CONSUMER_RUNNING_INFO (307): admin → broker → client with the same ext fields.
    pub struct GetConsumerRunningInfoRequestHeader {
        consumer_group: req String => "consumerGroup",
        client_id: req String => "clientId",
        jstack_enable: opt bool => "jstackEnable",
    }
}

command_header! {
    /// CONSUME_MESSAGE_DIRECTLY (309): admin → broker → client; the broker adds `brokerName` and the sys flags.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: req String => "consumerGroup",
        client_id: opt String => "clientId",
        /// offsetMsgId.
        msg_id: opt String => "msgId",
        topic: opt String => "topic",
        broker_name: opt String => "brokerName",
        topic_sys_flag: opt i32 => "topicSysFlag",
        group_sys_flag: opt i32 => "groupSysFlag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;
    use crate::header::CommandHeader;

    #[test]
    fn round_trips() {
        round_trip(&HeartbeatResponseHeader {
            is_support_heart_beat_v2: Some(true),
            is_sub_change: Some(false),
        });
        round_trip(&UnregisterClientRequestHeader {
            client_id: "10.0.0.5@1#2".into(),
            producer_group: Some("PG".into()),
            consumer_group: None,
        });
        round_trip(&GetConsumerListByGroupRequestHeader {
            consumer_group: "G".into(),
        });
        round_trip(&NotifyConsumerIdsChangedRequestHeader {
            consumer_group: "G".into(),
        });
        round_trip(&ResetOffsetRequestHeader {
            topic: "T".into(),
            group: "G".into(),
            queue_id: Some(-1),
            offset: None,
            timestamp: -1,
            is_force: true,
        });
        round_trip(&GetConsumerRunningInfoRequestHeader {
            consumer_group: "G".into(),
            client_id: "cid".into(),
            jstack_enable: Some(false),
        });
        round_trip(&ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: "G".into(),
            client_id: Some("cid".into()),
            msg_id: Some("0A00".into()),
            topic: Some("T".into()),
            broker_name: Some("b".into()),
            topic_sys_flag: Some(0),
            group_sys_flag: None,
        });
    }

    #[test]
    fn unregister_uses_upper_case_id_key() {
        let ext = UnregisterClientRequestHeader {
            client_id: "c".into(),
            ..Default::default()
        }
        .to_ext();
        assert_eq!(ext.get("clientID"), Some("c"));
    }
}
