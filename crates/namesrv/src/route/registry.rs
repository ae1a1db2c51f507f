//! Registration, unregistration and expiry of brokers, and the edits admin requests make to the tables.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use super::live::{BrokerLiveInfo, LiveTable};
use super::snapshot::{BrokerGroup, QueueInfo, RouteSnapshot};

const PERM_WRITE: i32 = 2;

#[derive(Debug, Clone)]
pub struct TopicQueues {
    pub topic: String,
    pub queues: QueueInfo,
}

/// One REGISTER_BROKER request, decoded.
#[derive(Debug, Clone)]
pub struct Registration {
    pub cluster: String,
    pub broker_name: String,
    pub broker_addr: String,
    pub broker_id: i64,
    pub ha_server_addr: String,
    pub zone_name: Option<String>,
    pub enable_acting_master: bool,
    pub timeout: Duration,
    pub data_version: (i64, i64, i64),
    /// The broker's topic table; `None` when the request carried no body.
    pub topics: Option<Vec<TopicQueues>>,
    pub connection_id: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationOutcome {
    /// For a slave: its master's address, if the master is registered.
    pub master_addr: Option<String>,
    /// For a slave: its master's HA address.
    pub ha_server_addr: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Unregistration {
    pub cluster: String,
    pub broker_name: String,
    pub broker_addr: String,
    pub broker_id: i64,
}

pub struct RouteRegistry {
    snapshot: ArcSwap<RouteSnapshot>,
    live: Mutex<LiveTable>,
    /// Serializes writers; readers never take it.
    write: Mutex<()>,
    delete_topics_missing_from_registration: bool,
}

impl RouteRegistry {
    pub fn new(delete_topics_missing_from_registration: bool) -> Self {
        Self {
            snapshot: ArcSwap::from_pointee(RouteSnapshot::default()),
            live: Mutex::new(LiveTable::default()),
            write: Mutex::new(()),
            delete_topics_missing_from_registration,
        }
    }

    /// The current tables; never blocks.
    pub fn snapshot(&self) -> Arc<RouteSnapshot> {
        self.snapshot.load_full()
    }

    pub fn live(&self) -> parking_lot::MutexGuard<'_, LiveTable> {
        self.live.lock()
    }

    /// Applies a registration. Only a master's (id 0) topic table creates or changes queue data, and only when its
    /// data version changed or the group is new; an unchanged re-registration only refreshes liveness.
    pub fn register(&self, reg: Registration, now: Instant) -> RegistrationOutcome {
        let _w = self.write.lock();
        let cur = self.snapshot.load_full();
        let mut next: Option<RouteSnapshot> = None;

        if !cur
            .clusters
            .get(&reg.cluster)
            .is_some_and(|s| s.contains(&reg.broker_name))
        {
            edit(&mut next, &cur)
                .clusters
                .entry(reg.cluster.clone())
                .or_default()
                .insert(reg.broker_name.clone());
        }

        let existing = cur.brokers.get(&reg.broker_name);
        let register_first = existing.is_none();
        let mut group = existing.cloned().unwrap_or_else(|| BrokerGroup {
            cluster: reg.cluster.clone(),
            broker_name: reg.broker_name.clone(),
            addrs: BTreeMap::new(),
            zone_name: None,
            enable_acting_master: false,
        });
        group.enable_acting_master = reg.enable_acting_master;
        if reg.zone_name.is_some() {
            group.zone_name = reg.zone_name.clone();
        }
        // The same ip:port re-registering under another id replaces its old id.
        group
            .addrs
            .retain(|id, addr| *id == reg.broker_id || *addr != reg.broker_addr);
        group.addrs.insert(reg.broker_id, reg.broker_addr.clone());
        if existing != Some(&group) {
            edit(&mut next, &cur)
                .brokers
                .insert(reg.broker_name.clone(), group.clone());
        }

        let mut live = self.live.lock();
        let key = (reg.cluster.clone(), reg.broker_addr.clone());
        let version_changed = live
            .entries
            .get(&key)
            .is_none_or(|p| p.data_version != reg.data_version);
        if reg.broker_id == 0 && (version_changed || register_first) {
            if let Some(topics) = &reg.topics {
                for t in topics {
                    let same = current(&next, &cur)
                        .topics
                        .get(&t.topic)
                        .and_then(|m| m.get(&reg.broker_name))
                        == Some(&t.queues);
                    if !same {
                        edit(&mut next, &cur)
                            .topics
                            .entry(t.topic.clone())
                            .or_default()
                            .insert(reg.broker_name.clone(), t.queues);
                    }
                }
                if self.delete_topics_missing_from_registration {
                    let keep: std::collections::HashSet<&str> =
                        topics.iter().map(|t| t.topic.as_str()).collect();
                    let stale: Vec<String> = current(&next, &cur)
                        .topics
                        .iter()
                        .filter(|(name, m)| {
                            m.contains_key(&reg.broker_name) && !keep.contains(name.as_str())
                        })
                        .map(|(name, _)| name.clone())
                        .collect();
                    for name in stale {
                        remove_broker_from_topic(edit(&mut next, &cur), &name, &reg.broker_name);
                    }
                }
            }
        }

        live.entries.insert(
            key,
            BrokerLiveInfo {
                broker_name: reg.broker_name.clone(),
                broker_id: reg.broker_id,
                last_update: now,
                timeout: reg.timeout,
                data_version: reg.data_version,
                ha_server_addr: reg.ha_server_addr.clone(),
                connection_id: reg.connection_id,
            },
        );

        let mut outcome = RegistrationOutcome::default();
        if reg.broker_id != 0 {
            if let Some(master) = group.addrs.get(&0) {
                outcome.master_addr = Some(master.clone());
                outcome.ha_server_addr = live
                    .get(&reg.cluster, master)
                    .map(|l| l.ha_server_addr.clone());
            }
        }
        drop(live);
        if let Some(n) = next {
            self.snapshot.store(Arc::new(n));
        }
        outcome
    }

    /// Removes one broker process. A group left without addresses disappears with its queue data; a group whose
    /// master left but whose slaves remain stays readable.
    pub fn unregister(&self, un: &Unregistration) {
        let _w = self.write.lock();
        self.live
            .lock()
            .entries
            .remove(&(un.cluster.clone(), un.broker_addr.clone()));
        let cur = self.snapshot.load_full();
        let Some(group) = cur.brokers.get(&un.broker_name) else {
            return;
        };
        if group.addrs.get(&un.broker_id) != Some(&un.broker_addr) {
            return;
        }
        let mut next = (*cur).clone();
        let emptied = match next.brokers.get_mut(&un.broker_name) {
            Some(g) => {
                g.addrs.remove(&un.broker_id);
                g.addrs.is_empty()
            }
            None => false,
        };
        if emptied {
            next.brokers.remove(&un.broker_name);
            if let Some(names) = next.clusters.get_mut(&un.cluster) {
                names.remove(&un.broker_name);
                if names.is_empty() {
                    next.clusters.remove(&un.cluster);
                }
            }
            let topics: Vec<String> = next.topics.keys().cloned().collect();
            for t in topics {
                remove_broker_from_topic(&mut next, &t, &un.broker_name);
            }
        }
        self.snapshot.store(Arc::new(next));
    }

    /// Unregisters every broker whose last registration or heartbeat is older than its timeout; returns them.
    pub fn expire(&self, now: Instant) -> Vec<Unregistration> {
        let expired = self.live.lock().expired(now);
        self.remove_all(expired)
    }

    /// Unregisters every broker that registered over a connection that just closed.
    pub fn connection_closed(&self, connection_id: u64) -> Vec<Unregistration> {
        let gone = self.live.lock().on_connection(connection_id);
        self.remove_all(gone)
    }

    fn remove_all(&self, list: Vec<((String, String), BrokerLiveInfo)>) -> Vec<Unregistration> {
        let mut out = Vec::with_capacity(list.len());
        for ((cluster, addr), info) in list {
            let un = Unregistration {
                cluster,
                broker_name: info.broker_name,
                broker_addr: addr,
                broker_id: info.broker_id,
            };
            self.unregister(&un);
            out.push(un);
        }
        out
    }

    /// Clears (`wipe`) or sets the write permission on every queue of a broker group; returns how many topics changed.
    pub fn set_write_perm(&self, broker_name: &str, writable: bool) -> i32 {
        let _w = self.write.lock();
        let cur = self.snapshot.load_full();
        let mut next = (*cur).clone();
        let mut count = 0;
        for per_broker in next.topics.values_mut() {
            if let Some(q) = per_broker.get_mut(broker_name) {
                q.perm = if writable {
                    q.perm | PERM_WRITE
                } else {
                    q.perm & !PERM_WRITE
                };
                count += 1;
            }
        }
        if next != *cur {
            self.snapshot.store(Arc::new(next));
        }
        count
    }

    /// Deletes a topic everywhere, or only from the brokers of `cluster` when given.
    pub fn delete_topic(&self, topic: &str, cluster: Option<&str>) {
        let _w = self.write.lock();
        let cur = self.snapshot.load_full();
        if !cur.topics.contains_key(topic) {
            return;
        }
        let mut next = (*cur).clone();
        match cluster.and_then(|c| cur.clusters.get(c)) {
            Some(names) => {
                for name in names {
                    remove_broker_from_topic(&mut next, topic, name);
                }
            }
            None if cluster.is_some() => return,
            None => {
                next.topics.remove(topic);
            }
        }
        self.snapshot.store(Arc::new(next));
    }

    /// The stored data version of a broker, refreshing its liveness (QUERY_DATA_VERSION does both).
    pub fn query_data_version(
        &self,
        cluster: &str,
        addr: &str,
        now: Instant,
    ) -> Option<(i64, i64, i64)> {
        let mut live = self.live.lock();
        live.touch(cluster, addr, now);
        live.get(cluster, addr).map(|l| l.data_version)
    }

    /// BROKER_HEARTBEAT: refreshes liveness only.
    pub fn heartbeat(&self, cluster: &str, addr: &str, now: Instant) -> bool {
        self.live.lock().touch(cluster, addr, now)
    }
}

fn edit<'a>(next: &'a mut Option<RouteSnapshot>, cur: &RouteSnapshot) -> &'a mut RouteSnapshot {
    next.get_or_insert_with(|| cur.clone())
}

fn current<'a>(next: &'a Option<RouteSnapshot>, cur: &'a RouteSnapshot) -> &'a RouteSnapshot {
    next.as_ref().unwrap_or(cur)
}

fn remove_broker_from_topic(s: &mut RouteSnapshot, topic: &str, broker_name: &str) {
    if let Some(m) = s.topics.get_mut(topic) {
        m.remove(broker_name);
        if m.is_empty() {
            s.topics.remove(topic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i32, perm: i32) -> QueueInfo {
        QueueInfo {
            read_queue_nums: n,
            write_queue_nums: n,
            perm,
            topic_sys_flag: 0,
        }
    }

    fn reg(name: &str, addr: &str, id: i64, topics: &[(&str, i32)], version: i64) -> Registration {
        Registration {
            cluster: "C".into(),
            broker_name: name.into(),
            broker_addr: addr.into(),
            broker_id: id,
            ha_server_addr: format!("{addr}-ha"),
            zone_name: None,
            enable_acting_master: false,
            timeout: Duration::from_secs(120),
            data_version: (0, version, 1),
            topics: Some(
                topics
                    .iter()
                    .map(|(t, n)| TopicQueues {
                        topic: t.to_string(),
                        queues: q(*n, 6),
                    })
                    .collect(),
            ),
            connection_id: id as u64 + 1,
        }
    }

    #[test]
    fn master_creates_queues_slave_only_listed() {
        let r = RouteRegistry::new(false);
        let now = Instant::now();
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4)], 1), now);
        let out = r.register(reg("a", "1.1.1.2:10911", 1, &[("T", 8), ("S", 2)], 1), now);
        assert_eq!(out.master_addr.as_deref(), Some("1.1.1.1:10911"));
        assert_eq!(out.ha_server_addr.as_deref(), Some("1.1.1.1:10911-ha"));
        let s = r.snapshot();
        assert_eq!(s.topics["T"]["a"], q(4, 6));
        assert!(
            !s.topics.contains_key("S"),
            "a slave's table must not create queue data"
        );
        assert_eq!(s.brokers["a"].addrs.len(), 2);
        assert!(s.clusters["C"].contains("a"));
    }

    #[test]
    fn unchanged_reregistration_does_not_swap_snapshot() {
        let r = RouteRegistry::new(false);
        let now = Instant::now();
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4)], 1), now);
        let before = r.snapshot();
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4)], 1), now);
        assert!(Arc::ptr_eq(&before, &r.snapshot()));
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4), ("U", 1)], 2), now);
        assert!(r.snapshot().topics.contains_key("U"));
    }

    #[test]
    fn same_addr_new_id_replaces_old_id() {
        let r = RouteRegistry::new(false);
        let now = Instant::now();
        r.register(reg("a", "1.1.1.2:10911", 1, &[], 1), now);
        r.register(reg("a", "1.1.1.2:10911", 2, &[], 1), now);
        let addrs = &r.snapshot().brokers["a"].addrs;
        assert_eq!(addrs.len(), 1);
        assert!(addrs.contains_key(&2));
    }

    #[test]
    fn expiry_and_master_loss_keep_group_readable() {
        let r = RouteRegistry::new(false);
        let t0 = Instant::now();
        let mut m = reg("a", "1.1.1.1:10911", 0, &[("T", 4)], 1);
        m.timeout = Duration::from_secs(1);
        r.register(m, t0);
        r.register(reg("a", "1.1.1.2:10911", 1, &[], 1), t0);
        let gone = r.expire(t0 + Duration::from_secs(5));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].broker_id, 0);
        let s = r.snapshot();
        assert!(s.topics.contains_key("T"), "the slave still serves reads");
        assert_eq!(
            s.brokers["a"].addrs.keys().copied().collect::<Vec<_>>(),
            vec![1]
        );
        r.connection_closed(2);
        let s = r.snapshot();
        assert!(s.brokers.is_empty() && s.topics.is_empty() && s.clusters.is_empty());
    }

    #[test]
    fn perms_and_topic_deletion() {
        let r = RouteRegistry::new(false);
        let now = Instant::now();
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4), ("U", 4)], 1), now);
        assert_eq!(r.set_write_perm("a", false), 2);
        assert_eq!(r.snapshot().topics["T"]["a"].perm, 4);
        assert_eq!(r.set_write_perm("a", true), 2);
        assert_eq!(r.snapshot().topics["T"]["a"].perm, 6);
        r.delete_topic("T", Some("other-cluster"));
        assert!(r.snapshot().topics.contains_key("T"));
        r.delete_topic("T", Some("C"));
        assert!(!r.snapshot().topics.contains_key("T"));
        r.delete_topic("U", None);
        assert!(r.snapshot().topics.is_empty());
    }

    #[test]
    fn delete_topics_missing_from_registration_when_enabled() {
        let r = RouteRegistry::new(true);
        let now = Instant::now();
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4), ("U", 4)], 1), now);
        r.register(reg("a", "1.1.1.1:10911", 0, &[("T", 4)], 2), now);
        assert!(!r.snapshot().topics.contains_key("U"));
    }
}
