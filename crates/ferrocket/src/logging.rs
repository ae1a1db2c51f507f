//! Logs go to stderr; `RUST_LOG` (or `FERROCKET_LOG`) picks the level, `info` by default.

use std::io::IsTerminal;

pub fn init() {
    let filter = std::env::var("FERROCKET_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
