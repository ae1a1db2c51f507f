//! Typed decoding from a parsed [`Value`], as lenient as fastjson's Java decoder:
//!
//! - numbers may arrive as strings (`"subVersion":"1700000000000"`) and strings as numbers;
//! - booleans may arrive as `"true"`/`"false"`, `0`/`1` or `"0"`/`"1"`;
//! - enums may arrive by name or by ordinal (declaration index), as a number or a digit string;
//! - `null` where a plain value is expected gives that type's zero/empty value;
//! - a map key is re-parsed by the key type: integer keys from `"0"`, struct keys (e.g. `MessageQueue`)
//!   from the JSON text the reader stored for a bare object key;
//! - unknown fields are ignored (serde's default), missing ones come from `#[serde(default)]`.

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::{Map, Value};

use super::canonical::canonical_string;
use super::error::JsonError;
use super::reader::parse;

/// Decodes a typed value from a parsed JSON value with fastjson-like leniency.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, JsonError> {
    T::deserialize(ValueDe(value))
}

/// Parses fastjson-dialect bytes and decodes them leniently into `T`.
pub fn from_slice<T: DeserializeOwned>(input: &[u8]) -> Result<T, JsonError> {
    from_value(parse(input)?)
}

/// Java's lenient boolean: "true" (any case) or "1" are true.
fn str_to_bool(s: &str) -> bool {
    let s = s.trim();
    s.eq_ignore_ascii_case("true") || s == "1"
}

/// An integer read from a number, a numeric string, a bool or null.
fn value_to_integer(value: &Value) -> Option<i128> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.into())
            } else if let Some(u) = n.as_u64() {
                Some(u.into())
            } else {
                n.as_f64().and_then(float_to_integer)
            }
        }
        Value::String(s) => str_to_integer(s),
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Null => Some(0),
        _ => None,
    }
}

fn str_to_integer(s: &str) -> Option<i128> {
    let s = s.trim();
    s.parse::<i128>()
        .ok()
        .or_else(|| s.parse::<f64>().ok().and_then(float_to_integer))
}

fn float_to_integer(f: f64) -> Option<i128> {
    // Only exact integral values convert; 1.5 into an integer field is a shape error.
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38).then_some(f as i128)
}

fn value_to_float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null => Some(0.0),
        _ => None,
    }
}

fn visit_integer<'de, V: Visitor<'de>>(v: i128, visitor: V) -> Result<V::Value, JsonError> {
    if let Ok(u) = u64::try_from(v) {
        visitor.visit_u64(u)
    } else if let Ok(i) = i64::try_from(v) {
        visitor.visit_i64(i)
    } else {
        visitor.visit_i128(v)
    }
}

/// Deserializer over an owned [`Value`].
struct ValueDe(Value);

impl ValueDe {
    /// A string holding JSON text where a map/array was expected (fastjson accepts it): parse it.
    fn embedded_json(s: &str, open: char) -> Option<Value> {
        if s.trim_start().starts_with(open) {
            parse(s.as_bytes()).ok()
        } else {
            None
        }
    }
}

macro_rules! integer_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
            match value_to_integer(&self.0) {
                Some(i) => visit_integer(i, visitor),
                None => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe {
    type Error = JsonError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(SeqDe(items.into_iter())),
            Value::Object(map) => visitor.visit_map(MapDe::new(map)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match &self.0 {
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visitor.visit_bool(n.as_f64().is_some_and(|f| f != 0.0)),
            Value::String(s) => visitor.visit_bool(str_to_bool(s)),
            Value::Null => visitor.visit_bool(false),
            _ => self.deserialize_any(visitor),
        }
    }

    integer_methods!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match value_to_float(&self.0) {
            Some(f) => visitor.visit_f64(f),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0 {
            Value::String(s) => visitor.visit_string(s),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            Value::Null => visitor.visit_string(String::new()),
            // A String field given an object or array gets its JSON text, as fastjson does.
            other => visitor.visit_string(canonical_string(&other)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(ValueDe(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(SeqDe(items.into_iter())),
            Value::Null => visitor.visit_seq(SeqDe(Vec::new().into_iter())),
            Value::String(s) => match Self::embedded_json(&s, '[') {
                Some(Value::Array(items)) => visitor.visit_seq(SeqDe(items.into_iter())),
                _ => ValueDe(Value::String(s)).deserialize_any(visitor),
            },
            other => ValueDe(other).deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(MapDe::new(map)),
            Value::Null => visitor.visit_map(MapDe::new(Map::new())),
            Value::String(s) => match Self::embedded_json(&s, '{') {
                Some(Value::Object(map)) => visitor.visit_map(MapDe::new(map)),
                _ => Err(JsonError::Shape(
                    "expected an object, found a string".into(),
                )),
            },
            // Unlike serde_json, a struct is never read from an array.
            other => Err(JsonError::Shape(format!(
                "expected an object, found {}",
                kind(&other)
            ))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        match self.0 {
            variant @ (Value::String(_) | Value::Number(_)) => visitor.visit_enum(EnumDe {
                variant,
                content: None,
            }),
            Value::Object(map) if map.len() == 1 => {
                let Some((name, content)) = map.into_iter().next() else {
                    return Err(JsonError::Shape("empty enum object".into()));
                };
                visitor.visit_enum(EnumDe {
                    variant: Value::String(name),
                    content: Some(content),
                })
            }
            other => Err(JsonError::Shape(format!(
                "expected an enum name or ordinal, found {}",
                kind(&other)
            ))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        visitor.visit_unit()
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct SeqDe(std::vec::IntoIter<Value>);

impl<'de> de::SeqAccess<'de> for SeqDe {
    type Error = JsonError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, JsonError> {
        match self.0.next() {
            Some(v) => seed.deserialize(ValueDe(v)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapDe {
    iter: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl MapDe {
    fn new(map: Map<String, Value>) -> Self {
        MapDe {
            iter: map.into_iter(),
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapDe {
    type Error = JsonError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, JsonError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDe(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, JsonError> {
        match self.value.take() {
            Some(v) => seed.deserialize(ValueDe(v)),
            None => Err(JsonError::Shape(
                "map value requested before its key".into(),
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Deserializer for a map key (always a string after reading); converts it to the key type asked for.
struct KeyDe(String);

impl KeyDe {
    fn structured<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        as_map: bool,
    ) -> Result<V::Value, JsonError> {
        let value = parse(self.0.as_bytes()).map_err(|e| {
            JsonError::Shape(format!("map key {:?} is not a JSON object: {e}", self.0))
        })?;
        if as_map {
            de::Deserializer::deserialize_map(ValueDe(value), visitor)
        } else {
            de::Deserializer::deserialize_seq(ValueDe(value), visitor)
        }
    }
}

macro_rules! key_integer_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
            match str_to_integer(&self.0) {
                Some(i) => visit_integer(i, visitor),
                None => visitor.visit_string(self.0),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDe {
    type Error = JsonError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        visitor.visit_string(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        visitor.visit_bool(str_to_bool(&self.0))
    }

    key_integer_methods!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0.trim().parse::<f64>() {
            Ok(f) => visitor.visit_f64(f),
            Err(_) => visitor.visit_string(self.0),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.structured(visitor, false)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        self.structured(visitor, false)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        self.structured(visitor, false)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.structured(visitor, true)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        self.structured(visitor, true)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_enum(EnumDe {
            variant: Value::String(self.0),
            content: None,
        })
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct identifier ignored_any
    }
}

/// An enum given by name, by ordinal, or as `{"Variant": content}`.
struct EnumDe {
    variant: Value,
    content: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumDe {
    type Error = JsonError;
    type Variant = VariantDe;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, VariantDe), JsonError> {
        let id = match self.variant {
            Value::Number(n) => match n.as_u64() {
                Some(index) => seed.deserialize(index.into_deserializer()),
                None => return Err(JsonError::Shape(format!("bad enum ordinal {n}"))),
            },
            Value::String(s) => {
                let trimmed = s.trim();
                if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
                    match trimmed.parse::<u64>() {
                        Ok(index) => seed.deserialize(index.into_deserializer()),
                        Err(_) => return Err(JsonError::Shape(format!("bad enum ordinal {s}"))),
                    }
                } else {
                    seed.deserialize(de::value::StringDeserializer::<JsonError>::new(s))
                }
            }
            other => {
                return Err(JsonError::Shape(format!(
                    "expected an enum name, found {}",
                    kind(&other)
                )))
            }
        }?;
        Ok((id, VariantDe(self.content)))
    }
}

struct VariantDe(Option<Value>);

impl<'de> de::VariantAccess<'de> for VariantDe {
    type Error = JsonError;

    fn unit_variant(self) -> Result<(), JsonError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, JsonError> {
        seed.deserialize(ValueDe(self.0.unwrap_or(Value::Null)))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        de::Deserializer::deserialize_seq(ValueDe(self.0.unwrap_or(Value::Null)), visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        de::Deserializer::deserialize_map(ValueDe(self.0.unwrap_or(Value::Null)), visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(rename_all = "camelCase")]
    struct Mq {
        topic: String,
        broker_name: String,
        queue_id: i32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Model {
        Broadcasting,
        Clustering,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Loose {
        count: i64,
        flag: bool,
        name: String,
        ratio: f64,
        model: Option<Model>,
        tags: Vec<String>,
    }

    #[test]
    fn coerces_scalars() {
        let v: Loose =
            from_slice(br#"{"count":"12","flag":"1","name":42,"ratio":"0.5","model":1,"tags":null,"extra":[1]}"#)
                .unwrap();
        assert_eq!(
            v,
            Loose {
                count: 12,
                flag: true,
                name: "42".into(),
                ratio: 0.5,
                model: Some(Model::Clustering),
                tags: vec![]
            }
        );
        let v: Loose =
            from_slice(br#"{"count":3.0,"flag":0,"model":"BROADCASTING","name":null}"#).unwrap();
        assert_eq!(v.count, 3);
        assert!(!v.flag);
        assert_eq!(v.model, Some(Model::Broadcasting));
        let v: Loose = from_slice(br#"{"model":"0"}"#).unwrap();
        assert_eq!(v.model, Some(Model::Broadcasting));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(from_slice::<Loose>(br#"{"count":"abc"}"#).is_err());
        assert!(from_slice::<Loose>(br#"{"count":1.5}"#).is_err());
        assert!(from_slice::<Loose>(br#"{"model":2}"#).is_err());
        assert!(from_slice::<Loose>(br#"{"model":"NOPE"}"#).is_err());
        assert!(from_slice::<Loose>(br#"{"tags":{"a":1}}"#).is_err());
        assert!(from_slice::<Loose>(b"[1]").is_err());
    }

    #[test]
    fn integer_and_object_keys() {
        let m: BTreeMap<i64, String> = from_slice(br#"{0:"a","1":"b"}"#).unwrap();
        assert_eq!(
            m,
            BTreeMap::from([(0, "a".to_string()), (1, "b".to_string())])
        );
        let m: BTreeMap<Mq, i64> = from_slice(
            br#"{{"brokerName":"b","queueId":0,"topic":"T"}:1,"{\"topic\":\"T\",\"queueId\":1,\"brokerName\":\"b\"}":2}"#,
        )
        .unwrap();
        let keys: Vec<i32> = m.keys().map(|k| k.queue_id).collect();
        assert_eq!(keys, vec![0, 1]);
        assert!(from_slice::<BTreeMap<Mq, i64>>(br#"{"nope":1}"#).is_err());
        assert!(from_slice::<BTreeMap<i64, i64>>(br#"{"x":1}"#).is_err());
    }
}
