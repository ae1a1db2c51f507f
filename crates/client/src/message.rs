//! The message a producer sends. Received messages are [`MessageExt`](ferrocket_protocol::message::MessageExt).

use bytes::Bytes;
use ferrocket_protocol::message::properties::{self, PropertyMap};

use crate::error::{ClientError, Result};

/// A message to send: topic, body, user flag and properties (tags, keys, delay level and user properties).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub topic: String,
    /// User flag, stored as is.
    pub flag: i32,
    pub body: Bytes,
    pub properties: PropertyMap,
}

impl Message {
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Message {
            topic: topic.into(),
            flag: 0,
            body: body.into(),
            properties: PropertyMap::new(),
        }
    }

    /// Sets the tag (one per message; consumers filter on it).
    pub fn with_tags(mut self, tags: impl Into<String>) -> Self {
        self.properties.insert(properties::TAGS.into(), tags.into());
        self
    }

    /// Sets the index keys (joined by a space, as KEYS holds them).
    pub fn with_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined: Vec<String> = keys
            .into_iter()
            .map(|k| k.as_ref().trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect();
        if joined.is_empty() {
            self.properties.remove(properties::KEYS);
        } else {
            self.properties
                .insert(properties::KEYS.into(), joined.join(" "));
        }
        self
    }

    /// Sets one index key.
    pub fn with_key(self, key: impl AsRef<str>) -> Self {
        self.with_keys([key])
    }

    /// Delivers the message after delay level `level` (1 = 1 s ... 18 = 2 h with the default levels).
    pub fn with_delay_level(mut self, level: i32) -> Self {
        if level > 0 {
            self.properties
                .insert(properties::DELAY.into(), level.to_string());
        } else {
            self.properties.remove(properties::DELAY);
        }
        self
    }

    /// Whether the broker should wait for the flush / replica before answering (default true).
    pub fn with_wait_store_ok(mut self, wait: bool) -> Self {
        self.properties
            .insert(properties::WAIT.into(), wait.to_string());
        self
    }

    /// Adds a user property.
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(name.into(), value.into());
        self
    }

    pub fn with_flag(mut self, flag: i32) -> Self {
        self.flag = flag;
        self
    }

    pub fn tags(&self) -> Option<&str> {
        self.property(properties::TAGS)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        properties::split_keys(self.property(properties::KEYS).unwrap_or(""))
    }

    pub fn delay_level(&self) -> i32 {
        self.property(properties::DELAY)
            .and_then(|d| d.parse().ok())
            .unwrap_or(0)
    }

    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(String::as_str)
    }

    /// The client message id (UNIQ_KEY), once the producer has assigned it.
    pub fn uniq_key(&self) -> Option<&str> {
        self.property(properties::UNIQ_KEY)
    }

    /// Checks what the broker would reject anyway: empty topic or body, bad topic characters, oversized body,
    /// properties that do not survive encoding.
    pub fn validate(&self, max_body: usize) -> Result<()> {
        validate_topic(&self.topic)?;
        if self.body.is_empty() {
            return Err(ClientError::InvalidMessage("message body is empty".into()));
        }
        if self.body.len() > max_body {
            return Err(ClientError::InvalidMessage(format!(
                "message body of {} bytes exceeds maxMessageSize {max_body}",
                self.body.len()
            )));
        }
        for (name, value) in &self.properties {
            properties::check_pair(name, value)?;
        }
        Ok(())
    }
}

/// Topic names: 1–127 characters of letters, digits, `%`, `_`, `-` and `|` (retry/DLQ topics up to 255).
pub fn validate_topic(topic: &str) -> Result<()> {
    if topic.is_empty() {
        return Err(ClientError::InvalidMessage("topic is empty".into()));
    }
    let max = if topic.starts_with("%RETRY%") || topic.starts_with("%DLQ%") {
        255
    } else {
        127
    };
    if topic.len() > max {
        return Err(ClientError::InvalidMessage(format!(
            "topic {topic:?} is longer than {max} characters"
        )));
    }
    if let Some(c) = topic
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '%' | '_' | '-' | '|')))
    {
        return Err(ClientError::InvalidMessage(format!(
            "topic {topic:?} contains {c:?}; allowed are letters, digits, %, _, - and |"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_properties() {
        let m = Message::new("T", "b")
            .with_tags("A")
            .with_keys(["k1", " ", "k2"])
            .with_delay_level(3)
            .with_property("p", "v");
        assert_eq!(m.tags(), Some("A"));
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["k1", "k2"]);
        assert_eq!(m.delay_level(), 3);
        assert_eq!(m.property("p"), Some("v"));
        assert_eq!(m.with_delay_level(0).delay_level(), 0);
    }

    #[test]
    fn validation() {
        assert!(Message::new("T_1-a%b|c", "x").validate(10).is_ok());
        assert!(Message::new("", "x").validate(10).is_err());
        assert!(Message::new("a b", "x").validate(10).is_err());
        assert!(Message::new("T", "").validate(10).is_err());
        assert!(Message::new("T", "12345678901").validate(10).is_err());
        assert!(Message::new("x".repeat(128), "x").validate(10).is_err());
        assert!(Message::new(format!("%RETRY%{}", "g".repeat(200)), "x")
            .validate(10)
            .is_ok());
        assert!(Message::new("T", "x")
            .with_property("k", "a\u{2}b")
            .validate(10)
            .is_err());
    }
}
