//! Why a BPF object could not be read. Every variant names the section, symbol, relocation or
//! offset it was found at, so a user can go and look with `llvm-readelf`/`llvm-objdump`.

use std::path::PathBuf;

/// An error while reading a BPF ELF object into rawbpf's model.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not an ELF64 file the `object` crate can read (truncated header, bad tables).
    #[error("{object}: not a readable ELF64 file: {reason}")]
    BadElf {
        /// The object's name.
        object: String,
        /// What the ELF reader said.
        reason: String,
    },
    /// An ELF for another machine.
    #[error("{object}: e_machine is {machine}, not EM_BPF (247); was it built with clang -target bpf?")]
    NotBpf {
        /// The object's name.
        object: String,
        /// The e_machine found.
        machine: u16,
    },
    /// A section's header or data is unusable (offset past the end of the file, bad size...).
    #[error("section {index} '{name}': {reason}")]
    BadSection {
        /// Section index.
        index: super::SectionIndex,
        /// Section name (may be empty if the name itself was unreadable).
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A symbol is malformed or points somewhere impossible.
    #[error("symbol {index} '{name}': {reason}")]
    BadSymbol {
        /// Symbol index in .symtab.
        index: usize,
        /// Symbol name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A program section whose name matches no known prefix.
    #[error("section '{section}' (program '{program}'): unknown program type prefix; known prefixes: {known}")]
    UnknownSection {
        /// The section name.
        section: String,
        /// The program in it.
        program: String,
        /// The known prefixes, comma-separated.
        known: String,
    },
    /// A known prefix that needs an attach target (`fentry/<function>`) but has none.
    #[error("section '{section}': '{prefix}' needs an attach target after the prefix, e.g. '{prefix}{example}'")]
    MissingTarget {
        /// The section name.
        section: String,
        /// The matched prefix.
        prefix: &'static str,
        /// An example target.
        example: &'static str,
    },
    /// A BTF-defined map in `.maps` could not be understood.
    #[error("map '{map}': {reason}")]
    BadMap {
        /// The map's name.
        map: String,
        /// What is wrong.
        reason: String,
    },
    /// A relocation of a code section could not be applied.
    #[error("section '{section}' relocation #{number} (insn {insn}, symbol '{symbol}'): {reason}")]
    BadReloc {
        /// The code section the relocation applies to.
        section: String,
        /// Index of the relocation within its `.rel` section.
        number: usize,
        /// Instruction index (r_offset / 8).
        insn: u64,
        /// The symbol's name (or `#index` when unreadable).
        symbol: String,
        /// What is wrong.
        reason: String,
    },
    /// A feature rawbpf does not implement yet.
    #[error("section '{section}' relocation #{number} (insn {insn}): not supported yet: {what}")]
    Unsupported {
        /// The code section.
        section: String,
        /// Relocation number.
        number: usize,
        /// Instruction index.
        insn: u64,
        /// What is not supported (e.g. `extern LINUX_KERNEL_VERSION`).
        what: String,
    },
    /// `.BTF` is present but does not parse.
    #[error(".BTF: {0}")]
    Btf(#[from] btf::BtfError),
    /// `.BTF.ext` is malformed.
    #[error(".BTF.ext: {0}")]
    BtfExt(#[from] btf::ext::ExtError),
}

/// Shorthand for results of the object reader.
pub type Result<T, E = ObjectError> = std::result::Result<T, E>;
