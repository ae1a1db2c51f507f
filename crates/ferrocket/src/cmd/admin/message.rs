//! queryMsgById, queryMsgByKey, queryMsgByOffset.

use anyhow::{anyhow, bail};
use clap::Args;
use ferrocket_client::admin::ConsumeMessageDirectlyResult;
use ferrocket_client::{Message, MessageExt, MessageQueue, Producer};
use ferrocket_protocol::body::ConsumeType;
use serde_json::json;

use super::args::bool_value;
use super::context::Ctx;
use super::print_msg::{print_detail, to_json};
use super::raw::{PullOutcome, PullSpec};

/// The consumer group Apache's tools pull with.
pub const TOOLS_CONSUMER_GROUP: &str = "TOOLS_CONSUMER";

/// Checks a `-f` body format: only UTF-8 bodies can be printed.
fn check_charset(f: &Option<String>) -> anyhow::Result<bool> {
    match f.as_deref().map(str::trim) {
        None => Ok(false),
        Some(c) if c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("utf8") => Ok(true),
        Some(c) => bail!("body format {c} is not supported; use UTF-8"),
    }
}

#[derive(Args, Debug)]
pub struct QueryMsgByIdArgs {
    /// Topic the message is stored under.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Message id: the offsetMsgId or the producer's msgId; several separated by commas.
    #[arg(short = 'i', long = "msgId")]
    msg_id: String,
    /// With -d: hand the message to this group's client, which consumes it with its listener.
    #[arg(short = 'g', long = "consumerGroup")]
    consumer_group: Option<String>,
    /// With -g: the consumer's client id.
    #[arg(short = 'd', long = "clientId")]
    client_id: Option<String>,
    /// Re-send the message to the topic it is stored under (true|false).
    #[arg(short = 's', long = "sendMessage", value_parser = bool_value)]
    send_message: Option<bool>,
    /// Unit name of the re-sending producer.
    #[arg(short = 'u', long = "unitName")]
    unit_name: Option<String>,
    /// Print the body in this charset (UTF-8).
    #[arg(short = 'f', long = "bodyFormat")]
    body_format: Option<String>,
    /// Cluster name (accepted for compatibility).
    #[arg(short = 'c', long = "cluster")]
    cluster: Option<String>,
}

/// A copy of `m` for re-sending: body, flag, tags, keys and user properties; not the ids and bookkeeping the
/// broker and client add.
pub fn resend_copy(m: &MessageExt, topic: &str) -> Message {
    use ferrocket_protocol::message::properties as p;
    const DROP: &[&str] = &[
        p::UNIQ_KEY,
        p::MIN_OFFSET,
        p::MAX_OFFSET,
        p::CLUSTER,
        p::REAL_TOPIC,
        p::REAL_QID,
        p::RETRY_TOPIC,
        p::RECONSUME_TIME,
        p::MAX_RECONSUME_TIMES,
        p::DELAY,
        p::WAIT,
        p::TRAN_MSG,
        p::PGROUP,
        p::CONSUME_START_TIME,
        p::ORIGIN_MESSAGE_ID,
        p::MSG_REGION,
        p::TRACE_ON,
        "DLQ_ORIGIN_TOPIC",
        "DLQ_ORIGIN_MESSAGE_ID",
    ];
    let mut out = Message::new(topic, m.body.clone()).with_flag(m.flag);
    for (k, v) in &m.properties {
        if !DROP.contains(&k.as_str()) {
            out.properties.insert(k.clone(), v.clone());
        }
    }
    out
}

pub async fn query_msg_by_id(ctx: &Ctx, a: QueryMsgByIdArgs) -> anyhow::Result<()> {
    let topic = a.topic.trim();
    let ids: Vec<&str> = a
        .msg_id
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        bail!("-i: no message id given");
    }
    if let (Some(group), Some(client_id)) = (&a.consumer_group, &a.client_id) {
        return push_to_consumer(ctx, topic, &ids, group.trim(), client_id.trim()).await;
    }
    let print_body = check_charset(&a.body_format)?;
    let mut found = Vec::new();
    for id in &ids {
        let msg = ctx
            .admin
            .query_message_by_id(topic, id)
            .await
            .map_err(|e| not_found(ctx, id, topic, e))?;
        found.push(msg);
    }
    if a.send_message == Some(true) {
        let producer = Producer::builder()
            .client_config(resend_client(ctx, a.unit_name.as_deref()))
            .group("ReSendMsgById")
            .build()
            .map_err(|e| ctx.explain(e))?;
        producer.start().await.map_err(|e| ctx.explain(e))?;
        let mut results = Vec::new();
        for (id, m) in ids.iter().zip(&found) {
            let r = producer
                .send(resend_copy(m, &m.topic))
                .await
                .map_err(|e| ctx.explain(e));
            match r {
                Ok(r) => {
                    if !ctx.json {
                        println!(
                            "prepare resend msg. originalMsgId={id}SendResult [sendStatus={}, msgId={}, \
                             offsetMsgId={}, messageQueue={}, queueOffset={}]",
                            super::send::status_name(r.status),
                            r.msg_id, r.offset_msg_id, r.queue, r.queue_offset
                        );
                    }
                    results.push(json!({"originalMsgId": id, "msgId": r.msg_id, "queueOffset": r.queue_offset}));
                }
                Err(e) => {
                    producer.shutdown().await;
                    return Err(e);
                }
            }
        }
        producer.shutdown().await;
        if ctx.json {
            ctx.print_json(&json!(results));
        }
        return Ok(());
    }
    if ctx.json {
        let v: Vec<_> = found.iter().map(|m| to_json(m, None)).collect();
        ctx.print_json(&json!(v));
    } else {
        for m in &found {
            print_detail(m, print_body);
        }
    }
    Ok(())
}

/// Java's `ConsumeMessageDirectlyResult.toString()`.
fn direct_result_line(r: &ConsumeMessageDirectlyResult) -> String {
    let result = r
        .consume_result
        .and_then(|c| serde_json::to_value(c).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "null".to_owned());
    format!(
        "ConsumeMessageDirectlyResult [order={}, autoCommit={}, consumeResult={result}, remark={}, spentTimeMills={}]",
        r.order,
        r.auto_commit,
        r.remark.as_deref().unwrap_or("null"),
        r.spent_time_mills
    )
}

/// `queryMsgById -g G -d clientId`: hands each message to one push consumer of the group, which consumes it with
/// its listener and reports how that went (GET_CONSUMER_RUNNING_INFO first, as Apache's tool does, to check that
/// the client is a push consumer).
async fn push_to_consumer(
    ctx: &Ctx,
    topic: &str,
    ids: &[&str],
    group: &str,
    client_id: &str,
) -> anyhow::Result<()> {
    let info = ctx
        .admin
        .consumer_running_info(group, client_id, false)
        .await
        .map_err(|e| anyhow!("consumer {client_id} of group {group}: {}", ctx.explain(e)))?;
    if info.consume_type() != Some(ConsumeType::ConsumePassively) {
        bail!("this {client_id} client is not push consumer ,not support direct push");
    }
    let mut results = Vec::new();
    for id in ids {
        let r = ctx
            .admin
            .consume_message_directly(group, client_id, topic, id)
            .await
            .map_err(|e| match e {
                ferrocket_client::ClientError::InvalidMessage(_) => {
                    anyhow!("message {id} not found in topic {topic}")
                }
                e => anyhow!("pushing message {id} to {client_id}: {}", ctx.explain(e)),
            })?;
        if ctx.json {
            results.push(json!({"msgId": id, "clientId": client_id, "result": r}));
        } else {
            println!("{}", direct_result_line(&r));
        }
    }
    if ctx.json {
        ctx.print_json(&json!(results));
    }
    Ok(())
}

/// "Not found" when the lookup worked but found nothing; otherwise what failed.
pub fn not_found(
    ctx: &Ctx,
    id: &str,
    topic: &str,
    e: ferrocket_client::ClientError,
) -> anyhow::Error {
    match e {
        ferrocket_client::ClientError::InvalidMessage(_) => {
            anyhow!("message {id} not found in topic {topic}")
        }
        e => anyhow!(
            "looking up message {id} in topic {topic}: {}",
            ctx.explain(e)
        ),
    }
}

/// Client settings for a producer in this admin process (its own instance, so groups do not collide).
pub fn resend_client(ctx: &Ctx, unit: Option<&str>) -> ferrocket_client::ClientConfig {
    let mut instance = format!("admin-send-{}", std::process::id());
    if let Some(u) = unit.map(str::trim).filter(|u| !u.is_empty()) {
        instance.push('-');
        instance.push_str(u);
    }
    ferrocket_client::ClientConfig {
        instance_name: instance,
        api_timeout: ctx.timeout,
        connect_timeout: ctx.timeout,
        ..ferrocket_client::ClientConfig::default()
    }
    .namesrv(&ctx.namesrv.join(";"))
}

#[derive(Args, Debug)]
pub struct QueryMsgByKeyArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Message key.
    #[arg(short = 'k', long = "msgKey")]
    msg_key: String,
    /// Begin of the store-time range, ms (default 0).
    #[arg(short = 'b', long = "beginTimestamp", default_value_t = 0)]
    begin_timestamp: i64,
    /// End of the store-time range, ms (default: no end).
    #[arg(short = 'e', long = "endTimestamp")]
    end_timestamp: Option<i64>,
    /// Most messages returned (default 64).
    #[arg(short = 'm', long = "maxNum", default_value_t = 64)]
    max_num: i32,
    /// Cluster name (accepted for compatibility).
    #[arg(short = 'c', long = "cluster")]
    cluster: Option<String>,
}

pub async fn query_msg_by_key(ctx: &Ctx, a: QueryMsgByKeyArgs) -> anyhow::Result<()> {
    if a.max_num <= 0 {
        bail!("-m maxNum must be positive");
    }
    let msgs = ctx
        .admin
        .query_message_by_key(
            a.topic.trim(),
            a.msg_key.trim(),
            a.max_num,
            a.begin_timestamp,
            a.end_timestamp,
        )
        .await
        .map_err(|e| ctx.explain(e))?;
    if ctx.json {
        let v: Vec<_> = msgs.iter().map(|m| to_json(m, None)).collect();
        ctx.print_json(&json!(v));
        return Ok(());
    }
    println!("{:<50} {:>4} {:>40}", "#Message ID", "#QID", "#Offset");
    for m in &msgs {
        println!(
            "{:<50} {:>4} {:>40}",
            m.msg_id(),
            m.queue_id,
            m.queue_offset
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct QueryMsgByOffsetArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Broker name.
    #[arg(short = 'b', long = "brokerName")]
    broker_name: String,
    /// Queue id.
    #[arg(short = 'i', long = "queueId")]
    queue_id: i32,
    /// Queue offset.
    #[arg(short = 'o', long = "offset")]
    offset: i64,
    /// Print the body in this charset (UTF-8).
    #[arg(short = 'f', long = "bodyFormat")]
    body_format: Option<String>,
}

pub async fn query_msg_by_offset(ctx: &Ctx, a: QueryMsgByOffsetArgs) -> anyhow::Result<()> {
    let print_body = check_charset(&a.body_format)?;
    let (topic, broker) = (a.topic.trim(), a.broker_name.trim());
    // Knowing the route first turns an unknown topic into a clear error.
    let route = ctx
        .admin
        .topic_route(topic)
        .await
        .map_err(|e| ctx.explain(e))?;
    if !route.broker_datas.iter().any(|b| b.broker_name == broker) {
        bail!("topic {topic} has no queues on broker {broker}");
    }
    let addr = ctx.master_of(broker).await?;
    let mq = MessageQueue::new(topic, broker, a.queue_id);
    let outcome = ctx
        .raw
        .pull(
            &PullSpec {
                addr: &addr,
                group: TOOLS_CONSUMER_GROUP,
                mq: &mq,
                expression: "*",
                offset: a.offset,
                max: 1,
            },
            ctx.timeout,
        )
        .await?;
    let msg = match outcome {
        PullOutcome::Found { msgs, .. } => msgs.into_iter().find(|m| m.queue_offset == a.offset),
        _ => None,
    };
    let Some(msg) = msg else {
        bail!("no message at offset {} of {mq}", a.offset);
    };
    if ctx.json {
        ctx.print_json(&to_json(&msg, Some(broker)));
    } else {
        print_detail(&msg, print_body);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_client::admin::CMResult;

    #[test]
    fn direct_result_as_java_prints_it() {
        let mut r = ConsumeMessageDirectlyResult {
            consume_result: Some(CMResult::Success),
            spent_time_mills: 3,
            ..Default::default()
        };
        assert_eq!(
            direct_result_line(&r),
            "ConsumeMessageDirectlyResult [order=false, autoCommit=true, consumeResult=CR_SUCCESS, remark=null, \
             spentTimeMills=3]"
        );
        r.consume_result = None;
        r.remark = Some("boom".into());
        r.order = true;
        assert!(direct_result_line(&r)
            .starts_with("ConsumeMessageDirectlyResult [order=true, autoCommit=true, consumeResult=null, remark=boom"));
    }
}
