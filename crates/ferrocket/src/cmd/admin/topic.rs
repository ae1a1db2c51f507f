//! updateTopic, deleteTopic, topicList, topicRoute, topicStatus.

use std::collections::BTreeMap;

use anyhow::bail;
use clap::{ArgGroup, Args};
use ferrocket_client::admin::{Target, TopicConfig, TopicRouteData};
use serde_json::json;

use super::args::{attribute_edits, bool_value, perm_value, queue_nums};
use super::context::{front, Ctx};
use super::timefmt::human_ms;

/// Namespace of the name server's KV store that holds ordered-topic queue layouts.
const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateTopicArgs {
    /// Create the topic on this broker (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Create the topic on every master of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
    /// Topic name.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Read queue count.
    #[arg(short = 'r', long = "readQueueNums", default_value = "8", value_parser = queue_nums)]
    read_queue_nums: i32,
    /// Write queue count.
    #[arg(short = 'w', long = "writeQueueNums", default_value = "8", value_parser = queue_nums)]
    write_queue_nums: i32,
    /// Permission: 2 (W), 4 (R), 6 (RW).
    #[arg(short = 'p', long = "perm", default_value = "6", value_parser = perm_value)]
    perm: i32,
    /// Ordered topic (true|false): also records the queue layout on the name servers.
    #[arg(short = 'o', long = "order", value_parser = bool_value)]
    order: Option<bool>,
    /// Unit topic (true|false).
    #[arg(short = 'u', long = "unit", value_parser = bool_value)]
    unit: Option<bool>,
    /// Has unit subscriptions (true|false).
    #[arg(short = 's', long = "hasUnitSub", value_parser = bool_value)]
    has_unit_sub: Option<bool>,
    /// Attribute edits: `+key=value` sets, `-key` removes (only on an existing topic), e.g. `+a=b,-c`.
    #[arg(short = 'a', long = "attributes", allow_hyphen_values = true)]
    attributes: Option<String>,
}

/// TopicSysFlag bits.
const FLAG_UNIT: i32 = 0x1;
const FLAG_UNIT_SUB: i32 = 0x2;

/// Java's `PermName.perm2String`: `RWX` with `-` for missing bits.
fn perm_string(perm: i32) -> String {
    let r = if perm & 4 != 0 { 'R' } else { '-' };
    let w = if perm & 2 != 0 { 'W' } else { '-' };
    let x = if perm & 1 != 0 { 'X' } else { '-' };
    format!("{r}{w}{x}")
}

/// Java's `Map.toString`: `{k=v, k2=v2}`.
pub fn java_map<K: std::fmt::Display, V: std::fmt::Display>(
    entries: impl IntoIterator<Item = (K, V)>,
) -> String {
    let parts: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Java's `String.valueOf(double)` for ordinary magnitudes: at least one decimal.
pub fn java_double(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

/// The `-a` edits as Apache's tool holds (and prints) them: `+key` → value, `-key` → empty.
fn attribute_edit_map(t: &TopicConfig, remove: &[String]) -> BTreeMap<String, String> {
    t.attributes
        .iter()
        .map(|(k, v)| (format!("+{k}"), v.clone()))
        .chain(remove.iter().map(|k| (format!("-{k}"), String::new())))
        .collect()
}

fn topic_config_line(t: &TopicConfig, remove: &[String]) -> String {
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, \
         topicSysFlag={}, order={}, attributes={}]",
        t.topic_name,
        t.read_queue_nums,
        t.write_queue_nums,
        perm_string(t.perm),
        t.topic_filter_type.as_str(),
        t.topic_sys_flag,
        t.order,
        java_map(attribute_edit_map(t, remove))
    )
}

pub async fn update_topic(ctx: &Ctx, a: UpdateTopicArgs) -> anyhow::Result<()> {
    let mut config = TopicConfig::new(a.topic.trim());
    config.read_queue_nums = a.read_queue_nums;
    config.write_queue_nums = a.write_queue_nums;
    config.perm = a.perm;
    config.order = a.order.unwrap_or(false);
    let mut sys_flag = 0;
    if a.unit.unwrap_or(false) {
        sys_flag |= FLAG_UNIT;
    }
    if a.has_unit_sub.unwrap_or(false) {
        sys_flag |= FLAG_UNIT_SUB;
    }
    config.topic_sys_flag = sys_flag;
    let mut remove = Vec::new();
    if let Some(attrs) = &a.attributes {
        let (add, del) = attribute_edits(attrs).map_err(anyhow::Error::msg)?;
        config.attributes.extend(add);
        remove = del;
    }
    let mut lines = Vec::new();
    let mut created = Vec::new();
    let mut order_conf = None;
    if let Some(addr) = &a.broker_addr {
        let addr = addr.trim().to_owned();
        ctx.admin
            .update_topic(&Target::Broker(addr.clone()), &config, &remove)
            .await
            .map_err(|e| ctx.explain(e))?;
        if config.order {
            let name = ctx.broker_name_of(&addr).await?;
            let conf = format!("{name}:{}", config.write_queue_nums);
            ctx.admin
                .put_kv_config(ORDER_TOPIC_CONFIG, &config.topic_name, &conf)
                .await
                .map_err(|e| ctx.explain(e))?;
            lines.push(format!(
                "set broker orderConf. isOrder=true, orderConf=[{conf}]"
            ));
            order_conf = Some(conf);
        }
        lines.push(format!("create topic to {addr} success."));
        created.push(addr);
    } else if let Some(cluster) = &a.cluster_name {
        let cluster = cluster.trim();
        for addr in ctx.masters(cluster).await? {
            ctx.admin
                .update_topic(&Target::Broker(addr.clone()), &config, &remove)
                .await
                .map_err(|e| ctx.explain(e))?;
            lines.push(format!("create topic to {addr} success."));
            created.push(addr);
        }
        if config.order {
            let info = ctx.cluster_info().await?;
            let names = info
                .cluster_addr_table
                .get(cluster)
                .cloned()
                .unwrap_or_default();
            let conf = names
                .iter()
                .map(|n| format!("{n}:{}", config.write_queue_nums))
                .collect::<Vec<_>>()
                .join(";");
            ctx.admin
                .put_kv_config(ORDER_TOPIC_CONFIG, &config.topic_name, &conf)
                .await
                .map_err(|e| ctx.explain(e))?;
            lines.push(format!(
                "set cluster orderConf. isOrder=true, orderConf=[{conf}]"
            ));
            order_conf = Some(conf);
        }
    }
    if ctx.json {
        ctx.print_json(&json!({
            "topic": config.topic_name,
            "brokers": created,
            "readQueueNums": config.read_queue_nums,
            "writeQueueNums": config.write_queue_nums,
            "perm": config.perm,
            "order": config.order,
            "topicSysFlag": config.topic_sys_flag,
            "attributes": config.attributes,
            "removedAttributes": remove,
            "orderConf": order_conf,
        }));
    } else {
        for l in lines {
            println!("{l}");
        }
        println!("{}", topic_config_line(&config, &remove));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct DeleteTopicArgs {
    /// Topic name.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Delete from this cluster's masters.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: String,
}

pub async fn delete_topic(ctx: &Ctx, a: DeleteTopicArgs) -> anyhow::Result<()> {
    let (topic, cluster) = (a.topic.trim(), a.cluster_name.trim());
    // Resolve the cluster first, so an unknown cluster is reported as such.
    ctx.masters(cluster).await?;
    ctx.admin
        .delete_topic(topic, cluster)
        .await
        .map_err(|e| ctx.explain(e))?;
    if ctx.json {
        ctx.print_json(&json!({"topic": topic, "cluster": cluster, "deleted": true}));
    } else {
        println!("delete topic [{topic}] from cluster [{cluster}] success.");
        println!("delete topic [{topic}] from NameServer success.");
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct TopicListArgs {
    /// Cluster model: also print each topic's cluster and consumer groups.
    #[arg(short = 'c', long = "clusterModel")]
    cluster_model: bool,
}

pub async fn topic_list(ctx: &Ctx, a: TopicListArgs) -> anyhow::Result<()> {
    let topics = ctx.admin.topic_list().await.map_err(|e| ctx.explain(e))?;
    if !a.cluster_model {
        if ctx.json {
            ctx.print_json(&json!({ "topicList": topics }));
        } else {
            for t in &topics {
                println!("{t}");
            }
        }
        return Ok(());
    }
    let info = ctx.cluster_info().await?;
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for topic in topics
        .iter()
        .filter(|t| !t.starts_with("%RETRY%") && !t.starts_with("%DLQ%"))
    {
        let mut cluster = String::new();
        let mut groups = Vec::new();
        // As Apache's tool: a topic whose route or groups cannot be read is listed without them.
        if let Ok(route) = ctx.admin.topic_route(topic).await {
            if let Some(b) = route.broker_datas.first() {
                cluster = info
                    .cluster_addr_table
                    .iter()
                    .find(|(_, names)| names.contains(&b.broker_name))
                    .map(|(c, _)| c.clone())
                    .unwrap_or_else(|| b.cluster.clone());
            }
            if let Ok(g) = ctx.admin.topic_consumed_by(topic).await {
                groups.extend(g);
            }
        }
        groups.sort();
        groups.dedup();
        if groups.is_empty() {
            groups.push(String::new());
        }
        for g in groups {
            rows.push((cluster.clone(), topic.clone(), g));
        }
    }
    if ctx.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(c, t, g)| json!({"cluster": c, "topic": t, "consumerGroup": g}))
            .collect();
        ctx.print_json(&json!(v));
    } else {
        println!(
            "{:<20}  {:<48}  {:<48}",
            "#Cluster Name", "#Topic", "#Consumer Group"
        );
        for (c, t, g) in rows {
            println!(
                "{:<20}  {:<64}  {:<64}",
                front(&c, 20),
                front(&t, 64),
                front(&g, 64)
            );
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct TopicRouteArgs {
    /// Topic name.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Print a table instead of the route JSON.
    #[arg(short = 'l', long = "list")]
    list: bool,
}

fn route_json(route: &TopicRouteData) -> serde_json::Value {
    serde_json::to_value(route).unwrap_or_default()
}

pub async fn topic_route(ctx: &Ctx, a: TopicRouteArgs) -> anyhow::Result<()> {
    let route = ctx
        .admin
        .topic_route(a.topic.trim())
        .await
        .map_err(|e| ctx.explain(e))?;
    if ctx.json || !a.list {
        ctx.print_json(&route_json(&route));
        return Ok(());
    }
    let row = |c: &str, b: &str, addrs: &str, r: &str, w: &str, p: &str| {
        println!("{c:<45} {b:<32} {addrs:<50} {r:<10} {w:<11} {p:<5}");
    };
    row(
        "#ClusterName",
        "#BrokerName",
        "#BrokerAddrs",
        "#ReadQueue",
        "#WriteQueue",
        "#Perm",
    );
    let queues: BTreeMap<&str, _> = route
        .queue_datas
        .iter()
        .map(|q| (q.broker_name.as_str(), q))
        .collect();
    let mut brokers: Vec<_> = route.broker_datas.iter().collect();
    brokers.sort_by(|x, y| x.broker_name.cmp(&y.broker_name));
    let (mut total_r, mut total_w) = (0, 0);
    for b in brokers {
        let Some(q) = queues.get(b.broker_name.as_str()) else {
            continue;
        };
        total_r += q.read_queue_nums;
        total_w += q.write_queue_nums;
        row(
            &b.cluster,
            &b.broker_name,
            &java_map(b.broker_addrs.iter()),
            &q.read_queue_nums.to_string(),
            &q.write_queue_nums.to_string(),
            &q.perm.to_string(),
        );
    }
    println!("{}", "-".repeat(158));
    row(
        "Total:",
        &queues.len().to_string(),
        "",
        &total_r.to_string(),
        &total_w.to_string(),
        "",
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct TopicStatusArgs {
    /// Topic name.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Only the brokers of this cluster.
    #[arg(short = 'c', long = "cluster")]
    cluster: Option<String>,
}

pub async fn topic_status(ctx: &Ctx, a: TopicStatusArgs) -> anyhow::Result<()> {
    let topic = a.topic.trim();
    let mut stats = ctx
        .admin
        .topic_stats(topic)
        .await
        .map_err(|e| ctx.explain(e))?;
    if let Some(cluster) = &a.cluster {
        let info = ctx.cluster_info().await?;
        let Some(names) = info.cluster_addr_table.get(cluster.trim()) else {
            bail!("cluster {} not found on the name servers", cluster.trim());
        };
        stats
            .offset_table
            .retain(|mq, _| names.contains(&mq.broker_name));
    }
    if ctx.json {
        let queues: Vec<_> = stats
            .offset_table
            .iter()
            .map(|(mq, o)| {
                json!({
                    "brokerName": mq.broker_name,
                    "queueId": mq.queue_id,
                    "minOffset": o.min_offset,
                    "maxOffset": o.max_offset,
                    "lastUpdateTimestamp": o.last_update_timestamp,
                })
            })
            .collect();
        ctx.print_json(&json!({
            "topic": topic,
            "queues": queues,
            "topicPutTps": stats.topic_put_tps,
        }));
        return Ok(());
    }
    println!(
        "{:<32}  {:<4}  {:<20}  {:<20}    #Last Updated",
        "#Broker Name", "#QID", "#Min Offset", "#Max Offset"
    );
    for (mq, o) in &stats.offset_table {
        let updated = if o.last_update_timestamp > 0 {
            human_ms(o.last_update_timestamp)
        } else {
            String::new()
        };
        println!(
            "{:<32}  {:<4}  {:<20}  {:<20}    {}",
            front(&mq.broker_name, 32),
            mq.queue_id,
            o.min_offset,
            o.max_offset,
            updated
        );
    }
    println!();
    println!("Topic Put TPS: {}", java_double(stats.topic_put_tps));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_like_renderings() {
        assert_eq!(perm_string(6), "RW-");
        assert_eq!(perm_string(7), "RWX");
        assert_eq!(perm_string(4), "R--");
        assert_eq!(java_map([("a", 1), ("b", 2)]), "{a=1, b=2}");
        assert_eq!(java_map(Vec::<(String, String)>::new()), "{}");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(2.5), "2.5");
        let mut t = TopicConfig::new("T");
        t.read_queue_nums = 8;
        t.write_queue_nums = 8;
        assert_eq!(
            topic_config_line(&t, &[]),
            "TopicConfig [topicName=T, readQueueNums=8, writeQueueNums=8, perm=RW-, topicFilterType=SINGLE_TAG, \
             topicSysFlag=0, order=false, attributes={}]"
        );
        t.attributes.insert("message.type".into(), "FIFO".into());
        assert!(topic_config_line(&t, &["reserve.time".into()])
            .ends_with("attributes={+message.type=FIFO, -reserve.time=}]"));
    }
}
