//! Errors, in words: the chain of `source()`s on one line (`what: why: root cause`), with the
//! refusals and verifier rejections the library classified spelled out below it.

use std::error::Error;

use loader::attach::AttachError;
use loader::load::LoadError;
use loader::trace_pipe::TracefsError;
use nix::errno::Errno;

use super::{refusal, verifier};

/// The whole chain of `e`, joined by `: `.
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A load failure: verifier rejections with their log and diagnosis, the rest as a chain.
pub fn load(e: &LoadError) -> String {
    match e {
        LoadError::ProgLoad(f) => verifier::prog_load(f),
        LoadError::KernelBtf(b) => format!("kernel BTF: {}", btf_source(b)),
        other => chain(other),
    }
}

/// Reading BTF failed; for a kernel without BTF, what it means and the way out.
pub fn btf_source(e: &btf::source::LoadError) -> String {
    match e {
        btf::source::LoadError::NoKernelBtf { .. } => format!(
            "{}\n  fix: pass --btf FILE with this kernel's BTF (a vmlinux ELF with .BTF, or a BTFHub file)",
            chain(e)
        ),
        other => chain(other),
    }
}

/// An attach failure, with what the refusal means.
pub fn attach(e: &AttachError) -> String {
    match e {
        AttachError::Refused { refusal: r, .. } => format!("{}\n  {}", chain(e), refusal::text(r)),
        AttachError::NoTracepoint { .. } => format!("{}; list them in /sys/kernel/tracing/events", chain(e)),
        AttachError::Unsupported { .. } => format!("{} (load it with --no-attach)", chain(e)),
    }
}

/// No tracefs, and what to do about it.
pub fn tracefs(e: &TracefsError) -> String {
    let fix = match e.errno {
        Errno::EPERM | Errno::EACCES => "run as root (mounting needs CAP_SYS_ADMIN)",
        Errno::ENODEV => "the kernel lacks tracefs: it needs CONFIG_TRACING (bpf_printk output depends on it)",
        Errno::ENOENT => "the mount point is missing: the kernel may lack CONFIG_TRACING, or /sys is not sysfs",
        _ => "mount it by hand: mount -t tracefs tracefs /sys/kernel/tracing",
    };
    format!("{e}\n  fix: {fix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("map counts")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_tracefs_refusal_says_what_to_do() {
        let e = TracefsError { tried: vec!["/t".into()], mount_point: "/t".into(), errno: Errno::EPERM };
        assert!(tracefs(&e).ends_with("\n  fix: run as root (mounting needs CAP_SYS_ADMIN)"), "{}", tracefs(&e));
    }

    #[test]
    fn a_kernel_without_btf_gets_the_way_out() {
        let e = btf::source::vmlinux_at(std::path::Path::new("/nonexistent/btf/vmlinux")).unwrap_err();
        let text = btf_source(&e);
        assert!(text.contains("CONFIG_DEBUG_INFO_BTF") && text.contains("\n  fix: pass --btf FILE"), "{text}");
    }

    #[test]
    fn the_chain_reads_from_what_to_why() {
        let e = Outer(std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"));
        assert_eq!(chain(&e), "map counts: no such file");
    }
}
