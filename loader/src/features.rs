//! Kernel feature probes, each run once and cached: which BTF kinds the kernel's BTF checker
//! accepts. The loader uses them to sanitize an object's BTF before BPF_BTF_LOAD.
//!
//! Each probe loads a tiny BTF blob with the same shape libbpf's `probe_kern_btf_*` uses (a kind
//! is only accepted in a context that makes sense: a DECL_TAG needs a VAR to tag, a TYPE_TAG a PTR
//! pointing at it).

use std::sync::OnceLock;

use btf::types::{Body, Datasec, DeclTag, Enum, EnumValue, Func, FuncProto, Linkage, Param, Type, Var, VarSecInfo};
use btf::BtfBuilder;

use crate::sys::{btf_load, LogLevel};

/// One probed BTF feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BtfFeature {
    /// BTF at all (an INT).
    Btf,
    /// FUNC and FUNC_PROTO (static linkage).
    Func,
    /// FUNC with global linkage.
    FuncGlobal,
    /// DATASEC and VAR.
    Datasec,
    /// FLOAT (5.13).
    Float,
    /// DECL_TAG (5.16).
    DeclTag,
    /// TYPE_TAG (5.17).
    TypeTag,
    /// ENUM64 (6.0).
    Enum64,
    /// kind_flag = signed on ENUM (6.0).
    SignedEnum,
}

impl BtfFeature {
    /// All probes, in kernel-version order.
    pub const ALL: [BtfFeature; 9] = [
        BtfFeature::Btf,
        BtfFeature::Func,
        BtfFeature::FuncGlobal,
        BtfFeature::Datasec,
        BtfFeature::Float,
        BtfFeature::DeclTag,
        BtfFeature::TypeTag,
        BtfFeature::Enum64,
        BtfFeature::SignedEnum,
    ];

    /// Short name for printing.
    pub fn name(self) -> &'static str {
        match self {
            BtfFeature::Btf => "btf",
            BtfFeature::Func => "btf_func",
            BtfFeature::FuncGlobal => "btf_func_global",
            BtfFeature::Datasec => "btf_datasec",
            BtfFeature::Float => "btf_float",
            BtfFeature::DeclTag => "btf_decl_tag",
            BtfFeature::TypeTag => "btf_type_tag",
            BtfFeature::Enum64 => "btf_enum64",
            BtfFeature::SignedEnum => "btf_signed_enum",
        }
    }

    /// The probe's BTF blob.
    pub fn blob(self) -> Vec<u8> {
        let mut b = BtfBuilder::new();
        let add = |b: &mut BtfBuilder, name: &str, body: Body<'_>| b.add(&Type { name, body });
        match self {
            BtfFeature::Btf => {
                b.int("int", 4, true);
            }
            BtfFeature::Func | BtfFeature::FuncGlobal => {
                let int = b.int("int", 4, true);
                let params = vec![Param { name: "x", type_id: int }];
                let proto = add(&mut b, "", Body::FuncProto(FuncProto { ret: int, params }));
                let linkage = if self == BtfFeature::Func { Linkage::Static } else { Linkage::Global };
                add(&mut b, "f", Body::Func(Func { proto, linkage }));
            }
            BtfFeature::Datasec => {
                let int = b.int("int", 4, true);
                let var = add(&mut b, "x", Body::Var(Var { type_id: int, linkage: Linkage::Global }));
                let vars = vec![VarSecInfo { type_id: var, offset: 0, size: 4 }];
                add(&mut b, ".data", Body::Datasec(Datasec { size: 4, vars }));
            }
            BtfFeature::Float => {
                add(&mut b, "float", Body::Float { size: 4 });
            }
            BtfFeature::DeclTag => {
                let int = b.int("int", 4, true);
                let var = add(&mut b, "x", Body::Var(Var { type_id: int, linkage: Linkage::Global }));
                add(&mut b, "tag", Body::DeclTag(DeclTag { type_id: var, component_idx: -1 }));
            }
            BtfFeature::TypeTag => {
                let int = b.int("int", 4, true);
                let tag = add(&mut b, "tag", Body::TypeTag(int));
                b.ptr(tag);
            }
            BtfFeature::Enum64 => {
                let values = vec![EnumValue { name: "v", value: 1 << 40 }];
                add(&mut b, "e", Body::Enum64(Enum { size: 8, signed: false, values }));
            }
            BtfFeature::SignedEnum => {
                let values = vec![EnumValue { name: "v", value: u64::MAX }];
                add(&mut b, "e", Body::Enum(Enum { size: 4, signed: true, values }));
            }
        }
        b.build()
    }

    /// Loads the probe blob; true when the kernel accepts it. Uncached: see [`Features::detect`].
    pub fn probe(self) -> bool {
        let ok = btf_load(&self.blob(), LogLevel::OnFailure).is_ok();
        tracing::debug!(target: "rawbpf::features", feature = self.name(), ok, "BTF feature probe");
        ok
    }
}

/// What the running kernel supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// BTF_LOAD works at all.
    pub btf: bool,
    /// FUNC / FUNC_PROTO.
    pub btf_func: bool,
    /// Global FUNC linkage.
    pub btf_func_global: bool,
    /// DATASEC / VAR.
    pub btf_datasec: bool,
    /// FLOAT.
    pub btf_float: bool,
    /// DECL_TAG.
    pub btf_decl_tag: bool,
    /// TYPE_TAG.
    pub btf_type_tag: bool,
    /// ENUM64.
    pub btf_enum64: bool,
    /// Signed ENUM (kind_flag).
    pub btf_signed_enum: bool,
}

impl Features {
    /// Every feature present (for tests and for skipping sanitizing).
    pub fn all() -> Features {
        Features::from_fn(|_| true)
    }

    /// No feature present (the strictest sanitizing).
    pub fn none() -> Features {
        Features::from_fn(|_| false)
    }

    /// Builds the set from a per-feature answer.
    pub fn from_fn(mut has: impl FnMut(BtfFeature) -> bool) -> Features {
        Features {
            btf: has(BtfFeature::Btf),
            btf_func: has(BtfFeature::Func),
            btf_func_global: has(BtfFeature::FuncGlobal),
            btf_datasec: has(BtfFeature::Datasec),
            btf_float: has(BtfFeature::Float),
            btf_decl_tag: has(BtfFeature::DeclTag),
            btf_type_tag: has(BtfFeature::TypeTag),
            btf_enum64: has(BtfFeature::Enum64),
            btf_signed_enum: has(BtfFeature::SignedEnum),
        }
    }

    /// Whether `f` is present.
    pub fn has(&self, f: BtfFeature) -> bool {
        match f {
            BtfFeature::Btf => self.btf,
            BtfFeature::Func => self.btf_func,
            BtfFeature::FuncGlobal => self.btf_func_global,
            BtfFeature::Datasec => self.btf_datasec,
            BtfFeature::Float => self.btf_float,
            BtfFeature::DeclTag => self.btf_decl_tag,
            BtfFeature::TypeTag => self.btf_type_tag,
            BtfFeature::Enum64 => self.btf_enum64,
            BtfFeature::SignedEnum => self.btf_signed_enum,
        }
    }

    /// `(name, present)` pairs for printing.
    pub fn list(&self) -> Vec<(&'static str, bool)> {
        BtfFeature::ALL.iter().map(|&f| (f.name(), self.has(f))).collect()
    }

    /// Probes the running kernel once per process; later calls return the cached answer.
    pub fn detect() -> Features {
        static CACHE: OnceLock<Features> = OnceLock::new();
        *CACHE.get_or_init(|| {
            // Without BTF at all no other probe can pass: skip them.
            if !BtfFeature::Btf.probe() {
                return Features::none();
            }
            Features::from_fn(|f| f == BtfFeature::Btf || f.probe())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use btf::{Btf, Kind};

    #[test]
    fn probe_blobs_parse_and_hold_the_probed_kind() {
        let want = [
            (BtfFeature::Btf, Kind::Int),
            (BtfFeature::Func, Kind::Func),
            (BtfFeature::FuncGlobal, Kind::Func),
            (BtfFeature::Datasec, Kind::Datasec),
            (BtfFeature::Float, Kind::Float),
            (BtfFeature::DeclTag, Kind::DeclTag),
            (BtfFeature::TypeTag, Kind::TypeTag),
            (BtfFeature::Enum64, Kind::Enum64),
            (BtfFeature::SignedEnum, Kind::Enum),
        ];
        for (f, kind) in want {
            let btf = Btf::parse(f.blob()).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
            assert!(btf.ids().any(|id| btf.kind_of(id).unwrap() == kind), "{} lacks {kind}", f.name());
        }
        let btf = Btf::parse(BtfFeature::SignedEnum.blob()).unwrap();
        match btf.type_by_id(btf::TypeId::new(1)).unwrap().body {
            Body::Enum(e) => assert!(e.signed && e.values[0].value as i64 == -1),
            b => panic!("{b:?}"),
        }
    }

    #[test]
    fn all_none_and_list_agree() {
        assert!(Features::all().list().iter().all(|&(_, ok)| ok));
        assert!(Features::none().list().iter().all(|&(_, ok)| !ok));
        assert_eq!(Features::all().list().len(), BtfFeature::ALL.len());
    }
}
