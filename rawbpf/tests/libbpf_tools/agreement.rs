//! `rawbpf check`'s offline verdicts against the real loads of the same run: for every
//! program of every object, does `check` (given the running kernel's BTF) say it loads exactly
//! when `rawbpf load` loaded it? A refusal by a security policy (EPERM although every
//! capability is there, as fentry on the development host) is a kernel answer no BTF can
//! predict: such pairs are counted apart, not compared.
//!
//! Known disagreements are listed with their explanation in
//! `tests/differential/expected/<kernel>.check.txt` (`OBJECT<TAB>PROGRAM<TAB>why`): an unlisted
//! disagreement fails, and so does a listed pair that now agrees (a ratchet, as the gaps are).

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use crate::carve::Object;
use crate::loaders::Verdict;
use crate::ratchet::Row;

/// The comparison's counts and every disagreement, in words.
pub struct Agreement {
    pub agree: usize,
    pub unpredictable: usize,
    pub disagreements: Vec<String>,
    /// Disagreements not listed as known, and listed ones that now agree.
    pub failures: Vec<String>,
}

/// The known disagreements of a `.check.txt` file: (object, program) pairs.
pub fn parse_known(text: &str) -> HashSet<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_owned(), f.next()?.to_owned()))
        })
        .collect()
}

impl Agreement {
    /// Agreeing pairs per compared pair, in percent (100 when nothing was compared).
    pub fn percent(&self) -> f64 {
        let compared = self.agree + self.disagreements.len();
        if compared == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / compared as f64
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "check agrees with the real loads on {} of {} (program, kernel) pairs ({:.1}%), {} refused by a policy not compared",
            self.agree,
            self.agree + self.disagreements.len(),
            self.percent(),
            self.unpredictable
        )
    }
}

/// Runs `rawbpf check OBJ --btf BTF --json` for each object and compares with `rows`; `known`
/// lists the disagreements explained in the kernel's `.check.txt`.
pub fn compare(
    rows: &[Row],
    objects: &[Object],
    rawbpf: &Path,
    btf: &Path,
    known: &HashSet<(String, String)>,
) -> Agreement {
    let mut a = Agreement { agree: 0, unpredictable: 0, disagreements: Vec::new(), failures: Vec::new() };
    for o in objects {
        let out = Command::new(rawbpf).arg("check").arg(&o.path).arg("--btf").arg(btf).arg("--json").output();
        let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
        let predicted: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        for row in rows.iter().filter(|r| r.object == o.name) {
            if let Verdict::Refused(why) = &row.rawbpf {
                if why.contains("BPF_PROG_LOAD failed: EPERM") {
                    a.unpredictable += 1;
                    continue;
                }
            }
            let p = predicted.iter().find(|p| p["program"] == row.program.as_str());
            let says = p.and_then(|p| p["loads"].as_bool());
            let listed = known.contains(&(row.object.clone(), row.program.clone()));
            if says == Some(row.rawbpf.loaded()) {
                a.agree += 1;
                if listed {
                    a.failures
                        .push(format!("{} {}: check now agrees, remove it from .check.txt", row.object, row.program));
                }
            } else {
                if !listed {
                    a.failures.push(format!(
                        "{} {}: check disagrees and .check.txt does not explain it",
                        row.object, row.program
                    ));
                }
                let reasons = p.map_or_else(|| "no verdict".to_owned(), |p| p["reasons"].to_string());
                a.disagreements.push(format!(
                    "{} {}: check says {}, rawbpf load {} {reasons}",
                    row.object,
                    row.program,
                    match says {
                        Some(true) => "loads",
                        Some(false) => "fails",
                        None => "nothing",
                    },
                    row.rawbpf
                ));
            }
        }
    }
    a
}
