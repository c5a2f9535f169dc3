//! Any bytes as a BPF object: opening it, listing its globals, CO-RE against its own BTF and
//! linking every program must return, never panic, hang or allocate without bound. Nothing
//! here touches the kernel (map fds are fake, ksyms treated as missing).
#![no_main]
use libfuzzer_sys::fuzz_target;

use btf::core::{relocate_section, CoreCache};
use loader::link::{link_with, KsymValue, Symbols};
use loader::object::{Object, ProgramIndex};

fuzz_target!(|data: &[u8]| {
    let Ok(mut obj) = Object::parse(data, "fuzz.o") else { return };
    let _ = loader::globals::list(&obj);
    if let (Some(ext), Some(local)) = (obj.btf_ext.clone(), obj.btf.clone()) {
        let mut cache = CoreCache::new();
        for sec in &ext.core_relos {
            if let Some(code) = obj.code_sections.iter_mut().find(|c| c.name == sec.name) {
                let _ = relocate_section(&local, &local, &sec.records, &mut code.insns, &mut cache);
            }
        }
    }
    let fds: Vec<i32> = (0..obj.maps.len() as i32).collect();
    let ksyms: Vec<Option<KsymValue>> = obj.externs.iter().map(|_| Some(KsymValue::Missing)).collect();
    for i in 0..obj.programs.len() {
        let _ = link_with(&obj, &obj.code_sections, ProgramIndex::new(i), Symbols { map_fds: &fds, ksyms: &ksyms });
    }
});
