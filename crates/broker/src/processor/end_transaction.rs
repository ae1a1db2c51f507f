//! END_TRANSACTION (remoting-protocol.md §7.6): the producer's verdict on a half message. Commit stores the real
//! message (through the delay hook, so a delayed transactional message is still delayed) and closes the half
//! message with an op record; rollback only closes it. Clients send it oneway, so the answer is mostly for tools.

use std::sync::Arc;

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{transaction_type, EndTransactionRequestHeader};
use ferrocket_protocol::message::properties::PGROUP;
use ferrocket_remoting::Connection;

use super::{header, reply, success, Failure, Outcome};
use crate::internal_message::{self, Delivery, InternalMessage};
use crate::transaction::{half, op};
use crate::BrokerContext;

/// Apache's checks of a half message against the request: producer group, queue offset, commit-log offset.
pub fn check_prepared(
    half: &InternalMessage,
    queue_offset: i64,
    commit_log_offset: i64,
    h: &EndTransactionRequestHeader,
) -> Result<(), Failure> {
    if half.property(PGROUP) != Some(h.producer_group.as_str()) {
        return Err(Failure::system("The producer group wrong"));
    }
    if queue_offset != h.tran_state_table_offset {
        return Err(Failure::system("The transaction state table offset wrong"));
    }
    if commit_log_offset != h.commit_log_offset {
        return Err(Failure::system("The commit log offset wrong"));
    }
    Ok(())
}

/// END_TRANSACTION.
pub async fn end_transaction(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: EndTransactionRequestHeader = header(req)?;
    if !ctx.is_master() {
        return Err(Failure::new(
            response_code::SLAVE_NOT_AVAILABLE,
            "Message can not be committed or rolled back on a slave broker",
        ));
    }
    let commit = match h.commit_or_rollback {
        transaction_type::COMMIT => true,
        transaction_type::ROLLBACK => false,
        // Unknown (or a stray PREPARED): nothing to do; the checker will ask later. Apache answers nothing.
        _ => {
            tracing::debug!(
                msg_id = %h.msg_id,
                from_check = h.from_transaction_check.unwrap_or(false),
                peer = %conn.peer_addr(),
                "transaction state unknown"
            );
            return Ok(None);
        }
    };
    let Some((record, half)) = internal_message::read_record(ctx, h.commit_log_offset) else {
        return Err(Failure::system("Find prepared transaction message failed"));
    };
    let view = ferrocket_protocol::message::RecordView::parse(&record)
        .map_err(|e| Failure::system(format!("bad prepared transaction message: {e}")))?;
    check_prepared(&half, view.queue_offset, view.physical_offset, &h)?;
    let id = half::transaction_id(&view)
        .map(str::to_owned)
        .unwrap_or_else(|| h.msg_id.clone());

    // The first verdict wins; a second one (the producer answering two checks) only closes this copy.
    let first = ctx.transactions.begin_end(&id);
    if commit && first {
        let msg = half::committed_message(&half, h.commit_log_offset)?;
        if let Err(e) = internal_message::put(ctx, &msg, Delivery::Scheduled).await {
            ctx.transactions.abort_end(&id);
            return Err(e);
        }
    }
    op::put_op(ctx, h.tran_state_table_offset, Some(&id)).await?;
    tracing::debug!(
        transaction_id = %id,
        commit,
        first,
        from_check = h.from_transaction_check.unwrap_or(false),
        "transaction ended"
    );
    reply(success(req))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn half() -> InternalMessage {
        InternalMessage {
            topic: "RMQ_SYS_TRANS_HALF_TOPIC".into(),
            queue_id: 0,
            flag: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: "127.0.0.1:1".parse().unwrap(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: Bytes::new(),
            properties: "PGROUP\u{1}PG\u{2}".into(),
        }
    }

    fn req(group: &str, qo: i64, clo: i64) -> EndTransactionRequestHeader {
        EndTransactionRequestHeader {
            producer_group: group.into(),
            tran_state_table_offset: qo,
            commit_log_offset: clo,
            commit_or_rollback: transaction_type::COMMIT,
            msg_id: "M".into(),
            ..Default::default()
        }
    }

    #[test]
    fn prepared_checks() {
        assert!(check_prepared(&half(), 3, 100, &req("PG", 3, 100)).is_ok());
        assert_eq!(
            check_prepared(&half(), 3, 100, &req("X", 3, 100))
                .unwrap_err()
                .remark,
            "The producer group wrong"
        );
        assert_eq!(
            check_prepared(&half(), 3, 100, &req("PG", 4, 100))
                .unwrap_err()
                .remark,
            "The transaction state table offset wrong"
        );
        assert_eq!(
            check_prepared(&half(), 3, 100, &req("PG", 3, 101))
                .unwrap_err()
                .remark,
            "The commit log offset wrong"
        );
    }
}
