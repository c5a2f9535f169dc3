//! `Btf`: one parsed BTF blob (base or split), with lazy type decoding and a name index.

use std::sync::Arc;

use crate::bytes::Bytes;
use crate::decode::Record;
use crate::error::{BtfError, HeaderProblem, Result, StrContext};
use crate::flavors::{essential, LazyFlavors};
use crate::names::{hash_cstr, hash_str, LazyNameIndex, NameIndex};
use crate::offsets::Offsets;
use crate::scan::{distinct_names, occurrences, scan_types, Watch};
use crate::strings::nul_len;
use crate::types::*;
use crate::wire::{Endian, Header, Reader};

/// Occurrences of a name up to which a scan compares offsets against the list; beyond, the
/// name (a short one ending many strings) is compared as a string.
const SCAN_LIST_MAX: usize = 16;

/// Most reference hops any real type chain needs; longer means a cycle.
pub const MAX_REF_CHAIN: usize = 64;

/// A parsed BTF blob. Types are decoded on demand from its bytes (owned or shared).
#[derive(Clone, Debug)]
pub struct Btf {
    data: Bytes,
    hdr: Header,
    /// Where each own type starts in `data`, by `id - first_id` (see [`Offsets`]).
    offsets: Offsets,
    /// First type id of this blob: 1 for base BTF, the base's count for split BTF. A plain
    /// number: it is the base of the `offsets` index arithmetic.
    first_id: u32,
    /// String offsets below this belong to the base.
    str_base: u32,
    base: Option<Arc<Btf>>,
    /// Built on the second name lookup; the first is a plain scan (see [`LazyNameIndex`]).
    names: LazyNameIndex,
    /// The flavored names of the string section, found on the first lookup by essential name.
    flavors: LazyFlavors,
    /// The ids of the names looked up while parsing ([`Btf::parse_with_names`]).
    known: KnownNames,
}

impl Btf {
    /// Parses a standalone (base) BTF blob: a `Vec<u8>` it then owns, or [`Bytes::Shared`].
    pub fn parse(data: impl Into<Bytes>) -> Result<Btf> {
        Self::parse_inner(data.into(), None, &[])
    }

    /// Parses a standalone (base) BTF blob like [`Btf::parse`] and looks up `names` in the same
    /// pass over its types: later lookups of those names ([`Btf::ids_by_name`] and what builds
    /// on it) cost nothing, and a process that knows its few names up front (a load: its CO-RE
    /// types, attach targets, ksyms) never scans the types again nor builds the name index.
    /// Only the string section is searched first, once per name.
    pub fn parse_with_names(data: impl Into<Bytes>, names: &[&str]) -> Result<Btf> {
        Self::parse_inner(data.into(), None, names)
    }

    /// [`Btf::parse_with_names`] for one name, returning its ids (ascending; any kind): what
    /// `rawbpf btf dump NAME` needs.
    pub fn parse_finding(data: impl Into<Bytes>, name: &str) -> Result<(Btf, Vec<TypeId>)> {
        let btf = Self::parse_inner(data.into(), None, &[name])?;
        let ids = btf.known.get(name).map(<[TypeId]>::to_vec).unwrap_or_default();
        Ok((btf, ids))
    }

    /// Parses split BTF (a kernel module's) on top of `base`: its ids continue after the
    /// base's last id and its string offsets after the base's strings.
    pub fn parse_split(data: impl Into<Bytes>, base: Arc<Btf>) -> Result<Btf> {
        Self::parse_inner(data.into(), Some(base), &[])
    }

    /// Parses, looking up `names` as the pass meets them (only in base BTF).
    fn parse_inner(bytes: Bytes, base: Option<Arc<Btf>>, names: &[&str]) -> Result<Btf> {
        let data = bytes.as_slice();
        let hdr = Header::parse(data)?;
        let (first_id, str_base) = match &base {
            Some(b) => (b.count(), b.str_end()),
            None => (1, 0),
        };
        let strings = &data[hdr.strings_range()];
        if base.is_none() && strings.first().is_some_and(|&b| b != 0) {
            return Err(BtfError::BadHeader { what: "BTF", reason: HeaderProblem::FirstStringNotEmpty });
        }
        if strings.last().is_some_and(|&b| b != 0) {
            return Err(BtfError::StringsNotTerminated { len: strings.len() });
        }
        if data.len() > u32::MAX as usize {
            return Err(BtfError::BadHeader { what: "BTF", reason: HeaderProblem::TooLarge { len: data.len() } });
        }
        let names = if base.is_some() { &[][..] } else { names };
        let watch = Watch::new(strings, names);
        let scanned = scan_types(data, &hdr, first_id, str_base, &watch)?;
        // Split types named with a base string: check those names exist in the base.
        if let Some(b) = &base {
            for &(name_off, id) in &scanned.in_base {
                b.str_at_ctx(name_off, || StrContext::TypeName { id, kind: None })?;
            }
        }
        let btf = Btf {
            data: bytes,
            hdr,
            offsets: Offsets::new(scanned.kept),
            first_id,
            str_base,
            base,
            names: LazyNameIndex::default(),
            flavors: LazyFlavors::default(),
            known: KnownNames::default(),
        };
        Ok(Btf { known: KnownNames::sort(names, &scanned.hits), ..btf })
    }

    /// The number of type ids, counting void and any base: valid ids are `0..count()`.
    pub fn count(&self) -> u32 {
        self.first_id + self.offsets.len()
    }

    /// The first id defined by this blob (1, or the base's count for split BTF).
    pub fn first_id(&self) -> TypeId {
        TypeId::new(self.first_id)
    }

    /// The base BTF, for split BTF.
    pub fn base(&self) -> Option<&Arc<Btf>> {
        self.base.as_ref()
    }

    /// Byte order of the blob.
    pub fn endian(&self) -> Endian {
        self.hdr.endian
    }

    /// The raw bytes, as parsed.
    pub fn raw(&self) -> &[u8] {
        self.data.as_slice()
    }

    /// One past the last string offset of this blob (and its base).
    fn str_end(&self) -> u32 {
        self.str_base + self.hdr.str_len
    }

    /// The string section of this blob (without the base's), as stored.
    pub fn strings_raw(&self) -> &[u8] {
        &self.raw()[self.hdr.strings_range()]
    }

    /// Size of the string section of this blob (without the base's).
    pub fn strings_len(&self) -> u32 {
        self.hdr.str_len
    }

    /// Heap bytes held (owned data, offsets, name index), without the base.
    pub fn heap_bytes(&self) -> usize {
        self.data.heap_bytes() + self.offsets.heap_bytes() + self.names.get().map_or(0, NameIndex::heap_bytes)
    }

    /// The string at `offset` (offsets below the base's end resolve in the base).
    pub fn str_at(&self, offset: u32) -> Result<&str> {
        self.str_at_ctx(offset, || StrContext::Lookup { offset })
    }

    /// [`Btf::str_at`], with errors naming `ctx()` as the string's owner (built only on error).
    pub(crate) fn str_at_ctx(&self, offset: u32, ctx: impl Fn() -> StrContext) -> Result<&str> {
        self.str_in(self.raw(), offset, ctx)
    }

    /// [`Btf::str_at_ctx`] with this blob's bytes already in hand (`data` is `self.raw()`):
    /// decoding a struct looks up every member's name, and shared bytes cost a dynamic call
    /// per `raw()`.
    #[inline]
    pub(crate) fn str_in<'s>(&'s self, data: &'s [u8], offset: u32, ctx: impl Fn() -> StrContext) -> Result<&'s str> {
        if offset < self.str_base {
            if let Some(b) = &self.base {
                return b.str_at_ctx(offset, ctx);
            }
        }
        let strings = &data[self.hdr.strings_range()];
        let rel = (offset - self.str_base) as usize;
        if let Some(name) = strings.get(rel..).and_then(|b| std::str::from_utf8(&b[..nul_len(b)?]).ok()) {
            return Ok(name);
        }
        self.str_err(strings, rel, offset, &ctx)
    }

    /// The first byte of this blob's string at `offset` (`None` if it is the base's or out of
    /// range); `data` is `self.raw()`.
    #[inline]
    pub(crate) fn str_first_byte(&self, data: &[u8], offset: u32) -> Option<u8> {
        let rel = offset.checked_sub(self.str_base)? as usize;
        data[self.hdr.strings_range()].get(rel).copied()
    }

    /// Why [`Btf::str_in`] found no string: the offset is out of range, or the bytes are not
    /// UTF-8. Out of line, so that the fast half inlines where members are decoded.
    #[inline(never)]
    fn str_err<'s>(&self, strings: &'s [u8], rel: usize, offset: u32, ctx: &dyn Fn() -> StrContext) -> Result<&'s str> {
        let bytes = strings.get(rel..).ok_or_else(|| BtfError::BadStringOffset {
            context: ctx(),
            offset,
            len: self.str_end() as usize,
        })?;
        // The section ends in NUL (checked at parse), so a NUL is always found.
        let end = nul_len(bytes).unwrap_or(bytes.len());
        std::str::from_utf8(&bytes[..end]).map_err(|_| BtfError::BadUtf8 { context: ctx(), offset })
    }

    /// Where own type `id` (not void, not the base's) starts in `data`.
    #[inline(always)]
    fn own_offset(&self, id: TypeId) -> Result<usize> {
        let index = id.get().wrapping_sub(self.first_id);
        if let Some(off) = self.offsets.in_table(index) {
            return Ok(off as usize);
        }
        self.stepped_offset(id, index)
    }

    /// [`Btf::own_offset`] before the full table exists: stepping from a kept offset. Out of
    /// line, so that the table lookup inlines; only here are the bytes needed (a dynamic call
    /// when shared).
    #[inline(never)]
    fn stepped_offset(&self, id: TypeId, index: u32) -> Result<usize> {
        let off = (index < self.offsets.len()).then(|| self.offsets.get(self.raw(), self.hdr.endian, index));
        match off.flatten() {
            Some(off) => Ok(off as usize),
            None => Err(BtfError::NoSuchType { id, count: self.count() }),
        }
    }

    /// Decodes type `id`.
    pub fn type_by_id(&self, id: TypeId) -> Result<Type<'_>> {
        if id == TypeId::VOID {
            return Ok(Type { name: "", body: Body::Void });
        }
        if id.get() < self.first_id {
            if let Some(b) = &self.base {
                return b.type_by_id(id);
            }
        }
        let off = self.own_offset(id)?;
        self.decode(id, off)
    }

    /// Type `id`'s record, to read parts of it without decoding the whole (`None` for void).
    pub(crate) fn record(&self, id: TypeId) -> Result<Option<Record<'_>>> {
        if id == TypeId::VOID {
            return Ok(None);
        }
        if id.get() < self.first_id {
            if let Some(b) = &self.base {
                return b.record(id);
            }
        }
        let off = self.own_offset(id)?;
        Ok(Some(Record::read(self, self.reader(), id, off)?.0))
    }

    /// The kind of type `id`, without decoding its members.
    pub fn kind_of(&self, id: TypeId) -> Result<Kind> {
        if id == TypeId::VOID {
            return Ok(Kind::Void);
        }
        if id.get() < self.first_id {
            if let Some(b) = &self.base {
                return b.kind_of(id);
            }
        }
        let off = self.own_offset(id)?;
        let info = self.reader().u32(off + 4)?;
        let kind = (info >> 24) & 0x1f;
        // Not `ok_or`: an error built on every call is dropped on every call (see `Reader::slice`).
        match Kind::from_u32(kind) {
            Some(k) => Ok(k),
            None => Err(BtfError::UnknownKind { id, offset: off, kind }),
        }
    }

    /// The name of type `id` (empty if anonymous), without decoding the rest.
    pub fn name_of(&self, id: TypeId) -> Result<&str> {
        if id == TypeId::VOID {
            return Ok("");
        }
        if id.get() < self.first_id {
            if let Some(b) = &self.base {
                return b.name_of(id);
            }
        }
        let off = self.own_offset(id)?;
        let name_off = self.reader().u32(off)?;
        self.str_at_ctx(name_off, || StrContext::TypeName { id, kind: None })
    }

    /// All ids named `name`, of any kind, in id order (this blob's first, then the base's).
    pub fn ids_by_name<'s>(&'s self, name: &'s str) -> impl Iterator<Item = TypeId> + 's {
        let mut out: Vec<TypeId> = Vec::new();
        self.collect_by_name(name, hash_str(name.as_bytes()), &mut out);
        out.sort_unstable();
        out.into_iter()
    }

    /// Ids of the types whose essential name (see [`crate::flavors`]) is `essential`: those
    /// named exactly so and those named `essential___FLAVOR`, ascending — what CO-RE looks
    /// for in a target BTF.
    pub fn ids_by_essential_name(&self, essential: &str) -> Vec<TypeId> {
        let mut out: Vec<TypeId> = Vec::new();
        self.collect_by_essential_name(essential, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn collect_by_essential_name(&self, want: &str, out: &mut Vec<TypeId>) {
        self.collect_by_name(want, hash_str(want.as_bytes()), out);
        // A split blob's types may be named by its own strings or by its base's.
        let mut btf = Some(self);
        while let Some(b) = btf {
            for name in b.flavors.get(b.strings_raw()).iter().filter(|n| essential(n) == want) {
                self.collect_by_name(name, hash_str(name.as_bytes()), out);
            }
            btf = b.base.as_deref();
        }
    }

    fn collect_by_name(&self, name: &str, hash: u32, out: &mut Vec<TypeId>) {
        if name.is_empty() {
            return;
        }
        if let Some(ids) = self.known.get(name) {
            out.extend_from_slice(ids);
        } else {
            self.collect_own_by_name(name, hash, out);
        }
        if let Some(b) = &self.base {
            b.collect_by_name(name, hash, out);
        }
    }

    /// This blob's ids named `name`: by scan for the first lookups, then by the index.
    fn collect_own_by_name(&self, name: &str, hash: u32, out: &mut Vec<TypeId>) {
        let index = match self.names.get() {
            Some(i) => Some(i),
            None if self.names.scan_this_lookup() => None,
            None => Some(self.names.build_with(|| self.build_name_index())),
        };
        match index {
            Some(index) => out.extend(index.candidates(hash).filter(|&id| self.name_of(id).is_ok_and(|n| n == name))),
            None => self.scan_by_name(name.as_bytes(), out),
        }
    }

    /// `(id, name offset)` of every type of this blob. Offsets were bounds-checked by the parse
    /// pass, so the 4 bytes at each are there.
    fn name_offsets(&self) -> impl Iterator<Item = (TypeId, u32)> + '_ {
        let e = self.hdr.endian;
        let data = self.raw();
        self.offsets.iter(data, e).enumerate().map(move |(i, off)| {
            let b = &data[off as usize..off as usize + 4];
            (TypeId::new(self.first_id + i as u32), e.u32([b[0], b[1], b[2], b[3]]))
        })
    }

    /// Ids of this blob named `name`, by one pass over the types: the first lookups cost that
    /// instead of building the index. A type is named `name` exactly when its name offset is
    /// where `name\0` occurs in the string section, so the section is searched first (one
    /// vectorized pass, usually one hit: strings are deduplicated) and the types pass then
    /// compares offsets, never touching the strings again.
    fn scan_by_name(&self, name: &[u8], out: &mut Vec<TypeId>) {
        let strings = &self.raw()[self.hdr.strings_range()];
        // Ascending relative offsets of every `name\0`.
        let hits = occurrences(strings, name);
        let base = self.str_base;
        let (lo, hi) = (hits.first().copied().unwrap_or(1), hits.last().copied().unwrap_or(0));
        let few = hits.len() <= SCAN_LIST_MAX;
        for (id, name_off) in self.name_offsets() {
            let rel = name_off.wrapping_sub(base);
            let hit = if name_off < base {
                // Split BTF naming a type with a string of its base.
                self.name_of(id).is_ok_and(|n| n.as_bytes() == name)
            } else if few {
                rel >= lo && rel <= hi && hits.contains(&rel)
            } else {
                // A name ending many strings: compare the string (first byte first).
                let rel = rel as usize;
                strings.get(rel) == name.first()
                    && strings.get(rel..rel + name.len()) == Some(name)
                    && strings.get(rel + name.len()) == Some(&0)
            };
            if hit {
                out.push(id);
            }
        }
    }

    /// Hashes every name of this blob into a fresh index.
    pub(crate) fn build_name_index(&self) -> NameIndex {
        let strings = &self.raw()[self.hdr.strings_range()];
        let mut named = Vec::with_capacity(self.offsets.len() as usize);
        for (id, name_off) in self.name_offsets() {
            if name_off == 0 {
                continue;
            }
            // Offsets were checked at parse: every name is a NUL-terminated string.
            let h = if name_off < self.str_base {
                self.name_of(id).ok().map(|n| hash_str(n.as_bytes()))
            } else {
                hash_cstr(strings, (name_off - self.str_base) as usize)
            };
            if let Some(h) = h {
                named.push((h, id));
            }
        }
        NameIndex::build(&named)
    }

    /// The first id named `name` with kind `kind`, if any.
    pub fn find_by_name_kind(&self, name: &str, kind: Kind) -> Option<TypeId> {
        self.ids_by_name(name).find(|&id| self.kind_of(id).is_ok_and(|k| k == kind))
    }

    /// Every type id of this blob and its base, from 1.
    pub fn ids(&self) -> TypeIds {
        TypeIds::new(TypeId::new(1), TypeId::new(self.count()))
    }

    /// Type ids defined by this blob only.
    pub fn own_ids(&self) -> TypeIds {
        TypeIds::new(TypeId::new(self.first_id), TypeId::new(self.count()))
    }

    fn reader(&self) -> Reader<'_> {
        Reader::new(self.raw(), self.hdr.endian, "BTF")
    }

    fn decode(&self, id: TypeId, off: usize) -> Result<Type<'_>> {
        let r = self.reader();
        let (rec, name_off) = Record::read(self, r, id, off)?;
        let kind = rec.kind();
        let name = self.str_in(r.bytes(), name_off, || StrContext::TypeName { id, kind: Some(kind) })?;
        Ok(Type { name, body: rec.body()? })
    }
}

/// The names looked up in the parsing pass, sorted, with their ids (ascending).
#[derive(Clone, Debug, Default)]
struct KnownNames(Box<[(Box<str>, Box<[TypeId]>)]>);

impl KnownNames {
    /// Groups the watched records `hits` (ascending ids, each with the index of its name among
    /// the distinct `names`) by name.
    fn sort(names: &[&str], hits: &[(TypeId, u32)]) -> KnownNames {
        let distinct = distinct_names(names);
        let mut ids: Vec<Vec<TypeId>> = vec![Vec::new(); distinct.len()];
        for &(id, w) in hits {
            ids[w as usize].push(id);
        }
        let mut known: Vec<(Box<str>, Box<[TypeId]>)> =
            distinct.into_iter().zip(ids).map(|(n, v)| (Box::from(n), v.into_boxed_slice())).collect();
        known.sort_by(|a, b| a.0.cmp(&b.0));
        KnownNames(known.into_boxed_slice())
    }

    /// The ids named `name`, if it was looked up while parsing.
    fn get(&self, name: &str) -> Option<&[TypeId]> {
        let i = self.0.binary_search_by(|(n, _)| (**n).cmp(name)).ok()?;
        Some(&self.0[i].1)
    }
}
