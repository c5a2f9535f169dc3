//! Parse `/sys/kernel/btf/vmlinux`, find FUNC `tcp_connect` and print it as C: rawbpf against
//! libbpf 1.7 and the system's libbpf (1.1 on Debian 12), in the same run.
//! - in-process: rawbpf's library in this process (`loader::vmlinux`, mapped where the kernel
//!   allows it, as the product does), each libbpf in its driver's own loop
//!   (`btf__load_vmlinux_btf`, mapped on libbpf >= 1.6); rounds interleave the sides;
//! - whole process: `rawbpf btf dump tcp_connect` against the driver run once, interleaved;
//!   peak RSS of each;
//! - the floor: map the file and compare every FUNC's name in one pass, no parse kept.
//!
//!   cargo bench -p rawbpf-bench --bench parse     (PARSE_BENCH_ROUNDS, PARSE_BENCH_ITERS)

use std::io::Write;
use std::path::Path;

use btf::Kind;
use rawbpf_bench::child::rawbpf_binary;
use rawbpf_bench::compare::{processes, Peer};
use rawbpf_bench::inproc::{compare, sample_n};
use rawbpf_bench::refs::{libbpfs, Reference};
use rawbpf_bench::report::{header, row, skipped, Figure};
use rawbpf_bench::{benching, env_usize, VMLINUX};

const NAME: &str = "tcp_connect";

/// What `rawbpf btf dump tcp_connect` does, into `out`; the `Btf` (and its mapping) is dropped
/// inside, as libbpf's driver frees its BTF inside its timed loop.
fn parse_find_print(out: &mut std::fs::File) -> u32 {
    let (btf, ids) = loader::vmlinux::open_finding(Path::new(VMLINUX), NAME).expect("load vmlinux BTF");
    let id = ids.into_iter().find(|&id| btf.kind_of(id).is_ok_and(|k| k == Kind::Func)).expect("FUNC tcp_connect");
    let text = btf::c::describe(&btf, id).expect("describe");
    out.write_all(text.as_bytes()).expect("write");
    id.get()
}

/// The floor: map the file, then one pass over the records comparing each FUNC's name; no
/// offsets are kept and nothing is validated beyond staying in bounds.
fn floor() -> Option<u32> {
    let map = loader::sys::SysfsMapping::open(Path::new(VMLINUX)).ok()?;
    let d = map.bytes();
    let u32_at = |at: usize| Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?));
    let hdr = u32_at(4)? as usize;
    let (types, types_len) = (hdr + u32_at(8)? as usize, u32_at(12)? as usize);
    let strings = d.get(hdr + u32_at(16)? as usize..)?;
    let (mut pos, mut id, end) = (types, 1u32, types + types_len);
    while pos + 12 <= end {
        let (name, info) = (u32_at(pos)? as usize, u32_at(pos + 4)?);
        let (kind, vlen) = ((info >> 24) & 0x1f, (info & 0xffff) as u16);
        if kind == 12 && strings.get(name..name + NAME.len() + 1) == Some(b"tcp_connect\0") {
            return Some(id);
        }
        pos += 12 + btf::Kind::from_u32(kind)?.extra_len(vlen);
        id += 1;
    }
    None
}

fn main() {
    if !Path::new(VMLINUX).exists() {
        return println!("SKIP: parse benchmark: {VMLINUX} absent (kernel without BTF)");
    }
    let (rounds, iters, procs) = if benching() {
        (env_usize("PARSE_BENCH_ROUNDS", 7), env_usize("PARSE_BENCH_ITERS", 20), 21)
    } else {
        (1, 1, 1)
    };
    let btf = loader::vmlinux::vmlinux().expect("vmlinux BTF");
    let mapped = btf.heap_bytes() < btf.raw().len();
    println!(
        "parse {VMLINUX} ({} types, {} KiB, {}) + find FUNC {NAME} + print it as C",
        btf.count(),
        btf.raw().len() / 1024,
        if mapped { "mapped" } else { "read: this kernel cannot map it" }
    );
    drop(btf);
    let refs = libbpfs();
    header();
    in_process(rounds, iters, &refs);
    whole_process(procs, &refs);
}

/// Where rawbpf's in-process time goes, each step timed with the ones before it.
fn breakdown(n: usize) {
    let path = Path::new(VMLINUX);
    let map = sample_n(n, || loader::sys::SysfsMapping::open(path).ok());
    let parse = sample_n(n, || loader::vmlinux::vmlinux().ok());
    let find = sample_n(n, || loader::vmlinux::open_finding(path, NAME).ok());
    let index = sample_n(n, || loader::vmlinux::vmlinux().ok()?.find_by_name_kind(NAME, Kind::Func));
    let ms = |s: rawbpf_bench::child::Sample| format!("{:.3} ms", s.wall.as_secs_f64() * 1e3);
    println!(
        "  rawbpf steps: map + unmap {}; + parse {}; + find in the same pass {} (after it: {})",
        ms(map),
        ms(parse),
        ms(find),
        ms(index)
    );
}

fn in_process(rounds: usize, iters: usize, refs: &[Reference]) {
    let mut null = std::fs::File::create("/dev/null").expect("/dev/null");
    let argv = |r: &Reference, n: usize| vec![r.driver("btf_find"), NAME.into(), n.to_string()];
    let ours = compare(
        rounds,
        iters,
        || {
            parse_find_print(&mut null);
        },
        refs,
        argv,
    )
    .expect("in-process rounds");
    let floor_t = sample_n(rounds * iters, floor);
    let what = "map + one pass comparing FUNC names";
    row("in-process vs floor", Figure::Time(ours.wall), Figure::Time(floor_t.wall), what, Some(1.1));
    breakdown(rounds * iters);
}

fn whole_process(procs: usize, refs: &[Reference]) {
    let rawbpf = match rawbpf_binary() {
        Ok(b) => b.to_string_lossy().into_owned(),
        Err(e) => return skipped("whole process", "rawbpf", &e),
    };
    let peers: Vec<Peer> = refs
        .iter()
        .map(|r| {
            let v17 = r.is_1_7();
            Peer {
                label: r.label.clone(),
                argv: vec![r.driver("btf_find"), NAME.into(), "0".into()],
                time_target: v17.then_some(0.4),
                rss_target: v17.then_some(1.0),
            }
        })
        .collect();
    let ours = vec![rawbpf, "btf".into(), "dump".into(), NAME.into()];
    processes(procs, ours, &peers).expect("whole-process runs");
}
