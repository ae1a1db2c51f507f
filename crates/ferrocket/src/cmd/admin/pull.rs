//! consumeMessage and printMsg: read queues with plain pulls (no offsets committed) and print what is there.

use anyhow::bail;
use clap::Args;
use ferrocket_client::{MessageExt, MessageQueue};
use serde_json::json;

use super::args::bool_value;
use super::context::Ctx;
use super::message::TOOLS_CONSUMER_GROUP;
use super::print_msg::{print_line, to_json};
use super::raw::{PullOutcome, PullSpec};
use super::timefmt::{now_ms, parse_time};

/// Messages asked for per pull.
const PULL_BATCH: i64 = 32;

/// Reads `[from, to)` of `mq` (at most `limit` messages) and hands each message to `sink`. Returns how many
/// were read and the offset reading stopped at.
#[allow(clippy::too_many_arguments)]
async fn read_range(
    ctx: &Ctx,
    addr: &str,
    group: &str,
    mq: &MessageQueue,
    expression: &str,
    from: i64,
    to: i64,
    limit: u64,
    sink: &mut dyn FnMut(&MessageExt),
) -> anyhow::Result<(u64, i64)> {
    let mut offset = from;
    let mut read = 0u64;
    while offset < to && read < limit {
        let want = (to - offset).min(PULL_BATCH).min((limit - read) as i64);
        match ctx
            .raw
            .pull(
                &PullSpec {
                    addr,
                    group,
                    mq,
                    expression,
                    offset,
                    max: want as i32,
                },
                ctx.timeout,
            )
            .await?
        {
            PullOutcome::Found { msgs, next } => {
                for m in msgs.iter().filter(|m| m.queue_offset < to) {
                    if read >= limit {
                        break;
                    }
                    sink(m);
                    read += 1;
                }
                offset = next.max(offset + 1);
            }
            PullOutcome::NoMatched { next } => offset = next.max(offset + 1),
            PullOutcome::NoNewMsg { next } | PullOutcome::OffsetIllegal { next } => {
                offset = next;
                break;
            }
        }
    }
    Ok((read, offset))
}

#[derive(Args, Debug)]
pub struct ConsumeMessageArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Only this broker (name).
    #[arg(short = 'b', long = "brokerName")]
    broker_name: Option<String>,
    /// Only this queue (needs -b).
    #[arg(short = 'i', long = "queueId")]
    queue_id: Option<i32>,
    /// Start at this offset (needs -i).
    #[arg(short = 'o', long = "offset")]
    offset: Option<i64>,
    /// Consumer group the pulls are made for (default TOOLS_CONSUMER).
    #[arg(short = 'g', long = "consumerGroup")]
    consumer_group: Option<String>,
    /// Begin time: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS.
    #[arg(short = 's', long = "beginTimestamp")]
    begin_timestamp: Option<String>,
    /// End time: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS.
    #[arg(short = 'e', long = "endTimestamp")]
    end_timestamp: Option<String>,
    /// Number of messages to read (default 128).
    #[arg(short = 'c', long = "MessageNumber", default_value_t = 128)]
    message_number: i64,
}

/// The queues of `topic` to read, optionally one broker's or one queue.
async fn select_queues(
    ctx: &Ctx,
    topic: &str,
    broker: Option<&str>,
    queue: Option<i32>,
) -> anyhow::Result<Vec<MessageQueue>> {
    let mut queues = ctx
        .admin
        .topic_queues(topic)
        .await
        .map_err(|e| ctx.explain(e))?;
    queues.sort();
    if let Some(b) = broker {
        queues.retain(|q| q.broker_name == b);
        if queues.is_empty() {
            bail!("topic {topic} has no queues on broker {b}");
        }
    }
    if let Some(q) = queue {
        queues.retain(|x| x.queue_id == q);
        if queues.is_empty() {
            bail!("topic {topic} has no queue {q}");
        }
    }
    Ok(queues)
}

/// The `[from, to)` offsets of `mq` between two optional times.
async fn bounds(
    ctx: &Ctx,
    mq: &MessageQueue,
    begin: Option<i64>,
    end: Option<i64>,
) -> anyhow::Result<(i64, i64)> {
    let e = |e| ctx.explain(e);
    let from = match begin {
        Some(t) => ctx.admin.search_offset(mq, t).await.map_err(e)?,
        None => ctx.admin.min_offset(mq).await.map_err(e)?,
    };
    let to = match end {
        Some(t) => ctx.admin.search_offset(mq, t).await.map_err(e)?,
        None => ctx.admin.max_offset(mq).await.map_err(e)?,
    };
    Ok((from, to))
}

pub async fn consume_message(ctx: &Ctx, a: ConsumeMessageArgs) -> anyhow::Result<()> {
    if a.message_number <= 0 {
        bail!("-c: give a positive number of messages");
    }
    if a.queue_id.is_some() && a.broker_name.is_none() {
        bail!("-i queueId needs -b brokerName");
    }
    if a.offset.is_some() && a.queue_id.is_none() {
        bail!("-o offset needs -i queueId");
    }
    let now = now_ms();
    let begin = a.begin_timestamp.as_deref().map(parse_time).transpose()?;
    let end = a.end_timestamp.as_deref().map(parse_time).transpose()?;
    if begin.is_some_and(|b| b > now) || end.is_some_and(|e| e > now) {
        bail!("begin and end times must not be in the future");
    }
    if let (Some(b), Some(e)) = (begin, end) {
        if b > e {
            bail!("the begin time must not be after the end time");
        }
    }
    let topic = a.topic.trim();
    let group = a
        .consumer_group
        .as_deref()
        .map(str::trim)
        .unwrap_or(TOOLS_CONSUMER_GROUP);
    let queues = select_queues(
        ctx,
        topic,
        a.broker_name.as_deref().map(str::trim),
        a.queue_id,
    )
    .await?;
    let mut left = a.message_number as u64;
    let mut collected = Vec::new();
    for mq in queues {
        if left == 0 {
            break;
        }
        let (mut from, to) = bounds(ctx, &mq, begin, end).await?;
        if let Some(o) = a.offset {
            if o > to {
                if !ctx.json {
                    println!("{mq} no matched msg, offset={o}");
                }
                continue;
            }
            from = from.max(o);
        }
        let addr = ctx.master_of(&mq.broker_name).await?;
        let json = ctx.json;
        let broker = mq.broker_name.clone();
        let mut sink = |m: &MessageExt| {
            if json {
                collected.push(to_json(m, Some(&broker)));
            } else {
                print_line(m, &broker, true);
            }
        };
        if !ctx.json && from < to {
            println!("Consume ok");
        }
        let (read, stopped) =
            read_range(ctx, &addr, group, &mq, "*", from, to, left, &mut sink).await?;
        left -= read;
        if !ctx.json {
            println!("{mq} print msg finished. status=NO_NEW_MSG, offset={stopped}");
        }
    }
    if ctx.json {
        ctx.print_json(&json!(collected));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct PrintMsgArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Body charset (UTF-8).
    #[arg(short = 'c', long = "charsetName")]
    charset_name: Option<String>,
    /// Tag expression, e.g. `TagA || TagB` (default `*`).
    #[arg(short = 's', long = "subExpression")]
    sub_expression: Option<String>,
    /// Begin time: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS.
    #[arg(short = 'b', long = "beginTimestamp")]
    begin_timestamp: Option<String>,
    /// End time: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS.
    #[arg(short = 'e', long = "endTimestamp")]
    end_timestamp: Option<String>,
    /// Print bodies (true|false, default true).
    #[arg(short = 'd', long = "printBody", value_parser = bool_value)]
    print_body: Option<bool>,
    /// Route topic to find the queues by (LMQ parent topic).
    #[arg(short = 'l', long = "lmqParentTopic")]
    lmq_parent_topic: Option<String>,
}

pub async fn print_msg(ctx: &Ctx, a: PrintMsgArgs) -> anyhow::Result<()> {
    if let Some(c) = a.charset_name.as_deref().map(str::trim) {
        if !c.eq_ignore_ascii_case("utf-8") && !c.eq_ignore_ascii_case("utf8") {
            bail!("charset {c} is not supported; use UTF-8");
        }
    }
    let topic = a.topic.trim();
    let expression = a.sub_expression.as_deref().map_or("*", str::trim);
    let print_body = a.print_body.unwrap_or(true);
    let begin = a.begin_timestamp.as_deref().map(parse_time).transpose()?;
    let end = a.end_timestamp.as_deref().map(parse_time).transpose()?;
    let route_topic = a.lmq_parent_topic.as_deref().map_or(topic, str::trim);
    let mut queues = select_queues(ctx, route_topic, None, None).await?;
    for q in &mut queues {
        q.topic = topic.to_owned();
    }
    let mut collected = Vec::new();
    for mq in queues {
        let (from, to) = bounds(ctx, &mq, begin, end).await?;
        if !ctx.json {
            println!("minOffset={from}, maxOffset={to}, {mq}");
        }
        let addr = ctx.master_of(&mq.broker_name).await?;
        let json = ctx.json;
        let broker = mq.broker_name.clone();
        let mut sink = |m: &MessageExt| {
            if json {
                collected.push(to_json(m, Some(&broker)));
            } else {
                print_line(m, &broker, print_body);
            }
        };
        let (_, stopped) = read_range(
            ctx,
            &addr,
            TOOLS_CONSUMER_GROUP,
            &mq,
            expression,
            from,
            to,
            u64::MAX,
            &mut sink,
        )
        .await?;
        if !ctx.json {
            println!("{mq} print msg finished. status=NO_NEW_MSG, offset={stopped}");
            println!("--------------------------------------------------------");
        }
    }
    if ctx.json {
        ctx.print_json(&json!(collected));
    }
    Ok(())
}
