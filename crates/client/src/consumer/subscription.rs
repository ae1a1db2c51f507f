//! Subscriptions: a topic and a filter expression (tags or SQL92).

use ferrocket_protocol::body::{SubscriptionData, EXPRESSION_TYPE_SQL92, SUB_ALL};

/// How a subscription filters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageSelector {
    /// `*`, or tags joined by `||` (`"TagA || TagB"`).
    Tag(String),
    /// A SQL92 expression over message properties; brokers need `enablePropertyFilter=true`.
    Sql92(String),
}

impl MessageSelector {
    pub fn tag(expr: impl Into<String>) -> Self {
        MessageSelector::Tag(expr.into())
    }

    pub fn sql92(expr: impl Into<String>) -> Self {
        MessageSelector::Sql92(expr.into())
    }

    /// Every message of the topic.
    pub fn all() -> Self {
        MessageSelector::Tag(SUB_ALL.into())
    }

    /// The SubscriptionData sent in heartbeats and pulls, versioned `sub_version` (ms timestamp).
    pub fn to_subscription(&self, topic: &str, sub_version: i64) -> SubscriptionData {
        match self {
            MessageSelector::Tag(expr) => SubscriptionData::tag(topic, expr, sub_version),
            MessageSelector::Sql92(expr) => SubscriptionData {
                topic: topic.to_owned(),
                sub_string: expr.trim().to_owned(),
                expression_type: EXPRESSION_TYPE_SQL92.to_owned(),
                sub_version,
                ..Default::default()
            },
        }
    }
}

impl From<&str> for MessageSelector {
    fn from(expr: &str) -> Self {
        MessageSelector::Tag(expr.to_owned())
    }
}

impl From<String> for MessageSelector {
    fn from(expr: String) -> Self {
        MessageSelector::Tag(expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::body::java_string_hash;

    #[test]
    fn tag_and_sql_subscriptions() {
        let s = MessageSelector::from("TagA || TagB ").to_subscription("T", 7);
        assert_eq!(s.tags_set, vec!["TagA", "TagB"]);
        assert_eq!(
            s.code_set,
            vec![java_string_hash("TagA"), java_string_hash("TagB")]
        );
        assert!(s.is_tag_type());
        assert_eq!(s.sub_version, 7);
        let all = MessageSelector::all().to_subscription("T", 1);
        assert_eq!(all.sub_string, "*");
        assert!(all.tags_set.is_empty());
        let sql = MessageSelector::sql92(" a > 5 ").to_subscription("T", 1);
        assert_eq!(sql.expression_type, "SQL92");
        assert_eq!(sql.sub_string, "a > 5");
        assert!(!sql.is_tag_type() && sql.tags_set.is_empty());
    }
}
