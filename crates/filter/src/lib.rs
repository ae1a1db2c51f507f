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
//! # Semantics
//!
//! Where `sql92-filter.md` is silent, behaviour follows Apache RocketMQ's filter module:
//!
//! - Keywords are case-insensitive, property names case-sensitive (ASCII letter, `_` or `$`,
//!   then also digits). A missing property is NULL.
//! - NOT is a prefix operator binding tighter than comparisons: `NOT a = 1` is `(NOT a) = 1`
//!   (never TRUE); write `NOT (a = 1)`. Then AND, then OR, lowest.
//! - AND/OR/NOT use three-valued logic, left to right, stopping at the first FALSE (AND) or
//!   TRUE (OR); an operand not reached cannot cause an evaluation error.
//! - A property (always a string) meeting a number is parsed as that number's type: integer
//!   literals that fit 32 bits are ints (even with `L`), larger ones longs, float literals
//!   doubles (Java `Integer`/`Long`/`Double.valueOf` rules). Failure is an [`EvalError`]: no
//!   match. Two strings with `<`, `<=`, `>`, `>=` are both parsed as doubles; with `=`/`<>`
//!   they compare as text. Meeting TRUE/FALSE, a string is true exactly when it is "true" in
//!   any case.
//! - `=`, `<>`, `<`, ..., `BETWEEN`, `IN`, `NOT IN` with a NULL operand are NULL;
//!   `IS [NOT] NULL` is never NULL; `[NOT] CONTAINS/STARTSWITH/ENDSWITH` are FALSE for a NULL
//!   operand or an empty needle.
//! - A bare property where a condition is expected (`a AND ...`) is FALSE when present (a
//!   string is never a boolean TRUE) and NULL when missing.
//! - Rejected when compiling: `= NULL` (use IS NULL), ordering a string/boolean constant or a
//!   condition, constant BETWEEN bounds that are NULL or reversed, IN without a property on its
//!   left, a number or string where a condition is expected, integer literals beyond 64 bits,
//!   float literals beyond the double range, text after a complete expression, and nesting
//!   deeper than 32 parentheses/prefix operators.

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
