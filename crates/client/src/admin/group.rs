//! Consumer-group administration and inspection (remoting-protocol.md §7.8, §16.3).

use ferrocket_protocol::body::{
    ConsumeStats, ConsumerConnection, ConsumerRunningInfo, SubscriptionGroupConfig,
    SubscriptionGroupWrapper,
};
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::header::{
    DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader,
    GetConsumerConnectionListRequestHeader, GetConsumerRunningInfoRequestHeader,
};

use super::{Admin, Target};
use crate::api::pull::retry_topic;
use crate::error::{ClientError, Result};

impl Admin {
    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on one broker or every master of a cluster.
    pub async fn create_group(
        &self,
        target: &Target,
        config: &SubscriptionGroupConfig,
    ) -> Result<()> {
        if config.group_name.is_empty() {
            return Err(ClientError::Config("group name is empty".into()));
        }
        let body = config.encode();
        for addr in self.target_addrs(target).await? {
            let req = self
                .instance
                .request(request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(body.clone());
            self.instance.invoke_ok(&addr, req, self.timeout()).await?;
        }
        Ok(())
    }

    /// DELETE_SUBSCRIPTIONGROUP on one broker or every master of a cluster.
    pub async fn delete_group(
        &self,
        target: &Target,
        group: &str,
        clean_offset: bool,
    ) -> Result<()> {
        let header = DeleteSubscriptionGroupRequestHeader {
            group_name: group.to_owned(),
            clean_offset: Some(clean_offset),
        };
        for addr in self.target_addrs(target).await? {
            let req = self
                .instance
                .request_with(request_code::DELETE_SUBSCRIPTIONGROUP, &header);
            self.instance.invoke_ok(&addr, req, self.timeout()).await?;
        }
        Ok(())
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG at one broker.
    pub async fn all_group_config(&self, broker_addr: &str) -> Result<SubscriptionGroupWrapper> {
        let req = self
            .instance
            .request(request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
        let resp = self
            .instance
            .invoke_ok(broker_addr, req, self.timeout())
            .await?;
        Ok(SubscriptionGroupWrapper::decode(&resp.body)?)
    }

    /// Brokers that know `group`: those of its retry topic, else every master.
    async fn group_brokers(&self, group: &str) -> Result<Vec<String>> {
        if let Ok(masters) = self.topic_masters(&retry_topic(group)).await {
            if !masters.is_empty() {
                return Ok(masters.into_iter().map(|(_, a)| a).collect());
            }
        }
        let info = self.cluster_info().await?;
        let all: Vec<String> = info
            .broker_addr_table
            .values()
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect();
        if all.is_empty() {
            return Err(ClientError::Config("no broker registered".into()));
        }
        Ok(all)
    }

    /// GET_CONSUME_STATS at every broker of the group (optionally for one topic), merged: per queue the broker
    /// offset, the group's offset and the lag.
    pub async fn consume_stats(&self, group: &str, topic: Option<&str>) -> Result<ConsumeStats> {
        let header = GetConsumeStatsRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.map(str::to_owned),
            topic_list: None,
        };
        let mut all = ConsumeStats::default();
        for addr in self.group_brokers(group).await? {
            let req = self
                .instance
                .request_with(request_code::GET_CONSUME_STATS, &header);
            let resp = self.instance.invoke_ok(&addr, req, self.timeout()).await?;
            let s = ConsumeStats::decode(&resp.body)?;
            all.offset_table.extend(s.offset_table);
            all.consume_tps += s.consume_tps;
        }
        Ok(all)
    }

    /// GET_CONSUMER_CONNECTION_LIST: the group's connected clients and subscriptions (first broker that knows
    /// them).
    pub async fn consumer_connections(&self, group: &str) -> Result<ConsumerConnection> {
        let header = GetConsumerConnectionListRequestHeader {
            consumer_group: group.to_owned(),
        };
        let mut last_err = None;
        for addr in self.group_brokers(group).await? {
            let req = self
                .instance
                .request_with(request_code::GET_CONSUMER_CONNECTION_LIST, &header);
            match self.instance.invoke_ok(&addr, req, self.timeout()).await {
                Ok(resp) => return Ok(ConsumerConnection::decode(&resp.body)?),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| ClientError::Config(format!("group {group} not online"))))
    }

    /// GET_CONSUMER_CONNECTION_LIST at one broker: the clients of the group connected to it (CONSUMER_NOT_ONLINE
    /// as a broker error when none are).
    pub async fn consumer_connections_at(
        &self,
        broker_addr: &str,
        group: &str,
    ) -> Result<ConsumerConnection> {
        let header = GetConsumerConnectionListRequestHeader {
            consumer_group: group.to_owned(),
        };
        let req = self
            .instance
            .request_with(request_code::GET_CONSUMER_CONNECTION_LIST, &header);
        let resp = self
            .instance
            .invoke_ok(broker_addr, req, self.timeout())
            .await?;
        Ok(ConsumerConnection::decode(&resp.body)?)
    }

    /// GET_CONSUMER_RUNNING_INFO: asks one consumer (through a broker it is connected to) to describe itself.
    pub async fn consumer_running_info(
        &self,
        group: &str,
        client_id: &str,
        jstack: bool,
    ) -> Result<ConsumerRunningInfo> {
        let header = GetConsumerRunningInfoRequestHeader {
            consumer_group: group.to_owned(),
            client_id: client_id.to_owned(),
            jstack_enable: Some(jstack),
        };
        let mut last_err = None;
        for addr in self.group_brokers(group).await? {
            let req = self
                .instance
                .request_with(request_code::GET_CONSUMER_RUNNING_INFO, &header);
            match self
                .instance
                .invoke_ok(
                    &addr,
                    req,
                    self.timeout().max(std::time::Duration::from_secs(12)),
                )
                .await
            {
                Ok(resp) if !resp.body.is_empty() => {
                    return Ok(ConsumerRunningInfo::decode(&resp.body)?)
                }
                Ok(_) => {
                    last_err = Some(ClientError::bad_response(
                        &addr,
                        "running info without a body",
                    ))
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err
            .unwrap_or_else(|| ClientError::Config(format!("consumer {client_id} not online"))))
    }
}
