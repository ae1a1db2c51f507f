//! Message sysFlag bits (remoting-protocol.md §10.1) and helpers to read and change them.

use super::compression::CompressionType;
use super::error::MessageError;

/// Body is compressed (type in [`COMPRESSION_TYPE_MASK`]; none there means ZLIB).
pub const COMPRESSED: i32 = 0x0001;
/// Legacy multi-tag marker.
pub const MULTI_TAGS: i32 = 0x0002;
/// Plain message (not part of a transaction).
pub const TRANSACTION_NOT_TYPE: i32 = 0x0000;
/// Transactional half message.
pub const TRANSACTION_PREPARED_TYPE: i32 = 0x0004;
/// Commit record of a transaction.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x0008;
/// Rollback record of a transaction.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0x000C;
/// Bits holding the transaction type.
pub const TRANSACTION_MASK: i32 = 0x000C;
/// Born host is stored as a 16-byte IPv6 address.
pub const BORNHOST_V6: i32 = 0x0010;
/// Store host is stored as a 16-byte IPv6 address.
pub const STOREHOSTADDRESS_V6: i32 = 0x0020;
/// Inner-batch record that consumers must unwrap.
pub const NEED_UNWRAP: i32 = 0x0040;
/// Inner-batch record (batch consume queue).
pub const INNER_BATCH: i32 = 0x0080;
/// Bits 8–10: compression type.
pub const COMPRESSION_TYPE_MASK: i32 = 0x0700;
/// Compression type LZ4 (frame format).
pub const COMPRESSION_LZ4: i32 = 0x0100;
/// Compression type ZSTD.
pub const COMPRESSION_ZSTD: i32 = 0x0200;
/// Compression type ZLIB.
pub const COMPRESSION_ZLIB: i32 = 0x0300;

/// Transaction type of a message, from bits 2–3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionType {
    NotType,
    Prepared,
    Commit,
    Rollback,
}

impl TransactionType {
    pub fn from_sys_flag(sys_flag: i32) -> Self {
        match sys_flag & TRANSACTION_MASK {
            TRANSACTION_PREPARED_TYPE => Self::Prepared,
            TRANSACTION_COMMIT_TYPE => Self::Commit,
            TRANSACTION_ROLLBACK_TYPE => Self::Rollback,
            _ => Self::NotType,
        }
    }

    pub fn bits(self) -> i32 {
        match self {
            Self::NotType => TRANSACTION_NOT_TYPE,
            Self::Prepared => TRANSACTION_PREPARED_TYPE,
            Self::Commit => TRANSACTION_COMMIT_TYPE,
            Self::Rollback => TRANSACTION_ROLLBACK_TYPE,
        }
    }
}

/// The raw transaction-type bits (one of the `TRANSACTION_*_TYPE` constants).
pub fn transaction_type(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_MASK
}

/// `sys_flag` with its transaction type replaced by `ty` (one of the `TRANSACTION_*_TYPE` constants).
pub fn reset_transaction_type(sys_flag: i32, ty: i32) -> i32 {
    (sys_flag & !TRANSACTION_MASK) | (ty & TRANSACTION_MASK)
}

pub fn is_compressed(sys_flag: i32) -> bool {
    sys_flag & COMPRESSED != 0
}

pub fn is_born_host_v6(sys_flag: i32) -> bool {
    sys_flag & BORNHOST_V6 != 0
}

pub fn is_store_host_v6(sys_flag: i32) -> bool {
    sys_flag & STOREHOSTADDRESS_V6 != 0
}

/// The body's compression: `Ok(None)` when not compressed; type bits 0 with COMPRESSED set mean ZLIB (old
/// clients); codes 4–7 are unknown and an error.
pub fn compression_type(sys_flag: i32) -> Result<Option<CompressionType>, MessageError> {
    if !is_compressed(sys_flag) {
        return Ok(None);
    }
    match sys_flag & COMPRESSION_TYPE_MASK {
        0 | COMPRESSION_ZLIB => Ok(Some(CompressionType::Zlib)),
        COMPRESSION_LZ4 => Ok(Some(CompressionType::Lz4)),
        COMPRESSION_ZSTD => Ok(Some(CompressionType::Zstd)),
        other => Err(MessageError::UnsupportedCompression(other)),
    }
}

/// `sys_flag` marked as compressed with `ty`.
pub fn set_compression(sys_flag: i32, ty: CompressionType) -> i32 {
    (sys_flag & !COMPRESSION_TYPE_MASK) | COMPRESSED | ty.sys_flag_bits()
}

/// `sys_flag` with the compressed bit and the type bits cleared (after a consumer inflated the body).
pub fn clear_compression(sys_flag: i32) -> i32 {
    sys_flag & !(COMPRESSED | COMPRESSION_TYPE_MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_bits() {
        assert_eq!(
            TransactionType::from_sys_flag(0x0C | 0x01),
            TransactionType::Rollback
        );
        assert_eq!(
            TransactionType::from_sys_flag(0x04),
            TransactionType::Prepared
        );
        assert_eq!(
            TransactionType::from_sys_flag(0x30),
            TransactionType::NotType
        );
        assert_eq!(reset_transaction_type(0x35, TRANSACTION_COMMIT_TYPE), 0x39);
        assert_eq!(transaction_type(0x39), TRANSACTION_COMMIT_TYPE);
        for t in [
            TransactionType::NotType,
            TransactionType::Prepared,
            TransactionType::Commit,
            TransactionType::Rollback,
        ] {
            assert_eq!(TransactionType::from_sys_flag(t.bits()), t);
        }
    }

    #[test]
    fn compression_bits() {
        assert_eq!(compression_type(0x300).unwrap(), None);
        assert_eq!(
            compression_type(COMPRESSED).unwrap(),
            Some(CompressionType::Zlib)
        );
        assert_eq!(
            compression_type(COMPRESSED | 0x300).unwrap(),
            Some(CompressionType::Zlib)
        );
        assert_eq!(
            compression_type(COMPRESSED | 0x100).unwrap(),
            Some(CompressionType::Lz4)
        );
        assert_eq!(
            compression_type(COMPRESSED | 0x200).unwrap(),
            Some(CompressionType::Zstd)
        );
        assert_eq!(
            compression_type(COMPRESSED | 0x500),
            Err(MessageError::UnsupportedCompression(0x500))
        );
        let f = set_compression(0x10, CompressionType::Zlib);
        assert_eq!(f, 0x10 | COMPRESSED | COMPRESSION_ZLIB);
        assert_eq!(clear_compression(f), 0x10);
    }
}
