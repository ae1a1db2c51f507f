//! The instance's periodic work: route refresh and heartbeats. Tasks hold only a weak reference, so an instance
//! nobody uses any more is dropped (which cancels them).

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use super::ClientInstance;

pub(super) fn spawn_all(instance: &Arc<ClientInstance>) {
    let weak = Arc::downgrade(instance);
    let token = instance.shutdown.clone();
    let period = instance.config.poll_namesrv_interval;
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            _ = refresh_routes_loop(weak, period) => {}
        }
    });

    let weak = Arc::downgrade(instance);
    let token = instance.shutdown.clone();
    let period = instance.config.heartbeat_interval;
    let kick = instance.heartbeat_kick.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            _ = heartbeat_loop(weak, kick, period) => {}
        }
    });
}

async fn refresh_routes_loop(weak: Weak<ClientInstance>, period: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        let Some(instance) = weak.upgrade() else {
            return;
        };
        instance.refresh_all_routes().await;
    }
}

async fn heartbeat_loop(weak: Weak<ClientInstance>, kick: Arc<Notify>, period: Duration) {
    let first = tokio::time::Instant::now() + Duration::from_secs(1);
    let mut tick = tokio::time::interval_at(first, period);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = kick.notified() => {}
        }
        let Some(instance) = weak.upgrade() else {
            return;
        };
        instance.send_heartbeat_to_all().await;
    }
}

impl ClientInstance {
    /// Refreshes every cached route and every subscribed topic's route.
    pub(crate) async fn refresh_all_routes(&self) {
        let mut topics: BTreeSet<String> = self.routed_topics().into_iter().collect();
        for c in self.live_consumers() {
            topics.extend(c.subscribed_topics());
        }
        for topic in topics {
            if let Err(e) = self.update_route(&topic).await {
                tracing::debug!(topic, error = %e, "route refresh failed");
            }
        }
    }
}
