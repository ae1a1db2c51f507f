//! Topic administration (remoting-protocol.md §7.8): create, delete, stats, configs, consuming groups.

use std::collections::BTreeSet;

use ferrocket_protocol::body::{
    TopicConfig, TopicConfigAndMappingSerializeWrapper, TopicStatsTable,
};
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::consume_by_who::{GroupList, QueryTopicConsumeByWhoRequestHeader};
use ferrocket_protocol::header::{
    CreateTopicRequestHeader, DeleteTopicFromNamesrvRequestHeader, DeleteTopicRequestHeader,
    GetTopicStatsInfoRequestHeader,
};

use super::{Admin, Target};
use crate::error::Result;
use crate::message::validate_topic;

/// The `attributes` ext of UPDATE_AND_CREATE_TOPIC: `+k=v,+k2=v2` for the config's attributes, then `-k3` for each
/// attribute to remove.
fn attributes_ext(config: &TopicConfig, remove: &[String]) -> Option<String> {
    let edits: Vec<String> = config
        .attributes
        .iter()
        .map(|(k, v)| format!("+{k}={v}"))
        .chain(remove.iter().map(|k| format!("-{k}")))
        .collect();
    (!edits.is_empty()).then(|| edits.join(","))
}

impl Admin {
    /// UPDATE_AND_CREATE_TOPIC on one broker or every master of a cluster.
    pub async fn create_topic(&self, target: &Target, config: &TopicConfig) -> Result<()> {
        self.update_topic(target, config, &[]).await
    }

    /// UPDATE_AND_CREATE_TOPIC that also removes the named attributes of an existing topic (`-key` edits; the
    /// config's attributes are `+key=value` edits). The broker refuses removals while creating a topic and the
    /// removal of an attribute the topic does not have.
    pub async fn update_topic(
        &self,
        target: &Target,
        config: &TopicConfig,
        remove_attributes: &[String],
    ) -> Result<()> {
        validate_topic(&config.topic_name)?;
        let header = CreateTopicRequestHeader {
            topic: config.topic_name.clone(),
            default_topic: "TBW102".into(),
            read_queue_nums: config.read_queue_nums,
            write_queue_nums: config.write_queue_nums,
            perm: config.perm,
            topic_filter_type: config.topic_filter_type.as_str().into(),
            topic_sys_flag: Some(config.topic_sys_flag),
            order: config.order,
            attributes: attributes_ext(config, remove_attributes),
            force: None,
        };
        for addr in self.target_addrs(target).await? {
            let req = self
                .instance
                .request_with(request_code::UPDATE_AND_CREATE_TOPIC, &header);
            self.instance.invoke_ok(&addr, req, self.timeout()).await?;
        }
        Ok(())
    }

    /// DELETE_TOPIC_IN_BROKER on every master of `cluster`, then DELETE_TOPIC_IN_NAMESRV on every name server.
    pub async fn delete_topic(&self, topic: &str, cluster: &str) -> Result<()> {
        let header = DeleteTopicRequestHeader {
            topic: topic.to_owned(),
        };
        for addr in self
            .target_addrs(&Target::Cluster(cluster.to_owned()))
            .await?
        {
            let req = self
                .instance
                .request_with(request_code::DELETE_TOPIC_IN_BROKER, &header);
            self.instance.invoke_ok(&addr, req, self.timeout()).await?;
        }
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_owned(),
            cluster_name: Some(cluster.to_owned()),
        };
        let req = self
            .instance
            .request_with(request_code::DELETE_TOPIC_IN_NAMESRV, &header);
        self.instance.invoke_all_namesrv_ok(req).await
    }

    /// GET_TOPIC_STATS_INFO at every broker of the topic, merged.
    pub async fn topic_stats(&self, topic: &str) -> Result<TopicStatsTable> {
        let header = GetTopicStatsInfoRequestHeader {
            topic: topic.to_owned(),
        };
        let mut all = TopicStatsTable::default();
        for (_, addr) in self.topic_masters(topic).await? {
            let req = self
                .instance
                .request_with(request_code::GET_TOPIC_STATS_INFO, &header);
            let resp = self.instance.invoke_ok(&addr, req, self.timeout()).await?;
            let t = TopicStatsTable::decode(&resp.body)?;
            all.offset_table.extend(t.offset_table);
            all.topic_put_tps += t.topic_put_tps;
        }
        Ok(all)
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO at every broker of the topic's route, merged: the groups subscribed to the topic
    /// online or holding offsets on it. Brokers that cannot be asked are skipped while another one answers.
    pub async fn topic_consumed_by(&self, topic: &str) -> Result<BTreeSet<String>> {
        let header = QueryTopicConsumeByWhoRequestHeader {
            topic: topic.to_owned(),
        };
        let mut groups = BTreeSet::new();
        let mut answered = false;
        let mut last_err = None;
        for (_, addr) in self.topic_masters(topic).await? {
            let req = self
                .instance
                .request_with(request_code::QUERY_TOPIC_CONSUME_BY_WHO, &header);
            match self.instance.invoke_ok(&addr, req, self.timeout()).await {
                Ok(resp) => {
                    groups.extend(GroupList::decode(&resp.body)?.group_list);
                    answered = true;
                }
                Err(e) => last_err = Some(e),
            }
        }
        match last_err {
            Some(e) if !answered => Err(e),
            _ => Ok(groups),
        }
    }

    /// GET_ALL_TOPIC_CONFIG at one broker.
    pub async fn all_topic_config(
        &self,
        broker_addr: &str,
    ) -> Result<TopicConfigAndMappingSerializeWrapper> {
        let req = self.instance.request(request_code::GET_ALL_TOPIC_CONFIG);
        let resp = self
            .instance
            .invoke_ok(broker_addr, req, self.timeout())
            .await?;
        Ok(TopicConfigAndMappingSerializeWrapper::decode(&resp.body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_edit_syntax() {
        let mut t = TopicConfig::new("T");
        assert_eq!(attributes_ext(&t, &[]), None);
        assert_eq!(attributes_ext(&t, &["c".into()]).as_deref(), Some("-c"));
        t.attributes.insert("message.type".into(), "FIFO".into());
        t.attributes.insert("a".into(), "b".into());
        assert_eq!(
            attributes_ext(&t, &[]).as_deref(),
            Some("+a=b,+message.type=FIFO")
        );
        assert_eq!(
            attributes_ext(&t, &["c".into(), "d".into()]).as_deref(),
            Some("+a=b,+message.type=FIFO,-c,-d")
        );
    }
}
