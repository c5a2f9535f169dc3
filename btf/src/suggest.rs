//! "Did you mean": names close to one that was not found. Only runs on that error path, so
//! scanning every name is fine here.

use std::collections::HashSet;

use crate::{Btf, Kind};

/// Edit distance between `a` and `b`, or `None` once it must exceed `max`.
fn edit_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
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

/// How close `name` is to `query` (lower is closer), or `None` if not close at all.
fn score(query: &str, name: &str) -> Option<usize> {
    let max = (query.len() / 4).clamp(1, 3);
    if let Some(d) = edit_distance(query.as_bytes(), name.as_bytes(), max) {
        return Some(d);
    }
    let (q, n) = (query.to_ascii_lowercase(), name.to_ascii_lowercase());
    if q.len() >= 3 && (n.starts_with(&q) || n.contains(&q)) {
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

    #[test]
    fn typos_and_fragments_are_close() {
        assert_eq!(edit_distance(b"tcp_conect", b"tcp_connect", 2), Some(1));
        assert_eq!(edit_distance(b"abc", b"xyz", 1), None);
        assert!(score("tcp_conect", "tcp_connect").unwrap() < score("sk_buf", "sk_buff_head").unwrap());
        assert_eq!(score("zzz", "task_struct"), None);
    }
}
