//! The ROCKETMQ binary header (serialize type 1, spec §2.2).
//!
//! `code` i16 · language u8 · `version` i16 · `opaque` i32 · `flag` i32 · remarkLen i32 + remark ·
//! extLen i32 + entries (keyLen i16, key, valueLen i32, value). Quirks kept: a zero-length string reads back as
//! absent, so an empty remark or ext value disappears; code and version are 16-bit.

use bytes::{BufMut, BytesMut};

use super::{ExtFields, HeaderFields, RemotingCommand};
use crate::codes::LanguageCode;
use crate::error::ProtocolError;

const FIXED_LEN: usize = 17;

/// Whether `code` and `version` survive the 16-bit fields of this format.
pub(super) fn fits(code: i32, version: i32) -> bool {
    i16::try_from(code).is_ok() && i16::try_from(version).is_ok()
}

/// Callers check [`fits`] first; values outside i16 would be truncated as Java's `writeShort` does.
pub(super) fn write(cmd: &RemotingCommand, dst: &mut BytesMut) {
    dst.put_i16(cmd.code as i16);
    dst.put_u8(cmd.language.code());
    dst.put_i16(cmd.version as i16);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    match &cmd.remark {
        Some(r) => {
            dst.put_i32(r.len() as i32);
            dst.put_slice(r.as_bytes());
        }
        None => dst.put_i32(0),
    }
    let len_pos = dst.len();
    dst.put_i32(0); // extLen, patched below
    for (k, v) in &cmd.ext_fields {
        // A key longer than an i16 length cannot be represented; no real header has one.
        let Ok(key_len) = i16::try_from(k.len()) else {
            continue;
        };
        dst.put_i16(key_len);
        dst.put_slice(k.as_bytes());
        dst.put_i32(v.len() as i32);
        dst.put_slice(v.as_bytes());
    }
    let ext_len = (dst.len() - len_pos - 4) as i32;
    dst[len_pos..len_pos + 4].copy_from_slice(&ext_len.to_be_bytes());
}

pub(super) fn read(header: &[u8]) -> Result<HeaderFields, ProtocolError> {
    let mut r = Reader {
        buf: header,
        pos: 0,
    };
    if header.len() < FIXED_LEN + 4 {
        return Err(bad(format!(
            "{} bytes is shorter than the fixed part",
            header.len()
        )));
    }
    let code = r.i16()? as i32;
    let language = LanguageCode::from_code(r.u8()?);
    let version = r.i16()? as i32;
    let opaque = r.i32()?;
    let flag = r.i32()?;
    let remark_len = r.i32()?;
    // Java reads a remark only for a positive length.
    let remark = if remark_len > 0 {
        r.string(remark_len as usize, "remark")?
    } else {
        None
    };
    let ext_len = r.i32()?;
    let mut ext_fields = ExtFields::new();
    if ext_len > 0 {
        let area = r.take(ext_len as usize, "ext map")?;
        ext_fields.reserve(16, area.len());
        let mut m = Reader { buf: area, pos: 0 };
        while m.pos < area.len() {
            let key_len = m.i16()?;
            if key_len < 0 {
                return Err(bad(format!("negative ext key length {key_len}")));
            }
            let key = m.take(key_len as usize, "ext key")?;
            let value_len = m.i32()?;
            if value_len < 0 {
                return Err(bad(format!("negative ext value length {value_len}")));
            }
            let value = m.take(value_len as usize, "ext value")?;
            // Empty strings read as null in Java; a null key or value is no usable field. Invalid UTF-8 is
            // replaced, as Java's `new String(bytes, UTF_8)` does.
            if !key.is_empty() && !value.is_empty() {
                ext_fields.insert(String::from_utf8_lossy(key), String::from_utf8_lossy(value));
            }
        }
    }
    Ok(HeaderFields {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
    })
}

fn bad(msg: String) -> ProtocolError {
    ProtocolError::BadBinaryHeader(msg)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ProtocolError> {
        let rest = &self.buf[self.pos..];
        if n > rest.len() {
            return Err(bad(format!(
                "{what} of {n} bytes overruns the header ({} left)",
                rest.len()
            )));
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        let s = self.take(N, "field")?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.array::<1>()?[0])
    }

    fn i16(&mut self) -> Result<i16, ProtocolError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, ProtocolError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// Zero length reads as `None`; invalid UTF-8 is replaced, as Java's `new String(bytes, UTF_8)` does.
    fn string(&mut self, n: usize, what: &str) -> Result<Option<String>, ProtocolError> {
        let bytes = self.take(n, what)?;
        Ok((n > 0).then(|| String::from_utf8_lossy(bytes).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header built by hand from the §2.2 table.
    fn hand_built() -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&310i16.to_be_bytes()); // code
        h.push(1); // language CPP
        h.extend_from_slice(&401i16.to_be_bytes()); // version
        h.extend_from_slice(&77i32.to_be_bytes()); // opaque
        h.extend_from_slice(&2i32.to_be_bytes()); // flag oneway
        h.extend_from_slice(&2i32.to_be_bytes());
        h.extend_from_slice(b"hi");
        let mut map = Vec::new();
        for (k, v) in [("a", "PG"), ("d", "4"), ("e", "")] {
            map.extend_from_slice(&(k.len() as i16).to_be_bytes());
            map.extend_from_slice(k.as_bytes());
            map.extend_from_slice(&(v.len() as i32).to_be_bytes());
            map.extend_from_slice(v.as_bytes());
        }
        h.extend_from_slice(&(map.len() as i32).to_be_bytes());
        h.extend_from_slice(&map);
        h
    }

    #[test]
    fn reads_hand_built_header() {
        let f = read(&hand_built()).unwrap();
        assert_eq!((f.code, f.version, f.opaque, f.flag), (310, 401, 77, 2));
        assert_eq!(f.language, LanguageCode::Cpp);
        assert_eq!(f.remark.as_deref(), Some("hi"));
        assert_eq!(f.ext_fields.len(), 2, "empty value reads as absent");
        assert_eq!(&f.ext_fields["a"], "PG");
        assert_eq!(&f.ext_fields["d"], "4");
    }

    #[test]
    fn writes_the_same_layout() {
        let mut cmd = RemotingCommand::new_request(310)
            .with_language(LanguageCode::Cpp)
            .with_version(401)
            .with_opaque(77)
            .with_remark("hi")
            .with_ext("a", "PG");
        cmd.mark_oneway();
        let mut buf = BytesMut::new();
        write(&cmd, &mut buf);
        let mut expected = hand_built();
        // Same header with only the first ext entry: 2 + 1 + 4 + 2 = 9 bytes of map.
        expected.truncate(FIXED_LEN + 2);
        expected.extend_from_slice(&9i32.to_be_bytes());
        expected.extend_from_slice(&[0, 1, b'a', 0, 0, 0, 2, b'P', b'G']);
        assert_eq!(&buf[..], &expected[..]);
    }

    #[test]
    fn empty_remark_reads_as_absent() {
        let cmd = RemotingCommand::new_response(0, Some(String::new()));
        let mut buf = BytesMut::new();
        write(&cmd, &mut buf);
        assert_eq!(read(&buf).unwrap().remark, None);
    }

    #[test]
    fn broken_headers_are_errors() {
        let good = hand_built();
        for cut in 0..good.len() {
            // Cutting inside the map area or before it must fail, never panic.
            assert!(read(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut neg = good.clone();
        neg[FIXED_LEN + 2 + 4] = 0xFF; // key length of the first entry negative
        assert!(read(&neg).is_err());
        let mut long_remark = good;
        long_remark[13..17].copy_from_slice(&1000i32.to_be_bytes());
        assert!(read(&long_remark).is_err());
    }
}
