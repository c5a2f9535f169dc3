//! Target candidates: types of the target BTF with the local type's essential name and a
//! compatible kind, found through the target's name index and cached per local type.

use std::collections::HashMap;

use crate::btf::Btf;
use crate::core::compat::kinds_compatible;
use crate::core::error::ReloProblem;
use crate::core::names::essential;
use crate::core::Why;
use crate::types::TypeId;

/// Candidate lists per local root type id, for one (object BTF, target BTF) pair.
///
/// Like libbpf's candidate cache, a list is pruned to the candidates that matched once any
/// matched, so later relocations on the same type only look at those. Keep one cache per
/// object and target; do not share it between different targets.
#[derive(Clone, Debug, Default)]
pub struct CoreCache {
    cands: HashMap<TypeId, Vec<TypeId>>,
    lookups: usize,
}

impl CoreCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many name-index lookups have been made (cache misses).
    pub fn lookups(&self) -> usize {
        self.lookups
    }

    /// The cached candidates of `local_id`, if it has been looked up.
    pub fn cached(&self, local_id: TypeId) -> Option<&[TypeId]> {
        self.cands.get(&local_id).map(Vec::as_slice)
    }

    /// The candidates of `local_id` in `target`, looking them up on first use.
    pub(crate) fn candidates(&mut self, local: &Btf, local_id: TypeId, target: &Btf) -> Result<Vec<TypeId>, Why> {
        if let Some(c) = self.cands.get(&local_id) {
            return Ok(c.clone());
        }
        let found = find_candidates(local, local_id, target)?;
        self.lookups += 1;
        self.cands.insert(local_id, found.clone());
        Ok(found)
    }

    /// Keeps only `matched` as the candidates of `local_id` (called when at least one matched).
    pub(crate) fn prune(&mut self, local_id: TypeId, matched: Vec<TypeId>) {
        self.cands.insert(local_id, matched);
    }
}

/// Target types whose essential name equals the local type's and whose kind is compatible
/// with the local type's (as written: a typedef looks for typedefs). Ids ascend, so vmlinux
/// candidates come before a module's.
///
/// Names are compared without flavors on both sides, as libbpf compares them: a local
/// `task_struct___old` finds a target `task_struct___2` (BTF made of flavored types, like
/// reduced or hand-made target BTF).
pub(crate) fn find_candidates(local: &Btf, local_id: TypeId, target: &Btf) -> Result<Vec<TypeId>, Why> {
    let lt = local.type_by_id(local_id)?;
    if lt.name.is_empty() {
        return Err(Why::Relo(ReloProblem::Anonymous));
    }
    let want = essential(lt.name);
    let mut out = Vec::new();
    for id in target.ids_by_essential_name(want) {
        if kinds_compatible(target.kind_of(id)?, lt.kind()) {
            out.push(id);
        }
    }
    Ok(out)
}
