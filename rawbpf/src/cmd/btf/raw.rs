//! `--format raw`: records one per line as `bpftool btf dump` prints them.

use std::fmt::Write as _;

use btf::types::{Body, IntEncoding};
use btf::{Btf, Result, TypeId};

fn int_encoding(e: IntEncoding) -> &'static str {
    if e.signed {
        "SIGNED"
    } else if e.char {
        "CHAR"
    } else if e.bool {
        "BOOL"
    } else {
        "(none)"
    }
}

/// Appends type `id`'s record; with `follow`, a FUNC's FUNC_PROTO record follows it.
pub fn lines(btf: &Btf, id: TypeId, follow: bool, out: &mut String) -> Result<()> {
    let t = btf.type_by_id(id)?;
    let name = if t.name.is_empty() { "(anon)" } else { t.name };
    let _ = write!(out, "[{id}] {} '{name}'", t.kind());
    match &t.body {
        Body::Void => {}
        Body::Int(i) => {
            let _ = write!(
                out,
                " size={} bits_offset={} nr_bits={} encoding={}",
                i.size,
                i.offset,
                i.bits,
                int_encoding(i.encoding)
            );
        }
        Body::Ptr(x) | Body::Typedef(x) | Body::Volatile(x) | Body::Const(x) | Body::Restrict(x) | Body::TypeTag(x) => {
            let _ = write!(out, " type_id={x}");
        }
        Body::Array(a) => {
            let _ = write!(out, " type_id={} index_type_id={} nr_elems={}", a.elem, a.index, a.nelems);
        }
        Body::Struct(c) | Body::Union(c) => {
            let _ = write!(out, " size={} vlen={}", c.size, c.members.len());
            for m in &c.members {
                let _ = write!(out, "\n\t'{}' type_id={} bits_offset={}", m.name, m.type_id, m.bit_offset);
                if m.bitfield_size != 0 {
                    let _ = write!(out, " bitfield_size={}", m.bitfield_size);
                }
            }
        }
        Body::Enum(e) | Body::Enum64(e) => {
            let enc = if e.signed { "SIGNED" } else { "UNSIGNED" };
            let _ = write!(out, " encoding={enc} size={} vlen={}", e.size, e.values.len());
            for v in &e.values {
                let _ = write!(out, "\n\t'{}' val={}", v.name, v.display(e.signed));
            }
        }
        Body::Fwd { is_union } => {
            let _ = write!(out, " fwd_kind={}", if *is_union { "union" } else { "struct" });
        }
        Body::Func(f) => {
            let _ = write!(out, " type_id={} linkage={}", f.proto, f.linkage.name());
        }
        Body::FuncProto(p) => {
            let _ = write!(out, " ret_type_id={} vlen={}", p.ret, p.params.len());
            for q in &p.params {
                let _ = write!(out, "\n\t'{}' type_id={}", q.name, q.type_id);
            }
        }
        Body::Var(v) => {
            let _ = write!(out, " type_id={}, linkage={}", v.type_id, v.linkage.name());
        }
        Body::Datasec(d) => {
            let _ = write!(out, " size={} vlen={}", d.size, d.vars.len());
            for v in &d.vars {
                let var = btf.name_of(v.type_id).unwrap_or("?");
                let _ = write!(out, "\n\ttype_id={} offset={} size={} (VAR '{var}')", v.type_id, v.offset, v.size);
            }
        }
        Body::Float { size } => {
            let _ = write!(out, " size={size}");
        }
        Body::DeclTag(d) => {
            let _ = write!(out, " type_id={} component_idx={}", d.type_id, d.component_idx);
        }
    }
    out.push('\n');
    if let (true, Body::Func(f)) = (follow, &t.body) {
        lines(btf, f.proto, false, out)?;
    }
    Ok(())
}
