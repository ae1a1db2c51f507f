//! Starting and stopping a broker.
//!
//! Start: bind the listeners first (a taken port fails before the store is touched; port 0 is resolved to the
//! port the OS chose, which then goes into registrations and message ids), open the store, load the managers,
//! serve, register with the name servers. Stop (graceful): refuse new requests, unregister, release parked pulls,
//! let in-flight requests finish, close the listeners, persist, shut the store down.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use ferrocket_protocol::message::UniqKeyGenerator;
use ferrocket_remoting::{ConnectionConfig, RemotingServer, ServerConfig};
use ferrocket_store::MessageStore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::broker_stats;
use crate::client_manager::ClientManager;
use crate::config::BrokerConfig;
use crate::consumer_offset::ConsumerOffsetManager;
use crate::error::BrokerError;
use crate::flow_control::{Family, FlowControl};
use crate::handler::BrokerHandler;
use crate::long_poll::LongPollService;
use crate::namesrv_register::{self, Registrar};
use crate::subscription_group::SubscriptionGroupManager;
use crate::topic_manager::TopicConfigManager;
use crate::BrokerContext;

/// How long a graceful shutdown waits for in-flight requests.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);
/// How long the start waits for the first registration round.
const FIRST_REGISTRATION_LIMIT: Duration = Duration::from_secs(5);

/// A running broker.
pub struct BrokerServer {
    ctx: Arc<BrokerContext>,
    local_addr: SocketAddr,
    vip_addr: Option<SocketAddr>,
    /// Stops the accept loops and closes every connection.
    listeners: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

fn server_config(config: &BrokerConfig) -> ServerConfig {
    ServerConfig {
        connection: ConnectionConfig {
            idle_timeout: Duration::from_secs(config.server_channel_max_idle_time_seconds.max(1)),
            ..ConnectionConfig::default()
        },
    }
}

async fn bind(
    addr: &str,
    handler: &Arc<BrokerHandler>,
    config: &BrokerConfig,
    token: &CancellationToken,
) -> Result<RemotingServer, BrokerError> {
    RemotingServer::bind(addr, handler.clone(), server_config(config), token.clone())
        .await
        .map_err(|source| BrokerError::Listen {
            addr: addr.to_string(),
            source,
        })
}

impl BrokerServer {
    /// Starts a broker with `config` (already normalized). `listenPort=0` picks a free port.
    pub async fn start(mut config: BrokerConfig) -> Result<Self, BrokerError> {
        let ip: IpAddr = config.broker_ip1.parse().map_err(|_| {
            BrokerError::Invalid(format!(
                "brokerIP1 must be an IP address, got `{}`",
                config.broker_ip1
            ))
        })?;
        let listeners = CancellationToken::new();
        let handler = Arc::new(BrokerHandler::default());

        let requested_port = config.listen_port;
        let main = bind(
            &format!("{}:{}", config.bind_address, requested_port),
            &handler,
            &config,
            &listeners,
        )
        .await?;
        let port = main.local_addr().port();
        if requested_port == 0 {
            config.listen_port = port;
            if config.ha_listen_port == 1 {
                // normalize() derived it from port 0.
                config.ha_listen_port = port.wrapping_add(1);
            }
        }
        let vip_addr = if config.enable_vip_channel && port > 2 {
            let addr = format!("{}:{}", config.bind_address, port - 2);
            match bind(&addr, &handler, &config, &listeners).await {
                Ok(s) => Some(s.local_addr()),
                // With an OS-chosen port, port − 2 may belong to someone else: serve without the VIP channel.
                Err(e) if requested_port == 0 => {
                    tracing::warn!(error = %e, "VIP channel not available");
                    None
                }
                Err(e) => {
                    listeners.cancel();
                    return Err(e);
                }
            }
        } else {
            None
        };

        match Self::open(config, ip, handler.clone()).await {
            Ok((ctx, tasks)) => Ok(BrokerServer {
                ctx,
                local_addr: main.local_addr(),
                vip_addr,
                listeners,
                tasks,
            }),
            Err(e) => {
                listeners.cancel();
                Err(e)
            }
        }
    }

    async fn open(
        config: BrokerConfig,
        ip: IpAddr,
        handler: Arc<BrokerHandler>,
    ) -> Result<(Arc<BrokerContext>, Vec<JoinHandle<()>>), BrokerError> {
        UniqKeyGenerator::install_global(ip);
        let store_host = SocketAddr::new(ip, config.listen_port);
        let store_config = config.store.clone();
        let store = tokio::task::spawn_blocking(move || MessageStore::open(store_config))
            .await
            .map_err(|e| BrokerError::Invalid(format!("opening the store panicked: {e}")))??;

        let ctx = Arc::new(BrokerContext {
            store: store.clone(),
            topics: TopicConfigManager::load(&config)?,
            groups: SubscriptionGroupManager::load_for(&config)?,
            offsets: ConsumerOffsetManager::load_for(&config)?,
            clients: ClientManager::default(),
            long_poll: Arc::new(LongPollService::new()),
            registrar: Registrar::default(),
            flow: FlowControl::new(&config),
            store_host,
            broker_addr: config.broker_addr(),
            started_at: Instant::now(),
            shutdown: CancellationToken::new(),
            schedule: crate::schedule::ScheduleService::load(&config)?,
            locks: Default::default(),
            transactions: Default::default(),
            resets: Default::default(),
            filters: Default::default(),
            config: ArcSwap::from_pointee(config),
        });
        let long_poll = ctx.long_poll.clone();
        store.set_arrival_listener(Arc::new(move |topic, queue_id, max| {
            long_poll.notify(topic, queue_id, max)
        }));
        handler.set_context(ctx.clone());

        // First registration before reporting ready, so routes exist as soon as the broker says it is up; a name
        // server that does not answer quickly does not hold up the start (the loop below retries at once).
        match tokio::time::timeout(
            FIRST_REGISTRATION_LIMIT,
            namesrv_register::register_all(&ctx),
        )
        .await
        {
            Ok(report) if report.failed.is_empty() => {}
            Ok(report) => {
                tracing::warn!(failed = ?report.failed, "first registration incomplete; retrying periodically")
            }
            Err(_) => {
                tracing::warn!(
                    "first registration still pending after {FIRST_REGISTRATION_LIMIT:?}; retrying"
                );
                ctx.registrar.trigger();
            }
        }
        // Rates for GET_BROKER_RUNTIME_INFO start counting now rather than at the first query.
        let _ = broker_stats::stats_for(&ctx.store);
        let tasks = vec![
            tokio::spawn(namesrv_register::run(ctx.clone())),
            tokio::spawn(ClientManager::run_housekeeping(ctx.clone())),
            tokio::spawn(persist_offsets_periodically(ctx.clone())),
            tokio::spawn(crate::schedule::run(ctx.clone())),
            tokio::spawn(crate::transaction::TransactionService::run(ctx.clone())),
        ];
        Ok((ctx, tasks))
    }

    pub fn context(&self) -> &Arc<BrokerContext> {
        &self.ctx
    }

    /// The address the main listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The VIP channel's address (listenPort − 2), when it could be bound.
    pub fn vip_addr(&self) -> Option<SocketAddr> {
        self.vip_addr
    }

    /// `brokerIP1:listenPort`, the address registered with the name servers.
    pub fn broker_addr(&self) -> &str {
        &self.ctx.broker_addr
    }

    /// Graceful shutdown; returns once the store is closed.
    pub async fn shutdown(self) {
        let ctx = self.ctx;
        ctx.shutdown.cancel();
        namesrv_register::unregister_all(&ctx).await;
        ctx.long_poll.release_all();
        let deadline = Instant::now() + DRAIN_LIMIT;
        while [Family::Send, Family::Pull, Family::Admin]
            .iter()
            .any(|f| ctx.flow.in_flight(*f) > 0)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.listeners.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        let persisting = ctx.clone();
        let _ = tokio::task::spawn_blocking(move || persist_all(&persisting)).await;
        let store = ctx.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.shutdown()).await;
        tracing::info!("broker stopped");
    }
}

/// Writes offsets, topics and groups now (each skips the write when nothing changed or keeps no file).
fn persist_all(ctx: &BrokerContext) {
    if let Err(e) = ctx.offsets.persist() {
        tracing::error!(error = %e, "persisting consumer offsets failed");
    }
    if let Err(e) = ctx.topics.persist() {
        tracing::error!(error = %e, "persisting topics failed");
    }
    if let Err(e) = ctx.groups.persist() {
        tracing::error!(error = %e, "persisting subscription groups failed");
    }
}

/// Persists consumer offsets every `flushConsumerOffsetInterval` ms until shutdown.
async fn persist_offsets_periodically(ctx: Arc<BrokerContext>) {
    loop {
        let period = Duration::from_millis(ctx.config().flush_consumer_offset_interval.max(100));
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        let c = ctx.clone();
        let r = tokio::task::spawn_blocking(move || c.offsets.persist()).await;
        if let Ok(Err(e)) = r {
            tracing::error!(error = %e, "persisting consumer offsets failed");
        }
    }
}
