//! Why a program could not be attached, and what is wrong with a probe's target.

use super::elf_offset;
use super::probe_event::ProbeFamily;
use crate::diagnose::refusal::Refusal;
use crate::sys::SysError;

/// What is wrong with a probe section's target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetProblem {
    /// The function name is empty or has characters no symbol has.
    BadFunction,
    /// The `+offset` is not a number.
    BadOffset,
    /// A kretprobe with an offset: the kernel probes function returns only.
    RetprobeOffset,
    /// A ksyscall with an offset.
    SyscallOffset,
    /// The kernel refused the offset (EILSEQ): it is not the start of an instruction.
    NotInstructionBoundary,
    /// A uprobe target without `BINARY:`.
    NoBinary,
    /// The binary is not in the library directories or `PATH`.
    NoSuchBinary,
    /// A USDT target that is not `PATH:PROVIDER:NAME`.
    NotUsdtTarget,
}

/// Why a program could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The kernel refused.
    #[error("program {program}: attaching to {target} failed: {}", refusal.error)]
    Refused {
        /// The program.
        program: String,
        /// The target.
        target: String,
        /// The refused call and what it means.
        refusal: Refusal,
    },
    /// The tracepoint has no event id in tracefs.
    #[error("program {program}: tracepoint {target} not found in tracefs")]
    NoTracepoint {
        /// The program.
        program: String,
        /// `category/name`.
        target: String,
        /// Reading `events/<category>/<name>/id`.
        #[source]
        source: std::io::Error,
    },
    /// A probe section's target cannot be read.
    #[error("program {program}: probe target {target:?}: {}", problem_words(*problem))]
    BadProbeTarget {
        /// The program.
        program: String,
        /// The target as written.
        target: String,
        /// What is wrong.
        problem: TargetProblem,
    },
    /// The kernel has no such symbol (kallsyms agrees with the kernel's refusal).
    #[error("program {program}: {symbol} is not a kernel symbol")]
    NoKernelSymbol {
        /// The program.
        program: String,
        /// The function asked for.
        symbol: String,
        /// For `sys_NAME`: the architecture's wrapper `__x64_sys_NAME`, when the kernel has it.
        wrapper: Option<String>,
    },
    /// The kernel has neither the probe PMU nor the tracefs file (`CONFIG_KPROBE_EVENTS` /
    /// `CONFIG_UPROBE_EVENTS` off), or the PMU was required and is missing.
    #[error("program {program}: this kernel has no {} (no {} PMU{})", family_words(*family), family_pmu(*family), if *pmu_required { ", which --probe-attach-mode asked for" } else { ", no tracefs file for them" })]
    NoProbeSupport {
        /// The program.
        program: String,
        /// kprobes or uprobes.
        family: ProbeFamily,
        /// The attach mode asked for the PMU.
        pmu_required: bool,
    },
    /// tracefs is needed (no probe PMU) and not mounted.
    #[error("program {program}: this kernel has no probe PMU and tracefs is not mounted")]
    NoTracefs {
        /// The program.
        program: String,
    },
    /// A tracefs probe event was created but its id could not be read.
    #[error("program {program}: reading the new tracefs probe event's id failed")]
    ProbeEventId {
        /// The program.
        program: String,
        /// The read.
        #[source]
        source: std::io::Error,
    },
    /// The uprobe's function could not be found in the binary.
    #[error("program {program}: {}", path.display())]
    BinarySymbol {
        /// The program.
        program: String,
        /// The binary.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: elf_offset::ElfSymbolError,
    },
    /// Reading tracefs `available_filter_functions` for a kprobe.multi glob.
    #[error("program {program}: reading available_filter_functions failed")]
    FilterFunctions {
        /// The program.
        program: String,
        /// The read.
        #[source]
        source: std::io::Error,
    },
    /// The kernel knows kprobe.multi links but was built without them (`CONFIG_FPROBE` off).
    #[error("program {program}: this kernel has no kprobe.multi links ({error}: built without CONFIG_FPROBE)")]
    NoKprobeMulti {
        /// The program.
        program: String,
        /// The refused BPF_LINK_CREATE.
        error: SysError,
    },
    /// A kprobe.multi glob matched no traceable function.
    #[error("program {program}: no traceable kernel function matches {pattern:?}")]
    NoFunctionMatches {
        /// The program.
        program: String,
        /// The glob.
        pattern: String,
    },
    /// A USDT probe that cannot be attached.
    #[error("program {program}: usdt {}:{probe}", path.display())]
    Usdt {
        /// The program.
        program: String,
        /// The binary.
        path: std::path::PathBuf,
        /// `provider:name`.
        probe: String,
        /// Why.
        #[source]
        source: Box<super::usdt::UsdtError>,
    },
    /// A USDT program given to [`super::attach_with`], which has no object to find the USDT
    /// maps in.
    #[error("program {program}: USDT programs need their object's maps: attach them with attach::Attacher")]
    UsdtNeedsObject {
        /// The program.
        program: String,
    },
    /// A uprobe with a reference counter (a USDT semaphore) on a kernel whose uprobes take none.
    #[error(
        "program {program}: this kernel's uprobes take no reference counter (the uprobe PMU's ref_ctr_offset, 4.20+)"
    )]
    NoRefCtr {
        /// The program.
        program: String,
    },
    /// rawbpf does not attach this kind yet.
    #[error("program {program}: rawbpf cannot attach {section_prefix} programs yet")]
    Unsupported {
        /// The program.
        program: String,
        /// The kind, as libbpf's section table names it (`kprobe`, `usdt`).
        section_prefix: &'static str,
    },
}

fn family_words(f: ProbeFamily) -> &'static str {
    match f {
        ProbeFamily::Kernel => "kprobes",
        ProbeFamily::User => "uprobes",
    }
}

fn family_pmu(f: ProbeFamily) -> &'static str {
    match f {
        ProbeFamily::Kernel => "kprobe",
        ProbeFamily::User => "uprobe",
    }
}

fn problem_words(p: TargetProblem) -> &'static str {
    match p {
        TargetProblem::BadFunction => "not a function name",
        TargetProblem::BadOffset => "the offset after '+' is not a number",
        TargetProblem::RetprobeOffset => "a return probe cannot have an offset",
        TargetProblem::SyscallOffset => "a syscall probe cannot have an offset",
        TargetProblem::NotInstructionBoundary => {
            "the kernel refused the offset (EILSEQ): it is not the start of an instruction"
        }
        TargetProblem::NoBinary => "expected BINARY:FUNCTION",
        TargetProblem::NoSuchBinary => "the binary is not in the library directories or PATH",
        TargetProblem::NotUsdtTarget => "expected PATH:PROVIDER:NAME",
    }
}
