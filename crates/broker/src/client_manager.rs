//! Producer and consumer groups: which clients are connected, over which connection, with which subscriptions
//! (registered by HEART_BEAT, removed by UNREGISTER_CLIENT, by the connection closing, or after
//! `channelExpiredTimeout` without a heartbeat).
//!
//! When a consumer group's membership (or its subscription set) changes, every member still connected gets a
//! oneway NOTIFY_CONSUMER_IDS_CHANGED so it rebalances at once (§7.3, §7.7) — if the broker's
//! `notifyConsumerIdsChangedEnable` and the group's flag allow it (both remembered from the last heartbeat).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerConnection, MessageModel, SubscriptionData,
};
use ferrocket_protocol::codes::{request_code, LanguageCode};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::NotifyConsumerIdsChangedRequestHeader;
use ferrocket_remoting::Connection;
use parking_lot::RwLock;

/// One client as seen over one connection.
#[derive(Debug, Clone)]
pub struct ClientChannel {
    pub conn: Arc<Connection>,
    pub client_id: String,
    pub language: LanguageCode,
    pub version: i32,
    pub last_update: Instant,
    /// Heartbeat-v2 fingerprint of the last full heartbeat (0 = none).
    pub fingerprint: i32,
}

impl ClientChannel {
    pub fn new(
        conn: Arc<Connection>,
        client_id: &str,
        language: LanguageCode,
        version: i32,
    ) -> Self {
        Self {
            conn,
            client_id: client_id.to_string(),
            language,
            version,
            last_update: Instant::now(),
            fingerprint: 0,
        }
    }

    fn to_body(&self) -> ferrocket_protocol::body::Connection {
        ferrocket_protocol::body::Connection {
            client_addr: self.conn.peer_addr().to_string(),
            client_id: self.client_id.clone(),
            language: self.language.name().to_string(),
            version: self.version,
        }
    }
}

/// A consumer group's live members and merged subscriptions.
#[derive(Debug, Clone)]
pub struct ConsumerGroupInfo {
    pub group: String,
    /// Keyed by connection id.
    pub channels: HashMap<u64, ClientChannel>,
    /// topic → subscription (the group's, merged over members as Apache does).
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    /// Send NOTIFY_CONSUMER_IDS_CHANGED on membership changes.
    pub notify: bool,
    pub last_update: Instant,
}

impl ConsumerGroupInfo {
    fn new(group: &str) -> Self {
        Self {
            group: group.to_string(),
            channels: HashMap::new(),
            subscriptions: BTreeMap::new(),
            consume_type: ConsumeType::default(),
            message_model: MessageModel::default(),
            consume_from_where: ConsumeFromWhere::default(),
            notify: true,
            last_update: Instant::now(),
        }
    }

    /// Client ids in a stable order.
    pub fn client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .channels
            .values()
            .map(|c| c.client_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The GET_CONSUMER_CONNECTION_LIST body.
    pub fn to_connection_body(&self) -> ConsumerConnection {
        let mut set: Vec<_> = self.channels.values().map(ClientChannel::to_body).collect();
        set.sort_by(|a, b| {
            a.client_id
                .cmp(&b.client_id)
                .then(a.client_addr.cmp(&b.client_addr))
        });
        ConsumerConnection {
            connection_set: set,
            consume_from_where: self.consume_from_where,
            consume_type: self.consume_type,
            message_model: self.message_model,
            subscription_table: self.subscriptions.clone(),
        }
    }

    /// Apache's merge: new topics are added, known topics are replaced by a newer subVersion, topics the heartbeat
    /// no longer lists are dropped. True when the topic set changed.
    fn update_subscriptions(&mut self, subs: &[SubscriptionData]) -> bool {
        let mut changed = false;
        for s in subs {
            match self.subscriptions.get(&s.topic) {
                None => {
                    self.subscriptions.insert(s.topic.clone(), s.clone());
                    changed = true;
                }
                Some(old) if s.sub_version > old.sub_version => {
                    self.subscriptions.insert(s.topic.clone(), s.clone());
                }
                Some(_) => {}
            }
        }
        let before = self.subscriptions.len();
        self.subscriptions
            .retain(|topic, _| subs.iter().any(|s| &s.topic == topic));
        changed || self.subscriptions.len() != before
    }
}

/// One consumer group of a heartbeat, as the registry takes it.
#[derive(Debug, Clone)]
pub struct ConsumerRegistration<'a> {
    pub group: &'a str,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    /// `None`: a heartbeat-v2 "without subscriptions" — keep what the group has.
    pub subscriptions: Option<&'a [SubscriptionData]>,
    /// Broker and group both allow NOTIFY_CONSUMER_IDS_CHANGED.
    pub notify: bool,
}

/// What [`ClientManager::scan_expired`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExpiredReport {
    /// (group, client id) of expired consumers.
    pub consumers: Vec<(String, String)>,
    /// (group, client id) of expired producers.
    pub producers: Vec<(String, String)>,
}

#[derive(Default)]
struct Registry {
    consumers: HashMap<String, ConsumerGroupInfo>,
    /// group → connection id → channel.
    producers: HashMap<String, HashMap<u64, ClientChannel>>,
}

#[derive(Default)]
pub struct ClientManager {
    inner: RwLock<Registry>,
}

/// Channels to notify after a change, collected under the lock and sent after it is released.
type Notice = (String, Vec<Arc<Connection>>);

impl ClientManager {
    /// The subscription a consumer group registered (by heartbeat) for a topic.
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        self.inner
            .read()
            .consumers
            .get(group)
            .and_then(|g| g.subscriptions.get(topic))
            .cloned()
    }

    /// A copy of a consumer group's state.
    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroupInfo> {
        self.inner.read().consumers.get(group).cloned()
    }

    /// Names of the consumer groups with live members.
    pub fn consumer_groups(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.read().consumers.keys().cloned().collect();
        v.sort();
        v
    }

    /// Consumer groups with live members whose subscriptions include `topic` (QUERY_TOPIC_CONSUME_BY_WHO).
    pub fn groups_subscribed_to(&self, topic: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .inner
            .read()
            .consumers
            .values()
            .filter(|g| g.subscriptions.contains_key(topic))
            .map(|g| g.group.clone())
            .collect();
        v.sort();
        v
    }

    /// Client ids of a consumer group's live members (sorted); empty when none.
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.inner
            .read()
            .consumers
            .get(group)
            .map(ConsumerGroupInfo::client_ids)
            .unwrap_or_default()
    }

    /// Connections of a consumer group's members.
    pub fn consumer_connections(&self, group: &str) -> Vec<Arc<Connection>> {
        self.inner
            .read()
            .consumers
            .get(group)
            .map(|g| g.channels.values().map(|c| c.conn.clone()).collect())
            .unwrap_or_default()
    }

    /// The channel of one consumer (GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY).
    pub fn find_consumer(&self, group: &str, client_id: &str) -> Option<ClientChannel> {
        self.inner.read().consumers.get(group).and_then(|g| {
            g.channels
                .values()
                .find(|c| c.client_id == client_id)
                .cloned()
        })
    }

    /// Live channels of a producer group.
    pub fn producer_channels(&self, group: &str) -> Vec<ClientChannel> {
        self.inner
            .read()
            .producers
            .get(group)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Names of producer groups with live members.
    pub fn producer_groups(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.read().producers.keys().cloned().collect();
        v.sort();
        v
    }

    /// Registers (or refreshes) a producer channel.
    pub fn register_producer(&self, group: &str, channel: ClientChannel) {
        let mut r = self.inner.write();
        let m = r.producers.entry(group.to_string()).or_default();
        match m.get_mut(&channel.conn.id()) {
            Some(existing) => {
                existing.client_id = channel.client_id;
                existing.last_update = channel.last_update;
            }
            None => {
                m.insert(channel.conn.id(), channel);
            }
        }
    }

    /// Removes a producer's channel (UNREGISTER_CLIENT).
    pub fn unregister_producer(&self, group: &str, conn_id: u64) {
        let mut r = self.inner.write();
        if let Some(m) = r.producers.get_mut(group) {
            m.remove(&conn_id);
            if m.is_empty() {
                r.producers.remove(group);
            }
        }
    }

    /// Registers (or refreshes) a consumer channel. Returns true when the group's membership or subscription set
    /// changed (then members are notified if `reg.notify`).
    pub fn register_consumer(&self, reg: ConsumerRegistration<'_>, channel: ClientChannel) -> bool {
        let (changed, notice) = {
            let mut r = self.inner.write();
            let g = r
                .consumers
                .entry(reg.group.to_string())
                .or_insert_with(|| ConsumerGroupInfo::new(reg.group));
            g.consume_type = reg.consume_type;
            g.message_model = reg.message_model;
            g.consume_from_where = reg.consume_from_where;
            g.notify = reg.notify;
            g.last_update = channel.last_update;
            let conn_id = channel.conn.id();
            let new_member = match g.channels.get_mut(&conn_id) {
                Some(existing) => {
                    if existing.client_id != channel.client_id {
                        tracing::warn!(
                            group = reg.group,
                            old = %existing.client_id,
                            new = %channel.client_id,
                            "consumer channel changed client id"
                        );
                        existing.client_id = channel.client_id.clone();
                    }
                    existing.last_update = channel.last_update;
                    existing.language = channel.language;
                    existing.version = channel.version;
                    if reg.subscriptions.is_some() {
                        existing.fingerprint = channel.fingerprint;
                    }
                    false
                }
                None => {
                    g.channels.insert(conn_id, channel);
                    true
                }
            };
            let subs_changed = reg
                .subscriptions
                .map(|subs| g.update_subscriptions(subs))
                .unwrap_or(false);
            let changed = new_member || subs_changed;
            let notice = (changed && g.notify).then(|| {
                (
                    reg.group.to_string(),
                    g.channels.values().map(|c| c.conn.clone()).collect(),
                )
            });
            (changed, notice)
        };
        if let Some(n) = notice {
            send_notices(vec![n]);
        }
        changed
    }

    /// Whether a heartbeat-v2 "without subscriptions" can be accepted for this channel: the broker knows the group,
    /// this connection is a member and its last full heartbeat had the same fingerprint. Otherwise the client must be
    /// told to send its subscriptions again (IS_SUB_CHANGE).
    pub fn knows_fingerprint(&self, group: &str, conn_id: u64, fingerprint: i32) -> bool {
        self.inner
            .read()
            .consumers
            .get(group)
            .and_then(|g| g.channels.get(&conn_id))
            .is_some_and(|c| c.fingerprint == fingerprint && fingerprint != 0)
    }

    /// Removes a consumer's channel (UNREGISTER_CLIENT); remaining members are notified.
    pub fn unregister_consumer(&self, group: &str, conn_id: u64) {
        let notice = {
            let mut r = self.inner.write();
            remove_consumer_channel(&mut r, group, conn_id)
        };
        if let Some(n) = notice {
            send_notices(vec![n]);
        }
    }

    /// Forgets every client of a connection that closed; groups that lose a member are notified.
    pub fn connection_closed(&self, connection_id: u64) {
        let notices = {
            let mut r = self.inner.write();
            let groups: Vec<String> = r
                .consumers
                .iter()
                .filter(|(_, g)| g.channels.contains_key(&connection_id))
                .map(|(name, _)| name.clone())
                .collect();
            let notices: Vec<Notice> = groups
                .iter()
                .filter_map(|g| remove_consumer_channel(&mut r, g, connection_id))
                .collect();
            r.producers.retain(|_, m| {
                m.remove(&connection_id);
                !m.is_empty()
            });
            notices
        };
        send_notices(notices);
    }

    /// Removes channels without a heartbeat for longer than `timeout` as of `now`, closes their connections and
    /// notifies the groups that lost members. Run every 10 s (see [`ClientManager::run_housekeeping`]).
    pub fn scan_expired(&self, now: Instant, timeout: Duration) -> ExpiredReport {
        let expired = |c: &ClientChannel| now.saturating_duration_since(c.last_update) > timeout;
        let mut report = ExpiredReport::default();
        let mut to_close: Vec<Arc<Connection>> = Vec::new();
        let notices = {
            let mut r = self.inner.write();
            let mut victims: Vec<(String, u64)> = Vec::new();
            for (name, g) in &r.consumers {
                for (id, c) in &g.channels {
                    if expired(c) {
                        victims.push((name.clone(), *id));
                        report.consumers.push((name.clone(), c.client_id.clone()));
                        to_close.push(c.conn.clone());
                    }
                }
            }
            let notices: Vec<Notice> = victims
                .iter()
                .filter_map(|(g, id)| remove_consumer_channel(&mut r, g, *id))
                .collect();
            for (name, m) in r.producers.iter_mut() {
                m.retain(|_, c| {
                    if expired(c) {
                        report.producers.push((name.clone(), c.client_id.clone()));
                        to_close.push(c.conn.clone());
                        false
                    } else {
                        true
                    }
                });
            }
            r.producers.retain(|_, m| !m.is_empty());
            notices
        };
        for c in to_close {
            tracing::info!(peer = %c.peer_addr(), "closing client channel idle past channelExpiredTimeout");
            c.close();
        }
        send_notices(notices);
        report.consumers.sort();
        report.producers.sort();
        report
    }

    /// The housekeeping loop: every 10 s, [`Self::scan_expired`] with the broker's current `channelExpiredTimeout`,
    /// until the broker shuts down. For the server to spawn.
    pub async fn run_housekeeping(ctx: Arc<crate::BrokerContext>) {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let timeout = Duration::from_millis(ctx.config().channel_expired_timeout);
            let report = ctx.clients.scan_expired(Instant::now(), timeout);
            if !report.consumers.is_empty() || !report.producers.is_empty() {
                tracing::info!(?report, "expired client channels removed");
            }
        }
    }
}

/// Removes one channel from a consumer group, dropping the group when it empties. Returns the notice for the
/// remaining members when the group still has some and wants notifications.
fn remove_consumer_channel(r: &mut Registry, group: &str, conn_id: u64) -> Option<Notice> {
    let g = r.consumers.get_mut(group)?;
    g.channels.remove(&conn_id)?;
    if g.channels.is_empty() {
        r.consumers.remove(group);
        return None;
    }
    g.notify.then(|| {
        (
            group.to_string(),
            g.channels.values().map(|c| c.conn.clone()).collect(),
        )
    })
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to each listed connection of each group.
fn send_notices(notices: Vec<Notice>) {
    for (group, conns) in notices {
        let header = NotifyConsumerIdsChangedRequestHeader {
            consumer_group: group.clone(),
        };
        for conn in conns {
            let req = RemotingCommand::request_with_header(
                request_code::NOTIFY_CONSUMER_IDS_CHANGED,
                &header,
            );
            if let Err(e) = conn.send_oneway(req) {
                tracing::debug!(group = %group, peer = %conn.peer_addr(), error = %e, "notify consumer ids changed failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(topic: &str, version: i64, expr: &str) -> SubscriptionData {
        SubscriptionData::tag(topic, expr, version)
    }

    #[test]
    fn subscription_merge_follows_apache() {
        let mut g = ConsumerGroupInfo::new("G");
        assert!(g.update_subscriptions(&[sub("A", 1, "*"), sub("B", 1, "*")]));
        // Same topics: no change, even with a newer version (which replaces the expression).
        assert!(!g.update_subscriptions(&[sub("A", 2, "x"), sub("B", 1, "*")]));
        assert_eq!(g.subscriptions["A"].sub_string, "x");
        // An older version does not replace.
        assert!(!g.update_subscriptions(&[sub("A", 1, "old"), sub("B", 1, "*")]));
        assert_eq!(g.subscriptions["A"].sub_string, "x");
        // A topic dropped: change.
        assert!(g.update_subscriptions(&[sub("A", 2, "x")]));
        assert!(!g.subscriptions.contains_key("B"));
    }

    #[test]
    fn empty_registry_answers_nothing() {
        let m = ClientManager::default();
        assert!(m.subscription("G", "T").is_none());
        assert!(m.consumer_ids("G").is_empty());
        m.connection_closed(7);
        let r = m.scan_expired(Instant::now(), Duration::from_secs(1));
        assert_eq!(r, ExpiredReport::default());
    }
}
