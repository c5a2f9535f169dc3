//! Reading names out of a string section: find the NUL, check the bytes as UTF-8. Decoding a
//! struct looks up every member's name, and writing vmlinux.h looks up ~1.5 million: most are
//! short, where `memchr`'s setup costs more than the search, so the NUL is looked for eight
//! bytes at a time first. The section is not copied (a checked copy made lookups ~8% cheaper in
//! vmlinux.h but cost 2.3 MB of memory in every process that made enough lookups).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
/// Bytes searched a word at a time before handing over to `memchr`.
const SHORT: usize = 32;

/// The length of the NUL-terminated string at the start of `bytes`, or `None` without a NUL.
#[inline]
pub(crate) fn nul_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < SHORT {
        let Some(c) = bytes.get(at..at + 8) else {
            return bytes[at..].iter().position(|&b| b == 0).map(|n| at + n);
        };
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            // The lowest set high bit marks the first NUL in little-endian byte order.
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr(0, &bytes[at..]).map(|n| at + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_at_every_position_and_length() {
        for len in 0..80 {
            for tail in 0..10 {
                let mut b = vec![b'a'; len];
                b.push(0);
                b.extend(std::iter::repeat_n(b'z', tail));
                assert_eq!(nul_len(&b), Some(len), "len {len} tail {tail}");
                assert_eq!(nul_len(&b[..len]), None, "no NUL in {len} bytes");
            }
        }
        // A 0x80 byte is not a NUL (the borrow trick must not report it).
        assert_eq!(nul_len(b"\x80\x80\x01\x00"), Some(3));
    }
}
