//! Externs resolved for the running kernel, as libbpf's `bpf_object__resolve_externs` does,
//! before anything is created:
//! 1. virtual `__kconfig` values: `LINUX_KERNEL_VERSION` (from the release, with Ubuntu's and
//!    Debian's corrections), `LINUX_HAS_BPF_COOKIE` and `LINUX_HAS_SYSCALL_WRAPPER` (probes);
//!    another `__weak` `LINUX_*` is 0, any other name an error;
//! 2. `CONFIG_*` values from the kernel configuration (`/boot/config-<release>`, else
//!    `/proc/config.gz`), the first line naming each;
//! 3. typeless `__ksym` variables from `/proc/kallsyms` (addresses);
//! 4. typed `__ksym` variables and kfuncs from the kernel's BTF (vmlinux, then modules), checked
//!    for compatibility; a module's BTF is passed by fd (and, for kfunc calls, `fd_array`).
//!
//! A `__weak` extern left unresolved is zero (`bpf_ksym_exists()` is false; a call of a missing
//! kfunc is poisoned); a strong one is an error naming it. Each value is reported as a
//! [`Step::Extern`], and [`Resolved`] holds the `.kconfig` bytes and what `link` writes.

pub mod kconfig;
mod ksyms;
pub(crate) mod probes;
pub mod system;

use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use btf::{Btf, Kind, TypeId};

pub use kconfig::{KconfigProblem, KconfigValue, Tristate};
pub use system::VersionSource;

use crate::link::KsymValue;
use crate::load::KernelBtf;
use crate::object::{Extern, ExternIndex, ExternKind, Object};
use crate::progress::{Observer, Step};
use crate::sys::{self, BtfFd, SysError};

/// Which probe of the running kernel gave a virtual value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// `LINUX_HAS_BPF_COOKIE`: `bpf_get_attach_cookie` is available (5.15+).
    BpfCookie,
    /// `LINUX_HAS_SYSCALL_WRAPPER`: syscalls are entered through `__<arch>_sys_*` wrappers
    /// (judged by whether a kprobe on `__<arch>_sys_bpf` opens).
    SyscallWrapper,
}

/// Where a `__kconfig` value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KconfigSource {
    /// `LINUX_KERNEL_VERSION`, computed from this.
    KernelVersion(VersionSource),
    /// A probe of the running kernel.
    Probe(Probe),
    /// A line of this kernel configuration file.
    Config {
        /// The file.
        path: PathBuf,
        /// The line number (from 1).
        line: usize,
    },
    /// An unknown `__weak` `LINUX_*` value: libbpf sets those to 0.
    UnknownVirtual,
}

/// What one extern resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A `__kconfig` value, written into the `.kconfig` map.
    Kconfig {
        /// The value written.
        value: KconfigValue,
        /// Where it came from.
        source: KconfigSource,
    },
    /// A typeless `__ksym`: its address in `/proc/kallsyms` (0 when `kptr_restrict` hides it).
    Address(u64),
    /// A typed `__ksym` or a kfunc: a VAR or FUNC of the kernel's BTF.
    KernelBtf {
        /// Its type id.
        id: TypeId,
        /// The module whose BTF has it, `None` for vmlinux.
        module: Option<String>,
    },
    /// A `__weak` extern this kernel does not have: zero.
    Missing,
}

/// A type, named for messages: `[id] KIND name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDesc {
    /// Its id.
    pub id: TypeId,
    /// Its kind.
    pub kind: Kind,
    /// Its name (empty when anonymous).
    pub name: String,
}

impl TypeDesc {
    fn of(btf: &Btf, id: TypeId) -> TypeDesc {
        let kind = btf.kind_of(id).unwrap_or(Kind::Void);
        TypeDesc { id, kind, name: btf.name_of(id).unwrap_or_default().to_owned() }
    }
}

impl std::fmt::Display for TypeDesc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {} {}", self.id, self.kind, if self.name.is_empty() { "(anon)" } else { &self.name })
    }
}

/// Where a strong extern was looked for and not found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookedIn {
    /// The kernel configuration file.
    Config(PathBuf),
    /// `/proc/kallsyms`.
    Kallsyms,
}

impl std::fmt::Display for LookedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookedIn::Config(p) => write!(f, "is not set in {}", p.display()),
            LookedIn::Kallsyms => write!(f, "is not in {}", system::KALLSYMS),
        }
    }
}

/// Why the externs could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ExternError {
    /// `LINUX_KERNEL_VERSION` with a release that has no `a.b.c`.
    #[error("extern 'LINUX_KERNEL_VERSION': no a.b.c version in the kernel release '{release}'")]
    NoKernelVersion {
        /// `uname -r`.
        release: String,
    },
    /// A `__kconfig` extern that is no `CONFIG_*` option nor a virtual value libbpf knows.
    #[error(
        "extern '{name}': unknown __kconfig value (known: CONFIG_*, LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, \
         LINUX_HAS_SYSCALL_WRAPPER; another LINUX_* is 0 if __weak)"
    )]
    UnknownVirtual {
        /// The extern.
        name: String,
    },
    /// A virtual value that does not fit its extern's type.
    #[error("extern '{name}'")]
    Virtual {
        /// The extern.
        name: String,
        /// Why.
        #[source]
        problem: KconfigProblem,
    },
    /// `CONFIG_*` externs and no kernel configuration to read.
    #[error("no kernel configuration for the CONFIG_* externs (tried {})", list(tried))]
    NoKernelConfig {
        /// The files tried.
        tried: Vec<PathBuf>,
        /// Why the last one could not be read.
        #[source]
        source: std::io::Error,
    },
    /// A line of the kernel configuration that libbpf refuses (for an extern, or malformed).
    #[error("{} line {line} ({option})", path.display())]
    KernelConfig {
        /// The file.
        path: PathBuf,
        /// The line number (from 1).
        line: usize,
        /// The option (the line before `=`).
        option: String,
        /// What is wrong.
        #[source]
        problem: KconfigProblem,
    },
    /// `/proc/kallsyms` could not be read.
    #[error("cannot read {}", system::KALLSYMS)]
    Kallsyms(#[source] std::io::Error),
    /// A `/proc/kallsyms` line that is not `ADDRESS TYPE NAME`.
    #[error("{} line {line} is not 'ADDRESS TYPE NAME'", system::KALLSYMS)]
    KallsymsLine {
        /// The line number (from 1).
        line: usize,
    },
    /// A ksym at two addresses in `/proc/kallsyms`.
    #[error("extern '{name}': ambiguous in {}: {first:#x} or {second:#x}", system::KALLSYMS)]
    Ambiguous {
        /// The extern.
        name: String,
        /// The first address.
        first: u64,
        /// Another one.
        second: u64,
    },
    /// A strong typed ksym or kfunc the kernel's BTF lacks.
    #[error("extern '{name}': the kernel has no {kind} of this name in its BTF (vmlinux or modules)")]
    NotInKernelBtf {
        /// The extern.
        name: String,
        /// VAR or FUNC.
        kind: Kind,
    },
    /// A ksym or kfunc whose kernel type is not compatible with the object's declaration.
    #[error(
        "extern '{name}': incompatible types: the object declares {local}, {} has {kernel}",
        module.as_deref().unwrap_or("vmlinux")
    )]
    Incompatible {
        /// The extern.
        name: String,
        /// The object's type.
        local: TypeDesc,
        /// The kernel's type.
        kernel: TypeDesc,
        /// The module whose BTF has it, `None` for vmlinux.
        module: Option<String>,
    },
    /// The kernel's BTF could not be followed.
    #[error("extern '{name}': kernel BTF")]
    KernelBtf {
        /// The extern.
        name: String,
        /// What the BTF reader said.
        #[source]
        source: btf::BtfError,
    },
    /// The BTF object of the module holding a ksym could not be opened.
    #[error("extern '{name}': cannot open the BTF of module {module}{}", if source.is_none() { " (not loaded)" } else { "" })]
    ModuleBtf {
        /// The extern.
        name: String,
        /// The module.
        module: String,
        /// The syscall error, if one failed.
        #[source]
        source: Option<SysError>,
    },
    /// More module BTFs than a kfunc call's 16-bit `off` can index.
    #[error("extern '{name}': too many module BTFs for a kfunc call's fd_array index")]
    TooManyModules {
        /// The extern.
        name: String,
    },
    /// A strong extern nothing resolved.
    #[error("extern '{name}' {place}; declare it __weak to let it be zero")]
    Unresolved {
        /// The extern.
        name: String,
        /// Where it was looked for.
        place: LookedIn,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The module BTFs ksyms were found in, opened once each; kfuncs' modules get `fd_array` slots.
#[derive(Debug, Default)]
pub(crate) struct Modules {
    open: Vec<(String, BtfFd)>,
    /// Modules with a slot, by slot (from 1: the kernel reads slot 0 for no kfunc).
    slots: Vec<usize>,
}

impl Modules {
    /// The module's BTF fd, opened on first use.
    fn fd(&mut self, ext: &str, module: &str) -> Result<&BtfFd, ExternError> {
        let at = match self.open.iter().position(|(m, _)| m == module) {
            Some(at) => at,
            None => {
                let bad = |source| ExternError::ModuleBtf { name: ext.to_owned(), module: module.to_owned(), source };
                let (fd, _) = sys::find_kernel_btf(module).map_err(|e| bad(Some(e)))?.ok_or_else(|| bad(None))?;
                self.open.push((module.to_owned(), fd));
                self.open.len() - 1
            }
        };
        Ok(&self.open[at].1)
    }

    /// The module's `fd_array` index, given on first use (libbpf's `fd_array_idx`).
    fn index(&mut self, ext: &str, module: &str) -> Result<i16, ExternError> {
        let at = self.open.iter().position(|(m, _)| m == module).unwrap_or(usize::MAX);
        let slot = match self.slots.iter().position(|&s| s == at) {
            Some(s) => s,
            None => {
                self.slots.push(at);
                self.slots.len() - 1
            }
        };
        i16::try_from(slot + 1).map_err(|_| ExternError::TooManyModules { name: ext.to_owned() })
    }
}

/// Every extern of an object, resolved.
#[derive(Debug, Default)]
pub struct Resolved {
    /// What each of `Object::externs` resolved to, in order.
    pub values: Vec<Value>,
    /// The `.kconfig` map's value, when the object has `__kconfig` externs.
    pub kconfig: Option<Vec<u8>>,
    /// What `link` writes for each extern (`None` for `__kconfig` ones).
    pub ksyms: Vec<Option<KsymValue>>,
    modules: Modules,
}

impl Resolved {
    /// The `fd_array` of `BPF_PROG_LOAD`: the module BTFs kfunc calls index with `off`; empty
    /// when no kfunc is in a module. Slot 0 is never read for a kfunc; it repeats slot 1.
    pub fn fd_array(&self) -> Vec<BorrowedFd<'_>> {
        let fds: Vec<BorrowedFd<'_>> =
            self.modules.slots.iter().filter_map(|&i| self.modules.open.get(i)).map(|(_, fd)| fd.as_fd()).collect();
        match fds.first() {
            Some(&first) => std::iter::once(first).chain(fds).collect(),
            None => Vec::new(),
        }
    }
}

/// Resolves every extern of `obj` for the running kernel, reporting each to `obs`.
pub fn resolve(obj: &Object, kernel: &KernelBtf, obs: &mut dyn Observer) -> Result<Resolved, ExternError> {
    if obj.externs.is_empty() {
        return Ok(Resolved::default());
    }
    let mut r = Resolver::new(obj);
    r.virtual_values()?;
    r.config_values()?;
    r.kallsyms_values()?;
    r.btf_values(kernel)?;
    let resolved = r.finish()?;
    for (i, (ext, value)) in obj.externs.iter().zip(&resolved.values).enumerate() {
        obs.step(Step::Extern { index: ExternIndex::new(i), ext, value });
    }
    Ok(resolved)
}

/// The state of one resolution: the `.kconfig` bytes and each extern's value so far.
struct Resolver<'o> {
    obj: &'o Object,
    buf: Vec<u8>,
    values: Vec<Option<Value>>,
    ksyms: Vec<Option<KsymValue>>,
    modules: Modules,
    /// The configuration file read, for the message of a strong `CONFIG_*` left unset.
    config_path: Option<PathBuf>,
}

impl<'o> Resolver<'o> {
    fn new(obj: &'o Object) -> Self {
        let n = obj.externs.len();
        let size = crate::object::externs::kconfig_size(&obj.externs) as usize;
        Resolver {
            obj,
            buf: vec![0; size],
            values: vec![None; n],
            ksyms: vec![None; n],
            modules: Modules::default(),
            config_path: None,
        }
    }

    /// `LINUX_*` values (libbpf resolves them before reading any file).
    fn virtual_values(&mut self) -> Result<(), ExternError> {
        for (i, ext) in self.obj.externs.iter().enumerate() {
            let ExternKind::Kconfig(var) = ext.kind else { continue };
            if ext.name.starts_with("CONFIG_") {
                continue;
            }
            let (number, source) = virtual_value(ext)?;
            let value = kconfig::store_number(&var, number, &mut self.buf)
                .map_err(|problem| ExternError::Virtual { name: ext.name.clone(), problem })?;
            self.values[i] = Some(Value::Kconfig { value, source });
        }
        Ok(())
    }

    /// `CONFIG_*` values from the kernel configuration, when there are any.
    fn config_values(&mut self) -> Result<(), ExternError> {
        let wanted = |e: &Extern| matches!(e.kind, ExternKind::Kconfig(_)) && e.name.starts_with("CONFIG_");
        if !self.obj.externs.iter().any(wanted) {
            return Ok(());
        }
        let (release, _) = system::uname();
        let tried = system::config_paths(&release);
        let mut last = None;
        for path in &tried {
            match system::read_config(path) {
                Ok(text) => {
                    self.config_path = Some(path.clone());
                    return self.apply_config(path, &text);
                }
                Err(e) => last = Some(e),
            }
        }
        let source = last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound));
        Err(ExternError::NoKernelConfig { tried: tried.to_vec(), source })
    }

    /// Applies each `CONFIG_X=value` line to extern `CONFIG_X`, if it is one and still unset.
    fn apply_config(&mut self, path: &std::path::Path, text: &str) -> Result<(), ExternError> {
        // Externs the virtual pass set are marked taken (with a placeholder) so no line overrides them.
        let was_set: Vec<bool> = self.values.iter().map(Option::is_some).collect();
        let mut set: Vec<Option<(KconfigValue, usize)>> =
            was_set.iter().map(|&taken| taken.then_some((KconfigValue::Int(0), 0))).collect();
        kconfig::apply(&self.obj.externs, text, &mut self.buf, &mut set).map_err(|e| ExternError::KernelConfig {
            path: path.to_owned(),
            line: e.line,
            option: e.option,
            problem: e.problem,
        })?;
        for (i, s) in set.into_iter().enumerate() {
            if let (Some((value, line)), false) = (s, was_set[i]) {
                let source = KconfigSource::Config { path: path.to_owned(), line };
                self.values[i] = Some(Value::Kconfig { value, source });
            }
        }
        Ok(())
    }

    /// Typeless ksyms' addresses from `/proc/kallsyms`, when there are any. Typed ksym
    /// variables are looked up too, as in libbpf, so that an ambiguous name is refused alike.
    fn kallsyms_values(&mut self) -> Result<(), ExternError> {
        let typeless = |e: &Extern| matches!(e.kind, ExternKind::Ksym { type_id: None });
        if !self.obj.externs.iter().any(typeless) {
            return Ok(());
        }
        let text = std::fs::read_to_string(system::KALLSYMS).map_err(ExternError::Kallsyms)?;
        let mut seen: Vec<Option<u64>> = vec![None; self.obj.externs.len()];
        for (n, line) in text.lines().enumerate() {
            let l = system::parse_kallsyms_line(line).ok_or(ExternError::KallsymsLine { line: n + 1 })?;
            let name = system::kallsyms_name(&l);
            let Some(i) = self.obj.externs.iter().position(|e| e.name == name) else { continue };
            let ext = &self.obj.externs[i];
            if !matches!(ext.kind, ExternKind::Ksym { .. }) {
                continue;
            }
            match seen[i] {
                Some(first) if first != l.addr => {
                    return Err(ExternError::Ambiguous { name: ext.name.clone(), first, second: l.addr })
                }
                Some(_) => {}
                None => seen[i] = Some(l.addr),
            }
        }
        for (i, addr) in seen.into_iter().enumerate() {
            if let (Some(addr), true) = (addr, typeless(&self.obj.externs[i])) {
                self.values[i] = Some(Value::Address(addr));
                self.ksyms[i] = Some(KsymValue::Address(addr));
            }
        }
        Ok(())
    }

    /// Typed ksyms and kfuncs from the kernel's BTF.
    fn btf_values(&mut self, kernel: &KernelBtf) -> Result<(), ExternError> {
        for (i, ext) in self.obj.externs.iter().enumerate() {
            let found = match (ext.kind, self.obj.btf.as_ref()) {
                (ExternKind::Ksym { type_id: Some(t) }, Some(btf)) => {
                    ksyms::resolve_var(ext, t, btf, kernel, &mut self.modules)?
                }
                (ExternKind::Kfunc { proto }, Some(btf)) => {
                    ksyms::resolve_func(ext, proto, btf, kernel, &mut self.modules)?
                }
                _ => continue,
            };
            if let Some(f) = found {
                self.values[i] = Some(Value::KernelBtf { id: f.id, module: f.module });
                self.ksyms[i] = Some(f.value);
            }
        }
        Ok(())
    }

    /// Weak externs left unresolved become zero; a strong one is an error.
    fn finish(mut self) -> Result<Resolved, ExternError> {
        for (i, ext) in self.obj.externs.iter().enumerate() {
            if self.values[i].is_some() {
                continue;
            }
            if !ext.weak {
                let place = match ext.kind {
                    ExternKind::Kconfig(_) => LookedIn::Config(self.config_path.clone().unwrap_or_default()),
                    _ => LookedIn::Kallsyms,
                };
                return Err(ExternError::Unresolved { name: ext.name.clone(), place });
            }
            self.values[i] = Some(Value::Missing);
            if !matches!(ext.kind, ExternKind::Kconfig(_)) {
                self.ksyms[i] = Some(KsymValue::Missing);
            }
        }
        let kconfig = self.obj.kconfig_map().map(|_| self.buf);
        let values = self.values.into_iter().map(|v| v.unwrap_or(Value::Missing)).collect();
        Ok(Resolved { values, kconfig, ksyms: self.ksyms, modules: self.modules })
    }
}

/// A virtual `LINUX_*` value and where it came from.
fn virtual_value(ext: &Extern) -> Result<(u64, KconfigSource), ExternError> {
    Ok(match ext.name.as_str() {
        "LINUX_KERNEL_VERSION" => {
            let (v, source) =
                system::kernel_version().ok_or_else(|| ExternError::NoKernelVersion { release: system::uname().0 })?;
            (u64::from(v), KconfigSource::KernelVersion(source))
        }
        "LINUX_HAS_BPF_COOKIE" => (u64::from(probes::bpf_cookie()), KconfigSource::Probe(Probe::BpfCookie)),
        "LINUX_HAS_SYSCALL_WRAPPER" => {
            (u64::from(probes::syscall_wrapper()), KconfigSource::Probe(Probe::SyscallWrapper))
        }
        name if name.starts_with("LINUX_") && ext.weak => (0, KconfigSource::UnknownVirtual),
        _ => return Err(ExternError::UnknownVirtual { name: ext.name.clone() }),
    })
}
