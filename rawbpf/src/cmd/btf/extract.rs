//! `rawbpf btf extract FILE -o OUT`: the raw BTF of a kernel as distributions ship it.

use std::path::PathBuf;

use btf::kernel_image::{self, Limits};
use clap::Args;

use crate::render::kernel_image as render;

pub(super) const EXTRACT_LONG_ABOUT: &str = "\
Write the raw BTF of a kernel image to a file: what that kernel, once booted, exposes at
/sys/kernel/btf/vmlinux, byte for byte, read offline.

FILE may be a vmlinuz (an x86 bzImage whose payload is gzip, bzip2, xz, lzma, lz4, lzo or
zstd), a vmlinux ELF (its .BTF section), a Debian linux-image-*.deb (boot/vmlinuz-*) or
linux-image-*-dbg .deb (usr/lib/debug/boot/vmlinux-*), raw BTF, or a compressed stream of
any of these. The layers are peeled one by one and each is printed; every layer is capped at
1 GiB so a hostile file cannot exhaust memory.

Every `rawbpf btf` command reads such files with --btf too.

Examples:
  rawbpf btf extract /boot/vmlinuz-$(uname -r) -o vmlinux.btf
  rawbpf btf extract linux-image-6.1.0-57-cloud-amd64-unsigned_6.1.158-1_amd64.deb -o 6.1.btf
  rawbpf btf extract vmlinuz -o - | bpftool btf dump file /dev/stdin

Exit status: 0 when BTF was written, 1 when the file holds none or cannot be read, 2 on bad usage.";

#[derive(Args, Debug)]
pub(super) struct ExtractArgs {
    /// The kernel image: vmlinuz, vmlinux, linux-image .deb, raw or compressed BTF.
    file: PathBuf,
    /// Where to write the raw BTF (`-` for stdout; the report then goes to stderr).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Print the report as one JSON document.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(a: &ExtractArgs) -> Result<(), String> {
    let file = a.file.display().to_string();
    let data = std::fs::read(&a.file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let x = kernel_image::extract(&data, &Limits::default()).map_err(|e| render::error(&file, &e))?;
    // Parsed before it is written: the bytes must be BTF a loader can use, and the count goes in the report.
    let types = btf::Btf::parse(x.btf.clone())
        .map_err(|e| format!("{file}: the extracted bytes are not valid BTF: {}", crate::render::error::chain(&e)))?
        .count()
        - 1;
    let to_stdout = a.output.as_os_str() == "-";
    let out = if to_stdout { "stdout".to_owned() } else { a.output.display().to_string() };
    if to_stdout {
        super::write_out(|w| w.write_all(&x.btf))?;
    } else {
        std::fs::write(&a.output, &x.btf).map_err(|e| format!("cannot write {out}: {e}"))?;
    }
    let text = if a.json {
        format!("{}\n", render::report_json(&file, data.len() as u64, &x, types, &out))
    } else {
        render::report(&file, data.len() as u64, &x, types, &out)
    };
    if to_stdout {
        eprint!("{text}");
        Ok(())
    } else {
        super::write_out(|w| w.write_all(text.as_bytes()))
    }
}
