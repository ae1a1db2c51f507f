//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::BytesMut;
use ferrocket_protocol::message::RecordBuilder;
use ferrocket_store::StoreConfig;

/// A config with small files so tests roll files quickly.
pub fn small_config(root: &std::path::Path) -> StoreConfig {
    let mut c = StoreConfig::with_root(root);
    c.mapped_file_size_commit_log = 64 * 1024;
    c.mapped_file_size_consume_queue = 20 * 100;
    c.max_hash_slot_num = 101;
    c.max_index_num = 400;
    c.flush_interval_commit_log = 20;
    c.flush_interval_consume_queue = 20;
    c
}

pub fn props(pairs: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs {
        s.push_str(k);
        s.push('\u{1}');
        s.push_str(v);
        s.push('\u{2}');
    }
    s
}

/// Encodes one record the way the broker will.
pub fn record(topic: &str, queue_id: i32, body: &[u8], properties: &str) -> BytesMut {
    let born: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let store: SocketAddr = "127.0.0.1:10911".parse().unwrap();
    RecordBuilder {
        topic,
        queue_id,
        body,
        properties,
        born_timestamp: 1_700_000_000_000,
        born_host: born,
        store_host: store,
        ..RecordBuilder::default()
    }
    .encode()
    .unwrap()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
