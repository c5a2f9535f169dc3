//! Programs: choose which, link each into its final instruction stream, `BPF_PROG_LOAD` it with
//! func/line info and its attach target, and classify a refusal.

use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};

use super::error::{ProgLoadFailure, UnsupportedKind};
use super::prepare;
use super::target::{self, KernelBtf};
use super::{LoadError, LoadOptions, Loaded, LoadedProgram};
use crate::diagnose::caps::Environment;
use crate::diagnose::refusal::{self, Cause, Refusal};
use crate::diagnose::verifier::{self, SourceMap};
use crate::externs::Resolved;
use crate::link::{self, LinkedProgram};
use crate::object::progtype::AttachMethod;
use crate::object::{CodeSection, Object, ProgKind, ProgramIndex};
use crate::progress::{Observer, Step};
use crate::sys::{self, LogLevel, LoggedError, ProgLoad, ProgType, Records};

/// A program chosen for loading, with its kind as it will be loaded: the attach target given in
/// the options replaces the section's.
#[derive(Clone, Debug)]
pub struct Selected {
    /// The program.
    pub prog: ProgramIndex,
    /// Its kind.
    pub kind: ProgKind,
}

/// The programs to load, as libbpf chooses them: those named (whether their section starts with
/// `?` or not: libbpf's `set_autoload(true)`), or else every program loaded by default. Only
/// these are checked: what is wrong with another program does not stop them.
pub fn select(obj: &Object, opts: &LoadOptions) -> Result<Vec<Selected>, LoadError> {
    let no_such = |name: &String| LoadError::NoSuchProgram {
        name: name.clone(),
        have: obj.programs.iter().map(|p| p.name.clone()).collect(),
    };
    if let Some(name) = opts.attach_targets.keys().find(|n| obj.program_by_name(n).is_none()) {
        return Err(no_such(name));
    }
    let mut chosen: Vec<ProgramIndex> = Vec::new();
    for name in &opts.programs {
        let r = obj.program_by_name(name).ok_or_else(|| no_such(name))?;
        if !chosen.contains(&r) {
            chosen.push(r);
        }
    }
    if opts.programs.is_empty() {
        chosen = obj.program_indices().filter(|&r| obj.programs[r.get()].autoload).collect();
        if chosen.is_empty() && !obj.programs.is_empty() {
            let not_autoloaded = obj.programs.iter().map(|p| p.name.clone()).collect();
            return Err(LoadError::NothingSelected { not_autoloaded });
        }
    }
    chosen.into_iter().map(|r| selected(obj, r, opts)).collect()
}

/// One chosen program made ready: its problem raised, its attach target settled.
fn selected(obj: &Object, r: ProgramIndex, opts: &LoadOptions) -> Result<Selected, LoadError> {
    let p = &obj.programs[r.get()];
    let program = || p.name.clone();
    let mut kind = p.loadable().map_err(|source| LoadError::Program { program: program(), source })?.clone();
    match kind.def.prog_type {
        ProgType::EXT => {
            return Err(LoadError::UnsupportedKind { program: program(), kind: UnsupportedKind::Freplace })
        }
        ProgType::STRUCT_OPS => {
            return Err(LoadError::UnsupportedKind { program: program(), kind: UnsupportedKind::StructOps })
        }
        _ => {}
    }
    if let Some(target) = opts.attach_targets.get(&p.name) {
        // Probes take theirs at attach time: a kernel function, a glob, `BINARY:FUNC` or
        // `PATH:PROVIDER:NAME`.
        let probe = matches!(
            kind.def.attach,
            AttachMethod::Kprobe { .. }
                | AttachMethod::Ksyscall { .. }
                | AttachMethod::KprobeMulti { .. }
                | AttachMethod::Uprobe { .. }
                | AttachMethod::Usdt
        );
        if !kind.attaches_by_btf_id() && !probe {
            return Err(LoadError::AttachTargetNotBtf { program: program(), kind: kind.def.kind_name() });
        }
        kind.attach_target = Some(target.clone());
    }
    if kind.attaches_by_btf_id() && kind.attach_target.is_none() {
        return Err(LoadError::NoBtfTarget { program: program(), section: p.section.clone() });
    }
    Ok(Selected { prog: r, kind })
}

/// `struct bpf_func_info` records in native byte order.
fn func_info_bytes(l: &LinkedProgram) -> Vec<u8> {
    l.func_info.iter().flat_map(|&(insn, ty)| [insn, ty]).flat_map(u32::to_ne_bytes).collect()
}

/// `struct bpf_line_info` records in native byte order.
fn line_info_bytes(l: &LinkedProgram) -> Vec<u8> {
    l.line_info
        .iter()
        .flat_map(|r| [r.insn_idx, r.file_name_off, r.line_off, r.line_col])
        .flat_map(u32::to_ne_bytes)
        .collect()
}

/// What one program's load reads: the object, its relocated code, what is loaded so far.
pub struct Input<'a> {
    /// The object.
    pub obj: &'a Object,
    /// Its code sections after CO-RE.
    pub code: &'a [CodeSection],
    /// The program, as selected.
    pub prog: &'a Selected,
    /// The object's BTF and maps, already in the kernel.
    pub loaded: &'a Loaded,
    /// The running kernel's BTF, for the attach target.
    pub kernel: &'a KernelBtf,
    /// The object's externs, resolved.
    pub externs: &'a Resolved,
}

/// Links and loads one program.
pub fn load_one(input: Input<'_>, opts: &LoadOptions, obs: &mut dyn Observer) -> Result<LoadedProgram, LoadError> {
    let Input { obj, code, prog: Selected { prog, kind }, loaded, kernel, externs } = input;
    let prog = *prog;
    let p = &obj.programs[prog.get()];
    let map_fds: Vec<RawFd> = loaded.maps.iter().map(|m| m.fd.as_raw_fd()).collect();
    let symbols = link::Symbols { map_fds: &map_fds, ksyms: &externs.ksyms };
    let linked = link::link_with(obj, code, prog, symbols)
        .map_err(|source| LoadError::Link { program: p.name.clone(), source })?;
    let fd_array = externs.fd_array();
    let target = target::resolve(kernel, &p.name, kind, obs)?;
    let btf_fd = loaded.btf_fd.as_ref();
    let (func_info, line_info) = match btf_fd {
        Some(_) => (func_info_bytes(&linked), line_info_bytes(&linked)),
        None => (Vec::new(), Vec::new()),
    };
    let insns = sys::encode_insns(&linked.insns);
    // A NUL inside the license cannot come from a C string literal; cut there if it does.
    let license = CString::new(obj.license.split('\0').next().unwrap_or_default()).unwrap_or_default();
    let (prog_type, attach_type) = (ProgType(kind.prog_type()), prepare::expected_attach_type(kind));
    let request = ProgLoad {
        prog_type,
        expected_attach_type: attach_type,
        insns: &insns,
        license: &license,
        kern_version: obj.kern_version.unwrap_or(0),
        prog_flags: kind.prog_flags(),
        name: &p.name,
        prog_btf_fd: btf_fd,
        func_info: Records { data: &func_info, rec_size: 8 },
        line_info: Records { data: &line_info, rec_size: 16 },
        attach_btf_id: target.as_ref().map_or(0, |t| t.btf_id.get()),
        attach_btf_obj_fd: target.as_ref().and_then(|t| t.module_fd.as_ref()),
        fd_array: &fd_array,
        ..Default::default()
    };
    let level = opts.verifier_log.map_or(LogLevel::OnFailure, LogLevel::Always);
    let refusal = |e: &sys::SysError| refusal::explain(e, prog_type, attach_type, &Environment::detect());
    let done = sys::prog_load_with_log(&request, level).map_err(|load| {
        let sources = obj.btf.as_ref().map(|b| SourceMap::from_line_info(b, &linked.line_info)).unwrap_or_default();
        let diagnosis = (!load.log.is_empty()).then(|| {
            let poisoned = obj
                .program_func(prog)
                .map(|(sec, f)| loaded.core.poisoned_in(&sec.name, f.start_insn..f.start_insn + f.len_insns));
            verifier::diagnose(&load.log, &sources, &poisoned.unwrap_or_default())
        });
        let mut refused = refusal(&load.sys);
        // ENOENT is not always the attach target: the verifier log says when it is a ksym.
        let ksym = diagnosis.as_ref().and_then(|d| verifier::ksym_without_address(&d.message));
        if let Some(symbol) = ksym.filter(|_| refused.cause == Cause::NoAttachTarget) {
            refused.cause = Cause::KsymWithoutAddress { symbol: symbol.to_owned() };
        }
        failure(&p.name, refused, load, diagnosis, sources)
    })?;
    let info = sys::prog_info(&done.fd).map_err(|e| {
        let load = LoggedError { sys: e, log: String::new(), truncated: false };
        failure(&p.name, refusal(&e), load, None, SourceMap::default())
    })?;
    obs.step(Step::ProgramLoaded { name: &p.name, prog_type, info: &info, insns: linked.insns.len() });
    Ok(LoadedProgram {
        name: p.name.clone(),
        section: p.section.clone(),
        kind: kind.clone(),
        expected_attach_type: attach_type,
        target,
        info,
        verifier_log: done.log,
        fd: done.fd,
    })
}

fn failure(
    program: &str,
    refusal: Refusal,
    load: LoggedError,
    diagnosis: Option<verifier::Diagnosis>,
    sources: SourceMap,
) -> LoadError {
    LoadError::ProgLoad(Box::new(ProgLoadFailure { program: program.to_owned(), load, refusal, diagnosis, sources }))
}
