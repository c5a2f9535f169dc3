//! The kernel's version string, which an image carries next to its BTF: the bzImage setup header's
//! `kernel_version` field (boot protocol 2.00+: a pointer, less 0x200, to the string in the setup code), and
//! a vmlinux's `linux_banner` ("Linux version 6.1.0-18-amd64 (...) #1 SMP ... Debian 6.1.76-1 ..."). Both
//! start with the release `uname -r` prints and hold what `uname -v` prints, which is how libbpf computes
//! `LINUX_KERNEL_VERSION` on the running kernel.

use memchr::memmem;

/// Where the setup header keeps the pointer to the version string.
const KERNEL_VERSION_AT: usize = 0x20e;
/// The longest version string taken (the kernel's own banner fits in far less).
const MAX_LEN: usize = 512;
const BANNER: &[u8] = b"Linux version ";

/// The version string a bzImage's setup header points to.
pub(super) fn of_bzimage(data: &[u8]) -> Option<String> {
    let at = data.get(KERNEL_VERSION_AT..KERNEL_VERSION_AT + 2)?;
    let ptr = usize::from(u16::from_le_bytes([at[0], at[1]]));
    if ptr == 0 {
        return None;
    }
    text_at(data, ptr + 0x200)
}

/// The version string in a vmlinux's `linux_banner`, without its "Linux version " prefix.
pub(super) fn of_vmlinux(data: &[u8]) -> Option<String> {
    let at = memmem::find(data, BANNER)?;
    text_at(data, at + BANNER.len())
}

/// Printable text from `start` to the first NUL or newline, at most [`MAX_LEN`] bytes.
fn text_at(data: &[u8], start: usize) -> Option<String> {
    let rest = data.get(start..)?;
    let rest = &rest[..rest.len().min(MAX_LEN)];
    let end = rest.iter().position(|&b| b == 0 || b == b'\n')?;
    let text = &rest[..end];
    (!text.is_empty() && text.iter().all(|b| (0x20..0x7f).contains(b)))
        .then(|| String::from_utf8_lossy(text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_setup_headers_version_string() {
        let mut image = vec![0u8; 0x400];
        image[KERNEL_VERSION_AT..KERNEL_VERSION_AT + 2].copy_from_slice(&0x100u16.to_le_bytes());
        let s = b"6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 6.1.76-1\0";
        image[0x300..0x300 + s.len()].copy_from_slice(s);
        assert_eq!(
            of_bzimage(&image).as_deref(),
            Some("6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 6.1.76-1")
        );
        // A pointer past the end, a zero pointer, a string without its end: nothing.
        image[KERNEL_VERSION_AT..KERNEL_VERSION_AT + 2].copy_from_slice(&0xff00u16.to_le_bytes());
        assert_eq!(of_bzimage(&image), None);
        image[KERNEL_VERSION_AT..KERNEL_VERSION_AT + 2].copy_from_slice(&0u16.to_le_bytes());
        assert_eq!(of_bzimage(&image), None);
        assert_eq!(of_bzimage(&[0; 16]), None);
    }

    #[test]
    fn reads_the_vmlinux_banner() {
        let elf = b"\x7fELF....Linux version 5.10.0-26-amd64 (gcc) #1 SMP Debian 5.10.197-1 (2023-09-29)\n\0rest";
        assert_eq!(of_vmlinux(elf).as_deref(), Some("5.10.0-26-amd64 (gcc) #1 SMP Debian 5.10.197-1 (2023-09-29)"));
        assert_eq!(of_vmlinux(b"Linux version \x01\x02\0"), None, "not text");
        assert_eq!(of_vmlinux(b"Linux version 5.10 without an end"), None);
    }
}
