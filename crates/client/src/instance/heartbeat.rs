//! HEART_BEAT to every broker (remoting-protocol.md §7.3) and UNREGISTER_CLIENT.

use ferrocket_protocol::body::{HeartbeatData, ProducerData, MASTER_ID};
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::header::UnregisterClientRequestHeader;

use super::ClientInstance;

/// The producer group the client uses internally (retry fallback sends); Java clients always report it.
pub(crate) const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";

impl ClientInstance {
    /// This client's heartbeat body, or `None` when it has neither producers nor consumers.
    pub(crate) fn heartbeat_data(&self) -> Option<HeartbeatData> {
        let consumers = self.live_consumers();
        let mut producer_groups = self.live_producer_groups();
        if consumers.is_empty() && producer_groups.is_empty() {
            return None;
        }
        producer_groups.push(CLIENT_INNER_PRODUCER_GROUP.to_owned());
        producer_groups.sort();
        producer_groups.dedup();
        Some(HeartbeatData {
            client_id: self.client_id.clone(),
            consumer_data_set: consumers.iter().map(|c| c.consumer_data()).collect(),
            heartbeat_fingerprint: 0,
            producer_data_set: producer_groups
                .into_iter()
                .map(|group_name| ProducerData { group_name })
                .collect(),
            without_sub: false,
        })
    }

    /// Sends the heartbeat to every known broker (slaves only when there are consumers, as Java does). Returns
    /// how many brokers accepted it.
    pub(crate) async fn send_heartbeat_to_all(&self) -> usize {
        let Some(data) = self.heartbeat_data() else {
            return 0;
        };
        let with_consumers = !data.consumer_data_set.is_empty();
        let body = bytes::Bytes::from(data.encode());
        let timeout = self.config.api_timeout;
        let calls = self
            .all_broker_addrs()
            .into_iter()
            .filter(|(_, id, _)| with_consumers || *id == MASTER_ID)
            .map(|(name, _, addr)| {
                let req = self
                    .request(request_code::HEART_BEAT)
                    .with_body(body.clone());
                async move {
                    match self.invoke_ok(&addr, req, timeout).await {
                        Ok(_) => true,
                        Err(e) => {
                            tracing::warn!(broker = name, addr, error = %e, "heartbeat failed");
                            false
                        }
                    }
                }
            });
        futures::future::join_all(calls)
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count()
    }

    /// UNREGISTER_CLIENT for one group on every known broker.
    pub(crate) async fn unregister_client(
        &self,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) {
        let header = UnregisterClientRequestHeader {
            client_id: self.client_id.clone(),
            producer_group: producer_group.map(str::to_owned),
            consumer_group: consumer_group.map(str::to_owned),
        };
        let timeout = self.config.api_timeout;
        let calls = self.all_broker_addrs().into_iter().map(|(_, _, addr)| {
            let req = self.request_with(request_code::UNREGISTER_CLIENT, &header);
            async move {
                if let Err(e) = self.invoke_ok(&addr, req, timeout).await {
                    tracing::debug!(addr, error = %e, "unregister failed");
                }
            }
        });
        futures::future::join_all(calls).await;
    }
}
