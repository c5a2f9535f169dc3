//! A verifier rejection, in words: the log with the failing instruction marked, then what it
//! means and the advice for its class.

use loader::diagnose::verifier::{insn_index, Diagnosis, HintClass, SourceMap};
use loader::load::ProgLoadFailure;

use super::refusal;

/// The one-line advice for a class of rejection.
pub fn advice(hint: HintClass) -> &'static str {
    match hint {
        HintClass::InvalidMemoryAccess => {
            "the verifier does not trust this pointer: read kernel memory with BPF_CORE_READ() or \
             bpf_probe_read_kernel(), or check the pointer against NULL first"
        }
        HintClass::UnboundedLoop => {
            "the verifier cannot prove this loop ends: bound it with a constant, use bpf_loop(), or \
             unroll it with #pragma unroll"
        }
        HintClass::UnreleasedReference => {
            "a reference acquired here is not released on every path: call the matching release \
             helper (bpf_sk_release, bpf_ringbuf_submit/discard...) before each return"
        }
        HintClass::PoisonedCoRe => {
            "a CO-RE relocation found no match in this kernel and its code is reachable: guard the access \
             with bpf_core_field_exists() or use a ___flavor for older layouts"
        }
        HintClass::HelperNotAllowed => {
            "this helper is not available to this program type (or this kernel): pick another helper or \
             another program type"
        }
        HintClass::KsymWithoutAddress => {
            "the kernel could not give this typed __ksym an address: its symbol is not in /proc/kallsyms \
             (CONFIG_KALLSYMS_ALL=n)"
        }
        HintClass::MissingKfunc => {
            "a call of a __weak kfunc this kernel lacks is reachable (the loader turned it into call \
             2002000000+N, N its extern's index; --explain lists them): guard it with if (bpf_ksym_exists(f))"
        }
        HintClass::NotModifiable => {
            "fmod_ret may only change functions named security_* or marked ALLOW_ERROR_INJECTION (which \
             needs CONFIG_FUNCTION_ERROR_INJECTION): attach to a security_ hook, or use fexit to observe"
        }
    }
}

/// `verifier: MESSAGE`, where, the source line, the poisoned relocation and the hint.
pub fn diagnosis(d: &Diagnosis) -> String {
    let mut s = format!("verifier: {}", d.message);
    if let Some(i) = d.insn {
        s.push_str(&format!("\n  at instruction {i}"));
    }
    if let Some(src) = &d.source {
        s.push_str(&format!(" ({src})"));
        if !src.text.is_empty() {
            s.push_str(&format!("\n    {}", src.text.trim()));
        }
    }
    if let Some(c) = &d.core_relocation {
        s.push_str(&format!("\n  {}", super::core::poisoned(c)));
    }
    if let Some(h) = d.hint {
        s.push_str(&format!("\n  hint: {}", advice(h)));
    }
    s
}

/// The log with the failing instruction marked (`>>`) and source lines interleaved.
pub fn annotate(log: &str, sources: &SourceMap, failing: Option<usize>) -> String {
    let mut out = String::with_capacity(log.len() + 256);
    // Given line_info, the kernel prints `; text @ file:line` itself: add ours only when it did not.
    let kernel_has_source = log.lines().any(|l| l.starts_with("; ") && l.contains(" @ "));
    for line in log.lines() {
        let idx = insn_index(line);
        if let Some(src) = idx.filter(|_| !kernel_has_source).and_then(|i| sources.starting_at(i)) {
            out.push_str(&format!("   ; {} @ {src}\n", src.text.trim()));
        }
        let mark = if idx.is_some() && idx == failing { ">> " } else { "   " };
        out.push_str(mark);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A refused `BPF_PROG_LOAD`: the annotated log first, the summary last, so that on a terminal
/// the summary stays in view.
pub fn prog_load(f: &ProgLoadFailure) -> String {
    let mut s = String::new();
    if let Some(d) = &f.diagnosis {
        let truncated = if f.load.truncated { " (truncated)" } else { "" };
        let log = annotate(&f.load.log, &f.sources, d.insn);
        s.push_str(&format!("verifier log for {}{truncated}:\n{log}\n", f.program));
    }
    s.push_str(&format!("program {}: {}\n  {}", f.program, f.load.sys, refusal::text(&f.refusal)));
    if let Some(d) = &f.diagnosis {
        s.push_str(&format!("\n{}", diagnosis(d)));
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use loader::diagnose::verifier::{diagnose, SourceLine};

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
    fn a_diagnosis_names_the_line_the_source_and_the_advice() {
        let text = diagnosis(&diagnose(MEM_LOG, &sources(), &BTreeMap::new()));
        assert_eq!(
            text,
            format!(
                "verifier: R1 invalid mem access 'scalar'\n  at instruction 3 (x.bpf.c:12:5)\n    return sk->sk_state;\n  hint: {}",
                advice(HintClass::InvalidMemoryAccess)
            )
        );
    }

    #[test]
    fn annotation_marks_the_failing_instruction_and_interleaves_source() {
        let out = annotate(MEM_LOG, &sources(), Some(3));
        assert!(out.contains("   ; return sk->sk_state; @ x.bpf.c:12:5\n>> 3: (71) r0 = *(u8 *)(r1 +18)\n"), "{out}");
        assert!(out.contains("   0: (79) r1"), "{out}");
    }

    #[test]
    fn source_lines_the_kernel_printed_are_not_repeated() {
        let log = "; return sk->sk_state; @ x.bpf.c:12\n3: (71) r0 = *(u8 *)(r1 +18)\nR1 invalid mem access 'scalar'\n";
        let out = annotate(log, &sources(), Some(3));
        assert_eq!(out.matches("return sk->sk_state;").count(), 1, "{out}");
        assert!(out.contains(">> 3: (71)"), "{out}");
    }

    #[test]
    fn fmod_ret_advice_points_at_security_hooks() {
        assert!(advice(HintClass::NotModifiable).contains("security_"));
    }
}
