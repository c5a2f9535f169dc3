//! The whole-BTF C header, usable as `vmlinux.h`: guard, `preserve_access_index` for CO-RE,
//! then every type in dependency order. Output is buffered and flushed in large chunks.

use std::io::Write;

use super::emitter::{Emitter, Style};
use super::order::Order;
use super::Result;
use crate::btf::Btf;
use crate::types::{Body, TypeId};

/// Flush the buffer to the writer once it holds this much.
const FLUSH_AT: usize = 128 * 1024;

const PROLOGUE: &str = "#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

";

const EPILOGUE: &str = "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
";

/// What a header run wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderStats {
    /// Top-level definitions written (structs, unions, enums, typedefs, forward declarations).
    pub definitions: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes a header and remembers the C name each type got (renamed on clashes).
pub struct HeaderWriter<'b> {
    e: Emitter<'b>,
    order: Order,
}

impl<'b> HeaderWriter<'b> {
    /// A writer for every type of `btf`.
    pub fn new(btf: &'b Btf) -> Self {
        HeaderWriter { e: Emitter::new(btf, Style::Header, true), order: Order::new(btf) }
    }

    /// Writes the whole header to `w` (buffered internally; no need to wrap `w`).
    pub fn write(&mut self, w: &mut dyn Write) -> Result<HeaderStats> {
        let mut stats = HeaderStats::default();
        self.e.push(PROLOGUE);
        self.order.mark_referenced(self.e.btf)?;
        let mut queue = Vec::new();
        for id in self.e.btf.ids() {
            self.order.order_top(self.e.btf, id)?;
            self.order.take_queue(&mut queue);
            for &q in &queue {
                self.order.emit(&mut self.e, q, TypeId::VOID, 0)?;
            }
            stats.definitions += queue.len();
            queue.clear();
            self.flush_if_full(w, &mut stats, FLUSH_AT)?;
        }
        self.e.push(EPILOGUE);
        self.flush_if_full(w, &mut stats, 0)?;
        w.flush()?;
        Ok(stats)
    }

    fn flush_if_full(&mut self, w: &mut dyn Write, stats: &mut HeaderStats, at: usize) -> Result<()> {
        if self.e.out.len() >= at {
            w.write_all(self.e.out.as_bytes())?;
            stats.bytes += self.e.out.len() as u64;
            self.e.out.clear();
        }
        Ok(())
    }

    /// The C spelling of named struct, union, enum or typedef `id` as written (`struct foo___2`
    /// is `foo___2`); `None` if it was not written or has no name.
    pub fn c_name(&self, id: TypeId) -> Option<String> {
        let btf = self.e.btf;
        let name = btf.name_of(id).ok().filter(|n| !n.is_empty())?;
        if !self.e.names.is_resolved(id) {
            return None;
        }
        Some(self.e.names.renamed(id).unwrap_or(name).to_owned())
    }

    /// True if `id` got a top-level definition.
    pub fn is_defined(&self, id: TypeId) -> bool {
        self.order.is_emitted(id)
            && matches!(
                self.e.btf.type_by_id(id).map(|t| t.body),
                Ok(Body::Struct(_) | Body::Union(_) | Body::Enum(_) | Body::Enum64(_) | Body::Typedef(_))
            )
    }
}

/// Writes all of `btf` as a C header to `w`.
pub fn write_header(btf: &Btf, w: &mut dyn Write) -> Result<HeaderStats> {
    HeaderWriter::new(btf).write(w)
}
