//! Dependency order and forward declarations for a whole header.
//!
//! C needs a struct defined before another struct embeds it, but a pointer only needs
//! `struct foo;`. Ordering is a depth-first walk that queues a named definition after
//! everything it embeds by value ("strong" links); pointers cut the walk at named structs,
//! which is what makes self-referential and mutually-referential structs possible.
//! Emission then writes each queued definition, first writing forward declarations for
//! anything its members reach through pointers that is not defined yet. A typedef doubles as
//! its own forward declaration. Anonymous types have no name to declare, so they are always
//! written inline where they are used.

use super::emitter::Emitter;
use super::names::Namespace;
use super::{CError, Result, MAX_DEPTH};
use crate::btf::Btf;
use crate::decode::Record;
use crate::types::{Body, Kind, TypeId};

const ORDER_MASK: u8 = 0b11;
const ORDERING: u8 = 1;
const ORDERED: u8 = 2;
const EMIT_MASK: u8 = 0b1100;
const EMITTING: u8 = 4;
const EMITTED: u8 = 8;
const FWD_EMITTED: u8 = 16;
/// Some other type refers to this one (so an anonymous enum is written where it is used).
const REFERENCED: u8 = 32;

/// Typedefs that compilers define themselves.
pub(crate) fn is_builtin_typedef(name: &str) -> bool {
    name == "__builtin_va_list"
}

/// Per-type ordering and emission state, and the queue of definitions to write.
#[derive(Debug)]
pub(crate) struct Order {
    state: Vec<u8>,
    queue: Vec<TypeId>,
}

impl Order {
    /// Fresh state for every type of `btf`.
    pub fn new(btf: &Btf) -> Self {
        let mut state = vec![0u8; btf.count() as usize];
        if let Some(void) = state.first_mut() {
            *void = ORDERED | EMITTED;
        }
        Order { state, queue: Vec::new() }
    }

    fn get(&self, id: TypeId) -> u8 {
        self.state.get(id.get() as usize).copied().unwrap_or(ORDERED | EMITTED)
    }

    fn set(&mut self, id: TypeId, mask: u8, value: u8) {
        if let Some(s) = self.state.get_mut(id.get() as usize) {
            *s = (*s & !mask) | value;
        }
    }

    /// Orders `id` and what it needs; returns queued ids through [`Order::take_queue`].
    pub fn order_top(&mut self, btf: &Btf, id: TypeId) -> Result<()> {
        self.order(btf, id, false, 0).map(|_| ())
    }

    /// Definitions queued so far, in the order to write them.
    pub fn take_queue(&mut self, into: &mut Vec<TypeId>) {
        into.append(&mut self.queue);
    }

    /// Marks every type some other type refers to. An anonymous enum nothing refers to is
    /// written as a top-level `enum { ... };` where it appears, the others inline where used.
    pub fn mark_referenced(&mut self, btf: &Btf) -> Result<()> {
        // Reads only the ids in each record: decoding every type with its member names here
        // was a fifth of writing vmlinux.h.
        for id in btf.ids() {
            if let Some(rec) = btf.record(id)? {
                rec.for_each_ref(|x| self.set(x, REFERENCED, REFERENCED))?;
            }
        }
        Ok(())
    }

    /// Walks `id`; true if it is a "strong" dependency (must be defined, not just declared).
    /// Reads records, not decoded types: ordering needs kinds, names' presence and the ids
    /// each record refers to, never a member's name.
    fn order(&mut self, btf: &Btf, id: TypeId, through_ptr: bool, depth: usize) -> Result<bool> {
        if depth > MAX_DEPTH {
            return Err(CError::TooDeep { id, limit: MAX_DEPTH });
        }
        let st = self.get(id) & ORDER_MASK;
        if st == ORDERED {
            return Ok(true);
        }
        let Some(rec) = btf.record(id)? else {
            return Ok(true); // void
        };
        let kind = rec.kind();
        let composite = matches!(kind, Kind::Struct | Kind::Union);
        // A named struct behind a pointer needs only a declaration, even while being ordered
        // (a loop through a pointer is broken by a forward declaration).
        if composite && through_ptr && rec.is_named()? {
            return Ok(false);
        }
        if st == ORDERING {
            return Err(CError::Cycle { id });
        }
        let named = rec.is_named()?;
        match kind {
            Kind::Void => Ok(true),
            Kind::Int | Kind::Float => {
                self.set(id, ORDER_MASK, ORDERED);
                Ok(false)
            }
            Kind::Ptr => {
                let strong = self.order(btf, rec.target()?, true, depth + 1)?;
                self.set(id, ORDER_MASK, ORDERED);
                Ok(strong)
            }
            Kind::Array => self.order(btf, rec.array()?.elem, false, depth + 1),
            Kind::Struct | Kind::Union => {
                // Only embedded (or anonymous, hence inline) structs are strong links.
                self.set(id, ORDER_MASK, ORDERING);
                for i in 0..rec.vlen() {
                    self.order(btf, rec.entry_type(12, 4, i)?, false, depth + 1)?;
                }
                if named {
                    self.queue.push(id);
                }
                self.set(id, ORDER_MASK, ORDERED);
                Ok(true)
            }
            Kind::Enum | Kind::Enum64 | Kind::Fwd => {
                if named || self.get(id) & REFERENCED == 0 {
                    self.queue.push(id);
                }
                self.set(id, ORDER_MASK, ORDERED);
                Ok(true)
            }
            Kind::Typedef => {
                let strong = self.order(btf, rec.target()?, through_ptr, depth + 1)?;
                // Like a struct: through a pointer, an undefined target only needs declaring.
                if through_ptr && !strong {
                    return Ok(false);
                }
                self.queue.push(id);
                self.set(id, ORDER_MASK, ORDERED);
                Ok(true)
            }
            Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.order(btf, rec.target()?, through_ptr, depth + 1)
            }
            Kind::FuncProto => {
                let mut strong = self.order(btf, rec.target()?, through_ptr, depth + 1)?;
                for i in 0..rec.vlen() {
                    strong |= self.order(btf, rec.entry_type(8, 4, i)?, through_ptr, depth + 1)?;
                }
                Ok(strong)
            }
            // Functions, variables, sections and tags are not part of a types header.
            Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {
                self.set(id, ORDER_MASK, ORDERED);
                Ok(false)
            }
        }
    }

    /// Writes whatever `id` needs before its use inside `cont_id` (void: `id` is a top-level
    /// definition, which is then written too). Only definitions decode their type; the rest
    /// reads records.
    pub fn emit<'b>(&mut self, e: &mut Emitter<'b>, id: TypeId, cont_id: TypeId, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(CError::TooDeep { id, limit: MAX_DEPTH });
        }
        let st = self.get(id);
        if st & EMIT_MASK == EMITTED {
            return Ok(());
        }
        let btf = e.btf;
        let Some(rec) = btf.record(id)? else {
            self.set(id, EMIT_MASK, EMITTED); // void
            return Ok(());
        };
        let (kind, top_level) = (rec.kind(), cont_id == TypeId::VOID);
        let composite = matches!(kind, Kind::Struct | Kind::Union);
        // A named struct used inside another definition is at most declared here (it is
        // defined at its own top-level turn), which needs its name only.
        if !top_level && composite && rec.is_named()? {
            if st & FWD_EMITTED == 0 && id != cont_id {
                e.struct_ref(id, kind == Kind::Union, rec.name()?);
                e.push(";\n\n");
                self.set(id, FWD_EMITTED, FWD_EMITTED);
            }
            return Ok(());
        }
        if st & EMIT_MASK == EMITTING {
            return self.emit_again(e, &rec, id, cont_id);
        }
        match kind {
            Kind::Void | Kind::Int | Kind::Float => self.set(id, EMIT_MASK, EMITTED),
            Kind::Enum | Kind::Enum64 => {
                if top_level {
                    if let Body::Enum(en) | Body::Enum64(en) = &btf.type_by_id(id)?.body {
                        e.enum_def(id, kind == Kind::Enum64, en, 0)?;
                        e.push(";\n\n");
                    }
                }
                self.set(id, EMIT_MASK, EMITTED);
            }
            Kind::Ptr | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.emit(e, rec.target()?, cont_id, depth + 1)?
            }
            Kind::Array => self.emit(e, rec.array()?.elem, cont_id, depth + 1)?,
            Kind::Fwd => {
                e.fwd_ref(id, rec.kflag(), rec.name()?);
                e.push(";\n\n");
                self.set(id, EMIT_MASK, EMITTED);
            }
            Kind::Typedef => {
                self.set(id, EMIT_MASK, EMITTING);
                self.emit(e, rec.target()?, id, depth + 1)?;
                let name = rec.name()?;
                if self.get(id) & FWD_EMITTED == 0 && !is_builtin_typedef(name) {
                    typedef_def(e, id, name, rec.target()?)?;
                }
                self.set(id, EMIT_MASK, EMITTED);
            }
            Kind::Struct | Kind::Union => self.emit_composite(e, &rec, id, cont_id, depth)?,
            Kind::FuncProto => {
                self.emit(e, rec.target()?, cont_id, depth + 1)?;
                for i in 0..rec.vlen() {
                    self.emit(e, rec.entry_type(8, 4, i)?, cont_id, depth + 1)?;
                }
            }
            Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {}
        }
        Ok(())
    }

    /// `id` met again while being written: a pointer back to it. Declares it if needed.
    fn emit_again<'b>(&mut self, e: &mut Emitter<'b>, rec: &Record<'b>, id: TypeId, cont_id: TypeId) -> Result<()> {
        if self.get(id) & FWD_EMITTED != 0 {
            return Ok(());
        }
        match rec.kind() {
            k @ (Kind::Struct | Kind::Union) if id != cont_id && rec.is_named()? => {
                e.struct_ref(id, k == Kind::Union, rec.name()?);
                e.push(";\n\n");
                self.set(id, FWD_EMITTED, FWD_EMITTED);
            }
            Kind::Typedef => {
                let name = rec.name()?;
                if !is_builtin_typedef(name) {
                    typedef_def(e, id, name, rec.target()?)?;
                }
                self.set(id, FWD_EMITTED, FWD_EMITTED);
            }
            _ => {}
        }
        Ok(())
    }

    /// A struct or union: what its members need first, then its definition at top level (or
    /// its declaration, when it is only used).
    fn emit_composite<'b>(
        &mut self,
        e: &mut Emitter<'b>,
        rec: &Record<'b>,
        id: TypeId,
        cont_id: TypeId,
        depth: usize,
    ) -> Result<()> {
        let (st, top_level, named, union) =
            (self.get(id), cont_id == TypeId::VOID, rec.is_named()?, rec.kind() == Kind::Union);
        self.set(id, EMIT_MASK, EMITTING);
        if top_level || !named {
            // Members are written out: declare what they point to first.
            let inner = if named { id } else { cont_id };
            for i in 0..rec.vlen() {
                self.emit(e, rec.entry_type(12, 4, i)?, inner, depth + 1)?;
            }
        } else if st & FWD_EMITTED == 0 && id != cont_id {
            e.struct_ref(id, union, rec.name()?);
            e.push(";\n\n");
            self.set(id, FWD_EMITTED, FWD_EMITTED);
        }
        if top_level {
            if let Body::Struct(c) | Body::Union(c) = &e.btf.type_by_id(id)?.body {
                e.composite_def(id, union, c, 0)?;
                e.push(";\n\n");
            }
            self.set(id, EMIT_MASK, EMITTED);
        } else {
            self.set(id, EMIT_MASK, 0);
        }
        Ok(())
    }

    /// True if `id` was written as a definition.
    pub fn is_emitted(&self, id: TypeId) -> bool {
        self.get(id) & EMIT_MASK == EMITTED
    }
}

/// `typedef <target> name;`
fn typedef_def<'b>(e: &mut Emitter<'b>, id: TypeId, name: &'b str, target: TypeId) -> Result<()> {
    let mut c_name = String::with_capacity(name.len() + 5);
    e.names.write(&mut c_name, id, name, Namespace::Ident, false);
    e.push("typedef ");
    e.decl(target, &c_name, 0)?;
    e.push(";\n\n");
    Ok(())
}
