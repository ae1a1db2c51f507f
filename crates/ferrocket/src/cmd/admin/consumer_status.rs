//! consumerStatus: each connected consumer's own description of itself (GET_CONSUMER_RUNNING_INFO, relayed by the
//! broker), as Apache's tool prints it: with `-i` one client's report; without, one line per client (its report
//! written to `<now>/<clientId>` as Apache does) and the group's subscription and queue checks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _};
use clap::Args;
use ferrocket_client::admin::ConsumerRunningInfo;
use ferrocket_protocol::body::ConsumeType;
use ferrocket_protocol::codes::version;
use serde_json::json;

use super::context::Ctx;
use super::timefmt::{compact_ms, now_ms};

#[derive(Args, Debug)]
pub struct ConsumerStatusArgs {
    /// Consumer group.
    #[arg(short = 'g', long = "consumerGroup")]
    consumer_group: String,
    /// Only this client (its full report).
    #[arg(short = 'i', long = "clientId")]
    client_id: Option<String>,
    /// Find the group's clients through this broker (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Ask for a thread dump too (a Rust client answers with an empty one).
    #[arg(short = 's', long = "jstack")]
    jstack: bool,
}

/// Java's `UtilAll.timeMillisToHumanString` of a field that may be 0.
fn ts(ms: i64) -> String {
    compact_ms(ms)
}

/// Java's `ConsumerRunningInfo.formatString()` (properties sorted by key).
pub fn format_running_info(info: &ConsumerRunningInfo) -> String {
    let mut sb = String::from("#Consumer Properties#\n");
    for (k, v) in &info.properties {
        sb.push_str(&format!("{k:<40}: {v}\n"));
    }
    sb.push_str("\n\n#Consumer Subscription#\n");
    for (i, s) in info.subscription_set.iter().enumerate() {
        sb.push_str(&format!(
            "{:03} Topic: {:<40} ClassFilter: {:<8} SubExpression: {}\n",
            i + 1,
            s.topic,
            s.class_filter_mode,
            s.sub_string
        ));
    }
    sb.push_str("\n\n#Consumer Offset#\n");
    sb.push_str(&format!(
        "{:<64}  {:<32}  {:<4}  {:<20}\n",
        "#Topic", "#Broker Name", "#QID", "#Consumer Offset"
    ));
    for (mq, pq) in &info.mq_table {
        sb.push_str(&format!(
            "{:<32}  {:<32}  {:<4}  {:<20}\n",
            mq.topic, mq.broker_name, mq.queue_id, pq.commit_offset
        ));
    }
    sb.push_str("\n\n#Consumer MQ Detail#\n");
    sb.push_str(&format!(
        "{:<64}  {:<32}  {:<4}  {:<20}\n",
        "#Topic", "#Broker Name", "#QID", "#ProcessQueueInfo"
    ));
    for (mq, pq) in &info.mq_table {
        let detail = format!(
            "ProcessQueueInfo [commitOffset={}, cachedMsgMinOffset={}, cachedMsgMaxOffset={}, cachedMsgCount={}, \
             cachedMsgSizeInMiB={}, transactionMsgMinOffset={}, transactionMsgMaxOffset={}, transactionMsgCount={}, \
             locked={}, tryUnlockTimes={}, lastLockTimestamp={}, droped={}, lastPullTimestamp={}, \
             lastConsumeTimestamp={}]",
            pq.commit_offset,
            pq.cached_msg_min_offset,
            pq.cached_msg_max_offset,
            pq.cached_msg_count,
            pq.cached_msg_size_in_mib,
            pq.transaction_msg_min_offset,
            pq.transaction_msg_max_offset,
            pq.transaction_msg_count,
            pq.locked,
            pq.try_unlock_times,
            ts(pq.last_lock_timestamp),
            pq.droped,
            ts(pq.last_pull_timestamp),
            ts(pq.last_consume_timestamp)
        );
        sb.push_str(&format!(
            "{:<64}  {:<32}  {:<4}  {detail}\n",
            mq.topic, mq.broker_name, mq.queue_id
        ));
    }
    sb.push_str("\n\n#Consumer Pop Detail#\n");
    sb.push_str(&format!(
        "{:<32}  {:<32}  {:<4}  {:<20}\n",
        "#Topic", "#Broker Name", "#QID", "#ProcessQueueInfo"
    ));
    for (mq, pq) in &info.mq_pop_table {
        sb.push_str(&format!(
            "{:<32}  {:<32}  {:<4}  PopProcessQueueInfo [waitAckCount:{}, droped:{}, lastPopTimestamp:{}]\n",
            mq.topic, mq.broker_name, mq.queue_id, pq.wait_ack_count, pq.droped, pq.last_pop_timestamp
        ));
    }
    sb.push_str("\n\n#Consumer RT&TPS#\n");
    sb.push_str(&format!(
        "{:<64}  {:>14} {:>14} {:>14} {:>14} {:>18} {:>25}\n",
        "#Topic",
        "#Pull RT",
        "#Pull TPS",
        "#Consume RT",
        "#ConsumeOK TPS",
        "#ConsumeFailed TPS",
        "#ConsumeFailedMsgsInHour"
    ));
    for (topic, s) in &info.status_table {
        sb.push_str(&format!(
            "{topic:<32}  {:>14.2} {:>14.2} {:>14.2} {:>14.2} {:>18.2} {:>25}\n",
            s.pull_rt,
            s.pull_tps,
            s.consume_rt,
            s.consume_ok_tps,
            s.consume_failed_tps,
            s.consume_failed_msgs
        ));
    }
    sb.push_str("\n\n#User Consume Info#\n");
    for (k, v) in &info.user_consumer_info {
        sb.push_str(&format!("{k:<40}: {v}\n"));
    }
    if let Some(j) = &info.jstack {
        sb.push_str("\n\n#Consumer jstack#\n");
        sb.push_str(j);
    }
    sb
}

/// Apache's `analyzeSubscription`: push consumers running for over two minutes must all subscribe alike.
fn same_subscription(infos: &BTreeMap<String, ConsumerRunningInfo>, now: i64) -> bool {
    let Some(first) = infos.values().next() else {
        return true;
    };
    let started = first
        .properties
        .get(ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP)
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(now);
    if first.consume_type() != Some(ConsumeType::ConsumePassively) || now - started <= 120_000 {
        return true;
    }
    let key = |i: &ConsumerRunningInfo| -> BTreeSet<(String, String, String)> {
        i.subscription_set
            .iter()
            .map(|s| {
                (
                    s.topic.clone(),
                    s.expression_type.clone(),
                    s.sub_string.clone(),
                )
            })
            .collect()
    };
    let k = key(first);
    infos.values().all(|i| key(i) == k)
}

/// Apache's `analyzeProcessQueue`: orderly queues not locked, concurrent queues with cached messages but nothing
/// consumed for a minute.
fn queue_warnings(client_id: &str, info: &ConsumerRunningInfo, now: i64) -> String {
    if info.consume_type() != Some(ConsumeType::ConsumePassively) {
        return String::new();
    }
    let orderly = info
        .properties
        .get(ConsumerRunningInfo::PROP_CONSUME_ORDERLY)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut sb = String::new();
    for (mq, pq) in &info.mq_table {
        if orderly {
            if !pq.locked {
                sb.push_str(&format!(
                    "{client_id} {mq} can't lock for a while, {}ms\n",
                    now - pq.last_lock_timestamp
                ));
            } else if pq.droped && pq.try_unlock_times > 0 {
                sb.push_str(&format!(
                    "{client_id} {mq} unlock {} times, still failed\n",
                    pq.try_unlock_times
                ));
            }
        } else {
            let idle = now - pq.last_consume_timestamp;
            if idle > 60_000 && pq.cached_msg_count > 0 {
                sb.push_str(&format!(
                    "{client_id} {mq} can't consume for a while, maybe blocked, {idle}ms\n"
                ));
            }
        }
    }
    sb
}

pub async fn consumer_status(ctx: &Ctx, a: ConsumerStatusArgs) -> anyhow::Result<()> {
    let group = a.consumer_group.trim();
    if let Some(id) = a.client_id.as_deref().map(str::trim) {
        let info = ctx
            .admin
            .consumer_running_info(group, id, a.jstack)
            .await
            .map_err(|e| anyhow!("consumer {id} of group {group}: {}", ctx.explain(e)))?;
        if ctx.json {
            ctx.print_json(&json!({"clientId": id, "runningInfo": info}));
        } else {
            print!("{}", format_running_info(&info));
        }
        return Ok(());
    }
    let cc = match &a.broker_addr {
        Some(b) => ctx.admin.consumer_connections_at(b.trim(), group).await,
        None => ctx.admin.consumer_connections(group).await,
    }
    .map_err(|e| ctx.explain(e))?;
    let now = now_ms();
    let mut infos: BTreeMap<String, ConsumerRunningInfo> = BTreeMap::new();
    let mut failures = Vec::new();
    if !ctx.json {
        println!(
            "{:<10} {:<40} {:<20} #ConsumerRunningInfoFile",
            "#Index", "#ClientId", "#Version"
        );
    }
    for conn in &cc.connection_set {
        let info = match ctx
            .admin
            .consumer_running_info(group, &conn.client_id, a.jstack)
            .await
        {
            Ok(i) => i,
            Err(e) => {
                let e = ctx.explain(e);
                eprintln!("consumer {}: {e}", conn.client_id);
                failures.push(conn.client_id.clone());
                continue;
            }
        };
        if !ctx.json {
            let path: PathBuf = [now.to_string(), conn.client_id.clone()].iter().collect();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating directory {}", dir.display()))?;
            }
            std::fs::write(&path, format_running_info(&info))
                .with_context(|| format!("writing {}", path.display()))?;
            println!(
                "{:<10} {:<40} {:<20} {}",
                infos.len() + 1,
                conn.client_id,
                version::name(conn.version).unwrap_or("HIGHER_VERSION"),
                path.display()
            );
        }
        infos.insert(conn.client_id.clone(), info);
    }
    if infos.is_empty() {
        bail!(
            "no client of group {group} answered ({} asked)",
            failures.len()
        );
    }
    let same = same_subscription(&infos, now);
    let warnings: Vec<String> = infos
        .iter()
        .map(|(id, i)| queue_warnings(id, i, now))
        .filter(|w| !w.is_empty())
        .collect();
    if ctx.json {
        ctx.print_json(&json!({
            "group": group,
            "clients": infos,
            "failedClients": failures,
            "sameSubscription": same,
            "rebalanceOk": same,
            "warnings": warnings,
        }));
    } else if same {
        print!("\n\nSame subscription in the same group of consumer");
        println!("\n\nRebalance OK");
        for w in &warnings {
            print!("{w}");
        }
    } else {
        println!("\n\nWARN: Different subscription in the same group of consumer!!!");
    }
    if !failures.is_empty() {
        bail!(
            "{} of {} clients did not answer: {}",
            failures.len(),
            cc.connection_set.len(),
            failures.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_client::MessageQueue;
    use ferrocket_protocol::body::{ProcessQueueInfo, SubscriptionData};

    fn info(start: i64, sub: &str) -> ConsumerRunningInfo {
        let mut i = ConsumerRunningInfo::with_required_properties(
            ConsumeType::ConsumePassively,
            start,
            false,
        );
        i.subscription_set.push(SubscriptionData::tag("T", sub, 1));
        i
    }

    #[test]
    fn report_sections_and_rows() {
        let mut i = info(5, "*");
        i.mq_table.insert(
            MessageQueue::new("T", "broker-a", 1),
            ProcessQueueInfo {
                commit_offset: 42,
                ..Default::default()
            },
        );
        let s = format_running_info(&i);
        for section in [
            "#Consumer Properties#",
            "#Consumer Subscription#",
            "#Consumer Offset#",
            "#Consumer MQ Detail#",
            "#Consumer Pop Detail#",
            "#Consumer RT&TPS#",
            "#User Consume Info#",
        ] {
            assert!(s.contains(section), "{section}");
        }
        assert!(s.contains(&format!("{:<40}: CONSUME_PASSIVELY", "PROP_CONSUME_TYPE")));
        assert!(s.contains("001 Topic: T"));
        assert!(s.contains(&format!(
            "{:<32}  {:<32}  {:<4}  {:<20}\n",
            "T", "broker-a", 1, 42
        )));
        assert!(s.contains("ProcessQueueInfo [commitOffset=42,"));
        assert!(!s.contains("#Consumer jstack#"));
    }

    #[test]
    fn subscription_and_queue_checks() {
        let now = 1_000_000;
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), info(0, "*"));
        m.insert("b".to_string(), info(0, "x"));
        assert!(!same_subscription(&m, now), "old enough, different");
        assert!(
            same_subscription(&m, 100_000),
            "started under two minutes ago"
        );
        m.insert("b".to_string(), info(0, "*"));
        assert!(same_subscription(&m, now));

        let mut i = info(0, "*");
        let mq = MessageQueue::new("T", "b", 0);
        i.mq_table.insert(
            mq.clone(),
            ProcessQueueInfo {
                cached_msg_count: 3,
                last_consume_timestamp: now - 70_000,
                ..Default::default()
            },
        );
        assert_eq!(
            queue_warnings("c1", &i, now),
            format!("c1 {mq} can't consume for a while, maybe blocked, 70000ms\n")
        );
        i.properties.insert(
            ConsumerRunningInfo::PROP_CONSUME_ORDERLY.into(),
            "true".into(),
        );
        assert!(queue_warnings("c1", &i, now).contains("can't lock for a while, 1000000ms"));
    }
}
