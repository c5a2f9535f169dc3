//! The ABI rawbpf assumes, checked against this machine's UAPI headers (`linux/bpf.h`,
//! `linux/perf_event.h`).
//!
//! Every module with `#[repr(C)]` structs lists, next to them, what each field is in C
//! (`abi_layouts`), and its constants (`ABI_CONSTANTS`). The check reads the headers' aggregates
//! and enums ([`cheader`]), has `cc` print `offsetof`/`sizeof` of every member it found and the
//! value of every constant, and compares: a claim that disagrees fails, naming both values. What
//! the header has and rawbpf does not model, and what rawbpf knows that the header is too old for,
//! is printed, not failed: nothing newer than the header is ever handed to the compiler, so a
//! newer rawbpf still builds the check against an older header.
//!
//! `RAWBPF_UAPI_INCLUDE` points the check at another include directory (a kernel tree's
//! `usr/include` after `make headers_install`); `CC` picks the compiler.

mod cheader;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use cheader::{Aggregate, Enumerator, Tok};

/// What a claim's bytes are in C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum C {
    /// A member, by its designator from the aggregate (`link_create.tracing.target_btf_id`).
    M(&'static str),
    /// The bytes from the end of one member to the start of the next: a bitfield word, which
    /// `offsetof` cannot name.
    Between(&'static str, &'static str),
    /// Explicit padding, no C member: the field exists so the struct has no implicit padding.
    Pad,
}

/// One claim: bytes `at..at + len` of a Rust field are C's `c`.
#[derive(Clone, Debug)]
pub(super) struct Claim {
    pub(super) field: &'static str,
    pub(super) offset: usize,
    pub(super) size: usize,
    pub(super) at: usize,
    pub(super) len: usize,
    pub(super) c: C,
}

impl Claim {
    /// The claim's bytes in the struct.
    fn range(&self) -> (usize, usize) {
        (self.offset + self.at, self.offset + self.at + self.len)
    }
}

/// A `#[repr(C)]` struct and what its fields are in C.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    /// The Rust struct.
    pub(super) rust: &'static str,
    /// The C aggregate it is (a prefix or a member of): `union bpf_attr`, `struct bpf_map_info`.
    pub(super) c: &'static str,
    pub(super) size: usize,
    pub(super) claims: Vec<Claim>,
}

/// Builds a [`Layout`]: `layout!(Struct in "union bpf_attr" { field => C, C...; })`, every field
/// of the struct in order, each with what it is in C (several designators when it fills a C
/// union); a bare `field;` is the C member of the same name. `field[at, len] => ...` claims part
/// of a field (raw words holding several members).
macro_rules! layout {
    ($ty:ident in $c:literal { $($f:ident $([$at:expr, $len:expr])? $(=> $($claim:expr),+)? ;)* }) => {{
        #[allow(unused_imports)]
        use $crate::sys::abi::C::*;
        let v = <$ty as Default>::default();
        let mut claims = Vec::new();
        $(
            let size = std::mem::size_of_val(&v.$f);
            let (at, len) = $crate::sys::abi::layout!(@view size $(, $at, $len)?);
            for c in $crate::sys::abi::layout!(@claims $f $(, $($claim),+)?) {
                claims.push($crate::sys::abi::Claim {
                    field: stringify!($f),
                    offset: std::mem::offset_of!($ty, $f),
                    size,
                    at,
                    len,
                    c,
                });
            }
        )*
        $crate::sys::abi::Layout { rust: stringify!($ty), c: $c, size: std::mem::size_of::<$ty>(), claims }
    }};
    (@claims $f:ident) => { [$crate::sys::abi::C::M(stringify!($f))] };
    (@claims $f:ident, $($c:expr),+) => { [$($c),+] };
    (@view $size:ident) => { (0, $size) };
    (@view $size:ident, $at:expr, $len:expr) => { ($at, $len) };
}
pub(super) use layout;

/// Lists constants by the name they share with C: `consts![BPF_ANY, BPF_EXIST]`; `NAME = expr`
/// for a C constant rawbpf has no Rust constant for.
macro_rules! consts {
    ($($k:ident $(= $v:expr)?),* $(,)?) => { &[$((stringify!($k), $crate::sys::abi::consts!(@v $k $(, $v)?))),*] };
    (@v $k:ident) => { $k as i64 };
    (@v $k:ident, $v:expr) => { $v as i64 };
}
pub(super) use consts;

/// Every struct rawbpf hands the kernel.
fn layouts() -> Vec<Layout> {
    [super::btf_load::abi_layouts(), super::ids::abi_layouts(), super::info::abi_layouts(), super::link::abi_layouts()]
        .into_iter()
        .chain([super::map::abi_layouts(), super::perf::abi_layouts()])
        .chain([super::pin::abi_layouts(), super::prog::abi_layouts()])
        .flatten()
        .collect()
}

/// Constants rawbpf uses: `(Rust name, C name, value)`, with the C enum they belong to (`None`:
/// looked up anywhere in the headers).
struct Constants {
    c_enum: Option<&'static str>,
    list: Vec<(String, &'static str, i64)>,
}

fn table(c_enum: &'static str, names: &[(&'static str, &'static str, u32)]) -> Constants {
    Constants { c_enum: Some(c_enum), list: names.iter().map(|&(r, c, v)| (r.to_owned(), c, v.into())).collect() }
}

fn loose(names: &[(&'static str, i64)]) -> Constants {
    Constants { c_enum: None, list: names.iter().map(|&(c, v)| (c.to_owned(), c, v)).collect() }
}

fn constants() -> Vec<Constants> {
    use super::types::{AttachType, LinkType, MapType, ProgType};
    use crate::insn::{class, mode, op, pseudo, size, src};
    let cmds = Constants {
        c_enum: Some("enum bpf_cmd"),
        list: super::bpf::Cmd::ALL.iter().map(|&c| (format!("Cmd::{c:?}"), c.name(), c as i64)).collect(),
    };
    // Constants kept outside `sys` (object/, the btf crate's instruction encoding): named here,
    // since their files do not carry ABI tables.
    let outside: &[(&str, i64)] = &[
        ("BPF_F_RDONLY_PROG", crate::object::maps::BPF_F_RDONLY_PROG.into()),
        ("BPF_F_SLEEPABLE", crate::object::progtype::BPF_F_SLEEPABLE.into()),
        ("BPF_F_XDP_HAS_FRAGS", crate::object::progtype::BPF_F_XDP_HAS_FRAGS.into()),
        ("BPF_MAP_TYPE_ARRAY", crate::object::maps::BPF_MAP_TYPE_ARRAY.into()),
        ("BPF_PSEUDO_MAP_FD", pseudo::MAP_FD.into()),
        ("BPF_PSEUDO_MAP_VALUE", pseudo::MAP_VALUE.into()),
        ("BPF_PSEUDO_BTF_ID", pseudo::BTF_ID.into()),
        ("BPF_PSEUDO_FUNC", pseudo::FUNC.into()),
        ("BPF_PSEUDO_CALL", pseudo::CALL.into()),
        ("BPF_PSEUDO_KFUNC_CALL", pseudo::KFUNC_CALL.into()),
        ("BPF_LD", class::LD.into()),
        ("BPF_LDX", class::LDX.into()),
        ("BPF_ST", class::ST.into()),
        ("BPF_STX", class::STX.into()),
        ("BPF_ALU", class::ALU.into()),
        ("BPF_JMP", class::JMP.into()),
        ("BPF_JMP32", class::JMP32.into()),
        ("BPF_ALU64", class::ALU64.into()),
        ("BPF_W", size::W.into()),
        ("BPF_H", size::H.into()),
        ("BPF_B", size::B.into()),
        ("BPF_DW", size::DW.into()),
        ("BPF_IMM", mode::IMM.into()),
        ("BPF_MEM", mode::MEM.into()),
        ("BPF_MEMSX", mode::MEMSX.into()),
        ("BPF_ATOMIC", mode::ATOMIC.into()),
        ("BPF_ADD", op::ADD.into()),
        ("BPF_MOV", op::MOV.into()),
        ("BPF_CALL", op::CALL.into()),
        ("BPF_EXIT", op::EXIT.into()),
        ("BPF_JA", op::JA.into()),
        ("BPF_K", src::K.into()),
        ("BPF_X", src::X.into()),
    ];
    vec![
        cmds,
        table(ProgType::C_ENUM, ProgType::C_NAMES),
        table(AttachType::C_ENUM, AttachType::C_NAMES),
        table(MapType::C_ENUM, MapType::C_NAMES),
        table(LinkType::C_ENUM, LinkType::C_NAMES),
        loose(super::map::ABI_CONSTANTS),
        loose(super::perf::ABI_CONSTANTS),
        loose(super::perf_ring::ABI_CONSTANTS),
        loose(super::pin::ABI_CONSTANTS),
        loose(super::ringbuf::ABI_CONSTANTS),
        loose(outside),
    ]
}

/// The headers, read.
struct Header {
    include: PathBuf,
    toks: Vec<Tok>,
    cc: String,
}

/// The headers the check reads (bpf_common.h only for its names: bpf.h includes it).
const HEADERS: [&str; 3] = ["linux/bpf.h", "linux/perf_event.h", "linux/magic.h"];

impl Header {
    /// Reads the headers, or says why the check cannot run here.
    fn load() -> Result<Header, String> {
        let include = PathBuf::from(std::env::var_os("RAWBPF_UAPI_INCLUDE").unwrap_or_else(|| "/usr/include".into()));
        let mut text = String::new();
        for f in HEADERS.iter().chain(&["linux/bpf_common.h"]) {
            match std::fs::read_to_string(include.join(f)) {
                // A newline between files, so a file's last line cannot run into the next's `#`.
                Ok(t) => text += &(t + "\n"),
                Err(_) if *f == "linux/bpf_common.h" => {}
                Err(e) => return Err(format!("{}: {e} (Debian: linux-libc-dev)", include.join(f).display())),
            }
        }
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
        match Command::new(&cc).arg("--version").output() {
            Ok(o) if o.status.success() => {}
            _ => return Err(format!("no C compiler `{cc}`")),
        }
        Ok(Header { include, toks: cheader::tokens(&text), cc })
    }
}

/// What the compiler says.
#[derive(Default)]
struct Probe {
    /// `(aggregate, designator)` → `(offsetof, sizeof)`.
    fields: HashMap<(String, String), (usize, usize)>,
    /// Constant values.
    consts: HashMap<String, i64>,
}

/// Compiles and runs a C program printing `offsetof`/`sizeof` of every non-bitfield member of
/// `aggs` and the value of every constant in `consts`.
fn probe(h: &Header, aggs: &BTreeMap<&str, Aggregate>, consts: &BTreeSet<&str>) -> Result<Probe, String> {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\n#include <linux/perf_event.h>\n#include <linux/magic.h>\n\
         #define F(T, m) printf(\"F\\t%s\\t%s\\t%zu\\t%zu\\n\", #T, #m, offsetof(T, m), sizeof(((T *)0)->m))\n\
         #define K(k) printf(\"K\\t%s\\t%lld\\n\", #k, (long long)(k))\nint main(void)\n{\n",
    );
    for (name, agg) in aggs {
        for m in agg.members.iter().filter(|m| m.bits.is_none()) {
            writeln!(c, "\tF({name}, {});", m.path).unwrap();
        }
    }
    for k in consts {
        writeln!(c, "\tK({k});").unwrap();
    }
    c += "\treturn 0;\n}\n";
    let dir = std::env::temp_dir().join(format!("rawbpf-abi-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let run = || -> Result<String, String> {
        let (src, exe) = (dir.join("abi.c"), dir.join("abi"));
        std::fs::write(&src, &c).map_err(|e| format!("{}: {e}", src.display()))?;
        let o = Command::new(&h.cc)
            .arg("-std=gnu11")
            .arg("-I")
            .arg(&h.include)
            .arg("-o")
            .arg(&exe)
            .arg(&src)
            .output()
            .map_err(|e| format!("{}: {e}", h.cc))?;
        if !o.status.success() {
            return Err(format!("{} cannot compile the probe:\n{}", h.cc, String::from_utf8_lossy(&o.stderr)));
        }
        let o = Command::new(&exe).output().map_err(|e| format!("{}: {e}", exe.display()))?;
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let out = run();
    let _ = std::fs::remove_dir_all(&dir);
    let mut p = Probe::default();
    for line in out?.lines() {
        let bad = || format!("probe printed {line:?}");
        match line.split('\t').collect::<Vec<_>>().as_slice() {
            ["F", agg, m, off, size] => {
                let v = (off.parse().map_err(|_| bad())?, size.parse().map_err(|_| bad())?);
                p.fields.insert((agg.to_string(), m.to_string()), v);
            }
            ["K", k, v] => {
                p.consts.insert(k.to_string(), v.parse().map_err(|_| bad())?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(p)
}

/// The verdict: `failures` fail the test, the rest is printed.
#[derive(Default)]
struct Outcome {
    failures: Vec<String>,
    /// What the header has that rawbpf does not model.
    lacks: Vec<String>,
    /// What rawbpf knows that the header does not (newer than the header).
    newer: Vec<String>,
    fields: usize,
    structs: usize,
    constants: usize,
    parsed: usize,
}

/// How a claim reads in messages: `Struct.field` or `Struct.field[at..end]`.
fn claim_name(l: &Layout, c: &Claim) -> String {
    if c.at == 0 && c.len == c.size {
        format!("{}.{}", l.rust, c.field)
    } else {
        format!("{}.{}[{}..{}]", l.rust, c.field, c.at, c.at + c.len)
    }
}

/// Checks `layouts` and `constants` against the header.
fn check(h: &Header, layouts: &[Layout], constants: &[Constants]) -> Result<Outcome, String> {
    let mut out = Outcome { structs: layouts.len(), ..Default::default() };
    let mut aggs: BTreeMap<&str, Aggregate> = BTreeMap::new();
    for l in layouts {
        if !aggs.contains_key(l.c) {
            aggs.insert(l.c, cheader::aggregate(&h.toks, l.c)?);
        }
    }
    let mut enums: BTreeMap<&str, Vec<Enumerator>> = BTreeMap::new();
    for e in constants.iter().filter_map(|k| k.c_enum) {
        if !enums.contains_key(e) {
            enums.insert(e, cheader::enumeration(&h.toks, e)?);
        }
    }
    // Every constant of those enums (to check the reader), and each other constant the header has.
    let mut names: BTreeSet<&str> = enums.values().flatten().map(|e| e.name.as_str()).collect();
    for k in constants.iter().filter(|k| k.c_enum.is_none()) {
        names.extend(k.list.iter().map(|k| k.1).filter(|n| cheader::mentions(&h.toks, n)));
    }
    let p = probe(h, &aggs, &names)?;

    // The enum reader against the compiler: every value it computed must be the compiler's.
    for (e, list) in &enums {
        for en in list {
            out.parsed += 1;
            if p.consts.get(&en.name) != Some(&en.value) {
                out.failures.push(format!(
                    "reading {e}: {} = {}, but cc says {:?}",
                    en.name,
                    en.value,
                    p.consts.get(&en.name)
                ));
            }
        }
    }

    for l in layouts {
        check_layout(l, &aggs[l.c], &p, &mut out);
    }
    lacking_members(layouts, &aggs, &p, &mut out);

    for k in constants {
        check_constants(h, k, &enums, &p, &mut out);
    }
    Ok(out)
}

/// One struct: its fields tile it (no implicit padding, none left out), each claim matches, and
/// what the header lacks is newer.
fn check_layout(l: &Layout, agg: &Aggregate, p: &Probe, out: &mut Outcome) {
    check_tiling(l, out);
    let touched = check_claims(l, agg, p, out);
    check_lacking_claims(l, agg, p, &touched, out);
}

/// The header's (offset, size) of member `d` of `l`'s struct.
fn header_field(p: &Probe, l: &Layout, d: &str) -> Option<(usize, usize)> {
    p.fields.get(&(l.c.to_owned(), d.to_owned())).copied()
}

/// The fields cover the struct without gaps; padding, and only padding, is named `_…`.
fn check_tiling(l: &Layout, out: &mut Outcome) {
    let mut fields: Vec<(usize, usize, &str)> = l.claims.iter().map(|c| (c.offset, c.size, c.field)).collect();
    fields.sort();
    fields.dedup();
    let mut pos = 0;
    for &(off, size, f) in &fields {
        if off > pos {
            out.failures.push(format!("{}: bytes {pos}..{off} (before {f}) are in no field of its layout", l.rust));
        }
        pos = pos.max(off + size);
    }
    if pos < l.size {
        out.failures.push(format!("{}: bytes {pos}..{} are in no field of its layout", l.rust, l.size));
    }
    for c in &l.claims {
        if c.at + c.len > c.size {
            out.failures.push(format!("{}: the view is past the field", claim_name(l, c)));
        }
        if (c.c == C::Pad) != c.field.starts_with('_') {
            out.failures.push(format!("{}: padding, and only padding, is named `_…`", claim_name(l, c)));
        }
    }
}

/// Each claim against the header; returns the groups (top-level members) the struct is about,
/// which is where a newer member would go.
fn check_claims(l: &Layout, agg: &Aggregate, p: &Probe, out: &mut Outcome) -> BTreeSet<usize> {
    let header = |d: &str| header_field(p, l, d);
    let mut touched = BTreeSet::new();
    for c in &l.claims {
        let want = match c.c {
            C::Pad => continue,
            C::M(d) => match header(d) {
                Some(h) => h,
                None => {
                    match agg.members.iter().find(|m| m.path == d) {
                        Some(m) if m.bits.is_some() => out.failures.push(format!(
                            "{}: {} {d} is a bitfield, which has no offset; claim the word with Between",
                            claim_name(l, c),
                            l.c
                        )),
                        _ => out.newer.push(format!(
                            "{} {d} ({} at {}, {} bytes)",
                            l.c,
                            claim_name(l, c),
                            c.range().0,
                            c.len
                        )),
                    }
                    continue;
                }
            },
            C::Between(a, b) => match (header(a), header(b)) {
                (Some((ao, asz)), Some((bo, _))) if bo >= ao + asz => (ao + asz, bo - ao - asz),
                _ => {
                    out.failures.push(format!("{}: no {} bytes between {a} and {b}", claim_name(l, c), l.c));
                    continue;
                }
            },
        };
        out.fields += 1;
        if let C::M(d) = c.c {
            touched.extend(agg.members.iter().filter(|m| m.path == d).map(|m| m.group));
        }
        let got = (c.range().0, c.len);
        if got != want {
            out.failures.push(format!(
                "{} is {} {}: offset {}, size {} in rawbpf; offset {}, size {} in the header",
                claim_name(l, c),
                l.c,
                match c.c {
                    C::M(d) => d.to_owned(),
                    C::Between(a, b) => format!("the bytes between {a} and {b}"),
                    C::Pad => unreachable!(),
                },
                got.0,
                got.1,
                want.0,
                want.1
            ));
        }
    }
    touched
}

//// A member the header lacks must be newer: it cannot sit on bytes the header gives to another
/// member of the same command (that would be a misspelt name, or a wrong offset), unless that
/// member is inside a union, where a newer alternative takes the same bytes
/// (`link_create.uprobe_multi` beside `link_create.kprobe_multi`).
fn check_lacking_claims(l: &Layout, agg: &Aggregate, p: &Probe, touched: &BTreeSet<usize>, out: &mut Outcome) {
    let header = |d: &str| header_field(p, l, d);
    let related = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."));
    let in_union = |path: &str| {
        let mut ancestor = path;
        loop {
            let Some((mo, ms)) = header(ancestor) else { return false };
            let alternative = agg.members.iter().filter(|o| !related(&o.path, ancestor)).any(|o| {
                header(&o.path).is_some_and(|(oo, os)| oo < mo + ms && mo < oo + os)
                    && agg.members.iter().any(|m| m.path == ancestor && m.group == o.group)
            });
            match ancestor.rsplit_once('.') {
                _ if alternative => return true,
                Some((parent, _)) => ancestor = parent,
                None => return false,
            }
        }
    };
    for c in &l.claims {
        let C::M(d) = c.c else { continue };
        if header(d).is_some() {
            continue;
        }
        let (s, e) = c.range();
        let own = |path: &str| l.claims.iter().any(|o| o.field == c.field && matches!(o.c, C::M(d) if d == path));
        for m in agg.members.iter().filter(|m| touched.contains(&m.group) && !m.nested && !own(&m.path)) {
            if in_union(&m.path) {
                continue;
            }
            if let Some((mo, ms)) = header(&m.path) {
                if s < mo + ms && mo < e {
                    out.failures.push(format!(
                        "{} claims {d}, which the header lacks, on bytes {s}..{e}; the header has {} there ({mo}..{})",
                        claim_name(l, c),
                        m.path,
                        mo + ms
                    ));
                }
            }
        }
    }
}

/// Lists the members of each aggregate no claim names: per top-level member rawbpf uses, and the
/// top-level members it does not use at all.
fn lacking_members(layouts: &[Layout], aggs: &BTreeMap<&str, Aggregate>, p: &Probe, out: &mut Outcome) {
    for (name, agg) in aggs {
        let claims: Vec<C> =
            layouts.iter().filter(|l| l.c == *name).flat_map(|l| l.claims.iter().map(|c| c.c)).collect();
        let index = |d: &str| agg.members.iter().position(|m| m.path == d);
        let modeled = |i: usize| {
            let path = &agg.members[i].path;
            claims.iter().any(|c| match *c {
                C::M(d) => path == d || path.starts_with(&format!("{d}.")),
                C::Between(a, b) => index(a).is_some_and(|a| a < i) && index(b).is_some_and(|b| i < b),
                C::Pad => false,
            })
        };
        let leaves: Vec<usize> = (0..agg.members.len()).filter(|&i| !agg.members[i].nested).collect();
        let where_ = |i: usize| p.fields.get(&(name.to_string(), agg.members[i].path.clone())).copied();
        let mut unused = Vec::new();
        for (g, label) in agg.groups.iter().enumerate() {
            let in_group: Vec<usize> = leaves.iter().copied().filter(|&i| agg.members[i].group == g).collect();
            if in_group.is_empty() {
                continue;
            }
            if !in_group.iter().any(|&i| modeled(i)) {
                unused.push(label.clone());
                continue;
            }
            let missing: Vec<String> = in_group
                .iter()
                .filter(|&&i| !modeled(i))
                .map(|&i| {
                    let m = &agg.members[i];
                    if let Some(bits) = &m.bits {
                        return format!("{}:{bits}", m.path);
                    }
                    // A member of the same union as one rawbpf names, on the same bytes.
                    let parent = |j: usize| agg.members[j].path.rsplit_once('.').map(|(p, _)| p.to_owned());
                    let alias = leaves.iter().find(|&&j| {
                        j != i
                            && modeled(j)
                            && agg.members[j].group == m.group
                            && parent(j) == parent(i)
                            && where_(j).is_some()
                            && where_(j) == where_(i)
                    });
                    match alias {
                        Some(&j) => format!("{} (= {})", m.path, agg.members[j].path),
                        None => m.path.clone(),
                    }
                })
                .collect();
            if !missing.is_empty() {
                out.lacks.push(format!("{name} {label}: {}", missing.join(", ")));
            }
        }
        if !unused.is_empty() {
            out.lacks.push(format!("{name}, unused members: {}", unused.join("; ")));
        }
    }
}

/// One table of constants against the header.
fn check_constants(h: &Header, k: &Constants, enums: &BTreeMap<&str, Vec<Enumerator>>, p: &Probe, out: &mut Outcome) {
    let Some(e) = k.c_enum else {
        for (rust, c, v) in &k.list {
            match p.consts.get(*c) {
                Some(hv) => {
                    out.constants += 1;
                    if hv != v {
                        out.failures.push(format!("{rust}: {v} in rawbpf, {hv} in the header"));
                    }
                }
                None if cheader::mentions(&h.toks, c) => out.failures.push(format!("{c}: the probe did not print it")),
                None => out.newer.push(format!("{c} = {v}")),
            }
        }
        return;
    };
    let list = &enums[e];
    for (rust, c, v) in &k.list {
        match list.iter().find(|en| en.name == *c) {
            Some(en) => {
                out.constants += 1;
                if en.value != *v {
                    out.failures.push(format!("{rust} is {e} {c}: {v} in rawbpf, {} in the header", en.value));
                }
            }
            None => {
                // Newer than the header: its number must be one the header has not given away.
                if let Some(other) = list.iter().find(|en| !en.is_sentinel() && en.value == *v) {
                    out.failures.push(format!(
                        "{rust} is {e} {c} = {v}, which the header lacks; the header gives {v} to {}",
                        other.name
                    ));
                }
                out.newer.push(format!("{e} {c} = {v}"));
            }
        }
    }
    let ours: BTreeMap<i64, &str> = k.list.iter().map(|(_, c, v)| (*v, *c)).collect();
    let missing: Vec<String> = list
        .iter()
        .filter(|en| !en.is_sentinel() && !k.list.iter().any(|(_, c, _)| *c == en.name))
        .map(|en| match ours.get(&en.value) {
            Some(alias) => format!("{} = {} (= {alias})", en.name, en.value),
            None => format!("{} = {}", en.name, en.value),
        })
        .collect();
    if !missing.is_empty() {
        out.lacks.push(format!("{e}: {}", missing.join(", ")));
    }
}

/// The `#[repr(C)]` structs in `sys/*.rs`, by scanning the source: each needs a layout.
fn repr_c_structs() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sys");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    // abi.rs itself holds deliberately wrong structs for its own test.
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "rs") && !f.ends_with("abi.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        let mut armed = false;
        for line in text.lines().map(str::trim) {
            if line == "#[repr(C)]" {
                armed = true;
            } else if armed && !line.starts_with("#[") && !line.starts_with("///") {
                if let Some(name) = line.trim_start_matches("pub ").strip_prefix("struct ") {
                    let name = name.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
                    out.push((f.file_name().unwrap().to_string_lossy().into_owned(), name.to_owned()));
                }
                armed = false;
            }
        }
    }
    out
}

#[test]
fn every_repr_c_struct_has_a_layout() {
    let known: BTreeSet<&str> = layouts().iter().map(|l| l.rust).collect::<Vec<_>>().into_iter().collect();
    let structs = repr_c_structs();
    assert!(structs.len() >= 12, "found only {structs:?}");
    for (file, s) in structs {
        assert!(known.contains(s.as_str()), "sys/{file}: #[repr(C)] struct {s} has no abi_layouts() entry");
    }
}

#[test]
fn abi_matches_the_uapi_headers() {
    let h = match Header::load() {
        Ok(h) => h,
        Err(why) => return println!("SKIP: abi_matches_the_uapi_headers: {why}"),
    };
    let out = check(&h, &layouts(), &constants()).unwrap_or_else(|e| panic!("{e}"));
    println!("abi: against {} ({}) compiled by {}", h.include.display(), HEADERS.join(", "), h.cc);
    println!(
        "abi: checked {} field claims in {} structs and {} constants; {} enum values read from the header agree with cc",
        out.fields, out.structs, out.constants, out.parsed
    );
    println!("abi: the header has, rawbpf lacks ({}):", out.lacks.len());
    for l in &out.lacks {
        println!("abi:   {l}");
    }
    println!("abi: rawbpf has, the header lacks: newer than the header ({}):", out.newer.len());
    for n in &out.newer {
        println!("abi:   {n}");
    }
    assert!(out.failures.is_empty(), "rawbpf's ABI disagrees with the header:\n  {}", out.failures.join("\n  "));
}

/// Claims rawbpf must never make, each caught: a wrong offset, a wrong size, a misspelt member on
/// a real member's bytes, a bitfield by name, a wrong enum value, a newer constant on a number the
/// header gave away, and a wrong loose constant.
#[test]
fn the_check_catches_wrong_claims() {
    let h = match Header::load() {
        Ok(h) => h,
        Err(why) => return println!("SKIP: the_check_catches_wrong_claims: {why}"),
    };
    #[repr(C)]
    #[derive(Default)]
    struct Wrong {
        bpf_fd: u32,
        info_len: u32,
        info: u32,
        _pad: u32,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Bits {
        gpl: u32,
    }
    let layouts = [
        layout!(Wrong in "union bpf_attr" {
            bpf_fd => M("info.bpf_fd");
            info_len => M("info.info_lenn");
            info => M("info.info");
            _pad => Pad;
        }),
        layout!(Bits in "struct bpf_prog_info" { gpl => M("gpl_compatible"); }),
    ];
    let consts = [
        Constants { c_enum: Some("enum bpf_prog_type"), list: vec![("P::LSM".into(), "BPF_PROG_TYPE_LSM", 30)] },
        Constants { c_enum: Some("enum bpf_map_type"), list: vec![("M::NEW".into(), "BPF_MAP_TYPE_NOT_YET", 2)] },
        loose(&[("BPF_NOEXIST", 2)]),
    ];
    let out = check(&h, &layouts, &consts).unwrap();
    let caught = |what: &str| out.failures.iter().any(|f| f.contains(what));
    let expect = [
        "Wrong.info is union bpf_attr info.info: offset 8, size 4 in rawbpf; offset 8, size 8",
        "Wrong.info_len claims info.info_lenn, which the header lacks, on bytes 4..8; the header has info.info_len",
        "Bits.gpl: struct bpf_prog_info gpl_compatible is a bitfield",
        "P::LSM is enum bpf_prog_type BPF_PROG_TYPE_LSM: 30 in rawbpf, 29 in the header",
        "M::NEW is enum bpf_map_type BPF_MAP_TYPE_NOT_YET = 2, which the header lacks; the header gives 2 to BPF_MAP_TYPE_ARRAY",
        "BPF_NOEXIST: 2 in rawbpf, 1 in the header",
    ];
    for e in expect {
        assert!(caught(e), "not caught: {e}\nfailures:\n  {}", out.failures.join("\n  "));
    }
    assert_eq!(out.failures.len(), expect.len(), "{:#?}", out.failures);
}
