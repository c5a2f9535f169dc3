//! Any bytes: peeling a kernel image (bzImage, codecs, .deb, ELF) must return, never panic, hang or
//! allocate past its limits (small here, so a hostile length shows up as an error rather than a slow run).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = btf::kernel_image::Limits { max_output: 16 << 20, max_depth: 8 };
    if let Ok(x) = btf::kernel_image::extract(data, &limits) {
        assert_eq!(x.steps.last().map(|s| s.layer), Some(btf::kernel_image::Layer::Btf));
        let _ = btf::Btf::parse(x.btf);
    }
});
