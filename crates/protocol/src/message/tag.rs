//! Tag hash codes: the consume queue stores Java's `String.hashCode()` of the TAGS property, and consumers send the
//! same codes in their subscriptions, so the arithmetic must match Java bit for bit.

/// Java `String.hashCode()`: `h = 31*h + c` over the UTF-16 code units, with wrapping i32 arithmetic.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The consume-queue tags code of a message: the hash of its tag widened to i64, 0 when it has no tag.
pub fn tags_code(tags: Option<&str>) -> i64 {
    match tags {
        Some(t) if !t.is_empty() => i64::from(java_string_hash(t)),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hashes() {
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(tags_code(Some("TagA")), 2598919);
        assert_eq!(tags_code(None), 0);
        assert_eq!(tags_code(Some("")), 0);
    }

    #[test]
    fn overflow_wraps_and_surrogates_count_twice() {
        // 31^k overflows quickly; computed with i64 and truncated as Java's int arithmetic does.
        let s = "abcdefghijklmnop";
        let mut h: i64 = 0;
        for c in s.bytes() {
            h = (h * 31 + i64::from(c)) & 0xFFFF_FFFF;
        }
        assert_eq!(java_string_hash(s), h as u32 as i32);
        // U+1F600 is the surrogate pair D83D DE00 in UTF-16.
        assert_eq!(java_string_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    }
}
