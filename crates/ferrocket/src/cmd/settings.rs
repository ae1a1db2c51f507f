//! The configuration flags every server subcommand shares, applied the way Apache's startup applies them:
//! the `-c` properties file first, then each `--set key=value` in order.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use clap::Args;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Args, Debug, Clone, Default)]
pub struct ConfigFlags {
    /// Apache-style .properties configuration file.
    #[arg(short = 'c', long = "configFile", value_name = "FILE")]
    pub config_file: Option<String>,
    /// Override one configuration key (repeatable), e.g. --set listenPort=9877.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the effective configuration and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    pub print: bool,
}

impl ConfigFlags {
    /// The merged key/value pairs: file first, then `--set` in order.
    pub fn properties(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut props = match &self.config_file {
            Some(path) => ferrocket_config::read_properties_file(path)?,
            None => BTreeMap::new(),
        };
        for kv in &self.set {
            let Some((k, v)) = kv.split_once('=') else {
                bail!("--set expects KEY=VALUE, got `{kv}`");
            };
            let k = k.trim();
            if k.is_empty() {
                bail!("--set expects KEY=VALUE, got `{kv}` (empty key)");
            }
            props.insert(k.to_string(), v.to_string());
        }
        Ok(props)
    }

    /// Applies the merged properties to `base`, warning about keys no config knows.
    pub fn apply<T: Serialize + DeserializeOwned>(
        &self,
        base: &T,
        aliases: &[(&str, &str)],
    ) -> anyhow::Result<T> {
        let props = self.properties()?;
        let (config, report) = ferrocket_config::apply_properties(base, &props, aliases)
            .with_context(|| match &self.config_file {
                Some(p) => format!("invalid configuration (file {p} and --set flags)"),
                None => "invalid configuration (--set flags)".to_string(),
            })?;
        for key in report.unknown_keys {
            tracing::warn!(key, "unknown configuration key ignored");
        }
        Ok(config)
    }
}

/// Prints a config as `key=value` lines, as Apache's `-p` does.
pub fn print_config<T: Serialize>(config: &T) -> anyhow::Result<()> {
    for (k, v) in ferrocket_config::to_properties(config)? {
        println!("{k}={v}");
    }
    Ok(())
}
