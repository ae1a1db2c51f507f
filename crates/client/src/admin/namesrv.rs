//! Name-server calls (remoting-protocol.md §7.9): cluster info, topic lists, routes, KV config, write perms.

use std::collections::{BTreeMap, BTreeSet};

use ferrocket_protocol::body::{ClusterInfo, KVTable, TopicList, TopicRouteData};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::header::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteKvConfigRequestHeader, GetKvConfigRequestHeader, GetKvConfigResponseHeader,
    GetKvListByNamespaceRequestHeader, GetTopicsByClusterRequestHeader, PutKvConfigRequestHeader,
    WipeWritePermOfBrokerRequestHeader, WipeWritePermOfBrokerResponseHeader,
};

use super::Admin;
use crate::error::{ClientError, Result};
use crate::instance::remote::{check_success, response_header};

impl Admin {
    /// GET_BROKER_CLUSTER_INFO.
    pub async fn cluster_info(&self) -> Result<ClusterInfo> {
        let req = self.instance.request(request_code::GET_BROKER_CLUSTER_INFO);
        let resp = self.instance.invoke_namesrv_ok(req).await?;
        Ok(ClusterInfo::decode(&resp.body)?)
    }

    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER.
    pub async fn topic_list(&self) -> Result<BTreeSet<String>> {
        let req = self
            .instance
            .request(request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
        let resp = self.instance.invoke_namesrv_ok(req).await?;
        Ok(TopicList::decode(&resp.body)?.topic_list)
    }

    /// GET_TOPICS_BY_CLUSTER.
    pub async fn topics_by_cluster(&self, cluster: &str) -> Result<BTreeSet<String>> {
        let header = GetTopicsByClusterRequestHeader {
            cluster: cluster.to_owned(),
        };
        let req = self
            .instance
            .request_with(request_code::GET_TOPICS_BY_CLUSTER, &header);
        let resp = self.instance.invoke_namesrv_ok(req).await?;
        Ok(TopicList::decode(&resp.body)?.topic_list)
    }

    /// GET_ROUTEINFO_BY_TOPIC.
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData> {
        self.instance
            .fetch_route(topic)
            .await?
            .ok_or_else(|| ClientError::NoRoute(topic.to_owned()))
    }

    /// PUT_KV_CONFIG on every name server.
    pub async fn put_kv_config(&self, namespace: &str, key: &str, value: &str) -> Result<()> {
        let header = PutKvConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let req = self
            .instance
            .request_with(request_code::PUT_KV_CONFIG, &header);
        self.instance.invoke_all_namesrv_ok(req).await
    }

    /// GET_KV_CONFIG; `None` when absent.
    pub async fn get_kv_config(&self, namespace: &str, key: &str) -> Result<Option<String>> {
        let header = GetKvConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
        };
        let req = self
            .instance
            .request_with(request_code::GET_KV_CONFIG, &header);
        let (addr, resp) = self.instance.invoke_namesrv(req, self.timeout()).await?;
        if resp.code == response_code::QUERY_NOT_FOUND {
            return Ok(None);
        }
        let resp = check_success(&addr, resp)?;
        Ok(response_header::<GetKvConfigResponseHeader>(&addr, &resp)?.value)
    }

    /// DELETE_KV_CONFIG on every name server.
    pub async fn delete_kv_config(&self, namespace: &str, key: &str) -> Result<()> {
        let header = DeleteKvConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
        };
        let req = self
            .instance
            .request_with(request_code::DELETE_KV_CONFIG, &header);
        self.instance.invoke_all_namesrv_ok(req).await
    }

    /// GET_KVLIST_BY_NAMESPACE; empty when the namespace does not exist.
    pub async fn kv_list(&self, namespace: &str) -> Result<BTreeMap<String, String>> {
        let header = GetKvListByNamespaceRequestHeader {
            namespace: namespace.to_owned(),
        };
        let req = self
            .instance
            .request_with(request_code::GET_KVLIST_BY_NAMESPACE, &header);
        let (addr, resp) = self.instance.invoke_namesrv(req, self.timeout()).await?;
        if resp.code == response_code::QUERY_NOT_FOUND {
            return Ok(BTreeMap::new());
        }
        let resp = check_success(&addr, resp)?;
        Ok(KVTable::decode(&resp.body)?.table)
    }

    /// WIPE_WRITE_PERM_OF_BROKER on every name server; returns the topics changed per name server.
    pub async fn wipe_write_perm(&self, broker_name: &str) -> Result<Vec<(String, i32)>> {
        let header = WipeWritePermOfBrokerRequestHeader {
            broker_name: broker_name.to_owned(),
        };
        let mut out = Vec::new();
        for addr in &self.instance.config().namesrv_addrs {
            let req = self
                .instance
                .request_with(request_code::WIPE_WRITE_PERM_OF_BROKER, &header);
            let resp = self.instance.invoke_ok(addr, req, self.timeout()).await?;
            let h: WipeWritePermOfBrokerResponseHeader = response_header(addr, &resp)?;
            out.push((addr.clone(), h.wipe_topic_count));
        }
        Ok(out)
    }

    /// ADD_WRITE_PERM_OF_BROKER on every name server; returns the topics changed per name server.
    pub async fn add_write_perm(&self, broker_name: &str) -> Result<Vec<(String, i32)>> {
        let header = AddWritePermOfBrokerRequestHeader {
            broker_name: broker_name.to_owned(),
        };
        let mut out = Vec::new();
        for addr in &self.instance.config().namesrv_addrs {
            let req = self
                .instance
                .request_with(request_code::ADD_WRITE_PERM_OF_BROKER, &header);
            let resp = self.instance.invoke_ok(addr, req, self.timeout()).await?;
            let h: AddWritePermOfBrokerResponseHeader = response_header(addr, &resp)?;
            out.push((addr.clone(), h.add_topic_count));
        }
        Ok(out)
    }
}
