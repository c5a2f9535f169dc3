//! C declarators: `int (*handler)(struct sock *)`, `char *argv[4]`, `const int * const p`.
//!
//! A BTF type is a chain from the outside in (`PTR → CONST → INT`); C writes the innermost
//! base type first and then the declarator around the name. The chain is collected into a
//! stack and unwound from the base: modifiers right next to the base go before it
//! (`const int`), pointers add `*`, modifiers on a pointer follow it (`* const`), and an array
//! or function under a pointer needs parentheses (`(*p)[4]`, `(*f)(int)`).

use super::emitter::{Emitter, Style};
use super::names::Namespace;
use super::{named_aggregate, CError, Result, MAX_DEPTH};
use crate::btf::Btf;
use crate::types::{Body, Kind, Param, TypeId};

impl<'b> Emitter<'b> {
    /// Writes the declaration of `name` with type `id` (no trailing `;`). An empty name gives an
    /// abstract declarator (`int *`), as in prototypes. `lvl` indents inline anonymous bodies.
    pub fn decl(&mut self, id: TypeId, name: &str, lvl: usize) -> Result<()> {
        let mut stack = Vec::with_capacity(8);
        let mut cur = id;
        loop {
            if stack.len() > MAX_DEPTH {
                return Err(CError::TooDeep { id, limit: MAX_DEPTH });
            }
            if named_aggregate(self.btf, cur)?.is_some() {
                stack.push(cur);
                break;
            }
            let t = self.btf.type_by_id(cur)?;
            // Type tags are attributes C cannot spell without a macro; leave them out.
            // The compiler's own `__builtin_va_list` differs per target (BPF: `char *`, x86: a
            // 24-byte array), so spell out BTF's type to keep the kernel's layout.
            let builtin = matches!(t.body, Body::Typedef(_)) && super::order::is_builtin_typedef(t.name);
            if !matches!(t.body, Body::TypeTag(_)) && !builtin {
                stack.push(cur);
            }
            cur = match &t.body {
                Body::Typedef(x) if builtin => *x,
                Body::Ptr(x) | Body::Const(x) | Body::Volatile(x) | Body::Restrict(x) | Body::TypeTag(x) => *x,
                Body::Array(a) => a.elem,
                Body::FuncProto(p) => p.ret,
                Body::Func(_) | Body::Var(_) | Body::Datasec(_) | Body::DeclTag(_) => {
                    return Err(CError::NotAType { id: cur, kind: t.kind().name() });
                }
                _ => break,
            };
        }
        self.chain(&mut stack, name, lvl)
    }

    /// Pops modifiers sitting on top of the stack and writes them (`const volatile `).
    fn base_mods(&mut self, stack: &mut Vec<TypeId>) -> Result<()> {
        while let Some(&id) = stack.last() {
            match self.btf.kind_of(id)? {
                Kind::Const => self.push("const "),
                Kind::Volatile => self.push("volatile "),
                Kind::Restrict => self.push("restrict "),
                _ => return Ok(()),
            }
            stack.pop();
        }
        Ok(())
    }

    /// Drops modifiers on arrays and functions: C has no such thing (GCC emits some anyway).
    fn drop_mods(&mut self, stack: &mut Vec<TypeId>) -> Result<()> {
        while let Some(&id) = stack.last() {
            if !matches!(self.btf.kind_of(id)?, Kind::Const | Kind::Volatile | Kind::Restrict) {
                break;
            }
            stack.pop();
        }
        Ok(())
    }

    fn name(&mut self, name: &str, last_was_ptr: bool) {
        if !name.is_empty() {
            if !last_was_ptr {
                self.push(" ");
            }
            self.push(name);
        }
    }

    fn chain(&mut self, stack: &mut Vec<TypeId>, name: &str, lvl: usize) -> Result<()> {
        // `int ***p` rather than `int * * *p`; a lone pointer in `(*f)` needs no space either.
        let mut last_was_ptr = true;
        while let Some(id) = stack.pop() {
            let btf: &'b Btf = self.btf;
            if let Some((kind, tag)) = named_aggregate(btf, id)? {
                self.base_mods(stack)?;
                if matches!(kind, Kind::Enum | Kind::Enum64) {
                    self.push("enum ");
                    self.names.write(&mut self.out, id, tag, Namespace::Tag, false);
                } else {
                    self.struct_ref(id, kind == Kind::Union, tag);
                }
                last_was_ptr = false;
                continue;
            }
            let t = btf.type_by_id(id)?;
            match &t.body {
                Body::Void => {
                    self.base_mods(stack)?;
                    self.push("void");
                }
                Body::Int(_) | Body::Float { .. } => {
                    self.base_mods(stack)?;
                    self.push(t.name);
                }
                Body::Struct(c) | Body::Union(c) => {
                    self.base_mods(stack)?;
                    if t.name.is_empty() {
                        self.composite_def(id, t.kind() == Kind::Union, c, lvl)?;
                    } else {
                        self.struct_ref(id, t.kind() == Kind::Union, t.name);
                    }
                }
                Body::Enum(e) | Body::Enum64(e) => {
                    self.base_mods(stack)?;
                    if t.name.is_empty() {
                        self.enum_def(id, t.kind() == Kind::Enum64, e, lvl)?;
                    } else {
                        self.push("enum ");
                        self.names.write(&mut self.out, id, t.name, Namespace::Tag, false);
                    }
                }
                Body::Fwd { is_union } => {
                    self.base_mods(stack)?;
                    self.fwd_ref(id, *is_union, t.name);
                }
                Body::Typedef(_) => {
                    self.base_mods(stack)?;
                    self.names.write(&mut self.out, id, t.name, Namespace::Ident, false);
                }
                Body::Ptr(_) => self.push(if last_was_ptr { "*" } else { " *" }),
                Body::Const(_) => self.push(" const"),
                Body::Volatile(_) => self.push(" volatile"),
                Body::Restrict(_) => self.push(" restrict"),
                Body::Array(a) => return self.array_suffix(stack, a.nelems, name, lvl, last_was_ptr),
                Body::FuncProto(p) => return self.proto_suffix(stack, &p.params, name, lvl, last_was_ptr),
                Body::TypeTag(_) => {}
                Body::Func(_) | Body::Var(_) | Body::Datasec(_) | Body::DeclTag(_) => {
                    return Err(CError::NotAType { id, kind: t.kind().name() });
                }
            }
            last_was_ptr = t.kind() == Kind::Ptr;
        }
        self.name(name, last_was_ptr);
        Ok(())
    }

    /// The rest of the chain inside an array declarator, then `[n]`.
    #[inline]
    fn array_suffix(
        &mut self,
        stack: &mut Vec<TypeId>,
        n: u32,
        name: &str,
        lvl: usize,
        last_was_ptr: bool,
    ) -> Result<()> {
        self.drop_mods(stack)?;
        let Some(&next) = stack.last() else {
            self.name(name, last_was_ptr);
            self.array_dim(n);
            return Ok(());
        };
        // `int a[2][3]` needs no parentheses; `int (*a)[3]` does.
        let multidim = self.btf.kind_of(next)? == Kind::Array;
        if !name.is_empty() && !last_was_ptr {
            self.push(" ");
        }
        if !multidim {
            self.push("(");
        }
        self.chain(stack, name, lvl)?;
        if !multidim {
            self.push(")");
        }
        self.array_dim(n);
        Ok(())
    }

    /// The rest of the chain inside a function declarator, then its parameter list.
    #[inline]
    fn proto_suffix(
        &mut self,
        stack: &mut Vec<TypeId>,
        params: &[Param<'_>],
        name: &str,
        lvl: usize,
        last_was_ptr: bool,
    ) -> Result<()> {
        self.drop_mods(stack)?;
        if stack.is_empty() {
            self.name(name, last_was_ptr);
        } else {
            self.push(" (");
            self.chain(stack, name, lvl)?;
            self.push(")");
        }
        self.push("(");
        // clang writes `f(void)` as one void parameter; a trailing void means `...`.
        if params.is_empty() || (params.len() == 1 && params[0].type_id == TypeId::VOID) {
            self.push("void)");
            return Ok(());
        }
        for (i, q) in params.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            if i == params.len() - 1 && q.type_id == TypeId::VOID {
                self.push("...");
                break;
            }
            self.decl(q.type_id, q.name, lvl)?;
        }
        self.push(")");
        Ok(())
    }

    fn array_dim(&mut self, n: u32) {
        self.push("[");
        self.push_u64(n as u64);
        self.push("]");
    }

    /// `struct foo` / `union foo` for a named struct or union.
    pub fn struct_ref(&mut self, id: TypeId, is_union: bool, name: &'b str) {
        self.push(if is_union { "union " } else { "struct " });
        self.names.write(&mut self.out, id, name, Namespace::Tag, false);
    }

    /// `struct foo` / `union foo` for a FWD (whose name never gets a suffix).
    pub fn fwd_ref(&mut self, id: TypeId, is_union: bool, name: &'b str) {
        self.push(if is_union { "union " } else { "struct " });
        self.names.write(&mut self.out, id, name, Namespace::Tag, true);
    }
}

/// The C declaration of `name` with type `id`, e.g. `decl(btf, ptr_to_proto, "cb")` gives
/// `int (*cb)(void *)`. Anonymous structs, unions and enums are written inline.
pub fn decl(btf: &Btf, id: TypeId, name: &str) -> Result<String> {
    let mut e = Emitter::new(btf, Style::Annotated, false);
    e.decl(id, name, 0)?;
    Ok(e.out)
}

/// The C spelling of type `id` alone, e.g. `struct sock *` or `int (*)(void)`.
pub fn type_name(btf: &Btf, id: TypeId) -> Result<String> {
    decl(btf, id, "")
}
