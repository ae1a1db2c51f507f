//! Retries: CONSUMER_SEND_MSG_BACK, and when the broker refuses or cannot be reached, a plain send to the
//! group's retry topic carrying the retry properties (remoting-protocol.md §7.5).

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::header::ConsumerSendMsgBackRequestHeader;
use ferrocket_protocol::message::{properties, MessageExt};

use super::PushInner;
use crate::api::pull::retry_topic;
use crate::error::{ClientError, Result};
use crate::message::Message;

impl PushInner {
    /// Has the message delivered again after `delay_level` (0: the broker's choice, < 0: dead-letter queue).
    pub(crate) async fn send_message_back(
        &self,
        msg: &MessageExt,
        delay_level: i32,
        mq: &MessageQueue,
    ) -> Result<()> {
        let instance = self.instance()?;
        let addr = instance
            .master_addr(&mq.broker_name)
            .unwrap_or_else(|| msg.store_host.to_string());
        let origin_msg_id = msg
            .property(properties::ORIGIN_MESSAGE_ID)
            .map(str::to_owned)
            .unwrap_or_else(|| msg.msg_id());
        let header = ConsumerSendMsgBackRequestHeader {
            offset: msg.physical_offset,
            group: self.config.group.clone(),
            delay_level,
            origin_msg_id: Some(origin_msg_id),
            origin_topic: Some(msg.topic.clone()),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.max_reconsume_times()),
            broker_name: Some(mq.broker_name.clone()),
        };
        match instance.send_msg_back(&addr, &header).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::debug!(error = %e, "CONSUMER_SEND_MSG_BACK failed; resending to the retry topic");
                self.resend_to_retry_topic(msg, delay_level).await
            }
        }
    }

    async fn resend_to_retry_topic(&self, msg: &MessageExt, delay_level: i32) -> Result<()> {
        let producer = self
            .retry_producer
            .get()
            .ok_or_else(|| ClientError::State("consumer not started".into()))?;
        let retry = retry_message(
            msg,
            &self.config.group,
            self.max_reconsume_times(),
            delay_level,
        );
        producer.send(retry).await.map(|_| ())
    }
}

/// The message a consumer sends to `%RETRY%<group>` itself when the broker cannot take it back.
pub(crate) fn retry_message(
    msg: &MessageExt,
    group: &str,
    max_reconsume: i32,
    delay_level: i32,
) -> Message {
    let mut props = msg.properties.clone();
    for transient in [
        properties::MIN_OFFSET,
        properties::MAX_OFFSET,
        properties::TRAN_MSG,
    ] {
        props.remove(transient);
    }
    props
        .entry(properties::ORIGIN_MESSAGE_ID.into())
        .or_insert_with(|| msg.msg_id());
    props
        .entry(properties::RETRY_TOPIC.into())
        .or_insert_with(|| msg.topic.clone());
    props.insert(
        properties::RECONSUME_TIME.into(),
        (msg.reconsume_times + 1).to_string(),
    );
    props.insert(
        properties::MAX_RECONSUME_TIMES.into(),
        max_reconsume.to_string(),
    );
    let delay = if delay_level > 0 {
        delay_level
    } else {
        3 + msg.reconsume_times
    };
    props.insert(properties::DELAY.into(), delay.to_string());
    Message {
        topic: retry_topic(group),
        flag: msg.flag,
        body: msg.body.clone(),
        properties: props,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::RecordBuilder;

    #[test]
    fn retry_message_carries_the_retry_properties() {
        let mut props = String::new();
        properties::append(&mut props, properties::UNIQ_KEY, "ABC");
        properties::append(&mut props, properties::TAGS, "t");
        let rec = RecordBuilder::new("Orig", b"payload", &props)
            .encode()
            .unwrap()
            .freeze();
        let mut m = MessageExt::decode(&rec).unwrap();
        m.reconsume_times = 2;
        m.properties
            .insert(properties::MIN_OFFSET.into(), "0".into());
        let r = retry_message(&m, "G", 16, 0);
        assert_eq!(r.topic, "%RETRY%G");
        assert_eq!(&r.body[..], b"payload");
        assert_eq!(r.property(properties::RETRY_TOPIC), Some("Orig"));
        assert_eq!(r.property(properties::ORIGIN_MESSAGE_ID), Some("ABC"));
        assert_eq!(r.property(properties::RECONSUME_TIME), Some("3"));
        assert_eq!(r.property(properties::MAX_RECONSUME_TIMES), Some("16"));
        assert_eq!(r.property(properties::DELAY), Some("5"));
        assert_eq!(r.property(properties::MIN_OFFSET), None);
        assert_eq!(r.tags(), Some("t"));
        assert_eq!(retry_message(&m, "G", 16, 7).delay_level(), 7);
    }
}
