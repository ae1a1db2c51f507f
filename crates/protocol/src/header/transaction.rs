//! Transactions: END_TRANSACTION (37, producer → broker) and CHECK_TRANSACTION_STATE (39, broker → producer)
//! (spec §7.6).

use crate::command_header;

/// `commitOrRollback` values of END_TRANSACTION (the message sysFlag transaction values).
pub mod transaction_type {
    pub const NOT_TYPE: i32 = 0;
    pub const PREPARED: i32 = 0x04;
    pub const COMMIT: i32 = 0x08;
    pub const ROLLBACK: i32 = 0x0C;
}

command_header! {
    /// END_TRANSACTION (37), sent oneway.
    pub struct EndTransactionRequestHeader {
        topic: opt String => "topic",
        producer_group: req String => "producerGroup",
        /// The half message's queue offset.
        tran_state_table_offset: req i64 => "tranStateTableOffset",
        /// The half message's commit-log offset.
        commit_log_offset: req i64 => "commitLogOffset",
        /// See [`transaction_type`].
        commit_or_rollback: req i32 => "commitOrRollback",
        from_transaction_check: opt bool => "fromTransactionCheck",
        msg_id: req String => "msgId",
        transaction_id: opt String => "transactionId",
        broker_name: opt String => "bname",
    }
}

command_header! {
    /// CHECK_TRANSACTION_STATE (39), broker → producer, oneway; the body is the half message record.
    pub struct CheckTransactionStateRequestHeader {
        topic: opt String => "topic",
        tran_state_table_offset: req i64 => "tranStateTableOffset",
        commit_log_offset: req i64 => "commitLogOffset",
        /// UNIQ_KEY.
        msg_id: opt String => "msgId",
        transaction_id: opt String => "transactionId",
        offset_msg_id: opt String => "offsetMsgId",
        broker_name: opt String => "bname",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;

    #[test]
    fn round_trips() {
        round_trip(&EndTransactionRequestHeader {
            topic: Some("T".into()),
            producer_group: "PG".into(),
            tran_state_table_offset: 3,
            commit_log_offset: 4096,
            commit_or_rollback: transaction_type::COMMIT,
            from_transaction_check: Some(true),
            msg_id: "U1".into(),
            transaction_id: Some("U1".into()),
            broker_name: None,
        });
        round_trip(&CheckTransactionStateRequestHeader {
            topic: Some("RMQ_SYS_TRANS_HALF_TOPIC".into()),
            tran_state_table_offset: 3,
            commit_log_offset: 4096,
            msg_id: Some("U1".into()),
            transaction_id: Some("U1".into()),
            offset_msg_id: Some("0A0000010000".into()),
            broker_name: Some("b".into()),
        });
    }
}
