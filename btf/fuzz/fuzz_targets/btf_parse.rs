//! Any bytes: parsing BTF and decoding every type must return, never panic or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(btf) = btf::Btf::parse(data.to_vec()) {
        for id in btf.ids() {
            if btf.type_by_id(id).is_ok() {
                let _ = btf.size_of(id);
                let _ = btf.skip_mods_and_typedefs(id);
            }
        }
        let _ = btf.find_by_name_kind("task_struct", btf::Kind::Struct);
    }
});
