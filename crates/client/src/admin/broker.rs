//! Broker runtime figures and configuration (remoting-protocol.md §7.8).

use std::collections::BTreeMap;

use ferrocket_protocol::body::KVTable;
use ferrocket_protocol::codes::request_code;

use super::{parse_properties, Admin, Target};
use crate::error::Result;

impl Admin {
    /// GET_BROKER_RUNTIME_INFO.
    pub async fn broker_runtime_info(&self, broker_addr: &str) -> Result<BTreeMap<String, String>> {
        let req = self.instance.request(request_code::GET_BROKER_RUNTIME_INFO);
        let resp = self
            .instance
            .invoke_ok(broker_addr, req, self.timeout())
            .await?;
        Ok(KVTable::decode(&resp.body)?.table)
    }

    /// GET_BROKER_CONFIG: the broker's effective settings by key.
    pub async fn broker_config(&self, broker_addr: &str) -> Result<BTreeMap<String, String>> {
        let req = self.instance.request(request_code::GET_BROKER_CONFIG);
        let resp = self
            .instance
            .invoke_ok(broker_addr, req, self.timeout())
            .await?;
        Ok(parse_properties(&String::from_utf8_lossy(&resp.body)))
    }

    /// UPDATE_BROKER_CONFIG on one broker or every master of a cluster.
    pub async fn update_broker_config(
        &self,
        target: &Target,
        settings: &BTreeMap<String, String>,
    ) -> Result<()> {
        let body: String = settings.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        for addr in self.target_addrs(target).await? {
            let req = self
                .instance
                .request(request_code::UPDATE_BROKER_CONFIG)
                .with_body(body.clone().into_bytes());
            self.instance.invoke_ok(&addr, req, self.timeout()).await?;
        }
        Ok(())
    }
}
