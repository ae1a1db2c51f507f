//! The client instance: what the producers, consumers and admins of one client id share — connections, topic
//! routes, the broker address table, heartbeats, and the handler for requests brokers send to clients.

mod client_ip;
mod connections;
mod handler;
mod heartbeat;
mod registry;
pub(crate) mod remote;
mod routes;
mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::route::TopicRoute;

use connections::ConnectionPool;
use handler::ClientRequestHandler;
pub(crate) use heartbeat::CLIENT_INNER_PRODUCER_GROUP;
pub(crate) use registry::{ConsumerHandle, ProducerHandle};

/// Shared state of one client id. Obtained by producers, consumers and admins when they start; lives while any of
/// them holds it.
pub struct ClientInstance {
    config: ClientConfig,
    client_id: String,
    client_ip: IpAddr,
    pool: ConnectionPool<ClientRequestHandler>,
    routes: RwLock<HashMap<String, Arc<TopicRoute>>>,
    /// brokerName → brokerId → address, merged from every route seen.
    brokers: RwLock<HashMap<String, BTreeMap<i64, String>>>,
    producers: Mutex<HashMap<String, Weak<dyn ProducerHandle>>>,
    consumers: Mutex<HashMap<String, Weak<dyn ConsumerHandle>>>,
    namesrv_next: AtomicUsize,
    shutdown: CancellationToken,
    heartbeat_kick: Arc<Notify>,
}

fn instances() -> &'static Mutex<HashMap<String, Weak<ClientInstance>>> {
    static INSTANCES: OnceLock<Mutex<HashMap<String, Weak<ClientInstance>>>> = OnceLock::new();
    INSTANCES.get_or_init(Default::default)
}

impl ClientInstance {
    /// The live instance for this configuration's client id and name servers, or a new one (which starts its route refresh and
    /// heartbeat tasks). Must run inside a tokio runtime.
    pub async fn obtain(config: &ClientConfig) -> Result<Arc<ClientInstance>> {
        config.validate()?;
        let ip = match &config.client_ip {
            Some(ip) => ip.parse().map_err(|_| {
                ClientError::Config(format!("client ip {ip:?} is not an IP address"))
            })?,
            None => client_ip::detect(&config.namesrv_addrs).await,
        };
        let client_id = format!("{ip}@{}", config.instance_name);
        // One instance per client id and name-server set: the same client id may talk to two clusters.
        let key = format!("{client_id}|{}", config.namesrv_addrs.join(";"));
        let mut table = instances().lock();
        if let Some(existing) = table.get(&key).and_then(Weak::upgrade) {
            return Ok(existing);
        }
        // Message ids carry the client IP; first instance of the process decides it.
        ferrocket_protocol::message::UniqKeyGenerator::install_global(ip);
        let instance = Arc::new_cyclic(|weak: &Weak<ClientInstance>| ClientInstance {
            pool: ConnectionPool::new(
                Arc::new(ClientRequestHandler::new(weak.clone())),
                config.connect_timeout,
            ),
            config: config.clone(),
            client_id: client_id.clone(),
            client_ip: ip,
            routes: RwLock::new(HashMap::new()),
            brokers: RwLock::new(HashMap::new()),
            producers: Mutex::new(HashMap::new()),
            consumers: Mutex::new(HashMap::new()),
            namesrv_next: AtomicUsize::new(rand::random::<usize>() % config.namesrv_addrs.len()),
            shutdown: CancellationToken::new(),
            heartbeat_kick: Arc::new(Notify::new()),
        });
        table.retain(|_, w| w.strong_count() > 0);
        table.insert(key, Arc::downgrade(&instance));
        drop(table);
        tasks::spawn_all(&instance);
        Ok(instance)
    }

    /// `<ip>@<instanceName>`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn register_producer(
        &self,
        handle: Weak<dyn ProducerHandle>,
        group: &str,
    ) -> Result<()> {
        let mut producers = self.producers.lock();
        if producers.get(group).is_some_and(|w| w.strong_count() > 0) {
            return Err(ClientError::State(format!(
                "producer group {group} is already registered in client {}",
                self.client_id
            )));
        }
        producers.insert(group.to_owned(), handle);
        Ok(())
    }

    pub(crate) fn register_consumer(
        &self,
        handle: Weak<dyn ConsumerHandle>,
        group: &str,
    ) -> Result<()> {
        let mut consumers = self.consumers.lock();
        if consumers.get(group).is_some_and(|w| w.strong_count() > 0) {
            return Err(ClientError::State(format!(
                "consumer group {group} is already registered in client {} (use another instance name)",
                self.client_id
            )));
        }
        consumers.insert(group.to_owned(), handle);
        Ok(())
    }

    pub(crate) fn producer(&self, group: &str) -> Option<Arc<dyn ProducerHandle>> {
        self.producers.lock().get(group).and_then(Weak::upgrade)
    }

    pub(crate) fn consumer(&self, group: &str) -> Option<Arc<dyn ConsumerHandle>> {
        self.consumers.lock().get(group).and_then(Weak::upgrade)
    }

    pub(crate) fn live_consumers(&self) -> Vec<Arc<dyn ConsumerHandle>> {
        let mut consumers = self.consumers.lock();
        consumers.retain(|_, w| w.strong_count() > 0);
        consumers.values().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn live_producer_groups(&self) -> Vec<String> {
        let mut producers = self.producers.lock();
        producers.retain(|_, w| w.strong_count() > 0);
        producers.keys().cloned().collect()
    }

    /// Removes a producer group and tells every broker (UNREGISTER_CLIENT).
    pub(crate) async fn unregister_producer(&self, group: &str) {
        self.producers.lock().remove(group);
        self.unregister_client(Some(group), None).await;
    }

    /// Removes a consumer group and tells every broker (UNREGISTER_CLIENT), which makes them notify the rest of
    /// the group.
    pub(crate) async fn unregister_consumer(&self, group: &str) {
        self.consumers.lock().remove(group);
        self.unregister_client(None, Some(group)).await;
    }

    /// Sends a heartbeat to every broker now (instead of at the next tick).
    pub(crate) fn heartbeat_soon(&self) {
        self.heartbeat_kick.notify_one();
    }
}

impl Drop for ClientInstance {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.pool.close_all();
    }
}
