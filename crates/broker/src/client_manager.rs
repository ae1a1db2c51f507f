//! Producer and consumer groups: which clients are connected, over which connection, with which subscriptions.
//! OWNER: broker-management helper. Minimal scaffold; to be completed.

use ferrocket_protocol::body::SubscriptionData;

#[derive(Default)]
pub struct ClientManager {}

impl ClientManager {
    /// The subscription a consumer group registered (by heartbeat) for a topic.
    pub fn subscription(&self, _group: &str, _topic: &str) -> Option<SubscriptionData> {
        None
    }

    /// Forgets every client of a connection that closed.
    pub fn connection_closed(&self, _connection_id: u64) {}
}
