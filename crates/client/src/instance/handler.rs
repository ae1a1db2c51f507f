//! Requests brokers send to clients (remoting-protocol.md §7.6, §7.7, §16.3).

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use ferrocket_protocol::body::{MessageQueue, ResetOffsetBody, ResetOffsetBodyForC};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    CheckTransactionStateRequestHeader, ConsumeMessageDirectlyResultRequestHeader,
    GetConsumerRunningInfoRequestHeader, NotifyConsumerIdsChangedRequestHeader,
    ResetOffsetRequestHeader,
};
use ferrocket_protocol::message::properties;
use ferrocket_protocol::message::MessageExt;
use ferrocket_remoting::{not_supported, Connection, RequestHandler, Response};

use super::ClientInstance;

pub(crate) struct ClientRequestHandler {
    instance: Weak<ClientInstance>,
}

impl ClientRequestHandler {
    pub fn new(instance: Weak<ClientInstance>) -> Self {
        ClientRequestHandler { instance }
    }
}

fn error(request: &RemotingCommand, code: i32, remark: String) -> Option<Response> {
    Some(RemotingCommand::response_to(request, code, Some(remark)).into())
}

impl RequestHandler for ClientRequestHandler {
    async fn handle(
        self: Arc<Self>,
        conn: Arc<Connection>,
        request: RemotingCommand,
    ) -> Option<Response> {
        let Some(instance) = self.instance.upgrade() else {
            return error(
                &request,
                response_code::SYSTEM_ERROR,
                "client is shutting down".into(),
            );
        };
        match request.code {
            request_code::NOTIFY_CONSUMER_IDS_CHANGED => {
                if let Ok(h) = request.decode_header::<NotifyConsumerIdsChangedRequestHeader>() {
                    tracing::debug!(group = h.consumer_group, "consumer ids changed");
                    if let Some(c) = instance.consumer(&h.consumer_group) {
                        c.trigger_rebalance();
                    }
                }
                None
            }
            request_code::CHECK_TRANSACTION_STATE => {
                check_transaction(&instance, &conn, &request);
                None
            }
            request_code::RESET_CONSUMER_CLIENT_OFFSET => reset_offset(&instance, &request),
            request_code::GET_CONSUMER_RUNNING_INFO => running_info(&instance, &request),
            request_code::CONSUME_MESSAGE_DIRECTLY => consume_directly(&instance, &request).await,
            _ => Some(not_supported(&request).into()),
        }
    }
}

fn check_transaction(instance: &ClientInstance, conn: &Connection, request: &RemotingCommand) {
    let header = match request.decode_header::<CheckTransactionStateRequestHeader>() {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "bad CHECK_TRANSACTION_STATE header");
            return;
        }
    };
    let mut msg = match MessageExt::decode(&request.body) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "bad CHECK_TRANSACTION_STATE body");
            return;
        }
    };
    if let Err(e) =
        msg.decompress_body(ferrocket_protocol::message::compression::MAX_DECOMPRESSED_LEN)
    {
        tracing::warn!(error = %e, "cannot inflate half message body");
    }
    let Some(group) = msg.property(properties::PGROUP).map(str::to_owned) else {
        tracing::warn!("half message without producer group");
        return;
    };
    match instance.producer(&group) {
        Some(p) => p.check_transaction(conn.peer_addr().to_string(), header, msg),
        None => tracing::debug!(
            group,
            "transaction check for a producer group not in this client"
        ),
    }
}

fn reset_offset(instance: &ClientInstance, request: &RemotingCommand) -> Option<Response> {
    let header = match request.decode_header::<ResetOffsetRequestHeader>() {
        Ok(h) => h,
        Err(e) => return error(request, response_code::SYSTEM_ERROR, e.to_string()),
    };
    let offsets: BTreeMap<MessageQueue, i64> = match ResetOffsetBody::decode(&request.body) {
        Ok(b) => b.offset_table,
        // The list form CPP admins trigger.
        Err(_) => match ResetOffsetBodyForC::decode(&request.body) {
            Ok(b) => ResetOffsetBody::from(&b).offset_table,
            Err(e) => return error(request, response_code::SYSTEM_ERROR, e.to_string()),
        },
    };
    if let Some(c) = instance.consumer(&header.group) {
        c.reset_offset(header.topic, offsets);
    }
    Some(RemotingCommand::response_to(request, response_code::SUCCESS, None).into())
}

fn running_info(instance: &ClientInstance, request: &RemotingCommand) -> Option<Response> {
    let header = match request.decode_header::<GetConsumerRunningInfoRequestHeader>() {
        Ok(h) => h,
        Err(e) => return error(request, response_code::SYSTEM_ERROR, e.to_string()),
    };
    match instance.consumer(&header.consumer_group) {
        Some(c) => {
            let mut info = c.running_info();
            if header.jstack_enable == Some(true) {
                info.jstack = Some(String::new());
            }
            let resp = RemotingCommand::response_to(request, response_code::SUCCESS, None)
                .with_body(info.encode());
            Some(resp.into())
        }
        None => error(
            request,
            response_code::SYSTEM_ERROR,
            format!(
                "The Consumer Group <{}> not exist in this consumer",
                header.consumer_group
            ),
        ),
    }
}

async fn consume_directly(
    instance: &ClientInstance,
    request: &RemotingCommand,
) -> Option<Response> {
    let header = match request.decode_header::<ConsumeMessageDirectlyResultRequestHeader>() {
        Ok(h) => h,
        Err(e) => return error(request, response_code::SYSTEM_ERROR, e.to_string()),
    };
    let not_here = || {
        error(
            request,
            response_code::SYSTEM_ERROR,
            format!(
                "The Consumer Group <{}> not exist in this consumer",
                header.consumer_group
            ),
        )
    };
    let Some(consumer) = instance.consumer(&header.consumer_group) else {
        return not_here();
    };
    let mut msg = match MessageExt::decode(&request.body) {
        Ok(m) => m,
        Err(e) => return error(request, response_code::SYSTEM_ERROR, e.to_string()),
    };
    if let Err(e) =
        msg.decompress_body(ferrocket_protocol::message::compression::MAX_DECOMPRESSED_LEN)
    {
        return error(request, response_code::SYSTEM_ERROR, e.to_string());
    }
    match consumer
        .consume_directly(msg, header.broker_name.clone())
        .await
    {
        Some(result) => Some(
            RemotingCommand::response_to(request, response_code::SUCCESS, None)
                .with_body(result.encode())
                .into(),
        ),
        None => not_here(),
    }
}
