//! Programs: choose which, link each into its final instruction stream, `BPF_PROG_LOAD` it with
//! func/line info and its attach target, and explain a refusal.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use tracing::info;

use super::error::ProgLoadFailure;
use super::target::{self, KernelBtf};
use super::{LoadError, LoadOptions, Loaded, LoadedProgram};
use crate::caps::{self, Environment};
use crate::link::{self, LinkedProgram};
use crate::object::{Object, ProgramRef};
use crate::sys::{self, AttachType, LogLevel, ProgLoad, ProgType, Records};
use crate::verifier::{self, SourceMap};

/// The programs to load: those named, or all.
pub fn select(obj: &Object, names: &[String]) -> Result<Vec<ProgramRef>, LoadError> {
    if names.is_empty() {
        return Ok((0..obj.programs.len()).map(ProgramRef).collect());
    }
    names
        .iter()
        .map(|n| {
            obj.program_by_name(n).ok_or_else(|| LoadError::NoSuchProgram {
                name: n.clone(),
                have: obj.programs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
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

/// Links and loads one program.
pub fn load_one(
    obj: &Object,
    prog: ProgramRef,
    loaded: &Loaded,
    kernel: &KernelBtf,
    opts: &LoadOptions,
) -> Result<LoadedProgram, LoadError> {
    let p = &obj.programs[prog.0];
    let map_fds: Vec<RawFd> = loaded.maps.iter().map(|m| m.fd.as_raw_fd()).collect();
    let linked =
        link::link(obj, prog, &map_fds).map_err(|source| LoadError::Link { program: p.name.clone(), source })?;
    let target = target::resolve(kernel, &p.name, &p.kind)?;
    let btf_fd = loaded.btf_fd.as_ref().map(|f| f.as_fd());
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
        attach_btf_obj_fd: target.as_ref().and_then(|t| t.module_fd.as_ref()).map(|f| f.as_fd()),
        ..Default::default()
    };
    let level = opts.verifier_log.map_or(LogLevel::OnFailure, LogLevel::Always);
    let done = sys::prog_load_with_log(&request, level).map_err(|source| {
        let refusal = caps::explain(&source.sys, prog_type, attach_type, &Environment::detect());
        let sources = obj.btf.as_ref().map(|b| SourceMap::from_line_info(b, &linked.line_info)).unwrap_or_default();
        let diagnosis = (!source.log.is_empty())
            .then(|| verifier::diagnose(&source.log, &sources, &poisoned_in(obj, prog, loaded)));
        let annotated_log = match &diagnosis {
            Some(d) => verifier::annotate(&source.log, &sources, d.insn),
            None => String::new(),
        };
        LoadError::ProgLoad(Box::new(ProgLoadFailure {
            program: p.name.clone(),
            source,
            refusal,
            diagnosis,
            annotated_log,
        }))
    })?;
    let info = sys::prog_info(done.fd.as_fd()).map_err(|e| {
        LoadError::ProgLoad(Box::new(ProgLoadFailure {
            program: p.name.clone(),
            refusal: caps::explain(&e, prog_type, attach_type, &Environment::detect()),
            source: sys::LoadError { sys: e, log: String::new(), truncated: false },
            diagnosis: None,
            annotated_log: String::new(),
        }))
    })?;
    info!(
        target: "rawbpf::load",
        "program {} ({prog_type}) loaded: id {} tag {} ({} insns)",
        p.name,
        info.id,
        info.tag_hex(),
        linked.insns.len()
    );
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

/// Poisoned instructions of this program's own function, by index in the linked stream.
fn poisoned_in(obj: &Object, prog: ProgramRef, loaded: &Loaded) -> BTreeMap<usize, String> {
    let Some((sec, func)) = obj.program_func(prog) else {
        return BTreeMap::new();
    };
    let range = func.start_insn..func.start_insn + func.len_insns;
    loaded
        .core
        .poisoned
        .iter()
        .filter(|((s, i), _)| *s == sec.name && range.contains(i))
        .map(|((_, i), text)| (i - func.start_insn, text.clone()))
        .collect()
}
