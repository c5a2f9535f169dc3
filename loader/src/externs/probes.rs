//! The kernel probes behind libbpf's virtual `__kconfig` values, run only when an object asks:
//! - `LINUX_HAS_BPF_COOKIE` (`probe_kern_bpf_cookie`): a tracepoint program calling
//!   `bpf_get_attach_cookie` loads;
//! - `LINUX_HAS_SYSCALL_WRAPPER` (`probe_kern_syscall_wrapper`): a kprobe can be put on the
//!   architecture's wrapped `__<arch>_sys_bpf`.

use std::ffi::CString;

use btf::insn::{Insn, CALL, EXIT};

use crate::sys::{self, ProgLoad, ProgType};

/// `BPF_PROG_TYPE_TRACEPOINT`.
const PROG_TYPE_TRACEPOINT: u32 = 5;
/// `BPF_FUNC_get_attach_cookie`.
const FUNC_GET_ATTACH_COOKIE: i32 = 174;
/// Where the kernel publishes the kprobe PMU's perf type.
const KPROBE_PMU_TYPE: &str = "/sys/bus/event_source/devices/kprobe/type";

/// Does a tracepoint program calling `bpf_get_attach_cookie` load (5.15+)?
pub fn bpf_cookie() -> bool {
    let insns =
        [Insn { code: CALL, imm: FUNC_GET_ATTACH_COOKIE, ..Insn::default() }, Insn { code: EXIT, ..Insn::default() }];
    let bytes = sys::encode_insns(&insns);
    let license = CString::new("GPL").unwrap_or_default();
    let req =
        ProgLoad { prog_type: ProgType(PROG_TYPE_TRACEPOINT), insns: &bytes, license: &license, ..Default::default() };
    let ok = sys::prog_load(&req).is_ok();
    tracing::debug!(target: "rawbpf::features", feature = "bpf_cookie", ok, "kernel feature probe");
    ok
}

/// The prefix of syscall wrappers on this architecture (libbpf's `arch_specific_syscall_pfx`).
pub(crate) fn syscall_prefix() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "s390x" => "s390x",
        "arm" => "arm",
        "aarch64" => "arm64",
        "mips" | "mips64" => "mips",
        "riscv64" | "riscv32" => "riscv",
        "powerpc" | "powerpc64" => "powerpc",
        _ => return None,
    })
}

/// Can a kprobe be opened on `__<arch>_sys_bpf`? Only through the kprobe PMU: libbpf falls back
/// to tracefs `kprobe_events` without it, but both come with `CONFIG_KPROBE_EVENTS` on every
/// kernel with the PMU (4.17+), so a kernel without the PMU has neither and the answer is no.
pub fn syscall_wrapper() -> bool {
    let Some(pfx) = syscall_prefix() else { return false };
    let Some(pmu) = std::fs::read_to_string(KPROBE_PMU_TYPE).ok().and_then(|t| t.trim().parse::<u32>().ok()) else {
        return false;
    };
    let name = CString::new(format!("__{pfx}_sys_bpf")).unwrap_or_default();
    let ok = sys::perf_event_open_kprobe(pmu, &name).is_ok();
    tracing::debug!(target: "rawbpf::features", feature = "syscall_wrapper", ok, "kernel feature probe");
    ok
}
