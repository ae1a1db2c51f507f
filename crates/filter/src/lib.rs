//! RocketMQ's SQL92 message-property filter (`enablePropertyFilter=true`): the expression
//! language of `shared/spec/sql92-filter.md`, compiled once per subscription and evaluated by
//! the broker against each message's properties.
//!
//! ```
//! use std::collections::HashMap;
//! use ferrocket_filter::{EncodedProperties, Expression};
//!
//! let filter = Expression::compile("TAGS IN ('TagA', 'TagB') AND a BETWEEN 0 AND 3").unwrap();
//! let props: HashMap<String, String> =
//!     [("TAGS".to_string(), "TagA".to_string()), ("a".to_string(), "2".to_string())].into();
//! assert!(filter.matches(&props));
//! // Straight over a stored record's encoded properties:
//! assert!(!filter.matches(&EncodedProperties::new("TAGS\u{1}TagC\u{2}a\u{1}2\u{2}")));
//! // A bad expression is an error with a position, never a panic:
//! let err = Expression::compile("(a = 1").unwrap_err();
//! assert!(err.to_string().starts_with("SQL92 parse error at column 7: expected"));
//! ```
//!
//! Semantics follow Apache RocketMQ's filter module (see the crate README notes in
//! `Expression` docs and the tests): three-valued logic, properties are strings converted to
//! the type of the literal they meet, and NOT is a prefix operator binding tighter than
//! comparisons (`NOT a = 1` is `(NOT a) = 1`; write `NOT (a = 1)`).

mod ast;
mod convert;
mod error;
mod eval;
mod expression;
mod parser;
mod properties;
mod scan;
mod syntax_error;

pub use error::{EvalError, FilterError, NumberKind};
pub use expression::Expression;
pub use properties::{lookup_encoded_property, EncodedProperties, PropertySource};
