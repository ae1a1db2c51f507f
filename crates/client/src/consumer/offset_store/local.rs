//! The broadcasting consumer's offset file. Same JSON as the Java client's `offsets.json` (object keys written
//! bare), replaced atomically (write a temp file, then rename).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use ferrocket_protocol::body::{MessageQueue, ResetOffsetBody};

use crate::error::{ClientError, Result};

/// The stored offsets; empty when the file does not exist.
pub(super) fn read(path: &Path) -> Result<BTreeMap<MessageQueue, i64>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(BTreeMap::new()),
        Ok(bytes) => ResetOffsetBody::decode(&bytes)
            .map(|b| b.offset_table)
            .map_err(|e| ClientError::Config(format!("offset file {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn write(path: &Path, offsets: &BTreeMap<MessageQueue, i64>) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let body = ResetOffsetBody {
        offset_table: offsets.clone(),
    };
    let tmp = path.with_extension("json.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&body.encode())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}
