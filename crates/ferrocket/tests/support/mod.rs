//! Starting real `ferrocket` processes for multi-process tests, on ports the OS picks.

#![allow(dead_code)]

pub mod broker_client;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running child process, killed when dropped.
pub struct ServerProcess {
    pub child: Child,
    /// The address it printed as listening on.
    pub addr: String,
    /// The whole line it printed when ready.
    pub ready_line: String,
    pub home: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM and waits (up to `limit`) for a clean exit; returns the exit status.
    pub fn terminate(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        unsafe_kill(self.child.id() as i32, 15);
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

fn unsafe_kill(pid: i32, sig: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// Starts `ferrocket <args>` with HOME in a fresh temp dir, and waits for the line containing `ready_marker`,
/// taking the last whitespace-separated word of that line as the address.
pub fn spawn(args: &[&str], ready_marker: &str) -> ServerProcess {
    let home = tempfile::tempdir().expect("temp home");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(args)
        .env("HOME", home.path())
        .env("FERROCKET_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ferrocket");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let marker = ready_marker.to_string();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !sent && line.contains(&marker) {
                let _ = tx.send(line);
                sent = true;
            }
        }
    });
    let ready_line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("server did not report ready within 30 s");
    let addr = ready_line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    ServerProcess {
        child,
        addr,
        ready_line,
        home,
    }
}

/// Store settings that keep a test broker's files small.
pub const SMALL_STORE: &[&str] = &[
    "--set",
    "mappedFileSizeCommitLog=16777216",
    "--set",
    "mappedFileSizeConsumeQueue=600000",
];

/// `ferrocket standalone` with both servers on OS-chosen ports of 127.0.0.1. `addr` is the broker's address;
/// [`ServerProcess::namesrv_addr`] the name server's.
pub fn spawn_standalone(extra: &[&str]) -> ServerProcess {
    let mut args = vec![
        "standalone",
        "--set",
        "listenPort=0",
        "--set",
        "namesrvAddr=127.0.0.1:0",
        "--set",
        "bindAddress=127.0.0.1",
        "--set",
        "brokerName=broker-a",
    ];
    args.extend_from_slice(SMALL_STORE);
    args.extend_from_slice(extra);
    spawn(&args, "boot success")
}

/// `ferrocket broker` registering with `namesrv`, on an OS-chosen port of 127.0.0.1.
pub fn spawn_broker(namesrv: &str, extra: &[&str]) -> ServerProcess {
    let mut args = vec![
        "broker",
        "-n",
        namesrv,
        "--set",
        "listenPort=0",
        "--set",
        "bindAddress=127.0.0.1",
        "--set",
        "brokerName=broker-a",
    ];
    args.extend_from_slice(SMALL_STORE);
    args.extend_from_slice(extra);
    spawn(&args, "boot success")
}

impl ServerProcess {
    /// For `standalone`: the name server address from the ready line ("... name server listening on ADDR and ...").
    pub fn namesrv_addr(&self) -> String {
        let rest = self
            .ready_line
            .split("name server listening on ")
            .nth(1)
            .expect("ready line names the name server");
        rest.split_whitespace().next().unwrap().to_string()
    }
}

/// A name server on 127.0.0.1 with an OS-chosen port.
pub fn spawn_namesrv(extra: &[&str]) -> ServerProcess {
    let mut args = vec![
        "namesrv",
        "--set",
        "listenPort=0",
        "--set",
        "bindAddress=127.0.0.1",
    ];
    args.extend_from_slice(extra);
    spawn(&args, "boot success")
}
