//! Name-server configuration: Apache's NamesrvConfig and NettyServerConfig keys with their defaults.

use serde::{Deserialize, Serialize};

/// Keys as in Apache's `namesrv.properties` (`listenPort`, `kvConfigPath`, ...). Unknown keys are ignored with a
/// warning, as Apache ignores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamesrvConfig {
    pub rocketmq_home: String,
    pub kv_config_path: String,
    pub config_store_path: String,
    pub listen_port: u16,
    pub bind_address: String,
    pub order_message_enable: bool,
    pub return_order_topic_config_to_broker: bool,
    /// Liveness scan period, ms.
    pub scan_not_active_broker_interval: u64,
    /// A broker silent for this long is dropped, ms (Apache's fixed 2 minutes, unless the broker's registration says
    /// otherwise in `heartbeatTimeoutMillis`).
    pub broker_channel_expired_time: u64,
    pub enable_all_topic_list: bool,
    pub enable_topic_list: bool,
    pub delete_topic_with_broker_registration: bool,
    pub support_acting_master: bool,
    pub server_channel_max_idle_time_seconds: u64,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
        Self {
            rocketmq_home: std::env::var("ROCKETMQ_HOME").unwrap_or_default(),
            kv_config_path: format!("{home}/namesrv/kvConfig.json"),
            config_store_path: format!("{home}/namesrv/namesrv.properties"),
            listen_port: 9876,
            bind_address: "0.0.0.0".to_string(),
            order_message_enable: false,
            return_order_topic_config_to_broker: true,
            scan_not_active_broker_interval: 5_000,
            broker_channel_expired_time: 120_000,
            enable_all_topic_list: true,
            enable_topic_list: true,
            delete_topic_with_broker_registration: false,
            support_acting_master: false,
            server_channel_max_idle_time_seconds: 120,
        }
    }
}

impl NamesrvConfig {
    pub fn listen_addr(&self) -> String {
        format!("{}:{}", self.bind_address, self.listen_port)
    }
}
