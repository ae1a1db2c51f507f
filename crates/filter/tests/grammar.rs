//! Every operator and literal form of the dialect, comments, keyword case, precedence.

mod common;
use common::*;

#[test]
fn comparison_operators() {
    let a5 = [("a", "5")];
    for (expr, want) in [
        ("a = 5", true),
        ("a = 4", false),
        ("a <> 4", true),
        ("a <> 5", false),
        ("a > 4", true),
        ("a > 5", false),
        ("a >= 5", true),
        ("a >= 6", false),
        ("a < 6", true),
        ("a < 5", false),
        ("a <= 5", true),
        ("a <= 4", false),
        ("a=5", true),
        ("a<>4", true),
        ("5 = a", true),
        ("4 < a", true),
        ("6 <= a", false),
    ] {
        assert_eq!(eval(expr, &a5), Ok(Some(want)), "{expr}");
    }
}

#[test]
fn between_and_not_between_include_bounds() {
    for (v, inside) in [
        ("2", false),
        ("3", true),
        ("5", true),
        ("7", true),
        ("8", false),
    ] {
        let p = [("a", v)];
        assert_eq!(eval("a BETWEEN 3 AND 7", &p), Ok(Some(inside)), "a={v}");
        assert_eq!(
            eval("a NOT BETWEEN 3 AND 7", &p),
            Ok(Some(!inside)),
            "a={v}"
        );
    }
    // bounds may be properties, signed or parenthesised
    let p = [("a", "0"), ("lo", "-1"), ("hi", "1")];
    assert_eq!(eval("a BETWEEN lo AND hi", &p), T);
    assert_eq!(eval("a BETWEEN -1 AND +(1)", &p), T);
    assert_eq!(eval("a BETWEEN 1 AND 2 AND lo = -1", &p), F);
}

#[test]
fn in_and_not_in_take_string_lists() {
    let p = [("TAGS", "TagB")];
    assert_eq!(eval("TAGS IN ('TagA', 'TagB')", &p), T);
    assert_eq!(eval("TAGS IN ('TagA')", &p), F);
    assert_eq!(eval("TAGS NOT IN ('TagA', 'TagC')", &p), T);
    assert_eq!(eval("TAGS NOT IN ('TagB')", &p), F);
    // case-sensitive, exact
    assert_eq!(eval("TAGS IN ('tagb', 'TagB ')", &p), F);
    // duplicates and long lists
    let long: Vec<String> = (0..100).map(|i| format!("'T{i}'")).collect();
    let expr = format!("t IN ({}, 'T5')", long.join(","));
    assert_eq!(eval(&expr, &[("t", "T57")]), T);
    assert_eq!(eval(&expr, &[("t", "T100")]), F);
    assert_eq!(eval(&expr.replace(" IN", " NOT IN"), &[("t", "T100")]), T);
}

#[test]
fn is_null_and_is_not_null() {
    assert_eq!(eval("a IS NULL", &[]), T);
    assert_eq!(eval("a IS NULL", &[("a", "")]), F);
    assert_eq!(eval("a IS NOT NULL", &[("a", "x")]), T);
    assert_eq!(eval("a IS NOT NULL", &[]), F);
}

#[test]
fn contains_startswith_endswith_and_negations() {
    let p = [("v", "axb")];
    for (expr, want) in [
        ("v CONTAINS 'x'", true),
        ("v CONTAINS 'u'", false),
        ("v NOT CONTAINS 'u'", true),
        ("v NOT CONTAINS 'x'", false),
        ("v STARTSWITH 'ax'", true),
        ("v STARTSWITH 'xb'", false),
        ("v NOT STARTSWITH 'xb'", true),
        ("v NOT STARTSWITH 'ax'", false),
        ("v ENDSWITH 'xb'", true),
        ("v ENDSWITH 'ax'", false),
        ("v NOT ENDSWITH 'ax'", true),
        ("v NOT ENDSWITH 'xb'", false),
        ("v CONTAINS 'axb'", true),
        ("v CONTAINS '.'", false),
        ("'axb' CONTAINS 'x'", true),
        ("'axb' NOT ENDSWITH 'u'", true),
    ] {
        assert_eq!(eval(expr, &p), Ok(Some(want)), "{expr}");
    }
    // non-ASCII text
    assert_eq!(eval("v CONTAINS 'ü'", &[("v", "Zürich")]), T);
    assert_eq!(eval("v STARTSWITH '日'", &[("v", "日本")]), T);
}

#[test]
fn literal_forms() {
    for (expr, props) in [
        ("a = 123", [("a", "123")]),
        ("a = 123L", [("a", "123")]),
        ("a = 123l", [("a", "123")]),
        ("a = 0", [("a", "0")]),
        ("a = 0.0", [("a", "0")]),
        ("a = 9223372036854775807", [("a", "9223372036854775807")]),
        ("a = 5.5", [("a", "5.5")]),
        ("a = .5", [("a", "0.5")]),
        ("a = 5.", [("a", "5")]),
        ("a = 5E2", [("a", "500")]),
        ("a = 5e-1", [("a", "0.5")]),
        ("a = 1.5E+2", [("a", "150")]),
        ("a = .5e1", [("a", "5")]),
        ("a = 5.E1", [("a", "50")]),
        ("a = 'hello'", [("a", "hello")]),
        ("a = 'it''s'", [("a", "it's")]),
        ("a = ''''''", [("a", "''")]),
        ("a = ''", [("a", "")]),
        ("a = 'multi\nline'", [("a", "multi\nline")]),
        ("a = TRUE", [("a", "true")]),
        ("a = true", [("a", "TRUE")]),
        ("a = FALSE", [("a", "false")]),
        ("a = fAlSe", [("a", "False")]),
        ("a = -5", [("a", "-5")]),
        ("a = - -5", [("a", "5")]),
        ("a = +5", [("a", "5")]),
        ("a = -5.5", [("a", "-5.5")]),
        ("a = -2147483648", [("a", "-2147483648")]),
    ] {
        assert_eq!(eval(expr, &props), T, "{expr} with {props:?}");
    }
    // TRUE, FALSE and NULL on their own
    assert_eq!(eval("TRUE", &[]), T);
    assert_eq!(eval("false", &[]), F);
    assert_eq!(eval("NULL", &[]), N);
}

#[test]
fn identifiers() {
    let p = [
        ("_a", "1"),
        ("$b", "2"),
        ("a1_$", "3"),
        ("TAGS", "x"),
        ("A", "4"),
        ("a", "5"),
    ];
    assert_eq!(eval("_a = 1 AND $b = 2 AND a1_$ = 3 AND TAGS = 'x'", &p), T);
    // property names are case-sensitive
    assert_eq!(eval("A = 4 AND a = 5", &p), T);
    // words that merely start with a keyword are identifiers
    let p = [
        ("notes", "1"),
        ("order", "2"),
        ("android", "3"),
        ("isbn", "4"),
        ("index", "5"),
        ("truex", "6"),
        ("nullable", "7"),
        ("ORx", "8"),
        ("between_", "9"),
        ("contains1", "10"),
    ];
    assert_eq!(
        eval(
            "notes = 1 AND order = 2 AND android = 3 AND isbn = 4 AND index = 5 AND truex = 6 \
             AND nullable = 7 AND ORx = 8 AND between_ = 9 AND contains1 = 10",
            &p
        ),
        T
    );
}

#[test]
fn keywords_are_case_insensitive() {
    let p = [("a", "2"), ("t", "x")];
    for expr in [
        "a between 1 and 3",
        "a BeTwEeN 1 aNd 3",
        "a not between 5 and 6",
        "t in ('x')",
        "t In ('x')",
        "t not in ('y')",
        "b is null",
        "b iS nUlL",
        "a is not null",
        "a IS NOT NULL",
        "t contains 'x'",
        "t Contains 'x'",
        "t startswith 'x'",
        "t StartsWith 'x'",
        "t endswith 'x'",
        "t ENDSWITH 'x'",
        "t not contains 'z'",
        "a = 2 or a = 3",
        "a = 3 Or a = 2",
        "not (a = 3)",
        "true",
        "True",
    ] {
        assert_eq!(eval(expr, &p), T, "{expr}");
    }
}

#[test]
fn comments_and_whitespace() {
    let p = [("a", "1"), ("b", "2"), ("c", "3")];
    assert_eq!(eval("a = 1 /* block */ AND b = 2", &p), T);
    assert_eq!(
        eval(
            "/* lead */ a = 1 AND /* multi\nline * / still comment */ b = 2",
            &p
        ),
        T
    );
    assert_eq!(eval("a = 1 -- trailing comment\n AND b = 2", &p), T);
    assert_eq!(eval("a = 1 -- comment to end of input", &p), T);
    assert_eq!(
        eval(
            "a = 1 AND -- first line\r\n b = 2 -- second\r\n AND c = 3",
            &p
        ),
        T
    );
    assert_eq!(eval("a/**/=/**/1", &p), T);
    assert_eq!(eval("/***/ a = 1 /* ** */", &p), T);
    assert_eq!(eval("\ta\n=\r1\u{c}AND\n\nb = 2", &p), T);
    // comment markers inside strings are text
    assert_eq!(
        eval(
            "s = '--x' AND t = '/* y */'",
            &[("s", "--x"), ("t", "/* y */")]
        ),
        T
    );
    // the comment really removes text: without it this would be FALSE
    assert_eq!(eval("a = 1 -- AND b = 99\n", &p), T);
    assert_eq!(eval("a = 1 /* AND b = 99 */", &p), T);
    // `--` starts a comment, so a double minus needs a space
    assert_eq!(eval("a = - -1", &[("a", "1")]), T);
}

#[test]
fn and_binds_tighter_than_or() {
    // a OR (b AND c): TRUE. (a OR b) AND c would be FALSE.
    let p = [("a", "1"), ("b", "0"), ("c", "0")];
    assert_eq!(eval("a = 1 OR b = 1 AND c = 1", &p), T);
    assert_eq!(eval("(a = 1 OR b = 1) AND c = 1", &p), F);
    assert_eq!(eval("b = 1 AND c = 1 OR a = 1", &p), T);
    assert_eq!(eval("b = 1 AND (c = 1 OR a = 1)", &p), F);
}

#[test]
fn not_is_a_prefix_operator_on_the_nearest_operand() {
    // Apache's grammar: NOT applies to the next unary expression, so `NOT a = 1` is
    // `(NOT a) = 1`, which compares a boolean with a number and is never TRUE.
    let p = [("a", "2"), ("b", "1")];
    assert_eq!(eval("NOT (a = 1)", &p), T);
    assert_eq!(eval("NOT a = 1", &p), F);
    assert_eq!(eval("NOT a = 1", &[("a", "1")]), F);
    // (NOT a) is TRUE for a present property (a string is never a boolean TRUE)
    assert_eq!(eval("NOT a = TRUE", &p), T);
    assert_eq!(eval("NOT a", &p), T);
    assert_eq!(eval("NOT a", &[]), N);
    // NOT with AND/OR: NOT binds tighter than both
    assert_eq!(eval("NOT (a = 1) AND b = 1", &p), T);
    assert_eq!(eval("NOT (a = 2) OR b = 1", &p), T);
    assert_eq!(eval("NOT (a = 2 OR b = 1)", &p), F);
    assert_eq!(eval("NOT NOT (a = 2)", &p), T);
    assert_eq!(eval("NOT (NOT (a = 2) AND b = 1)", &p), T);
}

#[test]
fn parentheses_group_anything() {
    let p = [("a", "5")];
    assert_eq!(eval("(a = 5)", &p), T);
    assert_eq!(eval("((((a)) = (5)))", &p), T);
    assert_eq!(eval("(a) BETWEEN (4) AND (6)", &p), T);
    assert_eq!(eval("a = (-(5))", &[("a", "-5")]), T);
    assert_eq!(eval("((a = 1) OR (a = 5)) AND (TRUE)", &p), T);
}

#[test]
fn equality_and_comparison_chains() {
    // Chains are left-associative: (a = 5) = TRUE compares a boolean with TRUE.
    let p = [("a", "5"), ("v", "x")];
    assert_eq!(eval("a = 5 = TRUE", &p), T);
    assert_eq!(eval("a = 4 = FALSE", &p), T);
    assert_eq!(eval("a = 5 IS NULL", &p), F);
    assert_eq!(eval("a = 5 IS NOT NULL", &p), T);
    assert_eq!(eval("b = 5 IS NULL", &p), T);
    // CONTAINS on a boolean result is FALSE, never an error
    assert_eq!(eval("(a = 5) CONTAINS 't'", &p), F);
    assert_eq!(eval("v CONTAINS 'x' = TRUE", &p), T);
}
