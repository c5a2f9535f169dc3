//! The running kernel's BTF, mapped rather than read where the kernel allows it (6.16+):
//! the `btf` crate parses the mapping in place, so loading vmlinux BTF costs one `mmap()`
//! instead of ~1,350 4 KiB `read()`s and a 5 MB copy. Older kernels get the read path.

use std::path::Path;
use std::sync::Arc;

use btf::source::{LoadError, VMLINUX_BTF};
use btf::Btf;
use tracing::debug;

use crate::sys::SysfsMapping;

/// Loads `/sys/kernel/btf/vmlinux`.
pub fn vmlinux() -> Result<Btf, LoadError> {
    open(Path::new(VMLINUX_BTF))
}

/// Loads kernel BTF from `path`: mapped if it is a mappable sysfs file, otherwise read
/// (`btf::source::vmlinux_at`, which also explains a missing file).
pub fn open(path: &Path) -> Result<Btf, LoadError> {
    match SysfsMapping::open(path) {
        Ok(map) => {
            let shared: btf::bytes::SharedBytes = Arc::new(map);
            Btf::parse(shared).map_err(|source| LoadError::Parse { path: path.to_owned(), source })
        }
        Err(e) => {
            debug!(target: "rawbpf::load", "{}: not mapped ({e}); reading it", path.display());
            btf::source::vmlinux_at(path)
        }
    }
}

/// [`open`], looking up `names` in the parsing pass (`Btf::parse_with_names`): their later
/// lookups cost nothing.
pub fn open_with_names(path: &Path, names: &[&str]) -> Result<Btf, LoadError> {
    let parse_err = |source| LoadError::Parse { path: path.to_owned(), source };
    match SysfsMapping::open(path) {
        Ok(map) => {
            let shared: btf::bytes::SharedBytes = Arc::new(map);
            Btf::parse_with_names(shared, names).map_err(parse_err)
        }
        Err(e) => {
            debug!(target: "rawbpf::load", "{}: not mapped ({e}); reading it", path.display());
            Btf::parse_with_names(btf::source::read_kernel_btf(path)?, names).map_err(parse_err)
        }
    }
}

/// [`open`], also finding the ids named `name` in the parsing pass (`Btf::parse_finding`):
/// a one-off lookup such as `rawbpf btf dump NAME` then costs one pass over the types.
pub fn open_finding(path: &Path, name: &str) -> Result<(Btf, Vec<btf::TypeId>), LoadError> {
    let parse_err = |source| LoadError::Parse { path: path.to_owned(), source };
    match SysfsMapping::open(path) {
        Ok(map) => {
            let shared: btf::bytes::SharedBytes = Arc::new(map);
            Btf::parse_finding(shared, name).map_err(parse_err)
        }
        Err(e) => {
            debug!(target: "rawbpf::load", "{}: not mapped ({e}); reading it", path.display());
            let data = btf::source::read_kernel_btf(path)?;
            Btf::parse_finding(data, name).map_err(parse_err)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;

    #[test]
    fn mapped_bytes_equal_the_file_and_parse_the_same() {
        let path = Path::new(VMLINUX_BTF);
        let read = match std::fs::read(path) {
            Ok(r) => r,
            Err(e) => return println!("SKIP: mapped_bytes_equal_the_file_and_parse_the_same: {VMLINUX_BTF}: {e}"),
        };
        let map = match SysfsMapping::open(path) {
            Ok(m) => m,
            // Before 6.16 the kernel offers no mmap for this file; open() then reads.
            Err(e) => {
                return println!(
                    "SKIP: mapped_bytes_equal_the_file_and_parse_the_same: this kernel does not map {VMLINUX_BTF} ({e})"
                )
            }
        };
        assert_eq!(map.bytes().len(), read.len());
        assert!(map.bytes() == &read[..], "mapped bytes differ from read bytes");
        let mapped = vmlinux().unwrap();
        assert!(mapped.heap_bytes() < mapped.raw().len(), "vmlinux() should have used the mapping");
        let owned = Btf::parse(read).unwrap();
        assert_eq!(mapped.count(), owned.count());
        let id = mapped.find_by_name_kind("tcp_connect", btf::Kind::Func);
        assert!(id.is_some());
        assert_eq!(id, owned.find_by_name_kind("tcp_connect", btf::Kind::Func));
    }

    #[test]
    fn files_outside_sysfs_are_not_mapped_but_read() {
        let dir = std::env::temp_dir().join(format!("rawbpf-vmlinux-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("raw.btf");
        let mut b = btf::BtfBuilder::new();
        b.int("int", 4, true);
        std::fs::write(&file, b.build()).unwrap();
        assert_eq!(SysfsMapping::open(&file).unwrap_err().kind(), ErrorKind::Unsupported);
        let parsed = open(&file).unwrap();
        assert_eq!(parsed.find_by_name_kind("int", btf::Kind::Int), Some(btf::TypeId::new(1)));
        let missing = open(&dir.join("absent")).unwrap_err();
        assert!(matches!(missing, LoadError::NoKernelBtf { .. }), "{missing}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
