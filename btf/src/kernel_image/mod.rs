//! Raw BTF out of a kernel as distributions ship it: a vmlinuz (x86 bzImage whose payload is gzip, bzip2, xz,
//! lzma, LZ4 legacy, lzop or zstd), a vmlinux ELF, a Debian `linux-image-*.deb` (or its -dbg package), raw BTF,
//! or any of these inside another (a gzip'd vmlinux, a compressed BTF file).
//!
//! The layers are peeled one at a time, each recognized by its leading bytes, until raw BTF remains; for a
//! kernel that is the vmlinux's `.BTF` section, which is what the booted kernel exposes at
//! /sys/kernel/btf/vmlinux. [`Limits`] caps what each layer may decompress and how deep layers nest, so
//! hostile input costs bounded memory and time; every failure is an [`ImageError`] naming the layer.

mod banner;
mod bzimage;
mod cursor;
mod deb;
mod decompress;
mod detect;
mod elf;
mod error;
mod lz4;
mod lzo1x;
mod lzop;
#[cfg(test)]
mod tests;

pub use error::{ImageError, Layer};

/// Bounds on what an extraction may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one layer may produce (a decompressed stream, a package member).
    pub max_output: u64,
    /// The most layers that may nest (a .deb holding a bzImage holding an lz4 vmlinux is 5 with its BTF).
    pub max_depth: u32,
}

impl Default for Limits {
    /// 1 GiB per layer (a vmlinux with debug info is a few hundred MB), 8 layers.
    fn default() -> Self {
        Limits { max_output: 1 << 30, max_depth: 8 }
    }
}

/// One layer peeled off on the way to the BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What the layer is.
    pub layer: Layer,
    /// Where its contents start in its own input (the bzImage's payload, the ELF's `.BTF`; 0 for streams).
    pub offset: u64,
    /// Bytes of its input.
    pub input_len: u64,
    /// Bytes it yielded to the next layer.
    pub output_len: u64,
    /// For a .deb, the member and the path of the kernel in it (`data.tar.xz:./boot/vmlinuz-6.1.0-…`).
    pub detail: Option<String>,
}

/// The BTF found, and the layers it was found under (outermost first; the last is [`Layer::Btf`]).
#[derive(Clone, Debug)]
pub struct Extracted {
    /// The raw BTF bytes.
    pub btf: Vec<u8>,
    /// The layers, outermost first.
    pub steps: Vec<Step>,
    /// The kernel's version string, when a layer carries one: the bzImage header's, else the
    /// vmlinux's `linux_banner` without "Linux version " (`6.1.0-18-amd64 (...) #1 SMP ... Debian 6.1.76-1`).
    pub version: Option<String>,
}

/// Extracts the raw BTF from `data`, a kernel image or anything this module peels (see the module doc).
pub fn extract(data: &[u8], limits: &Limits) -> Result<Extracted, ImageError> {
    let mut steps = Vec::new();
    let mut version = None;
    let btf = peel(data, Layer::Input, limits, &mut steps, &mut version)?;
    Ok(Extracted { btf, steps, version })
}

/// The version string of an image, if `data` is a vmlinux ELF (its `linux_banner`).
pub fn elf_version(data: &[u8]) -> Option<String> {
    banner::of_vmlinux(data)
}

/// Recognizes `data` (the output of layer `after`) and peels it down to BTF, recording each layer
/// and the first version string one carries.
fn peel(
    data: &[u8],
    after: Layer,
    limits: &Limits,
    steps: &mut Vec<Step>,
    version: &mut Option<String>,
) -> Result<Vec<u8>, ImageError> {
    if steps.len() as u32 >= limits.max_depth {
        return Err(ImageError::TooDeep { max: limits.max_depth });
    }
    let layer = detect::detect(data)
        .ok_or_else(|| ImageError::Unrecognized { after, head: data[..data.len().min(8)].to_vec() })?;
    let step = |offset: u64, output_len: usize, detail: Option<String>| Step {
        layer,
        offset,
        input_len: data.len() as u64,
        output_len: output_len as u64,
        detail,
    };
    match layer {
        Layer::Btf => {
            steps.push(step(0, data.len(), None));
            Ok(data.to_vec())
        }
        Layer::Elf => {
            let (offset, btf) = elf::btf_section(data)?;
            steps.push(step(offset, btf.len(), None));
            if version.is_none() {
                *version = banner::of_vmlinux(data);
            }
            peel(btf, layer, limits, steps, version)
        }
        Layer::BzImage => {
            *version = version.take().or_else(|| banner::of_bzimage(data));
            peel_bzimage(data, limits, steps, version)
        }
        Layer::Deb => {
            let found = deb::kernel(data, limits)?;
            steps.push(step(0, found.bytes.len(), Some(format!("{}:{}", found.member, found.path))));
            peel(&found.bytes, layer, limits, steps, version)
        }
        codec => {
            let out = decompress::decompress(codec, data, limits.max_output)?;
            steps.push(step(0, out.len(), None));
            peel(&out, layer, limits, steps, version)
        }
    }
}

/// A bzImage: its payload, decoded with the codec its first bytes name, checked against the declared length.
fn peel_bzimage(
    data: &[u8],
    limits: &Limits,
    steps: &mut Vec<Step>,
    version: &mut Option<String>,
) -> Result<Vec<u8>, ImageError> {
    let payload = bzimage::payload(data)?;
    let codec = detect::detect(payload.data).filter(|&l| detect::is_codec(l)).ok_or_else(|| {
        ImageError::Unrecognized { after: Layer::BzImage, head: payload.data[..payload.data.len().min(8)].to_vec() }
    })?;
    let stream = bzimage::stream(&payload, codec);
    steps.push(Step {
        layer: Layer::BzImage,
        offset: payload.offset as u64,
        input_len: data.len() as u64,
        output_len: stream.len() as u64,
        detail: None,
    });
    if steps.len() as u32 >= limits.max_depth {
        return Err(ImageError::TooDeep { max: limits.max_depth });
    }
    let out = decompress::decompress(codec, stream, limits.max_output)?;
    // The trailer is 32 bits: a vmlinux over 4 GiB would wrap, and gzip's ISIZE is defined modulo 2^32 anyway.
    if out.len() as u32 != payload.declared || (codec != Layer::Gzip && out.len() as u64 > u64::from(u32::MAX)) {
        return Err(ImageError::SizeMismatch {
            layer: codec,
            declared: payload.declared.into(),
            got: out.len() as u64,
        });
    }
    steps.push(Step {
        layer: codec,
        offset: 0,
        input_len: stream.len() as u64,
        output_len: out.len() as u64,
        detail: None,
    });
    peel(&out, codec, limits, steps, version)
}
