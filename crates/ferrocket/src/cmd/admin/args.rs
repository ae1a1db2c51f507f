//! Value parsers shared by the admin commands' flags.

/// `true`/`false` in any case, as Apache's flags take them (`-o true`). Java would read anything else as false;
/// here a typo is an error instead of a silent `false`.
pub fn bool_value(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("expected true or false, got `{other}`")),
    }
}

/// Topic permission: 2 (W), 4 (R) or 6 (RW); the inherit bit (1) is allowed for templates.
pub fn perm_value(s: &str) -> Result<i32, String> {
    let p: i32 = s
        .trim()
        .parse()
        .map_err(|_| format!("perm must be a number (2, 4 or 6), got `{s}`"))?;
    if !(0..=7).contains(&p) {
        return Err(format!("perm must be 2 (W), 4 (R) or 6 (RW), got {p}"));
    }
    Ok(p)
}

/// Queue counts: 1..=1024.
pub fn queue_nums(s: &str) -> Result<i32, String> {
    let n: i32 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a queue count, got `{s}`"))?;
    if !(1..=1024).contains(&n) {
        return Err(format!("queue count must be 1..=1024, got {n}"));
    }
    Ok(n)
}

/// Attributes added or changed (key, value), and removed (key).
pub type AttributeEdits = (Vec<(String, String)>, Vec<String>);

/// Attribute edits `+k=v,+k2=v2,-k3` into (added or changed, removed).
pub fn attribute_edits(s: &str) -> Result<AttributeEdits, String> {
    let mut add = Vec::new();
    let mut remove = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if let Some(kv) = item.strip_prefix('+') {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(format!("attribute `{item}`: expected +key=value"));
            };
            if k.is_empty() {
                return Err(format!("attribute `{item}`: empty key"));
            }
            add.push((k.to_owned(), v.to_owned()));
        } else if let Some(k) = item.strip_prefix('-') {
            if k.is_empty() || k.contains('=') {
                return Err(format!("attribute `{item}`: expected -key"));
            }
            remove.push(k.to_owned());
        } else {
            return Err(format!(
                "attribute `{item}`: must start with + (add/alter) or - (delete)"
            ));
        }
    }
    Ok((add, remove))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_strict() {
        assert_eq!(bool_value("TRUE"), Ok(true));
        assert_eq!(bool_value(" false "), Ok(false));
        assert!(bool_value("yes").is_err());
    }

    #[test]
    fn perms_and_queues() {
        assert_eq!(perm_value("6"), Ok(6));
        assert!(perm_value("9").is_err());
        assert!(perm_value("rw").is_err());
        assert_eq!(queue_nums("8"), Ok(8));
        assert!(queue_nums("0").is_err());
    }

    #[test]
    fn attribute_syntax() {
        let (add, remove) = attribute_edits("+message.type=FIFO, -old ,+a=b").unwrap();
        assert_eq!(
            add,
            vec![
                ("message.type".to_string(), "FIFO".to_string()),
                ("a".to_string(), "b".to_string())
            ]
        );
        assert_eq!(remove, vec!["old".to_string()]);
        assert!(attribute_edits("a=b").is_err());
        assert!(attribute_edits("+a").is_err());
        assert!(attribute_edits("-a=b").is_err());
    }
}
