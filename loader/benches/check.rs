//! Offline checks per kernel: parsing one kernel's BTF (from a file, as `rawbpf check --btf`
//! reads it) and checking every program of an object against it, the cost `rawbpf check OBJ
//! --btf DIR` pays per kernel (it checks the kernels one after another). Prints the median per
//! kernel and what 100 kernels would take; never asserts on time.
//!
//!   cargo bench -p loader --bench check          (CHECK_BENCH_ITERS, default 20)

use std::path::{Path, PathBuf};
use std::time::Instant;

use loader::check::check;
use loader::object::Object;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let kernel = Path::new(btf::source::VMLINUX_BTF);
    if !kernel.exists() {
        println!("SKIP: check benchmark: no {} to stand for a kernel's BTF", kernel.display());
        return;
    }
    // A regular file, as --btf files are (sysfs would be mapped instead).
    let copy = std::env::temp_dir().join(format!("rawbpf-check-bench-{}.btf", std::process::id()));
    std::fs::copy(kernel, &copy).expect("copy the kernel's BTF");
    let iters =
        if benching { std::env::var("CHECK_BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20) } else { 1 };
    println!("check benchmark: parse one kernel BTF file + check every program, median of {iters}");
    println!("{:<16} {:>9} {:>14} {:>12}", "object", "programs", "ms per kernel", "100 kernels");
    for name in ["core_move", "connect", "maps_globals", "sections"] {
        let path = root().join("progs").join(format!("{name}.o"));
        let Ok(obj) = Object::open(&path) else {
            println!("{name:<16} not built (progs-build/build)");
            continue;
        };
        let mut t = Vec::new();
        for _ in 0..iters {
            let start = Instant::now();
            let btf = btf::source::file(&copy).expect("parse the BTF");
            let verdicts = check(&obj, &btf, None);
            std::hint::black_box(&verdicts);
            t.push(start.elapsed().as_secs_f64() * 1e3);
        }
        let ms = median(t);
        println!("{name:<16} {:>9} {ms:>14.2} {:>10.2} s", obj.programs.len(), ms * 100.0 / 1e3);
    }
    std::fs::remove_file(&copy).ok();
}
