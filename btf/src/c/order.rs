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
use super::{named_aggregate, CError, Result, MAX_DEPTH};
use crate::btf::Btf;
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
        for id in btf.ids() {
            let t = btf.type_by_id(id)?;
            match &t.body {
                Body::Int(_) | Body::Float { .. } | Body::Enum(_) | Body::Enum64(_) | Body::Fwd { .. } => {}
                Body::Struct(c) | Body::Union(c) => {
                    c.members.iter().for_each(|m| self.set(m.type_id, REFERENCED, REFERENCED))
                }
                Body::FuncProto(p) => {
                    self.set(p.ret, REFERENCED, REFERENCED);
                    p.params.iter().for_each(|q| self.set(q.type_id, REFERENCED, REFERENCED));
                }
                Body::Datasec(d) => d.vars.iter().for_each(|v| self.set(v.type_id, REFERENCED, REFERENCED)),
                _ => {
                    if let Some(x) = t.ref_type() {
                        self.set(x, REFERENCED, REFERENCED);
                    }
                }
            }
        }
        Ok(())
    }

    /// Walks `id`; true if it is a "strong" dependency (must be defined, not just declared).
    fn order(&mut self, btf: &Btf, id: TypeId, through_ptr: bool, depth: usize) -> Result<bool> {
        if depth > MAX_DEPTH {
            return Err(CError::TooDeep { id, limit: MAX_DEPTH });
        }
        let st = self.get(id) & ORDER_MASK;
        if st == ORDERED {
            return Ok(true);
        }
        // A named struct behind a pointer needs only a declaration: no need to decode it.
        if through_ptr && matches!(named_aggregate(btf, id)?, Some((Kind::Struct | Kind::Union, _))) {
            return Ok(false);
        }
        let t = btf.type_by_id(id)?;
        if st == ORDERING {
            // A loop through a pointer to a named struct is fine: a forward declaration breaks it.
            if matches!(t.body, Body::Struct(_) | Body::Union(_)) && through_ptr && !t.name.is_empty() {
                return Ok(false);
            }
            return Err(CError::Cycle { id });
        }
        match &t.body {
            Body::Void => Ok(true),
            Body::Int(_) | Body::Float { .. } => {
                self.set(id, ORDER_MASK, ORDERED);
                Ok(false)
            }
            Body::Ptr(x) => {
                let strong = self.order(btf, *x, true, depth + 1)?;
                self.set(id, ORDER_MASK, ORDERED);
                Ok(strong)
            }
            Body::Array(a) => self.order(btf, a.elem, false, depth + 1),
            Body::Struct(c) | Body::Union(c) => {
                // Only embedded (or anonymous, hence inline) structs are strong links.
                if through_ptr && !t.name.is_empty() {
                    return Ok(false);
                }
                self.set(id, ORDER_MASK, ORDERING);
                for m in &c.members {
                    self.order(btf, m.type_id, false, depth + 1)?;
                }
                if !t.name.is_empty() {
                    self.queue.push(id);
                }
                self.set(id, ORDER_MASK, ORDERED);
                Ok(true)
            }
            Body::Enum(_) | Body::Enum64(_) | Body::Fwd { .. } => {
                if !t.name.is_empty() || self.get(id) & REFERENCED == 0 {
                    self.queue.push(id);
                }
                self.set(id, ORDER_MASK, ORDERED);
                Ok(true)
            }
            Body::Typedef(x) => {
                let strong = self.order(btf, *x, through_ptr, depth + 1)?;
                // Like a struct: through a pointer, an undefined target only needs declaring.
                if through_ptr && !strong {
                    return Ok(false);
                }
                self.queue.push(id);
                self.set(id, ORDER_MASK, ORDERED);
                Ok(true)
            }
            Body::Volatile(x) | Body::Const(x) | Body::Restrict(x) | Body::TypeTag(x) => {
                self.order(btf, *x, through_ptr, depth + 1)
            }
            Body::FuncProto(p) => {
                let mut strong = self.order(btf, p.ret, through_ptr, depth + 1)?;
                for q in &p.params {
                    strong |= self.order(btf, q.type_id, through_ptr, depth + 1)?;
                }
                Ok(strong)
            }
            // Functions, variables, sections and tags are not part of a types header.
            Body::Func(_) | Body::Var(_) | Body::Datasec(_) | Body::DeclTag(_) => {
                self.set(id, ORDER_MASK, ORDERED);
                Ok(false)
            }
        }
    }

    /// Writes whatever `id` needs before its use inside `cont_id` (void: `id` is a top-level
    /// definition, which is then written too).
    pub fn emit(&mut self, e: &mut Emitter<'_>, id: TypeId, cont_id: TypeId, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(CError::TooDeep { id, limit: MAX_DEPTH });
        }
        let st = self.get(id);
        if st & EMIT_MASK == EMITTED {
            return Ok(());
        }
        let btf = e.btf;
        let top_level = cont_id == TypeId::VOID;
        // A named struct used inside another definition is at most declared here (it is
        // defined at its own top-level turn), which needs its name only.
        if !top_level {
            if let Some((kind @ (Kind::Struct | Kind::Union), name)) = named_aggregate(btf, id)? {
                if st & FWD_EMITTED == 0 && id != cont_id {
                    e.struct_ref(id, kind == Kind::Union, name);
                    e.push(";\n\n");
                    self.set(id, FWD_EMITTED, FWD_EMITTED);
                }
                return Ok(());
            }
        }
        let t = btf.type_by_id(id)?;
        if st & EMIT_MASK == EMITTING {
            // Met again while being written: a pointer back to it. Declare it if needed.
            if st & FWD_EMITTED != 0 {
                return Ok(());
            }
            match &t.body {
                Body::Struct(_) | Body::Union(_) if id != cont_id && !t.name.is_empty() => {
                    e.struct_ref(id, matches!(t.body, Body::Union(_)), t.name);
                    e.push(";\n\n");
                    self.set(id, FWD_EMITTED, FWD_EMITTED);
                }
                Body::Typedef(x) => {
                    if !is_builtin_typedef(t.name) {
                        typedef_def(e, id, t.name, *x)?;
                    }
                    self.set(id, FWD_EMITTED, FWD_EMITTED);
                }
                _ => {}
            }
            return Ok(());
        }
        match &t.body {
            Body::Void | Body::Int(_) | Body::Float { .. } => self.set(id, EMIT_MASK, EMITTED),
            Body::Enum(en) | Body::Enum64(en) => {
                if top_level {
                    e.enum_def(id, matches!(t.body, Body::Enum64(_)), en, 0)?;
                    e.push(";\n\n");
                }
                self.set(id, EMIT_MASK, EMITTED);
            }
            Body::Ptr(x) | Body::Volatile(x) | Body::Const(x) | Body::Restrict(x) | Body::TypeTag(x) => {
                self.emit(e, *x, cont_id, depth + 1)?
            }
            Body::Array(a) => self.emit(e, a.elem, cont_id, depth + 1)?,
            Body::Fwd { is_union } => {
                e.fwd_ref(id, *is_union, t.name);
                e.push(";\n\n");
                self.set(id, EMIT_MASK, EMITTED);
            }
            Body::Typedef(x) => {
                self.set(id, EMIT_MASK, EMITTING);
                self.emit(e, *x, id, depth + 1)?;
                if self.get(id) & FWD_EMITTED == 0 && !is_builtin_typedef(t.name) {
                    typedef_def(e, id, t.name, *x)?;
                }
                self.set(id, EMIT_MASK, EMITTED);
            }
            Body::Struct(c) | Body::Union(c) => {
                self.set(id, EMIT_MASK, EMITTING);
                if top_level || t.name.is_empty() {
                    // Members are written out: declare what they point to first.
                    let inner = if t.name.is_empty() { cont_id } else { id };
                    for m in &c.members {
                        self.emit(e, m.type_id, inner, depth + 1)?;
                    }
                } else if st & FWD_EMITTED == 0 && id != cont_id {
                    e.struct_ref(id, matches!(t.body, Body::Union(_)), t.name);
                    e.push(";\n\n");
                    self.set(id, FWD_EMITTED, FWD_EMITTED);
                }
                if top_level {
                    e.composite_def(id, matches!(t.body, Body::Union(_)), c, 0)?;
                    e.push(";\n\n");
                    self.set(id, EMIT_MASK, EMITTED);
                } else {
                    self.set(id, EMIT_MASK, 0);
                }
            }
            Body::FuncProto(p) => {
                self.emit(e, p.ret, cont_id, depth + 1)?;
                for q in &p.params {
                    self.emit(e, q.type_id, cont_id, depth + 1)?;
                }
            }
            Body::Func(_) | Body::Var(_) | Body::Datasec(_) | Body::DeclTag(_) => {}
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
