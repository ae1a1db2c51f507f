//! QUERY_TOPIC_CONSUME_BY_WHO (300): which consumer groups consume a topic at one broker. The request carries the
//! topic in ext `topic`; the reply body is a GroupList, `{"groupList":["G1","G2"]}`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::body::json_body;
use crate::command_header;

command_header! {
    /// QUERY_TOPIC_CONSUME_BY_WHO (300).
    pub struct QueryTopicConsumeByWhoRequestHeader {
        topic: req String => "topic",
    }
}

/// A set of consumer-group names (QUERY_TOPIC_CONSUME_BY_WHO's reply body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GroupList {
    pub group_list: BTreeSet<String>,
}

json_body!(GroupList);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_list_json() {
        let g = GroupList::decode(br#"{"groupList":["B","A"]}"#).unwrap();
        assert_eq!(
            g.group_list.iter().map(String::as_str).collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(g.encode(), br#"{"groupList":["A","B"]}"#);
        assert!(GroupList::decode(b"{}").unwrap().group_list.is_empty());
    }

    #[test]
    fn header_round_trip() {
        crate::header::tests::round_trip(&QueryTopicConsumeByWhoRequestHeader {
            topic: "T".into(),
        });
    }
}
