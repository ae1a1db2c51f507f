//! Starting and stopping a name server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket_remoting::{ConnectionConfig, RemotingServer, ServerConfig};
use tokio_util::sync::CancellationToken;

use crate::kv::KvConfigStore;
use crate::processor::{NamesrvHandler, NamesrvState};
use crate::route::RouteRegistry;
use crate::NamesrvConfig;

/// A running name server.
pub struct NamesrvServer {
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    scanner: tokio::task::JoinHandle<()>,
}

impl NamesrvServer {
    /// Binds `bindAddress:listenPort` and serves until `shutdown` is cancelled.
    pub async fn start(
        config: NamesrvConfig,
        shutdown: CancellationToken,
    ) -> std::io::Result<Self> {
        let state = Arc::new(NamesrvState {
            routes: RouteRegistry::new(config.delete_topic_with_broker_registration),
            kv: KvConfigStore::load(&config.kv_config_path),
            config: config.clone(),
        });
        let server_config = ServerConfig {
            connection: ConnectionConfig {
                idle_timeout: Duration::from_secs(
                    config.server_channel_max_idle_time_seconds.max(1),
                ),
                ..ConnectionConfig::default()
            },
        };
        let handler = Arc::new(NamesrvHandler {
            state: state.clone(),
        });
        let server = RemotingServer::bind(
            &config.listen_addr(),
            handler,
            server_config,
            shutdown.clone(),
        )
        .await?;
        let scanner = tokio::spawn(scan_inactive_brokers(state, shutdown.clone()));
        tracing::info!(addr = %server.local_addr(), "name server listening");
        Ok(Self {
            local_addr: server.local_addr(),
            shutdown,
            scanner,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the server has stopped (after its shutdown token is cancelled).
    pub async fn stopped(self) {
        self.shutdown.cancelled().await;
        let _ = self.scanner.await;
    }
}

/// Drops brokers not heard from within their timeout (Apache: scan every 5 s, expire after 120 s).
async fn scan_inactive_brokers(state: Arc<NamesrvState>, shutdown: CancellationToken) {
    let period = Duration::from_millis(state.config.scan_not_active_broker_interval.max(100));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        for gone in state.routes.expire(Instant::now()) {
            tracing::warn!(broker = %gone.broker_addr, name = %gone.broker_name, "broker expired (no heartbeat); removed");
        }
    }
}
