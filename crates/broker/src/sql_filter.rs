//! SQL92 property filtering (`enablePropertyFilter=true`, shared/spec/sql92-filter.md): subscriptions compiled
//! with `ferrocket-filter`, cached per (group, topic) and replaced when the subscription version or text changes,
//! and evaluated against each pulled message's properties.

use std::collections::HashMap;

use ferrocket_filter::{EncodedProperties, Expression};
use ferrocket_protocol::body::EXPRESSION_TYPE_SQL92;
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::message::properties::RETRY_TOPIC;
use ferrocket_protocol::message::RecordView;
use parking_lot::Mutex;

use crate::config::BrokerConfig;
use crate::processor::Failure;
use crate::BrokerContext;

/// Whether an expression type is a tag expression (absent, empty or `TAG`).
pub fn is_tag_type(expression_type: Option<&str>) -> bool {
    match expression_type {
        None => true,
        Some(t) => t.is_empty() || t.eq_ignore_ascii_case("TAG"),
    }
}

/// The remark of a non-TAG filter on a broker with `enablePropertyFilter=false` (SYSTEM_ERROR).
pub fn not_enabled(expression_type: &str) -> Failure {
    Failure::system(format!(
        "The broker does not support consumer to filter message by {expression_type}"
    ))
}

/// Compiles an expression of `expression_type`: only SQL92 has a filter; anything else fails like a parse
/// error. Errors are SUBSCRIPTION_PARSE_FAILED with the compiler's message.
pub fn compile(expression_type: &str, source: &str) -> Result<Expression, Failure> {
    if expression_type != EXPRESSION_TYPE_SQL92 {
        return Err(Failure::new(
            response_code::SUBSCRIPTION_PARSE_FAILED,
            format!("no filter for expression type {expression_type}"),
        ));
    }
    Expression::compile(source)
        .map_err(|e| Failure::new(response_code::SUBSCRIPTION_PARSE_FAILED, e.to_string()))
}

#[derive(Clone)]
struct Cached {
    sub_version: i64,
    source: String,
    expression: Expression,
}

/// Compiled subscriptions by (group, topic).
#[derive(Default)]
pub struct SqlFilterCache {
    map: Mutex<HashMap<(String, String), Cached>>,
}

impl SqlFilterCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The compiled filter of (group, topic) at `sub_version` with text `source`, compiled on first use and when
    /// either changes.
    pub fn get_or_compile(
        &self,
        group: &str,
        topic: &str,
        sub_version: i64,
        expression_type: &str,
        source: &str,
    ) -> Result<Expression, Failure> {
        let key = (group.to_owned(), topic.to_owned());
        if let Some(c) = self.map.lock().get(&key) {
            if c.sub_version == sub_version && c.source == source {
                return Ok(c.expression.clone());
            }
        }
        // Compile outside the lock: deep expressions take a while.
        let expression = compile(expression_type, source)?;
        self.map.lock().insert(
            key,
            Cached {
                sub_version,
                source: source.to_owned(),
                expression: expression.clone(),
            },
        );
        Ok(expression)
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The property filter a pull applies after reading from the store.
#[derive(Clone)]
pub enum PropertyFilter {
    /// The subscription's own SQL92 expression.
    Sql(Expression),
    /// A retry topic with `filterSupportRetry`: each message is judged by the group's SQL92 subscription of its
    /// original topic (`RETRY_TOPIC`); messages of TAG-subscribed topics pass.
    RetryOf { group: String },
}

impl std::fmt::Debug for PropertyFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PropertyFilter::Sql(e) => write!(f, "Sql({:?})", e.source()),
            PropertyFilter::RetryOf { group } => write!(f, "RetryOf({group})"),
        }
    }
}

/// The SQL92 filter for a pull whose subscription is not TAG: SYSTEM_ERROR when property filtering is off,
/// SUBSCRIPTION_PARSE_FAILED when the expression does not compile.
pub fn for_subscription(
    ctx: &BrokerContext,
    config: &BrokerConfig,
    group: &str,
    topic: &str,
    sub_version: i64,
    expression_type: &str,
    source: &str,
) -> Result<PropertyFilter, Failure> {
    if !config.enable_property_filter {
        return Err(not_enabled(expression_type));
    }
    ctx.filters
        .get_or_compile(group, topic, sub_version, expression_type, source)
        .map(PropertyFilter::Sql)
}

impl PropertyFilter {
    /// Whether the stored record passes. Records that do not parse are let through (the client decides).
    pub fn matches(&self, ctx: &BrokerContext, record: &[u8]) -> bool {
        let Ok(v) = RecordView::parse(record) else {
            return true;
        };
        match self {
            PropertyFilter::Sql(e) => e.matches(&EncodedProperties::new(v.properties)),
            PropertyFilter::RetryOf { group } => {
                let Some(real_topic) = v.property(RETRY_TOPIC) else {
                    return true;
                };
                let Some(sub) = ctx.clients.subscription(group, real_topic) else {
                    return true;
                };
                if is_tag_type(Some(&sub.expression_type)) {
                    return true;
                }
                match ctx.filters.get_or_compile(
                    group,
                    real_topic,
                    sub.sub_version,
                    &sub.expression_type,
                    &sub.sub_string,
                ) {
                    Ok(e) => e.matches(&EncodedProperties::new(v.properties)),
                    Err(_) => true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_errors() {
        assert!(is_tag_type(None));
        assert!(is_tag_type(Some("")));
        assert!(is_tag_type(Some("TAG")));
        assert!(!is_tag_type(Some("SQL92")));
        assert!(compile("SQL92", "a > 1").is_ok());
        let e = compile("SQL92", "a >").unwrap_err();
        assert_eq!(e.code, response_code::SUBSCRIPTION_PARSE_FAILED);
        assert!(e.remark.contains("SQL92 parse error"), "{}", e.remark);
        assert_eq!(
            compile("XPATH", "a").unwrap_err().code,
            response_code::SUBSCRIPTION_PARSE_FAILED
        );
    }

    #[test]
    fn cache_recompiles_on_a_new_version_or_text() {
        let c = SqlFilterCache::new();
        let a = c.get_or_compile("G", "T", 1, "SQL92", "a > 1").unwrap();
        let b = c.get_or_compile("G", "T", 1, "SQL92", "a > 1").unwrap();
        assert_eq!(a.source(), b.source());
        let d = c.get_or_compile("G", "T", 2, "SQL92", "a > 2").unwrap();
        assert_eq!(d.source(), "a > 2");
        assert_eq!(c.len(), 1);
        assert!(c.get_or_compile("G", "T", 3, "SQL92", "(").is_err());
        // The last good one stays cached.
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn apache_example_selects_by_properties() {
        let e = compile(
            "SQL92",
            "(TAGS is not null and TAGS in ('TagA', 'TagB')) and (a is not null and a between 0 and 3)",
        )
        .unwrap();
        let f = PropertyFilter::Sql(e);
        let matches = |tag: &str, a: &str| {
            let props =
                ferrocket_protocol::message::properties::encode_pairs([("TAGS", tag), ("a", a)]);
            match &f {
                PropertyFilter::Sql(e) => e.matches(&EncodedProperties::new(&props)),
                _ => unreachable!(),
            }
        };
        assert!(matches("TagA", "0"));
        assert!(matches("TagB", "3"));
        assert!(!matches("TagC", "1"));
        assert!(!matches("TagA", "4"));
        assert!(!matches("TagA", "x"));
    }
}
