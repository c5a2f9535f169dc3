//! BPF instructions: the `btf::insn::Insn` slot, re-exported, plus loader-side helpers.

pub use btf::insn::*;
