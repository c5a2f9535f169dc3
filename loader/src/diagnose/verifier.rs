//! Reading the verifier's log: which instruction failed, which source line that is, and which
//! known class of rejection it is (the binary words the advice for each class).

use std::collections::BTreeMap;
use std::fmt;

use crate::co_re::CoreDecision;

/// libbpf's CO-RE poison: a call to this helper id marks an unresolvable relocation.
pub const CORE_POISON_IMM: i32 = 0xbad2310;

/// A source position from line_info, with the text of the line when BTF carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// File name as recorded by clang.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
    /// The source text of the line.
    pub text: String,
}

impl fmt::Display for SourceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.rsplit('/').next().unwrap_or(&self.file);
        write!(f, "{file}:{}", self.line)?;
        if self.col > 0 {
            write!(f, ":{}", self.col)?;
        }
        Ok(())
    }
}

/// Maps instruction indices of a loaded program to source lines (line_info applies from its
/// instruction until the next record).
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    lines: BTreeMap<usize, SourceLine>,
}

impl SourceMap {
    /// Records that code from `insn` on comes from `line`.
    pub fn insert(&mut self, insn: usize, line: SourceLine) {
        self.lines.insert(insn, line);
    }

    /// The source line covering `insn`.
    pub fn lookup(&self, insn: usize) -> Option<&SourceLine> {
        self.lines.range(..=insn).next_back().map(|(_, l)| l)
    }

    /// The line record starting exactly at `insn`, for interleaving in listings.
    pub fn starting_at(&self, insn: usize) -> Option<&SourceLine> {
        self.lines.get(&insn)
    }

    /// True when there is no line information.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Builds the map from a linked program's line_info, resolving strings in the object's BTF.
    /// Records whose strings do not resolve are skipped: a source map is a help, not a must.
    pub fn from_line_info(btf: &btf::Btf, records: &[crate::link::LineInfoRecord]) -> SourceMap {
        let mut m = SourceMap::default();
        for r in records {
            let (Ok(file), Ok(text)) = (btf.str_at(r.file_name_off), btf.str_at(r.line_off)) else {
                continue;
            };
            let line = SourceLine {
                file: file.to_owned(),
                line: r.line_col >> 10,
                col: r.line_col & 0x3ff,
                text: text.to_owned(),
            };
            m.insert(r.insn_idx as usize, line);
        }
        m
    }
}

/// Classes of rejection with a known way forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HintClass {
    /// Dereferencing memory the verifier does not trust.
    InvalidMemoryAccess,
    /// A loop the verifier cannot prove ends, or a program too large to explore.
    UnboundedLoop,
    /// An acquired reference (socket, ringbuf record...) not released on every path.
    UnreleasedReference,
    /// A CO-RE relocation found nothing in the kernel and its instruction is reachable.
    PoisonedCoRe,
    /// A helper this program type may not call.
    HelperNotAllowed,
    /// An fmod_ret target the kernel does not let programs change the result of.
    NotModifiable,
    /// A typed `__ksym` variable the kernel has in BTF but not in kallsyms, so has no address
    /// for (`CONFIG_KALLSYMS_ALL=n`).
    KsymWithoutAddress,
    /// A reachable call of a `__weak` kfunc this kernel lacks (the loader poisoned it).
    MissingKfunc,
}

/// The kernel symbol a typed ksym was refused for: `ldimm64 failed to find the address for
/// kernel symbol 'NAME'.`
pub fn ksym_without_address(message: &str) -> Option<&str> {
    let rest = message.split("failed to find the address for kernel symbol '").nth(1)?;
    rest.split('\'').next()
}

/// The extern index of a poisoned kfunc call in `invalid func unknown#N`, if N is one.
pub fn poisoned_kfunc(message: &str) -> Option<usize> {
    let n: i64 = message.split("unknown#").nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    let base = i64::from(crate::link::POISON_CALL_KFUNC_BASE);
    (base..base + 65536).contains(&n).then(|| (n - base) as usize)
}

/// What rawbpf understood of a rejection.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// The log line that states the error (usually the last meaningful one).
    pub message: String,
    /// The instruction the verifier was on.
    pub insn: Option<usize>,
    /// Its source line.
    pub source: Option<SourceLine>,
    /// A known class with advice.
    pub hint: Option<HintClass>,
    /// For a poisoned CO-RE relocation: the decision that poisoned the failing instruction.
    pub core_relocation: Option<CoreDecision>,
}

/// Parses the instruction index at the start of a verifier log line (`12: (79) r1 = ...`).
pub fn insn_index(line: &str) -> Option<usize> {
    let (num, rest) = line.split_once(':')?;
    if !rest.starts_with(" (") {
        return None;
    }
    num.trim().parse().ok()
}

fn classify(message: &str) -> Option<HintClass> {
    let m = message;
    if m.contains(&format!("unknown#{}", CORE_POISON_IMM)) {
        Some(HintClass::PoisonedCoRe)
    } else if m.contains("invalid mem access")
        || m.contains("invalid bpf_context access")
        || m.contains("invalid read from stack")
        || m.contains("type=scalar expected=")
        || m.contains("R1 type=")
    {
        Some(HintClass::InvalidMemoryAccess)
    } else if m.contains("back-edge")
        || m.contains("infinite loop")
        || m.contains("too complex")
        || m.contains("program is too large")
    {
        Some(HintClass::UnboundedLoop)
    } else if m.contains("Unreleased reference") {
        Some(HintClass::UnreleasedReference)
    } else if m.contains("unknown func") || m.contains("cannot call") || m.contains("helper call is not allowed") {
        Some(HintClass::HelperNotAllowed)
    } else if m.contains("is not modifiable") {
        Some(HintClass::NotModifiable)
    } else if ksym_without_address(m).is_some() {
        Some(HintClass::KsymWithoutAddress)
    } else if poisoned_kfunc(m).is_some() {
        Some(HintClass::MissingKfunc)
    } else {
        None
    }
}

/// Lines that summarize rather than state the error.
fn is_trailer(line: &str) -> bool {
    line.starts_with("processed ")
        || line.starts_with("verification time")
        || line.starts_with("stack depth")
        || line.starts_with("-- END PROG LOAD LOG --")
        || line.is_empty()
}

/// Reads a verifier log. `poisoned` maps instruction indices poisoned by CO-RE to the decision
/// that did it.
///
/// ```
/// use std::collections::BTreeMap;
/// use loader::diagnose::verifier::{diagnose, HintClass, SourceMap};
///
/// let log = "0: R1=ctx() R10=fp0\n0: (79) r1 = *(u64 *)(r1 +0)\n3: (71) r0 = *(u8 *)(r1 +18)\n\
///            R1 invalid mem access 'scalar'\nprocessed 4 insns (limit 1000000)\n";
/// let d = diagnose(log, &SourceMap::default(), &BTreeMap::new());
/// assert_eq!(d.message, "R1 invalid mem access 'scalar'");
/// assert_eq!((d.insn, d.hint), (Some(3), Some(HintClass::InvalidMemoryAccess)));
/// ```
pub fn diagnose(log: &str, sources: &SourceMap, poisoned: &BTreeMap<usize, CoreDecision>) -> Diagnosis {
    let lines: Vec<&str> = log.lines().map(str::trim_end).collect();
    let message = lines.iter().rev().find(|l| !is_trailer(l)).map(|s| s.to_string()).unwrap_or_default();
    // The failing instruction is the last one the verifier printed.
    let insn = lines.iter().rev().find_map(|l| insn_index(l));
    let mut hint = classify(&message);
    // The error line may be a generic one after a more specific line; look at the tail too.
    if hint.is_none() {
        hint = lines.iter().rev().take(4).find_map(|l| classify(l));
    }
    let core_relocation = insn.and_then(|i| poisoned.get(&i).cloned());
    if core_relocation.is_some() {
        hint = Some(HintClass::PoisonedCoRe);
    }
    Diagnosis { message, insn, source: insn.and_then(|i| sources.lookup(i).cloned()), hint, core_relocation }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> SourceMap {
        let mut m = SourceMap::default();
        let line = |l: u32, t: &str| SourceLine { file: "/src/progs/x.bpf.c".into(), line: l, col: 5, text: t.into() };
        m.insert(0, line(10, "int pid = bpf_get_current_pid_tgid() >> 32;"));
        m.insert(3, line(12, "return sk->sk_state;"));
        m
    }

    const MEM_LOG: &str = "0: R1=ctx() R10=fp0\n\
        0: (79) r1 = *(u64 *)(r1 +0)\n\
        1: R1_w=scalar()\n\
        3: (71) r0 = *(u8 *)(r1 +18)\n\
        R1 invalid mem access 'scalar'\n\
        processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";

    #[test]
    fn invalid_access_maps_to_its_source_line() {
        let d = diagnose(MEM_LOG, &sources(), &BTreeMap::new());
        assert_eq!(d.message, "R1 invalid mem access 'scalar'");
        assert_eq!(d.insn, Some(3));
        assert_eq!(d.source.as_ref().unwrap().line, 12);
        assert_eq!(d.hint, Some(HintClass::InvalidMemoryAccess));
        let source = d.source.unwrap();
        assert_eq!((source.to_string().as_str(), source.text.as_str()), ("x.bpf.c:12:5", "return sk->sk_state;"));
    }

    #[test]
    fn poison_call_names_the_relocation() {
        let log = "0: R1=ctx() R10=fp0\n2: (85) call unknown#195896080\ninvalid func unknown#195896080\n";
        let decision = crate::co_re::tests::poisoned_decision("kprobe/tcp_connect", 2);
        let d = diagnose(log, &sources(), &BTreeMap::from([(2, decision)]));
        assert_eq!(d.hint, Some(HintClass::PoisonedCoRe));
        assert_eq!(d.core_relocation.map(|c| (c.section, c.poisoned)), Some(("kprobe/tcp_connect".into(), vec![2])));
        // Even without rawbpf's record the poison number is recognised.
        assert_eq!(diagnose(log, &SourceMap::default(), &BTreeMap::new()).hint, Some(HintClass::PoisonedCoRe));
    }

    #[test]
    fn fmod_ret_on_an_unmodifiable_function_is_explained() {
        // What 6.1's verifier says for fmod_ret/__x64_sys_kill without error injection.
        let log = "__x64_sys_kill() is not modifiable\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 \
                   total_states 0 peak_states 0 mark_read 0\n";
        let d = diagnose(log, &SourceMap::default(), &BTreeMap::new());
        assert_eq!(d.message, "__x64_sys_kill() is not modifiable");
        assert_eq!(d.hint, Some(HintClass::NotModifiable));
    }

    #[test]
    fn loops_references_and_helpers_are_classified() {
        assert_eq!(classify("back-edge from insn 7 to 3"), Some(HintClass::UnboundedLoop));
        assert_eq!(classify("Unreleased reference id=2 alloc_insn=5"), Some(HintClass::UnreleasedReference));
        assert_eq!(classify("unknown func bpf_skb_load_bytes#26"), Some(HintClass::HelperNotAllowed));
        assert_eq!(classify("R0 !read_ok"), None);
        let ksym = "ldimm64 failed to find the address for kernel symbol 'runqueues'.";
        assert_eq!(
            (classify(ksym), ksym_without_address(ksym)),
            (Some(HintClass::KsymWithoutAddress), Some("runqueues"))
        );
        let kfunc = "invalid func unknown#2002000006";
        assert_eq!((classify(kfunc), poisoned_kfunc(kfunc)), (Some(HintClass::MissingKfunc), Some(6)));
        assert_eq!(poisoned_kfunc("invalid func unknown#195896080"), None);
    }
}
