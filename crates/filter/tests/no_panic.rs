//! Property tests: compiling never panics on any text, and evaluating never panics on any
//! properties; the encoded-properties lookup agrees with a map.

use std::collections::BTreeMap;

use ferrocket_filter::{EncodedProperties, Expression};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "a",
    "b",
    "TAGS",
    "x1",
    "=",
    "<>",
    ">",
    ">=",
    "<",
    "<=",
    "(",
    ")",
    "AND",
    "or",
    "NOT",
    "BETWEEN",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "false",
    "CONTAINS",
    "STARTSWITH",
    "ENDSWITH",
    "'x'",
    "'5'",
    "''",
    "5",
    "0",
    "-",
    "+",
    "1.5",
    ".5e3",
    "2147483648",
    "9223372036854775808",
    "5L",
    ",",
    "/*",
    "*/",
    "--",
    "\n",
    "'",
    "LIKE",
    "1e999",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.join(" "))
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        prop::sample::select(&["true", "TagA", "NaN", "-Infinity", " 5", "5.0", "x", ""][..])
            .prop_map(String::from),
    ]
}

fn props() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(
        prop::sample::select(&["a", "b", "TAGS", "x1"][..]).prop_map(String::from),
        value(),
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn compile_never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = Expression::compile(&s);
    }

    #[test]
    fn compile_and_evaluate_never_panic_on_token_soup(s in token_soup(), p in props()) {
        match Expression::compile(&s) {
            Ok(e) => {
                let result = e.evaluate(&p);
                // matches is exactly "evaluated to TRUE"
                prop_assert_eq!(e.matches(&p), matches!(result, Ok(Some(true))));
            }
            Err(err) => {
                let text = err.to_string();
                prop_assert!(text.starts_with("SQL92 parse error at "), "{}", text);
                prop_assert!(err.column() >= 1 && err.line() >= 1);
            }
        }
    }

    #[test]
    fn fixed_expressions_never_panic_on_arbitrary_properties(p in props()) {
        for src in [
            "a > b", "a = b", "a BETWEEN 1 AND 2.5", "a = TRUE", "TAGS IN ('TagA', 'x')",
            "a CONTAINS 'x' OR NOT (b <= -3)", "a > 2147483648", "-a = -b", "a IS NULL AND b", "NOT a",
        ] {
            let e = Expression::compile(src).unwrap();
            let _ = e.evaluate(&p);
        }
    }

    #[test]
    fn encoded_lookup_agrees_with_a_map(p in props()) {
        // The encoding cannot carry empty values or separator characters; skip those.
        let usable: BTreeMap<String, String> = p
            .into_iter()
            .filter(|(_, v)| !v.is_empty() && !v.contains(['\u{1}', '\u{2}']))
            .collect();
        let encoded: String = usable.iter().map(|(k, v)| format!("{k}\u{1}{v}\u{2}")).collect();
        let enc = EncodedProperties::new(&encoded);
        for src in ["a > b", "a = b", "TAGS IN ('TagA')", "a IS NULL", "x1 STARTSWITH 'x'", "b = 5.0"] {
            let e = Expression::compile(src).unwrap();
            prop_assert_eq!(e.evaluate(&usable), e.evaluate(&enc), "{}", src);
        }
    }
}
