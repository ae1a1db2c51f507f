//! Topic and group administration on the broker (spec §7.8).

use crate::command_header;

command_header! {
    /// UPDATE_AND_CREATE_TOPIC (17).
    pub struct CreateTopicRequestHeader {
        topic: req String => "topic",
        default_topic: req String => "defaultTopic",
        read_queue_nums: req i32 => "readQueueNums",
        write_queue_nums: req i32 => "writeQueueNums",
        perm: req i32 => "perm",
        /// `SINGLE_TAG` or `MULTI_TAG`.
        topic_filter_type: req String => "topicFilterType",
        topic_sys_flag: opt i32 => "topicSysFlag",
        order: req bool => "order",
        /// Edit syntax `+k=v,+k2=v2,-k3`.
        attributes: opt String => "attributes",
        force: opt bool => "force",
    }
}

command_header! {
    /// DELETE_TOPIC_IN_BROKER (215).
    pub struct DeleteTopicRequestHeader {
        topic: req String => "topic",
    }
}

command_header! {
    /// DELETE_SUBSCRIPTIONGROUP (207).
    pub struct DeleteSubscriptionGroupRequestHeader {
        group_name: req String => "groupName",
        clean_offset: opt bool => "cleanOffset",
    }
}

command_header! {
    /// GET_ALL_TOPIC_CONFIG (21) paging (5.x); all absent = everything.
    pub struct GetAllTopicConfigRequestHeader {
        topic_seq: opt i32 => "topicSeq",
        max_topic_num: opt i32 => "maxTopicNum",
        /// DataVersion JSON text.
        data_version: opt String => "dataVersion",
    }
}

command_header! {
    /// Response to GET_ALL_TOPIC_CONFIG; absent from old servers (everything returned).
    pub struct GetAllTopicConfigResponseHeader {
        total_topic_num: opt i32 => "totalTopicNum",
    }
}

command_header! {
    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) paging.
    pub struct GetAllSubscriptionGroupRequestHeader {
        group_seq: opt i32 => "groupSeq",
        max_group_num: opt i32 => "maxGroupNum",
        data_version: opt String => "dataVersion",
    }
}

command_header! {
    /// Response to GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
    pub struct GetAllSubscriptionGroupResponseHeader {
        total_group_num: opt i32 => "totalGroupNum",
    }
}

command_header! {
    /// GET_TOPIC_STATS_INFO (202).
    pub struct GetTopicStatsInfoRequestHeader {
        topic: req String => "topic",
    }
}

command_header! {
    /// GET_CONSUME_STATS (208).
    pub struct GetConsumeStatsRequestHeader {
        consumer_group: req String => "consumerGroup",
        topic: opt String => "topic",
        topic_list: opt String => "topicList",
    }
}

command_header! {
    /// GET_CONSUMER_CONNECTION_LIST (203).
    pub struct GetConsumerConnectionListRequestHeader {
        consumer_group: req String => "consumerGroup",
    }
}

command_header! {
    /// Response to GET_BROKER_CONFIG (26); the body is properties text.
    pub struct GetBrokerConfigResponseHeader {
        /// DataVersion JSON text.
        version: req String => "version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;
    use crate::header::CommandHeader;

    #[test]
    fn round_trips() {
        round_trip(&CreateTopicRequestHeader {
            topic: "T".into(),
            default_topic: "TBW102".into(),
            read_queue_nums: 8,
            write_queue_nums: 8,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: Some("+message.type=NORMAL".into()),
            force: None,
        });
        round_trip(&DeleteTopicRequestHeader { topic: "T".into() });
        round_trip(&DeleteSubscriptionGroupRequestHeader {
            group_name: "G".into(),
            clean_offset: Some(true),
        });
        round_trip(&GetAllTopicConfigRequestHeader {
            topic_seq: Some(0),
            max_topic_num: Some(2000),
            data_version: Some(r#"{"counter":1,"stateVersion":0,"timestamp":2}"#.into()),
        });
        round_trip(&GetAllTopicConfigRequestHeader::default());
        round_trip(&GetAllTopicConfigResponseHeader {
            total_topic_num: Some(3),
        });
        round_trip(&GetAllSubscriptionGroupRequestHeader {
            group_seq: Some(1),
            max_group_num: Some(10),
            data_version: None,
        });
        round_trip(&GetAllSubscriptionGroupResponseHeader {
            total_group_num: None,
        });
        round_trip(&GetTopicStatsInfoRequestHeader { topic: "T".into() });
        round_trip(&GetConsumeStatsRequestHeader {
            consumer_group: "G".into(),
            topic: None,
            topic_list: Some("A;B".into()),
        });
        round_trip(&GetConsumerConnectionListRequestHeader {
            consumer_group: "G".into(),
        });
        round_trip(&GetBrokerConfigResponseHeader {
            version: "{}".into(),
        });
    }

    #[test]
    fn empty_paging_header_writes_nothing() {
        assert!(GetAllTopicConfigRequestHeader::default()
            .to_ext()
            .is_empty());
    }
}
