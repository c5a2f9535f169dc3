//! `RLIMIT_MEMLOCK`: kernels before 5.11 charge BPF maps and programs to the locked-memory limit
//! (64 KiB by default), so any real object gets EPERM from `BPF_MAP_CREATE`. Like libbpf, rawbpf
//! probes whether the kernel accounts BPF memory to the memory cgroup instead, and only when it
//! does not raises the limit to infinity before creating anything.

use nix::errno::Errno;
use nix::sys::resource::{getrlimit, setrlimit, Resource, RLIM_INFINITY};

use crate::sys::{self, ProgLoad, ProgType};

/// What was done about the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memlock {
    /// The kernel charges BPF memory to the memory cgroup (5.11+): the limit does not matter.
    Memcg,
    /// The limit already was infinity.
    Unlimited,
    /// The limit was raised from `from` bytes to infinity.
    Raised {
        /// The soft limit before, in bytes.
        from: u64,
    },
    /// The limit could not be raised (no CAP_SYS_RESOURCE); loads beyond it get EPERM.
    Stuck {
        /// The soft limit, in bytes.
        limit: u64,
        /// Why `setrlimit` failed.
        errno: Errno,
    },
}

/// Whether the kernel accounts BPF memory to the memory cgroup: it has
/// `bpf_ktime_get_coarse_ns`, added in the same release (5.11), which is libbpf's probe too.
pub fn memcg_accounting() -> bool {
    static CACHE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CACHE.get_or_init(probe_memcg)
}

fn probe_memcg() -> bool {
    const KTIME_GET_COARSE_NS: i32 = 160;
    let insns = sys::encode_insns(&[
        btf::insn::Insn { code: 0x85, imm: KTIME_GET_COARSE_NS, ..Default::default() },
        btf::insn::Insn { code: 0x95, ..Default::default() },
    ]);
    let probe = ProgLoad { prog_type: ProgType::SOCKET_FILTER, insns: &insns, license: c"GPL", ..Default::default() };
    sys::prog_load(&probe).is_ok()
}

/// Raises `RLIMIT_MEMLOCK` to infinity when this kernel still charges BPF memory to it.
pub fn raise_if_needed() -> Memlock {
    if memcg_accounting() {
        return Memlock::Memcg;
    }
    let Ok((soft, _)) = getrlimit(Resource::RLIMIT_MEMLOCK) else {
        return Memlock::Unlimited;
    };
    if soft == RLIM_INFINITY {
        return Memlock::Unlimited;
    }
    match setrlimit(Resource::RLIMIT_MEMLOCK, RLIM_INFINITY, RLIM_INFINITY) {
        Ok(()) => Memlock::Raised { from: soft },
        Err(errno) => Memlock::Stuck { limit: soft, errno },
    }
}
