//! Changes made to an object's BTF for the kernel, in words.

use loader::kernel_btf::BtfChange;

/// One change, as `--explain` lists it after `BTF fixup:`.
pub fn text(c: &BtfChange) -> String {
    match c {
        BtfChange::DatasecSize { section, from, to } => format!("DATASEC {section}: size {from} → {to}"),
        BtfChange::VarOffset { section, var, from, to } => format!("DATASEC {section}: {var} offset {from} → {to}"),
        BtfChange::HiddenVarMadeStatic { var } => format!("VAR {var}: hidden global made static"),
        BtfChange::HiddenFuncMadeStatic { id, name } => {
            format!("[{id}] FUNC {name}: hidden global subprogram made static (checked with its caller's context)")
        }
        BtfChange::FuncMadeStatic { id, name } => {
            format!("[{id}] FUNC {name}: global linkage → static (kernel lacks global funcs)")
        }
        BtfChange::EnumSignCleared { id, name } => format!("[{id}] ENUM {name}: signed flag cleared (kernel lacks it)"),
        BtfChange::KindRewritten { id, name, from, to } => format!("[{id}] {from} {name} → {to} (kernel lacks {from})"),
        BtfChange::KconfigVarPlaced { var, offset } => {
            format!("DATASEC .kconfig: extern {var} made a global at offset {offset} (the kernel takes no extern VARs)")
        }
        BtfChange::KsymPlaceholder { name, kind, offset } => format!(
            "DATASEC .ksyms: extern {kind} {name} → a 4-byte int placeholder at offset {offset} (the kernel takes no \
             extern VARs, nor FUNCs in a DATASEC)"
        ),
        BtfChange::DummyKsymVar { id } => format!("[{id}] VAR dummy_ksym added: the placeholder kfuncs point at"),
    }
}

#[cfg(test)]
mod tests {
    use btf::Kind;

    use super::*;

    #[test]
    fn each_change_reads_as_before() {
        let c =
            BtfChange::KindRewritten { id: btf::TypeId::new(5), name: "f".into(), from: Kind::Float, to: Kind::Struct };
        assert_eq!(text(&c), "[5] FLOAT f → STRUCT (kernel lacks FLOAT)");
        let c = BtfChange::DatasecSize { section: ".bss".into(), from: 0, to: 8 };
        assert_eq!(text(&c), "DATASEC .bss: size 0 → 8");
    }
}
