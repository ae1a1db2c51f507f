//! GET_ALL_DELAY_OFFSET (45): the delay offset table, as delayOffset.json holds it.

use std::sync::Arc;

use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use crate::processor::{reply, success, Outcome};
use crate::BrokerContext;

pub async fn all_delay_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    reply(success(req).with_body(ctx.schedule.offsets.encode()))
}
