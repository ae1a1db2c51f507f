//! The message record: one commit-log entry, byte for byte the same in PULL / QUERY / VIEW bodies
//! (storage-format.md §3, remoting-protocol.md §12).
//!
//! - [`RecordView`]: zero-copy, allocation-free parse of one record.
//! - [`MessageExt`]: owned decode (body shares the input `Bytes`), properties as a map.
//! - [`RecordBuilder`]: encoder that writes a record straight into a `BytesMut`; QUEUEOFFSET and PHYSICALOFFSET
//!   are left 0 and patched by the store with [`set_queue_offset`] / [`set_physical_offset`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use bytes::{BufMut, Bytes, BytesMut};

use super::compression::{self, MAX_DECOMPRESSED_LEN};
use super::error::MessageError;
use super::properties::{self, PropertyMap, MAX_PROPERTIES_LEN};
use super::sysflag::{self, TransactionType};
use super::{be, msg_id, need, tag};

/// Magic of a v1 record (one-byte topic length): 0xDAA320A7.
pub const MAGIC_V1: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic of a v2 record (i16 topic length): 0xDAA320AB.
pub const MAGIC_V2: i32 = 0xDAA3_20AB_u32 as i32;
/// Magic of the commit log's end-of-file blank record: 0xCBD43194.
pub const BLANK_MAGIC: i32 = 0xCBD4_3194_u32 as i32;
/// Size of the blank record (TOTALSIZE + magic); also the minimum gap a record must leave at the end of a file.
pub const BLANK_RECORD_LEN: usize = 8;
/// Longest topic a v1 record can carry (its length byte is read signed).
pub const MAX_V1_TOPIC_LEN: usize = i8::MAX as usize;
/// Longest topic the v2 format can carry (i16 length).
pub const MAX_TOPIC_LEN: usize = i16::MAX as usize;
/// Bytes reserved at the end of PROPERTIES for the whole-record CRC: `__CRC32#` `\x01` 10 digits `\x02`.
pub const RECORD_CRC_RESERVED_LEN: usize = 20;

/// Byte positions of record fields. Positions after BORNHOST depend on the host widths given by the sysFlag.
pub mod pos {
    use crate::message::sysflag;

    pub const TOTAL_SIZE: usize = 0;
    pub const MAGIC: usize = 4;
    pub const BODY_CRC: usize = 8;
    pub const QUEUE_ID: usize = 12;
    pub const FLAG: usize = 16;
    pub const QUEUE_OFFSET: usize = 20;
    pub const PHYSICAL_OFFSET: usize = 28;
    pub const SYS_FLAG: usize = 36;
    pub const BORN_TIMESTAMP: usize = 40;
    pub const BORN_HOST: usize = 48;
    /// An IPv4 host field: 4-byte address + i32 port.
    pub const IPV4_HOST_LEN: usize = 8;
    /// An IPv6 host field: 16-byte address + i32 port.
    pub const IPV6_HOST_LEN: usize = 20;

    pub const fn born_host_len(sys_flag: i32) -> usize {
        if sys_flag & sysflag::BORNHOST_V6 != 0 {
            IPV6_HOST_LEN
        } else {
            IPV4_HOST_LEN
        }
    }

    pub const fn store_host_len(sys_flag: i32) -> usize {
        if sys_flag & sysflag::STOREHOSTADDRESS_V6 != 0 {
            IPV6_HOST_LEN
        } else {
            IPV4_HOST_LEN
        }
    }

    pub const fn store_timestamp_pos(sys_flag: i32) -> usize {
        BORN_HOST + born_host_len(sys_flag)
    }

    pub const fn store_host_pos(sys_flag: i32) -> usize {
        store_timestamp_pos(sys_flag) + 8
    }

    pub const fn reconsume_times_pos(sys_flag: i32) -> usize {
        store_host_pos(sys_flag) + store_host_len(sys_flag)
    }

    pub const fn prepared_transaction_offset_pos(sys_flag: i32) -> usize {
        reconsume_times_pos(sys_flag) + 4
    }

    /// Position of the body length word (84 with IPv4 hosts); fields before it are fixed-size.
    pub const fn body_len_pos(sys_flag: i32) -> usize {
        prepared_transaction_offset_pos(sys_flag) + 8
    }
}

pub use pos::{store_host_pos, store_timestamp_pos};

/// Writes QUEUEOFFSET of an encoded record. Panics if `record` is shorter than the fixed header (caller bug: the
/// store patches records it encoded itself).
pub fn set_queue_offset(record: &mut [u8], v: i64) {
    record[pos::QUEUE_OFFSET..pos::QUEUE_OFFSET + 8].copy_from_slice(&v.to_be_bytes());
}

/// Writes PHYSICALOFFSET of an encoded record. Panics if `record` is shorter than the fixed header.
pub fn set_physical_offset(record: &mut [u8], v: i64) {
    record[pos::PHYSICAL_OFFSET..pos::PHYSICAL_OFFSET + 8].copy_from_slice(&v.to_be_bytes());
}

/// Writes STORETIMESTAMP of an encoded record (its position follows from the record's own sysFlag). Panics if
/// `record` is shorter than the fixed header.
pub fn set_store_timestamp(record: &mut [u8], v: i64) {
    let at = store_timestamp_pos(be::i32_at(record, pos::SYS_FLAG));
    record[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// BODYCRC of a body: CRC-32 (IEEE) masked to 31 bits.
pub fn body_crc(body: &[u8]) -> u32 {
    crc32fast::hash(body) & 0x7FFF_FFFF
}

const CRC_PLACEHOLDER_NAME: &[u8] = b"__CRC32#\x01";
/// The reserved CRC slot with digits still zero, preceded by the separator used when the properties lack one.
const CRC_SLOT_WITH_SEPARATOR: &[u8; RECORD_CRC_RESERVED_LEN + 1] =
    b"\x02__CRC32#\x010000000000\x02";

/// Fills the whole-record CRC slot (storage-format.md §3.2) of an encoded record built with
/// [`RecordBuilder::reserve_record_crc`]. Call it after the offsets and store timestamp are patched: the CRC
/// covers bytes `0 .. TOTALSIZE - 20`.
pub fn fill_record_crc(record: &mut [u8]) -> Result<(), MessageError> {
    let total = crc_slot_checked(record)?;
    let crc = body_crc(&record[..total - RECORD_CRC_RESERVED_LEN]);
    record[total - 11..total - 1].copy_from_slice(&crc_digits(crc));
    Ok(())
}

/// Checks that `record` starts with a plausible TOTALSIZE and ends in the reserved CRC slot; returns TOTALSIZE.
fn crc_slot_checked(record: &[u8]) -> Result<usize, MessageError> {
    need(record, 0, 4, "record header")?;
    let total = usize::try_from(be::i32_at(record, pos::TOTAL_SIZE))
        .map_err(|_| MessageError::RecordCrc("negative TOTALSIZE"))?;
    need(record, 0, total, "record")?;
    if total < RECORD_CRC_RESERVED_LEN {
        return Err(MessageError::RecordCrc("record shorter than the CRC slot"));
    }
    let slot = &record[total - RECORD_CRC_RESERVED_LEN..total];
    if &slot[..CRC_PLACEHOLDER_NAME.len()] != CRC_PLACEHOLDER_NAME || slot[19] != 0x02 {
        return Err(MessageError::RecordCrc(
            "no reserved __CRC32# slot at the end of the record",
        ));
    }
    Ok(total)
}

/// The CRC in decimal, least-significant digit first, right-padded with '0' (CRC 123 → `3210000000`).
fn crc_digits(mut crc: u32) -> [u8; 10] {
    let mut out = [b'0'; 10];
    for d in out.iter_mut() {
        *d = b'0' + (crc % 10) as u8;
        crc /= 10;
    }
    out
}

/// Inverse of [`crc_digits`]; `None` unless exactly 10 ASCII digits holding a value that fits u32.
fn parse_crc_digits(s: &[u8]) -> Option<u32> {
    if s.len() != 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s.iter().rev() {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    u32::try_from(v).ok()
}

fn read_host(rec: &[u8], at: usize, v6: bool) -> Result<SocketAddr, MessageError> {
    let port = |p: i32| u16::try_from(p).map_err(|_| MessageError::InvalidPort(p));
    if v6 {
        let mut ip = [0u8; 16];
        ip.copy_from_slice(&rec[at..at + 16]);
        let p = port(be::i32_at(rec, at + 16))?;
        Ok(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(ip),
            p,
            0,
            0,
        )))
    } else {
        let ip = Ipv4Addr::new(rec[at], rec[at + 1], rec[at + 2], rec[at + 3]);
        let p = port(be::i32_at(rec, at + 4))?;
        Ok(SocketAddr::V4(SocketAddrV4::new(ip, p)))
    }
}

/// The fixed fields of a record (up to the body length word), built on the stack.
struct Header {
    buf: [u8; pos::body_len_pos(sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6) + 4],
    len: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            buf: [0; pos::body_len_pos(sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6) + 4],
            len: 0,
        }
    }
}

impl Header {
    #[inline]
    fn put(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    #[inline]
    fn put_host(&mut self, addr: SocketAddr) {
        match addr {
            SocketAddr::V4(a) => self.put(&a.ip().octets()),
            SocketAddr::V6(a) => self.put(&a.ip().octets()),
        }
        self.put(&i32::from(addr.port()).to_be_bytes());
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// IPv4-mapped IPv6 addresses (what a dual-stack socket reports for IPv4 peers) become plain IPv4, as Java does.
pub fn canonical_host(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), a.port()),
            None => addr,
        },
        v4 => v4,
    }
}

/// A zero-copy view of one record. All fields are read and all lengths validated by [`RecordView::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// The whole record (`total_size` bytes).
    pub bytes: &'a [u8],
    pub total_size: i32,
    pub magic: i32,
    pub body_crc: u32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: &'a [u8],
    pub topic: &'a str,
    pub properties: &'a str,
}

impl<'a> RecordView<'a> {
    /// Parses the record at the start of `buf` (which may continue with more records). Validates the magic, every
    /// length (negative, past the buffer, past TOTALSIZE), that the fields add up to exactly TOTALSIZE, the host
    /// ports, and UTF-8 of topic and properties. The blank end-of-file record gives [`MessageError::BlankRecord`].
    /// The body CRC is not checked here (see [`RecordView::crc_ok`]).
    pub fn parse(buf: &'a [u8]) -> Result<Self, MessageError> {
        need(buf, 0, 8, "record header")?;
        let total_size = be::i32_at(buf, pos::TOTAL_SIZE);
        let magic = be::i32_at(buf, pos::MAGIC);
        let v2 = match magic {
            MAGIC_V1 => false,
            MAGIC_V2 => true,
            BLANK_MAGIC => return Err(MessageError::BlankRecord { total_size }),
            other => return Err(MessageError::BadMagic(other as u32)),
        };
        let total = usize::try_from(total_size).map_err(|_| MessageError::NegativeLength {
            what: "record",
            len: i64::from(total_size),
        })?;
        need(buf, 0, total, "record")?;
        let rec = &buf[..total];
        // A field running past TOTALSIZE means TOTALSIZE is inconsistent with the content.
        let fits = |at: usize, n: usize| -> Result<(), MessageError> {
            let end = at.saturating_add(n);
            if end <= total {
                Ok(())
            } else {
                Err(MessageError::SizeMismatch {
                    what: "record",
                    declared: i64::from(total_size),
                    actual: i64::try_from(end).unwrap_or(i64::MAX),
                })
            }
        };

        fits(pos::SYS_FLAG, 4)?;
        let sys_flag = be::i32_at(rec, pos::SYS_FLAG);
        let body_len_at = pos::body_len_pos(sys_flag);
        fits(body_len_at, 4)?;
        let body_len = be::i32_at(rec, body_len_at);
        let body_len = usize::try_from(body_len).map_err(|_| MessageError::NegativeLength {
            what: "body",
            len: i64::from(body_len),
        })?;
        let body_at = body_len_at + 4;
        fits(body_at, body_len)?;
        let mut at = body_at + body_len;

        let topic_len = if v2 {
            fits(at, 2)?;
            let n = be::i16_at(rec, at);
            at += 2;
            n
        } else {
            fits(at, 1)?;
            let n = i16::from(rec[at] as i8);
            at += 1;
            n
        };
        let topic_len = usize::try_from(topic_len).map_err(|_| MessageError::NegativeLength {
            what: "topic",
            len: i64::from(topic_len),
        })?;
        fits(at, topic_len)?;
        let topic_at = at;
        at += topic_len;

        fits(at, 2)?;
        let props_len = be::i16_at(rec, at);
        let props_len = usize::try_from(props_len).map_err(|_| MessageError::NegativeLength {
            what: "properties",
            len: i64::from(props_len),
        })?;
        at += 2;
        fits(at, props_len)?;
        let props_at = at;
        at += props_len;
        if at != total {
            return Err(MessageError::SizeMismatch {
                what: "record",
                declared: i64::from(total_size),
                actual: at as i64,
            });
        }

        let topic = std::str::from_utf8(&rec[topic_at..topic_at + topic_len])
            .map_err(|_| MessageError::InvalidUtf8 { what: "topic" })?;
        let properties = std::str::from_utf8(&rec[props_at..props_at + props_len])
            .map_err(|_| MessageError::InvalidUtf8 { what: "properties" })?;
        let born_host = read_host(rec, pos::BORN_HOST, sysflag::is_born_host_v6(sys_flag))?;
        let store_host = read_host(
            rec,
            pos::store_host_pos(sys_flag),
            sysflag::is_store_host_v6(sys_flag),
        )?;

        Ok(RecordView {
            bytes: rec,
            total_size,
            magic,
            body_crc: be::i32_at(rec, pos::BODY_CRC) as u32,
            queue_id: be::i32_at(rec, pos::QUEUE_ID),
            flag: be::i32_at(rec, pos::FLAG),
            queue_offset: be::i64_at(rec, pos::QUEUE_OFFSET),
            physical_offset: be::i64_at(rec, pos::PHYSICAL_OFFSET),
            sys_flag,
            born_timestamp: be::i64_at(rec, pos::BORN_TIMESTAMP),
            born_host,
            store_timestamp: be::i64_at(rec, pos::store_timestamp_pos(sys_flag)),
            store_host,
            reconsume_times: be::i32_at(rec, pos::reconsume_times_pos(sys_flag)),
            prepared_transaction_offset: be::i64_at(
                rec,
                pos::prepared_transaction_offset_pos(sys_flag),
            ),
            body: &rec[body_at..body_at + body_len],
            topic,
            properties,
        })
    }

    /// Iterates over records laid back to back in `buf` (a pull body, or a commit-log range). After the first
    /// error the iterator yields that error and ends.
    pub fn iter(buf: &'a [u8]) -> Records<'a> {
        Records { buf, failed: false }
    }

    /// True for a v2 (i16 topic length) record.
    pub fn is_v2(&self) -> bool {
        self.magic == MAGIC_V2
    }

    /// A property value; with duplicate names the last one wins.
    pub fn property(&self, name: &str) -> Option<&'a str> {
        properties::get(self.properties, name)
    }

    pub fn tags(&self) -> Option<&'a str> {
        self.property(properties::TAGS)
    }

    /// The consume-queue tags code (Java hash of TAGS, 0 without tags).
    pub fn tags_code(&self) -> i64 {
        tag::tags_code(self.tags())
    }

    /// The individual keys of the KEYS property (space separated).
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        properties::split_keys(self.property(properties::KEYS).unwrap_or(""))
    }

    pub fn uniq_key(&self) -> Option<&'a str> {
        self.property(properties::UNIQ_KEY)
    }

    pub fn transaction_type(&self) -> TransactionType {
        TransactionType::from_sys_flag(self.sys_flag)
    }

    /// BODYCRC recomputed from the body.
    pub fn compute_body_crc(&self) -> u32 {
        body_crc(self.body)
    }

    /// Whether the stored BODYCRC matches the body.
    pub fn crc_ok(&self) -> bool {
        self.body_crc == self.compute_body_crc()
    }

    /// The server message id (store host + physical offset).
    pub fn offset_msg_id(&self) -> String {
        msg_id::create_offset_msg_id(self.store_host, self.physical_offset)
    }

    /// The whole-record CRC stored in the `__CRC32#` property, if the record carries a valid one.
    pub fn stored_record_crc(&self) -> Option<u32> {
        parse_crc_digits(self.property(properties::CRC32)?.as_bytes())
    }

    /// Checks the whole-record CRC (storage-format.md §3.2): `None` if the record has no `__CRC32#` slot at its
    /// end. The stored value is accepted masked to 31 bits (what this encoder writes) or unmasked.
    pub fn record_crc_ok(&self) -> Option<bool> {
        let total = crc_slot_checked(self.bytes).ok()?;
        let stored = parse_crc_digits(&self.bytes[total - 11..total - 1])?;
        let crc = crc32fast::hash(&self.bytes[..total - RECORD_CRC_RESERVED_LEN]);
        Some(stored == crc & 0x7FFF_FFFF || stored == crc)
    }
}

/// Iterator of [`RecordView::iter`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    buf: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<RecordView<'a>, MessageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        match RecordView::parse(self.buf) {
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

/// An owned message decoded from a record. The body shares the input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExt {
    pub total_size: i32,
    pub magic: i32,
    pub body_crc: u32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: Bytes,
    pub topic: String,
    pub properties: PropertyMap,
}

impl MessageExt {
    /// Builds an owned message from a view, with the given body (normally a slice of the view's buffer).
    pub fn from_view_with_body(v: &RecordView<'_>, body: Bytes) -> Self {
        MessageExt {
            total_size: v.total_size,
            magic: v.magic,
            body_crc: v.body_crc,
            queue_id: v.queue_id,
            flag: v.flag,
            queue_offset: v.queue_offset,
            physical_offset: v.physical_offset,
            sys_flag: v.sys_flag,
            born_timestamp: v.born_timestamp,
            born_host: v.born_host,
            store_timestamp: v.store_timestamp,
            store_host: v.store_host,
            reconsume_times: v.reconsume_times,
            prepared_transaction_offset: v.prepared_transaction_offset,
            body,
            topic: v.topic.to_owned(),
            properties: properties::decode(v.properties),
        }
    }

    /// Builds an owned message from a view, copying the body.
    pub fn from_view(v: &RecordView<'_>) -> Self {
        Self::from_view_with_body(v, Bytes::copy_from_slice(v.body))
    }

    /// Decodes the record at the start of `buf` (trailing bytes are ignored; `total_size` says how many were
    /// used). The body is a slice of `buf`, not a copy.
    pub fn decode(buf: &Bytes) -> Result<Self, MessageError> {
        let v = RecordView::parse(buf)?;
        Ok(Self::from_view_with_body(&v, buf.slice_ref(v.body)))
    }

    /// Decodes every record of a pull/query body (records back to back until the end). Bodies stay compressed.
    pub fn decode_all(buf: Bytes) -> Result<Vec<Self>, MessageError> {
        Self::decode_all_with(buf, false)
    }

    /// Like [`MessageExt::decode_all`]; with `decompress`, compressed bodies are inflated (capped at
    /// [`MAX_DECOMPRESSED_LEN`]) and the compression bits cleared, as a consumer does.
    pub fn decode_all_with(buf: Bytes, decompress: bool) -> Result<Vec<Self>, MessageError> {
        let mut out = Vec::new();
        for v in RecordView::iter(&buf) {
            let v = v?;
            let mut m = Self::from_view_with_body(&v, buf.slice_ref(v.body));
            if decompress {
                m.decompress_body(MAX_DECOMPRESSED_LEN)?;
            }
            out.push(m);
        }
        Ok(out)
    }

    /// Inflates a compressed body in place and clears the compression bits; `Ok(false)` if it was not
    /// compressed. `body_crc` keeps describing the stored (compressed) bytes.
    pub fn decompress_body(&mut self, limit: usize) -> Result<bool, MessageError> {
        match sysflag::compression_type(self.sys_flag)? {
            None => Ok(false),
            Some(ty) => {
                self.body = Bytes::from(compression::decompress(&self.body, ty, limit)?);
                self.sys_flag = sysflag::clear_compression(self.sys_flag);
                Ok(true)
            }
        }
    }

    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(String::as_str)
    }

    pub fn tags(&self) -> Option<&str> {
        self.property(properties::TAGS)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        properties::split_keys(self.property(properties::KEYS).unwrap_or(""))
    }

    pub fn uniq_key(&self) -> Option<&str> {
        self.property(properties::UNIQ_KEY)
    }

    pub fn transaction_type(&self) -> TransactionType {
        TransactionType::from_sys_flag(self.sys_flag)
    }

    /// The server message id (store host + physical offset).
    pub fn offset_msg_id(&self) -> String {
        msg_id::create_offset_msg_id(self.store_host, self.physical_offset)
    }

    /// What Java's consumer-side `getMsgId()` returns: UNIQ_KEY when present, else the offset id.
    pub fn msg_id(&self) -> String {
        match self.uniq_key() {
            Some(k) => k.to_owned(),
            None => self.offset_msg_id(),
        }
    }

    /// Re-encodes this message as a record, including its queue and physical offsets. Magic, V6 bits and
    /// BODYCRC are recomputed from the content.
    pub fn encode(&self) -> Result<BytesMut, MessageError> {
        let props = properties::encode(&self.properties);
        let b = RecordBuilder {
            topic: &self.topic,
            queue_id: self.queue_id,
            flag: self.flag,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: &self.body,
            properties: &props,
            reserve_record_crc: false,
        };
        let mut out = b.encode()?;
        set_queue_offset(&mut out, self.queue_offset);
        set_physical_offset(&mut out, self.physical_offset);
        Ok(out)
    }
}

/// The fields of a new record. QUEUEOFFSET and PHYSICALOFFSET are written as 0 (the store patches them under its
/// lock). Magic v2 is chosen for topics over 127 bytes; the V6 sysFlag bits are set from the host address families
/// (IPv4-mapped IPv6 counts as IPv4); BODYCRC is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordBuilder<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub flag: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    /// Stored as is (already compressed if the sysFlag says so).
    pub body: &'a [u8],
    /// Encoded properties string (see [`properties::encode`]).
    pub properties: &'a str,
    /// Reserve the whole-record CRC slot of storage-format.md §3.2 (`enabledAppendPropCRC`); fill it with
    /// [`fill_record_crc`] once the record is final.
    pub reserve_record_crc: bool,
}

impl Default for RecordBuilder<'_> {
    fn default() -> Self {
        let unspecified = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        RecordBuilder {
            topic: "",
            queue_id: 0,
            flag: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: unspecified,
            store_timestamp: 0,
            store_host: unspecified,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: &[],
            properties: "",
            reserve_record_crc: false,
        }
    }
}

/// Sizes derived from a builder.
struct Layout {
    sys_flag: i32,
    born_host: SocketAddr,
    store_host: SocketAddr,
    v2: bool,
    /// Separator inserted before the CRC slot.
    crc_sep: bool,
    props_len: usize,
    total: usize,
}

impl<'a> RecordBuilder<'a> {
    /// A builder with the given content and zero/unspecified everything else.
    pub fn new(topic: &'a str, body: &'a [u8], properties: &'a str) -> Self {
        RecordBuilder {
            topic,
            body,
            properties,
            ..Default::default()
        }
    }

    fn layout(&self) -> Layout {
        let born_host = canonical_host(self.born_host);
        let store_host = canonical_host(self.store_host);
        let mut sys_flag = self.sys_flag & !(sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6);
        if born_host.is_ipv6() {
            sys_flag |= sysflag::BORNHOST_V6;
        }
        if store_host.is_ipv6() {
            sys_flag |= sysflag::STOREHOSTADDRESS_V6;
        }
        let v2 = self.topic.len() > MAX_V1_TOPIC_LEN;
        let crc_sep = self.reserve_record_crc
            && !self.properties.is_empty()
            && !self.properties.ends_with(properties::PROPERTY_SEPARATOR);
        let props_len = self.properties.len()
            + if self.reserve_record_crc {
                usize::from(crc_sep) + RECORD_CRC_RESERVED_LEN
            } else {
                0
            };
        let total = pos::body_len_pos(sys_flag)
            + 4
            + self.body.len()
            + if v2 { 2 } else { 1 }
            + self.topic.len()
            + 2
            + props_len;
        Layout {
            sys_flag,
            born_host,
            store_host,
            v2,
            crc_sep,
            props_len,
            total,
        }
    }

    /// The magic this record will get.
    pub fn magic(&self) -> i32 {
        if self.topic.len() > MAX_V1_TOPIC_LEN {
            MAGIC_V2
        } else {
            MAGIC_V1
        }
    }

    /// The sysFlag as it will be written (V6 bits from the hosts).
    pub fn effective_sys_flag(&self) -> i32 {
        self.layout().sys_flag
    }

    /// TOTALSIZE of the encoded record.
    pub fn encoded_len(&self) -> usize {
        self.layout().total
    }

    /// Fails if a length does not fit its prefix: topic over 32767 bytes, properties (with the CRC slot) over
    /// 32767 bytes, or a record over i32::MAX bytes.
    pub fn check(&self) -> Result<(), MessageError> {
        self.checked_layout().map(|_| ())
    }

    fn checked_layout(&self) -> Result<Layout, MessageError> {
        if self.topic.len() > MAX_TOPIC_LEN {
            return Err(MessageError::TooLong {
                what: "topic",
                len: self.topic.len(),
                max: MAX_TOPIC_LEN,
            });
        }
        let l = self.layout();
        if l.props_len > MAX_PROPERTIES_LEN {
            return Err(MessageError::TooLong {
                what: "properties",
                len: l.props_len,
                max: MAX_PROPERTIES_LEN,
            });
        }
        if l.total > i32::MAX as usize {
            return Err(MessageError::TooLong {
                what: "record",
                len: l.total,
                max: i32::MAX as usize,
            });
        }
        Ok(l)
    }

    /// Appends the encoded record to `dst` (one `reserve`, no intermediate buffer). On error nothing is written.
    pub fn encode_into(&self, dst: &mut BytesMut) -> Result<(), MessageError> {
        let l = self.checked_layout()?;
        dst.reserve(l.total);
        let start = dst.len();
        // The fixed fields are assembled on the stack and copied with one put_slice: BytesMut's per-call capacity
        // checks would otherwise cost more than the bytes themselves. Lengths were bounded by checked_layout, so
        // the narrowing casts are exact.
        let mut h = Header::default();
        h.put(&(l.total as i32).to_be_bytes());
        h.put(&(if l.v2 { MAGIC_V2 } else { MAGIC_V1 }).to_be_bytes());
        h.put(&body_crc(self.body).to_be_bytes());
        h.put(&self.queue_id.to_be_bytes());
        h.put(&self.flag.to_be_bytes());
        h.put(&[0; 16]); // QUEUEOFFSET, PHYSICALOFFSET: patched by the store
        h.put(&l.sys_flag.to_be_bytes());
        h.put(&self.born_timestamp.to_be_bytes());
        h.put_host(l.born_host);
        h.put(&self.store_timestamp.to_be_bytes());
        h.put_host(l.store_host);
        h.put(&self.reconsume_times.to_be_bytes());
        h.put(&self.prepared_transaction_offset.to_be_bytes());
        h.put(&(self.body.len() as i32).to_be_bytes());
        dst.put_slice(h.bytes());
        dst.put_slice(self.body);
        if l.v2 {
            dst.put_slice(&(self.topic.len() as i16).to_be_bytes());
        } else {
            dst.put_u8(self.topic.len() as u8);
        }
        dst.put_slice(self.topic.as_bytes());
        dst.put_slice(&(l.props_len as i16).to_be_bytes());
        dst.put_slice(self.properties.as_bytes());
        if self.reserve_record_crc {
            let slot: &[u8] = CRC_SLOT_WITH_SEPARATOR;
            dst.put_slice(if l.crc_sep { slot } else { &slot[1..] });
        }
        debug_assert_eq!(dst.len() - start, l.total);
        Ok(())
    }

    /// Encodes into a new buffer of exactly the record's size.
    pub fn encode(&self) -> Result<BytesMut, MessageError> {
        let mut out = BytesMut::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn sample<'a>() -> RecordBuilder<'a> {
        RecordBuilder {
            topic: "T",
            queue_id: 3,
            flag: 7,
            born_timestamp: 11,
            born_host: v4("10.0.0.1:1234"),
            store_timestamp: 12,
            store_host: v4("10.0.0.2:10911"),
            body: b"body",
            properties: "A\u{1}b\u{2}",
            ..Default::default()
        }
    }

    #[test]
    fn magic_constants() {
        assert_eq!(MAGIC_V1, -626843481);
        assert_eq!(MAGIC_V2, -626843477);
        assert_eq!(BLANK_MAGIC, -875286124);
    }

    #[test]
    fn positions_with_ipv4_and_ipv6() {
        assert_eq!(store_timestamp_pos(0), 56);
        assert_eq!(store_host_pos(0), 64);
        assert_eq!(pos::reconsume_times_pos(0), 72);
        assert_eq!(pos::prepared_transaction_offset_pos(0), 76);
        assert_eq!(pos::body_len_pos(0), 84);
        assert_eq!(store_timestamp_pos(sysflag::BORNHOST_V6), 68);
        assert_eq!(store_host_pos(sysflag::BORNHOST_V6), 76);
        assert_eq!(
            pos::body_len_pos(sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6),
            108
        );
    }

    #[test]
    fn minimum_record_is_91_bytes() {
        let b = RecordBuilder::default();
        assert_eq!(b.encoded_len(), 91);
        let rec = b.encode().unwrap();
        let v = RecordView::parse(&rec).unwrap();
        assert_eq!(v.topic, "");
        assert_eq!(v.body, b"");
        assert_eq!(v.properties, "");
    }

    #[test]
    fn patchers_write_where_the_parser_reads() {
        for born in ["10.0.0.1:1", "[::2]:2"] {
            let mut b = sample();
            b.born_host = born.parse().unwrap();
            let mut rec = b.encode().unwrap();
            set_queue_offset(&mut rec, 0x0102_0304_0506_0708);
            set_physical_offset(&mut rec, -5);
            set_store_timestamp(&mut rec, 1_700_000_000_999);
            let v = RecordView::parse(&rec).unwrap();
            assert_eq!(v.queue_offset, 0x0102_0304_0506_0708);
            assert_eq!(v.physical_offset, -5);
            assert_eq!(v.store_timestamp, 1_700_000_000_999);
            assert_eq!(v.born_timestamp, 11);
            assert_eq!(v.store_host, v4("10.0.0.2:10911"));
        }
    }

    #[test]
    fn ipv4_mapped_hosts_become_ipv4() {
        let mut b = sample();
        b.born_host = "[::ffff:10.1.2.3]:99".parse().unwrap();
        b.sys_flag = sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6;
        assert_eq!(b.effective_sys_flag(), 0);
        let rec = b.encode().unwrap();
        let v = RecordView::parse(&rec).unwrap();
        assert_eq!(v.born_host, v4("10.1.2.3:99"));
        assert_eq!(v.sys_flag, 0);
    }

    #[test]
    fn size_errors_are_reported() {
        let long = "t".repeat(MAX_TOPIC_LEN + 1);
        let b = RecordBuilder::new(&long, b"", "");
        assert!(matches!(
            b.check(),
            Err(MessageError::TooLong { what: "topic", .. })
        ));
        let props = "p".repeat(MAX_PROPERTIES_LEN - 5);
        let mut b = RecordBuilder::new("T", b"", &props);
        assert!(b.check().is_ok());
        b.reserve_record_crc = true;
        let mut out = BytesMut::new();
        assert!(matches!(
            b.encode_into(&mut out),
            Err(MessageError::TooLong {
                what: "properties",
                ..
            })
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn totalsize_mismatch_and_negative_lengths() {
        let rec = sample().encode().unwrap();
        // TOTALSIZE one larger than the fields (buffer extended so only the mismatch is wrong).
        let mut bigger = rec.to_vec();
        bigger.push(0);
        bigger[..4].copy_from_slice(&((rec.len() + 1) as i32).to_be_bytes());
        assert!(matches!(
            RecordView::parse(&bigger),
            Err(MessageError::SizeMismatch { .. })
        ));
        // TOTALSIZE one smaller.
        let mut smaller = rec.to_vec();
        smaller[..4].copy_from_slice(&((rec.len() - 1) as i32).to_be_bytes());
        assert!(matches!(
            RecordView::parse(&smaller),
            Err(MessageError::SizeMismatch { .. })
        ));
        // Negative body length.
        let mut neg = rec.to_vec();
        neg[84..88].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(matches!(
            RecordView::parse(&neg),
            Err(MessageError::NegativeLength { what: "body", .. })
        ));
        // Negative (signed byte) v1 topic length.
        let mut neg = rec.to_vec();
        neg[88 + 4] = 0x80;
        assert!(matches!(
            RecordView::parse(&neg),
            Err(MessageError::NegativeLength { what: "topic", .. })
        ));
        // Truncated buffer.
        assert!(matches!(
            RecordView::parse(&rec[..rec.len() - 1]),
            Err(MessageError::Truncated { .. })
        ));
    }

    #[test]
    fn blank_and_bad_magic() {
        let mut blank = [0u8; 8];
        blank[..4].copy_from_slice(&1000i32.to_be_bytes());
        blank[4..].copy_from_slice(&BLANK_MAGIC.to_be_bytes());
        assert_eq!(
            RecordView::parse(&blank),
            Err(MessageError::BlankRecord { total_size: 1000 })
        );
        blank[4..].copy_from_slice(&0x1234_5678i32.to_be_bytes());
        assert_eq!(
            RecordView::parse(&blank),
            Err(MessageError::BadMagic(0x1234_5678))
        );
    }

    #[test]
    fn bad_port_and_utf8() {
        let rec = sample().encode().unwrap();
        let mut bad = rec.to_vec();
        bad[52..56].copy_from_slice(&70000i32.to_be_bytes());
        assert_eq!(
            RecordView::parse(&bad),
            Err(MessageError::InvalidPort(70000))
        );
        let mut bad = rec.to_vec();
        bad[88 + 4 + 1] = 0xFF; // the topic byte
        assert_eq!(
            RecordView::parse(&bad),
            Err(MessageError::InvalidUtf8 { what: "topic" })
        );
    }

    #[test]
    fn crc_digits_are_lsd_first() {
        assert_eq!(&crc_digits(123), b"3210000000");
        assert_eq!(parse_crc_digits(b"3210000000"), Some(123));
        assert_eq!(&crc_digits(u32::MAX), b"5927694924");
        assert_eq!(parse_crc_digits(&crc_digits(u32::MAX)), Some(u32::MAX));
        assert_eq!(parse_crc_digits(b"9999999999"), None);
        assert_eq!(parse_crc_digits(b"32100000x0"), None);
    }

    #[test]
    fn whole_record_crc_slot() {
        for props in ["", "A\u{1}b\u{2}", "A\u{1}b"] {
            let mut b = sample();
            b.properties = props;
            b.reserve_record_crc = true;
            let mut rec = b.encode().unwrap();
            set_physical_offset(&mut rec, 4096);
            fill_record_crc(&mut rec).unwrap();
            let v = RecordView::parse(&rec).unwrap();
            assert_eq!(
                v.property("A"),
                if props.is_empty() { None } else { Some("b") }
            );
            let expected = body_crc(&rec[..rec.len() - RECORD_CRC_RESERVED_LEN]);
            assert_eq!(v.stored_record_crc(), Some(expected));
            assert_eq!(v.record_crc_ok(), Some(true));
            // Any change before the slot breaks it.
            let mut broken = rec.to_vec();
            broken[30] ^= 1;
            assert_eq!(
                RecordView::parse(&broken).unwrap().record_crc_ok(),
                Some(false)
            );
        }
        let mut plain = sample().encode().unwrap();
        assert_eq!(RecordView::parse(&plain).unwrap().record_crc_ok(), None);
        assert!(fill_record_crc(&mut plain).is_err());
    }

    #[test]
    fn records_iterator_stops_after_error() {
        let mut buf = BytesMut::new();
        sample().encode_into(&mut buf).unwrap();
        sample().encode_into(&mut buf).unwrap();
        buf.put_slice(&[0, 0, 0, 9]);
        let items: Vec<_> = RecordView::iter(&buf).collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok());
        assert!(items[2].is_err());
    }

    #[test]
    fn decompress_on_decode() {
        let raw = vec![b'z'; 10_000];
        let z = compression::zlib_compress(&raw, compression::DEFAULT_LEVEL).unwrap();
        let mut b = sample();
        b.body = &z;
        b.sys_flag = sysflag::set_compression(0, compression::CompressionType::Zlib);
        let rec = b.encode().unwrap().freeze();
        let raw_msgs = MessageExt::decode_all(rec.clone()).unwrap();
        assert_eq!(raw_msgs[0].body, z);
        let msgs = MessageExt::decode_all_with(rec, true).unwrap();
        assert_eq!(msgs[0].body, raw);
        assert_eq!(msgs[0].sys_flag, 0);
    }
}
