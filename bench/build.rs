//! Builds the reference drivers (ref/*.c) twice: against libbpf 1.7.0, the static library that
//! the libbpf-sys crate builds from its vendored sources (its build script exports the include
//! directory, beside which `libbpf.a` lies), and against the system's libbpf (Debian's
//! libbpf-dev) when its headers are installed. The benches find them in `RAWBPF_BENCH_REF_DIR`
//! as `NAME-1.7` and `NAME-system`.

use std::path::{Path, PathBuf};
use std::process::Command;

const DRIVERS: &[&str] = &["version", "btf_find", "btf_header", "load"];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let include = PathBuf::from(std::env::var_os("DEP_BPF_INCLUDE").expect("libbpf-sys exports its include dir"));
    let static_lib = include.parent().expect("include dir has a parent").join("libbpf.a");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    println!("cargo:rerun-if-changed=ref");
    println!("cargo:rerun-if-env-changed=CC");
    for name in DRIVERS {
        let src = Path::new("ref").join(format!("{name}.c"));
        let vendored = out.join(format!("{name}-1.7"));
        let args = [
            "-I".as_ref(),
            include.as_os_str(),
            src.as_os_str(),
            static_lib.as_os_str(),
            "-lelf".as_ref(),
            "-lz".as_ref(),
        ];
        if let Err(e) = compile(&cc, &vendored, &args) {
            panic!("building {name} against libbpf 1.7 failed:\n{e}");
        }
        let system = out.join(format!("{name}-system"));
        std::fs::remove_file(&system).ok();
        if Path::new("/usr/include/bpf/libbpf.h").exists() {
            if let Err(e) = compile(&cc, &system, &[src.as_os_str(), "-lbpf".as_ref()]) {
                println!("cargo:warning=no system-libbpf {name} driver: {e}");
            }
        }
    }
    println!("cargo:rustc-env=RAWBPF_BENCH_REF_DIR={}", out.display());
}

fn compile(cc: &str, exe: &Path, args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let output =
        Command::new(cc).args(["-O2", "-Wall", "-o"]).arg(exe).args(args).output().map_err(|e| format!("{cc}: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(())
}
