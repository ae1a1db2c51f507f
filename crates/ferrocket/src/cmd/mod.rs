//! One module per subcommand; `settings` holds what they share (properties files, `--set`, `-p`).

pub mod admin;
pub mod bench;
pub mod broker;
pub mod namesrv;
pub mod settings;
pub mod standalone;
