//! REGISTER_BROKER, UNREGISTER_BROKER, BROKER_HEARTBEAT, QUERY_DATA_VERSION: what brokers send.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket_protocol::body::{DataVersion, KVTable, RegisterBrokerBody};
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    BrokerHeartbeatRequestHeader, QueryDataVersionRequestHeader, QueryDataVersionResponseHeader,
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader,
};
use ferrocket_remoting::Connection;

use super::{header, success, Failure, NamesrvState, Outcome};
use crate::route::{QueueInfo, Registration, TopicQueues, Unregistration};

/// The KV namespace whose content is returned to registering brokers and used for `orderTopicConf`.
pub const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

pub fn register(state: &NamesrvState, conn: &Arc<Connection>, req: &RemotingCommand) -> Outcome {
    let h: RegisterBrokerRequestHeader = header(req)?;
    if let Some(expected) = h.body_crc32.filter(|c| *c != 0) {
        let actual = (crc32fast::hash(&req.body) & 0x7FFF_FFFF) as i32;
        if actual != expected {
            tracing::warn!(broker = %h.broker_addr, expected, actual, "register body crc32 mismatch");
            return Err(Failure::new(response_code::SYSTEM_ERROR, "crc32 not match"));
        }
    }
    let (data_version, topics) = if req.body.is_empty() {
        (DataVersion::default(), None)
    } else {
        let body =
            RegisterBrokerBody::decode(&req.body, h.compressed.unwrap_or(false)).map_err(|e| {
                Failure::new(
                    response_code::SYSTEM_ERROR,
                    format!("register body of {} is malformed: {e}", h.broker_addr),
                )
            })?;
        let wrapper = body.topic_config_serialize_wrapper;
        let topics = wrapper
            .topic_config_table
            .values()
            .map(|tc| TopicQueues {
                topic: tc.topic_name.clone(),
                queues: QueueInfo {
                    read_queue_nums: tc.read_queue_nums,
                    write_queue_nums: tc.write_queue_nums,
                    perm: tc.perm,
                    topic_sys_flag: tc.topic_sys_flag,
                },
            })
            .collect();
        (wrapper.data_version, Some(topics))
    };
    let timeout = h
        .heartbeat_timeout_millis
        .filter(|t| *t > 0)
        .map(|t| Duration::from_millis(t as u64))
        .unwrap_or(Duration::from_millis(
            state.config.broker_channel_expired_time,
        ));
    let outcome = state.routes.register(
        Registration {
            cluster: h.cluster_name.clone(),
            broker_name: h.broker_name.clone(),
            broker_addr: h.broker_addr.clone(),
            broker_id: h.broker_id,
            ha_server_addr: h.ha_server_addr.clone(),
            zone_name: h.zone_name.clone(),
            enable_acting_master: h.enable_acting_master.unwrap_or(false),
            timeout,
            data_version: version_key(&data_version),
            topics,
            connection_id: conn.id(),
        },
        Instant::now(),
    );
    tracing::debug!(broker = %h.broker_addr, name = %h.broker_name, id = h.broker_id, "broker registered");
    let mut resp = success(req).with_header(&RegisterBrokerResponseHeader {
        ha_server_addr: outcome.ha_server_addr,
        master_addr: outcome.master_addr,
    });
    if state.config.return_order_topic_config_to_broker {
        if let Some(table) = state.kv.namespace(ORDER_TOPIC_CONFIG) {
            resp = resp.with_body(Bytes::from(
                KVTable {
                    table: table.into_iter().collect(),
                }
                .encode(),
            ));
        }
    }
    Ok(resp)
}

pub fn unregister(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: UnregisterBrokerRequestHeader = header(req)?;
    state.routes.unregister(&Unregistration {
        cluster: h.cluster_name,
        broker_name: h.broker_name,
        broker_addr: h.broker_addr.clone(),
        broker_id: h.broker_id,
    });
    tracing::info!(broker = %h.broker_addr, "broker unregistered");
    Ok(success(req))
}

pub fn heartbeat(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: BrokerHeartbeatRequestHeader = header(req)?;
    state
        .routes
        .heartbeat(&h.cluster_name, &h.broker_addr, Instant::now());
    Ok(success(req))
}

pub fn query_data_version(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: QueryDataVersionRequestHeader = header(req)?;
    let theirs = DataVersion::decode(&req.body).map_err(|e| {
        Failure::new(
            response_code::SYSTEM_ERROR,
            format!("data version body is malformed: {e}"),
        )
    })?;
    let stored = state
        .routes
        .query_data_version(&h.cluster_name, &h.broker_addr, Instant::now());
    let changed = stored != Some(version_key(&theirs));
    let mut resp = success(req).with_header(&QueryDataVersionResponseHeader { changed });
    if let Some((state_version, counter, timestamp)) = stored {
        let v = DataVersion {
            state_version,
            counter,
            timestamp,
        };
        resp = resp.with_body(Bytes::from(v.encode()));
    }
    Ok(resp)
}

fn version_key(v: &DataVersion) -> (i64, i64, i64) {
    (v.state_version, v.counter, v.timestamp)
}
