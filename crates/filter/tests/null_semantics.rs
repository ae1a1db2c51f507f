//! Missing properties are NULL: comparisons with NULL are not true, and AND/OR/NOT use SQL's
//! three-valued logic, evaluated left to right with short-circuit (as Apache's
//! LogicExpression does).

mod common;
use common::*;
use ferrocket_filter::{EvalError, NumberKind};

#[test]
fn comparisons_with_a_missing_property_are_null() {
    for expr in [
        "a = 1",
        "a <> 1",
        "1 = a",
        "1 <> a",
        "a = 'x'",
        "'x' <> a",
        "a > 1",
        "a >= 1",
        "1 < a",
        "a <= 1.5",
        "a BETWEEN 1 AND 2",
        "a NOT BETWEEN 1 AND 2",
        "a IN ('x')",
        "a NOT IN ('x')",
        "a = b",
        "a <> b",
        "a > b",
        "a = TRUE",
        "NOT (a = 1)",
    ] {
        assert_eq!(eval(expr, &[]), N, "{expr}");
        assert!(!matches(expr, &[]), "{expr}");
    }
    // NULL on one side only
    assert_eq!(eval("a = b", &[("a", "1")]), N);
    assert_eq!(eval("a = b", &[("b", "1")]), N);
    assert_eq!(eval("a > b", &[("a", "1")]), N);
}

#[test]
fn text_tests_on_a_missing_property_are_false_not_null() {
    // Apache returns FALSE here, so their NOT forms are FALSE too, and NOT(...) around them is TRUE.
    for expr in [
        "a CONTAINS 'x'",
        "a NOT CONTAINS 'x'",
        "a STARTSWITH 'x'",
        "a NOT STARTSWITH 'x'",
        "a ENDSWITH 'x'",
        "a NOT ENDSWITH 'x'",
    ] {
        assert_eq!(eval(expr, &[]), F, "{expr}");
    }
    assert_eq!(eval("NOT (a CONTAINS 'x')", &[]), T);
    // an empty needle never matches
    assert_eq!(eval("a CONTAINS ''", &[("a", "abc")]), F);
    assert_eq!(eval("a NOT CONTAINS ''", &[("a", "abc")]), F);
    assert_eq!(eval("a STARTSWITH ''", &[("a", "abc")]), F);
    assert_eq!(eval("a NOT ENDSWITH ''", &[("a", "abc")]), F);
}

#[test]
fn is_null_is_never_null() {
    assert_eq!(eval("a IS NULL", &[]), T);
    assert_eq!(eval("NULL IS NULL", &[]), T);
    assert_eq!(eval("1 IS NULL", &[]), F);
    assert_eq!(eval("(a = 1) IS NULL", &[]), T);
    assert_eq!(eval("(a = 1) IS NOT NULL", &[("a", "2")]), T);
    assert_eq!(eval("-a IS NULL", &[("a", "5")]), T);
}

#[test]
fn three_valued_and_or_not() {
    // NULL operand: m is missing, so `m = 1` is NULL
    for (expr, want) in [
        ("m = 1 AND TRUE", N),
        ("TRUE AND m = 1", N),
        ("m = 1 AND FALSE", F),
        ("FALSE AND m = 1", F),
        ("m = 1 AND m = 2", N),
        ("m = 1 OR TRUE", T),
        ("TRUE OR m = 1", T),
        ("m = 1 OR FALSE", N),
        ("FALSE OR m = 1", N),
        ("m = 1 OR m = 2", N),
        ("NOT (m = 1)", N),
        ("NOT NULL", N),
        ("NULL AND FALSE", F),
        ("NULL OR TRUE", T),
        ("NULL AND TRUE", N),
        ("TRUE AND TRUE AND TRUE", T),
        ("FALSE OR FALSE OR FALSE", F),
        ("FALSE OR FALSE OR m = 1", N),
        ("TRUE AND (m = 1 OR TRUE)", T),
        ("NOT (m = 1 AND FALSE)", T),
    ] {
        assert_eq!(eval(expr, &[]), want, "{expr}");
    }
}

#[test]
fn and_or_stop_early_so_later_errors_do_not_count() {
    let bad = [("a", "x")];
    let err = Err(EvalError::NotANumber(NumberKind::Int));
    assert_eq!(eval("FALSE AND a > 1", &bad), F);
    assert_eq!(eval("TRUE OR a > 1", &bad), T);
    assert_eq!(eval("a > 1 AND FALSE", &bad), err);
    assert_eq!(eval("a > 1 OR TRUE", &bad), err);
    assert_eq!(eval("m = 1 AND a > 1", &bad), err);
    assert_eq!(eval("TRUE AND a > 1", &bad), err);
}

#[test]
fn a_bare_property_as_a_condition_is_false_or_null() {
    // A property value is a string, never a boolean TRUE: present → FALSE, missing → NULL.
    assert_eq!(eval("a", &[("a", "true")]), F);
    assert_eq!(eval("a", &[]), N);
    assert_eq!(eval("a OR b = 1", &[("a", "true"), ("b", "1")]), T);
    assert_eq!(eval("a AND TRUE", &[("a", "true")]), F);
    assert_eq!(eval("NOT a", &[("a", "false")]), T);
}

#[test]
fn apache_null_or_example() {
    let e = "a is null OR a='hello'";
    assert_eq!(eval(e, &[]), T);
    assert_eq!(eval(e, &[("a", "hello")]), T);
    assert_eq!(eval(e, &[("a", "abc")]), F);
    let e = "a is not null and a='hello'";
    assert_eq!(eval(e, &[("a", "hello")]), T);
    assert_eq!(eval(e, &[]), F);
}
