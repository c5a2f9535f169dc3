//! What a section definition means for `BPF_PROG_LOAD` on this kernel: libbpf's
//! `libbpf_prepare_prog_load`. The program type and flags follow from the table alone
//! (`ProgKind::prog_flags`); the expected attach type may depend on a kernel feature:
//!
//! - `SEC_EXP_ATTACH_OPT`: libbpf drops the expected attach type on kernels that predate it
//!   (4.17). Every kernel rawbpf runs on has it, so it is always passed.
//! - `SEC_USDT`: a USDT program gets `BPF_TRACE_UPROBE_MULTI` where the kernel has uprobe-multi
//!   links with working PID filtering, because libbpf then attaches USDTs through one (the
//!   attach type is fixed at load time).

use std::ffi::CStr;
use std::sync::OnceLock;

use btf::insn::{Insn, EXIT};

use crate::object::progtype::SecFlags;
use crate::object::ProgKind;
use crate::sys::{self, AttachType, ProgLoad, ProgType, UprobeMulti};

/// The expected attach type `kind` is loaded with here.
pub fn expected_attach_type(kind: &ProgKind) -> AttachType {
    let usdt = kind.def.flags.contains(SecFlags::USDT);
    attach_type_with(kind, usdt && uprobe_multi_links())
}

/// The expected attach type, given whether the kernel has uprobe-multi links.
fn attach_type_with(kind: &ProgKind, uprobe_multi: bool) -> AttachType {
    if kind.def.flags.contains(SecFlags::USDT) && uprobe_multi {
        AttachType::TRACE_UPROBE_MULTI
    } else {
        AttachType(kind.expected_attach_type())
    }
}

/// libbpf's `FEAT_UPROBE_MULTI_LINK`, probed once per process.
pub fn uprobe_multi_links() -> bool {
    static PROBED: OnceLock<bool> = OnceLock::new();
    *PROBED.get_or_init(probe_uprobe_multi_links)
}

/// libbpf's `probe_uprobe_multi_link`: a `return 0` kprobe program with attach type
/// `BPF_TRACE_UPROBE_MULTI`, then a link on `/`. A kernel with the links refuses the path with
/// EBADF; one whose PID filtering was fixed also refuses `pid = -1` with EINVAL, before
/// looking at the path. Without the fix libbpf treats the links as absent, and so does rawbpf.
fn probe_uprobe_multi_links() -> bool {
    let insns =
        sys::encode_insns(&[Insn { code: 0xb7, ..Default::default() }, Insn { code: EXIT, ..Default::default() }]);
    let license: &CStr = c"GPL";
    let req = ProgLoad {
        prog_type: ProgType::KPROBE,
        expected_attach_type: AttachType::TRACE_UPROBE_MULTI,
        insns: &insns,
        license,
        ..Default::default()
    };
    let Ok(prog) = sys::prog_load(&req) else { return false };
    let offsets = [0u64];
    let none: &[u64] = &[];
    let site = |pid| UprobeMulti { path: c"/", offsets: &offsets, ref_ctr_offsets: none, cookies: none, pid };
    let link = |pid| sys::link_create_uprobe_multi(&prog, &site(pid));
    match link(0) {
        Err(e) if e.is(nix::errno::Errno::EBADF) => {}
        _ => return false,
    }
    matches!(link(u32::MAX), Err(e) if e.is(nix::errno::Errno::EINVAL))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::progtype::classify;

    #[test]
    fn usdt_programs_take_the_uprobe_multi_attach_type_only_where_the_kernel_has_the_links() {
        let usdt = classify("usdt/libc.so.6:libc:setjmp").unwrap();
        assert_eq!(attach_type_with(&usdt, true), AttachType::TRACE_UPROBE_MULTI);
        assert_eq!(attach_type_with(&usdt, false), AttachType(0));
        let sleepable = classify("usdt.s").unwrap();
        assert_eq!(attach_type_with(&sleepable, true), AttachType::TRACE_UPROBE_MULTI);
        // Other kinds keep the table's type whatever the kernel has.
        let kprobe = classify("kprobe.multi/x").unwrap();
        assert_eq!(attach_type_with(&kprobe, true), AttachType::TRACE_KPROBE_MULTI);
        let uprobe = classify("uprobe/x").unwrap();
        assert_eq!(attach_type_with(&uprobe, true), AttachType(0));
    }
}
