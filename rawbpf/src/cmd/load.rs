//! `rawbpf load`: the whole pipeline, then the trace output until Ctrl-C or `--duration`.

mod show_maps;
mod stream;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use loader::attach::{self, AttachOptions, Link, ProbeAttachMode};
use loader::diagnose::caps::Caps;
use loader::events::{EventOptions, EventType, Events};
use loader::globals;
use loader::load::{self, LoadOptions, Loaded};
use loader::object::Object;
use loader::progress::Observer;
use loader::sys;
use loader::trace_pipe::{Origin, TracePipe, Tracefs};

use crate::json::{obj, Json};
use crate::render::narrate::{Detail, Narrator};
use crate::render::{error as words, globals as global_words, narrate, narrate::mechanism};

/// Load a BPF object, attach its programs and stream their bpf_printk output and events.
///
/// The steps, each visible with --explain: read the ELF (programs by section name, maps, global
/// data, relocations); rewrite the object's BTF for this kernel and load it (BPF_BTF_LOAD); apply
/// CO-RE relocations against /sys/kernel/btf/vmlinux; create maps (BPF_MAP_CREATE); link each
/// program (subprograms, map fds) and load it (BPF_PROG_LOAD); attach it (BPF_LINK_CREATE or the
/// kind's own mechanism); then read /sys/kernel/tracing/trace_pipe and every perf event array
/// and ring buffer map of the object (bpf_perf_event_output, bpf_ringbuf_output) until Ctrl-C
/// or --duration, and sum up what the rings delivered and lost.
/// Exiting closes every fd, and the kernel frees everything rawbpf created.
///
/// Pinning: maps declared `__uint(pinning, LIBBPF_PIN_BY_NAME)` are reused from
/// --pin-root DIR (default /sys/fs/bpf) when a compatible map is pinned there (same type, sizes,
/// max_entries, flags), refused when an incompatible one is, and otherwise created and pinned
/// there; such a pin stays after exit, as with libbpf. --pin DIR pins every map for the run only.
///
/// Examples:
///   sudo rawbpf load progs/connect.o
///   sudo rawbpf load progs/tp_btf.o --duration 5 --json
///   sudo rawbpf load progs/maps_globals.o --no-attach
///   sudo rawbpf load progs/ringbuf_output.o --event-type event --json
///   sudo rawbpf load fsdist.bpf.o --program file_read_entry --attach-target file_read_entry=ext4_file_read_iter --no-attach
///   sudo rawbpf load progs/globals.o --set target_pid=1234 --set greeting=hi --set level=RAWBPF_LOUD
///   sudo rawbpf load progs/pin_counts.o --show-maps=2
///   sudo rawbpf load progs/maps_globals.o --pin /sys/fs/bpf/mg   (another shell: rawbpf map dump pinned /sys/fs/bpf/mg/rawbpf_counts)
///
/// Which programs: by default every program whose section does not start with '?' (libbpf's
/// autoload); with --program, exactly the ones named, '?' or not. Only those are processed: a
/// sibling in an unknown section, or using something rawbpf does not support, does not stop them.
///
/// Global variables: --set NAME=VALUE writes a global variable of .rodata, .data or .bss
/// before anything is loaded, typed by the object's BTF (what a libbpf skeleton does between
/// open and load): integers in decimal or 0x hex, enums by enumerator name, true/false, one
/// character, a string for a char array, comma-separated elements for other arrays. A .rodata
/// (const volatile) value is a constant to the verifier. `rawbpf inspect` lists the globals.
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct LoadArgs {
    /// The clang-built BPF object (clang -target bpf -g -O2 -c).
    pub object: PathBuf,
    /// Load only this program (function name), even if its section starts with '?'; repeat
    /// for several.
    #[arg(long = "program", value_name = "NAME")]
    pub programs: Vec<String>,
    /// Load program PROG for this kernel function (or MODULE:FUNC, or tracepoint for tp_btf)
    /// instead of its section's target, like libbpf's bpf_program__set_attach_target; for
    /// fentry, fexit, fmod_ret, tp_btf, lsm and iter programs. For kprobe, ksyscall and
    /// kprobe.multi programs: the function (FUNC+OFFSET, syscall name, glob) to probe; for
    /// uprobes BINARY:FUNC. Repeat for several programs.
    #[arg(long = "attach-target", value_name = "PROG=FUNC", value_parser = words::parse_attach_target)]
    pub attach_targets: Vec<(String, String)>,
    /// kretprobes and kretsyscalls: let N instances of the probed function return through the
    /// probe at once (the kernel's default is max(10, 2 per CPU): returns of more tasks inside
    /// the function at once are missed). Made through tracefs kprobe_events, since the kprobe
    /// PMU cannot say it.
    #[arg(long = "kretprobe-maxactive", value_name = "N")]
    pub kretprobe_maxactive: Option<u32>,
    /// How kprobes and uprobes are made, as libbpf's attach_mode: the PMU with a perf link where
    /// the kernel has them (default), tracefs kprobe_events/uprobe_events (legacy), the PMU
    /// with PERF_EVENT_IOC_SET_BPF (perf), or the PMU with a perf link only (link).
    #[arg(long = "probe-attach-mode", value_name = "MODE", value_enum, default_value_t = ProbeMode::Default)]
    pub probe_attach_mode: ProbeMode,
    /// Set global variable NAME (in .rodata, .data or .bss) to VALUE before loading; repeat
    /// for several.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    pub sets: Vec<(String, String)>,
    /// Target BTF for CO-RE (raw BTF, an ELF with .BTF, a vmlinuz or linux-image .deb) instead of the running
    /// kernel's.
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
    /// Load only: print each program's id and tag (like `bpftool prog show`) and exit.
    #[arg(long)]
    pub no_attach: bool,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Decode each perf event array / ring buffer record as this struct of the object's BTF
    /// (e.g. `event`); without it records print as hex.
    #[arg(long, value_name = "NAME")]
    pub event_type: Option<String>,
    /// While records keep coming, let each wait up to this many milliseconds so the rings are
    /// read in batches rather than one wakeup per record or two (never so long that a ring
    /// would fill past an eighth); 0 reads on every wakeup, as libbpf's ring_buffer__poll.
    #[arg(long, value_name = "MS", default_value_t = 1.0, value_parser = parse_delay)]
    pub busy_delay: f64,
    /// One JSON object per trace line and record (and a JSON document for --no-attach).
    #[arg(long)]
    pub json: bool,
    /// Narrate each phase, CO-RE decision and bpf() command as it happens.
    #[arg(long)]
    pub explain: bool,
    /// Show the verifier's log for each program even when it loads (1: normal, 2: every state).
    #[arg(long, value_name = "LEVEL")]
    pub verifier_log: Option<u32>,
    /// Pin every map of the object as DIR/MAP_NAME (DIR on a bpffs, created if missing) so
    /// another shell can read them (`rawbpf map dump pinned DIR/NAME`); removed at exit.
    #[arg(long, value_name = "DIR")]
    pub pin: Option<PathBuf>,
    /// With --pin: leave the pins in place at exit.
    #[arg(long, requires = "pin")]
    pub keep_pins: bool,
    /// Where maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)` are pinned and reused
    /// (default /sys/fs/bpf, as libbpf). A compatible map pinned there is reused; a map the load
    /// pins there stays pinned after exit.
    #[arg(long, value_name = "DIR")]
    pub pin_root: Option<PathBuf>,
    /// Print the object's maps (BTF-defined maps, .data and .bss), decoded as `rawbpf map dump`
    /// prints them, every SECS seconds (default 1) while the programs run, and once at exit.
    #[arg(long, value_name = "SECS", num_args = 0..=1, require_equals = true, default_missing_value = "1")]
    pub show_maps: Option<f64>,
}

/// Runs `rawbpf load`; `detail` is how much of the pipeline to narrate on stderr.
pub fn run(args: LoadArgs, detail: Detail) -> ExitCode {
    let detail = if args.explain { detail.max(Detail::Phases) } else { detail };
    match execute(&args, &mut Narrator { detail }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("rawbpf: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn execute(args: &LoadArgs, narrator: &mut Narrator) -> Result<(), String> {
    let caps = Caps::current().unwrap_or_default();
    if !caps.can_trace() {
        return Err("loading BPF programs needs root, or CAP_BPF with CAP_PERFMON (and CAP_NET_ADMIN for \
                    network programs)\n  fix: run it with sudo"
            .into());
    }
    sys::install_stop_handler().map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))?;
    let obj = Object::open(&args.object).map_err(|e| format!("{}: {}", args.object.display(), words::chain(&e)))?;
    let obj = set_globals(obj, &args.sets, narrator)?;
    let opts = LoadOptions {
        programs: args.programs.clone(),
        target_btf: args.btf.clone(),
        verifier_log: args.verifier_log,
        attach_targets: args.attach_targets.iter().cloned().collect(),
        pin_root: args.pin_root.clone(),
    };
    let loaded = load::load_observed(&obj, &opts, narrator).map_err(|e| words::load(&e))?;
    for p in &loaded.programs {
        if let Some(log) = &p.verifier_log {
            eprintln!("verifier log for {}:\n{log}", p.name);
        }
    }
    // Declared before the links, so the pins go after them on every return path.
    let pins = pin_maps(args, &loaded, narrator)?;
    let mut show = match args.show_maps {
        Some(secs) => Some(show_maps::ShowMaps::new(&obj, &loaded.maps, secs, args.json)?),
        None => None,
    };
    if args.no_attach {
        print_loaded(&loaded, args.json);
        if let Some(show) = &show {
            show.print_initial(&mut std::io::stdout().lock());
        }
        return Ok(());
    }
    // Open trace_pipe before attaching so the first events are not missed.
    let tracefs = Tracefs::find_or_mount().map_err(|e| words::tracefs(&e))?;
    if tracefs.origin == Origin::MountedNow {
        narrator.step(loader::progress::Step::TracefsMounted(&tracefs.root));
    }
    let mut pipe = TracePipe::open(&tracefs).map_err(|e| format!("{}: {e}", tracefs.trace_pipe().display()))?;
    let event_type = match &args.event_type {
        Some(name) => Some(EventType::find(obj.btf.as_ref(), name).map_err(|e| words::chain(&e))?),
        None => None,
    };
    // The rings too are set up before attaching.
    let event_opts = EventOptions { busy_delay: Duration::from_secs_f64(args.busy_delay / 1e3), ..Default::default() };
    let mut events = Events::open(&loaded.maps, &event_opts).map_err(|e| words::chain(&e))?;
    let attach_opts =
        AttachOptions { kretprobe_maxactive: args.kretprobe_maxactive, probe_mode: args.probe_attach_mode.into() };
    let links = attach_all(&loaded, &attach_opts, narrator)?;
    let printer = stream::Printer { event_type, json: args.json };
    stream::run(&mut pipe, &mut events, &printer, args.duration, show.as_mut())?;
    // Links first, then rings, programs, maps and their pins: the reverse of creation.
    let n = links.len();
    drop(links);
    drop(events);
    drop(show);
    drop(loaded);
    drop(pins);
    eprintln!("rawbpf: detached {n} link(s); everything rawbpf created is released");
    Ok(())
}

/// `--pin DIR`: every map pinned, to be unpinned when the result drops (unless --keep-pins).
fn pin_maps(args: &LoadArgs, loaded: &Loaded, narrator: &Narrator) -> Result<Option<loader::pins::Pins>, String> {
    let Some(dir) = &args.pin else { return Ok(None) };
    let mut pins = loader::pins::pin_all(&loaded.maps, dir).map_err(|e| words::pin(&e))?;
    if args.keep_pins {
        pins.keep();
    }
    let fate = if args.keep_pins { "kept after exit (--keep-pins)" } else { "removed at exit" };
    eprintln!("rawbpf: pinned {} map(s) in {}, {fate}", pins.paths().len(), dir.display());
    if narrator.detail >= Detail::Phases {
        for p in pins.paths() {
            eprintln!("rawbpf: pin      {}", p.display());
        }
    }
    Ok(Some(pins))
}

/// `obj` with the `--set` values written into its global-data maps (as is without any: a copy
/// would hold the object's BTF and sections twice); on any error nothing is loaded.
fn set_globals(obj: Object, sets: &[(String, String)], narrator: &Narrator) -> Result<Object, String> {
    if sets.is_empty() {
        return Ok(obj);
    }
    let obj = &obj;
    let vars = globals::list(obj).map_err(|e| words::chain(&e))?;
    let mut assignments = Vec::new();
    for (name, value) in sets {
        let a = globals::assignment(obj, &vars, name, value)
            .map_err(|e| format!("--set {name}={value}: {}", global_words::set_error(&e)))?;
        if narrator.detail >= Detail::Phases {
            eprintln!(
                "rawbpf: globals  {name} = {value}  ({} bytes at {}+{})",
                a.bytes.len(),
                obj.maps[a.map.get()].name,
                a.offset
            );
        }
        assignments.push(a);
    }
    Ok(globals::apply(obj, &assignments))
}

/// `--probe-attach-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeMode {
    /// The PMU and a perf link where the kernel has them, else what it has.
    Default,
    /// tracefs dynamic events.
    Legacy,
    /// The PMU and PERF_EVENT_IOC_SET_BPF.
    Perf,
    /// The PMU and a perf link.
    Link,
}

impl From<ProbeMode> for ProbeAttachMode {
    fn from(m: ProbeMode) -> Self {
        match m {
            ProbeMode::Default => ProbeAttachMode::Default,
            ProbeMode::Legacy => ProbeAttachMode::Legacy,
            ProbeMode::Perf => ProbeAttachMode::Perf,
            ProbeMode::Link => ProbeAttachMode::Link,
        }
    }
}

/// `--busy-delay MS`: from 0 to a second, so that no typo stalls the stream.
fn parse_delay(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(ms) if (0.0..=1000.0).contains(&ms) => Ok(ms),
        _ => Err(format!("'{s}' is not a number of milliseconds from 0 to 1000")),
    }
}

/// `NAME=VALUE` for --set.
fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("'{s}' is not NAME=VALUE (a global variable of the object, then its value)")),
    }
}

fn attach_all(loaded: &Loaded, opts: &AttachOptions, obs: &mut dyn Observer) -> Result<Vec<Link>, String> {
    let mut links = Vec::new();
    let attacher = attach::Attacher::new(loaded, *opts);
    for p in &loaded.programs {
        match attacher.attach(p, obs).map_err(|e| words::attach(&e))? {
            Some(l) => {
                match &l.probe {
                    Some(probe) => eprintln!(
                        "rawbpf: attached {} to {} ({})",
                        l.program,
                        narrate::probe(&l, probe),
                        mechanism(l.mechanism)
                    ),
                    None => eprintln!("rawbpf: attached {} to {} ({})", l.program, l.target, mechanism(l.mechanism)),
                }
                links.push(l);
            }
            None => {
                eprintln!("rawbpf: {}", words::not_attached(p))
            }
        }
    }
    if links.is_empty() {
        return Err("no program could be attached by rawbpf; use --no-attach to only load".into());
    }
    Ok(links)
}

fn print_loaded(loaded: &Loaded, json: bool) {
    if json {
        let progs = loaded
            .programs
            .iter()
            .map(|p| {
                obj([
                    ("name", Json::from(p.name.as_str())),
                    ("section", p.section.as_str().into()),
                    ("type", sys::prog_type_name(p.kind.prog_type()).into()),
                    ("id", p.info.id.get().into()),
                    ("tag", p.info.tag_hex().into()),
                    ("attach_btf_id", p.target.as_ref().map_or(Json::Null, |t| t.btf_id.get().into())),
                ])
            })
            .collect();
        let maps = loaded
            .maps
            .iter()
            .map(|m| obj([("name", Json::from(m.name.as_str())), ("id", m.id.get().into())]))
            .collect();
        println!("{}", obj([("programs", Json::Array(progs)), ("maps", Json::Array(maps))]));
        return;
    }
    for p in &loaded.programs {
        println!(
            "{}: {}  name {}  tag {}",
            p.info.id,
            sys::prog_type_name(p.kind.prog_type()),
            p.name,
            p.info.tag_hex()
        );
    }
    for m in &loaded.maps {
        println!("map {}: {}", m.id, m.name);
    }
}
