//! One module per subcommand; `settings` holds what they share (properties files, `--set`, `-p`).

pub mod namesrv;
pub mod settings;
