//! The state every C printer shares: the BTF, the output buffer, names and alignments.

use std::fmt::Write as _;

use super::align::AlignCache;
use super::names::Names;
use crate::btf::Btf;

/// How struct bodies are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// For the compiler: explicit padding fields so offsets match BTF exactly.
    Header,
    /// For people: pahole-style `/* offset size */` comments and hole notes.
    Annotated,
}

/// Output buffer plus what is needed to spell types.
pub(crate) struct Emitter<'b> {
    pub btf: &'b Btf,
    pub out: String,
    pub names: Names<'b>,
    pub align: AlignCache,
    pub style: Style,
    /// Bit offset of the struct being defined inline, from the outermost one (annotations only).
    pub base_bits: u32,
}

impl<'b> Emitter<'b> {
    pub fn new(btf: &'b Btf, style: Style, unique_names: bool) -> Self {
        Emitter {
            btf,
            out: String::with_capacity(if style == Style::Header { 256 * 1024 } else { 4096 }),
            names: Names::new(btf, unique_names),
            // One declaration needs a few types' alignments; a whole header needs them all.
            align: if style == Style::Header { AlignCache::new(btf) } else { AlignCache::sparse() },
            style,
            base_bits: 0,
        }
    }

    /// `lvl` tabs.
    pub fn indent(&mut self, lvl: usize) {
        for _ in 0..lvl {
            self.out.push('\t');
        }
    }

    pub fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub fn push_u64(&mut self, v: u64) {
        let _ = write!(self.out, "{v}");
    }

    /// Display width of the current line (tabs to multiples of 8), to line up comments.
    pub fn column(&self) -> usize {
        let line = self.out.rsplit('\n').next().unwrap_or("");
        line.chars().fold(0, |col, c| if c == '\t' { (col / 8 + 1) * 8 } else { col + 1 })
    }

    /// Pads the current line with tabs/spaces up to column `to` (at least one space).
    pub fn pad_to(&mut self, to: usize) {
        let col = self.column();
        if col >= to {
            self.out.push(' ');
            return;
        }
        let mut c = col;
        while (c / 8 + 1) * 8 <= to {
            self.out.push('\t');
            c = (c / 8 + 1) * 8;
        }
        for _ in c..to {
            self.out.push(' ');
        }
    }
}
