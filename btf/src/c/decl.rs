//! C declarators: `int (*handler)(struct sock *)`, `char *argv[4]`, `const int * const p`.
//!
//! A BTF type is a chain from the outside in (`PTR → CONST → INT`); C writes the innermost
//! base type first and then the declarator around the name. The chain is collected into a
//! stack and unwound from the base: modifiers right next to the base go before it
//! (`const int`), pointers add `*`, modifiers on a pointer follow it (`* const`), and an array
//! or function under a pointer needs parentheses (`(*p)[4]`, `(*f)(int)`).

use super::emitter::{Emitter, Style};
use super::names::Namespace;
use super::{CError, Result, MAX_DEPTH};
use crate::btf::Btf;
use crate::decode::Record;
use crate::types::{Body, Kind, Param, TypeId};

/// One link of a declarator chain: the type and its record (`None` for void), read once.
type Link<'b> = (TypeId, Option<Record<'b>>);

/// The kind of a link (void for void).
fn kind_of(link: &Link<'_>) -> Kind {
    link.1.as_ref().map_or(Kind::Void, Record::kind)
}

impl<'b> Emitter<'b> {
    /// Writes the declaration of `name` with type `id` (no trailing `;`). An empty name gives an
    /// abstract declarator (`int *`), as in prototypes. `lvl` indents inline anonymous bodies.
    pub fn decl(&mut self, id: TypeId, name: &str, lvl: usize) -> Result<()> {
        let mut stack: Vec<Link<'b>> = Vec::with_capacity(8);
        let mut cur = id;
        loop {
            if stack.len() > MAX_DEPTH {
                return Err(CError::TooDeep { id, limit: MAX_DEPTH });
            }
            // Records, not decoded types: the chain needs kinds, targets and a few names; each
            // is read once and travels on the stack.
            let btf: &'b Btf = self.btf;
            let Some(rec) = btf.record(cur)? else {
                stack.push((cur, None)); // void
                break;
            };
            let kind = rec.kind();
            if matches!(kind, Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64) && rec.is_named()? {
                stack.push((cur, Some(rec)));
                break;
            }
            // Type tags are attributes C cannot spell without a macro; leave them out.
            // The compiler's own `__builtin_va_list` differs per target (BPF: `char *`, x86: a
            // 24-byte array), so spell out BTF's type to keep the kernel's layout.
            let builtin = kind == Kind::Typedef && super::order::is_builtin_typedef(rec.name()?);
            if kind != Kind::TypeTag && !builtin {
                stack.push((cur, Some(rec)));
            }
            cur = match kind {
                Kind::Typedef if builtin => rec.target()?,
                Kind::Ptr | Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag => rec.target()?,
                Kind::Array => rec.array()?.elem,
                Kind::FuncProto => rec.target()?,
                Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {
                    return Err(CError::NotAType { id: cur, kind: kind.name() });
                }
                _ => break,
            };
        }
        self.chain(&mut stack, name, lvl)
    }

    /// Pops modifiers sitting on top of the stack and writes them (`const volatile `).
    fn base_mods(&mut self, stack: &mut Vec<Link<'b>>) -> Result<()> {
        while let Some(link) = stack.last() {
            match kind_of(link) {
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
    fn drop_mods(&mut self, stack: &mut Vec<Link<'b>>) -> Result<()> {
        while let Some(link) = stack.last() {
            if !matches!(kind_of(link), Kind::Const | Kind::Volatile | Kind::Restrict) {
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

    fn chain(&mut self, stack: &mut Vec<Link<'b>>, name: &str, lvl: usize) -> Result<()> {
        // `int ***p` rather than `int * * *p`; a lone pointer in `(*f)` needs no space either.
        let mut last_was_ptr = true;
        while let Some((id, rec)) = stack.pop() {
            let btf: &'b Btf = self.btf;
            let Some(rec) = rec else {
                self.base_mods(stack)?;
                self.push("void");
                last_was_ptr = false;
                continue;
            };
            let kind = rec.kind();
            match kind {
                Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 if rec.is_named()? => {
                    self.base_mods(stack)?;
                    let tag = rec.name()?;
                    if matches!(kind, Kind::Enum | Kind::Enum64) {
                        self.push("enum ");
                        self.names.write(&mut self.out, id, tag, Namespace::Tag, false);
                    } else {
                        self.struct_ref(id, kind == Kind::Union, tag);
                    }
                }
                Kind::Int | Kind::Float => {
                    self.base_mods(stack)?;
                    self.push(rec.name()?);
                }
                // Anonymous: written inline, from the decoded type.
                Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 => {
                    self.base_mods(stack)?;
                    match btf.type_by_id(id)?.body {
                        Body::Struct(c) | Body::Union(c) => self.composite_def(id, kind == Kind::Union, &c, lvl)?,
                        Body::Enum(e) | Body::Enum64(e) => self.enum_def(id, kind == Kind::Enum64, &e, lvl)?,
                        _ => {}
                    }
                }
                Kind::Fwd => {
                    self.base_mods(stack)?;
                    self.fwd_ref(id, rec.kflag(), rec.name()?);
                }
                Kind::Typedef => {
                    self.base_mods(stack)?;
                    self.names.write(&mut self.out, id, rec.name()?, Namespace::Ident, false);
                }
                Kind::Ptr => self.push(if last_was_ptr { "*" } else { " *" }),
                Kind::Const => self.push(" const"),
                Kind::Volatile => self.push(" volatile"),
                Kind::Restrict => self.push(" restrict"),
                Kind::Array => return self.array_suffix(stack, rec.array()?.nelems, name, lvl, last_was_ptr),
                Kind::FuncProto => {
                    let Body::FuncProto(p) = btf.type_by_id(id)?.body else {
                        return Err(CError::NotAType { id, kind: kind.name() });
                    };
                    return self.proto_suffix(stack, &p.params, name, lvl, last_was_ptr);
                }
                Kind::TypeTag => {}
                Kind::Void | Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {
                    return Err(CError::NotAType { id, kind: kind.name() });
                }
            }
            last_was_ptr = kind == Kind::Ptr;
        }
        self.name(name, last_was_ptr);
        Ok(())
    }

    /// The rest of the chain inside an array declarator, then `[n]`.
    #[inline]
    fn array_suffix(
        &mut self,
        stack: &mut Vec<Link<'b>>,
        n: u32,
        name: &str,
        lvl: usize,
        last_was_ptr: bool,
    ) -> Result<()> {
        self.drop_mods(stack)?;
        let Some(next) = stack.last() else {
            self.name(name, last_was_ptr);
            self.array_dim(n);
            return Ok(());
        };
        // `int a[2][3]` needs no parentheses; `int (*a)[3]` does.
        let multidim = kind_of(next) == Kind::Array;
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
        stack: &mut Vec<Link<'b>>,
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
