//! Name server requests (spec §7.9).

use crate::command_header;

command_header! {
    /// REGISTER_BROKER (103); body RegisterBrokerBody.
    pub struct RegisterBrokerRequestHeader {
        broker_name: req String => "brokerName",
        /// ip:port.
        broker_addr: req String => "brokerAddr",
        cluster_name: req String => "clusterName",
        /// brokerIP2:haPort.
        ha_server_addr: req String => "haServerAddr",
        /// 0 = master.
        broker_id: req i64 => "brokerId",
        heartbeat_timeout_millis: opt i64 => "heartbeatTimeoutMillis",
        enable_acting_master: opt bool => "enableActingMaster",
        /// Whether the body is the deflated form; Java always sends it.
        compressed: opt bool => "compressed",
        /// CRC-32 of the body masked with 0x7FFFFFFF; 0 = unchecked.
        body_crc32: opt i32 => "bodyCrc32",
        zone_name: opt String => "__ZONE_NAME",
    }
}

command_header! {
    /// Response to REGISTER_BROKER.
    pub struct RegisterBrokerResponseHeader {
        ha_server_addr: opt String => "haServerAddr",
        /// For slaves: their master's address.
        master_addr: opt String => "masterAddr",
    }
}

command_header! {
    /// UNREGISTER_BROKER (104).
    pub struct UnregisterBrokerRequestHeader {
        broker_name: req String => "brokerName",
        broker_addr: req String => "brokerAddr",
        cluster_name: req String => "clusterName",
        broker_id: req i64 => "brokerId",
    }
}

command_header! {
    /// GET_ROUTEINFO_BY_TOPIC (105).
    pub struct GetRouteInfoRequestHeader {
        topic: req String => "topic",
        accept_standard_json_only: opt bool => "acceptStandardJsonOnly",
    }
}

command_header! {
    /// DELETE_TOPIC_IN_NAMESRV (216).
    pub struct DeleteTopicFromNamesrvRequestHeader {
        topic: req String => "topic",
        /// Absent or empty = all clusters.
        cluster_name: opt String => "clusterName",
    }
}

command_header! {
    /// QUERY_DATA_VERSION (322); body DataVersion JSON.
    pub struct QueryDataVersionRequestHeader {
        broker_name: req String => "brokerName",
        broker_addr: req String => "brokerAddr",
        cluster_name: req String => "clusterName",
        broker_id: req i64 => "brokerId",
    }
}

command_header! {
    /// Response to QUERY_DATA_VERSION.
    pub struct QueryDataVersionResponseHeader {
        changed: req bool => "changed",
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205).
    pub struct WipeWritePermOfBrokerRequestHeader {
        broker_name: req String => "brokerName",
    }
}

command_header! {
    /// Response to WIPE_WRITE_PERM_OF_BROKER.
    pub struct WipeWritePermOfBrokerResponseHeader {
        wipe_topic_count: req i32 => "wipeTopicCount",
    }
}

command_header! {
    /// ADD_WRITE_PERM_OF_BROKER (327).
    pub struct AddWritePermOfBrokerRequestHeader {
        broker_name: req String => "brokerName",
    }
}

command_header! {
    /// Response to ADD_WRITE_PERM_OF_BROKER.
    pub struct AddWritePermOfBrokerResponseHeader {
        add_topic_count: req i32 => "addTopicCount",
    }
}

command_header! {
    /// PUT_KV_CONFIG (100).
    pub struct PutKvConfigRequestHeader {
        namespace: req String => "namespace",
        key: req String => "key",
        value: req String => "value",
    }
}

command_header! {
    /// GET_KV_CONFIG (101).
    pub struct GetKvConfigRequestHeader {
        namespace: req String => "namespace",
        key: req String => "key",
    }
}

command_header! {
    /// Response to GET_KV_CONFIG.
    pub struct GetKvConfigResponseHeader {
        value: opt String => "value",
    }
}

command_header! {
    /// DELETE_KV_CONFIG (102).
    pub struct DeleteKvConfigRequestHeader {
        namespace: req String => "namespace",
        key: req String => "key",
    }
}

command_header! {
    /// GET_KVLIST_BY_NAMESPACE (219).
    pub struct GetKvListByNamespaceRequestHeader {
        namespace: req String => "namespace",
    }
}

command_header! {
    /// GET_TOPICS_BY_CLUSTER (224).
    pub struct GetTopicsByClusterRequestHeader {
        cluster: req String => "cluster",
    }
}

command_header! {
    /// BROKER_HEARTBEAT (904): only refreshes liveness.
    pub struct BrokerHeartbeatRequestHeader {
        cluster_name: req String => "clusterName",
        broker_addr: req String => "brokerAddr",
        broker_name: req String => "brokerName",
        broker_id: opt i64 => "brokerId",
        epoch: opt i32 => "epoch",
        max_offset: opt i64 => "maxOffset",
        confirm_offset: opt i64 => "confirmOffset",
        heartbeat_timeout_mills: opt i64 => "heartbeatTimeoutMills",
        election_priority: opt i32 => "electionPriority",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::round_trip;

    #[test]
    fn round_trips() {
        round_trip(&RegisterBrokerRequestHeader {
            broker_name: "broker-a".into(),
            broker_addr: "10.0.0.1:10911".into(),
            cluster_name: "DefaultCluster".into(),
            ha_server_addr: "10.0.0.1:10912".into(),
            broker_id: 0,
            heartbeat_timeout_millis: Some(120_000),
            enable_acting_master: Some(false),
            compressed: Some(false),
            body_crc32: Some(0x7FFF_FFFF),
            zone_name: Some("z1".into()),
        });
        round_trip(&RegisterBrokerResponseHeader {
            ha_server_addr: None,
            master_addr: Some("10.0.0.1:10911".into()),
        });
        round_trip(&UnregisterBrokerRequestHeader {
            broker_name: "b".into(),
            broker_addr: "a:1".into(),
            cluster_name: "c".into(),
            broker_id: 1,
        });
        round_trip(&GetRouteInfoRequestHeader {
            topic: "T".into(),
            accept_standard_json_only: Some(true),
        });
        round_trip(&DeleteTopicFromNamesrvRequestHeader {
            topic: "T".into(),
            cluster_name: None,
        });
        round_trip(&QueryDataVersionRequestHeader {
            broker_name: "b".into(),
            broker_addr: "a:1".into(),
            cluster_name: "c".into(),
            broker_id: 0,
        });
        round_trip(&QueryDataVersionResponseHeader { changed: true });
        round_trip(&WipeWritePermOfBrokerRequestHeader {
            broker_name: "b".into(),
        });
        round_trip(&WipeWritePermOfBrokerResponseHeader {
            wipe_topic_count: 3,
        });
        round_trip(&AddWritePermOfBrokerRequestHeader {
            broker_name: "b".into(),
        });
        round_trip(&AddWritePermOfBrokerResponseHeader { add_topic_count: 3 });
        round_trip(&PutKvConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "T".into(),
            value: "b:4".into(),
        });
        round_trip(&GetKvConfigRequestHeader {
            namespace: "N".into(),
            key: "K".into(),
        });
        round_trip(&GetKvConfigResponseHeader {
            value: Some("V".into()),
        });
        round_trip(&DeleteKvConfigRequestHeader {
            namespace: "N".into(),
            key: "K".into(),
        });
        round_trip(&GetKvListByNamespaceRequestHeader {
            namespace: "N".into(),
        });
        round_trip(&GetTopicsByClusterRequestHeader {
            cluster: "DefaultCluster".into(),
        });
        round_trip(&BrokerHeartbeatRequestHeader {
            cluster_name: "c".into(),
            broker_addr: "a:1".into(),
            broker_name: "b".into(),
            broker_id: Some(0),
            epoch: Some(1),
            max_offset: Some(100),
            confirm_offset: Some(90),
            heartbeat_timeout_mills: Some(1000),
            election_priority: None,
        });
    }
}
