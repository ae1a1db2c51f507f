//! updateSubGroup, deleteSubGroup, consumerProgress, consumerConnection, resetOffsetByTime.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use clap::{ArgGroup, Args};
use ferrocket_client::admin::{ConsumerConnection, SubscriptionGroupConfig, Target};
use ferrocket_client::MessageQueue;
use ferrocket_protocol::body::ConsumeType;
use ferrocket_protocol::codes::version;
use serde_json::json;

use super::args::{attribute_edits, bool_value};
use super::context::{front, Ctx};
use super::timefmt::{date_time, parse_time};
use super::topic::java_map;

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateSubGroupArgs {
    /// Broker address (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Every master of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
    /// Consumer group name.
    #[arg(short = 'g', long = "groupName")]
    group_name: String,
    /// consumeEnable (true|false).
    #[arg(short = 's', long = "consumeEnable", value_parser = bool_value)]
    consume_enable: Option<bool>,
    /// consumeFromMinEnable (true|false; default false).
    #[arg(short = 'm', long = "consumeFromMinEnable", value_parser = bool_value)]
    consume_from_min_enable: Option<bool>,
    /// consumeBroadcastEnable (true|false; default false).
    #[arg(short = 'd', long = "consumeBroadcastEnable", value_parser = bool_value)]
    consume_broadcast_enable: Option<bool>,
    /// consumeMessageOrderly (true|false).
    #[arg(short = 'o', long = "consumeMessageOrderly", value_parser = bool_value)]
    consume_message_orderly: Option<bool>,
    /// Retry queue count.
    #[arg(short = 'q', long = "retryQueueNums")]
    retry_queue_nums: Option<i32>,
    /// Deliveries before a message goes to the dead-letter queue.
    #[arg(short = 'r', long = "retryMaxTimes")]
    retry_max_times: Option<i32>,
    /// Retry policy as JSON, e.g. `{"type":"CUSTOMIZED","customizedRetryPolicy":{"next":[1000,5000]}}`.
    #[arg(short = 'p', long = "groupRetryPolicy")]
    group_retry_policy: Option<String>,
    /// Broker id to consume from.
    #[arg(short = 'i', long = "brokerId")]
    broker_id: Option<i64>,
    /// Broker id to consume from when consumption is slow.
    #[arg(short = 'w', long = "whichBrokerWhenConsumeSlowly")]
    which_broker_when_consume_slowly: Option<i64>,
    /// notifyConsumerIdsChangedEnable (true|false).
    #[arg(short = 'a', long = "notifyConsumerIdsChanged", value_parser = bool_value)]
    notify_consumer_ids_changed: Option<bool>,
    /// Attributes: `+key=value,+key2=value2`.
    #[arg(long = "attributes")]
    attributes: Option<String>,
}

fn group_config_line(g: &SubscriptionGroupConfig) -> String {
    let policy = serde_json::to_string(&g.group_retry_policy).unwrap_or_default();
    format!(
        "SubscriptionGroupConfig{{groupName={}, consumeEnable={}, consumeFromMinEnable={}, \
         consumeBroadcastEnable={}, consumeMessageOrderly={}, retryQueueNums={}, retryMaxTimes={}, \
         groupRetryPolicy={policy}, brokerId={}, whichBrokerWhenConsumeSlowly={}, \
         notifyConsumerIdsChangedEnable={}, groupSysFlag={}, consumeTimeoutMinute={}, subscriptionDataSet=null, \
         attributes={}}}",
        g.group_name,
        g.consume_enable,
        g.consume_from_min_enable,
        g.consume_broadcast_enable,
        g.consume_message_orderly,
        g.retry_queue_nums,
        g.retry_max_times,
        g.broker_id,
        g.which_broker_when_consume_slowly,
        g.notify_consumer_ids_changed_enable,
        g.group_sys_flag,
        g.consume_timeout_minute,
        java_map(g.attributes.iter())
    )
}

pub async fn update_sub_group(ctx: &Ctx, a: UpdateSubGroupArgs) -> anyhow::Result<()> {
    let mut g = SubscriptionGroupConfig::new(a.group_name.trim());
    // Apache's tool starts from these two switched off.
    g.consume_broadcast_enable = false;
    g.consume_from_min_enable = false;
    if let Some(v) = a.consume_enable {
        g.consume_enable = v;
    }
    if let Some(v) = a.consume_from_min_enable {
        g.consume_from_min_enable = v;
    }
    if let Some(v) = a.consume_broadcast_enable {
        g.consume_broadcast_enable = v;
    }
    if let Some(v) = a.consume_message_orderly {
        g.consume_message_orderly = v;
    }
    if let Some(v) = a.retry_queue_nums {
        g.retry_queue_nums = v;
    }
    if let Some(v) = a.retry_max_times {
        g.retry_max_times = v;
    }
    if let Some(p) = &a.group_retry_policy {
        g.group_retry_policy = serde_json::from_str(p)
            .map_err(|e| anyhow!("-p groupRetryPolicy is not a retry policy JSON: {e}"))?;
    }
    if let Some(v) = a.broker_id {
        g.broker_id = v;
    }
    if let Some(v) = a.which_broker_when_consume_slowly {
        g.which_broker_when_consume_slowly = v;
    }
    if let Some(v) = a.notify_consumer_ids_changed {
        g.notify_consumer_ids_changed_enable = v;
    }
    if let Some(attrs) = &a.attributes {
        let (add, remove) = attribute_edits(attrs).map_err(anyhow::Error::msg)?;
        if !remove.is_empty() {
            bail!("deleting attributes is not supported yet; give only +key=value edits");
        }
        g.attributes.extend(add);
    }
    let addrs = match (&a.broker_addr, &a.cluster_name) {
        (Some(b), _) => vec![b.trim().to_owned()],
        (None, Some(c)) => ctx.masters(c.trim()).await?,
        (None, None) => unreachable!("clap requires -b or -c"),
    };
    for addr in &addrs {
        ctx.admin
            .create_group(&Target::Broker(addr.clone()), &g)
            .await
            .map_err(|e| ctx.explain(e))?;
        if !ctx.json {
            println!("create subscription group to {addr} success.");
        }
    }
    if ctx.json {
        let mut v = serde_json::to_value(&g).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("brokers".into(), json!(addrs));
        }
        ctx.print_json(&v);
    } else {
        println!("{}", group_config_line(&g));
    }
    Ok(())
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct DeleteSubGroupArgs {
    /// Broker address (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Every master of this cluster (also deletes the group's retry and dead-letter topics).
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
    /// Consumer group name.
    #[arg(short = 'g', long = "groupName")]
    group_name: String,
    /// Also remove the group's offsets (true|false).
    #[arg(short = 'r', long = "removeOffset", value_parser = bool_value)]
    remove_offset: Option<bool>,
}

pub async fn delete_sub_group(ctx: &Ctx, a: DeleteSubGroupArgs) -> anyhow::Result<()> {
    let group = a.group_name.trim();
    let clean = a.remove_offset.unwrap_or(false);
    let mut deleted = Vec::new();
    if let Some(addr) = &a.broker_addr {
        let addr = addr.trim();
        ctx.admin
            .delete_group(&Target::Broker(addr.to_owned()), group, clean)
            .await
            .map_err(|e| ctx.explain(e))?;
        if !ctx.json {
            println!("delete subscription group [{group}] from broker [{addr}] success.");
        }
        deleted.push(addr.to_owned());
    } else if let Some(cluster) = &a.cluster_name {
        let cluster = cluster.trim();
        for addr in ctx.masters(cluster).await? {
            ctx.admin
                .delete_group(&Target::Broker(addr.clone()), group, clean)
                .await
                .map_err(|e| ctx.explain(e))?;
            if !ctx.json {
                println!(
                    "delete subscription group [{group}] from broker [{addr}] in cluster [{cluster}] success."
                );
            }
            deleted.push(addr);
        }
        for topic in [format!("%RETRY%{group}"), format!("%DLQ%{group}")] {
            if let Err(e) = ctx.admin.delete_topic(&topic, cluster).await {
                eprintln!("deleting {topic}: {}", ctx.explain(e));
            }
        }
    }
    if ctx.json {
        ctx.print_json(&json!({"group": group, "brokers": deleted, "removeOffset": clean}));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ConsumerProgressArgs {
    /// Consumer group; without it, one summary line per group.
    #[arg(short = 'g', long = "groupName")]
    group_name: Option<String>,
    /// Only this topic.
    #[arg(short = 't', long = "topicName")]
    topic_name: Option<String>,
    /// Show the client IP owning each queue (true|false).
    #[arg(short = 's', long = "showClientIP", value_parser = bool_value)]
    show_client_ip: Option<bool>,
    /// Cluster name (accepted for compatibility; every broker of the group is asked).
    #[arg(short = 'c', long = "cluster")]
    cluster: Option<String>,
}

/// Which client (by IP) owns each queue, from every connected client's running info.
async fn queue_owners(ctx: &Ctx, group: &str) -> BTreeMap<MessageQueue, String> {
    let mut owners = BTreeMap::new();
    let Ok(conns) = ctx.admin.consumer_connections(group).await else {
        return owners;
    };
    for c in conns.connection_set {
        if let Ok(info) = ctx
            .admin
            .consumer_running_info(group, &c.client_id, false)
            .await
        {
            let ip = c.client_id.split('@').next().unwrap_or("").to_owned();
            for mq in info.mq_table.keys() {
                owners.insert(mq.clone(), ip.clone());
            }
        }
    }
    owners
}

pub async fn consumer_progress(ctx: &Ctx, a: ConsumerProgressArgs) -> anyhow::Result<()> {
    let Some(group) = a.group_name.as_deref().map(str::trim) else {
        return all_groups_progress(ctx).await;
    };
    let topic = a.topic_name.as_deref().map(str::trim);
    let stats = ctx
        .admin
        .consume_stats(group, topic)
        .await
        .map_err(|e| ctx.explain(e))?;
    if stats.offset_table.is_empty() {
        bail!(
            "no consume stats for group {group}{}: the group has no offsets (it may not have consumed anything yet)",
            topic.map(|t| format!(" on topic {t}")).unwrap_or_default()
        );
    }
    let show_ip = a.show_client_ip.unwrap_or(false);
    let owners = if show_ip {
        queue_owners(ctx, group).await
    } else {
        BTreeMap::new()
    };
    let mut diff_total = 0i64;
    let mut inflight_total = 0i64;
    let mut rows = Vec::new();
    for (mq, o) in &stats.offset_table {
        let diff = o.broker_offset - o.consumer_offset;
        let inflight = o.pull_offset - o.consumer_offset;
        diff_total += diff;
        inflight_total += inflight;
        let last = if o.last_timestamp == 0 {
            "N/A".to_owned()
        } else {
            date_time(o.last_timestamp)
        };
        rows.push((mq, o, diff, inflight, last));
    }
    if ctx.json {
        let queues: Vec<_> = rows
            .iter()
            .map(|(mq, o, diff, inflight, _)| {
                json!({
                    "topic": mq.topic,
                    "brokerName": mq.broker_name,
                    "queueId": mq.queue_id,
                    "brokerOffset": o.broker_offset,
                    "consumerOffset": o.consumer_offset,
                    "pullOffset": o.pull_offset,
                    "diff": diff,
                    "inflight": inflight,
                    "lastTimestamp": o.last_timestamp,
                    "clientIp": owners.get(*mq),
                })
            })
            .collect();
        ctx.print_json(&json!({
            "group": group,
            "queues": queues,
            "consumeTps": stats.consume_tps,
            "diffTotal": diff_total,
            "inflightTotal": inflight_total,
        }));
        return Ok(());
    }
    if show_ip {
        println!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20} {:<20}#LastTime",
            "#Topic",
            "#Broker Name",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Client IP",
            "#Diff",
            "#Inflight",
        );
    } else {
        println!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}#LastTime",
            "#Topic",
            "#Broker Name",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Diff",
            "#Inflight",
        );
    }
    for (mq, o, diff, inflight, last) in &rows {
        let (t, b) = (front(&mq.topic, 64), front(&mq.broker_name, 32));
        if show_ip {
            let ip = owners.get(*mq).map(String::as_str).unwrap_or("N/A");
            println!(
                "{t:<64}  {b:<32}  {:<4}  {:<20}  {:<20}  {ip:<20} {diff:<20} {inflight:<20} {last}",
                mq.queue_id, o.broker_offset, o.consumer_offset
            );
        } else {
            println!(
                "{t:<64}  {b:<32}  {:<4}  {:<20}  {:<20}  {diff:<20} {inflight:<20} {last}",
                mq.queue_id, o.broker_offset, o.consumer_offset
            );
        }
    }
    println!();
    println!("Consume TPS: {:.2}", stats.consume_tps);
    println!("Consume Diff Total: {diff_total}");
    println!("Consume Inflight Total: {inflight_total}");
    Ok(())
}

/// One line per group (found through its `%RETRY%` topic): connected clients, their lowest version, type,
/// model, TPS and total lag.
async fn all_groups_progress(ctx: &Ctx) -> anyhow::Result<()> {
    let topics = ctx.admin.topic_list().await.map_err(|e| ctx.explain(e))?;
    let groups: Vec<&str> = topics
        .iter()
        .filter_map(|t| t.strip_prefix("%RETRY%"))
        .collect();
    let mut out = Vec::new();
    if !ctx.json {
        println!(
            "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  #Diff Total",
            "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS"
        );
    }
    for group in groups {
        let stats = ctx.admin.consume_stats(group, None).await.ok();
        let conns: Option<ConsumerConnection> = ctx.admin.consumer_connections(group).await.ok();
        let count = conns.as_ref().map_or(0, |c| c.connection_set.len());
        let tps = stats.as_ref().map_or(0, |s| s.consume_tps as i64);
        let diff: i64 = stats.as_ref().map_or(0, |s| {
            s.offset_table
                .values()
                .map(|o| o.broker_offset - o.consumer_offset)
                .sum()
        });
        let (ver, ty, model) = match (&conns, count) {
            (Some(c), n) if n > 0 => {
                let min = c
                    .connection_set
                    .iter()
                    .map(|x| x.version)
                    .min()
                    .unwrap_or(0);
                let ty = if c.consume_type == ConsumeType::ConsumeActively {
                    "PULL"
                } else {
                    "PUSH"
                };
                let model = if c.consume_type == ConsumeType::ConsumePassively {
                    c.message_model.as_str()
                } else {
                    ""
                };
                (
                    version::name(min).unwrap_or("HIGHER_VERSION").to_owned(),
                    ty,
                    model,
                )
            }
            _ => ("OFFLINE".to_owned(), "", ""),
        };
        if ctx.json {
            out.push(json!({
                "group": group, "count": count, "version": ver, "type": ty, "model": model,
                "tps": tps, "diffTotal": diff,
            }));
        } else {
            println!(
                "{:<64}  {count:<6}  {ver:<24} {ty:<5}  {model:<14}  {tps:<7}  {diff}",
                front(group, 64)
            );
        }
    }
    if ctx.json {
        ctx.print_json(&json!(out));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ConsumerConnectionArgs {
    /// Consumer group name.
    #[arg(short = 'g', long = "consumerGroup")]
    consumer_group: String,
    /// Ask this broker (ip:port) only.
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
}

pub async fn consumer_connection(ctx: &Ctx, a: ConsumerConnectionArgs) -> anyhow::Result<()> {
    let group = a.consumer_group.trim();
    let cc = match &a.broker_addr {
        Some(addr) => ctx
            .admin
            .consumer_connections_at(addr.trim(), group)
            .await
            .map_err(|e| ctx.explain(e))?,
        None => ctx
            .admin
            .consumer_connections(group)
            .await
            .map_err(|e| ctx.explain(e))?,
    };
    if ctx.json {
        let conns: Vec<_> = cc
            .connection_set
            .iter()
            .map(|c| {
                json!({
                    "clientId": c.client_id, "clientAddr": c.client_addr, "language": c.language,
                    "version": version::name(c.version).unwrap_or("HIGHER_VERSION"),
                })
            })
            .collect();
        let subs: Vec<_> = cc
            .subscription_table
            .values()
            .map(|s| json!({"topic": s.topic, "subExpression": s.sub_string}))
            .collect();
        ctx.print_json(&json!({
            "connections": conns,
            "subscriptions": subs,
            "consumeType": cc.consume_type.as_str(),
            "messageModel": cc.message_model.as_str(),
            "consumeFromWhere": cc.consume_from_where.as_str(),
        }));
        return Ok(());
    }
    println!(
        "{:<36} {:<22} {:<10} #Version",
        "#ClientId", "#ClientAddr", "#Language"
    );
    for c in &cc.connection_set {
        println!(
            "{:<36} {:<22} {:<10} {}",
            c.client_id,
            c.client_addr,
            c.language,
            version::name(c.version).unwrap_or("HIGHER_VERSION")
        );
    }
    println!();
    println!("Below is subscription:");
    println!("{:<20} #SubExpression", "#Topic");
    for s in cc.subscription_table.values() {
        println!("{:<20} {}", s.topic, s.sub_string);
    }
    println!();
    println!("ConsumeType: {}", cc.consume_type);
    println!("MessageModel: {}", cc.message_model);
    println!("ConsumeFromWhere: {}", cc.consume_from_where);
    Ok(())
}

#[derive(Args, Debug)]
pub struct ResetOffsetByTimeArgs {
    /// Consumer group.
    #[arg(short = 'g', long = "group")]
    group: String,
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Time: now, milliseconds since the epoch, or yyyy-MM-dd#HH:mm:ss:SSS.
    #[arg(short = 's', long = "timestamp")]
    timestamp: String,
    /// Also move offsets forward (true|false; deprecated, default true).
    #[arg(short = 'f', long = "force", value_parser = bool_value)]
    force: Option<bool>,
    /// With -q: reset one queue of this broker (ip:port).
    #[arg(short = 'b', long = "broker")]
    broker: Option<String>,
    /// With -b: the queue id.
    #[arg(short = 'q', long = "queue")]
    queue: Option<i32>,
    /// With -b and -q: this offset instead of searching by time.
    #[arg(short = 'o', long = "offset")]
    offset: Option<i64>,
    /// Cluster name (accepted for compatibility; every broker of the topic is reset).
    #[arg(short = 'c', long = "cluster")]
    cluster: Option<String>,
}

pub async fn reset_offset_by_time(ctx: &Ctx, a: ResetOffsetByTimeArgs) -> anyhow::Result<()> {
    let (group, topic, ts_text) = (a.group.trim(), a.topic.trim(), a.timestamp.trim());
    let timestamp = parse_time(ts_text)?;
    let force = a.force.unwrap_or(true);
    if let (Some(broker), Some(queue_id)) = (&a.broker, a.queue.filter(|q| *q >= 0)) {
        let broker = broker.trim();
        let name = ctx.broker_name_of(broker).await?;
        let mq = MessageQueue::new(topic, name, queue_id);
        if !ctx.json {
            println!(
                "start reset consumer offset by specified, group[{group}], topic[{topic}], queueId[{queue_id}], \
                 broker[{broker}], timestamp(string)[{ts_text}], timestamp(long)[{timestamp}]"
            );
        }
        let offset = match a.offset {
            Some(o) => o,
            None => ctx
                .admin
                .search_offset(&mq, timestamp)
                .await
                .map_err(|e| ctx.explain(e))?,
        };
        if !ctx.json {
            println!("reset consumer offset to {offset}");
        }
        if offset > 0 {
            // The broker moves online consumers too (and commits); where it cannot, the stored offset is set.
            ctx.admin
                .reset_offset_of_queue(group, &mq, offset)
                .await
                .map_err(|e| ctx.explain(e))?;
        }
        if ctx.json {
            ctx.print_json(&json!({
                "group": group, "topic": topic, "timestamp": timestamp,
                "queues": [{"brokerName": mq.broker_name, "queueId": queue_id, "offset": offset}],
            }));
        }
        return Ok(());
    }
    let table = ctx
        .admin
        .reset_offset_by_time(group, topic, timestamp, force)
        .await
        .map_err(|e| ctx.explain(e))?;
    if ctx.json {
        let queues: Vec<_> = table
            .iter()
            .map(|(mq, o)| json!({"brokerName": mq.broker_name, "queueId": mq.queue_id, "offset": o}))
            .collect();
        ctx.print_json(&json!({
            "group": group, "topic": topic, "force": force, "timestamp": timestamp, "queues": queues,
        }));
        return Ok(());
    }
    println!(
        "start reset consumer offset by specified, group[{group}], topic[{topic}], force[{force}], \
         timestamp(string)[{ts_text}], timestamp(long)[{timestamp}]"
    );
    println!(
        "{:<40}  {:<40}  {:<40}",
        "#brokerName", "#queueId", "#offset"
    );
    for (mq, offset) in &table {
        println!(
            "{:<40}  {:<40}  {:<40}",
            front(&mq.broker_name, 32),
            mq.queue_id,
            offset
        );
    }
    Ok(())
}
