//! sendMessage, and resendDlq (re-send dead letters to the topic they came from).

use anyhow::{anyhow, bail};
use clap::Args;
use ferrocket_client::{Message, MessageExt, MessageQueue, Producer, SendResult, SendStatus};
use serde_json::json;

use super::args::bool_value;
use super::context::{front, Ctx};
use super::message::{not_found, resend_client, resend_copy};
use super::timefmt::now_ms;

/// Java's `SendStatus` names.
pub fn status_name(s: SendStatus) -> &'static str {
    match s {
        SendStatus::SendOk => "SEND_OK",
        SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
        SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
        SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
    }
}

fn result_json(r: &SendResult) -> serde_json::Value {
    json!({
        "sendStatus": status_name(r.status),
        "msgId": r.msg_id,
        "offsetMsgId": r.offset_msg_id,
        "topic": r.queue.topic,
        "brokerName": r.queue.broker_name,
        "queueId": r.queue.queue_id,
        "queueOffset": r.queue_offset,
    })
}

#[derive(Args, Debug)]
pub struct SendMessageArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Body (UTF-8 text).
    #[arg(short = 'p', long = "body")]
    body: String,
    /// Keys (space-separated).
    #[arg(short = 'k', long = "key")]
    key: Option<String>,
    /// Tag.
    #[arg(short = 'c', long = "tags")]
    tags: Option<String>,
    /// Send to this broker (name); with -i, to one of its queues.
    #[arg(short = 'b', long = "broker")]
    broker: Option<String>,
    /// Queue id (needs -b).
    #[arg(short = 'i', long = "qid")]
    qid: Option<i32>,
    /// Message trace (accepted; traces are not sent).
    #[arg(short = 'm', long = "msgTraceEnable", value_parser = bool_value)]
    msg_trace_enable: Option<bool>,
}

async fn start_producer(ctx: &Ctx, group: &str) -> anyhow::Result<Producer> {
    let producer = Producer::builder()
        .client_config(resend_client(ctx, None))
        .group(group)
        .build()
        .map_err(|e| ctx.explain(e))?;
    producer.start().await.map_err(|e| ctx.explain(e))?;
    Ok(producer)
}

pub async fn send_message(ctx: &Ctx, a: SendMessageArgs) -> anyhow::Result<()> {
    if a.qid.is_some() && a.broker.is_none() {
        bail!("-i qid needs -b broker name: a queue id only means something on one broker");
    }
    let topic = a.topic.trim();
    let mut msg = Message::new(topic, a.body.trim().as_bytes().to_vec());
    if let Some(t) = a.tags.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        msg = msg.with_tags(t);
    }
    if let Some(k) = &a.key {
        msg = msg.with_keys(k.split(' '));
    }
    // Apache names the tool's producer group after the current time.
    let producer = start_producer(ctx, &now_ms().to_string()).await?;
    let result = match (a.broker.as_deref().map(str::trim), a.qid) {
        (Some(b), Some(q)) if q >= 0 => {
            producer
                .send_to_queue(msg, &MessageQueue::new(topic, b, q))
                .await
        }
        _ => producer.send(msg).await,
    };
    producer.shutdown().await;
    let r = result.map_err(|e| ctx.explain(e))?;
    if ctx.json {
        ctx.print_json(&result_json(&r));
        return Ok(());
    }
    println!(
        "{:<32}  {:<4}  {:<20}    #MsgId",
        "#Broker Name", "#QID", "#Send Result"
    );
    println!(
        "{:<32}  {:<4}  {:<20}    {}",
        r.queue.broker_name,
        r.queue.queue_id,
        status_name(r.status),
        r.msg_id
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct ResendDlqArgs {
    /// Consumer group whose dead-letter queue (`%DLQ%<group>`) holds the message.
    #[arg(short = 'g', long = "consumerGroup")]
    consumer_group: String,
    /// Message id (the producer's msgId or the offsetMsgId); several separated by commas.
    #[arg(short = 'i', long = "msgId")]
    msg_id: String,
}

/// The topic a dead letter was first sent to: `DLQ_ORIGIN_TOPIC` (5.x brokers), else `RETRY_TOPIC` (set when
/// it went through the retry topic), else `REAL_TOPIC`.
pub fn original_topic(m: &MessageExt) -> Option<&str> {
    ["DLQ_ORIGIN_TOPIC", "RETRY_TOPIC", "REAL_TOPIC"]
        .iter()
        .filter_map(|k| m.property(k))
        .map(str::trim)
        .find(|t| !t.is_empty() && !t.starts_with("%DLQ%") && !t.starts_with("%RETRY%"))
}

pub async fn resend_dlq(ctx: &Ctx, a: ResendDlqArgs) -> anyhow::Result<()> {
    let group = a.consumer_group.trim();
    let dlq = format!("%DLQ%{group}");
    let ids: Vec<&str> = a
        .msg_id
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        bail!("-i: no message id given");
    }
    let mut plan = Vec::new();
    for id in &ids {
        let m = ctx
            .admin
            .query_message_by_id(&dlq, id)
            .await
            .map_err(|e| not_found(ctx, id, &dlq, e))?;
        let Some(topic) = original_topic(&m).map(str::to_owned) else {
            bail!(
                "message {id} in {dlq} carries no original topic (no DLQ_ORIGIN_TOPIC, RETRY_TOPIC or REAL_TOPIC property)"
            );
        };
        plan.push((*id, topic, m));
    }
    let producer = start_producer(ctx, "TOOLS_RESEND_DLQ").await?;
    let mut done = Vec::new();
    for (id, topic, m) in &plan {
        match producer.send(resend_copy(m, topic)).await {
            Ok(r) => done.push((*id, topic.clone(), r)),
            Err(e) => {
                producer.shutdown().await;
                return Err(anyhow!(
                    "re-sending {id} to {topic} failed: {}",
                    ctx.explain(e)
                ));
            }
        }
    }
    producer.shutdown().await;
    if ctx.json {
        let v: Vec<_> = done
            .iter()
            .map(|(id, _, r)| {
                let mut j = result_json(r);
                if let Some(o) = j.as_object_mut() {
                    o.insert("originalMsgId".into(), json!(id));
                    o.insert("dlqTopic".into(), json!(dlq));
                }
                j
            })
            .collect();
        ctx.print_json(&json!(v));
        return Ok(());
    }
    println!(
        "{:<34}  {:<32}  {:<24}  {:<4}  {:<20}    #New MsgId",
        "#DLQ MsgId", "#Topic", "#Broker Name", "#QID", "#Send Result"
    );
    for (id, topic, r) in &done {
        println!(
            "{:<34}  {:<32}  {:<24}  {:<4}  {:<20}    {}",
            id,
            front(topic, 64),
            r.queue.broker_name,
            r.queue.queue_id,
            status_name(r.status),
            r.msg_id
        );
    }
    Ok(())
}
