//! RegisterBrokerBody (REGISTER_BROKER 103): JSON form and zlib-compressed binary form (§7.9, §8.2).

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{BodyError, DataVersion, TopicConfig, TopicConfigAndMappingSerializeWrapper};
use crate::json::{self, KeyStyle};

/// Upper bound on the inflated size of a compressed body, against zip bombs (a frame is at most 16 MiB).
const MAX_INFLATED: u64 = 256 << 20;

/// What a broker registers: its topic table (with static-topic mapping data) and legacy filter servers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RegisterBrokerBody {
    pub filter_server_list: Vec<String>,
    pub topic_config_serialize_wrapper: TopicConfigAndMappingSerializeWrapper,
}

impl super::JsonBody for RegisterBrokerBody {}

impl RegisterBrokerBody {
    /// Decodes per the request's `compressed` ext field.
    pub fn decode(bytes: &[u8], compressed: bool) -> Result<Self, BodyError> {
        if compressed {
            Self::decode_compressed(bytes)
        } else {
            super::decode_json(bytes)
        }
    }

    /// Encodes in the JSON form (what 5.x brokers send) or the compressed form.
    pub fn encode(&self, compressed: bool) -> Result<Vec<u8>, BodyError> {
        if compressed {
            self.encode_compressed()
        } else {
            Ok(self.encode_json())
        }
    }

    /// The JSON form.
    pub fn encode_json(&self) -> Vec<u8> {
        super::encode_json(self, KeyStyle::Bare)
    }

    /// The compressed form: a zlib stream (best compression) of big-endian length-prefixed parts:
    /// DataVersion JSON; topic count and one [`TopicConfig::to_line`] per topic; filter-server list JSON; mapping
    /// count and one TopicQueueMappingInfo JSON per entry (the V5_0_0+ tail). Topic sysFlag/order are not carried.
    pub fn encode_compressed(&self) -> Result<Vec<u8>, BodyError> {
        let wrapper = &self.topic_config_serialize_wrapper;
        let mut raw = Vec::with_capacity(64 + wrapper.topic_config_table.len() * 64);
        put_chunk(
            &mut raw,
            &super::encode_json(&wrapper.data_version, KeyStyle::Bare),
        )?;
        put_len(&mut raw, wrapper.topic_config_table.len())?;
        for config in wrapper.topic_config_table.values() {
            put_chunk(&mut raw, config.to_line().as_bytes())?;
        }
        put_chunk(
            &mut raw,
            &super::encode_json(&self.filter_server_list, KeyStyle::Bare),
        )?;
        put_len(&mut raw, wrapper.topic_queue_mapping_info_map.len())?;
        for info in wrapper.topic_queue_mapping_info_map.values() {
            put_chunk(&mut raw, &super::encode_json(info, KeyStyle::Bare))?;
        }
        let mut encoder =
            ZlibEncoder::new(Vec::with_capacity(raw.len() / 4 + 64), Compression::best());
        encoder
            .write_all(&raw)
            .map_err(|e| BodyError::Compressed(e.to_string()))?;
        encoder
            .finish()
            .map_err(|e| BodyError::Compressed(e.to_string()))
    }

    /// Decodes the compressed form. The mapping tail is optional (brokers before V5_0_0 do not write it).
    pub fn decode_compressed(bytes: &[u8]) -> Result<Self, BodyError> {
        let mut raw = Vec::new();
        ZlibDecoder::new(bytes)
            .take(MAX_INFLATED + 1)
            .read_to_end(&mut raw)
            .map_err(|e| BodyError::Compressed(format!("inflate failed: {e}")))?;
        if raw.len() as u64 > MAX_INFLATED {
            return Err(BodyError::Compressed("inflated body too large".into()));
        }
        let mut cur = Cursor { data: &raw, pos: 0 };

        let mut body = RegisterBrokerBody::default();
        let wrapper = &mut body.topic_config_serialize_wrapper;
        wrapper.data_version = json::from_slice::<DataVersion>(cur.chunk("dataVersion")?)?;
        let topic_count = cur.count("topic count")?;
        for _ in 0..topic_count {
            let line = cur.chunk("topic config")?;
            let line = std::str::from_utf8(line)
                .map_err(|_| BodyError::Compressed("topic line not UTF-8".into()))?;
            let config = TopicConfig::from_line(line)?;
            wrapper
                .topic_config_table
                .insert(config.topic_name.clone(), config);
        }
        body.filter_server_list = json::from_slice(cur.chunk("filter server list")?)?;
        if !cur.at_end() {
            let mapping_count = cur.count("mapping count")?;
            for _ in 0..mapping_count {
                let info: Value = json::parse(cur.chunk("mapping info")?)?;
                let topic = info
                    .get("topic")
                    .and_then(Value::as_str)
                    .ok_or_else(|| BodyError::Compressed("mapping info without a topic".into()))?
                    .to_owned();
                body.topic_config_serialize_wrapper
                    .topic_queue_mapping_info_map
                    .insert(topic, info);
            }
        }
        Ok(body)
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) -> Result<(), BodyError> {
    let len =
        i32::try_from(len).map_err(|_| BodyError::Compressed("part longer than 2 GiB".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

fn put_chunk(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), BodyError> {
    put_len(out, bytes.len())?;
    out.extend_from_slice(bytes);
    Ok(())
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn count(&mut self, what: &str) -> Result<usize, BodyError> {
        let bytes = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| BodyError::Compressed(format!("truncated before {what}")))?;
        self.pos += 4;
        let n = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        usize::try_from(n).map_err(|_| BodyError::Compressed(format!("negative {what}: {n}")))
    }

    fn chunk(&mut self, what: &str) -> Result<&'a [u8], BodyError> {
        let len = self.count(what)?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.data.len());
        let end = end.ok_or_else(|| BodyError::Compressed(format!("truncated {what}")))?;
        let chunk = &self.data[self.pos..end];
        self.pos = end;
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RegisterBrokerBody {
        let mut body = RegisterBrokerBody::default();
        let w = &mut body.topic_config_serialize_wrapper;
        w.data_version = DataVersion {
            state_version: 0,
            timestamp: 1_700_000_000_000,
            counter: 12,
        };
        for name in ["TBW102", "TopicA"] {
            let mut t = TopicConfig::new(name);
            t.attributes.insert("message.type".into(), "NORMAL".into());
            w.topic_config_table.insert(name.into(), t);
        }
        w.topic_queue_mapping_info_map.insert(
            "TopicA".into(),
            serde_json::json!({"bname":"b","epoch":1,"topic":"TopicA","totalQueues":4}),
        );
        body.filter_server_list = vec!["10.0.0.1:1".into()];
        body
    }

    #[test]
    fn compressed_round_trip() {
        let body = sample();
        let bytes = body.encode(true).unwrap();
        assert_eq!(&bytes[..1], &[0x78]); // zlib header
        assert_eq!(RegisterBrokerBody::decode(&bytes, true).unwrap(), body);
    }

    #[test]
    fn compressed_without_mapping_tail() {
        let mut raw = Vec::new();
        put_chunk(&mut raw, br#"{"counter":1,"stateVersion":0,"timestamp":2}"#).unwrap();
        put_len(&mut raw, 1).unwrap();
        put_chunk(&mut raw, b"T 4 4 6 SINGLE_TAG").unwrap();
        put_chunk(&mut raw, b"[]").unwrap();
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&raw).unwrap();
        let body = RegisterBrokerBody::decode_compressed(&enc.finish().unwrap()).unwrap();
        assert_eq!(
            body.topic_config_serialize_wrapper.topic_config_table["T"].read_queue_nums,
            4
        );
        assert!(body
            .topic_config_serialize_wrapper
            .topic_queue_mapping_info_map
            .is_empty());
    }

    #[test]
    fn damaged_compressed_bodies_are_errors() {
        let good = sample().encode(true).unwrap();
        assert!(RegisterBrokerBody::decode_compressed(&good[..good.len() / 2]).is_err());
        assert!(RegisterBrokerBody::decode_compressed(b"not zlib").is_err());
        let mut raw = Vec::new();
        put_chunk(&mut raw, br#"{}"#).unwrap();
        raw.extend_from_slice(&i32::MAX.to_be_bytes()); // absurd topic count, no data
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&raw).unwrap();
        assert!(RegisterBrokerBody::decode_compressed(&enc.finish().unwrap()).is_err());
    }
}
