//! The ratchet: compares libbpf's and rawbpf's verdicts program by program against a checked-in
//! list of known gaps (programs libbpf loads and rawbpf does not), and prints the table.
//!
//! Expectations file (one per kernel): `#` comments, then one gap per line,
//! `OBJECT<TAB>PROGRAM<TAB>CLASS`, CLASS being rawbpf's error class when the file was written
//! (informative: a gap whose class changes is reported, not failed).
//!
//! Fails when (a) both load but the tags differ, (b) rawbpf refuses a program libbpf loads that
//! is not listed, (c) rawbpf loads a program libbpf refuses, or (d) a listed gap is no longer one
//! (rawbpf loads it now, or it left the corpus): the list may only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use regex::Regex;

use crate::loaders::Verdict;

/// Both verdicts on one program.
pub struct Row {
    pub object: String,
    pub program: String,
    pub section: String,
    pub libbpf: Verdict,
    pub rawbpf: Verdict,
    /// rawbpf's error class, when it refused.
    pub class: Option<String>,
}

impl Row {
    fn key(&self) -> (String, String) {
        (self.object.clone(), self.program.clone())
    }
    fn line(&self) -> String {
        format!(
            "  {} {} [{}]\n      libbpf: {}\n      rawbpf: {}\n",
            self.object, self.program, self.section, self.libbpf, self.rawbpf
        )
    }
}

/// The known gaps, (object, program) → class.
pub type Expected = BTreeMap<(String, String), String>;

pub fn parse_expected(text: &str) -> Expected {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            Some(((f.next()?.to_owned(), f.next()?.to_owned()), f.next().unwrap_or("").to_owned()))
        })
        .collect()
}

/// The expectations file for these rows: every program libbpf loads and rawbpf refuses.
pub fn format_expected(rows: &[Row], kernel: &str, regenerate: &str) -> String {
    let mut out = format!(
        "# libbpf-tools programs that libbpf loads and rawbpf does not, on kernel {kernel}.\n\
         # The differential test fails on any other difference, and when a line here stops being a gap\n\
         # (the list may only shrink). Regenerate: {regenerate}\n\
         # OBJECT<TAB>PROGRAM<TAB>rawbpf's error class\n"
    );
    for r in rows.iter().filter(|r| r.libbpf.loaded() && !r.rawbpf.loaded()) {
        let _ = writeln!(out, "{}\t{}\t{}", r.object, r.program, r.class.as_deref().unwrap_or(""));
    }
    out
}

/// The outcome: the printout, its line of counts, and the failures (empty: the ratchet holds).
pub struct Outcome {
    pub report: String,
    pub summary: String,
    pub failures: Vec<String>,
}

/// Compares `rows` (sorted by object, program) with `expected`; `None` means no expectations
/// file exists for this kernel, so gaps are printed but not checked.
pub fn compare(rows: &[Row], expected: Option<&Expected>, kernel: &str) -> Outcome {
    let mut r = String::new();
    let mut failures = Vec::new();
    let summary = counts(rows);
    let _ = writeln!(r, "libbpf-tools differential, kernel {kernel}");
    let _ = writeln!(r, "{summary}");

    // (a) and (c): wrong whatever the expectations say.
    let tag_differs: Vec<&Row> =
        rows.iter().filter(|r| r.libbpf.loaded() && r.rawbpf.loaded() && r.libbpf != r.rawbpf).collect();
    let only_rawbpf: Vec<&Row> = rows.iter().filter(|r| !r.libbpf.loaded() && r.rawbpf.loaded()).collect();
    let gaps: Vec<&Row> = rows.iter().filter(|r| r.libbpf.loaded() && !r.rawbpf.loaded()).collect();
    let _ = writeln!(r, "differences: {}", tag_differs.len() + only_rawbpf.len() + gaps.len());
    report_gaps(&mut r, &gaps);
    for (title, list) in [("rawbpf loads, libbpf refuses", &only_rawbpf), ("both load, tags differ", &tag_differs)] {
        if !list.is_empty() {
            let _ = writeln!(r, "\n== {title} ({})", list.len());
            list.iter().for_each(|row| r.push_str(&row.line()));
        }
    }

    for row in &tag_differs {
        failures
            .push(format!("tags differ: {} {}: libbpf {}, rawbpf {}", row.object, row.program, row.libbpf, row.rawbpf));
    }
    for row in &only_rawbpf {
        failures.push(format!("rawbpf loads what libbpf refuses: {} {} ({})", row.object, row.program, row.libbpf));
    }
    match expected {
        None => {
            let _ = writeln!(r, "\nno expectations for this kernel: the {} gaps above are not checked", gaps.len());
        }
        Some(expected) => check_expected(&mut r, &mut failures, rows, &gaps, expected),
    }
    let _ = writeln!(
        r,
        "\nratchet: {}",
        if failures.is_empty() { "holds".to_owned() } else { format!("{} failures", failures.len()) }
    );
    for f in &failures {
        let _ = writeln!(r, "  FAIL {f}");
    }
    Outcome { report: r, summary, failures }
}

/// The line of counts: objects, programs, what each loader loads, tags, refusals.
fn counts(rows: &[Row]) -> String {
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let objects: BTreeSet<&str> = rows.iter().map(|r| r.object.as_str()).collect();
    format!(
        "objects {}, programs {}: libbpf loads {}, rawbpf loads {}, both {}, identical tags {}, both refuse {}",
        objects.len(),
        rows.len(),
        count(&|r| r.libbpf.loaded()),
        count(&|r| r.rawbpf.loaded()),
        count(&|r| r.libbpf.loaded() && r.rawbpf.loaded()),
        count(
            &|r| matches!((&r.libbpf, &r.rawbpf), (Verdict::Loaded { tag: a }, Verdict::Loaded { tag: b }) if a == b)
        ),
        count(&|r| !r.libbpf.loaded() && !r.rawbpf.loaded()),
    )
}

/// The gaps grouped by rawbpf's error class, largest first: the work list.
fn report_gaps(r: &mut String, gaps: &[&Row]) {
    let mut classes: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for g in gaps {
        classes.entry(g.class.as_deref().unwrap_or("?")).or_default().push(g);
    }
    let mut by_size: Vec<(&str, Vec<&Row>)> = classes.into_iter().collect();
    by_size.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let _ = writeln!(r, "\nlibbpf loads, rawbpf refuses: {} programs, by rawbpf's error class", gaps.len());
    for (class, rows) in &by_size {
        let _ = writeln!(r, "  {:4}  {class}", rows.len());
    }
    for (class, rows) in &by_size {
        let _ = writeln!(r, "\n== {class} ({})", rows.len());
        rows.iter().for_each(|row| r.push_str(&row.line()));
    }
}

/// The ratchet proper: every gap is expected (a changed class is a note), and every expected gap
/// is still one.
fn check_expected(r: &mut String, failures: &mut Vec<String>, rows: &[Row], gaps: &[&Row], expected: &Expected) {
    let current: BTreeMap<(String, String), &Row> = gaps.iter().map(|g| (g.key(), *g)).collect();
    for (key, row) in &current {
        match expected.get(key) {
            None => failures.push(format!(
                "new gap, not in expected: {} {} [{}]: {}",
                row.object,
                row.program,
                row.class.as_deref().unwrap_or("?"),
                row.rawbpf
            )),
            Some(was) if Some(was.as_str()) != row.class.as_deref() => {
                let _ = writeln!(
                    r,
                    "note: {} {}: class now '{}' (expected file: '{was}')",
                    key.0,
                    key.1,
                    row.class.as_deref().unwrap_or("?")
                );
            }
            Some(_) => {}
        }
    }
    let by_key: BTreeMap<(String, String), &Row> = rows.iter().map(|r| (r.key(), r)).collect();
    for key in expected.keys().filter(|k| !current.contains_key(*k)) {
        failures.push(match by_key.get(key) {
            Some(row) if row.rawbpf.loaded() => format!("now loads, remove from expected: {} {}", key.0, key.1),
            Some(row) => format!("no longer a gap (libbpf {}), remove from expected: {} {}", row.libbpf, key.0, key.1),
            None => format!("not in the corpus, remove from expected: {} {}", key.0, key.1),
        });
    }
}

/// rawbpf's error, reduced to a class that groups the same cause across programs and objects:
/// names, paths and numbers go, the errno and the kind of thing that failed stay. `map_kind`
/// describes a map of the object by name (its type, and max_entries when it is 0: the usual
/// reason a create fails), when it can. `memlock_charged`: the kernel charges BPF memory to
/// RLIMIT_MEMLOCK (before 5.11), where EPERM for root means that limit was hit.
pub fn classify(error: &str, map_kind: &dyn Fn(&str) -> Option<String>, memlock_charged: bool) -> String {
    let rule = |re: &str| Regex::new(re).expect("class regex");
    if memlock_charged && rule(r"BPF_(MAP_CREATE|PROG_LOAD) failed: EPERM").is_match(error) {
        return "memlock: EPERM from the RLIMIT_MEMLOCK charge (kernel < 5.11)".into();
    }
    if let Some(c) = rule(r"^map (\S+): BPF_MAP_CREATE failed: (\w+)").captures(error) {
        let kind = map_kind(&c[1]).unwrap_or_else(|| format!("map {}", &c[1]));
        return format!("BPF_MAP_CREATE {}: {kind}", &c[2]);
    }
    if let Some(c) = rule(r"extern (\w+) \(").captures(error) {
        return format!("extern {} not resolved", &c[1]);
    }
    if let Some(c) = rule(r"section '\??([\w.]+)[^']*' names no program type libbpf knows").captures(error) {
        return format!("unknown section kind '{}'", &c[1]);
    }
    if rule(r"names no attach target and none was given").is_match(error) {
        return "no BTF attach target in the section (chosen at run time)".into();
    }
    if rule(r"has no function \S+ in its BTF").is_match(error) {
        return "attach target not in the kernel's BTF".into();
    }
    if rule(r"(?i)memlock").is_match(error) {
        return "memlock".into();
    }
    // Generic: drop what names this program or object, keep the shape of the message.
    let s = rule(r"^\S+\.bpf\.o: ").replace(error, "");
    let s = rule(r"\b(program|map|section|function|prog) '?[\w./?]+'?").replace_all(&s, "$1 X");
    let s = rule(r"'[^']*'").replace_all(&s, "'X'");
    let s = rule(r"\d+").replace_all(&s, "N");
    s.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(object: &str, program: &str, libbpf: Option<&str>, rawbpf: Option<&str>) -> Row {
        let v = |t: Option<&str>| t.map_or(Verdict::Refused("no".into()), |t| Verdict::Loaded { tag: t.into() });
        let class = rawbpf.is_none().then(|| "some class".to_owned());
        Row {
            object: object.into(),
            program: program.into(),
            section: "s".into(),
            libbpf: v(libbpf),
            rawbpf: v(rawbpf),
            class,
        }
    }

    #[test]
    fn classes_group_the_same_cause() {
        let none = |_: &str| None;
        let perf = |m: &str| (m == "events").then(|| "perf_event_array max_entries 0".to_owned());
        assert_eq!(
            classify("map events: BPF_MAP_CREATE failed: EINVAL (Invalid argument)", &perf, false),
            "BPF_MAP_CREATE EINVAL: perf_event_array max_entries 0"
        );
        assert_eq!(classify("map x: BPF_MAP_CREATE failed: EPERM (x)", &none, false), "BPF_MAP_CREATE EPERM: map x");
        assert!(classify("map x: BPF_MAP_CREATE failed: EPERM (x)", &none, true).starts_with("memlock"));
        let ext = "/c/biolatency.bpf.o: section '.text' relocation #7 (insn 3): not supported yet: extern LINUX_KERNEL_VERSION (kconfig/ksym externs are not resolved by rawbpf)";
        assert_eq!(classify(ext, &none, false), "extern LINUX_KERNEL_VERSION not resolved");
        let unknown = "program p: section 'uretprobe.x/readline' names no program type libbpf knows (close: uretprobe)";
        assert_eq!(classify(unknown, &none, false), "unknown section kind 'uretprobe.x'");
        let no_target = "program p: section 'fentry' names no attach target and none was given";
        assert_eq!(classify(no_target, &none, false), "no BTF attach target in the section (chosen at run time)");
        assert_eq!(
            classify("program p: BPF_PROG_LOAD failed: EINVAL (Invalid argument) | verifier: R1 invalid mem access 'scalar' at 12", &none, false),
            "program X: BPF_PROG_LOAD failed: EINVAL (Invalid argument) | verifier: RN invalid mem access 'X' at N"
        );
    }

    #[test]
    fn the_ratchet_fails_on_each_kind_of_difference_and_on_stale_lines() {
        let rows = vec![
            row("a", "same", Some("t1"), Some("t1")),
            row("a", "tag", Some("t1"), Some("t2")),
            row("a", "known", Some("t1"), None),
            row("a", "new", Some("t1"), None),
            row("a", "extra", None, Some("t1")),
            row("a", "fixed", Some("t1"), Some("t1")),
            row("a", "both_refuse", None, None),
        ];
        let expected = parse_expected("# c\na\tknown\tsome class\na\tfixed\tx\na\tgone\tx\n");
        let out = compare(&rows, Some(&expected), "k");
        let f = out.failures.join("\n");
        for want in [
            "tags differ: a tag",
            "rawbpf loads what libbpf refuses: a extra",
            "new gap, not in expected: a new",
            "now loads, remove from expected: a fixed",
            "not in the corpus, remove from expected: a gone",
        ] {
            assert!(f.contains(want), "missing '{want}' in:\n{f}");
        }
        assert_eq!(out.failures.len(), 5, "{f}");
        assert!(
            out.report.contains("programs 7: libbpf loads 5, rawbpf loads 4, both 3, identical tags 2, both refuse 1"),
            "{}",
            out.report
        );
        // Writing the file from these rows and comparing again leaves only (a) and (c).
        let again = parse_expected(&format_expected(&rows, "k", "x"));
        assert_eq!(compare(&rows, Some(&again), "k").failures.len(), 2);
        assert_eq!(compare(&rows, None, "k").failures.len(), 2);
    }
}
