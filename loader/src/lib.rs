//! rawbpf's loader: from a clang-built BPF object to programs running in the kernel, over
//! raw `bpf()` syscalls. The modules follow the data flow, top to bottom:
//!
//! `object` (ELF → programs, maps, relocations) → `kernel_btf` (fixups, sanitizing) →
//! CO-RE (`btf::core`, applied by `load`) → `link` (subprograms, map references) →
//! `load` (maps, programs) → `attach` (links) → `trace_pipe` (output).
//!
//! `sys` holds every `unsafe` block: the syscalls and their attribute structs.

pub mod attach;
pub mod co_re;
pub mod diagnose;
pub mod disasm;
pub mod dwarf;
pub mod features;
pub mod helpers;
pub mod insn;
pub mod kernel_btf;
pub mod link;
pub mod load;
pub mod map_ops;
pub mod memlock;
pub mod object;
pub mod progress;
#[allow(unsafe_code)] // the one place for it: every block has a SAFETY line
pub mod sys;
pub mod trace_pipe;
pub mod vmlinux;
