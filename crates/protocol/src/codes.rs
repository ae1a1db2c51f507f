//! Numeric vocabulary of the protocol: request and response codes, language codes, flag bits, serialize types,
//! `version` ordinals, topic permissions and pull sysFlag bits (spec §1–§6, §7.2, §10.3).

use std::fmt;

/// Declares `pub const NAME: i32 = value;` for each entry plus a `name(code)` lookup for logs.
macro_rules! code_table {
    ($($name:ident = $value:literal),* $(,)?) => {
        $(pub const $name: i32 = $value;)*

        /// The protocol name of `code`, if it is a known one.
        pub fn name(code: i32) -> Option<&'static str> {
            match code {
                $($value => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// Every code of this table, in declaration order (for tests and tools).
        pub const ALL: &[i32] = &[$($value),*];
    };
}

/// Request codes (spec §6).
pub mod request_code {
    code_table! {
        SEND_MESSAGE = 10,
        PULL_MESSAGE = 11,
        QUERY_MESSAGE = 12,
        QUERY_BROKER_OFFSET = 13,
        QUERY_CONSUMER_OFFSET = 14,
        UPDATE_CONSUMER_OFFSET = 15,
        UPDATE_AND_CREATE_TOPIC = 17,
        UPDATE_AND_CREATE_TOPIC_LIST = 18,
        GET_ALL_TOPIC_CONFIG = 21,
        GET_TOPIC_CONFIG_LIST = 22,
        GET_TOPIC_NAME_LIST = 23,
        UPDATE_BROKER_CONFIG = 25,
        GET_BROKER_CONFIG = 26,
        TRIGGER_DELETE_FILES = 27,
        GET_BROKER_RUNTIME_INFO = 28,
        SEARCH_OFFSET_BY_TIMESTAMP = 29,
        GET_MAX_OFFSET = 30,
        GET_MIN_OFFSET = 31,
        GET_EARLIEST_MSG_STORETIME = 32,
        VIEW_MESSAGE_BY_ID = 33,
        HEART_BEAT = 34,
        UNREGISTER_CLIENT = 35,
        CONSUMER_SEND_MSG_BACK = 36,
        END_TRANSACTION = 37,
        GET_CONSUMER_LIST_BY_GROUP = 38,
        CHECK_TRANSACTION_STATE = 39,
        NOTIFY_CONSUMER_IDS_CHANGED = 40,
        LOCK_BATCH_MQ = 41,
        UNLOCK_BATCH_MQ = 42,
        GET_ALL_CONSUMER_OFFSET = 43,
        GET_ALL_DELAY_OFFSET = 45,
        CHECK_CLIENT_CONFIG = 46,
        GET_CLIENT_CONFIG = 47,
        GET_TIMER_CHECK_POINT = 60,
        GET_TIMER_METRICS = 61,
        PUT_KV_CONFIG = 100,
        GET_KV_CONFIG = 101,
        DELETE_KV_CONFIG = 102,
        REGISTER_BROKER = 103,
        UNREGISTER_BROKER = 104,
        GET_ROUTEINFO_BY_TOPIC = 105,
        GET_BROKER_CLUSTER_INFO = 106,
        UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200,
        GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201,
        GET_TOPIC_STATS_INFO = 202,
        GET_CONSUMER_CONNECTION_LIST = 203,
        GET_PRODUCER_CONNECTION_LIST = 204,
        WIPE_WRITE_PERM_OF_BROKER = 205,
        GET_ALL_TOPIC_LIST_FROM_NAMESERVER = 206,
        DELETE_SUBSCRIPTIONGROUP = 207,
        GET_CONSUME_STATS = 208,
        SUSPEND_CONSUMER = 209,
        RESUME_CONSUMER = 210,
        RESET_CONSUMER_OFFSET_IN_CONSUMER = 211,
        RESET_CONSUMER_OFFSET_IN_BROKER = 212,
        ADJUST_CONSUMER_THREAD_POOL = 213,
        WHO_CONSUME_THE_MESSAGE = 214,
        DELETE_TOPIC_IN_BROKER = 215,
        DELETE_TOPIC_IN_NAMESRV = 216,
        REGISTER_TOPIC_IN_NAMESRV = 217,
        GET_KVLIST_BY_NAMESPACE = 219,
        RESET_CONSUMER_CLIENT_OFFSET = 220,
        GET_CONSUMER_STATUS_FROM_CLIENT = 221,
        INVOKE_BROKER_TO_RESET_OFFSET = 222,
        INVOKE_BROKER_TO_GET_CONSUMER_STATUS = 223,
        GET_TOPICS_BY_CLUSTER = 224,
        UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST = 225,
        QUERY_TOPIC_CONSUME_BY_WHO = 300,
        REGISTER_FILTER_SERVER = 301,
        REGISTER_MESSAGE_FILTER_CLASS = 302,
        QUERY_CONSUME_TIME_SPAN = 303,
        GET_SYSTEM_TOPIC_LIST_FROM_NS = 304,
        GET_SYSTEM_TOPIC_LIST_FROM_BROKER = 305,
        CLEAN_EXPIRED_CONSUMEQUEUE = 306,
        GET_CONSUMER_RUNNING_INFO = 307,
        QUERY_CORRECTION_OFFSET = 308,
        CONSUME_MESSAGE_DIRECTLY = 309,
        SEND_MESSAGE_V2 = 310,
        GET_UNIT_TOPIC_LIST = 311,
        GET_HAS_UNIT_SUB_TOPIC_LIST = 312,
        GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST = 313,
        CLONE_GROUP_OFFSET = 314,
        VIEW_BROKER_STATS_DATA = 315,
        CLEAN_UNUSED_TOPIC = 316,
        GET_BROKER_CONSUME_STATS = 317,
        UPDATE_NAMESRV_CONFIG = 318,
        GET_NAMESRV_CONFIG = 319,
        SEND_BATCH_MESSAGE = 320,
        QUERY_CONSUME_QUEUE = 321,
        QUERY_DATA_VERSION = 322,
        RESUME_CHECK_HALF_MESSAGE = 323,
        SEND_REPLY_MESSAGE = 324,
        SEND_REPLY_MESSAGE_V2 = 325,
        PUSH_REPLY_MESSAGE_TO_CLIENT = 326,
        ADD_WRITE_PERM_OF_BROKER = 327,
        GET_ALL_PRODUCER_INFO = 328,
        DELETE_EXPIRED_COMMITLOG = 329,
        GET_TOPIC_CONFIG = 351,
        GET_SUBSCRIPTIONGROUP_CONFIG = 352,
        UPDATE_AND_GET_GROUP_FORBIDDEN = 353,
        CHECK_ROCKSDB_CQ_WRITE_PROGRESS = 354,
        EXPORT_ROCKSDB_CONFIG_TO_JSON = 355,
        LITE_PULL_MESSAGE = 361,
        RECALL_MESSAGE = 370,
        QUERY_ASSIGNMENT = 400,
        SET_MESSAGE_REQUEST_MODE = 401,
        GET_ALL_MESSAGE_REQUEST_MODE = 402,
        UPDATE_AND_CREATE_STATIC_TOPIC = 513,
        GET_BROKER_MEMBER_GROUP = 901,
        ADD_BROKER = 902,
        REMOVE_BROKER = 903,
        BROKER_HEARTBEAT = 904,
        NOTIFY_MIN_BROKER_ID_CHANGE = 905,
        EXCHANGE_BROKER_HA_INFO = 906,
        GET_BROKER_HA_STATUS = 907,
        RESET_MASTER_FLUSH_OFFSET = 908,
        POP_MESSAGE = 200050,
        ACK_MESSAGE = 200051,
        PEEK_MESSAGE = 200052,
        CHANGE_MESSAGE_INVISIBLETIME = 200053,
        NOTIFICATION = 200054,
        POLLING_INFO = 200055,
        POP_ROLLBACK = 200056,
        BATCH_ACK_MESSAGE = 200151,
    }
}

/// Response codes (spec §5). Client-local pseudo codes (−1000…) never go on the wire and are not listed.
pub mod response_code {
    code_table! {
        SUCCESS = 0,
        SYSTEM_ERROR = 1,
        SYSTEM_BUSY = 2,
        REQUEST_CODE_NOT_SUPPORTED = 3,
        TRANSACTION_FAILED = 4,
        FLUSH_DISK_TIMEOUT = 10,
        SLAVE_NOT_AVAILABLE = 11,
        FLUSH_SLAVE_TIMEOUT = 12,
        MESSAGE_ILLEGAL = 13,
        SERVICE_NOT_AVAILABLE = 14,
        VERSION_NOT_SUPPORTED = 15,
        NO_PERMISSION = 16,
        TOPIC_NOT_EXIST = 17,
        TOPIC_EXIST_ALREADY = 18,
        PULL_NOT_FOUND = 19,
        PULL_RETRY_IMMEDIATELY = 20,
        PULL_OFFSET_MOVED = 21,
        QUERY_NOT_FOUND = 22,
        SUBSCRIPTION_PARSE_FAILED = 23,
        SUBSCRIPTION_NOT_EXIST = 24,
        SUBSCRIPTION_NOT_LATEST = 25,
        SUBSCRIPTION_GROUP_NOT_EXIST = 26,
        FILTER_DATA_NOT_EXIST = 27,
        FILTER_DATA_NOT_LATEST = 28,
        INVALID_PARAMETER = 29,
        TRANSACTION_SHOULD_COMMIT = 200,
        TRANSACTION_SHOULD_ROLLBACK = 201,
        TRANSACTION_STATE_UNKNOW = 202,
        TRANSACTION_STATE_GROUP_WRONG = 203,
        NO_BUYER_ID = 204,
        NOT_IN_CURRENT_UNIT = 205,
        CONSUMER_NOT_ONLINE = 206,
        CONSUME_MSG_TIMEOUT = 207,
        NO_MESSAGE = 208,
        POLLING_FULL = 209,
        POLLING_TIMEOUT = 210,
        BROKER_NOT_EXIST = 211,
        BROKER_DISPATCH_NOT_COMPLETE = 212,
        BROADCAST_CONSUMPTION = 213,
        FLOW_CONTROL = 215,
        NOT_LEADER_FOR_QUEUE = 501,
        ILLEGAL_OPERATION = 604,
        GO_AWAY = 1500,
        USER_NOT_EXIST = 3001,
        POLICY_NOT_EXIST = 3002,
    }

    /// Codes on which a Java producer retries another broker (spec §5).
    pub const PRODUCER_RETRY_CODES: &[i32] = &[
        TOPIC_NOT_EXIST,
        SERVICE_NOT_AVAILABLE,
        SYSTEM_ERROR,
        SYSTEM_BUSY,
        NO_PERMISSION,
        NO_BUYER_ID,
        NOT_IN_CURRENT_UNIT,
        GO_AWAY,
    ];
}

/// `flag` bits of the header (spec §3).
pub mod flag {
    /// Set on responses; clear on requests.
    pub const RESPONSE: i32 = 1;
    /// The request will not be answered.
    pub const ONEWAY: i32 = 2;
}

/// `version` values: ordinals of Java's `MQVersion.Version` (spec §2.4).
pub mod version {
    pub const V3_0_7_SNAPSHOT: i32 = 28;
    pub const V3_0_11: i32 = 37;
    pub const V3_4_9: i32 = 121;
    pub const V4_0_0: i32 = 213;
    pub const V4_5_2: i32 = 317;
    pub const V4_9_3: i32 = 399;
    pub const V4_9_4: i32 = 401;
    pub const V5_0_0: i32 = 413;
    pub const V5_1_0: i32 = 433;
    pub const V5_2_0: i32 = 453;
    pub const V5_3_0: i32 = 473;
    pub const V5_3_1: i32 = 475;
    pub const V5_3_2: i32 = 477;
    pub const V5_3_3: i32 = 479;
    pub const V5_4_0: i32 = 493;
    pub const HIGHER_VERSION: i32 = 612;

    /// The enum constant name of a known ordinal (e.g. `"V5_3_3"` for 479), as Java's `MQVersion.getVersionDesc`.
    pub fn name(version: i32) -> Option<&'static str> {
        Some(match version {
            V3_0_7_SNAPSHOT => "V3_0_7_SNAPSHOT",
            V3_0_11 => "V3_0_11",
            V3_4_9 => "V3_4_9",
            V4_0_0 => "V4_0_0",
            V4_5_2 => "V4_5_2",
            V4_9_3 => "V4_9_3",
            V4_9_4 => "V4_9_4",
            V5_0_0 => "V5_0_0",
            V5_1_0 => "V5_1_0",
            V5_2_0 => "V5_2_0",
            V5_3_0 => "V5_3_0",
            V5_3_1 => "V5_3_1",
            V5_3_2 => "V5_3_2",
            V5_3_3 => "V5_3_3",
            V5_4_0 => "V5_4_0",
            HIGHER_VERSION => "HIGHER_VERSION",
            _ => return None,
        })
    }
}

/// The version Ferrocket puts in every command it sends (the Java release it emulates, spec §2.4).
pub const CURRENT_VERSION: i32 = version::V5_3_3;
pub const V4_9_4: i32 = version::V4_9_4;
pub const V5_0_0: i32 = version::V5_0_0;

/// Topic / queue permission bits (`PermName`, spec §10.3).
pub mod perm {
    pub const PERM_INHERIT: i32 = 1;
    pub const PERM_WRITE: i32 = 2;
    pub const PERM_READ: i32 = 4;
    pub const PERM_PRIORITY: i32 = 8;
    /// Read + write (6), the default topic permission.
    pub const PERM_RW: i32 = PERM_READ | PERM_WRITE;

    pub fn is_readable(perm: i32) -> bool {
        perm & PERM_READ != 0
    }

    pub fn is_writeable(perm: i32) -> bool {
        perm & PERM_WRITE != 0
    }

    pub fn is_inherited(perm: i32) -> bool {
        perm & PERM_INHERIT != 0
    }
}

/// `sysFlag` bits of PULL_MESSAGE requests (spec §7.2).
pub mod pull_sys_flag {
    pub const COMMIT_OFFSET: i32 = 0x01;
    pub const SUSPEND: i32 = 0x02;
    pub const SUBSCRIPTION: i32 = 0x04;
    pub const CLASS_FILTER: i32 = 0x08;
    pub const LITE_PULL: i32 = 0x10;

    pub fn has_commit_offset(flag: i32) -> bool {
        flag & COMMIT_OFFSET != 0
    }

    pub fn has_suspend(flag: i32) -> bool {
        flag & SUSPEND != 0
    }

    pub fn has_subscription(flag: i32) -> bool {
        flag & SUBSCRIPTION != 0
    }

    pub fn has_class_filter(flag: i32) -> bool {
        flag & CLASS_FILTER != 0
    }

    pub fn has_lite_pull(flag: i32) -> bool {
        flag & LITE_PULL != 0
    }

    /// `flag` without the COMMIT_OFFSET bit (clients clear it when pulling from a slave).
    pub fn clear_commit_offset(flag: i32) -> i32 {
        flag & !COMMIT_OFFSET
    }
}

/// How a command's header is serialized: the high byte of the header word (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    #[default]
    Json,
    RocketMq,
}

impl SerializeType {
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Json),
            1 => Some(Self::RocketMq),
            _ => None,
        }
    }

    pub fn as_byte(self) -> u8 {
        match self {
            Self::Json => 0,
            Self::RocketMq => 1,
        }
    }

    /// The name Java writes in `serializeTypeCurrentRPC`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::RocketMq => "ROCKETMQ",
        }
    }
}

/// The sender's language (spec §2.3). JSON carries the name, the binary header the byte. Names and bytes that
/// we do not know are read as `Other` rather than rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    #[default]
    Other,
    Http,
    Go,
    Php,
    Oms,
    Rust,
    NodeJs,
}

impl LanguageCode {
    pub const ALL: [LanguageCode; 14] = [
        Self::Java,
        Self::Cpp,
        Self::Dotnet,
        Self::Python,
        Self::Delphi,
        Self::Erlang,
        Self::Ruby,
        Self::Other,
        Self::Http,
        Self::Go,
        Self::Php,
        Self::Oms,
        Self::Rust,
        Self::NodeJs,
    ];

    pub fn code(self) -> u8 {
        match self {
            Self::Java => 0,
            Self::Cpp => 1,
            Self::Dotnet => 2,
            Self::Python => 3,
            Self::Delphi => 4,
            Self::Erlang => 5,
            Self::Ruby => 6,
            Self::Other => 7,
            Self::Http => 8,
            Self::Go => 9,
            Self::Php => 10,
            Self::Oms => 11,
            Self::Rust => 12,
            Self::NodeJs => 13,
        }
    }

    /// Unknown bytes map to `Other`.
    pub fn from_code(code: u8) -> Self {
        Self::ALL.get(code as usize).copied().unwrap_or(Self::Other)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Java => "JAVA",
            Self::Cpp => "CPP",
            Self::Dotnet => "DOTNET",
            Self::Python => "PYTHON",
            Self::Delphi => "DELPHI",
            Self::Erlang => "ERLANG",
            Self::Ruby => "RUBY",
            Self::Other => "OTHER",
            Self::Http => "HTTP",
            Self::Go => "GO",
            Self::Php => "PHP",
            Self::Oms => "OMS",
            Self::Rust => "RUST",
            Self::NodeJs => "NODE_JS",
        }
    }

    /// Exact enum names as Java writes them; anything else maps to `Other`.
    pub fn from_name(name: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|l| l.name() == name)
            .unwrap_or(Self::Other)
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_match_the_spec_table() {
        let expected = [
            ("JAVA", 0),
            ("CPP", 1),
            ("DOTNET", 2),
            ("PYTHON", 3),
            ("DELPHI", 4),
            ("ERLANG", 5),
            ("RUBY", 6),
            ("OTHER", 7),
            ("HTTP", 8),
            ("GO", 9),
            ("PHP", 10),
            ("OMS", 11),
            ("RUST", 12),
            ("NODE_JS", 13),
        ];
        for (name, code) in expected {
            let l = LanguageCode::from_name(name);
            assert_eq!(l.name(), name);
            assert_eq!(l.code(), code);
            assert_eq!(LanguageCode::from_code(code), l);
        }
        assert_eq!(LanguageCode::from_name("COBOL"), LanguageCode::Other);
        assert_eq!(LanguageCode::from_code(200), LanguageCode::Other);
    }

    #[test]
    fn code_names() {
        assert_eq!(request_code::name(310), Some("SEND_MESSAGE_V2"));
        assert_eq!(request_code::name(200151), Some("BATCH_ACK_MESSAGE"));
        assert_eq!(request_code::name(9999), None);
        assert_eq!(response_code::name(21), Some("PULL_OFFSET_MOVED"));
        assert_eq!(response_code::name(1500), Some("GO_AWAY"));
        assert_eq!(version::name(CURRENT_VERSION), Some("V5_3_3"));
    }

    #[test]
    fn code_tables_have_no_duplicates() {
        for table in [request_code::ALL, response_code::ALL] {
            let mut seen = std::collections::HashSet::new();
            for c in table {
                assert!(seen.insert(*c), "duplicate code {c}");
            }
        }
    }

    #[test]
    fn serialize_type_bytes() {
        assert_eq!(SerializeType::from_byte(0), Some(SerializeType::Json));
        assert_eq!(SerializeType::from_byte(1), Some(SerializeType::RocketMq));
        assert_eq!(SerializeType::from_byte(2), None);
        assert_eq!(SerializeType::RocketMq.as_byte(), 1);
    }

    #[test]
    fn flag_helpers() {
        assert!(perm::is_readable(6) && perm::is_writeable(6) && !perm::is_inherited(6));
        assert!(perm::is_inherited(7));
        let f = pull_sys_flag::COMMIT_OFFSET | pull_sys_flag::SUSPEND | pull_sys_flag::SUBSCRIPTION;
        assert!(pull_sys_flag::has_commit_offset(f) && pull_sys_flag::has_suspend(f));
        assert!(!pull_sys_flag::has_commit_offset(
            pull_sys_flag::clear_commit_offset(f)
        ));
        assert!(!pull_sys_flag::has_lite_pull(f) && !pull_sys_flag::has_class_filter(f));
    }
}
