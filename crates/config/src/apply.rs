//! Applies `key=value` pairs to a serde configuration struct whose field names are Apache's keys.
//!
//! The struct's current values decide how each value is parsed (number, boolean or text), so one routine serves the
//! name server, broker and store configs. Unlike Java, a value that does not parse is an error naming the key rather
//! than silently ignored, and numbers may carry surrounding spaces.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("config key `{key}`: `{value}` is not a valid {expected}")]
    InvalidValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("config key `{key}`: {reason}")]
    Rejected { key: String, reason: String },
    #[error("configuration is not a flat key/value struct")]
    NotFlat,
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// What an application of properties did besides setting fields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    /// Keys that name no field (Apache ignores them silently; callers should warn).
    pub unknown_keys: Vec<String>,
    /// Keys whose value changed.
    pub changed_keys: Vec<String>,
}

/// Returns a copy of `base` with the given properties applied. `aliases` maps old or alternative key spellings
/// (e.g. `mapedFileSizeCommitLog`) to the field's key.
pub fn apply_properties<T: Serialize + DeserializeOwned>(
    base: &T,
    props: &BTreeMap<String, String>,
    aliases: &[(&str, &str)],
) -> Result<(T, ApplyReport), ConfigError> {
    let mut obj = match serde_json::to_value(base) {
        Ok(Value::Object(m)) => m,
        _ => return Err(ConfigError::NotFlat),
    };
    let mut report = ApplyReport::default();
    for (raw_key, raw_value) in props {
        let key = aliases
            .iter()
            .find(|(alias, _)| alias == raw_key)
            .map(|(_, k)| *k)
            .unwrap_or(raw_key.as_str());
        let Some(current) = obj.get(key) else {
            report.unknown_keys.push(raw_key.clone());
            continue;
        };
        let new = parse_like(current, key, raw_value)?;
        if &new != current {
            report.changed_keys.push(key.to_string());
        }
        obj.insert(key.to_string(), new);
        // Validate key by key so an out-of-range or unknown enum value is reported against its own key.
        if let Err(e) = serde_json::from_value::<T>(Value::Object(obj.clone())) {
            return Err(ConfigError::Rejected {
                key: raw_key.clone(),
                reason: e.to_string(),
            });
        }
    }
    let value = serde_json::from_value(Value::Object(obj)).map_err(|e| ConfigError::Rejected {
        key: String::new(),
        reason: e.to_string(),
    })?;
    Ok((value, report))
}

fn parse_like(current: &Value, key: &str, raw: &str) -> Result<Value, ConfigError> {
    let text = raw.trim();
    let invalid = |expected| ConfigError::InvalidValue {
        key: key.to_string(),
        value: raw.to_string(),
        expected,
    };
    Ok(match current {
        Value::Bool(_) => match text.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(invalid("boolean (true/false)")),
        },
        Value::Number(n) if n.is_f64() => {
            let f: f64 = text.parse().map_err(|_| invalid("number"))?;
            Value::Number(Number::from_f64(f).ok_or_else(|| invalid("finite number"))?)
        }
        Value::Number(n) if n.is_u64() => match text.parse::<u64>() {
            Ok(v) => Value::Number(v.into()),
            Err(_) => return Err(invalid("non-negative integer")),
        },
        Value::Number(_) => {
            Value::Number(text.parse::<i64>().map_err(|_| invalid("integer"))?.into())
        }
        _ => Value::String(text.to_string()),
    })
}

/// Lists a flat config struct as `(key, value)` pairs in field order, as `-p` and GET_BROKER_CONFIG print them.
pub fn to_properties<T: Serialize>(config: &T) -> Result<Vec<(String, String)>, ConfigError> {
    let obj: Map<String, Value> = match serde_json::to_value(config) {
        Ok(Value::Object(m)) => m,
        _ => return Err(ConfigError::NotFlat),
    };
    Ok(obj
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, s)
        })
        .collect())
}

/// Reads a `.properties` file with a clear error naming the path.
pub fn read_properties_file(path: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    std::fs::read_to_string(path)
        .map(|t| crate::parse_properties(&t))
        .map_err(|source| ConfigError::Io {
            path: path.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        listen_port: u16,
        ratio: f64,
        offset: i64,
        enable: bool,
        name: String,
        role: Role,
        path: Option<String>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    #[allow(clippy::upper_case_acronyms)]
    enum Role {
        #[serde(rename = "ASYNC_MASTER")]
        AsyncMaster,
        #[serde(rename = "SLAVE")]
        Slave,
    }

    fn base() -> Sample {
        Sample {
            listen_port: 9876,
            ratio: 0.5,
            offset: -1,
            enable: false,
            name: "x".into(),
            role: Role::AsyncMaster,
            path: None,
        }
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn applies_typed_values_and_reports_unknown() {
        let p = props(&[
            ("listenPort", " 10000 "),
            ("ratio", "0.75"),
            ("offset", "-5"),
            ("enable", "TRUE"),
            ("name", " broker-a "),
            ("role", "SLAVE"),
            ("path", "/tmp/kv.json"),
            ("nonsense", "1"),
        ]);
        let (s, report) = apply_properties(&base(), &p, &[]).unwrap();
        assert_eq!(s.listen_port, 10000);
        assert_eq!(s.ratio, 0.75);
        assert_eq!(s.offset, -5);
        assert!(s.enable);
        assert_eq!(s.name, "broker-a");
        assert_eq!(s.role, Role::Slave);
        assert_eq!(s.path.as_deref(), Some("/tmp/kv.json"));
        assert_eq!(report.unknown_keys, vec!["nonsense".to_string()]);
    }

    #[test]
    fn aliases_map_old_spellings() {
        let (s, _) =
            apply_properties(&base(), &props(&[("port", "1")]), &[("port", "listenPort")]).unwrap();
        assert_eq!(s.listen_port, 1);
    }

    #[test]
    fn bad_values_name_the_key() {
        for (k, v) in [
            ("listenPort", "abc"),
            ("listenPort", "70000"),
            ("enable", "yes"),
            ("role", "MASTER"),
        ] {
            let err = apply_properties(&base(), &props(&[(k, v)]), &[]).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
    }

    #[test]
    fn lists_fields_as_properties() {
        let pairs = to_properties(&base()).unwrap();
        assert!(pairs.contains(&("listenPort".into(), "9876".into())));
        assert!(pairs.contains(&("role".into(), "ASYNC_MASTER".into())));
        assert!(pairs.contains(&("path".into(), "".into())));
    }
}
