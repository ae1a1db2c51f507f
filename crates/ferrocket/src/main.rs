//! `ferrocket`: Apache RocketMQ rebuilt in Rust. One binary, one subcommand per role.

mod cmd;
mod logging;

use clap::{Parser, Subcommand};

/// mimalloc: the message path allocates and frees many small buffers per message across threads, where the
/// system allocator cost about a fifth of CPU in profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ferrocket", version, about = "Apache RocketMQ rebuilt in Rust")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a name server (Apache's `mqnamesrv`).
    Namesrv(cmd::namesrv::NamesrvArgs),
    /// Run a broker (Apache's `mqbroker`).
    Broker(cmd::broker::BrokerArgs),
    /// Run a name server and a broker in one process.
    Standalone(cmd::standalone::StandaloneArgs),
    /// Administer a cluster (Apache's `mqadmin`).
    Admin(cmd::admin::AdminArgs),
    /// Load-test a cluster (Apache's benchmark producer and consumer) or the store.
    Bench(cmd::bench::BenchArgs),
}

fn main() {
    let cli = Cli::parse_from(cmd::bench::rewrite_apache_flags(std::env::args_os()));
    logging::init();
    let result = match cli.command {
        Command::Namesrv(args) => cmd::namesrv::run(args),
        Command::Broker(args) => cmd::broker::run(args),
        Command::Standalone(args) => cmd::standalone::run(args),
        Command::Admin(args) => cmd::admin::run(args),
        Command::Bench(args) => cmd::bench::run(args),
    };
    if let Err(e) = result {
        eprintln!("ferrocket: {e:#}");
        std::process::exit(1);
    }
}
