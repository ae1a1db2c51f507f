//! The push consumer: rebalanced queue ownership, long-polling pull loops, concurrent or orderly consumption
//! through a listener, retries through the group's retry topic, offsets on the broker or in a local file.
//!
//! ```no_run
//! # async fn demo() -> ferrocket_client::Result<()> {
//! use ferrocket_client::consumer::{ConsumeStatus, PushConsumer};
//! let consumer = PushConsumer::builder()
//!     .namesrv("127.0.0.1:9876")
//!     .group("G1")
//!     .subscribe("TopicTest", "TagA || TagB")
//!     .listener(|msgs: &[ferrocket_client::MessageExt], _ctx: &mut ferrocket_client::consumer::ConsumeContext| {
//!         for m in msgs {
//!             println!("{} {:?}", m.msg_id(), m.body);
//!         }
//!         ConsumeStatus::Success
//!     })
//!     .build()?;
//! consumer.start().await?;
//! // ...
//! consumer.shutdown().await;
//! # Ok(()) }
//! ```

mod builder;
mod config;
mod consume_concurrently;
mod consume_orderly;
mod handle;
mod pull_task;
mod queues;
mod send_back;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferrocket_protocol::body::{MessageModel, MessageQueue, SubscriptionData, MASTER_ID};
use parking_lot::{Mutex, RwLock};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

pub use builder::PushConsumerBuilder;
pub use config::PushConsumerConfig;

use super::listener::{MessageListener, OrderlyMessageListener};
use super::offset_store::OffsetStore;
use super::process_queue::ProcessQueue;
use super::subscription::MessageSelector;
use crate::api::pull::retry_topic;
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, ConsumerHandle};
use crate::producer::Producer;

pub(crate) enum Listener {
    Concurrent(Arc<dyn MessageListener>),
    Orderly(Arc<dyn OrderlyMessageListener>),
}

/// Cache figures of one owned queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    pub queue: MessageQueue,
    /// Messages pulled and not yet consumed.
    pub cached_count: usize,
    /// Their body bytes.
    pub cached_bytes: u64,
    /// The consumed offset in memory (what will be persisted).
    pub consumed_offset: Option<i64>,
}

/// A push consumer. Dropping it stops its tasks without persisting offsets; call [`PushConsumer::shutdown`] for a
/// clean stop.
pub struct PushConsumer {
    inner: Arc<PushInner>,
}

pub(crate) struct PushInner {
    pub(crate) config: PushConsumerConfig,
    client: ClientConfig,
    selectors: Vec<(String, MessageSelector)>,
    listener: Listener,
    instance: OnceLock<Arc<ClientInstance>>,
    offsets: OnceLock<OffsetStore>,
    retry_producer: OnceLock<Producer>,
    subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    queues: Mutex<HashMap<MessageQueue, Arc<ProcessQueue>>>,
    permits: Arc<Semaphore>,
    /// Stops pull loops, consume loops and periodic tasks.
    stop: CancellationToken,
    stopping: AtomicBool,
    started: AtomicBool,
    rebalance_kick: Notify,
    rebalance_lock: tokio::sync::Mutex<()>,
    started_at_ms: i64,
    consumed_ok: AtomicU64,
    consumed_failed: AtomicU64,
}

impl PushConsumer {
    pub fn builder() -> PushConsumerBuilder {
        PushConsumerBuilder::default()
    }

    pub(crate) fn from_parts(
        config: PushConsumerConfig,
        client: ClientConfig,
        selectors: Vec<(String, MessageSelector)>,
        listener: Listener,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(config.consume_thread_max));
        PushConsumer {
            inner: Arc::new(PushInner {
                config,
                client,
                selectors,
                listener,
                instance: OnceLock::new(),
                offsets: OnceLock::new(),
                retry_producer: OnceLock::new(),
                subscriptions: RwLock::new(BTreeMap::new()),
                queues: Mutex::new(HashMap::new()),
                permits,
                stop: CancellationToken::new(),
                stopping: AtomicBool::new(false),
                started: AtomicBool::new(false),
                rebalance_kick: Notify::new(),
                rebalance_lock: tokio::sync::Mutex::new(()),
                started_at_ms: crate::api::send::now_millis(),
                consumed_ok: AtomicU64::new(0),
                consumed_failed: AtomicU64::new(0),
            }),
        }
    }

    pub fn config(&self) -> &PushConsumerConfig {
        &self.inner.config
    }

    /// Joins the client instance, checks non-TAG subscriptions with the brokers (CHECK_CLIENT_CONFIG), sends a
    /// heartbeat, takes its first share of queues and starts pulling.
    pub async fn start(&self) -> Result<()> {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return Err(ClientError::State("push consumer already started".into()));
        }
        match self.inner.clone().start().await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.inner.stopping.store(true, Ordering::SeqCst);
                self.inner.stop.cancel();
                if let Some(i) = self.inner.instance.get() {
                    i.unregister_consumer(&self.inner.config.group).await;
                }
                Err(e)
            }
        }
    }

    /// Stops pulling, waits (up to `await_termination`) for listener calls in progress, persists offsets,
    /// releases orderly locks and leaves the group.
    pub async fn shutdown(&self) {
        self.inner.shutdown().await;
    }

    /// The client instance (after `start`).
    pub fn instance(&self) -> Result<&Arc<ClientInstance>> {
        self.inner.instance()
    }

    /// The queues this consumer owns now.
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        let mut v: Vec<_> = self.inner.queues.lock().keys().cloned().collect();
        v.sort();
        v
    }

    /// Cache figures of every owned queue (flow-control monitoring).
    pub fn queue_stats(&self) -> Vec<QueueStats> {
        let offsets = self.inner.offsets.get();
        let mut v: Vec<_> = self
            .inner
            .queues
            .lock()
            .values()
            .map(|pq| {
                let s = pq.stats();
                QueueStats {
                    queue: pq.mq.clone(),
                    cached_count: s.count,
                    cached_bytes: s.bytes,
                    consumed_offset: offsets.and_then(|o| o.read_memory(&pq.mq)),
                }
            })
            .collect();
        v.sort_by(|a, b| a.queue.cmp(&b.queue));
        v
    }

    /// What GET_CONSUMER_RUNNING_INFO answers.
    pub fn running_info(&self) -> ferrocket_protocol::body::ConsumerRunningInfo {
        self.inner.running_info()
    }

    /// Rebalances now instead of at the next tick.
    pub async fn rebalance_now(&self) {
        self.inner.rebalance().await;
    }
}

impl Drop for PushConsumer {
    fn drop(&mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.stop.cancel();
    }
}

impl PushInner {
    pub(crate) fn instance(&self) -> Result<&Arc<ClientInstance>> {
        self.instance.get().ok_or_else(|| {
            ClientError::State(format!("consumer {} is not started", self.config.group))
        })
    }

    pub(crate) fn offsets(&self) -> Option<&OffsetStore> {
        self.offsets.get()
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    pub(crate) fn is_orderly(&self) -> bool {
        matches!(self.listener, Listener::Orderly(_))
    }

    pub(crate) fn clustering(&self) -> bool {
        self.config.message_model == MessageModel::Clustering
    }

    pub(crate) fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions.read().get(topic).cloned()
    }

    /// Records consumption progress of a queue we still own.
    pub(crate) fn record_offset(&self, mq: &MessageQueue, offset: i64) {
        if let Some(o) = self.offsets() {
            o.update(mq, offset, true);
        }
    }

    /// Deliveries before dead-lettering.
    pub(crate) fn max_reconsume_times(&self) -> i32 {
        match self.config.max_reconsume_times {
            Some(n) => n,
            None if self.is_orderly() => i32::MAX,
            None => 16,
        }
    }

    async fn start(self: Arc<Self>) -> Result<()> {
        let cfg = &self.config;
        let instance = ClientInstance::obtain(&self.client).await?;
        let now = crate::api::send::now_millis();
        {
            let mut subs = self.subscriptions.write();
            for (topic, sel) in &self.selectors {
                subs.insert(topic.clone(), sel.to_subscription(topic, now));
            }
            if self.clustering() {
                let retry = retry_topic(&cfg.group);
                subs.insert(
                    retry.clone(),
                    MessageSelector::all().to_subscription(&retry, now),
                );
            }
        }
        let store = if self.clustering() {
            OffsetStore::remote(instance.clone(), &cfg.group)
        } else {
            OffsetStore::local(cfg.offset_dir(), instance.client_id(), &cfg.group)
        };
        let _ = self.offsets.set(store);
        let _ = self.retry_producer.set(Producer::internal(
            instance.clone(),
            crate::instance::CLIENT_INNER_PRODUCER_GROUP,
        ));
        let _ = self.instance.set(instance.clone());
        let weak: std::sync::Weak<dyn ConsumerHandle> = Arc::downgrade(&self) as _;
        instance.register_consumer(weak, &cfg.group)?;

        let topics: Vec<String> = self.subscriptions.read().keys().cloned().collect();
        for topic in topics {
            if let Err(e) = instance.update_route(&topic).await {
                tracing::debug!(topic, error = %e, "no route yet");
            }
        }
        self.check_subscriptions().await?;
        instance.send_heartbeat_to_all().await;
        self.spawn_tasks();
        self.rebalance().await;
        Ok(())
    }

    /// CHECK_CLIENT_CONFIG for every non-TAG subscription, at one broker of its topic (§16.1).
    async fn check_subscriptions(&self) -> Result<()> {
        let instance = self.instance()?;
        let subs: Vec<SubscriptionData> = self.subscriptions.read().values().cloned().collect();
        for sub in subs.iter().filter(|s| !s.is_tag_type()) {
            let route = instance.route_or_fetch(&sub.topic).await?;
            let addr = route
                .data
                .broker_datas
                .iter()
                .find_map(|b| {
                    b.broker_addrs
                        .get(&MASTER_ID)
                        .or_else(|| b.broker_addrs.values().next())
                })
                .cloned()
                .ok_or_else(|| ClientError::NoRoute(sub.topic.clone()))?;
            instance
                .check_client_config(&addr, &self.config.group, sub)
                .await?;
        }
        Ok(())
    }

    fn spawn_tasks(self: &Arc<Self>) {
        // Rebalance: periodic and on demand.
        let me = self.clone();
        tokio::spawn(async move {
            let period = me.config.rebalance_interval;
            loop {
                tokio::select! {
                    _ = me.stop.cancelled() => return,
                    _ = tokio::time::sleep(period) => {}
                    _ = me.rebalance_kick.notified() => {}
                }
                me.rebalance().await;
            }
        });
        // Offset persistence.
        let me = self.clone();
        tokio::spawn(async move {
            let period = me.client.persist_offset_interval;
            loop {
                tokio::select! {
                    _ = me.stop.cancelled() => return,
                    _ = tokio::time::sleep(period) => {}
                }
                me.persist_offsets(false).await;
            }
        });
        // Orderly clustering: keep the broker locks.
        if self.is_orderly() && self.clustering() {
            let me = self.clone();
            tokio::spawn(async move {
                let period = me.config.lock_renew_interval;
                loop {
                    tokio::select! {
                        _ = me.stop.cancelled() => return,
                        _ = tokio::time::sleep(period) => {}
                    }
                    me.lock_all().await;
                }
            });
        }
    }

    pub(crate) async fn persist_offsets(&self, sync: bool) {
        let Some(store) = self.offsets() else {
            return;
        };
        let owned: Vec<MessageQueue> = self.queues.lock().keys().cloned().collect();
        if let Err(e) = store.persist_all(&owned, sync).await {
            tracing::debug!(group = self.config.group, error = %e, "persisting offsets failed");
        }
    }

    async fn shutdown(&self) {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        self.stop.cancel();
        let Some(instance) = self.instance.get() else {
            return;
        };
        // Let listener calls in progress finish so their offsets count.
        let all = u32::try_from(self.config.consume_thread_max).unwrap_or(u32::MAX);
        let waited = tokio::time::timeout(
            self.config.await_termination,
            self.permits.acquire_many(all),
        )
        .await;
        if waited.is_err() {
            tracing::warn!(
                group = self.config.group,
                "listener calls still running at shutdown"
            );
        }
        self.persist_offsets(true).await;
        let owned: Vec<Arc<ProcessQueue>> = self.queues.lock().drain().map(|(_, pq)| pq).collect();
        for pq in &owned {
            pq.set_dropped();
        }
        if self.is_orderly() && self.clustering() {
            self.unlock_queues(owned.iter().map(|pq| pq.mq.clone()).collect())
                .await;
        }
        instance.unregister_consumer(&self.config.group).await;
    }
}

/// Sleeps unless `token` is cancelled first; true when cancelled.
pub(crate) async fn sleep_or_stop(token: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = token.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}
