//! Message lookup: VIEW_MESSAGE_BY_ID (33) and QUERY_MESSAGE (12) (spec §7.4).

use crate::command_header;

command_header! {
    /// VIEW_MESSAGE_BY_ID (33): one record by commit-log offset.
    pub struct ViewMessageRequestHeader {
        offset: req i64 => "offset",
        topic: opt String => "topic",
    }
}

command_header! {
    /// QUERY_MESSAGE (12): records by key (or by UNIQ_KEY with `_UNIQUE_KEY_QUERY=true`).
    pub struct QueryMessageRequestHeader {
        topic: req String => "topic",
        key: req String => "key",
        max_num: req i32 => "maxNum",
        begin_timestamp: req i64 => "beginTimestamp",
        end_timestamp: req i64 => "endTimestamp",
        unique_key_query: opt bool => "_UNIQUE_KEY_QUERY",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// Response to QUERY_MESSAGE.
    pub struct QueryMessageResponseHeader {
        index_last_update_timestamp: req i64 => "indexLastUpdateTimestamp",
        index_last_update_phyoffset: req i64 => "indexLastUpdatePhyoffset",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;

    #[test]
    fn round_trips() {
        round_trip(&ViewMessageRequestHeader {
            offset: 12345,
            topic: Some("T".into()),
        });
        round_trip(&ViewMessageRequestHeader {
            offset: 0,
            topic: None,
        });
        round_trip(&QueryMessageRequestHeader {
            topic: "T".into(),
            key: "K1".into(),
            max_num: 32,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: Some(true),
            broker_name: None,
        });
        round_trip(&QueryMessageResponseHeader {
            index_last_update_timestamp: 1_700_000_000_000,
            index_last_update_phyoffset: 4096,
        });
    }
}
