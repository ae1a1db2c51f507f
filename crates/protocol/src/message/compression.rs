//! Body compression (remoting-protocol.md §10.2). Only ZLIB (zlib-wrapped deflate, as java.util.zip) is
//! implemented; LZ4 and ZSTD are recognised in the sysFlag but reported as unsupported.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::error::MessageError;
use super::sysflag;

/// Default zlib level of the Java producer (`rocketmq.message.compressLevel`).
pub const DEFAULT_LEVEL: u32 = 5;
/// Producers compress single bodies of at least this many bytes (`compressMsgBodyOverHowmuch`).
pub const COMPRESS_BODY_OVER: usize = 4096;
/// Default inflate cap: a body that grows past this is rejected rather than exhausting memory.
pub const MAX_DECOMPRESSED_LEN: usize = 64 * 1024 * 1024;

/// Compression codes carried in sysFlag bits 8–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionType {
    Lz4,
    Zstd,
    Zlib,
}

impl CompressionType {
    /// The type bits for the sysFlag (without the COMPRESSED bit).
    pub fn sys_flag_bits(self) -> i32 {
        match self {
            Self::Lz4 => sysflag::COMPRESSION_LZ4,
            Self::Zstd => sysflag::COMPRESSION_ZSTD,
            Self::Zlib => sysflag::COMPRESSION_ZLIB,
        }
    }
}

/// zlib-compresses `data` at `level` (0–9; larger values are clamped to 9).
pub fn zlib_compress(data: &[u8], level: u32) -> Result<Vec<u8>, MessageError> {
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2 + 16),
        Compression::new(level.min(9)),
    );
    enc.write_all(data)
        .map_err(|e| MessageError::Compress(e.to_string()))?;
    enc.finish()
        .map_err(|e| MessageError::Compress(e.to_string()))
}

/// Inflates a zlib stream, failing once the output would exceed `limit` bytes.
pub fn zlib_decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, MessageError> {
    // Guess 4x, but never preallocate past the cap: the input size says nothing trustworthy.
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    ZlibDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| MessageError::Decompress(e.to_string()))?;
    if out.len() > limit {
        return Err(MessageError::DecompressedTooLarge { limit });
    }
    Ok(out)
}

/// Compresses with `ty`; only ZLIB is available.
pub fn compress(data: &[u8], ty: CompressionType, level: u32) -> Result<Vec<u8>, MessageError> {
    match ty {
        CompressionType::Zlib => zlib_compress(data, level),
        other => Err(MessageError::UnsupportedCompression(other.sys_flag_bits())),
    }
}

/// Decompresses with `ty` under `limit`; only ZLIB is available.
pub fn decompress(data: &[u8], ty: CompressionType, limit: usize) -> Result<Vec<u8>, MessageError> {
    match ty {
        CompressionType::Zlib => zlib_decompress(data, limit),
        other => Err(MessageError::UnsupportedCompression(other.sys_flag_bits())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_round_trip_has_zlib_header() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let z = zlib_compress(&data, DEFAULT_LEVEL).unwrap();
        assert!(z.len() < data.len());
        // zlib header: CM=8 (deflate), and (CMF*256 + FLG) % 31 == 0.
        assert_eq!(z[0] & 0x0F, 8);
        assert_eq!((u16::from(z[0]) * 256 + u16::from(z[1])) % 31, 0);
        assert_eq!(zlib_decompress(&z, MAX_DECOMPRESSED_LEN).unwrap(), data);
    }

    #[test]
    fn decompress_cap_and_garbage() {
        let data = vec![0u8; 100_000];
        let z = zlib_compress(&data, 9).unwrap();
        assert_eq!(zlib_decompress(&z, 100_000).unwrap().len(), 100_000);
        assert_eq!(
            zlib_decompress(&z, 99_999),
            Err(MessageError::DecompressedTooLarge { limit: 99_999 })
        );
        assert!(matches!(
            zlib_decompress(b"not zlib at all", 1024),
            Err(MessageError::Decompress(_))
        ));
    }

    #[test]
    fn other_types_unsupported() {
        assert!(matches!(
            compress(b"x", CompressionType::Lz4, 5),
            Err(MessageError::UnsupportedCompression(0x100))
        ));
        assert!(matches!(
            decompress(b"x", CompressionType::Zstd, 5),
            Err(MessageError::UnsupportedCompression(0x200))
        ));
    }
}
