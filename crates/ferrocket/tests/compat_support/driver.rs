//! Runs a compatibility driver (compat/rust-client or compat/cpp-client) as a child process with a time limit and
//! collects its output.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One independent client, reachable through its driver program.
pub struct Driver {
    pub name: &'static str,
    program: PathBuf,
    /// Arguments before the subcommand (the script, for the Python driver).
    prefix: Vec<String>,
    /// Flags after the subcommand's own arguments.
    suffix: Vec<String>,
    /// HOME for the child: the C++ client writes logs under it.
    home: tempfile::TempDir,
    /// The Apache C++ client may crash in PushConsumer shutdown (upstream bug); a crash after the results line
    /// still counts as a finished run.
    crash_after_results_ok: bool,
}

fn env_path(var: &str, hint: &str) -> PathBuf {
    PathBuf::from(
        std::env::var(var)
            .unwrap_or_else(|_| panic!("{var} must point at {hint} (compat/run.sh sets it)")),
    )
}

impl Driver {
    /// compat/rust-client, built on crates.io `rocketmq-client-rust`.
    pub fn rust() -> Driver {
        Driver {
            name: "rocketmq-client-rust",
            program: env_path(
                "FERROCKET_COMPAT_RUST_CLIENT",
                "the rust-client driver binary",
            ),
            prefix: Vec::new(),
            suffix: Vec::new(),
            home: tempfile::tempdir().expect("driver home"),
            crash_after_results_ok: false,
        }
    }

    /// compat/cpp-client/driver.py on the Apache RocketMQ C++ client, run by the venv's python.
    pub fn cpp() -> Driver {
        let python = env_path(
            "FERROCKET_COMPAT_CPP_PYTHON",
            "the C++ client venv's python",
        );
        let script = std::env::var("FERROCKET_COMPAT_CPP_DRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../compat/cpp-client/driver.py")
            });
        let home = tempfile::tempdir().expect("driver home");
        let logs = home.path().join("logs");
        std::fs::create_dir_all(&logs).expect("log dir");
        Driver {
            name: "rocketmq-client-cpp",
            program: python,
            prefix: vec![script.display().to_string()],
            suffix: vec!["--log-dir".into(), logs.display().to_string()],
            home,
            crash_after_results_ok: true,
        }
    }

    /// Runs `<driver> args...`, killing it after `limit`.
    pub fn run(&self, args: &[&str], limit: Duration) -> Run {
        let mut child = Command::new(&self.program)
            .args(&self.prefix)
            .args(args)
            .args(&self.suffix)
            .env("HOME", self.home.path())
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start {:?}: {e}", self.name, self.program));
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for driver") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let status = child.wait().expect("reap driver");
                let stdout = out_reader.join().unwrap_or_default();
                panic!(
                    "{} {args:?} ran longer than {limit:?} and was killed ({status:?}); output tail:\n{}",
                    self.name,
                    tail(&stdout, 20)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Run {
            driver: self.name,
            args: args.iter().map(|s| s.to_string()).collect(),
            stdout: out_reader.join().unwrap_or_default(),
            stderr: err_reader.join().unwrap_or_default(),
            status,
            crash_after_results_ok: self.crash_after_results_ok,
        }
    }
}

/// A finished driver run.
pub struct Run {
    pub driver: &'static str,
    pub args: Vec<String>,
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
    crash_after_results_ok: bool,
}

impl Run {
    /// Panics unless the driver exited cleanly — or, for a client with the known shutdown crash, was killed by a
    /// signal after printing a line starting with `results_prefix`.
    pub fn expect_finished(&self, results_prefix: &str) -> &Run {
        if self.status.success() {
            return self;
        }
        let printed_results = self.stdout.lines().any(|l| l.starts_with(results_prefix));
        if self.crash_after_results_ok && self.status.signal().is_some() && printed_results {
            eprintln!(
                "note: {} {:?} crashed after its results ({:?}): the client's known shutdown bug",
                self.driver, self.args, self.status
            );
            return self;
        }
        panic!(
            "{} {:?} failed ({:?})\nstdout tail:\n{}\nstderr tail:\n{}",
            self.driver,
            self.args,
            self.status,
            tail(&self.stdout, 20),
            tail(&self.stderr, 40)
        );
    }
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
