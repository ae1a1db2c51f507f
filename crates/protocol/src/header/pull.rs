//! PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361) and their response (spec §7.2).

use crate::command_header;

command_header! {
    /// PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361).
    pub struct PullMessageRequestHeader {
        consumer_group: req String => "consumerGroup",
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        queue_offset: req i64 => "queueOffset",
        max_msg_nums: req i32 => "maxMsgNums",
        /// [`crate::codes::pull_sys_flag`] bits.
        sys_flag: req i32 => "sysFlag",
        commit_offset: req i64 => "commitOffset",
        suspend_timeout_millis: req i64 => "suspendTimeoutMillis",
        /// Subscription expression, when the SUBSCRIPTION bit is set.
        subscription: opt String => "subscription",
        sub_version: req i64 => "subVersion",
        /// `TAG` (default) or `SQL92`.
        expression_type: opt String => "expressionType",
        max_msg_bytes: opt i32 => "maxMsgBytes",
        request_source: opt i32 => "requestSource",
        /// Misspelled on the wire, as in Java.
        proxy_forward_client_id: opt String => "proxyFrowardClientId",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to PULL_MESSAGE; the remark carries the store status name.
    pub struct PullMessageResponseHeader {
        suggest_which_broker_id: req i64 => "suggestWhichBrokerId",
        next_begin_offset: req i64 => "nextBeginOffset",
        min_offset: req i64 => "minOffset",
        max_offset: req i64 => "maxOffset",
        offset_delta: opt i64 => "offsetDelta",
        topic_sys_flag: opt i32 => "topicSysFlag",
        group_sys_flag: opt i32 => "groupSysFlag",
        /// 1 broker, 2 group, 3 topic, 4 broadcast disabled, 5 subscription.
        forbidden_type: opt i32 => "forbiddenType",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::RemotingCommand;
    use crate::header::tests::round_trip;
    use crate::header::CommandHeader;

    #[test]
    fn round_trips() {
        round_trip(&PullMessageRequestHeader {
            consumer_group: "G".into(),
            topic: "T".into(),
            queue_id: 2,
            queue_offset: 100,
            max_msg_nums: 32,
            sys_flag: 7,
            commit_offset: 90,
            suspend_timeout_millis: 15000,
            subscription: Some("A || B".into()),
            sub_version: 1_700_000_000_000,
            expression_type: Some("TAG".into()),
            max_msg_bytes: Some(262144),
            request_source: Some(-1),
            proxy_forward_client_id: None,
            broker_name: Some("b".into()),
        });
        round_trip(&PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: 132,
            min_offset: 0,
            max_offset: 500,
            offset_delta: None,
            topic_sys_flag: Some(0),
            group_sys_flag: Some(0),
            forbidden_type: None,
        });
    }

    #[test]
    fn java_client_pull_decodes() {
        // The ext fields a Java push consumer sends (values as strings, subscription absent).
        let cmd = RemotingCommand::new_request(11)
            .with_ext("consumerGroup", "G")
            .with_ext("topic", "T")
            .with_ext("queueId", "0")
            .with_ext("queueOffset", "0")
            .with_ext("maxMsgNums", "32")
            .with_ext("sysFlag", "2")
            .with_ext("commitOffset", "0")
            .with_ext("suspendTimeoutMillis", "15000")
            .with_ext("subVersion", "1700000000000")
            .with_ext("expressionType", "TAG");
        let h: PullMessageRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(h.suspend_timeout_millis, 15000);
        assert_eq!(h.subscription, None);
        let err = PullMessageRequestHeader::read_ext(&Default::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("PullMessageRequestHeader"), "{err}");
    }
}
