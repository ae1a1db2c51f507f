//! The broker's JSON config files under `<storePathRootDir>/config/` (storage-format.md §8): written as pretty
//! fastjson text, persisted so that a crash never leaves neither the file nor its `.bak`, and loaded with a fallback
//! to `<name>.bak` when the main file is missing, empty or unparseable.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::BrokerError;

pub const TOPICS_FILE: &str = "topics.json";
pub const SUBSCRIPTION_GROUP_FILE: &str = "subscriptionGroup.json";
pub const CONSUMER_OFFSET_FILE: &str = "consumerOffset.json";

/// `<storePathRootDir>/config/<name>`.
pub fn config_path(store_root: &str, name: &str) -> PathBuf {
    Path::new(store_root).join("config").join(name)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `<path>.bak`.
pub fn bak_path(path: &Path) -> PathBuf {
    with_suffix(path, ".bak")
}

fn io_err(what: &'static str, path: &Path, source: std::io::Error) -> BrokerError {
    BrokerError::Io {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// Replaces the file at `path` with `content`: the new text goes to a temporary file and is fsynced, the current
/// file becomes `<path>.bak`, the temporary file takes its place, and the directory is fsynced. At every instant
/// either the main file or the `.bak` holds a complete version.
pub fn persist(path: &Path, content: &[u8]) -> Result<(), BrokerError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_err("creating config directory", dir, e))?;
    let tmp = with_suffix(path, ".tmp");
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| io_err("creating", &tmp, e))?;
        f.write_all(content)
            .map_err(|e| io_err("writing", &tmp, e))?;
        f.sync_all().map_err(|e| io_err("syncing", &tmp, e))?;
    }
    if path.exists() {
        let bak = bak_path(path);
        fs::rename(path, &bak).map_err(|e| io_err("renaming to .bak", path, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io_err("renaming into place", &tmp, e))?;
    // Make the renames durable; a directory that cannot be opened for sync is not worth failing the persist.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Loads a config file with Apache's fallback: the main file if it exists, is non-empty and decodes; otherwise the
/// `.bak`. `Ok(None)` when neither exists (a fresh broker). An error only when a file exists but neither decodes.
pub fn load<T>(
    path: &Path,
    decode: impl Fn(&[u8]) -> Result<T, String>,
) -> Result<Option<T>, BrokerError> {
    let mut first_error: Option<BrokerError> = None;
    for candidate in [path.to_path_buf(), bak_path(path)] {
        let bytes = match fs::read(&candidate) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                first_error.get_or_insert(io_err("reading", &candidate, e));
                continue;
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match decode(&bytes) {
            Ok(v) => {
                if candidate != path {
                    tracing::warn!(file = %path.display(), "config file unusable, loaded its .bak");
                }
                return Ok(Some(v));
            }
            Err(reason) => {
                tracing::warn!(file = %candidate.display(), %reason, "config file does not decode");
                first_error.get_or_insert(BrokerError::BadConfigFile {
                    path: candidate.display().to_string(),
                    reason,
                });
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// Re-indents compact fastjson text the way fastjson's pretty format does (one member per line, tab indents).
/// Bare (unquoted) map keys pass through unchanged, so the result reads back with the protocol's tolerant reader.
pub fn pretty(compact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compact.len() + compact.len() / 4);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b'\t', depth));
    };
    let mut i = 0;
    while i < compact.len() {
        let c = compact[i];
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push(c);
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                if compact.get(i + 1) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += 2;
                    continue;
                }
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_keeps_strings_and_bare_keys() {
        let compact = br#"{"a":{0:15,1:9},"b":[],"c":{},"d":"x,{y}:\"z\"","e":[1,2]}"#;
        let p = String::from_utf8(pretty(compact)).unwrap();
        assert_eq!(
            p,
            "{\n\t\"a\":{\n\t\t0:15,\n\t\t1:9\n\t},\n\t\"b\":[],\n\t\"c\":{},\n\t\"d\":\"x,{y}:\\\"z\\\"\",\n\t\"e\":[\n\t\t1,\n\t\t2\n\t]\n}"
        );
        let back = ferrocket_protocol::json::parse(p.as_bytes()).unwrap();
        let orig = ferrocket_protocol::json::parse(compact).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn persist_keeps_previous_as_bak_and_load_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = config_path(dir.path().to_str().unwrap(), "x.json");
        let decode = |b: &[u8]| -> Result<String, String> {
            let s = std::str::from_utf8(b).map_err(|e| e.to_string())?;
            if s.starts_with('{') {
                Ok(s.to_string())
            } else {
                Err("not an object".into())
            }
        };
        assert!(load(&path, decode).unwrap().is_none());
        persist(&path, b"{1}").unwrap();
        persist(&path, b"{2}").unwrap();
        assert_eq!(fs::read(bak_path(&path)).unwrap(), b"{1}");
        assert_eq!(load(&path, decode).unwrap().unwrap(), "{2}");
        // A torn main file: the .bak is used.
        fs::write(&path, b"garbage").unwrap();
        assert_eq!(load(&path, decode).unwrap().unwrap(), "{1}");
        // Empty main file: the .bak is used.
        fs::write(&path, b"").unwrap();
        assert_eq!(load(&path, decode).unwrap().unwrap(), "{1}");
        // Main gone (crash between the two renames): the .bak is used.
        fs::remove_file(&path).unwrap();
        assert_eq!(load(&path, decode).unwrap().unwrap(), "{1}");
        // Both unusable: an error naming the file.
        fs::write(&path, b"garbage").unwrap();
        fs::write(bak_path(&path), b"junk").unwrap();
        let err = load(&path, decode).unwrap_err().to_string();
        assert!(err.contains("x.json"), "{err}");
    }
}
