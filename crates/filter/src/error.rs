//! Errors: compile-time (`FilterError`, what the broker puts in the code-23 remark) and
//! evaluation-time (`EvalError`, a message that cannot be evaluated does not match).

use std::fmt;

/// A SQL92 expression that does not compile: a syntax error or an operand the dialect rejects
/// (e.g. `a = NULL`, `5 AND b`, `a BETWEEN 3 AND 1`). Display reads
/// `SQL92 parse error at column 12: expected ')', found end of input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    line: usize,
    column: usize,
    message: String,
}

impl FilterError {
    pub(crate) fn at(source: &str, byte_offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_col(source, byte_offset);
        FilterError {
            line,
            column,
            message: message.into(),
        }
    }

    /// 1-based line of the error (expressions are usually one line).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column, counted in characters from the start of the line.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The message without the position prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 1 {
            write!(
                f,
                "SQL92 parse error at column {}: {}",
                self.column, self.message
            )
        } else {
            write!(
                f,
                "SQL92 parse error at line {}, column {}: {}",
                self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for FilterError {}

/// The number type a property string had to be converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// Java `int` (integer literals that fit 32 bits).
    Int,
    /// Java `long` (larger integer literals).
    Long,
    /// Java `double` (float literals, and both sides of a string-vs-string `<`, `>`, ...).
    Double,
}

impl fmt::Display for NumberKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberKind::Int => "int",
            NumberKind::Long => "long",
            NumberKind::Double => "double",
        })
    }
}

/// Why one message could not be evaluated. Carries no message text so that evaluating stays
/// allocation-free; the broker treats it as "no match".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A property string compared with a number could not be parsed as that number type.
    #[error("property value is not a valid {0}")]
    NotANumber(NumberKind),
}

/// 1-based (line, column in chars) of a byte offset. A line ends at `\n`, `\r` or `\r\n`.
pub(crate) fn line_col(source: &str, byte_offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    let mut prev_cr = false;
    for (i, c) in source.char_indices() {
        if i >= byte_offset {
            break;
        }
        match c {
            '\n' if prev_cr => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        prev_cr = c == '\r';
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_line_breaks() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("abc", 2), (1, 3));
        assert_eq!(line_col("é = x", 3), (1, 3)); // 'é' is 2 bytes, 1 column
        assert_eq!(line_col("a\nbc", 3), (2, 2));
        assert_eq!(line_col("a\r\nbc", 4), (2, 2));
        assert_eq!(line_col("a\rbc", 3), (2, 2));
        assert_eq!(line_col("ab", 10), (1, 3));
    }

    #[test]
    fn display_omits_line_on_first_line() {
        let e = FilterError::at("(a = 1", 6, "expected ')'");
        assert_eq!(e.to_string(), "SQL92 parse error at column 7: expected ')'");
        let e = FilterError::at("a = 1\nAND", 9, "x");
        assert_eq!(e.to_string(), "SQL92 parse error at line 2, column 4: x");
        assert_eq!((e.line(), e.column(), e.message()), (2, 4, "x"));
    }
}
