//! Writer producing fastjson-compatible JSON from any `Serialize` type.
//!
//! Like fastjson: struct fields come out sorted by name, `None`/unit fields and map entries are omitted, enums are
//! written by name, bytes as base64. Map keys follow the *Rust key type*, so the choice is type-driven:
//! a key that serializes as a string is always quoted; integer, float, bool and struct/map keys (e.g. broker ids,
//! queue ids, `MessageQueue`) are written bare with [`KeyStyle::Bare`] and as quoted strings with
//! [`KeyStyle::Quoted`].

use serde::ser::{self, Serialize};

use super::error::JsonError;
use super::escape::{write_base64, write_f32, write_f64, write_i128, write_str, write_u128};

/// Largest integer magnitude BrowserCompatible output writes as a number (2^53).
const MAX_SAFE_INTEGER: u128 = 1 << 53;

/// Request `version` from which Java clients ask for standard JSON routes (V4_9_4).
pub const STANDARD_JSON_ROUTE_VERSION: i32 = 401;

/// How non-string map keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyStyle {
    /// fastjson's default: integer keys `{0:"a"}` and object keys `{{"topic":"T",..}:1}` unquoted.
    /// What Java clients older than V4_9_4 expect.
    #[default]
    Bare,
    /// Standard JSON, like fastjson's BrowserCompatible mode: every key quoted (`{"0":"a"}`), non-ASCII
    /// characters escaped as `\uXXXX`, integers beyond ±2^53 written as strings.
    Quoted,
}

impl KeyStyle {
    /// The style a GET_ROUTEINFO_BY_TOPIC answer uses (§8.7): quoted when the request's `version` is at
    /// least V4_9_4 or it sets `acceptStandardJsonOnly`, bare otherwise.
    pub fn for_route_request(request_version: i32, accept_standard_json_only: bool) -> KeyStyle {
        if accept_standard_json_only || request_version >= STANDARD_JSON_ROUTE_VERSION {
            KeyStyle::Quoted
        } else {
            KeyStyle::Bare
        }
    }
}

/// Serializes `value` as fastjson would, with map keys in the given style.
pub fn to_vec<T: ?Sized + Serialize>(value: &T, style: KeyStyle) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::with_capacity(256);
    let wrote = value.serialize(Writer {
        out: &mut out,
        style,
    })?;
    if !wrote {
        out.extend_from_slice(b"null");
    }
    Ok(out)
}

/// [`to_vec`] as a `String`.
pub fn to_string<T: ?Sized + Serialize>(value: &T, style: KeyStyle) -> Result<String, JsonError> {
    let bytes = to_vec(value, style)?;
    String::from_utf8(bytes).map_err(|_| JsonError::Shape("writer produced invalid UTF-8".into()))
}

/// The value serializer. `Ok(false)` means "nothing written" (null), which lets enclosing structs and maps
/// drop the entry the way fastjson omits nulls.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
    style: KeyStyle,
}

impl Writer<'_> {
    fn ascii_only(&self) -> bool {
        self.style == KeyStyle::Quoted
    }

    fn int(self, v: i128) -> Result<bool, JsonError> {
        if self.style == KeyStyle::Quoted && v.unsigned_abs() > MAX_SAFE_INTEGER {
            self.out.push(b'"');
            write_i128(self.out, v);
            self.out.push(b'"');
        } else {
            write_i128(self.out, v);
        }
        Ok(true)
    }

    fn uint(self, v: u128) -> Result<bool, JsonError> {
        if self.style == KeyStyle::Quoted && v > MAX_SAFE_INTEGER {
            self.out.push(b'"');
            write_u128(self.out, v);
            self.out.push(b'"');
        } else {
            write_u128(self.out, v);
        }
        Ok(true)
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = bool;
    type Error = JsonError;
    type SerializeSeq = SeqWriter<'a>;
    type SerializeTuple = SeqWriter<'a>;
    type SerializeTupleStruct = SeqWriter<'a>;
    type SerializeTupleVariant = SeqWriter<'a>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = StructWriter<'a>;
    type SerializeStructVariant = StructWriter<'a>;

    fn serialize_bool(self, v: bool) -> Result<bool, JsonError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(true)
    }
    fn serialize_i8(self, v: i8) -> Result<bool, JsonError> {
        self.int(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<bool, JsonError> {
        self.int(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<bool, JsonError> {
        self.int(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<bool, JsonError> {
        self.int(v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<bool, JsonError> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<bool, JsonError> {
        self.uint(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<bool, JsonError> {
        self.uint(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<bool, JsonError> {
        self.uint(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<bool, JsonError> {
        self.uint(v.into())
    }
    fn serialize_u128(self, v: u128) -> Result<bool, JsonError> {
        self.uint(v)
    }
    fn serialize_f32(self, v: f32) -> Result<bool, JsonError> {
        if !v.is_finite() {
            return Ok(false); // JSON has no NaN/Infinity; fastjson writes null
        }
        write_f32(self.out, v);
        Ok(true)
    }
    fn serialize_f64(self, v: f64) -> Result<bool, JsonError> {
        if !v.is_finite() {
            return Ok(false);
        }
        write_f64(self.out, v);
        Ok(true)
    }
    fn serialize_char(self, v: char) -> Result<bool, JsonError> {
        let mut tmp = [0u8; 4];
        let ascii = self.ascii_only();
        write_str(self.out, v.encode_utf8(&mut tmp), ascii);
        Ok(true)
    }
    fn serialize_str(self, v: &str) -> Result<bool, JsonError> {
        let ascii = self.ascii_only();
        write_str(self.out, v, ascii);
        Ok(true)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<bool, JsonError> {
        write_base64(self.out, v);
        Ok(true)
    }
    fn serialize_none(self) -> Result<bool, JsonError> {
        Ok(false)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<bool, JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<bool, JsonError> {
        Ok(false)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<bool, JsonError> {
        Ok(false)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<bool, JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<bool, JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<bool, JsonError> {
        let style = self.style;
        self.out.push(b'{');
        write_str(self.out, variant, style == KeyStyle::Quoted);
        self.out.push(b':');
        if !value.serialize(Writer {
            out: &mut *self.out,
            style,
        })? {
            self.out.extend_from_slice(b"null");
        }
        self.out.push(b'}');
        Ok(true)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqWriter<'a>, JsonError> {
        let _ = len;
        Ok(SeqWriter::open(self.out, self.style, None, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqWriter<'a>, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'a>, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SeqWriter<'a>, JsonError> {
        open_variant(self.out, self.style, variant);
        Ok(SeqWriter::open(self.out, self.style, None, true))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapWriter<'a>, JsonError> {
        Ok(MapWriter::open(self.out, self.style, None))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<StructWriter<'a>, JsonError> {
        Ok(StructWriter::open(self.out, self.style, len, None, false))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructWriter<'a>, JsonError> {
        open_variant(self.out, self.style, variant);
        Ok(StructWriter::open(self.out, self.style, len, None, true))
    }
}

fn open_variant(out: &mut Vec<u8>, style: KeyStyle, variant: &str) {
    out.push(b'{');
    write_str(out, variant, style == KeyStyle::Quoted);
    out.push(b':');
}

/// When a compound value is itself a map key in [`KeyStyle::Quoted`], its JSON text is turned into a string
/// literal once it is complete. `quote_from` is where that text starts.
fn finish_key_text(out: &mut Vec<u8>, quote_from: Option<usize>) {
    if let Some(start) = quote_from {
        let text = out.split_off(start);
        let text = String::from_utf8_lossy(&text);
        write_str(out, &text, true);
    }
}

pub(crate) struct SeqWriter<'a> {
    out: &'a mut Vec<u8>,
    style: KeyStyle,
    first: bool,
    close_variant: bool,
    quote_from: Option<usize>,
}

impl<'a> SeqWriter<'a> {
    fn open(
        out: &'a mut Vec<u8>,
        style: KeyStyle,
        quote_from: Option<usize>,
        close_variant: bool,
    ) -> Self {
        out.push(b'[');
        SeqWriter {
            out,
            style,
            first: true,
            close_variant,
            quote_from,
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        if !value.serialize(Writer {
            out: &mut *self.out,
            style: self.style,
        })? {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    fn close(self) -> Result<bool, JsonError> {
        self.out.push(b']');
        if self.close_variant {
            self.out.push(b'}');
        }
        finish_key_text(self.out, self.quote_from);
        Ok(true)
    }
}

impl ser::SerializeSeq for SeqWriter<'_> {
    type Ok = bool;
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.element(value)
    }
    fn end(self) -> Result<bool, JsonError> {
        self.close()
    }
}

impl ser::SerializeTuple for SeqWriter<'_> {
    type Ok = bool;
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.element(value)
    }
    fn end(self) -> Result<bool, JsonError> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for SeqWriter<'_> {
    type Ok = bool;
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.element(value)
    }
    fn end(self) -> Result<bool, JsonError> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for SeqWriter<'_> {
    type Ok = bool;
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.element(value)
    }
    fn end(self) -> Result<bool, JsonError> {
        self.close()
    }
}

pub(crate) struct MapWriter<'a> {
    out: &'a mut Vec<u8>,
    style: KeyStyle,
    first: bool,
    entry_start: usize,
    quote_from: Option<usize>,
}

impl<'a> MapWriter<'a> {
    fn open(out: &'a mut Vec<u8>, style: KeyStyle, quote_from: Option<usize>) -> Self {
        out.push(b'{');
        let entry_start = out.len();
        MapWriter {
            out,
            style,
            first: true,
            entry_start,
            quote_from,
        }
    }
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = bool;
    type Error = JsonError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), JsonError> {
        self.entry_start = self.out.len();
        if !self.first {
            self.out.push(b',');
        }
        key.serialize(KeyWriter {
            out: &mut *self.out,
            style: self.style,
        })?;
        self.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        if value.serialize(Writer {
            out: &mut *self.out,
            style: self.style,
        })? {
            self.first = false;
        } else {
            // Null value: drop the whole entry, key included.
            self.out.truncate(self.entry_start);
        }
        Ok(())
    }

    fn end(self) -> Result<bool, JsonError> {
        self.out.push(b'}');
        finish_key_text(self.out, self.quote_from);
        Ok(true)
    }
}

/// Writes struct fields as they come, remembering where each one is; `end` puts them in name order if the
/// declaration order was not already sorted.
pub(crate) struct StructWriter<'a> {
    out: &'a mut Vec<u8>,
    style: KeyStyle,
    start: usize,
    /// (field name, start, end) of each written `,"name":value` fragment.
    fields: Vec<(&'static str, usize, usize)>,
    sorted: bool,
    close_variant: bool,
    quote_from: Option<usize>,
}

impl<'a> StructWriter<'a> {
    fn open(
        out: &'a mut Vec<u8>,
        style: KeyStyle,
        len: usize,
        quote_from: Option<usize>,
        close_variant: bool,
    ) -> Self {
        let start = out.len();
        StructWriter {
            out,
            style,
            start,
            fields: Vec::with_capacity(len),
            sorted: true,
            close_variant,
            quote_from,
        }
    }

    fn field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        let frag = self.out.len();
        self.out.push(b',');
        write_str(self.out, name, self.style == KeyStyle::Quoted);
        self.out.push(b':');
        if !value.serialize(Writer {
            out: &mut *self.out,
            style: self.style,
        })? {
            self.out.truncate(frag);
            return Ok(());
        }
        if let Some(last) = self.fields.last() {
            if last.0 > name {
                self.sorted = false;
            }
        }
        self.fields.push((name, frag, self.out.len()));
        Ok(())
    }

    fn close(mut self) -> Result<bool, JsonError> {
        if self.fields.is_empty() {
            self.out.extend_from_slice(b"{}");
        } else if self.sorted {
            // Fragments are contiguous from `start`; the first one's leading ',' becomes '{'.
            self.out[self.start] = b'{';
            self.out.push(b'}');
        } else {
            let tail = self.out.split_off(self.start);
            self.fields.sort_by(|a, b| a.0.cmp(b.0));
            self.out.push(b'{');
            for (i, (_, from, to)) in self.fields.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                // Skip each fragment's leading ','.
                self.out
                    .extend_from_slice(&tail[from - self.start + 1..to - self.start]);
            }
            self.out.push(b'}');
        }
        if self.close_variant {
            self.out.push(b'}');
        }
        finish_key_text(self.out, self.quote_from);
        Ok(true)
    }
}

impl ser::SerializeStruct for StructWriter<'_> {
    type Ok = bool;
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        self.field(key, value)
    }
    fn end(self) -> Result<bool, JsonError> {
        self.close()
    }
}

impl ser::SerializeStructVariant for StructWriter<'_> {
    type Ok = bool;
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        self.field(key, value)
    }
    fn end(self) -> Result<bool, JsonError> {
        self.close()
    }
}

/// Serializer for map keys: strings always quoted; everything else bare or quoted by [`KeyStyle`].
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
    style: KeyStyle,
}

impl KeyWriter<'_> {
    fn scalar(self, write: impl FnOnce(&mut Vec<u8>)) -> Result<bool, JsonError> {
        let quoted = self.style == KeyStyle::Quoted;
        if quoted {
            self.out.push(b'"');
        }
        write(self.out);
        if quoted {
            self.out.push(b'"');
        }
        Ok(true)
    }

    fn quote_from(&self) -> Option<usize> {
        (self.style == KeyStyle::Quoted).then_some(self.out.len())
    }

    fn unsupported(what: &str) -> JsonError {
        JsonError::Shape(format!("a {what} cannot be a map key"))
    }
}

impl<'a> ser::Serializer for KeyWriter<'a> {
    type Ok = bool;
    type Error = JsonError;
    type SerializeSeq = SeqWriter<'a>;
    type SerializeTuple = SeqWriter<'a>;
    type SerializeTupleStruct = SeqWriter<'a>;
    type SerializeTupleVariant = SeqWriter<'a>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = StructWriter<'a>;
    type SerializeStructVariant = StructWriter<'a>;

    fn serialize_bool(self, v: bool) -> Result<bool, JsonError> {
        self.scalar(|o| o.extend_from_slice(if v { b"true" } else { b"false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<bool, JsonError> {
        self.scalar(|o| write_i128(o, v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<bool, JsonError> {
        self.scalar(|o| write_i128(o, v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<bool, JsonError> {
        self.scalar(|o| write_i128(o, v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<bool, JsonError> {
        self.scalar(|o| write_i128(o, v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<bool, JsonError> {
        self.scalar(|o| write_i128(o, v))
    }
    fn serialize_u8(self, v: u8) -> Result<bool, JsonError> {
        self.scalar(|o| write_u128(o, v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<bool, JsonError> {
        self.scalar(|o| write_u128(o, v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<bool, JsonError> {
        self.scalar(|o| write_u128(o, v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<bool, JsonError> {
        self.scalar(|o| write_u128(o, v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<bool, JsonError> {
        self.scalar(|o| write_u128(o, v))
    }
    fn serialize_f32(self, v: f32) -> Result<bool, JsonError> {
        if !v.is_finite() {
            return Err(Self::unsupported("non-finite float"));
        }
        self.scalar(|o| write_f32(o, v))
    }
    fn serialize_f64(self, v: f64) -> Result<bool, JsonError> {
        if !v.is_finite() {
            return Err(Self::unsupported("non-finite float"));
        }
        self.scalar(|o| write_f64(o, v))
    }
    fn serialize_char(self, v: char) -> Result<bool, JsonError> {
        let mut tmp = [0u8; 4];
        self.serialize_str(v.encode_utf8(&mut tmp))
    }
    fn serialize_str(self, v: &str) -> Result<bool, JsonError> {
        write_str(self.out, v, self.style == KeyStyle::Quoted);
        Ok(true)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<bool, JsonError> {
        write_base64(self.out, v);
        Ok(true)
    }
    fn serialize_none(self) -> Result<bool, JsonError> {
        self.scalar(|o| o.extend_from_slice(b"null"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<bool, JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<bool, JsonError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<bool, JsonError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<bool, JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<bool, JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<bool, JsonError> {
        Err(Self::unsupported("data-carrying enum variant"))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<SeqWriter<'a>, JsonError> {
        let quote_from = self.quote_from();
        Ok(SeqWriter::open(self.out, self.style, quote_from, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqWriter<'a>, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'a>, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<SeqWriter<'a>, JsonError> {
        Err(Self::unsupported("data-carrying enum variant"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapWriter<'a>, JsonError> {
        let quote_from = self.quote_from();
        Ok(MapWriter::open(self.out, self.style, quote_from))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<StructWriter<'a>, JsonError> {
        let quote_from = self.quote_from();
        Ok(StructWriter::open(
            self.out, self.style, len, quote_from, false,
        ))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<StructWriter<'a>, JsonError> {
        Err(Self::unsupported("data-carrying enum variant"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Unsorted {
        zeta: i32,
        alpha: Option<String>,
        #[serde(rename = "Mid")]
        mid: Vec<Option<i32>>,
        beta: BTreeMap<i64, String>,
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct Key {
        topic: String,
        queue_id: i32,
    }

    #[test]
    fn sorts_fields_and_omits_nulls() {
        let v = Unsorted {
            zeta: 1,
            alpha: None,
            mid: vec![Some(1), None],
            beta: BTreeMap::from([(0, "a".into()), (1, "b".into())]),
        };
        assert_eq!(
            to_string(&v, KeyStyle::Bare).unwrap(),
            r#"{"Mid":[1,null],"beta":{0:"a",1:"b"},"zeta":1}"#
        );
        assert_eq!(
            to_string(&v, KeyStyle::Quoted).unwrap(),
            r#"{"Mid":[1,null],"beta":{"0":"a","1":"b"},"zeta":1}"#
        );
    }

    #[test]
    fn string_keys_always_quoted() {
        let m = BTreeMap::from([("0".to_string(), 1)]);
        assert_eq!(to_string(&m, KeyStyle::Bare).unwrap(), r#"{"0":1}"#);
    }

    #[test]
    fn struct_keys() {
        let m = BTreeMap::from([(
            Key {
                topic: "T".into(),
                queue_id: 3,
            },
            42,
        )]);
        assert_eq!(
            to_string(&m, KeyStyle::Bare).unwrap(),
            r#"{{"queue_id":3,"topic":"T"}:42}"#
        );
        assert_eq!(
            to_string(&m, KeyStyle::Quoted).unwrap(),
            r#"{"{\"queue_id\":3,\"topic\":\"T\"}":42}"#
        );
    }

    #[test]
    fn map_entries_with_null_values_are_dropped() {
        let m = BTreeMap::from([(1, None), (2, Some(5)), (3, None)]);
        assert_eq!(to_string(&m, KeyStyle::Bare).unwrap(), "{2:5}");
        let m: BTreeMap<i32, Option<i32>> = BTreeMap::from([(1, None)]);
        assert_eq!(to_string(&m, KeyStyle::Bare).unwrap(), "{}");
    }

    #[test]
    fn browser_compatible_numbers_and_text() {
        let v = (1i64 << 53, (1i64 << 53) + 1, -(1i64 << 60), "é");
        assert_eq!(
            to_string(&v, KeyStyle::Bare).unwrap(),
            "[9007199254740992,9007199254740993,-1152921504606846976,\"é\"]"
        );
        assert_eq!(
            to_string(&v, KeyStyle::Quoted).unwrap(),
            "[9007199254740992,\"9007199254740993\",\"-1152921504606846976\",\"\\u00e9\"]"
        );
    }

    #[test]
    fn route_version_rule() {
        assert_eq!(KeyStyle::for_route_request(400, false), KeyStyle::Bare);
        assert_eq!(KeyStyle::for_route_request(401, false), KeyStyle::Quoted);
        assert_eq!(KeyStyle::for_route_request(0, true), KeyStyle::Quoted);
    }
}
