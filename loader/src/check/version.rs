//! Which `LINUX_KERNEL_VERSION` a kernel given by its BTF would have, found as libbpf would
//! compute it there (`get_kernel_version`): a program that branches on it reads a constant the
//! verifier knows, so the path a kernel takes depends on it. Raw BTF does not say; the version
//! comes from the running kernel when the file is its `/sys/kernel/btf/vmlinux`, else from the
//! version string an image carries (a vmlinuz's header, a vmlinux's banner: Debian's names the
//! upstream version, as `uname -v` does), else from a file named after the release as BTFHub
//! names its files (`5.10.0-26-cloud-amd64.btf`).

use std::path::Path;

use crate::externs::system::{self, VersionSource};

/// Where a kernel's version came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionFrom {
    /// The file is the running kernel's BTF: its version, as `rawbpf load` computes it.
    Running(VersionSource),
    /// The version string in the image.
    Image(String),
    /// The file's name.
    FileName(String),
}

impl std::fmt::Display for VersionFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionFrom::Running(VersionSource::Signature(s)) => write!(f, "the running kernel: {s}"),
            VersionFrom::Running(VersionSource::Debian(s) | VersionSource::Release(s)) => {
                write!(f, "the running kernel: {s}")
            }
            VersionFrom::Image(s) => write!(f, "the image's version string: {s}"),
            VersionFrom::FileName(s) => write!(f, "the file name: {s}"),
        }
    }
}

/// `LINUX_KERNEL_VERSION` for the kernel whose BTF is at `path`, with `image_version` the version
/// string the file carried ([`btf::source::file_with_version`]); `None` when nothing tells.
pub fn of(path: &Path, image_version: Option<&str>) -> Option<(u32, VersionFrom)> {
    if is_running_kernel(path) {
        return system::kernel_version().map(|(v, s)| (v, VersionFrom::Running(s)));
    }
    if let Some(text) = image_version {
        return from_version_string(text).map(|v| (v, VersionFrom::Image(text.to_owned())));
    }
    let name = path.file_name()?.to_str()?;
    from_file_name(name).map(|v| (v, VersionFrom::FileName(name.to_owned())))
}

fn is_running_kernel(path: &Path) -> bool {
    let vmlinux = Path::new(btf::source::VMLINUX_BTF);
    path.canonicalize().ok().is_some_and(|p| vmlinux.canonicalize().is_ok_and(|v| p == v))
}

/// A version string (`6.1.0-18-amd64 (...) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (...)`): Debian's
/// upstream version when it names one, as libbpf reads `uname -v`; else the release it starts with.
pub fn from_version_string(text: &str) -> Option<u32> {
    system::version_from_debian(text).or_else(|| system::version_from_release(text.split_whitespace().next()?))
}

/// A file named after a release, possibly with a kernel-file prefix: `5.10.0-26-amd64.btf`,
/// `vmlinux-6.1.0-18-amd64`, `vmlinuz-6.12.9-amd64`.
pub fn from_file_name(name: &str) -> Option<u32> {
    let release = ["vmlinux-", "vmlinuz-", "linux-image-"].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name);
    release.starts_with(|c: char| c.is_ascii_digit()).then_some(())?;
    system::version_from_release(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_libbpf_would_compute_them_there() {
        let debian = "5.10.0-26-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 5.10.197-1 (2023-09-29)";
        assert_eq!(from_version_string(debian), Some(0x050ac5));
        assert_eq!(from_version_string("6.12.9 (me@host) #1 SMP"), Some(0x060c09));
        assert_eq!(from_version_string("garbage"), None);
        assert_eq!(from_file_name("5.10.0-26-cloud-amd64.btf"), Some(0x050a00));
        assert_eq!(from_file_name("vmlinuz-6.1.0-18-amd64"), Some(0x060100));
        assert_eq!(from_file_name("vmlinux"), None);
        assert_eq!(from_file_name("kernel.btf"), None);
    }

    #[test]
    fn a_file_with_nothing_to_say_has_no_version() {
        assert_eq!(of(Path::new("/nonexistent/kernel.btf"), None), None);
        let (v, from) = of(Path::new("/x/4.19.0-21-amd64.btf"), None).unwrap();
        assert_eq!((v, from), (0x041300, VersionFrom::FileName("4.19.0-21-amd64.btf".into())));
        let (v, _) = of(Path::new("/x/4.19.0-21-amd64.btf"), Some("5.4.0 #1")).unwrap();
        assert_eq!(v, 0x050400, "the image's own string wins over the name");
    }
}
