//! Where a function of a user-space binary is in the file: what a uprobe needs. libbpf's
//! `elf_find_func_offset`: the symbol's address (`.symtab` first, then `.dynsym`), made a file
//! offset through the section that holds it: `addr - section.addr + section.offset`.

use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

/// Why a function's file offset could not be found.
#[derive(Debug, thiserror::Error)]
pub enum ElfSymbolError {
    /// Reading the file.
    #[error("cannot read it")]
    Read(#[source] std::io::Error),
    /// Not an ELF object `object` can parse.
    #[error("not an ELF file")]
    Parse(#[source] object::Error),
    /// No defined function of that name in `.symtab` or `.dynsym`.
    #[error("no function {0} in its symbol tables")]
    NoSymbol(String),
    /// The symbol's section is not in the file (an undefined or absolute symbol).
    #[error("function {0} has no section in the file")]
    NoSection(String),
}

/// The file offset of function `name` in ELF `data`.
pub fn function_offset(data: &[u8], name: &str) -> Result<u64, ElfSymbolError> {
    let file = object::File::parse(data).map_err(ElfSymbolError::Parse)?;
    let sym = file
        .symbols()
        .chain(file.dynamic_symbols())
        .find(|s| s.kind() == SymbolKind::Text && s.is_definition() && s.name() == Ok(name))
        .ok_or_else(|| ElfSymbolError::NoSymbol(name.to_owned()))?;
    let no_section = || ElfSymbolError::NoSection(name.to_owned());
    let index = sym.section_index().ok_or_else(no_section)?;
    let section = file.section_by_index(index).map_err(|_| no_section())?;
    let (file_off, _) = section.file_range().ok_or_else(no_section)?;
    let into = sym.address().checked_sub(section.address()).ok_or_else(no_section)?;
    file_off.checked_add(into).ok_or_else(no_section)
}

/// The file offset of function `name` in the ELF file at `path`.
pub fn function_offset_in(path: &Path, name: &str) -> Result<u64, ElfSymbolError> {
    let data = std::fs::read(path).map_err(ElfSymbolError::Read)?;
    function_offset(&data, name)
}

/// A binary named without a `/` found as libbpf's `resolve_full_path` finds it: a shared library
/// (`libc.so.6`) in `LD_LIBRARY_PATH` then the system library directories, anything else in
/// `PATH`. A name with a `/` is used as it is.
pub fn resolve_binary(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    let dirs: Vec<PathBuf> = if name.contains(".so") {
        let env = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
        let system = ["/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"];
        env.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).chain(system.iter().map(PathBuf::from)).collect()
    } else {
        std::env::var("PATH").unwrap_or_default().split(':').filter(|d| !d.is_empty()).map(PathBuf::from).collect()
    };
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_an_elf() {
        assert!(matches!(function_offset(b"not an elf at all", "main"), Err(ElfSymbolError::Parse(_))));
        assert!(matches!(function_offset(&[], "main"), Err(ElfSymbolError::Parse(_))));
    }

    #[test]
    fn libraries_and_programs_are_found_by_name() {
        assert_eq!(resolve_binary("/x/y"), Some(PathBuf::from("/x/y")));
        if Path::new("/bin/sh").exists() {
            assert!(resolve_binary("sh").is_some_and(|p| p.is_file()));
        }
        assert_eq!(resolve_binary("no-such-binary-rawbpf"), None);
    }

    /// `nm -D`'s address of `func` in `path` and readelf's `.text` address and offset: what the
    /// file offset must be, computed by the binutils; `None` when they or the symbol are missing.
    fn binutils_offset(path: &Path, func: &str) -> Option<u64> {
        let run = |cmd: &str, args: &[&str]| {
            let out = std::process::Command::new(cmd).args(args).arg(path).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let nm = run("nm", &["-D", "--defined-only"])?;
        let addr = nm.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 3 && f[1] == "T" && f[2].split('@').next() == Some(func)).then(|| f[0].to_owned())
        })?;
        let sections = run("readelf", &["-SW"])?;
        let text = sections.lines().find(|l| l.contains(" .text "))?;
        let f: Vec<&str> = text.split(']').nth(1)?.split_whitespace().collect();
        let hex = |s: &str| u64::from_str_radix(s, 16).ok();
        Some(hex(&addr)? - hex(f[2])? + hex(f[3])?)
    }

    #[test]
    fn offsets_agree_with_nm_and_readelf_on_real_binaries() {
        let cases = [("/bin/bash", "readline"), ("libc.so.6", "malloc")];
        let mut checked = 0;
        for (bin, func) in cases {
            let Some(path) = resolve_binary(bin) else { continue };
            let Some(want) = binutils_offset(&path, func) else { continue };
            assert_eq!(function_offset_in(&path, func).unwrap(), want, "{bin}:{func}");
            checked += 1;
        }
        if checked == 0 {
            println!("SKIP: offsets_agree_with_nm_and_readelf_on_real_binaries: no bash/libc or no binutils here");
        }
        let missing = function_offset_in(Path::new("/bin/sh"), "rawbpf_no_such_function");
        assert!(matches!(missing, Err(ElfSymbolError::NoSymbol(_)) | Err(ElfSymbolError::Read(_))), "{missing:?}");
    }
}
