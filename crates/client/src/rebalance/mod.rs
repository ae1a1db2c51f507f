//! Rebalancing: which queues of a topic this consumer owns. Every member of a group computes its own share from
//! the same inputs (the topic's readable queues and the group's member list as a broker reports it), every
//! 20 s and whenever a broker says the member list changed.

mod md5;
pub mod strategy;

use std::collections::BTreeSet;

use ferrocket_protocol::body::{MessageModel, MessageQueue, MASTER_ID};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
pub use strategy::{
    AllocateAveragely, AllocateAveragelyByCircle, AllocateByConfig, AllocateConsistentHash,
    AllocateStrategy,
};

/// The queues of `topic` this client should own in `group`. Broadcasting: all readable queues. Clustering: its
/// share by `strategy`.
pub(crate) async fn allocate_topic(
    instance: &ClientInstance,
    group: &str,
    model: MessageModel,
    strategy: &dyn AllocateStrategy,
    topic: &str,
) -> Result<BTreeSet<MessageQueue>> {
    let route = match instance.route(topic) {
        Some(r) => r,
        None => instance.update_route(topic).await?,
    };
    let queues = route.subscribe.clone();
    if model == MessageModel::Broadcasting {
        return Ok(queues.into_iter().collect());
    }
    // Any broker of the topic knows the group's members; prefer masters, start at a random one.
    let mut addrs: Vec<(bool, String)> = route
        .data
        .broker_datas
        .iter()
        .flat_map(|b| {
            b.broker_addrs
                .iter()
                .map(|(id, a)| (*id != MASTER_ID, a.clone()))
        })
        .collect();
    if addrs.is_empty() {
        return Err(ClientError::NoRoute(topic.to_owned()));
    }
    addrs.sort();
    let masters = addrs.iter().filter(|(slave, _)| !slave).count().max(1);
    addrs[..masters].rotate_left(rand::random::<usize>() % masters);
    let mut last_err = None;
    for (_, addr) in &addrs {
        match instance.consumer_ids(addr, group).await {
            Ok(mut ids) => {
                ids.sort();
                ids.dedup();
                if !ids.iter().any(|c| c == instance.client_id()) {
                    // The broker has not seen our heartbeat yet; own nothing rather than overlap.
                    tracing::debug!(
                        group,
                        topic,
                        "this client is not yet in the group's member list"
                    );
                    instance.heartbeat_soon();
                    return Ok(BTreeSet::new());
                }
                return Ok(strategy
                    .allocate(group, instance.client_id(), &queues, &ids)
                    .into_iter()
                    .collect());
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| ClientError::NoRoute(topic.to_owned())))
}
