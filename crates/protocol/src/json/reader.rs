//! Tolerant reader for the JSON dialect fastjson writes and accepts.
//!
//! Besides RFC 8259 JSON it accepts, in map-key position: bare numbers (`{0:"a"}` → key `"0"`), bare objects
//! (`{{"topic":"T"}:1}` → key = canonical compact JSON of the object, fields sorted), bare arrays (likewise) and bare
//! identifiers (`{a:1}`). Strings may use single quotes, and a trailing comma before `}`/`]` is tolerated.
//! Nesting is limited to [`MAX_DEPTH`]; the reader never panics on any input.

use serde_json::{Map, Number, Value};

use super::canonical::canonical_string;
use super::error::JsonError;

/// Deepest nesting of objects/arrays (keys included) the reader accepts.
pub const MAX_DEPTH: usize = 128;

/// Parses one JSON value (fastjson dialect) from `input`; only whitespace may follow it.
pub fn parse(input: &[u8]) -> Result<Value, JsonError> {
    let mut reader = Reader { input, pos: 0 };
    if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.pos = 3; // UTF-8 byte-order mark
    }
    reader.skip_ws();
    let value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos != input.len() {
        return Err(JsonError::syntax(
            reader.pos,
            "trailing characters after the JSON value",
        ));
    }
    Ok(value)
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn err(&self, message: &'static str) -> JsonError {
        JsonError::syntax(self.pos, message)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0c) = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(message))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1).map(Value::Object),
            Some(b'[') => self.array(depth + 1),
            Some(b'"' | b'\'') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static [u8], value: Value) -> Result<Value, JsonError> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.err("unknown literal"))
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            Err(JsonError::TooDeep {
                offset: self.pos,
                limit: MAX_DEPTH,
            })
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<Map<String, Value>, JsonError> {
        self.check_depth(depth)?;
        self.pos += 1; // '{'
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(map);
        }
        loop {
            let key = self.key(depth)?;
            self.skip_ws();
            self.expect(b':', "expected ':' after a map key")?;
            self.skip_ws();
            let value = self.value(depth)?;
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        return Ok(map);
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(map);
                }
                _ => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.check_depth(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(Value::Array(items));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    /// A map key in any of the forms fastjson writes, as the string a typed decoder parses again.
    fn key(&mut self, depth: usize) -> Result<String, JsonError> {
        match self.peek() {
            Some(b'"' | b'\'') => self.string(),
            Some(b'-' | b'0'..=b'9') => {
                let (text, number) = self.number_text()?;
                // Integer keys are normalised ("007" → "7") so they compare equal to what a writer produces.
                Ok(match number.as_i64() {
                    Some(i) => i.to_string(),
                    None => text.to_owned(),
                })
            }
            Some(b'{') => {
                let map = self.object(depth + 1)?;
                Ok(canonical_string(&Value::Object(map)))
            }
            Some(b'[') => {
                let array = self.array(depth + 1)?;
                Ok(canonical_string(&array))
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                // Only ASCII bytes were consumed, so this is valid UTF-8.
                Ok(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
            }
            None => Err(self.err("unexpected end of input, expected a map key")),
            Some(_) => Err(self.err("expected a map key")),
        }
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        self.number_text().map(|(_, n)| n)
    }

    fn number_text(&mut self) -> Result<(&'a str, Number), JsonError> {
        let start = self.pos;
        let mut is_float = false;
        while let Some(b) = self.peek() {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => is_float = true,
                _ => break,
            }
            self.pos += 1;
        }
        let bytes = &self.input[start..self.pos];
        // Only ASCII digits, signs, '.', 'e' were consumed.
        let text =
            std::str::from_utf8(bytes).map_err(|_| JsonError::syntax(start, "bad number"))?;
        let bad = || JsonError::syntax(start, "malformed number");
        if !is_float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok((text, Number::from(i)));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok((text, Number::from(u)));
            }
        }
        // Integers beyond 64 bits fall back to f64, as serde_json does.
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let f = text.parse::<f64>().map_err(|_| bad())?;
        let n =
            Number::from_f64(f).ok_or_else(|| JsonError::syntax(start, "number out of range"))?;
        Ok((text, n))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let quote = self.input[self.pos];
        let start = self.pos;
        self.pos += 1;
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == quote || b == b'\\' {
                    break;
                }
                self.pos += 1;
            }
            buf.extend_from_slice(&self.input[run_start..self.pos]);
            match self.peek() {
                None => return Err(JsonError::syntax(start, "unterminated string")),
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut buf)?;
                }
                Some(_) => {
                    self.pos += 1; // closing quote
                    break;
                }
            }
        }
        Ok(match String::from_utf8(buf) {
            Ok(s) => s,
            // Java decodes malformed UTF-8 with replacement characters; so do we.
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn escape(&mut self, buf: &mut Vec<u8>) -> Result<(), JsonError> {
        let Some(c) = self.peek() else {
            return Err(self.err("unterminated escape"));
        };
        self.pos += 1;
        let simple = match c {
            b'"' => b'"',
            b'\'' => b'\'',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.unicode_escape()?;
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                return Ok(());
            }
            b'x' => {
                // fastjson's \xHH escape (a Latin-1 code point).
                let v = self.hex(2)?;
                let ch = char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                return Ok(());
            }
            // Unknown escapes keep the character, as lenient parsers do.
            other => other,
        };
        buf.push(simple);
        Ok(())
    }

    fn hex(&mut self, digits: usize) -> Result<u32, JsonError> {
        let end = self.pos + digits;
        let Some(bytes) = self.input.get(self.pos..end) else {
            return Err(self.err("truncated hex escape"));
        };
        let mut v = 0u32;
        for &b in bytes {
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.err("bad hex digit in escape"))?;
            v = v * 16 + d;
        }
        self.pos = end;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex(4)?;
        if (0xD800..0xDC00).contains(&first) {
            // A high surrogate: combine with a following low surrogate escape if there is one.
            if self.input.get(self.pos..self.pos + 2) == Some(b"\\u") {
                let save = self.pos;
                self.pos += 2;
                let second = self.hex(4)?;
                if (0xDC00..0xE000).contains(&second) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                self.pos = save;
            }
            return Ok(char::REPLACEMENT_CHARACTER);
        }
        Ok(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn standard_json() {
        let v = parse(br#" {"a":[1,-2,3.5,true,false,null],"b":{"c":"d\n\u00e9"}} "#).unwrap();
        assert_eq!(
            v,
            json!({"a":[1,-2,3.5,true,false,null],"b":{"c":"d\n\u{e9}"}})
        );
    }

    #[test]
    fn bare_integer_keys_become_strings() {
        let v = parse(br#"{0:"10.0.0.1:10911",1:"10.0.0.2:10911",-1:"x",007:"y"}"#).unwrap();
        assert_eq!(
            v,
            json!({"0":"10.0.0.1:10911","1":"10.0.0.2:10911","-1":"x","7":"y"})
        );
    }

    #[test]
    fn bare_object_keys_become_canonical_text() {
        let v = parse(br#"{{"topic":"T","queueId":0,"brokerName":"b"}:42}"#).unwrap();
        let (k, val) = v.as_object().unwrap().iter().next().unwrap();
        assert_eq!(k, r#"{"brokerName":"b","queueId":0,"topic":"T"}"#);
        assert_eq!(val, &json!(42));
    }

    #[test]
    fn single_quotes_identifier_keys_trailing_commas() {
        let v = parse(b"{name:'it''s',\"list\":[1,2,],}").unwrap_err();
        assert!(matches!(v, JsonError::Syntax { .. }));
        let v = parse(b"{name:'it\\'s',\"list\":[1,2,],}").unwrap();
        assert_eq!(v, json!({"name":"it's","list":[1,2]}));
    }

    #[test]
    fn surrogate_pairs_and_lone_surrogates() {
        assert_eq!(parse(br#""\ud83d\ude00""#).unwrap(), json!("\u{1F600}"));
        assert_eq!(parse(br#""\ud83dx""#).unwrap(), json!("\u{FFFD}x"));
    }

    #[test]
    fn big_numbers() {
        assert_eq!(parse(b"18446744073709551615").unwrap(), json!(u64::MAX));
        assert!(parse(b"1e999").is_err());
        assert!(parse(b"-").is_err());
        assert!(parse(b"1.2.3").is_err());
    }

    #[test]
    fn rejects_garbage_and_trailing_data() {
        for bad in [
            &b""[..],
            b"{",
            b"[1 2]",
            b"{\"a\" 1}",
            b"\"abc",
            b"{} x",
            b"tru",
            b"{:1}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn depth_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(JsonError::TooDeep { .. })
        ));
        let deep_keys = "{".repeat(100_000);
        assert!(matches!(
            parse(deep_keys.as_bytes()),
            Err(JsonError::TooDeep { .. })
        ));
    }
}
