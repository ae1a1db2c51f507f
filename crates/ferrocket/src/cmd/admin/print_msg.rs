//! How the message commands print a message: the detail block of `queryMsgById`, the one-line form of
//! `printMsg`/`consumeMessage`, and JSON.

use std::path::PathBuf;

use ferrocket_client::MessageExt;
use serde_json::json;

use super::timefmt::human_ms;
use super::topic::java_map;

/// Where Apache's tools leave a message body for inspection.
const BODY_DIR: &str = "/tmp/rocketmq/msgbodys";

/// Writes the body to `/tmp/rocketmq/msgbodys/<msgId>` and returns the path (or why it could not).
fn write_body_file(msg: &MessageExt) -> String {
    let dir = PathBuf::from(BODY_DIR);
    let path = dir.join(msg.msg_id());
    match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &msg.body)) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not written: {e})"),
    }
}

fn properties_text(msg: &MessageExt) -> String {
    java_map(msg.properties.iter())
}

/// The detail block `queryMsgById` and `queryMsgByOffset` print; the body too when `print_body`.
pub fn print_detail(msg: &MessageExt, print_body: bool) {
    let line = |k: &str, v: String| println!("{k:<20} {v}");
    line("OffsetID:", msg.offset_msg_id());
    line("Topic:", msg.topic.clone());
    line("Tags:", format!("[{}]", msg.tags().unwrap_or("null")));
    line(
        "Keys:",
        format!(
            "[{}]",
            msg.property(ferrocket_protocol::message::properties::KEYS)
                .unwrap_or("null")
        ),
    );
    line("Queue ID:", msg.queue_id.to_string());
    line("Queue Offset:", msg.queue_offset.to_string());
    line("CommitLog Offset:", msg.physical_offset.to_string());
    line("Reconsume Times:", msg.reconsume_times.to_string());
    line("Born Timestamp:", human_ms(msg.born_timestamp));
    line("Store Timestamp:", human_ms(msg.store_timestamp));
    line("Born Host:", msg.born_host.to_string());
    line("Store Host:", msg.store_host.to_string());
    line("System Flag:", msg.sys_flag.to_string());
    line("Properties:", properties_text(msg));
    line("Message Body Path:", write_body_file(msg));
    if print_body {
        line(
            "Message Body:",
            String::from_utf8_lossy(&msg.body).into_owned(),
        );
    }
}

/// Java's `MessageExt.toString()` shape, used inside the one-line form.
fn describe(msg: &MessageExt, broker_name: &str) -> String {
    format!(
        "MessageExt [brokerName={broker_name}, queueId={}, storeSize={}, queueOffset={}, sysFlag={}, \
         bornTimestamp={}, bornHost={}, storeTimestamp={}, storeHost={}, msgId={}, commitLogOffset={}, \
         bodyCRC={}, reconsumeTimes={}, preparedTransactionOffset={}, toString()=Message{{topic='{}', flag={}, \
         properties={}, body=[{} bytes], transactionId='{}'}}]",
        msg.queue_id,
        msg.total_size,
        msg.queue_offset,
        msg.sys_flag,
        msg.born_timestamp,
        msg.born_host,
        msg.store_timestamp,
        msg.store_host,
        msg.msg_id(),
        msg.physical_offset,
        msg.body_crc,
        msg.reconsume_times,
        msg.prepared_transaction_offset,
        msg.topic,
        msg.flag,
        properties_text(msg),
        msg.body.len(),
        msg.property(ferrocket_protocol::message::properties::UNIQ_KEY)
            .unwrap_or("null"),
    )
}

/// `MSGID: <id> <description> BODY: <body>`, as `printMsg` and `consumeMessage` print each message.
pub fn print_line(msg: &MessageExt, broker_name: &str, print_body: bool) {
    let body = if print_body {
        String::from_utf8_lossy(&msg.body).into_owned()
    } else {
        "NOT PRINT BODY".to_owned()
    };
    println!(
        "MSGID: {} {} BODY: {body}",
        msg.msg_id(),
        describe(msg, broker_name)
    );
}

/// A message as JSON (body as UTF-8 text, lossy).
pub fn to_json(msg: &MessageExt, broker_name: Option<&str>) -> serde_json::Value {
    json!({
        "msgId": msg.msg_id(),
        "offsetMsgId": msg.offset_msg_id(),
        "topic": msg.topic,
        "brokerName": broker_name,
        "tags": msg.tags(),
        "keys": msg.keys().collect::<Vec<_>>(),
        "queueId": msg.queue_id,
        "queueOffset": msg.queue_offset,
        "commitLogOffset": msg.physical_offset,
        "reconsumeTimes": msg.reconsume_times,
        "bornTimestamp": msg.born_timestamp,
        "storeTimestamp": msg.store_timestamp,
        "bornHost": msg.born_host.to_string(),
        "storeHost": msg.store_host.to_string(),
        "sysFlag": msg.sys_flag,
        "flag": msg.flag,
        "properties": msg.properties,
        "body": String::from_utf8_lossy(&msg.body),
    })
}
