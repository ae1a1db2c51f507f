//! Dispatches each request to its processor by code. OWNER: broker-core helper (flow control lives here too).

use std::sync::Arc;

use ferrocket_protocol::codes::request_code as rc;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::{Connection, RequestHandler, Response};

use crate::processor::{
    admin_broker, admin_group, admin_topic, client_manage, consumer_manage, pull, query, send,
    Outcome,
};
use crate::BrokerContext;

pub struct BrokerHandler {
    pub ctx: Arc<BrokerContext>,
}

impl RequestHandler for BrokerHandler {
    async fn handle(
        self: Arc<Self>,
        conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        let ctx = &self.ctx;
        let outcome: Outcome = match req.code {
            rc::SEND_MESSAGE | rc::SEND_MESSAGE_V2 | rc::SEND_BATCH_MESSAGE => {
                send::send_message(ctx, &conn, &req).await
            }
            rc::PULL_MESSAGE | rc::LITE_PULL_MESSAGE => pull::pull_message(ctx, &conn, &req).await,
            rc::HEART_BEAT => client_manage::heartbeat(ctx, &conn, &req).await,
            rc::UNREGISTER_CLIENT => client_manage::unregister_client(ctx, &conn, &req).await,
            rc::GET_CONSUMER_LIST_BY_GROUP => client_manage::consumer_list(ctx, &conn, &req).await,
            rc::CHECK_CLIENT_CONFIG => client_manage::check_client_config(ctx, &conn, &req).await,
            rc::QUERY_CONSUMER_OFFSET => {
                consumer_manage::query_consumer_offset(ctx, &conn, &req).await
            }
            rc::UPDATE_CONSUMER_OFFSET => {
                consumer_manage::update_consumer_offset(ctx, &conn, &req).await
            }
            rc::GET_MAX_OFFSET => consumer_manage::max_offset(ctx, &conn, &req).await,
            rc::GET_MIN_OFFSET => consumer_manage::min_offset(ctx, &conn, &req).await,
            rc::SEARCH_OFFSET_BY_TIMESTAMP => {
                consumer_manage::search_offset(ctx, &conn, &req).await
            }
            rc::GET_EARLIEST_MSG_STORETIME => {
                consumer_manage::earliest_msg_storetime(ctx, &conn, &req).await
            }
            rc::UPDATE_AND_CREATE_TOPIC => admin_topic::create_topic(ctx, &conn, &req).await,
            rc::DELETE_TOPIC_IN_BROKER => admin_topic::delete_topic(ctx, &conn, &req).await,
            rc::GET_ALL_TOPIC_CONFIG => admin_topic::all_topic_config(ctx, &conn, &req).await,
            rc::GET_TOPIC_STATS_INFO => admin_topic::topic_stats(ctx, &conn, &req).await,
            rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => {
                admin_group::create_group(ctx, &conn, &req).await
            }
            rc::DELETE_SUBSCRIPTIONGROUP => admin_group::delete_group(ctx, &conn, &req).await,
            rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => {
                admin_group::all_group_config(ctx, &conn, &req).await
            }
            rc::GET_CONSUME_STATS => admin_group::consume_stats(ctx, &conn, &req).await,
            rc::GET_CONSUMER_CONNECTION_LIST => {
                admin_group::consumer_connections(ctx, &conn, &req).await
            }
            rc::GET_ALL_CONSUMER_OFFSET => admin_group::all_consumer_offset(ctx, &conn, &req).await,
            rc::GET_BROKER_RUNTIME_INFO => admin_broker::runtime_info(ctx, &conn, &req).await,
            rc::GET_BROKER_CONFIG => admin_broker::broker_config(ctx, &conn, &req).await,
            rc::UPDATE_BROKER_CONFIG => admin_broker::update_broker_config(ctx, &conn, &req).await,
            rc::VIEW_MESSAGE_BY_ID => query::view_message_by_id(ctx, &conn, &req).await,
            rc::QUERY_MESSAGE => query::query_message(ctx, &conn, &req).await,
            _ => Ok(Some(ferrocket_remoting::not_supported(&req).into())),
        };
        match outcome {
            Ok(resp) => resp,
            Err(failure) => Some(failure.into_response(&req).into()),
        }
    }

    fn on_close(&self, conn: &Arc<Connection>) {
        self.ctx.clients.connection_closed(conn.id());
    }
}
