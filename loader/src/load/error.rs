//! Why loading stopped, with the program, map or relocation it stopped at. Each variant's text
//! names where; its `source()` says why (a caller prints the chain).

use std::fmt;

use crate::co_re::CoreApplyError;
use crate::diagnose::refusal::Refusal;
use crate::diagnose::verifier::{Diagnosis, SourceMap};
use crate::externs::ExternError;
use crate::kernel_btf::KernelBtfError;
use crate::link::LinkError;
use crate::object::ProgramError;
use crate::sys::{LoggedError, SysError};

/// A failure anywhere in the load pipeline.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A `LIBBPF_PIN_BY_NAME` map could not be reused from, or pinned at, its path.
    #[error("map {map} (LIBBPF_PIN_BY_NAME at {})", path.display())]
    MapPin {
        /// The map.
        map: String,
        /// Its pin path.
        path: std::path::PathBuf,
        /// What went wrong.
        #[source]
        source: super::maps::MapPinError,
    },
    /// A program asked for by name is not in the object.
    #[error("no program named {name} in the object (it has: {})", have.join(", "))]
    NoSuchProgram {
        /// The name asked for.
        name: String,
        /// The names that exist.
        have: Vec<String>,
    },
    /// Nothing to load: no program was named and every program's section starts with `?`.
    #[error("no program is loaded by default (sections starting with '?': {})", not_autoloaded.join(", "))]
    NothingSelected {
        /// The programs that are off by default.
        not_autoloaded: Vec<String>,
    },
    /// A program selected for loading that the object reader found a problem with (an unknown
    /// section name, a relocation rawbpf cannot handle in the code it reaches).
    #[error("program {program}")]
    Program {
        /// The program.
        program: String,
        /// What is wrong with it.
        #[source]
        source: ProgramError,
    },
    /// An attach target was given for a program whose kind neither attaches by BTF id nor is a
    /// probe.
    #[error("program {program}: a {kind} program takes no attach target (only fentry, fexit, fmod_ret, tp_btf, lsm, iter, freplace, kprobe, ksyscall, kprobe.multi, uprobe and usdt programs do)")]
    AttachTargetNotBtf {
        /// The program.
        program: String,
        /// Its kind (`kprobe`).
        kind: &'static str,
    },
    /// A program that attaches by BTF id has no target: neither its section nor the options
    /// name one (libbpf: "no BTF-based attach target is specified").
    #[error("program {program}: section '{section}' names no attach target and none was given")]
    NoBtfTarget {
        /// The program.
        program: String,
        /// Its section (`fentry`, `tp_btf/`).
        section: String,
    },
    /// A program of a kind rawbpf cannot load yet.
    #[error("program {program}: {kind}")]
    UnsupportedKind {
        /// The program.
        program: String,
        /// Which kind, and what it would need.
        kind: UnsupportedKind,
    },
    /// The running kernel's BTF could not be read.
    #[error("kernel BTF")]
    KernelBtf(#[source] btf::source::LoadError),
    /// The CO-RE target BTF given instead of the kernel's could not be read.
    #[error("target BTF")]
    TargetBtf(#[source] btf::source::LoadError),
    /// An extern could not be resolved for the running kernel (its errors name it).
    #[error(transparent)]
    Extern(#[from] ExternError),
    /// The object's BTF could not be prepared for the kernel.
    #[error("object BTF")]
    ObjectBtf(#[from] KernelBtfError),
    /// CO-RE could not be applied.
    #[error(transparent)]
    Core(#[from] CoreApplyError),
    /// BPF_MAP_CREATE or writing initial data failed.
    #[error("map {map}")]
    Map {
        /// The map.
        map: String,
        /// The syscall error.
        #[source]
        source: SysError,
    },
    /// A program that attaches by kernel BTF id (fentry, fexit, tp_btf, lsm, iter...) on a kernel
    /// that exposes no BTF: a `--btf` file describes types, not the running kernel's ids.
    #[error(
        "program {program}: {} programs attach by the kernel's own BTF ids, and this kernel exposes no BTF",
        section.trim_end_matches('+')
    )]
    AttachNeedsKernelBtf {
        /// The program.
        program: String,
        /// Its section kind, as libbpf's table names it (`fentry+`).
        section: &'static str,
    },
    /// Writing an initial slot of a map-in-map or prog array failed.
    #[error("map {map}: initial slot [{index}] ({target:?})")]
    Slot {
        /// The map-in-map or prog array.
        map: String,
        /// The slot.
        index: u32,
        /// What was to go there.
        target: crate::object::SlotTarget,
        /// The syscall error.
        #[source]
        source: SysError,
    },
    /// Linking a program failed.
    #[error("program {program}")]
    Link {
        /// The program.
        program: String,
        /// What went wrong.
        #[source]
        source: LinkError,
    },
    /// The attach target is not in kernel BTF.
    #[error(
        "program {program}: the kernel has no {what} {name} in its BTF{}",
        if close.is_empty() { String::new() } else { format!(" (close names: {})", close.join(", ")) }
    )]
    NoAttachTarget {
        /// The program.
        program: String,
        /// What was looked for ("function", "raw tracepoint", "LSM hook").
        what: &'static str,
        /// The name looked up.
        name: String,
        /// Similar names that exist.
        close: Vec<String>,
    },
    /// BPF_PROG_LOAD failed (boxed: it carries the whole verifier log).
    #[error("program {}", .0.program)]
    ProgLoad(#[source] Box<ProgLoadFailure>),
}

/// Program kinds libbpf loads with machinery rawbpf does not have yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsupportedKind {
    /// freplace: the target is a function of another loaded BPF program (`attach_prog_fd`).
    Freplace,
    /// struct_ops: the program's attach type and BTF id come from the struct_ops map that
    /// references it.
    StructOps,
}

impl fmt::Display for UnsupportedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnsupportedKind::Freplace => {
                "freplace programs replace a function of another loaded BPF program, which rawbpf cannot be given yet"
            }
            UnsupportedKind::StructOps => {
                "struct_ops programs are loaded for the struct_ops map that uses them, which rawbpf does not create yet"
            }
        })
    }
}

/// Everything known about a refused `BPF_PROG_LOAD`.
#[derive(Debug, thiserror::Error)]
#[error("{}", refusal.error)]
pub struct ProgLoadFailure {
    /// The program.
    pub program: String,
    /// The syscall error and the verifier log.
    pub load: LoggedError,
    /// What the refusal means.
    pub refusal: Refusal,
    /// What the verifier log says, when there is one.
    pub diagnosis: Option<Diagnosis>,
    /// The program's instructions mapped to source lines, to annotate the log.
    pub sources: SourceMap,
}
