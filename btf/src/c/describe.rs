//! One type for people: a `/* KIND [id] name, ... */` comment, then its C rendering.
//! Structs and unions carry pahole-style offsets, sizes, holes and padding.

use std::fmt::Write as _;

use super::emitter::{Emitter, Style};
use super::{CError, Result};
use crate::btf::Btf;
use crate::types::{Body, Linkage, TypeId};

fn linkage_prefix(l: Linkage) -> &'static str {
    match l {
        Linkage::Static => "static ",
        Linkage::Extern => "extern ",
        _ => "",
    }
}

fn signedness(signed: bool) -> &'static str {
    if signed {
        "signed"
    } else {
        "unsigned"
    }
}

/// The C prototype of FUNC `id` with parameter names, without `;`: `int tcp_connect(struct sock *sk)`.
pub fn func_prototype(btf: &Btf, id: TypeId) -> Result<String> {
    let t = btf.type_by_id(id)?;
    let Body::Func(f) = t.body else {
        return Err(CError::NotAType { id, kind: t.kind().name() });
    };
    let mut e = Emitter::new(btf, Style::Annotated, false);
    e.decl(f.proto, t.name, 0)?;
    Ok(e.out)
}

/// A comment naming type `id`, then its C rendering, ending in a newline.
pub fn describe(btf: &Btf, id: TypeId) -> Result<String> {
    let t = btf.type_by_id(id)?;
    let mut e = Emitter::new(btf, Style::Annotated, false);
    let kind = t.kind();
    let shown = if t.name.is_empty() { "(anon)" } else { t.name };
    let _ = write!(e.out, "/* {kind} [{id}] {shown}");
    match &t.body {
        Body::Func(f) => {
            // Kernel BTF marks most functions static; the comment says so, the prototype need not.
            let _ = writeln!(e.out, ", linkage {} */", f.linkage.name());
            e.decl(f.proto, t.name, 0)?;
            e.push(";\n");
        }
        Body::Struct(c) | Body::Union(c) => {
            let _ = writeln!(e.out, ", size {}, {} members */", c.size, c.members.len());
            e.composite_def(id, matches!(t.body, Body::Union(_)), c, 0)?;
            e.push(";\n");
        }
        Body::Enum(en) | Body::Enum64(en) => {
            let _ = writeln!(e.out, ", size {}, {} values, {} */", en.size, en.values.len(), signedness(en.signed));
            e.enum_def(id, matches!(t.body, Body::Enum64(_)), en, 0)?;
            e.push(";\n");
        }
        Body::Typedef(x) => {
            let _ = writeln!(e.out, " -> {} [{x}] */", btf.kind_of(*x)?);
            e.push("typedef ");
            e.decl(*x, t.name, 0)?;
            e.push(";\n");
        }
        Body::Int(i) => {
            let _ = writeln!(
                e.out,
                ", size {}, {} bits, {}{}{} */",
                i.size,
                i.bits,
                signedness(i.encoding.signed),
                if i.encoding.char { ", char" } else { "" },
                if i.encoding.bool { ", bool" } else { "" }
            );
            let _ = writeln!(e.out, "/* sizeof({}) == {} */", t.name, i.size);
        }
        Body::Float { size } => {
            let _ = writeln!(e.out, ", size {size} */\n/* sizeof({}) == {size} */", t.name);
        }
        Body::Var(v) => {
            let _ = writeln!(e.out, ", linkage {} */", v.linkage.name());
            e.push(linkage_prefix(v.linkage));
            e.decl(v.type_id, t.name, 0)?;
            e.push(";\n");
        }
        Body::Datasec(d) => {
            let _ = writeln!(e.out, ", size {}, {} variables */", d.size, d.vars.len());
            for v in &d.vars {
                let var = btf.type_by_id(v.type_id)?;
                match var.body {
                    Body::Var(x) => {
                        e.push(linkage_prefix(x.linkage));
                        e.decl(x.type_id, var.name, 0)?;
                        e.push(";");
                    }
                    _ => {
                        let _ = write!(e.out, "/* {} [{}] {} */", var.kind(), v.type_id, var.name);
                    }
                }
                e.pad_to(48);
                let _ = writeln!(e.out, "/* offset {} size {} */", v.offset, v.size);
            }
        }
        Body::Fwd { is_union } => {
            let _ = writeln!(e.out, ", forward declaration only */");
            e.fwd_ref(id, *is_union, t.name);
            e.push(";\n");
        }
        Body::DeclTag(d) => {
            let target = btf.type_by_id(d.type_id)?;
            let _ = write!(e.out, " on {} [{}] {}", target.kind(), d.type_id, target.name);
            if d.component_idx >= 0 {
                let _ = write!(e.out, ", component {}", d.component_idx);
            }
            e.push(" */\n");
        }
        Body::TypeTag(x) | Body::Ptr(x) | Body::Const(x) | Body::Volatile(x) | Body::Restrict(x) => {
            let _ = writeln!(e.out, " -> {} [{x}] */", btf.kind_of(*x)?);
            e.decl(id, "", 0)?;
            e.push("\n");
        }
        Body::Array(_) | Body::FuncProto(_) => {
            e.push(" */\n");
            e.decl(id, "", 0)?;
            e.push("\n");
        }
        Body::Void => e.push(" */\nvoid\n"),
    }
    Ok(e.out)
}
