//! Settings shared by every producer, consumer and admin of one client instance (broker-config.md §5.1).

use std::time::Duration;

use ferrocket_protocol::codes::{LanguageCode, SerializeType};

use crate::error::{ClientError, Result};

/// Client-wide settings. Defaults follow the Java client's.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Name server addresses (`host:port`); the `;`-separated form of `namesrvAddr` is accepted by
    /// [`ClientConfig::namesrv`].
    pub namesrv_addrs: Vec<String>,
    /// Instance name, the second half of the client id. Producers and consumers with the same client id share one
    /// client instance (connections, routes, heartbeats). Default: this process's id.
    pub instance_name: String,
    /// The IP put in the client id and in message ids. Default: the local address that routes to the first
    /// name server.
    pub client_ip: Option<String>,
    /// Language code sent in every request header (RUST, or JAVA to look like a Java client).
    pub language: LanguageCode,
    /// `version` sent in every request header (479 = V5_3_3).
    pub version: i32,
    /// How request headers are written: JSON (what Java clients send by default) or the cheaper ROCKETMQ binary
    /// form, which every broker also reads. Responses come in whatever form the server is configured for.
    pub serialize_type: SerializeType,
    /// Timeout of ordinary client → server calls (`mqClientApiTimeout`).
    pub api_timeout: Duration,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Route refresh period (`pollNameServerInterval`).
    pub poll_namesrv_interval: Duration,
    /// Heartbeat period (`heartbeatBrokerInterval`).
    pub heartbeat_interval: Duration,
    /// Consumer offset persistence period (`persistConsumerOffsetInterval`).
    pub persist_offset_interval: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            namesrv_addrs: std::env::var("NAMESRV_ADDR")
                .map(|s| split_addrs(&s))
                .unwrap_or_default(),
            instance_name: std::process::id().to_string(),
            client_ip: None,
            language: LanguageCode::Rust,
            version: ferrocket_protocol::codes::CURRENT_VERSION,
            serialize_type: SerializeType::Json,
            api_timeout: Duration::from_millis(3000),
            connect_timeout: Duration::from_millis(3000),
            poll_namesrv_interval: Duration::from_millis(30_000),
            heartbeat_interval: Duration::from_millis(30_000),
            persist_offset_interval: Duration::from_millis(5_000),
        }
    }
}

impl ClientConfig {
    /// Sets the name servers from `host:port[;host:port...]`.
    pub fn namesrv(mut self, addrs: &str) -> Self {
        self.namesrv_addrs = split_addrs(addrs);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.namesrv_addrs.is_empty() {
            return Err(ClientError::Config(
                "no name server address (set namesrv or NAMESRV_ADDR)".into(),
            ));
        }
        if self.instance_name.is_empty() || self.instance_name.contains('@') {
            return Err(ClientError::Config(format!(
                "instance name {:?} must be non-empty and free of '@'",
                self.instance_name
            )));
        }
        Ok(())
    }
}

/// Splits `a;b;` into addresses, dropping blanks.
pub fn split_addrs(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Adds the [`ClientConfig`] setters to a builder that has a `client: ClientConfig` field.
macro_rules! client_config_setters {
    () => {
        /// Name servers, `host:port[;host:port...]`.
        pub fn namesrv(mut self, addrs: &str) -> Self {
            self.client = self.client.namesrv(addrs);
            self
        }

        /// Instance name (second half of the client id); builders with the same one share a client instance.
        pub fn instance_name(mut self, name: impl Into<String>) -> Self {
            self.client.instance_name = name.into();
            self
        }

        /// Language code sent in request headers.
        pub fn language(mut self, language: ferrocket_protocol::codes::LanguageCode) -> Self {
            self.client.language = language;
            self
        }

        /// Request header form: JSON (default) or ROCKETMQ binary.
        pub fn serialize_type(
            mut self,
            serialize_type: ferrocket_protocol::codes::SerializeType,
        ) -> Self {
            self.client.serialize_type = serialize_type;
            self
        }

        /// Timeout of ordinary calls (default 3 s).
        pub fn api_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.client.api_timeout = timeout;
            self
        }

        /// Replaces every client-wide setting at once.
        pub fn client_config(mut self, config: $crate::config::ClientConfig) -> Self {
            self.client = config;
            self
        }
    };
}
pub(crate) use client_config_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_namesrv_list() {
        assert_eq!(
            split_addrs(" 10.0.0.1:9876;10.0.0.2:9876; ;"),
            vec!["10.0.0.1:9876", "10.0.0.2:9876"]
        );
        let c = ClientConfig::default().namesrv("127.0.0.1:1");
        assert!(c.validate().is_ok());
        let mut bad = c.clone();
        bad.instance_name = "a@b".into();
        assert!(bad.validate().is_err());
        let mut none = c;
        none.namesrv_addrs.clear();
        assert!(none.validate().is_err());
    }
}
