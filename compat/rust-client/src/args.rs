//! Tiny command-line parsing: positional words plus `--name value` flags.

use std::collections::HashMap;

pub struct Args {
    pub positional: Vec<String>,
    flags: HashMap<String, String>,
}

impl Args {
    pub fn parse(raw: &[String]) -> Result<Args, String> {
        let mut positional = Vec::new();
        let mut flags = HashMap::new();
        let mut it = raw.iter();
        while let Some(word) = it.next() {
            if let Some(name) = word.strip_prefix("--") {
                let value = it.next().ok_or_else(|| format!("flag --{name} needs a value"))?;
                flags.insert(name.to_string(), value.clone());
            } else {
                positional.push(word.clone());
            }
        }
        Ok(Args { positional, flags })
    }

    pub fn pos(&self, i: usize, what: &str) -> Result<String, String> {
        self.positional.get(i).cloned().ok_or_else(|| format!("missing {what}"))
    }

    pub fn flag(&self, name: &str, default: &str) -> String {
        self.flags.get(name).cloned().unwrap_or_else(|| default.to_string())
    }

    pub fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.flags.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name}: not a number: {v}")),
        }
    }
}

/// The tag of message `id` when the producer cycles through `tags`.
pub fn tag_of(id: u64, tags: &[String]) -> &str {
    &tags[(id % tags.len() as u64) as usize]
}

/// Comma-separated list, empty items dropped.
pub fn list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}
