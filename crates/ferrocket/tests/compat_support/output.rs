//! The drivers' output lines (`sent ...`, `recv ...`, `consumed ...`) parsed into values.

use std::collections::HashMap;

/// `key=value` words of one line (the first word, the line's kind, is skipped).
fn fields(line: &str) -> HashMap<&str, &str> {
    line.split_whitespace()
        .skip(1)
        .filter_map(|w| w.split_once('='))
        .collect()
}

fn num<T: std::str::FromStr>(f: &HashMap<&str, &str>, key: &str, line: &str) -> T {
    f.get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric `{key}` in {line:?}"))
}

/// The producer's summary: `sent ok=N failed=M sync=S async=A [queues=...]`.
#[derive(Debug)]
pub struct Sent {
    pub ok: u64,
    pub failed: u64,
    pub sync: u64,
    pub async_: u64,
    /// `send-failed ...` lines, for messages.
    pub failures: Vec<String>,
}

pub fn sent(stdout: &str) -> Sent {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("sent "))
        .unwrap_or_else(|| panic!("no `sent` line in:\n{}", super::driver::tail(stdout, 20)));
    let f = fields(line);
    Sent {
        ok: num(&f, "ok", line),
        failed: num(&f, "failed", line),
        sync: num(&f, "sync", line),
        async_: num(&f, "async", line),
        failures: stdout
            .lines()
            .filter(|l| l.starts_with("send-failed"))
            .take(10)
            .map(String::from)
            .collect(),
    }
}

/// One delivery: `recv id=.. tags=.. keys=.. queue=.. offset=.. reconsume=..`.
#[derive(Debug, Clone)]
pub struct Recv {
    pub id: u64,
    pub tags: String,
    pub keys: String,
    pub queue: i32,
    pub offset: i64,
}

/// The consumer's deliveries and summary `consumed total=.. distinct=.. reason=..`.
#[derive(Debug)]
pub struct Consumed {
    pub recv: Vec<Recv>,
    /// Deliveries whose body was not `id=<n>`.
    pub unparsed: Vec<String>,
    pub total: u64,
    pub distinct: u64,
    pub reason: String,
}

pub fn consumed(stdout: &str) -> Consumed {
    let mut recv = Vec::new();
    let mut unparsed = Vec::new();
    let mut summary = None;
    for line in stdout.lines() {
        if line.starts_with("recv ") {
            let f = fields(line);
            recv.push(Recv {
                id: num(&f, "id", line),
                tags: f.get("tags").unwrap_or(&"").to_string(),
                keys: f.get("keys").unwrap_or(&"").to_string(),
                queue: num(&f, "queue", line),
                offset: num(&f, "offset", line),
            });
        } else if line.starts_with("recv-unparsed") {
            unparsed.push(line.to_string());
        } else if line.starts_with("consumed ") {
            summary = Some(line);
        }
    }
    let line = summary.unwrap_or_else(|| {
        panic!(
            "no `consumed` line in:\n{}",
            super::driver::tail(stdout, 20)
        )
    });
    let f = fields(line);
    Consumed {
        recv,
        unparsed,
        total: num(&f, "total", line),
        distinct: num(&f, "distinct", line),
        reason: f.get("reason").unwrap_or(&"").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_driver_lines() {
        let s = sent("send-failed id=3 err=x\nsent ok=9 failed=1 sync=5 async=5 queues=0:9\n");
        assert_eq!(
            (s.ok, s.failed, s.sync, s.async_, s.failures.len()),
            (9, 1, 5, 5, 1)
        );
        let c = consumed(
            "recv id=7 tags=TagB keys=k7 queue=2 offset=11 reconsume=0\nrecv id=8 tags= keys= queue=0 offset=0 \
             reconsume=0\nconsumed total=2 distinct=2 reason=complete\n",
        );
        assert_eq!(c.recv.len(), 2);
        assert_eq!(
            (
                c.recv[0].id,
                c.recv[0].tags.as_str(),
                c.recv[0].keys.as_str()
            ),
            (7, "TagB", "k7")
        );
        assert_eq!((c.recv[0].queue, c.recv[0].offset), (2, 11));
        assert_eq!(c.recv[1].tags, "");
        assert_eq!((c.total, c.distinct, c.reason.as_str()), (2, 2, "complete"));
    }
}
