//! [`RemotingCommand`]: one request or response of the classic protocol, and its frame layout (spec §1–§3).
//!
//! Frame: `length` (i32, bytes that follow) · `headerWord` (serialize type << 24 | headerLen) · header · body.
//! The header is JSON or ROCKETMQ binary (see the `json_header` / `binary_header` submodules); the body is opaque.

mod binary_header;
mod ext_fields;
mod json_fast;
mod json_header;
mod json_scan;

use std::sync::atomic::{AtomicI32, Ordering};

use bytes::{BufMut, Bytes, BytesMut};

use crate::codes::{flag, LanguageCode, SerializeType, CURRENT_VERSION};
use crate::error::ProtocolError;
use crate::header::CommandHeader;

/// The header's `extFields` map: named custom-header fields, all values strings (spec §4).
pub use ext_fields::{ExtFields, Iter as ExtIter};

/// Largest header length the 24-bit field of the header word can carry.
pub const MAX_HEADER_LEN: usize = 0x00FF_FFFF;

static OPAQUE: AtomicI32 = AtomicI32::new(0);

/// A process-wide request id, as Java's counter: starts at 0, one per request, shared by all connections.
/// Wraps around on overflow.
pub fn next_opaque() -> i32 {
    OPAQUE.fetch_add(1, Ordering::Relaxed)
}

/// The logical fields shared by both header serializations, without the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderFields {
    pub code: i32,
    pub language: LanguageCode,
    pub version: i32,
    pub opaque: i32,
    pub flag: i32,
    pub remark: Option<String>,
    pub ext_fields: ExtFields,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotingCommand {
    /// Request code for requests, response code for responses.
    pub code: i32,
    pub language: LanguageCode,
    pub version: i32,
    pub opaque: i32,
    pub flag: i32,
    pub remark: Option<String>,
    pub ext_fields: ExtFields,
    pub body: Bytes,
    /// How the header is written when encoded; on decode, how the peer wrote it.
    pub serialize_type: SerializeType,
}

impl RemotingCommand {
    fn blank(code: i32, opaque: i32, flag: i32) -> Self {
        Self {
            code,
            language: LanguageCode::Rust,
            version: CURRENT_VERSION,
            opaque,
            flag,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        }
    }

    /// A request with a fresh opaque from [`next_opaque`], no ext fields and no body.
    pub fn new_request(code: i32) -> Self {
        Self::blank(code, next_opaque(), 0)
    }

    /// A request whose ext fields are written from a typed header.
    pub fn request_with_header<H: CommandHeader>(code: i32, header: &H) -> Self {
        Self::new_request(code).with_header(header)
    }

    /// A response with opaque 0; prefer [`RemotingCommand::response_to`] when answering a request.
    pub fn new_response(code: i32, remark: Option<String>) -> Self {
        let mut cmd = Self::blank(code, 0, flag::RESPONSE);
        cmd.remark = remark;
        cmd
    }

    /// The response to `request`: same opaque and serialize type, RESPONSE flag set.
    pub fn response_to(request: &RemotingCommand, code: i32, remark: Option<String>) -> Self {
        let mut cmd = Self::new_response(code, remark);
        cmd.opaque = request.opaque;
        cmd.serialize_type = request.serialize_type;
        cmd
    }

    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds (or overwrites) the ext fields of `header`.
    pub fn with_header<H: CommandHeader>(mut self, header: &H) -> Self {
        header.write_ext(&mut self.ext_fields);
        self
    }

    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    pub fn with_ext(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.ext_fields.insert(key, value);
        self
    }

    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }

    pub fn with_serialize_type(mut self, serialize_type: SerializeType) -> Self {
        self.serialize_type = serialize_type;
        self
    }

    pub fn with_language(mut self, language: LanguageCode) -> Self {
        self.language = language;
        self
    }

    pub fn with_version(mut self, version: i32) -> Self {
        self.version = version;
        self
    }

    pub fn is_response(&self) -> bool {
        self.flag & flag::RESPONSE != 0
    }

    pub fn is_oneway(&self) -> bool {
        self.flag & flag::ONEWAY != 0
    }

    pub fn mark_oneway(&mut self) {
        self.flag |= flag::ONEWAY;
    }

    pub fn mark_response(&mut self) {
        self.flag |= flag::RESPONSE;
    }

    /// Reads a typed header from the ext fields.
    pub fn decode_header<H: CommandHeader>(&self) -> Result<H, ProtocolError> {
        H::read_ext(&self.ext_fields)
    }

    pub fn ext(&self, key: &str) -> Option<&str> {
        self.ext_fields.get(key)
    }

    pub fn set_ext(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        self.ext_fields.insert(key, value);
    }

    /// The serialization actually used when encoding: the binary header cannot carry a code or version outside
    /// i16 (the POP family), so such commands fall back to JSON (spec §2.2).
    fn effective_serialize_type(&self) -> SerializeType {
        match self.serialize_type {
            SerializeType::RocketMq if !binary_header::fits(self.code, self.version) => {
                SerializeType::Json
            }
            t => t,
        }
    }

    /// Writes the length word, the header word and the header: everything but the body, so a writer can send a
    /// body made of several chunks (e.g. records sliced from a mapped file) after it without copying them.
    pub fn encode_prefix(&self, body_len: usize, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        let start = dst.len();
        dst.reserve(8 + 128);
        dst.put_u64(0); // length word + header word, patched below
        let serialize_type = self.effective_serialize_type();
        match serialize_type {
            SerializeType::Json => json_header::write(self, dst),
            SerializeType::RocketMq => binary_header::write(self, dst),
        }
        let header_len = dst.len() - start - 8;
        if header_len > MAX_HEADER_LEN {
            dst.truncate(start);
            return Err(ProtocolError::HeaderTooLarge(header_len));
        }
        let length = 4 + header_len + body_len;
        let Ok(length_word) = i32::try_from(length) else {
            dst.truncate(start);
            return Err(ProtocolError::FrameTooLarge {
                len: length + 4,
                max: i32::MAX as usize,
            });
        };
        let header_word = ((serialize_type.as_byte() as u32) << 24) | header_len as u32;
        dst[start..start + 4].copy_from_slice(&length_word.to_be_bytes());
        dst[start + 4..start + 8].copy_from_slice(&header_word.to_be_bytes());
        Ok(())
    }

    /// The whole frame: [`RemotingCommand::encode_prefix`] followed by the body.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        self.encode_prefix(self.body.len(), dst)?;
        dst.extend_from_slice(&self.body);
        Ok(())
    }

    /// The whole frame as a new buffer.
    pub fn to_bytes(&self) -> Result<Bytes, ProtocolError> {
        let mut buf = BytesMut::new();
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }

    /// Decodes one frame given everything after its length word. The body is a zero-copy slice of `frame`.
    pub fn decode_frame(frame: Bytes) -> Result<Self, ProtocolError> {
        let Some(word) = frame.get(..4) else {
            return Err(ProtocolError::InvalidFrameLength(frame.len() as i32));
        };
        let word = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        let type_byte = (word >> 24) as u8;
        let header_len = (word & 0x00FF_FFFF) as usize;
        if header_len > frame.len() - 4 {
            return Err(ProtocolError::InvalidHeaderLength {
                header_len,
                frame_len: frame.len(),
            });
        }
        let serialize_type = SerializeType::from_byte(type_byte)
            .ok_or(ProtocolError::UnknownSerializeType(type_byte))?;
        let header = &frame[4..4 + header_len];
        let fields = match serialize_type {
            SerializeType::Json => json_header::read(header)?,
            SerializeType::RocketMq => binary_header::read(header)?,
        };
        Ok(Self {
            code: fields.code,
            language: fields.language,
            version: fields.version,
            opaque: fields.opaque,
            flag: fields.flag,
            remark: fields.remark,
            ext_fields: fields.ext_fields,
            body: frame.slice(4 + header_len..),
            serialize_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{request_code, response_code};

    fn frame_of(cmd: &RemotingCommand) -> Bytes {
        let all = cmd.to_bytes().unwrap();
        let len = i32::from_be_bytes(all[..4].try_into().unwrap()) as usize;
        assert_eq!(len, all.len() - 4, "length word counts the bytes after it");
        all.slice(4..)
    }

    fn sample() -> RemotingCommand {
        RemotingCommand::new_request(request_code::SEND_MESSAGE_V2)
            .with_ext("a", "group")
            .with_ext("b", "Topic\"quoted\\ \u{1} ü")
            .with_remark("line1\nline2")
            .with_body(Bytes::from_static(b"hello body"))
    }

    #[test]
    fn round_trip_both_serializations() {
        for st in [SerializeType::Json, SerializeType::RocketMq] {
            let cmd = sample().with_serialize_type(st);
            let back = RemotingCommand::decode_frame(frame_of(&cmd)).unwrap();
            assert_eq!(back, cmd, "{st:?}");
        }
    }

    #[test]
    fn header_word_carries_type_and_length() {
        let cmd = sample().with_serialize_type(SerializeType::RocketMq);
        let frame = frame_of(&cmd);
        assert_eq!(frame[0], 1);
        let header_len = u32::from_be_bytes(frame[..4].try_into().unwrap()) & 0xFF_FFFF;
        assert_eq!(frame.len() - 4 - header_len as usize, b"hello body".len());
    }

    #[test]
    fn response_to_copies_opaque_and_serialize_type() {
        let req = sample().with_serialize_type(SerializeType::RocketMq);
        let resp = RemotingCommand::response_to(&req, response_code::SUCCESS, None);
        assert_eq!(resp.opaque, req.opaque);
        assert_eq!(resp.serialize_type, SerializeType::RocketMq);
        assert!(resp.is_response() && !resp.is_oneway());
        assert!(!req.is_response());
    }

    #[test]
    fn oneway_flag() {
        let mut req = RemotingCommand::new_request(request_code::UPDATE_CONSUMER_OFFSET);
        assert!(!req.is_oneway());
        req.mark_oneway();
        assert!(req.is_oneway() && !req.is_response());
        assert_eq!(req.flag, 2);
    }

    #[test]
    fn opaques_increase() {
        let a = RemotingCommand::new_request(1).opaque;
        let b = RemotingCommand::new_request(1).opaque;
        assert!(b > a);
    }

    #[test]
    fn pop_codes_fall_back_to_json() {
        let cmd = RemotingCommand::new_request(request_code::POP_MESSAGE)
            .with_serialize_type(SerializeType::RocketMq);
        let frame = frame_of(&cmd);
        assert_eq!(frame[0], 0, "written as JSON");
        let back = RemotingCommand::decode_frame(frame).unwrap();
        assert_eq!(back.code, request_code::POP_MESSAGE);
    }

    #[test]
    fn prefix_then_chunks_equals_encode() {
        let cmd = sample();
        let mut whole = BytesMut::new();
        cmd.encode(&mut whole).unwrap();
        let mut parts = BytesMut::new();
        cmd.encode_prefix(cmd.body.len(), &mut parts).unwrap();
        parts.extend_from_slice(&cmd.body[..3]);
        parts.extend_from_slice(&cmd.body[3..]);
        assert_eq!(whole, parts);
    }

    #[test]
    fn body_is_a_slice_of_the_frame() {
        let frame = frame_of(&sample());
        let back = RemotingCommand::decode_frame(frame.clone()).unwrap();
        let frame_range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
        assert!(frame_range.contains(&(back.body.as_ptr() as usize)));
    }

    #[test]
    fn frame_errors() {
        assert!(matches!(
            RemotingCommand::decode_frame(Bytes::from_static(&[0, 0])),
            Err(ProtocolError::InvalidFrameLength(_))
        ));
        assert!(matches!(
            RemotingCommand::decode_frame(Bytes::from_static(&[0, 0, 0, 9, b'{'])),
            Err(ProtocolError::InvalidHeaderLength { header_len: 9, .. })
        ));
        assert!(matches!(
            RemotingCommand::decode_frame(Bytes::from_static(&[7, 0, 0, 0])),
            Err(ProtocolError::UnknownSerializeType(7))
        ));
        assert!(matches!(
            RemotingCommand::decode_frame(Bytes::from_static(&[0, 0, 0, 2, b'{', b'x'])),
            Err(ProtocolError::BadJsonHeader(_))
        ));
    }
}
