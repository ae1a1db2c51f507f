//! `consume <namesrv> <topic> <group> [--expr EXPR] [--expect N] [--min-id M] [--settle-secs S]
//! [--timeout-secs T]`: a CLUSTERING push consumer (consume from first offset) that prints
//! `recv id=.. tags=.. keys=.. queue=.. offset=.. reconsume=..` per delivery. It stops when N distinct ids ≥ M have
//! arrived plus S seconds (to catch late duplicates), or after T seconds, prints
//! `consumed total=.. distinct=.. reason=complete|timeout`, then shuts the consumer down (which commits offsets) and
//! prints `shutdown done`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rocketmq_client_rust::{
    ClientResult, ClientRuntime, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, DefaultMQPushConsumer,
    MQPushConsumer, MessageListenerConcurrently,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

use crate::args::Args;

#[derive(Default)]
struct Seen {
    total: u64,
    ids: HashSet<u64>,
    /// Distinct ids at or above `min_id`.
    wanted: u64,
}

struct Listener {
    seen: Arc<Mutex<Seen>>,
    min_id: u64,
}

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> ClientResult<ConsumeConcurrentlyStatus> {
        for m in msgs {
            let body = m.message_inner().body_slice();
            let body = String::from_utf8_lossy(body);
            let tags = m.get_tags().map(|t| t.to_string()).unwrap_or_default();
            let keys = m.message_inner().keys().map(|k| k.join(" ")).unwrap_or_default();
            let id = body.strip_prefix("id=").and_then(|s| s.parse::<u64>().ok());
            let Some(id) = id else {
                println!("recv-unparsed body={body:?} tags={tags} queue={}", m.queue_id());
                continue;
            };
            println!(
                "recv id={id} tags={tags} keys={keys} queue={} offset={} reconsume={}",
                m.queue_id(),
                m.queue_offset(),
                m.reconsume_times()
            );
            if let Ok(mut s) = self.seen.lock() {
                s.total += 1;
                if s.ids.insert(id) && id >= self.min_id {
                    s.wanted += 1;
                }
            }
        }
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

pub async fn run(rt: Arc<ClientRuntime>, a: &Args) -> Result<(), String> {
    let namesrv = a.pos(1, "name server address")?;
    let topic = a.pos(2, "topic")?;
    let group = a.pos(3, "consumer group")?;
    let expr = a.flag("expr", "*");
    let expect: u64 = a.num("expect", 0)?;
    let min_id: u64 = a.num("min-id", 0)?;
    let settle = Duration::from_secs(a.num("settle-secs", 5)?);
    let timeout = Duration::from_secs(a.num("timeout-secs", 120)?);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut consumer = DefaultMQPushConsumer::builder(rt)
        .consumer_group(group)
        .name_server_addr(namesrv)
        .message_model(MessageModel::Clustering)
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .build();
    consumer.subscribe(&topic, &expr).await.map_err(|e| format!("subscribe: {e}"))?;
    consumer.register_message_listener_concurrently(Listener { seen: seen.clone(), min_id });
    consumer.start().await.map_err(|e| format!("consumer start: {e}"))?;

    let started = Instant::now();
    let mut complete_at: Option<Instant> = None;
    let reason = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let wanted = seen.lock().map(|s| s.wanted).unwrap_or(0);
        if complete_at.is_none() && expect > 0 && wanted >= expect {
            complete_at = Some(Instant::now());
        }
        if let Some(t) = complete_at {
            if t.elapsed() >= settle {
                break "complete";
            }
        }
        if started.elapsed() >= timeout {
            break "timeout";
        }
    };
    let (total, distinct) = seen.lock().map(|s| (s.total, s.ids.len())).unwrap_or_default();
    println!("consumed total={total} distinct={distinct} reason={reason}");
    consumer.shutdown().await;
    println!("shutdown done");
    Ok(())
}
