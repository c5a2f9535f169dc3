//! The two loaders under comparison, each run as its own process on one program of one object:
//! libbpf through the test-only oracle `tests/vm/oracle/loadone.c`, and `rawbpf load --program
//! NAME --no-attach --json`. Each run gets a private mount namespace with a fresh bpffs on
//! /sys/fs/bpf: objects that pin maps by name then never see (or leave) pins of the host or of
//! each other, and every load starts from the same empty bpffs.
//!
//! Kernels before 5.11 charge BPF memory to the user's RLIMIT_MEMLOCK, and every root process
//! counts against the same user: a load would then fail or not depending on what another load
//! still holds (freeing is deferred past the loader's exit). There, loads run one at a time and
//! each waits until the kernel has freed the previous one's programs and maps (`settle`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What one loader made of one program.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Loaded; the kernel's tag (hex), which is equal when both loaders produced the same program.
    Loaded { tag: String },
    /// Refused, with the loader's error on one line.
    Refused(String),
}

impl Verdict {
    pub fn loaded(&self) -> bool {
        matches!(self, Verdict::Loaded { .. })
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Verdict::Loaded { tag } => write!(f, "loads, tag {tag}"),
            Verdict::Refused(why) => write!(f, "refuses: {why}"),
        }
    }
}

/// The binaries, a scratch directory for their output, how long one load may take (the
/// verifier under TCG is slow, but a load that hangs must not hang the suite), and whether each
/// load waits for the kernel to free the previous one's objects (see the module comment).
pub struct Loaders {
    pub oracle: PathBuf,
    pub rawbpf: PathBuf,
    pub scratch: PathBuf,
    pub timeout: Duration,
    pub settle: Option<Baseline>,
    /// CO-RE target BTF for both loaders instead of the kernel's (libbpf's `btf_custom_path`,
    /// rawbpf's `--btf`); attach targets still come from the kernel's BTF in both. A directory
    /// holds one per object, `<object file name>.btf` (minimal BTFs).
    pub btf: Option<PathBuf>,
}

/// The program and map ids that existed before the run: settling waits until only these remain.
pub struct Baseline {
    progs: Vec<u32>,
    maps: Vec<u32>,
}

/// The program and map ids the kernel lists now.
fn kernel_ids() -> (Vec<u32>, Vec<u32>) {
    let ids = loader::sys::kernel_ids().unwrap_or_default();
    (ids.progs.iter().map(|i| i.get()).collect(), ids.maps.iter().map(|i| i.get()).collect())
}

impl Baseline {
    /// `Some` on kernels that charge BPF memory to RLIMIT_MEMLOCK (before 5.11), `None` elsewhere.
    pub fn if_memlock_charged(release: &str) -> Option<Baseline> {
        let mut v = release.split(['.', '-']).map(|n| n.parse::<u32>().unwrap_or(0));
        let (major, minor) = (v.next().unwrap_or(0), v.next().unwrap_or(0));
        ((major, minor) < (5, 11)).then(|| {
            let (progs, maps) = kernel_ids();
            Baseline { progs, maps }
        })
    }

    /// Waits (up to 10 s) until no program or map beyond the baseline exists, then a little more:
    /// a map's memory is uncharged by a work item queued after its id is released.
    fn wait(&self) {
        let start = Instant::now();
        let extra = |now: Vec<u32>, base: &[u32]| now.iter().any(|id| !base.contains(id));
        while start.elapsed() < Duration::from_secs(10) && {
            let (progs, maps) = kernel_ids();
            extra(progs, &self.progs) || extra(maps, &self.maps)
        } {
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A program as libbpf lists it.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    pub section: String,
}

impl Loaders {
    /// The programs of `obj`, from `loadone list` (libbpf's view decides what a program is).
    pub fn programs(&self, obj: &Path) -> Result<Vec<Program>, String> {
        let out = Command::new(&self.oracle).arg("list").arg(obj).output().map_err(|e| format!("run oracle: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("libbpf cannot open it: {}", stdout.trim()));
        }
        Ok(stdout
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(name, section)| Program { name: name.into(), section: section.into() })
            .collect())
    }

    /// libbpf's verdict on loading `prog` of `obj` alone. `slot` names this worker's scratch files.
    pub fn libbpf(&self, obj: &Path, prog: &str, slot: usize) -> Verdict {
        let mut cmd = Command::new(&self.oracle);
        cmd.arg("load").arg(obj).arg(prog);
        if let Some(btf) = self.btf_for(obj) {
            cmd.env("LOADONE_BTF", btf);
        }
        let (status, stdout, stderr) = match self.run_isolated(cmd, slot) {
            Ok(r) => r,
            Err(why) => return Verdict::Refused(why),
        };
        let first = stdout.lines().next().unwrap_or("");
        match (first.strip_prefix("ok "), first.strip_prefix("error ")) {
            (Some(ok), _) if status.success() => match ok.split(' ').find_map(|w| w.strip_prefix("tag=")) {
                Some(tag) => Verdict::Loaded { tag: tag.into() },
                None => Verdict::Refused(format!("oracle printed no tag: {first}")),
            },
            (_, Some(error)) => Verdict::Refused(error.into()),
            _ => Verdict::Refused(format!("oracle {status}: {}", first_line(&stderr))),
        }
    }

    /// rawbpf's verdict on loading `prog` of `obj` alone, without attaching.
    pub fn rawbpf(&self, obj: &Path, prog: &str, slot: usize) -> Verdict {
        let mut cmd = Command::new(&self.rawbpf);
        cmd.arg("load").arg(obj).args(["--program", prog, "--no-attach", "--json"]);
        if let Some(btf) = self.btf_for(obj) {
            cmd.arg("--btf").arg(btf);
        }
        let (status, stdout, stderr) = match self.run_isolated(cmd, slot) {
            Ok(r) => r,
            Err(why) => return Verdict::Refused(why),
        };
        if !status.success() {
            // The object's path differs between the host and the VMs; its file name says enough.
            let dir = obj.parent().map_or(String::new(), |d| format!("{}/", d.display()));
            return Verdict::Refused(rawbpf_error(&stderr).replace(&dir, ""));
        }
        let doc: serde_json::Value = match serde_json::from_str(&stdout) {
            Ok(d) => d,
            Err(e) => return Verdict::Refused(format!("exit 0 but no JSON document on stdout ({e})")),
        };
        match doc["programs"].as_array().and_then(|p| p.iter().find(|p| p["name"] == prog)) {
            Some(p) => match p["tag"].as_str() {
                Some(tag) => Verdict::Loaded { tag: tag.into() },
                None => Verdict::Refused("exit 0 but the program has no tag in the JSON".into()),
            },
            None => Verdict::Refused(format!("exit 0 but {prog} is not among the JSON's programs")),
        }
    }

    /// The target BTF for `obj`: the one file, or the object's own in a directory of them.
    fn btf_for(&self, obj: &Path) -> Option<PathBuf> {
        let btf = self.btf.as_ref()?;
        let name = obj.file_name().map(|n| format!("{}.btf", n.to_string_lossy())).unwrap_or_default();
        Some(if btf.is_dir() { btf.join(name) } else { btf.clone() })
    }

    /// Runs `cmd` in a private mount namespace with a fresh bpffs, output to scratch files (a
    /// verifier log can exceed a pipe's buffer), killed after the timeout.
    fn run_isolated(&self, cmd: Command, slot: usize) -> Result<(ExitStatus, String, String), String> {
        if let Some(baseline) = &self.settle {
            baseline.wait();
        }
        let out = self.scratch.join(format!("{slot}.out"));
        let err = self.scratch.join(format!("{slot}.err"));
        let file = |p: &Path| File::create(p).map_err(|e| format!("create {}: {e}", p.display()));
        let mut cmd = private_bpffs(&cmd);
        cmd.stdin(Stdio::null()).stdout(file(&out)?).stderr(file(&err)?);
        let mut child = cmd.spawn().map_err(|e| format!("spawn {:?}: {e}", cmd.get_program()))?;
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("timed out after {} s (killed)", self.timeout.as_secs()));
                }
                Ok(None) => thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(format!("wait: {e}")),
            }
        };
        let read = |p: &Path| fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        Ok((status, read(&out), read(&err)))
    }
}

/// `cmd` run in a mount namespace of its own (unshare(1) makes mounts private, so nothing
/// propagates back to ours) over a new bpffs at /sys/fs/bpf. If the mount fails the command does
/// not run, rather than run against a shared bpffs.
fn private_bpffs(cmd: &Command) -> Command {
    let mut wrapped = Command::new("unshare");
    wrapped
        .args(["-m", "sh", "-c", "mount -t bpf bpf /sys/fs/bpf && exec \"$0\" \"$@\""])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

fn first_line(s: &str) -> &str {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("(no output)")
}

/// rawbpf's error on one line. Its stderr is "rawbpf: MESSAGE" plus indented explanations; when
/// the verifier refused the program, a dump of the verifier log ("rawbpf: verifier log for P:" and
/// indented lines) comes first, and the message is followed by a "verifier: LINE" summary, which
/// is kept (it says why).
pub fn rawbpf_error(stderr: &str) -> String {
    let mut lines = stderr.lines().filter(|l| !l.is_empty() && !l.starts_with([' ', '\t']));
    let mut message = lines.next().unwrap_or("(no output)");
    if message.starts_with("rawbpf: verifier log for ") {
        message = lines.next().unwrap_or(message);
    }
    let message = message.strip_prefix("rawbpf: ").unwrap_or(message);
    match lines.find(|l| l.starts_with("verifier: ")) {
        Some(v) => format!("{message} | {v}"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::rawbpf_error;

    #[test]
    fn rawbpf_errors_fold_to_one_line() {
        assert_eq!(
            rawbpf_error("rawbpf: map events: BPF_MAP_CREATE failed: EINVAL\n  fix: x\n"),
            "map events: BPF_MAP_CREATE failed: EINVAL"
        );
        let verifier = "rawbpf: verifier log for p:\n   0: r0 = 0\n   invalid func\n\nprogram p: BPF_PROG_LOAD failed: EINVAL\n  hint\nverifier: invalid func unknown#1\n  at 8\n";
        assert_eq!(
            rawbpf_error(verifier),
            "program p: BPF_PROG_LOAD failed: EINVAL | verifier: invalid func unknown#1"
        );
        assert_eq!(rawbpf_error(""), "(no output)");
    }
}
