//! Why loading stopped, with the program, map or relocation it stopped at. Each variant's text
//! names where; its `source()` says why (a caller prints the chain).

use crate::co_re::CoreApplyError;
use crate::diagnose::refusal::Refusal;
use crate::diagnose::verifier::{Diagnosis, SourceMap};
use crate::kernel_btf::KernelBtfError;
use crate::link::LinkError;
use crate::sys::{LoggedError, SysError};

/// A failure anywhere in the load pipeline.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A program asked for by name is not in the object.
    #[error("no program named {name} in the object (it has: {})", have.join(", "))]
    NoSuchProgram {
        /// The name asked for.
        name: String,
        /// The names that exist.
        have: Vec<String>,
    },
    /// The running kernel's BTF could not be read.
    #[error("kernel BTF")]
    KernelBtf(#[source] btf::source::LoadError),
    /// The CO-RE target BTF given instead of the kernel's could not be read.
    #[error("target BTF")]
    TargetBtf(#[source] btf::source::LoadError),
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
