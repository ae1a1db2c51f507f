//! Where property values come from during evaluation: maps, or a stored record's encoded
//! properties string read in place (no map is built per message).

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

const NAME_VALUE_SEPARATOR: u8 = 0x01;
const PROPERTY_SEPARATOR: u8 = 0x02;

/// A message's properties by name. Every value is a string; `None` means the property is
/// absent, which the filter treats as NULL.
pub trait PropertySource {
    fn get(&self, name: &str) -> Option<&str>;
}

impl<S: BuildHasher> PropertySource for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl<S: BuildHasher> PropertySource for HashMap<&str, &str, S> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).copied()
    }
}

impl PropertySource for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(String::as_str)
    }
}

impl PropertySource for BTreeMap<&str, &str> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).copied()
    }
}

/// A list of pairs; the last pair with the name wins, like a map built from it.
impl PropertySource for [(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

impl<T: PropertySource + ?Sized> PropertySource for &T {
    fn get(&self, name: &str) -> Option<&str> {
        (**self).get(name)
    }
}

/// Properties in RocketMQ's wire/store encoding (`name \x01 value \x02 ...`), looked up in
/// place. Each lookup scans the string, which for typical (short) property strings is cheaper
/// than decoding them into a map for every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedProperties<'a>(&'a str);

impl<'a> EncodedProperties<'a> {
    pub fn new(encoded: &'a str) -> Self {
        EncodedProperties(encoded)
    }

    /// From the raw bytes of a stored record; fails when they are not UTF-8.
    pub fn from_utf8(encoded: &'a [u8]) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(encoded).map(EncodedProperties)
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The value of `name`, as a decoder of the encoding would produce it.
    pub fn lookup(&self, name: &str) -> Option<&'a str> {
        lookup_encoded_property(self.0, name)
    }
}

impl PropertySource for EncodedProperties<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.lookup(name)
    }
}

/// Looks `name` up in an encoded properties string with the decoder's rules
/// (remoting-protocol.md §9): segments end at `\x02`; a segment counts only if its first
/// `\x01` has at least one char before and one after it; the name is the text before that
/// `\x01`, the value everything after it; a repeated name takes its last value.
pub fn lookup_encoded_property<'a>(encoded: &'a str, name: &str) -> Option<&'a str> {
    let name_bytes = name.as_bytes();
    // A decoded name is non-empty and holds neither separator.
    if name_bytes.is_empty()
        || name_bytes
            .iter()
            .any(|&b| b == NAME_VALUE_SEPARATOR || b == PROPERTY_SEPARATOR)
    {
        return None;
    }
    // The last valid segment wins, so the first match scanning from the end is the answer.
    // Since `name` has no `\x01`, "segment starts with name + \x01" means that is the first
    // `\x01`; the value must be non-empty.
    encoded
        .rsplit(PROPERTY_SEPARATOR as char)
        .find_map(|segment| {
            let b = segment.as_bytes();
            let matched = b.len() > name_bytes.len() + 1
                && b[name_bytes.len()] == NAME_VALUE_SEPARATOR
                && b.starts_with(name_bytes);
            // The separator is ASCII, so the slice starts on a char boundary.
            matched.then(|| &segment[name_bytes.len() + 1..])
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(pairs: &[(&str, &str)]) -> String {
        let mut s = String::new();
        for (k, v) in pairs {
            s.push_str(k);
            s.push('\u{1}');
            s.push_str(v);
            s.push('\u{2}');
        }
        s
    }

    #[test]
    fn finds_values_in_encoded_string() {
        let s = encode(&[("TAGS", "TagA"), ("KEYS", "k1 k2"), ("a", "5")]);
        let p = EncodedProperties::new(&s);
        assert_eq!(p.get("TAGS"), Some("TagA"));
        assert_eq!(p.get("KEYS"), Some("k1 k2"));
        assert_eq!(p.get("a"), Some("5"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("TAG"), None);
        assert_eq!(p.get("AGS"), None);
        assert_eq!(p.get(""), None);
    }

    #[test]
    fn follows_decoder_rules_for_odd_segments() {
        // last wins; empty name or empty value dropped; value keeps later \x01; no trailing \x02
        let s =
            "a\u{1}1\u{2}a\u{1}2\u{2}\u{1}x\u{2}b\u{1}\u{2}c\u{1}x\u{1}y\u{2}noval\u{2}d\u{1}tail";
        let p = EncodedProperties::new(s);
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x\u{1}y"));
        assert_eq!(p.get("noval"), None);
        assert_eq!(p.get("d"), Some("tail"));
        // a later valid duplicate after an invalid one still wins; an invalid one does not erase
        let s = "a\u{1}1\u{2}a\u{1}\u{2}";
        assert_eq!(lookup_encoded_property(s, "a"), Some("1"));
        assert_eq!(lookup_encoded_property("", "a"), None);
        // names holding a separator can never be decoded
        assert_eq!(
            lookup_encoded_property("c\u{1}x\u{1}y\u{2}", "c\u{1}x"),
            None
        );
    }

    #[test]
    fn non_ascii_names_and_values() {
        let s = encode(&[("città", "Zürich"), ("k", "日本")]);
        let p = EncodedProperties::from_utf8(s.as_bytes()).unwrap();
        assert_eq!(p.get("città"), Some("Zürich"));
        assert_eq!(p.get("k"), Some("日本"));
        assert!(EncodedProperties::from_utf8(b"a\x01\xff\x02").is_err());
    }

    #[test]
    fn maps_and_pair_lists() {
        let mut h: HashMap<String, String> = HashMap::new();
        h.insert("a".into(), "1".into());
        let b: BTreeMap<&str, &str> = [("a", "2")].into_iter().collect();
        let pairs: &[(&str, &str)] = &[("a", "3"), ("a", "4")];
        assert_eq!(PropertySource::get(&h, "a"), Some("1"));
        assert_eq!(PropertySource::get(&b, "a"), Some("2"));
        assert_eq!(PropertySource::get(pairs, "a"), Some("4"));
        assert_eq!(PropertySource::get(&h, "z"), None);
    }
}
