//! Consumer offsets and queue offsets: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), GET_MAX_OFFSET (30),
//! GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32) (spec §7.4).

use crate::command_header;

command_header! {
    /// QUERY_CONSUMER_OFFSET (14).
    pub struct QueryConsumerOffsetRequestHeader {
        consumer_group: req String => "consumerGroup",
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        set_zero_if_not_found: opt bool => "setZeroIfNotFound",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to QUERY_CONSUMER_OFFSET.
    pub struct QueryConsumerOffsetResponseHeader {
        offset: req i64 => "offset",
    }
}

command_header! {
    /// UPDATE_CONSUMER_OFFSET (15); the response has no header.
    pub struct UpdateConsumerOffsetRequestHeader {
        consumer_group: req String => "consumerGroup",
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        commit_offset: req i64 => "commitOffset",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// GET_MAX_OFFSET (30).
    pub struct GetMaxOffsetRequestHeader {
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        /// Default true.
        committed: opt bool => "committed",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to GET_MAX_OFFSET: the next offset to be written.
    pub struct GetMaxOffsetResponseHeader {
        offset: req i64 => "offset",
    }
}

command_header! {
    /// GET_MIN_OFFSET (31).
    pub struct GetMinOffsetRequestHeader {
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to GET_MIN_OFFSET.
    pub struct GetMinOffsetResponseHeader {
        offset: req i64 => "offset",
    }
}

command_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29).
    pub struct SearchOffsetRequestHeader {
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        /// ms epoch.
        timestamp: req i64 => "timestamp",
        /// `LOWER` (default) or `UPPER`, case-insensitive.
        boundary_type: opt String => "boundaryType",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to SEARCH_OFFSET_BY_TIMESTAMP.
    pub struct SearchOffsetResponseHeader {
        offset: req i64 => "offset",
    }
}

command_header! {
    /// GET_EARLIEST_MSG_STORETIME (32).
    pub struct GetEarliestMsgStoretimeRequestHeader {
        topic: req String => "topic",
        queue_id: req i32 => "queueId",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to GET_EARLIEST_MSG_STORETIME: store time of the first message.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        timestamp: req i64 => "timestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;

    #[test]
    fn round_trips() {
        round_trip(&QueryConsumerOffsetRequestHeader {
            consumer_group: "G".into(),
            topic: "T".into(),
            queue_id: 1,
            set_zero_if_not_found: Some(true),
            broker_name: None,
        });
        round_trip(&QueryConsumerOffsetResponseHeader { offset: 42 });
        round_trip(&UpdateConsumerOffsetRequestHeader {
            consumer_group: "G".into(),
            topic: "T".into(),
            queue_id: 1,
            commit_offset: 1 << 35,
            broker_name: Some("b".into()),
        });
        round_trip(&GetMaxOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 0,
            committed: Some(false),
            broker_name: None,
        });
        round_trip(&GetMaxOffsetResponseHeader { offset: 7 });
        round_trip(&GetMinOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 3,
            broker_name: None,
        });
        round_trip(&GetMinOffsetResponseHeader { offset: 0 });
        round_trip(&SearchOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 3,
            timestamp: 1_700_000_000_000,
            boundary_type: Some("UPPER".into()),
            broker_name: None,
        });
        round_trip(&SearchOffsetResponseHeader { offset: -1 });
        round_trip(&GetEarliestMsgStoretimeRequestHeader {
            topic: "T".into(),
            queue_id: 0,
            broker_name: None,
        });
        round_trip(&GetEarliestMsgStoretimeResponseHeader { timestamp: 1 });
    }
}
