//! A vmlinux (or any ELF) and its `.BTF` section: the section pahole wrote, which the kernel exposes as
//! /sys/kernel/btf/vmlinux byte for byte.

use object::{Object, ObjectSection};

use super::error::{ImageError, Layer};

/// The `.BTF` section of the ELF `data`, and its file offset.
pub(super) fn btf_section(data: &[u8]) -> Result<(u64, &[u8]), ImageError> {
    let file = object::File::parse(data).map_err(|source| ImageError::Elf { source })?;
    let section = file.section_by_name(".BTF").ok_or(ImageError::NoBtfSection)?;
    let offset = section.file_range().map_or(0, |(start, _)| start);
    let bytes = section.data().map_err(|source| ImageError::Elf { source })?;
    if !(bytes.starts_with(&[0x9f, 0xeb]) || bytes.starts_with(&[0xeb, 0x9f])) {
        return Err(ImageError::Malformed { layer: Layer::Elf, offset, what: ".BTF section without the BTF magic" });
    }
    Ok((offset, bytes))
}
