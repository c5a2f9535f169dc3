//! `rawbpf check`'s offline verdicts against the real loads of the same run: for every
//! program of every object, does `check` (given the running kernel's BTF) say it loads exactly
//! when `rawbpf load` loaded it? A refusal by a security policy (EPERM although every
//! capability is there, as fentry on the development host) is a kernel answer no BTF can
//! predict: such pairs are counted apart, not compared.

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

/// Runs `rawbpf check OBJ --btf BTF --json` for each object and compares with `rows`.
pub fn compare(rows: &[Row], objects: &[Object], rawbpf: &Path, btf: &Path) -> Agreement {
    let mut a = Agreement { agree: 0, unpredictable: 0, disagreements: Vec::new() };
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
            if says == Some(row.rawbpf.loaded()) {
                a.agree += 1;
            } else {
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
