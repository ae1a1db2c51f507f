//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ferrocket_filter::{EvalError, Expression};

/// Compiles `expr` (panicking with the error if it does not compile) and evaluates it
/// against the given properties.
pub fn eval(expr: &str, props: &[(&str, &str)]) -> Result<Option<bool>, EvalError> {
    let e =
        Expression::compile(expr).unwrap_or_else(|err| panic!("{expr:?} should compile: {err}"));
    e.evaluate(props)
}

/// TRUE / FALSE / NULL shorthand for expected three-valued results.
pub const T: Result<Option<bool>, EvalError> = Ok(Some(true));
pub const F: Result<Option<bool>, EvalError> = Ok(Some(false));
pub const N: Result<Option<bool>, EvalError> = Ok(None);

pub fn matches(expr: &str, props: &[(&str, &str)]) -> bool {
    Expression::compile(expr).unwrap().matches(props)
}

/// The compile error's Display for an expression that must not compile.
pub fn compile_error(expr: &str) -> String {
    match Expression::compile(expr) {
        Ok(_) => panic!("{expr:?} should not compile"),
        Err(e) => e.to_string(),
    }
}
