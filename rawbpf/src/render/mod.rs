//! Every sentence rawbpf prints about what the library found: refusals, verifier diagnoses,
//! BTF fixups, CO-RE decisions, the `--explain` narration, and error chains.

pub mod btf_change;
pub mod btf_diff;
pub mod core;
pub mod error;
pub mod event_line;
#[cfg(test)]
mod event_line_tests;
pub mod events;
pub mod externs;
pub mod globals;
pub mod kernel_image;
pub mod narrate;
pub mod refusal;
pub mod slots;
pub mod value;
pub mod verifier;
