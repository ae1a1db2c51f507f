//! Sending requests: header defaults, connection lookup, success checks, name-server failover.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::CommandHeader;
use ferrocket_remoting::RemotingError;

use super::ClientInstance;
use crate::error::{ClientError, Result};

impl ClientInstance {
    /// A request with this client's language and version.
    pub(crate) fn request(&self, code: i32) -> RemotingCommand {
        RemotingCommand::new_request(code)
            .with_language(self.config.language)
            .with_version(self.config.version)
            .with_serialize_type(self.config.serialize_type)
    }

    /// A request whose ext fields come from `header`.
    pub(crate) fn request_with<H: CommandHeader>(&self, code: i32, header: &H) -> RemotingCommand {
        self.request(code).with_header(header)
    }

    /// Sends `request` to `addr` and returns the response, whatever its code.
    pub(crate) async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let conn = self.pool.get(addr).await?;
        match conn.invoke(request, timeout).await {
            Ok(resp) => Ok(resp),
            Err(e @ RemotingError::Closed { .. }) => {
                self.pool.close(addr);
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Like [`ClientInstance::invoke`], but a response code other than SUCCESS is an error.
    pub(crate) async fn invoke_ok(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand> {
        let resp = self.invoke(addr, request, timeout).await?;
        check_success(addr, resp)
    }

    /// Sends a oneway request.
    pub(crate) async fn oneway(&self, addr: &str, request: RemotingCommand) -> Result<()> {
        let conn = self.pool.get(addr).await?;
        conn.send_oneway(request)?;
        Ok(())
    }

    /// Sends `request` to a name server, moving on to the next one when one cannot be reached. Returns the
    /// answering server's address and its response (any code).
    pub(crate) async fn invoke_namesrv(
        &self,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<(String, RemotingCommand)> {
        let addrs = &self.config.namesrv_addrs;
        let start = self.namesrv_next.load(Ordering::Relaxed);
        let mut last_err = None;
        for i in 0..addrs.len() {
            let idx = (start + i) % addrs.len();
            let addr = &addrs[idx];
            match self.invoke(addr, request.clone(), timeout).await {
                Ok(resp) => {
                    self.namesrv_next.store(idx, Ordering::Relaxed);
                    return Ok((addr.clone(), resp));
                }
                Err(e) => {
                    tracing::debug!(addr, error = %e, "name server call failed; trying the next one");
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| ClientError::Config("no name server address".into())))
    }

    /// A name-server call that must answer SUCCESS.
    pub(crate) async fn invoke_namesrv_ok(
        &self,
        request: RemotingCommand,
    ) -> Result<RemotingCommand> {
        let (addr, resp) = self
            .invoke_namesrv(request, self.config.api_timeout)
            .await?;
        check_success(&addr, resp)
    }

    /// The same request to every name server (writes such as KV puts and topic deletion).
    pub(crate) async fn invoke_all_namesrv_ok(&self, request: RemotingCommand) -> Result<()> {
        let timeout = self.config.api_timeout;
        let calls = self.config.namesrv_addrs.iter().map(|addr| {
            let req = request.clone();
            async move { self.invoke_ok(addr, req, timeout).await }
        });
        for r in futures::future::join_all(calls).await {
            r?;
        }
        Ok(())
    }
}

/// `Ok(resp)` for SUCCESS, the broker error otherwise.
pub(crate) fn check_success(addr: &str, resp: RemotingCommand) -> Result<RemotingCommand> {
    if resp.code == response_code::SUCCESS {
        Ok(resp)
    } else {
        Err(ClientError::broker(addr, resp.code, resp.remark))
    }
}

/// Decodes a typed response header, naming the server on failure.
pub(crate) fn response_header<H: CommandHeader>(addr: &str, resp: &RemotingCommand) -> Result<H> {
    resp.decode_header()
        .map_err(|e| ClientError::bad_response(addr, e.to_string()))
}
