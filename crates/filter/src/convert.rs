//! String-to-value conversions with the acceptance rules of the Java methods Apache's filter
//! calls (`Integer.valueOf`, `Long.valueOf`, `Double.valueOf`, `Boolean.valueOf`), and Java's
//! `Double.compare` ordering. Properties are strings, so these decide what matches.

use std::cmp::Ordering;

/// `Integer.valueOf`: optional sign, ASCII digits, no spaces, 32-bit range.
pub(crate) fn java_int(s: &str) -> Option<i32> {
    s.parse().ok()
}

/// `Long.valueOf`: as `java_int` with 64-bit range.
pub(crate) fn java_long(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// `Boolean.valueOf`: true exactly when the text is "true" in any case; never fails.
pub(crate) fn java_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// `Double.valueOf` for decimal input: surrounding chars <= ' ' trimmed, optional sign,
/// `NaN`, `Infinity`, or digits with optional point and exponent, optional `f`/`F`/`d`/`D`
/// suffix. Hexadecimal floating literals (`0x1p3`) are not accepted.
pub(crate) fn java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    let number = match body.as_bytes().last() {
        Some(b'f' | b'F' | b'd' | b'D') => &body[..body.len() - 1],
        _ => body,
    };
    if !is_decimal_float(number) {
        return None;
    }
    number.parse::<f64>().ok().map(|v| sign * v)
}

/// digits [ '.' digits ] [ ('e'|'E') [sign] digits ], at least one mantissa digit.
fn is_decimal_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// Java's `Double.compare`: -0.0 < 0.0, and NaN is equal to itself and above +Infinity.
pub(crate) fn java_double_cmp(a: f64, b: f64) -> Ordering {
    if a < b {
        return Ordering::Less;
    }
    if a > b {
        return Ordering::Greater;
    }
    let bits = |v: f64| -> i64 {
        if v.is_nan() {
            0x7ff8_0000_0000_0000
        } else {
            v.to_bits() as i64
        }
    };
    bits(a).cmp(&bits(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_follow_java_value_of() {
        assert_eq!(java_int("5"), Some(5));
        assert_eq!(java_int("+5"), Some(5));
        assert_eq!(java_int("-2147483648"), Some(i32::MIN));
        assert_eq!(java_int("2147483648"), None);
        for bad in ["", "+", "-", " 5", "5 ", "5.0", "0x10", "1e3", "abc"] {
            assert_eq!(java_int(bad), None, "{bad:?}");
        }
        assert_eq!(java_long("2147483648"), Some(2_147_483_648));
        assert_eq!(java_long("9223372036854775808"), None);
    }

    #[test]
    fn bools_are_true_only_for_true() {
        assert!(java_bool("true"));
        assert!(java_bool("TrUe"));
        assert!(!java_bool("yes"));
        assert!(!java_bool("1"));
        assert!(!java_bool(" true"));
    }

    #[test]
    fn doubles_follow_java_value_of() {
        let ok = [
            ("1", 1.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("1.e2", 100.0),
            ("-2.5E-1", -0.25),
            ("+3", 3.0),
            ("  7.5\t", 7.5),
            ("1f", 1.0),
            ("2.5D", 2.5),
            ("3.1415E10", 3.1415e10),
        ];
        for (s, v) in ok {
            assert_eq!(java_double(s), Some(v), "{s:?}");
        }
        assert!(java_double("NaN").unwrap().is_nan());
        assert_eq!(java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(java_double("1e400"), Some(f64::INFINITY));
        for bad in [
            "", ".", "e5", "1e", "1e+", "inf", "nan", "infinity", "1.2.3", "1ff", "0x1p3", "abc",
            "1 2", "--1",
        ] {
            assert_eq!(java_double(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn double_order_matches_java() {
        assert_eq!(java_double_cmp(1.0, 2.0), Ordering::Less);
        assert_eq!(java_double_cmp(-0.0, 0.0), Ordering::Less);
        assert_eq!(java_double_cmp(0.0, 0.0), Ordering::Equal);
        assert_eq!(java_double_cmp(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(java_double_cmp(f64::NAN, f64::INFINITY), Ordering::Greater);
        assert_eq!(java_double_cmp(f64::NEG_INFINITY, f64::NAN), Ordering::Less);
    }
}
