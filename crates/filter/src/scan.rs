//! A quick pass over the text before parsing: finds whether there is anything but blanks and
//! comments, and bounds how deeply parentheses and prefix operators nest. The parser recurses
//! once per nesting level, so without this bound a hostile expression such as 100,000 `(`
//! would overflow the stack instead of failing cleanly.

/// Deepest nesting of parentheses and prefix operators (`+`, `-`, `NOT`) accepted.
pub(crate) const MAX_NESTING: usize = 32;

pub(crate) enum ScanOutcome {
    /// Nothing but whitespace and comments.
    Empty,
    /// Nesting exceeds `MAX_NESTING` at this byte offset.
    TooDeep(usize),
    Ok,
}

pub(crate) fn scan(src: &str) -> ScanOutcome {
    let b = src.as_bytes();
    let mut i = 0;
    let mut any_token = false;
    // Each open '(' remembers the depth it added (pending prefix operators + itself).
    let mut open: Vec<usize> = Vec::new();
    let mut enclosing = 0; // sum of `open`
    let mut prefixes = 0; // prefix operators waiting for their operand
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0C) {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            continue;
        }
        if b[i..].starts_with(b"/*") {
            match find(&b[i + 2..], b"*/") {
                Some(end) => i += 2 + end + 2,
                None => {
                    // The parser reports the unterminated comment.
                    return ScanOutcome::Ok;
                }
            }
            continue;
        }
        any_token = true;
        let start = i;
        match c {
            b'\'' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => break,
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                prefixes = 0;
            }
            b'0'..=b'9' | b'.' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    // An exponent sign belongs to the number, not a prefix minus.
                    if matches!(b[i], b'e' | b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
                        i += 1;
                    }
                    i += 1;
                }
                prefixes = 0;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                if src[start..i].eq_ignore_ascii_case("not") {
                    prefixes += 1;
                } else {
                    prefixes = 0;
                }
            }
            b'+' | b'-' => {
                i += 1;
                prefixes += 1;
            }
            b'(' => {
                i += 1;
                open.push(prefixes + 1);
                enclosing += prefixes + 1;
                prefixes = 0;
            }
            b')' => {
                i += 1;
                if let Some(d) = open.pop() {
                    enclosing -= d;
                }
                prefixes = 0;
            }
            _ => {
                i += src[i..].chars().next().map_or(1, char::len_utf8);
                prefixes = 0;
            }
        }
        if enclosing + prefixes > MAX_NESTING {
            return ScanOutcome::TooDeep(start);
        }
    }
    if any_token {
        ScanOutcome::Ok
    } else {
        ScanOutcome::Empty
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(s: &str) -> bool {
        matches!(scan(s), ScanOutcome::Ok)
    }

    #[test]
    fn empty_means_only_blanks_and_comments() {
        for s in [
            "",
            "   ",
            "\t\r\n",
            "-- note",
            "/* x */",
            " /* a */ -- b\n ",
        ] {
            assert!(matches!(scan(s), ScanOutcome::Empty), "{s:?}");
        }
        for s in ["a", "/* x */ a", "'--'", ")", "/* open"] {
            assert!(!matches!(scan(s), ScanOutcome::Empty), "{s:?}");
        }
    }

    #[test]
    fn nesting_counts_parens_and_prefix_chains() {
        let deep = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
        assert!(depth_ok(&deep(MAX_NESTING)));
        assert!(matches!(
            scan(&deep(MAX_NESTING + 1)),
            ScanOutcome::TooDeep(_)
        ));
        assert!(depth_ok(&format!("a = {}1", "- ".repeat(MAX_NESTING))));
        assert!(!depth_ok(&format!("a = {}1", "- ".repeat(MAX_NESTING + 1))));
        assert!(!depth_ok(&format!("{}a", "NOT ".repeat(MAX_NESTING + 1))));
        // many sibling groups or signed literals are not nesting
        let wide = vec!["(a = -1)"; 500].join(" AND ");
        assert!(depth_ok(&wide));
        let exps = vec!["a > 1e-5"; 500].join(" OR ");
        assert!(depth_ok(&exps));
        // parens inside strings and comments do not count
        let quoted = format!("a = '{}' /* {} */", "(".repeat(1000), "(".repeat(1000));
        assert!(depth_ok(&quoted));
    }
}
