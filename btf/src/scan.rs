//! The one pass over type records at parse time: where each record starts, with every
//! record's length and name offset checked against the sections.
//!
//! Each record's length gives the next record's offset, so a plain scan is one long chain of
//! dependent loads and the CPU waits on each. For large base BTF (vmlinux: 126k records) a
//! second chain starts at a record boundary found near the middle of the section and runs
//! interleaved with the first; when the first reaches an offset the second recorded, the
//! rest is known. A wrong guess costs nothing but the wasted steps: the first chain never
//! trusts the second until they meet on the same offset, and only the first reports errors.

use crate::error::{BtfError, Result, StrContext};
use crate::offsets::{Checkpoints, STRIDE};
use crate::types::{Kind, TypeId};
use crate::wire::{Endian, Header, BTF_TYPE_LEN};

/// What a scan found: the kept record offsets, `(name_off, id)` of names in the base's strings
/// (split BTF), and the records named by a watched name (see [`Watch`]) with the index of that
/// name, by ascending id.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub kept: Checkpoints,
    pub in_base: Vec<(u32, TypeId)>,
    pub hits: Vec<(TypeId, u32)>,
}

/// The length of the record at blob offset `at` of `data`, from its info word; `None` past the
/// end or for an unknown kind. For records the scan accepted, so only their length is read.
#[inline]
pub(crate) fn record_len(data: &[u8], endian: Endian, at: usize) -> Option<usize> {
    let b = data.get(at + 4..at + 8)?;
    let info = endian.u32([b[0], b[1], b[2], b[3]]);
    let kind = (info >> 24) & 0x1f;
    if (KNOWN_KINDS >> kind) & 1 == 0 {
        return None;
    }
    let fixed = ((FIXED_Q >> (2 * kind)) & 3) as usize * 4;
    let per = ((PER_Q >> (2 * kind)) & 3) as usize * 4;
    Some(BTF_TYPE_LEN + fixed + per * (info & 0xffff) as usize)
}

/// Names the scan reports records for, compared where each record's name starts, so that
/// those lookups cost no second pass and no search of the string section. Empty for a plain
/// parse. A record is named `name` exactly when `name\0` is at its name offset (which may be
/// the end of a longer string: BTF may name a type by a suffix).
#[derive(Clone, Debug, Default)]
pub(crate) struct Watch<'a> {
    /// The blob's own string section.
    strings: &'a [u8],
    /// Each watched name followed by its NUL, distinct, in the caller's order of first mention.
    names: Vec<Vec<u8>>,
    /// Bit `k` set when some name's first two bytes (a one-byte name: it and its NUL) are `k`
    /// as a big-endian pair: one load from this 8 KiB table rules out almost every record
    /// before any name is compared.
    pairs: Vec<u64>,
}

/// The two bytes at `at` of `s` as a big-endian pair, the second 0 past the end.
#[inline(always)]
fn pair_at(s: &[u8], at: usize) -> Option<usize> {
    let first = *s.get(at)? as usize;
    Some(first << 8 | s.get(at + 1).copied().unwrap_or(0) as usize)
}

impl<'a> Watch<'a> {
    /// Watches `names` in `strings` (a string section). Duplicates share the index of their
    /// first mention; empty names and names with a NUL name no record and are never reported.
    pub fn new(strings: &'a [u8], names: &[&str]) -> Self {
        let distinct = distinct_names(names);
        let named = |n: &&str| !n.is_empty() && !n.contains('\0');
        // A name that names no record gets a lone NUL: `name_at` only runs where a name starts
        // with a non-NUL byte, so it never matches.
        let needle = |n: &&str| if named(n) { [n.as_bytes(), b"\0"].concat() } else { vec![0] };
        let mut watch = Watch { strings, names: distinct.iter().map(needle).collect(), pairs: Vec::new() };
        if distinct.iter().any(named) {
            watch.pairs = vec![0u64; 1024];
            for n in watch.names.iter().filter(|n| n[0] != 0) {
                let k = pair_at(n, 0).unwrap_or(0);
                watch.pairs[k / 64] |= 1 << (k % 64);
            }
        }
        watch
    }

    /// The index (in [`Watch::new`]'s order, duplicates dropped) of the watched name a record
    /// named at `name_off` (an offset in the blob's own strings) has, if any; `pairs` is
    /// `self.pairs`, passed in so the scan loops keep it in registers.
    #[inline(always)]
    fn hit(&self, pairs: &[u64], name_off: u32) -> Option<u32> {
        if pairs.is_empty() {
            return None;
        }
        let at = name_off as usize;
        let k = pair_at(self.strings, at)?;
        if pairs[k / 64] >> (k % 64) & 1 == 0 {
            return None;
        }
        self.name_at(at)
    }

    /// Which watched name is at `at` of the strings (the cold half of [`Watch::hit`]).
    #[inline(never)]
    fn name_at(&self, at: usize) -> Option<u32> {
        let s = self.strings;
        let i = self.names.iter().position(|n| s.get(at..at + n.len()) == Some(n.as_slice()))?;
        u32::try_from(i).ok()
    }

    /// How many distinct names are watched (their indices are `0..len()`).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// `names` without repeats, in order of first mention: the order of [`Watch`]'s indices.
pub(crate) fn distinct_names<'n>(names: &[&'n str]) -> Vec<&'n str> {
    let mut distinct: Vec<&str> = Vec::with_capacity(names.len());
    for n in names {
        if !distinct.contains(n) {
            distinct.push(n);
        }
    }
    distinct
}

/// Ascending offsets in `strings` (a string section) where `name` occurs as a whole
/// NUL-terminated string or as the end of one (BTF may name a type by a suffix of another
/// string): exactly the name offsets of records named `name`. None for a name with a NUL.
pub(crate) fn occurrences(strings: &[u8], name: &[u8]) -> Vec<u32> {
    if name.is_empty() || name.contains(&0) {
        return Vec::new();
    }
    let mut needle = Vec::with_capacity(name.len() + 1);
    needle.extend_from_slice(name);
    needle.push(0);
    // Offsets fit in u32: blobs over 4 GiB are refused before any scan.
    memchr::memmem::find_iter(strings, &needle).map(|p| p as u32).collect()
}

/// Below this many bytes of types, one chain: the second would not pay for its setup.
const TWO_CHAINS_MIN: usize = 64 * 1024;
/// Records a candidate start for the second chain must pass to be used.
const PROBE_RECORDS: usize = 16;
/// How far past the middle to look for a candidate, in bytes.
const PROBE_SPAN: usize = 4096;

/// Records the types section of `data`, whose ids start at number `first_id` and whose names below
/// `str_base` belong to the base, reporting the records `watch` names.
pub(crate) fn scan_types(
    data: &[u8],
    hdr: &Header,
    first_id: u32,
    str_base: u32,
    watch: &Watch<'_>,
) -> Result<Scanned> {
    scan_types_with(data, hdr, first_id, str_base, watch, true)
}

/// [`scan_types`], with the second chain allowed or not (tests compare the two).
fn scan_types_with(
    data: &[u8],
    hdr: &Header,
    first_id: u32,
    str_base: u32,
    watch: &Watch<'_>,
    two: bool,
) -> Result<Scanned> {
    // One copy of the loop per byte order, so no per-read branch on it.
    match hdr.endian {
        Endian::Little => Scan::<false>::new(data, hdr, str_base, watch).run(first_id, two),
        Endian::Big => Scan::<true>::new(data, hdr, str_base, watch).run(first_id, two),
    }
}

/// Bytes after the 12-byte header by kind number, in units of 4 and packed 2 bits per kind:
/// the fixed part (`FIXED_Q`) and the part per vlen entry (`PER_Q`). Shifting a constant keeps
/// a table load off the chain. Mirrors [`Kind::extra_len`]; `Kind::ALL[k]` is kind number `k`.
const fn pack_extra(per_entry: bool) -> u64 {
    let mut q = 0u64;
    let mut k = 0;
    while k < Kind::ALL.len() {
        let fixed = Kind::ALL[k].extra_len(0);
        let n = if per_entry { Kind::ALL[k].extra_len(1) - fixed } else { fixed };
        assert!(n % 4 == 0 && n / 4 < 4, "extra length does not fit the packing");
        q |= ((n / 4) as u64) << (2 * k);
        k += 1;
    }
    q
}
const FIXED_Q: u64 = pack_extra(false);
const PER_Q: u64 = pack_extra(true);
/// Bit `k` set: kind number `k` is known.
const KNOWN_KINDS: u32 = (1 << Kind::ALL.len()) - 1;

/// Why one record is not acceptable (turned into a [`BtfError`] once its id is known).
#[derive(Clone, Copy, Debug)]
enum Bad {
    Truncated { need: usize },
    UnknownKind { kind: u32 },
    Name { kind: u32, name_off: u32 },
}

/// How the two chains ended, and where the single chain goes on: a position in the section
/// and the index of the record there.
#[derive(Debug, PartialEq)]
enum Joined {
    /// The first chain reached an offset the second recorded; go on from the second's end.
    Met(usize, u32),
    /// They never met; the first chain goes on from here alone.
    Alone(usize, u32),
}

/// One record's facts, read by [`Scan::step`].
#[derive(Clone, Copy)]
struct Step {
    len: usize,
    name_off: u32,
}

struct Scan<'a, const BIG: bool> {
    types: &'a [u8],
    /// Where the types section starts in the blob (offsets are blob offsets).
    base_off: usize,
    strings_len: usize,
    str_base: u32,
    watch: &'a Watch<'a>,
}

impl<'a, const BIG: bool> Scan<'a, BIG> {
    fn new(data: &'a [u8], hdr: &Header, str_base: u32, watch: &'a Watch<'a>) -> Self {
        let types = &data[hdr.types_range()];
        let strings_len = hdr.strings_range().len();
        Scan { types, base_off: hdr.types_range().start, strings_len, str_base, watch }
    }

    #[inline(always)]
    fn word(&self, at: usize) -> u32 {
        let b = self.types;
        let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if BIG {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    }

    /// Reads and checks the record at `pos` (which is inside the section).
    #[inline(always)]
    fn step(&self, pos: usize) -> std::result::Result<Step, Bad> {
        let left = self.types.len() - pos;
        if left < BTF_TYPE_LEN {
            return Err(Bad::Truncated { need: BTF_TYPE_LEN });
        }
        let name_off = self.word(pos);
        let info = self.word(pos + 4);
        let kind = (info >> 24) & 0x1f;
        if (KNOWN_KINDS >> kind) & 1 == 0 {
            return Err(Bad::UnknownKind { kind });
        }
        let fixed = ((FIXED_Q >> (2 * kind)) & 3) as usize * 4;
        let per = ((PER_Q >> (2 * kind)) & 3) as usize * 4;
        let len = BTF_TYPE_LEN + fixed + per * (info & 0xffff) as usize;
        if left < len {
            return Err(Bad::Truncated { need: len });
        }
        // The string section ends in NUL (checked before), so any offset inside it starts a
        // terminated string. Names below `str_base` are the base's, checked by the caller.
        if name_off >= self.str_base && (name_off - self.str_base) as usize >= self.strings_len {
            return Err(Bad::Name { kind, name_off });
        }
        Ok(Step { len, name_off })
    }

    /// The error for `bad` at record `id` (a plain number in the loop: it counts records).
    fn error(&self, bad: Bad, id: u32, pos: usize) -> BtfError {
        let (id, len) = (TypeId::new(id), self.types.len());
        match bad {
            Bad::Truncated { need } => BtfError::TypeTruncated { id, offset: pos, need, len },
            Bad::UnknownKind { kind } => BtfError::UnknownKind { id, offset: pos, kind },
            Bad::Name { kind, name_off } => BtfError::BadStringOffset {
                context: StrContext::TypeName { id, kind: Some(Kind::from_u32(kind).unwrap_or(Kind::Void)) },
                offset: name_off,
                len: self.str_base as usize + self.strings_len,
            },
        }
    }

    fn run(&self, first_id: u32, two_chains: bool) -> Result<Scanned> {
        // Records are at least 12 bytes: bound the vector by what the section can hold.
        let kept = self.types.len() / BTF_TYPE_LEN / STRIDE as usize + 1;
        let kept = Checkpoints { a: Vec::with_capacity(kept), ..Checkpoints::default() };
        let mut out = Scanned { kept, ..Scanned::default() };
        let (mut pos, mut n) = (0, 0u32);
        // Split BTF names base strings, which the second chain does not track; it is small anyway.
        if two_chains && self.str_base == 0 && self.types.len() >= TWO_CHAINS_MIN {
            if let Some(guess) = self.probe_boundary(self.types.len() / 2) {
                (pos, n) = match self.two_chains(guess, first_id, &mut out)? {
                    Joined::Met(at, index) | Joined::Alone(at, index) => (at, index),
                };
            }
        }
        let pairs = self.watch.pairs.as_slice();
        while pos < self.types.len() {
            let id = first_id + n;
            let s = self.step(pos).map_err(|bad| self.error(bad, id, pos))?;
            if s.name_off != 0 && s.name_off < self.str_base {
                out.in_base.push((s.name_off, TypeId::new(id)));
            }
            if let Some(w) = self.watch.hit(pairs, s.name_off) {
                out.hits.push((TypeId::new(id), w));
            }
            out.kept.record(n, (self.base_off + pos) as u32);
            n += 1;
            pos += s.len;
        }
        out.kept.count = n;
        Ok(out)
    }

    /// A position at or after `from` where `PROBE_RECORDS` records in a row read as valid,
    /// each with a known non-void kind: very likely a record boundary (and harmless if not).
    fn probe_boundary(&self, from: usize) -> Option<usize> {
        let start = from & !3;
        let end = (start + PROBE_SPAN).min(self.types.len());
        (start..end).step_by(4).find(|&p| {
            let mut q = p;
            (0..PROBE_RECORDS).all(|_| {
                // Kind 0 is valid only as the implicit void, never as a record.
                let ok = q + BTF_TYPE_LEN <= self.types.len() && (self.word(q + 4) >> 24) & 0x1f != 0;
                let step = if ok { self.step(q).ok() } else { None };
                step.map(|s| q += s.len).is_some()
            })
        })
    }

    /// Runs the chain from 0 (which reports errors) together with one from `guess` (which
    /// stops quietly at anything invalid). Returns where the single chain must continue, with
    /// `out` filled up to there.
    fn two_chains(&self, guess: usize, first_id: u32, out: &mut Scanned) -> Result<Joined> {
        let n = self.types.len();
        // The second chain keeps every STRIDE-th of its positions (its step counts 0, S, 2S...):
        // which records those are is known once the chains meet.
        let mut second: Vec<u32> = Vec::with_capacity((n - guess) / BTF_TYPE_LEN / STRIDE as usize + 1);
        // Steps of the second chain that met a watched name, with the name's index.
        let mut second_hits: Vec<(u32, u32)> = Vec::new();
        let pairs = self.watch.pairs.as_slice();
        let (mut a, mut b) = (0usize, guess);
        let (mut a_index, mut b_steps) = (0u32, 0u32);
        let mut b_alive = true;
        let mut next = 0; // first index of `second` not below `a`
        loop {
            if a >= guess {
                while next < second.len() && (second[next] as usize) < a {
                    next += 1;
                }
                if next < second.len() && second[next] as usize == a {
                    // Met: record `a_index` is the second chain's step `next * STRIDE`, and from
                    // here the second chain's records are the true ones.
                    let met_step = next as u32 * STRIDE;
                    let true_hits = second_hits.iter().filter(|&&(k, _)| k >= met_step);
                    out.hits.extend(true_hits.map(|&(k, w)| (TypeId::new(first_id + a_index + (k - met_step)), w)));
                    out.kept.b_start = a_index;
                    out.kept.b = second[next..].iter().map(|&o| (self.base_off + o as usize) as u32).collect();
                    return Ok(Joined::Met(b, a_index + (b_steps - met_step)));
                }
                if next == second.len() && (!b_alive || b <= a) {
                    return Ok(Joined::Alone(a, a_index)); // the guess was not a boundary
                }
            }
            if a >= n {
                return Ok(Joined::Alone(a, a_index));
            }
            let id = first_id + a_index;
            let s = self.step(a).map_err(|bad| self.error(bad, id, a))?;
            if let Some(w) = self.watch.hit(pairs, s.name_off) {
                out.hits.push((TypeId::new(id), w));
            }
            out.kept.record(a_index, (self.base_off + a) as u32);
            a_index += 1;
            a += s.len;
            // `b < n` whenever the second chain is alive.
            if b_alive {
                match self.step(b) {
                    Ok(s) => {
                        if let Some(w) = self.watch.hit(pairs, s.name_off) {
                            second_hits.push((b_steps, w));
                        }
                        if b_steps % STRIDE == 0 {
                            second.push(b as u32);
                        }
                        b_steps += 1;
                        b += s.len;
                        b_alive = b < n;
                    }
                    Err(_) => b_alive = false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Body, Composite, Member, Type};
    use crate::BtfBuilder;

    /// Every record's offset, stepped from the kept ones; checks each kept one on the way.
    fn all_offsets(data: &[u8], kept: &Checkpoints) -> Vec<u32> {
        let all: Vec<u32> = crate::offsets::Offsets::new(kept.clone()).iter(data, Endian::Little).collect();
        assert_eq!(all.len() as u32, kept.count, "stepping reaches every record");
        assert_kept_match(kept, &all, "scan");
        all
    }

    /// Each kept offset is the offset of the record it says it is.
    fn assert_kept_match(kept: &Checkpoints, all: &[u32], what: &str) {
        for (i, &o) in kept.a.iter().enumerate() {
            assert_eq!(Some(&o), all.get(i * STRIDE as usize), "{what}: kept a[{i}]");
        }
        for (j, &o) in kept.b.iter().enumerate() {
            let at = kept.b_start as usize + j * STRIDE as usize;
            assert_eq!(Some(&o), all.get(at), "{what}: kept b[{j}] (record {at})");
        }
    }

    /// Offsets, and the ids of the records named `s` (watched), or the error text.
    type Outcome = Result<(Vec<u32>, Vec<(TypeId, u32)>), String>;

    /// Both scans of `data`, watching the name `s`.
    fn both(data: &[u8]) -> (Outcome, Outcome) {
        let hdr = Header::parse(data).unwrap();
        let watch = Watch::new(&data[hdr.strings_range()], &["s"]);
        let run = |two| {
            let s = scan_types_with(data, &hdr, 1, 0, &watch, two).map_err(|e| e.to_string())?;
            Ok((all_offsets(data, &s.kept), s.hits))
        };
        (run(false), run(true))
    }

    /// A blob well over `TWO_CHAINS_MIN` whose records have mixed lengths (structs with
    /// many members, so a guess in the middle may land inside one).
    fn big_blob() -> Vec<u8> {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true);
        for i in 0..900u32 {
            let members: Vec<Member> = (0..(i % 23))
                .map(|m| Member { name: "m", type_id: int, bit_offset: 32 * m, bitfield_size: 0 })
                .collect();
            let size = 4 * (i % 23).max(1);
            b.add(&Type { name: "s", body: Body::Struct(Composite { size, members }) });
            b.ptr(int);
        }
        b.build()
    }

    /// Offsets a scan may return: one per record, in order, the first at the section's start,
    /// each past the previous one by at least a record header, all inside the types section.
    fn assert_offsets_sane(offsets: &[u32], types: &std::ops::Range<usize>, what: &str) {
        assert_eq!(offsets.first().map(|&o| o as usize), Some(types.start), "{what}: first record");
        for w in offsets.windows(2) {
            assert!(w[1] as usize >= w[0] as usize + 12, "{what}: records at {} and {} overlap", w[0], w[1]);
        }
        let last = *offsets.last().unwrap() as usize;
        assert!(last + 12 <= types.end, "{what}: last record at {last} runs past {}", types.end);
    }

    #[test]
    fn two_chains_record_the_same_offsets_as_one() {
        let data = big_blob();
        let hdr = Header::parse(&data).unwrap();
        assert!(hdr.types_range().len() >= TWO_CHAINS_MIN, "blob too small to use two chains");
        let (one, two) = both(&data);
        let (offsets, hits) = one.as_ref().unwrap();
        assert_eq!(offsets.len(), 1801);
        // Every other record is a struct named `s` (ids 2, 4, ...), found by both chains.
        assert_eq!(hits, &(1..=900).map(|i| (TypeId::new(2 * i), 0)).collect::<Vec<_>>());
        assert_eq!(one, two);
    }

    #[test]
    fn a_watched_name_is_reported_only_for_records_of_that_exact_name() {
        let mut b = BtfBuilder::new();
        let a = b.int("a", 4, true);
        let bb = b.int("b", 4, true);
        b.int("ab", 4, true);
        let data = b.build();
        let hdr = Header::parse(&data).unwrap();
        // "a\0b" would match at "a" if names were compared past their NUL; "" names nothing.
        let watch = Watch::new(&data[hdr.strings_range()], &["a\0b", "", "b", "a", "b"]);
        assert_eq!(watch.len(), 4);
        let s = scan_types_with(&data, &hdr, 1, 0, &watch, false).unwrap();
        assert_eq!(s.hits, vec![(a, 3), (bb, 2)]);
    }

    #[test]
    fn two_chains_agree_with_one_under_corruption() {
        let clean = big_blob();
        let hdr = Header::parse(&clean).unwrap();
        let types = hdr.types_range();
        // Corrupt one word at a time at offsets spread over the section, before, at and after
        // the middle where the second chain starts; both scans must give the same answer.
        // What is accepted must still be a sane record list; most of these words break it.
        let (mut checked, mut refused) = (0, 0);
        for at in types.clone().step_by(4 * 97) {
            for value in [0xffff_ffffu32, 0x1f00_0000, 0x0400_ffff, 0] {
                let mut data = clean.clone();
                data[at..at + 4].copy_from_slice(&value.to_le_bytes());
                let (one, two) = both(&data);
                assert_eq!(one, two, "word at {at} set to {value:#x}");
                match &one {
                    Ok((offsets, _)) => {
                        assert_offsets_sane(offsets, &types, &format!("word at {at} set to {value:#x}"))
                    }
                    Err(_) => refused += 1,
                }
                checked += 1;
            }
        }
        assert!(checked > 100);
        assert!(refused > 0 && refused < checked, "{refused} of {checked} corruptions refused");
    }

    /// The chains meet on `data` (so the fast path is really taken).
    fn chains_meet(data: &[u8]) -> bool {
        let hdr = Header::parse(data).unwrap();
        let none = Watch::default();
        let scan = Scan::<false>::new(data, &hdr, 0, &none);
        let guess = scan.probe_boundary(scan.types.len() / 2).expect("a boundary near the middle");
        matches!(scan.two_chains(guess, 1, &mut Scanned::default()).unwrap(), Joined::Met(..))
    }

    #[test]
    fn chains_meet_on_a_real_blob() {
        assert!(chains_meet(&big_blob()));
    }

    #[test]
    fn vmlinux_scans_the_same_both_ways() {
        let Ok(data) = std::fs::read(crate::source::VMLINUX_BTF) else {
            return println!("SKIP: vmlinux_scans_the_same_both_ways: {} not readable", crate::source::VMLINUX_BTF);
        };
        let (one, two) = both(&data);
        let hdr = Header::parse(&data).unwrap();
        let (offsets, _) = one.as_ref().unwrap();
        assert_offsets_sane(offsets, &hdr.types_range(), "vmlinux");
        // One offset per type of the parsed BTF (ids 1..count), whatever this kernel's count is.
        assert_eq!(offsets.len() as u32 + 1, crate::Btf::parse(data.clone()).unwrap().count());
        assert_eq!(one, two);
        assert!(chains_meet(&data), "the second chain should meet the first on vmlinux");
    }

    #[test]
    fn a_guess_inside_a_record_is_abandoned_safely() {
        let data = big_blob();
        let hdr = Header::parse(&data).unwrap();
        let watch = Watch::new(&data[hdr.strings_range()], &["s"]);
        let scan = Scan::<false>::new(&data, &hdr, 0, &watch);
        let truth = scan.run(1, false).unwrap();
        let all = all_offsets(&data, &truth.kept);
        let rel: Vec<usize> = all.iter().map(|&o| o as usize - scan.base_off).collect();
        // Every 4-byte position of a stretch in the middle, boundary or not, as the guess.
        let mid = rel[rel.len() / 2];
        let (mut met, mut alone) = (0, 0);
        for guess in (mid..mid + 200).step_by(4) {
            let mut out = Scanned::default();
            let (at, index) = match scan.two_chains(guess, 1, &mut out).unwrap() {
                Joined::Met(at, index) => (met += 1, (at, index)).1,
                Joined::Alone(at, index) => (alone += 1, (at, index)).1,
            };
            // Whatever was kept is true, and the single chain resumes at a true record.
            assert_kept_match(&out.kept, &all, &format!("guess {guess}"));
            assert!(at == scan.types.len() || rel.get(index as usize) == Some(&at), "guess {guess}: resumes at {at}");
            let want: Vec<(TypeId, u32)> = truth.hits.iter().copied().filter(|(id, _)| id.get() <= index).collect();
            assert_eq!(out.hits, want, "guess {guess}: watched records found so far");
        }
        assert!(met > 0 && alone > 0, "some guesses meet ({met}), some are abandoned ({alone})");
    }
}
