//! One connection per server address, shared by every caller (requests are multiplexed by opaque), reopened when
//! it closes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_remoting::{connect, Connection, ConnectionConfig, RequestHandler};
use parking_lot::Mutex;

use crate::error::Result;

pub(crate) struct ConnectionPool<H: RequestHandler> {
    conns: Mutex<HashMap<String, Arc<Connection>>>,
    /// Serialises connecting per address, so a burst of callers opens one connection, not many.
    connecting: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    handler: Arc<H>,
    config: ConnectionConfig,
    connect_timeout: Duration,
}

impl<H: RequestHandler> ConnectionPool<H> {
    pub fn new(handler: Arc<H>, connect_timeout: Duration) -> Self {
        ConnectionPool {
            conns: Mutex::new(HashMap::new()),
            connecting: Mutex::new(HashMap::new()),
            handler,
            config: ConnectionConfig::default(),
            connect_timeout,
        }
    }

    /// The open connection to `addr`, connecting if there is none.
    pub async fn get(&self, addr: &str) -> Result<Arc<Connection>> {
        if let Some(c) = self.live(addr) {
            return Ok(c);
        }
        let gate = self
            .connecting
            .lock()
            .entry(addr.to_owned())
            .or_default()
            .clone();
        let _guard = gate.lock().await;
        if let Some(c) = self.live(addr) {
            return Ok(c);
        }
        let conn = connect(
            addr,
            self.handler.clone(),
            &self.config,
            self.connect_timeout,
        )
        .await?;
        tracing::debug!(addr, local = %conn.local_addr(), "connected");
        self.conns.lock().insert(addr.to_owned(), conn.clone());
        Ok(conn)
    }

    fn live(&self, addr: &str) -> Option<Arc<Connection>> {
        let mut conns = self.conns.lock();
        match conns.get(addr) {
            Some(c) if !c.is_closed() => Some(c.clone()),
            Some(_) => {
                conns.remove(addr);
                None
            }
            None => None,
        }
    }

    /// Closes and forgets the connection to `addr` (after a transport error), so the next call reconnects.
    pub fn close(&self, addr: &str) {
        if let Some(c) = self.conns.lock().remove(addr) {
            c.close();
        }
    }

    pub fn close_all(&self) {
        for (_, c) in self.conns.lock().drain() {
            c.close();
        }
    }
}
