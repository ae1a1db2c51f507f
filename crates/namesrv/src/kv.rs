//! The name server's namespaced key/value store (PUT/GET/DELETE_KV_CONFIG), persisted as Apache's kvConfig.json:
//! `{"configTable":{"<namespace>":{"k":"v"}}}`.

use std::collections::HashMap;
use std::path::PathBuf;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KvFile {
    #[serde(default)]
    config_table: HashMap<String, HashMap<String, String>>,
}

pub struct KvConfigStore {
    path: PathBuf,
    table: RwLock<HashMap<String, HashMap<String, String>>>,
}

impl KvConfigStore {
    /// Loads the file if it exists. A missing file is an empty store; an unreadable one is reported and the store
    /// starts empty without overwriting it until the next change (Apache behaves the same).
    pub fn load(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let table = match std::fs::read(&path) {
            Ok(bytes) if !bytes.is_empty() => match serde_json::from_slice::<KvFile>(&bytes) {
                Ok(f) => f.config_table,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "kv config file unreadable; starting empty");
                    HashMap::new()
                }
            },
            _ => HashMap::new(),
        };
        Self {
            path,
            table: RwLock::new(table),
        }
    }

    pub fn put(&self, namespace: &str, key: &str, value: &str) {
        let mut t = self.table.write();
        t.entry(namespace.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        self.persist(&t);
    }

    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        self.table
            .read()
            .get(namespace)
            .and_then(|m| m.get(key))
            .cloned()
    }

    pub fn delete(&self, namespace: &str, key: &str) {
        let mut t = self.table.write();
        let removed = t
            .get_mut(namespace)
            .map(|m| m.remove(key).is_some())
            .unwrap_or(false);
        if t.get(namespace).is_some_and(|m| m.is_empty()) {
            t.remove(namespace);
        }
        if removed {
            self.persist(&t);
        }
    }

    pub fn namespace(&self, namespace: &str) -> Option<HashMap<String, String>> {
        self.table.read().get(namespace).cloned()
    }

    /// Writes via a temporary file and rename so a crash never leaves a half-written file.
    fn persist(&self, table: &HashMap<String, HashMap<String, String>>) {
        let file = KvFile {
            config_table: table.clone(),
        };
        let result = (|| -> std::io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
            let tmp = self.path.with_extension("json.tmp");
            std::fs::write(&tmp, json)?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            tracing::error!(path = %self.path.display(), error = %e, "could not persist kv config");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_delete_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv/kvConfig.json");
        let kv = KvConfigStore::load(&path);
        kv.put("ORDER_TOPIC_CONFIG", "T1", "broker-a:4");
        kv.put("ns2", "k", "v");
        assert_eq!(
            kv.get("ORDER_TOPIC_CONFIG", "T1").as_deref(),
            Some("broker-a:4")
        );
        kv.delete("ns2", "k");
        assert!(kv.namespace("ns2").is_none());
        let reloaded = KvConfigStore::load(&path);
        assert_eq!(
            reloaded.get("ORDER_TOPIC_CONFIG", "T1").as_deref(),
            Some("broker-a:4")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"configTable\""));
    }
}
