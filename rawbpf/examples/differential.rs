//! Test support, not an example of rawbpf's use: the libbpf-tools differential test
//! (rawbpf/tests/libbpf_tools) as a program, for the VM harness, which cannot run a cargo test
//! inside its guests. Same modules, included by path.
//!
//!   differential carve DIR
//!       carve the BPF objects of the installed libbpf-tools into DIR (on the host)
//!   differential run --oracle BIN --rawbpf BIN --corpus DIR --expected-dir DIR
//!                    [--workers N] [--timeout SECS] [--scratch DIR]
//!       compare both loaders on every program of DIR/*.bpf.o against the expectations for the
//!       running kernel, EXPECTED_DIR/MAJOR.MINOR.txt (FILE); print the table, the failures and
//!       the expectations file this run would write (between @@DIFFERENTIAL-EXPECTED markers,
//!       which `RAWBPF_DIFF_BLESS=1 tests/vm/run` copies back) and one @@RAWBPF-NOTE line of
//!       counts (the VM report shows it); exit 0 when the ratchet holds,
//!       1 when it fails, 77 when FILE does not exist (and nothing else failed), 2 on bad usage.

#[path = "../tests/libbpf_tools/agreement.rs"]
mod agreement;
#[path = "../tests/libbpf_tools/carve.rs"]
mod carve;
#[path = "../tests/libbpf_tools/loaders.rs"]
mod loaders;
#[path = "../tests/libbpf_tools/min.rs"]
mod min;
#[path = "../tests/libbpf_tools/ratchet.rs"]
mod ratchet;
#[path = "../tests/libbpf_tools/run.rs"]
mod run;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn usage() -> ExitCode {
    eprintln!("usage: differential carve DIR");
    eprintln!("       differential run --oracle BIN --rawbpf BIN --corpus DIR --expected-dir DIR [--workers N] [--timeout SECS] [--scratch DIR]");
    ExitCode::from(2)
}

fn carve_cmd(dir: &Path) -> ExitCode {
    let exes = match carve::libbpf_tools_executables() {
        Ok(e) => e,
        Err(why) => {
            eprintln!("differential: {why}");
            return ExitCode::FAILURE;
        }
    };
    match carve::carve_into(dir, &exes) {
        Ok((objects, notes)) => {
            notes.iter().for_each(|n| eprintln!("differential: note: {n}"));
            eprintln!(
                "differential: {} executables carved into {} objects in {}",
                exes.len(),
                objects.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("differential: carving into {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn run_cmd(opts: &HashMap<String, String>) -> ExitCode {
    let path = |k: &str| opts.get(k).map(PathBuf::from);
    let (Some(oracle), Some(rawbpf), Some(corpus), Some(dir)) =
        (path("oracle"), path("rawbpf"), path("corpus"), path("expected-dir"))
    else {
        return usage();
    };
    let number = |k: &str, default: u64| opts.get(k).map_or(Some(default), |v| v.parse().ok());
    let (Some(workers), Some(timeout)) = (number("workers", 1), number("timeout", 120)) else { return usage() };
    let scratch = path("scratch").unwrap_or_else(|| std::env::temp_dir().join("differential"));
    let objects = match std::fs::create_dir_all(&scratch).and_then(|_| carve::objects_in(&corpus)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("differential: {}: {e}", corpus.display());
            return ExitCode::FAILURE;
        }
    };
    let release = run::kernel_release();
    let settle = loaders::Baseline::if_memlock_charged(&release);
    let mut loaders = loaders::Loaders {
        oracle,
        rawbpf: rawbpf.clone(),
        scratch: scratch.clone(),
        timeout: Duration::from_secs(timeout),
        settle,
        btf: None,
    };
    let started = Instant::now();
    let (rows, notes, workers) = run::run(&objects, &loaders, workers as usize);
    let key = run::major_minor(&release);
    let file = dir.join(format!("{key}.txt"));
    let expected = std::fs::read_to_string(&file).ok().map(|t| ratchet::parse_expected(&t));
    let outcome = ratchet::compare(&rows, expected.as_ref(), &release);
    // The expectations this run would write first: a failure's report then ends the output, where the VM
    // harness shows the last lines.
    let how = format!("RAWBPF_DIFF_BLESS=1 tests/vm/run --kernel {key} libbpf-tools");
    println!("@@DIFFERENTIAL-EXPECTED BEGIN {key}");
    print!("{}", ratchet::format_expected(&rows, &key, &how));
    println!("@@DIFFERENTIAL-EXPECTED END");
    notes.iter().for_each(|n| println!("note: {n}"));
    print!("{}", outcome.report);
    println!("run time {:.1} s with {workers} workers", started.elapsed().as_secs_f64());
    let verdict =
        if outcome.failures.is_empty() { "holds".into() } else { format!("{} failures", outcome.failures.len()) };
    println!(
        "@@RAWBPF-NOTE libbpf-tools: {}; ratchet {verdict}; {:.0} s",
        outcome.summary,
        started.elapsed().as_secs_f64()
    );
    // rawbpf check's offline verdicts against these loads (issue: >= 99% of pairs must agree).
    let known = std::fs::read_to_string(dir.join(format!("{key}.check.txt")))
        .map(|t| agreement::parse_known(&t))
        .unwrap_or_default();
    let agreement = agreement::compare(&rows, &objects, &rawbpf, Path::new("/sys/kernel/btf/vmlinux"), &known);
    agreement.disagreements.iter().for_each(|d| println!("check: {d}"));
    agreement.failures.iter().for_each(|f| println!("  FAIL check: {f}"));
    println!("@@RAWBPF-NOTE libbpf-tools: {}", agreement.summary());
    let min_failures = min_btf_pass(&rows, &objects, &mut loaders, &scratch.join("min"), workers);
    min_failures.iter().for_each(|f| println!("  FAIL min: {f}"));
    if !outcome.failures.is_empty() || !agreement.failures.is_empty() || !min_failures.is_empty() {
        ExitCode::FAILURE
    } else if expected.is_none() {
        println!("SKIP: no {}: gaps not checked here (RAWBPF_DIFF_BLESS=1 creates it)", file.display());
        ExitCode::from(77)
    } else {
        ExitCode::SUCCESS
    }
}

/// The minimal-BTF pass (`min.rs`) in the guest: each program libbpf loaded with the full
/// kernel BTF must load in rawbpf from its object's minimal BTF with the same tag. Prints the
/// sizes; returns the failures.
fn min_btf_pass(
    rows: &[ratchet::Row],
    objects: &[carve::Object],
    loaders: &mut loaders::Loaders,
    dir: &Path,
    workers: usize,
) -> Vec<String> {
    let bytes = match min::write_all(&loaders.rawbpf, objects, dir) {
        Ok(b) => b,
        Err(failures) => return failures,
    };
    loaders.btf = Some(dir.to_owned());
    let (min_rows, _, _) = run::run(objects, loaders, workers);
    loaders.btf = None;
    let (same, failures) = min::compare(rows, &min_rows);
    let kernel = std::fs::metadata(min::VMLINUX).map_or(0, |m| m.len());
    println!(
        "@@RAWBPF-NOTE libbpf-tools: minimal BTF: {} objects, {bytes} bytes in all (kernel BTF {kernel} bytes); {same} programs load from it with libbpf's full-BTF tag, {} do not",
        objects.len(),
        failures.len()
    );
    failures
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("carve") if args.len() == 2 => carve_cmd(Path::new(&args[1])),
        Some("run") if args.len() % 2 == 1 => {
            let mut opts = HashMap::new();
            for pair in args[1..].chunks(2) {
                let Some(key) = pair[0].strip_prefix("--") else { return usage() };
                opts.insert(key.to_owned(), pair[1].clone());
            }
            run_cmd(&opts)
        }
        _ => usage(),
    }
}
