//! Client lists and connections: GET_CONSUMER_LIST_BY_GROUP (38), GET_CONSUMER_CONNECTION_LIST (203),
//! GET_PRODUCER_CONNECTION_LIST (§7.3, §7.8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{json_body, ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};

/// `{"consumerIdList":["cid1","cid2"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GetConsumerListByGroupResponseBody {
    pub consumer_id_list: Vec<String>,
}

json_body!(GetConsumerListByGroupResponseBody);

/// One client channel as the broker sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Connection {
    pub client_addr: String,
    pub client_id: String,
    /// LanguageCode name, e.g. `JAVA`, `CPP`.
    pub language: String,
    /// The client's `version` header value.
    pub version: i32,
}

json_body!(Connection);

/// A consumer group's connections and its (merged) subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerConnection {
    pub connection_set: Vec<Connection>,
    pub consume_from_where: ConsumeFromWhere,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    /// topic → subscription.
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

json_body!(ConsumerConnection);

/// A producer group's connections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProducerConnection {
    pub connection_set: Vec<Connection>,
}

json_body!(ProducerConnection);
