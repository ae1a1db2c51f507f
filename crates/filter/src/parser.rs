//! Text → tree: the pest grammar (`grammar.pest`) does the syntax; this module builds the
//! tree and applies the operand checks Apache's parser makes while building (each one a
//! compile error, i.e. SUBSCRIPTION_PARSE_FAILED on the broker).

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser;

use crate::ast::{Literal, Node, Relation, TextTest};
use crate::error::FilterError;
use crate::scan::{scan, ScanOutcome, MAX_NESTING};
use crate::syntax_error::describe_syntax_error;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct SelectorParser;

/// Appended where a misplaced NOT is the likely cause.
const NOT_HINT: &str =
    " (NOT applies to the operand right after it, as in Apache RocketMQ: write NOT (a > 1))";

/// Deepest tree accepted. Long chains without parentheses (`a IS NULL IS NULL ...`) nest the
/// tree too, and evaluating and dropping it recurse once per level.
pub(crate) const MAX_TREE_DEPTH: usize = 128;

/// The tree and its depth.
pub(crate) fn parse(src: &str) -> Result<(Node, usize)> {
    match scan(src) {
        ScanOutcome::Empty => return Err(FilterError::at(src, 0, "empty expression")),
        ScanOutcome::TooDeep(offset) => {
            return Err(FilterError::at(
                src,
                offset,
                format!("expression nested too deeply (more than {MAX_NESTING} levels of parentheses and prefix operators)"),
            ))
        }
        ScanOutcome::Ok => {}
    }
    let mut pairs = SelectorParser::parse(Rule::selector, src).map_err(|e| {
        let offset = match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((p, _)) => p,
        };
        let message = match &e.variant {
            ErrorVariant::ParsingError { positives, .. } => {
                describe_syntax_error(src, offset, positives)
            }
            ErrorVariant::CustomError { message } => message.clone(),
        };
        FilterError::at(src, offset, message)
    })?;
    let builder = Builder { src };
    let selector = pairs.next().ok_or_else(|| builder.internal(0))?;
    let or_expr = selector
        .into_inner()
        .next()
        .ok_or_else(|| builder.internal(0))?;
    let start = or_expr.as_span().start();
    let top = builder.or_expr(or_expr)?;
    let top = builder.as_boolean(top, start)?;
    Ok((top.node, top.depth))
}

/// A built node with the depth of its tree.
struct Built {
    node: Node,
    depth: usize,
}

struct Builder<'s> {
    src: &'s str,
}

type Result<T> = std::result::Result<T, FilterError>;

impl Builder<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> FilterError {
        FilterError::at(self.src, offset, message)
    }

    /// The grammar guarantees the shapes this builder walks; a mismatch is a bug here, but
    /// still an error rather than a panic.
    fn internal(&self, offset: usize) -> FilterError {
        self.error(offset, "internal error: unexpected parse tree")
    }

    fn node(&self, node: Node, depth: usize, offset: usize) -> Result<Built> {
        if depth > MAX_TREE_DEPTH {
            return Err(self.error(
                offset,
                format!("expression too deeply nested (tree deeper than {MAX_TREE_DEPTH})"),
            ));
        }
        Ok(Built { node, depth })
    }

    fn or_expr(&self, pair: Pair<'_, Rule>) -> Result<Built> {
        self.logic(pair, Rule::and_expr, true)
    }

    fn and_expr(&self, pair: Pair<'_, Rule>) -> Result<Built> {
        self.logic(pair, Rule::eq_expr, false)
    }

    /// `x (OR x)*` or `x (AND x)*`: one operand passes through unchanged; several must each
    /// yield a boolean and are joined into one flat node.
    fn logic(&self, pair: Pair<'_, Rule>, operand_rule: Rule, is_or: bool) -> Result<Built> {
        let offset = pair.as_span().start();
        let mut operands = Vec::new();
        for child in pair.into_inner().filter(|p| p.as_rule() == operand_rule) {
            let start = child.as_span().start();
            let built = if is_or {
                self.and_expr(child)?
            } else {
                self.eq_expr(child)?
            };
            operands.push((built, start));
        }
        if operands.len() == 1 {
            return operands
                .pop()
                .map(|(b, _)| b)
                .ok_or_else(|| self.internal(offset));
        }
        let mut depth = 0;
        let mut nodes = Vec::with_capacity(operands.len());
        for (built, start) in operands {
            let built = self.as_boolean(built, start)?;
            depth = depth.max(built.depth);
            match built.node {
                Node::Or(inner) if is_or => nodes.extend(inner.into_vec()),
                Node::And(inner) if !is_or => nodes.extend(inner.into_vec()),
                other => nodes.push(other),
            }
        }
        let nodes = nodes.into_boxed_slice();
        let node = if is_or {
            Node::Or(nodes)
        } else {
            Node::And(nodes)
        };
        self.node(node, depth + 1, offset)
    }

    fn eq_expr(&self, pair: Pair<'_, Rule>) -> Result<Built> {
        let mut children = pair.into_inner();
        let first = children.next().ok_or_else(|| self.internal(0))?;
        let left_start = first.as_span().start();
        let mut left = self.cmp_expr(first)?;
        for tail in children {
            let offset = tail.as_span().start();
            left = match tail.as_rule() {
                Rule::equal_tail | Rule::not_equal_tail => {
                    let negated = tail.as_rule() == Rule::not_equal_tail;
                    let operand = tail
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::cmp_expr)
                        .ok_or_else(|| self.internal(offset))?;
                    let right_start = operand.as_span().start();
                    let right = self.cmp_expr(operand)?;
                    self.check_equality_operand(&left, left_start)?;
                    self.check_equality_operand(&right, right_start)?;
                    self.check_equality_pair(&left, &right, left_start)?;
                    let depth = left.depth.max(right.depth) + 1 + usize::from(negated);
                    let equal = Node::Equal(Box::new(left.node), Box::new(right.node));
                    let node = if negated {
                        Node::Not(Box::new(equal))
                    } else {
                        equal
                    };
                    self.node(node, depth, offset)?
                }
                Rule::is_null => {
                    self.node(Node::IsNull(Box::new(left.node)), left.depth + 1, offset)?
                }
                Rule::is_not_null => {
                    let node = Node::Not(Box::new(Node::IsNull(Box::new(left.node))));
                    self.node(node, left.depth + 2, offset)?
                }
                _ => return Err(self.internal(offset)),
            };
        }
        Ok(left)
    }

    fn cmp_expr(&self, pair: Pair<'_, Rule>) -> Result<Built> {
        let mut children = pair.into_inner();
        let first = children.next().ok_or_else(|| self.internal(0))?;
        let left_start = first.as_span().start();
        let mut left = self.unary(first)?;
        for tail in children {
            let offset = tail.as_span().start();
            left = match tail.as_rule() {
                Rule::relational_tail => self.relational(left, left_start, tail)?,
                Rule::between_tail => self.between(left, left_start, tail)?,
                Rule::in_tail => self.in_list(left, left_start, tail)?,
                Rule::text_tail => self.text_test(left, tail)?,
                _ => return Err(self.internal(offset)),
            };
        }
        Ok(left)
    }

    fn relational(&self, left: Built, left_start: usize, tail: Pair<'_, Rule>) -> Result<Built> {
        let offset = tail.as_span().start();
        let mut parts = tail.into_inner();
        let op = parts.next().ok_or_else(|| self.internal(offset))?;
        let relation = match op.as_str() {
            ">" => Relation::Greater,
            ">=" => Relation::GreaterOrEqual,
            "<" => Relation::Less,
            "<=" => Relation::LessOrEqual,
            _ => return Err(self.internal(offset)),
        };
        let operand = parts.next().ok_or_else(|| self.internal(offset))?;
        let right_start = operand.as_span().start();
        let right = self.unary(operand)?;
        self.check_ordered_operand(&left, left_start, op.as_str())?;
        self.check_ordered_operand(&right, right_start, op.as_str())?;
        let depth = left.depth.max(right.depth) + 1;
        self.node(
            Node::Compare(relation, Box::new(left.node), Box::new(right.node)),
            depth,
            offset,
        )
    }

    /// `x BETWEEN lo AND hi` is `x >= lo AND x <= hi`; `NOT BETWEEN` is `x < lo OR x > hi`.
    fn between(&self, value: Built, value_start: usize, tail: Pair<'_, Rule>) -> Result<Built> {
        let offset = tail.as_span().start();
        let mut negated = false;
        let mut bounds = Vec::with_capacity(2);
        for part in tail.into_inner() {
            match part.as_rule() {
                Rule::NOT => negated = true,
                Rule::unary => {
                    let start = part.as_span().start();
                    bounds.push((self.unary(part)?, start));
                }
                _ => {}
            }
        }
        let (Some((high, high_start)), Some((low, low_start))) = (bounds.pop(), bounds.pop())
        else {
            return Err(self.internal(offset));
        };
        if !negated {
            self.check_between_constants(&low.node, &high.node, low_start)?;
        }
        let op = if negated { "NOT BETWEEN" } else { "BETWEEN" };
        self.check_ordered_operand(&value, value_start, op)?;
        self.check_ordered_operand(&low, low_start, op)?;
        self.check_ordered_operand(&high, high_start, op)?;
        let depth = value.depth.max(low.depth).max(high.depth) + 2;
        let (low_rel, high_rel) = if negated {
            (Relation::Less, Relation::Greater)
        } else {
            (Relation::GreaterOrEqual, Relation::LessOrEqual)
        };
        let both: Box<[Node]> = Box::new([
            Node::Compare(low_rel, Box::new(value.node.clone()), Box::new(low.node)),
            Node::Compare(high_rel, Box::new(value.node), Box::new(high.node)),
        ]);
        let node = if negated {
            Node::Or(both)
        } else {
            Node::And(both)
        };
        self.node(node, depth, offset)
    }

    fn in_list(&self, left: Built, left_start: usize, tail: Pair<'_, Rule>) -> Result<Built> {
        let offset = tail.as_span().start();
        let property = match left.node {
            Node::Property(property) => property,
            Node::Not(_) => {
                return Err(self.error(
                    left_start,
                    format!("IN needs a property name on its left{NOT_HINT}"),
                ))
            }
            _ => return Err(self.error(left_start, "IN needs a property name on its left")),
        };
        let mut negated = false;
        let mut values = Vec::new();
        for part in tail.into_inner() {
            match part.as_rule() {
                Rule::NOT => negated = true,
                Rule::string => values.push(unquote(part.as_str())),
                _ => {}
            }
        }
        values.sort_unstable();
        values.dedup();
        let node = Node::In {
            property,
            values: values.into_boxed_slice(),
            negated,
        };
        self.node(node, left.depth + 1, offset)
    }

    fn text_test(&self, left: Built, tail: Pair<'_, Rule>) -> Result<Built> {
        let offset = tail.as_span().start();
        let mut negated = false;
        let mut test = None;
        let mut needle = None;
        for part in tail.into_inner() {
            match part.as_rule() {
                Rule::NOT => negated = true,
                Rule::CONTAINS => test = Some(TextTest::Contains),
                Rule::STARTSWITH => test = Some(TextTest::StartsWith),
                Rule::ENDSWITH => test = Some(TextTest::EndsWith),
                Rule::string => needle = Some(unquote(part.as_str())),
                _ => {}
            }
        }
        let (Some(test), Some(needle)) = (test, needle) else {
            return Err(self.internal(offset));
        };
        let node = Node::Text {
            test,
            operand: Box::new(left.node),
            needle,
            negated,
        };
        self.node(node, left.depth + 1, offset)
    }

    fn unary(&self, pair: Pair<'_, Rule>) -> Result<Built> {
        let offset = pair.as_span().start();
        let mut children = pair.into_inner();
        let first = children.next().ok_or_else(|| self.internal(offset))?;
        match first.as_rule() {
            // Unary plus changes nothing, whatever its operand.
            Rule::plus => self.unary(
                first
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.internal(offset))?,
            ),
            Rule::minus => {
                let operand = self.unary(
                    first
                        .into_inner()
                        .next()
                        .ok_or_else(|| self.internal(offset))?,
                )?;
                self.node(
                    Node::Negate(Box::new(operand.node)),
                    operand.depth + 1,
                    offset,
                )
            }
            Rule::NOT => {
                let inner = children.next().ok_or_else(|| self.internal(offset))?;
                let start = inner.as_span().start();
                let operand = self.unary(inner)?;
                let operand = self.as_boolean(operand, start)?;
                self.node(Node::Not(Box::new(operand.node)), operand.depth + 1, offset)
            }
            Rule::primary => self.primary(first),
            _ => Err(self.internal(offset)),
        }
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Built> {
        let offset = pair.as_span().start();
        let mut children = pair.into_inner();
        let first = children.next().ok_or_else(|| self.internal(offset))?;
        match first.as_rule() {
            Rule::literal => {
                let token = first
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.internal(offset))?;
                Ok(Built {
                    node: Node::Literal(self.literal(token)?),
                    depth: 1,
                })
            }
            Rule::identifier => Ok(Built {
                node: Node::Property(first.as_str().into()),
                depth: 1,
            }),
            Rule::lparen => {
                let inner = children
                    .find(|p| p.as_rule() == Rule::or_expr)
                    .ok_or_else(|| self.internal(offset))?;
                self.or_expr(inner)
            }
            _ => Err(self.internal(offset)),
        }
    }

    fn literal(&self, token: Pair<'_, Rule>) -> Result<Literal> {
        let offset = token.as_span().start();
        let text = token.as_str();
        Ok(match token.as_rule() {
            Rule::string => Literal::Str(unquote(text)),
            Rule::decimal => {
                let digits = text.trim_end_matches(['l', 'L']);
                let value: i64 = digits.parse().map_err(|_| {
                    self.error(
                        offset,
                        format!(
                            "integer literal {text} is out of range (at most {})",
                            i64::MAX
                        ),
                    )
                })?;
                match i32::try_from(value) {
                    Ok(small) => Literal::Int(small),
                    Err(_) => Literal::Long(value),
                }
            }
            Rule::float => {
                let value: f64 = text.parse().map_err(|_| self.internal(offset))?;
                if value.is_infinite() {
                    return Err(self.error(offset, format!("float literal {text} is out of range")));
                }
                Literal::Double(value)
            }
            Rule::TRUE => Literal::Bool(true),
            Rule::FALSE => Literal::Bool(false),
            Rule::NULL => Literal::Null,
            _ => return Err(self.internal(offset)),
        })
    }

    /// Where a boolean is needed: boolean nodes as they are, a bare property as
    /// `PropertyAsBool`, anything else (a number, a string, `-x`) is an error.
    fn as_boolean(&self, built: Built, start: usize) -> Result<Built> {
        if built.node.is_boolean() {
            return Ok(built);
        }
        match built.node {
            Node::Property(name) => Ok(Built {
                node: Node::PropertyAsBool(name),
                depth: built.depth,
            }),
            _ => Err(self.error(start, "expression does not yield a boolean value")),
        }
    }

    fn check_equality_operand(&self, built: &Built, start: usize) -> Result<()> {
        if built.node == Node::Literal(Literal::Null) {
            return Err(self.error(
                start,
                "NULL cannot be compared with '=' or '<>'; use IS NULL / IS NOT NULL",
            ));
        }
        Ok(())
    }

    /// Two constants where the left is TRUE/FALSE and the right is not a boolean.
    fn check_equality_pair(&self, left: &Built, right: &Built, start: usize) -> Result<()> {
        if let (Node::Literal(Literal::Bool(_)), Node::Literal(r)) = (&left.node, &right.node) {
            if !matches!(r, Literal::Bool(_)) {
                return Err(self.error(
                    start,
                    "a boolean constant cannot be compared with a non-boolean constant",
                ));
            }
        }
        Ok(())
    }

    /// Operands of `<`, `<=`, `>`, `>=`, BETWEEN: constants must be numbers, and boolean
    /// results (comparisons, TRUE, NULL, ...) are not ordered.
    fn check_ordered_operand(&self, built: &Built, start: usize, op: &str) -> Result<()> {
        let bad = match &built.node {
            Node::Literal(lit) => !lit.is_number(),
            other => other.is_boolean(),
        };
        if bad {
            let mut message = format!("operand of {op} must be a number or a property");
            if matches!(built.node, Node::Not(_)) {
                message.push_str(NOT_HINT);
            }
            return Err(self.error(start, message));
        }
        Ok(())
    }

    /// `x BETWEEN lo AND hi` with constant bounds: neither NULL, and lo <= hi.
    fn check_between_constants(&self, low: &Node, high: &Node, start: usize) -> Result<()> {
        let (Node::Literal(lo), Node::Literal(hi)) = (low, high) else {
            return Ok(());
        };
        if *lo == Literal::Null || *hi == Literal::Null {
            return Err(self.error(start, "BETWEEN bounds cannot be NULL"));
        }
        let as_f64 = |l: &Literal| match l {
            Literal::Int(i) => Some(f64::from(*i)),
            Literal::Long(v) => Some(*v as f64),
            Literal::Double(d) => Some(*d),
            _ => None,
        };
        let out_of_order = match (lo, hi) {
            (Literal::Int(a), Literal::Int(b)) => a > b,
            (Literal::Int(_) | Literal::Long(_), Literal::Int(_) | Literal::Long(_)) => {
                let widen = |l: &Literal| match l {
                    Literal::Int(i) => i64::from(*i),
                    Literal::Long(v) => *v,
                    _ => 0,
                };
                widen(lo) > widen(hi)
            }
            _ => match (as_f64(lo), as_f64(hi)) {
                (Some(a), Some(b)) => a > b,
                _ => false, // not numbers: the operand check rejects them
            },
        };
        if out_of_order {
            return Err(self.error(
                start,
                "BETWEEN lower bound must be less than or equal to the upper bound",
            ));
        }
        Ok(())
    }
}

/// Strips the quotes of a string literal and turns each `''` into `'`.
fn unquote(token: &str) -> Box<str> {
    let inner = token.get(1..token.len().saturating_sub(1)).unwrap_or("");
    inner.replace("''", "'").into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_handles_doubled_quotes() {
        assert_eq!(&*unquote("'abc'"), "abc");
        assert_eq!(&*unquote("''"), "");
        assert_eq!(&*unquote("''''"), "'");
        assert_eq!(&*unquote("'''''tag'''''"), "''tag''");
    }

    #[test]
    fn tree_shapes() {
        let (n, depth) = parse("a = 1 AND b = 2 AND c = 3").unwrap();
        assert_eq!(depth, 3);
        assert!(matches!(n, Node::And(ref ops) if ops.len() == 3));
        // BETWEEN's inner AND is flattened with the outer one
        let (n, _) = parse("a BETWEEN 1 AND 2 AND b = 2").unwrap();
        assert!(matches!(n, Node::And(ref ops) if ops.len() == 3));
        let (n, _) = parse("a OR b").unwrap();
        assert!(matches!(n, Node::Or(ref ops) if matches!(ops[0], Node::PropertyAsBool(_))));
        // NOT binds to the nearest operand, as in Apache's grammar
        let (n, _) = parse("NOT a = TRUE").unwrap();
        assert!(matches!(n, Node::Equal(ref l, _) if matches!(**l, Node::Not(_))));
        let (n, _) = parse("5000000000 < a").unwrap();
        assert!(
            matches!(n, Node::Compare(_, ref l, _) if **l == Node::Literal(Literal::Long(5_000_000_000)))
        );
        let (n, _) = parse("a < 5L").unwrap();
        assert!(matches!(n, Node::Compare(_, _, ref r) if **r == Node::Literal(Literal::Int(5))));
    }
}
