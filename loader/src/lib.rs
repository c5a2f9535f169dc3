//! rawbpf's loader: from a clang-built BPF object to programs running in the kernel, over
//! raw `bpf()` syscalls, with no libbpf. The modules follow the data flow, top to bottom:
//!
//! `object` (ELF → programs, maps, relocations, externs) → `externs` (resolved for this
//! kernel) → `kernel_btf` (fixups, sanitizing) → `co_re` (CO-RE on a copy of the code) →
//! `link` (subprograms, map and extern references) →
//! `load` (maps, programs) → `attach` (links) → `trace_pipe` (output).
//!
//! `sys` holds every `unsafe` block: the syscalls and their attribute structs. The library
//! prints nothing: results, refusals ([`diagnose`]) and each step ([`progress`]) are values.
//!
//! Loading an object, attaching its programs and reading their `bpf_printk` output (needs root,
//! or CAP_BPF with CAP_PERFMON):
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use loader::{attach::attach, load::{load, LoadOptions}, object::Object, progress::Quiet};
//! use loader::trace_pipe::{TracePipe, Tracefs};
//!
//! let obj = Object::open("progs/tp_btf.o")?;
//! let loaded = load(&obj, &LoadOptions::default())?;
//! let mut pipe = TracePipe::open(&Tracefs::find_or_mount()?)?;
//! let mut links = Vec::new();
//! for p in &loaded.programs {
//!     println!("{}: id {} tag {}", p.name, p.info.id, p.info.tag_hex());
//!     links.extend(attach(p, &mut Quiet)?);
//! }
//! loader::sys::install_stop_handler()?;
//! pipe.stream(&loader::sys::STOP, None, |line| {
//!     println!("{}", line.message());
//!     ControlFlow::Continue(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A refusal is classified, not worded: the caller decides what to say (`rawbpf` words it in
//! its `render` module).
//!
//! ```
//! use loader::diagnose::caps::{Caps, Environment};
//! use loader::diagnose::refusal::{explain, Cause};
//! use loader::sys::{AttachType, Cmd, ProgType, SysError};
//!
//! // Root with every capability, and still EPERM for an fentry program: a policy says no.
//! let env = Environment { caps: Caps::from_mask(u64::MAX), root: true, lockdown: None, kernel: Some((6, 1)) };
//! let refused = SysError::new(Cmd::ProgLoad, 1 /* EPERM */);
//! let r = explain(&refused, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
//! assert_eq!(r.cause, Cause::Policy { lockdown: None, trampoline: true });
//! ```

pub mod attach;
pub mod check;
pub mod co_re;
pub mod diagnose;
pub mod disasm;
pub mod dwarf;
pub mod events;
pub mod externs;
pub mod features;
pub mod globals;
pub mod helpers;
pub mod insn;
pub mod kernel_btf;
pub mod kernel_map;
pub mod link;
pub mod load;
pub mod map_count;
pub mod map_ops;
pub mod memlock;
pub mod object;
pub mod pins;
pub mod progress;
#[allow(unsafe_code)] // the one place for it: every block has a SAFETY line
pub mod sys;
pub mod trace_pipe;
pub mod vmlinux;
