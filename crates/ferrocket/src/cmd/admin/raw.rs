//! Requests the client crate's public API does not offer (yet): a one-queue pull at an exact offset. Sent over plain remoting connections, with the same language and version the
//! client sends. See /work/briefs/requests-tools-to-client.md.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use ferrocket_client::{MessageExt, MessageQueue};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferrocket_remoting::{Connection, ConnectionConfig, NoRequests};
use parking_lot::Mutex;

/// Connections by address, opened on first use.
#[derive(Default)]
pub struct RawPool {
    conns: Mutex<HashMap<String, Arc<Connection>>>,
}

/// One pull: where, for which group, which queue, the tag expression, from which offset, how many at most.
#[derive(Debug, Clone, Copy)]
pub struct PullSpec<'a> {
    pub addr: &'a str,
    pub group: &'a str,
    pub mq: &'a MessageQueue,
    pub expression: &'a str,
    pub offset: i64,
    pub max: i32,
}

/// What a pull found.
#[derive(Debug)]
pub enum PullOutcome {
    Found {
        msgs: Vec<MessageExt>,
        next: i64,
    },
    /// Nothing at or after the offset yet (`next` = where new messages will appear).
    NoNewMsg {
        next: i64,
    },
    /// Messages existed but none matched the filter.
    NoMatched {
        next: i64,
    },
    /// The offset is outside the queue; `next` is the broker's suggestion.
    OffsetIllegal {
        next: i64,
    },
}

impl RawPool {
    async fn conn(&self, addr: &str, timeout: Duration) -> anyhow::Result<Arc<Connection>> {
        if let Some(c) = self.conns.lock().get(addr) {
            if !c.is_closed() {
                return Ok(c.clone());
            }
        }
        let c = ferrocket_remoting::connect(
            addr,
            Arc::new(NoRequests),
            &ConnectionConfig::default(),
            timeout,
        )
        .await
        .map_err(|e| anyhow!("cannot reach broker {addr}: {e}"))?;
        self.conns.lock().insert(addr.to_owned(), c.clone());
        Ok(c)
    }

    /// Sends `req` to `addr` and returns the response, whatever its code.
    async fn invoke(
        &self,
        addr: &str,
        req: RemotingCommand,
        timeout: Duration,
    ) -> anyhow::Result<RemotingCommand> {
        let conn = self.conn(addr, timeout).await?;
        conn.invoke(req, timeout).await.map_err(|e| {
            self.conns.lock().remove(addr);
            anyhow!("request to broker {addr} failed: {e}")
        })
    }

    /// PULL_MESSAGE of at most `max` messages of `mq` from `offset`, filtered by a tag expression, without
    /// long polling and without committing any offset.
    pub async fn pull(&self, p: &PullSpec<'_>, timeout: Duration) -> anyhow::Result<PullOutcome> {
        let PullSpec {
            addr,
            group,
            mq,
            expression,
            offset,
            max,
        } = *p;
        let header = PullMessageRequestHeader {
            consumer_group: group.to_owned(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: max,
            // SUBSCRIPTION only: the expression travels with the request, nothing is committed or parked.
            sys_flag: ferrocket_protocol::codes::pull_sys_flag::SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some(expression.to_owned()),
            sub_version: 0,
            expression_type: Some("TAG".to_owned()),
            max_msg_bytes: None,
            request_source: None,
            proxy_forward_client_id: None,
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = RemotingCommand::request_with_header(request_code::PULL_MESSAGE, &header);
        let resp = self.invoke(addr, req, timeout).await?;
        let h: Option<PullMessageResponseHeader> = resp.decode_header().ok();
        let next = h.as_ref().map_or(offset, |h| h.next_begin_offset);
        match resp.code {
            response_code::SUCCESS => {
                let all = MessageExt::decode_all_with(resp.body.clone(), true)
                    .map_err(|e| anyhow!("broker {addr} sent undecodable messages: {e}"))?;
                let tags = tag_filter(expression);
                let msgs: Vec<MessageExt> = all
                    .into_iter()
                    .filter(|m| match &tags {
                        None => true,
                        Some(set) => m.tags().is_some_and(|t| set.iter().any(|x| x == t)),
                    })
                    .collect();
                if msgs.is_empty() {
                    Ok(PullOutcome::NoMatched { next })
                } else {
                    Ok(PullOutcome::Found { msgs, next })
                }
            }
            response_code::PULL_NOT_FOUND => Ok(PullOutcome::NoNewMsg { next }),
            response_code::PULL_RETRY_IMMEDIATELY => Ok(PullOutcome::NoMatched { next }),
            response_code::PULL_OFFSET_MOVED => Ok(PullOutcome::OffsetIllegal { next }),
            code => Err(anyhow!(
                "broker {addr} refused the pull of {mq}: code {code} ({}): {}",
                response_code::name(code).unwrap_or("unknown"),
                resp.remark.unwrap_or_default()
            )),
        }
    }
}

/// The tag set of a tag expression, `None` for `*` (everything). The broker filters by tag hash only, so the
/// client re-checks the real tag.
fn tag_filter(expression: &str) -> Option<Vec<String>> {
    let e = expression.trim();
    if e.is_empty() || e == "*" {
        return None;
    }
    Some(
        e.split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_expressions() {
        assert_eq!(tag_filter(" * "), None);
        assert_eq!(tag_filter(""), None);
        assert_eq!(
            tag_filter("A || B"),
            Some(vec!["A".to_string(), "B".to_string()])
        );
    }
}
