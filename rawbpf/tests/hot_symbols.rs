//! The release binary is linked with its hot functions first (build.rs, link/hot-symbols.txt):
//! when the list still names the binary's functions (symbol hashes change with the release
//! profile, Cargo.lock and the toolchain), the linker must have grouped them.
//!
//! Checked on the binary as shipped, `cargo build --release -p rawbpf` (built here into its own
//! target dir): a workspace test build unifies features with the dev-dependencies, so its crates
//! get other symbol hashes than the product's and the list never matches it.

use std::path::PathBuf;
use std::process::Command;

use object::{Object, ObjectSymbol, SymbolKind};

/// Builds the product binary into `target/tmp/hot-symbols` and returns its path.
fn product_binary() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hot-symbols");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "rawbpf", "--bin", "rawbpf", "--message-format=json", "--target-dir"])
        .arg(&dir)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run cargo build");
    assert!(out.status.success(), "cargo build -p rawbpf:\n{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let exe = stdout.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).find_map(|m| {
        let is_bin = m["target"]["name"] == "rawbpf" && m["target"]["kind"][0] == "bin";
        m["executable"].as_str().filter(|_| is_bin).map(PathBuf::from)
    });
    exe.expect("cargo reported no rawbpf executable")
}

#[test]
fn hot_functions_are_listed_and_grouped_first() {
    if option_env!("RAWBPF_HOT_ORDER").is_none() {
        return println!("SKIP: hot_functions_are_listed_and_grouped_first: no symbol order for this build (debug profile, another target or linker)");
    }
    let list = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/link/hot-symbols.txt")).unwrap();
    let wanted: std::collections::HashSet<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    let data = std::fs::read(product_binary()).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let text = || file.symbols().filter(|s| s.kind() == SymbolKind::Text && s.size() > 0);
    let funcs: Vec<(u64, u64, bool)> =
        text().map(|s| (s.address(), s.size(), s.name().is_ok_and(|n| wanted.contains(n)))).collect();
    let names: std::collections::HashSet<&str> = text().filter_map(|s| s.name().ok()).collect();
    let found = wanted.iter().filter(|n| names.contains(*n)).count();
    // Symbol hashes follow Cargo.lock and the toolchain, so a list goes stale without any code
    // change: that costs memory (the benchmarks show it), not correctness, hence a skip. A fresh
    // list finds ~98%; at 747 of 782 (95.5%) a load's peak RSS was 1.07–1.11× libbpf 1.7's
    // against 0.92–0.97× after regenerating, so below 97% it is stale.
    if found * 100 < wanted.len() * 97 {
        return println!(
            "SKIP: hot_functions_are_listed_and_grouped_first: the list is stale, only {found} of {} listed functions are in the binary (regenerate it: sudo rawbpf/link/regen-hot-symbols)",
            wanted.len()
        );
    }
    // Grouped: the listed functions lie in one stretch not much larger than their own size.
    let (lo, hi) = funcs.iter().filter(|f| f.2).fold((u64::MAX, 0), |(lo, hi), f| (lo.min(f.0), hi.max(f.0 + f.1)));
    let size: u64 = funcs.iter().filter(|f| f.2).map(|f| f.1).sum();
    assert!(hi - lo <= size * 3 / 2 + 4096, "listed functions spread over {} bytes for {size} bytes of code", hi - lo);
    println!("{found} of {} hot functions, {size} bytes in a stretch of {} bytes", wanted.len(), hi - lo);
}
