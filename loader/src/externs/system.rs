//! What the running system says, read as libbpf reads it: the kernel version
//! (`get_kernel_version`: Ubuntu's `/proc/version_signature`, Debian's `uname -v`, else the
//! release), the kernel configuration (`/boot/config-<release>`, else `/proc/config.gz`; either
//! may be gzip'd) and `/proc/kallsyms`. The parsers are pure and unit-tested; the readers are
//! thin.

use std::io::Read;
use std::path::{Path, PathBuf};

/// `/proc/version_signature` (Ubuntu): `Ubuntu 5.4.0-12.15-generic 5.4.8`.
pub const VERSION_SIGNATURE: &str = "/proc/version_signature";
/// The compressed configuration the kernel serves with `CONFIG_IKCONFIG_PROC`.
pub const PROC_CONFIG: &str = "/proc/config.gz";
/// The kernel's symbol table.
pub const KALLSYMS: &str = "/proc/kallsyms";

/// Where `LINUX_KERNEL_VERSION` came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// Ubuntu's `/proc/version_signature` (its last field is the upstream version).
    Signature(String),
    /// Debian's `uname -v` (`#1 SMP Debian 4.19.260-1 ...`), whose release says `4.19.0`.
    Debian(String),
    /// `uname -r`.
    Release(String),
}

/// `KERNEL_VERSION(a, b, c)`: the patch level saturates at 255.
pub fn kernel_version_code(major: u32, minor: u32, patch: u32) -> u32 {
    (major << 16).wrapping_add(minor << 8).wrapping_add(patch.min(255))
}

/// Three dot-separated numbers at the start of `s` (`sscanf("%u.%u.%u")`).
fn three_numbers(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.splitn(3, '.');
    let mut num = |last: bool| -> Option<u32> {
        let p = parts.next()?;
        let end = if last { p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len()) } else { p.len() };
        p[..end].parse().ok()
    };
    Some((num(false)?, num(false)?, num(true)?))
}

/// The version in Ubuntu's signature: its third field (`%*s %*s %u.%u.%u`).
pub fn version_from_signature(text: &str) -> Option<u32> {
    let (a, b, c) = three_numbers(text.split_whitespace().nth(2)?)?;
    Some(kernel_version_code(a, b, c))
}

/// The version after `Debian ` in `uname -v`.
pub fn version_from_debian(uname_version: &str) -> Option<u32> {
    let at = uname_version.find("Debian ")?;
    let (a, b, c) = three_numbers(&uname_version[at + "Debian ".len()..])?;
    Some(kernel_version_code(a, b, c))
}

/// The version of a release string (`6.1.0-18-amd64`).
pub fn version_from_release(release: &str) -> Option<u32> {
    let (a, b, c) = three_numbers(release)?;
    Some(kernel_version_code(a, b, c))
}

/// The running kernel's `uname -r` and `uname -v`.
pub fn uname() -> (String, String) {
    match nix::sys::utsname::uname() {
        Ok(u) => (u.release().to_string_lossy().into_owned(), u.version().to_string_lossy().into_owned()),
        Err(_) => (String::new(), String::new()),
    }
}

/// `LINUX_KERNEL_VERSION` as libbpf computes it, with where it came from; `None` when even the
/// release has no `a.b.c`.
pub fn kernel_version() -> Option<(u32, VersionSource)> {
    if let Ok(sig) = std::fs::read_to_string(VERSION_SIGNATURE) {
        if let Some(v) = version_from_signature(&sig) {
            return Some((v, VersionSource::Signature(sig.trim().to_owned())));
        }
    }
    let (release, version) = uname();
    if let Some(v) = version_from_debian(&version) {
        return Some((v, VersionSource::Debian(version)));
    }
    version_from_release(&release).map(|v| (v, VersionSource::Release(release)))
}

/// The kernel configuration files libbpf tries, in order.
pub fn config_paths(release: &str) -> [PathBuf; 2] {
    [PathBuf::from(format!("/boot/config-{release}")), PathBuf::from(PROC_CONFIG)]
}

/// The text of a configuration file, gunzipped when it starts with the gzip magic.
pub fn read_config(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    decode_config(&bytes)
}

/// Configuration bytes as text: gzip (`/proc/config.gz`) or plain (`/boot/config-*`).
pub fn decode_config(bytes: &[u8]) -> std::io::Result<String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut text)?;
        return Ok(String::from_utf8_lossy(&text).into_owned());
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// One `/proc/kallsyms` line: `ADDRESS TYPE NAME [MODULE]` (libbpf's `"%llx %c %499s"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KallsymsLine<'a> {
    /// The address (0 when `kptr_restrict` hides them).
    pub addr: u64,
    /// The symbol type letter (`T`, `d`...).
    pub kind: char,
    /// The name.
    pub name: &'a str,
}

/// Parses one line; `None` when it is not `ADDRESS TYPE NAME...`.
pub fn parse_kallsyms_line(line: &str) -> Option<KallsymsLine<'_>> {
    let mut f = line.split_ascii_whitespace();
    let addr = u64::from_str_radix(f.next()?, 16).ok()?;
    let kind = f.next().filter(|k| k.len() == 1)?.chars().next()?;
    let name = f.next()?;
    Some(KallsymsLine { addr, kind, name })
}

/// The name a kallsyms entry answers to: clang's promoted statics (`d` symbols named
/// `x.llvm.123`) answer to `x`, as in libbpf.
pub fn kallsyms_name<'a>(l: &KallsymsLine<'a>) -> &'a str {
    match l.name.find(".llvm.") {
        Some(at) if l.kind == 'd' => &l.name[..at],
        _ => l.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_libbpf_reads_them() {
        assert_eq!(version_from_release("6.18.44-fc-v1045"), Some(kernel_version_code(6, 18, 44)));
        assert_eq!(kernel_version_code(6, 18, 44), 0x06122c);
        // Patch levels above 255 saturate (KERNEL_VERSION's rule).
        assert_eq!(version_from_release("4.19.325"), Some(kernel_version_code(4, 19, 255)));
        assert_eq!(version_from_release("6.1"), None);
        assert_eq!(version_from_release("6.x.1"), None);
        assert_eq!(version_from_signature("Ubuntu 5.4.0-12.15-generic 5.4.8\n"), Some(kernel_version_code(5, 4, 8)));
        assert_eq!(version_from_signature("Ubuntu 5.4.0"), None);
        let debian = "#1 SMP Debian 4.19.260-1 (2022-09-29)";
        assert_eq!(version_from_debian(debian), Some(kernel_version_code(4, 19, 260)));
        assert_eq!(version_from_debian("#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"), Some(0x06014c));
        assert_eq!(version_from_debian("#1 SMP PREEMPT_DYNAMIC @0"), None);
    }

    #[test]
    fn config_is_read_plain_or_gzipped() {
        use std::io::Write;
        let text = "CONFIG_HZ=250\n# CONFIG_X is not set\n";
        assert_eq!(decode_config(text.as_bytes()).unwrap(), text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        assert_eq!(decode_config(&bytes).unwrap(), text);
        // A truncated gzip stream is an error, not a short configuration.
        assert!(decode_config(&bytes[..bytes.len() / 2]).is_err());
    }

    #[test]
    fn kallsyms_lines() {
        let l = parse_kallsyms_line("ffffffff81000000 T _stext").unwrap();
        assert_eq!((l.addr, l.kind, l.name), (0xffff_ffff_8100_0000, 'T', "_stext"));
        let m = parse_kallsyms_line("ffffffffc0a01000 t nf_hook [nf_tables]").unwrap();
        assert_eq!((m.name, kallsyms_name(&m)), ("nf_hook", "nf_hook"));
        let d = parse_kallsyms_line("0000000000000000 d counter.llvm.12345").unwrap();
        assert_eq!(kallsyms_name(&d), "counter");
        let t = parse_kallsyms_line("0000000000000000 t helper.llvm.12345").unwrap();
        assert_eq!(kallsyms_name(&t), "helper.llvm.12345");
        assert_eq!(parse_kallsyms_line("zz T x"), None);
        assert_eq!(parse_kallsyms_line("ffff T"), None);
        assert_eq!(parse_kallsyms_line("ffff TT x"), None);
    }
}
