//! `rawbpf inspect`: everything a loader would learn from a BPF object, without loading it.

pub(crate) mod facts;
mod globals;
mod json;
mod layout;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

const ABOUT: &str = "Show what is inside a BPF object: sections, programs, maps, relocations, CO-RE";

const LONG_ABOUT: &str = "\
Show what is inside a clang-built BPF object, as rawbpf understands it, without loading
anything (no root needed, no bpf() syscalls):

  Sections      every ELF section with its size and role (code, maps, global data, BTF...)
  Programs      name, section, program type, expected attach type, attach target,
                instruction count, and the subprograms it calls (after linking)
  Maps          name, type, key/value size, max_entries, flags, and where it is defined
                (.maps, or a global-data section such as .rodata that becomes an array map);
                under it the key and value types: each member's offset and size, holes,
                tail padding, bit-fields, and notes where user space must take care (a
                packed struct, padding in a hash key)
  Globals       each global variable as C, its section and offset, and its initial value
                decoded by BTF (what `load --set NAME=VALUE` changes)
  Relocations   per code section: instruction index, symbol, and what it refers to
  Line info     func_info / line_info / CO-RE record counts per section
  CO-RE         each relocation in words, resolved against the target BTF:
                  #2 field byte offset  struct sock::__sk_common.skc_dport  (0:0:12)  local 12 → target 12 (unchanged)
                (moved) means the field is elsewhere in the target; poisoned means it could
                not be resolved and the instruction will fail verification if reached.

The CO-RE target is the running kernel's BTF (/sys/kernel/btf/vmlinux) unless --btf names a
file (raw BTF, an ELF object with .BTF, a vmlinuz or a linux-image .deb). Without kernel BTF the relocations are listed
unresolved.

Examples:
  rawbpf inspect progs/connect.o
  rawbpf inspect progs/core_demo.o --btf progs/core_demo_target.o   CO-RE against another layout
  rawbpf inspect progs/maps_globals.o --json | jq .maps

Exit status: 0 on success, 1 when the object or the BTF cannot be read, 2 on bad usage.";

/// `rawbpf inspect OBJ`
#[derive(Args, Debug)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct InspectArgs {
    /// The BPF object (clang -target bpf -g -O2 -c).
    pub object: PathBuf,
    /// Resolve CO-RE against this BTF (raw BTF, an ELF with .BTF, a vmlinuz or linux-image .deb) instead of
    /// the kernel's.
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
    /// One JSON document instead of the human layout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `rawbpf inspect`.
pub fn run(args: InspectArgs) -> ExitCode {
    match inspect(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rawbpf inspect: {e}");
            ExitCode::from(1)
        }
    }
}

fn inspect(args: &InspectArgs) -> Result<String, String> {
    let mut opened = facts::open(&args.object)?;
    let target = facts::target(args.btf.as_ref())?;
    let core = facts::core(&mut opened.obj, &target, false);
    let r = report::Report { opened: &opened, target: &target, core: &core };
    Ok(if args.json { json::render(&r).to_string() + "\n" } else { r.human() })
}
