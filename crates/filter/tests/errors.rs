//! Malformed expressions give a clear error with a position (the broker's code-23 remark),
//! never a panic.

mod common;
use common::compile_error;
use ferrocket_filter::Expression;

#[test]
fn unbalanced_parentheses() {
    assert_eq!(
        compile_error("(a = 1"),
        "SQL92 parse error at column 7: expected an operator, AND, OR or ')', found end of input"
    );
    assert_eq!(
        compile_error("((a = 1) AND b = 2"),
        "SQL92 parse error at column 19: expected an operator, AND, OR or ')', found end of input"
    );
    assert_eq!(
        compile_error("a = 1)"),
        "SQL92 parse error at column 6: expected an operator, AND, OR or end of input, found ')'"
    );
    assert_eq!(
        compile_error("()"),
        "SQL92 parse error at column 2: expected a value (literal, property name or '('), found ')'"
    );
}

#[test]
fn like_and_escape_are_not_supported() {
    assert_eq!(
        compile_error("a LIKE 'x%'"),
        "SQL92 parse error at column 3: LIKE is not supported by RocketMQ's SQL92 filter (use CONTAINS, STARTSWITH or ENDSWITH)"
    );
    assert!(compile_error("a like 'x'").contains("LIKE is not supported"));
    assert!(compile_error("a NOT LIKE 'x'").contains("at column 7: LIKE is not supported"));
    assert!(compile_error("a = 'x' ESCAPE '!'").contains("ESCAPE is not supported"));
}

#[test]
fn unterminated_string_and_comment() {
    assert_eq!(
        compile_error("a = 'abc"),
        "SQL92 parse error at column 5: unterminated string literal"
    );
    assert_eq!(
        compile_error("a = 'it''s"),
        "SQL92 parse error at column 5: unterminated string literal"
    );
    assert_eq!(
        compile_error("a IN ('x', 'y"),
        "SQL92 parse error at column 12: unterminated string literal"
    );
    assert_eq!(
        compile_error("a = 1 /* note"),
        "SQL92 parse error at column 7: unterminated comment"
    );
}

#[test]
fn trailing_garbage() {
    assert_eq!(
        compile_error("a = 1 garbage"),
        "SQL92 parse error at column 7: expected an operator, AND, OR or end of input, found 'garbage'"
    );
    assert!(compile_error("a = 1 b = 2").starts_with("SQL92 parse error at column 7:"));
    assert!(compile_error("a = 007").starts_with("SQL92 parse error at column 6:"));
    assert!(compile_error("a = 1;").contains("found ';'"));
    assert!(compile_error("a = 1 AND").contains("at column 10: expected a value"));
}

#[test]
fn empty_input() {
    for s in ["", " ", "\n\t", "-- only a comment", "/* nothing */"] {
        assert_eq!(
            compile_error(s),
            "SQL92 parse error at column 1: empty expression",
            "{s:?}"
        );
    }
}

#[test]
fn misplaced_or_missing_tokens() {
    for (expr, want) in [
        (
            "a IS",
            "at column 5: expected NOT or NULL, found end of input",
        ),
        ("a IS NOT", "at column 9: expected NULL, found end of input"),
        (
            "a BETWEEN 1",
            "at column 12: expected AND, found end of input",
        ),
        ("a BETWEEN 1 OR 2", "at column 13: expected AND, found 'OR'"),
        (
            "a IN ()",
            "at column 7: expected a string literal, found ')'",
        ),
        (
            "a IN (1, 2)",
            "at column 7: expected a string literal, found '1'",
        ),
        (
            "a IN ('x'",
            "at column 10: expected ',' or ')', found end of input",
        ),
        (
            "a IN 'x'",
            "at column 6: expected '(', found a string literal",
        ),
        (
            "a CONTAINS x",
            "at column 12: expected a string literal, found 'x'",
        ),
        (
            "a NOT CONTAINS 123",
            "at column 16: expected a string literal, found '123'",
        ),
        (
            "a >",
            "at column 4: expected a value (literal, property name or '('), found end of input",
        ),
        (
            "a != 1",
            "at column 3: expected an operator, AND, OR or end of input, found '!'",
        ),
        (
            "a == 1",
            "at column 4: expected a value (literal, property name or '('), found '='",
        ),
        (
            "in = 1",
            "at column 1: expected a value (literal, property name or '('), found 'in'",
        ),
        (
            "a = 1 AND é = 2",
            "at column 11: expected a value (literal, property name or '('), found 'é'",
        ),
        (
            "a and between 2 and 10",
            "at column 7: expected a value (literal, property name or '('), found 'between'",
        ),
    ] {
        let got = compile_error(expr);
        assert!(got.ends_with(want), "{expr:?}: {got}");
    }
    // positions on later lines name the line
    assert_eq!(
        compile_error("a = 1\nAND (b = 2"),
        "SQL92 parse error at line 2, column 11: expected an operator, AND, OR or ')', found end of input"
    );
}

#[test]
fn operands_the_dialect_rejects() {
    for (expr, want) in [
        (
            "a = NULL",
            "at column 5: NULL cannot be compared with '=' or '<>'; use IS NULL / IS NOT NULL",
        ),
        ("NULL <> a", "at column 1: NULL cannot be compared"),
        (
            "TRUE = 1",
            "at column 1: a boolean constant cannot be compared with a non-boolean constant",
        ),
        (
            "a > 'x'",
            "at column 5: operand of > must be a number or a property",
        ),
        ("a <= TRUE", "operand of <= must be a number or a property"),
        ("a > NULL", "operand of > must be a number or a property"),
        (
            "(a = 1) > 0",
            "at column 1: operand of > must be a number or a property",
        ),
        (
            "a BETWEEN 'a' AND 'b'",
            "operand of BETWEEN must be a number or a property",
        ),
        (
            "a BETWEEN 3 AND 1",
            "at column 11: BETWEEN lower bound must be less than or equal to the upper bound",
        ),
        (
            "a BETWEEN 3.5 AND 3",
            "BETWEEN lower bound must be less than or equal to the upper bound",
        ),
        ("a BETWEEN NULL AND 1", "BETWEEN bounds cannot be NULL"),
        (
            "'x' IN ('x')",
            "at column 1: IN needs a property name on its left",
        ),
        (
            "5",
            "at column 1: expression does not yield a boolean value",
        ),
        ("'text'", "expression does not yield a boolean value"),
        ("-a", "expression does not yield a boolean value"),
        (
            "a = 1 AND 5",
            "at column 11: expression does not yield a boolean value",
        ),
        (
            "NOT 5",
            "at column 5: expression does not yield a boolean value",
        ),
        (
            "a > 9223372036854775808",
            "at column 5: integer literal 9223372036854775808 is out of range",
        ),
        (
            "a > 100000000000000000000000",
            "integer literal 100000000000000000000000 is out of range",
        ),
        (
            "a > 1e999",
            "at column 5: float literal 1e999 is out of range",
        ),
    ] {
        let got = compile_error(expr);
        assert!(got.contains(want), "{expr:?}: {got}");
    }
    // NOT before a comparison gets a hint (NOT binds to the nearest operand)
    let got = compile_error("NOT a > 1");
    assert!(got.contains("write NOT (a > 1)"), "{got}");
    assert!(compile_error("NOT a IN ('x')").contains("write NOT (a > 1)"));
    // NOT BETWEEN has no bound-order check (as in Apache): an empty range just never matches
    assert!(Expression::compile("a NOT BETWEEN 3 AND 1").is_ok());
}

#[test]
fn nesting_is_bounded_instead_of_overflowing_the_stack() {
    let deep = format!("{}a = 1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(compile_error(&deep).contains("nested too deeply"));
    let nots = format!("{}(a = 1)", "NOT ".repeat(100_000));
    assert!(compile_error(&nots).contains("nested too deeply"));
    let negs = format!("a = {}1", "- ".repeat(100_000));
    assert!(compile_error(&negs).contains("nested too deeply"));
    // long chains without parentheses deepen the tree; they are bounded too
    let chain = format!("a{}", " IS NULL".repeat(20_000));
    assert!(compile_error(&chain).contains("too deeply nested"));
    // but long flat AND/OR lists are fine
    let wide = (0..5_000)
        .map(|i| format!("a = {i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let e = Expression::compile(&wide).unwrap();
    assert!(e.matches(&[("a", "4999")][..]));
}

#[test]
fn error_accessors() {
    let e = Expression::compile("a = 1\n  AND").unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 6));
    assert!(e.message().starts_with("expected a value"));
    let e: Result<Expression, _> = "(a".parse();
    assert!(e.is_err());
}
