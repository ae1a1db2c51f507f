//! Thin runner for `ferrocket_store::bench::run`.
//!
//! `cargo run --release -p ferrocket-store --example store_bench -- [--dir D] [--gib N] [--max-secs S] [--quick]`

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
                opts.bytes_per_run = (val().parse::<f64>().expect("--gib number") * (1u64 << 30) as f64) as u64;
                i += 1;
            }
            "--max-secs" => {
                opts.max_seconds_per_run = val().parse().expect("--max-secs number");
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
