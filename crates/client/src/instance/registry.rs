//! What the client instance needs from the producers and consumers registered with it: heartbeat data, and
//! entry points for the requests brokers send to clients.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrocket_protocol::body::{
    ConsumeMessageDirectlyResult, ConsumerData, ConsumerRunningInfo, MessageQueue,
};
use ferrocket_protocol::header::CheckTransactionStateRequestHeader;
use ferrocket_protocol::message::MessageExt;
use futures::future::BoxFuture;

/// A consumer group living in this client instance.
pub(crate) trait ConsumerHandle: Send + Sync + 'static {
    /// This group's part of the heartbeat.
    fn consumer_data(&self) -> ConsumerData;
    /// Topics whose routes the instance keeps fresh.
    fn subscribed_topics(&self) -> Vec<String>;
    /// Rebalance soon (NOTIFY_CONSUMER_IDS_CHANGED, or a new broker appeared).
    fn trigger_rebalance(&self);
    /// GET_CONSUMER_RUNNING_INFO.
    fn running_info(&self) -> ConsumerRunningInfo;
    /// RESET_CONSUMER_CLIENT_OFFSET: start the given queues of `topic` over from these offsets.
    fn reset_offset(self: Arc<Self>, topic: String, offsets: BTreeMap<MessageQueue, i64>);
    /// CONSUME_MESSAGE_DIRECTLY; `None` when this consumer cannot do it (not a push consumer).
    fn consume_directly(
        self: Arc<Self>,
        msg: MessageExt,
        broker_name: Option<String>,
    ) -> BoxFuture<'static, Option<ConsumeMessageDirectlyResult>>;
}

/// A producer group living in this client instance.
pub(crate) trait ProducerHandle: Send + Sync + 'static {
    /// CHECK_TRANSACTION_STATE for a half message of this group; answers with END_TRANSACTION to `broker_addr`.
    fn check_transaction(
        self: Arc<Self>,
        broker_addr: String,
        header: CheckTransactionStateRequestHeader,
        msg: MessageExt,
    );
}
