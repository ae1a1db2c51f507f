//! Dispatches each request to its processor by code, behind flow control (one bounded lane per processor
//! family) and a panic guard: a processor that panics answers SYSTEM_ERROR instead of leaving the client waiting.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use ferrocket_protocol::codes::{request_code as rc, response_code, version};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::{Connection, RequestHandler, Response};
use futures::FutureExt;

use crate::flow_control::Family;
use crate::processor::{
    admin_broker, admin_group, admin_topic, client_manage, consumer_manage, consumer_relay,
    end_transaction, lock, pull, query, reset_offset, send, send_back, Failure, Outcome,
};
use crate::BrokerContext;

/// The broker's request handler. The listeners are bound before the store is opened (so a busy port fails fast
/// and port 0 can be resolved first); until [`BrokerHandler::set_context`] runs, requests get SYSTEM_BUSY.
#[derive(Default)]
pub struct BrokerHandler {
    ctx: OnceLock<Arc<BrokerContext>>,
}

/// The processor family whose flow-control lane a request code uses.
pub fn family_of(code: i32) -> Family {
    match code {
        rc::SEND_MESSAGE
        | rc::SEND_MESSAGE_V2
        | rc::SEND_BATCH_MESSAGE
        | rc::CONSUMER_SEND_MSG_BACK
        | rc::END_TRANSACTION => Family::Send,
        rc::PULL_MESSAGE | rc::LITE_PULL_MESSAGE => Family::Pull,
        _ => Family::Admin,
    }
}

impl BrokerHandler {
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        let h = Self::default();
        h.set_context(ctx);
        h
    }

    /// Installs the context once the broker is ready; later calls are ignored.
    pub fn set_context(&self, ctx: Arc<BrokerContext>) {
        let _ = self.ctx.set(ctx);
    }

    pub fn context(&self) -> Option<&Arc<BrokerContext>> {
        self.ctx.get()
    }
}

impl RequestHandler for BrokerHandler {
    async fn handle(
        self: Arc<Self>,
        conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        let Some(ctx) = self.ctx.get() else {
            return Some(
                Failure::new(
                    response_code::SYSTEM_BUSY,
                    "broker is starting, try again later",
                )
                .into_response(&req)
                .into(),
            );
        };
        if ctx.shutdown.is_cancelled() {
            // Newer clients understand GO_AWAY and move on to another broker at once.
            let code = if req.version > version::V5_3_1 {
                response_code::GO_AWAY
            } else {
                response_code::SERVICE_NOT_AVAILABLE
            };
            return Some(
                Failure::new(code, "broker is shutting down")
                    .into_response(&req)
                    .into(),
            );
        }
        let ticket = match ctx.flow.enter(family_of(req.code)) {
            Ok(t) => t,
            Err(busy) => return Some(busy.into_response(&req).into()),
        };
        let outcome = AssertUnwindSafe(dispatch(ctx, &conn, &req, ticket))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                tracing::error!(code = req.code, panic = %what, "processor panicked");
                Err(Failure::system(format!("internal error: {what}")))
            });
        match outcome {
            Ok(resp) => resp,
            Err(failure) => Some(failure.into_response(&req).into()),
        }
    }

    fn on_close(&self, conn: &Arc<Connection>) {
        if let Some(ctx) = self.ctx.get() {
            ctx.clients.connection_closed(conn.id());
            let dropped = ctx.locks.connection_closed(conn.id());
            if dropped > 0 {
                tracing::info!(peer = %conn.peer_addr(), dropped, "queue locks released: connection closed");
            }
        }
    }
}

async fn dispatch(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
    ticket: crate::flow_control::Ticket,
) -> Outcome {
    if let rc::PULL_MESSAGE | rc::LITE_PULL_MESSAGE = req.code {
        // Pulls give their place back while parked.
        return pull::pull_message(ctx, conn, req, ticket).await;
    }
    // Everyone else holds the place until the answer is ready.
    let _ticket = ticket;
    match req.code {
        rc::SEND_MESSAGE | rc::SEND_MESSAGE_V2 | rc::SEND_BATCH_MESSAGE => {
            send::send_message(ctx, conn, req).await
        }
        rc::HEART_BEAT => client_manage::heartbeat(ctx, conn, req).await,
        rc::UNREGISTER_CLIENT => client_manage::unregister_client(ctx, conn, req).await,
        rc::GET_CONSUMER_LIST_BY_GROUP => client_manage::consumer_list(ctx, conn, req).await,
        rc::CHECK_CLIENT_CONFIG => client_manage::check_client_config(ctx, conn, req).await,
        rc::QUERY_CONSUMER_OFFSET => consumer_manage::query_consumer_offset(ctx, conn, req).await,
        rc::UPDATE_CONSUMER_OFFSET => consumer_manage::update_consumer_offset(ctx, conn, req).await,
        rc::GET_MAX_OFFSET => consumer_manage::max_offset(ctx, conn, req).await,
        rc::GET_MIN_OFFSET => consumer_manage::min_offset(ctx, conn, req).await,
        rc::SEARCH_OFFSET_BY_TIMESTAMP => consumer_manage::search_offset(ctx, conn, req).await,
        rc::GET_EARLIEST_MSG_STORETIME => {
            consumer_manage::earliest_msg_storetime(ctx, conn, req).await
        }
        rc::UPDATE_AND_CREATE_TOPIC => admin_topic::create_topic(ctx, conn, req).await,
        rc::DELETE_TOPIC_IN_BROKER => admin_topic::delete_topic(ctx, conn, req).await,
        rc::GET_ALL_TOPIC_CONFIG => admin_topic::all_topic_config(ctx, conn, req).await,
        rc::GET_TOPIC_STATS_INFO => admin_topic::topic_stats(ctx, conn, req).await,
        rc::QUERY_TOPIC_CONSUME_BY_WHO => admin_topic::topic_consumed_by(ctx, conn, req).await,
        rc::GET_CONSUMER_RUNNING_INFO => {
            consumer_relay::consumer_running_info(ctx, conn, req).await
        }
        rc::CONSUME_MESSAGE_DIRECTLY => {
            consumer_relay::consume_message_directly(ctx, conn, req).await
        }
        rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => admin_group::create_group(ctx, conn, req).await,
        rc::DELETE_SUBSCRIPTIONGROUP => admin_group::delete_group(ctx, conn, req).await,
        rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => admin_group::all_group_config(ctx, conn, req).await,
        rc::GET_CONSUME_STATS => admin_group::consume_stats(ctx, conn, req).await,
        rc::GET_CONSUMER_CONNECTION_LIST => admin_group::consumer_connections(ctx, conn, req).await,
        rc::GET_ALL_CONSUMER_OFFSET => admin_group::all_consumer_offset(ctx, conn, req).await,
        rc::GET_ALL_DELAY_OFFSET => crate::schedule::admin::all_delay_offset(ctx, conn, req).await,
        rc::GET_BROKER_RUNTIME_INFO => admin_broker::runtime_info(ctx, conn, req).await,
        rc::GET_BROKER_CONFIG => admin_broker::broker_config(ctx, conn, req).await,
        rc::UPDATE_BROKER_CONFIG => admin_broker::update_broker_config(ctx, conn, req).await,
        rc::VIEW_MESSAGE_BY_ID => query::view_message_by_id(ctx, conn, req).await,
        rc::QUERY_MESSAGE => query::query_message(ctx, conn, req).await,
        rc::CONSUMER_SEND_MSG_BACK => send_back::send_msg_back(ctx, conn, req).await,
        rc::END_TRANSACTION => end_transaction::end_transaction(ctx, conn, req).await,
        rc::LOCK_BATCH_MQ => lock::lock_batch_mq(ctx, conn, req).await,
        rc::UNLOCK_BATCH_MQ => lock::unlock_batch_mq(ctx, conn, req).await,
        rc::INVOKE_BROKER_TO_RESET_OFFSET => reset_offset::reset_offset(ctx, conn, req).await,
        _ => Ok(Some(ferrocket_remoting::not_supported(req).into())),
    }
}
