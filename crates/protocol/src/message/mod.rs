//! The message record (commit log and pull/query bodies), its properties string, batch bodies, message ids,
//! sysFlag bits, tag hash codes and body compression (remoting-protocol.md §9–§13, storage-format.md §3).
//!
//! Everything here is pure byte work: no sockets, no files. Decoders never panic on arbitrary input; they return
//! [`MessageError`].

pub mod batch;
pub mod compression;
pub mod error;
pub mod msg_id;
pub mod properties;
pub mod record;
pub mod sysflag;
pub mod tag;

pub use batch::{
    decode_batch, decode_batch_shared, encode_batch, iter_batch, BatchItem, BatchItemView,
};
pub use compression::CompressionType;
pub use error::MessageError;
pub use msg_id::{
    create_offset_msg_id, decode_offset_msg_id, decode_uniq_key, next_uniq_key, UniqKeyGenerator,
};
pub use properties::PropertyMap;
pub use record::{MessageExt, RecordBuilder, RecordView, BLANK_MAGIC, MAGIC_V1, MAGIC_V2};
pub use tag::java_string_hash;

/// Big-endian reads over a slice that the caller has already bounds-checked.
///
/// Decoders first check lengths with [`need`] and then read with these; a wrong check is a bug that panics in
/// debug and release alike rather than reading garbage.
pub(crate) mod be {
    #[inline(always)]
    pub fn i16_at(b: &[u8], at: usize) -> i16 {
        let mut a = [0u8; 2];
        a.copy_from_slice(&b[at..at + 2]);
        i16::from_be_bytes(a)
    }
    #[inline(always)]
    pub fn i32_at(b: &[u8], at: usize) -> i32 {
        let mut a = [0u8; 4];
        a.copy_from_slice(&b[at..at + 4]);
        i32::from_be_bytes(a)
    }
    #[inline(always)]
    pub fn i64_at(b: &[u8], at: usize) -> i64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        i64::from_be_bytes(a)
    }
}

/// Fails with [`MessageError::Truncated`] unless `buf[at..at + n]` exists.
pub(crate) fn need(
    buf: &[u8],
    at: usize,
    n: usize,
    what: &'static str,
) -> Result<(), MessageError> {
    match at.checked_add(n) {
        Some(end) if end <= buf.len() => Ok(()),
        _ => Err(MessageError::Truncated {
            what,
            need: at.saturating_add(n),
            have: buf.len(),
        }),
    }
}

/// Uppercase hex of `bytes` appended to `out` (the id format of §13).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0F)] as char);
    }
}

/// Decodes hex (either case) into `out`; `None` on an odd length or a non-hex digit.
pub(crate) fn parse_hex(s: &str, out: &mut [u8]) -> Option<()> {
    let s = s.as_bytes();
    if s.len() != out.len() * 2 {
        return None;
    }
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nibble(s[2 * i])? << 4) | nibble(s[2 * i + 1])?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_bad_digits() {
        let mut s = String::new();
        push_hex(&mut s, &[0x00, 0xAB, 0x7f, 0xff]);
        assert_eq!(s, "00AB7FFF");
        let mut out = [0u8; 4];
        parse_hex("00ab7fFF", &mut out).unwrap();
        assert_eq!(out, [0x00, 0xAB, 0x7f, 0xff]);
        assert!(parse_hex("00AB7FFG", &mut out).is_none());
        assert!(parse_hex("00AB7F", &mut out).is_none());
    }

    #[test]
    fn need_reports_overflow_instead_of_panicking() {
        assert!(need(&[0; 4], 0, 4, "x").is_ok());
        assert!(need(&[0; 4], 1, 4, "x").is_err());
        assert!(need(&[0; 4], usize::MAX, 2, "x").is_err());
    }
}
