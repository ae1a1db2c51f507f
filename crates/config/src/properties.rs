//! Java `.properties` text: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` line continuation;
//! `\t \n \r \f \uXXXX` escapes. Later keys override earlier ones.

use std::collections::BTreeMap;

/// Parses `.properties` text into an ordered map. Never fails: like Java, malformed escapes are kept literally.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if logical.is_empty()
            && (trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!'))
        {
            continue;
        }
        logical.push_str(trimmed);
        if ends_with_continuation(&logical) {
            logical.pop();
            continue;
        }
        let (k, v) = split_key_value(&logical);
        out.insert(unescape(k), unescape(v));
        logical.clear();
    }
    if !logical.is_empty() {
        let (k, v) = split_key_value(&logical);
        out.insert(unescape(k), unescape(v));
    }
    out
}

/// An odd number of trailing backslashes continues the line.
fn ends_with_continuation(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => return (&line[..i], line[i + 1..].trim_start()),
            c if c.is_whitespace() => {
                let rest = line[i..].trim_start();
                let rest = rest
                    .strip_prefix('=')
                    .or_else(|| rest.strip_prefix(':'))
                    .unwrap_or(rest);
                return (&line[..i], rest.trim_start());
            }
            _ => {}
        }
    }
    (line, "")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push('u'),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Writes key/value pairs as `.properties` text, one `key=value` per line (Apache's GET_BROKER_CONFIG form).
pub fn format_properties<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(&escape(k, true));
        out.push('=');
        out.push_str(&escape(v, false));
        out.push('\n');
    }
    out
}

fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '=' | ':' if is_key => {
                out.push('\\');
                out.push(c)
            }
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '#' | '!' if i == 0 => {
                out.push('\\');
                out.push(c)
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_java_forms() {
        let text =
            "# comment\n! also\nbrokerName = broker-a\nlistenPort:10911\nkey value with spaces\n\
                    multi=one \\\n    two\nesc=a\\tb\\u0041\nempty=\n  spaced  =  x  \n";
        let p = parse_properties(text);
        assert_eq!(p["brokerName"], "broker-a");
        assert_eq!(p["listenPort"], "10911");
        assert_eq!(p["key"], "value with spaces");
        assert_eq!(p["multi"], "one two");
        assert_eq!(p["esc"], "a\tbA");
        assert_eq!(p["empty"], "");
        assert_eq!(p["spaced"], "x  ");
        assert_eq!(p.len(), 7);
    }

    #[test]
    fn later_keys_win_and_format_round_trips() {
        let p = parse_properties("a=1\na=2\n");
        assert_eq!(p["a"], "2");
        let text = format_properties([("k:x", "v=1"), ("path", " lead\\n")]);
        let back = parse_properties(&text);
        assert_eq!(back["k:x"], "v=1");
        assert_eq!(back["path"], " lead\\n");
    }
}
