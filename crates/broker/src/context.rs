//! The state every processor shares.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use ferrocket_store::MessageStore;
use tokio_util::sync::CancellationToken;

use crate::client_manager::ClientManager;
use crate::config::BrokerConfig;
use crate::consumer_offset::ConsumerOffsetManager;
use crate::flow_control::FlowControl;
use crate::long_poll::LongPollService;
use crate::namesrv_register::Registrar;
use crate::subscription_group::SubscriptionGroupManager;
use crate::topic_manager::TopicConfigManager;

pub struct BrokerContext {
    /// Swapped as a whole by UPDATE_BROKER_CONFIG; read with `ctx.config()`.
    pub config: ArcSwap<BrokerConfig>,
    pub store: Arc<MessageStore>,
    pub topics: TopicConfigManager,
    pub groups: SubscriptionGroupManager,
    pub offsets: ConsumerOffsetManager,
    pub clients: ClientManager,
    /// Shared with the store's arrival listener.
    pub long_poll: Arc<LongPollService>,
    pub registrar: Registrar,
    /// Bounded in-flight work per processor family.
    pub flow: FlowControl,
    /// brokerIP1:listenPort as a socket address: the store host written into records and message ids.
    pub store_host: SocketAddr,
    /// brokerIP1:listenPort as text, as registered with the name servers.
    pub broker_addr: String,
    pub started_at: Instant,
    /// Cancelled when the broker starts shutting down; background tasks stop on it.
    pub shutdown: CancellationToken,
    /// Delay-level and timer messages: parking decisions, delivery progress.
    pub schedule: crate::schedule::ScheduleService,
    /// Ordered-consumption queue locks (LOCK_BATCH_MQ).
    pub locks: crate::rebalance_lock::RebalanceLockManager,
    /// Transactional messages: ended ids and the checker's state.
    pub transactions: crate::transaction::TransactionService,
    /// Pending server-side offset resets (INVOKE_BROKER_TO_RESET_OFFSET).
    pub resets: crate::offset_reset::OffsetResetTable,
    /// Compiled SQL92 subscriptions.
    pub filters: crate::sql_filter::SqlFilterCache,
}

impl BrokerContext {
    pub fn config(&self) -> arc_swap::Guard<Arc<BrokerConfig>> {
        self.config.load()
    }

    /// Whether this broker is a master (only masters take writes and persist pulled offsets).
    pub fn is_master(&self) -> bool {
        !self.config().is_slave()
    }
}
