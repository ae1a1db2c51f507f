//! VIEW_MESSAGE_BY_ID and QUERY_MESSAGE (remoting-protocol.md §7.4). Bodies are stored records, sent as slices of
//! the mapped commit log without copying.

use std::sync::Arc;

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use ferrocket_remoting::{Connection, Response};

use super::{header, success, Failure, Outcome};
use crate::BrokerContext;

/// Apache's `maxMsgsNumBatch`: the most records one QUERY_MESSAGE returns.
const MAX_MSGS_NUM_BATCH: i32 = 64;

/// VIEW_MESSAGE_BY_ID: the record at a commit-log offset; SYSTEM_ERROR when there is none.
pub async fn view_message_by_id(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: ViewMessageRequestHeader = header(req)?;
    let record = ctx.store.message_by_phys_offset(h.offset).ok_or_else(|| {
        Failure::system(format!("can not find message by the offset, {}", h.offset))
    })?;
    Ok(Some(Response::with_chunks(success(req), vec![record])))
}

/// QUERY_MESSAGE: records whose key (or, with `_UNIQUE_KEY_QUERY=true`, UNIQ_KEY) hash matches, stored within
/// [beginTimestamp, endTimestamp]; QUERY_NOT_FOUND when none. The caller filters by the real key.
pub async fn query_message(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: QueryMessageRequestHeader = header(req)?;
    let max_num = if h.unique_key_query == Some(true) {
        ctx.config().default_query_max_num
    } else {
        h.max_num
    }
    .clamp(0, MAX_MSGS_NUM_BATCH) as usize;
    let result = ctx.store.query_message(
        &h.topic,
        &h.key,
        max_num,
        h.begin_timestamp,
        h.end_timestamp,
    );
    let resp_header = QueryMessageResponseHeader {
        index_last_update_timestamp: result.index_last_update_timestamp,
        index_last_update_phyoffset: result.index_last_update_phyoffset,
    };
    if result.messages.is_empty() {
        let cmd = RemotingCommand::response_to(
            req,
            response_code::QUERY_NOT_FOUND,
            Some("can not find message, maybe time range not correct".into()),
        )
        .with_header(&resp_header);
        return Ok(Some(cmd.into()));
    }
    Ok(Some(Response::with_chunks(
        success(req).with_header(&resp_header),
        result.messages,
    )))
}
