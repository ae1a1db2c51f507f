//! Low-level text output shared by the writer and the canonical-key form: string escaping, numbers, base64.

use std::io::Write as _;

/// Writes `s` as a JSON string literal. With `ascii_only` every non-ASCII character becomes `\uXXXX`
/// (UTF-16 units), as fastjson's BrowserCompatible mode does.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str, ascii_only: bool) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if !short.is_empty() {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(short);
            i += 1;
            start = i;
        } else if b < 0x20 {
            out.extend_from_slice(&bytes[start..i]);
            push_u_escape(out, u16::from(b));
            i += 1;
            start = i;
        } else if b >= 0x80 && ascii_only {
            out.extend_from_slice(&bytes[start..i]);
            // `i` is always on a character boundary here: it only ever advances by whole characters
            // once it reaches a non-ASCII byte.
            let ch = s
                .get(i..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                push_u_escape(out, *unit);
            }
            i += ch.len_utf8().max(1);
            start = i;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[start.min(bytes.len())..]);
    out.push(b'"');
}

fn push_u_escape(out: &mut Vec<u8>, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xF)]);
    }
}

pub(crate) fn write_i128(out: &mut Vec<u8>, v: i128) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{v}");
}

pub(crate) fn write_u128(out: &mut Vec<u8>, v: u128) {
    let _ = write!(out, "{v}");
}

/// Writes a finite float so that it reads back as a float (always with '.' or an exponent).
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    // Debug prints the shortest text that parses back to the same f64, e.g. "0.0", "1.5", "1e21".
    let _ = write!(out, "{v:?}");
}

pub(crate) fn write_f32(out: &mut Vec<u8>, v: f32) {
    let _ = write!(out, "{v:?}");
}

/// Standard base64 with padding: how fastjson writes `byte[]`.
pub(crate) fn write_base64(out: &mut Vec<u8>, data: &[u8]) {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.push(b'"');
    for chunk in data.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        out.push(TABLE[(n >> 18) as usize & 63]);
        out.push(TABLE[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 {
            TABLE[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            TABLE[n as usize & 63]
        } else {
            b'='
        });
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes() {
        assert_eq!(
            s(|o| write_str(o, "a\"b\\c\n\u{1}é", false)),
            "\"a\\\"b\\\\c\\n\\u0001é\""
        );
        assert_eq!(
            s(|o| write_str(o, "é😀x", true)),
            "\"\\u00e9\\ud83d\\ude00x\""
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(s(|o| write_f64(o, 0.0)), "0.0");
        assert_eq!(s(|o| write_f64(o, 1.5)), "1.5");
        assert_eq!(s(|o| write_i128(o, -42)), "-42");
    }

    #[test]
    fn base64() {
        assert_eq!(s(|o| write_base64(o, b"")), "\"\"");
        assert_eq!(s(|o| write_base64(o, b"f")), "\"Zg==\"");
        assert_eq!(s(|o| write_base64(o, b"fo")), "\"Zm8=\"");
        assert_eq!(s(|o| write_base64(o, b"foobar")), "\"Zm9vYmFy\"");
    }
}
