//! The admin API (what `mqadmin` does, broker-config.md §4): topics, groups, clusters, broker runtime and
//! configuration, consumer progress and connections, offsets, message lookups, name-server KV config.
//!
//! ```no_run
//! # async fn demo() -> ferrocket_client::Result<()> {
//! use ferrocket_client::admin::{Admin, Target};
//! use ferrocket_client::admin::TopicConfig;
//! let admin = Admin::connect("127.0.0.1:9876").await?;
//! let mut t = TopicConfig::new("Orders");
//! t.read_queue_nums = 8;
//! t.write_queue_nums = 8;
//! admin.create_topic(&Target::Cluster("DefaultCluster".into()), &t).await?;
//! println!("{:?}", admin.topic_route("Orders").await?);
//! # Ok(()) }
//! ```

mod broker;
mod group;
mod message;
mod namesrv;
mod offset;
mod topic;

use std::sync::Arc;

pub use crate::api::offset::BoundaryType;
pub use ferrocket_protocol::body::{
    BrokerData, CMResult, ClusterInfo, ConsumeMessageDirectlyResult, ConsumeStats,
    ConsumerConnection, ConsumerRunningInfo, OffsetWrapper, QueueData, SubscriptionGroupConfig,
    SubscriptionGroupWrapper, TopicConfig, TopicConfigAndMappingSerializeWrapper, TopicOffset,
    TopicRouteData, TopicStatsTable,
};

use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

/// Which brokers an admin write goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One broker, by address.
    Broker(String),
    /// Every master of a cluster.
    Cluster(String),
}

/// Admin client. Cheap to clone.
#[derive(Clone)]
pub struct Admin {
    instance: Arc<ClientInstance>,
}

impl Admin {
    /// An admin on the given name servers (`host:port[;...]`).
    pub async fn connect(namesrv: &str) -> Result<Admin> {
        let config = ClientConfig {
            instance_name: format!("admin-{}", std::process::id()),
            ..Default::default()
        }
        .namesrv(namesrv);
        Self::with_config(config).await
    }

    pub async fn with_config(config: ClientConfig) -> Result<Admin> {
        Ok(Admin {
            instance: ClientInstance::obtain(&config).await?,
        })
    }

    pub fn instance(&self) -> &Arc<ClientInstance> {
        &self.instance
    }

    /// The master addresses a target stands for.
    pub async fn target_addrs(&self, target: &Target) -> Result<Vec<String>> {
        match target {
            Target::Broker(addr) => Ok(vec![addr.clone()]),
            Target::Cluster(cluster) => {
                let info = self.cluster_info().await?;
                let names = info
                    .cluster_addr_table
                    .get(cluster)
                    .ok_or_else(|| ClientError::Config(format!("cluster {cluster} not found")))?;
                let addrs: Vec<String> = names
                    .iter()
                    .filter_map(|n| info.broker_addr_table.get(n))
                    .filter_map(|b| b.master_addr().map(str::to_owned))
                    .collect();
                if addrs.is_empty() {
                    return Err(ClientError::Config(format!(
                        "cluster {cluster} has no master"
                    )));
                }
                Ok(addrs)
            }
        }
    }

    /// Masters of every broker that hosts `topic`.
    async fn topic_masters(&self, topic: &str) -> Result<Vec<(String, String)>> {
        let route = self.topic_route(topic).await?;
        let mut out: Vec<(String, String)> = route
            .broker_datas
            .iter()
            .filter_map(|b| {
                b.master_addr()
                    .or_else(|| b.broker_addrs.values().next().map(String::as_str))
                    .map(|a| (b.broker_name.clone(), a.to_owned()))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    fn timeout(&self) -> std::time::Duration {
        self.instance.config().api_timeout
    }
}

/// Java `.properties` text (as GET_BROKER_CONFIG returns it) into key → value.
pub fn parse_properties(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let (k, v) = l.split_once('=').or_else(|| l.split_once(':'))?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_text() {
        let p = parse_properties(
            "# comment\nbrokerName=broker-a\n listenPort = 10911\n\nflag:true\nempty=\n",
        );
        assert_eq!(p.get("brokerName").map(String::as_str), Some("broker-a"));
        assert_eq!(p.get("listenPort").map(String::as_str), Some("10911"));
        assert_eq!(p.get("flag").map(String::as_str), Some("true"));
        assert_eq!(p.get("empty").map(String::as_str), Some(""));
        assert_eq!(p.len(), 4);
    }
}
