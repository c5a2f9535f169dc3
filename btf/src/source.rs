//! Where BTF comes from: the running kernel, a module's split BTF, a raw file, or an ELF
//! object's `.BTF` section. Reading files is the only I/O in this crate.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object::{Object, ObjectSection};

use crate::btf::Btf;
use crate::error::{BtfError, ElfError, Result};
use crate::wire::Endian;

/// Where the running kernel exposes its BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Why BTF could not be loaded from a path.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The kernel exposes no BTF.
    #[error(
        "{path} does not exist: this kernel was built without CONFIG_DEBUG_INFO_BTF, so it describes none of its types"
    )]
    NoKernelBtf {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The file is a kernel image (vmlinuz, .deb, compressed) whose BTF could not be extracted.
    #[error("{path}")]
    Image {
        /// The path.
        path: PathBuf,
        /// Which layer failed, and how.
        source: crate::kernel_image::ImageError,
    },
    /// The bytes are not valid BTF.
    #[error("{path}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// What was wrong.
        source: BtfError,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io { path: path.to_owned(), source })
}

/// Loads the running kernel's BTF from `/sys/kernel/btf/vmlinux`.
pub fn vmlinux() -> Result<Btf, LoadError> {
    vmlinux_at(Path::new(VMLINUX_BTF))
}

/// Loads kernel BTF from `path`, explaining a missing file as a kernel without BTF.
pub fn vmlinux_at(path: &Path) -> Result<Btf, LoadError> {
    let data = read_kernel_btf(path)?;
    Btf::parse(data).map_err(|source| LoadError::Parse { path: path.to_owned(), source })
}

/// The bytes of kernel BTF at `path`, explaining a missing file as a kernel without BTF.
pub fn read_kernel_btf(path: &Path) -> Result<Vec<u8>, LoadError> {
    match std::fs::read(path) {
        Ok(data) => Ok(data),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(LoadError::NoKernelBtf { path: path.to_owned() }),
        Err(source) => Err(LoadError::Io { path: path.to_owned(), source }),
    }
}

/// Loads a kernel module's split BTF (`/sys/kernel/btf/<module>`) on top of `base`.
pub fn module(name: &str, base: Arc<Btf>) -> Result<Btf, LoadError> {
    let path = Path::new("/sys/kernel/btf").join(name);
    let data = read(&path)?;
    Btf::parse_split(data, base).map_err(|source| LoadError::Parse { path, source })
}

/// Loads BTF from a file holding raw BTF, an ELF object with a `.BTF` section, or a kernel image that
/// [`crate::kernel_image`] peels (a vmlinuz, a linux-image .deb, a compressed vmlinux).
pub fn file(path: &Path) -> Result<Btf, LoadError> {
    file_with_version(path).map(|(btf, _)| btf)
}

/// [`file()`], with the kernel's version string when the file carries one (a vmlinuz's setup header, a
/// vmlinux's `linux_banner`; see [`crate::kernel_image::Extracted::version`]). Raw BTF carries none.
pub fn file_with_version(path: &Path) -> Result<(Btf, Option<String>), LoadError> {
    let data = read(path)?;
    let parse_err = |source| LoadError::Parse { path: path.to_owned(), source };
    if is_raw_btf(&data) || data.starts_with(b"\x7fELF") {
        let version = if is_raw_btf(&data) { None } else { crate::kernel_image::elf_version(&data) };
        return parse_raw_or_elf(data).map(|b| (b, version)).map_err(parse_err);
    }
    match crate::kernel_image::extract(&data, &crate::kernel_image::Limits::default()) {
        Ok(x) => Btf::parse(x.btf).map(|b| (b, x.version)).map_err(parse_err),
        // Not an image either: the raw-or-ELF error says what was expected.
        Err(crate::kernel_image::ImageError::Unrecognized { after: crate::kernel_image::Layer::Input, .. }) => {
            parse_raw_or_elf(data).map(|b| (b, None)).map_err(parse_err)
        }
        Err(source) => Err(LoadError::Image { path: path.to_owned(), source }),
    }
}

fn is_raw_btf(data: &[u8]) -> bool {
    data.len() >= 2 && Endian::from_magic([data[0], data[1]]).is_some()
}

/// Parses bytes that are raw BTF or an ELF object carrying `.BTF`.
pub fn parse_raw_or_elf(data: Vec<u8>) -> Result<Btf> {
    if is_raw_btf(&data) {
        return Btf::parse(data);
    }
    Btf::parse(elf_section(&data, ".BTF")?)
}

/// Copies the named section out of an ELF object (`.BTF` or `.BTF.ext`).
pub fn elf_section(elf: &[u8], name: &str) -> Result<Vec<u8>> {
    let file = object::File::parse(elf).map_err(ElfError::NotElf)?;
    let section = file.section_by_name(name).ok_or_else(|| ElfError::NoSection { name: name.to_owned() })?;
    let bytes = section.data().map_err(|source| ElfError::SectionData { name: name.to_owned(), source })?;
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elf_errors_say_what_is_missing() {
        let err = parse_raw_or_elf(b"not an object".to_vec()).unwrap_err();
        assert!(matches!(err, BtfError::Elf(ElfError::NotElf(_))), "{err:?}");
        assert_eq!(err.to_string(), "ELF object");
        let cause = std::error::Error::source(&err).map(|c| c.to_string()).unwrap_or_default();
        assert!(cause.starts_with("not raw BTF and not a readable ELF"), "{cause}");
        // This test binary is an ELF without .BTF.
        let Ok(exe) = std::env::current_exe().and_then(std::fs::read) else {
            return println!("SKIP: elf_errors_say_what_is_missing: the test binary is not readable");
        };
        let err = elf_section(&exe, ".BTF").unwrap_err();
        assert_eq!(err, BtfError::Elf(ElfError::NoSection { name: ".BTF".into() }));
        let cause = std::error::Error::source(&err).map(|c| c.to_string()).unwrap_or_default();
        assert_eq!(cause, "no .BTF section (was it built with clang -g?)");
    }
}
