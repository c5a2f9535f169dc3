//! Why a BPF object could not be read. Every variant names the section, symbol, relocation or
//! offset it was found at, so a user can go and look with `llvm-readelf`/`llvm-objdump`.
//!
//! What is wrong is a value (`SectionProblem`, `SymbolProblem`, `MapProblem`, `RelocProblem`,
//! `UnsupportedFeature`) carrying the numbers and names it is about; each variant's text says
//! where, then what. When the cause is another library's error (the ELF reader's, the BTF
//! parser's), it is the `source()`, and the text does not repeat it: print the chain.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use btf::{Kind, TypeId};

use super::SectionIndex;

/// An error while reading a BPF ELF object into rawbpf's model.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ELF64 file the `object` crate can read (truncated header, bad tables).
    #[error("{object}: not a readable ELF64 file ({part})")]
    BadElf {
        /// The object's name.
        object: String,
        /// The part of the file that could not be read.
        part: ElfPart,
        /// What the ELF reader said.
        #[source]
        source: object::read::Error,
    },
    /// An ELF for another machine.
    #[error("{object}: e_machine is {machine}, not EM_BPF (247); was it built with clang -target bpf?")]
    NotBpf {
        /// The object's name.
        object: String,
        /// The e_machine found.
        machine: u16,
    },
    /// The ELF reader could not read part of a section (offset past the end of the file...).
    #[error("section {index} '{name}': cannot read its {part}")]
    UnreadableSection {
        /// Section index.
        index: SectionIndex,
        /// Section name (empty if the name itself was unreadable).
        name: String,
        /// What could not be read.
        part: SectionPart,
        /// What the ELF reader said.
        #[source]
        source: object::read::Error,
    },
    /// A section's contents are unusable.
    #[error("section {index} '{name}': {problem}")]
    BadSection {
        /// Section index.
        index: SectionIndex,
        /// Section name.
        name: String,
        /// What is wrong.
        problem: SectionProblem,
    },
    /// The ELF reader could not read part of a symbol.
    #[error("symbol {index} '{name}': cannot read its {part}")]
    UnreadableSymbol {
        /// Symbol index in .symtab.
        index: usize,
        /// Symbol name (empty if the name itself was unreadable).
        name: String,
        /// What could not be read.
        part: SymbolPart,
        /// What the ELF reader said.
        #[source]
        source: object::read::Error,
    },
    /// A symbol is malformed or points somewhere impossible.
    #[error("symbol {index} '{name}': {problem}")]
    BadSymbol {
        /// Symbol index in .symtab.
        index: usize,
        /// Symbol name.
        name: String,
        /// What is wrong.
        problem: SymbolProblem,
    },
    /// A `.maps` relocation (an initial slot of a map-in-map or prog array) that fits no map.
    #[error(".maps relocation at offset {offset} to '{symbol}': {problem}")]
    BadSlot {
        /// The relocation's offset in `.maps`.
        offset: u64,
        /// The symbol it refers to.
        symbol: String,
        /// What is wrong.
        problem: SlotProblem,
    },
    /// A BTF-defined map in `.maps` could not be understood.
    #[error("map '{map}': {problem}")]
    BadMap {
        /// The map's name.
        map: String,
        /// What is wrong.
        problem: MapProblem,
    },
    /// The BTF describing a map (its struct, or one member's type) could not be followed.
    #[error("map '{map}'{}", member.as_ref().map(|m| format!(": member '{m}'")).unwrap_or_default())]
    MapBtf {
        /// The map's name.
        map: String,
        /// The member whose type was being read; `None` for the map's own type.
        member: Option<String>,
        /// What the BTF reader said.
        #[source]
        source: btf::BtfError,
    },
    /// A relocation of a code section could not be applied.
    #[error("section '{section}' relocation #{number} (insn {insn}, symbol '{symbol}'): {problem}")]
    BadReloc {
        /// The code section the relocation applies to.
        section: String,
        /// Index of the relocation within its `.rel` section.
        number: usize,
        /// Instruction index (r_offset / 8).
        insn: u64,
        /// The symbol's name (or `#index` when there is no such symbol).
        symbol: String,
        /// What is wrong.
        problem: RelocProblem,
    },
    /// A feature rawbpf does not implement yet.
    #[error("section '{section}' relocation #{number} (insn {insn}): not supported yet: {feature}")]
    Unsupported {
        /// The code section.
        section: String,
        /// Relocation number.
        number: usize,
        /// Instruction index.
        insn: u64,
        /// What is not supported.
        feature: UnsupportedFeature,
    },
    /// An extern symbol (`__kconfig`, `__ksym`) that cannot be described.
    #[error("extern '{name}' (symbol {symbol}): {problem}")]
    BadExtern {
        /// The symbol's name.
        name: String,
        /// Its index in `.symtab`.
        symbol: usize,
        /// What is wrong.
        problem: ExternProblem,
    },
    /// The BTF describing an extern could not be followed.
    #[error("extern '{name}'")]
    ExternBtf {
        /// The extern's name.
        name: String,
        /// What the BTF reader said.
        #[source]
        source: btf::BtfError,
    },
    /// `.BTF` is present but does not parse.
    #[error(".BTF")]
    Btf(#[from] btf::BtfError),
    /// `.BTF.ext` is malformed (its errors name `.BTF.ext` and the block themselves).
    #[error(transparent)]
    BtfExt(#[from] btf::ext::ExtError),
}

/// Why one program of an object cannot be loaded, found while reading the object. Reading does
/// not fail for it: like libbpf, which only processes the programs it loads, rawbpf can still
/// load the object's other programs; loading this one raises it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ProgramError {
    /// The section name matches no row of libbpf's section table (`progtype::SEC_DEFS`).
    #[error(
        "section '{section}' names no program type libbpf knows{}",
        if close.is_empty() { String::new() } else { format!(" (close: {})", close.join(", ")) }
    )]
    UnknownSection {
        /// The section name, as in the ELF file.
        section: String,
        /// Known kinds spelled closely (`fentry` for `fentri/...`).
        close: Vec<&'static str>,
    },
    /// A relocation in the program's own function, or in a subprogram it calls, that rawbpf
    /// cannot handle (unsupported, or malformed).
    #[error("{} {function}", if *subprogram { "subprogram" } else { "function" })]
    Relocation {
        /// The function holding the relocated instruction.
        function: String,
        /// The function is a subprogram the program reaches, not the program itself.
        subprogram: bool,
        /// The relocation's error (shared: one bad relocation in `.text` may concern many
        /// programs).
        #[source]
        source: Arc<ObjectError>,
    },
}

/// The parts of an ELF file read before any section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfPart {
    /// The file header (magic, class, byte order).
    Header,
    /// The section header table.
    SectionTable,
    /// `.symtab`.
    SymbolTable,
}

impl fmt::Display for ElfPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ElfPart::Header => "ELF header",
            ElfPart::SectionTable => "section header table",
            ElfPart::SymbolTable => "symbol table",
        })
    }
}

/// The parts of a section the ELF reader reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionPart {
    /// Its header.
    Header,
    /// Its name in the section name string table.
    Name,
    /// Its bytes.
    Data,
    /// Its `Elf64_Rel` entries.
    Relocations,
}

impl fmt::Display for SectionPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SectionPart::Header => "header",
            SectionPart::Name => "name",
            SectionPart::Data => "data",
            SectionPart::Relocations => "relocations",
        })
    }
}

/// What is wrong with a section's contents.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SectionProblem {
    /// A code section whose size is not a whole number of instructions.
    #[error("code size {size} is not a multiple of 8 (the size of an instruction)")]
    CodeSize {
        /// The section's size in bytes.
        size: usize,
    },
    /// A global-data section too big to be the value of a one-entry array map.
    #[error("{size} bytes is too big for a map value")]
    TooBigForMapValue {
        /// The section's size in bytes.
        size: u64,
    },
}

/// The parts of a symbol the ELF reader reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolPart {
    /// Its name in the string table.
    Name,
    /// Its section index (possibly through SHT_SYMTAB_SHNDX).
    Section,
}

impl fmt::Display for SymbolPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SymbolPart::Name => "name",
            SymbolPart::Section => "section index",
        })
    }
}

/// What is wrong with a symbol.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SymbolProblem {
    /// Its section index is past the section header table.
    #[error("section index {section} does not exist ({count} sections)")]
    NoSuchSection {
        /// The index it gives.
        section: SectionIndex,
        /// How many sections there are.
        count: usize,
    },
    /// A function symbol not on instruction boundaries, or running past its section.
    #[error("function at byte {offset} with size {size} is misaligned or runs past the {section_size}-byte section '{section}'")]
    FunctionOutOfBounds {
        /// `st_value`.
        offset: u64,
        /// `st_size`.
        size: u64,
        /// The section's size in bytes.
        section_size: usize,
        /// The section's name.
        section: String,
    },
    /// A function symbol overlapping the one before it.
    #[error("overlaps function '{function}'")]
    Overlaps {
        /// The earlier function.
        function: String,
    },
}

/// What is wrong with a BTF-defined map.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapProblem {
    /// `.maps` has variables but the object has no `.BTF` to describe them.
    #[error("the object has .maps but no .BTF, and BTF-defined maps are described only in BTF; build with clang -g")]
    NoBtf,
    /// The map's symbol lies past the end of `.maps`.
    #[error("symbol offset {offset} is past the end of the {size}-byte .maps")]
    PastEnd {
        /// The symbol's offset in `.maps`.
        offset: u64,
        /// The size of `.maps`.
        size: u64,
    },
    /// `.BTF` has no VAR with the map's name.
    #[error("no VAR of this name in .BTF")]
    NoVar,
    /// The map variable's type is not a struct.
    #[error("type id {type_id} is a {kind}, expected the anonymous map struct")]
    NotAStruct {
        /// The variable's type (modifiers and typedefs skipped).
        type_id: TypeId,
        /// Its kind.
        kind: Kind,
    },
    /// The struct has no `type` member, so the map has no type.
    #[error("no `type` member (__uint(type, BPF_MAP_TYPE_...))")]
    NoType,
    /// One member of the struct is wrong.
    #[error("member '{member}': {problem}")]
    Member {
        /// The member's name.
        member: String,
        /// What is wrong with it.
        problem: MemberProblem,
    },
}

/// What is wrong with one member of a BTF-defined map's struct.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MemberProblem {
    /// A `__uint` member whose type is not a pointer.
    #[error("type id {type_id} is not a pointer; expected __uint(name, value) = int (*name)[value]")]
    UintNotPointer {
        /// The member's type (modifiers and typedefs skipped).
        type_id: TypeId,
    },
    /// A `__uint` member whose pointer does not point to an array.
    #[error("type id {type_id} is not an array; expected __uint(name, value) = int (*name)[value]")]
    UintNotArray {
        /// The pointee (modifiers and typedefs skipped).
        type_id: TypeId,
    },
    /// A `__type` member whose type is not a pointer.
    #[error("type id {type_id} is not a pointer; expected __type(name, T) = T *name")]
    TypeNotPointer {
        /// The member's type (modifiers and typedefs skipped).
        type_id: TypeId,
    },
    /// Two different sizes for the key (or the value): `key_size` and `key` disagree.
    #[error("{of} size given twice: {first} and {second}")]
    SizeGivenTwice {
        /// Key or value.
        of: KeyOrValue,
        /// The size given first.
        first: u32,
        /// The size given second.
        second: u32,
    },
    /// `__array(values, ...)` on a map that is neither map-in-map nor a prog array.
    #[error("__array(values, ...) is for map-in-map and prog-array maps, not map type {map_type}")]
    ValuesOnWrongType {
        /// The map's type (`bpf_map_type`).
        map_type: u32,
    },
    /// `values` is not the struct's last member (its slots run past the struct).
    #[error("__array(values, ...) must be the last member")]
    ValuesNotLast,
    /// An inner map's definition has a `values` member of its own.
    #[error("an inner map cannot have initial values (multi-level map-in-map)")]
    NestedValues,
    /// `values` is not a zero-length array of pointers.
    #[error("type id {type_id} is not a zero-length array of pointers; expected __array(values, T)")]
    ValuesNotPointerArray {
        /// The member's type.
        type_id: TypeId,
    },
    /// The pointee of `values` is not what the map type needs (a struct for map-in-map, a
    /// function prototype for a prog array).
    #[error("values point to a {kind}, expected {expected}")]
    ValuesPointee {
        /// What they point to.
        kind: Kind,
        /// What the map type needs.
        expected: &'static str,
    },
    /// A value size other than 4 (an fd) given for a map with `values`.
    #[error("value size {value_size} given, but map-in-map and prog-array values are 4-byte fds")]
    ValueSizeNotFd {
        /// The size given.
        value_size: u32,
    },
    /// The inner map's definition is wrong.
    #[error("inner map: {0}")]
    Inner(Box<MapProblem>),
    /// A member name libbpf's convention does not define.
    #[error("unknown map attribute (known: {})", MAP_ATTRIBUTES.join(", "))]
    UnknownAttribute,
}

/// The map attributes (struct members of a BTF-defined map) rawbpf reads.
pub const MAP_ATTRIBUTES: &[&str] = &[
    "type",
    "key",
    "key_size",
    "value",
    "value_size",
    "max_entries",
    "map_flags",
    "pinning",
    "map_extra",
    "numa_node",
    "values",
];

/// A map's key or its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrValue {
    /// The key.
    Key,
    /// The value.
    Value,
}

impl fmt::Display for KeyOrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyOrValue::Key => "key",
            KeyOrValue::Value => "value",
        })
    }
}

/// What an ld_imm64 relocation refers to, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A map in `.maps`.
    Map,
    /// A variable in a global-data section.
    GlobalVariable,
    /// A function (a callback's address).
    FunctionAddress,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reference::Map => "map",
            Reference::GlobalVariable => "global variable",
            Reference::FunctionAddress => "function address",
        })
    }
}

/// What is wrong with a relocation of a code section.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RelocProblem {
    /// `r_offset` is not at an instruction boundary.
    #[error("r_offset {offset:#x} is not a multiple of 8 (not at an instruction)")]
    Misaligned {
        /// `r_offset`.
        offset: u64,
    },
    /// `r_offset` is past the end of the section.
    #[error("points past the section's {insns} instructions")]
    PastEnd {
        /// The section's instruction count.
        insns: usize,
    },
    /// The symbol index is past the end of `.symtab`.
    #[error("symbol index {symbol} is out of range ({count} symbols)")]
    NoSuchSymbol {
        /// `r_sym`.
        symbol: u32,
        /// How many symbols there are.
        count: usize,
    },
    /// A map, global or function-address reference on an instruction that is not ld_imm64.
    #[error("a {reference} reference must be on an ld_imm64, found opcode {opcode:#04x}")]
    NotLdImm64 {
        /// What the symbol is.
        reference: Reference,
        /// The instruction's opcode.
        opcode: u8,
    },
    /// An ld_imm64 in the last slot of its section.
    #[error("ld_imm64 is missing its second slot at the end of the section")]
    LdImm64Truncated,
    /// The symbol's section is executable but was not read as a code section.
    #[error("section {section} is not one of the object's code sections")]
    UnknownCodeSection {
        /// The symbol's section.
        section: SectionIndex,
    },
    /// A relocation against code on an instruction that is neither a call nor ld_imm64.
    #[error(
        "relocation against code section '{section}' on opcode {opcode:#04x}, which is neither a BPF call \
         (0x85 with src=1) nor ld_imm64"
    )]
    NotCallOrLdImm64 {
        /// The target code section.
        section: String,
        /// The instruction's opcode.
        opcode: u8,
    },
    /// A call or function address that lands between or past the target's instructions.
    #[error("target byte offset {byte} is not an instruction of '{section}' ({insns} instructions)")]
    NotAnInstruction {
        /// The target's byte offset (symbol value plus the instruction's immediate).
        byte: i128,
        /// The target code section.
        section: String,
        /// Its instruction count.
        insns: usize,
    },
    /// A `.maps` symbol at an offset where no map starts.
    #[error("no map starts at offset {offset} of .maps")]
    NoMapAt {
        /// The symbol's offset in `.maps`.
        offset: u64,
    },
    /// A global-data section with no map (an empty section).
    #[error("no map for data section '{section}' (is it empty?)")]
    NoDataMap {
        /// The data section.
        section: String,
    },
    /// An `__arena` global (`.addr_space.1`) in an object that declares no ARENA map.
    #[error("__arena globals need an ARENA map declared in .maps (__uint(type, BPF_MAP_TYPE_ARENA))")]
    NoArenaMap,
    /// A global variable reference outside its section.
    #[error("offset {offset} is outside the {size}-byte section '{section}'")]
    OutsideData {
        /// Symbol value plus the instruction's immediate.
        offset: i128,
        /// The section's size.
        size: u32,
        /// The data section.
        section: String,
    },
    /// An undefined symbol that is not a `__kconfig`/`__ksym` extern (a local or typed one).
    #[error("symbol is undefined here and is not a __kconfig or __ksym extern")]
    NotAnExtern,
    /// An extern used by an instruction that cannot use it.
    #[error(
        "{} used by opcode {opcode:#04x}; expected ld_imm64{}",
        if *kfunc { "a kfunc is" } else { "an extern variable is" },
        if *kfunc { " or a call" } else { "" }
    )]
    ExternUse {
        /// The extern is a kfunc (which may also be called).
        kfunc: bool,
        /// The instruction's opcode.
        opcode: u8,
    },
    /// A symbol in a section a program cannot refer to.
    #[error("symbol is in section '{section}', which is neither code, .maps nor global data")]
    WrongSection {
        /// The symbol's section.
        section: String,
    },
}

/// What is wrong with an extern's declaration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExternProblem {
    /// The object has no `.BTF`, and only BTF says what an extern is.
    #[error("the object has no .BTF to describe it; build with clang -g")]
    NoBtf,
    /// `.BTF` has no VAR or FUNC of the symbol's name.
    #[error("no VAR or FUNC of this name in .BTF")]
    NoBtfDecl,
    /// The VAR or FUNC is not declared `extern`.
    #[error("[{type_id}] {kind} has {} linkage, not extern", linkage.name())]
    NotExtern {
        /// The VAR or FUNC.
        type_id: TypeId,
        /// Its kind.
        kind: Kind,
        /// Its linkage.
        linkage: btf::types::Linkage,
    },
    /// The VAR or FUNC is in no DATASEC, so neither `__kconfig` nor `__ksym`.
    #[error("[{type_id}] is in no DATASEC; declare it __kconfig or __ksym")]
    NoDatasec {
        /// The VAR or FUNC.
        type_id: TypeId,
    },
    /// Declared in a section other than `.kconfig` and `.ksyms`.
    #[error("declared in section '{section}'; externs are __kconfig (.kconfig) or __ksym (.ksyms)")]
    UnknownSection {
        /// The DATASEC's name.
        section: String,
    },
    /// A function declared `__kconfig`.
    #[error("a function cannot be __kconfig (.kconfig holds values); declare a kfunc __ksym")]
    KconfigFunction,
    /// `__kconfig` values larger, together, than any map value the kernel creates.
    #[error("the __kconfig values need {size} bytes, more than the {max} of the largest map value")]
    KconfigTooBig {
        /// The `.kconfig` map's value size they need.
        size: u32,
        /// The limit.
        max: u32,
    },
    /// A `__kconfig` variable of a type the loader cannot fill.
    #[error(
        "__kconfig type [{type_id}] {kind}{} is not supported; use bool, char, an integer of 2, 4 or 8 bytes, \
         enum libbpf_tristate or a char array",
        if name.is_empty() { String::new() } else { format!(" '{name}'") }
    )]
    KconfigType {
        /// The type (modifiers and typedefs skipped).
        type_id: TypeId,
        /// Its kind.
        kind: Kind,
        /// Its name (empty when anonymous).
        name: String,
    },
}

/// What rawbpf does not support (yet) in a relocation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsupportedFeature {
    /// A map in the legacy `maps` section (`struct bpf_map_def`).
    #[error("legacy 'maps' section map {name}; use BTF-defined maps in .maps")]
    LegacyMap {
        /// The symbol.
        name: String,
    },
}

/// Shorthand for results of the object reader.
pub type Result<T, E = ObjectError> = std::result::Result<T, E>;

/// Why a `.maps` relocation is not an initial slot rawbpf can fill.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotProblem {
    /// No map's `values` array covers the offset.
    #[error("no map's __array(values, ...) covers this offset")]
    NoValues,
    /// The offset is not at a slot boundary (8-byte pointers).
    #[error("not at an 8-byte slot of the values array")]
    Misaligned,
    /// A map-in-map slot naming something that is not a map of `.maps`.
    #[error("map '{map}' is map-in-map, but this is not a BTF-defined map")]
    NotAMap {
        /// The outer map.
        map: String,
    },
    /// A prog-array slot naming something that is not a program's entry point.
    #[error("map '{map}' is a prog array, but this is not a program's entry point")]
    NotAProgram {
        /// The prog array.
        map: String,
    },
    /// A hash of maps whose key is not a 4-byte integer, so slots cannot be keys.
    #[error("hash-of-maps '{map}' has key size {key_size}; initial slots need 4-byte keys")]
    HashKeySize {
        /// The map.
        map: String,
        /// Its key size.
        key_size: u32,
    },
}
