//! Editing an encoded properties string (remoting-protocol.md §9) without decoding it into a map: the client's
//! pairs keep their order and spelling, only the named ones are dropped or replaced.

use ferrocket_protocol::message::properties::{self, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR};

/// `src` without the pairs named in `drop` or in `add`, followed by the `add` pairs.
pub fn rewrite(src: &str, drop: &[&str], add: &[(&str, &str)]) -> String {
    let extra: usize = add.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(src.len() + extra);
    for seg in src.split(PROPERTY_SEPARATOR) {
        if seg.is_empty() {
            continue;
        }
        let name = seg.split_once(NAME_VALUE_SEPARATOR).map_or(seg, |(n, _)| n);
        if drop.contains(&name) || add.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.push_str(seg);
        out.push(PROPERTY_SEPARATOR);
    }
    for (n, v) in add {
        properties::append(&mut out, n, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::properties::{decode, encode_pairs, get};

    #[test]
    fn drops_replaces_and_keeps_order() {
        let src = encode_pairs([("TAGS", "a"), ("DELAY", "3"), ("KEYS", "k1 k2"), ("X", "1")]);
        let out = rewrite(&src, &["DELAY"], &[("X", "2"), ("REAL_TOPIC", "T")]);
        assert_eq!(
            out,
            encode_pairs([
                ("TAGS", "a"),
                ("KEYS", "k1 k2"),
                ("X", "2"),
                ("REAL_TOPIC", "T")
            ])
        );
        assert_eq!(get(&out, "DELAY"), None);
    }

    #[test]
    fn duplicates_of_a_dropped_name_all_go_and_unterminated_input_is_closed() {
        let src = "A\u{1}1\u{2}A\u{1}2\u{2}B\u{1}3";
        let out = rewrite(src, &["A"], &[]);
        assert_eq!(out, "B\u{1}3\u{2}");
        let out = rewrite("", &["A"], &[("C", "4")]);
        assert_eq!(decode(&out).get("C").map(String::as_str), Some("4"));
        assert_eq!(rewrite("", &[], &[]), "");
    }
}
