//! Finding the bytes JSON strings treat specially (`"`, `\` and control characters), eight at a time: the
//! header writer copies the runs between them as they are, the fast reader looks for the end of a string.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `x` is zero.
#[inline]
fn has_zero(x: u64) -> bool {
    x.wrapping_sub(LO) & !x & HI != 0
}

/// Whether any byte of `x` is a control character, a quote or a backslash (bytes >= 0x80 never are).
#[inline]
fn has_special(x: u64) -> bool {
    x.wrapping_sub(LO * 0x20) & !x & HI != 0
        || has_zero(x ^ (LO * b'"' as u64))
        || has_zero(x ^ (LO * b'\\' as u64))
}

#[inline]
fn is_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The index of the first special byte of `b`, or `b.len()` when there is none.
#[inline]
pub(super) fn find_special(b: &[u8]) -> usize {
    let mut i = 0;
    let mut chunks = b.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if has_special(u64::from_le_bytes(word)) {
            break;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| is_special(c))
        .unwrap_or(b.len() - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_byte_scan() {
        let base: Vec<u8> = (0..40).map(|i| b'a' + (i % 26) as u8).collect();
        for special in [0u8, 1, 0x1F, b'"', b'\\'] {
            for at in 0..base.len() {
                let mut v = base.clone();
                v[at] = special;
                assert_eq!(find_special(&v), at, "{special:#x} at {at}");
                assert_eq!(find_special(&v[..at]), at);
            }
        }
        for ok in [0x20u8, b'!', b'#', b'[', b']', 0x7F, 0x80, 0xA2, 0xDC, 0xFF] {
            let v = vec![ok; 19];
            assert_eq!(find_special(&v), v.len(), "{ok:#x}");
        }
        assert_eq!(find_special(b""), 0);
        // Every byte value, in every position of a word.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut v = [b'x'; 16];
                v[at] = b;
                let expect = if is_special(b) { at } else { 16 };
                assert_eq!(find_special(&v), expect, "{b:#x} at {at}");
            }
        }
    }
}
