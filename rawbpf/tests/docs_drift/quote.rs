//! Checked quotes in docs/*.md: a line `<!-- output FLAGS: COMMAND -->` directly followed by a
//! ```text fence.

use crate::normalize::Scope;

/// One checked block found in a doc.
#[derive(Debug)]
pub struct Quote {
    /// The doc's path, relative to the repository root.
    pub file: String,
    /// The marker's line number (1-based).
    pub line: usize,
    /// The marker's flags (`root`, `progs`, `kernel=X.Y`, `exit=N`, `nobody`).
    pub flags: Vec<String>,
    /// The quoted command, starting with `rawbpf`.
    pub command: String,
    /// The fence's lines, as written.
    pub expected: Vec<String>,
}

impl Quote {
    /// Whether the marker carries `flag`.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// The `kernel=X.Y` release the quote was taken on, if it depends on the kernel's BTF.
    pub fn kernel(&self) -> Option<&str> {
        self.flags.iter().find_map(|f| f.strip_prefix("kernel="))
    }

    /// How much of the quote depends on the machine.
    pub fn scope(&self) -> Scope {
        if self.kernel().is_some() {
            Scope::KernelBuild
        } else {
            Scope::Run
        }
    }

    /// The command's expected exit status (`exit=N`, default 0).
    pub fn exit(&self) -> i32 {
        self.flags.iter().find_map(|f| f.strip_prefix("exit=")).map_or(0, |n| n.parse().expect("exit=N"))
    }
}

/// Every checked quote in `text` (the doc at `file`).
pub fn parse(file: &str, text: &str) -> Vec<Quote> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(rest) = l.trim().strip_prefix("<!-- output") else {
            continue;
        };
        if rest.starts_with("-illustrative") {
            continue;
        }
        let rest = rest.strip_suffix("-->").unwrap_or_else(|| panic!("{file}:{}: marker not closed", i + 1));
        let (flags, command) =
            rest.split_once(':').unwrap_or_else(|| panic!("{file}:{}: marker has no ': COMMAND'", i + 1));
        assert_eq!(
            lines.get(i + 1).map(|s| s.trim()),
            Some("```text"),
            "{file}:{}: an output marker must be directly followed by a ```text fence",
            i + 1
        );
        let body: Vec<String> =
            lines[i + 2..].iter().take_while(|s| s.trim() != "```").map(|s| s.to_string()).collect();
        assert!(i + 2 + body.len() < lines.len(), "{file}:{}: fence not closed", i + 1);
        out.push(Quote {
            file: file.into(),
            line: i + 1,
            flags: flags.split_whitespace().map(String::from).collect(),
            command: command.trim().into(),
            expected: body,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_parsed() {
        let doc = "x\n<!-- output root kernel=6.18 exit=1: rawbpf load a.o -->\n```text\nl1\n...\n```\n\
                   <!-- output-illustrative -->\n```text\nnot checked\n```\n";
        let q = parse("d.md", doc);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].flags, ["root", "kernel=6.18", "exit=1"]);
        assert_eq!(q[0].command, "rawbpf load a.o");
        assert_eq!(q[0].expected, ["l1", "..."]);
        assert_eq!((q[0].exit(), q[0].kernel(), q[0].scope()), (1, Some("6.18"), Scope::KernelBuild));
    }
}
