//! Transactional messages (remoting-protocol.md §7.6): half message, local transaction, END_TRANSACTION; and the
//! broker's CHECK_TRANSACTION_STATE for half messages whose outcome it never heard.

use std::sync::Arc;

use ferrocket_protocol::header::{
    transaction_type, CheckTransactionStateRequestHeader, EndTransactionRequestHeader,
};
use ferrocket_protocol::message::{decode_offset_msg_id, properties, MessageExt};

use super::{prepare, Producer, ProducerInner, SendResult, SendStatus};
use crate::error::{ClientError, Result};
use crate::instance::ProducerHandle;
use crate::message::Message;

/// Outcome of a local transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalTransactionState {
    CommitMessage,
    RollbackMessage,
    /// Not decided yet: the broker will ask again (CHECK_TRANSACTION_STATE).
    Unknown,
}

impl LocalTransactionState {
    fn commit_or_rollback(self) -> i32 {
        match self {
            LocalTransactionState::CommitMessage => transaction_type::COMMIT,
            LocalTransactionState::RollbackMessage => transaction_type::ROLLBACK,
            LocalTransactionState::Unknown => transaction_type::NOT_TYPE,
        }
    }
}

/// Runs local transactions and answers the broker's checks. Both are called on a blocking thread.
pub trait TransactionListener: Send + Sync + 'static {
    /// Runs the local transaction for a half message the broker has stored.
    fn execute_local(&self, msg: &Message, send_result: &SendResult) -> LocalTransactionState;

    /// The broker asks about a half message whose outcome it never heard; its transaction id is
    /// `msg.uniq_key()`.
    fn check(&self, msg: &MessageExt) -> LocalTransactionState;
}

/// A transactional send's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSendResult {
    pub send_result: SendResult,
    pub local_state: LocalTransactionState,
}

impl Producer {
    /// Sends a half message, runs the listener's local transaction, and commits or rolls back.
    pub async fn send_in_transaction(&self, msg: Message) -> Result<TransactionSendResult> {
        let listener = self.inner.listener.clone().ok_or_else(|| {
            ClientError::Config("send_in_transaction needs a transaction listener".into())
        })?;
        self.send_in_transaction_with(msg, move |m, r| listener.execute_local(m, r))
            .await
    }

    /// Like [`Producer::send_in_transaction`] with a local transaction given per call.
    pub async fn send_in_transaction_with<F>(
        &self,
        msg: Message,
        local: F,
    ) -> Result<TransactionSendResult>
    where
        F: FnOnce(&Message, &SendResult) -> LocalTransactionState + Send + 'static,
    {
        let inner = &self.inner;
        let mut half = msg;
        prepare::mark_half(&mut half, &inner.config.group);
        let p = prepare::prepare_single(half.clone(), &inner.config)?;
        half.properties
            .insert(properties::UNIQ_KEY.into(), p.msg_id.clone());
        let send_result = inner
            .send_with_retries(&p, inner.config.send_timeout, inner.config.retry_times)
            .await?;
        let local_state = if send_result.status == SendStatus::SendOk {
            let r = send_result.clone();
            tokio::task::spawn_blocking(move || local(&half, &r))
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "local transaction panicked; state unknown");
                    LocalTransactionState::Unknown
                })
        } else {
            LocalTransactionState::RollbackMessage
        };
        inner.end_transaction(&send_result, local_state).await?;
        Ok(TransactionSendResult {
            send_result,
            local_state,
        })
    }
}

impl ProducerInner {
    async fn end_transaction(&self, r: &SendResult, state: LocalTransactionState) -> Result<()> {
        let instance = self.instance()?;
        let (_, commit_log_offset) = decode_offset_msg_id(&r.offset_msg_id)?;
        let addr = instance
            .master_addr_or_refresh(&r.queue.broker_name, &r.queue.topic)
            .await?;
        let header = EndTransactionRequestHeader {
            topic: Some(r.queue.topic.clone()),
            producer_group: self.config.group.clone(),
            tran_state_table_offset: r.queue_offset,
            commit_log_offset,
            commit_or_rollback: state.commit_or_rollback(),
            from_transaction_check: Some(false),
            msg_id: r.msg_id.clone(),
            transaction_id: r.transaction_id.clone(),
            broker_name: Some(r.queue.broker_name.clone()),
        };
        instance.end_transaction(&addr, &header, None).await
    }
}

impl ProducerHandle for ProducerInner {
    fn check_transaction(
        self: Arc<Self>,
        broker_addr: String,
        header: CheckTransactionStateRequestHeader,
        msg: MessageExt,
    ) {
        let Some(listener) = self.listener.clone() else {
            tracing::warn!(
                group = self.config.group,
                "transaction check but no transaction listener"
            );
            return;
        };
        tokio::spawn(async move {
            let Ok(instance) = self.instance() else {
                return;
            };
            let msg_id = msg
                .uniq_key()
                .map(str::to_owned)
                .unwrap_or_else(|| msg.offset_msg_id());
            let topic = msg.topic.clone();
            let state = tokio::task::spawn_blocking(move || listener.check(&msg))
                .await
                .unwrap_or(LocalTransactionState::Unknown);
            let end = EndTransactionRequestHeader {
                topic: Some(topic),
                producer_group: self.config.group.clone(),
                tran_state_table_offset: header.tran_state_table_offset,
                commit_log_offset: header.commit_log_offset,
                commit_or_rollback: state.commit_or_rollback(),
                from_transaction_check: Some(true),
                msg_id,
                transaction_id: header.transaction_id.clone(),
                broker_name: header.broker_name.clone(),
            };
            if let Err(e) = instance.end_transaction(&broker_addr, &end, None).await {
                tracing::warn!(addr = broker_addr, error = %e, "END_TRANSACTION after check failed");
            }
        });
    }
}
