//! The canonical text of a JSON value: compact, object fields sorted. Used as the key string of a bare object key,
//! so that `{"topic":"T","queueId":0,"brokerName":"b"}` and its reordering give the same map key.

use serde_json::Value;

use super::escape::{write_f64, write_str};

/// Compact JSON of `value` with the fields of every object sorted by name (byte order).
pub fn canonical_string(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(&mut out, value);
    // Only valid UTF-8 is ever written.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn write_canonical(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                write_f64(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => write_str(out, s, false),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k, false);
                out.push(b':');
                write_canonical(out, v);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_fields_recursively() {
        let v = json!({"topic":"T","queueId":0,"brokerName":"b","x":{"b":1.5,"a":[true,null]}});
        assert_eq!(
            canonical_string(&v),
            r#"{"brokerName":"b","queueId":0,"topic":"T","x":{"a":[true,null],"b":1.5}}"#
        );
    }
}
