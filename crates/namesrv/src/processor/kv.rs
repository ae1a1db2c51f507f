//! PUT/GET/DELETE_KV_CONFIG and GET_KVLIST_BY_NAMESPACE.

use bytes::Bytes;
use ferrocket_protocol::body::KVTable;
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    DeleteKvConfigRequestHeader, GetKvConfigRequestHeader, GetKvConfigResponseHeader,
    GetKvListByNamespaceRequestHeader, PutKvConfigRequestHeader,
};

use super::{header, success, Failure, NamesrvState, Outcome};

pub fn put(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: PutKvConfigRequestHeader = header(req)?;
    state.kv.put(&h.namespace, &h.key, &h.value);
    Ok(success(req))
}

pub fn get(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: GetKvConfigRequestHeader = header(req)?;
    match state.kv.get(&h.namespace, &h.key) {
        Some(value) => {
            Ok(success(req).with_header(&GetKvConfigResponseHeader { value: Some(value) }))
        }
        None => Err(Failure::new(
            response_code::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
        )),
    }
}

pub fn delete(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: DeleteKvConfigRequestHeader = header(req)?;
    state.kv.delete(&h.namespace, &h.key);
    Ok(success(req))
}

pub fn list(state: &NamesrvState, req: &RemotingCommand) -> Outcome {
    let h: GetKvListByNamespaceRequestHeader = header(req)?;
    match state.kv.namespace(&h.namespace) {
        Some(table) => Ok(success(req).with_body(Bytes::from(
            KVTable {
                table: table.into_iter().collect(),
            }
            .encode(),
        ))),
        None => Err(Failure::new(
            response_code::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {}", h.namespace),
        )),
    }
}
