//! `rawbpf check OBJ --btf PATH...`: will each program load on each of these kernels? Offline,
//! without root: the load pipeline's checks run against each kernel's BTF (`loader::check`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
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

What BTF cannot tell — the verifier's limits, a security policy, kprobe targets that exist in
kallsyms only — is not predicted. The text output is a kernels × programs matrix with the
reasons; --json prints one object per line: {\"program\", \"kernel\", \"loads\", \"reasons\",
\"core\" (each CO-RE relocation's result), \"sanitized\" (BTF kinds rewritten for that kernel)}.
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
    let mut table: Vec<(String, Vec<Verdict>)> = Vec::new();
    for path in kernels(&args.btf)? {
        let btf = btf::source::file(&path).map_err(|e| format!("{}: {}", path.display(), chain(&e)))?;
        let verdicts = check(&object, &btf);
        all &= verdicts.iter().all(Verdict::loads);
        let kernel = path.display().to_string();
        if args.json {
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
                ]);
                println!("{line}");
            }
        }
        table.push((kernel, verdicts));
    }
    if !args.json {
        print!("{}", matrix(&table));
    }
    Ok(all)
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

/// Programs down, kernels across (numbered, named below), then every refusal's reasons.
fn matrix(table: &[(String, Vec<Verdict>)]) -> String {
    let mut o = String::new();
    let Some((_, first)) = table.first() else { return o };
    let width = first.iter().map(|v| v.program.len()).max().unwrap_or(7).max(7);
    let mut head = format!("{:<width$}", "program");
    for i in 0..table.len() {
        head.push_str(&format!("  {:<6}", format!("[{}]", i + 1)));
    }
    o.push_str(head.trim_end());
    o.push('\n');
    for (row, v) in first.iter().enumerate() {
        let mut line = format!("{:<width$}", v.program);
        for (_, verdicts) in table {
            line.push_str(&format!("  {:<6}", if verdicts[row].loads() { "loads" } else { "FAILS" }));
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    for (i, (kernel, verdicts)) in table.iter().enumerate() {
        o.push_str(&format!("\n[{}] {kernel}\n", i + 1));
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
