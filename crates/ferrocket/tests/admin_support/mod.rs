//! Running `ferrocket admin` / `ferrocket bench` as a user would, and reading their output.

#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// What a command printed and how it ended.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics with the whole output unless the command succeeded.
    pub fn expect_ok(self, what: &str) -> Run {
        assert!(
            self.ok(),
            "{what} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    /// Lines split into whitespace-separated columns.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.stdout
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    }
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `ferrocket <args>` with NAMESRV_ADDR removed from the environment (tests pass `-n`).
pub fn ferrocket(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .env("FERROCKET_LOG", "warn")
        .output()
        .expect("run ferrocket");
    finish(out)
}

/// `ferrocket admin <command> -n <ns> <args>`.
pub fn admin(ns: &str, command: &str, args: &[&str]) -> Run {
    let mut all = vec!["admin", command, "-n", ns];
    all.extend_from_slice(args);
    ferrocket(&all)
}

/// `ferrocket admin <command> -n <ns> <args>` run in directory `dir` (for commands that write files there).
pub fn admin_in(dir: &std::path::Path, ns: &str, command: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["admin", command, "-n", ns])
        .args(args)
        .current_dir(dir)
        .env_remove("NAMESRV_ADDR")
        .env("FERROCKET_LOG", "warn")
        .output()
        .expect("run ferrocket");
    finish(out)
}

/// Retries `f` every 100 ms until it returns `Some` or `limit` passes.
pub fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A local port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// Creates `topic` with `queues` queues through the CLI and waits until its route shows them.
pub fn create_topic(ns: &str, topic: &str, queues: u32) {
    let q = queues.to_string();
    admin(
        ns,
        "updateTopic",
        &["-c", "DefaultCluster", "-t", topic, "-r", &q, "-w", &q],
    )
    .expect_ok("updateTopic");
    let routed = eventually(Duration::from_secs(20), || {
        let r = admin(ns, "topicRoute", &["-t", topic]);
        (r.ok() && r.json()["queueDatas"][0]["writeQueueNums"] == queues).then_some(())
    });
    assert!(
        routed.is_some(),
        "route of {topic} never showed {queues} queues"
    );
}
