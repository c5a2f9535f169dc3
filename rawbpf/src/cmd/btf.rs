//! `rawbpf btf dump`: show a type from BTF as C, as raw records, or as JSON; or write all of
//! it as a vmlinux.h header.

mod diff;
mod extract;
mod json;
mod min;
mod raw;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use btf::source::{self, LoadError, VMLINUX_BTF};
use btf::{Btf, Kind, TypeId};
use clap::{Args, Subcommand, ValueEnum};

const BTF_ABOUT: &str = "Inspect BTF, the kernel's description of its own types";

const BTF_LONG_ABOUT: &str = "\
Inspect BTF (BPF Type Format), the compact description of C types that the kernel carries
about itself. A kernel built with CONFIG_DEBUG_INFO_BTF=y exposes it at /sys/kernel/btf/vmlinux
(and each module's at /sys/kernel/btf/<module>). pahole writes it from DWARF at kernel build
time; clang writes it into BPF objects (.BTF) when compiling with -g.

Loaders need it for CO-RE: a program compiled against one kernel's struct layouts reads the
right offsets on another, because both sides describe their types in BTF.";

const DUMP_LONG_ABOUT: &str = "\
Show one type by name, or write every type as a C header.

For a function (FUNC) this prints its id, linkage and C prototype with parameter names; for a
struct or union its full definition with each member's byte offset and size, bitfields as
offset:bit, holes and padding, like pahole; typedefs, enums (with values), variables and the
rest get their C spelling. Every type with the name is shown (there can be several kinds, or
duplicates). With --all --format c the output is a vmlinux.h for BPF programs.

BTF (BPF Type Format) is the kernel's compact description of its own C types. Kernels built with
CONFIG_DEBUG_INFO_BTF=y expose it at /sys/kernel/btf/vmlinux, which is read by default; --btf
reads raw BTF from a file, the .BTF section clang -g writes into BPF objects, or a kernel image as
distributions ship it (vmlinuz, linux-image .deb; see `rawbpf btf extract`).

Examples:
  rawbpf btf dump tcp_connect                  the prototype of tcp_connect()
  rawbpf btf dump task_struct --kind struct    the layout of struct task_struct
  rawbpf btf dump sk_buff --format raw         the records as bpftool prints them
  rawbpf btf dump u32 --format json            machine-readable
  rawbpf btf dump --all --format c > vmlinux.h a header of every kernel type
  rawbpf btf dump --btf prog.bpf.o --all       the types inside a BPF object

Exit status: 0 when found, 1 when not found or the BTF cannot be read, 2 on bad usage.";

/// `rawbpf btf ...`
#[derive(Args, Debug)]
#[command(about = BTF_ABOUT, long_about = BTF_LONG_ABOUT)]
pub struct BtfArgs {
    #[command(subcommand)]
    command: BtfCommand,
}

#[derive(Subcommand, Debug)]
enum BtfCommand {
    /// Show a type by name as C, raw records or JSON, or every type as a C header.
    #[command(long_about = DUMP_LONG_ABOUT)]
    Dump(DumpArgs),
    /// Write the raw BTF of a vmlinuz, vmlinux or linux-image .deb to a file.
    #[command(long_about = extract::EXTRACT_LONG_ABOUT)]
    Extract(extract::ExtractArgs),
    /// Show how a struct, union, enum or function differs between two BTFs.
    #[command(long_about = diff::DIFF_LONG_ABOUT)]
    Diff(diff::DiffArgs),
    /// Write the smallest BTF an object's CO-RE relocations need (bpftool gen min_core_btf).
    #[command(long_about = min::MIN_LONG_ABOUT)]
    Min(min::MinArgs),
}

/// Output formats of `btf dump`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// C declarations (with offset comments for structs).
    C,
    /// One line per record, like `bpftool btf dump`.
    Raw,
    /// One JSON document.
    Json,
}

#[derive(Args, Debug)]
struct DumpArgs {
    /// Type name to show (struct, function, typedef, enum, variable...).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    name: Option<String>,
    /// Show every type instead of one name (with --format c: a vmlinux.h header).
    #[arg(long)]
    all: bool,
    /// Read BTF from FILE (raw BTF, an ELF object with a .BTF section, or a kernel image: vmlinuz,
    /// linux-image .deb) instead of the running kernel's /sys/kernel/btf/vmlinux.
    #[arg(long, value_name = "FILE")]
    btf: Option<PathBuf>,
    /// Only types of this kind: struct, union, enum, enum64, typedef, func, func_proto, var,
    /// datasec, int, float, fwd, ptr, array, const, volatile, restrict, decl_tag, type_tag.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<Kind>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::C)]
    format: Format,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        let names: Vec<String> = Kind::ALL[1..].iter().map(|k| k.name().to_ascii_lowercase()).collect();
        format!("unknown kind '{s}'; kinds are: {}", names.join(", "))
    })
}

/// Runs `rawbpf btf ...`.
pub fn run(args: BtfArgs) -> ExitCode {
    let result = match args.command {
        BtfCommand::Dump(d) => dump(&d),
        BtfCommand::Extract(e) => extract::run(&e),
        BtfCommand::Diff(d) => diff::run(&d),
        BtfCommand::Min(m) => min::run(&m),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("rawbpf: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the BTF to inspect: `--btf FILE` or the running kernel's.
pub fn load(path: Option<&PathBuf>) -> Result<(Btf, String), LoadError> {
    match path {
        Some(p) if p.as_path() == Path::new(VMLINUX_BTF) => Ok((loader::vmlinux::open(p)?, VMLINUX_BTF.to_owned())),
        Some(p) => Ok((source::file(p)?, p.display().to_string())),
        None => Ok((loader::vmlinux::vmlinux()?, VMLINUX_BTF.to_owned())),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
fn write_out(w: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match w(&mut lock).and_then(|_| lock.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("writing output: {e}")),
        _ => Ok(()),
    }
}

/// Loads the BTF to inspect and finds the ids named `name` of `kind`: the running kernel's
/// in the parsing pass (one pass over its ~126k types, no name index), a file's afterwards.
fn load_finding(
    path: Option<&PathBuf>,
    name: &str,
    kind: Option<Kind>,
) -> Result<(Btf, String, Vec<TypeId>), LoadError> {
    let kernel = match path {
        None => Some(Path::new(VMLINUX_BTF)),
        Some(p) if p.as_path() == Path::new(VMLINUX_BTF) => Some(p.as_path()),
        Some(_) => None,
    };
    let Some(kernel) = kernel else {
        let (btf, origin) = load(path)?;
        let ids = matching_ids(&btf, name, kind);
        return Ok((btf, origin, ids));
    };
    let (btf, mut ids) = loader::vmlinux::open_finding(kernel, name)?;
    ids.retain(|&id| kind_matches(&btf, id, kind));
    Ok((btf, VMLINUX_BTF.to_owned(), ids))
}

fn dump(d: &DumpArgs) -> Result<(), String> {
    let source_err = |e: LoadError| crate::render::error::btf_source(&e);
    if d.all {
        let (btf, origin) = load(d.btf.as_ref()).map_err(source_err)?;
        return dump_all(&btf, d, &origin);
    }
    let name = d.name.as_deref().unwrap_or_default();
    let (btf, origin, ids) = load_finding(d.btf.as_ref(), name, d.kind).map_err(source_err)?;
    if ids.is_empty() {
        return Err(not_found(&btf, name, d.kind, &origin));
    }
    match d.format {
        Format::C => {
            let mut text = String::new();
            for (i, &id) in ids.iter().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                text.push_str(&btf::c::describe(&btf, id).map_err(|e| crate::render::error::chain(&e))?);
            }
            write_out(|w| w.write_all(text.as_bytes()))
        }
        Format::Raw => {
            let mut text = String::new();
            for &id in &ids {
                raw::lines(&btf, id, true, &mut text).map_err(|e| crate::render::error::chain(&e))?;
            }
            write_out(|w| w.write_all(text.as_bytes()))
        }
        Format::Json => {
            let doc = json::document(&btf, &origin, Some(name), &ids).map_err(|e| crate::render::error::chain(&e))?;
            write_out(|w| writeln!(w, "{}", doc))
        }
    }
}

/// Every id named `name`, of `kind` if given, in id order.
pub fn matching_ids(btf: &Btf, name: &str, kind: Option<Kind>) -> Vec<TypeId> {
    btf.ids_by_name(name).filter(|&id| kind_matches(btf, id, kind)).collect()
}

fn not_found(btf: &Btf, name: &str, kind: Option<Kind>, origin: &str) -> String {
    let mut msg = match kind {
        Some(k) => format!("no {k} named '{name}' in {origin} ({} types)", btf.count() - 1),
        None => format!("no type named '{name}' in {origin} ({} types)", btf.count() - 1),
    };
    if kind.is_some() {
        let others: Vec<String> = matching_ids(btf, name, None)
            .into_iter()
            .map(|id| format!("{} [{id}]", btf.kind_of(id).map(|k| k.name()).unwrap_or("?")))
            .collect();
        if !others.is_empty() {
            msg.push_str(&format!("\n  '{name}' exists as: {} (drop --kind to see it)", others.join(", ")));
            return msg;
        }
    }
    let close = btf::suggest::closest_names(btf, name, kind, 8);
    if close.is_empty() {
        msg.push_str("\n  no similar names either");
    } else {
        msg.push_str("\n  did you mean:");
        for (n, k) in close {
            msg.push_str(&format!("\n    {n} ({k})"));
        }
    }
    msg
}

fn dump_all(btf: &Btf, d: &DumpArgs, origin: &str) -> Result<(), String> {
    match d.format {
        Format::C => write_out(|w| match btf::c::write_header(btf, w) {
            Ok(_) => Ok(()),
            Err(btf::c::CError::Io(e)) => Err(e),
            Err(e) => Err(std::io::Error::other(crate::render::error::chain(&e))),
        }),
        Format::Raw => write_out(|w| {
            let mut text = String::with_capacity(1 << 20);
            for id in btf.ids() {
                if !kind_matches(btf, id, d.kind) {
                    continue;
                }
                raw::lines(btf, id, false, &mut text)
                    .map_err(|e| std::io::Error::other(crate::render::error::chain(&e)))?;
                if text.len() > 1 << 20 {
                    w.write_all(text.as_bytes())?;
                    text.clear();
                }
            }
            w.write_all(text.as_bytes())
        }),
        Format::Json => {
            let ids: Vec<TypeId> = btf.ids().filter(|&id| kind_matches(btf, id, d.kind)).collect();
            let doc = json::document(btf, origin, None, &ids).map_err(|e| crate::render::error::chain(&e))?;
            write_out(|w| writeln!(w, "{}", doc))
        }
    }
}

/// True if `kind` is unset or `id` has that kind.
fn kind_matches(btf: &Btf, id: TypeId, kind: Option<Kind>) -> bool {
    match kind {
        None => true,
        Some(k) => btf.kind_of(id).is_ok_and(|got| got == k),
    }
}
