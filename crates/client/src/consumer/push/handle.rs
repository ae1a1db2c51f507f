//! What the client instance asks of a push consumer: heartbeat data, rebalance kicks, running info, offset
//! resets and direct consumption (remoting-protocol.md §7.3, §7.7, §16.3).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use ferrocket_protocol::body::{
    CMResult, ConsumeMessageDirectlyResult, ConsumeStatus as WireConsumeStatus, ConsumeType,
    ConsumerData, ConsumerRunningInfo, MessageQueue,
};
use ferrocket_protocol::message::MessageExt;
use futures::future::BoxFuture;

use super::{Listener, PushInner};
use crate::consumer::listener::{
    ConsumeContext, ConsumeOrderlyContext, ConsumeOrderlyStatus, ConsumeStatus,
};
use crate::instance::ConsumerHandle;

impl ConsumerHandle for PushInner {
    fn consumer_data(&self) -> ConsumerData {
        ConsumerData {
            consume_from_where: self.config.consume_from_where,
            consume_type: ConsumeType::ConsumePassively,
            group_name: self.config.group.clone(),
            message_model: self.config.message_model,
            subscription_data_set: self.subscriptions.read().values().cloned().collect(),
            unit_mode: false,
        }
    }

    fn subscribed_topics(&self) -> Vec<String> {
        self.subscriptions.read().keys().cloned().collect()
    }

    fn trigger_rebalance(&self) {
        self.rebalance_kick.notify_one();
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        PushInner::running_info(self)
    }

    fn reset_offset(self: Arc<Self>, topic: String, offsets: BTreeMap<MessageQueue, i64>) {
        tokio::spawn(async move {
            self.reset_offsets(&topic, offsets.into_iter().collect())
                .await;
        });
    }

    fn consume_directly(
        self: Arc<Self>,
        msg: MessageExt,
        broker_name: Option<String>,
    ) -> BoxFuture<'static, Option<ConsumeMessageDirectlyResult>> {
        Box::pin(async move {
            let mq = MessageQueue::new(
                msg.topic.clone(),
                broker_name.unwrap_or_default(),
                msg.queue_id,
            );
            let start = Instant::now();
            let (order, result) = match &self.listener {
                Listener::Concurrent(l) => {
                    let l = l.clone();
                    let r = tokio::task::spawn_blocking(move || {
                        let mut ctx = ConsumeContext::new(mq);
                        l.consume(std::slice::from_ref(&msg), &mut ctx)
                    })
                    .await;
                    (
                        false,
                        match r {
                            Ok(ConsumeStatus::Success) => (CMResult::Success, None),
                            Ok(ConsumeStatus::ReconsumeLater) => (CMResult::Later, None),
                            Err(e) => (CMResult::ThrowException, Some(e.to_string())),
                        },
                    )
                }
                Listener::Orderly(l) => {
                    let l = l.clone();
                    let suspend_millis = self.config.suspend_current_queue_time.as_millis() as u64;
                    let r = tokio::task::spawn_blocking(move || {
                        let mut ctx = ConsumeOrderlyContext {
                            queue: mq,
                            suspend_millis,
                        };
                        l.consume(std::slice::from_ref(&msg), &mut ctx)
                    })
                    .await;
                    (
                        true,
                        match r {
                            Ok(ConsumeOrderlyStatus::Success) => (CMResult::Success, None),
                            Ok(ConsumeOrderlyStatus::SuspendCurrentQueueAMoment) => {
                                (CMResult::Later, None)
                            }
                            Err(e) => (CMResult::ThrowException, Some(e.to_string())),
                        },
                    )
                }
            };
            Some(ConsumeMessageDirectlyResult {
                auto_commit: true,
                consume_result: Some(result.0),
                order,
                remark: result.1,
                spent_time_mills: start.elapsed().as_millis() as i64,
            })
        })
    }
}

impl PushInner {
    pub(crate) fn running_info(&self) -> ConsumerRunningInfo {
        let mut info = ConsumerRunningInfo::with_required_properties(
            ConsumeType::ConsumePassively,
            self.started_at_ms,
            self.is_orderly(),
        );
        let props = &mut info.properties;
        props.insert(
            ConsumerRunningInfo::PROP_NAMESERVER_ADDR.into(),
            self.client.namesrv_addrs.join(";"),
        );
        props.insert(
            ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE.into(),
            self.config.consume_thread_min.to_string(),
        );
        props.insert(
            ConsumerRunningInfo::PROP_CLIENT_VERSION.into(),
            "V5_3_3".into(),
        );
        props.insert("consumerGroup".into(), self.config.group.clone());
        props.insert(
            "messageModel".into(),
            self.config.message_model.as_str().into(),
        );
        props.insert(
            "consumeFromWhere".into(),
            self.config.consume_from_where.as_str().into(),
        );
        props.insert(
            "consumeThreadMax".into(),
            self.config.consume_thread_max.to_string(),
        );
        props.insert(
            "pullThresholdForQueue".into(),
            self.config.pull_threshold_for_queue.to_string(),
        );
        props.insert(
            "allocateMessageQueueStrategy".into(),
            self.config.allocate_strategy.name().into(),
        );
        info.subscription_set = self.subscriptions.read().values().cloned().collect();
        let offsets = self.offsets();
        for pq in self.queues.lock().values() {
            let commit = offsets.and_then(|o| o.read_memory(&pq.mq)).unwrap_or(-1);
            info.mq_table.insert(pq.mq.clone(), pq.info(commit));
        }
        let mut per_topic: BTreeMap<String, WireConsumeStatus> = BTreeMap::new();
        for topic in self.subscriptions.read().keys() {
            per_topic.insert(topic.clone(), WireConsumeStatus::default());
        }
        if let Some(first) = per_topic.values_mut().next() {
            first.consume_failed_msgs = self.consumed_failed.load(Ordering::Relaxed) as i64;
        }
        info.status_table = per_topic;
        info
    }
}
