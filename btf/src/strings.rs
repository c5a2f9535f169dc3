//! Reading names out of a string section. Decoding a struct looks up every member's name, and
//! writing vmlinux.h looks up millions; checking each as UTF-8 one by one was a fifth of that
//! time. So once a blob has answered `CHECKED_ONE_BY_ONE` lookups, its section is checked once
//! and kept as a `str` (a copy: the bytes may be shared and cannot become a `str` in place),
//! and later lookups are a NUL search ([`memchr::memchr`]) and a slice. Few lookups never pay
//! for the copy.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Lookups answered by checking the one string before the whole section is checked.
const CHECKED_ONE_BY_ONE: u32 = 4096;

/// A string section's text, checked as UTF-8 on demand.
#[derive(Debug, Default)]
pub(crate) struct LazyText {
    /// `Some(text)` once checked, `None` inside if the section is not all UTF-8.
    text: OnceLock<Option<Box<str>>>,
    lookups: AtomicU32,
}

impl Clone for LazyText {
    fn clone(&self) -> Self {
        LazyText { text: self.text.clone(), lookups: AtomicU32::new(self.lookups.load(Ordering::Relaxed)) }
    }
}

impl LazyText {
    /// The checked text of `section`, once enough lookups have been made to pay for it.
    #[inline]
    pub(crate) fn get(&self, section: &[u8]) -> Option<&str> {
        if let Some(text) = self.text.get() {
            return text.as_deref();
        }
        if self.lookups.fetch_add(1, Ordering::Relaxed) < CHECKED_ONE_BY_ONE {
            return None;
        }
        self.text.get_or_init(|| std::str::from_utf8(section).ok().map(Box::from)).as_deref()
    }

    /// Heap bytes held by the checked copy.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.get().and_then(|t| t.as_deref()).map_or(0, str::len)
    }
}

/// The NUL-terminated string at `rel` of checked text, or `None` if `rel` is out of range or
/// not at a character boundary (the caller then reports it from the bytes).
#[inline]
pub(crate) fn text_at(text: &str, rel: usize) -> Option<&str> {
    let tail = text.get(rel..)?;
    let len = memchr::memchr(0, tail.as_bytes())?;
    // NUL is ASCII, so `len` is a character boundary.
    tail.get(..len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_at_finds_each_string_and_refuses_bad_offsets() {
        let text = "\0ab\0\u{e9}t\u{e9}\0";
        assert_eq!(text_at(text, 0), Some(""));
        assert_eq!(text_at(text, 1), Some("ab"));
        assert_eq!(text_at(text, 2), Some("b"));
        assert_eq!(text_at(text, 4), Some("\u{e9}t\u{e9}"));
        assert_eq!(text_at(text, 5), None, "inside a two-byte character");
        assert_eq!(text_at(text, text.len()), None, "past the last NUL");
        assert_eq!(text_at(text, 99), None);
    }

    #[test]
    fn section_is_checked_only_after_many_lookups() {
        let lazy = LazyText::default();
        let section = b"\0abc\0";
        for _ in 0..CHECKED_ONE_BY_ONE {
            assert_eq!(lazy.get(section), None);
        }
        assert_eq!(lazy.get(section), Some("\0abc\0"));
        assert_eq!(lazy.heap_bytes(), 5);
    }

    #[test]
    fn invalid_utf8_section_stays_unchecked() {
        let lazy = LazyText::default();
        let section = b"\0ab\xff\0";
        for _ in 0..=CHECKED_ONE_BY_ONE + 1 {
            assert_eq!(lazy.get(section), None);
        }
        assert_eq!(lazy.heap_bytes(), 0);
    }
}
