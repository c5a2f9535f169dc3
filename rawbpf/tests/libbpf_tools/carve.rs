//! Carving: the BPF objects that libbpf-tools executables embed (their skeletons hold each tool's
//! whole `.bpf.o`). An embedded object is an ELF image whose e_ident starts `\x7fELF\x02\x01`
//! (64-bit, little endian) and whose e_machine is 247 (EM_BPF); it ends at the section header
//! table's end or at the furthest section's end, whichever is larger. Anything that does not add
//! up (a truncated copy, a header pointing outside the file) is reported and skipped.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

const MAGIC: &[u8] = b"\x7fELF\x02\x01";
const EM_BPF: u16 = 247;
const EHDR_SIZE: usize = 64;
const SHDR_SIZE: usize = 64;
const SHT_NOBITS: u32 = 8;

/// One carved object: `name` is the executable's file name (plus `.N` when it embeds several).
pub struct Object {
    pub name: String,
    pub path: PathBuf,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// The extent of the EM_BPF ELF image at the start of `image` (which runs to the end of the
/// containing file), or why it cannot be carved.
fn extent(image: &[u8]) -> Result<usize, String> {
    let short = || format!("ELF header cut short ({} bytes left)", image.len());
    let shoff = u64_at(image, 0x28).ok_or_else(short)?;
    let shentsize = u16_at(image, 0x3a).ok_or_else(short)? as usize;
    let shnum = u16_at(image, 0x3c).ok_or_else(short)? as usize;
    if shnum == 0 || shentsize != SHDR_SIZE {
        // shnum 0 means extended numbering (the count is in section 0): clang never writes that for BPF.
        return Err(format!("unexpected section headers (e_shnum {shnum}, e_shentsize {shentsize})"));
    }
    let table = usize::try_from(shoff).ok().filter(|&o| o >= EHDR_SIZE);
    let table_end = table.and_then(|o| o.checked_add(shnum * SHDR_SIZE)).filter(|&e| e <= image.len());
    let (table, mut end) = match (table, table_end) {
        (Some(t), Some(e)) => (t, e),
        _ => return Err(format!("section header table ({shnum} × {shentsize} B at {shoff}) runs past the file")),
    };
    for i in 0..shnum {
        let h = table + i * SHDR_SIZE;
        let (kind, offset, size) = match (u32_at(image, h + 4), u64_at(image, h + 0x18), u64_at(image, h + 0x20)) {
            (Some(k), Some(o), Some(s)) => (k, o, s),
            _ => return Err(format!("section header {i} cut short")),
        };
        if kind == SHT_NOBITS {
            continue; // occupies no bytes in the file
        }
        match offset.checked_add(size).and_then(|e| usize::try_from(e).ok()).filter(|&e| e <= image.len()) {
            Some(e) => end = end.max(e),
            None => return Err(format!("section {i} ({size} B at {offset}) runs past the file")),
        }
    }
    Ok(end)
}

/// Every EM_BPF ELF image inside `file`: its byte range, or (at the offset where one starts) why
/// it was skipped. The file's own ELF header (x86-64) does not match EM_BPF.
pub fn embedded(file: &[u8]) -> Vec<Result<Range<usize>, (usize, String)>> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(pos) = file[at..].windows(MAGIC.len()).position(|w| w == MAGIC) {
        let start = at + pos;
        at = start + 1;
        if u16_at(file, start + 18) != Some(EM_BPF) {
            continue;
        }
        match extent(&file[start..]) {
            Ok(len) => {
                found.push(Ok(start..start + len));
                at = start + len; // objects do not nest
            }
            Err(why) => found.push(Err((start, why))),
        }
    }
    found
}

/// The executables of Debian's libbpf-tools package, as `dpkg -L` lists them under /usr/sbin.
/// Symlinks (`ext4dist` → `fsdist`, ...) are left out: they are the same file. Err when the
/// package is not installed.
pub fn libbpf_tools_executables() -> Result<Vec<PathBuf>, String> {
    let out = Command::new("dpkg").args(["-L", "libbpf-tools"]).output().map_err(|e| format!("dpkg: {e}"))?;
    if !out.status.success() {
        return Err("package libbpf-tools is not installed (tests/setup installs it)".into());
    }
    let mut exes: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("/usr/sbin/"))
        .map(PathBuf::from)
        .filter(|p| fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file()))
        .collect();
    exes.sort();
    Ok(exes)
}

/// Carves every embedded object of `exes` into `dir` (emptied first) as `NAME.bpf.o`. Returns the
/// objects and one note per image that was skipped or executable that could not be read.
pub fn carve_into(dir: &Path, exes: &[PathBuf]) -> std::io::Result<(Vec<Object>, Vec<String>)> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    let (mut objects, mut notes) = (Vec::new(), Vec::new());
    for exe in exes {
        let data = match fs::read(exe) {
            Ok(d) => d,
            Err(e) => {
                notes.push(format!("{}: cannot read: {e}", exe.display()));
                continue;
            }
        };
        let base = exe.file_name().map_or_else(|| "object".into(), |n| n.to_string_lossy().into_owned());
        let found = embedded(&data);
        let several = found.iter().filter(|f| f.is_ok()).count() > 1;
        for (i, image) in found.into_iter().enumerate() {
            match image {
                Ok(range) => {
                    let name = if several { format!("{base}.{i}") } else { base.clone() };
                    let path = dir.join(format!("{name}.bpf.o"));
                    fs::write(&path, &data[range])?;
                    objects.push(Object { name, path });
                }
                Err((offset, why)) => notes.push(format!("{}: BPF ELF at {offset} skipped: {why}", exe.display())),
            }
        }
    }
    Ok((objects, notes))
}

/// The objects already carved into `dir` (`*.bpf.o`), sorted by name: how the VM guest finds them.
#[allow(dead_code)] // the host test carves its own; examples/differential.rs (in the guest) reads them
pub fn objects_in(dir: &Path) -> std::io::Result<Vec<Object>> {
    let mut objects: Vec<Object> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let name = file.strip_suffix(".bpf.o")?.to_owned();
            Some(Object { name, path: e.path() })
        })
        .collect();
    objects.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal EM_BPF ELF: the header, one 16-byte PROGBITS section at 64, the header table at 80
    /// (two entries: the null section and that one). Its extent is 80 + 2 × 64 = 208.
    fn tiny_bpf_elf() -> Vec<u8> {
        let mut e = vec![0u8; 208];
        e[..6].copy_from_slice(MAGIC);
        e[18..20].copy_from_slice(&EM_BPF.to_le_bytes());
        e[0x28..0x30].copy_from_slice(&80u64.to_le_bytes());
        e[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        e[0x3c..0x3e].copy_from_slice(&2u16.to_le_bytes());
        let s = 80 + 64; // section 1
        e[s + 4..s + 8].copy_from_slice(&1u32.to_le_bytes());
        e[s + 0x18..s + 0x20].copy_from_slice(&64u64.to_le_bytes());
        e[s + 0x20..s + 0x28].copy_from_slice(&16u64.to_le_bytes());
        e
    }

    fn in_host_binary(object: &[u8]) -> Vec<u8> {
        let mut file = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0 host header, then code".to_vec();
        file.extend_from_slice(object);
        file.extend_from_slice(b"trailing data");
        file
    }

    #[test]
    fn finds_the_embedded_object_and_its_extent() {
        let file = in_host_binary(&tiny_bpf_elf());
        let start = file.len() - 208 - 13;
        assert_eq!(embedded(&file), vec![Ok(start..start + 208)]);
    }

    #[test]
    fn a_section_past_the_table_extends_the_object() {
        let mut obj = tiny_bpf_elf();
        let s = 80 + 64;
        obj[s + 0x18..s + 0x20].copy_from_slice(&208u64.to_le_bytes()); // the section now follows the table
        obj.extend_from_slice(&[0; 16]);
        assert_eq!(embedded(&obj), vec![Ok(0..224)]);
    }

    #[test]
    fn truncated_objects_are_skipped_with_a_reason_at_every_length() {
        let obj = tiny_bpf_elf();
        for len in 20..obj.len() {
            let found = embedded(&obj[..len]);
            assert!(matches!(found.as_slice(), [Err((0, _))]), "cut at {len}: {found:?}");
        }
        assert!(embedded(&obj[..10]).is_empty(), "too short to carry e_machine");
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let mut obj = tiny_bpf_elf();
        obj[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(embedded(&obj).as_slice(), [Err(_)]));
        let mut obj = tiny_bpf_elf();
        let s = 80 + 64;
        obj[s + 0x20..s + 0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(embedded(&obj).as_slice(), [Err(_)]));
        let mut obj = tiny_bpf_elf();
        obj[0x3c..0x3e].copy_from_slice(&0u16.to_le_bytes());
        assert!(matches!(embedded(&obj).as_slice(), [Err(_)]));
    }
}
