//! Configuration the way Apache RocketMQ reads it: Java `.properties` text whose keys are the config objects'
//! property names (`listenPort`, `brokerRole`, ...), applied onto typed structs with Apache's defaults.
//!
//! - [`properties`]: parse and write `.properties` text (also the body format of UPDATE/GET_BROKER_CONFIG).
//! - [`apply`]: set the fields of a serde struct from such key/value pairs, and list a struct as key/value pairs.

pub mod apply;
pub mod properties;

pub use apply::{apply_properties, read_properties_file, to_properties, ApplyReport, ConfigError};
pub use properties::{format_properties, parse_properties};
