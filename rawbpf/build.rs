//! Links the release rawbpf binary with its hot functions first: `link/hot-symbols.txt` (made by
//! `link/regen-hot-symbols` from the functions the benchmarked commands run) is passed to the
//! linker as `--symbol-ordering-file`. The kernel maps a binary's file pages 64 KiB around each
//! page fault, so code spread over the whole text makes a run resident in most of it: grouped
//! first, the same code is a few contiguous pages (peak RSS of `rawbpf load` -1.2 MiB here).
//!
//! Relative relocations are packed (`-z pack-relative-relocs`, DT_RELR, glibc 2.36+): the binary
//! then reads ~3 KiB instead of ~160 KiB of `.rela.dyn` at every start (peak RSS -150 KiB).
//!
//! Only where rustc links with its bundled LLD (x86_64-unknown-linux-gnu since Rust 1.90, unless
//! RUSTFLAGS choose another linker): GNU ld does not know the option. Elsewhere the binary is
//! linked as usual, only larger in memory. Names the file lists that the binary lacks are
//! skipped silently (`--no-warn-symbol-ordering`); the `hot_symbols` test says when to regenerate.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let other_linker = var("CARGO_ENCODED_RUSTFLAGS").contains("link");
    if var("TARGET") != "x86_64-unknown-linux-gnu" || var("PROFILE") != "release" || other_linker {
        return;
    }
    if !rustc_links_with_lld(&var("RUSTC")) {
        return;
    }
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join("link/hot-symbols.txt");
    if !list.exists() {
        return;
    }
    println!("cargo:rustc-link-arg-bin=rawbpf=-Wl,--symbol-ordering-file={}", list.display());
    println!("cargo:rustc-link-arg-bin=rawbpf=-Wl,--no-warn-symbol-ordering");
    // A static binary (the default, .cargo/config.toml) relocates itself with the glibc it
    // embeds, which reads DT_RELR since 2.36 too.
    if glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bin=rawbpf=-Wl,-z,pack-relative-relocs");
    }
    // Tells the hot_symbols test that the order was asked for.
    println!("cargo:rustc-env=RAWBPF_HOT_ORDER=1");
}

/// True for rustc 1.90 or later, which links x86_64-unknown-linux-gnu with its bundled LLD.
fn rustc_links_with_lld(rustc: &str) -> bool {
    let rustc = if rustc.is_empty() { "rustc" } else { rustc };
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let release = text.lines().find_map(|l| l.strip_prefix("release: ")).unwrap_or("");
    let mut parts = release.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}

/// True if this machine's glibc (`getconf GNU_LIBC_VERSION`: "glibc 2.36") is at least
/// `major.minor`: a binary with DT_RELR needs it at run time.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.trim().strip_prefix("glibc ").unwrap_or("");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}
