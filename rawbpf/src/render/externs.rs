//! Externs in words: what each `__kconfig` / `__ksym` extern resolved to, for `--explain`.

use loader::externs::{KconfigSource, KconfigValue, Probe, Value, VersionSource};
use loader::link::POISON_CALL_KFUNC_BASE;
use loader::object::{Extern, ExternIndex, ExternKind};

/// One extern and its value: `extern CONFIG_HZ (int, .kconfig+8) = 250 (/proc/config.gz line 9)`.
pub fn resolved(index: ExternIndex, ext: &Extern, value: &Value) -> String {
    let weak = if ext.weak { ", __weak" } else { "" };
    format!("extern {} ({}{weak}) = {}", ext.name, what(ext), value_words(index, ext, value))
}

/// What kind of extern, and where a `__kconfig` one lives.
fn what(ext: &Extern) -> String {
    match ext.kind {
        ExternKind::Kconfig(v) => format!("{}, .kconfig+{}", v.ty, v.offset),
        ExternKind::Ksym { type_id: None } => "typeless ksym".into(),
        ExternKind::Ksym { .. } => "typed ksym".into(),
        ExternKind::Kfunc { .. } => "kfunc".into(),
    }
}

fn value_words(index: ExternIndex, ext: &Extern, value: &Value) -> String {
    match value {
        Value::Kconfig { value, source } => format!("{} ({})", kconfig_value(value), source_words(source)),
        Value::Address(a) => format!("{a:#x} (from /proc/kallsyms)"),
        Value::KernelBtf { id, module } => {
            let kind = if matches!(ext.kind, ExternKind::Kfunc { .. }) { "FUNC" } else { "VAR" };
            format!("{kind} [{id}] of {} BTF", module.as_deref().unwrap_or("vmlinux"))
        }
        Value::Missing => match ext.kind {
            ExternKind::Kconfig(_) => "0 (not set in this kernel's configuration)".into(),
            ExternKind::Kfunc { .. } => format!(
                "0 (not in this kernel: bpf_ksym_exists() is false, and its calls become call {} so the verifier \
                 names them if they are reachable)",
                POISON_CALL_KFUNC_BASE + index.get() as i32
            ),
            ExternKind::Ksym { .. } => "0 (not in this kernel: bpf_ksym_exists() is false)".into(),
        },
    }
}

fn kconfig_value(v: &KconfigValue) -> String {
    match v {
        KconfigValue::Bool(b) => b.to_string(),
        KconfigValue::Tristate(t) => t.letter().to_string(),
        KconfigValue::Char(c) if c.is_ascii_graphic() => format!("'{}' ({c})", *c as char),
        KconfigValue::Char(c) => c.to_string(),
        KconfigValue::Int(i) => i.to_string(),
        KconfigValue::Str(s) => format!("{s:?}"),
    }
}

fn source_words(s: &KconfigSource) -> String {
    match s {
        KconfigSource::KernelVersion(VersionSource::Release(r)) => format!("kernel release {r}"),
        KconfigSource::KernelVersion(VersionSource::Debian(v)) => format!("Debian's uname -v: {v}"),
        KconfigSource::KernelVersion(VersionSource::Signature(s)) => format!("/proc/version_signature: {s}"),
        KconfigSource::Probe(Probe::BpfCookie) => "probe: a program calling bpf_get_attach_cookie loads".into(),
        KconfigSource::Probe(Probe::SyscallWrapper) => "probe: a kprobe on the syscall wrapper of bpf()".into(),
        KconfigSource::Config { path, line } => format!("{} line {line}", path.display()),
        KconfigSource::UnknownVirtual => "an unknown __weak LINUX_ value is 0, as in libbpf".into(),
    }
}

#[cfg(test)]
mod tests {
    use btf::TypeId;
    use loader::externs::Tristate;
    use loader::object::{KconfigType, KconfigVar};

    use super::*;

    fn ext(name: &str, kind: ExternKind, weak: bool) -> Extern {
        Extern { name: name.into(), symbol: 1, weak, btf_id: TypeId::new(3), kind }
    }

    #[test]
    fn each_value_reads_with_its_origin() {
        let var = KconfigVar { ty: KconfigType::Tristate, size: 4, align: 4, offset: 8 };
        let e = ext("CONFIG_BPF", ExternKind::Kconfig(var), false);
        let v = Value::Kconfig {
            value: KconfigValue::Tristate(Tristate::Yes),
            source: KconfigSource::Config { path: "/proc/config.gz".into(), line: 7 },
        };
        assert_eq!(
            resolved(ExternIndex::new(0), &e, &v),
            "extern CONFIG_BPF (enum libbpf_tristate, .kconfig+8) = y (/proc/config.gz line 7)"
        );
        let e = ext("bpf_nope", ExternKind::Kfunc { proto: TypeId::new(2) }, true);
        let text = resolved(ExternIndex::new(3), &e, &Value::Missing);
        assert!(text.starts_with("extern bpf_nope (kfunc, __weak) = 0 (not in this kernel"), "{text}");
        assert!(text.contains("call 2002000003"), "{text}");
        let e = ext("runqueues", ExternKind::Ksym { type_id: Some(TypeId::new(5)) }, false);
        let v = Value::KernelBtf { id: TypeId::new(10671), module: None };
        assert_eq!(resolved(ExternIndex::new(1), &e, &v), "extern runqueues (typed ksym) = VAR [10671] of vmlinux BTF");
    }
}
