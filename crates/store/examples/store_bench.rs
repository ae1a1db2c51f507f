//! Thin runner for `ferrocket_store::bench::run`.
//!
//! `cargo run --release -p ferrocket-store --example store_bench -- [--dir D] [--gib N] [--max-secs S] [--quick]
//!  [--sizes 128,1024] [--async 1,16,64] [--sync 1,16,64] [--sync-tasks 1,16,64] [--lag-cap BYTES] [--write-mode auto|mmap|pwrite]` (an empty list, e.g. `--async ''`, skips those runs)

use ferrocket_store::bench::{run, BenchOptions};

fn main() {
    let mut opts = BenchOptions {
        verbose: true,
        ..BenchOptions::default()
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = || args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--dir" => {
                opts.dir = val().into();
                i += 1;
            }
            "--gib" => {
                opts.bytes_per_run =
                    (val().parse::<f64>().expect("--gib number") * (1u64 << 30) as f64) as u64;
                i += 1;
            }
            "--write-mode" => {
                opts.write_mode = Some(match val().as_str() {
                    "mmap" => ferrocket_store::CommitLogWriteMode::Mmap,
                    "pwrite" => ferrocket_store::CommitLogWriteMode::Pwrite,
                    _ => ferrocket_store::CommitLogWriteMode::Auto,
                });
                i += 1;
            }
            "--lag-cap" => {
                opts.max_dispatch_lag_bytes = Some(val().parse().expect("--lag-cap bytes"));
                i += 1;
            }
            "--max-secs" => {
                opts.max_seconds_per_run = val().parse().expect("--max-secs number");
                i += 1;
            }
            "--sizes" | "--async" | "--sync" | "--sync-tasks" => {
                let list: Vec<usize> = val()
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(|x| x.parse().expect("comma-separated numbers"))
                    .collect();
                match args[i].as_str() {
                    "--sizes" => opts.body_sizes = list,
                    "--async" => opts.async_appenders = list,
                    "--sync-tasks" => opts.sync_tasks = list,
                    _ => opts.sync_appenders = list,
                }
                i += 1;
            }
            "--quick" => {
                opts.bytes_per_run = 256 << 20;
                opts.max_seconds_per_run = 10.0;
            }
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
        i += 1;
    }
    match run(&opts) {
        Ok(r) => println!("{}", r.to_markdown()),
        Err(e) => {
            eprintln!("bench failed: {e}");
            std::process::exit(1);
        }
    }
}
