//! Evaluation of a compiled tree against one message's properties. Values borrow from the
//! tree and the property source, so evaluating allocates nothing.

use std::cmp::Ordering;

use crate::ast::{Literal, Node, Relation, TextTest};
use crate::convert::{java_bool, java_double, java_double_cmp, java_int, java_long};
use crate::error::{EvalError, NumberKind};
use crate::properties::PropertySource;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(&'a str),
}

impl<'a> Value<'a> {
    fn of(literal: &'a Literal) -> Self {
        match literal {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Long(l) => Value::Long(*l),
            Literal::Double(d) => Value::Double(*d),
            Literal::Str(s) => Value::Str(s),
        }
    }

    fn from_truth(truth: Option<bool>) -> Self {
        truth.map_or(Value::Null, Value::Bool)
    }

    /// Reads a boolean node's result. Only boolean nodes reach AND/OR/NOT (the parser checks),
    /// so another kind of value cannot occur; it would count as NULL.
    fn truth(self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// TRUE (`Some(true)`), FALSE (`Some(false)`) or NULL/unknown (`None`).
pub(crate) fn evaluate<P: PropertySource + ?Sized>(
    node: &Node,
    props: &P,
) -> Result<Option<bool>, EvalError> {
    Ok(eval(node, props)?.truth())
}

/// One node's value. Kept to a dispatch so that its stack frame, paid once per tree level,
/// stays small even in unoptimised builds; the work is in the helpers below.
fn eval<'a, P: PropertySource + ?Sized>(
    node: &'a Node,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    match node {
        Node::Literal(lit) => Ok(Value::of(lit)),
        Node::Property(name) => Ok(props.get(name).map_or(Value::Null, Value::Str)),
        Node::Negate(operand) => negate(operand, props),
        Node::Not(operand) => Ok(Value::from_truth(eval(operand, props)?.truth().map(|b| !b))),
        Node::PropertyAsBool(name) => Ok(if props.get(name).is_some() {
            Value::Bool(false)
        } else {
            Value::Null
        }),
        Node::And(operands) => logic(operands, props, false),
        Node::Or(operands) => logic(operands, props, true),
        Node::Equal(left, right) => equal(left, right, props),
        Node::IsNull(operand) => Ok(Value::Bool(matches!(eval(operand, props)?, Value::Null))),
        Node::Compare(relation, left, right) => relational(*relation, left, right, props),
        Node::In {
            property,
            values,
            negated,
        } => Ok(in_list(props.get(property), values, *negated)),
        Node::Text {
            test,
            operand,
            needle,
            negated,
        } => text(*test, operand, needle, *negated, props),
    }
}

#[inline(never)]
fn negate<'a, P: PropertySource + ?Sized>(
    operand: &'a Node,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    Ok(match eval(operand, props)? {
        Value::Int(i) => Value::Int(i.wrapping_neg()),
        Value::Long(l) => Value::Long(l.wrapping_neg()),
        Value::Double(d) => Value::Double(-d),
        _ => Value::Null,
    })
}

/// Three-valued AND (`stop_at` false) or OR (`stop_at` true), left to right, returning as
/// soon as an operand equals `stop_at`; otherwise NULL if any operand was NULL.
#[inline(never)]
fn logic<'a, P: PropertySource + ?Sized>(
    operands: &'a [Node],
    props: &'a P,
    stop_at: bool,
) -> Result<Value<'a>, EvalError> {
    let mut unknown = false;
    for operand in operands {
        match eval(operand, props)?.truth() {
            Some(b) if b == stop_at => return Ok(Value::Bool(stop_at)),
            Some(_) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown {
        Value::Null
    } else {
        Value::Bool(!stop_at)
    })
}

#[inline(never)]
fn equal<'a, P: PropertySource + ?Sized>(
    left: &'a Node,
    right: &'a Node,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    let l = eval(left, props)?;
    let r = eval(right, props)?;
    if matches!(l, Value::Null) || matches!(r, Value::Null) {
        return Ok(Value::Null);
    }
    Ok(Value::Bool(compare(l, r)? == Ordering::Equal))
}

#[inline(never)]
fn relational<'a, P: PropertySource + ?Sized>(
    relation: Relation,
    left: &'a Node,
    right: &'a Node,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    let l = eval(left, props)?;
    if matches!(l, Value::Null) {
        return Ok(Value::Null);
    }
    let r = eval(right, props)?;
    if matches!(r, Value::Null) {
        return Ok(Value::Null);
    }
    let ordering = match (l, r) {
        // Two strings are ordered as numbers, never as text.
        (Value::Str(a), Value::Str(b)) => java_double_cmp(to_double(a)?, to_double(b)?),
        _ => compare(l, r)?,
    };
    Ok(Value::Bool(match relation {
        Relation::Greater => ordering == Ordering::Greater,
        Relation::GreaterOrEqual => ordering != Ordering::Less,
        Relation::Less => ordering == Ordering::Less,
        Relation::LessOrEqual => ordering != Ordering::Greater,
    }))
}

fn in_list<'a>(value: Option<&str>, values: &[Box<str>], negated: bool) -> Value<'a> {
    match value {
        None => Value::Null,
        Some(v) => Value::Bool(values.binary_search_by(|x| (**x).cmp(v)).is_ok() != negated),
    }
}

#[inline(never)]
fn text<'a, P: PropertySource + ?Sized>(
    test: TextTest,
    operand: &'a Node,
    needle: &str,
    negated: bool,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    if needle.is_empty() {
        return Ok(Value::Bool(false));
    }
    Ok(match eval(operand, props)? {
        Value::Str(s) => {
            let hit = match test {
                TextTest::Contains => s.contains(needle),
                TextTest::StartsWith => s.starts_with(needle),
                TextTest::EndsWith => s.ends_with(needle),
            };
            Value::Bool(hit != negated)
        }
        _ => Value::Bool(false),
    })
}

fn to_double(s: &str) -> Result<f64, EvalError> {
    java_double(s).ok_or(EvalError::NotANumber(NumberKind::Double))
}

fn to_int(s: &str) -> Result<i32, EvalError> {
    java_int(s).ok_or(EvalError::NotANumber(NumberKind::Int))
}

fn to_long(s: &str) -> Result<i64, EvalError> {
    java_long(s).ok_or(EvalError::NotANumber(NumberKind::Long))
}

/// Orders two non-NULL values the way Apache's comparison does: numbers are widened
/// (int → long → double); a string meeting a number is parsed as that number's type (failure
/// is an error); a string meeting a boolean is read as a boolean; values of kinds that do not
/// meet (a boolean and a number) order as Less, so they are never equal.
fn compare(l: Value<'_>, r: Value<'_>) -> Result<Ordering, EvalError> {
    use Value::*;
    Ok(match (l, r) {
        (Int(a), Int(b)) => a.cmp(&b),
        (Int(a), Long(b)) => i64::from(a).cmp(&b),
        (Long(a), Int(b)) => a.cmp(&i64::from(b)),
        (Long(a), Long(b)) => a.cmp(&b),
        (Int(a), Double(b)) => java_double_cmp(f64::from(a), b),
        (Double(a), Int(b)) => java_double_cmp(a, f64::from(b)),
        (Long(a), Double(b)) => java_double_cmp(a as f64, b),
        (Double(a), Long(b)) => java_double_cmp(a, b as f64),
        (Double(a), Double(b)) => java_double_cmp(a, b),
        (Str(a), Str(b)) => a.cmp(b),
        (Bool(a), Bool(b)) => a.cmp(&b),
        (Str(a), Int(b)) => to_int(a)?.cmp(&b),
        (Str(a), Long(b)) => to_long(a)?.cmp(&b),
        (Str(a), Double(b)) => java_double_cmp(to_double(a)?, b),
        (Int(a), Str(b)) => a.cmp(&to_int(b)?),
        (Long(a), Str(b)) => a.cmp(&to_long(b)?),
        (Double(a), Str(b)) => java_double_cmp(a, to_double(b)?),
        (Str(a), Bool(b)) => java_bool(a).cmp(&b),
        (Bool(a), Str(b)) => a.cmp(&java_bool(b)),
        _ => Ordering::Less,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_widens_and_converts() {
        use Value::*;
        assert_eq!(compare(Int(5), Long(5)), Ok(Ordering::Equal));
        assert_eq!(compare(Long(1 << 40), Int(5)), Ok(Ordering::Greater));
        assert_eq!(compare(Int(5), Double(5.0)), Ok(Ordering::Equal));
        assert_eq!(compare(Double(5.5), Long(5)), Ok(Ordering::Greater));
        assert_eq!(compare(Str("7"), Int(5)), Ok(Ordering::Greater));
        assert_eq!(compare(Int(5), Str("7")), Ok(Ordering::Less));
        assert_eq!(
            compare(Str("7.5"), Int(5)),
            Err(EvalError::NotANumber(NumberKind::Int))
        );
        assert_eq!(
            compare(Str("3000000000"), Int(5)),
            Err(EvalError::NotANumber(NumberKind::Int))
        );
        assert_eq!(
            compare(Str("3000000000"), Long(3_000_000_000)),
            Ok(Ordering::Equal)
        );
        assert_eq!(compare(Str("7.5"), Double(7.5)), Ok(Ordering::Equal));
        assert_eq!(compare(Str("TRUE"), Bool(true)), Ok(Ordering::Equal));
        assert_eq!(compare(Bool(false), Str("nope")), Ok(Ordering::Equal));
        assert_eq!(compare(Bool(true), Int(1)), Ok(Ordering::Less));
        assert_eq!(compare(Int(1), Bool(true)), Ok(Ordering::Less));
        assert_eq!(compare(Str("a"), Str("a")), Ok(Ordering::Equal));
    }
}
