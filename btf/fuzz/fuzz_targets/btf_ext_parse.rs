//! Any bytes as .BTF.ext over the BTF of progs/connect.o (so the seeds' string offsets resolve):
//! parse must return, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

static BTF: &[u8] = include_bytes!("../corpus/btf/connect.btf");

fuzz_target!(|data: &[u8]| {
    let base = btf::Btf::parse(BTF.to_vec()).expect("seed BTF");
    let _ = btf::ext::BtfExt::parse(data, &base);
});
