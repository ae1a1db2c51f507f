//! GET_BROKER_RUNTIME_INFO, GET_BROKER_CONFIG, UPDATE_BROKER_CONFIG (remoting-protocol.md §7.8, broker-config.md §1).

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrocket_protocol::body::{DataVersion, KVTable};
use ferrocket_protocol::codes::{response_code, version, CURRENT_VERSION};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::GetBrokerConfigResponseHeader;
use ferrocket_remoting::Connection;
use ferrocket_store::StoreConfig;
use parking_lot::Mutex;

use super::{reply, success, Failure, Outcome};
use crate::broker_stats::{self, format_runtime, human_readable_bytes};
use crate::config::{BrokerConfig, KEY_ALIASES, REMOTE_CHANGE_BLACKLIST};
use crate::BrokerContext;

/// The broker config's data version (GET_BROKER_CONFIG's `version` header), bumped by every UPDATE_BROKER_CONFIG.
/// Process-wide: one broker per process in production.
static CONFIG_VERSION: Mutex<Option<DataVersion>> = Mutex::new(None);

fn config_version() -> DataVersion {
    *CONFIG_VERSION.lock().get_or_insert_with(DataVersion::new)
}

fn bump_config_version() {
    CONFIG_VERSION
        .lock()
        .get_or_insert_with(DataVersion::new)
        .next_version();
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The runtime KVTable: the keys Apache's `mqadmin brokerStatus` / `clusterList` read, filled from the store's counters
/// and the sampled rates. Keys whose figure Ferrocket does not measure are left out rather than invented, except
/// where Apache itself reports a constant for a disabled feature (timer wheel) or an empty queue (thread pools:
/// Ferrocket has none, requests run as tasks).
pub fn runtime_table(ctx: &Arc<BrokerContext>) -> BTreeMap<String, String> {
    let config = ctx.config();
    let store = &ctx.store;
    let s = store.stats();
    let rates = broker_stats::stats_for(store).rates();
    let now = now_ms();
    let uptime_ms = ctx.started_at.elapsed().as_millis() as i64;
    let mut t = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        t.insert(k.to_string(), v);
    };
    put(
        "brokerVersionDesc",
        version::name(CURRENT_VERSION)
            .unwrap_or("HIGHER_VERSION")
            .into(),
    );
    put("brokerVersion", CURRENT_VERSION.to_string());
    put("brokerActive", (!config.is_slave()).to_string());
    put("bootTimestamp", (now - uptime_ms).to_string());
    put("runtime", format_runtime(uptime_ms));

    put("putMessageTimesTotal", s.put_message_times.to_string());
    put("putMessageFailedTimes", s.put_message_failures.to_string());
    put("putMessageSizeTotal", s.put_message_bytes.to_string());
    let avg = if s.put_message_times > 0 {
        s.put_message_bytes as f64 / s.put_message_times as f64
    } else {
        0.0
    };
    put("putMessageAverageSize", avg.to_string());
    put("putTps", rates.put_tps.clone());
    put("getFoundTps", rates.get_found_tps.clone());
    put("getMissTps", rates.get_miss_tps.clone());
    put("getTotalTps", rates.get_total_tps.clone());
    // Messages handed to consumers are counted per successful read here (Apache counts messages); both spellings:
    // 5.x tools read `getTransferredTps`, 4.x tools `getTransferedTps`.
    put("getTransferredTps", rates.get_found_tps.clone());
    put("getTransferedTps", rates.get_found_tps.clone());

    put(
        "msgPutTotalYesterdayMorning",
        rates.put_total_yesterday_morning.to_string(),
    );
    put(
        "msgPutTotalTodayMorning",
        rates.put_total_today_morning.to_string(),
    );
    put("msgPutTotalTodayNow", s.put_message_times.to_string());
    put(
        "msgGetTotalYesterdayMorning",
        rates.get_total_yesterday_morning.to_string(),
    );
    put(
        "msgGetTotalTodayMorning",
        rates.get_total_today_morning.to_string(),
    );
    put("msgGetTotalTodayNow", s.get_message_found.to_string());

    put("commitLogMinOffset", s.commit_log_min_offset.to_string());
    put("commitLogMaxOffset", s.commit_log_max_offset.to_string());
    put("commitLogDiskRatio", s.commit_log_disk_ratio.to_string());
    put(
        "consumeQueueDiskRatio",
        s.consume_queue_disk_ratio.to_string(),
    );
    put(
        "dispatchBehindBytes",
        (s.commit_log_max_offset - s.dispatched_offset)
            .max(0)
            .to_string(),
    );
    put(
        "remainHowManyDataToFlush",
        human_readable_bytes((s.commit_log_max_offset - s.commit_log_flushed_offset).max(0)),
    );
    put(
        "earliestMessageTimeStamp",
        store.earliest_message_time().unwrap_or(-1).to_string(),
    );
    put("startAcceptSendRequestTimeStamp", "0".into());

    // No timer wheel: Apache reports these constants when it is disabled.
    put("timerReadBehind", "0".into());
    put("timerOffsetBehind", "0".into());
    put("timerCongestNum", "0".into());
    put("timerEnqueueTps", "0.0".into());
    put("timerDequeueTps", "0.0".into());

    for (prefix, capacity) in [
        ("send", config.send_thread_pool_queue_capacity),
        ("pull", config.pull_thread_pool_queue_capacity),
    ] {
        put(&format!("{prefix}ThreadPoolQueueSize"), "0".into());
        put(
            &format!("{prefix}ThreadPoolQueueCapacity"),
            capacity.to_string(),
        );
        put(
            &format!("{prefix}ThreadPoolQueueHeadWaitTimeMills"),
            "0".into(),
        );
    }
    t
}

/// GET_BROKER_RUNTIME_INFO: a KVTable of runtime figures.
pub async fn runtime_info(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let table = KVTable {
        table: runtime_table(ctx),
    };
    reply(success(req).with_body(table.encode()))
}

/// The effective config as `key=value` lines.
pub fn config_text(config: &BrokerConfig) -> Result<String, Failure> {
    let pairs = ferrocket_config::to_properties(config)
        .map_err(|e| Failure::system(format!("listing the broker config: {e}")))?;
    Ok(ferrocket_config::format_properties(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

/// GET_BROKER_CONFIG: properties text of the effective config, header `version` (DataVersion JSON).
pub async fn broker_config(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let text = config_text(&ctx.config())?;
    let version = String::from_utf8_lossy(&config_version().encode()).into_owned();
    reply(
        success(req)
            .with_header(&GetBrokerConfigResponseHeader { version })
            .with_body(text.into_bytes()),
    )
}

/// UPDATE_BROKER_CONFIG: applies a properties body to the running config. Keys on the remote-change black list are
/// refused with NO_PERMISSION; values that do not parse with INVALID_PARAMETER. Unknown keys are ignored (as Apache
/// does) and named in the remark. Store keys are recorded but the running store keeps its settings until restart;
/// the remark says which.
pub async fn update_broker_config(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    if req.body.is_empty() {
        return reply(success(req));
    }
    let text = String::from_utf8_lossy(&req.body);
    let props = ferrocket_config::parse_properties(&text);
    let refused: Vec<&str> = props
        .keys()
        .map(String::as_str)
        .filter(|k| REMOTE_CHANGE_BLACKLIST.contains(k))
        .collect();
    if !refused.is_empty() {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!(
                "Can not update config in black list: {} cannot be changed remotely",
                refused.join(", ")
            ),
        ));
    }
    let current = ctx.config();
    let (updated, report) = ferrocket_config::apply_properties(&**current, &props, KEY_ALIASES)
        .map_err(|e| Failure::new(response_code::INVALID_PARAMETER, e.to_string()))?;
    let store_keys: Vec<String> = ferrocket_config::to_properties(&StoreConfig::default())
        .map(|v| v.into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    let restart_needed: Vec<&str> = report
        .changed_keys
        .iter()
        .map(String::as_str)
        .filter(|k| store_keys.iter().any(|s| s == k))
        .collect();
    let permission_changed = updated.broker_permission != current.broker_permission;
    ctx.topics
        .set_auto_create_topic_enable(updated.auto_create_topic_enable);
    ctx.groups
        .set_auto_create(updated.auto_create_subscription_group);
    tracing::info!(changed = ?report.changed_keys, unknown = ?report.unknown_keys, "broker config updated remotely");
    drop(current);
    ctx.config.store(Arc::new(updated));
    bump_config_version();
    if permission_changed {
        // Routes carry the permission: re-register now.
        ctx.topics.bump_version();
    }
    let mut notes = Vec::new();
    if !report.unknown_keys.is_empty() {
        notes.push(format!(
            "unknown keys ignored: {}",
            report.unknown_keys.join(", ")
        ));
    }
    if !restart_needed.is_empty() {
        notes.push(format!(
            "store keys take effect after a restart: {}",
            restart_needed.join(", ")
        ));
    }
    let mut resp = success(req);
    if !notes.is_empty() {
        resp = resp.with_remark(notes.join("; "));
    }
    reply(resp)
}
