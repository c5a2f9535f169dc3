//! Whole-program listings in the verifier log's layout: `   0: (79) r1 = *(u64 *)(r1 +0)`,
//! source lines as `; text @ file:line` comments before their instruction, and caller marks
//! (relocations, map names) as trailing `  ; mark` comments.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{format_insn_with, Symbols};
use crate::insn::Insn;

/// A source line attached to an instruction (from `.BTF.ext` line info).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The source text; leading whitespace is dropped when printed, as the verifier does.
    pub text: String,
    /// The file name; only its last path component is printed, as the verifier does.
    pub file: String,
    /// 1-based line number.
    pub line: u32,
}

/// Per-instruction annotations for [`format_program`], keyed by slot index.
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    labels: BTreeMap<usize, String>,
    source: BTreeMap<usize, SourceLine>,
    marks: BTreeMap<usize, Vec<String>>,
}

impl Annotations {
    /// No annotations.
    pub fn new() -> Annotations {
        Annotations::default()
    }

    /// A `name:` line before instruction `idx` (a program or subprogram entry).
    pub fn label(&mut self, idx: usize, name: impl Into<String>) -> &mut Self {
        self.labels.insert(idx, name.into());
        self
    }

    /// The source line that instruction `idx` starts.
    pub fn source(&mut self, idx: usize, line: SourceLine) -> &mut Self {
        self.source.insert(idx, line);
        self
    }

    /// A trailing comment on instruction `idx`; several marks are joined with `; `.
    pub fn mark(&mut self, idx: usize, text: impl Into<String>) -> &mut Self {
        self.marks.entry(idx).or_default().push(text.into());
        self
    }
}

/// Formats a whole program, one logical instruction per line, ld_imm64 taking two indices.
/// Annotations on the second slot of an ld_imm64 are printed with its first.
pub fn format_program(insns: &[Insn], notes: &Annotations, syms: &dyn Symbols) -> String {
    let mut out = String::new();
    let mut idx = 0;
    while idx < insns.len() {
        let (text, used) = format_insn_with(insns, idx, syms);
        let span = idx..idx + used;
        for label in notes.labels.range(span.clone()).map(|(_, l)| l) {
            let _ = writeln!(out, "{label}:");
        }
        for src in notes.source.range(span.clone()).map(|(_, s)| s) {
            let file = src.file.rsplit('/').next().unwrap_or("");
            let _ = writeln!(out, "; {} @ {file}:{}", src.text.trim_start(), src.line);
        }
        let _ = write!(out, "{idx:>4}: ({:02x}) {text}", insns[idx].code);
        let marks: Vec<&str> = notes.marks.range(span).flat_map(|(_, m)| m.iter().map(String::as_str)).collect();
        if !marks.is_empty() {
            let _ = write!(out, "  ; {}", marks.join("; "));
        }
        out.push('\n');
        idx += used;
    }
    out
}
