//! `rawbpf btf extract`: the layers peeled off a kernel image, and why an image gave no BTF.

use btf::kernel_image::{Extracted, ImageError, Layer, Step};

use super::error::chain;
use crate::json::{obj, opt, Json};

/// What one layer was, in words: `bzImage   payload at byte 0x4a0c (13.5 MiB)`.
fn step_line(s: &Step) -> String {
    let what = match s.layer {
        Layer::Deb => format!("{} ({})", s.detail.as_deref().unwrap_or("?"), size(s.output_len)),
        Layer::BzImage => format!("payload at byte {:#x} ({})", s.offset, size(s.output_len)),
        Layer::Elf => format!(".BTF at byte {:#x} ({})", s.offset, size(s.output_len)),
        Layer::Btf => size(s.input_len),
        _ => format!("{} -> {}", size(s.input_len), size(s.output_len)),
    };
    format!("  {:<8} {what}", s.layer.name())
}

/// Bytes, exact, with a readable unit beside them past a KiB.
fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{n} bytes, {:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{n} bytes, {:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// The text report: the file, each layer, the BTF's type count, where it went.
pub fn report(file: &str, file_len: u64, x: &Extracted, types: u32, out: &str) -> String {
    let mut s = format!("{file}: {}\n", size(file_len));
    for step in &x.steps {
        s.push_str(&step_line(step));
        s.push('\n');
    }
    s.push_str(&format!("wrote {} bytes of BTF ({types} types) to {out}\n", x.btf.len()));
    s
}

/// The same as one JSON document.
pub fn report_json(file: &str, file_len: u64, x: &Extracted, types: u32, out: &str) -> Json {
    let layers = x
        .steps
        .iter()
        .map(|s| {
            obj([
                ("layer", s.layer.name().into()),
                ("offset", s.offset.into()),
                ("input_bytes", s.input_len.into()),
                ("output_bytes", s.output_len.into()),
                ("detail", opt(s.detail.clone())),
            ])
        })
        .collect();
    obj([
        ("file", file.into()),
        ("file_bytes", file_len.into()),
        ("layers", Json::Array(layers)),
        ("btf_bytes", (x.btf.len() as u64).into()),
        ("types", types.into()),
        ("output", out.into()),
    ])
}

/// An extraction failure, with what it usually means.
pub fn error(file: &str, e: &ImageError) -> String {
    let hint = match e {
        ImageError::Unrecognized { after: Layer::Input, .. } => {
            "\n  expected raw BTF, a vmlinux ELF, a vmlinuz (x86 bzImage), a gzip/bzip2/xz/lzma/lz4 -l/lzop/zstd \
             stream of one, or a Debian linux-image-*.deb"
        }
        ImageError::Unrecognized { .. } => "\n  the layer decoded, but what it holds is no kernel, ELF or BTF",
        ImageError::NoBtfSection => {
            "\n  this kernel was built without CONFIG_DEBUG_INFO_BTF (or its vmlinux was stripped of .BTF): \
             it carries no BTF to extract"
        }
        ImageError::NoKernel { .. } => {
            "\n  linux-image-* packages hold boot/vmlinuz-*, linux-image-*-dbg ones usr/lib/debug/boot/vmlinux-*; \
             headers and modules packages hold neither"
        }
        ImageError::TooLarge { .. } => {
            "\n  layers are capped so hostile input cannot exhaust memory; no kernel is this large"
        }
        ImageError::TooDeep { .. } => "\n  real images nest 5 layers at most (.deb, bzImage, codec, ELF, BTF)",
        ImageError::SizeMismatch { .. } | ImageError::Truncated { .. } => {
            "\n  the file is truncated or corrupt: download it again"
        }
        _ => "",
    };
    format!("{file}: {}{hint}", chain(e))
}
