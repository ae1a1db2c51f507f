//! The public handle: compile once per subscription, evaluate per message.

use std::fmt;

use crate::ast::Node;
use crate::error::{EvalError, FilterError};
use crate::eval;
use crate::parser;
use crate::properties::PropertySource;

const COMPILE_RED_ZONE: usize = 1024 * 1024;
const COMPILE_STACK_SIZE: usize = 2 * 1024 * 1024;
/// Trees up to this depth evaluate within a few KiB of stack (tens in debug builds).
const SHALLOW_DEPTH: usize = 32;
const EVAL_RED_ZONE: usize = 256 * 1024;
const EVAL_STACK_SIZE: usize = 1024 * 1024;

/// A compiled SQL92 filter expression. Immutable, `Send + Sync`, cheap to clone (the tree is
/// shared), and evaluating it allocates nothing.
#[derive(Clone)]
pub struct Expression {
    inner: std::sync::Arc<Compiled>,
}

struct Compiled {
    source: Box<str>,
    root: Node,
    /// Evaluation recurses once per level: deep trees check for stack room first.
    deep: bool,
}

impl Expression {
    /// Parses and checks `source`. The error's Display is what the broker returns as the
    /// remark of SUBSCRIPTION_PARSE_FAILED (23).
    pub fn compile(source: &str) -> Result<Expression, FilterError> {
        // Parsing recurses once per nesting level (bounded by the parser); debug builds use
        // a few hundred KiB at the bound, so run on a fresh stack segment when the caller's
        // stack is short.
        let (root, depth) = stacker::maybe_grow(COMPILE_RED_ZONE, COMPILE_STACK_SIZE, || {
            parser::parse(source)
        })?;
        Ok(Expression {
            inner: std::sync::Arc::new(Compiled {
                source: source.into(),
                root,
                deep: depth > SHALLOW_DEPTH,
            }),
        })
    }

    /// The text the expression was compiled from.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Three-valued result: `Ok(Some(true))` TRUE, `Ok(Some(false))` FALSE, `Ok(None)`
    /// NULL/unknown (e.g. a comparison with a missing property). `Err` when a property string
    /// cannot be converted to the number type it is compared with.
    pub fn evaluate<P: PropertySource + ?Sized>(
        &self,
        properties: &P,
    ) -> Result<Option<bool>, EvalError> {
        let root = &self.inner.root;
        if self.inner.deep {
            stacker::maybe_grow(EVAL_RED_ZONE, EVAL_STACK_SIZE, || {
                eval::evaluate(root, properties)
            })
        } else {
            eval::evaluate(root, properties)
        }
    }

    /// Whether a message with these properties passes the filter: only a TRUE result does;
    /// FALSE, NULL and evaluation errors do not (as the broker treats them).
    pub fn matches<P: PropertySource + ?Sized>(&self, properties: &P) -> bool {
        matches!(self.evaluate(properties), Ok(Some(true)))
    }
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression").field(&self.source()).finish()
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.source())
    }
}

impl std::str::FromStr for Expression {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expression::compile(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn expression_is_send_sync_and_shares_its_tree() {
        assert_send_sync::<Expression>();
        let e = Expression::compile("a = 1").unwrap();
        let c = e.clone();
        assert!(std::sync::Arc::ptr_eq(&e.inner, &c.inner));
        assert_eq!(c.source(), "a = 1");
        assert_eq!(format!("{e:?}"), "Expression(\"a = 1\")");
    }
}
