//! A single-pass reader for the JSON header in the shape peers actually write (spec §2.1): one object of
//! integer, string and null fields, `extFields` an object of string (or null) values. It builds the fields
//! directly, without serde's visitor layers. Anything outside that shape (numbers with fractions or exponents,
//! booleans, arrays, nested objects, numbers as strings, lone surrogate escapes, malformed input) makes it give up
//! with `None`, and the caller reads the header again with the general, tolerant reader, which also produces the
//! error message for malformed input. So on every input it either agrees with the general reader or declines.

use std::borrow::Cow;

use super::{ExtFields, HeaderFields};
use crate::codes::LanguageCode;

pub(super) fn read(header: &[u8]) -> Option<HeaderFields> {
    // Valid UTF-8 as a whole means every string in it is too (strings start and end at ASCII quotes), so strings
    // are sliced without checking each. Invalid UTF-8 is for the general reader to report.
    let text = std::str::from_utf8(header).ok()?;
    let mut r = Reader {
        s: text,
        b: header,
        pos: 0,
    };
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
            match &*key {
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
                "remark" => h.remark = r.string_or_null()?.map(Cow::into_owned),
                "extFields" => r.ext_or_null(&mut h.ext_fields)?,
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
    /// The header, as text and as bytes.
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
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

    fn string_or_null(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.peek()? == b'n' {
            self.null().map(|()| None)
        } else {
            self.string().map(Some)
        }
    }

    /// `extFields` (an object of string or null values, or null) into `ext`: keys and values are unescaped
    /// straight into its text buffer, sized once for the rest of the header (the unescaped text is never longer).
    fn ext_or_null(&mut self, ext: &mut ExtFields) -> Option<()> {
        if self.peek()? == b'n' {
            ext.clear();
            return self.null();
        }
        self.expect(b'{')?;
        ext.clear();
        ext.reserve(16, self.b.len() - self.pos);
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key_start = ext.text_mut().len();
            let key = self.string()?;
            ext.text_mut().push_str(&key);
            let key_end = ext.text_mut().len();
            self.expect(b':')?;
            match self.string_or_null()? {
                Some(value) => {
                    ext.text_mut().push_str(&value);
                    ext.commit(key_start, key_end);
                }
                None => ext.truncate_text(key_start),
            }
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    /// A JSON string literal (after optional whitespace), unescaped: borrowed from the header when it has no
    /// escapes. Declines raw control characters and surrogate escapes (pairs are rare in headers; the general
    /// reader handles them).
    fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        // The common case: no escape before the closing quote.
        self.pos += super::json_scan::find_special(&self.b[self.pos..]);
        match *self.b.get(self.pos)? {
            b'"' => {
                self.pos += 1;
                // Both ends are at ASCII bytes, so this is a whole UTF-8 slice.
                return self.s.get(start..self.pos - 1).map(Cow::Borrowed);
            }
            b'\\' => {}
            _ => return None,
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(self.s.get(start..self.pos)?);
        loop {
            // At a backslash.
            let &e = self.b.get(self.pos + 1)?;
            self.pos += 2;
            match e {
                b'"' | b'\\' | b'/' => out.push(e as char),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hex = self.b.get(self.pos..self.pos + 4)?;
                    // from_str_radix accepts a leading '+', JSON does not.
                    if hex[0] == b'+' {
                        return None;
                    }
                    let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    out.push(char::from_u32(code)?); // None for surrogates
                    self.pos += 4;
                }
                _ => return None,
            }
            let run = self.pos;
            self.pos += super::json_scan::find_special(&self.b[self.pos..]);
            out.push_str(self.s.get(run..self.pos)?);
            match *self.b.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {}
                _ => return None,
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
        assert_eq!(f.ext_fields.get("b"), Some("T\u{1}x\u{2}"));
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
