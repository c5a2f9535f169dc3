//! "Did you mean": names close to one that was not found. Only runs on that error path, so
//! scanning every name is fine here.

use std::collections::HashSet;

use crate::{Btf, Kind};

/// How close `name` is to `query` (lower is closer), or `None` if not close at all: the edit
/// distance ignoring ASCII case when it is small for the query's length, else how much longer
/// `name` is when it contains `query`.
fn score(query: &str, name: &str) -> Option<usize> {
    let max = (query.len() / 4).clamp(1, 3);
    // Bytes, not chars: names are C identifiers, and ASCII case folding keeps byte lengths.
    let (q, n) = (query.as_bytes().to_ascii_lowercase(), name.as_bytes().to_ascii_lowercase());
    // Lengths further apart than `max` cannot be within `max` edits: skip the full distance.
    if q.len().abs_diff(n.len()) <= max {
        let d = strsim::generic_levenshtein(&q, &n);
        if d <= max {
            return Some(d);
        }
    }
    if q.len() >= 3 && memchr::memmem::find(&n, &q).is_some() {
        return Some(4 + n.len() - q.len());
    }
    None
}

/// Up to `limit` `(name, kind)` pairs closest to `query`, best first; of `kind` if given.
pub fn closest_names(btf: &Btf, query: &str, kind: Option<Kind>, limit: usize) -> Vec<(String, Kind)> {
    let mut seen = HashSet::new();
    let mut found: Vec<(usize, String, Kind)> = Vec::new();
    for id in btf.ids() {
        let Ok(name) = btf.name_of(id) else { continue };
        if name.is_empty() {
            continue;
        }
        let Ok(k) = btf.kind_of(id) else { continue };
        if kind.is_some_and(|want| want != k) || !seen.insert((name, k)) {
            continue;
        }
        if let Some(s) = score(query, name) {
            found.push((s, name.to_owned(), k));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.len().cmp(&b.1.len())).then(a.1.cmp(&b.1)));
    found.into_iter().take(limit).map(|(_, n, k)| (n, k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written bounded Levenshtein `score` used before strsim, kept as the oracle.
    fn old_edit_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        let mut cur = vec![0; b.len() + 1];
        for (i, &ca) in a.iter().enumerate() {
            cur[0] = i + 1;
            let mut row_min = cur[0];
            for (j, &cb) in b.iter().enumerate() {
                let cost = usize::from(!ca.eq_ignore_ascii_case(&cb));
                cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
                row_min = row_min.min(cur[j + 1]);
            }
            if row_min > max {
                return None;
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        Some(prev[b.len()]).filter(|&d| d <= max)
    }

    fn old_score(query: &str, name: &str) -> Option<usize> {
        let max = (query.len() / 4).clamp(1, 3);
        if let Some(d) = old_edit_distance(query.as_bytes(), name.as_bytes(), max) {
            return Some(d);
        }
        let (q, n) = (query.to_ascii_lowercase(), name.to_ascii_lowercase());
        if q.len() >= 3 && (n.starts_with(&q) || n.contains(&q)) {
            return Some(4 + n.len() - q.len());
        }
        None
    }

    const QUERIES: [&str; 10] =
        ["tcp_conect", "sk_buf", "TASK_STRUCT", "zzz", "a", "ab", "bpf_prog", "do_sys_open2", "inode", "x"];

    #[test]
    fn typos_and_fragments_are_close() {
        assert_eq!(score("tcp_conect", "tcp_connect"), Some(1));
        assert_eq!(score("abc", "xyz"), None);
        assert_eq!(score("TCP_Connect", "tcp_connect"), Some(0), "case is ignored");
        assert!(score("tcp_conect", "tcp_connect").unwrap() < score("sk_buf", "sk_buff_head").unwrap());
        assert_eq!(score("zzz", "task_struct"), None);
    }

    #[test]
    fn scores_are_those_of_the_old_edit_distance() {
        let names = [
            "tcp_connect",
            "tcp_conn",
            "tcp_v4_connect",
            "sk_buff",
            "sk_buff_head",
            "task_struct",
            "Task_Struct",
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "bpf_prog",
            "bpf_prog_aux",
            "do_sys_open",
            "do_sys_openat2",
            "inode",
            "INODE_X",
            "node",
            "xx",
            "tcp_connect___2",
        ];
        for q in QUERIES {
            for n in names {
                assert_eq!(score(q, n), old_score(q, n), "score({q:?}, {n:?})");
            }
        }
    }

    #[test]
    fn vmlinux_suggestions_are_unchanged() {
        let Ok(btf) = crate::source::vmlinux() else {
            return println!("SKIP: vmlinux_suggestions_are_unchanged: {} not readable", crate::source::VMLINUX_BTF);
        };
        let names: HashSet<&str> = btf.ids().filter_map(|id| btf.name_of(id).ok()).collect();
        for q in QUERIES {
            for &n in &names {
                assert_eq!(score(q, n), old_score(q, n), "score({q:?}, {n:?})");
            }
        }
        let close = closest_names(&btf, "tcp_conect", Some(Kind::Func), 3);
        assert_eq!(close.first().map(|(n, _)| n.as_str()), Some("tcp_connect"), "{close:?}");
    }
}
