//! Typed request/response headers ("custom headers", spec §4 and §7): each converts to and from a command's
//! `extFields`, keyed by the Java field name (or the single-letter alias of SEND_MESSAGE_V2).
//!
//! Reading follows Java's decoder where that is harmless: optional fields that are absent or unparsable read as
//! `None`, booleans are true only for a case-insensitive `"true"` (so `"1"` is false). Unlike Java, a required
//! field that is absent or unparsable is an error naming the field, so processors answer with a clear remark.

mod admin;
mod client;
mod namesrv;
mod offset;
mod pull;
mod query;
mod retry;
mod send;
mod transaction;

pub use admin::*;
pub use client::*;
pub use namesrv::*;
pub use offset::*;
pub use pull::*;
pub use query::*;
pub use retry::*;
pub use send::*;
pub use transaction::*;

use crate::command::ExtFields;
use crate::error::ProtocolError;

/// A typed view of a command's ext fields.
pub trait CommandHeader: Sized {
    fn write_ext(&self, ext: &mut ExtFields);
    fn read_ext(ext: &ExtFields) -> Result<Self, ProtocolError>;

    /// The ext fields of this header alone.
    fn to_ext(&self) -> ExtFields {
        let mut ext = ExtFields::new();
        self.write_ext(&mut ext);
        ext
    }
}

/// A field type that has a text form in `extFields` (Java's `String.valueOf` and the matching parse).
pub trait ExtValue: Sized {
    fn to_ext(&self) -> String;
    /// `None` when the text cannot be parsed as this type.
    fn from_ext(s: &str) -> Option<Self>;
    /// Appends the text form to `out` (what [`ExtValue::to_ext`] returns, without a `String` of its own).
    fn write_ext(&self, out: &mut String) {
        out.push_str(&self.to_ext());
    }
    /// About how many bytes the text form takes, to size the ext map's buffer once.
    fn ext_len_hint(&self) -> usize {
        16
    }
}

impl ExtValue for String {
    fn to_ext(&self) -> String {
        self.clone()
    }
    fn from_ext(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }
    fn write_ext(&self, out: &mut String) {
        out.push_str(self);
    }
    fn ext_len_hint(&self) -> usize {
        self.len()
    }
}

impl ExtValue for i32 {
    fn to_ext(&self) -> String {
        let mut s = String::with_capacity(11);
        push_int(&mut s, i64::from(*self));
        s
    }
    fn from_ext(s: &str) -> Option<Self> {
        s.trim().parse().ok()
    }
    fn write_ext(&self, out: &mut String) {
        push_int(out, i64::from(*self));
    }
    fn ext_len_hint(&self) -> usize {
        11
    }
}

impl ExtValue for i64 {
    fn to_ext(&self) -> String {
        let mut s = String::with_capacity(20);
        push_int(&mut s, *self);
        s
    }
    fn from_ext(s: &str) -> Option<Self> {
        s.trim().parse().ok()
    }
    fn write_ext(&self, out: &mut String) {
        push_int(out, *self);
    }
    fn ext_len_hint(&self) -> usize {
        20
    }
}

impl ExtValue for bool {
    fn to_ext(&self) -> String {
        bool_text(*self).to_owned()
    }
    /// Java's `Boolean.parseBoolean`: anything but a case-insensitive "true" is false, never an error.
    fn from_ext(s: &str) -> Option<Self> {
        Some(s.eq_ignore_ascii_case("true"))
    }
    fn write_ext(&self, out: &mut String) {
        out.push_str(bool_text(*self));
    }
    fn ext_len_hint(&self) -> usize {
        5
    }
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Appends the decimal text of `v`, as `to_string` writes it but without the formatting machinery (several ints
/// are written per message).
fn push_int(out: &mut String, v: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    // The digits are ASCII.
    buf[pos..].iter().for_each(|&d| out.push(d as char));
}

/// Writes one field of a typed header (used by [`command_header!`]). `fresh`: the map held nothing when the
/// header started writing, so the key cannot be there yet and needs no lookup.
#[doc(hidden)]
pub fn write_field<T: ExtValue>(ext: &mut ExtFields, key: &str, v: &T, fresh: bool) {
    if fresh {
        ext.push_with(key, |out| v.write_ext(out));
    } else {
        ext.insert_with(key, |out| v.write_ext(out));
    }
}

/// Reads a required field: absent → [`ProtocolError::MissingField`], unparsable → [`ProtocolError::InvalidField`].
pub fn read_required<T: ExtValue>(
    ext: &ExtFields,
    header: &'static str,
    field: &'static str,
) -> Result<T, ProtocolError> {
    let raw = ext
        .get(field)
        .ok_or(ProtocolError::MissingField { header, field })?;
    T::from_ext(raw).ok_or_else(|| ProtocolError::InvalidField {
        header,
        field,
        value: raw.to_owned(),
    })
}

/// Reads an optional field: absent or unparsable → `None` (Java logs and leaves the field null).
pub fn read_optional<T: ExtValue>(ext: &ExtFields, field: &str) -> Option<T> {
    ext.get(field).and_then(|raw| T::from_ext(raw))
}

/// Declares a header struct and its [`CommandHeader`] impl. Each field is
/// `rust_name: req Type => "extKey"` (required) or `rust_name: opt Type => "extKey"` (stored as `Option<Type>`),
/// with `Type` one of `String`, `i32`, `i64`, `bool` (any [`ExtValue`]).
///
/// ```
/// ferrocket_protocol::command_header! {
///     /// Example.
///     pub struct ExampleHeader {
///         topic: req String => "topic",
///         queue_id: opt i32 => "queueId",
///     }
/// }
/// ```
#[macro_export]
macro_rules! command_header {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $kind:ident $ty:ty => $key:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $crate::command_header!(@type $kind $ty), )*
        }

        impl $name {
            /// The ext keys this header reads and writes.
            pub const EXT_KEYS: &'static [&'static str] = &[$($key),*];
        }

        impl $crate::header::CommandHeader for $name {
            fn write_ext(&self, ext: &mut $crate::command::ExtFields) {
                // The map's buffers sized once for all fields; a map that started empty needs no duplicate checks.
                let text_len = 0 $( + $key.len() + $crate::command_header!(@hint $kind, &self.$field) )*;
                ext.reserve(Self::EXT_KEYS.len(), text_len);
                let fresh = ext.is_empty();
                $( $crate::command_header!(@write $kind, &self.$field, $key, ext, fresh); )*
            }

            #[allow(unused_variables)]
            fn read_ext(ext: &$crate::command::ExtFields) -> Result<Self, $crate::error::ProtocolError> {
                Ok(Self {
                    $( $field: $crate::command_header!(@read $kind, ext, stringify!($name), $key), )*
                })
            }
        }
    };
    (@type req $ty:ty) => { $ty };
    (@type opt $ty:ty) => { Option<$ty> };
    (@write req, $v:expr, $key:literal, $ext:ident, $fresh:ident) => {
        $crate::header::write_field($ext, $key, $v, $fresh);
    };
    (@write opt, $v:expr, $key:literal, $ext:ident, $fresh:ident) => {
        if let Some(v) = $v {
            $crate::header::write_field($ext, $key, v, $fresh);
        }
    };
    (@hint req, $v:expr) => {
        $crate::header::ExtValue::ext_len_hint($v)
    };
    (@hint opt, $v:expr) => {
        $v.as_ref().map_or(0, $crate::header::ExtValue::ext_len_hint)
    };
    (@read req, $ext:ident, $header:expr, $key:literal) => {
        $crate::header::read_required($ext, $header, $key)?
    };
    (@read opt, $ext:ident, $header:expr, $key:literal) => {
        $crate::header::read_optional($ext, $key)
    };
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    command_header! {
        /// A header exercising every field kind.
        pub struct TestHeader {
            name: req String => "name",
            count: req i32 => "count",
            big: req i64 => "big",
            flag: req bool => "flag",
            note: opt String => "note",
            small: opt i32 => "small",
        }
    }

    /// Writes `h` to ext fields and reads it back; also checks that every key written is declared.
    pub(crate) fn round_trip<H: CommandHeader + PartialEq + std::fmt::Debug>(h: &H) {
        let ext = h.to_ext();
        let back = H::read_ext(&ext).unwrap();
        assert_eq!(&back, h);
    }

    fn ext(pairs: &[(&str, &str)]) -> ExtFields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn writes_java_text_forms() {
        let h = TestHeader {
            name: "n".into(),
            count: -3,
            big: 1 << 40,
            flag: true,
            note: None,
            small: Some(7),
        };
        let e = h.to_ext();
        assert_eq!(
            e,
            ext(&[
                ("name", "n"),
                ("count", "-3"),
                ("big", "1099511627776"),
                ("flag", "true"),
                ("small", "7")
            ])
        );
        round_trip(&h);
        assert_eq!(
            TestHeader::EXT_KEYS,
            &["name", "count", "big", "flag", "note", "small"]
        );
    }

    #[test]
    fn missing_required_field_is_named() {
        let err = TestHeader::read_ext(&ext(&[("name", "n"), ("count", "1"), ("flag", "true")]))
            .unwrap_err();
        match err {
            ProtocolError::MissingField { header, field } => {
                assert_eq!((header, field), ("TestHeader", "big"));
            }
            e => panic!("unexpected {e}"),
        }
        let msg = TestHeader::read_ext(&ExtFields::new())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("TestHeader") && msg.contains("`name`"),
            "{msg}"
        );
    }

    #[test]
    fn unparsable_required_is_invalid_optional_is_none() {
        let base = [("name", "n"), ("count", "1"), ("big", "2"), ("flag", "x")];
        let mut e = ext(&base);
        e.insert("count", "one");
        assert!(matches!(
            TestHeader::read_ext(&e),
            Err(ProtocolError::InvalidField { field: "count", .. })
        ));
        let mut e = ext(&base);
        e.insert("small", "");
        let h = TestHeader::read_ext(&e).unwrap();
        assert_eq!(h.small, None);
        assert!(!h.flag, "\"x\" is false");
    }

    #[test]
    fn java_booleans() {
        for (s, b) in [
            ("true", true),
            ("TRUE", true),
            ("True", true),
            ("1", false),
            ("0", false),
            ("yes", false),
            ("", false),
        ] {
            assert_eq!(bool::from_ext(s), Some(b), "{s:?}");
        }
        assert_eq!(i32::from_ext(" 4 "), Some(4));
        assert_eq!(i64::from_ext("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i32::from_ext("2147483648"), None);
    }

    #[test]
    fn int_text_matches_to_string() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            479,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(v.to_ext(), v.to_string());
            let mut out = String::from("x");
            v.write_ext(&mut out);
            assert_eq!(out, format!("x{v}"));
        }
        for v in [0, -7, i32::MAX, i32::MIN] {
            assert_eq!(v.to_ext(), v.to_string());
        }
    }
}
