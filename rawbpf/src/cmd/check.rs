//! `rawbpf check OBJ --btf PATH...`: will each program load on each of these kernels? Offline,
//! without root: the load pipeline's checks run against each kernel's BTF (`loader::check`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loader::check::version::{self, VersionFrom};
use loader::check::{check, Verdict};
use loader::object::Object;

use crate::json::obj;
use crate::render::error::chain;

const ABOUT: &str = "Predict, offline, whether each program of an object loads on each kernel given by its BTF";

const LONG_ABOUT: &str = "\
Predict, without root and without the kernels, whether each program of an object would load on
each kernel given by its BTF: a raw BTF file, a vmlinux ELF, a vmlinuz, a linux-image .deb, or a
directory of them (one kernel per file). Each program is checked alone, as `rawbpf load
--program NAME` would load it:

  section        a kind libbpf's section table knows, relocations rawbpf can link
  attach target  for fentry/fexit/fmod_ret/tp_btf/lsm/iter: present in that kernel's BTF
  CO-RE          every relocation resolved against that BTF; one that cannot be satisfied fails
                 the program only if the verifier reaches it (bpf_core_field_exists() guards
                 are followed through the constants CO-RE writes)
  externs        typed __ksym variables and kfuncs present (a missing __weak one only matters
                 if its call is reachable)
  helpers        every helper called is in that kernel's enum bpf_func_id
  types          its program type and the object's map types in enum bpf_prog_type / bpf_map_type
  context        no dereference of a moved context pointer; fentry/fexit/fmod_ret/tp_btf/lsm read
                 only the arguments of their target's prototype in that kernel's BTF (a
                 tracepoint that lost an argument shows here)

Branches are followed as the verifier follows them: CO-RE's constants, .rodata's initial values
and LINUX_KERNEL_VERSION decide them. The version is the running kernel's for its own
/sys/kernel/btf/vmlinux, the image's version string for a vmlinuz/vmlinux/.deb, else the file
name's when it starts with a release (BTFHub's 5.10.0-26-cloud-amd64.btf); when none tells, both
sides are followed and the reasons say so.

What BTF cannot tell — the verifier's limits and register types, a security policy, kprobe
targets that exist in kallsyms only — is not predicted. The text output is a kernels × programs matrix with the
reasons; --json prints one object per line: {\"program\", \"kernel\", \"loads\", \"reasons\",
\"core\" (each CO-RE relocation's result), \"sanitized\" (BTF kinds rewritten for that kernel),
\"kernel_version\" (a.b.c or null), \"kernel_version_from\"}.
Each BTF is parsed once.

Examples:
  rawbpf check progs/core_move.o --btf /sys/kernel/btf/vmlinux
  rawbpf check tool.bpf.o --btf btfs/ --json | jq 'select(.loads | not)'

Exit status: 0 when every program loads on every kernel, 1 when one does not or an input cannot
be read, 2 on bad usage.";

/// `rawbpf check OBJ --btf PATH...`
#[derive(Args, Debug)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct CheckArgs {
    /// The BPF object.
    pub object: PathBuf,
    /// A kernel's BTF (raw, vmlinux, vmlinuz, .deb) or a directory of them; repeat for several.
    #[arg(long, value_name = "PATH", required = true)]
    pub btf: Vec<PathBuf>,
    /// One JSON object per (program, kernel) line.
    #[arg(long)]
    pub json: bool,
}

/// Runs `rawbpf check`.
pub fn run(args: CheckArgs) -> ExitCode {
    match run_checks(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("rawbpf check: {e}");
            ExitCode::from(1)
        }
    }
}

/// Checks every kernel; true when every program loads on every one.
fn run_checks(args: &CheckArgs) -> Result<bool, String> {
    let object = Object::open(&args.object).map_err(|e| chain(&e))?;
    let mut all = true;
    let mut table: Vec<Kernel> = Vec::new();
    for path in kernels(&args.btf)? {
        let (btf, image_version) =
            btf::source::file_with_version(&path).map_err(|e| format!("{}: {}", path.display(), chain(&e)))?;
        let version = version::of(&path, image_version.as_deref());
        let verdicts = check(&object, &btf, version.as_ref().map(|(v, _)| *v));
        all &= verdicts.iter().all(Verdict::loads);
        let kernel = path.display().to_string();
        if args.json {
            let (number, from) = match &version {
                Some((v, from)) => (version_text(*v).into(), from.to_string().into()),
                None => (serde_json::Value::Null, serde_json::Value::Null),
            };
            for v in &verdicts {
                let reasons = v.reasons.iter().map(|r| chain(r).into()).collect();
                let core = v.core.iter().map(|c| c.to_string().into()).collect();
                let sanitized = v.sanitized.iter().map(|k| k.name().into()).collect();
                let line = obj([
                    ("program", v.program.clone().into()),
                    ("kernel", kernel.clone().into()),
                    ("loads", v.loads().into()),
                    ("reasons", serde_json::Value::Array(reasons)),
                    ("core", serde_json::Value::Array(core)),
                    ("sanitized", serde_json::Value::Array(sanitized)),
                    ("kernel_version", number.clone()),
                    ("kernel_version_from", from.clone()),
                ]);
                println!("{line}");
            }
        }
        table.push(Kernel { name: kernel, version, verdicts });
    }
    if !args.json {
        let reads_version = object.externs.iter().any(|e| e.name == "LINUX_KERNEL_VERSION");
        print!("{}", matrix(&table, reads_version));
    }
    Ok(all)
}

/// One kernel's column: its name as given, its version when known, the verdicts.
struct Kernel {
    name: String,
    version: Option<(u32, VersionFrom)>,
    verdicts: Vec<Verdict>,
}

/// `KERNEL_VERSION(a, b, c)` as `a.b.c`.
fn version_text(v: u32) -> String {
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}

/// The paths given, with each directory replaced by its files in name order.
fn kernels(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.is_file())
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Programs down, kernels across (numbered, named below), then every refusal's reasons; with
/// each kernel's `LINUX_KERNEL_VERSION` when the object reads it.
fn matrix(table: &[Kernel], reads_version: bool) -> String {
    let mut o = String::new();
    let Some(first) = table.first().map(|k| &k.verdicts) else { return o };
    let width = first.iter().map(|v| v.program.len()).max().unwrap_or(7).max(7);
    let mut head = format!("{:<width$}", "program");
    for i in 0..table.len() {
        head.push_str(&format!("  {:<6}", format!("[{}]", i + 1)));
    }
    o.push_str(head.trim_end());
    o.push('\n');
    for (row, v) in first.iter().enumerate() {
        let mut line = format!("{:<width$}", v.program);
        for Kernel { verdicts, .. } in table {
            line.push_str(&format!("  {:<6}", if verdicts[row].loads() { "loads" } else { "FAILS" }));
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    for (i, Kernel { name, version, verdicts }) in table.iter().enumerate() {
        o.push_str(&format!("\n[{}] {name}\n", i + 1));
        if reads_version {
            o.push_str(&match version {
                Some((v, from)) => format!("  LINUX_KERNEL_VERSION {} (from {from})\n", version_text(*v)),
                None => "  LINUX_KERNEL_VERSION unknown: neither the file nor its name tells\n".to_owned(),
            });
        }
        if let Some(v) = verdicts.first().filter(|v| !v.sanitized.is_empty()) {
            let kinds: Vec<&str> = v.sanitized.iter().map(|k| k.name()).collect();
            o.push_str(&format!("  BTF kinds rewritten for this kernel: {}\n", kinds.join(", ")));
        }
        for v in verdicts.iter().filter(|v| !v.loads()) {
            for r in &v.reasons {
                o.push_str(&format!("  {}: {}\n", v.program, chain(r)));
            }
        }
    }
    o
}
