//! What each ELF section of a BPF object is for, decided from its name, type and flags.

use object::elf;

/// The role of one ELF section in a BPF object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionRole {
    /// Executable: BPF instructions. `.text` holds subprograms; others hold programs.
    Code,
    /// `license`: NUL-terminated license string.
    License,
    /// `version`: a u32 kernel version (legacy kprobes).
    Version,
    /// `.maps`: BTF-defined map definitions.
    Maps,
    /// `maps`: legacy `struct bpf_map_def` maps (not supported).
    LegacyMaps,
    /// Global variables that become an array map.
    Data(DataKind),
    /// `.addr_space.1`: `__arena` globals, the initial contents of the object's ARENA map.
    Arena,
    /// `.BTF`.
    Btf,
    /// `.BTF.ext`.
    BtfExt,
    /// `.rel<section>`: relocations for another section.
    Rel,
    /// `.symtab`.
    Symtab,
    /// Anything else (debug info, string tables, `.llvm_addrsig`...): ignored.
    Other,
}

/// Which flavour of global data a section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// `.data`, `.data.*`: initialised, writable.
    Data,
    /// `.rodata`, `.rodata.*`: initialised, read-only for the program, frozen after setup.
    Rodata,
    /// `.bss`: zero-initialised (SHT_NOBITS: no bytes in the file).
    Bss,
}

/// Classifies a section from its name, `sh_type` and `sh_flags`.
pub fn classify(name: &str, sh_type: u32, sh_flags: u64) -> SectionRole {
    match sh_type {
        elf::SHT_REL => return SectionRole::Rel,
        elf::SHT_SYMTAB => return SectionRole::Symtab,
        _ => {}
    }
    if sh_flags & u64::from(elf::SHF_EXECINSTR) != 0 {
        return SectionRole::Code;
    }
    match name {
        "license" => SectionRole::License,
        "version" => SectionRole::Version,
        ".maps" => SectionRole::Maps,
        "maps" => SectionRole::LegacyMaps,
        ".BTF" => SectionRole::Btf,
        ".BTF.ext" => SectionRole::BtfExt,
        ".bss" => SectionRole::Data(DataKind::Bss),
        ".addr_space.1" => SectionRole::Arena,
        _ if is_family(name, ".data") => SectionRole::Data(DataKind::Data),
        _ if is_family(name, ".rodata") => SectionRole::Data(DataKind::Rodata),
        _ => SectionRole::Other,
    }
}

/// `base` itself or `base.<suffix>`.
fn is_family(name: &str, base: &str) -> bool {
    name.strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        let x = u64::from(elf::SHF_EXECINSTR | elf::SHF_ALLOC);
        assert_eq!(classify("fentry/tcp_connect", elf::SHT_PROGBITS, x), SectionRole::Code);
        assert_eq!(classify(".text", elf::SHT_PROGBITS, x), SectionRole::Code);
        assert_eq!(classify(".rodata.str1.1", elf::SHT_PROGBITS, 2), SectionRole::Data(DataKind::Rodata));
        assert_eq!(classify(".data.counters", elf::SHT_PROGBITS, 3), SectionRole::Data(DataKind::Data));
        assert_eq!(classify(".bss", elf::SHT_NOBITS, 3), SectionRole::Data(DataKind::Bss));
        assert_eq!(classify(".database", elf::SHT_PROGBITS, 3), SectionRole::Other);
        assert_eq!(classify(".rel.text", elf::SHT_REL, 0), SectionRole::Rel);
        assert_eq!(classify(".maps", elf::SHT_PROGBITS, 3), SectionRole::Maps);
        assert_eq!(classify(".debug_info", elf::SHT_PROGBITS, 0), SectionRole::Other);
    }
}
