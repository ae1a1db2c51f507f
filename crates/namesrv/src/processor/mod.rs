//! Request processors, one module per request family; [`NamesrvHandler`] dispatches on the request code.

mod broker;
mod cluster;
mod kv;
mod topic;

use std::sync::Arc;

use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::CommandHeader;
use ferrocket_remoting::{Connection, RequestHandler, Response};

use crate::kv::KvConfigStore;
use crate::route::RouteRegistry;
use crate::NamesrvConfig;

/// Everything the processors share.
pub struct NamesrvState {
    pub config: NamesrvConfig,
    pub routes: RouteRegistry,
    pub kv: KvConfigStore,
}

pub struct NamesrvHandler {
    pub state: Arc<NamesrvState>,
}

impl RequestHandler for NamesrvHandler {
    async fn handle(
        self: Arc<Self>,
        conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        let state = &self.state;
        let resp = match req.code {
            rc::REGISTER_BROKER => broker::register(state, &conn, &req),
            rc::UNREGISTER_BROKER => broker::unregister(state, &req),
            rc::BROKER_HEARTBEAT => broker::heartbeat(state, &req),
            rc::QUERY_DATA_VERSION => broker::query_data_version(state, &req),
            rc::GET_ROUTEINFO_BY_TOPIC => topic::route(state, &req),
            rc::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => topic::all_topics(state, &req),
            rc::GET_TOPICS_BY_CLUSTER => topic::topics_by_cluster(state, &req),
            rc::DELETE_TOPIC_IN_NAMESRV => topic::delete(state, &req),
            rc::GET_BROKER_CLUSTER_INFO => cluster::cluster_info(state, &req),
            rc::WIPE_WRITE_PERM_OF_BROKER => cluster::write_perm(state, &req, false),
            rc::ADD_WRITE_PERM_OF_BROKER => cluster::write_perm(state, &req, true),
            rc::PUT_KV_CONFIG => kv::put(state, &req),
            rc::GET_KV_CONFIG => kv::get(state, &req),
            rc::DELETE_KV_CONFIG => kv::delete(state, &req),
            rc::GET_KVLIST_BY_NAMESPACE => kv::list(state, &req),
            _ => Ok(ferrocket_remoting::not_supported(&req)),
        };
        let resp = resp.unwrap_or_else(|e| e.into_response(&req));
        Some(resp.into())
    }

    fn on_close(&self, conn: &Arc<Connection>) {
        for gone in self.state.routes.connection_closed(conn.id()) {
            tracing::info!(broker = %gone.broker_addr, name = %gone.broker_name, "broker connection closed; unregistered");
        }
    }
}

/// A request that failed: the response code and remark to answer with.
pub struct Failure {
    pub code: i32,
    pub remark: String,
}

impl Failure {
    pub fn new(code: i32, remark: impl Into<String>) -> Self {
        Self {
            code,
            remark: remark.into(),
        }
    }

    fn into_response(self, req: &RemotingCommand) -> RemotingCommand {
        RemotingCommand::response_to(req, self.code, Some(self.remark))
    }
}

impl From<ferrocket_protocol::ProtocolError> for Failure {
    fn from(e: ferrocket_protocol::ProtocolError) -> Self {
        Failure::new(response_code::INVALID_PARAMETER, e.to_string())
    }
}

pub type Outcome = Result<RemotingCommand, Failure>;

pub fn header<H: CommandHeader>(req: &RemotingCommand) -> Result<H, Failure> {
    Ok(req.decode_header::<H>()?)
}

pub fn success(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(req, response_code::SUCCESS, None)
}
