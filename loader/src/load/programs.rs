//! Programs: choose which, link each into its final instruction stream, `BPF_PROG_LOAD` it with
//! func/line info and its attach target, and classify a refusal.

use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};

use super::error::ProgLoadFailure;
use super::target::{self, KernelBtf};
use super::{LoadError, LoadOptions, Loaded, LoadedProgram};
use crate::diagnose::caps::Environment;
use crate::diagnose::refusal::{self, Refusal};
use crate::diagnose::verifier::{self, SourceMap};
use crate::link::{self, LinkedProgram};
use crate::object::{CodeSection, Object, ProgramIndex};
use crate::progress::{Observer, Step};
use crate::sys::{self, AttachType, LogLevel, LoggedError, ProgLoad, ProgType, Records};

/// The programs to load: those named, or all.
pub fn select(obj: &Object, names: &[String]) -> Result<Vec<ProgramIndex>, LoadError> {
    if names.is_empty() {
        return Ok(obj.program_indices().collect());
    }
    names
        .iter()
        .map(|n| {
            obj.program_by_name(n).ok_or_else(|| LoadError::NoSuchProgram {
                name: n.clone(),
                have: obj.programs.iter().map(|p| p.name.clone()).collect(),
            })
        })
        .collect()
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
    /// The program.
    pub prog: ProgramIndex,
    /// The object's BTF and maps, already in the kernel.
    pub loaded: &'a Loaded,
    /// The running kernel's BTF, for the attach target.
    pub kernel: &'a KernelBtf,
}

/// Links and loads one program.
pub fn load_one(input: Input<'_>, opts: &LoadOptions, obs: &mut dyn Observer) -> Result<LoadedProgram, LoadError> {
    let Input { obj, code, prog, loaded, kernel } = input;
    let p = &obj.programs[prog.get()];
    let map_fds: Vec<RawFd> = loaded.maps.iter().map(|m| m.fd.as_raw_fd()).collect();
    let linked =
        link::link(obj, code, prog, &map_fds).map_err(|source| LoadError::Link { program: p.name.clone(), source })?;
    let target = target::resolve(kernel, &p.name, &p.kind, obs)?;
    let btf_fd = loaded.btf_fd.as_ref();
    let (func_info, line_info) = match btf_fd {
        Some(_) => (func_info_bytes(&linked), line_info_bytes(&linked)),
        None => (Vec::new(), Vec::new()),
    };
    let insns = sys::encode_insns(&linked.insns);
    // A NUL inside the license cannot come from a C string literal; cut there if it does.
    let license = CString::new(obj.license.split('\0').next().unwrap_or_default()).unwrap_or_default();
    let (prog_type, attach_type) = (ProgType(p.kind.prog_type()), AttachType(p.kind.expected_attach_type()));
    let request = ProgLoad {
        prog_type,
        expected_attach_type: attach_type,
        insns: &insns,
        license: &license,
        kern_version: obj.kern_version.unwrap_or(0),
        prog_flags: p.kind.prog_flags(),
        name: &p.name,
        prog_btf_fd: btf_fd,
        func_info: Records { data: &func_info, rec_size: 8 },
        line_info: Records { data: &line_info, rec_size: 16 },
        attach_btf_id: target.as_ref().map_or(0, |t| t.btf_id.get()),
        attach_btf_obj_fd: target.as_ref().and_then(|t| t.module_fd.as_ref()),
        ..Default::default()
    };
    let level = opts.verifier_log.map_or(LogLevel::OnFailure, LogLevel::Always);
    let refusal = |e: &sys::SysError| refusal::explain(e, prog_type, attach_type, &Environment::detect());
    let done = sys::prog_load_with_log(&request, level).map_err(|load| {
        let sources = obj.btf.as_ref().map(|b| SourceMap::from_line_info(b, &linked.line_info)).unwrap_or_default();
        let diagnosis = (!load.log.is_empty()).then(|| {
            let poisoned = obj.program_func(prog).map(|(sec, f)| {
                loaded.core.poisoned_in(&sec.name, f.start_insn..f.start_insn + f.len_insns)
            });
            verifier::diagnose(&load.log, &sources, &poisoned.unwrap_or_default())
        });
        failure(&p.name, refusal(&load.sys), load, diagnosis, sources)
    })?;
    let info = sys::prog_info(&done.fd).map_err(|e| {
        let load = LoggedError { sys: e, log: String::new(), truncated: false };
        failure(&p.name, refusal(&e), load, None, SourceMap::default())
    })?;
    obs.step(Step::ProgramLoaded { name: &p.name, prog_type, info: &info, insns: linked.insns.len() });
    Ok(LoadedProgram {
        name: p.name.clone(),
        section: p.section.clone(),
        kind: p.kind.clone(),
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
