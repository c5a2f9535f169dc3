//! Flavored names: `task_struct___old` is `task_struct` with the flavor `old`. CO-RE compares
//! names without their flavor on both sides (libbpf's `bpf_core_essential_name_len`), so a
//! lookup by essential name must also find target types that carry a flavor. Those are rare
//! (kernel BTF has none), so they are found through the string section, once per BTF, rather
//! than by indexing every name twice.

use std::sync::OnceLock;

/// Length of the essential part of `name`: everything before the LAST `X___Y` flavor
/// separator where X and Y are not underscores (libbpf's `bpf_core_essential_name_len`).
/// `task_struct___old` → 11; `___x` and `a____b` keep their full length.
pub fn essential_len(name: &str) -> usize {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(4))
        .rev()
        .find(|&i| b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_')
        .map_or(b.len(), |i| i + 1)
}

/// The essential name: `name` without its flavor suffix.
pub fn essential(name: &str) -> &str {
    &name[..essential_len(name)]
}

/// The flavored strings of one string section, found on first use.
#[derive(Clone, Debug, Default)]
pub(crate) struct LazyFlavors {
    names: OnceLock<Box<[Box<str>]>>,
}

impl LazyFlavors {
    /// Every string of `strings` (a NUL-separated string section) that has a flavor suffix.
    pub(crate) fn get(&self, strings: &[u8]) -> &[Box<str>] {
        self.names.get_or_init(|| flavored_strings(strings))
    }
}

/// One pass of `memmem` for `___` over the section; each hit's whole string is kept when it
/// has a flavor (enumerators like `___GFP_DMA_BIT` match `___` but have none).
fn flavored_strings(strings: &[u8]) -> Box<[Box<str>]> {
    let mut out: Vec<Box<str>> = Vec::new();
    let mut last_start = None;
    for hit in memchr::memmem::find_iter(strings, b"___") {
        let start = memchr::memrchr(0, &strings[..hit]).map_or(0, |nul| nul + 1);
        if last_start == Some(start) {
            continue;
        }
        last_start = Some(start);
        let end = memchr::memchr(0, &strings[hit..]).map_or(strings.len(), |n| hit + n);
        if let Ok(s) = std::str::from_utf8(&strings[start..end]) {
            if essential_len(s) < s.len() {
                out.push(s.into());
            }
        }
    }
    out.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_names_follow_libbpf() {
        assert_eq!(essential("task_struct___old"), "task_struct");
        assert_eq!(essential("a___b___c"), "a___b");
        assert_eq!(essential("sock"), "sock");
        assert_eq!(essential("___x"), "___x");
        assert_eq!(essential("a____b"), "a____b");
        assert_eq!(essential("x___"), "x___");
        assert_eq!(essential(""), "");
    }

    #[test]
    fn flavored_strings_are_found_once_each_and_unflavored_hits_skipped() {
        let strings = b"\0sock\0task_struct___old\0___GFP_DMA_BIT\0a___b___c\0x___\0tail___2";
        let found = flavored_strings(strings);
        let found: Vec<&str> = found.iter().map(|s| &**s).collect();
        assert_eq!(found, ["task_struct___old", "a___b___c", "tail___2"]);
        assert!(flavored_strings(b"\0int\0long\0").is_empty());
    }
}
