//! SEND_BATCH_MESSAGE and scheduled delivery: a batch is appended as one run of records to the queue it was sent
//! to, so none of its messages can be parked for later. Apache refuses a batch whose (batch-level) delay level is
//! set (MESSAGE_ILLEGAL) and its clients refuse to batch a message with a delay level; a message inside the batch
//! carrying `DELAY` or a future `TIMER_*` time would otherwise be stored as an ordinary message and consumed at once.
//! Ferrocket therefore refuses the whole batch when the batch or any message in it would be deferred, with a remark
//! naming the message, so the sender never sees a delayed message delivered early.

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::message::iter_batch;

use super::plan::{self, Plan};
use crate::processor::Failure;
use crate::BrokerContext;

/// Ok when no message of the batch (nor the batch's own `properties`) asks for deferred delivery; MESSAGE_ILLEGAL
/// otherwise. A timer whose due time has already passed is delivered at once anyway, so it is accepted. Items that
/// do not parse are left for the batch encoder to report.
pub fn refuse_deferred(ctx: &BrokerContext, properties: &str, body: &[u8]) -> Result<(), Failure> {
    // Every deferring property name contains "DEL"; only such property strings are parsed, and the item walk reads
    // headers only, never the bodies.
    let check = |props: &str, which: &dyn Fn() -> String| -> Result<(), Failure> {
        if !plan::might_defer(props) {
            return Ok(());
        }
        let svc = &ctx.schedule;
        let timer = svc.settings.current(&ctx.config());
        let kind = match plan::plan(props, ctx.store.now_ms(), svc.levels_ms.len(), &timer) {
            Ok(Plan::AsIs) => return Ok(()),
            Ok(Plan::Level(_)) => "a delay level (DELAY)",
            Ok(Plan::Timer(_)) => "a timer (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS)",
            Err(f) => {
                return Err(Failure::new(
                    response_code::MESSAGE_ILLEGAL,
                    format!("batch request refused, {}: {}", which(), f.remark),
                ))
            }
        };
        Err(Failure::new(
            response_code::MESSAGE_ILLEGAL,
            format!(
                "batch request does not support delayed messages: {} carries {kind}; send delayed messages \
                 one by one",
                which()
            ),
        ))
    };
    check(properties, &|| "the batch itself".to_string())?;
    for (i, item) in iter_batch(body).enumerate() {
        let Ok(item) = item else { break };
        check(item.properties, &|| {
            format!("message {} of the batch", i + 1)
        })?;
    }
    Ok(())
}
