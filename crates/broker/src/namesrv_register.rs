//! Registration with every name server every `registerNameServerPeriod`, at once on topic changes, and
//! unregistration on shutdown.
//!
//! One long-lived connection per name server: a name server drops a broker as soon as its connection closes, so
//! the registration connection is kept open and re-established when it breaks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::body::{RegisterBrokerBody, TopicConfigAndMappingSerializeWrapper};
use ferrocket_protocol::codes::{perm, request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnregisterBrokerRequestHeader,
};
use ferrocket_remoting::{connect, Connection, ConnectionConfig, NoRequests};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::BrokerContext;

/// Connect timeout to a name server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Apache clamps `registerNameServerPeriod` to this range.
const MIN_PERIOD_MS: u64 = 10_000;
const MAX_PERIOD_MS: u64 = 60_000;

/// What one registration round achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterReport {
    /// Name servers that answered SUCCESS.
    pub ok: Vec<String>,
    /// Name servers that failed, with the reason.
    pub failed: Vec<(String, String)>,
}

#[derive(Default)]
pub struct Registrar {
    trigger: Notify,
    /// For a slave: its master's address as the name servers report it.
    master_addr: RwLock<Option<String>>,
    /// The master's HA address as the name servers report it.
    ha_master_addr: RwLock<Option<String>>,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
}

impl Registrar {
    /// Asks for a registration round now (e.g. after a topic was created or deleted). Never blocks; several
    /// triggers before the round starts make one round.
    pub fn trigger(&self) {
        self.trigger.notify_one();
    }

    /// The master address learnt from the last registration (slaves only).
    pub fn master_addr(&self) -> Option<String> {
        self.master_addr.read().clone()
    }

    /// The master's HA address learnt from the last registration.
    pub fn ha_master_addr(&self) -> Option<String> {
        self.ha_master_addr.read().clone()
    }

    async fn connection(&self, addr: &str) -> Result<Arc<Connection>, String> {
        if let Some(c) = self.connections.lock().get(addr) {
            if !c.is_closed() {
                return Ok(c.clone());
            }
        }
        let conn = connect(
            addr,
            Arc::new(NoRequests),
            &ConnectionConfig::default(),
            CONNECT_TIMEOUT,
        )
        .await
        .map_err(|e| e.to_string())?;
        self.connections
            .lock()
            .insert(addr.to_string(), conn.clone());
        Ok(conn)
    }

    fn close_all(&self) {
        for (_, c) in self.connections.lock().drain() {
            c.close();
        }
    }
}

/// The REGISTER_BROKER body of the current topic table, and its CRC for the `bodyCrc32` ext field.
/// A broker whose own permission lacks read or write advertises every topic with that bit removed.
pub fn register_body(ctx: &BrokerContext) -> Result<(Bytes, i32), String> {
    let broker_perm = ctx.config().broker_permission;
    let restricted = !perm::is_readable(broker_perm) || !perm::is_writeable(broker_perm);
    // One consistent read of table and version.
    let mut snapshot = ctx.topics.snapshot();
    if restricted {
        for tc in snapshot.topic_config_table.values_mut() {
            tc.perm &= broker_perm;
        }
    }
    let wrapper = TopicConfigAndMappingSerializeWrapper::from(snapshot);
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: wrapper,
    };
    let bytes = body
        .encode(ctx.config().compressed_register)
        .map_err(|e| e.to_string())?;
    let crc = (crc32fast::hash(&bytes) & 0x7FFF_FFFF) as i32;
    Ok((Bytes::from(bytes), crc))
}

/// Registers with every configured name server in parallel; returns who answered.
pub async fn register_all(ctx: &BrokerContext) -> RegisterReport {
    let config = ctx.config.load_full();
    let addrs = config.namesrv_addrs();
    let mut report = RegisterReport::default();
    if addrs.is_empty() {
        return report;
    }
    let (body, crc) = match register_body(ctx) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the registration body");
            report.failed = addrs.into_iter().map(|a| (a, e.clone())).collect();
            return report;
        }
    };
    let header = RegisterBrokerRequestHeader {
        broker_name: config.broker_name.clone(),
        broker_addr: ctx.broker_addr.clone(),
        cluster_name: config.broker_cluster_name.clone(),
        ha_server_addr: config.ha_server_addr(),
        broker_id: config.broker_id,
        heartbeat_timeout_millis: None,
        enable_acting_master: Some(false),
        compressed: Some(config.compressed_register),
        body_crc32: Some(crc),
        zone_name: None,
    };
    let timeout = Duration::from_millis(config.register_broker_timeout_mills.max(100));
    let rounds = addrs.iter().map(|addr| {
        let req = RemotingCommand::request_with_header(request_code::REGISTER_BROKER, &header)
            .with_body(body.clone());
        async move {
            let conn = ctx.registrar.connection(addr).await?;
            let resp = conn.invoke(req, timeout).await.map_err(|e| e.to_string())?;
            if resp.code != response_code::SUCCESS {
                return Err(format!(
                    "code {}: {}",
                    resp.code,
                    resp.remark.unwrap_or_default()
                ));
            }
            Ok(resp
                .decode_header::<RegisterBrokerResponseHeader>()
                .unwrap_or_default())
        }
    });
    let results = futures::future::join_all(rounds).await;
    for (addr, result) in addrs.into_iter().zip(results) {
        match result {
            Ok(h) => {
                if let Some(m) = h.master_addr.filter(|m| !m.is_empty()) {
                    *ctx.registrar.master_addr.write() = Some(m);
                }
                if let Some(ha) = h.ha_server_addr.filter(|m| !m.is_empty()) {
                    *ctx.registrar.ha_master_addr.write() = Some(ha);
                }
                report.ok.push(addr);
            }
            Err(e) => {
                tracing::warn!(namesrv = %addr, error = %e, "register broker failed");
                report.failed.push((addr, e));
            }
        }
    }
    report
}

/// Tells every name server this broker is leaving, then closes the registration connections.
pub async fn unregister_all(ctx: &BrokerContext) {
    let config = ctx.config.load_full();
    let header = UnregisterBrokerRequestHeader {
        broker_name: config.broker_name.clone(),
        broker_addr: ctx.broker_addr.clone(),
        cluster_name: config.broker_cluster_name.clone(),
        broker_id: config.broker_id,
    };
    let timeout = Duration::from_millis(config.register_broker_timeout_mills.clamp(100, 3_000));
    let rounds = config.namesrv_addrs().into_iter().map(|addr| {
        let req = RemotingCommand::request_with_header(request_code::UNREGISTER_BROKER, &header);
        async move {
            let result = match ctx.registrar.connection(&addr).await {
                Ok(conn) => conn.invoke(req, timeout).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match result {
                Ok(resp) if resp.code == response_code::SUCCESS => {
                    tracing::info!(namesrv = %addr, "unregistered")
                }
                Ok(resp) => {
                    tracing::warn!(namesrv = %addr, code = resp.code, remark = ?resp.remark, "unregister refused")
                }
                Err(e) => tracing::warn!(namesrv = %addr, error = %e, "unregister failed"),
            }
        }
    });
    futures::future::join_all(rounds).await;
    ctx.registrar.close_all();
}

/// Registers every `registerNameServerPeriod` (clamped to 10–60 s), whenever [`Registrar::trigger`] is called and
/// whenever the topic table changes, until the broker shuts down.
pub async fn run(ctx: Arc<BrokerContext>) {
    loop {
        let period = ctx
            .config()
            .register_name_server_period
            .clamp(MIN_PERIOD_MS, MAX_PERIOD_MS);
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(period)) => {}
            _ = ctx.registrar.trigger.notified() => {}
            _ = ctx.topics.changed.notified() => {}
        }
        if ctx.shutdown.is_cancelled() {
            return;
        }
        register_all(&ctx).await;
    }
}
