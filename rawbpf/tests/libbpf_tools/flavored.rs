//! A target BTF whose types all carry a flavor: the kernel's own BTF with every named struct,
//! union, enum, forward declaration and typedef renamed `NAME___flavored`. Offsets and sizes
//! are the kernel's, so CO-RE against it must give exactly what it gives against the kernel
//! — but only a loader that drops flavors on the target side too (as libbpf does) finds any
//! candidate at all. Reduced BTF (BTFHub, min_core_btf) and hand-made fixtures look like this.

use std::path::Path;

use btf::types::{Kind, Type};
use btf::{Btf, BtfBuilder};

const FLAVOR: &str = "___flavored";

/// Writes the flavored copy of `kernel` to `out`; returns how many types were renamed.
pub fn write(kernel: &Btf, out: &Path) -> std::io::Result<usize> {
    let mut b = BtfBuilder::with_endian(kernel.endian());
    let mut renamed = 0;
    for id in kernel.ids() {
        let t = kernel.type_by_id(id).map_err(std::io::Error::other)?;
        let flavor = !t.name.is_empty()
            && matches!(t.kind(), Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Fwd | Kind::Typedef);
        let name = if flavor { format!("{}{FLAVOR}", t.name) } else { t.name.to_owned() };
        renamed += flavor as usize;
        b.add(&Type { name: &name, body: t.body });
    }
    std::fs::write(out, b.build())?;
    Ok(renamed)
}
