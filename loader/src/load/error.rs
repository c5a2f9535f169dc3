//! Why loading stopped, with the program, map or relocation it stopped at.

use crate::caps::Refusal;
use crate::kernel_btf::KernelBtfError;
use crate::link::LinkError;
use crate::sys::{self, SysError};
use crate::verifier::Diagnosis;

/// A failure anywhere in the load pipeline.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `--program` named something the object does not have.
    #[error("no program named {name} in the object (it has: {have})")]
    NoSuchProgram {
        /// The name asked for.
        name: String,
        /// The names that exist.
        have: String,
    },
    /// The running kernel's BTF could not be read.
    #[error("{0}")]
    KernelBtf(btf::source::LoadError),
    /// `--btf FILE` could not be read.
    #[error("target BTF: {0}")]
    TargetBtf(btf::source::LoadError),
    /// The object's BTF could not be prepared for the kernel.
    #[error(transparent)]
    ObjectBtf(#[from] KernelBtfError),
    /// CO-RE relocations need the object's BTF.
    #[error("section {section} has CO-RE relocations but the object has no .BTF")]
    CoreWithoutBtf {
        /// The section.
        section: String,
    },
    /// A CO-RE relocation could not be applied (not merely unresolved: those are poisoned).
    #[error("CO-RE in section {section}: {source}")]
    Core {
        /// The section.
        section: String,
        /// What went wrong.
        source: btf::core::CoreError,
    },
    /// BPF_MAP_CREATE or writing initial data failed.
    #[error("map {map}: {source}")]
    Map {
        /// The map.
        map: String,
        /// The syscall error.
        source: SysError,
    },
    /// Linking a program failed.
    #[error("program {program}: {source}")]
    Link {
        /// The program.
        program: String,
        /// What went wrong.
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
        /// What was looked for ("function", "tracepoint").
        what: &'static str,
        /// The name looked up.
        name: String,
        /// Similar names that exist.
        close: Vec<String>,
    },
    /// BPF_PROG_LOAD failed (boxed: it carries the whole verifier log).
    #[error("{0}")]
    ProgLoad(Box<ProgLoadFailure>),
}

/// Everything known about a refused `BPF_PROG_LOAD`.
#[derive(Debug)]
pub struct ProgLoadFailure {
    /// The program.
    pub program: String,
    /// The syscall error and verifier log.
    pub source: sys::LoadError,
    /// Why, in words.
    pub refusal: Refusal,
    /// What the verifier log says, when there is one.
    pub diagnosis: Option<Diagnosis>,
    /// The whole log, failing instruction marked and source lines interleaved.
    pub annotated_log: String,
}

impl std::fmt::Display for ProgLoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = render_prog_load(&self.program, &self.source, &self.refusal, &self.diagnosis, &self.annotated_log);
        f.write_str(&s)
    }
}

fn render_prog_load(
    program: &str,
    e: &sys::LoadError,
    refusal: &Refusal,
    d: &Option<Diagnosis>,
    annotated_log: &str,
) -> String {
    // The log first, the summary last: on a terminal the summary stays in view.
    let mut s = String::new();
    if !annotated_log.is_empty() {
        let truncated = if e.truncated { " (truncated)" } else { "" };
        s.push_str(&format!("verifier log for {program}{truncated}:\n{annotated_log}\n"));
    }
    s.push_str(&format!("program {program}: {}\n  {refusal}", e.sys));
    if let Some(d) = d {
        s.push_str(&format!("\n{d}"));
    }
    s
}
