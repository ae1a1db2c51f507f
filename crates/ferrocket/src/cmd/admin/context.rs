//! What every admin command shares: the admin client, the output mode, and errors that say what went wrong in
//! terms of the command line (which server could not be reached, which topic does not exist).

use std::time::Duration;

use anyhow::anyhow;
use ferrocket_client::admin::{Admin, ClusterInfo};
use ferrocket_client::{ClientConfig, ClientError};
use ferrocket_protocol::codes::response_code;
use ferrocket_remoting::RemotingError;

use super::raw::RawPool;

pub struct Ctx {
    pub admin: Admin,
    /// `--json`: print one JSON document instead of Apache's columns.
    pub json: bool,
    pub namesrv: Vec<String>,
    pub timeout: Duration,
    /// Connections for the requests the client API lacks.
    pub raw: RawPool,
}

impl Ctx {
    /// An admin client on `-n` (or NAMESRV_ADDR). Connections are made lazily, by the first request.
    pub async fn connect(
        namesrv: Option<&str>,
        json: bool,
        timeout: Duration,
    ) -> anyhow::Result<Ctx> {
        let list = namesrv
            .map(str::to_owned)
            .or_else(|| std::env::var("NAMESRV_ADDR").ok())
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                anyhow!("no name server address: give -n host:port[;host:port] or set NAMESRV_ADDR")
            })?;
        let config = ClientConfig {
            instance_name: format!("admin-{}", std::process::id()),
            api_timeout: timeout,
            connect_timeout: timeout,
            ..ClientConfig::default()
        }
        .namesrv(&list);
        let namesrv = config.namesrv_addrs.clone();
        for addr in &namesrv {
            if addr
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .is_none()
            {
                anyhow::bail!("name server address `{addr}` is not host:port");
            }
        }
        let admin = Admin::with_config(config)
            .await
            .map_err(|e| anyhow!("cannot start the admin client: {e}"))?;
        Ok(Ctx {
            admin,
            json,
            namesrv,
            timeout,
            raw: RawPool::default(),
        })
    }

    /// A client error as a message about the command line's terms.
    pub fn explain(&self, e: ClientError) -> anyhow::Error {
        let server = |addr: &str| {
            if self.namesrv.iter().any(|n| n == addr) {
                format!("name server {addr}")
            } else {
                format!("broker {addr}")
            }
        };
        match &e {
            ClientError::Remoting(RemotingError::Connect { addr, source }) => {
                anyhow!("cannot reach {}: {source}", server(addr))
            }
            ClientError::Remoting(RemotingError::Timeout { addr, millis, .. }) => {
                anyhow!("{} did not answer within {millis} ms", server(addr))
            }
            ClientError::Remoting(RemotingError::Closed { addr }) => {
                anyhow!("{} closed the connection", server(addr))
            }
            ClientError::NoRoute(topic) => {
                anyhow!("topic {topic} does not exist (the name servers have no route for it)")
            }
            ClientError::Broker { code, remark, addr }
                if *code == response_code::TOPIC_NOT_EXIST =>
            {
                anyhow!("topic does not exist ({} says: {remark})", server(addr))
            }
            _ => anyhow!(e),
        }
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json(&self, value: &serde_json::Value) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        );
    }

    pub async fn cluster_info(&self) -> anyhow::Result<ClusterInfo> {
        self.admin.cluster_info().await.map_err(|e| self.explain(e))
    }

    /// The master addresses of `cluster`.
    pub async fn masters(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        let info = self.cluster_info().await?;
        let names = info
            .cluster_addr_table
            .get(cluster)
            .ok_or_else(|| anyhow!("cluster {cluster} not found on the name servers"))?;
        let addrs: Vec<String> = names
            .iter()
            .filter_map(|n| info.broker_addr_table.get(n))
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect();
        if addrs.is_empty() {
            anyhow::bail!("cluster {cluster} has no master broker");
        }
        Ok(addrs)
    }

    /// Every member of `cluster` as (broker name, broker id, address), masters first within a broker group.
    pub async fn members(&self, cluster: &str) -> anyhow::Result<Vec<(String, i64, String)>> {
        let info = self.cluster_info().await?;
        let names = info
            .cluster_addr_table
            .get(cluster)
            .ok_or_else(|| anyhow!("cluster {cluster} not found on the name servers"))?;
        let mut out = Vec::new();
        for name in names {
            if let Some(b) = info.broker_addr_table.get(name) {
                for (id, addr) in &b.broker_addrs {
                    out.push((name.clone(), *id, addr.clone()));
                }
            }
        }
        Ok(out)
    }

    /// The broker name registered for `addr`.
    pub async fn broker_name_of(&self, addr: &str) -> anyhow::Result<String> {
        let info = self.cluster_info().await?;
        info.broker_addr_table
            .values()
            .find(|b| b.broker_addrs.values().any(|a| a == addr))
            .map(|b| b.broker_name.clone())
            .ok_or_else(|| anyhow!("no broker registered at {addr}"))
    }

    /// The master address of broker group `broker_name`.
    pub async fn master_of(&self, broker_name: &str) -> anyhow::Result<String> {
        let info = self.cluster_info().await?;
        info.broker_addr_table
            .get(broker_name)
            .and_then(|b| {
                b.master_addr()
                    .or_else(|| b.broker_addrs.values().next().map(String::as_str))
            })
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("broker {broker_name} is not registered on the name servers"))
    }
}

/// Java's `UtilAll.frontStringAtLeast`: at most `n` characters.
pub fn front(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_cuts_on_characters() {
        assert_eq!(front("abcdef", 3), "abc");
        assert_eq!(front("ab", 3), "ab");
        assert_eq!(front("äöüß", 2), "äö");
    }
}
