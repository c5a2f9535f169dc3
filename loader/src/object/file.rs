//! Reading an object file: only the parts `Object::parse` uses. A clang-built object is ~95%
//! DWARF (`.debug_*` and their relocations), which nothing here reads, so a large object is read
//! section by section into zero-filled memory whose untouched pages cost nothing: the ELF
//! header, the section table, the section names, then every other section in a few `pread`s.
//! Anything odd about the headers falls back to reading the whole file, so that the parser, not
//! this shortcut, reports what is wrong with it.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use object::elf::{FileHeader64, SHT_NOBITS};
use object::read::elf::{FileHeader, SectionHeader as _};
use object::Endianness;

use crate::sys::ZeroedBuf;

/// Below this size the whole file is read at once: one read beats several (measured: a 76 KiB
/// object opens no faster sparsely; a 625 KiB one opens in a fresh process ~0.3 ms sooner).
const SPARSE_MIN: u64 = 128 * 1024;
/// Sections closer than this are read together.
const MERGE_GAP: u64 = 4096;
const EHDR_LEN: u64 = 64;

/// An object's bytes: the whole file, or the needed parts at their offsets in zeroed memory.
pub(crate) enum ObjectBytes {
    Whole(Vec<u8>),
    Sparse(ZeroedBuf),
}

impl ObjectBytes {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            ObjectBytes::Whole(v) => v,
            ObjectBytes::Sparse(b) => b.bytes(),
        }
    }
}

/// True for sections `Object::parse` never reads: DWARF and the relocations of DWARF.
fn unused(name: &[u8]) -> bool {
    [&b".debug"[..], b".rel.debug", b".rela.debug"].iter().any(|p| name.starts_with(p))
}

/// Reads what `Object::parse` needs of the file at `path`.
pub(crate) fn read(path: &Path) -> io::Result<ObjectBytes> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len >= SPARSE_MIN {
        if let Some(buf) = read_sparse(&file, len)? {
            return Ok(ObjectBytes::Sparse(buf));
        }
    }
    let mut v = Vec::with_capacity(len as usize);
    io::Read::read_to_end(&mut &file, &mut v)?;
    Ok(ObjectBytes::Whole(v))
}

/// Reads `range` of `file` into the same range of `buf`; false if it does not fit the file.
fn fill(file: &File, buf: &mut ZeroedBuf, range: Range<u64>) -> io::Result<bool> {
    let (Ok(start), Ok(end)) = (usize::try_from(range.start), usize::try_from(range.end)) else {
        return Ok(false);
    };
    match buf.bytes_mut().get_mut(start..end) {
        Some(dst) => file.read_exact_at(dst, range.start).map(|()| true),
        None => Ok(false),
    }
}

/// The sparse read, or `None` when the headers do not add up (the caller reads everything).
fn read_sparse(file: &File, len: u64) -> io::Result<Option<ZeroedBuf>> {
    let mut buf = ZeroedBuf::new(len as usize)?;
    if !fill(file, &mut buf, 0..EHDR_LEN)? {
        return Ok(None);
    }
    let Some((table, names)) = header_ranges(buf.bytes()) else {
        return Ok(None);
    };
    if !fill(file, &mut buf, table)? {
        return Ok(None);
    }
    let Some(names) = names(buf.bytes()) else {
        return Ok(None);
    };
    if !fill(file, &mut buf, names)? {
        return Ok(None);
    }
    let Some(wanted) = wanted_ranges(buf.bytes()) else {
        return Ok(None);
    };
    for r in merge(wanted) {
        if !fill(file, &mut buf, r)? {
            return Ok(None);
        }
    }
    Ok(Some(buf))
}

type NamesRange = Box<dyn Fn(&[u8]) -> Option<Range<u64>>>;

/// Where the section table is, and how to find the section names once the table is read.
fn header_ranges(data: &[u8]) -> Option<(Range<u64>, NamesRange)> {
    let header = FileHeader64::<Endianness>::parse(data).ok()?;
    let e = header.endian().ok()?;
    // Extended numbering (e_shnum 0) keeps the count in section 0: clang never writes it.
    let (shoff, shnum, entsize) = (header.e_shoff(e), header.e_shnum(e), header.e_shentsize(e));
    if shnum == 0 || u64::from(entsize) != 64 {
        return None;
    }
    let table = shoff..shoff.checked_add(u64::from(shnum) * 64)?;
    let names = move |data: &[u8]| {
        let header = FileHeader64::<Endianness>::parse(data).ok()?;
        let index = header.shstrndx(e, data).ok()?;
        let sh = header.section_headers(e, data).ok()?.get(index as usize)?;
        let (off, size) = (sh.sh_offset(e), sh.sh_size(e));
        Some(off..off.checked_add(size)?)
    };
    Some((table, Box::new(names)))
}

/// The file ranges of every section `Object::parse` reads.
fn wanted_ranges(data: &[u8]) -> Option<Vec<Range<u64>>> {
    let header = FileHeader64::<Endianness>::parse(data).ok()?;
    let e = header.endian().ok()?;
    let table = header.sections(e, data).ok()?;
    let mut out = Vec::new();
    for sh in table.iter() {
        let name = table.section_name(e, sh).ok()?;
        if sh.sh_type(e) == SHT_NOBITS || unused(name) {
            continue;
        }
        let (off, size) = (sh.sh_offset(e), sh.sh_size(e));
        out.push(off..off.checked_add(size)?);
    }
    Some(out)
}

/// `ranges` sorted, with overlapping or nearby ones joined.
fn merge(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(MERGE_GAP) => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Object;

    /// progs/*.o, built by progs-build/build.
    fn built_objects() -> Vec<std::path::PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../progs");
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "o"))
            .collect();
        v.sort();
        v
    }

    /// Every part of the model equal (hash maps compared as maps, the rest by value or text).
    fn assert_same(a: &Object, b: &Object, what: &str) {
        assert_eq!(a.sections, b.sections, "{what}");
        assert_eq!((&a.license, a.kern_version), (&b.license, b.kern_version), "{what}");
        assert_eq!(a.btf.as_ref().map(|t| t.raw()), b.btf.as_ref().map(|t| t.raw()), "{what}");
        assert_eq!(a.btf_ext_raw, b.btf_ext_raw, "{what}");
        assert_eq!(a.code_sections, b.code_sections, "{what}");
        let (la, lb) = (&a.elf_layout, &b.elf_layout);
        assert!(la.section_sizes == lb.section_sizes && la.vars == lb.vars && la.kconfig == lb.kconfig, "{what}");
        assert_eq!(la.ksyms, lb.ksyms, "{what}");
        let text =
            |o: &Object| format!("{:?} {:?} {:?} {:?} {:?}", o.programs, o.maps, o.externs, o.ext_info, o.btf_ext);
        assert_eq!(text(a), text(b), "{what}");
    }

    #[test]
    fn a_sparse_read_parses_like_the_whole_file() {
        let objects = built_objects();
        if objects.is_empty() {
            return println!("SKIP: a_sparse_read_parses_like_the_whole_file: no progs/*.o (run progs-build/build)");
        }
        let mut sparse = 0;
        for path in &objects {
            let whole = std::fs::read(path).unwrap();
            let read = read(path).unwrap();
            let bytes = read.as_slice();
            assert_eq!(bytes.len(), whole.len(), "{}", path.display());
            if let ObjectBytes::Sparse(_) = read {
                sparse += 1;
                // Only DWARF differs (left zero); every other byte is the file's.
                let kept = wanted_ranges(&whole).unwrap();
                for r in kept {
                    let r = r.start as usize..r.end as usize;
                    assert_eq!(bytes[r.clone()], whole[r.clone()], "{}: {r:?}", path.display());
                }
                assert!(bytes.iter().filter(|&&b| b != 0).count() < whole.len() / 2, "{}", path.display());
            }
            let name = path.file_name().unwrap().to_string_lossy();
            let (a, b) = (Object::open(path).unwrap(), Object::parse(&whole, &name).unwrap());
            assert_same(&a, &b, &path.display().to_string());
        }
        assert!(sparse > 0, "no object of progs/ is large enough for a sparse read");
    }

    #[test]
    fn nearby_ranges_are_read_together() {
        let got = merge(vec![9000..9100, 0..64, 100..200, 5000..5000, 20000..20010, 9050..9500]);
        assert_eq!(got, vec![0..200, 9000..9500, 20000..20010]);
    }

    #[test]
    fn only_dwarf_is_left_out() {
        for name in [".debug_info", ".debug_str", ".rel.debug_line", ".rela.debug_frame"] {
            assert!(unused(name.as_bytes()), "{name}");
        }
        for name in [".BTF", ".BTF.ext", ".rel.BTF", ".strtab", ".symtab", ".text", ".rodata", "license"] {
            assert!(!unused(name.as_bytes()), "{name}");
        }
    }
}
