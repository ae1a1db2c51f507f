//! The lite pull consumer: the application polls for messages. Queues are either assigned explicitly or
//! rebalanced within the group from subscriptions; each has a background pull loop that fills a buffer (bounded
//! per queue), and `seek` repositions a queue.
//!
//! ```no_run
//! # async fn demo() -> ferrocket_client::Result<()> {
//! use ferrocket_client::consumer::LitePullConsumer;
//! let consumer = LitePullConsumer::builder()
//!     .namesrv("127.0.0.1:9876")
//!     .group("G2")
//!     .auto_commit(false)
//!     .build()?;
//! consumer.start().await?;
//! let queues = consumer.fetch_queues("TopicTest").await?;
//! consumer.assign(queues).await?;
//! let msgs = consumer.poll().await;
//! consumer.commit_sync().await?;
//! # Ok(()) }
//! ```

mod builder;
mod config;
mod queue;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferrocket_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, ConsumerRunningInfo, MessageModel, MessageQueue,
    SubscriptionData,
};
use ferrocket_protocol::message::MessageExt;
use futures::future::BoxFuture;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

pub use builder::LitePullConsumerBuilder;
pub use config::LitePullConsumerConfig;

use super::offset_store::OffsetStore;
use super::subscription::MessageSelector;
use crate::api::offset::BoundaryType;
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, ConsumerHandle};
use crate::rebalance::allocate_topic;
use queue::{Batch, LiteQueue};

/// A poll-driven consumer. Dropping it stops its tasks; call [`LitePullConsumer::shutdown`] to commit first.
pub struct LitePullConsumer {
    inner: Arc<LiteInner>,
}

pub(crate) struct LiteInner {
    pub(crate) config: LitePullConsumerConfig,
    client: ClientConfig,
    selectors: Vec<(String, MessageSelector)>,
    instance: OnceLock<Arc<ClientInstance>>,
    offsets: OnceLock<OffsetStore>,
    /// Subscription mode: topic → subscription (rebalanced). Assign mode: built per assigned topic (`*`).
    subscriptions: RwLock<BTreeMap<String, SubscriptionData>>,
    assigned_mode: AtomicBool,
    queues: Mutex<HashMap<MessageQueue, Arc<LiteQueue>>>,
    tx: mpsc::UnboundedSender<Batch>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Batch>>,
    stop: CancellationToken,
    stopping: AtomicBool,
    rebalance_kick: Notify,
    rebalance_lock: tokio::sync::Mutex<()>,
    started_at_ms: i64,
}

impl LitePullConsumer {
    pub fn builder() -> LitePullConsumerBuilder {
        LitePullConsumerBuilder::default()
    }

    pub(crate) fn from_parts(
        config: LitePullConsumerConfig,
        client: ClientConfig,
        selectors: Vec<(String, MessageSelector)>,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        LitePullConsumer {
            inner: Arc::new(LiteInner {
                config,
                client,
                selectors,
                instance: OnceLock::new(),
                offsets: OnceLock::new(),
                subscriptions: RwLock::new(BTreeMap::new()),
                assigned_mode: AtomicBool::new(false),
                queues: Mutex::new(HashMap::new()),
                tx,
                rx: tokio::sync::Mutex::new(rx),
                stop: CancellationToken::new(),
                stopping: AtomicBool::new(false),
                rebalance_kick: Notify::new(),
                rebalance_lock: tokio::sync::Mutex::new(()),
                started_at_ms: crate::api::send::now_millis(),
            }),
        }
    }

    /// Joins the client instance; with subscriptions, checks them and takes a first share of queues.
    pub async fn start(&self) -> Result<()> {
        let inner = &self.inner;
        if inner.instance.get().is_some() {
            return Err(ClientError::State(
                "lite pull consumer already started".into(),
            ));
        }
        let instance = ClientInstance::obtain(&inner.client).await?;
        let store = match inner.config.message_model {
            MessageModel::Clustering => OffsetStore::remote(instance.clone(), &inner.config.group),
            MessageModel::Broadcasting => {
                let dir = inner.config.offset_store_dir.clone().unwrap_or_else(|| {
                    std::env::var_os("HOME")
                        .map(std::path::PathBuf::from)
                        .unwrap_or_else(std::env::temp_dir)
                        .join(".rocketmq_offsets")
                });
                OffsetStore::local(dir, instance.client_id(), &inner.config.group)
            }
        };
        let _ = inner.offsets.set(store);
        let _ = inner.instance.set(instance.clone());
        let now = crate::api::send::now_millis();
        {
            let mut subs = inner.subscriptions.write();
            for (topic, sel) in &inner.selectors {
                subs.insert(topic.clone(), sel.to_subscription(topic, now));
            }
        }
        let weak: std::sync::Weak<dyn ConsumerHandle> = Arc::downgrade(&self.inner) as _;
        instance.register_consumer(weak, &inner.config.group)?;
        if let Err(e) = inner.check_subscriptions().await {
            instance.unregister_consumer(&inner.config.group).await;
            inner.stop.cancel();
            return Err(e);
        }
        let topics: Vec<String> = inner.subscriptions.read().keys().cloned().collect();
        for topic in topics {
            let _ = instance.update_route(&topic).await;
        }
        instance.send_heartbeat_to_all().await;
        inner.clone().spawn_tasks();
        if !inner.selectors.is_empty() {
            inner.clone().rebalance().await;
        }
        Ok(())
    }

    /// Commits (if auto-commit is on), stops pulling and leaves the group.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        if inner.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        inner.stop.cancel();
        if inner.config.auto_commit {
            let _ = inner.commit(true).await;
        }
        inner.queues.lock().clear();
        if let Some(instance) = inner.instance.get() {
            instance.unregister_consumer(&inner.config.group).await;
        }
    }

    fn instance(&self) -> Result<&Arc<ClientInstance>> {
        self.inner.instance()
    }

    /// The readable queues of `topic`.
    pub async fn fetch_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        Ok(self
            .instance()?
            .update_route(topic)
            .await?
            .subscribe
            .clone())
    }

    /// Takes exactly these queues (no rebalancing), each starting at the group's stored offset or per
    /// `consume_from_where`. Queues not listed are dropped.
    pub async fn assign(&self, queues: Vec<MessageQueue>) -> Result<()> {
        let inner = &self.inner;
        inner.instance()?;
        if !inner.selectors.is_empty() {
            return Err(ClientError::State(
                "subscribed consumers cannot also assign queues".into(),
            ));
        }
        inner.assigned_mode.store(true, Ordering::SeqCst);
        let now = crate::api::send::now_millis();
        {
            let mut subs = inner.subscriptions.write();
            for q in &queues {
                subs.entry(q.topic.clone())
                    .or_insert_with(|| MessageSelector::all().to_subscription(&q.topic, now));
            }
        }
        let desired: BTreeSet<MessageQueue> = queues.into_iter().collect();
        inner.clone().apply_all(desired).await
    }

    /// The queues currently owned.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        let mut v: Vec<_> = self.inner.queues.lock().keys().cloned().collect();
        v.sort();
        v
    }

    /// Waits up to `poll_timeout` for messages.
    pub async fn poll(&self) -> Vec<MessageExt> {
        self.poll_timeout(self.inner.config.poll_timeout).await
    }

    /// Waits up to `timeout` for messages; returns the first non-stale batch (empty on timeout).
    pub async fn poll_timeout(&self, timeout: Duration) -> Vec<MessageExt> {
        let inner = &self.inner;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = inner.rx.lock().await;
        loop {
            let batch = tokio::select! {
                b = rx.recv() => b,
                _ = tokio::time::sleep_until(deadline) => return Vec::new(),
            };
            let Some(batch) = batch else {
                return Vec::new();
            };
            let Some(q) = inner.queues.lock().get(&batch.mq).cloned() else {
                continue;
            };
            if q.generation.load(Ordering::SeqCst) != batch.generation {
                continue;
            }
            q.cached.fetch_sub(
                batch.msgs.len().min(q.cached.load(Ordering::SeqCst)),
                Ordering::SeqCst,
            );
            if let Some(last) = batch.msgs.last() {
                q.consumed
                    .fetch_max(last.queue_offset + 1, Ordering::SeqCst);
            }
            q.kick.notify_one();
            if inner.config.auto_commit {
                inner.record_consumed(&q);
            }
            return batch.msgs;
        }
    }

    /// Continues `mq` from `offset`.
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        let q = self.inner.owned(mq)?;
        let instance = self.instance()?;
        let (min, max) = (
            instance.min_offset(mq).await?,
            instance.max_offset(mq).await?,
        );
        if offset < min || offset > max {
            return Err(ClientError::InvalidMessage(format!(
                "offset {offset} outside {mq}'s range [{min}, {max}]"
            )));
        }
        q.seek(offset);
        Ok(())
    }

    /// Continues `mq` from the first message stored at or after `timestamp_ms`.
    pub async fn seek_to_timestamp(&self, mq: &MessageQueue, timestamp_ms: i64) -> Result<()> {
        let q = self.inner.owned(mq)?;
        let offset = self
            .instance()?
            .search_offset(mq, timestamp_ms, BoundaryType::Lower)
            .await?;
        q.seek(offset);
        Ok(())
    }

    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<()> {
        let q = self.inner.owned(mq)?;
        q.seek(self.instance()?.min_offset(mq).await?);
        Ok(())
    }

    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<()> {
        let q = self.inner.owned(mq)?;
        q.seek(self.instance()?.max_offset(mq).await?);
        Ok(())
    }

    /// Stops pulling these queues until [`LitePullConsumer::resume`].
    pub fn pause(&self, queues: &[MessageQueue]) {
        for mq in queues {
            if let Some(q) = self.inner.queues.lock().get(mq) {
                q.paused.store(true, Ordering::SeqCst);
            }
        }
    }

    pub fn resume(&self, queues: &[MessageQueue]) {
        for mq in queues {
            if let Some(q) = self.inner.queues.lock().get(mq) {
                q.paused.store(false, Ordering::SeqCst);
                q.kick.notify_one();
            }
        }
    }

    /// Stores the offsets of everything polled so far and waits for the broker (or file).
    pub async fn commit_sync(&self) -> Result<()> {
        self.inner.commit(true).await
    }

    /// Stores explicit offsets.
    pub async fn commit_offsets(&self, offsets: &BTreeMap<MessageQueue, i64>) -> Result<()> {
        let store = self.inner.store()?;
        for (mq, o) in offsets {
            store.update(mq, *o, false);
        }
        let queues: Vec<_> = offsets.keys().cloned().collect();
        store.persist_all(&queues, true).await
    }

    /// The group's stored offset of `mq`.
    pub async fn committed(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        self.inner.store()?.read_store(mq).await
    }
}

impl Drop for LitePullConsumer {
    fn drop(&mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.stop.cancel();
    }
}

impl LiteInner {
    fn instance(&self) -> Result<&Arc<ClientInstance>> {
        self.instance.get().ok_or_else(|| {
            ClientError::State(format!("consumer {} is not started", self.config.group))
        })
    }

    fn store(&self) -> Result<&OffsetStore> {
        self.offsets
            .get()
            .ok_or_else(|| ClientError::State("consumer is not started".into()))
    }

    fn owned(&self, mq: &MessageQueue) -> Result<Arc<LiteQueue>> {
        self.queues
            .lock()
            .get(mq)
            .cloned()
            .ok_or_else(|| ClientError::State(format!("{mq} is not assigned to this consumer")))
    }

    pub(crate) fn subscription_for(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions.read().get(topic).cloned()
    }

    fn record_consumed(&self, q: &LiteQueue) {
        if let Some(store) = self.offsets.get() {
            store.update(&q.mq, q.consumed.load(Ordering::SeqCst), true);
        }
    }

    async fn commit(&self, sync: bool) -> Result<()> {
        let store = self.store()?;
        let queues: Vec<Arc<LiteQueue>> = self.queues.lock().values().cloned().collect();
        for q in &queues {
            store.update(&q.mq, q.consumed.load(Ordering::SeqCst), false);
        }
        let mqs: Vec<MessageQueue> = queues.iter().map(|q| q.mq.clone()).collect();
        store.persist_all(&mqs, sync).await
    }

    async fn check_subscriptions(&self) -> Result<()> {
        let instance = self.instance()?;
        let subs: Vec<SubscriptionData> = self.subscriptions.read().values().cloned().collect();
        for sub in subs.iter().filter(|s| !s.is_tag_type()) {
            let route = instance.route_or_fetch(&sub.topic).await?;
            let addr = route
                .data
                .broker_datas
                .iter()
                .find_map(|b| b.master_addr().map(str::to_owned))
                .ok_or_else(|| ClientError::NoRoute(sub.topic.clone()))?;
            instance
                .check_client_config(&addr, &self.config.group, sub)
                .await?;
        }
        Ok(())
    }

    fn spawn_tasks(self: Arc<Self>) {
        let me = self.clone();
        tokio::spawn(async move {
            let period = me.config.rebalance_interval;
            loop {
                tokio::select! {
                    _ = me.stop.cancelled() => return,
                    _ = tokio::time::sleep(period) => {}
                    _ = me.rebalance_kick.notified() => {}
                }
                if !me.assigned_mode.load(Ordering::SeqCst) {
                    me.clone().rebalance().await;
                }
            }
        });
        if self.config.auto_commit {
            let me = self;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = me.stop.cancelled() => return,
                        _ = tokio::time::sleep(me.config.auto_commit_interval) => {}
                    }
                    if let Err(e) = me.commit(false).await {
                        tracing::debug!(error = %e, "auto commit failed");
                    }
                }
            });
        }
    }

    async fn rebalance(self: Arc<Self>) {
        let Ok(instance) = self.instance().cloned() else {
            return;
        };
        let topics: Vec<String> = self.subscriptions.read().keys().cloned().collect();
        let mut desired = BTreeSet::new();
        for topic in &topics {
            match allocate_topic(
                &instance,
                &self.config.group,
                self.config.message_model,
                self.config.allocate_strategy.as_ref(),
                topic,
            )
            .await
            {
                Ok(set) => desired.extend(set),
                Err(e) => {
                    tracing::debug!(topic, error = %e, "rebalance skipped topic");
                    // Keep what we have of this topic.
                    desired.extend(
                        self.queues
                            .lock()
                            .keys()
                            .filter(|q| q.topic == *topic)
                            .cloned(),
                    );
                }
            }
        }
        if let Err(e) = self.apply_all(desired).await {
            tracing::debug!(error = %e, "applying rebalance failed");
        }
    }

    /// Makes the owned queues exactly `desired`.
    async fn apply_all(self: Arc<Self>, desired: BTreeSet<MessageQueue>) -> Result<()> {
        let _one_at_a_time = self.rebalance_lock.lock().await;
        let store = self.store()?;
        let removed: Vec<Arc<LiteQueue>> = {
            let mut queues = self.queues.lock();
            let gone: Vec<MessageQueue> = queues
                .keys()
                .filter(|q| !desired.contains(*q))
                .cloned()
                .collect();
            gone.iter().filter_map(|q| queues.remove(q)).collect()
        };
        for q in removed {
            q.cancel.cancel();
            if self.config.auto_commit {
                store.update(&q.mq, q.consumed.load(Ordering::SeqCst), false);
                let _ = store.persist_all(std::slice::from_ref(&q.mq), true).await;
            }
            store.remove(&q.mq);
        }
        let mut first_err = None;
        for mq in desired {
            if self.queues.lock().contains_key(&mq) {
                continue;
            }
            match self.start_offset(&mq).await {
                Ok(offset) => {
                    let q = Arc::new(LiteQueue::new(mq.clone(), offset, &self.stop));
                    self.queues.lock().insert(mq, q.clone());
                    tokio::spawn(queue::run(self.clone(), q, self.tx.clone()));
                }
                Err(e) => {
                    tracing::debug!(%mq, error = %e, "cannot start queue yet");
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    async fn start_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let instance = self.instance()?;
        if let Some(o) = self.store()?.read_store(mq).await? {
            if o >= 0 {
                return Ok(o);
            }
        }
        match self.config.consume_from_where {
            ConsumeFromWhere::ConsumeFromFirstOffset => instance.min_offset(mq).await,
            ConsumeFromWhere::ConsumeFromTimestamp => {
                let ts = self
                    .config
                    .consume_timestamp
                    .unwrap_or(self.started_at_ms - 30 * 60 * 1000);
                instance.search_offset(mq, ts, BoundaryType::Lower).await
            }
            _ => instance.max_offset(mq).await,
        }
    }
}

impl ConsumerHandle for LiteInner {
    fn consumer_data(&self) -> ConsumerData {
        let subscription_data_set = if self.assigned_mode.load(Ordering::SeqCst) {
            Vec::new()
        } else {
            self.subscriptions.read().values().cloned().collect()
        };
        ConsumerData {
            consume_from_where: self.config.consume_from_where,
            consume_type: ConsumeType::ConsumeActively,
            group_name: self.config.group.clone(),
            message_model: self.config.message_model,
            subscription_data_set,
            unit_mode: false,
        }
    }

    fn subscribed_topics(&self) -> Vec<String> {
        self.subscriptions.read().keys().cloned().collect()
    }

    fn trigger_rebalance(&self) {
        self.rebalance_kick.notify_one();
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        let mut info = ConsumerRunningInfo::with_required_properties(
            ConsumeType::ConsumeActively,
            self.started_at_ms,
            false,
        );
        info.subscription_set = self.subscriptions.read().values().cloned().collect();
        info
    }

    fn reset_offset(self: Arc<Self>, topic: String, offsets: BTreeMap<MessageQueue, i64>) {
        for (mq, offset) in offsets.into_iter().filter(|(mq, _)| mq.topic == topic) {
            if let Some(q) = self.queues.lock().get(&mq) {
                q.seek(offset);
            }
        }
    }

    fn consume_directly(
        self: Arc<Self>,
        _msg: MessageExt,
        _broker_name: Option<String>,
    ) -> BoxFuture<'static, Option<ferrocket_protocol::body::ConsumeMessageDirectlyResult>> {
        Box::pin(async { None })
    }
}
