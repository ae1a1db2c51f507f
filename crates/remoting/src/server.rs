//! Accept loop shared by the name server and the broker.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::connection::spawn_connection;
use crate::{ConnectionConfig, RequestHandler};

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub connection: ConnectionConfig,
}

/// A listening remoting server. Dropping it does not stop it; cancel the shutdown token.
pub struct RemotingServer {
    local_addr: SocketAddr,
}

impl RemotingServer {
    /// Binds `addr` and serves every accepted connection with `handler` until `shutdown` is cancelled, which also
    /// closes the connections.
    pub async fn bind<H: RequestHandler>(
        addr: &str,
        handler: Arc<H>,
        config: ServerConfig,
        shutdown: CancellationToken,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    a = listener.accept() => a,
                };
                match accepted {
                    Ok((stream, _)) => {
                        if let Err(e) = spawn_connection(
                            stream,
                            handler.clone(),
                            &config.connection,
                            shutdown.clone(),
                        ) {
                            tracing::debug!(error = %e, "connection vanished during accept");
                        }
                    }
                    Err(e) => {
                        // Out of file descriptors and similar: back off briefly instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(Self { local_addr })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}
