//! Sending: SEND_MESSAGE (10) / SEND_REPLY_MESSAGE (324) with Java field names, SEND_MESSAGE_V2 (310) /
//! SEND_BATCH_MESSAGE (320) / SEND_REPLY_MESSAGE_V2 (325) with single-letter keys, their response, and the
//! PUSH_REPLY_MESSAGE_TO_CLIENT (326) header (spec §7.1).

use crate::codes::request_code;
use crate::command::RemotingCommand;
use crate::command_header;
use crate::error::ProtocolError;
use crate::header::CommandHeader;

command_header! {
    /// SEND_MESSAGE (10) and SEND_REPLY_MESSAGE (324).
    pub struct SendMessageRequestHeader {
        producer_group: req String => "producerGroup",
        topic: req String => "topic",
        default_topic: req String => "defaultTopic",
        default_topic_queue_nums: req i32 => "defaultTopicQueueNums",
        /// Negative: the broker picks a random writable queue.
        queue_id: req i32 => "queueId",
        sys_flag: req i32 => "sysFlag",
        born_timestamp: req i64 => "bornTimestamp",
        flag: req i32 => "flag",
        /// Encoded message properties (spec §9).
        properties: opt String => "properties",
        reconsume_times: opt i32 => "reconsumeTimes",
        unit_mode: opt bool => "unitMode",
        max_reconsume_times: opt i32 => "maxReconsumeTimes",
        batch: opt bool => "batch",
        /// Target broker name (base field `bname`, 5.x clients).
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320), SEND_REPLY_MESSAGE_V2 (325): the same fields as
    /// [`SendMessageRequestHeader`] under the keys `a`..`n`.
    pub struct SendMessageRequestHeaderV2 {
        producer_group: req String => "a",
        topic: req String => "b",
        default_topic: req String => "c",
        default_topic_queue_nums: req i32 => "d",
        queue_id: req i32 => "e",
        sys_flag: req i32 => "f",
        born_timestamp: req i64 => "g",
        flag: req i32 => "h",
        properties: opt String => "i",
        reconsume_times: opt i32 => "j",
        unit_mode: opt bool => "k",
        max_reconsume_times: opt i32 => "l",
        batch: opt bool => "m",
        broker_name: opt String => "n",
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v: SendMessageRequestHeaderV2) -> Self {
        Self {
            producer_group: v.producer_group,
            topic: v.topic,
            default_topic: v.default_topic,
            default_topic_queue_nums: v.default_topic_queue_nums,
            queue_id: v.queue_id,
            sys_flag: v.sys_flag,
            born_timestamp: v.born_timestamp,
            flag: v.flag,
            properties: v.properties,
            reconsume_times: v.reconsume_times,
            unit_mode: v.unit_mode,
            max_reconsume_times: v.max_reconsume_times,
            batch: v.batch,
            broker_name: v.broker_name,
        }
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v: SendMessageRequestHeader) -> Self {
        Self {
            producer_group: v.producer_group,
            topic: v.topic,
            default_topic: v.default_topic,
            default_topic_queue_nums: v.default_topic_queue_nums,
            queue_id: v.queue_id,
            sys_flag: v.sys_flag,
            born_timestamp: v.born_timestamp,
            flag: v.flag,
            properties: v.properties,
            reconsume_times: v.reconsume_times,
            unit_mode: v.unit_mode,
            max_reconsume_times: v.max_reconsume_times,
            batch: v.batch,
            broker_name: v.broker_name,
        }
    }
}

impl SendMessageRequestHeader {
    /// Whether `code` carries the single-letter (V2) keys.
    pub fn uses_v2_keys(code: i32) -> bool {
        matches!(
            code,
            request_code::SEND_MESSAGE_V2
                | request_code::SEND_BATCH_MESSAGE
                | request_code::SEND_REPLY_MESSAGE_V2
        )
    }

    /// Reads the send header of any send-family request, with the key set its code implies.
    pub fn from_command(cmd: &RemotingCommand) -> Result<Self, ProtocolError> {
        if Self::uses_v2_keys(cmd.code) {
            SendMessageRequestHeaderV2::read_ext(&cmd.ext_fields).map(Self::from)
        } else {
            Self::read_ext(&cmd.ext_fields)
        }
    }

    /// Whether this request is a batch (`batch`/`m` = "true").
    pub fn is_batch(&self) -> bool {
        self.batch == Some(true)
    }
}

command_header! {
    /// Response to the send family.
    pub struct SendMessageResponseHeader {
        /// offsetMsgId; comma-joined ids for batches.
        msg_id: req String => "msgId",
        queue_id: req i32 => "queueId",
        /// Consume-queue offset of the (first) stored message.
        queue_offset: req i64 => "queueOffset",
        /// The UNIQ_KEY of the message.
        transaction_id: opt String => "transactionId",
        batch_uniq_id: opt String => "batchUniqId",
        recall_handle: opt String => "recallHandle",
        /// Broker region, default `DefaultRegion`.
        msg_region: opt String => "MSG_REGION",
        /// "true"/"false".
        trace_on: opt String => "TRACE_ON",
    }
}

command_header! {
    /// PUSH_REPLY_MESSAGE_TO_CLIENT (326): the V1 send fields plus where and when the reply was stored.
    pub struct ReplyMessageRequestHeader {
        producer_group: req String => "producerGroup",
        topic: req String => "topic",
        default_topic: req String => "defaultTopic",
        default_topic_queue_nums: req i32 => "defaultTopicQueueNums",
        queue_id: req i32 => "queueId",
        sys_flag: req i32 => "sysFlag",
        born_timestamp: req i64 => "bornTimestamp",
        flag: req i32 => "flag",
        properties: opt String => "properties",
        reconsume_times: opt i32 => "reconsumeTimes",
        unit_mode: opt bool => "unitMode",
        born_host: req String => "bornHost",
        store_host: req String => "storeHost",
        store_timestamp: req i64 => "storeTimestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;

    fn v1() -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: "PG".into(),
            topic: "T".into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: 3,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            flag: 0,
            properties: Some("TAGS\u{1}a\u{2}".into()),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            max_reconsume_times: Some(16),
            batch: Some(false),
            broker_name: Some("broker-a".into()),
        }
    }

    #[test]
    fn round_trips() {
        round_trip(&v1());
        round_trip(&SendMessageRequestHeaderV2::from(v1()));
        round_trip(&SendMessageResponseHeader {
            msg_id: "0A00000100002A9F0000000000000000".into(),
            queue_id: 1,
            queue_offset: 99,
            transaction_id: Some("U".into()),
            batch_uniq_id: None,
            recall_handle: None,
            msg_region: Some("DefaultRegion".into()),
            trace_on: Some("true".into()),
        });
        round_trip(&ReplyMessageRequestHeader {
            producer_group: "PG".into(),
            topic: "C_REPLY_TOPIC".into(),
            born_host: "10.0.0.1:1234".into(),
            store_host: "10.0.0.2:10911".into(),
            store_timestamp: 5,
            ..Default::default()
        });
    }

    #[test]
    fn v2_uses_single_letter_keys() {
        let ext = SendMessageRequestHeaderV2::from(v1()).to_ext();
        let mut keys: Vec<_> = ext.keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"]
        );
        assert_eq!(&ext["a"], "PG");
        assert_eq!(&ext["g"], "1700000000000");
    }

    #[test]
    fn from_command_picks_key_set_by_code() {
        let v2 = RemotingCommand::request_with_header(
            request_code::SEND_MESSAGE_V2,
            &SendMessageRequestHeaderV2::from(v1()),
        );
        assert_eq!(SendMessageRequestHeader::from_command(&v2).unwrap(), v1());
        let plain = RemotingCommand::request_with_header(request_code::SEND_MESSAGE, &v1());
        assert_eq!(
            SendMessageRequestHeader::from_command(&plain).unwrap(),
            v1()
        );
        // V1 names under a V2 code are not understood: the first missing key is reported.
        let wrong = RemotingCommand::request_with_header(request_code::SEND_BATCH_MESSAGE, &v1());
        let err = SendMessageRequestHeader::from_command(&wrong)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`a`"), "{err}");
    }

    #[test]
    fn client_quirks_in_v2() {
        // What real clients send: numbers as bare text and booleans as "0"/"1".
        let mut ext = SendMessageRequestHeaderV2::from(v1()).to_ext();
        ext.insert("k", "1");
        ext.insert("m", "0");
        let h = SendMessageRequestHeaderV2::read_ext(&ext).unwrap();
        assert_eq!(h.unit_mode, Some(false));
        assert_eq!(h.batch, Some(false));
        ext.insert("m", "TRUE");
        assert!(SendMessageRequestHeader::from(
            SendMessageRequestHeaderV2::read_ext(&ext).unwrap()
        )
        .is_batch());
    }
}
