//! The compiled expression tree. Built by `parser`, evaluated by `eval`.

/// A constant written in the expression. Integer literals that fit 32 bits are `Int`,
/// larger ones `Long` (the `L` suffix does not change this, as in Apache).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(Box<str>),
}

impl Literal {
    pub(crate) fn is_number(&self) -> bool {
        matches!(
            self,
            Literal::Int(_) | Literal::Long(_) | Literal::Double(_)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextTest {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Literal(Literal),
    /// A property's string value, NULL when the message lacks it.
    Property(Box<str>),
    /// Unary minus: numbers are negated, anything else becomes NULL.
    Negate(Box<Node>),
    /// Three-valued NOT.
    Not(Box<Node>),
    /// A bare property used where a boolean is needed (`a AND ...`): NULL if absent, else
    /// FALSE, because a property value is a string and never a boolean.
    PropertyAsBool(Box<str>),
    /// Three-valued AND of two or more operands, evaluated left to right, stopping at FALSE.
    And(Box<[Node]>),
    /// Three-valued OR of two or more operands, evaluated left to right, stopping at TRUE.
    Or(Box<[Node]>),
    Equal(Box<Node>, Box<Node>),
    /// TRUE when the operand is NULL, else FALSE (never NULL).
    IsNull(Box<Node>),
    Compare(Relation, Box<Node>, Box<Node>),
    /// `prop [NOT] IN (...)`; `values` sorted and deduplicated for binary search.
    In {
        property: Box<str>,
        values: Box<[Box<str>]>,
        negated: bool,
    },
    /// `x [NOT] CONTAINS|STARTSWITH|ENDSWITH 's'`: FALSE (not NULL) for a missing or
    /// non-string operand and for an empty needle, with or without NOT.
    Text {
        test: TextTest,
        operand: Box<Node>,
        needle: Box<str>,
        negated: bool,
    },
}

impl Node {
    /// Whether the node yields TRUE/FALSE/NULL (Apache's `BooleanExpression`): such nodes may
    /// be operands of AND/OR/NOT but not of `<`, `>`, `BETWEEN`.
    pub(crate) fn is_boolean(&self) -> bool {
        match self {
            Node::Literal(lit) => matches!(lit, Literal::Bool(_) | Literal::Null),
            Node::Property(_) | Node::Negate(_) => false,
            Node::Not(_)
            | Node::PropertyAsBool(_)
            | Node::And(_)
            | Node::Or(_)
            | Node::Equal(..)
            | Node::IsNull(_)
            | Node::Compare(..)
            | Node::In { .. }
            | Node::Text { .. } => true,
        }
    }
}
