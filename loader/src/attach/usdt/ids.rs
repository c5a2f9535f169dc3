//! Spec ids: the keys of `__bpf_usdt_specs`, shared by every USDT program of one object and
//! handed back when a link goes (libbpf's `allocate_spec_id` and the free list its USDT links
//! return ids to). Within one attachment, sites with the same argument string share an id.

use std::sync::{Arc, Mutex};

/// The object's spec ids: the next never used, and those given back.
#[derive(Debug)]
struct Pool {
    next: u32,
    free: Vec<u32>,
    max: u32,
}

/// A handle on one object's spec id pool (cheap to clone: shared).
#[derive(Clone, Debug)]
pub struct SpecIds(Arc<Mutex<Pool>>);

impl SpecIds {
    /// Ids `0..max`: `max` is the spec map's `max_entries`.
    pub fn new(max: u32) -> Self {
        SpecIds(Arc::new(Mutex::new(Pool { next: 0, free: Vec::new(), max })))
    }

    /// One id for each distinct string of `args` (the same string, the same id, as libbpf
    /// dedupes), in the order of `args`; `None` when the map is full, with nothing taken.
    pub fn lease(&self, args: &[&str]) -> Option<(SpecLease, Vec<u32>)> {
        let mut distinct: Vec<&str> = Vec::new();
        let mut held: Vec<u32> = Vec::new();
        let mut ids = Vec::with_capacity(args.len());
        {
            let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
            for a in args {
                let at = match distinct.iter().position(|d| d == a) {
                    Some(at) => at,
                    None => {
                        let Some(id) = pool.take() else {
                            pool.free.append(&mut held);
                            return None;
                        };
                        held.push(id);
                        distinct.push(a);
                        held.len() - 1
                    }
                };
                ids.push(held[at]);
            }
        }
        Some((SpecLease { pool: self.clone(), ids: held }, ids))
    }
}

impl Pool {
    /// A given-back id first, as libbpf, else the next new one below `max`.
    fn take(&mut self) -> Option<u32> {
        if let Some(id) = self.free.pop() {
            return Some(id);
        }
        (self.next < self.max).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

/// The ids one attachment holds; given back to the pool when dropped.
#[derive(Debug)]
pub struct SpecLease {
    pool: SpecIds,
    ids: Vec<u32>,
}

impl SpecLease {
    /// The distinct ids held.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
}

impl Drop for SpecLease {
    fn drop(&mut self) {
        let mut pool = self.pool.0.lock().unwrap_or_else(|e| e.into_inner());
        pool.free.append(&mut self.ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_strings_share_ids_and_dropped_leases_give_them_back() {
        let pool = SpecIds::new(3);
        let (a, ids) = pool.lease(&["x", "y", "x"]).unwrap();
        assert_eq!(ids, [0, 1, 0]);
        assert_eq!(a.ids(), [0, 1]);
        // One left: a two-spec attachment does not fit, and takes nothing.
        assert!(pool.lease(&["p", "q"]).is_none());
        let (b, ids) = pool.lease(&["z"]).unwrap();
        assert_eq!(ids, [2]);
        drop(a);
        let (_c, ids) = pool.lease(&["p", "q"]).unwrap();
        assert_eq!(ids, [1, 0]);
        drop(b);
        assert_eq!(pool.lease(&["r"]).unwrap().1, [2]);
        assert_eq!(SpecIds::new(0).lease(&[]).unwrap().1, Vec::<u32>::new());
    }
}
