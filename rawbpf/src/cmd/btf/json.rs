//! `--format json`: the matches as one JSON document, with C spellings alongside ids.

use btf::types::Body;
use btf::{Btf, TypeId};

use crate::json::{obj, Json};

fn c_type(btf: &Btf, id: TypeId) -> Json {
    btf::c::decl::type_name(btf, id).map(Json::from).unwrap_or(Json::Null)
}

fn typed(btf: &Btf, id: TypeId) -> Vec<(&'static str, Json)> {
    vec![("type_id", id.get().into()), ("type", c_type(btf, id))]
}

/// One type as a JSON object.
pub fn type_json(btf: &Btf, id: TypeId) -> Result<Json, btf::c::CError> {
    let t = btf.type_by_id(id)?;
    let mut f: Vec<(&'static str, Json)> =
        vec![("id", id.get().into()), ("kind", t.kind().name().into()), ("name", t.name.into())];
    match &t.body {
        Body::Func(func) => {
            f.push(("linkage", func.linkage.name().into()));
            f.push(("proto_id", func.proto.get().into()));
            f.push(("prototype", btf::c::func_prototype(btf, id)?.into()));
            if let Ok(Body::FuncProto(p)) = btf.type_by_id(func.proto).map(|p| p.body) {
                f.push(("ret", obj(typed(btf, p.ret))));
                let params = p
                    .params
                    .iter()
                    .map(|q| {
                        let mut o = vec![("name", Json::from(q.name))];
                        o.extend(typed(btf, q.type_id));
                        obj(o)
                    })
                    .collect();
                f.push(("params", Json::Array(params)));
            }
        }
        Body::Struct(c) | Body::Union(c) => {
            f.push(("size", c.size.into()));
            let members = c
                .members
                .iter()
                .map(|m| {
                    let mut o = vec![
                        ("name", Json::from(m.name)),
                        ("offset", (m.bit_offset / 8).into()),
                        ("bit_offset", m.bit_offset.into()),
                        ("bitfield_size", m.bitfield_size.into()),
                        ("size", btf.size_of(m.type_id).map(Json::from).unwrap_or(Json::Null)),
                    ];
                    o.extend(typed(btf, m.type_id));
                    obj(o)
                })
                .collect();
            f.push(("members", Json::Array(members)));
        }
        Body::Enum(e) | Body::Enum64(e) => {
            f.push(("size", e.size.into()));
            f.push(("signed", e.signed.into()));
            let values = e
                .values
                .iter()
                .map(|v| {
                    let n = if e.signed { Json::from(v.value as i64) } else { Json::from(v.value) };
                    obj([("name", Json::from(v.name)), ("value", n)])
                })
                .collect();
            f.push(("values", Json::Array(values)));
        }
        Body::Int(i) => {
            f.push(("size", i.size.into()));
            f.push(("bits", i.bits.into()));
            f.push(("signed", i.encoding.signed.into()));
            f.push(("char", i.encoding.char.into()));
            f.push(("bool", i.encoding.bool.into()));
        }
        Body::Var(v) => {
            f.push(("linkage", v.linkage.name().into()));
            f.extend(typed(btf, v.type_id));
        }
        Body::Datasec(d) => {
            f.push(("size", d.size.into()));
            let vars = d
                .vars
                .iter()
                .map(|v| {
                    obj([
                        ("type_id", v.type_id.get().into()),
                        ("name", btf.name_of(v.type_id).map(Json::from).unwrap_or(Json::Null)),
                        ("offset", v.offset.into()),
                        ("size", v.size.into()),
                    ])
                })
                .collect();
            f.push(("vars", Json::Array(vars)));
        }
        Body::Fwd { is_union } => f.push(("fwd_kind", if *is_union { "union" } else { "struct" }.into())),
        Body::Float { size } => f.push(("size", (*size).into())),
        _ => {
            if let Some(x) = t.ref_type() {
                f.extend(typed(btf, x));
            }
        }
    }
    f.push(("c", btf::c::describe(btf, id)?.into()));
    Ok(obj(f))
}

/// `{"btf": origin, "query": name, "matches": [...]}`.
pub fn document(btf: &Btf, origin: &str, query: Option<&str>, ids: &[TypeId]) -> Result<Json, btf::c::CError> {
    let matches = ids.iter().map(|&id| type_json(btf, id)).collect::<Result<Vec<_>, _>>()?;
    Ok(obj([
        ("btf", Json::from(origin)),
        ("query", query.map(Json::from).unwrap_or(Json::Null)),
        ("matches", Json::Array(matches)),
    ]))
}
