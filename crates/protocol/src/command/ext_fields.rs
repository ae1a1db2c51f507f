//! [`ExtFields`]: the header's `extFields`, a small string-to-string map (spec §4).
//!
//! Every request and response carries one, and a send carries ~14 fields, so it is built per message on both
//! sides. All keys and values live back to back in one `String`, indexed by a `Vec` of spans: two allocations per
//! map instead of two per field, no hashing. Lookups scan the spans, which for the few short keys of a header is
//! cheaper than hashing the key. Iteration follows insertion order; a replaced or removed value leaves its bytes
//! behind in the text until the map is dropped (maps are short-lived).

use std::fmt;

/// Where one entry's key and value sit in the text (byte offsets; headers are at most 16 MiB).
#[derive(Debug, Clone, Copy)]
struct Span {
    key_start: u32,
    key_end: u32,
    value_end: u32,
}

impl Span {
    fn key<'a>(&self, text: &'a str) -> &'a str {
        &text[self.key_start as usize..self.key_end as usize]
    }

    fn value<'a>(&self, text: &'a str) -> &'a str {
        &text[self.key_end as usize..self.value_end as usize]
    }
}

#[derive(Clone, Default)]
pub struct ExtFields {
    text: String,
    spans: Vec<Span>,
}

impl ExtFields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `entries` fields of `text_bytes` bytes of keys and values in total.
    pub fn with_capacity(entries: usize, text_bytes: usize) -> Self {
        Self {
            text: String::with_capacity(text_bytes),
            spans: Vec::with_capacity(entries),
        }
    }

    /// Room for `entries` more fields of `text_bytes` more bytes.
    pub fn reserve(&mut self, entries: usize, text_bytes: usize) {
        self.spans.reserve(entries);
        self.text.reserve(text_bytes);
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        // Length first, then bytes: most keys differ in length or first letter, and this needs no char-boundary
        // checks.
        let text = self.text.as_bytes();
        let key = key.as_bytes();
        self.spans.iter().position(|s| {
            let (start, end) = (s.key_start as usize, s.key_end as usize);
            end - start == key.len()
                && key.first() == text.get(start)
                && text.get(start..end) == Some(key)
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.spans[i].value(&self.text))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`, replacing an earlier value of the key.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let value = value.as_ref();
        self.insert_with(key.as_ref(), |text| text.push_str(value));
    }

    /// Sets `key` to the text `write` appends to the buffer it is given (so numbers are formatted in place).
    /// `write` must only append.
    pub fn insert_with(&mut self, key: &str, write: impl FnOnce(&mut String)) {
        if let Some(i) = self.position(key) {
            self.spans.remove(i);
        }
        self.push_with(key, write);
    }

    /// Appends an entry without looking for an earlier one of the same key: for writers that know the key is
    /// new (a typed header written into an empty map).
    pub(crate) fn push_with(&mut self, key: &str, write: impl FnOnce(&mut String)) {
        let key_start = self.text.len();
        self.text.push_str(key);
        let key_end = self.text.len();
        write(&mut self.text);
        let value_end = self.text.len();
        assert!(
            value_end <= u32::MAX as usize,
            "ext fields over 4 GiB cannot be framed"
        );
        self.spans.push(Span {
            key_start: key_start as u32,
            key_end: key_end as u32,
            value_end: value_end as u32,
        });
    }

    /// The text buffer, for a reader that appends a key and value itself and then calls [`ExtFields::commit`].
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// Records the entry whose key is `text[key_start..key_end]` and whose value runs from `key_end` to the end
    /// of the text, replacing an earlier entry of that key (JSON: the last duplicate wins).
    pub(crate) fn commit(&mut self, key_start: usize, key_end: usize) {
        let span = Span {
            key_start: key_start as u32,
            key_end: key_end as u32,
            value_end: self.text.len() as u32,
        };
        let key = span.key(&self.text);
        if let Some(i) = self.position(key) {
            self.spans.remove(i);
        }
        self.spans.push(span);
    }

    /// Drops whatever was appended to the text after `len` (an entry a reader started but did not keep).
    pub(crate) fn truncate_text(&mut self, len: usize) {
        self.text.truncate(len);
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.position(key)?;
        let span = self.spans.remove(i);
        Some(span.value(&self.text).to_owned())
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: &self.text,
            spans: self.spans.iter(),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

pub struct Iter<'a> {
    text: &'a str,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.spans
            .next()
            .map(|s| (s.key(self.text), s.value(self.text)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a ExtFields {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// A map: equal when the same keys carry the same values, whatever the order.
impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for ExtFields {}

impl fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for ExtFields {
    type Output = str;

    /// Panics when `key` is absent, as `HashMap`'s index does.
    fn index(&self, key: &str) -> &str {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no ext field {key:?}"),
        }
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for ExtFields {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut ext = ExtFields::new();
        ext.extend(iter);
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_semantics() {
        let mut e = ExtFields::new();
        assert!(e.is_empty() && e.get("a").is_none());
        e.insert("a", "1");
        e.insert("bb", "");
        e.insert_with("c", |t| t.push_str("x-y"));
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e.get("a"), e.get("bb"), e.get("c")),
            (Some("1"), Some(""), Some("x-y"))
        );
        e.insert("a", "2");
        assert_eq!(e.len(), 3, "a replaced, not duplicated");
        assert_eq!(&e["a"], "2");
        assert_eq!(e.keys().collect::<Vec<_>>(), ["bb", "c", "a"]);
        assert_eq!(e.remove("bb").as_deref(), Some(""));
        assert_eq!(e.remove("bb"), None);
        assert!(!e.contains_key("bb") && e.contains_key("c"));
        assert_eq!(e.iter().collect::<Vec<_>>(), [("c", "x-y"), ("a", "2")]);
        e.clear();
        assert!(e.is_empty());
    }

    #[test]
    fn equality_ignores_order_and_garbage() {
        let a: ExtFields = [("x", "1"), ("y", "2")].into_iter().collect();
        let mut b = ExtFields::new();
        b.insert("y", "old");
        b.insert("x", "1");
        assert_ne!(a, b);
        b.insert("y", "2");
        assert_eq!(a, b);
        b.insert("z", "3");
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), r#"{"x": "1", "y": "2"}"#);
    }

    #[test]
    fn reader_protocol() {
        let mut e = ExtFields::with_capacity(2, 16);
        let start = e.text_mut().len();
        e.text_mut().push_str("key");
        let key_end = e.text_mut().len();
        e.text_mut().push_str("value");
        e.commit(start, key_end);
        let start = e.text_mut().len();
        e.text_mut().push_str("dropped");
        e.truncate_text(start);
        let start = e.text_mut().len();
        e.text_mut().push_str("key");
        let key_end = e.text_mut().len();
        e.text_mut().push_str("v2");
        e.commit(start, key_end);
        assert_eq!(e.iter().collect::<Vec<_>>(), [("key", "v2")]);
    }
}
