//! The bytes the verifier knows as constants: the contents of the maps a loader freezes
//! read-only for programs (`.rodata` with its initial values, and `.kconfig`), as the
//! verifier reads them when a program loads from such a map at a fixed offset. Offline,
//! `.kconfig` is known only in part: `LINUX_KERNEL_VERSION` when the kernel's version is known,
//! the `LINUX_HAS_*` probes answered from its BTF; `CONFIG_*` values are not.

use btf::{Btf, Kind};

use crate::externs::kconfig::store_number;
use crate::object::maps::BPF_F_RDONLY_PROG;
use crate::object::{ExternKind, MapKind, Object};

/// Known bytes of each map, by the map's index in the object (`None`: nothing known).
#[derive(Clone, Debug, Default)]
pub struct Consts {
    maps: Vec<Option<Vec<Option<u8>>>>,
}

impl Consts {
    /// Map `map` holds exactly `bytes` (`None` where a byte is not known).
    pub fn with_map(map: usize, bytes: Vec<Option<u8>>) -> Consts {
        let mut maps = vec![None; map + 1];
        maps[map] = Some(bytes);
        Consts { maps }
    }

    /// What the verifier would know of `obj`'s frozen read-only maps on the kernel `target`
    /// describes, whose `LINUX_KERNEL_VERSION` is `version` (when known).
    pub fn of(obj: &Object, target: &Btf, version: Option<u32>) -> Consts {
        let maps = obj
            .maps
            .iter()
            .map(|m| match m.kind {
                MapKind::Kconfig => Some(kconfig(obj, target, version)),
                _ if m.freeze && m.map_flags & BPF_F_RDONLY_PROG != 0 => {
                    m.initial_data.as_ref().map(|d| d.iter().copied().map(Some).collect())
                }
                _ => None,
            })
            .collect();
        Consts { maps }
    }

    /// The `size`-byte little-endian value at `off` in map `map`, when every byte is known.
    pub fn read(&self, map: u32, off: i64, size: u32, signed: bool) -> Option<i64> {
        let bytes = self.maps.get(map as usize)?.as_ref()?;
        let start = usize::try_from(off).ok()?;
        let field = bytes.get(start..start.checked_add(size as usize)?)?;
        let mut raw = [0u8; 8];
        for (dst, b) in raw.iter_mut().zip(field) {
            *dst = (*b)?;
        }
        let v = u64::from_le_bytes(raw);
        let shift = 64 - 8 * size.min(8);
        Some(if signed { ((v << shift) as i64) >> shift } else { v as i64 })
    }
}

/// The `.kconfig` bytes that can be known offline; the rest unknown.
fn kconfig(obj: &Object, target: &Btf, version: Option<u32>) -> Vec<Option<u8>> {
    let size = crate::object::externs::kconfig_size(&obj.externs) as usize;
    let mut buf = vec![0u8; size];
    let mut known = vec![false; size];
    for e in &obj.externs {
        let ExternKind::Kconfig(var) = e.kind else { continue };
        let value = match e.name.as_str() {
            "LINUX_KERNEL_VERSION" => version.map(u64::from),
            "LINUX_HAS_BPF_COOKIE" => Some(u64::from(has_helper(target, "BPF_FUNC_get_attach_cookie"))),
            "LINUX_HAS_SYSCALL_WRAPPER" => crate::externs::probes::syscall_prefix()
                .map(|arch| u64::from(target.find_by_name_kind(&format!("__{arch}_sys_bpf"), Kind::Func).is_some())),
            n if n.starts_with("LINUX_") && e.weak => Some(0),
            _ => None,
        };
        if let Some(v) = value {
            if store_number(&var, v, &mut buf).is_ok() {
                let (at, len) = (var.offset as usize, var.size as usize);
                known.get_mut(at..at + len).into_iter().flatten().for_each(|k| *k = true);
            }
        }
    }
    buf.into_iter().zip(known).map(|(b, k)| k.then_some(b)).collect()
}

/// Whether the kernel's `enum bpf_func_id` lists `name`.
fn has_helper(target: &Btf, name: &str) -> bool {
    let Some(id) = target.find_by_name_kind("bpf_func_id", Kind::Enum) else { return false };
    match target.type_by_id(id).map(|t| t.body) {
        Ok(btf::Body::Enum(e)) => e.values.iter().any(|v| v.name == name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_values_only_when_every_byte_is_known() {
        let c = Consts::with_map(1, vec![Some(0x00), Some(0x0b), Some(0x05), Some(0x00), None]);
        assert_eq!(c.read(1, 0, 4, false), Some(0x050b00));
        assert_eq!(c.read(1, 1, 1, false), Some(0x0b));
        assert_eq!(c.read(1, 2, 4, false), None, "its last byte is unknown");
        assert_eq!(c.read(1, 3, 4, false), None, "past the end");
        assert_eq!(c.read(1, -1, 1, false), None);
        assert_eq!(c.read(0, 0, 1, false), None, "map 0 is not known");
        let s = Consts::with_map(0, vec![Some(0xfe), Some(0xff)]);
        assert_eq!(s.read(0, 0, 2, true), Some(-2));
        assert_eq!(s.read(0, 0, 2, false), Some(0xfffe));
    }
}
