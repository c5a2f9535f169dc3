//! `rawbpf map list|show|dump|lookup|update|delete|count`: the kernel's maps, spelled as bpftool
//! spells them, with keys and values decoded by the map's BTF.

mod args;
mod count_words;

use std::process::ExitCode;

use btf::value::decode;
use clap::Args;
use loader::kernel_map::{self, KernelMap, MapTypes};
use loader::sys::{possible_cpus, MapType};

use crate::json::{obj, Json};
use crate::render::{error::chain, value};
use args::{parse, Action};

const LONG_ABOUT: &str = "\
Read and write the kernel's BPF maps, decoded by their BTF.

  rawbpf map list                                 every map: id, type, name, sizes, entries
  rawbpf map show MAP                             one map
  rawbpf map dump MAP                             every element, key and value decoded
  rawbpf map lookup MAP key DATA                  one element
  rawbpf map update MAP key DATA value DATA [any|noexist|exist]
  rawbpf map delete MAP key DATA
  rawbpf map count MAP                            how many elements it holds

MAP is `id N`, `name NAME` or `pinned PATH` (as bpftool spells them). DATA is the key's or value's bytes, as
bpftool takes them (`0x0a 0 0 0`, one token per byte), or, when the map has BTF and the type
is an integer or an enum, one number or enumerator name (`key 10`). Keys and values print as
C initializers (`{ .count = 3, .last_ns = 1234 }`) when the map has BTF, else as hex bytes;
per-CPU maps print one value per possible CPU. --json prints JSON documents instead.
count reads many elements per call (BPF_MAP_LOOKUP_BATCH, Linux 5.6+) where the kernel has
that for the map's type, else walks the keys one by one (BPF_MAP_GET_NEXT_KEY); --explain
says which, and --json gives it as \"method\": \"batch\" or \"get_next_key\".

Examples:
  sudo rawbpf map list
  sudo rawbpf map dump name rawbpf_counts
  sudo rawbpf map lookup id 42 key 7 --json
  sudo rawbpf map dump pinned /sys/fs/bpf/counts";

/// `rawbpf map ...`
#[derive(Args, Debug)]
#[command(about = "Read and write the kernel's BPF maps, decoded by their BTF", long_about = LONG_ABOUT)]
pub struct MapArgs {
    /// JSON output.
    #[arg(long, global = true)]
    json: bool,
    /// Say how the command read the map (count: batches or key by key, and why).
    #[arg(long, global = true)]
    explain: bool,
    /// The subcommand and its words: list | show MAP | dump MAP | lookup MAP key DATA | ...
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    words: Vec<String>,
}

/// Runs `rawbpf map`.
pub fn run(args: MapArgs) -> ExitCode {
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("rawbpf map: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn execute(args: &MapArgs) -> Result<(), String> {
    // `--json` (or bpftool's `-j`) may come after the words, where clap leaves it among them.
    let json = args.json || args.words.iter().any(|w| w == "--json" || w == "-j");
    let explain = args.explain || args.words.iter().any(|w| w == "--explain");
    let (count_opts, words) = args::count_options(&args.words)?;
    let words: Vec<String> =
        words.into_iter().filter(|w| !matches!(w.as_str(), "--json" | "-j" | "--explain")).collect();
    let args = &MapArgs { json, explain, words };
    let action = parse(&args.words)?;
    if let Action::List = action {
        let maps = kernel_map::list().map_err(|e| chain(&e))?;
        return Ok(print_list(&maps, args.json));
    }
    let spec = action.spec().expect("every other action names a map");
    let map = kernel_map::open(spec).map_err(|e| chain(&e))?;
    let types = map.types().map_err(|e| chain(&e))?;
    let view = View { map: &map, types: types.as_ref() };
    match action {
        Action::List => unreachable!("handled above"),
        Action::Show(_) => print_list(std::slice::from_ref(&map), args.json),
        Action::Dump(_) => view.dump(args.json)?,
        Action::Count(_) => {
            let c = map.count_with(count_opts).map_err(|e| chain(&e))?;
            if args.explain {
                eprintln!("rawbpf::map: {}", count_words::explain(&c));
            }
            if args.json {
                let method = Json::from(count_words::method_name(c.method));
                println!("{}", obj([("count", Json::from(c.elements)), ("method", method)]));
            } else {
                println!("{}", c.elements);
            }
        }
        Action::Lookup(_, key) => {
            let k = view.key_bytes(&key)?;
            match map.lookup(&k).map_err(|e| chain(&e))? {
                Some(v) => view.print_entry(&k, &v, args.json),
                None => return Err(format!("no element with key {}", value::hex(&k))),
            }
        }
        Action::Update(_, key, val, how) => {
            let (k, v) = (view.key_bytes(&key)?, view.value_bytes(&val)?);
            map.update(&k, &v, how).map_err(|e| match e.errno() {
                // What a full hash map answers: say so rather than "Argument list too long".
                nix::errno::Errno::E2BIG => format!("the map is full ({} elements)", map.info.max_entries),
                _ => chain(&e),
            })?;
        }
        Action::Delete(_, key) => {
            let k = view.key_bytes(&key)?;
            if !map.delete(&k).map_err(|e| chain(&e))? {
                return Err(format!("no element with key {}", value::hex(&k)));
            }
        }
    }
    Ok(())
}

fn print_list(maps: &[KernelMap], json: bool) {
    for m in maps {
        let i = &m.info;
        if json {
            let fields = [
                ("id", Json::from(i.id.get())),
                ("type", Json::from(i.map_type.to_string())),
                ("name", Json::from(i.name.as_str())),
                ("flags", Json::from(i.map_flags)),
                ("bytes_key", Json::from(i.key_size)),
                ("bytes_value", Json::from(i.value_size)),
                ("max_entries", Json::from(i.max_entries)),
                ("btf_id", Json::from(i.btf_id.get())),
            ];
            println!("{}", obj(fields));
        } else {
            let btf = if i.btf_id.get() != 0 { format!("  btf_id {}", i.btf_id) } else { String::new() };
            println!(
                "{}: {}  name {}  flags {:#x}\n\tkey {}B  value {}B  max_entries {}{btf}",
                i.id, i.map_type, i.name, i.map_flags, i.key_size, i.value_size, i.max_entries
            );
        }
    }
}

/// A map and its BTF types, for decoding and encoding its elements (also what
/// `rawbpf load --show-maps` prints with).
pub(crate) struct View<'a> {
    /// The map.
    pub map: &'a KernelMap,
    /// Its key and value types, when it has BTF.
    pub types: Option<&'a MapTypes>,
}

impl View<'_> {
    fn key_bytes(&self, words: &[String]) -> Result<Vec<u8>, String> {
        let t = self.types.map(|t| (&t.btf, t.key));
        args::data(words, self.map.info.key_size as usize, t)
    }

    fn value_bytes(&self, words: &[String]) -> Result<Vec<u8>, String> {
        let t = self.types.map(|t| (&t.btf, t.value));
        let one = args::data(words, self.map.info.value_size as usize, t)?;
        if !self.map.info.map_type.is_per_cpu() {
            return Ok(one);
        }
        // The same value on every CPU, each in an 8-byte-aligned slot.
        let slot = one.len().next_multiple_of(8);
        let cpus = possible_cpus().map_err(|e| format!("counting CPUs: {e}"))?;
        let mut all = vec![0u8; slot * cpus];
        for c in 0..cpus {
            all[c * slot..c * slot + one.len()].copy_from_slice(&one);
        }
        Ok(all)
    }

    fn dump(&self, json: bool) -> Result<(), String> {
        let entries = self.map.entries().map_err(|e| chain(&e))?;
        if json {
            let all: Vec<Json> = entries.iter().map(|(k, v)| self.entry_json(k, v)).collect();
            println!("{}", Json::Array(all));
        } else {
            for (k, v) in &entries {
                self.print_entry(k, v, false);
            }
            println!("Found {} element(s)", entries.len());
        }
        Ok(())
    }

    fn print_entry(&self, k: &[u8], v: &[u8], json: bool) {
        if json {
            println!("{}", self.entry_json(k, v));
            return;
        }
        for line in self.entry_lines(k, v) {
            println!("{line}");
        }
    }

    /// One element as `dump` prints it: `key: K  value: V`, or a line per CPU.
    pub(crate) fn entry_lines(&self, k: &[u8], v: &[u8]) -> Vec<String> {
        let values = self.values(v);
        if values.len() == 1 {
            return vec![format!("key: {}  value: {}", self.key_text(k), values[0].1)];
        }
        let mut lines = vec![format!("key: {}", self.key_text(k))];
        lines.extend(values.into_iter().map(|(cpu, text)| format!("  cpu {cpu}: {text}")));
        lines
    }

    fn key_text(&self, k: &[u8]) -> String {
        self.decoded(k, self.types.map(|t| t.key))
    }

    /// `(cpu, text)` per value slot (one slot for maps that are not per-CPU).
    fn values(&self, v: &[u8]) -> Vec<(usize, String)> {
        let ty = self.types.map(|t| t.value);
        self.slots(v).into_iter().enumerate().map(|(cpu, s)| (cpu, self.decoded(s, ty))).collect()
    }

    fn slots<'b>(&self, v: &'b [u8]) -> Vec<&'b [u8]> {
        let size = self.map.info.value_size as usize;
        if !self.map.info.map_type.is_per_cpu() || size == 0 {
            return vec![&v[..size.min(v.len())]];
        }
        v.chunks(size.next_multiple_of(8)).map(|c| &c[..size.min(c.len())]).collect()
    }

    fn decoded(&self, bytes: &[u8], ty: Option<btf::TypeId>) -> String {
        match (self.types, ty) {
            (Some(t), Some(ty)) => decode(&t.btf, ty, bytes).map_or_else(|_| value::hex(bytes), |v| value::text(&v)),
            _ => value::hex(bytes),
        }
    }

    /// One element as `dump --json` prints it: `{"key": K, "value": V}`.
    pub(crate) fn entry_json(&self, k: &[u8], v: &[u8]) -> Json {
        let as_json = |bytes: &[u8], ty: Option<btf::TypeId>| match (self.types, ty) {
            (Some(t), Some(ty)) => {
                decode(&t.btf, ty, bytes).map_or_else(|_| Json::from(value::hex(bytes)), |v| value::json(&v))
            }
            _ => Json::from(value::hex(bytes)),
        };
        let key = as_json(k, self.types.map(|t| t.key));
        let ty = self.types.map(|t| t.value);
        let slots = self.slots(v);
        let value = if MapType::is_per_cpu(self.map.info.map_type) {
            Json::Array(slots.iter().map(|s| as_json(s, ty)).collect())
        } else {
            as_json(slots[0], ty)
        };
        obj([("key", key), ("value", value)])
    }
}
