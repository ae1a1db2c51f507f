//! Turns pest's "expected one of these rules" into a short message a user can act on:
//! `expected ')', found end of input`, `LIKE is not supported ...`, `unterminated string literal`.

use crate::parser::Rule;

/// What to say for a parse failure at `offset`, given the rules pest expected there.
pub(crate) fn describe_syntax_error(src: &str, offset: usize, positives: &[Rule]) -> String {
    let rest = src.get(offset..).unwrap_or("");
    if rest.starts_with('\'') && !string_is_terminated(rest) {
        return "unterminated string literal".to_string();
    }
    if rest.starts_with("/*") && !rest.contains("*/") {
        return "unterminated comment".to_string();
    }
    let word = leading_word(rest);
    if word.eq_ignore_ascii_case("like") || word.eq_ignore_ascii_case("escape") {
        return format!(
            "{} is not supported by RocketMQ's SQL92 filter (use CONTAINS, STARTSWITH or ENDSWITH)",
            word.to_ascii_uppercase()
        );
    }
    let expected = expected_list(positives);
    let found = found_text(rest);
    if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expect {
    Value,
    StringLiteral,
    Operator,
    Not,
    Null,
    And,
    Or,
    Comma,
    OpenParen,
    CloseParen,
    End,
}

fn expected_list(positives: &[Rule]) -> String {
    let mut kinds: Vec<Expect> = positives.iter().filter_map(|r| classify(*r)).collect();
    kinds.sort_unstable();
    kinds.dedup();
    // NOT appears both as a value prefix (`NOT a`) and inside operators (`NOT IN`): when a
    // value or an operator is expected anyway, naming NOT separately adds nothing.
    if kinds.contains(&Expect::Value) || kinds.contains(&Expect::Operator) {
        kinds.retain(|k| *k != Expect::Not);
    }
    if kinds.contains(&Expect::Value) {
        kinds.retain(|k| !matches!(k, Expect::StringLiteral | Expect::Null | Expect::OpenParen));
    }
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            Expect::Value => "a value (literal, property name or '(')",
            Expect::StringLiteral => "a string literal",
            Expect::Operator => "an operator",
            Expect::Not => "NOT",
            Expect::Null => "NULL",
            Expect::And => "AND",
            Expect::Or => "OR",
            Expect::Comma => "','",
            Expect::OpenParen => "'('",
            Expect::CloseParen => "')'",
            Expect::End => "end of input",
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn classify(rule: Rule) -> Option<Expect> {
    Some(match rule {
        Rule::or_expr
        | Rule::and_expr
        | Rule::eq_expr
        | Rule::cmp_expr
        | Rule::unary
        | Rule::plus
        | Rule::minus
        | Rule::primary
        | Rule::literal
        | Rule::identifier
        | Rule::float
        | Rule::decimal
        | Rule::TRUE
        | Rule::FALSE => Expect::Value,
        Rule::lparen => Expect::OpenParen,
        Rule::string => Expect::StringLiteral,
        Rule::eq_op
        | Rule::ne_op
        | Rule::relational_op
        | Rule::equal_tail
        | Rule::not_equal_tail
        | Rule::is_null
        | Rule::is_not_null
        | Rule::relational_tail
        | Rule::between_tail
        | Rule::in_tail
        | Rule::text_tail
        | Rule::IS
        | Rule::BETWEEN
        | Rule::IN
        | Rule::CONTAINS
        | Rule::STARTSWITH
        | Rule::ENDSWITH => Expect::Operator,
        Rule::NOT => Expect::Not,
        Rule::NULL => Expect::Null,
        Rule::AND => Expect::And,
        Rule::OR => Expect::Or,
        Rule::comma => Expect::Comma,
        Rule::rparen => Expect::CloseParen,
        Rule::EOI => Expect::End,
        _ => return None,
    })
}

fn string_is_terminated(rest: &str) -> bool {
    let b = rest.as_bytes();
    let mut i = 1;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return true;
        }
        i += 1;
    }
    false
}

fn leading_word(rest: &str) -> &str {
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The offending token as the user wrote it, shortened.
fn found_text(rest: &str) -> String {
    if rest.is_empty() {
        return "end of input".to_string();
    }
    if rest.starts_with('\'') {
        return "a string literal".to_string();
    }
    let word = leading_word(rest);
    let token = if word.is_empty() {
        rest.chars()
            .next()
            .map(|c| c.to_string())
            .unwrap_or_default()
    } else {
        word.chars().take(32).collect()
    };
    format!("'{}'", token.escape_debug())
}
