//! The references: each driver of ref/ built by build.rs against libbpf 1.7 (the libbpf-sys
//! crate's vendored sources, linked statically) and, when installed, against the system's
//! libbpf (Debian's libbpf1, a shared library); plus the system's bpftool.

use std::path::PathBuf;
use std::process::Command;

use crate::child::stdout_of;

/// Where build.rs put the drivers.
const REF_DIR: &str = env!("RAWBPF_BENCH_REF_DIR");

/// The libbpf-sys release Cargo.toml pins (`=1.7.0`), for labels.
pub const LIBBPF_SYS: &str = "libbpf-sys 1.7.0+v1.7.0";

/// One libbpf build the drivers are linked with.
#[derive(Clone, Debug)]
pub struct Reference {
    /// What the rows print: the library's own version string and where it comes from.
    pub label: String,
    /// The drivers' file-name suffix (`1.7`, `system`).
    suffix: &'static str,
}

impl Reference {
    /// True for the libbpf 1.7 build (the one the targets name).
    pub fn is_1_7(&self) -> bool {
        self.suffix == "1.7"
    }

    /// The path of driver `name` (`btf_find`, `btf_header`, `load`) for this libbpf.
    pub fn driver(&self, name: &str) -> String {
        PathBuf::from(REF_DIR).join(format!("{name}-{}", self.suffix)).to_string_lossy().into_owned()
    }
}

/// The libbpf builds present: 1.7 always (build.rs fails without it), the system's if its
/// drivers were built; each labelled with the version the library reports.
pub fn libbpfs() -> Vec<Reference> {
    let mut out = Vec::new();
    for (suffix, origin) in [("1.7", format!("{LIBBPF_SYS}, vendored, static")), ("system", system_origin())] {
        let r = Reference { label: String::new(), suffix };
        let Ok(version) = stdout_of(&[r.driver("version")]) else {
            continue;
        };
        out.push(Reference { label: format!("libbpf {} ({origin})", version.trim()), suffix });
    }
    out
}

/// "Debian libbpf1 VERSION, shared" from dpkg, or "system, shared".
fn system_origin() -> String {
    let out = Command::new("dpkg-query").args(["-W", "-f", "${Version}", "libbpf1"]).output();
    match out.ok().filter(|o| o.status.success()) {
        Some(o) => format!("Debian libbpf1 {}, shared", String::from_utf8_lossy(&o.stdout).trim()),
        None => "system, shared".into(),
    }
}

/// "bpftool vX.Y (libbpf vA.B)" from `bpftool version`, if bpftool runs.
pub fn bpftool() -> Option<String> {
    let text = stdout_of(&["bpftool".into(), "version".into()]).ok()?;
    let mut lines = text.lines();
    let tool = lines.next()?.trim().to_owned();
    let lib = lines.find_map(|l| l.trim().strip_prefix("using "))?.to_owned();
    Some(format!("{tool} ({lib}, Debian)"))
}
