//! GET_BROKER_CLUSTER_INFO and the write-permission switches of WIPE/ADD_WRITE_PERM_OF_BROKER.

use bytes::Bytes;
use ferrocket_protocol::body::{BrokerData, ClusterInfo};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    WipeWritePermOfBrokerRequestHeader, WipeWritePermOfBrokerResponseHeader,
};

use super::{header, success, NamesrvState, Outcome};

pub fn cluster_info(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let snap = state.routes.snapshot();
    let mut info = ClusterInfo::default();
    for (name, g) in &snap.brokers {
        info.broker_addr_table.insert(
            name.clone(),
            BrokerData {
                cluster: g.cluster.clone(),
                broker_name: g.broker_name.clone(),
                broker_addrs: g.addrs.clone(),
                zone_name: g.zone_name.clone(),
                enable_acting_master: g.enable_acting_master,
            },
        );
    }
    for (cluster, names) in &snap.clusters {
        info.cluster_addr_table
            .insert(cluster.clone(), names.clone());
    }
    Ok(success(req).with_body(Bytes::from(info.encode())))
}

pub fn write_perm(state: &NamesrvState, req: &RemotingCommand, writable: bool) -> Outcome {
    if writable {
        let h: AddWritePermOfBrokerRequestHeader = header(req)?;
        let n = state.routes.set_write_perm(&h.broker_name, true);
        tracing::info!(broker = %h.broker_name, topics = n, "write permission added");
        Ok(success(req).with_header(&AddWritePermOfBrokerResponseHeader { add_topic_count: n }))
    } else {
        let h: WipeWritePermOfBrokerRequestHeader = header(req)?;
        let n = state.routes.set_write_perm(&h.broker_name, false);
        tracing::info!(broker = %h.broker_name, topics = n, "write permission wiped");
        Ok(
            success(req).with_header(&WipeWritePermOfBrokerResponseHeader {
                wipe_topic_count: n,
            }),
        )
    }
}
