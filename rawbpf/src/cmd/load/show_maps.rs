//! `rawbpf load --show-maps[=SECS]`: the object's maps decoded, as `rawbpf map dump` prints
//! them, every SECS while the programs run and once more at exit, so a map can be watched
//! growing. `.rodata` and `.kconfig` (constant) and the ring maps (no elements to read) are
//! left out.

use std::io::Write;
use std::time::{Duration, Instant};

use loader::kernel_map::{KernelMap, MapTypes};
use loader::load::LoadedMap;
use loader::object::{MapKind, Object};
use loader::sys::{self, MapType};

use crate::cmd::map::View;
use crate::json::{obj, Json};
use crate::render::error::chain;

/// One map being watched.
struct Watched {
    name: String,
    map: KernelMap,
    types: Option<MapTypes>,
}

/// The maps to print and when.
pub struct ShowMaps {
    maps: Vec<Watched>,
    every: Duration,
    start: Instant,
    next: Instant,
    json: bool,
}

/// Whether `--show-maps` prints this map: BTF-defined maps with elements, `.data` and `.bss`.
fn shown(kind: &MapKind, map_type: MapType) -> bool {
    let rings = matches!(map_type, MapType::PERF_EVENT_ARRAY | MapType::RINGBUF | MapType::USER_RINGBUF);
    match kind {
        MapKind::BtfDefined { .. } => !rings,
        MapKind::Global { section } => !section.starts_with(".rodata"),
        MapKind::Kconfig | MapKind::Inner => false,
    }
}

impl ShowMaps {
    /// Opens the shown maps of `loaded` (in object order) with their BTF; `every` seconds.
    pub fn new(obj: &Object, loaded: &[LoadedMap], every: f64, json: bool) -> Result<ShowMaps, String> {
        let mut maps = Vec::new();
        for (def, m) in obj.maps.iter().zip(loaded) {
            if !shown(&def.kind, m.map_type) {
                continue;
            }
            let what = |e: &(dyn std::error::Error + 'static)| format!("--show-maps: map {}: {}", m.name, chain(e));
            let fd = m.fd.try_clone().map_err(|e| what(&e))?;
            let info = sys::map_info(&fd).map_err(|e| what(&e))?;
            let map = KernelMap { fd, info };
            let types = map.types().map_err(|e| what(&e))?;
            maps.push(Watched { name: m.name.clone(), map, types });
        }
        let every = Duration::from_secs_f64(every.max(0.01));
        let start = Instant::now();
        Ok(ShowMaps { maps, every, start, next: start + every, json })
    }

    /// How long until the next print is due (zero when it is).
    pub fn until_due(&self, now: Instant) -> Duration {
        self.next.saturating_duration_since(now)
    }

    /// Prints every map if a print is due.
    pub fn tick(&mut self, out: &mut impl Write, now: Instant) {
        if now >= self.next {
            self.print(out, now);
            // Late ticks are not caught up: one print per due time from now on.
            while self.next <= now {
                self.next += self.every;
            }
        }
    }

    /// Prints every map as just opened (`--no-attach`: nothing ran yet), at time 0.
    pub fn print_initial(&self, out: &mut impl Write) {
        self.print(out, self.start);
    }

    /// Prints every map now (the last print, at exit).
    pub fn print(&self, out: &mut impl Write, now: Instant) {
        let t = now.duration_since(self.start).as_secs_f64();
        for w in &self.maps {
            let view = View { map: &w.map, types: w.types.as_ref() };
            let entries = match w.map.entries() {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("rawbpf: --show-maps: map {}: {}", w.name, chain(&e));
                    continue;
                }
            };
            if self.json {
                let all = entries.iter().map(|(k, v)| view.entry_json(k, v)).collect();
                let line = obj([
                    ("map", Json::from(w.name.as_str())),
                    ("time", Json::from(round_ms(t))),
                    ("entries", Json::Array(all)),
                ]);
                let _ = writeln!(out, "{line}");
                continue;
            }
            let _ = writeln!(out, "map {} at {t:.1} s: {} element(s)", w.name, entries.len());
            for (k, v) in &entries {
                for line in view.entry_lines(k, v) {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        let _ = out.flush();
    }
}

/// Seconds to the millisecond, so the JSON does not carry float noise.
fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}
