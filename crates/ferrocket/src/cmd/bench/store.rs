//! `ferrocket bench store`: the store crate's benchmark (raw disk vs. commit log under ASYNC/SYNC flush),
//! reachable from the binary.

use std::path::PathBuf;

use clap::Args;
use ferrocket_store::bench::{run as run_store_bench, BenchOptions};

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Directory on the disk to measure (a temporary subdirectory is created and removed).
    #[arg(long = "dir")]
    pub dir: Option<PathBuf>,
    /// GiB written per run.
    #[arg(long = "gib")]
    pub gib: Option<f64>,
    /// Cap on each run's seconds.
    #[arg(long = "max-secs")]
    pub max_secs: Option<f64>,
    /// Short runs: 256 MiB, at most 10 s each.
    #[arg(long = "quick")]
    pub quick: bool,
    /// Body sizes, comma-separated (e.g. 128,1024).
    #[arg(long = "sizes", value_parser = counts)]
    pub sizes: Option<Counts>,
    /// Appender counts of the ASYNC_FLUSH runs, comma-separated; an empty value skips them.
    #[arg(long = "async", value_parser = counts)]
    pub async_appenders: Option<Counts>,
    /// Appender threads of the SYNC_FLUSH runs; an empty value skips them.
    #[arg(long = "sync", value_parser = counts)]
    pub sync_appenders: Option<Counts>,
    /// Appender tasks of the SYNC_FLUSH runs on a 2-thread runtime; an empty value skips them.
    #[arg(long = "sync-tasks", value_parser = counts)]
    pub sync_tasks: Option<Counts>,
    /// maxDispatchLagBytes override.
    #[arg(long = "lag-cap")]
    pub lag_cap: Option<u64>,
}

/// A comma-separated list of numbers; empty is an empty list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts(pub Vec<usize>);

fn counts(s: &str) -> Result<Counts, String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().map_err(|_| format!("`{x}` is not a number")))
        .collect::<Result<Vec<_>, _>>()
        .map(Counts)
}

impl StoreArgs {
    fn options(&self) -> BenchOptions {
        let mut o = BenchOptions {
            verbose: true,
            ..BenchOptions::default()
        };
        if self.quick {
            o.bytes_per_run = 256 << 20;
            o.max_seconds_per_run = 10.0;
        }
        if let Some(d) = &self.dir {
            o.dir = d.clone();
        }
        if let Some(g) = self.gib {
            o.bytes_per_run = (g * (1u64 << 30) as f64) as u64;
        }
        if let Some(s) = self.max_secs {
            o.max_seconds_per_run = s;
        }
        if let Some(v) = &self.sizes {
            o.body_sizes = v.0.clone();
        }
        if let Some(v) = &self.async_appenders {
            o.async_appenders = v.0.clone();
        }
        if let Some(v) = &self.sync_appenders {
            o.sync_appenders = v.0.clone();
        }
        if let Some(v) = &self.sync_tasks {
            o.sync_tasks = v.0.clone();
        }
        o.max_dispatch_lag_bytes = self.lag_cap;
        o
    }
}

pub fn run(a: StoreArgs) -> anyhow::Result<()> {
    let results =
        run_store_bench(&a.options()).map_err(|e| anyhow::anyhow!("store bench failed: {e}"))?;
    println!("{}", results.to_markdown());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        a: StoreArgs,
    }

    #[test]
    fn flags_map_to_options() {
        let a = Wrap::parse_from([
            "x", "--quick", "--sizes", "128,1024", "--async", "1,64", "--sync", "", "--dir",
            "/tmp/x",
        ])
        .a;
        let o = a.options();
        assert_eq!(o.bytes_per_run, 256 << 20);
        assert_eq!(o.body_sizes, vec![128, 1024]);
        assert_eq!(o.async_appenders, vec![1, 64]);
        assert!(o.sync_appenders.is_empty(), "{:?}", o.sync_appenders);
        assert_eq!(o.dir, PathBuf::from("/tmp/x"));
    }
}
