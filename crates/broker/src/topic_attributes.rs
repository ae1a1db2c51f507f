//! Topic attributes and their edit syntax `+k=v,+k2=v2,-k3` (UPDATE_AND_CREATE_TOPIC's `attributes` ext,
//! remoting-protocol.md §8.2). Known keys and their rules follow Apache's TopicAttributes.

use std::collections::BTreeMap;

enum Rule {
    /// One of a fixed set of values.
    OneOf(&'static [&'static str]),
    /// An integer in the range.
    Range(i64, i64),
}

struct Attribute {
    name: &'static str,
    /// May be added, changed or removed after the topic exists.
    changeable: bool,
    rule: Rule,
}

const ATTRIBUTES: &[Attribute] = &[
    Attribute {
        name: "queue.type",
        changeable: false,
        rule: Rule::OneOf(&["BatchCQ", "SimpleCQ"]),
    },
    Attribute {
        name: "cleanup.policy",
        changeable: false,
        rule: Rule::OneOf(&["DELETE", "COMPACTION"]),
    },
    Attribute {
        name: "message.type",
        changeable: true,
        rule: Rule::OneOf(&[
            "UNSPECIFIED",
            "NORMAL",
            "FIFO",
            "DELAY",
            "TRANSACTION",
            "MIXED",
        ]),
    },
    Attribute {
        name: "reserve.time",
        changeable: true,
        rule: Rule::Range(-1, i64::MAX),
    },
];

/// One parsed edit: `Some(value)` to set, `None` to remove.
type Edit = (String, Option<String>);

fn parse(edit: &str) -> Result<Vec<Edit>, String> {
    let mut out: Vec<Edit> = Vec::new();
    for item in edit.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (op, rest) = item.split_at(1);
        let (key, value) = match op {
            "+" => {
                let (k, v) = rest
                    .split_once('=')
                    .ok_or_else(|| format!("attribute `{item}` lacks `=value`"))?;
                (k.trim(), Some(v.trim().to_string()))
            }
            "-" => (rest.trim(), None),
            _ => return Err(format!("wrong format key: {item} (use +key=value or -key)")),
        };
        if key.is_empty() || key.contains(['+', '-', '=']) {
            return Err(format!("kv string format wrong: {item}"));
        }
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("alter duplication key. key: {key}"));
        }
        out.push((key.to_string(), value));
    }
    Ok(out)
}

/// The attributes after applying `edit` to `current`. `creating` is true when the topic does not exist yet: then
/// only `+` edits are allowed and unchangeable attributes may be set.
///
/// Checks run in Apache's order: first the edit's shape (format, duplicates, `-` while creating, `-` of a key the
/// topic does not have — even an unknown key), then each key against the known attributes.
pub fn alter(
    creating: bool,
    current: &BTreeMap<String, String>,
    edit: &str,
) -> Result<BTreeMap<String, String>, String> {
    let edits = parse(edit)?;
    for (key, value) in &edits {
        if value.is_none() {
            if creating {
                return Err(format!(
                    "only add attribute is supported while creating topic. key: {key}"
                ));
            }
            if !current.contains_key(key) {
                return Err(format!("attempt to delete a nonexistent key: {key}"));
            }
        }
    }
    let mut result = current.clone();
    for (key, value) in edits {
        let attr = ATTRIBUTES
            .iter()
            .find(|a| a.name == key)
            .ok_or_else(|| format!("unsupported key: {key}"))?;
        if !creating && !attr.changeable {
            return Err(format!(
                "attempt to update an unchangeable attribute. key: {key}"
            ));
        }
        match value {
            Some(v) => {
                let ok = match attr.rule {
                    Rule::OneOf(values) => values.contains(&v.as_str()),
                    Rule::Range(lo, hi) => v.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n)),
                };
                if !ok {
                    return Err(format!("value `{v}` is not valid for attribute {key}"));
                }
                result.insert(key, v);
            }
            None => {
                result.remove(&key);
            }
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_update_delete() {
        let none = BTreeMap::new();
        let a = alter(true, &none, "+message.type=FIFO,+queue.type=SimpleCQ").unwrap();
        assert_eq!(a["message.type"], "FIFO");
        assert_eq!(a["queue.type"], "SimpleCQ");
        assert!(alter(true, &none, "-message.type").is_err());
        assert!(
            alter(false, &a, "+queue.type=BatchCQ").is_err(),
            "unchangeable"
        );
        let b = alter(false, &a, "+message.type=NORMAL").unwrap();
        assert_eq!(b["message.type"], "NORMAL");
        let c = alter(false, &b, "-message.type").unwrap();
        assert!(!c.contains_key("message.type"));
        assert_eq!(
            alter(false, &c, "-message.type").unwrap_err(),
            "attempt to delete a nonexistent key: message.type"
        );
        // Deleting a key that is not set is reported as such even when the key is unknown (Apache's order).
        assert_eq!(
            alter(false, &c, "-nope").unwrap_err(),
            "attempt to delete a nonexistent key: nope"
        );
        assert!(alter(false, &a, "-queue.type").is_err(), "unchangeable");
        // A failed edit changes nothing, even when an earlier item was fine.
        assert!(alter(false, &b, "+message.type=FIFO,-reserve.time").is_err());
        let d = alter(false, &b, "+reserve.time=5,-message.type").unwrap();
        assert_eq!(d.get("reserve.time").map(String::as_str), Some("5"));
        assert!(!d.contains_key("message.type"));
        assert!(alter(true, &none, "+nope=1").is_err());
        assert!(alter(true, &none, "+message.type=WEIRD").is_err());
        assert!(alter(true, &none, "message.type=FIFO").is_err());
        assert!(alter(true, &none, "+message.type=FIFO,+message.type=NORMAL").is_err());
        assert!(alter(true, &none, "+reserve.time=-2").is_err());
        assert_eq!(alter(true, &none, "").unwrap(), none);
    }
}
