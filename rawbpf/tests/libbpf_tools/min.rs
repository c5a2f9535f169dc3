//! The minimal-BTF pass: `rawbpf btf min` of every object against the kernel's BTF, then the
//! loads against each object's own minimal BTF compared with libbpf's against the full BTF
//! (same tag required). Shared by the host test and the VM runner.

use std::path::Path;
use std::process::Command;

use crate::carve::Object;
use crate::ratchet::Row;

/// The kernel's BTF, what every minimal BTF is cut from.
pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// Writes `dir/<object file name>.btf` for every object (the layout `Loaders::btf` reads as a
/// directory); the total size, or every failure.
pub fn write_all(rawbpf: &Path, objects: &[Object], dir: &Path) -> Result<u64, Vec<String>> {
    std::fs::create_dir_all(dir).map_err(|e| vec![format!("{}: {e}", dir.display())])?;
    let (mut bytes, mut failures) = (0, Vec::new());
    for o in objects {
        let out = dir.join(format!("{}.btf", o.path.file_name().unwrap_or_default().to_string_lossy()));
        let r =
            Command::new(rawbpf).args(["btf", "min"]).arg(&o.path).args(["--btf", VMLINUX, "-o"]).arg(&out).output();
        match r {
            Ok(r) if r.status.success() => bytes += std::fs::metadata(&out).map_or(0, |m| m.len()),
            Ok(r) => failures.push(format!("btf min {}: {}", o.name, String::from_utf8_lossy(&r.stderr).trim())),
            Err(e) => failures.push(format!("btf min {}: {e}", o.name)),
        }
    }
    if failures.is_empty() {
        Ok(bytes)
    } else {
        Err(failures)
    }
}

/// Programs libbpf loads with the full BTF (`full`) that rawbpf loads from their minimal BTF
/// (`min`, the same programs in the same order) with the same tag, and every one that does not.
pub fn compare(full: &[Row], min: &[Row]) -> (usize, Vec<String>) {
    let (mut same, mut failures) = (0, Vec::new());
    for (f, m) in full.iter().zip(min) {
        assert_eq!((&f.object, &f.program), (&m.object, &m.program), "both runs list the same programs");
        if !f.libbpf.loaded() {
            continue;
        }
        if m.rawbpf == f.libbpf {
            same += 1;
        } else {
            failures.push(format!(
                "{} {}: libbpf (full BTF) {}; rawbpf (min BTF) {}",
                f.object, f.program, f.libbpf, m.rawbpf
            ));
        }
    }
    (same, failures)
}
