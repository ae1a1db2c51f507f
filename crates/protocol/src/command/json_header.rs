//! The JSON header (serialize type 0, spec §2.1).
//!
//! Writing follows fastjson's output: fields in alphabetical order, a null remark omitted, `serializeTypeCurrentRPC`
//! always present (some peers reject headers without it). It is written straight into the frame buffer: one header
//! per message is on the hot path, so no intermediate `serde_json::Value`.
//!
//! Reading is tolerant, as Java's is: any field order, unknown fields ignored, `remark`/`extFields` absent or null,
//! duplicate fields (last wins), ext values written as numbers or booleans (kept as their text), numeric fields
//! written as strings.

use std::fmt;

use bytes::BytesMut;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{ExtFields, HeaderFields, RemotingCommand};
use crate::codes::{LanguageCode, SerializeType};
use crate::error::ProtocolError;

pub(super) fn write(cmd: &RemotingCommand, dst: &mut BytesMut) {
    // The header is written through a cursor into space sized up front: per-piece `put_slice` calls (a capacity
    // check and a length update each) cost more than the bytes they copy. The bound allows every string byte its
    // longest escape; beyond a few KiB the strings are measured exactly instead, so the space stays small.
    let mut text_len = cmd.remark.as_ref().map_or(0, String::len);
    for (k, v) in &cmd.ext_fields {
        text_len += k.len() + v.len();
    }
    let strings = cmd.ext_fields.len() * 2 + 1;
    let bound = FIXED_BOUND
        + strings * 3
        + if text_len <= 4096 {
            text_len * 6
        } else {
            let mut n = cmd.remark.as_deref().map_or(0, escaped_len);
            for (k, v) in &cmd.ext_fields {
                n += escaped_len(k) + escaped_len(v);
            }
            n
        };
    let start = dst.len();
    dst.resize(start + bound, 0);
    let mut out = Cursor {
        buf: &mut dst[start..],
        pos: 0,
    };
    out.raw(b"{\"code\":");
    out.int(cmd.code);
    out.raw(b",\"extFields\":{");
    let mut first = true;
    for (k, v) in &cmd.ext_fields {
        if !first {
            out.byte(b',');
        }
        first = false;
        out.string(k);
        out.byte(b':');
        out.string(v);
    }
    out.raw(b"},\"flag\":");
    out.int(cmd.flag);
    out.raw(b",\"language\":\"");
    out.raw(cmd.language.name().as_bytes());
    out.raw(b"\",\"opaque\":");
    out.int(cmd.opaque);
    if let Some(remark) = &cmd.remark {
        out.raw(b",\"remark\":");
        out.string(remark);
    }
    out.raw(b",\"serializeTypeCurrentRPC\":\"");
    out.raw(SerializeType::Json.name().as_bytes());
    out.raw(b"\",\"version\":");
    out.int(cmd.version);
    out.byte(b'}');
    let written = out.pos;
    dst.truncate(start + written);
}

/// Room for everything but the strings' text: field names, four ints, the language name, punctuation.
const FIXED_BOUND: usize = 256;

/// The length of `s` as a JSON string literal's content.
fn escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' => 2,
            0x00..=0x1F => 6,
            _ => 1,
        })
        .sum()
}

/// Writes into a slice known to be long enough (a short one panics rather than writing out of bounds).
struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn raw(&mut self, s: &[u8]) {
        self.buf[self.pos..self.pos + s.len()].copy_from_slice(s);
        self.pos += s.len();
    }

    fn byte(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    fn int(&mut self, v: i32) {
        let mut digits = [0u8; 11];
        let mut i = digits.len();
        let mut n = v.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            i -= 1;
            digits[i] = b'-';
        }
        self.raw(&digits[i..]);
    }

    /// A JSON string literal; escapes quote, backslash and control characters, passes other UTF-8 through.
    fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.byte(b'"');
        let mut rest = s.as_bytes();
        loop {
            let run = super::json_scan::find_special(rest);
            self.raw(&rest[..run]);
            let Some(&b) = rest.get(run) else {
                break;
            };
            match b {
                b'"' => self.raw(b"\\\""),
                b'\\' => self.raw(b"\\\\"),
                b'\n' => self.raw(b"\\n"),
                b'\r' => self.raw(b"\\r"),
                b'\t' => self.raw(b"\\t"),
                _ => self.raw(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xF) as usize],
                ]),
            }
            rest = &rest[run + 1..];
        }
        self.byte(b'"');
    }
}

pub(super) fn read(header: &[u8]) -> Result<HeaderFields, ProtocolError> {
    match super::json_fast::read(header) {
        Some(fields) => Ok(fields),
        None => read_general(header),
    }
}

/// The tolerant serde reader: every shape the fast reader declines, and the error for malformed input.
pub(super) fn read_general(header: &[u8]) -> Result<HeaderFields, ProtocolError> {
    serde_json::from_slice::<JsonHeader>(header)
        .map(|h| h.0)
        .map_err(|e| ProtocolError::BadJsonHeader(e.to_string()))
}

struct JsonHeader(HeaderFields);

enum Field {
    Code,
    Language,
    Version,
    Opaque,
    Flag,
    Remark,
    ExtFields,
    Ignored,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a header field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "code" => Field::Code,
                    "language" => Field::Language,
                    "version" => Field::Version,
                    "opaque" => Field::Opaque,
                    "flag" => Field::Flag,
                    "remark" => Field::Remark,
                    "extFields" => Field::ExtFields,
                    _ => Field::Ignored,
                })
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for JsonHeader {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = JsonHeader;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonHeader, A::Error> {
                let mut h = HeaderFields {
                    code: 0,
                    language: LanguageCode::Other,
                    version: 0,
                    opaque: 0,
                    flag: 0,
                    remark: None,
                    ext_fields: ExtFields::new(),
                };
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Code => h.code = map.next_value::<LenientI32>()?.0,
                        Field::Version => h.version = map.next_value::<LenientI32>()?.0,
                        Field::Opaque => h.opaque = map.next_value::<LenientI32>()?.0,
                        Field::Flag => h.flag = map.next_value::<LenientI32>()?.0,
                        Field::Language => h.language = map.next_value::<Language>()?.0,
                        Field::Remark => h.remark = map.next_value::<TextValue>()?.0,
                        Field::ExtFields => h.ext_fields = map.next_value::<Ext>()?.0,
                        Field::Ignored => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(JsonHeader(h))
            }
        }
        d.deserialize_map(HeaderVisitor)
    }
}

/// An int written as a number or a numeric string; null reads as 0 (Java's primitive default).
struct LenientI32(i32);

impl<'de> Deserialize<'de> for LenientI32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientI32;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 32-bit integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientI32, E> {
                i32::try_from(v)
                    .map(LenientI32)
                    .map_err(|_| E::custom(format!("{v} is out of i32 range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientI32, E> {
                i32::try_from(v)
                    .map(LenientI32)
                    .map_err(|_| E::custom(format!("{v} is out of i32 range")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientI32, E> {
                if v.fract() == 0.0 && v >= i32::MIN as f64 && v <= i32::MAX as f64 {
                    Ok(LenientI32(v as i32))
                } else {
                    Err(E::custom(format!("{v} is not a 32-bit integer")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientI32, E> {
                v.trim()
                    .parse()
                    .map(LenientI32)
                    .map_err(|_| E::custom(format!("{v:?} is not a 32-bit integer")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientI32, E> {
                Ok(LenientI32(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// The language by name (or, leniently, by its numeric code); unknown or null reads as OTHER.
struct Language(LanguageCode);

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Language;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a language name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Language, E> {
                Ok(Language(LanguageCode::from_name(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Language, E> {
                Ok(Language(
                    u8::try_from(v)
                        .map(LanguageCode::from_code)
                        .unwrap_or(LanguageCode::Other),
                ))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Language, E> {
                Ok(Language(LanguageCode::Other))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Language, E> {
                Ok(Language(LanguageCode::Other))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Language, E> {
                Ok(Language(LanguageCode::Other))
            }
        }
        d.deserialize_any(V)
    }
}

/// A value kept as text: strings as they are, numbers and booleans as their JSON text, nested objects/arrays as
/// compact JSON, null as absent.
struct TextValue(Option<String>);

impl<'de> Deserialize<'de> for TextValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextValue, E> {
                Ok(TextValue(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<TextValue, E> {
                Ok(TextValue(Some(if v { "true" } else { "false" }.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TextValue, E> {
                Ok(TextValue(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TextValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(TextValue(Some(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// `extFields`: an object (values as [`TextValue`], null values dropped) or null.
struct Ext(ExtFields);

impl<'de> Deserialize<'de> for Ext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ext;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ext, E> {
                Ok(Ext(ExtFields::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ext, A::Error> {
                let mut ext = ExtFields::with_capacity(map.size_hint().unwrap_or(8), 128);
                while let Some(key) = map.next_key::<String>()? {
                    if let TextValue(Some(value)) = map.next_value()? {
                        ext.insert(key, value);
                    }
                }
                Ok(Ext(ext))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cmd: &RemotingCommand) -> String {
        let mut buf = BytesMut::new();
        write(cmd, &mut buf);
        String::from_utf8(buf.to_vec()).unwrap()
    }

    #[test]
    fn writes_fastjson_layout() {
        let mut cmd = RemotingCommand::new_request(34)
            .with_language(LanguageCode::Java)
            .with_opaque(7);
        cmd.version = 479;
        assert_eq!(
            written(&cmd),
            r#"{"code":34,"extFields":{},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#
        );
        let resp = RemotingCommand::response_to(&cmd, 1, Some("bad \"x\"".into()))
            .with_language(LanguageCode::Java)
            .with_ext("k", "v");
        assert_eq!(
            written(&resp),
            r#"{"code":1,"extFields":{"k":"v"},"flag":1,"language":"JAVA","opaque":7,"remark":"bad \"x\"","serializeTypeCurrentRPC":"JSON","version":479}"#
        );
    }

    fn with_cursor(bound: usize, f: impl FnOnce(&mut Cursor<'_>)) -> Vec<u8> {
        let mut buf = vec![0u8; bound];
        let mut c = Cursor {
            buf: &mut buf,
            pos: 0,
        };
        f(&mut c);
        let n = c.pos;
        buf.truncate(n);
        buf
    }

    #[test]
    fn integers() {
        for v in [0, 1, -1, 9, 10, 479, i32::MAX, i32::MIN] {
            let buf = with_cursor(11, |c| c.int(v));
            assert_eq!(std::str::from_utf8(&buf).unwrap(), v.to_string());
        }
    }

    #[test]
    fn escapes_parse_back() {
        let s =
            "a\"b\\c\n\r\t\u{0}\u{1f}\u{7f} ü 中 \u{2028} 😀 a long plain run of text \u{1}\u{2}";
        let buf = with_cursor(2 + escaped_len(s), |c| c.string(s));
        let back: String = serde_json::from_slice(&buf).unwrap();
        assert_eq!(back, s);
        assert_eq!(buf.len(), 2 + escaped_len(s), "escaped_len is exact");
        assert!(escaped_len(s) <= 6 * s.len());
    }

    #[test]
    fn long_strings_take_the_measured_bound() {
        let mut cmd = RemotingCommand::new_request(1).with_remark("\u{1}".repeat(5000));
        cmd.set_ext("k", "\"\\".repeat(3000));
        cmd.set_ext("plain", "x".repeat(10_000));
        let mut buf = BytesMut::new();
        write(&cmd, &mut buf);
        let back = read(&buf).unwrap();
        assert_eq!(back.remark, cmd.remark);
        assert_eq!(back.ext_fields, cmd.ext_fields);
    }

    #[test]
    fn reads_tolerantly() {
        let h = read(
            br#"{"version":"401","remark":null,"opaque":3,"unknown":[1,{"x":2}],"flag":2,
               "extFields":{"d":4,"k":true,"m":"1","n":null,"f":1.5,"o":{"a":[1]}},"language":"CPP","code":310}"#,
        )
        .unwrap();
        assert_eq!((h.code, h.version, h.opaque, h.flag), (310, 401, 3, 2));
        assert_eq!(h.language, LanguageCode::Cpp);
        assert_eq!(h.remark, None);
        assert_eq!(h.ext_fields.get("d"), Some("4"));
        assert_eq!(h.ext_fields.get("k"), Some("true"));
        assert_eq!(h.ext_fields.get("m"), Some("1"));
        assert_eq!(h.ext_fields.get("f"), Some("1.5"));
        assert_eq!(h.ext_fields.get("o"), Some(r#"{"a":[1]}"#));
        assert!(!h.ext_fields.contains_key("n"));
    }

    #[test]
    fn reads_minimal_and_null_ext() {
        let h = read(br#"{"code":0,"extFields":null}"#).unwrap();
        assert!(h.ext_fields.is_empty());
        assert_eq!(h.language, LanguageCode::Other);
        let h = read(b" {} ").unwrap();
        assert_eq!(h.code, 0);
    }

    #[test]
    fn rejects_broken_json() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"code\":\"x\"}",
            b"{\"code\":99999999999}",
            b"{} x",
            b"{\"extFields\":1}",
        ] {
            assert!(read(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
