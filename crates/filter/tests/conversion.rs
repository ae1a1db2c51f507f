//! How string property values meet literals of other types (sql92-filter.md "Type
//! conversion", with Apache's ComparisonExpression for the details the spec leaves open).

mod common;
use common::*;
use ferrocket_filter::{EvalError, NumberKind};

const NOT_INT: Result<Option<bool>, EvalError> = Err(EvalError::NotANumber(NumberKind::Int));
const NOT_LONG: Result<Option<bool>, EvalError> = Err(EvalError::NotANumber(NumberKind::Long));
const NOT_DOUBLE: Result<Option<bool>, EvalError> = Err(EvalError::NotANumber(NumberKind::Double));

#[test]
fn string_property_is_parsed_as_the_number_literal_type() {
    // the spec's example
    assert_eq!(eval("a BETWEEN 3 AND 7", &[("a", "5")]), T);
    // an integer literal parses the property as a 32-bit int
    assert_eq!(eval("a = 5", &[("a", "+5")]), T);
    assert_eq!(eval("a = 5", &[("a", "5.0")]), NOT_INT);
    assert_eq!(eval("a > 5", &[("a", "3000000000")]), NOT_INT);
    assert_eq!(eval("a = 5", &[("a", " 5")]), NOT_INT);
    // a literal beyond 32 bits is a long, and so is the conversion
    assert_eq!(eval("a > 2147483648", &[("a", "3000000000")]), T);
    assert_eq!(eval("a > 2147483648", &[("a", "1e3")]), NOT_LONG);
    // the L suffix does not widen a small literal (Apache narrows every literal that fits)
    assert_eq!(eval("a > 5L", &[("a", "3000000000")]), NOT_INT);
    // a float literal parses the property as a double (Java Double.valueOf rules)
    assert_eq!(eval("a = 5.0", &[("a", "5")]), T);
    assert_eq!(eval("a > 3.14", &[("a", "3.1415")]), T);
    assert_eq!(eval("a > 3.1E10", &[("a", "3.1415E10")]), T);
    assert_eq!(eval("a = 5.0", &[("a", " 5 ")]), T);
    assert_eq!(eval("a = 5.0", &[("a", "5d")]), T);
    assert_eq!(eval("a < 0.5", &[("a", "-Infinity")]), T);
    assert_eq!(eval("a = 5.0", &[("a", "five")]), NOT_DOUBLE);
    // conversion happens on either side
    assert_eq!(eval("7 > a", &[("a", "5")]), T);
    assert_eq!(eval("7.5 > a", &[("a", "x")]), NOT_DOUBLE);
}

#[test]
fn unparsable_strings_make_the_message_not_match() {
    let e = ferrocket_filter::Expression::compile("a BETWEEN 0 AND 100").unwrap();
    assert!(!e.matches(&[("a", "abc")][..]));
    assert_eq!(e.evaluate(&[("a", "abc")][..]), NOT_INT);
    // also through NOT and <>: an error is not FALSE, so negating it does not match either
    assert!(!matches("NOT (a = 1)", &[("a", "abc")]));
    assert!(!matches("a <> 1", &[("a", "abc")]));
    assert!(!matches("a NOT BETWEEN 0 AND 100", &[("a", "abc")]));
}

#[test]
fn two_strings_with_ordering_operators_compare_as_doubles() {
    // numerically, not as text ("10" < "9" as text)
    assert_eq!(eval("a > b", &[("a", "10"), ("b", "9")]), T);
    assert_eq!(eval("a < b", &[("a", "10"), ("b", "9")]), F);
    assert_eq!(eval("a >= b", &[("a", "2.50"), ("b", "2.5")]), T);
    assert_eq!(eval("a <= b", &[("a", "-1"), ("b", "1e-9")]), T);
    assert_eq!(
        eval(
            "a BETWEEN lo AND hi",
            &[("a", "3.14"), ("lo", "3"), ("hi", "4")]
        ),
        T
    );
    // one unparsable side fails the evaluation
    assert_eq!(eval("a > b", &[("a", "x"), ("b", "1")]), NOT_DOUBLE);
    assert_eq!(eval("a > b", &[("a", "1"), ("b", "y")]), NOT_DOUBLE);
    // Java's Double.compare order: NaN above everything
    assert_eq!(eval("a > b", &[("a", "NaN"), ("b", "Infinity")]), T);
    // but = and <> on two strings compare the text
    assert_eq!(eval("a = b", &[("a", "10"), ("b", "10.0")]), F);
    assert_eq!(eval("a = b", &[("a", "x"), ("b", "x")]), T);
    assert_eq!(eval("a <> b", &[("a", "3.14"), ("b", "3.141")]), T);
}

#[test]
fn boolean_literals_read_the_property_as_a_boolean() {
    assert_eq!(eval("a = TRUE", &[("a", "true")]), T);
    assert_eq!(eval("a = TRUE", &[("a", "TRUE")]), T);
    assert_eq!(eval("a = TRUE", &[("a", "yes")]), F);
    // anything but "true" reads as false (Java Boolean.valueOf), so it equals FALSE
    assert_eq!(eval("a = FALSE", &[("a", "yes")]), T);
    assert_eq!(eval("a = FALSE", &[("a", "0")]), T);
    assert_eq!(eval("a <> TRUE", &[("a", "false")]), T);
    // the spec's booleanExpression test from Apache
    assert_eq!(
        eval("a=TRUE OR b=FALSE", &[("a", "true"), ("b", "false")]),
        T
    );
    assert_eq!(
        eval("a=TRUE OR b=FALSE", &[("a", "false"), ("b", "true")]),
        F
    );
    // a boolean literal on the left works the same
    assert_eq!(eval("TRUE = a", &[("a", "True")]), T);
    assert_eq!(eval("FALSE <> a", &[("a", "true")]), T);
}

#[test]
fn strings_meet_strings_without_conversion() {
    assert_eq!(eval("a = '5'", &[("a", "5")]), T);
    assert_eq!(eval("a = '5'", &[("a", "5.0")]), F);
    assert_eq!(eval("a IN ('1', '2')", &[("a", "01")]), F);
    assert_eq!(eval("a CONTAINS '2'", &[("a", "123")]), T);
    assert_eq!(eval("TAGS = '''''tag'''''", &[("TAGS", "''tag''")]), T);
}

#[test]
fn numeric_literals_compare_across_types() {
    assert_eq!(eval("1 = 1.0", &[]), T);
    assert_eq!(eval("2147483648 > 2147483647", &[]), T);
    assert_eq!(eval("-2147483648 < -2147483647", &[]), T);
    assert_eq!(eval("9223372036854775807 > 1.5", &[]), T);
    assert_eq!(eval("0.1 < 1", &[]), T);
    assert_eq!(eval("1 = TRUE", &[]), F);
    assert_eq!(eval("'x' = 1", &[]), NOT_INT);
}

#[test]
fn negation_applies_to_numbers_only() {
    assert_eq!(eval("a = -b", &[("a", "5"), ("b", "-5")]), N);
    assert_eq!(eval("-a = -5", &[("a", "5")]), N);
    assert_eq!(eval("a = -'5'", &[("a", "-5")]), N);
    assert_eq!(eval("a > -1.5e0", &[("a", "-1")]), T);
}
