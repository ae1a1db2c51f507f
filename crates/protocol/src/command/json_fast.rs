//! A single-pass reader for the JSON header in the shape peers actually write (spec §2.1): one object of
//! integer, string and null fields, `extFields` an object of string (or null) values. It builds the fields
//! directly, without serde's visitor layers. Anything outside that shape (numbers with fractions or exponents,
//! booleans, arrays, nested objects, numbers as strings, lone surrogate escapes, malformed input) makes it give up
//! with `None`, and the caller reads the header again with the general, tolerant reader, which also produces the
//! error message for malformed input. So on every input it either agrees with the general reader or declines.

use super::{ExtFields, HeaderFields};
use crate::codes::LanguageCode;

pub(super) fn read(header: &[u8]) -> Option<HeaderFields> {
    let mut r = Reader { b: header, pos: 0 };
    let mut h = HeaderFields {
        code: 0,
        language: LanguageCode::Other,
        version: 0,
        opaque: 0,
        flag: 0,
        remark: None,
        ext_fields: ExtFields::new(),
    };
    r.expect(b'{')?;
    if !r.eat(b'}') {
        loop {
            let key = r.string()?;
            r.expect(b':')?;
            match key.as_str() {
                "code" => h.code = r.int_or_null()?,
                "version" => h.version = r.int_or_null()?,
                "opaque" => h.opaque = r.int_or_null()?,
                "flag" => h.flag = r.int_or_null()?,
                "language" => {
                    h.language = match r.string_or_null()? {
                        Some(name) => LanguageCode::from_name(&name),
                        None => LanguageCode::Other,
                    }
                }
                "remark" => h.remark = r.string_or_null()?,
                "extFields" => h.ext_fields = r.ext_or_null()?,
                // Unknown fields (serializeTypeCurrentRPC among them): skipped if they are simple.
                _ => {
                    if r.peek()? == b'"' {
                        r.string()?;
                    } else {
                        r.int_or_null()?;
                    }
                }
            }
            if !r.next_member()? {
                break;
            }
        }
    }
    r.skip_ws();
    (r.pos == r.b.len()).then_some(h)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.b.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// After an object member: `,` → another member follows, `}` → the object ended.
    fn next_member(&mut self) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(true)
            }
            b'}' => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    fn null(&mut self) -> Option<()> {
        if self.b[self.pos..].starts_with(b"null") {
            self.pos += 4;
            Some(())
        } else {
            None
        }
    }

    /// An integer in i32 range written as JSON (`-?(0|[1-9][0-9]*)`), or null (0, Java's primitive default).
    fn int_or_null(&mut self) -> Option<i32> {
        if self.peek()? == b'n' {
            return self.null().map(|()| 0);
        }
        let neg = self.b[self.pos] == b'-';
        if neg {
            self.pos += 1;
        }
        let start = self.pos;
        let mut v: i64 = 0;
        while let Some(&d) = self.b.get(self.pos) {
            if !d.is_ascii_digit() {
                break;
            }
            v = v * 10 + i64::from(d - b'0');
            if v > 1 << 31 {
                return None;
            }
            self.pos += 1;
        }
        let digits = self.pos - start;
        if digits == 0 || (digits > 1 && self.b[start] == b'0') {
            return None;
        }
        // A fraction or exponent: the general reader decides.
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.pos) {
            return None;
        }
        i32::try_from(if neg { -v } else { v }).ok()
    }

    fn string_or_null(&mut self) -> Option<Option<String>> {
        if self.peek()? == b'n' {
            self.null().map(|()| None)
        } else {
            self.string().map(Some)
        }
    }

    fn ext_or_null(&mut self) -> Option<ExtFields> {
        if self.peek()? == b'n' {
            return self.null().map(|()| ExtFields::new());
        }
        self.expect(b'{')?;
        let mut ext = ExtFields::with_capacity(8);
        if self.eat(b'}') {
            return Some(ext);
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            if let Some(value) = self.string_or_null()? {
                ext.insert(key, value);
            }
            if !self.next_member()? {
                return Some(ext);
            }
        }
    }

    /// A JSON string literal (after optional whitespace), unescaped. Declines raw control characters and
    /// surrogate escapes (pairs are rare in headers; the general reader handles them).
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        let mut out = Vec::new();
        let mut run = self.pos;
        loop {
            let &c = self.b.get(self.pos)?;
            match c {
                b'"' => {
                    out.extend_from_slice(&self.b[run..self.pos]);
                    self.pos += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    out.extend_from_slice(&self.b[run..self.pos]);
                    let &e = self.b.get(self.pos + 1)?;
                    self.pos += 2;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0C),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = self.b.get(self.pos..self.pos + 4)?;
                            let code =
                                u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            // from_str_radix accepts a leading '+', JSON does not.
                            if hex[0] == b'+' {
                                return None;
                            }
                            let ch = char::from_u32(code)?; // None for surrogates
                            let mut tmp = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                            self.pos += 4;
                        }
                        _ => return None,
                    }
                    run = self.pos;
                }
                0x00..=0x1F => return None,
                _ => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(h: &[u8]) -> Option<HeaderFields> {
        super::super::json_header::read_general(h).ok()
    }

    #[test]
    fn reads_the_usual_shape() {
        let h = br#"{"code":310,"extFields":{"a":"g","b":"T\u0001x\u0002","e":"3","n":null},"flag":0,"language":"JAVA","opaque":-5,"remark":"r\"\\\/\b\f\n\r\t\u00fc","serializeTypeCurrentRPC":"JSON","version":479}"#;
        let f = read(h).unwrap();
        assert_eq!((f.code, f.flag, f.opaque, f.version), (310, 0, -5, 479));
        assert_eq!(f.language, LanguageCode::Java);
        assert_eq!(f.remark.as_deref(), Some("r\"\\/\u{8}\u{c}\n\r\tü"));
        assert_eq!(
            f.ext_fields.get("b").map(String::as_str),
            Some("T\u{1}x\u{2}")
        );
        assert!(!f.ext_fields.contains_key("n"));
        assert_eq!(Some(f), general(h));
    }

    #[test]
    fn declines_what_it_does_not_handle() {
        for h in [
            &br#"{"code":1.0}"#[..],
            br#"{"code":"1"}"#,
            br#"{"code":01}"#,
            br#"{"code":-}"#,
            br#"{"code":2147483648}"#,
            br#"{"code":1e2}"#,
            br#"{"x":true}"#,
            br#"{"x":[1]}"#,
            br#"{"extFields":{"a":1}}"#,
            br#"{"extFields":1}"#,
            br#"{"remark":"\ud83d\ude00"}"#,
            br#"{"remark":"\u+041"}"#,
            br#"{"remark":"a\qb"}"#,
            b"{\"remark\":\"a\x01\"}",
            b"{\"remark\":\"\xff\"}",
            br#"{"code":1,}"#,
            br#"{"code":1} x"#,
            br#"{"code":nul}"#,
            b"{",
            b"",
            b"[]",
        ] {
            assert_eq!(read(h), None, "{:?}", String::from_utf8_lossy(h));
        }
    }

    #[test]
    fn agrees_with_the_general_reader() {
        for h in [
            &b" { } "[..],
            br#"{"code":0,"extFields":null,"remark":null,"language":null}"#,
            br#"{ "code" : -2147483648 , "flag":null, "unknown":"s", "other":7, "extFields":{} }"#,
            br#"{"code":1,"code":2,"extFields":{"k":"a"},"extFields":{"k":"b","k":"c"}}"#,
            br#"{"language":"NOPE","version":-0}"#,
        ] {
            let fast = read(h);
            assert!(fast.is_some(), "{:?}", String::from_utf8_lossy(h));
            assert_eq!(fast, general(h), "{:?}", String::from_utf8_lossy(h));
        }
    }
}
