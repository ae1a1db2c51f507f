//! Batch message body of SEND_BATCH_MESSAGE (remoting-protocol.md §11): per message
//! `TOTALSIZE i32 | MAGIC i32 (0) | BODYCRC i32 (0) | FLAG i32 | body len i32 + body | props len i16 + props`.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::MessageError;
use super::properties::{self, PropertyMap, MAX_PROPERTIES_LEN};
use super::{be, need};

/// Fixed bytes of one batch entry besides body and properties.
const ENTRY_OVERHEAD: usize = 4 + 4 + 4 + 4 + 4 + 2;

/// One message of a batch, owned. `properties` is the encoded §9 string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchItem {
    pub flag: i32,
    pub body: Bytes,
    pub properties: String,
}

impl BatchItem {
    pub fn new(flag: i32, body: impl Into<Bytes>, properties: impl Into<String>) -> Self {
        BatchItem {
            flag,
            body: body.into(),
            properties: properties.into(),
        }
    }

    /// An item whose properties come from a map (encoded in sorted order).
    pub fn with_map(flag: i32, body: impl Into<Bytes>, props: &PropertyMap) -> Self {
        Self::new(flag, body, properties::encode(props))
    }

    /// The properties decoded into a map.
    pub fn properties_map(&self) -> PropertyMap {
        properties::decode(&self.properties)
    }

    pub fn property(&self, name: &str) -> Option<&str> {
        properties::get(&self.properties, name)
    }

    fn encoded_len(&self) -> usize {
        ENTRY_OVERHEAD + self.body.len() + self.properties.len()
    }
}

/// One message of a batch, borrowed from the batch body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchItemView<'a> {
    pub flag: i32,
    pub body: &'a [u8],
    pub properties: &'a str,
    /// This entry's bytes within the batch body.
    pub bytes: &'a [u8],
}

impl<'a> BatchItemView<'a> {
    /// Parses the entry at the start of `buf`; TOTALSIZE must equal the entry's fields exactly.
    pub fn parse(buf: &'a [u8]) -> Result<Self, MessageError> {
        need(buf, 0, 4, "batch entry size")?;
        let total_size = be::i32_at(buf, 0);
        let total = usize::try_from(total_size).map_err(|_| MessageError::NegativeLength {
            what: "batch entry",
            len: i64::from(total_size),
        })?;
        need(buf, 0, total, "batch entry")?;
        let e = &buf[..total];
        let mismatch = |actual: usize| MessageError::SizeMismatch {
            what: "batch entry",
            declared: i64::from(total_size),
            actual: i64::try_from(actual).unwrap_or(i64::MAX),
        };
        // TOTALSIZE, MAGIC, BODYCRC are ignored beyond the size (the broker recomputes the CRC).
        if total < 20 {
            return Err(mismatch(20));
        }
        let flag = be::i32_at(e, 12);
        let body_len = be::i32_at(e, 16);
        let body_len = usize::try_from(body_len).map_err(|_| MessageError::NegativeLength {
            what: "batch body",
            len: i64::from(body_len),
        })?;
        let props_len_at = 20usize.saturating_add(body_len);
        if props_len_at.saturating_add(2) > total {
            return Err(mismatch(props_len_at.saturating_add(2)));
        }
        let props_len = be::i16_at(e, props_len_at);
        let props_len = usize::try_from(props_len).map_err(|_| MessageError::NegativeLength {
            what: "batch properties",
            len: i64::from(props_len),
        })?;
        let end = props_len_at + 2 + props_len;
        if end != total {
            return Err(mismatch(end));
        }
        let properties = std::str::from_utf8(&e[props_len_at + 2..end]).map_err(|_| {
            MessageError::InvalidUtf8 {
                what: "batch properties",
            }
        })?;
        Ok(BatchItemView {
            flag,
            body: &e[20..props_len_at],
            properties,
            bytes: e,
        })
    }

    pub fn property(&self, name: &str) -> Option<&'a str> {
        properties::get(self.properties, name)
    }
}

/// Iterates the entries of a batch body without copying. After the first error it yields that error and ends.
pub fn iter_batch(buf: &[u8]) -> BatchIter<'_> {
    BatchIter { buf, failed: false }
}

/// Iterator of [`iter_batch`].
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    buf: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<BatchItemView<'a>, MessageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        match BatchItemView::parse(self.buf) {
            Ok(v) => {
                self.buf = &self.buf[v.bytes.len()..];
                Some(Ok(v))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Decodes a batch body, copying each body.
pub fn decode_batch(buf: &[u8]) -> Result<Vec<BatchItem>, MessageError> {
    iter_batch(buf)
        .map(|r| {
            r.map(|v| BatchItem {
                flag: v.flag,
                body: Bytes::copy_from_slice(v.body),
                properties: v.properties.to_owned(),
            })
        })
        .collect()
}

/// Decodes a batch body; bodies are slices of `buf` (no copy).
pub fn decode_batch_shared(buf: &Bytes) -> Result<Vec<BatchItem>, MessageError> {
    iter_batch(buf)
        .map(|r| {
            r.map(|v| BatchItem {
                flag: v.flag,
                body: buf.slice_ref(v.body),
                properties: v.properties.to_owned(),
            })
        })
        .collect()
}

/// Encodes a batch body (MAGIC and BODYCRC written as 0, as the Java client does). Fails if an item's properties
/// exceed 32767 bytes or an entry exceeds i32::MAX bytes.
pub fn encode_batch(items: &[BatchItem]) -> Result<Bytes, MessageError> {
    let mut total = 0usize;
    for it in items {
        properties::check_len(&it.properties)?;
        let len = it.encoded_len();
        if len > i32::MAX as usize {
            return Err(MessageError::TooLong {
                what: "batch entry",
                len,
                max: i32::MAX as usize,
            });
        }
        total = total.saturating_add(len);
    }
    let mut out = BytesMut::with_capacity(total);
    for it in items {
        // Lengths checked above.
        debug_assert!(it.properties.len() <= MAX_PROPERTIES_LEN);
        out.put_i32(it.encoded_len() as i32);
        out.put_i32(0);
        out.put_i32(0);
        out.put_i32(it.flag);
        out.put_i32(it.body.len() as i32);
        out.put_slice(&it.body);
        out.put_i16(it.properties.len() as i16);
        out.put_slice(it.properties.as_bytes());
    }
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_of_one_entry() {
        let b = encode_batch(&[BatchItem::new(5, &b"hi"[..], "A\u{1}1\u{2}")]).unwrap();
        let expected: Vec<u8> = [
            &28i32.to_be_bytes()[..],
            &[0; 8],
            &5i32.to_be_bytes(),
            &2i32.to_be_bytes(),
            b"hi",
            &4i16.to_be_bytes(),
            b"A\x011\x02",
        ]
        .concat();
        assert_eq!(&b[..], &expected[..]);
    }

    #[test]
    fn round_trip_shared_and_copied() {
        let items = vec![
            BatchItem::new(0, &b""[..], ""),
            BatchItem::new(
                -1,
                vec![1u8; 300],
                "UNIQ_KEY\u{1}ABC\u{2}WAIT\u{1}true\u{2}",
            ),
        ];
        let b = encode_batch(&items).unwrap();
        assert_eq!(decode_batch(&b).unwrap(), items);
        let shared = decode_batch_shared(&b).unwrap();
        assert_eq!(shared, items);
        assert_eq!(shared[1].property("UNIQ_KEY"), Some("ABC"));
        assert!(decode_batch(&[]).unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_entries() {
        let b = encode_batch(&[BatchItem::new(0, &b"abc"[..], "")]).unwrap();
        let mut v = b.to_vec();
        v[..4].copy_from_slice(&100i32.to_be_bytes());
        assert!(matches!(
            decode_batch(&v),
            Err(MessageError::Truncated { .. })
        ));
        let mut v = b.to_vec();
        v.push(0);
        v[..4].copy_from_slice(&(b.len() as i32 + 1).to_be_bytes());
        assert!(matches!(
            decode_batch(&v),
            Err(MessageError::SizeMismatch { .. })
        ));
        let mut v = b.to_vec();
        v[16..20].copy_from_slice(&(-3i32).to_be_bytes());
        assert!(matches!(
            decode_batch(&v),
            Err(MessageError::NegativeLength { .. })
        ));
        let big = BatchItem::new(0, &b""[..], "x".repeat(MAX_PROPERTIES_LEN + 1));
        assert!(encode_batch(&[big]).is_err());
    }
}
