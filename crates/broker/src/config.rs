//! Broker configuration: Apache's BrokerConfig, NettyServerConfig and MessageStoreConfig keys in one flat table, as
//! Apache's `broker.conf` mixes them. Store keys live in [`StoreConfig`] (flattened), everything else here.

use ferrocket_store::StoreConfig;
use serde::{Deserialize, Serialize};

use crate::schedule::timer_config;

/// Old key spellings Apache once used, mapped to today's.
pub const KEY_ALIASES: &[(&str, &str)] = &[
    ("mapedFileSizeCommitLog", "mappedFileSizeCommitLog"),
    ("mapedFileSizeConsumeQueue", "mappedFileSizeConsumeQueue"),
];

/// Keys UPDATE_BROKER_CONFIG may not change (Apache's black list plus what only takes effect at start).
pub const REMOTE_CHANGE_BLACKLIST: &[&str] = &[
    "brokerConfigPath",
    "configBlackList",
    "storePathRootDir",
    "storePathCommitLog",
    "listenPort",
    "bindAddress",
    "brokerName",
    "brokerClusterName",
    "brokerId",
    "brokerRole",
    "mappedFileSizeCommitLog",
    "mappedFileSizeConsumeQueue",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerConfig {
    // Identity and network.
    pub broker_cluster_name: String,
    pub broker_name: String,
    pub broker_id: i64,
    /// `;`-separated name server addresses.
    pub namesrv_addr: String,
    pub listen_port: u16,
    /// Address advertised in routes and message ids. Ferrocket defaults it to 127.0.0.1 (Apache: first non-loopback
    /// address); a broker on another host must set it.
    #[serde(rename = "brokerIP1")]
    pub broker_ip1: String,
    #[serde(rename = "brokerIP2")]
    pub broker_ip2: String,
    pub bind_address: String,
    /// Also serve on listenPort − 2, the "VIP channel" older clients use.
    pub enable_vip_channel: bool,
    pub ha_listen_port: u16,
    pub server_channel_max_idle_time_seconds: u64,
    pub register_name_server_period: u64,
    pub register_broker_timeout_mills: u64,
    pub force_register: bool,
    pub compressed_register: bool,
    pub broker_permission: i32,
    pub region_id: String,
    pub trace_on: bool,
    pub broker_config_path: String,

    // Topics, groups, features.
    pub auto_create_topic_enable: bool,
    pub default_topic_queue_nums: i32,
    pub auto_create_subscription_group: bool,
    pub cluster_topic_enable: bool,
    pub broker_topic_enable: bool,
    pub trace_topic_enable: bool,
    pub msg_trace_topic_name: String,
    /// Sends that may run their append step at once (Apache's send thread pool size).
    pub send_message_thread_pool_nums: usize,
    /// Pulls that may read the store at once (Apache's pull thread pool size).
    pub pull_message_thread_pool_nums: usize,
    /// Sends in flight (running or queued) before new ones get SYSTEM_BUSY `[OVERLOAD]`.
    pub send_thread_pool_queue_capacity: usize,
    /// Pulls in flight (parked long polls excluded) before new ones get SYSTEM_BUSY `[OVERLOAD]`.
    pub pull_thread_pool_queue_capacity: usize,
    /// Every other request in flight before new ones get SYSTEM_BUSY `[OVERLOAD]`.
    pub admin_broker_thread_pool_queue_capacity: usize,
    pub broker_fast_failure_enable: bool,
    pub wait_time_mills_in_send_queue: u64,
    pub wait_time_mills_in_pull_queue: u64,
    pub long_polling_enable: bool,
    pub short_polling_time_mills: u64,
    pub notify_consumer_ids_changed_enable: bool,
    pub enable_property_filter: bool,
    pub filter_support_retry: bool,
    pub reject_transaction_message: bool,
    pub transaction_time_out: u64,
    pub transaction_check_max: i32,
    pub transaction_check_interval: u64,
    pub flush_consumer_offset_interval: u64,
    pub channel_expired_timeout: u64,
    pub use_server_side_reset_offset: bool,
    pub enable_split_metadata: bool,
    pub split_metadata_size: i32,
    pub lite_pull_message_enable: bool,
    pub store_reply_message_enable: bool,
    pub max_transfer_bytes_on_message_in_memory: u32,
    pub max_transfer_count_on_message_in_memory: u32,
    pub default_query_max_num: i32,
    pub slave_read_enable: bool,
    pub offset_check_in_slave: bool,

    // Scheduled delivery (Apache keeps these in MessageStoreConfig; all apply without a restart).
    /// Whether timer messages (`TIMER_DELIVER_MS` / `TIMER_DELAY_SEC` / `TIMER_DELAY_MS`) are accepted.
    pub timer_wheel_enable: bool,
    /// Longest accepted timer delay in seconds; a longer one is refused with MESSAGE_ILLEGAL.
    pub timer_max_delay_sec: u64,
    /// Ferrocket delivers a timer at its due time, never before (Apache rounds the due time down to this step and
    /// so may deliver up to one step early). Here it is the lateness beyond which a delivery is logged and counted
    /// as late. At least 1.
    #[serde(deserialize_with = "at_least::<1, _>")]
    pub timer_precision_ms: u64,
    /// How often (ms) delay-level offsets and the timer progress are written to disk. At least 100.
    #[serde(deserialize_with = "at_least::<100, _>")]
    pub flush_delay_offset_interval: u64,
    /// Ferrocket's own key: a timer due more than this (ms) after it was parked is parked again (a fresh copy) at
    /// that point, so commit-log retention never removes a timer that is not yet due. Keep it well below
    /// `fileReservedTime`. At least 1000.
    #[serde(deserialize_with = "at_least::<1000, _>")]
    pub timer_roll_interval_ms: u64,

    #[serde(flatten)]
    pub store: StoreConfig,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
        let store = StoreConfig {
            store_path_root_dir: format!("{home}/store"),
            ..StoreConfig::default()
        };
        Self {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: default_broker_name(),
            broker_id: 0,
            namesrv_addr: std::env::var("NAMESRV_ADDR").unwrap_or_default(),
            listen_port: 10911,
            broker_ip1: "127.0.0.1".into(),
            broker_ip2: "127.0.0.1".into(),
            bind_address: "0.0.0.0".into(),
            enable_vip_channel: true,
            ha_listen_port: 10912,
            server_channel_max_idle_time_seconds: 120,
            register_name_server_period: 30_000,
            register_broker_timeout_mills: 24_000,
            force_register: true,
            compressed_register: false,
            broker_permission: 6,
            region_id: "DefaultRegion".into(),
            trace_on: true,
            broker_config_path: String::new(),
            auto_create_topic_enable: true,
            default_topic_queue_nums: 8,
            auto_create_subscription_group: true,
            cluster_topic_enable: true,
            broker_topic_enable: true,
            trace_topic_enable: false,
            msg_trace_topic_name: "RMQ_SYS_TRACE_TOPIC".into(),
            send_message_thread_pool_nums: cpus().min(4),
            pull_message_thread_pool_nums: 16 + 2 * cpus(),
            send_thread_pool_queue_capacity: 10_000,
            pull_thread_pool_queue_capacity: 100_000,
            admin_broker_thread_pool_queue_capacity: 10_000,
            broker_fast_failure_enable: true,
            wait_time_mills_in_send_queue: 200,
            wait_time_mills_in_pull_queue: 5_000,
            long_polling_enable: true,
            short_polling_time_mills: 1_000,
            notify_consumer_ids_changed_enable: true,
            enable_property_filter: false,
            filter_support_retry: false,
            reject_transaction_message: false,
            transaction_time_out: 6_000,
            transaction_check_max: 15,
            transaction_check_interval: 30_000,
            flush_consumer_offset_interval: 5_000,
            channel_expired_timeout: 120_000,
            use_server_side_reset_offset: true,
            enable_split_metadata: true,
            split_metadata_size: 2_000,
            lite_pull_message_enable: true,
            store_reply_message_enable: true,
            max_transfer_bytes_on_message_in_memory: 256 * 1024,
            max_transfer_count_on_message_in_memory: 32,
            default_query_max_num: 32,
            slave_read_enable: false,
            offset_check_in_slave: false,
            timer_wheel_enable: true,
            timer_max_delay_sec: timer_config::DEFAULT_TIMER_MAX_DELAY_SEC,
            timer_precision_ms: timer_config::DEFAULT_TIMER_PRECISION_MS,
            flush_delay_offset_interval: timer_config::DEFAULT_FLUSH_DELAY_OFFSET_INTERVAL_MS,
            timer_roll_interval_ms: timer_config::DEFAULT_TIMER_ROLL_INTERVAL_MS,
            store,
        }
    }
}

/// A number that must not be below `MIN`; the error names the bound (the caller's error names the key).
fn at_least<'de, const MIN: u64, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v < MIN {
        return Err(serde::de::Error::custom(format!(
            "must be at least {MIN}, got {v}"
        )));
    }
    Ok(v)
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn default_broker_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "DEFAULT_BROKER".to_string())
}

impl BrokerConfig {
    /// `brokerIP1:listenPort`, the address clients and name servers know this broker by.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, self.listen_port)
    }

    /// `brokerIP2:haListenPort`.
    pub fn ha_server_addr(&self) -> String {
        format!("{}:{}", self.broker_ip2, self.ha_listen_port)
    }

    /// Name server addresses from `namesrvAddr`.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv_addr
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    /// Fixes up derived values after loading: masters have id 0, the HA port follows the listen port unless set.
    pub fn normalize(&mut self, ha_port_explicit: bool) {
        if !ha_port_explicit {
            self.ha_listen_port = self.listen_port.wrapping_add(1);
        }
        if matches!(
            self.store.broker_role,
            ferrocket_store::BrokerRole::AsyncMaster | ferrocket_store::BrokerRole::SyncMaster
        ) {
            self.broker_id = 0;
        }
    }

    pub fn is_slave(&self) -> bool {
        self.store.broker_role == ferrocket_store::BrokerRole::Slave
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache_keys_apply_including_store_keys_and_old_spellings() {
        let props = ferrocket_config::parse_properties(
            "brokerClusterName=C1\nbrokerName=broker-a\nlistenPort=20911\nbrokerIP1=10.0.0.5\n\
             mapedFileSizeCommitLog=1048576\nflushDiskType=SYNC_FLUSH\nbrokerRole=SLAVE\nbrokerId=1\n\
             autoCreateTopicEnable=false\nstorePathRootDir=/tmp/x\n",
        );
        let (mut c, report) =
            ferrocket_config::apply_properties(&BrokerConfig::default(), &props, KEY_ALIASES)
                .unwrap();
        c.normalize(false);
        assert!(report.unknown_keys.is_empty(), "{:?}", report.unknown_keys);
        assert_eq!(c.broker_cluster_name, "C1");
        assert_eq!(c.listen_port, 20911);
        assert_eq!(c.ha_listen_port, 20912);
        assert_eq!(c.broker_addr(), "10.0.0.5:20911");
        assert_eq!(c.store.mapped_file_size_commit_log, 1_048_576);
        assert_eq!(
            c.store.flush_disk_type,
            ferrocket_store::FlushDiskType::SyncFlush
        );
        assert!(c.is_slave());
        assert_eq!(c.broker_id, 1);
        assert!(!c.auto_create_topic_enable);
        assert_eq!(c.store.store_path_root_dir, "/tmp/x");
    }

    #[test]
    fn masters_are_id_zero() {
        let props = ferrocket_config::parse_properties("brokerId=3\nbrokerRole=SYNC_MASTER\n");
        let (mut c, _) =
            ferrocket_config::apply_properties(&BrokerConfig::default(), &props, KEY_ALIASES)
                .unwrap();
        c.normalize(false);
        assert_eq!(c.broker_id, 0);
    }

    fn apply(text: &str) -> Result<BrokerConfig, ferrocket_config::ConfigError> {
        let props = ferrocket_config::parse_properties(text);
        let (c, report) =
            ferrocket_config::apply_properties(&BrokerConfig::default(), &props, KEY_ALIASES)?;
        assert!(report.unknown_keys.is_empty(), "{:?}", report.unknown_keys);
        Ok(c)
    }

    #[test]
    fn timer_keys_have_apaches_defaults_and_are_listed() {
        let c = BrokerConfig::default();
        assert!(c.timer_wheel_enable);
        assert_eq!(c.timer_max_delay_sec, 259_200);
        assert_eq!(c.timer_precision_ms, 1_000);
        assert_eq!(c.flush_delay_offset_interval, 10_000);
        let listed = ferrocket_config::to_properties(&c).unwrap();
        for (key, value) in [
            ("timerWheelEnable", "true"),
            ("timerMaxDelaySec", "259200"),
            ("timerPrecisionMs", "1000"),
            ("flushDelayOffsetInterval", "10000"),
            ("timerRollIntervalMs", "86400000"),
        ] {
            assert!(
                listed.iter().any(|(k, v)| k == key && v == value),
                "{key}={value} missing"
            );
        }
    }

    #[test]
    fn timer_keys_parse() {
        let c = apply(
            "timerMaxDelaySec=604800\ntimerPrecisionMs=100\ntimerWheelEnable=false\n\
             flushDelayOffsetInterval=2000\ntimerRollIntervalMs=3600000\n",
        )
        .unwrap();
        assert_eq!(c.timer_max_delay_sec, 604_800);
        assert_eq!(c.timer_precision_ms, 100);
        assert!(!c.timer_wheel_enable);
        assert_eq!(c.flush_delay_offset_interval, 2_000);
        assert_eq!(c.timer_roll_interval_ms, 3_600_000);
        let t = timer_config::TimerConfig::from_broker_config(&c);
        assert_eq!(t.timer_max_delay_sec, 604_800);
        assert_eq!(t.timer_precision_ms, 100);
        assert!(!t.timer_wheel_enable);
        assert_eq!(t.flush_delay_offset_interval_ms, 2_000);
        assert_eq!(t.timer_roll_interval_ms, 3_600_000);
    }

    #[test]
    fn bad_timer_values_are_errors_naming_the_key() {
        for (text, key, why) in [
            ("timerPrecisionMs=0", "timerPrecisionMs", "at least 1"),
            ("timerPrecisionMs=-5", "timerPrecisionMs", "non-negative"),
            ("timerMaxDelaySec=-1", "timerMaxDelaySec", "non-negative"),
            ("timerMaxDelaySec=7d", "timerMaxDelaySec", "non-negative"),
            ("timerWheelEnable=yes", "timerWheelEnable", "boolean"),
            (
                "flushDelayOffsetInterval=0",
                "flushDelayOffsetInterval",
                "at least 100",
            ),
            (
                "timerRollIntervalMs=10",
                "timerRollIntervalMs",
                "at least 1000",
            ),
        ] {
            let err = apply(text).unwrap_err().to_string();
            assert!(err.contains(key) && err.contains(why), "{text}: {err}");
        }
    }
}
