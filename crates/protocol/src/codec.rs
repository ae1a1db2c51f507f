//! The frame codec for `tokio_util::codec::Framed` (spec §1): a 4-byte big-endian length word followed by that
//! many bytes (header word, header, body). Frames above the limit (16 MiB including the length word, as Java's
//! `LengthFieldBasedFrameDecoder`) and malformed headers are errors; the caller closes that connection.

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::command::RemotingCommand;
use crate::error::ProtocolError;

/// Default maximum frame size, length word included.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct RemotingCodec {
    max_frame: usize,
}

impl Default for RemotingCodec {
    fn default() -> Self {
        Self {
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

impl RemotingCodec {
    pub fn new() -> Self {
        Self::default()
    }

    /// A codec with another frame limit (bytes, length word included).
    pub fn with_max_frame(max_frame: usize) -> Self {
        Self { max_frame }
    }

    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    fn check_encoded_len(&self, dst: &BytesMut, start: usize) -> Result<(), ProtocolError> {
        let len = dst.len() - start;
        if len > self.max_frame {
            return Err(ProtocolError::FrameTooLarge {
                len,
                max: self.max_frame,
            });
        }
        Ok(())
    }
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = ProtocolError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, ProtocolError> {
        let Some(word) = src.get(..4) else {
            return Ok(None);
        };
        let length = i32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        if length < 4 {
            return Err(ProtocolError::InvalidFrameLength(length));
        }
        let total = length as usize + 4;
        if total > self.max_frame {
            return Err(ProtocolError::FrameTooLarge {
                len: total,
                max: self.max_frame,
            });
        }
        if src.len() < total {
            src.reserve(total - src.len());
            return Ok(None);
        }
        src.advance(4);
        let frame = src.split_to(length as usize).freeze();
        RemotingCommand::decode_frame(frame).map(Some)
    }
}

impl Encoder<&RemotingCommand> for RemotingCodec {
    type Error = ProtocolError;

    fn encode(&mut self, cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        let start = dst.len();
        cmd.encode(dst)?;
        self.check_encoded_len(dst, start)
            .inspect_err(|_| dst.truncate(start))
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = ProtocolError;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        Encoder::<&RemotingCommand>::encode(self, &cmd, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::SerializeType;

    fn cmd(body_len: usize) -> RemotingCommand {
        RemotingCommand::new_request(10)
            .with_ext("k", "v")
            .with_body(vec![7u8; body_len])
    }

    #[test]
    fn partial_input_waits_for_more() {
        let mut codec = RemotingCodec::new();
        let mut full = BytesMut::new();
        codec.encode(&cmd(100), &mut full).unwrap();
        let mut src = BytesMut::new();
        for (i, b) in full.iter().enumerate() {
            src.extend_from_slice(&[*b]);
            let got = codec.decode(&mut src).unwrap();
            if i + 1 < full.len() {
                assert!(got.is_none(), "complete at byte {i}");
            } else {
                assert_eq!(got.unwrap().body.len(), 100);
            }
        }
        assert!(src.is_empty());
    }

    #[test]
    fn several_frames_in_one_buffer() {
        let mut codec = RemotingCodec::new();
        let mut src = BytesMut::new();
        codec.encode(cmd(1), &mut src).unwrap();
        codec
            .encode(
                &cmd(2).with_serialize_type(SerializeType::RocketMq),
                &mut src,
            )
            .unwrap();
        codec.encode(&cmd(0), &mut src).unwrap();
        let lens: Vec<_> = std::iter::from_fn(|| codec.decode(&mut src).unwrap())
            .map(|c| c.body.len())
            .collect();
        assert_eq!(lens, [1, 2, 0]);
    }

    #[test]
    fn limit_includes_the_length_word() {
        let mut buf = BytesMut::new();
        cmd(10).encode(&mut buf).unwrap();
        let exact = buf.len();
        let mut ok = RemotingCodec::with_max_frame(exact);
        assert!(ok.decode(&mut buf.clone()).unwrap().is_some());
        let mut small = RemotingCodec::with_max_frame(exact - 1);
        assert!(matches!(
            small.decode(&mut buf.clone()),
            Err(ProtocolError::FrameTooLarge { .. })
        ));
        // Rejected from the length word alone, before the bytes arrive.
        let mut head = BytesMut::from(&buf[..4]);
        assert!(small.decode(&mut head).is_err());
        let mut out = BytesMut::from(&b"xy"[..]);
        assert!(small.encode(&cmd(10), &mut out).is_err());
        assert_eq!(&out[..], b"xy", "failed encode leaves the buffer as it was");
    }

    #[test]
    fn bad_length_words() {
        let mut codec = RemotingCodec::new();
        for len in [-1i32, 0, 3, i32::MIN] {
            let mut src = BytesMut::from(&len.to_be_bytes()[..]);
            assert!(
                matches!(
                    codec.decode(&mut src),
                    Err(ProtocolError::InvalidFrameLength(_))
                ),
                "{len}"
            );
        }
        let mut src = BytesMut::from(&0x7FFF_FFFFi32.to_be_bytes()[..]);
        assert!(matches!(
            codec.decode(&mut src),
            Err(ProtocolError::FrameTooLarge { .. })
        ));
    }
}
