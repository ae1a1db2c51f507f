//! clusterList, brokerStatus, updateBrokerConfig, getBrokerConfig.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use clap::{ArgGroup, Args};
use ferrocket_client::admin::{ClusterInfo, Target};
use serde_json::json;

use super::context::Ctx;
use super::timefmt::now_ms;

#[derive(Args, Debug)]
pub struct ClusterListArgs {
    /// More stats: message totals of yesterday and today.
    #[arg(short = 'm', long = "moreStats")]
    more_stats: bool,
    /// Repeat every this many seconds (until interrupted).
    #[arg(short = 'i', long = "interval")]
    interval: Option<u64>,
    /// Only this cluster.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
}

/// One broker's row of `clusterList`, from its runtime table.
struct BrokerRow {
    cluster: String,
    broker_name: String,
    broker_id: i64,
    addr: String,
    table: BTreeMap<String, String>,
}

impl BrokerRow {
    fn get(&self, key: &str) -> Option<&str> {
        self.table.get(key).map(String::as_str)
    }

    /// A table value as Java's `String.valueOf` of a missing entry would print it.
    fn text(&self, key: &str) -> &str {
        self.get(key).unwrap_or("null")
    }

    /// The first number of a rate string such as `putTps` (`"12.5 11.0 10.2"`).
    fn first_number(&self, key: &str) -> f64 {
        self.get(key)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    fn long(&self, key: &str) -> i64 {
        self.get(key)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    fn hours_of_data(&self) -> f64 {
        match self
            .get("earliestMessageTimeStamp")
            .and_then(|v| v.parse::<i64>().ok())
        {
            Some(t) if t > 0 => (now_ms() - t) as f64 / 1000.0 / 3600.0,
            _ => 0.0,
        }
    }

    fn in_tps(&self) -> String {
        format!(
            "{:9.2}({},{}ms)",
            self.first_number("putTps"),
            self.text("sendThreadPoolQueueSize"),
            self.text("sendThreadPoolQueueHeadWaitTimeMills")
        )
    }

    fn out_tps(&self) -> String {
        format!(
            "{:9.2}({},{}ms|{},{}ms)",
            self.first_number("getTransferredTps"),
            self.text("pullThreadPoolQueueSize"),
            self.text("pullThreadPoolQueueHeadWaitTimeMills"),
            self.get("ackThreadPoolQueueSize").unwrap_or("N"),
            self.get("ackThreadPoolQueueHeadWaitTimeMills")
                .unwrap_or("N")
        )
    }

    fn timer(&self) -> String {
        let f = |k: &str| {
            self.get(k)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        format!(
            "{}-{}({:.1}w, {:.1}, {:.1})",
            self.long("timerReadBehind"),
            self.long("timerOffsetBehind"),
            self.long("timerCongestNum") as f64 / 10000.0,
            f("timerEnqueueTps"),
            f("timerDequeueTps")
        )
    }

    fn space(&self) -> f64 {
        self.get("commitLogDiskRatio")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    fn active(&self) -> bool {
        self.get("brokerActive")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

async fn broker_rows(
    ctx: &Ctx,
    info: &ClusterInfo,
    only: Option<&str>,
) -> anyhow::Result<Vec<BrokerRow>> {
    if let Some(c) = only {
        if !info.cluster_addr_table.contains_key(c) {
            bail!("cluster {c} not found on the name servers");
        }
    }
    let mut rows = Vec::new();
    for (cluster, names) in &info.cluster_addr_table {
        if only.is_some_and(|c| c != cluster) {
            continue;
        }
        for name in names {
            let Some(b) = info.broker_addr_table.get(name) else {
                continue;
            };
            for (id, addr) in &b.broker_addrs {
                let table = match ctx.admin.broker_runtime_info(addr).await {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{}", ctx.explain(e));
                        BTreeMap::new()
                    }
                };
                rows.push(BrokerRow {
                    cluster: cluster.clone(),
                    broker_name: name.clone(),
                    broker_id: *id,
                    addr: addr.clone(),
                    table,
                });
            }
        }
    }
    Ok(rows)
}

fn print_base(rows: &[BrokerRow]) {
    println!(
        "{:<22}  {:<22}  {:<4}  {:<22} {:<16}  {:>16}  {:>30}  {:<22}  {:<11}  {:<12}  {:<8}  {:<10}",
        "#Cluster Name",
        "#Broker Name",
        "#BID",
        "#Addr",
        "#Version",
        "#InTPS(LOAD)",
        "#OutTPS(LOAD)",
        "#Timer(Progress)",
        "#PCWait(ms)",
        "#Hour",
        "#SPACE",
        "#ACTIVATED"
    );
    for r in rows {
        println!(
            "{:<22}  {:<22}  {:<4}  {:<22} {:<16}  {:>16}  {:>30}  {:<22}  {:>11}  {:<12}  {:<8}  {:>10}",
            r.cluster,
            r.broker_name,
            r.broker_id,
            r.addr,
            r.get("brokerVersionDesc").unwrap_or(""),
            r.in_tps(),
            r.out_tps(),
            r.timer(),
            r.text("pageCacheLockTimeMills"),
            format!("{:2.2}", r.hours_of_data()),
            format!("{:.4}", r.space()),
            r.active()
        );
    }
}

/// Yesterday's and today's put/get totals (`-m`).
fn totals(r: &BrokerRow) -> [i64; 4] {
    let l = |k: &str| r.long(k);
    [
        l("msgPutTotalTodayMorning") - l("msgPutTotalYesterdayMorning"),
        l("msgGetTotalTodayMorning") - l("msgGetTotalYesterdayMorning"),
        l("msgPutTotalTodayNow") - l("msgPutTotalTodayMorning"),
        l("msgGetTotalTodayNow") - l("msgGetTotalTodayMorning"),
    ]
}

fn print_more(rows: &[BrokerRow]) {
    println!(
        "{:<16}  {:<32} {:>14} {:>14} {:>14} {:>14}",
        "#Cluster Name",
        "#Broker Name",
        "#InTotalYest",
        "#OutTotalYest",
        "#InTotalToday",
        "#OutTotalToday"
    );
    for r in rows {
        let [a, b, c, d] = totals(r);
        println!(
            "{:<16}  {:<32} {a:>14} {b:>14} {c:>14} {d:>14}",
            r.cluster, r.broker_name
        );
    }
}

fn rows_json(rows: &[BrokerRow]) -> serde_json::Value {
    let v: Vec<_> = rows
        .iter()
        .map(|r| {
            let [in_yest, out_yest, in_today, out_today] = totals(r);
            json!({
                "cluster": r.cluster,
                "brokerName": r.broker_name,
                "brokerId": r.broker_id,
                "addr": r.addr,
                "version": r.get("brokerVersionDesc"),
                "inTps": r.first_number("putTps"),
                "outTps": r.first_number("getTransferredTps"),
                "hours": r.hours_of_data(),
                "space": r.space(),
                "activated": r.active(),
                "inTotalYesterday": in_yest,
                "outTotalYesterday": out_yest,
                "inTotalToday": in_today,
                "outTotalToday": out_today,
            })
        })
        .collect();
    json!(v)
}

pub async fn cluster_list(ctx: &Ctx, a: ClusterListArgs) -> anyhow::Result<()> {
    let only = a.cluster_name.as_deref().map(str::trim);
    loop {
        let info = ctx.cluster_info().await?;
        let rows = broker_rows(ctx, &info, only).await?;
        if ctx.json {
            ctx.print_json(&rows_json(&rows));
        } else if a.more_stats {
            print_more(&rows);
        } else {
            print_base(&rows);
        }
        match a.interval {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs.max(1))).await,
            None => return Ok(()),
        }
    }
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct BrokerStatusArgs {
    /// Broker address (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Every broker (masters and slaves) of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
}

pub async fn broker_status(ctx: &Ctx, a: BrokerStatusArgs) -> anyhow::Result<()> {
    let (addrs, with_addr) = match (&a.broker_addr, &a.cluster_name) {
        (Some(b), _) => (vec![b.trim().to_owned()], false),
        (None, Some(c)) => (
            ctx.members(c.trim())
                .await?
                .into_iter()
                .map(|(_, _, addr)| addr)
                .collect(),
            true,
        ),
        (None, None) => unreachable!("clap requires -b or -c"),
    };
    let mut all = serde_json::Map::new();
    for addr in addrs {
        let table = ctx
            .admin
            .broker_runtime_info(&addr)
            .await
            .map_err(|e| ctx.explain(e))?;
        if ctx.json {
            all.insert(addr.clone(), json!(table));
            continue;
        }
        for (k, v) in &table {
            if with_addr {
                println!("{addr:<24} {k:<32}: {v}");
            } else {
                println!("{k:<32}: {v}");
            }
        }
    }
    if ctx.json {
        ctx.print_json(&serde_json::Value::Object(all));
    }
    Ok(())
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateBrokerConfigArgs {
    /// Broker address (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Every master of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
    /// With -c: slaves too (any value turns it on, as in Apache).
    #[arg(short = 'a', long = "updateAllBroker")]
    update_all_broker: Option<String>,
    /// Setting name.
    #[arg(short = 'k', long = "key")]
    key: String,
    /// New value.
    #[arg(short = 'v', long = "value")]
    value: String,
}

pub async fn update_broker_config(ctx: &Ctx, a: UpdateBrokerConfigArgs) -> anyhow::Result<()> {
    let addrs: Vec<String> = match (&a.broker_addr, &a.cluster_name) {
        (Some(b), _) => vec![b.trim().to_owned()],
        (None, Some(c)) if a.update_all_broker.is_some() => ctx
            .members(c.trim())
            .await?
            .into_iter()
            .map(|(_, _, addr)| addr)
            .collect(),
        (None, Some(c)) => ctx.masters(c.trim()).await?,
        (None, None) => unreachable!("clap requires -b or -c"),
    };
    let settings = BTreeMap::from([(a.key.trim().to_owned(), a.value.trim().to_owned())]);
    let mut updated = Vec::new();
    for addr in addrs {
        ctx.admin
            .update_broker_config(&Target::Broker(addr.clone()), &settings)
            .await
            .map_err(|e| ctx.explain(e))?;
        if !ctx.json {
            println!("update broker config success, {addr}");
        }
        updated.push(addr);
    }
    if ctx.json {
        ctx.print_json(&json!({"key": a.key.trim(), "value": a.value.trim(), "brokers": updated}));
    }
    Ok(())
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct GetBrokerConfigArgs {
    /// Broker address (ip:port).
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// Every broker of this cluster, masters with their slaves.
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
}

pub async fn get_broker_config(ctx: &Ctx, a: GetBrokerConfigArgs) -> anyhow::Result<()> {
    // (banner, address)
    let mut targets: Vec<(String, String)> = Vec::new();
    if let Some(b) = &a.broker_addr {
        let b = b.trim();
        targets.push((format!("============{b}============"), b.to_owned()));
    } else if let Some(c) = &a.cluster_name {
        let members = ctx.members(c.trim()).await?;
        let mut by_name: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
        for (name, id, addr) in &members {
            by_name.entry(name).or_default().push((*id, addr));
        }
        for group in by_name.values() {
            let Some(master) = group.iter().find(|(id, _)| *id == 0).map(|(_, a)| *a) else {
                continue;
            };
            targets.push((
                format!("============Master: {master}============"),
                master.to_owned(),
            ));
            for (_, slave) in group.iter().filter(|(id, _)| *id != 0) {
                targets.push((
                    format!("============My Master: {master}=====Slave: {slave}============"),
                    (*slave).to_owned(),
                ));
            }
        }
    }
    let mut all = serde_json::Map::new();
    for (banner, addr) in targets {
        let config = ctx
            .admin
            .broker_config(&addr)
            .await
            .map_err(|e| ctx.explain(e))?;
        if ctx.json {
            all.insert(addr, json!(config));
            continue;
        }
        println!("{banner}");
        for (k, v) in &config {
            println!("{k:<50}=  {v}");
        }
        println!();
    }
    if ctx.json {
        ctx.print_json(&serde_json::Value::Object(all));
    }
    Ok(())
}
